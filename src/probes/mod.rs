//! Check kinds: one file per kind. A kind is built once from its profile parameters
//! (so bad parameters are a profile error, exit 78) and run any number of times.
//! Probes only read: they never install, restart, write system files or try a password.
//!
//! Must not import: the simulations (`crate::sim`), the demo or a frontend.

use std::sync::Arc;

use crate::engine::outcome::Outcome;
use crate::system::System;

/// The lists as one, at compile time (`N` must be their total length): kinds that share
/// findings (every bridge code, every way a connection fails) list them once.
pub(crate) const fn joined<const N: usize>(lists: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let (mut n, mut l) = (0, 0);
    while l < lists.len() {
        let mut i = 0;
        while i < lists[l].len() {
            out[n] = lists[l][i];
            n += 1;
            i += 1;
        }
        l += 1;
    }
    assert!(n == N, "joined: N is not the total length");
    out
}

pub mod bridge_identity;
pub mod bridge_protocol;
pub mod browser_lna;
pub mod browser_proxy;
pub mod browser_trust;
pub mod card;
pub mod clock;
pub mod command_check;
pub mod component_installed;
pub mod component_running;
pub mod file_check;
pub mod firefox_policies;
pub mod host;
pub mod http_check;
pub mod installer;
pub mod message;
pub mod name_resolution;
pub mod nhi_signature;
pub mod outbound_reach;
pub mod pattern;
pub mod pcsc_service;
pub mod process_check;
pub mod readers;
pub mod registration;
pub mod registry_check;
pub mod remote_host;
pub mod service_window;
pub mod tcp_check;
pub mod tls_certificate;

pub use crate::engine::kind::{
    BoxFuture, Ctx, ENGINE_FINDINGS, Kind, Kinds, Probe, de_duration, params,
};

/// The built-in kinds, handed to the engine by the binary, the demo and the subcommands.
pub const KINDS: Kinds = &[
    pcsc_service::KIND,
    readers::KIND,
    card::KIND,
    host::KIND,
    message::KIND,
    service_window::KIND,
    installer::KIND,
    remote_host::KIND,
    component_installed::KIND,
    component_running::KIND,
    name_resolution::KIND,
    outbound_reach::KIND,
    tls_certificate::KIND,
    bridge_identity::KIND,
    bridge_protocol::KIND,
    browser_lna::KIND,
    browser_trust::KIND,
    browser_proxy::KIND,
    nhi_signature::KIND,
    registration::KIND,
    clock::KIND,
    // Agency checks: generic kinds configured entirely in a profile.
    file_check::KIND,
    process_check::KIND,
    tcp_check::KIND,
    http_check::KIND,
    command_check::KIND,
    registry_check::KIND,
];

pub fn kinds() -> Kinds {
    KINDS
}

pub fn kind(name: &str) -> Option<&'static Kind> {
    crate::engine::kind::find(KINDS, name)
}

/// The default profile over the built-in kinds.
pub fn builtin_profile() -> crate::engine::Profile {
    crate::engine::Profile::builtin(KINDS)
}

/// The machine the checks look at, as the engine hands it through: the real one or a
/// simulated one, always a [`System`].
pub trait CtxSystem {
    fn system(&self) -> Arc<System>;
}

impl CtxSystem for Ctx {
    fn system(&self) -> Arc<System> {
        self.env.clone().downcast::<System>().unwrap_or_else(|_| {
            panic!(
                "check `{}`: the engine was not handed a System",
                self.check_id
            )
        })
    }
}

/// What a kind's own time limit may use of the check's: `wanted`, but always a little below
/// the check's timeout, so the kind ends the wait itself and names what it was waiting
/// for, instead of the engine cutting it off as `check.timeout`.
pub fn below_check(ctx: &Ctx, wanted: std::time::Duration) -> std::time::Duration {
    const MARGIN: std::time::Duration = std::time::Duration::from_millis(300);
    wanted.min(ctx.timeout.saturating_sub(MARGIN))
}

/// Runs blocking system calls (PC/SC, file reads) off the async workers. A panic inside
/// stays a panic of the probe task, which the engine turns into `Crashed`.
pub async fn blocking<F>(f: F) -> Outcome
where
    F: FnOnce() -> Outcome + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(o) => o,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => Outcome::crashed(crate::engine::outcome::Msg::new("value.check_cancelled")),
    }
}

#[cfg(test)]
mod profile_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The code outside the tests of these places. Comments are dropped.
    fn code_of(path: &std::path::Path) -> Vec<(usize, String)> {
        let text = std::fs::read_to_string(path).unwrap();
        let body = text
            .split("#[cfg(test)]")
            .next()
            .unwrap_or_default()
            .to_string();
        body.lines()
            .enumerate()
            .map(|(n, l)| (n + 1, l.split("//").next().unwrap_or_default().to_string()))
            .collect()
    }

    fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.to_string_lossy().ends_with("tests.rs")
            {
                out.push(path);
            }
        }
    }

    /// The frontends ask a kind's descriptor (on request, what re-runs it, how the demo
    /// points it at its stand-ins); none of them decides by a kind's name.
    #[test]
    fn the_console_the_demo_and_main_match_no_kind_name() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.join("main.rs")];
        rust_files(&src.join("tui"), &mut files);
        rust_files(&src.join("demo"), &mut files);
        assert!(files.len() > 10, "{files:?}");
        for path in &files {
            for (n, code) in code_of(path) {
                for k in KINDS {
                    let quoted = format!("\"{}\"", k.name);
                    assert!(
                        !code.contains(&quoted),
                        "{}:{n}: matches the kind name {quoted}: {code}",
                        path.display()
                    );
                }
            }
        }
    }

    use crate::engine::catalogue::Catalogue;

    #[test]
    fn every_finding_of_every_kind_has_a_remedy_in_both_languages() {
        let cat = Catalogue::builtin();
        let profile = builtin_profile();
        for k in kinds() {
            for f in k.findings.iter().chain(ENGINE_FINDINGS) {
                // Through the default profile's mapping where the kind is used there.
                let remedy = profile
                    .checks
                    .iter()
                    .find(|c| c.kind == k.name)
                    .map(|c| c.remedy_for(f))
                    .unwrap_or_else(|| f.to_string());
                let r = cat.get(&remedy).unwrap_or_else(|| {
                    panic!("kind `{}`: finding `{f}` has no remedy `{remedy}`", k.name)
                });
                assert!(
                    !r.zh_tw.steps.is_empty() && !r.en.steps.is_empty(),
                    "{remedy}"
                );
            }
        }
    }

    #[test]
    fn every_summary_key_used_by_findings_exists() {
        let m = crate::i18n::messages();
        for key in ["engine.skipped", "engine.timed_out", "engine.crashed"] {
            assert!(m.summaries.contains_key(key), "{key}");
        }
        for k in kinds() {
            for f in k.findings {
                assert!(
                    m.summaries.contains_key(*f),
                    "summary text for finding `{f}` is missing"
                );
            }
        }
    }

    /// Every `"value.…"` key written in the code that builds evidence (probes, the bridge
    /// client, the engine) has its words in the catalogue, in both languages; keys put
    /// together with `format!` are listed here by hand.
    #[test]
    fn every_value_key_in_the_code_is_in_the_catalogue() {
        use crate::engine::outcome::Status;
        let values = &crate::i18n::messages().values;
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut keys: Vec<String> = Vec::new();
        for dir in ["probes", "bridge", "engine", "report"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    // Keys made up by tests are not shown to anyone.
                    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                    keys.extend(value_literals(code));
                }
            }
        }
        // The verification service's client speaks for the registration check.
        let verifier = std::fs::read_to_string(root.join("account/verifier.rs")).unwrap();
        keys.extend(value_literals(
            verifier.split("#[cfg(test)]").next().unwrap_or_default(),
        ));
        assert!(
            keys.len() > 100,
            "the scan found only {} keys: is it still looking at the right files?",
            keys.len()
        );
        // `value.check_status.{}` of nhi_signature and installer.
        let statuses = [
            Status::Pass,
            Status::Warn,
            Status::Fail,
            Status::Skipped,
            Status::TimedOut,
            Status::Crashed,
        ];
        keys.extend(
            statuses
                .iter()
                .map(|s| format!("value.check_status.{}", s.key())),
        );
        // `value.step.{}` of the bridge: checked with every step in crate::bridge's tests.
        // `value.sw.{}` of card: checked with every status word in card's own tests.
        // `value.record.{}` of card: checked with every record error and anomaly in card's own tests.
        for key in &keys {
            let t = values.get(key).unwrap_or_else(|| panic!("`{key}` is used in src/ but missing from the `values` of assets/messages/*.yaml"));
            assert!(
                !t.zh_tw.trim().is_empty() && !t.en.trim().is_empty(),
                "{key} lacks a language"
            );
        }
    }

    /// `"value.xxx"` string literals; a prefix (`"value.sex."`, a `format!` template) is not a key.
    fn value_literals(source: &str) -> Vec<String> {
        source
            .match_indices("\"value.")
            .filter_map(|(i, _)| {
                let rest = &source[i + 1..];
                let end = rest.find('"')?;
                let key = &rest[..end];
                let whole = key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
                    && !key.ends_with('.');
                whole.then(|| key.to_string())
            })
            .collect()
    }

    #[test]
    fn value_literals_are_found_and_prefixes_are_not() {
        let src = r#"Msg::new("value.a.b").arg("x", Msg::new("value.c")); strip_prefix("value.sex."); format!("value.sw.{}", m)"#;
        assert_eq!(
            value_literals(src),
            vec!["value.a.b".to_string(), "value.c".to_string()]
        );
    }

    #[test]
    fn bad_params_are_refused() {
        for k in kinds() {
            let mut map = serde_yaml::Mapping::new();
            map.insert("no_such_param".into(), 1.into());
            assert!(
                (k.build)(&serde_yaml::Value::Mapping(map)).is_err(),
                "kind {} accepted an unknown param",
                k.name
            );
        }
    }

    #[derive(serde::Deserialize)]
    struct Timed {
        #[serde(deserialize_with = "de_duration")]
        t: Duration,
    }

    fn timed(yaml: &str) -> Result<Duration, String> {
        serde_yaml::from_str::<Timed>(yaml)
            .map(|x| x.t)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn durations_are_text_or_bare_seconds() {
        assert_eq!(timed("t: 2s"), Ok(Duration::from_secs(2)));
        assert_eq!(timed("t: 500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(timed("t: 1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(timed("t: 2"), Ok(Duration::from_secs(2)));
        assert_eq!(timed("t: 1.5"), Ok(Duration::from_millis(1500)));
        assert!(timed("t: fast").is_err());
        assert!(timed("t: [1]").is_err());
    }
}
