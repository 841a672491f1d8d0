//! The fake against the observed bytes of the real component (real-component §2–4),
//! through raw TLS sockets rather than the checks, so a drift in the fake shows here and
//! not as a check that passes against a bridge that no longer looks like the real one.

use super::*;
use crate::bridge::tls::{self, Waits};
use crate::bridge::ws::{self, FrameReader};
use crate::bridge::{Budget, Target, farewell};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

const COMMANDS: [&str; 7] = [
    "GetVersion",
    "GetBasic",
    "GetRandom",
    "H_Sign?Random=00011234567890123456",
    "EnCrypt?Pwd=abc12345",
    "SecureGetBasicWithParam?Pwd=abc12345",
    "FooBar",
];

fn bridge(fault: Fault) -> FakeBridge {
    FakeBridge::start(BridgeConfig::new(CertGeneration::TestCa, fault)).unwrap()
}

async fn connect(b: &FakeBridge, sni: &str) -> tls::Connected {
    let target = Target {
        host: "127.0.0.1".into(),
        port: b.port(),
    };
    let waits = Waits {
        connect: Duration::from_secs(2),
        handshake: Duration::from_secs(3),
    };
    tls::connect(&target, sni, &Budget::new(Duration::from_secs(10)), waits)
        .await
        .unwrap()
}

/// Every byte until the server closes (with or without a TLS close_notify).
async fn read_all<S: AsyncRead + Unpin>(s: &mut S, mut got: Vec<u8>) -> Vec<u8> {
    let mut chunk = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(5), s.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return got,
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
            Err(_) => panic!("the bridge kept the connection open; got {got:02X?}"),
        }
    }
}

async fn request(b: &FakeBridge, req: &[u8]) -> Vec<u8> {
    let mut c = connect(b, "iccert.nhi.gov.tw").await;
    c.stream.write_all(req).await.unwrap();
    read_all(&mut c.stream, Vec::new()).await
}

/// An upgraded connection and the bytes already read past the 101 head.
async fn upgraded(b: &FakeBridge, origin: Option<&str>) -> (tls::BridgeStream, Vec<u8>) {
    let mut c = connect(b, "iccert.nhi.gov.tw").await;
    let key = ws::client_key();
    c.stream
        .write_all(ws::upgrade_request("/echo", "iccert.nhi.gov.tw:7777", origin, &key).as_bytes())
        .await
        .unwrap();
    let resp = crate::bridge::http::read_response(
        &mut c.stream,
        Default::default(),
        Duration::from_secs(5),
        false,
    )
    .await
    .unwrap();
    assert_eq!(resp.head.status_line, "HTTP/1.1 101 Switching Protocols");
    assert_eq!(
        resp.head.header("sec-websocket-accept"),
        Some(ws::accept_for(&key).as_str())
    );
    (c.stream, resp.extra)
}

/// One reply frame, checked to be what the component sends: FIN + text, unmasked.
async fn reply(s: &mut tls::BridgeStream, frames: &mut FrameReader) -> String {
    let f = frames
        .next(s, 64 * 1024, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(f.fin && f.opcode == ws::OP_TEXT && f.rsv == 0, "{f:?}");
    String::from_utf8(f.payload).unwrap()
}

#[tokio::test]
async fn any_get_that_is_not_an_upgrade_gets_the_page_with_the_real_head() {
    let b = bridge(Fault::OfflineGate);
    let head = "HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: 1350 \r\n\r\n";
    for req in [
        "GET / HTTP/1.1\r\nHost: iccert.nhi.gov.tw:7777\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: evil.example:7777\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: localhost:7777\r\n\r\n",
        "GET /whatever HTTP/1.1\r\nHost: 127.0.0.1:7777\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    ] {
        let got = request(&b, req.as_bytes()).await;
        assert!(
            got.starts_with(head.as_bytes()),
            "{req:?}: {}",
            String::from_utf8_lossy(&got)
        );
        assert_eq!(got.len(), head.len() + 1350, "{req:?}");
    }
}

#[tokio::test]
async fn head_post_garbage_and_upgrades_elsewhere_are_closed_without_a_byte() {
    let b = bridge(Fault::Healthy);
    for req in [
        "HEAD / HTTP/1.1\r\nHost: iccert.nhi.gov.tw:7777\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: iccert.nhi.gov.tw:7777\r\nContent-Length: 0\r\n\r\n",
        "hello\r\n\r\n",
        "GET /foo HTTP/1.1\r\nHost: iccert.nhi.gov.tw:7777\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    ] {
        assert_eq!(
            request(&b, req.as_bytes()).await,
            Vec::<u8>::new(),
            "{req:?}"
        );
    }
}

#[tokio::test]
async fn offline_every_command_with_any_origin_gets_the_bare_4021_frame_then_a_close_without_close_frame()
 {
    let b = bridge(Fault::OfflineGate);
    for origin in [
        None,
        Some("https://ecpa.dgpa.gov.tw"),
        Some("https://iccert.nhi.gov.tw:7777"),
        Some("null"),
        Some("file://"),
        Some("http://localhost"),
    ] {
        for cmd in COMMANDS {
            let (mut s, extra) = upgraded(&b, origin).await;
            s.write_all(&ws::client_frame(ws::OP_TEXT, cmd.as_bytes()))
                .await
                .unwrap();
            assert_eq!(
                read_all(&mut s, extra).await,
                [0x81, 0x04, b'4', b'0', b'2', b'1'],
                "{origin:?} {cmd}"
            );
        }
    }
}

#[tokio::test]
async fn a_binary_ping_or_close_frame_first_closes_without_a_reply() {
    for fault in [Fault::OfflineGate, Fault::Healthy] {
        let b = bridge(fault.clone());
        for op in [ws::OP_BINARY, ws::OP_PING, ws::OP_CLOSE] {
            let (mut s, extra) = upgraded(&b, Some("https://ecpa.dgpa.gov.tw")).await;
            s.write_all(&ws::client_frame(op, b"GetVersion"))
                .await
                .unwrap();
            assert_eq!(
                read_all(&mut s, extra).await,
                Vec::<u8>::new(),
                "{fault:?} opcode {op:#X}"
            );
        }
    }
}

#[tokio::test]
async fn past_the_gate_one_socket_answers_many_commands_error_codes_included_until_a_ping() {
    // No card service at all: GetBasic is 8013, and the connection stays open.
    let b = bridge(Fault::Healthy);
    let (mut s, extra) = upgraded(&b, None).await;
    let mut frames = FrameReader::new(extra);
    let mut answers = Vec::new();
    for cmd in [
        "GetVersion",
        "GetRandom",
        "FooBar",
        "GetVersion",
        "GetBasic",
        "GetVersion",
        "H_Sign?Random=00011234567890123456",
        "H_Sign?Random=abc",
        "GetVersion",
        "H_SignIPAndPort?Random=00011234567890123456&PORT=7777",
        "GetHostIPaddr",
        "GetHostPort",
        "EnCrypt?Pwd=abc12345",
        "SecureGetBasicWithParam?Pwd=abc12345",
    ] {
        s.write_all(&ws::client_frame(ws::OP_TEXT, cmd.as_bytes()))
            .await
            .unwrap();
        answers.push(reply(&mut s, &mut frames).await);
    }
    let random = answers.remove(1);
    assert!(
        random
            .strip_prefix("GetRandom:")
            .is_some_and(|r| r.len() == 16 && r.bytes().all(|c| c.is_ascii_digit())),
        "{random}"
    );
    assert_eq!(
        answers,
        [
            "GetVersion:0011",
            "9999",
            "GetVersion:0011",
            "8013",
            "GetVersion:0011",
            "4061",
            "4061",
            "GetVersion:0011",
            "H_SignIPAndPort:4061",
            "GetHostIPaddr:(null)",
            "GetHostPort:(null)",
            "8013",
            "8013"
        ]
    );
    s.write_all(&ws::client_frame(ws::OP_PING, b""))
        .await
        .unwrap();
    assert_eq!(
        read_all(&mut s, Vec::new()).await,
        Vec::<u8>::new(),
        "a ping closes, no pong"
    );
}

#[tokio::test]
async fn sni_does_not_change_the_chain() {
    let b = FakeBridge::start(BridgeConfig::new(
        CertGeneration::Nhi2020,
        Fault::OfflineGate,
    ))
    .unwrap();
    // An IP address as the server name means no SNI at all.
    let mut chains = Vec::new();
    for sni in ["iccert.nhi.gov.tw", "localhost", "127.0.0.1"] {
        chains.push(connect(&b, sni).await.chain);
    }
    assert_eq!(chains[0].len(), 2, "leaf + NHIRootCA.crt");
    assert!(chains.iter().all(|c| *c == chains[0]));
}

async fn version_with(
    b: &FakeBridge,
    only: &'static rustls::SupportedProtocolVersion,
) -> Option<rustls::ProtocolVersion> {
    let config = tls::recording_config(&[only], Default::default()).unwrap();
    let tcp = TcpStream::connect(b.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("iccert.nhi.gov.tw").unwrap();
    let s = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .ok()?;
    let version = s.get_ref().1.protocol_version();
    farewell::goodbye(s).await;
    version
}

/// Waits up to `limit` for the fake to die; whether it did.
async fn dies_within(b: &FakeBridge, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !b.is_dead() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    b.is_dead()
}

#[tokio::test]
async fn a_client_that_hangs_up_right_after_the_handshake_kills_it_like_the_real_component() {
    let b = bridge(Fault::OfflineGate);
    let config = tls::recording_config(&[&rustls::version::TLS13], Default::default()).unwrap();
    let tcp = TcpStream::connect(b.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("iccert.nhi.gov.tw").unwrap();
    let s = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .unwrap();
    // Only the certificate was wanted: gone before the session tickets are out.
    drop(s);
    assert!(
        dies_within(&b, Duration::from_secs(10)).await,
        "the fake survived a rude client"
    );
    assert!(
        b.death()
            .is_some_and(|d| d.contains("ticket") || d.contains("writing")),
        "{:?}",
        b.death()
    );
    // Dead means nothing listens any more, as after SIGPIPE.
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            if TcpStream::connect(b.addr()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(refused.is_ok(), "the dead fake still accepts connections");
}

#[tokio::test]
async fn our_handshake_then_farewell_leaves_it_alive_every_time() {
    let b = bridge(Fault::OfflineGate);
    for _ in 0..20 {
        let c = connect(&b, "iccert.nhi.gov.tw").await;
        farewell::close(c.stream);
    }
    farewell::settle(Duration::from_secs(10)).await;
    assert!(
        !dies_within(&b, Duration::from_millis(300)).await,
        "{:?}",
        b.death()
    );
    assert_eq!(b.connections(), 20);
    assert_eq!(
        request(
            &b,
            b"GET / HTTP/1.1\r\nHost: iccert.nhi.gov.tw:7777\r\n\r\n"
        )
        .await
        .len(),
        124 + 1350
    );
}

#[tokio::test]
async fn a_handshake_given_up_on_is_finished_by_a_background_reader_not_dropped() {
    let mut cfg = BridgeConfig::new(CertGeneration::TestCa, Fault::OfflineGate);
    cfg.hello_delay = Duration::from_secs(6);
    let b = FakeBridge::start(cfg).unwrap();
    let target = Target {
        host: "127.0.0.1".into(),
        port: b.port(),
    };
    let waits = Waits {
        connect: Duration::from_secs(2),
        handshake: Duration::from_secs(1),
    };
    let r = tls::connect(
        &target,
        "iccert.nhi.gov.tw",
        &Budget::new(Duration::from_secs(10)),
        waits,
    )
    .await;
    assert!(
        matches!(r, Err(crate::bridge::NetError::Silent { .. })),
        "expected a silent handshake"
    );
    assert!(
        farewell::pending() >= 1,
        "the socket was dropped instead of handed over"
    );
    // The fake answers the hello 6 s after it came, long after we gave up: it must find
    // a reader there, and then our FIN.
    tokio::time::sleep(Duration::from_secs(7)).await;
    farewell::settle(Duration::from_secs(5)).await;
    assert!(!b.is_dead(), "{:?}", b.death());
    assert_eq!(b.connections(), 1);
}

#[tokio::test]
async fn tls_1_2_and_1_3_are_accepted_and_tls_1_0_gets_the_protocol_version_alert() {
    let b = bridge(Fault::OfflineGate);
    assert_eq!(
        version_with(&b, &rustls::version::TLS12).await,
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
    assert_eq!(
        version_with(&b, &rustls::version::TLS13).await,
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    // TLS 1.0 and 1.1 ClientHellos without extensions, as `openssl s_client -tls1` sends.
    for minor in [0x01, 0x02] {
        let mut body = vec![0x03, minor];
        body.extend([0u8; 32]);
        body.extend([0x00, 0x00, 0x02, 0xC0, 0x13, 0x01, 0x00]);
        let mut hello = vec![
            0x16,
            0x03,
            0x01,
            0x00,
            body.len() as u8 + 4,
            0x01,
            0x00,
            0x00,
            body.len() as u8,
        ];
        hello.extend(body);
        assert_eq!(hello_version(&hello), Some(0x0300 | u16::from(minor)));
        let mut tcp = TcpStream::connect(b.addr()).await.unwrap();
        tcp.write_all(&hello).await.unwrap();
        let got = read_all(&mut tcp, Vec::new()).await;
        assert!(
            got.len() >= 7 && got[0] == 0x15 && got[5..7] == [0x02, 0x46],
            "3.{minor}: expected a fatal protocol_version alert, got {got:02X?}"
        );
    }
}

#[test]
fn it_listens_on_loopback_only_with_a_backlog_of_one() {
    let b = bridge(Fault::OfflineGate);
    assert_eq!(b.addr().ip(), std::net::IpAddr::from([127, 0, 0, 1]));
    // ss shows a listening socket's backlog as its Send-Q ("LISTEN 0 1 127.0.0.1:7777").
    let out = std::process::Command::new("ss")
        .args(["-Hltn", &format!("sport = :{}", b.port())])
        .output()
        .expect("ss (iproute2) is needed for this test");
    let text = String::from_utf8_lossy(&out.stdout);
    let cols: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(
        cols.get(..4),
        Some(&["LISTEN", "0", "1", b.addr().to_string().as_str()][..]),
        "{text}"
    );
}
