//! A fake of the NHI component's local bridge, for the tests and the demo: a real TLS
//! server on 127.0.0.1 (an ephemeral port by default, listen backlog 1) that answers like
//! the official Linux component (mLNHIICC 20240710.1) was observed to answer — TLS 1.2 and
//! 1.3 only whatever the SNI, the 1350-byte page behind bare-LF headers, nothing at all to
//! HEAD, POST, garbage or an upgrade elsewhere than `/echo`, `/echo` upgrades with or
//! without `Origin`, unmasked text frames, bare 4-digit error codes, `4021` to everything
//! when offline — plus the ways other things on the port misbehave. `wire_tests` below
//! hold it to the observed bytes. `http`, `commands` and `card` hold its HTTP side, its
//! WebSocket command layer and its card reads. In the healthy mode `GetBasic` reads the card like the component does
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

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use super::certs::{CertGeneration, CertSet};
pub use super::fragile::Fragility;
use super::fragile::{self, Life};
use super::loopback::{Served, tls_acceptor};
use crate::system::SmartCards;

mod card;
mod commands;
mod http;
#[cfg(test)]
mod wire_tests;

pub use card::get_basic;
use http::{nginx_400, read_request, serve_tls};

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
            let life = server.life.clone();
            let fragility = server.fragility.clone();
            if let Some(tls) =
                fragile::accept(&server.tls, tcp, life, fragility, Duration::from_secs(10)).await
            {
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
}
