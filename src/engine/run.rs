//! Scheduling: every check starts as soon as the checks it needs have passed; a check
//! whose prerequisite failed ends at once as skipped, naming the root failure; every
//! probe races its own timeout; a panicking probe becomes `Crashed`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};

use super::kind::{Ctx, Env};
use super::outcome::{Outcome, Status};
use super::profile::{CheckDef, Profile, Severity};

#[derive(Debug, Clone)]
pub enum Event {
    Started { id: String },
    Finished { id: String, outcome: Outcome },
}

/// Outcomes in profile order, with when the run started and how long it took.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub started_at: chrono::DateTime<chrono::Local>,
    pub duration: Duration,
    pub outcomes: Vec<(String, Outcome)>,
}

impl RunResult {
    pub fn outcome(&self, id: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|(i, _)| i == id).map(|(_, o)| o)
    }
}

/// Which checks to run. Checks outside `only` keep their `previous` outcome, so a
/// frontend can re-run one check and its dependents without redoing the rest; those
/// with no previous outcome are left out of the run and its result (`--check ID`).
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub only: Option<HashSet<String>>,
    pub previous: HashMap<String, Outcome>,
    /// The registration password the operator typed for this run (`--check-password`, the
    /// console's `w`); the registration check takes it once.
    pub password: Option<Arc<crate::account::secret::PasswordSlot>>,
}

pub async fn run(
    profile: Arc<Profile>,
    env: Env,
    request: Request,
    events: Option<mpsc::UnboundedSender<Event>>,
) -> RunResult {
    let started_at = chrono::Local::now();
    let t0 = Instant::now();
    let mut senders = HashMap::new();
    let mut receivers = HashMap::new();
    for c in &profile.checks {
        let (tx, rx) = watch::channel::<Option<Outcome>>(None);
        senders.insert(c.id.clone(), tx);
        receivers.insert(c.id.clone(), rx);
    }
    let mut tasks = Vec::with_capacity(profile.checks.len());
    for check in profile.checks.clone() {
        let tx = senders.remove(&check.id).expect("one sender per check");
        let needs: Vec<(String, watch::Receiver<Option<Outcome>>)> = check
            .needs
            .iter()
            .map(|n| (n.clone(), receivers[n].clone()))
            .collect();
        let after: Vec<(String, watch::Receiver<Option<Outcome>>)> = check
            .after
            .iter()
            .map(|n| (n.clone(), receivers[n].clone()))
            .collect();
        let selected = request.only.as_ref().is_none_or(|s| s.contains(&check.id));
        let previous = request.previous.get(&check.id).cloned();
        if !selected && previous.is_none() {
            // Dropping its sender tells any check that needs it that it will not come.
            continue;
        }
        let events = events.clone();
        let env = env.clone();
        let password = request.password.clone();
        tasks.push(tokio::spawn(async move {
            let outcome = match (selected, previous) {
                (false, Some(prev)) => prev,
                _ => run_one(&check, needs, after, env, password, events.as_ref()).await,
            };
            if let Some(ev) = &events {
                let _ = ev.send(Event::Finished {
                    id: check.id.clone(),
                    outcome: outcome.clone(),
                });
            }
            let _ = tx.send(Some(outcome.clone()));
            (check.id, outcome)
        }));
    }
    let mut done: HashMap<String, Outcome> = HashMap::new();
    for t in tasks {
        // The per-check task never panics itself: probe panics are caught inside it.
        if let Ok((id, o)) = t.await {
            done.insert(id, o);
        }
    }
    let outcomes = profile
        .checks
        .iter()
        .filter_map(|c| done.remove(&c.id).map(|o| (c.id.clone(), o)))
        .collect();
    RunResult {
        started_at,
        duration: t0.elapsed(),
        outcomes,
    }
}

async fn run_one(
    check: &CheckDef,
    needs: Vec<(String, watch::Receiver<Option<Outcome>>)>,
    after: Vec<(String, watch::Receiver<Option<Outcome>>)>,
    env: Env,
    password: Option<Arc<crate::account::secret::PasswordSlot>>,
    events: Option<&mpsc::UnboundedSender<Event>>,
) -> Outcome {
    let mut prior = HashMap::new();
    for (id, mut rx) in needs {
        let outcome = match rx.wait_for(|o| o.is_some()).await {
            Ok(v) => v.clone().expect("waited for Some"),
            // The prerequisite was left out of this run (`--check`): nothing to wait for.
            Err(_) => return Outcome::skipped(&id),
        };
        if !outcome.status.lets_dependents_run() {
            let root = outcome.skipped_because.clone().unwrap_or(id);
            return Outcome::skipped(&root);
        }
        prior.insert(id, outcome);
    }
    for (id, mut rx) in after {
        // Whatever it found, even nothing (left out of this run): the probe judges.
        if let Ok(v) = rx.wait_for(|o| o.is_some()).await {
            prior.insert(id, v.clone().expect("waited for Some"));
        }
    }
    if let Some(ev) = events {
        let _ = ev.send(Event::Started {
            id: check.id.clone(),
        });
    }
    let ctx = Ctx {
        check_id: check.id.clone(),
        env,
        prior,
        timeout: check.timeout,
        password,
    };
    let t0 = Instant::now();
    let handle = tokio::spawn(check.probe.run(ctx));
    let abort = handle.abort_handle();
    let mut outcome = match tokio::time::timeout(check.timeout, handle).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) if e.is_panic() => Outcome::crashed(panic_text(e.into_panic())),
        Ok(Err(_)) => Outcome::crashed(super::outcome::Msg::new("value.check_cancelled")),
        Err(_) => {
            abort.abort();
            Outcome::timed_out(check.timeout)
        }
    };
    outcome.duration = t0.elapsed();
    if let Some(code) = outcome.finding.as_deref().and_then(|f| check.renamed(f)) {
        outcome.finding = Some(code.to_string());
    }
    if check.severity == Severity::Advisory && outcome.status.is_failure() {
        outcome.status = Status::Warn;
    }
    outcome
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}

/// The first blocking failure in profile order: what the operator should fix first.
pub fn root_cause<'a>(
    profile: &Profile,
    outcomes: &'a [(String, Outcome)],
) -> Option<(&'a str, &'a Outcome)> {
    outcomes.iter().find_map(|(id, o)| {
        let blocking = profile
            .check(id)
            .is_some_and(|c| c.severity == Severity::Blocking);
        (blocking && o.status.is_failure()).then_some((id.as_str(), o))
    })
}

/// Exit status for a finished run: 0 healthy, 1 a blocking failure, 2 warnings only.
pub fn verdict(profile: &Profile, outcomes: &[(String, Outcome)]) -> Verdict {
    if root_cause(profile, outcomes).is_some() {
        Verdict::BlockingFailure
    } else if outcomes
        .iter()
        .any(|(_, o)| o.status != Status::Pass && o.status != Status::Skipped)
    {
        Verdict::Warnings
    } else {
        Verdict::Healthy
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Healthy,
    BlockingFailure,
    Warnings,
}

impl Verdict {
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::Healthy => 0,
            Verdict::BlockingFailure => 1,
            Verdict::Warnings => 2,
        }
    }
}
