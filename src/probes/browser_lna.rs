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
use crate::browser::default::{self, Combined};
use crate::browser::lna::{self, Decision, ProfileLna, Setting};
use crate::browser::policy::{self, LnaPolicies};
use crate::browser::{chromium, firefox};
use crate::engine::kind::{Simulated, StandIns};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::registry::{self, Registry};
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
    vec![
        ("home", w.home.as_str().into()),
        ("os", w.os.as_str().into()),
    ]
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
    /// The Chromium-family browsers; default: Chrome, Edge and Chromium where `os` keeps them.
    #[serde(default)]
    browsers: Option<Vec<BrowserDef>>,
    /// Also read the user's Firefox profiles.
    #[serde(default = "yes")]
    firefox: bool,
    /// `linux`, `macos` or `windows`: where policies are kept. Default: this one.
    #[serde(default = "default_os")]
    os: String,
}

fn default_os() -> String {
    chromium::this_os().into()
}

fn yes() -> bool {
    true
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct BrowserDef {
    name: String,
    /// The user-data folder, relative to the home.
    user_data: PathBuf,
    /// Folders of managed policy files (`*.json`, Linux).
    #[serde(default)]
    policies: Vec<PathBuf>,
    /// The macOS bundle id whose managed preferences hold its policies there.
    #[serde(default)]
    bundle: String,
    /// The registry key of its policies on Windows.
    #[serde(default)]
    registry: String,
}

fn default_host() -> String {
    crate::browser::ECPA_HOST.into()
}

/// Where each browser keeps its profiles, on `os`.
fn default_browsers(os: &str) -> Vec<BrowserDef> {
    chromium::installs(os)
        .iter()
        .map(|i| BrowserDef {
            name: i.name.into(),
            user_data: i.user_data.into(),
            policies: i.policies.iter().map(PathBuf::from).collect(),
            bundle: i.bundle.into(),
            registry: i.registry.into(),
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
    crate::browser::check_os(&p.os)?;
    if p.browsers.as_ref().is_some_and(Vec::is_empty) {
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
    let browsers = p
        .browsers
        .clone()
        .unwrap_or_else(|| default_browsers(&p.os));
    for b in &browsers {
        seen.extend(browser_profiles(
            (files, sys.registry.as_ref()),
            &home,
            (&p.os, user.as_deref()),
            b,
            &p.origin_host,
        ));
    }
    if p.firefox {
        seen.extend(firefox_profiles(sys, &home, &p.os, &p.origin_host));
    }
    let home_text = home.display().to_string();
    let default_browser = user::default_browser(sys, &home, &p.os);
    let o = if seen.is_empty() {
        Outcome::warn(
            "browser.none_found",
            Msg::new("browser.trust_none_found").arg("home", home_text.as_str()),
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
fn browser_profiles(
    (files, registry): (&dyn Files, &dyn Registry),
    home: &Path,
    (os, user): (&str, Option<&str>),
    b: &BrowserDef,
    host: &str,
) -> Vec<Seen> {
    let dir = home.join(&b.user_data);
    let Ok(entries) = files.read_dir(&dir) else {
        return Vec::new();
    };
    let major = files
        .read(&dir.join("Last Version"), 64)
        .ok()
        .and_then(|t| lna::major_version(&t));
    let mut policies = LnaPolicies::default();
    let dirs: Vec<&Path> = b.policies.iter().map(PathBuf::as_path).collect();
    for doc in chromium::policy_documents(
        os,
        &dirs,
        &b.bundle,
        user,
        &|d| files.read_dir(d).unwrap_or_default(),
        &|f| files.read(f, policy::POLICY_FILE_MAX as u64).ok(),
    ) {
        let _ = policies.add_file(&doc);
    }
    if os == "windows" {
        for doc in registry::policy_documents(registry, &b.registry) {
            let _ = policies.add_file(&doc);
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

/// Every Firefox profile of the home: what its Local Network Access does with the eCPA
/// page's WebSocket (the preferences and the Linux policy; per-site decisions are not read).
fn firefox_profiles(sys: &System, home: &Path, os: &str, host: &str) -> Vec<Seen> {
    let files = sys.files.as_ref();
    let policies = super::firefox_policies::read(sys, os).into_iter().next();
    let small = |f: &Path| files.read(f, firefox::SMALL_FILE_MAX as u64).ok();
    firefox::profile_dirs(&small, home, os)
        .into_iter()
        .map(|(name, dir)| {
            let version = small(&dir.join("compatibility.ini"))
                .and_then(|t| firefox::last_version(&t))
                .map_or_else(|| "?".to_string(), |v| v.to_string());
            let prefs = files
                .read(&dir.join("prefs.js"), firefox::PREFS_MAX as u64)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let (verdict, why) = match firefox::lna(&prefs, policies.as_ref(), host) {
                firefox::Lna::Off { by } => (
                    Verdict::NotGated,
                    Msg::new("value.lna.ff_off").arg("by", by),
                ),
                firefox::Lna::WebSocketsNotChecked => {
                    (Verdict::NotGated, Msg::new("value.lna.ff_ws_unchecked"))
                }
                firefox::Lna::Skipped { entry } => (
                    Verdict::Allowed,
                    Msg::new("value.lna.ff_skipped").arg("entry", entry),
                ),
                firefox::Lna::Blocked { by } => (
                    Verdict::Blocked,
                    Msg::new("value.lna.ff_blocked").arg("by", by),
                ),
                firefox::Lna::Allowed { by } => (
                    Verdict::Allowed,
                    Msg::new("value.lna.ff_allowed").arg("by", by),
                ),
                firefox::Lna::Asks => (Verdict::Undecided, Msg::new("value.lna.ff_asks")),
            };
            Seen {
                browser: "Firefox".into(),
                label: format!("Firefox {version} / {name}"),
                verdict,
                why: why.into(),
            }
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
        run_on("linux", files)
    }

    fn run_on(os: &str, files: Vec<(&str, String)>) -> Outcome {
        let mut mem = MemFiles::new();
        for (p, t) in files {
            mem.insert(p, t.into_bytes(), 0o644);
        }
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        let p: Params =
            params(&serde_yaml::from_str(&format!("{{home: /home/u, os: {os}}}")).unwrap())
                .unwrap();
        judge(&sys, &p)
    }

    #[test]
    fn a_macos_managed_preference_allows_what_the_user_blocked() {
        let files = |plist: Option<&str>| {
            let mut f = vec![
                (
                    "/home/u/Library/Application Support/Google/Chrome/Last Version",
                    "156.0.8078.129".to_string(),
                ),
                (
                    "/home/u/Library/Application Support/Google/Chrome/Default/Preferences",
                    prefs(Some(2)),
                ),
            ];
            if let Some(p) = plist {
                f.push((
                    "/Library/Managed Preferences/com.google.Chrome.plist",
                    p.to_string(),
                ));
            }
            f
        };
        let o = run_on("macos", files(None));
        assert_eq!(o.finding.as_deref(), Some("browser.lna_blocked"), "{o:?}");
        let plist = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>LoopbackNetworkAllowedForUrls</key><array><string>https://ecpa.dgpa.gov.tw</string></array></dict></plist>"#;
        let o = run_on("macos", files(Some(plist)));
        assert_eq!(o.status, crate::engine::Status::Pass, "{o:?}");
    }

    #[test]
    fn firefox_blocks_only_when_it_checks_websockets() {
        let ff = |prefs: &str| {
            vec![
                (
                    "/home/u/.mozilla/firefox/profiles.ini",
                    "[Profile0]\nName=default-esr\nIsRelative=1\nPath=d\n".to_string(),
                ),
                ("/home/u/.mozilla/firefox/d/prefs.js", prefs.to_string()),
            ]
        };
        let o = run(ff(
            "user_pref(\"permissions.default.loopback-network\", 2);\n",
        ));
        assert_eq!(o.status, crate::engine::Status::Pass, "{o:?}");
        let o = run(ff(
            "user_pref(\"network.lna.websocket.enabled\", true);\nuser_pref(\"permissions.default.loopback-network\", 2);\n",
        ));
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (crate::engine::Status::Fail, Some("browser.lna_blocked"))
        );
        let o = run(ff("user_pref(\"network.lna.websocket.enabled\", true);\n"));
        assert_eq!(o.finding.as_deref(), Some("browser.lna_undecided"));
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
