//! The demo and training mode, through the real binary: every scenario's report names the
//! root cause and remedy it declares (the network checks really talk to the fake bridge on
//! loopback), every finding the default profile can produce has a scenario, and in a real
//! terminal (tmux) the picker switches the simulated machine and the fix key turns the
//! chain green. Scenarios that train the registration password run with --check-password
//! and their scripted password on standard input (in the console: w), against the demo's
//! own fake of NHI's verification service, never the one the environment names. Needs no
//! reader, no pcscd and no component: that is the point of the demo.

use crate::support;
use crate::support::tmux;

use std::collections::BTreeSet;
use std::io::Write;
use std::net::TcpListener;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::Instant;

use ecpa_doctor::demo::scenario::{self, Scenario};
use ecpa_doctor::engine::Profile;
use ecpa_doctor::i18n::{Lang, ui};
use serde_json::Value;
use support::{BIN, Run, check, doctor, temp_dir};
use tmux::{Tmux, exit_status};

/// Findings of the default profile's kinds that no scenario produces, and why. Everything
/// else must have a scenario (the coverage test below fails otherwise).
const EXCLUDED: &[(&str, &str)] = &[
    (
        "bridge.connect_failed",
        "the default profile connects to the literal address 127.0.0.1, so only an OS-level refusal other than ECONNREFUSED (a firewall REJECT rule on loopback) gives it; the demo's network is the real loopback and the demo does not change the machine's firewall",
    ),
    (
        "ws.refused",
        "bridge-ws runs only after bridge-http recognised the component's page, and the component (like its fake) accepts every upgrade on /echo; a refusal needs a server that imitates the page but not the protocol, which nothing known does (tests/bridge.rs produces it with bridge-ws alone)",
    ),
    (
        "service.windows_unreadable",
        "the default profile uses the built-in announcements, which are checked when the profile loads; only a profile's own `windows_file` can be unreadable",
    ),
    (
        "installer.unknown",
        "only from `check-installer` or a profile naming one `file`; the default profile's download-folder scan picks files by their known installer names",
    ),
    (
        "message.empty",
        "only when the operator passes an empty --message; a scenario that declares a message declares its text",
    ),
    (
        "pcsc.scardsvr_stopped",
        "Windows only: read from `sc query SCardSvr` when ecpa-doctor itself runs on Windows and the system layer is real",
    ),
    (
        "pcsc.scardsvr_disabled",
        "Windows only: read from `sc qc SCardSvr` when ecpa-doctor itself runs on Windows and the system layer is real",
    ),
];

/// The binary with standard input fed from `input` (a pipe: not a terminal).
fn doctor_stdin(args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
    let mut cmd = support::command(args, &[]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run ecpa-doctor");
    // The child may not read it all (no verifier to ask): a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One scenario's JSON report; a password scenario is run as its story says: with
/// --check-password and its password as the one line on standard input.
fn run_scenario(sc: &Scenario, env: &[(&str, &str)]) -> Run {
    let mut args = vec![
        "demo",
        sc.id.as_str(),
        "--report",
        "--format",
        "json",
        "--lang",
        "en",
    ];
    match &sc.password {
        Some(p) => {
            args.push("--check-password");
            doctor_stdin(&args, env, &format!("{p}\n"))
        }
        None => doctor(&args, env),
    }
}

/// Every scenario's JSON report, run in parallel (each run is one short process).
fn run_all(scenarios: &[&'static Scenario]) -> Vec<(&'static Scenario, Run)> {
    let queue = Mutex::new(scenarios.to_vec());
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        // Each run is mostly waiting on loopback sockets: a few more threads than cores
        // keeps the machine busy without starving a run's own timeouts.
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        for _ in 0..threads.clamp(2, 6) {
            s.spawn(|| {
                while let Some(sc) = queue.lock().unwrap().pop() {
                    let run = run_scenario(sc, &[]);
                    done.lock().unwrap().push((sc, run));
                }
            });
        }
    });
    done.into_inner().unwrap()
}

fn findings_in(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|c| c["finding"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// What is wrong with one scenario's run, if anything.
fn judge(sc: &Scenario, run: &support::Run, base: &Profile) -> Result<(), String> {
    let r: Value =
        serde_json::from_str(&run.stdout).map_err(|e| format!("not JSON ({e}): {run:?}"))?;
    if r["demo"] != Value::Bool(true) {
        return Err(format!(
            "the report does not say it is demo data: {}",
            r["demo"]
        ));
    }
    if let Some(p) = &sc.password {
        if run.stdout.contains(p.as_str()) || run.stderr.contains(p.as_str()) {
            return Err("the typed password is in the output".into());
        }
        // The story is the password check: it must have run, not been left out or skipped.
        let reg = r["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["kind"] == "registration" || c["id"] == "registration");
        if reg.is_none_or(|c| !matches!(c["status"].as_str(), Some("pass" | "warn" | "fail"))) {
            return Err(format!(
                "a password scenario, but the registration check did not run: {reg:?}"
            ));
        }
    }
    let Some((want_check, want_finding)) = sc.expect.finding() else {
        let failing: Vec<String> = r["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["status"] != "pass")
            .map(|c| format!("{} {} {}", c["id"], c["status"], c["finding"]))
            .collect();
        return if run.code == 0 && r["root_cause"].is_null() && failing.is_empty() {
            Ok(())
        } else {
            Err(format!("healthy, but exit {} and {failing:?}", run.code))
        };
    };
    let c = check(&r, want_check);
    if c["finding"] != want_finding {
        return Err(format!(
            "check {want_check}: finding {} ({}), expected {want_finding}",
            c["finding"], c["summary"]
        ));
    }
    match r["root_cause"].as_object() {
        Some(rc) if rc["check"] != want_check || rc["finding"] != want_finding => {
            return Err(format!(
                "root cause is {} / {}, expected {want_check} / {want_finding}",
                rc["check"], rc["finding"]
            ));
        }
        Some(_) if run.code != 1 => return Err(format!("a root cause, but exit {}", run.code)),
        None if !(c["status"] == "warn" && run.code == 2) => {
            return Err(format!(
                "no root cause, yet {want_check} is {} and the exit is {}",
                c["status"], run.code
            ));
        }
        _ => {}
    }
    let remedy = base
        .check(want_check)
        .map(|d| d.remedy_for(want_finding))
        .unwrap_or_else(|| want_finding.to_string());
    if c["remedy"]["id"] != remedy.as_str()
        || c["remedy"]["steps"].as_array().is_none_or(|s| s.len() < 2)
    {
        return Err(format!(
            "remedy {} with {} steps, expected {remedy} with its steps",
            c["remedy"]["id"], c["remedy"]["steps"]
        ));
    }
    let seen = findings_in(&r);
    let missing: Vec<&String> = sc.also.iter().filter(|f| !seen.contains(f)).collect();
    if !missing.is_empty() {
        return Err(format!(
            "also expected {missing:?}, the report has {seen:?}"
        ));
    }
    Ok(())
}

#[test]
fn every_scenario_names_its_root_cause_and_remedy_and_says_it_is_a_demo() {
    let all: Vec<&'static Scenario> = scenario::builtin().iter().collect();
    let base = ecpa_doctor::probes::builtin_profile();
    let t0 = Instant::now();
    let runs = run_all(&all);
    let elapsed = t0.elapsed();
    assert_eq!(runs.len(), all.len());
    eprintln!("{} scenarios in {:.1} s", all.len(), elapsed.as_secs_f64());
    let failures: Vec<String> = runs
        .iter()
        .filter_map(|(sc, run)| {
            judge(sc, run, &base)
                .err()
                .map(|e| format!("{}: {e}", sc.id))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} scenarios are wrong:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn every_finding_of_the_default_profile_has_a_scenario() {
    let profile = ecpa_doctor::probes::builtin_profile();
    // The demo adds the message check when a scenario declares what the user saw.
    let kinds: BTreeSet<&str> = profile
        .checks
        .iter()
        .map(|c| c.kind.as_str())
        .chain(["message"])
        .collect();
    let engine: BTreeSet<&str> = ecpa_doctor::probes::ENGINE_FINDINGS
        .iter()
        .copied()
        .collect();
    let excluded: BTreeSet<&str> = EXCLUDED.iter().map(|(f, _)| *f).collect();
    let possible: BTreeSet<&str> = kinds
        .iter()
        .flat_map(|k| {
            ecpa_doctor::probes::kind(k)
                .map(|k| k.findings)
                .unwrap_or_default()
        })
        .copied()
        .filter(|f| !engine.contains(f))
        .collect();
    let covered: BTreeSet<&str> = scenario::builtin()
        .iter()
        .flat_map(|s| s.findings())
        .collect();
    let missing: Vec<&&str> = possible
        .iter()
        .filter(|f| !covered.contains(*f) && !excluded.contains(*f))
        .collect();
    assert!(
        missing.is_empty(),
        "findings of the default profile with no demo scenario (add one to assets/demo/scenarios/, or an exclusion with its reason): {missing:?}"
    );
    let needless: Vec<&&str> = excluded.iter().filter(|f| covered.contains(*f)).collect();
    assert!(
        needless.is_empty(),
        "excluded, yet a scenario produces them: drop the exclusion: {needless:?}"
    );
    assert!(
        EXCLUDED.iter().all(|(_, why)| why.len() > 20),
        "every exclusion says why"
    );
}

#[test]
fn the_list_shows_every_scenario_with_its_root_cause() {
    let run = doctor(&["demo", "--list", "--lang", "en"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let all = scenario::builtin();
    assert!(all.len() >= 20, "{}", all.len());
    for sc in all {
        let line = run
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(sc.id.as_str()))
            .unwrap_or_else(|| panic!("{} not listed:\n{}", sc.id, run.stdout));
        assert!(
            line.contains(&sc.title.zh_tw) && line.contains(&sc.title.en),
            "{line}"
        );
        if let Some((c, f)) = sc.expect.finding() {
            assert!(line.contains(&format!("{c}: {f}")), "{line}");
        }
    }
    let listed = run
        .stdout
        .lines()
        .filter(|l| all.iter().any(|s| l.starts_with(&format!("{} ", s.id))))
        .count();
    assert!(listed >= 20, "{listed} scenarios listed");
}

#[test]
fn text_and_markdown_reports_carry_the_demo_banner() {
    for (lang, code) in [(Lang::ZhTw, "zh-TW"), (Lang::En, "en")] {
        let banner = ui("report.demo_banner", lang);
        for format in ["text", "markdown"] {
            let run = doctor(
                &["demo", "no-card", "--format", format, "--lang", code],
                &[],
            );
            assert_eq!(run.code, 1, "{run:?}");
            assert!(
                run.stdout.lines().take(4).any(|l| l.contains(&banner)),
                "{format} {code}: no banner at the top:\n{}",
                run.stdout
            );
        }
    }
    // Without a terminal and without --report, the demo prints the report and says so.
    let run = doctor(&["demo", "healthy"], &[]);
    assert!(
        run.stdout.contains(&ui("report.demo_banner", Lang::ZhTw)),
        "{run:?}"
    );
    assert!(!run.stderr.is_empty(), "{run:?}");
}

#[test]
fn an_unknown_scenario_is_a_usage_error_naming_the_list() {
    let run = doctor(&["demo", "no-such-thing", "--report"], &[]);
    assert_eq!(run.code, 64, "{run:?}");
    assert!(
        run.stderr.contains("no-such-thing") && run.stderr.contains("--list"),
        "{run:?}"
    );
}

/// The training loop in a real terminal: pick a failing scenario, read the root cause,
/// press the fix key, watch the root cause's check turn green.
#[test]
fn picking_a_scenario_and_fixing_it_turns_the_chain_green() {
    let t = Tmux::start(120, 40);
    t.type_line(&format!("{BIN} demo --lang en; echo EXIT=$?"));
    // The check list's row: glyph, status word, then the title (left of the detail pane).
    let card_row = |s: &str, status: &str| {
        s.lines().any(|l| {
            l.split('│')
                .next()
                .and_then(|left| left.split_once(status))
                .is_some_and(|(_, rest)| rest.trim_start().starts_with("NHI card "))
        })
    };
    t.wait_for("the healthy scenario's checks", |s| {
        s.contains("Scenario: Everything works")
            && card_row(s, "pass")
            && !s.contains("Checking...")
    });

    t.keys(&["s"]);
    t.wait_for("the picker", |s| {
        s.contains("Pick a demo scenario") && s.contains("no-card")
    });
    t.run(&["send-keys", "-t", "0", "-l", "no-card"]);
    t.wait_for("the filtered list", |s| {
        s.contains("Filter: no-card_") && s.contains("No card in the reader")
    });
    t.keys(&["Enter"]);
    let (screen, _) = t.wait_for("the no-card root cause", |s| {
        s.contains("Root cause: NHI card") && card_row(s, "FAIL")
    });
    assert!(
        screen.contains("Scenario: No card in the reader"),
        "{screen}"
    );

    t.keys(&["f"]);
    let (screen, _) = t.wait_for("the fix notice", |s| {
        s.contains("Applied the remedy for “No card in the reader”")
    });
    assert!(screen.contains("Everything works"), "{screen}");
    t.keys(&["Enter"]);
    let (screen, _) = t.wait_for("the chain green again", |s| {
        card_row(s, "pass") && !s.contains("Root cause:") && !s.contains("Checking...")
    });
    assert!(screen.contains("Scenario: Everything works"), "{screen}");

    t.keys(&["?"]);
    let (help, _) = t.wait_for("the help with the demo keys", |s| {
        s.contains("(demo) Pick a scenario")
    });
    assert!(help.contains("(demo) Apply the remedy"), "{help}");
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    let (screen, _) = t.wait_for("the console to end", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
}

/// A loopback port that stands for the verifier (or proxy) the operator's environment
/// names: every connection attempt to it stays queued, so afterwards we can tell whether
/// anything tried.
struct Recorder(TcpListener);

impl Recorder {
    fn start() -> Recorder {
        Recorder(TcpListener::bind("127.0.0.1:0").unwrap())
    }

    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }

    /// Whether anything connected (the runs have ended, so a connection is queued by now).
    fn touched(&self) -> bool {
        self.0.set_nonblocking(true).unwrap();
        match self.0.accept() {
            Ok(_) => true,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => false,
            Err(e) => panic!("recorder: {e}"),
        }
    }
}

/// The operator's real verifier settings (file and variables) and a proxy, all pointing at
/// the recorder.
fn hostile_env(rec: &Recorder, tag: &str) -> Vec<(String, String)> {
    let dir = temp_dir(tag);
    let endpoint = format!("https://127.0.0.1:{}/orgverify1/wsauthgsp.asmx", rec.port());
    let config = dir.join("operator-verifier.yaml");
    std::fs::write(
        &config,
        format!("endpoint: {endpoint}\norg_id: REAL-ORG\norg_pass: real-org-secret\nunit: \"9\"\n"),
    )
    .unwrap();
    let proxy = format!("http://127.0.0.1:{}", rec.port());
    [
        ("ECPA_DOCTOR_VERIFIER_CONFIG", config.display().to_string()),
        ("ECPA_DOCTOR_NHI_ENDPOINT", endpoint),
        ("ECPA_DOCTOR_NHI_ORGID", "REAL-ORG".to_string()),
        ("ECPA_DOCTOR_NHI_ORGPASS", "real-org-secret".to_string()),
        ("ECPA_DOCTOR_NHI_UNIT", "9".to_string()),
        ("HTTPS_PROXY", proxy.clone()),
        ("https_proxy", proxy),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

#[test]
fn a_demo_password_never_reaches_the_verifier_the_environment_names() {
    let rec = Recorder::start();
    let env_owned = hostile_env(&rec, "demo-hostile-env");
    let env: Vec<(&str, &str)> = env_owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let port = rec.port().to_string();
    for id in [
        "registration-password-ok",
        "registration-wrong-password",
        "registration-no-verifier",
        "registration-verifier-config",
    ] {
        let sc = scenario::find(id).unwrap();
        let run = run_scenario(sc, &env);
        judge(sc, &run, &ecpa_doctor::probes::builtin_profile())
            .unwrap_or_else(|e| panic!("{id}: {e}\n{run:?}"));
        let r: Value = serde_json::from_str(&run.stdout).unwrap();
        let verifier = check(&r, "registration")["evidence"]["verifier"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            !verifier.contains(&port) && !verifier.contains("operator-verifier"),
            "{id}: {verifier}"
        );
        if sc.password.is_some() {
            assert!(
                verifier.starts_with("https://localhost:")
                    && verifier.contains("ecpa-doctor-demo-"),
                "{id}: {verifier}"
            );
            assert!(
                run.stderr.contains(&ui("demo.password_local", Lang::En)),
                "{id}: {run:?}"
            );
        }
    }
    assert!(
        !rec.touched(),
        "a demo run connected to the verifier or proxy the environment names"
    );
}

/// `w` in the demo console: the masked dialog as in a real run, one attempt against the
/// demo's verification service, the password never on screen, the environment's verifier
/// never touched.
#[test]
fn w_in_the_demo_console_checks_the_password_with_the_demo_verifier() {
    const TYPED: &str = "Tr41n-pw";
    let rec = Recorder::start();
    let env = hostile_env(&rec, "demo-tui-hostile-env");
    let exports: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
    let t = Tmux::start(120, 40);
    t.type_line(&format!(
        "{exports}{BIN} demo registration-wrong-password --lang en; echo EXIT=$?"
    ));
    t.wait_for("the automatic run", |s| {
        s.contains("Scenario: NHI says the registration password is wrong")
            && s.contains("Registration and password")
            && !s.contains("Checking...")
    });
    // The last row can be drawn a moment before the run is over; the console then says to
    // wait, which is right: dismiss and ask again.
    let deadline = Instant::now() + std::time::Duration::from_secs(15);
    let screen = loop {
        t.keys(&["w"]);
        let busy = "press w again once they finish";
        let (screen, _) = t.wait_for("the password dialog or the wait notice", |s| {
            (s.contains("Check the registration password") && s.contains("10 minutes"))
                || s.contains(busy)
        });
        if !screen.contains(busy) {
            break screen;
        }
        assert!(
            Instant::now() < deadline,
            "the checks never settled:\n{screen}"
        );
        t.keys(&["Space"]);
        t.wait_for("the notice to close", |s| !s.contains(busy));
    };
    assert!(screen.contains("Password:"), "{screen}");
    t.run(&["send-keys", "-t", "0", "-l", TYPED]);
    let dots = "•".repeat(TYPED.chars().count());
    let (screen, _) = t.wait_for("the masked password", |s| s.contains(&dots));
    assert!(!screen.contains(TYPED), "{screen}");
    t.keys(&["Enter"]);
    let (screen, _) = t.wait_for("the verdict", |s| {
        s.contains("Root cause: Registration and password")
    });
    assert!(
        screen.contains("A8002:註冊密碼輸入錯誤") && !screen.contains(TYPED),
        "{screen}"
    );
    t.keys(&["q"]);
    let (screen, _) = t.wait_for("the console to end", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
    assert!(
        !rec.touched(),
        "the demo console connected to the verifier or proxy the environment names"
    );
}
