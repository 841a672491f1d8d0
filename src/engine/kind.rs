//! The check interface: what a kind of check is, as the engine sees it. The engine runs
//! whatever kinds it is handed (the binary and the demo hand it the built-in set in
//! `crate::probes`, the engine's tests their own) and passes the machine the checks look
//! at through without knowing its type. Everything the rest of the program needs to know
//! about a kind lives in its [`Kind`] descriptor, so nothing else matches kind names.
//!
//! Must not import: the kinds themselves, the system layer, the simulations, any frontend.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::outcome::Outcome;

pub type BoxFuture = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;

/// What the checks look at — the real machine or a simulated one — handed through the
/// engine untouched; the kinds know its type.
pub type Env = Arc<dyn Any + Send + Sync>;

/// What a running probe may look at: the machine and the outcomes of the checks it needs.
#[derive(Clone)]
pub struct Ctx {
    pub check_id: String,
    pub env: Env,
    pub prior: HashMap<String, Outcome>,
    /// The check's own budget, so a probe can size inner waits below it.
    pub timeout: Duration,
    /// The registration password, when the operator asked for the password check; only a
    /// kind that runs on request takes it.
    pub password: Option<Arc<crate::account::secret::PasswordSlot>>,
}

pub trait Probe: Send + Sync {
    fn run(&self, ctx: Ctx) -> BoxFuture;
}

/// A change a live frontend notices (the console's PC/SC watcher) that makes some checks
/// worth running again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    PcscService,
    Readers,
    Card,
}

/// Where a simulated world (the demo) keeps the servers and files that stand in for the
/// ones a check reaches past the system layer.
#[derive(Clone, Debug, Default)]
pub struct StandIns {
    /// The fake component's port (for every check that talks to :7777).
    pub bridge_port: u16,
    /// The stand-in for NHI's cloud.
    pub cloud_port: u16,
    pub time_url: String,
    /// The world's `NHIRootCA.crt`.
    pub root_ca: String,
    pub known_certs: String,
    pub windows_file: String,
    pub downloads: String,
    pub verifier_endpoint: String,
    pub verifier_config: Option<String>,
    /// The operating system the world pretends to be (`linux`, `macos`, `windows`).
    pub os: String,
    /// The home of the world's user, whose browser profiles the world holds.
    pub home: String,
}

/// Params that point one check at a world's stand-ins.
pub type PointAt = fn(&StandIns) -> Vec<(&'static str, serde_yaml::Value)>;

/// How a kind runs in a simulated world. Every kind must say, so that a new kind cannot
/// reach the real :7777 or the internet from the demo by default.
#[derive(Clone, Copy)]
pub enum Simulated {
    /// It reads the machine only through the system layer, which the world simulates.
    SystemLayer,
    /// It reaches past the system layer; these params point it at the world instead.
    Pointed(PointAt),
    /// It reaches something no world simulates (another computer over SSH): a simulated
    /// world refuses a profile that uses it.
    Unsupported,
}

pub type Build = fn(&serde_yaml::Value) -> Result<Arc<dyn Probe>, String>;

/// A kind of check: its name in profiles, the findings it can produce, how to build it
/// from its params, and the facts the frontends need about it.
pub struct Kind {
    pub name: &'static str,
    /// Every finding code this kind can produce; each must have a remedy.
    pub findings: &'static [&'static str],
    pub build: Build,
    /// Runs only when the operator asks (it spends something, e.g. a password attempt).
    pub on_request: bool,
    /// What makes a live frontend run it again.
    pub reruns_on: &'static [Trigger],
    pub simulated: Simulated,
}

impl Kind {
    pub const fn new(
        name: &'static str,
        findings: &'static [&'static str],
        build: Build,
        simulated: Simulated,
    ) -> Kind {
        Kind {
            name,
            findings,
            build,
            on_request: false,
            reruns_on: &[],
            simulated,
        }
    }
}

/// The kinds a profile may use.
pub type Kinds = &'static [Kind];

/// The kind called `name` among `kinds`.
pub fn find(kinds: Kinds, name: &str) -> Option<&'static Kind> {
    kinds.iter().find(|k| k.name == name)
}

/// Parameters of a kind, with unknown keys refused so a typo is not silently ignored.
pub fn params<T: DeserializeOwned>(value: &serde_yaml::Value) -> Result<T, String> {
    let value = match value {
        serde_yaml::Value::Null => serde_yaml::Value::Mapping(Default::default()),
        v => v.clone(),
    };
    serde_yaml::from_value(value).map_err(|e| e.to_string())
}

/// A duration parameter, written like a check's timeout: `500ms`, `3s`, `2m`, or a bare
/// number of seconds (YAML reads `2` as a number, not text). Every kind uses this one.
pub fn de_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    use serde::Deserialize;
    let text = match serde_yaml::Value::deserialize(d)? {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Number(n) => n.to_string(),
        _ => {
            return Err(serde::de::Error::custom(
                "expected a duration such as 500ms or 3s",
            ));
        }
    };
    super::profile::parse_duration(&text).map_err(serde::de::Error::custom)
}

/// Findings the engine itself produces for any check.
pub const ENGINE_FINDINGS: &[&str] = &["check.timeout", "check.crashed"];
