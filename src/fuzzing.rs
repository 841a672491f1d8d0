//! The bodies of the fuzz targets in `fuzz/fuzz_targets/`, one function per target, each
//! taking the fuzzer's input and panicking when a property fails.
//!
//! They live in the library, not in the targets, so `tests/fuzz_corpus.rs` runs the seed
//! corpus and mutations of it through exactly the same code on every `cargo test`, without
//! libFuzzer; the targets themselves are one-line calls. Not an API: hidden from the docs.

use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime};

use chrono::NaiveDate;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::account::known;
use crate::bridge::codes;
use crate::bridge::http::{self, Limits};
use crate::bridge::tls::CertInfo;
use crate::bridge::ws::{self, FrameError, FrameReader, Message};
use crate::component::{elf, glibc, hosts, plist};
use crate::engine::profile::Profile;
use crate::nhi::apdu::{self, Response};
use crate::nhi::record::{self, RocDate};
use crate::probes::service_window::{parse_time, parse_windows};

/// A target's body: takes the input, panics when a property fails.
pub type Target = fn(&[u8]);

/// Every target by the name of its `fuzz/fuzz_targets/<name>.rs` and `fuzz/corpus/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("card_record", card_record),
    ("apdu", apdu),
    ("bridge_ws", bridge_ws),
    ("bridge_http", bridge_http),
    ("x509", x509),
    ("profile", profile),
    ("known_message", known_message),
    ("service_window", service_window),
    ("component_files", component_files),
    ("browser_files", browser_files),
    ("nss_db", nss_db),
    ("fleet_report", fleet_report),
];

/// The 57-byte basic-data record as a card (or anything posing as one) returns it:
/// structural parse, then the plausibility checks against a "today" taken from the input.
pub fn card_record(data: &[u8]) {
    let (today, record_bytes) = split_today(data);
    if let Ok(rec) = record::parse(record_bytes) {
        for a in record::plausibility(&rec, today) {
            let _ = (a.code(), a.is_hard(), a.to_string());
        }
        let _ = (rec.birth.to_gregorian(), rec.issued.to_gregorian());
    }
    if let Ok(text) = std::str::from_utf8(record_bytes) {
        let _ = RocDate::parse(text).map(|d| d.to_gregorian());
    }
}

/// The first two bytes pick a day between 1970 and 2149 (the local clock is not the
/// hostile part, but it may be wrong); the rest is the card's answer.
fn split_today(data: &[u8]) -> (NaiveDate, &[u8]) {
    let base = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    match data {
        [a, b, rest @ ..] => (
            base + chrono::Days::new(u64::from(u16::from_le_bytes([*a, *b]))),
            rest,
        ),
        _ => (base + chrono::Days::new(20_000), data),
    }
}

/// The card's answers to an APDU exchange: the input is a script of answers (each a
/// length byte and that many bytes), replayed in order; the exchange must end (no endless
/// GET RESPONSE loop) and never panic, whatever the card says.
pub fn apdu(data: &[u8]) {
    let mut answers = chunks(data);
    let mut sent = 0usize;
    let result = apdu::exchange(&apdu::READ_BASIC, |_cmd| {
        sent += 1;
        answers.next().ok_or("the card went away")
    });
    // One command, one 6Cxx retry, at most eight GET RESPONSE rounds.
    assert!(sent <= 10, "{sent} transmits for one exchange");
    if let Ok(r) = result {
        let _ = (r.is_ok(), r.sw1(), r.sw2(), apdu::sw_meaning(r.sw));
    }
    if let Some(r) = Response::parse(data) {
        let _ = apdu::sw_meaning(r.sw);
    }
}

fn chunks(mut data: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    std::iter::from_fn(move || {
        let (&len, rest) = data.split_first()?;
        let take = usize::from(len).min(rest.len());
        let (chunk, tail) = rest.split_at(take);
        data = tail;
        Some(chunk.to_vec())
    })
}

/// What the bridge sends after the WebSocket upgrade: frames decoded by the same reader the
/// `bridge_protocol` check uses (pings answered, fragments joined, sizes capped), every
/// text reply then judged the way the check does (bare 4-digit code → catalogue).
pub fn bridge_ws(data: &[u8]) {
    // The first byte splits the input: bytes that came with the upgrade answer, and bytes
    // read from the socket afterwards.
    let (already, wire) = match data.split_first() {
        Some((&n, rest)) => rest.split_at(usize::from(n).min(rest.len())),
        None => (&[][..], data),
    };
    block_on(async {
        let mut peer = Peer {
            rx: wire,
            tx: Vec::new(),
        };
        let mut frames = FrameReader::new(already.to_vec());
        for _ in 0..16 {
            match ws::read_message(&mut peer, &mut frames, 4096, Duration::from_millis(50)).await {
                Ok(Message::Text(t)) => judge(&t),
                Ok(Message::Close(_))
                | Err(FrameError::Closed { .. } | FrameError::Timeout | FrameError::Io(_)) => break,
                Ok(_) | Err(FrameError::TooLarge { .. }) => {}
            }
        }
    });
}

fn judge(reply: &str) {
    if codes::is_code(reply) {
        let entry = codes::lookup(reply);
        let _ = entry.map_or(codes::UNKNOWN_FINDING, |e| e.finding.as_str());
    }
    if let Some(payload) = reply.strip_prefix("GetBasic:") {
        let _ = payload.split(',').count();
    }
}

/// The bridge's side of the socket: reads come from the input, writes (pongs) are kept.
struct Peer<'a> {
    rx: &'a [u8],
    tx: Vec<u8>,
}

impl AsyncRead for Peer<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.rx).poll_read(cx, buf)
    }
}

impl AsyncWrite for Peer<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.tx.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Whatever answers on the bridge port over HTTP: the head parser (bare LF, partial
/// heads), the bounded response reader with and without a body, and the page title.
pub fn bridge_http(data: &[u8]) {
    if let Some(end) = http::head_end(data) {
        assert!(end <= data.len());
    }
    if let Some((head, body_at)) = http::parse_head(data) {
        assert!(body_at <= data.len());
        let _ = (head.header("server"), head.content_length());
    }
    let _ = http::html_title(data);
    // Small limits so the caps and the truncation paths are reached by small inputs.
    let limits = Limits {
        head_max: 512,
        body_max: 256,
    };
    block_on(async {
        for with_body in [false, true] {
            let mut r = data;
            if let Ok(resp) =
                http::read_response(&mut r, limits, Duration::from_millis(50), with_body).await
            {
                assert!(
                    resp.body.len() <= limits.body_max,
                    "body {} over the cap",
                    resp.body.len()
                );
                let _ = http::html_title(&resp.body);
            }
        }
    });
}

/// One single-threaded runtime for every input, built once: building one per input would
/// dominate the fuzzer's time. Callers on other threads (the corpus test) take turns.
fn block_on<F: Future>(future: F) -> F::Output {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
    .block_on(future)
}

/// A certificate as the bridge (or an impostor) sends it: DER parsed for the report and
/// the name, date and self-signature judgements of the `tls_certificate` check.
pub fn x509(data: &[u8]) {
    let info = CertInfo::parse(data);
    let now = SystemTime::now();
    let _ = (
        info.describe(),
        info.self_issued(),
        info.expired_at(now),
        info.not_yet_valid_at(now),
    );
    let _ = info.expires_within(now, Duration::from_secs(7 * 86_400));
    for name in [
        "iccert.nhi.gov.tw",
        "localhost",
        "127.0.0.1",
        "::1",
        "ICCERT.NHI.GOV.TW.",
    ] {
        let _ = info.covers(name);
    }
}

/// A profile file as an operator (or a broken editor) writes it: YAML, kinds and their
/// params, `needs` graph. Errors must come back as `file:line:column` values.
pub fn profile(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Profile::parse(text, "fuzz.yaml", crate::probes::KINDS) {
        Ok(p) => {
            for c in &p.checks {
                let _ = p.with_dependents(&c.id);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Text a user pasted from eCPA, NHI or the component: normalised and matched against
/// the known messages (codes as whole tokens, parts, similarity).
pub fn known_message(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = known::normalise(&text);
    match known::classify(&text, known::builtin()) {
        known::Match::Text { score, .. } => assert!((0.0..=1.0).contains(&score)),
        known::Match::Unknown { closest } => assert!(closest.len() <= 3),
        known::Match::Code { .. } => {}
    }
}

/// Maintenance windows as NHI announces them (ROC dates, full-width digits) or as ISO
/// times: one time alone, one relative to a start, and whole window files.
pub fn service_window(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(start) = parse_time(text, None) {
        let _ = parse_time(text, Some(start));
    }
    // The second line relative to the first, as a window's end follows its start.
    if let Some((a, b)) = text.split_once('\n')
        && let Ok(start) = parse_time(a, None)
    {
        let _ = parse_time(b, Some(start));
    }
    let _ = parse_windows(text);
}

/// Files of the component's install as ecpa-doctor reads them: the daemon's ELF (dynamic
/// section, NEEDED, RPATH/RUNPATH, symbol version needs and definitions, and the glibc
/// comparison made from them), macOS launch-daemon plists, and the hosts file.
pub fn component_files(data: &[u8]) {
    if let Ok(info) = elf::parse(data) {
        let _ = elf::describe(info.class, info.machine);
        let _ = glibc::describe_needs(&info.version_needs);
        let _ = glibc::glibc_libraries(&info.version_needs);
        if let Some(top) = glibc::highest(&info.version_defs) {
            let _ = glibc::newer_than(&info.version_needs, top);
        }
    }
    let _ = elf::ident(data);
    let _ = plist::read_daemon(data);
    let text = String::from_utf8_lossy(data);
    for line in hosts::lines_for(&text, "iccert.nhi.gov.tw") {
        if let Some(addr) = line.addr {
            let _ = hosts::place(addr);
        }
    }
}

/// An NSS certificate database (`cert9.db`) as a hostile disk may hold it: SQLite bytes,
/// valid or not; the reader answers with certificates or an error, never a panic, and
/// the trust judgement over whatever it read stays total.
pub fn nss_db(data: &[u8]) {
    use crate::browser::{nss, trust};
    if let Ok(certs) = nss::read(data) {
        let chain: Vec<_> = certs
            .iter()
            .take(3)
            .map(|c| rustls::pki_types::CertificateDer::from(c.der.clone()))
            .collect();
        let _ = trust::judge(&chain, &certs, std::time::SystemTime::now());
    }
}

/// A browser's files as a hostile user or disk may leave them: the bytes as a Chromium
/// `Preferences`, as a managed policy file, as a `Last Version`, as Firefox's
/// `profiles.ini`, `prefs.js`, `cert_override.txt`, as a `mimeapps.list`, as proxy
/// settings, as a macOS managed-preferences plist and as a GNOME dconf database; whatever they hold, the readers answer with data or an error and the
/// decisions stay consistent.
pub fn browser_files(data: &[u8]) {
    use crate::browser::{ECPA_HOST, chromium, dconf, default, firefox, lna, macos, policy, proxy};
    if let Ok(db) = dconf::read(data)
        && let Some(d) = proxy::gnome(&db, "iccert.nhi.gov.tw", 7777)
        && let proxy::Route::Proxy(_) = d.route
    {
        assert!(!proxy::chromium_bypasses(
            &d.bypass,
            "iccert.nhi.gov.tw",
            7777
        ));
    }
    if let Ok(v) = macos::plist_json(data) {
        let mut pol = policy::LnaPolicies::default();
        let _ = pol.add_file(v.to_string().as_bytes());
        let _ = proxy::chromium_policy(&v, "iccert.nhi.gov.tw", 7777);
    }
    let _ = firefox::lna(&String::from_utf8_lossy(data), None, ECPA_HOST);
    const ICCERT: &str = "iccert.nhi.gov.tw";
    for d in chromium::cert_decisions(data) {
        assert!(!d.host.is_empty());
    }
    for p in firefox::profiles(data) {
        assert!(!p.path.is_empty());
    }
    let _ = firefox::last_version(data);
    for o in firefox::overrides(data) {
        assert_eq!(o.sha256, o.sha256.to_ascii_uppercase());
    }
    let text = String::from_utf8_lossy(data);
    let look = |k: &str| firefox::pref(&text, k).map(str::to_string);
    let _ = proxy::firefox(&look, ICCERT, 7777);
    let _ = proxy::chromium_flags(&text, ICCERT, 7777);
    let vars = proxy::environment_file(data);
    if let Some(d) = proxy::from_environment(&vars, ICCERT, 7777) {
        // A bypass that covers the name always sends it direct.
        if proxy::no_proxy_bypasses(&d.bypass, ICCERT, 7777) {
            assert_eq!(d.route, proxy::Route::Direct, "{d:?}");
        }
    }
    let merged = policy::merged(&[data.to_vec()]);
    if let Some(d) = proxy::chromium_policy(&merged, ICCERT, 7777)
        && let proxy::Route::Proxy(_) = d.route
    {
        assert!(!proxy::chromium_bypasses(&d.bypass, ICCERT, 7777), "{d:?}");
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = proxy::firefox_policy(&v, ICCERT, 7777);
    }
    if let Some(Some(b)) = default::https_handler(data) {
        assert!(
            ["Google Chrome", "Microsoft Edge", "Chromium", "Firefox"].contains(&b),
            "{b}"
        );
    }
    let major = lna::major_version(data);
    if let Some(m) = major {
        let s = lna::scope(m);
        assert!(
            !s.websocket || s.fetch,
            "WebSockets came under LNA after fetch"
        );
    }
    if let Ok(p) = lna::ProfileLna::parse(data) {
        for m in [None, Some(143), Some(156)] {
            if let lna::Decision::Stored { pattern, .. } = p.decision(ECPA_HOST, m) {
                assert!(lna::primary_covers(&pattern, ECPA_HOST), "{pattern}");
            }
        }
    }
    let mut pol = policy::LnaPolicies::default();
    if pol.add_file(data).is_ok()
        && let Some(d) = pol.decision(ECPA_HOST)
    {
        assert!(
            d.entry == "true" || lna::primary_covers(&d.entry, ECPA_HOST),
            "{d:?}"
        );
    }
}

/// A report file a fleet sweep collected, as a hostile PC (or disk) may have written it:
/// read as one PC's report (or an unreachable note), summed up and printed in every format.
pub fn fleet_report(data: &[u8]) {
    use crate::fleet::{read, render, summarize};
    for entry in [
        read::parse_report(data),
        read::Entry::Unreachable(read::unreachable_message(data)),
    ] {
        let entries = vec![("pc".to_string(), std::path::PathBuf::from("pc.json"), entry)];
        for lang in [crate::i18n::Lang::ZhTw, crate::i18n::Lang::En] {
            let s = summarize(&entries, lang);
            let _ = (
                render::text(&s),
                render::markdown(&s),
                render::json(&s),
                render::csv(&s),
            );
        }
    }
}
