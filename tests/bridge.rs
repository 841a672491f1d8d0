//! The three bridge checks (`tls_certificate`, `bridge_identity`, `bridge_protocol`) run by
//! the real binary against the fake NHI component bridge (`ecpa_doctor::sim::bridge`): a
//! real TLS/WebSocket server on a loopback ephemeral port with certificates made at run
//! time. The card tests use the real pcscd with the vpcd virtual reader and the virtual
//! NHI card, read both by the `card` check and by the fake bridge's GetBasic.

use crate::support;
use crate::support::vcard;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecpa_doctor::bridge::tls::fingerprint;
use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};
use ecpa_doctor::system::pcsc::RealPcsc;
use serde_json::Value;
use support::{check, doctor, rig_lock, temp_dir, wait_reader, write_profile};

const TLS: &str = "bridge-tls";
const HTTP: &str = "bridge-http";
const WS: &str = "bridge-ws";

fn start(certs: CertGeneration, fault: Fault) -> FakeBridge {
    FakeBridge::start(BridgeConfig::new(certs, fault)).expect("start the fake bridge")
}

/// A profile with the given checks, in a directory of its own; returns the directory.
struct Setup {
    dir: PathBuf,
}

impl Setup {
    fn new(tag: &str) -> Setup {
        let dir = temp_dir(&format!("bridge-{tag}"));
        Setup { dir }
    }

    /// Writes the fake's root as the component's `NHIRootCA.crt`; returns its path.
    fn root_ca(&self, b: &FakeBridge) -> String {
        let p = self.dir.join("NHIRootCA.crt");
        b.write_component_root(&p).unwrap();
        p.display().to_string()
    }

    fn profile(&self, checks: &str) -> String {
        let text = format!(
            "schema: 1\nname: bridge-test\ntitle: {{ zh-TW: 測試, en: test }}\nchecks:\n{checks}"
        );
        write_profile(&self.dir, "profile.yaml", &text)
    }

    fn run(&self, checks: &str) -> (support::Run, Value) {
        self.run_env(checks, &[])
    }

    fn run_env(&self, checks: &str, env: &[(&str, &str)]) -> (support::Run, Value) {
        let profile = self.profile(checks);
        // English: the evidence below is asserted in its English wording (the zh-TW
        // words of evidence values are checked by the unit tests and the catalogue).
        let run = doctor(
            &[
                "--profile",
                &profile,
                "--report",
                "--format",
                "json",
                "--lang",
                "en",
            ],
            env,
        );
        let v = run.json();
        (run, v)
    }
}

fn tls_check(port: u16, extra: &str) -> String {
    format!(
        "  - id: {TLS}\n    kind: tls_certificate\n    title: {{ zh-TW: 憑證, en: cert }}\n    timeout: 8s\n    params:\n      host: 127.0.0.1\n      port: {port}\n{extra}"
    )
}

fn http_check(port: u16, extra: &str) -> String {
    format!(
        "  - id: {HTTP}\n    kind: bridge_identity\n    title: {{ zh-TW: 身分, en: identity }}\n    timeout: 8s\n    params:\n      host: 127.0.0.1\n      port: {port}\n{extra}"
    )
}

fn ws_check(port: u16, needs: &str, extra: &str) -> String {
    format!(
        "  - id: {WS}\n    kind: bridge_protocol\n    title: {{ zh-TW: 通訊, en: protocol }}\n    timeout: 10s\n{needs}    params:\n      host: 127.0.0.1\n      port: {port}\n{extra}"
    )
}

fn card_check() -> String {
    "  - id: card\n    kind: card\n    title: { zh-TW: 健保卡, en: card }\n    timeout: 5s\n"
        .to_string()
}

/// Trust judged by the system store and NHIRootCA.crt, as on Windows and macOS, not left to
/// the browser checks as on Linux.
const SYSTEM_JUDGES: &str = "      browsers_judge_trust: false\n";

fn root_param(path: &str) -> String {
    format!("      component_root_ca: {path}\n")
}

fn finding(v: &Value, id: &str) -> String {
    check(v, id)["finding"].as_str().unwrap_or("").to_string()
}

fn evidence(v: &Value, id: &str, key: &str) -> String {
    check(v, id)["evidence"][key]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn assert_finding(run: &support::Run, v: &Value, id: &str, expected: &str) {
    assert_eq!(finding(v, id), expected, "{run:?}");
    let remedy = &check(v, id)["remedy"];
    assert!(
        remedy["steps"].as_array().is_some_and(|s| s.len() >= 2),
        "no remedy for {expected}: {run:?}"
    );
    assert_ne!(
        remedy["title"],
        "(no remedy written for this finding yet; please tell the ecpa-doctor maintainers)"
    );
}

/// A port nothing listens on: bind, note the port, close.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ───────────────────────────── tls_certificate ─────────────────────────────

#[test]
fn test_ca_chain_passes_through_the_components_root() {
    let s = Setup::new("tls-pass");
    let b = start(CertGeneration::TestCa, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    let c = check(&v, TLS);
    assert_eq!(c["status"], "pass", "{run:?}");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        evidence(&v, TLS, "trust_component").starts_with("trusted"),
        "{run:?}"
    );
    assert!(
        evidence(&v, TLS, "trust_system").starts_with("not trusted"),
        "{run:?}"
    );
    let leaf = fingerprint(&b.certs().chain[0]);
    assert!(
        evidence(&v, TLS, "cert_0").contains(&leaf),
        "leaf fingerprint missing: {run:?}"
    );
    assert!(evidence(&v, TLS, "cert_0").contains("DNS:iccert.nhi.gov.tw"));
    assert!(evidence(&v, TLS, "cert_1").contains("CA:TRUE"));
    // The component ignores SNI: a handshake that worked is not repeated with the other
    // name (each connection costs the component a cloud round trip).
    assert_eq!(
        check(&v, TLS)["evidence"]["sni_also"],
        Value::Null,
        "{run:?}"
    );
    assert_eq!(b.connections(), 1, "{run:?}");
    assert!(!b.is_dead(), "{:?}", b.death());
    assert_eq!(evidence(&v, TLS, "chain_length"), "2");
}

#[test]
fn system_store_trust_is_recognised() {
    let s = Setup::new("tls-system");
    let b = start(CertGeneration::TestCa, Fault::Healthy);
    let ca = s.root_ca(&b);
    // rustls-native-certs honours SSL_CERT_FILE, as OpenSSL does: the child's "system
    // store" is then exactly our test CA.
    let (run, v) = s.run_env(
        &tls_check(
            b.port(),
            "      component_root_ca: /nonexistent/NHIRootCA.crt\n",
        ),
        &[("SSL_CERT_FILE", &ca)],
    );
    assert_eq!(check(&v, TLS)["status"], "pass", "{run:?}");
    assert!(
        evidence(&v, TLS, "trust_system").starts_with("trusted"),
        "{run:?}"
    );
    assert!(
        evidence(&v, TLS, "component_root_ca").contains("/nonexistent/NHIRootCA.crt:"),
        "{run:?}"
    );
}

#[test]
fn nhi_2020_set_self_signed_leaf_is_untrusted_even_with_its_root() {
    let s = Setup::new("tls-2020");
    let b = start(CertGeneration::Nhi2020, Fault::Healthy);
    let (run, v) = s.run(&tls_check(
        b.port(),
        &(root_param(&s.root_ca(&b)) + SYSTEM_JUDGES),
    ));
    assert_finding(&run, &v, TLS, "tls.untrusted");
    assert_eq!(run.code, 1);
    let c = check(&v, TLS);
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("NHI.Self.Server.Cert"),
        "{run:?}"
    );
    assert!(
        evidence(&v, TLS, "cert_0").contains("DNS:127.0.0.1"),
        "the 2020 SAN lists an address as a DNS name: {run:?}"
    );
    assert!(
        evidence(&v, TLS, "trust_component").starts_with("not trusted"),
        "{run:?}"
    );
}

#[test]
fn nhi_2020_set_is_recognised_and_its_own_root_cannot_make_it_trusted() {
    let s = Setup::new("tls-2020-gen");
    let b = start(CertGeneration::Nhi2020, Fault::OfflineGate);
    let root = s.root_ca(&b);
    // Even with NHIRootCA.crt in the system store (what users are told to import).
    let (run, v) = s.run_env(
        &tls_check(b.port(), &(root_param(&root) + SYSTEM_JUDGES)),
        &[("SSL_CERT_FILE", &root)],
    );
    assert_finding(&run, &v, TLS, "tls.untrusted");
    assert!(
        evidence(&v, TLS, "trust_system").starts_with("not trusted"),
        "{run:?}"
    );
    assert!(
        evidence(&v, TLS, "cert_generation").contains("2019–2022"),
        "{run:?}"
    );
    let summary = check(&v, TLS)["summary"].as_str().unwrap().to_string();
    assert!(
        summary.contains("2019–2022")
            && summary.contains("NHIRootCA.crt")
            && summary.contains("NHI.Self.Server.Cert"),
        "{summary}"
    );
    assert!(
        evidence(&v, TLS, "cert_1").contains("no basicConstraints"),
        "the shipped root has no extensions: {run:?}"
    );
}

#[test]
fn nhi_2020_set_is_trusted_when_its_leaf_itself_is_a_trust_anchor() {
    let s = Setup::new("tls-2020-leaf");
    let b = start(CertGeneration::Nhi2020, Fault::OfflineGate);
    let leaf = s.dir.join("NHIServerCert.crt");
    std::fs::write(&leaf, &b.certs().leaf_pem).unwrap();
    let (run, v) = s.run_env(
        &tls_check(b.port(), &root_param(&s.root_ca(&b))),
        &[("SSL_CERT_FILE", leaf.to_str().unwrap())],
    );
    assert_eq!(check(&v, TLS)["status"], "pass", "{run:?}");
    assert!(
        evidence(&v, TLS, "trust_system").starts_with("trusted"),
        "{run:?}"
    );
    assert!(
        evidence(&v, TLS, "trust_component").starts_with("not trusted"),
        "NHIRootCA.crt did not sign it: {run:?}"
    );
    assert!(
        evidence(&v, TLS, "cert_generation").contains("2019–2022"),
        "{run:?}"
    );
}

#[test]
fn podman_regenerated_set_is_a_name_mismatch_for_iccert_named_as_such() {
    let s = Setup::new("tls-podman");
    let b = start(CertGeneration::PodmanRegen, Fault::OfflineGate);
    let (run, v) = s.run_env(
        &tls_check(b.port(), &root_param(&s.root_ca(&b))),
        &[("LANG", "en_US.UTF-8")],
    );
    assert_finding(&run, &v, TLS, "tls.name_mismatch");
    assert!(
        evidence(&v, TLS, "trust_component").starts_with("trusted"),
        "{run:?}"
    );
    assert!(
        !evidence(&v, TLS, "also_found").contains("tls."),
        "nothing else is wrong with it: {run:?}"
    );
    let summary = check(&v, TLS)["summary"].as_str().unwrap().to_string();
    assert!(
        summary.contains("regen-certs.sh")
            && summary.contains("iccert.nhi.gov.tw")
            && summary.contains("DNS:localhost"),
        "{summary}"
    );
    assert!(
        evidence(&v, TLS, "cert_generation").contains("root valid 3650 days"),
        "{run:?}"
    );
}

#[test]
fn podman_2024_leaf_for_localhost_only_is_a_name_mismatch() {
    let s = Setup::new("tls-2024");
    let b = start(CertGeneration::Nhi2024, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    assert_finding(&run, &v, TLS, "tls.name_mismatch");
    assert!(
        evidence(&v, TLS, "trust_component").starts_with("trusted"),
        "the 2024 root does sign its leaf: {run:?}"
    );
    assert!(
        evidence(&v, TLS, "component_root_ca").contains("nhi-localhost-ca"),
        "{run:?}"
    );
    let summary = check(&v, TLS)["summary"].as_str().unwrap().to_string();
    assert!(
        summary.contains("iccert.nhi.gov.tw")
            && summary.contains("DNS:localhost")
            && summary.contains("2024"),
        "{summary}"
    );
    assert!(
        evidence(&v, TLS, "cert_generation").contains("30"),
        "{run:?}"
    );
}

#[test]
fn leaf_without_iccert_san_under_a_trusted_ca_is_a_name_mismatch() {
    let s = Setup::new("tls-nosan");
    let b = start(CertGeneration::NoIccertSan, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    assert_finding(&run, &v, TLS, "tls.name_mismatch");
    assert!(
        !evidence(&v, TLS, "also_found").contains("tls.untrusted"),
        "{run:?}"
    );
}

#[test]
fn expired_30_day_root_is_named() {
    let s = Setup::new("tls-ca-expired");
    let b = start(CertGeneration::ExpiredRoot, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    assert_finding(&run, &v, TLS, "tls.ca_expired");
    assert!(
        check(&v, TLS)["summary"]
            .as_str()
            .unwrap()
            .contains("nhi-localhost-ca"),
        "{run:?}"
    );
    // Expiry is not confused with distrust: the chain does lead to the component's root
    // (path building stops at the trust anchor, whose dates it does not judge).
    assert!(
        evidence(&v, TLS, "trust_component").starts_with("trusted"),
        "{run:?}"
    );
    assert!(
        !evidence(&v, TLS, "also_found").contains("tls.untrusted"),
        "{run:?}"
    );
}

#[test]
fn expired_leaf_is_named() {
    let s = Setup::new("tls-leaf-expired");
    let b = start(CertGeneration::ExpiredLeaf, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    assert_finding(&run, &v, TLS, "tls.leaf_expired");
}

#[test]
fn certificate_from_the_future_points_at_the_clock() {
    let s = Setup::new("tls-future");
    let b = start(CertGeneration::NotYetValid, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    assert_finding(&run, &v, TLS, "tls.not_yet_valid");
}

#[test]
fn root_expiring_within_a_week_warns() {
    let s = Setup::new("tls-expiring");
    let b = start(CertGeneration::ExpiringRoot, Fault::Healthy);
    let (run, v) = s.run(&tls_check(b.port(), &root_param(&s.root_ca(&b))));
    assert_finding(&run, &v, TLS, "tls.expiring_soon");
    assert_eq!(check(&v, TLS)["status"], "warn", "{run:?}");
    assert_eq!(run.code, 2, "warnings only: {run:?}");
}

#[test]
fn shared_key_certificate_is_recognised_by_fingerprint() {
    let s = Setup::new("tls-shared");
    let b = start(CertGeneration::TestCa, Fault::Healthy);
    // The real 2019 certificate cannot be served without its key file; a known-certificates
    // list naming this leaf exercises the same matching (the built-in list is unit-tested).
    let fp = fingerprint(&b.certs().chain[0]).to_lowercase();
    let list = s.dir.join("known.yaml");
    std::fs::write(
        &list,
        format!("- sha256: \"{fp}\"\n  label: test shared certificate\n  shared_key: true\n"),
    )
    .unwrap();
    let extra = format!(
        "{}      known_certs: {}\n",
        root_param(&s.root_ca(&b)),
        list.display()
    );
    let (run, v) = s.run(&tls_check(b.port(), &extra));
    assert_finding(&run, &v, TLS, "tls.shared_key");
    assert_eq!(check(&v, TLS)["status"], "warn", "{run:?}");
    assert_eq!(evidence(&v, TLS, "known_cert"), "test shared certificate");
}

// ───────────────────────────── reaching the port (all three kinds) ─────────────────────────────

fn all_three(port: u16) -> String {
    let fast = "      connect_timeout: 1s\n      handshake_timeout: 1500ms\n";
    let fast_ws = format!("{fast}      reply_timeout: 1500ms\n");
    let fast_http = format!("{fast}      read_timeout: 1500ms\n");
    format!(
        "{}{}{}",
        tls_check(port, fast),
        http_check(port, &fast_http),
        ws_check(port, "", &fast_ws)
    )
}

#[test]
fn closed_port_is_refused_for_every_bridge_check() {
    let s = Setup::new("refused");
    let port = closed_port();
    let (run, v) = s.run(&all_three(port));
    for id in [TLS, HTTP, WS] {
        assert_finding(&run, &v, id, "bridge.refused");
        assert_eq!(evidence(&v, id, "address"), format!("127.0.0.1:{port}"));
    }
    assert_eq!(v["root_cause"]["finding"], "bridge.refused");
}

#[test]
fn server_that_accepts_and_never_answers_is_named_by_the_step_it_hangs_at() {
    let s = Setup::new("silent");
    let b = start(CertGeneration::TestCa, Fault::Silent);
    let t0 = Instant::now();
    let (run, v) = s.run(&all_three(b.port()));
    assert!(
        t0.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t0.elapsed()
    );
    for id in [TLS, HTTP, WS] {
        assert_finding(&run, &v, id, "bridge.no_answer");
        assert_eq!(
            check(&v, id)["status"],
            "fail",
            "an inner timeout, not the engine's: {run:?}"
        );
        assert_eq!(evidence(&v, id, "step"), "tls_handshake", "{id}: {run:?}");
    }
}

#[test]
fn plain_http_on_the_tls_port_is_named() {
    let s = Setup::new("plain");
    let b = start(CertGeneration::TestCa, Fault::PlainHttp);
    let (run, v) = s.run(&all_three(b.port()));
    assert_finding(&run, &v, TLS, "bridge.not_tls");
    assert_finding(&run, &v, WS, "bridge.not_tls");
    assert_finding(&run, &v, HTTP, "bridge.not_component");
    for id in [TLS, HTTP] {
        assert_eq!(evidence(&v, id, "server_header"), "nginx/1.22.1", "{run:?}");
        assert_eq!(
            evidence(&v, id, "status_line"),
            "HTTP/1.1 400 Bad Request",
            "{run:?}"
        );
    }
}

#[test]
fn plain_http_server_silent_to_tls_is_named_by_a_plain_request() {
    let s = Setup::new("plain-waits");
    let b = start(CertGeneration::TestCa, Fault::PlainHttpWaitsForRequest);
    let (run, v) = s.run(&all_three(b.port()));
    assert_finding(&run, &v, TLS, "bridge.no_answer");
    assert_finding(&run, &v, HTTP, "bridge.not_component");
    assert!(
        evidence(&v, HTTP, "server_header").starts_with("SimpleHTTP"),
        "{run:?}"
    );
}

#[test]
fn tls_alert_is_a_failed_handshake() {
    let s = Setup::new("alert");
    let b = start(CertGeneration::TestCa, Fault::TlsAlert);
    let (run, v) = s.run(&all_three(b.port()));
    for id in [TLS, HTTP, WS] {
        assert_finding(&run, &v, id, "bridge.tls_failed");
        assert!(
            evidence(&v, id, "error").contains("ProtocolVersion"),
            "{run:?}"
        );
    }
    // Only a failed handshake is worth a second try with the other server name.
    assert_eq!(
        evidence(&v, TLS, "sni_also"),
        "localhost: bridge.tls_failed",
        "{run:?}"
    );
}

#[test]
fn something_that_is_neither_tls_nor_http_is_named_by_its_first_bytes() {
    let s = Setup::new("ssh");
    let b = start(CertGeneration::TestCa, Fault::SshBanner);
    let (run, v) = s.run(&all_three(b.port()));
    for id in [TLS, HTTP, WS] {
        assert_finding(&run, &v, id, "bridge.not_tls");
        assert!(
            evidence(&v, id, "first_bytes").starts_with("SSH-2.0-OpenSSH"),
            "{id}: {run:?}"
        );
    }
}

#[test]
fn unresolvable_host_is_a_connect_failure() {
    let s = Setup::new("noname");
    let checks = all_three(7777).replace("host: 127.0.0.1", "host: no-such-host.invalid");
    let (run, v) = s.run(&checks);
    for id in [TLS, HTTP, WS] {
        assert_finding(&run, &v, id, "bridge.connect_failed");
        assert!(
            evidence(&v, id, "error").contains("no-such-host.invalid"),
            "{run:?}"
        );
    }
}

// ───────────────────────────── bridge_identity ─────────────────────────────

#[test]
fn the_component_page_is_recognised_despite_bare_lf_headers() {
    let s = Setup::new("id-pass");
    let b = start(CertGeneration::Nhi2020, Fault::Healthy);
    let (run, v) = s.run(&http_check(
        b.port(),
        "      host_header: iccert.nhi.gov.tw:7777\n",
    ));
    assert_eq!(check(&v, HTTP)["status"], "pass", "{run:?}");
    assert_eq!(evidence(&v, HTTP, "server_header"), "NHIICC-/1.0");
    assert_eq!(
        evidence(&v, HTTP, "identified_by"),
        "Server header and page text"
    );
    assert_eq!(evidence(&v, HTTP, "page_title"), "已確任信任服務....");
    assert_eq!(
        evidence(&v, HTTP, "body_read"),
        "1350 bytes of 1350",
        "Content-Length: 1350 with its trailing space: {run:?}"
    );
    assert!(
        b.log()
            .contains(&"Host: iccert.nhi.gov.tw:7777".to_string()),
        "{:?}",
        b.log()
    );
}

#[test]
fn another_web_server_is_not_the_component() {
    let s = Setup::new("id-apache");
    let b = start(CertGeneration::TestCa, Fault::ForeignServer);
    let (run, v) = s.run(&http_check(b.port(), ""));
    assert_finding(&run, &v, HTTP, "bridge.not_component");
    assert_eq!(
        evidence(&v, HTTP, "server_header"),
        "Apache/2.4.57 (Debian)"
    );
    assert!(
        check(&v, HTTP)["summary"]
            .as_str()
            .unwrap()
            .contains("Apache"),
        "{run:?}"
    );
}

#[test]
fn empty_close_after_tls_is_not_the_component() {
    let s = Setup::new("id-empty");
    let b = start(CertGeneration::TestCa, Fault::EmptyClose);
    let (run, v) = s.run(&http_check(b.port(), ""));
    assert_finding(&run, &v, HTTP, "bridge.not_component");
}

#[test]
fn a_100_mb_body_is_not_read_whole() {
    let s = Setup::new("id-huge");
    let b = start(CertGeneration::TestCa, Fault::HugeBody);
    let t0 = Instant::now();
    let (run, v) = s.run(&http_check(b.port(), ""));
    assert!(
        t0.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t0.elapsed()
    );
    assert_finding(&run, &v, HTTP, "bridge.not_component");
    let read = evidence(&v, HTTP, "body_read");
    assert!(
        read.starts_with("65536 bytes of 104857600") && read.contains("stopped reading"),
        "{read}"
    );
}

// ───────────────────────────── bridge_protocol ─────────────────────────────

fn ws_only(port: u16, extra: &str) -> String {
    ws_check(port, "", extra)
}

#[test]
fn offline_component_answers_4021_to_everything() {
    let s = Setup::new("ws-4021");
    let b = start(CertGeneration::Nhi2024, Fault::OfflineGate);
    let (run, v) = s.run(&ws_only(b.port(), ""));
    assert_finding(&run, &v, WS, "ws.origin_list_unreachable");
    assert_eq!(evidence(&v, WS, "exchange"), "GetVersion → 4021", "{run:?}");
    assert_eq!(evidence(&v, WS, "bridge_code"), "4021");
    // Sent as a browser on eCPA would.
    let log = b.log();
    assert!(log.contains(&"GET /echo HTTP/1.1".to_string()), "{log:?}");
    assert!(
        log.contains(&"Origin: https://ecpa.dgpa.gov.tw".to_string()),
        "{log:?}"
    );
    assert!(
        log.contains(&format!("Host: iccert.nhi.gov.tw:{}", b.port())),
        "{log:?}"
    );
}

#[test]
fn offline_component_answers_4021_without_an_origin_too() {
    let s = Setup::new("ws-4021-no-origin");
    let b = start(CertGeneration::Nhi2024, Fault::OfflineGate);
    let (run, v) = s.run(&ws_only(b.port(), "      origin: null\n"));
    assert_finding(&run, &v, WS, "ws.origin_list_unreachable");
    assert!(
        b.log().contains(&"Origin: (none)".to_string()),
        "{:?}",
        b.log()
    );
}

#[test]
fn origin_is_a_parameter_and_can_be_left_out() {
    let s = Setup::new("ws-origin");
    let b = start(CertGeneration::TestCa, Fault::OriginRefused);
    let (run, v) = s.run(&ws_only(b.port(), "      origin: null\n"));
    assert_finding(&run, &v, WS, "ws.origin_refused");
    assert!(
        b.log().contains(&"Origin: (none)".to_string()),
        "{:?}",
        b.log()
    );
    assert_eq!(evidence(&v, WS, "origin"), "-");
}

#[test]
fn every_catalogued_getbasic_code_maps_to_its_finding() {
    let cases = [
        ("4061", "ws.cloud_unreachable", Some("無法連接服務網站")),
        ("8003", "ws.cloud_auth_failed", Some("認卡傳輸異常")),
        ("9001", "ws.signature_failed", Some("驗簽失敗")),
        ("7001", "ws.pcsc_error", Some("pcsc環境異常")),
        ("7002", "ws.reader_unavailable", Some("無法存取讀卡機")),
        ("7004", "ws.no_card", Some("未置入健保卡")),
        (
            "8013",
            "ws.card_unreachable",
            Some("無法存取健保卡，請查明讀卡機是否已插好或是否已置入健保卡"),
        ),
        ("8011", "ws.card_read_failed", Some("讀取基本資料失敗")),
        ("8201", "ws.component_error", Some("服務異常")),
        ("1234", "ws.component_error", None),
        ("9999", "ws.command_unknown", None),
    ];
    for (code, expected, official) in cases {
        let s = Setup::new(&format!("ws-code-{code}"));
        let b = start(CertGeneration::TestCa, Fault::GetBasicCode(code.into()));
        let (run, v) = s.run(&ws_only(b.port(), ""));
        assert_finding(&run, &v, WS, expected);
        assert_eq!(evidence(&v, WS, "bridge_code"), code);
        assert_eq!(
            evidence(&v, WS, "version"),
            "0011",
            "GetVersion answered first: {run:?}"
        );
        assert_eq!(
            evidence(&v, WS, "exchange"),
            format!("GetVersion → GetVersion:0011; GetBasic → {code}")
        );
        match official {
            Some(text) => assert_eq!(evidence(&v, WS, "official_message"), text),
            None => assert!(check(&v, WS)["evidence"].get("official_message").is_none()),
        }
    }
}

#[test]
fn garbage_binary_and_oversize_frames_are_garbled() {
    for fault in [
        Fault::GarbageFrames,
        Fault::BinaryFrame,
        Fault::OversizeFrame,
    ] {
        let s = Setup::new(&format!("ws-{fault:?}"));
        let b = start(CertGeneration::TestCa, fault.clone());
        let (run, v) = s.run(&ws_only(b.port(), ""));
        assert_finding(&run, &v, WS, "ws.garbled");
        assert_eq!(run.code, 1, "{fault:?}: {run:?}");
    }
}

#[test]
fn close_without_reply_is_named() {
    let s = Setup::new("ws-closed");
    let b = start(CertGeneration::TestCa, Fault::ClosesAfterCommand);
    let (run, v) = s.run(&ws_only(b.port(), ""));
    assert_finding(&run, &v, WS, "ws.closed");
}

#[test]
fn upgrade_refused_or_closed_is_named() {
    let s = Setup::new("ws-refused");
    let b = start(CertGeneration::TestCa, Fault::ForeignServer);
    let (run, v) = s.run(&ws_only(b.port(), ""));
    assert_finding(&run, &v, WS, "ws.refused");
    assert_eq!(evidence(&v, WS, "status_line"), "HTTP/1.1 404 Not Found");
    // The real component closes an upgrade to another path without a byte.
    let b = start(CertGeneration::TestCa, Fault::Healthy);
    let (run, v) = s.run(&ws_only(b.port(), "      path: /other\n"));
    assert_finding(&run, &v, WS, "ws.refused");
}

// ───────────────────────────── with the card, through the real pcscd ─────────────────────────────

fn insert(slot: usize, card: impl vcard::Card) -> vcard::Inserted {
    let c = vcard::insert_wait(vcard::slot_addr(slot), card, Duration::from_secs(10))
        .expect("insert the virtual card");
    assert!(
        wait_reader(vcard::reader_name(slot), true, Duration::from_secs(10)),
        "pcscd did not notice the card"
    );
    c
}

fn real_bridge(reader: Option<&str>) -> FakeBridge {
    let cfg = BridgeConfig {
        cards: Some(Arc::new(RealPcsc)),
        reader: reader.map(str::to_string),
        ..BridgeConfig::new(CertGeneration::TestCa, Fault::Healthy)
    };
    FakeBridge::start(cfg).expect("start the fake bridge")
}

fn with_card_check(port: u16) -> String {
    format!(
        "{}{}",
        card_check(),
        ws_check(port, "    needs: [card]\n", "      cross_check: card\n")
    )
}

fn other_card() -> vcard::NhiCard {
    vcard::NhiCard::new(vcard::Profile {
        card_no: "000087654321".into(),
        name: "陳美麗".into(),
        id_no: "F223456786".into(),
        birth: "0750505".into(),
        sex: 'F',
        issued: "1100101".into(),
    })
}

#[test]
fn healthy_bridge_reads_the_same_card_as_the_card_check() {
    let _rig = rig_lock();
    let card = insert(0, vcard::NhiCard::sample());
    let s = Setup::new("ws-healthy");
    let b = real_bridge(None);
    let (run, v) = s.run(&with_card_check(b.port()));
    assert_eq!(check(&v, WS)["status"], "pass", "{run:?}");
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        evidence(&v, WS, "card_cross_check"),
        "same card as check `card` read in Virtual PCD 00 00; name, birth date, sex agree",
        "{run:?}"
    );
    assert_eq!(evidence(&v, WS, "id_no"), "A12****789");
    assert_eq!(evidence(&v, WS, "name"), "王○○明");
    assert_eq!(evidence(&v, WS, "card_no"), "********5678");
    assert_eq!(evidence(&v, WS, "card_field6"), "1");
    assert_eq!(
        evidence(&v, WS, "exchange"),
        "GetVersion → GetVersion:0011; GetBasic → GetBasic:(card data)"
    );
    for raw in ["A123456789", "王小明明", "000012345678", "0800101"] {
        assert!(
            !run.stdout.contains(raw) && !run.stderr.contains(raw),
            "{raw} leaked: {run:?}"
        );
    }
    // The bridge read the card like the real component: the 8-byte READ with Le and the
    // 24 record, and never reset it.
    let apdus = card.apdus();
    assert!(
        apdus
            .iter()
            .any(|a| a.as_slice() == vcard::APDU_READ_PROFILE_LE),
        "{apdus:02X?}"
    );
    assert!(
        apdus.iter().any(|a| a.as_slice() == vcard::APDU_READ_HC),
        "{apdus:02X?}"
    );
    assert!(
        !card.controls().contains(&0x02),
        "the card was reset: {:?}",
        card.controls()
    );
    let shown = doctor(
        &[
            "--profile",
            &s.profile(&with_card_check(b.port())),
            "--report",
            "--format",
            "json",
            "--show-pii",
        ],
        &[],
    );
    assert_eq!(
        check(&shown.json(), WS)["evidence"]["name"],
        "王小明明",
        "the name arrives as UTF-8: {shown:?}"
    );
}

#[test]
fn bridge_reading_another_reader_is_a_card_mismatch() {
    let _rig = rig_lock();
    let _a = insert(0, other_card());
    let _b = insert(1, vcard::NhiCard::sample());
    let s = Setup::new("ws-mismatch");
    // The card check takes the first NHI card (reader 00 00); the bridge reads 00 01.
    let b = real_bridge(Some(vcard::READER1));
    let (run, v) = s.run(&with_card_check(b.port()));
    assert_finding(&run, &v, WS, "ws.card_mismatch");
    assert_eq!(check(&v, "card")["status"], "pass", "{run:?}");
    let summary = check(&v, WS)["summary"].as_str().unwrap().to_string();
    assert!(
        summary.contains("********5678")
            && summary.contains("********4321")
            && summary.contains(vcard::READER0),
        "{summary}"
    );
    assert_eq!(evidence(&v, WS, "doctor_id_no"), "F22****786");
    assert!(
        !run.stdout.contains("F223456786") && !run.stdout.contains("A123456789"),
        "{run:?}"
    );
}

#[test]
fn card_only_in_the_second_reader_gives_8013_and_says_where_it_is() {
    let _rig = rig_lock();
    let _c = insert(1, vcard::NhiCard::sample());
    let s = Setup::new("ws-second-reader");
    let b = real_bridge(None);
    let (run, v) = s.run(&with_card_check(b.port()));
    assert_finding(&run, &v, WS, "ws.card_unreachable");
    assert_eq!(
        evidence(&v, WS, "card_seen_by_doctor"),
        vcard::READER1,
        "{run:?}"
    );
}

#[test]
fn no_card_through_the_real_pcscd_is_8013() {
    let _rig = rig_lock();
    let s = Setup::new("ws-nocard");
    let b = real_bridge(None);
    let (run, v) = s.run(&ws_only(b.port(), ""));
    assert_finding(&run, &v, WS, "ws.card_unreachable");
    assert_eq!(
        evidence(&v, WS, "official_message"),
        "無法存取健保卡，請查明讀卡機是否已插好或是否已置入健保卡"
    );
}

#[test]
fn card_refusing_the_basic_record_is_8010() {
    let _rig = rig_lock();
    let faults = vcard::Faults {
        read_refused: Some([0x69, 0x85]),
        ..Default::default()
    };
    let _c = insert(0, vcard::NhiCard::with_faults(faults));
    let s = Setup::new("ws-8010");
    let b = real_bridge(None);
    let (run, v) = s.run(&ws_only(b.port(), ""));
    assert_finding(&run, &v, WS, "ws.card_read_failed");
    assert_eq!(evidence(&v, WS, "bridge_code"), "8010");
}

#[test]
fn a_failed_card_check_skips_the_bridge_protocol() {
    let _rig = rig_lock();
    let s = Setup::new("ws-skip");
    let b = real_bridge(None);
    let (run, v) = s.run(&with_card_check(b.port()));
    assert_eq!(v["root_cause"]["finding"], "card.none", "{run:?}");
    assert_eq!(check(&v, WS)["status"], "skipped", "{run:?}");
    assert_eq!(check(&v, WS)["skipped_because"], "card");
    assert!(
        b.log().is_empty(),
        "the bridge was asked although the card check failed: {:?}",
        b.log()
    );
}

#[test]
fn the_offline_component_makes_the_card_cross_check_impossible_not_failed() {
    let _rig = rig_lock();
    let card = insert(0, vcard::NhiCard::sample());
    let s = Setup::new("ws-offline-card");
    let cfg = BridgeConfig {
        cards: Some(Arc::new(RealPcsc)),
        ..BridgeConfig::new(CertGeneration::Nhi2024, Fault::OfflineGate)
    };
    let b = FakeBridge::start(cfg).expect("start the fake bridge");
    let (run, v) = s.run(&with_card_check(b.port()));
    assert_eq!(check(&v, "card")["status"], "pass", "{run:?}");
    assert_finding(&run, &v, WS, "ws.origin_list_unreachable");
    assert_eq!(
        v["root_cause"]["finding"], "ws.origin_list_unreachable",
        "{run:?}"
    );
    let why = evidence(&v, WS, "card_cross_check");
    assert!(
        why.starts_with("not possible: the component answered 4021 to GetVersion")
            && why.ends_with("check `card` read the card in Virtual PCD 00 00 itself"),
        "{why}"
    );
    assert_eq!(evidence(&v, WS, "exchange"), "GetVersion → 4021");
    assert!(
        !card
            .apdus()
            .iter()
            .any(|a| a.as_slice() == vcard::APDU_READ_HC),
        "the gated component never reads the card"
    );
}

#[test]
fn a_card_without_the_24_record_is_8010_though_the_card_check_reads_it() {
    let _rig = rig_lock();
    let faults = vcard::Faults {
        hc_refused: Some([0x69, 0x85]),
        ..Default::default()
    };
    let card = insert(0, vcard::NhiCard::with_faults(faults));
    let s = Setup::new("ws-no-24");
    let b = real_bridge(None);
    let (run, v) = s.run(&with_card_check(b.port()));
    assert_eq!(
        check(&v, "card")["status"],
        "pass",
        "the card check does not need the 24 record: {run:?}"
    );
    assert_finding(&run, &v, WS, "ws.card_read_failed");
    assert_eq!(evidence(&v, WS, "bridge_code"), "8010");
    let why = evidence(&v, WS, "card_cross_check");
    assert!(
        why.starts_with("not possible: GetBasic answered 8010") && why.contains("`00 CA 24 00`"),
        "{why}"
    );
    assert!(
        card.apdus()
            .iter()
            .any(|a| a.as_slice() == vcard::APDU_READ_HC),
        "{:02X?}",
        card.apdus()
    );
}

// ───────────────────────────── the fake as a program ─────────────────────────────

/// `examples/fake_bridge`, built by `cargo test` beside the test binary.
fn fake_bridge_example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let p = dir.join("examples").join("fake_bridge");
    assert!(
        p.exists(),
        "{} missing: `cargo test` builds the examples",
        p.display()
    );
    p
}

/// The stand-alone fake dies the way SIGPIPE kills the real component — exit status 141 —
/// when a client hangs up right after the handshake, and a gentle run of the doctor
/// leaves it serving.
#[test]
fn the_example_fake_survives_the_doctor_and_exits_141_when_a_rude_client_kills_it() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(fake_bridge_example())
        .args(["--fault", "offline-gate"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start examples/fake_bridge");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let port: u16 = first.strip_prefix("port ").unwrap().parse().unwrap();
    let s = Setup::new("example-141");
    let (run, v) = s.run(&format!("{}{}", tls_check(port, ""), http_check(port, "")));
    assert_eq!(check(&v, HTTP)["status"], "pass", "{run:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the doctor killed the fake: {run:?}"
    );
    // A client that only wanted the certificate, as ecpa-doctor once was.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = ecpa_doctor::bridge::tls::recording_config(
            &[&rustls::version::TLS13],
            Default::default(),
        )
        .unwrap();
        let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .unwrap();
        let name = rustls::pki_types::ServerName::try_from("iccert.nhi.gov.tw").unwrap();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .unwrap();
        drop(tls);
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < deadline, "the fake survived a rude client");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(141), "{status:?}");
}
