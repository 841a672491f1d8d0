//! A fake of the NHI component's local bridge, for the tests and the demo: a real TLS
//! server on 127.0.0.1 (an ephemeral port by default) that answers like the official
//! Linux component (mLNHIICC 20240710.1) was observed to answer — the bare-LF HTTP page,
//! `/echo` upgrades with or without `Origin`, unmasked text frames, bare 4-digit error
//! codes, `4021` to everything when offline — plus the ways other things on the port
//! misbehave. In the healthy mode `GetBasic` reads the card like the component does
//! (SELECT, `00 CA 11 00 02 00 00 00`, `00 CA 24 00 02 00 00 00`, leave the card) through
//! the `SmartCards` it is given: the real pcscd in tests, a simulated one in the demo.
//!
//! It runs on its own thread and runtime, so a blocking test and an async demo can both
//! start it; dropping the handle stops it.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

pub use super::certs::{CertGeneration, CertSet};
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
}

impl Fault {
    /// Names for the demo's scenario files: `healthy`, `offline-gate`, `code:8013`…
    pub fn parse(s: &str) -> Option<Fault> {
        if let Some(code) = s.strip_prefix("code:") {
            return crate::bridge::codes::is_code(code).then(|| Fault::GetBasicCode(code.to_string()));
        }
        if let Some(code) = s.strip_prefix("sign:") {
            return crate::bridge::codes::is_code(code).then(|| Fault::SignCode(code.to_string()));
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
}

impl BridgeConfig {
    pub fn new(certs: CertGeneration, fault: Fault) -> BridgeConfig {
        BridgeConfig { certs, fault, cards: None, reader: None }
    }
}

/// A running fake bridge; dropping it stops the server.
pub struct FakeBridge {
    addr: SocketAddr,
    certs: CertSet,
    log: Arc<Mutex<Vec<String>>>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// What the HTTP page and the WebSocket upgrade look like on the wire (observed bytes:
/// header lines end in a bare `\n`, the length has a trailing space).
const PAGE: &str = "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF8\"/><title>已確任信任服務....</title></head><body><table><tr><th>已確認為可信任服務！</th></tr><tr><td>可自行手動關閉</td></tr><tr><td><input type=\"button\" value=\"關閉\" onclick=\"window.close()\"/></td></tr></table></body></html>";

const VERSION: &str = "0011";

struct Server {
    fault: Fault,
    tls: tokio_rustls::TlsAcceptor,
    cards: Option<Arc<dyn SmartCards>>,
    reader: Option<String>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn note(&self, line: String) {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
}

impl FakeBridge {
    /// On 127.0.0.1 and a free port.
    pub fn start(cfg: BridgeConfig) -> io::Result<FakeBridge> {
        FakeBridge::start_on(std::net::TcpListener::bind("127.0.0.1:0")?, cfg)
    }

    pub fn start_on(listener: std::net::TcpListener, cfg: BridgeConfig) -> io::Result<FakeBridge> {
        let certs = cfg.certs.generate().map_err(io::Error::other)?;
        let tls = rustls::ServerConfig::builder_with_provider(crate::bridge::tls::provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(io::Error::other)?
            .with_no_client_auth()
            .with_single_cert(certs.chain.clone(), certs.key.clone_key())
            .map_err(io::Error::other)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let server =
            Arc::new(Server { fault: cfg.fault, tls: tokio_rustls::TlsAcceptor::from(Arc::new(tls)), cards: cfg.cards, reader: cfg.reader, log: log.clone() });
        let (tx, rx) = oneshot::channel();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        let thread = std::thread::Builder::new().name(format!("fake-bridge-{}", addr.port())).spawn(move || {
            rt.block_on(async move {
                match TcpListener::from_std(listener) {
                    Ok(l) => accept_loop(l, server, rx).await,
                    Err(e) => eprintln!("fake bridge: {e}"),
                }
            });
            // Connections still open (a silent one, a slow card read) end here.
            rt.shutdown_timeout(Duration::from_millis(500));
        })?;
        Ok(FakeBridge { addr, certs, log, shutdown: Some(tx), thread: Some(thread) })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
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

impl Drop for FakeBridge {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, server: Arc<Server>, mut stop: oneshot::Receiver<()>) {
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    tokio::spawn(handle(server.clone(), tcp));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }
}

async fn handle(server: Arc<Server>, mut tcp: TcpStream) {
    match &server.fault {
        Fault::Silent => {
            // Keep the socket open and say nothing until the server stops.
            std::future::pending::<()>().await;
            drop(tcp);
        }
        Fault::TlsAlert => {
            let mut hello = [0u8; 1024];
            let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut hello)).await;
            let _ = tcp.write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]).await;
        }
        Fault::SshBanner => {
            let _ = tcp.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n").await;
            let mut hello = [0u8; 1024];
            if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut hello)).await
                && n > 0
            {
                let _ = tcp.write_all(b"Invalid SSH identification string.\r\n").await;
            }
        }
        Fault::PlainHttp => {
            let mut first = [0u8; 1024];
            if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut first)).await
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
            let accepted = tokio::time::timeout(Duration::from_secs(10), server.tls.accept(tcp)).await;
            if let Ok(Ok(tls)) = accepted {
                serve_tls(&server, tls).await;
            }
        }
    }
}

fn nginx_400() -> String {
    let body = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
    format!("HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
}

/// Reads a request head (bounded); with `need_http`, bytes that never become an HTTP
/// request line keep it waiting, like a line-based server given a TLS hello.
async fn read_request<S: AsyncRead + Unpin>(s: &mut S, need_http: bool) -> Option<(String, Vec<u8>)> {
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
    head.lines().skip(1).filter_map(|l| l.split_once(':')).find(|(k, _)| k.trim().eq_ignore_ascii_case(name)).map(|(_, v)| v.trim())
}

async fn serve_tls<S: AsyncRead + AsyncWrite + Unpin>(server: &Server, mut s: S) {
    let Some((head, rest)) = read_request(&mut s, false).await else { return };
    let request_line = head.lines().next().unwrap_or_default().trim_end().to_string();
    server.note(request_line.clone());
    server.note(format!("Host: {}", header(&head, "host").unwrap_or("(none)")));
    server.note(format!("Origin: {}", header(&head, "origin").unwrap_or("(none)")));
    let mut parts = request_line.split_ascii_whitespace();
    let (method, path) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
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
            let Some(key) = header(&head, "sec-websocket-key") else { return };
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
            let reply = format!(
                "HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: {} \r\n\r\n{PAGE}",
                PAGE.len()
            );
            let _ = s.write_all(reply.as_bytes()).await;
            let _ = s.shutdown().await;
        }
    }
}

async fn huge_body<S: AsyncWrite + Unpin>(s: &mut S) {
    const TOTAL: usize = 100 * 1024 * 1024;
    let head = format!("HTTP/1.1 200 OK\r\nServer: bulk/1.0\r\nContent-Type: application/octet-stream\r\nContent-Length: {TOTAL}\r\n\r\n");
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
        let Ok(frame) = frames.next(s, 64 * 1024, Duration::from_secs(60)).await else { return };
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
    let _ = s.write_all(&ws::encode(ws::OP_TEXT, code.as_bytes(), None)).await;
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
        let Some(cards) = server.cards.clone() else { return "8013".into() };
        let reader = server.reader.clone();
        return tokio::task::spawn_blocking(move || get_basic(cards.as_ref(), reader.as_deref())).await.unwrap_or_else(|_| "8013".into());
    }
    if command.starts_with("GetVersion") {
        return format!("GetVersion:{VERSION}");
    }
    if command.starts_with("GetRandom") {
        let mut b = [0u8; 16];
        ws::fill_random(&mut b);
        return format!("GetRandom:{}", b.iter().map(|x| char::from(b'0' + x % 10)).collect::<String>());
    }
    if command.starts_with("H_SignIPAndPort") {
        return "H_SignIPAndPort:4061".into();
    }
    if let Some(random) = command.strip_prefix("H_Sign?Random=") {
        return match &server.fault {
            Fault::Online => format!("H_Sign:{}", signature(random)),
            Fault::SignCode(code) => code.clone(),
            // Signing needs cloudicap.nhi.gov.tw, which a loopback fake never reaches.
            _ => "4061".into(),
        };
    }
    if let Some(pwd) = command.strip_prefix("EnCrypt?Pwd=") {
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
    let Some(cards) = server.cards.clone() else { return "8013".into() };
    let reader = server.reader.clone();
    tokio::task::spawn_blocking(move || f(cards.as_ref(), reader.as_deref())).await.unwrap_or_else(|_| "8013".into())
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
    ctx.finish().as_ref().iter().take(len).map(|b| format!("{b:02X}")).collect()
}

/// `EnCrypt?Pwd=`: SELECT and the basic record, then 48 hex characters keyed by the card
/// and the date (the real one is 3DES; the length and the inputs are what matter here).
/// A password outside 6–12 characters is `8009`, as a third-party agent documents.
fn encrypt(cards: &dyn SmartCards, reader: Option<&str>, pwd: &str) -> String {
    if !(6..=12).contains(&pwd.chars().count()) {
        return "8009".into();
    }
    match read_card(cards, reader, false) {
        Ok((basic, _)) => format!("EnCrypt:{}", hex_digest(&[&basic.data[..12.min(basic.data.len())], key_date().as_bytes(), pwd.as_bytes()], 24)),
        Err(code) => code.into(),
    }
}

/// `SecureGetBasicWithParam?Pwd=`: the card data encrypted with a date key, 112 hex
/// characters; the password is not used (as a third-party agent notes).
fn secure_basic(cards: &dyn SmartCards, reader: Option<&str>) -> String {
    match read_card(cards, reader, true) {
        Ok((basic, _)) => format!("SecureGetBasicWithParam:{}", hex_digest(&[&basic.data, key_date().as_bytes()], 56)),
        Err(code) => code.into(),
    }
}

/// SELECT, the basic record and (for GetBasic-like commands) the `24` record, from the
/// first reader or the configured one, card left as it was. Errors are the bare codes the
/// component gives: `8013` no card/reader/service, `7004` SELECT refused, `8010` a record
/// refused.
fn read_card(cards: &dyn SmartCards, reader: Option<&str>, with_hc: bool) -> Result<(Response, Option<Response>), &'static str> {
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
    let hc = if with_hc { Some(send(&apdu::READ_HC_DATA).map_err(|_| "8013")?) } else { None };
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
    let Ok(rec) = record::parse(&basic.data) else { return "8010".into() };
    let field6 = hc.and_then(|h| h.data.first().copied()).map(char::from).filter(char::is_ascii_graphic).unwrap_or('0');
    format!("GetBasic:{},{},{},{},{},{field6}", rec.card_no, rec.id_no, rec.name, rec.birth, rec.sex.letter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_names_parse() {
        assert_eq!(Fault::parse("code:8013"), Some(Fault::GetBasicCode("8013".into())));
        assert_eq!(Fault::parse("code:80"), None);
        assert_eq!(Fault::parse("offline-gate"), Some(Fault::OfflineGate));
        assert_eq!(Fault::parse("nonsense"), None);
        assert_eq!(CertGeneration::parse("podman-2024"), Some(CertGeneration::Podman2024));
    }

    #[test]
    fn signature_is_256_characters_and_passwords_stay_out_of_the_log() {
        assert_eq!(signature("00111234567890123456").len(), 256);
        assert_ne!(signature("00111234567890123456"), signature("00111234567890123457"));
        assert_eq!(loggable("EnCrypt?Pwd=abc12345"), "EnCrypt?Pwd=(8 characters)");
        assert_eq!(loggable("GetVersion"), "GetVersion");
        assert_eq!(Fault::parse("sign:9001"), Some(Fault::SignCode("9001".into())));
        assert_eq!(Fault::parse("online"), Some(Fault::Online));
    }

    #[test]
    fn page_is_the_component_page() {
        assert!(PAGE.contains("已確認為可信任服務！"));
    }
}
