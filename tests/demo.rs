//! The demo and training mode, through the real binary: every scenario's report names the
//! root cause and remedy it declares (the network checks really talk to the fake bridge on
//! loopback), every finding the default profile can produce has a scenario, and in a real
//! terminal (tmux) the picker switches the simulated machine and the fix key turns the
//! chain green. Needs no reader, no pcscd and no component: that is the point of the demo.

#[path = "support/doctor.rs"]
mod support;
#[path = "support/tmux.rs"]
mod tmux;

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Instant;

use ecpa_doctor::demo::scenario::{self, Scenario};
use ecpa_doctor::engine::Profile;
use ecpa_doctor::i18n::{Lang, ui};
use serde_json::Value;
use support::{BIN, check, doctor};
use tmux::{Tmux, exit_status};

/// Findings of the default profile's kinds that no scenario produces, and why. Everything
/// else must have a scenario (the coverage test below fails otherwise).
const EXCLUDED: &[(&str, &str)] = &[
    ("bridge.connect_failed", "the default profile connects to the literal address 127.0.0.1, so only an OS-level refusal other than ECONNREFUSED (a firewall REJECT rule on loopback) gives it; the demo's network is the real loopback and the demo does not change the machine's firewall"),
    ("ws.refused", "bridge-ws runs only after bridge-http recognised the component's page, and the component (like its fake) accepts every upgrade on /echo; a refusal needs a server that imitates the page but not the protocol, which nothing known does (tests/bridge.rs produces it with bridge-ws alone)"),
    ("service.windows_unreadable", "the default profile uses the built-in announcements, which are checked when the profile loads; only a profile's own `windows_file` can be unreadable"),
    ("installer.unknown", "only from `check-installer` or a profile naming one `file`; the default profile's download-folder scan picks files by their known installer names"),
    ("message.empty", "only when the operator passes an empty --message; a scenario that declares a message declares its text"),
    ("pcsc.scardsvr_stopped", "Windows only: read from `sc query SCardSvr` when ecpa-doctor itself runs on Windows and the system layer is real"),
    ("pcsc.scardsvr_disabled", "Windows only: read from `sc qc SCardSvr` when ecpa-doctor itself runs on Windows and the system layer is real"),
    ("signature.malformed", "not yet simulated: the fake bridge has no fault that answers H_Sign with a signature of the wrong shape (nhi_signature landed while the demo was written)"),
    ("registration.not_requested", "not yet simulated: the registration check needs a password typed by the operator and a verifier; the demo world has neither yet (registration landed while the demo was written)"),
    ("registration.verifier_config", "not yet simulated: needs a verifier config file in the demo world (registration landed while the demo was written)"),
    ("registration.password_length", "not yet simulated: needs a password typed by the operator (registration landed while the demo was written)"),
    ("registration.verifier_unreachable", "not yet simulated: needs a verifier endpoint in the demo world (registration landed while the demo was written)"),
    ("registration.verifier_garbled", "not yet simulated: needs the fake verifier in the demo world (registration landed while the demo was written)"),
    ("registration.refused", "not yet simulated: needs the fake verifier in the demo world (registration landed while the demo was written)"),
];

/// Every scenario's JSON report, run in parallel (each run is one short process).
fn run_all(scenarios: &[&'static Scenario]) -> Vec<(&'static Scenario, support::Run)> {
    let queue = Mutex::new(scenarios.to_vec());
    let done = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                while let Some(sc) = queue.lock().unwrap().pop() {
                    let run = doctor(&["demo", &sc.id, "--report", "--format", "json", "--lang", "en"], &[]);
                    done.lock().unwrap().push((sc, run));
                }
            });
        }
    });
    done.into_inner().unwrap()
}

fn findings_in(report: &Value) -> Vec<String> {
    report["checks"].as_array().map(|a| a.iter().filter_map(|c| c["finding"].as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// What is wrong with one scenario's run, if anything.
fn judge(sc: &Scenario, run: &support::Run, base: &Profile) -> Result<(), String> {
    let r: Value = serde_json::from_str(&run.stdout).map_err(|e| format!("not JSON ({e}): {run:?}"))?;
    if r["demo"] != Value::Bool(true) {
        return Err(format!("the report does not say it is demo data: {}", r["demo"]));
    }
    let Some((want_check, want_finding)) = sc.expect.finding() else {
        let failing: Vec<String> = r["checks"].as_array().into_iter().flatten().filter(|c| c["status"] != "pass").map(|c| format!("{} {} {}", c["id"], c["status"], c["finding"])).collect();
        return if run.code == 0 && r["root_cause"].is_null() && failing.is_empty() { Ok(()) } else { Err(format!("healthy, but exit {} and {failing:?}", run.code)) };
    };
    let c = check(&r, want_check);
    if c["finding"] != want_finding {
        return Err(format!("check {want_check}: finding {} ({}), expected {want_finding}", c["finding"], c["summary"]));
    }
    match r["root_cause"].as_object() {
        Some(rc) if rc["check"] != want_check || rc["finding"] != want_finding => return Err(format!("root cause is {} / {}, expected {want_check} / {want_finding}", rc["check"], rc["finding"])),
        Some(_) if run.code != 1 => return Err(format!("a root cause, but exit {}", run.code)),
        None if !(c["status"] == "warn" && run.code == 2) => return Err(format!("no root cause, yet {want_check} is {} and the exit is {}", c["status"], run.code)),
        _ => {}
    }
    let remedy = base.check(want_check).map(|d| d.remedy_for(want_finding)).unwrap_or_else(|| want_finding.to_string());
    if c["remedy"]["id"] != remedy.as_str() || c["remedy"]["steps"].as_array().is_none_or(|s| s.len() < 2) {
        return Err(format!("remedy {} with {} steps, expected {remedy} with its steps", c["remedy"]["id"], c["remedy"]["steps"]));
    }
    let seen = findings_in(&r);
    let missing: Vec<&String> = sc.also.iter().filter(|f| !seen.contains(f)).collect();
    if !missing.is_empty() {
        return Err(format!("also expected {missing:?}, the report has {seen:?}"));
    }
    Ok(())
}

#[test]
fn every_scenario_names_its_root_cause_and_remedy_and_says_it_is_a_demo() {
    let all: Vec<&'static Scenario> = scenario::builtin().iter().collect();
    let base = Profile::builtin();
    let t0 = Instant::now();
    let runs = run_all(&all);
    let elapsed = t0.elapsed();
    assert_eq!(runs.len(), all.len());
    eprintln!("{} scenarios in {:.1} s", all.len(), elapsed.as_secs_f64());
    let failures: Vec<String> = runs.iter().filter_map(|(sc, run)| judge(sc, run, &base).err().map(|e| format!("{}: {e}", sc.id))).collect();
    assert!(failures.is_empty(), "{} of {} scenarios are wrong:\n{}", failures.len(), all.len(), failures.join("\n"));
}

#[test]
fn every_finding_of_the_default_profile_has_a_scenario() {
    let profile = Profile::builtin();
    // The demo adds the message check when a scenario declares what the user saw.
    let kinds: BTreeSet<&str> = profile.checks.iter().map(|c| c.kind.as_str()).chain(["message"]).collect();
    let engine: BTreeSet<&str> = ecpa_doctor::probes::ENGINE_FINDINGS.iter().copied().collect();
    let excluded: BTreeSet<&str> = EXCLUDED.iter().map(|(f, _)| *f).collect();
    let possible: BTreeSet<&str> = kinds.iter().flat_map(|k| ecpa_doctor::probes::kind(k).map(|k| k.findings).unwrap_or_default()).copied().filter(|f| !engine.contains(f)).collect();
    let covered: BTreeSet<&str> = scenario::builtin().iter().flat_map(|s| s.findings()).collect();
    let missing: Vec<&&str> = possible.iter().filter(|f| !covered.contains(*f) && !excluded.contains(*f)).collect();
    assert!(missing.is_empty(), "findings of the default profile with no demo scenario (add one to assets/demo/scenarios/, or an exclusion with its reason): {missing:?}");
    let needless: Vec<&&str> = excluded.iter().filter(|f| covered.contains(*f)).collect();
    assert!(needless.is_empty(), "excluded, yet a scenario produces them: drop the exclusion: {needless:?}");
    assert!(EXCLUDED.iter().all(|(_, why)| why.len() > 20), "every exclusion says why");
}

#[test]
fn the_list_shows_every_scenario_with_its_root_cause() {
    let run = doctor(&["demo", "--list", "--lang", "en"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let all = scenario::builtin();
    assert!(all.len() >= 20, "{}", all.len());
    for sc in all {
        let line = run.stdout.lines().find(|l| l.split_whitespace().next() == Some(sc.id.as_str())).unwrap_or_else(|| panic!("{} not listed:\n{}", sc.id, run.stdout));
        assert!(line.contains(&sc.title.zh_tw) && line.contains(&sc.title.en), "{line}");
        if let Some((c, f)) = sc.expect.finding() {
            assert!(line.contains(&format!("{c}: {f}")), "{line}");
        }
    }
    let listed = run.stdout.lines().filter(|l| all.iter().any(|s| l.starts_with(&format!("{} ", s.id)))).count();
    assert!(listed >= 20, "{listed} scenarios listed");
}

#[test]
fn text_and_markdown_reports_carry_the_demo_banner() {
    for (lang, code) in [(Lang::ZhTw, "zh-TW"), (Lang::En, "en")] {
        let banner = ui("report.demo_banner", lang);
        for format in ["text", "markdown"] {
            let run = doctor(&["demo", "no-card", "--format", format, "--lang", code], &[]);
            assert_eq!(run.code, 1, "{run:?}");
            assert!(run.stdout.lines().take(4).any(|l| l.contains(&banner)), "{format} {code}: no banner at the top:\n{}", run.stdout);
        }
    }
    // Without a terminal and without --report, the demo prints the report and says so.
    let run = doctor(&["demo", "healthy"], &[]);
    assert!(run.stdout.contains(&ui("report.demo_banner", Lang::ZhTw)), "{run:?}");
    assert!(!run.stderr.is_empty(), "{run:?}");
}

#[test]
fn an_unknown_scenario_is_a_usage_error_naming_the_list() {
    let run = doctor(&["demo", "no-such-thing", "--report"], &[]);
    assert_eq!(run.code, 64, "{run:?}");
    assert!(run.stderr.contains("no-such-thing") && run.stderr.contains("--list"), "{run:?}");
}

/// The training loop in a real terminal: pick a failing scenario, read the root cause,
/// press the fix key, watch the root cause's check turn green.
#[test]
fn picking_a_scenario_and_fixing_it_turns_the_chain_green() {
    let t = Tmux::start(120, 40);
    t.type_line(&format!("{BIN} demo --lang en; echo EXIT=$?"));
    // The check list's row: glyph, status word, then the title (left of the detail pane).
    let card_row = |s: &str, status: &str| {
        s.lines().any(|l| l.split('│').next().and_then(|left| left.split_once(status)).is_some_and(|(_, rest)| rest.trim_start().starts_with("NHI card ")))
    };
    t.wait_for("the healthy scenario's checks", |s| s.contains("Scenario: Everything works") && card_row(s, "pass") && !s.contains("Checking..."));

    t.keys(&["s"]);
    t.wait_for("the picker", |s| s.contains("Pick a demo scenario") && s.contains("no-card"));
    t.run(&["send-keys", "-t", "0", "-l", "no-card"]);
    t.wait_for("the filtered list", |s| s.contains("Filter: no-card_") && s.contains("No card in the reader"));
    t.keys(&["Enter"]);
    let (screen, _) = t.wait_for("the no-card root cause", |s| s.contains("Root cause: NHI card") && card_row(s, "FAIL"));
    assert!(screen.contains("Scenario: No card in the reader"), "{screen}");

    t.keys(&["f"]);
    let (screen, _) = t.wait_for("the fix notice", |s| s.contains("Applied the remedy for “No card in the reader”"));
    assert!(screen.contains("Everything works"), "{screen}");
    t.keys(&["Enter"]);
    let (screen, _) = t.wait_for("the chain green again", |s| card_row(s, "pass") && !s.contains("Root cause:") && !s.contains("Checking..."));
    assert!(screen.contains("Scenario: Everything works"), "{screen}");

    t.keys(&["?"]);
    let (help, _) = t.wait_for("the help with the demo keys", |s| s.contains("(demo) Pick a scenario"));
    assert!(help.contains("(demo) Apply the remedy"), "{help}");
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    let (screen, _) = t.wait_for("the console to end", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
}
