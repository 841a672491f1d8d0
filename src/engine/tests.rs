//! Scheduling behaviour with hand-made probes: concurrency, skipping, timeouts, panics.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::kind::{BoxFuture, Ctx, Env, Kind, Kinds, Probe, Simulated};
use super::outcome::{Msg, Outcome, Status};
use super::profile::{CheckDef, Profile, Severity};
use super::run::{self, Event, Request};
use crate::i18n::L10n;

/// The engine's own kinds for its tests: `host` passes at once, whatever its params.
pub(super) const KINDS: Kinds = &[Kind::new("host", &[], build_pass, Simulated::SystemLayer)];

fn build_pass(_: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(Fake(pass, Duration::ZERO)))
}

struct Fake(fn() -> Outcome, Duration);

impl Probe for Fake {
    fn run(&self, _ctx: Ctx) -> BoxFuture {
        let (f, d) = (self.0, self.1);
        Box::pin(async move {
            tokio::time::sleep(d).await;
            f()
        })
    }
}

fn check(
    id: &str,
    needs: &[&str],
    f: fn() -> Outcome,
    delay_ms: u64,
    timeout_ms: u64,
    severity: Severity,
) -> CheckDef {
    CheckDef {
        id: id.into(),
        kind: "fake".into(),
        title: L10n {
            zh_tw: id.into(),
            en: id.into(),
        },
        needs: needs.iter().map(|s| s.to_string()).collect(),
        after: Vec::new(),
        timeout: Duration::from_millis(timeout_ms),
        severity,
        remedies: Default::default(),
        renames: Vec::new(),
        params: serde_yaml::Value::Null,
        probe: Arc::new(Fake(f, Duration::from_millis(delay_ms))),
        descriptor: &KINDS[0],
    }
}

fn pass() -> Outcome {
    Outcome::pass(Msg::new("x"))
}
fn fail() -> Outcome {
    Outcome::fail("card.none", Msg::new("x"))
}
fn boom() -> Outcome {
    panic!("probe exploded")
}

fn profile(checks: Vec<CheckDef>) -> Arc<Profile> {
    Arc::new(Profile {
        name: "t".into(),
        title: L10n {
            zh_tw: "t".into(),
            en: "t".into(),
        },
        source: "test".into(),
        checks,
        remedies: Default::default(),
    })
}

/// The engine passes the machine through untouched; these probes look at nothing.
fn system() -> Env {
    Arc::new(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_checks_run_concurrently() {
    let p = profile(vec![
        check("a", &[], pass, 1000, 10_000, Severity::Blocking),
        check("b", &[], pass, 1000, 10_000, Severity::Blocking),
        check("c", &[], pass, 1000, 10_000, Severity::Blocking),
    ]);
    // One after another takes at least 3 s; together about 1 s, with 1.5 s to spare for
    // a loaded machine running the other tests of this binary alongside.
    let t0 = Instant::now();
    let r = run::run(p, system(), Request::default(), None).await;
    assert!(
        t0.elapsed() < Duration::from_millis(2500),
        "took {:?}: not concurrent",
        t0.elapsed()
    );
    assert!(r.outcomes.iter().all(|(_, o)| o.status == Status::Pass));
}

#[tokio::test]
async fn failed_prerequisite_skips_the_chain_naming_the_root() {
    let p = profile(vec![
        check("a", &[], fail, 0, 1000, Severity::Blocking),
        check("b", &["a"], pass, 0, 1000, Severity::Blocking),
        check("c", &["b"], pass, 0, 1000, Severity::Blocking),
    ]);
    let r = run::run(p.clone(), system(), Request::default(), None).await;
    let c = r.outcome("c").unwrap();
    assert_eq!(c.status, Status::Skipped);
    assert_eq!(
        c.skipped_because.as_deref(),
        Some("a"),
        "the root, not the intermediate skip"
    );
    let (root, _) = run::root_cause(&p, &r.outcomes).unwrap();
    assert_eq!(root, "a");
}

/// Passes when the check it runs after handed it something, whatever that check found.
struct ReadsHandoff;

impl Probe for ReadsHandoff {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        Box::pin(async move {
            match ctx.prior.get("a").and_then(|o| o.handoff.get::<&str>()) {
                Some(s) => Outcome::pass(Msg::new(s)),
                None => Outcome::fail("x.nothing", Msg::new("x")),
            }
        })
    }
}

fn fail_handing() -> Outcome {
    fail().handing("the chain")
}

#[tokio::test]
async fn a_check_after_a_failed_one_runs_and_reads_what_it_handed_over() {
    let mut b = check("b", &[], pass, 0, 1000, Severity::Blocking);
    b.after = vec!["a".into()];
    b.probe = Arc::new(ReadsHandoff);
    let p = profile(vec![
        check("a", &[], fail_handing, 50, 1000, Severity::Blocking),
        b,
    ]);
    let r = run::run(p.clone(), system(), Request::default(), None).await;
    let b = &r.outcomes[1].1;
    assert_eq!(
        (b.status, b.summary.key.as_str()),
        (Status::Pass, "the chain")
    );
    assert_eq!(p.with_dependents("a"), vec!["a", "b"]);
    // Left out of the run (`--check b` without a): it runs with nothing handed over.
    let only = Request {
        only: Some(["b".to_string()].into()),
        ..Request::default()
    };
    let r = run::run(p, system(), only, None).await;
    assert_eq!(r.outcomes[0].1.finding.as_deref(), Some("x.nothing"));
}

#[tokio::test]
async fn timeout_names_the_check_and_does_not_wait_for_it() {
    let p = profile(vec![
        check("slow", &[], pass, 10_000, 200, Severity::Blocking),
        check("after", &["slow"], pass, 0, 1000, Severity::Blocking),
    ]);
    let t0 = Instant::now();
    let r = run::run(p, system(), Request::default(), None).await;
    assert!(t0.elapsed() < Duration::from_secs(2));
    let slow = r.outcome("slow").unwrap();
    assert_eq!(slow.status, Status::TimedOut);
    assert_eq!(slow.finding.as_deref(), Some("check.timeout"));
    assert_eq!(
        r.outcome("after").unwrap().skipped_because.as_deref(),
        Some("slow")
    );
}

#[tokio::test]
async fn panic_becomes_crashed_and_the_run_goes_on() {
    let p = profile(vec![
        check("bad", &[], boom, 0, 1000, Severity::Blocking),
        check("good", &[], pass, 0, 1000, Severity::Blocking),
    ]);
    let r = run::run(p, system(), Request::default(), None).await;
    let bad = r.outcome("bad").unwrap();
    assert_eq!(bad.status, Status::Crashed);
    assert!(
        matches!(&bad.summary.args[0].1, super::outcome::Value::Text(t) if t.contains("probe exploded"))
    );
    assert_eq!(r.outcome("good").unwrap().status, Status::Pass);
}

#[tokio::test]
async fn advisory_failure_warns_and_lets_dependents_run() {
    let p = profile(vec![
        check("adv", &[], fail, 0, 1000, Severity::Advisory),
        check("next", &["adv"], pass, 0, 1000, Severity::Blocking),
    ]);
    let r = run::run(p.clone(), system(), Request::default(), None).await;
    assert_eq!(r.outcome("adv").unwrap().status, Status::Warn);
    assert_eq!(r.outcome("next").unwrap().status, Status::Pass);
    assert_eq!(run::verdict(&p, &r.outcomes), run::Verdict::Warnings);
    assert!(run::root_cause(&p, &r.outcomes).is_none());
}

#[tokio::test]
async fn root_cause_is_first_blocking_failure_in_profile_order() {
    // `late` fails first in time, `early` first in profile order.
    let p = profile(vec![
        check("early", &[], fail, 200, 1000, Severity::Blocking),
        check("late", &[], fail, 0, 1000, Severity::Blocking),
    ]);
    let r = run::run(p.clone(), system(), Request::default(), None).await;
    assert_eq!(run::root_cause(&p, &r.outcomes).unwrap().0, "early");
    assert_eq!(run::verdict(&p, &r.outcomes).exit_code(), 1);
}

#[tokio::test]
async fn events_stream_start_and_finish_for_every_check() {
    let p = profile(vec![
        check("a", &[], fail, 0, 1000, Severity::Blocking),
        check("b", &["a"], pass, 0, 1000, Severity::Blocking),
    ]);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    run::run(p, system(), Request::default(), Some(tx)).await;
    let mut events = Vec::new();
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Started { id } if id == "a"))
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::Started { id } if id == "b")),
        "a skipped check never starts"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, Event::Finished { .. }))
            .count(),
        2
    );
}

#[tokio::test]
async fn rerun_of_a_subset_keeps_previous_outcomes() {
    let p = profile(vec![
        check("a", &[], pass, 0, 1000, Severity::Blocking),
        check("b", &["a"], fail, 0, 1000, Severity::Blocking),
    ]);
    let first = run::run(p.clone(), system(), Request::default(), None).await;
    let previous = first.outcomes.iter().cloned().collect();
    let only = Some(["b".to_string()].into_iter().collect());
    let second = run::run(
        p,
        system(),
        Request {
            only,
            previous,
            ..Default::default()
        },
        None,
    )
    .await;
    assert_eq!(second.outcome("a"), first.outcome("a"));
    assert_eq!(second.outcome("b").unwrap().status, Status::Fail);
}

#[tokio::test]
async fn a_subset_without_previous_outcomes_runs_only_the_selection() {
    let p = profile(vec![
        check("a", &[], pass, 0, 1000, Severity::Blocking),
        check("b", &["a"], pass, 0, 1000, Severity::Blocking),
        check("c", &[], fail, 0, 1000, Severity::Blocking),
    ]);
    let only = Some(["a".to_string(), "b".to_string()].into_iter().collect());
    let r = run::run(
        p.clone(),
        system(),
        Request {
            only,
            ..Default::default()
        },
        None,
    )
    .await;
    let ids: Vec<&str> = r.outcomes.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(run::verdict(&p, &r.outcomes), run::Verdict::Healthy);
}

/// The engine runs the kinds it is handed: nothing in it may name the kinds, the system
/// layer, the simulations or a frontend, so it can be tested and reused with other kinds.
#[test]
fn the_engine_imports_no_kind_system_layer_or_frontend() {
    // Written in halves, so that this file does not name them itself.
    let forbidden: Vec<String> = [
        ("crate::", "probes"),
        ("crate::", "sim"),
        ("crate::", "system"),
        ("crate::", "tui"),
        ("crate::", "demo"),
        ("rata", "tui"),
        ("cross", "term"),
        ("cl", "ap::"),
    ]
    .iter()
    .map(|(a, b)| format!("{a}{b}"))
    .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/engine");
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        read += 1;
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            for f in &forbidden {
                assert!(
                    !code.contains(f),
                    "{}:{}: the engine names `{f}`: {line}",
                    path.display(),
                    n + 1
                );
            }
        }
    }
    assert!(read >= 7, "read only {read} files of {}", dir.display());
}
