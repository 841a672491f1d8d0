//! The NHI cloud end of the chain, run by the real binary against loopback fakes: the
//! card signature (`nhi_signature`) against the fake component bridge, the registration
//! password (`registration`) against the fake bridge AND a fake of NHI's `UserSign` SOAP
//! service (real HTTPS on 127.0.0.1), the clock against a server's `Date` header, and the
//! component's codes through `explain`. The password tests read the virtual NHI card
//! through the real pcscd + vpcd rig (the bridge's GetBasic and EnCrypt need a card) and
//! search every output for the typed password.

#![cfg(unix)]

use crate::support;
use crate::support::tmux;
use crate::support::vcard;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};
use ecpa_doctor::sim::cloud::CloudStandIn;
use ecpa_doctor::sim::timeserver::TimeServer;
use ecpa_doctor::sim::verifier::{Answer, FakeVerifier, VerifierConfig};
use ecpa_doctor::system::pcsc::RealPcsc;
use serde_json::Value;
use support::{BIN, Run, check, doctor, rig_lock, temp_dir, wait_reader, write_profile};

/// What the user types; searched for in every output afterwards.
const PASSWORD: &str = "Pw4Nhi-q7z";
const ORG_PASS: &str = "org-s3cret-XYZ";
const ORG_ID: &str = "ORG-TEST-0001";

fn bridge(fault: Fault, cards: bool) -> FakeBridge {
    let cfg = BridgeConfig {
        cards: cards.then(|| Arc::new(RealPcsc) as _),
        ..BridgeConfig::new(CertGeneration::TestCa, fault)
    };
    FakeBridge::start(cfg).expect("start the fake bridge")
}

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn profile(dir: &Path, checks: &str) -> String {
    write_profile(
        dir,
        "profile.yaml",
        &format!(
            "schema: 1\nname: nhi-cloud-test\ntitle: {{ zh-TW: 測試, en: test }}\nchecks:\n{checks}"
        ),
    )
}

fn outbound(port: u16) -> String {
    format!(
        "  - id: outbound-reach\n    kind: outbound_reach\n    title: {{ zh-TW: 對外, en: outbound }}\n    severity: advisory\n    timeout: 5s\n    params:\n      host: 127.0.0.1\n      port: {port}\n      connect_timeout: 1s\n"
    )
}

fn signature(port: u16, needs: &str) -> String {
    format!(
        "  - id: nhi-signature\n    kind: nhi_signature\n    title: {{ zh-TW: 雲端驗證, en: signature }}\n    timeout: 10s\n    needs: [{needs}]\n    params:\n      port: {port}\n      outbound_check: outbound-reach\n"
    )
}

fn registration(port: u16, config: &Path) -> String {
    format!(
        "  - id: registration\n    kind: registration\n    title: {{ zh-TW: 註冊與密碼, en: registration }}\n    timeout: 20s\n    needs: [nhi-signature]\n    params:\n      port: {port}\n      config_file: {}\n      verify_timeout: 5s\n",
        config.display()
    )
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

fn assert_finding(run: &Run, v: &Value, id: &str, expected: &str) {
    assert_eq!(finding(v, id), expected, "{run:?}");
    let remedy = &check(v, id)["remedy"];
    assert!(
        remedy["steps"].as_array().is_some_and(|s| s.len() >= 2),
        "no remedy for {expected}: {run:?}"
    );
}

/// The binary with standard input fed from `input` (a pipe: not a terminal).
fn doctor_stdin(args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
    let mut child = support::command(args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run ecpa-doctor");
    // The child may not read it all (no verifier): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

// ───────────────────────────── nhi_signature ─────────────────────────────

#[test]
fn a_256_character_signature_passes() {
    let dir = temp_dir("sig-ok");
    let b = bridge(Fault::Online, false);
    let p = profile(
        &dir,
        &format!(
            "{}{}",
            outbound(closed_port()),
            signature(b.port(), "outbound-reach")
        ),
    );
    let run = doctor(&["--profile", &p, "--report", "--format", "json"], &[]);
    let v = run.json();
    assert_eq!(check(&v, "nhi-signature")["status"], "pass", "{run:?}");
    assert!(
        evidence(&v, "nhi-signature", "signature").starts_with("256 個字元"),
        "{run:?}"
    );
    assert_eq!(evidence(&v, "nhi-signature", "version"), "0011");
    let exchange = evidence(&v, "nhi-signature", "exchange");
    assert!(
        exchange.contains("H_Sign?Random=0011") && exchange.contains("H_Sign:（256 個字元）"),
        "{exchange}"
    );
    // The random sent is the version and the 16 digits GetRandom gave.
    let random = evidence(&v, "nhi-signature", "random");
    assert!(
        b.log()
            .iter()
            .any(|l| l == &format!("command: H_Sign?Random=0011{random}")),
        "{:?}",
        b.log()
    );
}

#[test]
fn offline_4061_is_a_network_finding_with_the_outbound_result_beside_it() {
    let dir = temp_dir("sig-4061");
    let b = bridge(Fault::Healthy, false);
    let p = profile(
        &dir,
        &format!(
            "{}{}",
            outbound(closed_port()),
            signature(b.port(), "outbound-reach")
        ),
    );
    let run = doctor(&["--profile", &p, "--report", "--format", "json"], &[]);
    let v = run.json();
    assert_finding(&run, &v, "nhi-signature", "ws.cloud_unreachable");
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(v["root_cause"]["check"], "nhi-signature");
    assert_eq!(
        evidence(&v, "nhi-signature", "official_message"),
        "無法連接服務網站"
    );
    let outbound = evidence(&v, "nhi-signature", "outbound_check");
    assert!(
        outbound.starts_with("outbound-reach：注意（outbound.unreachable）"),
        "{outbound}"
    );
    let zh = check(&v, "nhi-signature")["remedy"]["title"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(zh.contains("4061"), "{zh}");
}

#[test]
fn each_signature_code_maps_to_its_finding() {
    let dir = temp_dir("sig-codes");
    for (code, expected) in [
        ("8005", "ws.cloud_auth_failed"),
        ("8304", "ws.cloud_auth_failed"),
        ("9001", "ws.signature_failed"),
        ("9999", "ws.command_unknown"),
        ("1234", "ws.component_error"),
    ] {
        let b = bridge(Fault::SignCode(code.into()), false);
        let p = profile(&dir, &signature(b.port(), ""));
        let run = doctor(
            &[
                "--profile",
                &p,
                "--report",
                "--format",
                "json",
                "--lang",
                "en",
            ],
            &[],
        );
        let v = run.json();
        assert_finding(&run, &v, "nhi-signature", expected);
        assert_eq!(
            evidence(&v, "nhi-signature", "bridge_code"),
            code,
            "{run:?}"
        );
        assert_eq!(
            evidence(&v, "nhi-signature", "command"),
            "H_Sign",
            "{run:?}"
        );
    }
}

#[test]
fn an_offline_component_answers_4021_before_any_signature() {
    let dir = temp_dir("sig-4021");
    let b = bridge(Fault::OfflineGate, false);
    let p = profile(&dir, &signature(b.port(), ""));
    let run = doctor(&["--profile", &p, "--report", "--format", "json"], &[]);
    let v = run.json();
    assert_finding(&run, &v, "nhi-signature", "ws.origin_list_unreachable");
    assert_eq!(
        evidence(&v, "nhi-signature", "command"),
        "GetVersion",
        "{run:?}"
    );
}

// ───────────────────────────── registration + password ─────────────────────────────

struct Rig {
    dir: PathBuf,
    profile: String,
    bridge: FakeBridge,
    verifier: FakeVerifier,
    _card: vcard::Inserted,
}

/// The fake bridge (online, reading the virtual card through pcscd) and the fake verifier,
/// with a verifier config file holding the organisation's id and secret.
fn password_rig(tag: &str, answer: Answer) -> Rig {
    let card = vcard::insert_wait(
        vcard::slot_addr(0),
        vcard::NhiCard::sample(),
        Duration::from_secs(10),
    )
    .expect("insert the virtual card");
    assert!(
        wait_reader(vcard::reader_name(0), true, Duration::from_secs(10)),
        "pcscd did not notice the card"
    );
    let dir = temp_dir(&format!("reg-{tag}"));
    let bridge = bridge(Fault::Online, true);
    let verifier =
        FakeVerifier::start(VerifierConfig::new(answer)).expect("start the fake verifier");
    let ca = dir.join("verifier-ca.pem");
    std::fs::write(&ca, verifier.ca_pem()).unwrap();
    let config = dir.join("verifier.yaml");
    let text = format!(
        "endpoint: {}\norg_id: {ORG_ID}\norg_pass: {ORG_PASS}\nunit: \"1\"\nca_file: {}\n",
        verifier.endpoint(),
        ca.display()
    );
    std::fs::write(&config, text).unwrap();
    let profile = profile(
        &dir,
        &format!(
            "{}{}",
            signature(bridge.port(), ""),
            registration(bridge.port(), &config)
        ),
    );
    Rig {
        dir,
        profile,
        bridge,
        verifier,
        _card: card,
    }
}

/// Every place the password could have gone: stdout, stderr, the report file, the fake
/// bridge's log, and every byte NHI's (fake) service received.
fn assert_nowhere(secret: &str, run: &Run, rig: &Rig, files: &[&Path]) {
    assert_not_output(secret, run, files);
    for line in rig.bridge.log() {
        assert!(!line.contains(secret), "{secret} in the bridge log: {line}");
    }
    for r in rig.verifier.received() {
        assert!(!r.raw.contains(secret), "{secret} sent to the verifier");
    }
}

fn assert_not_output(secret: &str, run: &Run, files: &[&Path]) {
    assert!(!run.stdout.contains(secret), "{secret} on stdout: {run:?}");
    assert!(!run.stderr.contains(secret), "{secret} on stderr: {run:?}");
    for f in files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        assert!(!text.contains(secret), "{secret} in {}", f.display());
    }
}

#[test]
fn wrong_password_a8002_is_the_root_cause_and_the_password_appears_nowhere() {
    let _rig = rig_lock();
    let rig = password_rig("a8002", Answer::wrong_password());
    let json_file = rig.dir.join("report.json");
    let text_file = rig.dir.join("report.txt");
    let run = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--format",
            "json",
            "-o",
            json_file.to_str().unwrap(),
        ],
        &[],
        &format!("{PASSWORD}\n"),
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json_file).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {run:?}"));
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(v["root_cause"]["check"], "registration", "{v:#}");
    assert_eq!(
        v["root_cause"]["finding"], "account.wrong_password",
        "{v:#}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        rig.verifier.rude_client(),
        None,
        "the verifier saw a reset: {run:?}"
    );
    assert!(!rig.bridge.is_dead(), "{:?}", rig.bridge.death());
    let c = check(&v, "registration");
    assert_eq!(c["remedy"]["title"], "註冊密碼輸入錯誤");
    assert_eq!(
        evidence(&v, "registration", "verifier_result"),
        "A8002:註冊密碼輸入錯誤"
    );
    assert_eq!(
        evidence(&v, "registration", "id_no"),
        "A12****789",
        "ID masked"
    );
    // The warning came first, in the operator's language, from the catalogue.
    assert!(
        run.stderr.contains("連續輸錯註冊密碼") && run.stderr.contains("10 分鐘"),
        "{run:?}"
    );

    // What NHI's service received: the relying party's fields, the password only encrypted.
    let got = rig.verifier.received();
    assert_eq!(got.len(), 1, "one attempt, never retried: {got:?}");
    let r = &got[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/orgverify1/wsauthgsp.asmx");
    assert_eq!(
        r.soap_action.as_deref(),
        Some("\"http://tempuri.org/UserSign\"")
    );
    assert_eq!(r.fields["p_Orgid"], ORG_ID);
    assert_eq!(r.fields["p_OrgPass"], ORG_PASS);
    assert_eq!(r.fields["p_unit"], "1");
    assert_eq!(r.fields["p_idno"], "A123456789");
    assert_eq!(r.fields["p_PassCode"].len(), 48, "{r:?}");
    assert_eq!(r.fields["p_GetBasic"].len(), 112, "{r:?}");
    assert_eq!(r.fields["p_Token"].len(), 256);
    assert!(
        r.fields["p_Random"].starts_with("0011") && r.fields["p_Random"].len() == 20,
        "{r:?}"
    );
    // The component got the password once for each of the two commands that take it.
    let log = rig.bridge.log();
    assert!(
        log.contains(&"command: EnCrypt?Pwd=(10 characters)".to_string()),
        "{log:?}"
    );
    assert!(
        log.contains(&"command: SecureGetBasicWithParam?Pwd=(10 characters)".to_string()),
        "{log:?}"
    );
    let exchange = evidence(&v, "registration", "exchange");
    assert!(
        exchange.contains("EnCrypt?Pwd=（已隱藏） → EnCrypt:（48 個字元）"),
        "{exchange}"
    );

    // The same run as a text report to a file, and as text on stdout.
    let text = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--report",
            "-o",
            text_file.to_str().unwrap(),
        ],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert_eq!(text.code, 1, "{text:?}");
    let on_stdout = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--report",
            "--format",
            "markdown",
            "--show-pii",
        ],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        on_stdout.stdout.contains("註冊密碼輸入錯誤"),
        "{on_stdout:?}"
    );
    for (secret, what) in [
        (PASSWORD, "the password"),
        (ORG_PASS, "the organisation secret"),
    ] {
        for run in [&run, &text, &on_stdout] {
            assert_not_output(secret, run, &[&json_file, &text_file]);
            if secret == PASSWORD {
                assert_nowhere(secret, run, &rig, &[]);
            }
        }
        // Nothing else was written next to the reports (no log files).
        for entry in std::fs::read_dir(&rig.dir).unwrap().flatten() {
            let bytes = std::fs::read(entry.path()).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(secret)
                    || entry.file_name() == "verifier.yaml",
                "{what} in {}",
                entry.path().display()
            );
        }
    }
    assert!(
        !run.stdout.contains(ORG_ID)
            && !std::fs::read_to_string(&json_file)
                .unwrap()
                .contains(ORG_ID),
        "the organisation id is never shown"
    );
    let _ = std::fs::remove_dir_all(&rig.dir);
}

#[test]
fn registered_and_right_a0000_passes() {
    let _rig = rig_lock();
    let rig = password_rig("a0000", Answer::ok());
    let run = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--format",
            "json",
            "--lang",
            "en",
        ],
        &[],
        &format!("{PASSWORD}\n"),
    );
    let v = run.json();
    assert_eq!(check(&v, "registration")["status"], "pass", "{run:?}");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        check(&v, "registration")["summary"]
            .as_str()
            .unwrap()
            .contains("A0000"),
        "{run:?}"
    );
    assert!(run.stderr.contains("3 wrong"), "English warning: {run:?}");
    assert_nowhere(PASSWORD, &run, &rig, &[]);
}

#[test]
fn other_answers_of_the_verification_service_are_named() {
    let _rig = rig_lock();
    let cases = [
        (
            Answer::Result("A8899:卡號與身分證號不符".into()),
            "nhi.card_id_mismatch",
        ),
        (
            Answer::Result("A9999:資料格式錯誤".into()),
            "nhi.malformed_request",
        ),
        (Answer::Result("A7010:其他".into()), "registration.refused"),
        (Answer::Fault, "nhi.service_unavailable"),
        (Answer::NotSoap, "registration.verifier_garbled"),
    ];
    for (answer, expected) in cases {
        let rig = password_rig("others", answer.clone());
        let run = doctor_stdin(
            &[
                "--profile",
                &rig.profile,
                "--check-password",
                "--format",
                "json",
            ],
            &[],
            &format!("{PASSWORD}\n"),
        );
        let v = run.json();
        assert_finding(&run, &v, "registration", expected);
        assert_eq!(rig.verifier.received().len(), 1, "{answer:?}: one attempt");
        assert_nowhere(PASSWORD, &run, &rig, &[]);
        drop(rig);
    }
}

#[test]
fn an_unreachable_verifier_is_named_and_a_silent_one_does_not_hang() {
    let _rig = rig_lock();
    let rig = password_rig("unreachable", Answer::Silent);
    // Point the environment at a closed port: the environment wins over the file.
    let closed = format!(
        "https://localhost:{}/orgverify1/wsauthgsp.asmx",
        closed_port()
    );
    let run = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--format",
            "json",
        ],
        &[("ECPA_DOCTOR_NHI_ENDPOINT", &closed)],
        &format!("{PASSWORD}\n"),
    );
    let v = run.json();
    assert_finding(
        &run,
        &v,
        "registration",
        "registration.verifier_unreachable",
    );
    assert!(
        evidence(&v, "registration", "verifier").contains(&closed),
        "{run:?}"
    );
    let t0 = Instant::now();
    let run = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--format",
            "json",
        ],
        &[],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        t0.elapsed() < Duration::from_secs(25),
        "hung on a silent verifier: {run:?}"
    );
    assert_finding(
        &run,
        &run.json(),
        "registration",
        "registration.verifier_unreachable",
    );
}

#[test]
fn a_password_of_the_wrong_length_never_leaves_the_machine() {
    let _rig = rig_lock();
    let rig = password_rig("short", Answer::ok());
    let run = doctor_stdin(
        &[
            "--profile",
            &rig.profile,
            "--check-password",
            "--format",
            "json",
        ],
        &[],
        "abc\n",
    );
    let v = run.json();
    assert_finding(&run, &v, "registration", "registration.password_length");
    assert!(
        rig.verifier.received().is_empty(),
        "nothing may be sent to NHI"
    );
}

#[test]
fn the_password_check_runs_only_when_asked() {
    let dir = temp_dir("reg-not-asked");
    let b = bridge(Fault::Online, false);
    let config = dir.join("none.yaml");
    let p = profile(
        &dir,
        &format!(
            "{}{}",
            signature(b.port(), ""),
            registration(b.port(), &config)
        ),
    );
    let run = doctor(&["--profile", &p, "--format", "json"], &[]);
    let v = run.json();
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != "registration"),
        "ran without being asked: {run:?}"
    );
    assert_eq!(check(&v, "nhi-signature")["status"], "pass", "{run:?}");
    // A password on the command line is refused.
    let run = doctor(&["--profile", &p, "--check-password", PASSWORD], &[]);
    assert_eq!(run.code, 64, "{run:?}");
}

#[test]
fn without_a_verifier_no_password_is_asked_and_the_message_path_is_offered() {
    let dir = temp_dir("reg-none");
    let b = bridge(Fault::Online, false);
    let p = profile(&dir, &format!("{}{}", signature(b.port(), ""), "  - id: registration\n    kind: registration\n    title: { zh-TW: 註冊, en: registration }\n    needs: [nhi-signature]\n    params:\n      port: PORT\n".replace("PORT", &b.port().to_string())));
    let env = [
        ("ECPA_DOCTOR_VERIFIER_CONFIG", ""),
        ("ECPA_DOCTOR_NHI_ORGID", ""),
        ("ECPA_DOCTOR_NHI_ORGPASS", ""),
    ];
    let run = doctor_stdin(
        &["--profile", &p, "--check-password", "--format", "json"],
        &env,
        &format!("{PASSWORD}\n"),
    );
    let v = run.json();
    assert_finding(&run, &v, "registration", "registration.no_verifier");
    assert!(
        check(&v, "registration")["summary"]
            .as_str()
            .unwrap()
            .contains("ecpa-doctor explain"),
        "{run:?}"
    );
    assert!(run.stderr.contains("不詢問密碼"), "{run:?}");
    assert!(
        !b.log().iter().any(|l| l.contains("Pwd=")),
        "no password command without a verifier"
    );
}

// ───────────────────────────── clock ─────────────────────────────

fn clock_check(url: &str) -> String {
    format!(
        "  - id: clock\n    kind: clock\n    title: {{ zh-TW: 時鐘, en: clock }}\n    severity: advisory\n    timeout: 5s\n    params:\n      url: {url}\n"
    )
}

#[test]
fn clock_skew_over_five_minutes_warns_and_a_close_clock_passes() {
    let dir = temp_dir("clock");
    let fast = FakeVerifier::start(VerifierConfig {
        answer: Answer::ok(),
        date_offset_secs: -3600,
    })
    .unwrap();
    let run = doctor(
        &[
            "--profile",
            &profile(
                &dir,
                &clock_check(&format!("https://localhost:{}/", fast.port())),
            ),
            "--format",
            "json",
            "--lang",
            "en",
        ],
        &[],
    );
    let v = run.json();
    assert_finding(&run, &v, "clock", "clock.skewed");
    assert_eq!(check(&v, "clock")["status"], "warn", "advisory: {run:?}");
    assert_eq!(run.code, 2);
    assert!(
        check(&v, "clock")["summary"]
            .as_str()
            .unwrap()
            .contains("1 h")
            && check(&v, "clock")["summary"]
                .as_str()
                .unwrap()
                .contains("fast"),
        "{run:?}"
    );
    assert_eq!(fast.received()[0].method, "HEAD");
    assert_eq!(
        fast.rude_client(),
        None,
        "the clock check was rude to the server"
    );
    let right = FakeVerifier::start(VerifierConfig::new(Answer::ok())).unwrap();
    let run = doctor(
        &[
            "--profile",
            &profile(
                &dir,
                &clock_check(&format!("https://localhost:{}/", right.port())),
            ),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(check(&run.json(), "clock")["status"], "pass", "{run:?}");
    assert_eq!(
        right.rude_client(),
        None,
        "the clock check was rude to the server"
    );
}

/// The courtesy owed to the component is owed to every server the doctor touches: the
/// stand-ins for NHI's cloud, the time source and the verifier see a FIN, never a reset.
#[test]
fn servers_beyond_the_component_see_no_reset_from_us() {
    let dir = temp_dir("courtesy");
    let cloud = CloudStandIn::start().unwrap();
    let time = TimeServer::start(0).unwrap();
    let p = profile(
        &dir,
        &format!("{}{}", outbound(cloud.port()), clock_check(&time.url())),
    );
    let run = doctor(&["--profile", &p, "--format", "json", "--lang", "en"], &[]);
    let v = run.json();
    assert_eq!(check(&v, "outbound-reach")["status"], "pass", "{run:?}");
    assert_eq!(check(&v, "clock")["status"], "pass", "{run:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(cloud.rude_client(), None, "{run:?}");
    assert_eq!(time.rude_client(), None, "{run:?}");
}

#[test]
fn clock_offline_warns_quickly_and_the_default_profile_degrades() {
    let dir = temp_dir("clock-offline");
    let run = doctor(
        &[
            "--profile",
            &profile(
                &dir,
                &clock_check(&format!("https://127.0.0.1:{}/", closed_port())),
            ),
            "--format",
            "json",
        ],
        &[],
    );
    let v = run.json();
    assert_finding(&run, &v, "clock", "clock.unverified");
    assert_eq!(run.code, 2);
    // The built-in profile's clock check on this (offline) machine: a warning, bounded.
    let t0 = Instant::now();
    let run = doctor(&["--check", "clock", "--format", "json"], &[]);
    let elapsed = t0.elapsed();
    let v = run.json();
    assert_eq!(
        check(&v, "clock")["status"]
            .as_str()
            .map(|s| s == "pass" || s == "warn"),
        Some(true),
        "{run:?}"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "the clock check took {elapsed:?}"
    );
    eprintln!(
        "measured: default clock check {elapsed:?} ({})",
        finding(&v, "clock")
    );
}

// ───────────────────────────── explain: the component's codes ─────────────────────────────

#[test]
fn explain_knows_the_components_codes_and_official_texts() {
    for (text, expected) in [
        ("8013", "ws.card_unreachable"),
        (
            "無法存取健保卡，請查明讀卡機是否已插好或是否已置入健保卡",
            "ws.card_unreachable",
        ),
        ("錯誤 4061 無法連接服務網站", "ws.cloud_unreachable"),
        ("９００１", "ws.signature_failed"),
        ("4021", "ws.origin_list_unreachable"),
    ] {
        let run = doctor(&["explain", "--format", "json", text], &[]);
        let v = run.json();
        assert_eq!(run.code, 1, "{text}: {run:?}");
        assert_eq!(v["root_cause"]["finding"], expected, "{text}: {run:?}");
        assert!(
            check(&v, "message")["remedy"]["steps"]
                .as_array()
                .is_some_and(|s| s.len() >= 2),
            "{text}"
        );
    }
    let run = doctor(&["explain", "8013"], &[]);
    assert!(
        run.stdout.contains("8013") && run.stdout.contains("無法存取健保卡"),
        "{run:?}"
    );
}

// ───────────────────────────── the console: w ─────────────────────────────

#[test]
fn console_w_asks_masked_checks_once_and_the_password_is_never_on_screen() {
    let _rig = rig_lock();
    let rig = password_rig("tui", Answer::wrong_password());
    let out = rig.dir.join("pane-output.bin");
    let t = tmux::Tmux::start(100, 30);
    t.record_output(&out);
    t.type_line(&format!(
        "cd '{}' && {BIN} --profile '{}'; echo EXIT=$?",
        rig.dir.display(),
        rig.profile
    ));
    // The automatic run: the signature passes, the password check waits to be asked.
    let (screen, _) = t.wait_for("the first run", |s| {
        s.contains("雲端驗證") && s.contains("註冊與密碼") && !s.contains("檢查中")
    });
    assert!(
        rig.verifier.received().is_empty(),
        "the password check ran on its own:\n{screen}"
    );
    // A PC/SC change (another test binary, pcscd's own polling) can start a re-run just
    // as `w` arrives; the console then says to wait, which is right: dismiss and retry.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let screen = loop {
        t.keys(&["w"]);
        let (screen, _) = t.wait_for("the password dialog or the wait notice", |s| {
            (s.contains("檢查註冊密碼") && s.contains("10 分鐘")) || s.contains("請等全部完成後")
        });
        if !screen.contains("請等全部完成後") {
            break screen;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the checks never settled:\n{screen}"
        );
        t.keys(&["Space"]);
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    assert!(screen.contains("註冊密碼："), "{screen}");
    t.run(&["send-keys", "-t", "0", "-l", PASSWORD]);
    let dots = "•".repeat(PASSWORD.chars().count());
    let (screen, _) = t.wait_for("the masked password", |s| s.contains(&dots));
    assert!(!screen.contains(PASSWORD), "{screen}");
    t.keys(&["Enter"]);
    let (screen, _) = t.wait_for("the verdict", |s| s.contains("根本原因：註冊與密碼"));
    assert!(screen.contains("註冊密碼輸入錯誤"), "{screen}");
    assert_eq!(rig.verifier.received().len(), 1, "one attempt");
    // r re-runs the automatic checks only: no second attempt, and the result is cleared.
    t.keys(&["r"]);
    t.wait_for("the re-run", |s| {
        !s.contains("根本原因：註冊與密碼") && !s.contains("檢查中")
    });
    assert_eq!(
        rig.verifier.received().len(),
        1,
        "r must not retry the password"
    );
    t.keys(&["q"]);
    let (screen, _) = t.wait_for("the exit", |s| tmux::exit_status(s).is_some());
    assert!(!screen.contains(PASSWORD), "{screen}");
    let bytes = std::fs::read(&out).unwrap_or_default();
    assert!(!bytes.is_empty(), "nothing recorded from the pane");
    assert!(
        !String::from_utf8_lossy(&bytes).contains(PASSWORD),
        "the password reached the terminal"
    );
    assert!(!rig.bridge.log().iter().any(|l| l.contains(PASSWORD)));
    assert!(!rig.verifier.received()[0].raw.contains(PASSWORD));
}
