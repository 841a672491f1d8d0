//! The browser link against a real browser: Debian's Chromium, headless, with the user's
//! profile under a test `$HOME` put in each state by real means (`certutil` into its NSS
//! DB, `Preferences` written while it is closed, policy files), the fake
//! component on 127.0.0.1:7777 and a stand-in eCPA page as the public origin
//! `https://ecpa.dgpa.gov.tw` (browser.md §8). For each state the page's outcome — the
//! component's reply, or the browser's own `net::ERR_…` — and ecpa-doctor's verdict on the
//! same `$HOME` must agree. Ports 443 and 7777 and `/etc/chromium/policies/managed/` are
//! the machine's: one state at a time, the policy file removed even after a failure.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{self, bidi, cdp::Chromium, check, proxy::ConnectProxy, temp_dir};
use ecpa_doctor::sim::bridge::{
    BridgeConfig, CertGeneration, FakeBridge, Fault, listen_like_the_component,
};
use ecpa_doctor::sim::ecpa_page::EcpaPage;

fn certutil(args: &[&str]) {
    let st = std::process::Command::new("certutil")
        .args(args)
        .status()
        .expect("certutil (apt package libnss3-tools; run scripts/rig install)");
    assert!(st.success(), "certutil {args:?}: {st}");
}

/// A new NSS DB in `db` (made by `certutil`, as a browser would find it) trusting `roots`
/// as CAs (`C,,`).
fn nss_db_trusting(db: &Path, roots: &[(&str, &str)]) {
    let db_arg = format!("sql:{}", db.display());
    certutil(&["-N", "--empty-password", "-d", &db_arg]);
    for (name, pem) in roots {
        let file = db.join(format!("{name}.crt"));
        std::fs::write(&file, pem).unwrap();
        certutil(&[
            "-A",
            "-n",
            name,
            "-t",
            "C,,",
            "-i",
            file.to_str().unwrap(),
            "-d",
            &db_arg,
        ]);
        let _ = std::fs::remove_file(&file);
    }
}

/// A home whose NSS DB trusts `roots` (`C,,`, as `certutil -A` leaves them) and whose
/// Chromium profile holds `prefs`.
fn home_with(tag: &str, roots: &[(&str, &str)], prefs: &str) -> PathBuf {
    let home = temp_dir(&format!("browser-{tag}"));
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).unwrap();
    nss_db_trusting(&db, roots);
    let profile = home.join(".config/chromium/Default");
    std::fs::create_dir_all(&profile).unwrap();
    std::fs::write(profile.join("Preferences"), prefs).unwrap();
    home
}

fn ecpa_exception(setting: u8) -> String {
    format!(
        r#"{{"profile":{{"content_settings":{{"exceptions":{{"loopback_network":{{"https://ecpa.dgpa.gov.tw:443,*":{{"last_modified":"13410000000000000","setting":{setting}}}}}}}}}}}}}"#
    )
}

/// The checks of the browser link as the default profile has them, with the TLS check
/// whose captured chain the trust check judges; no component install is needed.
const PROFILE: &str = "schema: 1
name: browser-agreement
title: { zh-TW: 瀏覽器, en: browser }
checks:
  - id: bridge-tls
    kind: tls_certificate
    title: { zh-TW: 憑證, en: certificate }
    timeout: 8s
    params: { host: 127.0.0.1, port: 7777 }
  - id: browser-trust
    kind: browser_trust
    title: { zh-TW: 信任, en: trust }
    after: [bridge-tls]
  - id: browser-proxy
    kind: browser_proxy
    title: { zh-TW: Proxy, en: proxy }
    params: { environment: false }
  - id: browser-lna
    kind: browser_lna
    title: { zh-TW: 區域網路, en: LNA }
";

/// The doctor on `home`, as the JSON report.
fn doctor_on(home: &Path) -> (support::Run, serde_json::Value) {
    let home_text = home.display().to_string();
    let profile = home.join("browser-agreement.yaml");
    std::fs::write(&profile, PROFILE).unwrap();
    let run = support::doctor(
        &[
            "--profile",
            profile.to_str().unwrap(),
            "--report",
            "--format",
            "json",
            "--lang",
            "en",
        ],
        &[("HOME", home_text.as_str())],
    );
    let v = run.json();
    (run, v)
}

/// What both browsers' agreement tests stand on: the stand-in eCPA page on 127.0.0.1:443
/// (machine-wide: the tests hold the rig lock) and an agency proxy that tunnels only it.
struct Stage {
    site: ecpa_doctor::sim::bridge::CertSet,
    _page: EcpaPage,
    proxy: ConnectProxy,
}

impl Stage {
    fn start() -> Stage {
        let site =
            ecpa_doctor::sim::certs::site(&["ecpa.dgpa.gov.tw"], "eCPA stand-in test CA").unwrap();
        let page_listener = std::net::TcpListener::bind("127.0.0.1:443")
            .expect("port 443 for the eCPA stand-in (the tests run as root)");
        let page = EcpaPage::start_on(page_listener, &site).unwrap();
        assert_eq!(page.port(), 443);
        let proxy = ConnectProxy::start(vec![(
            "ecpa.dgpa.gov.tw:443".into(),
            "127.0.0.1:443".into(),
        )]);
        Stage {
            site,
            _page: page,
            proxy,
        }
    }
}

/// The fake component on 127.0.0.1:7777, where the browsers look for it.
fn component_on_7777(certs: CertGeneration) -> FakeBridge {
    let listener = listen_like_the_component("127.0.0.1:7777".parse().unwrap())
        .expect("port 7777 for the fake component");
    FakeBridge::start_on(listener, BridgeConfig::new(certs, Fault::Healthy)).unwrap()
}

/// The roots a state's NSS DB trusts: the page's always, the component's when it does.
fn roots_to_trust<'a>(
    site: &'a ecpa_doctor::sim::bridge::CertSet,
    bridge: &'a FakeBridge,
    trusts_component: bool,
) -> Vec<(&'static str, &'a str)> {
    let mut roots = vec![("ecpa-stand-in", site.component_root_pem.as_str())];
    if trusts_component {
        roots.push(("component", bridge.certs().component_root_pem.as_str()));
    }
    roots
}

/// The doctor's root cause is `expected` (check, finding), or there is none.
fn assert_root_cause(
    state: &str,
    run: &support::Run,
    v: &serde_json::Value,
    expected: Option<(&str, &str)>,
) {
    match expected {
        None => assert_eq!(v["root_cause"], serde_json::Value::Null, "{state}: {run:?}"),
        Some((id, finding)) => {
            assert_eq!(v["root_cause"]["check"], id, "{state}: {run:?}");
            assert_eq!(v["root_cause"]["finding"], finding, "{state}: {run:?}");
        }
    }
}

/// A managed policy file for Chromium, removed again when dropped (also after a failed
/// assertion): `/etc/chromium/policies/managed/` is the machine's.
struct PolicyFile(PathBuf);

impl PolicyFile {
    fn write(name: &str, json: &str) -> PolicyFile {
        let dir = Path::new("/etc/chromium/policies/managed");
        std::fs::create_dir_all(dir).expect("create /etc/chromium/policies/managed (root needed)");
        let path = dir.join(name);
        std::fs::write(&path, json).unwrap();
        PolicyFile(path)
    }
}

impl Drop for PolicyFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Chromium's policy for an agency proxy at 127.0.0.1:`port` with a bypass list.
fn proxy_policy(port: u16, bypass: &str) -> String {
    format!(
        r#"{{"ProxyMode": "fixed_servers", "ProxyServer": "127.0.0.1:{port}", "ProxyBypassList": "{bypass}"}}"#
    )
}

/// One state of the user's browser: the page's outcome is `Ok` (it gets the component's
/// reply) or the browser's own error with the doctor's root cause (check, finding).
struct State {
    name: &'static str,
    prefs: String,
    policy: Option<String>,
    certs: CertGeneration,
    /// The component's root is in the user's NSS DB.
    trusts_component: bool,
    outcome: Result<(), (&'static str, &'static str, &'static str)>,
}

impl State {
    fn new(
        name: &'static str,
        prefs: String,
        certs: CertGeneration,
        outcome: Result<(), (&'static str, &'static str, &'static str)>,
    ) -> State {
        State {
            name,
            prefs,
            policy: None,
            certs,
            trusts_component: true,
            outcome,
        }
    }
}

#[test]
fn chromium_and_the_doctor_agree_on_the_browser_link() {
    // The machine's policy folder is read by every full run on this machine: the fault
    // matrix, which holds the rig, must not see a state's proxy policy.
    let _machine = support::rig_lock();
    let Stage { site, _page, proxy } = Stage::start();
    let default_block =
        r#"{"profile":{"default_content_setting_values":{"loopback_network":2}}}"#.to_string();
    let agency_allows = r#"{"LoopbackNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw"]}"#;
    let healthy = CertGeneration::TestCa;
    let states = [
        State::new("allowed", ecpa_exception(1), healthy, Ok(())),
        State::new(
            "blocked",
            ecpa_exception(2),
            healthy,
            Err((
                "ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS",
                "browser-lna",
                "browser.lna_blocked",
            )),
        ),
        State::new(
            "blocked-by-default",
            default_block,
            healthy,
            Err((
                "ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS",
                "browser-lna",
                "browser.lna_blocked",
            )),
        ),
        // The user's block does not count against the agency's policy.
        State {
            policy: Some(agency_allows.to_string()),
            ..State::new(
                "blocked-but-policy-allows",
                ecpa_exception(2),
                healthy,
                Ok(()),
            )
        },
        // The component's root imported into the system store only, not the user's NSS DB.
        State {
            trusts_component: false,
            ..State::new(
                "root-missing",
                ecpa_exception(1),
                healthy,
                Err((
                    "ERR_CERT_AUTHORITY_INVALID",
                    "browser-trust",
                    "browser.cert_untrusted",
                )),
            )
        },
        // The 2024 package's 30-day root, correctly trusted, a month later. The component
        // sends its root along, so the TLS check already names it; the trust check says
        // that the browser's trusted root is the expired one.
        State::new(
            "root-expired",
            ecpa_exception(1),
            CertGeneration::ExpiredRoot,
            Err(("ERR_CERT_DATE_INVALID", "bridge-tls", "tls.ca_expired")),
        ),
        // An agency proxy whose bypass list names loopback but not iccert.nhi.gov.tw: the
        // page comes through the proxy, the component's address goes to it too.
        State {
            policy: Some(proxy_policy(proxy.port(), "localhost;127.0.0.1")),
            ..State::new(
                "proxy-no-bypass",
                ecpa_exception(1),
                healthy,
                // Chromium's console words for ERR_TUNNEL_CONNECTION_FAILED on a WebSocket.
                Err((
                    "Establishing a tunnel via proxy server failed",
                    "browser-proxy",
                    "browser.proxy_no_bypass",
                )),
            )
        },
        State {
            policy: Some(proxy_policy(proxy.port(), "localhost;iccert.nhi.gov.tw")),
            ..State::new("proxy-with-bypass", ecpa_exception(1), healthy, Ok(()))
        },
    ];
    for st in states {
        let State {
            name: state,
            prefs,
            policy,
            certs,
            trusts_component,
            outcome,
        } = st;
        let _policy = policy.map(|p| PolicyFile::write("ecpa-doctor-test.json", &p));
        let tunnels_before = proxy.targets().len();
        let bridge = component_on_7777(certs);
        let roots = roots_to_trust(&site, &bridge, trusts_component);
        let home = home_with(state, &roots, &prefs);
        // The doctor first, on the profile as the user left it.
        let (run, v) = doctor_on(&home);
        assert_root_cause(state, &run, &v, outcome.err().map(|(_, id, f)| (id, f)));
        if outcome.is_ok() {
            for id in ["browser-trust", "browser-lna"] {
                assert_eq!(check(&v, id)["status"], "pass", "{state}: {id}: {run:?}");
            }
        }
        if state == "root-expired" {
            assert_eq!(
                check(&v, "browser-trust")["finding"],
                "browser.cert_root_expired",
                "{state}: {run:?}"
            );
        }
        // Then the browser, on the same profile.
        let browser = Chromium::launch(&home, 443);
        let visit = browser.visit("https://ecpa.dgpa.gov.tw/", Duration::from_secs(20));
        drop(browser);
        match outcome {
            Ok(()) => assert_eq!(visit.result, "reply:GetVersion:0011", "{state}: {visit:?}"),
            Err((error, ..)) => {
                assert_eq!(visit.result, "error", "{state}: {visit:?}");
                assert!(
                    visit.log.iter().any(|l| l.contains(error)),
                    "{state}: the browser did not say {error}: {visit:?}"
                );
            }
        }
        let asked: Vec<String> = proxy.targets().split_off(tunnels_before);
        let through_proxy = asked.iter().any(|t| t == "iccert.nhi.gov.tw:7777");
        assert_eq!(
            through_proxy,
            state == "proxy-no-bypass",
            "{state}: the proxy was asked for {asked:?}"
        );
        // What a real browser's denial does to a component as fragile as the real one.
        std::thread::sleep(Duration::from_millis(300));
        eprintln!(
            "measured: {state}: Chromium {} the fragile fake component{}",
            if bridge.is_dead() {
                "killed"
            } else {
                "left alive"
            },
            bridge
                .death()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        );
        let _ = std::fs::remove_dir_all(&home);
    }
}

/// A home with one Firefox profile whose NSS DB trusts `roots` and whose `prefs.js` (written
/// while Firefox is closed) holds the test prefs and `extra`.
fn firefox_home(tag: &str, roots: &[(&str, &str)], extra: &str) -> (PathBuf, PathBuf) {
    let home = temp_dir(&format!("firefox-{tag}"));
    let profile = bidi::profile_in(&home, "default-esr");
    nss_db_trusting(&profile, roots);
    std::fs::write(profile.join("prefs.js"), bidi::test_prefs(extra)).unwrap();
    (home, profile)
}

/// One state of the user's Firefox: the doctor's root cause (check, finding) with what
/// Firefox shows for the component's address, or `None` when the page gets its reply.
struct FirefoxState {
    name: &'static str,
    certs: CertGeneration,
    /// The component's root is in the profile's NSS DB.
    trusts_component: bool,
    prefs: String,
    root_cause: Option<(&'static str, &'static str, &'static str)>,
    shows: &'static str,
}

impl FirefoxState {
    fn new(
        name: &'static str,
        certs: CertGeneration,
        root_cause: Option<(&'static str, &'static str, &'static str)>,
    ) -> FirefoxState {
        FirefoxState {
            name,
            certs,
            trusts_component: true,
            prefs: String::new(),
            shows: root_cause.map_or("", |r| r.2),
            root_cause,
        }
    }
}

fn firefox_proxy(port: u16, bypass: &str) -> String {
    format!(
        "user_pref(\"network.proxy.type\", 1);\nuser_pref(\"network.proxy.ssl\", \"127.0.0.1\");\nuser_pref(\"network.proxy.ssl_port\", {port});\nuser_pref(\"network.proxy.no_proxies_on\", \"{bypass}\");\n"
    )
}

#[test]
fn firefox_and_the_doctor_agree_on_trust_and_proxies() {
    let _machine = support::rig_lock();
    let Stage { site, _page, proxy } = Stage::start();
    let healthy = CertGeneration::TestCa;
    let states = [
        FirefoxState {
            shows: "complete https://iccert.nhi.gov.tw:7777/",
            ..FirefoxState::new("trusted", healthy, None)
        },
        FirefoxState {
            trusts_component: false,
            ..FirefoxState::new(
                "root-missing",
                healthy,
                Some((
                    "browser-trust",
                    "browser.cert_untrusted",
                    "SEC_ERROR_UNKNOWN_ISSUER",
                )),
            )
        },
        // Firefox, like Chromium, holds a trusted root to its dates.
        FirefoxState::new(
            "root-expired",
            CertGeneration::ExpiredRoot,
            Some((
                "bridge-tls",
                "tls.ca_expired",
                "SEC_ERROR_EXPIRED_ISSUER_CERTIFICATE",
            )),
        ),
        // What Firefox shows when its proxy refuses the tunnel (the proxy's 502).
        FirefoxState {
            prefs: firefox_proxy(proxy.port(), "localhost, 127.0.0.1"),
            ..FirefoxState::new(
                "proxy-no-bypass",
                healthy,
                Some((
                    "browser-proxy",
                    "browser.proxy_no_bypass",
                    "about:neterror?e=connectionFailure",
                )),
            )
        },
        FirefoxState {
            prefs: firefox_proxy(proxy.port(), "localhost, iccert.nhi.gov.tw"),
            shows: "complete https://iccert.nhi.gov.tw:7777/",
            ..FirefoxState::new("proxy-with-bypass", healthy, None)
        },
    ];
    for st in states {
        let FirefoxState {
            name: state,
            certs,
            trusts_component,
            prefs: extra,
            root_cause,
            shows,
        } = st;
        let bridge = component_on_7777(certs);
        let roots = roots_to_trust(&site, &bridge, trusts_component);
        let (home, profile) = firefox_home(state, &roots, &extra);
        let (run, v) = doctor_on(&home);
        assert_root_cause(state, &run, &v, root_cause.map(|(id, f, _)| (id, f)));
        let tunnels_before = proxy.targets().len();
        let browser = bidi::Firefox::launch(&home, &profile);
        let (visit, landed) = browser.visit(
            "https://ecpa.dgpa.gov.tw/",
            "https://iccert.nhi.gov.tw:7777/",
            Duration::from_secs(30),
        );
        drop(browser);
        let asked: Vec<String> = proxy.targets().split_off(tunnels_before);
        eprintln!(
            "measured: firefox {state}: {visit:?}; https://iccert.nhi.gov.tw:7777/ showed {landed}"
        );
        match root_cause {
            None => assert_eq!(visit.result, "reply:GetVersion:0011", "{state}: {visit:?}"),
            Some(_) => assert_eq!(visit.result, "error", "{state}: {visit:?}"),
        }
        assert!(landed.contains(shows), "{state}: Firefox showed {landed}");
        assert_eq!(
            asked.iter().any(|t| t == "iccert.nhi.gov.tw:7777"),
            state == "proxy-no-bypass",
            "{state}: the proxy was asked for {asked:?}"
        );
        if state == "root-expired" {
            assert_eq!(
                check(&v, "browser-trust")["finding"],
                "browser.cert_root_expired",
                "{run:?}"
            );
        }
        std::thread::sleep(Duration::from_millis(300));
        let _ = std::fs::remove_dir_all(&home);
    }
}
