//! A fake of the NHI component's local bridge, for the tests and the demo: a real TLS
//! server on 127.0.0.1 (an ephemeral port by default, listen backlog 1) that answers like
//! the official Linux component (mLNHIICC 20240710.1) was observed to answer — TLS 1.2 and
//! 1.3 only whatever the SNI, the 1350-byte page behind bare-LF headers, nothing at all to
//! HEAD, POST, garbage or an upgrade elsewhere than `/echo`, `/echo` upgrades with or
//! without `Origin`, unmasked text frames, bare 4-digit error codes, `4021` to everything
//! when offline — plus the ways other things on the port misbehave. `wire_tests` below
//! hold it to the observed bytes. In the healthy mode `GetBasic` reads the card like the component does
//! (SELECT, `00 CA 11 00 02 00 00 00`, `00 CA 24 00 02 00 00 00`, leave the card) through
//! the `SmartCards` it is given: the real pcscd in tests, a simulated one in the demo.
//!
//! It runs on its own thread and runtime, so a blocking test and an async demo can both
//! start it; dropping the handle stops it.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

pub use super::certs::{CertGeneration, CertSet};
pub use super::fragile::Fragility;
use super::fragile::{Fragile, Life};
use super::loopback::{Served, tls_acceptor};
use crate::bridge::http::head_end;
use crate::bridge::ws::{self, FrameReader};
use crate::nhi::apdu::{self, Response};
use crate::nhi::record;
use crate::system::SmartCards;

/// How the fake behaves.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Past the allowed-origin gate: answers commands like the instrumented real component.
    Healthy,
    /// What an offline machine really sees: `4021` to any command, then the TCP/TLS
    /// connection closes (no close frame).
    OfflineGate,
    /// The origin is not in the downloaded list: `4041`, then close.
    OriginRefused,
    /// `GetBasic` answers this bare code (e.g. `8013`); the connection stays open.
    GetBasicCode(String),
    /// A frame with reserved bits and opcode set, instead of a reply.
    GarbageFrames,
    /// A binary frame instead of a text reply.
    BinaryFrame,
    /// A frame header announcing a 1 GiB payload.
    OversizeFrame,
    /// Reads a command and closes the connection without a reply.
    ClosesAfterCommand,
    /// Not TLS at all: a plain web server that answers anything at once with
    /// `400 Bad Request` (as nginx answers a TLS hello).
    PlainHttp,
    /// Not TLS at all: a plain web server that waits for a whole HTTP request, so a TLS
    /// hello gets no answer (as Python's http.server does).
    PlainHttpWaitsForRequest,
    /// TLS, but another web server (`Server: Apache/…`, "It works!"; `/echo` is 404).
    ForeignServer,
    /// TLS handshake, then the connection closes without a byte.
    EmptyClose,
    /// Accepts TCP and never says anything.
    Silent,
    /// TLS; `GET /` announces and streams a 100 MB body.
    HugeBody,
    /// Answers the TLS hello with a fatal `protocol_version` alert (what the real
    /// component does to TLS 1.0 clients).
    TlsAlert,
    /// Neither TLS nor HTTP: an SSH server's banner, sent as soon as a client connects.
    SshBanner,
    /// Healthy, and NHI's cloud answers too: `H_Sign` gives a 256-character signature
    /// (what an online machine with a registered card gets).
    Online,
    /// Healthy, but `H_Sign` answers this bare code (`4061`, `8005`, `9001`…).
    SignCode(String),
    /// Online, but the `H_Sign` signature comes back cut to half its length.
    SignShort,
    /// Online, but `EnCrypt` (the password command) answers this bare code.
    EnCryptCode(String),
}

impl Fault {
    /// Names for the demo's scenario files: `healthy`, `offline-gate`, `code:8013`…
    pub fn parse(s: &str) -> Option<Fault> {
        if let Some(code) = s.strip_prefix("code:") {
            return crate::bridge::codes::is_code(code)
                .then(|| Fault::GetBasicCode(code.to_string()));
        }
        if let Some(code) = s.strip_prefix("sign:") {
            return crate::bridge::codes::is_code(code).then(|| Fault::SignCode(code.to_string()));
        }
        if let Some(code) = s.strip_prefix("encrypt:") {
            return crate::bridge::codes::is_code(code)
                .then(|| Fault::EnCryptCode(code.to_string()));
        }
        Some(match s {
            "healthy" => Fault::Healthy,
            "offline-gate" => Fault::OfflineGate,
            "origin-refused" => Fault::OriginRefused,
            "garbage-frames" => Fault::GarbageFrames,
            "binary-frame" => Fault::BinaryFrame,
            "oversize-frame" => Fault::OversizeFrame,
            "closes-after-command" => Fault::ClosesAfterCommand,
            "plain-http" => Fault::PlainHttp,
            "plain-http-waits" => Fault::PlainHttpWaitsForRequest,
            "foreign-server" => Fault::ForeignServer,
            "empty-close" => Fault::EmptyClose,
            "silent" => Fault::Silent,
            "huge-body" => Fault::HugeBody,
            "tls-alert" => Fault::TlsAlert,
            "ssh-banner" => Fault::SshBanner,
            "online" => Fault::Online,
            "sign-short" => Fault::SignShort,
            _ => return None,
        })
    }
}

pub struct BridgeConfig {
    pub certs: CertGeneration,
    pub fault: Fault,
    /// Where `GetBasic` reads the card; `None` behaves as if pcscd were down (`8013`).
    pub cards: Option<Arc<dyn SmartCards>>,
    /// The reader `GetBasic` reads; `None` = the first reader in the list, as the real
    /// component does (so a second reader is never looked at).
    pub reader: Option<String>,
    /// Fragile like the real component unless a test says why not.
    pub fragility: Fragility,
    /// How long the server sits on a ClientHello before it answers (a component busy
    /// fetching its origin list from a slow cloud).
    pub hello_delay: Duration,
}

impl BridgeConfig {
    pub fn new(certs: CertGeneration, fault: Fault) -> BridgeConfig {
        BridgeConfig {
            certs,
            fault,
            cards: None,
            reader: None,
            fragility: Fragility::default(),
            hello_delay: Duration::ZERO,
        }
    }

    /// Survives clients that hang up early, which the real component does not: only for a
    /// test that needs it, with the reason.
    pub fn tolerant(mut self, why: &'static str) -> BridgeConfig {
        self.fragility.tolerant = Some(why);
        self
    }
}

/// A running fake bridge; dropping it stops the server.
pub struct FakeBridge {
    served: Served,
    certs: CertSet,
    log: Arc<Mutex<Vec<String>>>,
    life: Arc<Life>,
    connections: Arc<AtomicUsize>,
}

/// The component's page (real-component §3): the title with its typo 已確任, the visible
/// text 已確認為可信任服務！, the `access`/`pass` messages to the opener. Only the markup
/// around them is made up; [`page`] pads it to the real page's 1350 bytes.
const PAGE_HEAD: &str = concat!(
    "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF8\"/>",
    "<title>已確任信任服務....</title>",
    "<style>body{font-family:sans-serif;margin:0;padding:40px;background:#f5f5f5}table{margin:auto;border-collapse:collapse;background:#fff;border:1px solid #ccc}",
    "th{padding:16px 32px;font-size:20px;color:#2e7d32}td{padding:8px 32px;text-align:center}</style>",
    "<script type=\"text/javascript\">window.onload=function(){if(window.opener){window.opener.postMessage(\"access\",\"*\");}};",
    "window.addEventListener(\"message\",function(e){if(e.data==\"pass\"){window.close();}},false);</script>",
    "</head><body><table><tr><th style=\"border-bottom:1px solid #ccc\">已確認為可信任服務！</th></tr>",
    "<tr><td style=\"color:#555\">可自行手動關閉</td></tr>",
    "<tr><td><input type=\"button\" value=\"關閉\" style=\"padding:4px 24px\" onclick=\"window.close()\"/></td></tr></table></body>",
);
const PAGE_TAIL: &str =
    "<!-- ecpa-doctor test bridge: padded to the length of the real page --></html>";
const PAGE_LEN: usize = 1350;

fn page() -> String {
    let pad = PAGE_LEN.saturating_sub(PAGE_HEAD.len() + PAGE_TAIL.len());
    format!("{PAGE_HEAD}{}{PAGE_TAIL}", " ".repeat(pad))
}

/// The answer to any `GET` that is not an upgrade, byte for byte as observed: header lines
/// end in a bare `\n` (only the last in `\r\n\r\n`) and the length has a trailing space.
fn http_answer() -> String {
    let body = page();
    format!(
        "HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: {} \r\n\r\n{body}",
        body.len()
    )
}

const VERSION: &str = "0011";

struct Server {
    fault: Fault,
    tls: tokio_rustls::TlsAcceptor,
    cards: Option<Arc<dyn SmartCards>>,
    reader: Option<String>,
    log: Arc<Mutex<Vec<String>>>,
    fragility: Fragility,
    hello_delay: Duration,
    life: Arc<Life>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    fn note(&self, line: String) {
        self.log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(line);
    }
}

impl FakeBridge {
    /// On 127.0.0.1 and a free port, bound like the component binds 7777.
    pub fn start(cfg: BridgeConfig) -> io::Result<FakeBridge> {
        FakeBridge::start_on(
            listen_like_the_component(SocketAddr::from(([127, 0, 0, 1], 0)))?,
            cfg,
        )
    }

    pub fn start_on(listener: std::net::TcpListener, cfg: BridgeConfig) -> io::Result<FakeBridge> {
        let certs = cfg.certs.generate().map_err(io::Error::other)?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let life = Arc::new(Life::default());
        let connections = Arc::new(AtomicUsize::new(0));
        let fragility = match cfg.fault {
            Fault::ForeignServer | Fault::HugeBody => Fragility {
                tolerant: Some("another web server, not the component: web servers ignore SIGPIPE"),
                ..cfg.fragility
            },
            _ => cfg.fragility,
        };
        let server = Arc::new(Server {
            fault: cfg.fault,
            tls: tls_acceptor(&certs)?,
            cards: cfg.cards,
            reader: cfg.reader,
            log: log.clone(),
            fragility,
            hello_delay: cfg.hello_delay,
            life: life.clone(),
            connections: connections.clone(),
        });
        let dies = life.clone();
        let served = Served::start_until(
            "fake-bridge",
            listener,
            move |tcp| handle(server.clone(), tcp),
            async move { dies.died().await },
        )?;
        Ok(FakeBridge {
            served,
            certs,
            log,
            life,
            connections,
        })
    }

    /// Whether a client killed it, as one that hangs up early kills the real component.
    pub fn is_dead(&self) -> bool {
        self.life.is_dead()
    }

    /// What killed it.
    pub fn death(&self) -> Option<String> {
        self.life.cause()
    }

    /// Connections accepted so far (the component fetches its origin list again for each).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn addr(&self) -> SocketAddr {
        self.served.addr()
    }

    pub fn port(&self) -> u16 {
        self.served.addr().port()
    }

    pub fn certs(&self) -> &CertSet {
        &self.certs
    }

    /// Writes the set's root as a component install would hold it (`cert/NHIRootCA.crt`).
    pub fn write_component_root(&self, path: &Path) -> io::Result<()> {
        std::fs::write(path, &self.certs.component_root_pem)
    }

    /// What clients sent: request lines, `Host`, `Origin`, WebSocket commands.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A listener bound as the component binds (`setsockopt(SO_REUSEADDR)`, `listen(4, 1)`):
/// a backlog of one, so a client that connects while the one before is still being
/// accepted can be kept waiting, as with the real daemon.
pub fn listen_like_the_component(addr: SocketAddr) -> io::Result<std::net::TcpListener> {
    // tokio's socket builder is the only way to a listen backlog without another crate;
    // it needs a reactor only for the moment it takes to make the listener, on a thread of
    // its own so that an async caller (the demo) can start a bridge too.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_io()
                    .build()?;
                rt.block_on(async {
                    let socket = if addr.is_ipv4() {
                        tokio::net::TcpSocket::new_v4()?
                    } else {
                        tokio::net::TcpSocket::new_v6()?
                    };
                    socket.set_reuseaddr(true)?;
                    socket.bind(addr)?;
                    socket.listen(1)?.into_std()
                })
            })
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the listener thread panicked")))
    })
}

async fn handle(server: Arc<Server>, mut tcp: TcpStream) {
    server.connections.fetch_add(1, Ordering::SeqCst);
    match &server.fault {
        Fault::Silent => {
            // Keep the socket open and say nothing until the server stops.
            std::future::pending::<()>().await;
            drop(tcp);
        }
        Fault::TlsAlert => {
            let mut hello = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut hello)).await;
            let _ = tcp
                .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46])
                .await;
        }
        Fault::SshBanner => {
            let _ = tcp
                .write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
                .await;
            let mut hello = [0u8; 1024];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut hello)).await
                && n > 0
            {
                let _ = tcp
                    .write_all(b"Invalid SSH identification string.\r\n")
                    .await;
            }
        }
        Fault::PlainHttp => {
            let mut first = [0u8; 1024];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut first)).await
                && n > 0
            {
                let _ = tcp.write_all(nginx_400().as_bytes()).await;
            }
        }
        Fault::PlainHttpWaitsForRequest => {
            if let Some((head, _)) = read_request(&mut tcp, true).await {
                server.note(head.lines().next().unwrap_or_default().to_string());
                let body = "<html><body>Directory listing for /</body></html>";
                let reply = format!(
                    "HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6 Python/3.11.2\r\nContent-type: text/html\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(reply.as_bytes()).await;
            }
        }
        _ => {
            // OpenSSL 1.1.1 answers a hello that offers nothing newer than TLS 1.1 with a
            // protocol_version alert; rustls would say handshake_failure to `openssl
            // s_client -tls1` (it wants an extension TLS 1.0 clients do not send).
            if peek_hello_version(&tcp).await.is_some_and(|v| v < TLS12) {
                let _ = tcp
                    .write_all(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46])
                    .await;
                return;
            }
            tokio::time::sleep(server.hello_delay).await;
            let tcp = Fragile::new(tcp, server.life.clone(), server.fragility.clone());
            let accepted =
                tokio::time::timeout(Duration::from_secs(10), server.tls.accept(tcp)).await;
            if let Ok(Ok(mut tls)) = accepted {
                tls.get_mut().0.handshake_done();
                serve_tls(&server, tls).await;
            }
        }
    }
}

const TLS12: u16 = 0x0303;

/// The newest TLS version the client's hello offers, read without consuming it; `None`
/// when the first record is not a whole ClientHello within a few seconds.
async fn peek_hello_version(tcp: &TcpStream) -> Option<u16> {
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let n = tokio::time::timeout_at(deadline, tcp.peek(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n > 0 && buf[0] != 0x16 {
            // Not a TLS handshake at all: the TLS accept will say so at once.
            return None;
        }
        let want = 5 + usize::from(u16::from_be_bytes([*buf.get(3)?, *buf.get(4)?]));
        if n >= want || n == 0 || n == buf.len() {
            return hello_version(&buf[..n.min(want)]);
        }
        // Part of the record is still on its way.
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The newest version a ClientHello record offers: its `supported_versions` extension when
/// present (TLS 1.3 clients), else its `client_version`.
fn hello_version(record: &[u8]) -> Option<u16> {
    let u16_at = |b: &[u8], i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
    if record.first() != Some(&0x16) || record.get(5) != Some(&0x01) {
        return None;
    }
    let body = record.get(9..)?;
    let client_version = u16_at(body, 0)?;
    let mut at = 2 + 32;
    at += 1 + usize::from(*body.get(at)?);
    at += 2 + usize::from(u16_at(body, at)?);
    at += 1 + usize::from(*body.get(at)?);
    let Some(ext_len) = u16_at(body, at) else {
        return Some(client_version);
    };
    let exts = body.get(at + 2..at + 2 + usize::from(ext_len))?;
    let mut i = 0;
    while let (Some(kind), Some(len)) = (u16_at(exts, i), u16_at(exts, i + 2)) {
        let data = exts.get(i + 4..i + 4 + usize::from(len))?;
        if kind == 0x002B {
            // GREASE values (0x?A?A) are not versions.
            return data
                .get(1..)?
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .filter(|v| v & 0x0F0F != 0x0A0A)
                .max();
        }
        i += 4 + usize::from(len);
    }
    Some(client_version)
}

fn nginx_400() -> String {
    let body = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
    format!(
        "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads a request head (bounded); with `need_http`, bytes that never become an HTTP
/// request line keep it waiting, like a line-based server given a TLS hello.
async fn read_request<S: AsyncRead + Unpin>(
    s: &mut S,
    need_http: bool,
) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = head_end(&buf)
            && (!need_http || buf[..end].windows(7).any(|w| w == b" HTTP/1"))
        {
            let rest = buf.split_off(end);
            return Some((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        if buf.len() > 16 * 1024 {
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

async fn serve_tls<S: AsyncRead + AsyncWrite + Unpin>(server: &Server, mut s: S) {
    let Some((head, rest)) = read_request(&mut s, false).await else {
        return;
    };
    let request_line = head
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_string();
    server.note(request_line.clone());
    server.note(format!(
        "Host: {}",
        header(&head, "host").unwrap_or("(none)")
    ));
    server.note(format!(
        "Origin: {}",
        header(&head, "origin").unwrap_or("(none)")
    ));
    let mut parts = request_line.split_ascii_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let upgrade = header(&head, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    match &server.fault {
        Fault::EmptyClose => {}
        Fault::ForeignServer => {
            let reply = if upgrade || path != "/" {
                "HTTP/1.1 404 Not Found\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            } else {
                let body = "<html><head><title>Apache2 Debian Default Page: It works</title></head><body>It works!</body></html>";
                format!(
                    "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = s.write_all(reply.as_bytes()).await;
            let _ = s.shutdown().await;
        }
        Fault::HugeBody => huge_body(&mut s).await,
        // The real component: anything but GET is closed without a byte, as is an
        // upgrade to another path than /echo.
        _ if method != "GET" => {}
        _ if upgrade && path == "/echo" => {
            let Some(key) = header(&head, "sec-websocket-key") else {
                return;
            };
            let reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                ws::accept_for(key)
            );
            if s.write_all(reply.as_bytes()).await.is_ok() {
                ws_loop(server, &mut s, rest).await;
            }
        }
        _ if upgrade => {}
        _ => {
            let _ = s.write_all(http_answer().as_bytes()).await;
            let _ = s.shutdown().await;
        }
    }
}

async fn huge_body<S: AsyncWrite + Unpin>(s: &mut S) {
    const TOTAL: usize = 100 * 1024 * 1024;
    let head = format!(
        "HTTP/1.1 200 OK\r\nServer: bulk/1.0\r\nContent-Type: application/octet-stream\r\nContent-Length: {TOTAL}\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < TOTAL {
        // A reader that stops reading leaves this write pending; give up after a while.
        match tokio::time::timeout(Duration::from_secs(5), s.write_all(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len(),
            _ => return,
        }
    }
}

async fn ws_loop<S: AsyncRead + AsyncWrite + Unpin>(server: &Server, s: &mut S, already: Vec<u8>) {
    let mut frames = FrameReader::new(already);
    loop {
        let Ok(frame) = frames.next(s, 64 * 1024, Duration::from_secs(60)).await else {
            return;
        };
        // Binary, ping and close frames: the real component closes without a reply.
        if frame.opcode != ws::OP_TEXT {
            server.note(format!("frame opcode {:#X}", frame.opcode));
            return;
        }
        let command = zeroize::Zeroizing::new(String::from_utf8_lossy(&frame.payload).into_owned());
        server.note(format!("command: {}", loggable(&command)));
        let reply: Vec<u8> = match &server.fault {
            Fault::OfflineGate => return send_and_close(s, "4021").await,
            Fault::OriginRefused => return send_and_close(s, "4041").await,
            Fault::ClosesAfterCommand => return,
            Fault::GarbageFrames => vec![0xF3, 0x03, 0xDE, 0xAD, 0xBE],
            Fault::BinaryFrame => ws::encode(ws::OP_BINARY, b"\x00\x01\x02GetVersion", None),
            Fault::OversizeFrame => {
                let mut f = vec![0x81, 127];
                f.extend_from_slice(&(1u64 << 30).to_be_bytes());
                f.extend_from_slice(b"GetVersion:");
                f
            }
            _ => ws::encode(ws::OP_TEXT, answer(server, &command).await.as_bytes(), None),
        };
        if s.write_all(&reply).await.is_err() {
            return;
        }
    }
}

async fn send_and_close<S: AsyncWrite + Unpin>(s: &mut S, code: &str) {
    let _ = s
        .write_all(&ws::encode(ws::OP_TEXT, code.as_bytes(), None))
        .await;
    let _ = s.shutdown().await;
}

/// A command as the log keeps it: a password becomes its length, so not even a test
/// helper holds it longer than the exchange.
fn loggable(command: &str) -> String {
    match command.split_once("?Pwd=") {
        Some((name, pwd)) => format!("{name}?Pwd=({} characters)", pwd.chars().count()),
        None => command.to_string(),
    }
}

/// The command layer past the gate (real-component §4b); commands are matched by prefix.
async fn answer(server: &Server, command: &str) -> String {
    if command.starts_with("GetBasic") {
        if let Fault::GetBasicCode(code) = &server.fault {
            return code.clone();
        }
        let Some(cards) = server.cards.clone() else {
            return "8013".into();
        };
        let reader = server.reader.clone();
        return tokio::task::spawn_blocking(move || get_basic(cards.as_ref(), reader.as_deref()))
            .await
            .unwrap_or_else(|_| "8013".into());
    }
    if command.starts_with("GetVersion") {
        return format!("GetVersion:{VERSION}");
    }
    if command.starts_with("GetRandom") {
        let mut b = [0u8; 16];
        ws::fill_random(&mut b);
        return format!(
            "GetRandom:{}",
            b.iter()
                .map(|x| char::from(b'0' + x % 10))
                .collect::<String>()
        );
    }
    if command.starts_with("H_SignIPAndPort") {
        return "H_SignIPAndPort:4061".into();
    }
    if let Some(random) = command.strip_prefix("H_Sign?Random=") {
        return match &server.fault {
            Fault::Online | Fault::EnCryptCode(_) => format!("H_Sign:{}", signature(random)),
            Fault::SignShort => format!("H_Sign:{}", &signature(random)[..128]),
            Fault::SignCode(code) => code.clone(),
            // Signing needs cloudicap.nhi.gov.tw, which a loopback fake never reaches.
            _ => "4061".into(),
        };
    }
    if let Some(pwd) = command.strip_prefix("EnCrypt?Pwd=") {
        if let Fault::EnCryptCode(code) = &server.fault {
            return code.clone();
        }
        let pwd = zeroize::Zeroizing::new(pwd.to_string());
        return with_card(server, move |cards, reader| encrypt(cards, reader, &pwd)).await;
    }
    if command.starts_with("SecureGetBasicWithParam?Pwd=") {
        return with_card(server, secure_basic).await;
    }
    if command.starts_with("GetHostIPaddr") {
        return "GetHostIPaddr:(null)".into();
    }
    if command.starts_with("GetHostPort") {
        return "GetHostPort:(null)".into();
    }
    "9999".into()
}

/// Runs a card command off the async thread, as pcscd calls block; no cards = `8013`.
async fn with_card<F>(server: &Server, f: F) -> String
where
    F: FnOnce(&dyn SmartCards, Option<&str>) -> String + Send + 'static,
{
    let Some(cards) = server.cards.clone() else {
        return "8013".into();
    };
    let reader = server.reader.clone();
    tokio::task::spawn_blocking(move || f(cards.as_ref(), reader.as_deref()))
        .await
        .unwrap_or_else(|_| "8013".into())
}

/// A stand-in for the signature NHI's cloud makes: 256 hex characters derived from the
/// random, so two signatures differ like real ones.
fn signature(random: &str) -> String {
    let mut out = String::with_capacity(256);
    let mut block = ring::digest::digest(&ring::digest::SHA512, random.as_bytes());
    while out.len() < 256 {
        out.extend(block.as_ref().iter().map(|b| format!("{b:02X}")));
        block = ring::digest::digest(&ring::digest::SHA512, block.as_ref());
    }
    out.truncate(256);
    out
}

/// Today's date as the component mixes it into its keys (`YYYYMMDD`, local time).
fn key_date() -> String {
    chrono::Local::now().format("%Y%m%d").to_string()
}

fn hex_digest(parts: &[&[u8]], len: usize) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA512);
    for p in parts {
        ctx.update(p);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .take(len)
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// `EnCrypt?Pwd=`: SELECT and the basic record, then 48 hex characters keyed by the card
/// and the date (the real one is 3DES; the length and the inputs are what matter here).
/// A password outside 6–12 characters is `8009`, as a third-party agent documents.
fn encrypt(cards: &dyn SmartCards, reader: Option<&str>, pwd: &str) -> String {
    if !(6..=12).contains(&pwd.chars().count()) {
        return "8009".into();
    }
    match read_card(cards, reader, false) {
        Ok((basic, _)) => format!(
            "EnCrypt:{}",
            hex_digest(
                &[
                    &basic.data[..12.min(basic.data.len())],
                    key_date().as_bytes(),
                    pwd.as_bytes()
                ],
                24
            )
        ),
        Err(code) => code.into(),
    }
}

/// `SecureGetBasicWithParam?Pwd=`: the card data encrypted with a date key, 112 hex
/// characters; the password is not used (as a third-party agent notes).
fn secure_basic(cards: &dyn SmartCards, reader: Option<&str>) -> String {
    match read_card(cards, reader, true) {
        Ok((basic, _)) => format!(
            "SecureGetBasicWithParam:{}",
            hex_digest(&[&basic.data, key_date().as_bytes()], 56)
        ),
        Err(code) => code.into(),
    }
}

/// SELECT, the basic record and (for GetBasic-like commands) the `24` record, from the
/// first reader or the configured one, card left as it was. Errors are the bare codes the
/// component gives: `8013` no card/reader/service, `7004` SELECT refused, `8010` a record
/// refused.
fn read_card(
    cards: &dyn SmartCards,
    reader: Option<&str>,
    with_hc: bool,
) -> Result<(Response, Option<Response>), &'static str> {
    let ctx = cards.establish().map_err(|_| "8013")?;
    let readers = ctx.readers().unwrap_or_default();
    let name = match reader {
        Some(r) => readers.iter().find(|n| n.as_str() == r),
        None => readers.first(),
    };
    let name = name.ok_or("8013")?;
    let mut card = ctx.connect_shared(name).map_err(|_| "8013")?;
    let mut send = |apdu: &[u8]| apdu::exchange(apdu, |a| card.transmit(a));
    let select = send(&apdu::SELECT_NHI).map_err(|_| "8013")?;
    if !select.is_ok() {
        return Err("7004");
    }
    let basic = send(&apdu::READ_BASIC).map_err(|_| "8013")?;
    let hc = if with_hc {
        Some(send(&apdu::READ_HC_DATA).map_err(|_| "8013")?)
    } else {
        None
    };
    if !basic.is_ok() || hc.as_ref().is_some_and(|h| !h.is_ok()) {
        return Err("8010");
    }
    Ok((basic, hc))
}

/// `GetBasic` as the component does it: the first reader (or the configured one), shared
/// mode, SELECT + the basic record + the `24` record, card left as it was. No card, no
/// reader, no service → `8013`; a record the card refuses → `8010`. A refused SELECT
/// gives `7004` (third-party mapping; the real component's answer was not observed).
pub fn get_basic(cards: &dyn SmartCards, reader: Option<&str>) -> String {
    let (basic, hc) = match read_card(cards, reader, true) {
        Ok(r) => r,
        Err(code) => return code.into(),
    };
    let Ok(rec) = record::parse(&basic.data) else {
        return "8010".into();
    };
    let field6 = hc
        .and_then(|h| h.data.first().copied())
        .map(char::from)
        .filter(char::is_ascii_graphic)
        .unwrap_or('0');
    format!(
        "GetBasic:{},{},{},{},{},{field6}",
        rec.card_no,
        rec.id_no,
        rec.name,
        rec.birth,
        rec.sex.letter()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_parse() {
        assert_eq!(
            Fault::parse("code:8013"),
            Some(Fault::GetBasicCode("8013".into()))
        );
        assert_eq!(Fault::parse("code:80"), None);
        assert_eq!(Fault::parse("offline-gate"), Some(Fault::OfflineGate));
        assert_eq!(Fault::parse("nonsense"), None);
        assert_eq!(
            CertGeneration::parse("podman-2024"),
            Some(CertGeneration::Nhi2024)
        );
        assert_eq!(
            CertGeneration::parse("podman-regen"),
            Some(CertGeneration::PodmanRegen)
        );
    }

    #[test]
    fn signature_is_256_characters_and_passwords_stay_out_of_the_log() {
        assert_eq!(signature("00111234567890123456").len(), 256);
        assert_ne!(
            signature("00111234567890123456"),
            signature("00111234567890123457")
        );
        assert_eq!(
            loggable("EnCrypt?Pwd=abc12345"),
            "EnCrypt?Pwd=(8 characters)"
        );
        assert_eq!(loggable("GetVersion"), "GetVersion");
        assert_eq!(
            Fault::parse("sign:9001"),
            Some(Fault::SignCode("9001".into()))
        );
        assert_eq!(Fault::parse("online"), Some(Fault::Online));
        assert_eq!(Fault::parse("sign-short"), Some(Fault::SignShort));
        assert_eq!(
            Fault::parse("encrypt:8013"),
            Some(Fault::EnCryptCode("8013".into()))
        );
        assert_eq!(Fault::parse("encrypt:pw"), None);
    }

    #[test]
    fn page_is_the_component_page_at_its_real_length() {
        let page = page();
        assert_eq!(page.len(), 1350);
        assert!(
            page.contains("<title>已確任信任服務....</title>")
                && page.contains("已確認為可信任服務！")
                && page.contains("可自行手動關閉")
        );
        assert!(http_answer().starts_with(
            "HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: 1350 \r\n\r\n<!DOCTYPE html>"
        ));
    }
}

/// The fake against the observed bytes of the real component (real-component §2–4),
/// through raw TLS sockets rather than the checks, so a drift in the fake shows here and
/// not as a check that passes against a bridge that no longer looks like the real one.
#[cfg(test)]
mod wire_tests {
    use super::*;
    use crate::bridge::tls::{self, Waits};
    use crate::bridge::{Budget, Target, farewell};

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
            .write_all(
                ws::upgrade_request("/echo", "iccert.nhi.gov.tw:7777", origin, &key).as_bytes(),
            )
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
}
