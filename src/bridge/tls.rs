//! TLS to the bridge without trusting it first: the handshake accepts any certificate
//! and records the chain the server sent, so an untrusted, expired or self-signed chain
//! can still be shown and judged. Trust is decided afterwards, separately, against the
//! system store and against the component's own `NHIRootCA.crt`.

use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use x509_cert::der::Decode;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};

use super::farewell::PoliteTcp;
use super::{Budget, NetError, Step, Target, within};
use crate::engine::outcome::{Msg, Value};

pub type BridgeStream = tokio_rustls::client::TlsStream<Tap<PoliteTcp>>;

pub fn provider() -> Arc<CryptoProvider> {
    static P: OnceLock<Arc<CryptoProvider>> = OnceLock::new();
    P.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

/// Accepts whatever certificate the server shows and keeps a copy. Handshake signatures
/// are still checked, so the recorded chain is the one the server holds the key for.
#[derive(Debug)]
struct Recorder {
    chain: Arc<Mutex<Vec<CertificateDer<'static>>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut chain = self.chain.lock().unwrap_or_else(|p| p.into_inner());
        chain.clear();
        chain.push(end_entity.clone().into_owned());
        chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TCP stream that keeps the first bytes the server sent, so a failed handshake can
/// say what answered instead (a plain web server's `HTTP/1.1 400 …`).
pub struct Tap<S> {
    inner: S,
    pub seen: Vec<u8>,
}

const TAP_MAX: usize = 2048;

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if self.seen.len() < TAP_MAX {
            let new = &buf.filled()[before..];
            let take = new.len().min(TAP_MAX - self.seen.len());
            let copy = new[..take].to_vec();
            self.seen.extend_from_slice(&copy);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A TLS connection and what was learnt while making it.
pub struct Connected {
    pub stream: BridgeStream,
    pub chain: Vec<CertificateDer<'static>>,
    pub peer: SocketAddr,
    pub version: String,
    pub cipher: String,
}

#[derive(Clone, Copy, Debug)]
pub struct Waits {
    pub connect: Duration,
    pub handshake: Duration,
}

/// Opens TCP to the target; the three ways that fails are told apart. The connection is
/// never simply dropped (see [`super::farewell`]).
pub async fn tcp(target: &Target, budget: &Budget, wait: Duration) -> Result<PoliteTcp, NetError> {
    within(Step::Connect, budget.step(wait), async {
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|e| {
                NetError::ConnectFailed(
                    Msg::new("value.net.cannot_resolve")
                        .arg("host", target.host.as_str())
                        .arg("error", e.to_string())
                        .into(),
                )
            })?
            .collect();
        let mut last = NetError::ConnectFailed(
            Msg::new("value.net.no_address")
                .arg("host", target.host.as_str())
                .into(),
        );
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => return Ok(PoliteTcp::new(s)),
                Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => last = NetError::Refused,
                Err(e) => last = NetError::ConnectFailed(e.to_string().into()),
            }
        }
        Err(last)
    })
    .await
}

/// A client offering `versions` that accepts any certificate and records the chain into
/// `chain` (the fake bridge's tests pin one version with it).
pub fn recording_config(
    versions: &[&'static rustls::SupportedProtocolVersion],
    chain: Arc<Mutex<Vec<CertificateDer<'static>>>>,
) -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = provider();
    Ok(
        rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_protocol_versions(versions)?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Recorder { chain, provider }))
            .with_no_client_auth(),
    )
}

/// TCP, then a TLS handshake with `sni`, accepting any certificate.
pub async fn connect(
    target: &Target,
    sni: &str,
    budget: &Budget,
    waits: Waits,
) -> Result<Connected, NetError> {
    let tcp = tcp(target, budget, waits.connect).await?;
    let peer = tcp
        .get_ref()
        .peer_addr()
        .map_err(|e| NetError::ConnectFailed(e.to_string().into()))?;
    let chain = Arc::new(Mutex::new(Vec::new()));
    let config = recording_config(
        &[&rustls::version::TLS13, &rustls::version::TLS12],
        chain.clone(),
    )
    .map_err(|e| NetError::TlsFailed(e.to_string().into()))?;
    let name = ServerName::try_from(sni.to_string()).map_err(|_| {
        NetError::TlsFailed(
            Msg::new("value.net.bad_server_name")
                .arg("name", sni)
                .into(),
        )
    })?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let handshake = connector
        .connect(
            name,
            Tap {
                inner: tcp,
                seen: Vec::new(),
            },
        )
        .into_fallible();
    let stream = within(Step::TlsHandshake, budget.step(waits.handshake), async {
        match handshake.await {
            Ok(s) => Ok(s),
            Err((e, tap)) => Err(handshake_error(&e, &tap.seen)),
        }
    })
    .await?;
    let chain = chain.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let (_, conn) = stream.get_ref();
    let version = conn
        .protocol_version()
        .and_then(|v| v.as_str())
        .unwrap_or("?")
        .replace('_', ".")
        .replace("TLSv1.", "TLS 1.");
    let cipher = conn
        .negotiated_cipher_suite()
        .and_then(|s| s.suite().as_str())
        .unwrap_or("?")
        .to_string();
    Ok(Connected {
        stream,
        chain,
        peer,
        version,
        cipher,
    })
}

/// Whatever the server sent first decides: not a TLS record at all means something else
/// (a plain web server) owns the port; otherwise the TLS error is reported.
fn handshake_error(e: &io::Error, seen: &[u8]) -> NetError {
    if !seen.is_empty() && !looks_like_tls(seen) {
        return NetError::NotTls {
            answer: seen.to_vec(),
        };
    }
    if seen.is_empty()
        && matches!(
            e.kind(),
            io::ErrorKind::UnexpectedEof
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
        )
    {
        return NetError::TlsFailed(Msg::new("value.net.closed_in_handshake").into());
    }
    let detail: Value = match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        Some(rustls::Error::AlertReceived(a)) => Msg::new("value.net.tls_alert")
            .arg("alert", format!("{a:?}"))
            .into(),
        Some(other) => other.to_string().into(),
        None => e.to_string().into(),
    };
    NetError::TlsFailed(detail)
}

/// A TLS record starts with content type 20–23 and version 3.x.
fn looks_like_tls(b: &[u8]) -> bool {
    (20..=23).contains(&b[0]) && b.get(1).is_none_or(|&v| v == 3)
}

/// What a certificate says, for the report and the checks. Fields that cannot be parsed
/// stay empty; `error` says why.
#[derive(Clone, Debug, Default)]
pub struct CertInfo {
    pub subject: String,
    pub issuer: String,
    pub san: Vec<San>,
    pub not_before: Option<SystemTime>,
    pub not_after: Option<SystemTime>,
    /// `Some(true)` for CA:TRUE; `None` when the extension is absent (e.g. a v1 root).
    pub ca: Option<bool>,
    pub sha256: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum San {
    Dns(String),
    Ip(std::net::IpAddr),
    Other(String),
}

impl std::fmt::Display for San {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            San::Dns(d) => write!(f, "DNS:{d}"),
            San::Ip(ip) => write!(f, "IP:{ip}"),
            San::Other(o) => f.write_str(o),
        }
    }
}

impl CertInfo {
    pub fn parse(der: &[u8]) -> CertInfo {
        let sha256 = fingerprint(der);
        match x509_cert::Certificate::from_der(der) {
            Ok(cert) => {
                let tbs = cert.tbs_certificate();
                let v = tbs.validity();
                let san = match tbs.get_extension::<SubjectAltName>() {
                    Ok(Some((_, SubjectAltName(names)))) => names.iter().map(san_of).collect(),
                    _ => Vec::new(),
                };
                let ca = tbs
                    .get_extension::<BasicConstraints>()
                    .ok()
                    .flatten()
                    .map(|(_, bc)| bc.ca);
                CertInfo {
                    subject: tbs.subject().to_string(),
                    issuer: tbs.issuer().to_string(),
                    san,
                    not_before: Some(UNIX_EPOCH + v.not_before.to_unix_duration()),
                    not_after: Some(UNIX_EPOCH + v.not_after.to_unix_duration()),
                    ca,
                    sha256,
                    error: None,
                }
            }
            Err(e) => CertInfo {
                sha256,
                error: Some(format!("unparsable certificate ({e})")),
                ..CertInfo::default()
            },
        }
    }

    pub fn self_issued(&self) -> bool {
        self.error.is_none() && self.subject == self.issuer
    }

    pub fn expired_at(&self, now: SystemTime) -> bool {
        self.not_after.is_some_and(|t| t < now)
    }

    pub fn not_yet_valid_at(&self, now: SystemTime) -> bool {
        self.not_before.is_some_and(|t| t > now)
    }

    pub fn expires_within(&self, now: SystemTime, window: Duration) -> bool {
        self.not_after.is_some_and(|t| t >= now && t < now + window)
    }

    /// One line for the report: subject, issuer, SAN, validity, fingerprint.
    pub fn describe(&self) -> String {
        if let Some(e) = &self.error {
            return format!("{e}; SHA-256 {}", self.sha256);
        }
        let san = if self.san.is_empty() {
            "-".to_string()
        } else {
            self.san
                .iter()
                .map(San::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        let ca = match self.ca {
            Some(true) => "CA:TRUE",
            Some(false) => "CA:FALSE",
            None => "no basicConstraints",
        };
        format!(
            "subject {}; issuer {}; SAN {san}; {ca}; valid {} → {}; SHA-256 {}",
            self.subject,
            self.issuer,
            date(self.not_before),
            date(self.not_after),
            self.sha256
        )
    }

    /// Whether the certificate names `name` in its SAN, the way browsers match: DNS names
    /// case-insensitively with a `*.` wildcard for one label, IP addresses only against IP
    /// entries. The 2019 certificate lists `127.0.0.1` as a DNS name, which browsers do
    /// not accept for an address; `ip_as_dns` tells that case apart.
    pub fn covers(&self, name: &str) -> Coverage {
        if let Ok(ip) = name.parse::<std::net::IpAddr>() {
            if self.san.contains(&San::Ip(ip)) {
                return Coverage::Yes;
            }
            let as_dns = self
                .san
                .iter()
                .any(|s| matches!(s, San::Dns(d) if d == name));
            return if as_dns {
                Coverage::IpListedAsDns
            } else {
                Coverage::No
            };
        }
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let hit = self.san.iter().any(|s| match s {
            San::Dns(d) => dns_matches(&d.to_ascii_lowercase(), &name),
            _ => false,
        });
        if hit { Coverage::Yes } else { Coverage::No }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coverage {
    Yes,
    No,
    IpListedAsDns,
}

fn dns_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.trim_end_matches('.');
    match pattern.strip_prefix("*.") {
        Some(suffix) => name
            .split_once('.')
            .is_some_and(|(first, rest)| !first.is_empty() && rest == suffix),
        None => pattern == name,
    }
}

fn san_of(n: &GeneralName) -> San {
    match n {
        GeneralName::DnsName(d) => San::Dns(super::printable(d.as_str().as_bytes(), 253)),
        GeneralName::IpAddress(o) => match o.as_bytes().len() {
            4 => San::Ip(std::net::IpAddr::from(
                <[u8; 4]>::try_from(o.as_bytes()).unwrap_or_default(),
            )),
            16 => San::Ip(std::net::IpAddr::from(
                <[u8; 16]>::try_from(o.as_bytes()).unwrap_or_default(),
            )),
            _ => San::Other("IP:(malformed)".into()),
        },
        GeneralName::Rfc822Name(m) => San::Other(format!(
            "email:{}",
            super::printable(m.as_str().as_bytes(), 120)
        )),
        GeneralName::UniformResourceIdentifier(u) => San::Other(format!(
            "URI:{}",
            super::printable(u.as_str().as_bytes(), 120)
        )),
        _ => San::Other("other".into()),
    }
}

/// `AB:CD:…` SHA-256 of the DER, the form openssl and browsers show.
impl CertInfo {
    /// The common name, else the whole subject; a certificate that does not parse says why.
    pub fn short_name(&self) -> String {
        if let Some(e) = &self.error {
            return e.clone();
        }
        self.subject
            .split(',')
            .find_map(|part| part.strip_prefix("CN="))
            .map(str::to_string)
            .unwrap_or_else(|| self.subject.clone())
    }
}

pub fn fingerprint(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    d.as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

pub fn date(t: Option<SystemTime>) -> String {
    match t {
        Some(t) => chrono::DateTime::<chrono::Utc>::from(t)
            .format("%Y-%m-%d %H:%M:%SZ")
            .to_string(),
        None => "?".into(),
    }
}

/// Why a certificate file gave no certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    Io(String),
    /// Read, but neither PEM nor DER.
    NoCertificate,
}

impl LoadError {
    /// For a report, in its language.
    pub fn value(&self) -> Value {
        match self {
            LoadError::Io(e) => e.as_str().into(),
            LoadError::NoCertificate => Msg::new("value.cert_file.no_certificate").into(),
        }
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.value().render(false))
    }
}

/// Certificates from a PEM file (one or more blocks) or a single DER file.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, LoadError> {
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io(e.to_string()))?;
    let pem: Vec<_> = CertificateDer::pem_slice_iter(&bytes)
        .filter_map(Result::ok)
        .collect();
    if !pem.is_empty() {
        return Ok(pem);
    }
    if bytes.first() == Some(&0x30) {
        return Ok(vec![CertificateDer::from(bytes)]);
    }
    Err(LoadError::NoCertificate)
}

/// The trust anchors of one source and how they were loaded.
pub struct Anchors {
    pub store: RootCertStore,
    pub loaded: usize,
    pub unusable: usize,
    /// The first problem met while loading the system store, if any.
    pub error: Option<String>,
}

impl Anchors {
    pub fn from_certs(certs: &[CertificateDer<'static>]) -> Anchors {
        let mut store = RootCertStore::empty();
        let (loaded, unusable) = store.add_parsable_certificates(certs.iter().cloned());
        Anchors {
            store,
            loaded,
            unusable,
            error: None,
        }
    }

    /// The system store as TLS clients on this machine see it (`SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` are honoured, as by OpenSSL).
    pub fn system() -> Anchors {
        let r = rustls_native_certs::load_native_certs();
        Anchors {
            error: r.errors.first().map(|e| e.to_string()),
            ..Anchors::from_certs(&r.certs)
        }
    }

    /// `145 certificates` (`, 2 unusable`) (` (error)`), in the report's language.
    pub fn note(&self) -> Msg {
        let count = if self.unusable == 0 {
            Msg::new("value.anchors.count").arg("count", self.loaded.to_string())
        } else {
            Msg::new("value.anchors.count_unusable")
                .arg("count", self.loaded.to_string())
                .arg("unusable", self.unusable.to_string())
        };
        match &self.error {
            Some(e) => Msg::new("value.with_note")
                .arg("text", count)
                .arg("note", e.as_str()),
            None => count,
        }
    }
}

/// Result of verifying a chain against one set of anchors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trust {
    Trusted,
    /// The chain leads to an anchor but a certificate is outside its validity; judged by
    /// the expiry checks, not as distrust.
    TrustedButOutOfDate,
    /// Why, as the verifier said it (a library error, or a phrase of ours).
    Untrusted(Value),
}

/// The chain the component served, as the TLS check captured it, for the checks that judge
/// it against each browser's own store.
#[derive(Clone, Debug)]
pub struct ServedChain {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The names the eCPA page connects to.
    pub names: Vec<String>,
}

/// Whether `chain` (leaf first) leads to one of `anchors` by signature, names aside.
pub fn verify(
    chain: &[CertificateDer<'static>],
    anchors: &RootCertStore,
    now: SystemTime,
    infos: &[CertInfo],
) -> Trust {
    let Some(leaf) = chain.first() else {
        return Trust::Untrusted(Msg::new("value.trust.no_certificate").into());
    };
    if anchors.is_empty() {
        return Trust::Untrusted(Msg::new("value.trust.no_anchors").into());
    }
    let parsed = match rustls::server::ParsedCertificate::try_from(leaf) {
        Ok(p) => p,
        Err(e) => return Trust::Untrusted(e.to_string().into()),
    };
    let algs = provider().signature_verification_algorithms.all;
    let at = |t: SystemTime| {
        UnixTime::since_unix_epoch(t.duration_since(UNIX_EPOCH).unwrap_or_default())
    };
    match rustls::client::verify_server_cert_signed_by_trust_anchor(
        &parsed,
        anchors,
        &chain[1..],
        at(now),
        algs,
    ) {
        Ok(()) => Trust::Trusted,
        Err(rustls::Error::InvalidCertificate(e)) if out_of_date(&e) => {
            // Ask again at a moment when every certificate was valid, to learn whether
            // the chain would be trusted at all.
            let moment = infos
                .iter()
                .filter_map(|i| i.not_before)
                .max()
                .map(|t| t + Duration::from_secs(1));
            match moment.map(|m| {
                rustls::client::verify_server_cert_signed_by_trust_anchor(
                    &parsed,
                    anchors,
                    &chain[1..],
                    at(m),
                    algs,
                )
            }) {
                Some(Ok(())) => Trust::TrustedButOutOfDate,
                Some(Err(e)) => Trust::Untrusted(e.to_string().into()),
                None => Trust::Untrusted(e_to_string(&e).into()),
            }
        }
        Err(e) => Trust::Untrusted(e.to_string().into()),
    }
}

fn out_of_date(e: &CertificateError) -> bool {
    matches!(
        e,
        CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. }
    )
}

fn e_to_string(e: &CertificateError) -> String {
    rustls::Error::InvalidCertificate(e.clone()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_certificates_do_not_panic() {
        for der in [&b""[..], b"\x30", b"\x30\x03\x02\x01\x00", &[0xFF; 300]] {
            let info = CertInfo::parse(der);
            assert!(info.error.is_some());
            assert!(!info.self_issued());
            assert!(info.describe().contains("SHA-256"));
        }
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(dns_matches("*.nhi.gov.tw", "iccert.nhi.gov.tw"));
        assert!(!dns_matches("*.gov.tw", "iccert.nhi.gov.tw"));
        assert!(
            dns_matches("ICCERT.nhi.gov.tw.", "iccert.nhi.gov.tw")
                || dns_matches("iccert.nhi.gov.tw", "iccert.nhi.gov.tw")
        );
    }

    #[test]
    fn ip_listed_as_dns_is_told_apart() {
        let info = CertInfo {
            san: vec![
                San::Dns("127.0.0.1".into()),
                San::Dns("iccert.nhi.gov.tw".into()),
            ],
            ..CertInfo::default()
        };
        assert_eq!(info.covers("127.0.0.1"), Coverage::IpListedAsDns);
        assert_eq!(info.covers("ICCERT.nhi.gov.tw"), Coverage::Yes);
        assert_eq!(info.covers("localhost"), Coverage::No);
    }

    #[test]
    fn fingerprint_format() {
        let fp = fingerprint(b"abc");
        assert_eq!(fp.len(), 32 * 3 - 1);
        assert!(fp.starts_with("BA:78:16:BF"));
    }

    #[test]
    fn tls_records_are_recognised() {
        assert!(looks_like_tls(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]));
        assert!(looks_like_tls(&[0x16]));
        assert!(!looks_like_tls(b"HTTP/1.1 400 Bad Request"));
    }
}
