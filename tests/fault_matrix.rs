//! The fault matrix: the whole default profile, run by the real binary, with one thing
//! broken at a time in the real parts around it — a pcscd of our own killed mid-read, the
//! virtual card pulled mid-read on the shared rig, the component stopped or replaced by an
//! impostor, hosts-file fixtures, and the fake bridge (`ecpa_doctor::sim::bridge`, real TLS
//! on loopback) in its failure modes. The other tests name each finding in detail; these
//! assert what must hold for EVERY fault at the level of a whole run:
//!
//! * the expected finding is named by the expected check, within that check's own budget
//!   (never the engine's anonymous `check.timeout`), and it is the root cause when blocking;
//! * the run ends within 1.2 × the largest single timeout of the profile used;
//! * nothing panics: no `check.crashed`, no "panicked" on stderr or on the screen;
//! * with the console (tmux), the terminal is restored afterwards.
//!
//! Everything but the fault is healthy: a virtual NHI card in the rig, an install folder
//! fixture, the test binary itself as "the component" holding the bridge's port (named in
//! `process_names`), a loopback hosts line, a loopback "cloud". Linux only.

#![cfg(target_os = "linux")]

use crate::support;
use crate::support::tmux;
use crate::support::vcard;

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecpa_doctor::browser::nss::ServerTrust;
use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};
use ecpa_doctor::system::pcsc::RealPcsc;
use rustls::pki_types::{CertificateDer, pem::PemObject};
use serde_json::Value;
use support::{BIN, Run, check, rig_lock, temp_dir, wait_reader, write_profile};
use tmux::{Tmux, exit_status, has_line};

const DEFAULT_PROFILE: &str = include_str!("../checks/ecpa-nhi-login.yaml");
/// A name no resolver knows, so only the hosts fixture decides (the real iccert name may
/// resolve to NHI's public address on a machine with DNS).
const TEST_HOST: &str = "iccert.doctor-test.invalid";
/// Slack for process start and scheduling when comparing a check's duration with its
/// timeout (the engine itself cuts a check at its timeout).
const SLACK: Duration = Duration::from_millis(1000);

// ─────────────────────────────── the healthy world around one fault ───────────────────────────────

/// Fixtures every run shares: the component's install folder, a hosts file, an empty
/// downloads folder, the "cloud" listener, and the name of this test binary (which holds
/// the fake bridge's port, so it is "the component").
struct World {
    dir: PathBuf,
    cloud: TcpListener,
    me: String,
}

impl World {
    fn new(tag: &str) -> World {
        let dir = temp_dir(&format!("matrix-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        let install = dir.join("NHIICC");
        std::fs::create_dir_all(install.join("cert")).unwrap();
        std::fs::copy("/bin/true", install.join("mLNHIICC"))
            .expect("copy /bin/true as the component daemon");
        for f in ["NHIServerCert.crt", "NHIServerCert.key", "NHIRootCA.crt"] {
            std::fs::write(
                install.join("cert").join(f),
                b"-----BEGIN CERTIFICATE-----\nfixture\n-----END CERTIFICATE-----\n",
            )
            .unwrap();
        }
        std::fs::write(
            install.join("NHIICC.service"),
            "[Service]\nExecStart=/usr/local/share/NHIICC/mLNHIICC\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.join("logs")).unwrap();
        std::fs::create_dir_all(dir.join("downloads")).unwrap();
        // The user's Chromium, which allowed eCPA to reach this computer (as Chromium 156
        // wrote it: tests/fixtures/browser/).
        let chromium = dir.join("home/.config/chromium");
        std::fs::create_dir_all(chromium.join("Default")).unwrap();
        let fixtures = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/browser/chromium-156"
        );
        std::fs::copy(
            format!("{fixtures}/legacy-allow-migrated.Preferences"),
            chromium.join("Default/Preferences"),
        )
        .unwrap();
        std::fs::copy(
            format!("{fixtures}/Last Version"),
            chromium.join("Last Version"),
        )
        .unwrap();
        let me = std::env::current_exe()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let w = World {
            dir,
            cloud: TcpListener::bind("127.0.0.1:0").unwrap(),
            me,
        };
        w.hosts(&format!("127.0.0.1 localhost\n127.0.0.1    {TEST_HOST}\n"));
        w
    }

    fn hosts(&self, text: &str) {
        std::fs::write(self.dir.join("hosts"), text).unwrap();
    }

    fn root_ca(&self) -> PathBuf {
        self.dir.join("NHIICC/cert/NHIRootCA.crt")
    }

    /// Params of every check for a bridge on `port`, as YAML flow mappings.
    fn params(&self, port: u16) -> Vec<(&'static str, String)> {
        let d = self.dir.display();
        vec![
            (
                "component-installed",
                format!(
                    "{{ os: linux, install_dir: '{d}/NHIICC', service_files: ['{d}/NHIICC/NHIICC.service'] }}"
                ),
            ),
            (
                "component-running",
                format!(
                    "{{ port: {port}, process_names: ['{}'], lock_file: '{d}/exampled.lock', log_dir: '{d}/logs' }}",
                    self.me
                ),
            ),
            (
                "name-resolution",
                format!("{{ host: {TEST_HOST}, hosts_file: '{d}/hosts' }}"),
            ),
            (
                "outbound-reach",
                format!(
                    "{{ host: 127.0.0.1, port: {} }}",
                    self.cloud.local_addr().unwrap().port()
                ),
            ),
            (
                "bridge-tls",
                format!("{{ component_root_ca: '{}' }}", self.root_ca().display()),
            ),
            (
                "installer-download",
                format!("{{ search_dirs: ['{d}/downloads'] }}"),
            ),
            ("browser-lna", format!("{{ home: '{d}/home' }}")),
            ("browser-trust", format!("{{ home: '{d}/home' }}")),
            (
                "browser-proxy",
                format!("{{ home: '{d}/home', environment: false }}"),
            ),
        ]
    }

    /// The default profile with the fixture params, then `changes` (check id → params
    /// merged over those); every check that talks to the component's port (7777) is
    /// pointed at `port`. Returns the profile's path.
    fn profile(&self, port: u16, changes: &[(&str, String)]) -> String {
        let mut doc: serde_yaml::Value = serde_yaml::from_str(DEFAULT_PROFILE).unwrap();
        let checks = doc["checks"].as_sequence_mut().unwrap();
        for c in checks.iter_mut() {
            if let Some(p) = c.get_mut("params").and_then(|p| p.as_mapping_mut())
                && p.get("port").and_then(|v| v.as_u64()) == Some(7777)
            {
                p.insert("port".into(), u64::from(port).into());
            }
        }
        for (id, params) in self
            .params(port)
            .iter()
            .map(|(i, p)| (*i, p))
            .chain(changes.iter().map(|(i, p)| (*i, p)))
        {
            let c = checks
                .iter_mut()
                .find(|c| c["id"] == id)
                .unwrap_or_else(|| panic!("no check {id} in the default profile"));
            let m = c.as_mapping_mut().unwrap();
            let existing = m
                .entry("params".into())
                .or_insert(serde_yaml::Value::Mapping(Default::default()));
            if existing.is_null() {
                *existing = serde_yaml::Value::Mapping(Default::default());
            }
            let new: serde_yaml::Mapping = serde_yaml::from_str(params).unwrap();
            existing.as_mapping_mut().unwrap().extend(new);
        }
        write_profile(
            &self.dir,
            "profile.yaml",
            &serde_yaml::to_string(&doc).unwrap(),
        )
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The largest single check timeout of a profile, and every check's timeout.
fn timeouts(profile: &str) -> (Duration, Vec<(String, Duration)>) {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(profile).unwrap()).unwrap();
    let each: Vec<(String, Duration)> = doc["checks"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| {
            let t = c["timeout"]
                .as_str()
                .map(|t| ecpa_doctor::engine::profile::parse_duration(t).unwrap())
                .unwrap_or(Duration::from_secs(5));
            (c["id"].as_str().unwrap().to_string(), t)
        })
        .collect();
    (each.iter().map(|(_, t)| *t).max().unwrap(), each)
}

fn bridge(certs: CertGeneration, fault: Fault) -> FakeBridge {
    let cfg = BridgeConfig {
        cards: Some(Arc::new(RealPcsc)),
        ..BridgeConfig::new(certs, fault)
    };
    FakeBridge::start(cfg).expect("start the fake bridge")
}

/// A bridge with `certs` whose root is the install's `NHIRootCA.crt`.
fn bridge_for(w: &World, certs: CertGeneration, fault: Fault) -> FakeBridge {
    let b = bridge(certs, fault);
    b.write_component_root(&w.root_ca()).unwrap();
    // The user's Chromium trusts that root in its NSS database, as `certutil -A -t C,,`
    // would leave it.
    let roots: Vec<(Vec<u8>, String, ServerTrust)> =
        CertificateDer::pem_slice_iter(b.certs().component_root_pem.as_bytes())
            .filter_map(Result::ok)
            .map(|c| (c.to_vec(), "NHIRootCA".to_string(), ServerTrust::Anchor))
            .collect();
    let db = w.dir.join("home/.pki/nssdb");
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("cert9.db"), ecpa_doctor::sim::nssdb::cert9(&roots)).unwrap();
    b
}

fn insert_card(card: vcard::NhiCard) -> vcard::Inserted {
    let c = vcard::insert_wait(vcard::slot_addr(0), card, Duration::from_secs(10))
        .expect("insert the virtual card");
    assert!(
        wait_reader(vcard::READER0, true, Duration::from_secs(10)),
        "pcscd did not notice the card"
    );
    c
}

fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

// ─────────────────────────────── one run, and what must hold for it ───────────────────────────────

struct Timed {
    run: Run,
    json: Value,
    wall: Duration,
    bound: Duration,
    each: Vec<(String, Duration)>,
}

fn run_profile(profile: &str, env: &[(&str, &str)]) -> Timed {
    let (largest, each) = timeouts(profile);
    let t0 = Instant::now();
    let run = support::doctor(&["--report", "--format", "json", "--profile", profile], env);
    let wall = t0.elapsed();
    let json = run.json();
    Timed {
        run,
        json,
        wall,
        bound: largest.mul_f64(1.2),
        each,
    }
}

/// The run-level guarantees, then each expected (check, finding): named by that check,
/// within its own budget. `root` is the expected root cause check, if any.
fn assert_guarantees(name: &str, t: &Timed, expected: &[(&str, &str)], root: Option<&str>) {
    let Timed {
        run,
        json,
        wall,
        bound,
        each,
    } = t;
    eprintln!("measured: {name}: whole run {wall:?} (bound {bound:?})");
    assert!(
        wall <= bound,
        "{name}: the run took {wall:?}, over 1.2 × the largest timeout ({bound:?}): {run:?}"
    );
    assert!(
        !run.stderr.contains("panicked"),
        "{name}: a panic on stderr: {run:?}"
    );
    for c in json["checks"].as_array().unwrap() {
        assert_ne!(
            c["finding"], "check.crashed",
            "{name}: check {} crashed: {run:?}",
            c["id"]
        );
        assert_ne!(c["status"], "crashed", "{name}: {run:?}");
    }
    for (id, finding) in expected {
        let c = check(json, id);
        assert_eq!(c["finding"], *finding, "{name}: {run:?}");
        assert!(
            c["status"] == "fail" || c["status"] == "warn",
            "{name}: {id} is {}: {run:?}",
            c["status"]
        );
        let budget = each.iter().find(|(i, _)| i == id).unwrap().1;
        let took = Duration::from_millis(c["duration_ms"].as_u64().unwrap_or(u64::MAX));
        assert!(
            took <= budget + SLACK,
            "{name}: {id} took {took:?} of its {budget:?}"
        );
        assert!(
            c["remedy"]["steps"]
                .as_array()
                .is_some_and(|s| s.len() >= 2),
            "{name}: no remedy for {finding}: {c:#}"
        );
    }
    match root {
        Some(id) => {
            assert_eq!(json["root_cause"]["check"], id, "{name}: {run:?}");
            assert_eq!(run.code, 1, "{name}: {run:?}");
        }
        None => assert!(json["root_cause"].is_null(), "{name}: {run:?}"),
    }
}

// ─────────────────────────────── the healthy baseline ───────────────────────────────

/// Checks that end at NHI's real servers beyond what the fake bridge stands in for (the
/// time source, the password verifier): on loopback they can only report those out of
/// reach, so the baseline lets them warn or fail; every fault below is earlier in the chain.
const NEEDS_REAL_CLOUD: &[&str] = &["clock", "registration"];

#[test]
fn the_healthy_world_passes_so_each_fault_below_is_the_only_one() {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::sample());
    let w = World::new("healthy");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Online);
    let t = run_profile(&w.profile(b.port(), &[]), &[]);
    // The component fetches its origin list from NHI's cloud for every connection and
    // listens with a backlog of one: a healthy run asks as little of it as it can.
    let opened = b.connections();
    eprintln!("measured: a healthy full run opened {opened} connections to the component");
    assert!(
        opened <= 4,
        "a healthy run opened {opened} connections to :7777"
    );
    assert_alive("healthy", &b);
    let root = t.json["root_cause"]["check"].as_str().map(str::to_string);
    assert!(
        root.as_deref()
            .is_none_or(|r| NEEDS_REAL_CLOUD.contains(&r)),
        "the healthy world has a root cause: {:?}",
        t.run
    );
    assert_guarantees("healthy", &t, &[], root.as_deref());
    for c in t.json["checks"].as_array().unwrap() {
        let id = c["id"].as_str().unwrap();
        let ok =
            c["status"] == "pass" || c["severity"] == "advisory" || NEEDS_REAL_CLOUD.contains(&id);
        assert!(ok, "{id} did not pass: {:?}", t.run);
    }
    assert_eq!(check(&t.json, "bridge-ws")["status"], "pass", "{:?}", t.run);
}

// ─────────────────────────────── PC/SC and the card ───────────────────────────────

/// A pcscd of our own with a vpcd reader pair on free ports, in its own mount namespace
/// (its compiled-in socket dir bind-mounted onto a temp dir), reached through
/// PCSCLITE_CSOCK_NAME. Killing it leaves the shared rig alone.
struct OwnPcscd {
    child: Child,
    dir: PathBuf,
    port: u16,
}

impl OwnPcscd {
    fn start(tag: &str) -> OwnPcscd {
        let dir = temp_dir(&format!("own-pcscd-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        let (run, conf) = (dir.join("run"), dir.join("conf"));
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&conf).unwrap();
        let port = free_port_pair();
        std::fs::write(
            conf.join("vpcd"),
            format!("FRIENDLYNAME \"Fault PCD\"\nDEVICENAME /dev/null:0x{port:04X}\nLIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID 0x{port:04X}\n"),
        )
        .unwrap();
        std::fs::create_dir_all("/run/pcscd").unwrap();
        let script = format!(
            "mount --bind {} /run/pcscd && exec pcscd --foreground -c {}",
            run.display(),
            conf.display()
        );
        let child = Command::new("unshare")
            .args(["-m", "sh", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare + pcscd (needs root, util-linux, pcscd and vsmartcard-vpcd; run scripts/rig install)");
        let me = OwnPcscd { child, dir, port };
        let deadline = Instant::now() + Duration::from_secs(15);
        while !(me.socket().exists() && listening(port)) {
            assert!(
                Instant::now() < deadline,
                "our own pcscd did not come up (is unshare -m permitted here?)"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        me
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("run/pcscd.comm")
    }

    fn slot0(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for OwnPcscd {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Two consecutive free ports (vpcd takes PORT and PORT+1), away from the rig's 35963/4.
fn free_port_pair() -> u16 {
    for _ in 0..50 {
        let p = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if p < 65000
            && p.abs_diff(35963) > 2
            && TcpListener::bind(("0.0.0.0", p + 1)).is_ok()
            && TcpListener::bind(("0.0.0.0", p)).is_ok()
        {
            return p;
        }
    }
    panic!("no two free consecutive ports");
}

/// Whether something LISTENs on TCP `port` (the socket table, without connecting: a
/// connect to vpcd would be a card going in).
fn listening(port: u16) -> bool {
    let hex = format!(":{port:04X} ");
    ["/proc/net/tcp", "/proc/net/tcp6"].iter().any(|f| {
        std::fs::read_to_string(f)
            .unwrap_or_default()
            .lines()
            .any(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                cols.len() > 3 && format!("{} ", cols[1]).ends_with(&hex) && cols[3] == "0A"
            })
    })
}

fn slow_card() -> vcard::NhiCard {
    vcard::NhiCard::with_faults(vcard::Faults {
        delay: Some(Duration::from_millis(800)),
        ..Default::default()
    })
}

#[test]
fn pcscd_killed_during_the_card_read_is_no_service() {
    let mut pcscd = OwnPcscd::start("kill");
    let card = vcard::insert_wait(&pcscd.slot0(), slow_card(), Duration::from_secs(10))
        .expect("insert into our pcscd's reader");
    assert!(
        card.wait_powered(Duration::from_secs(10)),
        "our pcscd did not take the card in"
    );
    let w = World::new("pcscd-killed");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Healthy);
    let profile = w.profile(b.port(), &[]);
    let (largest, each) = timeouts(&profile);
    let sock = pcscd.socket();
    let t0 = Instant::now();
    let sock_text = sock.to_string_lossy().into_owned();
    let child = support::command(
        &["--report", "--format", "json", "--profile", &profile],
        &[("PCSCLITE_CSOCK_NAME", &sock_text)],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // Killed while the card is answering SELECT (it takes 0.8 s per command).
    let deadline = Instant::now() + Duration::from_secs(15);
    while card.apdus().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the doctor never sent the card a command"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    pcscd.kill();
    let out = child.wait_with_output().unwrap();
    let wall = t0.elapsed();
    let run = Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    };
    let json = run.json();
    let t = Timed {
        run,
        json,
        wall,
        bound: largest.mul_f64(1.2),
        each,
    };
    // Killed during a transmit, pcsc-lite answers that call with a communication error;
    // the card check then finds the service gone and says so, as it does when killed
    // between two calls.
    let finding = check(&t.json, "card")["finding"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert_eq!(finding, "pcsc.no_service", "{:?}", t.run);
    assert_guarantees(
        "pcscd killed mid-read",
        &t,
        &[("card", finding.as_str())],
        Some("card"),
    );
    assert_eq!(
        check(&t.json, "pcsc-service")["status"],
        "pass",
        "the service was up when the run began: {:?}",
        t.run
    );
    assert_eq!(
        check(&t.json, "bridge-ws")["skipped_because"],
        "card",
        "{:?}",
        t.run
    );
    assert_alive("pcscd killed mid-read", &b);
}

#[test]
fn card_pulled_mid_read_is_named_and_the_run_goes_on() {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::with_faults(vcard::Faults {
        pull_after_select: true,
        ..Default::default()
    }));
    let w = World::new("pulled");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Healthy);
    let t = run_profile(&w.profile(b.port(), &[]), &[]);
    // Pulled between two commands, the next one fails (`card.removed`); pulled while vpcd
    // is passing the READ on, it sometimes hands back an empty answer instead of an
    // error, which reads as a garbled card (`card.garbled`, step read_basic). Either is a
    // named finding from the card check; which one is a race in the virtual reader.
    let finding = check(&t.json, "card")["finding"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        finding == "card.removed" || finding == "card.garbled",
        "{:?}",
        t.run
    );
    assert_guarantees(
        "card pulled mid-read",
        &t,
        &[("card", finding.as_str())],
        Some("card"),
    );
    assert_alive("card pulled mid-read", &b);
    // The rest of the chain was still diagnosed.
    assert_eq!(
        check(&t.json, "bridge-http")["status"],
        "pass",
        "{:?}",
        t.run
    );
}

// ─────────────────────────────── the component and the port ───────────────────────────────

/// One fault of the component or the bridge, with the healthy card in the rig.
fn with_card(
    name: &str,
    certs: CertGeneration,
    fault: Fault,
    changes: impl Fn(&World, u16) -> Vec<(&'static str, String)>,
    expected: &[(&str, &str)],
    root: Option<&str>,
) -> Timed {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::sample());
    let w = World::new(&name.replace(' ', "-"));
    let b = bridge_for(&w, certs, fault);
    let t = run_profile(&w.profile(b.port(), &changes(&w, b.port())), &[]);
    assert_guarantees(name, &t, expected, root);
    assert_alive(name, &b);
    t
}

#[test]
fn component_stopped_with_nothing_on_the_port() {
    let t = with_card(
        "component stopped",
        CertGeneration::TestCa,
        Fault::Healthy,
        |_, _| {
            vec![(
                "component-running",
                format!(
                    "{{ port: {}, process_names: [nhiicc-absent-test] }}",
                    closed_port()
                ),
            )]
        },
        &[("component-running", "component.not_running")],
        Some("component-running"),
    );
    for id in ["bridge-tls", "bridge-http", "bridge-ws"] {
        assert_eq!(check(&t.json, id)["status"], "skipped", "{:?}", t.run);
    }
}

#[test]
fn impostor_on_the_port_is_named_with_its_pid() {
    let t = with_card(
        "impostor",
        CertGeneration::TestCa,
        Fault::ForeignServer,
        |_, port| {
            vec![(
                "component-running",
                format!("{{ port: {port}, process_names: [mLNHIICC] }}"),
            )]
        },
        &[("component-running", "component.impostor")],
        Some("component-running"),
    );
    let owner = check(&t.json, "component-running")["evidence"]["port_owner"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        owner.contains(&format!("PID {}", std::process::id())),
        "{owner}"
    );
}

#[test]
fn hosts_entry_missing() {
    with_card(
        "hosts missing",
        CertGeneration::TestCa,
        Fault::Healthy,
        |w, _| {
            w.hosts("127.0.0.1 localhost\n");
            vec![]
        },
        &[("name-resolution", "resolve.missing")],
        Some("name-resolution"),
    );
}

#[test]
fn hosts_entry_off_the_machine() {
    with_card(
        "hosts off-box",
        CertGeneration::TestCa,
        Fault::Healthy,
        |w, _| {
            w.hosts(&format!("127.0.0.1 localhost\n203.0.113.7 {TEST_HOST}\n"));
            vec![]
        },
        &[("name-resolution", "resolve.off_machine")],
        Some("name-resolution"),
    );
}

// ─────────────────────────────── the bridge ───────────────────────────────

#[test]
fn expired_component_ca() {
    with_card(
        "expired CA",
        CertGeneration::ExpiredRoot,
        Fault::Healthy,
        |_, _| vec![],
        &[("bridge-tls", "tls.ca_expired")],
        Some("bridge-tls"),
    );
}

#[test]
fn san_without_iccert() {
    with_card(
        "SAN mismatch",
        CertGeneration::Nhi2024,
        Fault::Healthy,
        |_, _| vec![],
        &[("bridge-tls", "tls.name_mismatch")],
        Some("bridge-tls"),
    );
}

#[test]
fn bridge_that_accepts_and_never_answers() {
    let t = with_card(
        "black-holed bridge",
        CertGeneration::TestCa,
        Fault::Silent,
        |_, _| vec![],
        &[
            ("bridge-tls", "bridge.no_answer"),
            ("bridge-http", "bridge.no_answer"),
        ],
        Some("bridge-tls"),
    );
    assert_eq!(
        check(&t.json, "bridge-ws")["status"],
        "skipped",
        "{:?}",
        t.run
    );
}

#[test]
fn bridge_that_sends_garbage() {
    with_card(
        "garbage frames",
        CertGeneration::TestCa,
        Fault::GarbageFrames,
        |_, _| vec![],
        &[("bridge-ws", "ws.garbled")],
        Some("bridge-ws"),
    );
    with_card(
        "garbage instead of TLS",
        CertGeneration::TestCa,
        Fault::SshBanner,
        |_, _| vec![],
        &[
            ("bridge-tls", "bridge.not_tls"),
            ("bridge-http", "bridge.not_tls"),
        ],
        Some("bridge-tls"),
    );
}

#[test]
fn bridge_that_sends_a_100_mb_body() {
    let t = with_card(
        "100 MB body",
        CertGeneration::TestCa,
        Fault::HugeBody,
        |_, _| vec![],
        &[("bridge-http", "bridge.not_component")],
        Some("bridge-http"),
    );
    let read = check(&t.json, "bridge-http")["evidence"]["body_read"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(
        read.contains("已停止讀取"),
        "the report speaks zh-TW: {read}"
    );
}

#[test]
fn cloud_unreachable() {
    with_card(
        "cloud unreachable",
        CertGeneration::TestCa,
        Fault::GetBasicCode("4061".into()),
        |_, _| {
            vec![(
                "outbound-reach",
                format!("{{ host: 127.0.0.1, port: {} }}", closed_port()),
            )]
        },
        &[
            ("bridge-ws", "ws.cloud_unreachable"),
            ("outbound-reach", "outbound.unreachable"),
        ],
        Some("bridge-ws"),
    );
}

// ─────────────────────────────── do no harm ───────────────────────────────

/// The fake component is as fragile as the real one (a client that hangs up while it
/// still writes kills it): after whatever the doctor did, it must be alive and still
/// accept connections. A moment first, for a write that would fail late.
fn assert_alive(name: &str, b: &FakeBridge) {
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !b.is_dead(),
        "{name}: the doctor killed the component: {:?}",
        b.death()
    );
    let s = std::net::TcpStream::connect_timeout(&b.addr(), Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("{name}: the component no longer accepts connections: {e}"));
    ecpa_doctor::bridge::farewell::close_blocking(s, Duration::from_secs(5));
    assert!(!b.is_dead(), "{name}: {:?}", b.death());
}

/// A healthy component still serves its page to a gentle client.
fn assert_answers(name: &str, b: &FakeBridge) {
    use ecpa_doctor::bridge::{Budget, Target, farewell, http, tls};
    use tokio::io::AsyncWriteExt;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async {
        let target = Target {
            host: "127.0.0.1".into(),
            port: b.port(),
        };
        let waits = tls::Waits {
            connect: Duration::from_secs(5),
            handshake: Duration::from_secs(5),
        };
        let budget = Budget::new(Duration::from_secs(15));
        let mut c = tls::connect(&target, "iccert.nhi.gov.tw", &budget, waits)
            .await
            .unwrap_or_else(|e| panic!("{name}: no TLS from the component: {e:?}"));
        c.stream
            .write_all(b"GET / HTTP/1.1\r\nHost: iccert.nhi.gov.tw:7777\r\n\r\n")
            .await
            .unwrap();
        let r = http::read_response(
            &mut c.stream,
            Default::default(),
            Duration::from_secs(5),
            true,
        )
        .await;
        farewell::goodbye(c.stream).await;
        r.map(|r| r.head.status_line)
    });
    assert_eq!(status.ok().as_deref(), Some("HTTP/1.1 200 OK"), "{name}");
    assert!(!b.is_dead(), "{name}: {:?}", b.death());
}

fn default_check_ids() -> Vec<String> {
    let doc: serde_yaml::Value = serde_yaml::from_str(DEFAULT_PROFILE).unwrap();
    doc["checks"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn do_no_harm_each_check_alone_then_a_full_run_leave_the_component_alive() {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::sample());
    let w = World::new("harm-each");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Online);
    let profile = w.profile(b.port(), &[]);
    for id in default_check_ids() {
        let run = support::doctor(
            &[
                "--report",
                "--format",
                "json",
                "--profile",
                &profile,
                "--check",
                &id,
            ],
            &[],
        );
        let _ = run.json();
        assert_alive(&format!("--check {id}"), &b);
    }
    let before = b.connections();
    let t = run_profile(&profile, &[]);
    assert_eq!(check(&t.json, "bridge-ws")["status"], "pass", "{:?}", t.run);
    assert!(
        b.connections() - before <= 4,
        "{}",
        b.connections() - before
    );
    assert_alive("a full run", &b);
    assert_answers("a full run", &b);
}

/// What the real component does offline: `4021` to every command, then it closes. The
/// root cause must stay that, run after run — never a connection failure of our making.
#[test]
fn do_no_harm_offline_the_root_cause_stays_4021_run_after_run() {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::sample());
    let w = World::new("harm-offline");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::OfflineGate);
    let profile = w.profile(b.port(), &[]);
    for i in 1..=5 {
        let name = format!("offline component, run {i}");
        let t = run_profile(&profile, &[]);
        assert_guarantees(
            &name,
            &t,
            &[("bridge-ws", "ws.origin_list_unreachable")],
            Some("bridge-ws"),
        );
        for id in ["component-running", "bridge-tls", "bridge-http"] {
            assert_eq!(check(&t.json, id)["status"], "pass", "{name}: {:?}", t.run);
        }
        assert_alive(&name, &b);
    }
}

#[test]
fn do_no_harm_fifty_full_runs_in_a_row() {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::sample());
    let w = World::new("harm-fifty");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Online);
    let profile = w.profile(b.port(), &[]);
    let t0 = Instant::now();
    for i in 1..=50 {
        let run = support::doctor(
            &["--report", "--format", "json", "--profile", &profile],
            &[],
        );
        let v = run.json();
        assert_eq!(check(&v, "bridge-ws")["status"], "pass", "run {i}: {run:?}");
        assert!(
            !b.is_dead(),
            "run {i} killed the component: {:?}",
            b.death()
        );
    }
    eprintln!("measured: 50 full runs in {:?}", t0.elapsed());
    assert_alive("50 full runs", &b);
    assert_answers("50 full runs", &b);
}

/// Waits until the console has finished what it was doing: no "Checking..." on screen
/// and no new connection to the component for a while.
fn wait_quiet(tmux: &Tmux, b: &FakeBridge, what: &str) {
    let t0 = Instant::now();
    let mut last = (b.connections(), Instant::now());
    loop {
        let screen = tmux.screen();
        let n = b.connections();
        if n != last.0 {
            last = (n, Instant::now());
        }
        if !screen.contains("Checking") && last.1.elapsed() > Duration::from_millis(1500) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{what}: the console never settled:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until the component has accepted `n` connections in all.
fn wait_connections(tmux: &Tmux, b: &FakeBridge, n: usize, what: &str) {
    let t0 = Instant::now();
    while b.connections() < n {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "{what}: only {} connections:\n{}",
            b.connections(),
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn do_no_harm_console_reruns_and_card_watch_leave_the_component_alive() {
    let _rig = rig_lock();
    let card = insert_card(vcard::NhiCard::sample());
    let w = World::new("harm-tui");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Online);
    let profile = w.profile(b.port(), &[]);
    let dir = temp_dir("harm-tui-out");
    let tmux = Tmux::start(120, 40);
    tmux.type_line("echo BEFORE-THE-CONSOLE");
    tmux.wait_for("the shell", |s| has_line(s, "BEFORE-THE-CONSOLE"));
    tmux.type_line(&format!(
        "{BIN} --lang en --profile '{profile}' 2>'{}'; echo EXIT=$?",
        dir.join("stderr").display()
    ));
    wait_connections(&tmux, &b, 3, "the first run");
    wait_quiet(&tmux, &b, "the first run");
    assert_alive("the console's first run", &b);

    let before = b.connections();
    tmux.keys(&["r"]);
    wait_connections(&tmux, &b, before + 3, "r");
    wait_quiet(&tmux, &b, "r");
    assert_alive("the console's r", &b);

    // R re-runs the selected check and what needs it: select the bridge's HTTPS check.
    for _ in 0..20 {
        tmux.keys(&["k"]);
    }
    let row = default_check_ids()
        .iter()
        .position(|id| id == "bridge-http")
        .unwrap();
    for _ in 0..row {
        tmux.keys(&["j"]);
    }
    let before = b.connections();
    tmux.keys(&["R"]);
    wait_connections(&tmux, &b, before + 1, "R");
    wait_quiet(&tmux, &b, "R");
    assert_alive("the console's R", &b);

    // The PC/SC watcher re-runs what depends on the card when it leaves and comes back.
    card.remove();
    assert!(wait_reader(vcard::READER0, false, Duration::from_secs(10)));
    wait_quiet(&tmux, &b, "the card out");
    assert_alive("a re-run on card removal", &b);
    let before = b.connections();
    let _card = insert_card(vcard::NhiCard::sample());
    wait_connections(&tmux, &b, before + 1, "the card back in");
    wait_quiet(&tmux, &b, "the card back in");
    assert_alive("a re-run on card insertion", &b);

    tmux.keys(&["q"]);
    let (screen, _) = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
    assert_alive("the console's exit", &b);
    assert_answers("after the console", &b);
    let _ = std::fs::remove_dir_all(&dir);
}

// ─────────────────────────────── with the console ───────────────────────────────

/// The console in tmux with `profile`: time until the root cause is on screen, then `q`;
/// asserts exit 0, the terminal restored, and no panic anywhere in what it wrote.
fn console_until_root_cause(
    tag: &str,
    profile: &str,
    env: &str,
    title: &str,
    bound: Duration,
    during: impl FnOnce(),
) {
    let dir = temp_dir(&format!("matrix-tui-{tag}"));
    let out = dir.join("pane.bin");
    let _ = std::fs::remove_file(&out);
    let tmux = Tmux::start(100, 30);
    tmux.record_output(&out);
    tmux.type_line("echo BEFORE-THE-CONSOLE");
    tmux.wait_for("the shell", |s| has_line(s, "BEFORE-THE-CONSOLE"));
    tmux.type_line(&format!(
        "{env} {BIN} --profile '{profile}' 2>'{}'; echo EXIT=$?",
        dir.join("stderr").display()
    ));
    let t0 = Instant::now();
    during();
    let want = format!("根本原因：{title}");
    loop {
        let s = tmux.screen();
        if s.contains(&want) {
            break;
        }
        assert!(
            t0.elapsed() < bound,
            "{tag}: no root cause `{want}` within {bound:?}:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    eprintln!(
        "measured: {tag}: root cause on the console after {:?} (bound {bound:?})",
        t0.elapsed()
    );
    tmux.keys(&["q"]);
    let (screen, _) = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(
        exit_status(&screen).as_deref(),
        Some("0"),
        "{tag}: {screen}"
    );
    assert!(
        has_line(&screen, "BEFORE-THE-CONSOLE"),
        "{tag}: the previous screen was not restored:\n{screen}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "0", "{tag}");
    assert_eq!(
        tmux.format("#{cursor_flag}"),
        "1",
        "{tag}: cursor left hidden"
    );
    let written = String::from_utf8_lossy(&std::fs::read(&out).unwrap_or_default()).into_owned();
    let stderr = std::fs::read_to_string(dir.join("stderr")).unwrap_or_default();
    assert!(
        !written.contains("panicked") && !stderr.contains("panicked"),
        "{tag}: panic: {stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn console_with_a_black_holed_bridge_names_it_in_time_and_restores_the_terminal() {
    let _rig = rig_lock();
    let _card = insert_card(vcard::NhiCard::sample());
    let w = World::new("tui-silent");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Silent);
    let profile = w.profile(b.port(), &[]);
    let (largest, _) = timeouts(&profile);
    console_until_root_cause(
        "black-holed bridge",
        &profile,
        "",
        "元件的加密憑證",
        largest.mul_f64(1.2),
        || {},
    );
}

#[test]
fn console_survives_pcscd_dying_under_its_watcher() {
    let mut pcscd = OwnPcscd::start("tui-kill");
    let _card = vcard::insert_wait(
        &pcscd.slot0(),
        vcard::NhiCard::sample(),
        Duration::from_secs(10),
    )
    .expect("insert into our pcscd's reader");
    let w = World::new("tui-pcscd");
    let b = bridge_for(&w, CertGeneration::TestCa, Fault::Healthy);
    let profile = w.profile(b.port(), &[]);
    let (largest, _) = timeouts(&profile);
    let env = format!("PCSCLITE_CSOCK_NAME='{}'", pcscd.socket().display());
    // Killed as soon as the console starts: the run (or the watcher's re-run) finds the
    // service gone, and says so as the root cause.
    console_until_root_cause(
        "pcscd killed under the console",
        &profile,
        &env,
        "智慧卡服務（PC/SC）",
        largest.mul_f64(1.2) + Duration::from_secs(3),
        || {
            std::thread::sleep(Duration::from_millis(1500));
            pcscd.kill();
        },
    );
}
