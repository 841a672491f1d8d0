//! The browser link against a real browser: Debian's Chromium, headless, with the user's
//! profile under a test `$HOME` put in each Local Network Access state by real means
//! (`certutil` into its NSS DB, `Preferences` written while it is closed), the fake
//! component on 127.0.0.1:7777 and a stand-in eCPA page as the public origin
//! `https://ecpa.dgpa.gov.tw` (browser.md §8). For each state the page's outcome — the
//! component's reply, or the browser's own `net::ERR_…` — and ecpa-doctor's verdict on the
//! same `$HOME` must agree. Ports 443 and 7777 and `/etc/chromium/policies/managed/` are
//! the machine's: one state at a time, the policy file removed even after a failure.

#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{self, cdp::Chromium, check, temp_dir};
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

/// A home whose NSS DB trusts the page's and the component's roots (`C,,`, as the
/// component's Linux installer would) and whose Chromium profile holds `prefs`.
fn home_with(tag: &str, roots: &[(&str, &str)], prefs: &str) -> PathBuf {
    let home = temp_dir(&format!("browser-{tag}"));
    let db = home.join(".pki/nssdb");
    std::fs::create_dir_all(&db).unwrap();
    let db_arg = format!("sql:{}", db.display());
    certutil(&["-N", "--empty-password", "-d", &db_arg]);
    for (name, pem) in roots {
        let file = home.join(format!("{name}.crt"));
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
    }
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

/// The doctor's browser check on `home`, as the JSON report's check object.
fn doctor_on(home: &Path) -> (support::Run, serde_json::Value) {
    let home_text = home.display().to_string();
    let run = support::doctor(
        &[
            "--check",
            "browser-lna",
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

#[test]
fn chromium_and_the_doctor_agree_on_local_network_access() {
    static MACHINE_PORTS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _ports = MACHINE_PORTS.lock().unwrap_or_else(|p| p.into_inner());
    let site =
        ecpa_doctor::sim::certs::site(&["ecpa.dgpa.gov.tw"], "eCPA stand-in test CA").unwrap();
    let page_listener = std::net::TcpListener::bind("127.0.0.1:443")
        .expect("port 443 for the eCPA stand-in (the tests run as root)");
    let page = EcpaPage::start_on(page_listener, &site).unwrap();
    assert_eq!(page.port(), 443);
    let default_block =
        r#"{"profile":{"default_content_setting_values":{"loopback_network":2}}}"#.to_string();
    // (state, Preferences, an agency policy, the page gets the reply, the doctor's finding)
    let agency_allows = r#"{"LoopbackNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw"]}"#;
    let states = [
        ("allowed", ecpa_exception(1), None, true, None),
        (
            "blocked",
            ecpa_exception(2),
            None,
            false,
            Some("browser.lna_blocked"),
        ),
        (
            "blocked-by-default",
            default_block,
            None,
            false,
            Some("browser.lna_blocked"),
        ),
        // The user's block does not count against the agency's policy.
        (
            "blocked-but-policy-allows",
            ecpa_exception(2),
            Some(agency_allows),
            true,
            None,
        ),
    ];
    for (state, prefs, policy, reaches, finding) in states {
        let _policy = policy.map(|p| PolicyFile::write("ecpa-doctor-test.json", p));
        let listener = listen_like_the_component("127.0.0.1:7777".parse().unwrap())
            .expect("port 7777 for the fake component");
        let bridge = FakeBridge::start_on(
            listener,
            BridgeConfig::new(CertGeneration::TestCa, Fault::Healthy),
        )
        .unwrap();
        let home = home_with(
            state,
            &[
                ("ecpa-stand-in", site.component_root_pem.as_str()),
                ("component", bridge.certs().component_root_pem.as_str()),
            ],
            &prefs,
        );
        // The doctor first, on the profile as the user left it.
        let (run, v) = doctor_on(&home);
        let c = check(&v, "browser-lna");
        match finding {
            None => assert_eq!(c["status"], "pass", "{state}: {run:?}"),
            Some(f) => {
                assert_eq!(c["finding"], f, "{state}: {run:?}");
                assert_eq!(v["root_cause"]["check"], "browser-lna", "{state}: {run:?}");
            }
        }
        // Then the browser, on the same profile.
        let browser = Chromium::launch(&home, 443);
        let visit = browser.visit("https://ecpa.dgpa.gov.tw/", Duration::from_secs(20));
        drop(browser);
        if reaches {
            assert_eq!(visit.result, "reply:GetVersion:0011", "{state}: {visit:?}");
        } else {
            assert_eq!(visit.result, "error", "{state}: {visit:?}");
            assert!(
                visit
                    .log
                    .iter()
                    .any(|l| l.contains("ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS")),
                "{state}: the browser did not say it was Local Network Access: {visit:?}"
            );
        }
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
