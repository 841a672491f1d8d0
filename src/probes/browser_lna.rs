//! Kind `browser_lna`: whether the user's Chromium-family browsers (Chrome, Edge, Chromium)
//! let the eCPA page reach the component on loopback. Since Chrome 142 (WebSockets since
//! 147) a public site needs the user's permission — or an agency policy — before it may
//! talk to 127.0.0.1, which `iccert.nhi.gov.tw` is; after a *Block* the eCPA page tells
//! the user to check the component while every other check is green. Read from the files
//! the browser keeps (each profile's `Preferences`, `Last Version`, the managed policy
//! files), through the system layer, never written; which user's profiles is said.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::browser::chromium;
use crate::browser::default::{self, Combined};
use crate::browser::lna::{self, Decision, ProfileLna, Setting};
use crate::browser::policy::LnaPolicies;
use crate::engine::kind::{Simulated, StandIns};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::{Files, System, user};

pub const KIND: Kind = Kind {
    name: "browser_lna",
    findings: &[
        "browser.lna_blocked",
        "browser.lna_undecided",
        "browser.none_found",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the world's user home, whose profiles the world holds.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("home", w.home.as_str().into())]
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The site whose pages talk to the component.
    #[serde(default = "default_host")]
    origin_host: String,
    /// The home whose profiles are read; default: the system's user (`--user`), else
    /// `SUDO_USER` under sudo, else the one running.
    #[serde(default)]
    home: Option<PathBuf>,
    #[serde(default = "default_browsers")]
    browsers: Vec<BrowserDef>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct BrowserDef {
    name: String,
    /// The user-data folder, relative to the home.
    user_data: PathBuf,
    /// Folders of managed policy files (`*.json`).
    #[serde(default)]
    policies: Vec<PathBuf>,
}

fn default_host() -> String {
    crate::browser::ECPA_HOST.into()
}

/// Where each browser keeps its profiles, on this OS.
fn default_browsers() -> Vec<BrowserDef> {
    chromium::installs(chromium::this_os())
        .iter()
        .map(|i| BrowserDef {
            name: i.name.into(),
            user_data: i.user_data.into(),
            policies: i.policies.iter().map(PathBuf::from).collect(),
        })
        .collect()
}

/// At most this many profiles go into the evidence (a shared PC may have dozens).
const SHOWN_PROFILES: usize = 6;

struct BrowserLna {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.browsers.is_empty() {
        return Err("`browsers` needs at least one browser".into());
    }
    Ok(Arc::new(BrowserLna { p }))
}

impl Probe for BrowserLna {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        let sys = ctx.system();
        Box::pin(blocking(move || judge(&sys, &p)))
    }
}

/// What one profile does with an eCPA page reaching loopback.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Verdict {
    Blocked,
    Allowed,
    Undecided,
    /// The browser is older than LNA.
    NotGated,
}

struct Seen {
    /// The browser's name, as the default-browser lookup names it.
    browser: String,
    /// `Chromium 156 / Default`.
    label: String,
    verdict: Verdict,
    why: Value,
}

fn judge(sys: &System, p: &Params) -> Outcome {
    let Some((user, home)) = user::home_for(sys, p.home.as_deref()) else {
        return Outcome::warn("browser.none_found", Msg::new("browser.no_home"));
    };
    let files = sys.files.as_ref();
    let mut seen = Vec::new();
    for b in &p.browsers {
        seen.extend(browser_profiles(files, &home, b, &p.origin_host));
    }
    let home_text = home.display().to_string();
    let default_browser = user::default_browser(sys, &home, chromium::this_os());
    let o = if seen.is_empty() {
        Outcome::warn(
            "browser.none_found",
            Msg::new("browser.none_found").arg("home", home_text.as_str()),
        )
    } else {
        let list = |v: Verdict| -> Vec<&Seen> { seen.iter().filter(|s| s.verdict == v).collect() };
        let names = |v: &[&Seen]| {
            v.iter()
                .map(|s| s.label.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (blocked, undecided) = (list(Verdict::Blocked), list(Verdict::Undecided));
        let results: Vec<(&str, bool)> = seen
            .iter()
            .map(|s| (s.browser.as_str(), s.verdict == Verdict::Blocked))
            .collect();
        let others = || {
            let rest: Vec<&Seen> = seen
                .iter()
                .filter(|s| s.verdict != Verdict::Blocked)
                .collect();
            names(&rest)
        };
        match default::combine(&results, default_browser) {
            Combined::AllFail => Outcome::fail(
                "browser.lna_blocked",
                Msg::new("browser.lna_blocked").arg("profiles", names(&blocked)),
            ),
            Combined::DefaultFails(d) => Outcome::fail(
                "browser.lna_blocked",
                Msg::new("browser.lna_blocked_default")
                    .arg("default", d)
                    .arg("profiles", names(&blocked))
                    .arg("others", others()),
            ),
            Combined::SomeFail => Outcome::warn(
                "browser.lna_blocked",
                Msg::new("browser.lna_blocked_some").arg("profiles", names(&blocked)),
            ),
            Combined::NoneFail if !undecided.is_empty() => Outcome::warn(
                "browser.lna_undecided",
                Msg::new("browser.lna_undecided").arg("profiles", names(&undecided)),
            ),
            Combined::NoneFail => {
                Outcome::pass(Msg::new("browser.lna_pass").arg("count", seen.len().to_string()))
            }
        }
    };
    let mut o = crate::browser::whose_evidence(o, user, &home_text, default_browser);
    for (i, s) in seen.iter().take(SHOWN_PROFILES).enumerate() {
        o = o.with(
            &format!("profile_{i}"),
            Msg::new("value.labelled")
                .arg("name", s.label.as_str())
                .arg("value", s.why.clone()),
        );
    }
    o
}

/// Every profile of one browser in `home`, judged for `host`.
fn browser_profiles(files: &dyn Files, home: &Path, b: &BrowserDef, host: &str) -> Vec<Seen> {
    let dir = home.join(&b.user_data);
    let Ok(entries) = files.read_dir(&dir) else {
        return Vec::new();
    };
    let major = files
        .read(&dir.join("Last Version"), 64)
        .ok()
        .and_then(|t| lna::major_version(&t));
    let mut policies = LnaPolicies::default();
    for pdir in &b.policies {
        let mut names = files.read_dir(pdir).unwrap_or_default();
        names.sort();
        for n in names.iter().filter(|n| n.ends_with(".json")) {
            if let Ok(bytes) = files.read(
                &pdir.join(n),
                crate::browser::policy::POLICY_FILE_MAX as u64,
            ) {
                let _ = policies.add_file(&bytes);
            }
        }
    }
    let version = major.map(|m| m.to_string()).unwrap_or_else(|| "?".into());
    let mut profiles: Vec<&String> = entries
        .iter()
        .filter(|e| *e == "Default" || e.starts_with("Profile "))
        .collect();
    profiles.sort();
    profiles
        .into_iter()
        .filter_map(|name| {
            let prefs = files
                .read(
                    &dir.join(name).join("Preferences"),
                    lna::PREFERENCES_MAX as u64,
                )
                .ok()?;
            let label = format!("{} {version} / {name}", b.name);
            Some(judge_profile(
                &b.name, label, &prefs, &policies, host, major,
            ))
        })
        .collect()
}

fn judge_profile(
    browser: &str,
    label: String,
    prefs: &[u8],
    policies: &LnaPolicies,
    host: &str,
    major: Option<u32>,
) -> Seen {
    if major.is_some_and(|m| !lna::scope(m).fetch) {
        return Seen {
            browser: browser.into(),
            label,
            verdict: Verdict::NotGated,
            why: Msg::new("value.lna.not_gated").into(),
        };
    }
    if let Some(d) = policies.decision(host) {
        let (verdict, key) = match d.setting {
            Setting::Block => (Verdict::Blocked, "value.lna.policy_blocks"),
            _ => (Verdict::Allowed, "value.lna.policy_allows"),
        };
        return Seen {
            browser: browser.into(),
            label,
            verdict,
            why: Msg::new(key)
                .arg("policy", d.policy)
                .arg("entry", d.entry)
                .into(),
        };
    }
    let parsed = match ProfileLna::parse(prefs) {
        Ok(p) => p,
        Err(e) => {
            return Seen {
                browser: browser.into(),
                label,
                verdict: Verdict::Undecided,
                why: Msg::new("value.lna.unreadable").arg("error", e).into(),
            };
        }
    };
    let (verdict, why): (Verdict, Value) = match parsed.decision(host, major) {
        Decision::Stored {
            setting, pattern, ..
        } => {
            let key = if setting == Setting::Block {
                "value.lna.blocked"
            } else {
                "value.lna.allowed"
            };
            (
                if setting == Setting::Block {
                    Verdict::Blocked
                } else {
                    Verdict::Allowed
                },
                Msg::new(key).arg("pattern", pattern).into(),
            )
        }
        Decision::Default {
            setting: Setting::Block,
            ..
        } => (
            Verdict::Blocked,
            Msg::new("value.lna.default_blocks").into(),
        ),
        Decision::Default { .. } => (
            Verdict::Allowed,
            Msg::new("value.lna.default_allows").into(),
        ),
        Decision::NotDecided => {
            let key = if policies.only_local_allows(host) {
                "value.lna.local_policy_only"
            } else {
                "value.lna.not_decided"
            };
            (Verdict::Undecided, Msg::new(key).into())
        }
    };
    Seen {
        browser: browser.into(),
        label,
        verdict,
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::files::MemFiles;

    fn prefs(setting: Option<u8>) -> String {
        match setting {
            Some(s) => format!(
                r#"{{"profile":{{"content_settings":{{"exceptions":{{"loopback_network":{{"https://ecpa.dgpa.gov.tw:443,*":{{"last_modified":"13370000000000000","setting":{s}}}}}}}}}}}}}"#
            ),
            None => "{}".into(),
        }
    }

    fn run(files: Vec<(&str, String)>) -> Outcome {
        let mut mem = MemFiles::new();
        for (p, t) in files {
            mem.insert(p, t.into_bytes(), 0o644);
        }
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        let p: Params = params(&serde_yaml::from_str("home: /home/u").unwrap()).unwrap();
        judge(&sys, &p)
    }

    #[test]
    fn one_blocked_profile_of_one_is_the_root_cause_and_one_of_two_a_warning() {
        let o = run(vec![
            (
                "/home/u/.config/chromium/Last Version",
                "156.0.8078.129".into(),
            ),
            (
                "/home/u/.config/chromium/Default/Preferences",
                prefs(Some(2)),
            ),
        ]);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (crate::engine::Status::Fail, Some("browser.lna_blocked"))
        );
        let o = run(vec![
            (
                "/home/u/.config/chromium/Default/Preferences",
                prefs(Some(2)),
            ),
            (
                "/home/u/.config/google-chrome/Profile 1/Preferences",
                prefs(Some(1)),
            ),
        ]);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (crate::engine::Status::Warn, Some("browser.lna_blocked"))
        );
    }

    #[test]
    fn allowed_undecided_old_and_absent_browsers() {
        let o = run(vec![(
            "/home/u/.config/chromium/Default/Preferences",
            prefs(Some(1)),
        )]);
        assert_eq!(o.status, crate::engine::Status::Pass);
        let o = run(vec![(
            "/home/u/.config/chromium/Default/Preferences",
            prefs(None),
        )]);
        assert_eq!(o.finding.as_deref(), Some("browser.lna_undecided"));
        let o = run(vec![
            ("/home/u/.config/chromium/Last Version", "120.0.1".into()),
            (
                "/home/u/.config/chromium/Default/Preferences",
                prefs(Some(2)),
            ),
        ]);
        assert_eq!(
            o.status,
            crate::engine::Status::Pass,
            "LNA did not exist before 142"
        );
        let o = run(vec![(
            "/home/u/.config/chromium/Default/Bookmarks",
            "{}".into(),
        )]);
        assert_eq!(o.finding.as_deref(), Some("browser.none_found"));
    }

    #[test]
    fn an_agency_policy_outranks_the_profile() {
        let o = run(vec![
            (
                "/home/u/.config/chromium/Default/Preferences",
                prefs(Some(2)),
            ),
            (
                "/etc/chromium/policies/managed/ecpa.json",
                r#"{"LoopbackNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw"]}"#.into(),
            ),
        ]);
        assert_eq!(o.status, crate::engine::Status::Pass);
    }
}
