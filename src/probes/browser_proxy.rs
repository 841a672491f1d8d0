//! Kind `browser_proxy`: whether the user's browsers send `wss://iccert.nhi.gov.tw:7777` to
//! this computer or to a proxy. Browsers choose a proxy by name before resolving it, and
//! the implicit bypass covers only `localhost` and loopback literals: under an agency proxy
//! whose bypass list does not name `iccert.nhi.gov.tw`, the proxy resolves NHI's public
//! name, cannot reach the component, and the login fails (Chromium:
//! `ERR_TUNNEL_CONNECTION_FAILED`). Read, in each browser's order, from the files that hold
//! it — Chromium's managed policies and Debian launcher flags, Firefox's policy and
//! preferences — then the system's: GNOME's settings (dconf), else the proxy environment
//! (`https_proxy`, `/etc/environment`). KDE's settings are not read; PAC scripts are shown,
//! not judged.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::browser::default::{self, Combined};
use crate::browser::proxy::{self, Decided, Route};
use crate::browser::{chromium, dconf, firefox, policy};
use crate::engine::kind::{Simulated, StandIns};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::registry::{self, Registry};
use crate::system::{Files, System, user};

pub const KIND: Kind = Kind {
    name: "browser_proxy",
    findings: &[
        "browser.proxy_no_bypass",
        "browser.proxy_not_judged",
        "browser.none_found",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the world's user home and OS; the environment is the world's
/// (none), never the operator's.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![
        ("home", w.home.as_str().into()),
        ("os", w.os.as_str().into()),
        ("environment", false.into()),
    ]
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_host")]
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    #[serde(default)]
    home: Option<PathBuf>,
    #[serde(default = "default_os")]
    os: String,
    /// Read this process's proxy variables (the session's, when run by the user).
    #[serde(default = "yes")]
    environment: bool,
}

fn default_host() -> String {
    "iccert.nhi.gov.tw".into()
}
fn default_port() -> u16 {
    7777
}
fn default_os() -> String {
    chromium::this_os().into()
}
fn yes() -> bool {
    true
}

/// Debian's Chromium launcher settings, and the machine-wide environment.
const CHROMIUM_LAUNCHER_DIR: &str = "/etc/chromium.d";
const ENVIRONMENT_FILE: &str = "/etc/environment";

const SHOWN: usize = 6;

struct BrowserProxy {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    crate::browser::check_os(&p.os)?;
    Ok(Arc::new(BrowserProxy { p }))
}

impl Probe for BrowserProxy {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        let sys = ctx.system();
        Box::pin(blocking(move || {
            let env: Vec<(String, String)> = if p.environment {
                std::env::vars().collect()
            } else {
                Vec::new()
            };
            judge(&sys, &p, &env)
        }))
    }
}

struct Seen {
    browser: &'static str,
    label: String,
    decided: Option<Decided>,
}

impl Seen {
    fn route(&self) -> Route {
        self.decided
            .as_ref()
            .map_or(Route::System, |d| d.route.clone())
    }
}

fn judge(sys: &System, p: &Params, process_env: &[(String, String)]) -> Outcome {
    let Some((user, home)) = user::home_for(sys, p.home.as_deref()) else {
        return Outcome::warn("browser.none_found", Msg::new("browser.no_home"));
    };
    let files = sys.files.as_ref();
    // The session's variables first, then the machine-wide file.
    let mut env = process_env.to_vec();
    if p.os == "linux"
        && let Ok(t) = files.read(Path::new(ENVIRONMENT_FILE), 256 * 1024)
    {
        env.extend(proxy::environment_file(&t));
    }
    // The desktop's settings, else the environment: what "use the system's proxy" means.
    let from_env = (p.os == "linux")
        .then(|| gnome_route(files, &home, &p.host, p.port))
        .flatten()
        .or_else(|| proxy::from_environment(&env, &p.host, p.port));
    let mut seen = Vec::new();
    for i in chromium::installs(&p.os) {
        if files.read_dir(&home.join(i.user_data)).is_err() {
            continue;
        }
        let decided = chromium_route(
            (files, sys.registry.as_ref()),
            i,
            &p.os,
            user.as_deref(),
            &p.host,
            p.port,
        )
        .filter(|d| d.route != Route::System)
        .or_else(|| from_env.clone());
        seen.push(Seen {
            browser: i.name,
            label: i.name.to_string(),
            decided,
        });
    }
    seen.extend(firefox_routes(
        sys,
        &home,
        &p.os,
        &p.host,
        p.port,
        from_env.as_ref(),
    ));
    let home_text = home.display().to_string();
    let default_browser = user::default_browser(sys, &home, &p.os);
    let mut o = crate::browser::whose_evidence(
        verdict(&seen, default_browser, p, &home_text),
        user,
        &home_text,
        default_browser,
    );
    for (i, s) in seen.iter().take(SHOWN).enumerate() {
        o = o.with(
            &format!("browser_{i}"),
            Msg::new("value.labelled")
                .arg("name", s.label.as_str())
                .arg("value", describe(s.decided.as_ref())),
        );
    }
    o
}

fn verdict(
    seen: &[Seen],
    default_browser: Option<&'static str>,
    p: &Params,
    home: &str,
) -> Outcome {
    if seen.is_empty() {
        return Outcome::warn(
            "browser.none_found",
            Msg::new("browser.trust_none_found").arg("home", home),
        );
    }
    let names = |f: &dyn Fn(&Seen) -> bool| {
        seen.iter()
            .filter(|s| f(s))
            .map(|s| s.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let proxied = |s: &Seen| matches!(s.route(), Route::Proxy(_));
    let unjudged = |s: &Seen| matches!(s.route(), Route::Pac(_) | Route::AutoDetect);
    let proxy = seen.iter().find_map(|s| match s.route() {
        Route::Proxy(server) => Some(server),
        _ => None,
    });
    let results: Vec<(&str, bool)> = seen.iter().map(|s| (s.browser, proxied(s))).collect();
    let code = "browser.proxy_no_bypass";
    let msg = |key: &str| {
        Msg::new(key)
            .arg("browsers", names(&proxied))
            .arg("proxy", proxy.clone().unwrap_or_default())
            .arg("host", p.host.as_str())
    };
    match default::combine(&results, default_browser) {
        Combined::AllFail => Outcome::fail(code, msg(code)),
        Combined::DefaultFails(d) => Outcome::fail(
            code,
            msg("browser.proxy_no_bypass_default")
                .arg("default", d)
                .arg("others", names(&|s: &Seen| !proxied(s))),
        ),
        Combined::SomeFail => Outcome::warn(
            code,
            msg("browser.proxy_no_bypass_some").arg("others", names(&|s: &Seen| !proxied(s))),
        ),
        Combined::NoneFail if seen.iter().any(unjudged) => Outcome::warn(
            "browser.proxy_not_judged",
            Msg::new("browser.proxy_not_judged")
                .arg("browsers", names(&unjudged))
                .arg("host", p.host.as_str()),
        ),
        Combined::NoneFail => Outcome::pass(
            Msg::new("browser.proxy_pass")
                .arg("browsers", names(&|_| true))
                .arg("host", p.host.as_str()),
        ),
    }
}

fn describe(d: Option<&Decided>) -> Value {
    let Some(d) = d else {
        return Msg::new("value.proxy.system").into();
    };
    let m = match &d.route {
        Route::Direct => Msg::new("value.proxy.direct"),
        Route::Proxy(s) => Msg::new("value.proxy.proxy").arg("proxy", s.as_str()),
        Route::Pac(url) => Msg::new("value.proxy.pac").arg("url", url.as_str()),
        Route::AutoDetect => Msg::new("value.proxy.auto_detect"),
        Route::System => Msg::new("value.proxy.system"),
    };
    let bypass = if d.bypass.is_empty() {
        "-".to_string()
    } else {
        d.bypass.chars().take(200).collect()
    };
    Msg::new("value.proxy.decided")
        .arg("route", m)
        .arg("source", d.source.as_str())
        .arg("bypass", bypass)
        .into()
}

/// GNOME's proxy settings: the user's dconf database, then the system databases an agency
/// compiles (`/etc/dconf/db/local`, `site`).
fn gnome_route(files: &dyn Files, home: &Path, host: &str, port: u16) -> Option<Decided> {
    let user_db = home.join(".config/dconf/user");
    [
        user_db.as_path(),
        Path::new("/etc/dconf/db/local"),
        Path::new("/etc/dconf/db/site"),
    ]
    .iter()
    .filter_map(|f| files.read(f, dconf::DB_MAX as u64).ok())
    .filter_map(|b| dconf::read(&b).ok())
    .find_map(|db| proxy::gnome(&db, host, port))
}

/// Chromium's own proxy setting: managed policies (Linux files), then Debian's launcher
/// flags; `None` when neither says, so the system's settings apply.
fn chromium_route(
    (files, reg): (&dyn Files, &dyn Registry),
    i: &chromium::Install,
    os: &str,
    user: Option<&str>,
    host: &str,
    port: u16,
) -> Option<Decided> {
    let dirs: Vec<&Path> = i.policies.iter().map(Path::new).collect();
    let mut bytes = chromium::policy_documents(
        os,
        &dirs,
        i.bundle,
        user,
        &|d| files.read_dir(d).unwrap_or_default(),
        &|f| files.read(f, policy::POLICY_FILE_MAX as u64).ok(),
    );
    if os == "windows" {
        bytes.extend(registry::policy_documents(reg, i.registry));
    }
    if let Some(d) = proxy::chromium_policy(&policy::merged(&bytes), host, port) {
        return Some(d);
    }
    if os != "linux" || i.name != "Chromium" {
        return None;
    }
    let mut names = files
        .read_dir(Path::new(CHROMIUM_LAUNCHER_DIR))
        .unwrap_or_default();
    names.sort();
    let text: String = names
        .iter()
        .filter_map(|n| {
            files
                .read(&Path::new(CHROMIUM_LAUNCHER_DIR).join(n), 64 * 1024)
                .ok()
        })
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .collect::<Vec<_>>()
        .join("\n");
    proxy::chromium_flags(&text, host, port)
}

/// Each Firefox profile: its policy, then its own preference, then the environment.
fn firefox_routes(
    sys: &System,
    home: &Path,
    os: &str,
    host: &str,
    port: u16,
    from_env: Option<&Decided>,
) -> Vec<Seen> {
    let files = sys.files.as_ref();
    let policy = super::firefox_policies::read(sys, os)
        .iter()
        .find_map(|v| proxy::firefox_policy(v, host, port));
    let mut out = Vec::new();
    let small = |f: &Path| files.read(f, firefox::SMALL_FILE_MAX as u64).ok();
    for (name, dir) in firefox::profile_dirs(&small, home, os) {
        let prefs = files
            .read(&dir.join("prefs.js"), firefox::PREFS_MAX as u64)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        let own = || {
            let look = |k: &str| firefox::pref(&prefs, k).map(str::to_string);
            proxy::firefox(&look, host, port)
        };
        let decided = policy
            .clone()
            .filter(|d| d.route != Route::System)
            .unwrap_or_else(own);
        let decided = if decided.route == Route::System {
            from_env.cloned()
        } else {
            Some(decided)
        };
        out.push(Seen {
            browser: "Firefox",
            label: format!("Firefox / {}", name),
            decided,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Status;
    use crate::sim::files::MemFiles;

    fn run(files: &[(&str, &str)], env: &[(&str, &str)]) -> Outcome {
        run_on("linux", files, env)
    }

    fn run_on(os: &str, files: &[(&str, &str)], env: &[(&str, &str)]) -> Outcome {
        let mut mem = MemFiles::new();
        for (p, t) in files {
            mem.insert(*p, t.as_bytes().to_vec(), 0o644);
        }
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        let p: Params =
            params(&serde_yaml::from_str(&format!("{{home: /home/u, os: {os}}}")).unwrap())
                .unwrap();
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        judge(&sys, &p, &env)
    }

    const CHROMIUM: (&str, &str) = ("/home/u/.config/chromium/Default/Preferences", "{}");

    #[test]
    fn a_policy_proxy_without_the_name_in_its_bypass_list_is_the_root_cause() {
        let policy = (
            "/etc/chromium/policies/managed/proxy.json",
            r#"{"ProxyMode":"fixed_servers","ProxyServer":"p:3128","ProxyBypassList":"127.0.0.1;localhost"}"#,
        );
        let o = run(&[CHROMIUM, policy], &[]);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Fail, Some("browser.proxy_no_bypass"))
        );
        let fixed = (
            policy.0,
            r#"{"ProxyMode":"fixed_servers","ProxyServer":"p:3128","ProxyBypassList":"localhost;iccert.nhi.gov.tw"}"#,
        );
        assert_eq!(run(&[CHROMIUM, fixed], &[]).status, Status::Pass);
    }

    #[test]
    fn gnome_settings_are_the_systems_proxy() {
        let db = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/browser/dconf/user"
        ))
        .unwrap();
        let mut mem = MemFiles::new();
        mem.insert(CHROMIUM.0, CHROMIUM.1.as_bytes().to_vec(), 0o644);
        mem.insert("/home/u/.config/dconf/user", db, 0o644);
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        let p: Params =
            params(&serde_yaml::from_str("{home: /home/u, os: linux}").unwrap()).unwrap();
        let o = judge(&sys, &p, &[]);
        assert_eq!(
            o.finding.as_deref(),
            Some("browser.proxy_no_bypass"),
            "{o:?}"
        );
    }

    /// The check on a Windows home `/home/u` with these files and this registry.
    fn judge_on_windows(mem: MemFiles, reg: crate::system::registry::MemRegistry) -> Outcome {
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        sys.registry = Arc::new(reg);
        let p: Params =
            params(&serde_yaml::from_str("{home: /home/u, os: windows}").unwrap()).unwrap();
        judge(&sys, &p, &[])
    }

    #[test]
    fn a_windows_registry_policy_sets_chromes_proxy() {
        use crate::system::registry::{Hive, MemRegistry, RegKey, RegValue};
        let mut mem = MemFiles::new();
        mem.insert(
            "/home/u/AppData/Local/Google/Chrome/User Data/Default/Preferences",
            b"{}".to_vec(),
            0o644,
        );
        let mut reg = MemRegistry::default();
        reg.insert(
            Hive::LocalMachine,
            r"SOFTWARE\Policies\Google\Chrome",
            RegKey {
                values: vec![
                    ("ProxyMode".into(), RegValue::Text("fixed_servers".into())),
                    ("ProxyServer".into(), RegValue::Text("10.1.1.1:8080".into())),
                    ("ProxyBypassList".into(), RegValue::Text("<local>".into())),
                ],
                subkeys: vec![],
            },
        );
        let o = judge_on_windows(mem, reg);
        assert_eq!(
            o.finding.as_deref(),
            Some("browser.proxy_no_bypass"),
            "{o:?}"
        );
    }

    #[test]
    fn a_macos_managed_preference_sets_edges_proxy() {
        let edge = (
            "/home/u/Library/Application Support/Microsoft Edge/Default/Preferences",
            "{}",
        );
        let plist = r#"<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>ProxyMode</key><string>fixed_servers</string>
<key>ProxyServer</key><string>proxy.agency.gov.tw:3128</string>
</dict></plist>"#;
        let o = run_on(
            "macos",
            &[
                edge,
                (
                    "/Library/Managed Preferences/com.microsoft.Edge.plist",
                    plist,
                ),
            ],
            &[],
        );
        assert_eq!(
            o.finding.as_deref(),
            Some("browser.proxy_no_bypass"),
            "{o:?}"
        );
        assert_eq!(run_on("macos", &[edge], &[]).status, Status::Pass);
    }

    #[test]
    fn the_environment_and_etc_environment_count_and_a_pac_is_not_judged() {
        let o = run(&[CHROMIUM], &[("https_proxy", "http://p:8080")]);
        assert_eq!(o.finding.as_deref(), Some("browser.proxy_no_bypass"));
        let o = run(
            &[
                CHROMIUM,
                (
                    "/etc/environment",
                    "https_proxy=http://p:8080\nno_proxy=localhost,.nhi.gov.tw\n",
                ),
            ],
            &[],
        );
        assert_eq!(o.status, Status::Pass);
        let pac = (
            "/etc/chromium/policies/managed/pac.json",
            r#"{"ProxyMode":"pac_script","ProxyPacUrl":"http://wpad/proxy.pac"}"#,
        );
        let o = run(&[CHROMIUM, pac], &[]);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Warn, Some("browser.proxy_not_judged"))
        );
    }

    #[test]
    fn firefox_with_a_manual_proxy_fails_beside_a_direct_chromium_as_a_warning() {
        let files = [
            CHROMIUM,
            (
                "/home/u/.mozilla/firefox/profiles.ini",
                "[Profile0]\nName=work\nIsRelative=1\nPath=w\n",
            ),
            (
                "/home/u/.mozilla/firefox/w/prefs.js",
                "user_pref(\"network.proxy.type\", 1);\nuser_pref(\"network.proxy.ssl\", \"p\");\nuser_pref(\"network.proxy.ssl_port\", 3128);\n",
            ),
        ];
        let o = run(&files, &[]);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Warn, Some("browser.proxy_no_bypass"))
        );
        assert_eq!(run(&[], &[]).finding.as_deref(), Some("browser.none_found"));
    }

    /// Windows: Firefox's Group Policy proxy (registry, `Proxy` as a subkey) is read.
    #[test]
    fn a_windows_registry_policy_sets_firefoxs_proxy() {
        use crate::system::registry::{FIREFOX_POLICIES, Hive, MemRegistry, RegKey, RegValue};
        let mut mem = MemFiles::new();
        mem.insert(
            "/home/u/AppData/Roaming/Mozilla/Firefox/profiles.ini",
            b"[Profile0]\nName=work\nIsRelative=1\nPath=Profiles/w\n".to_vec(),
            0o644,
        );
        mem.insert(
            "/home/u/AppData/Roaming/Mozilla/Firefox/Profiles/w/prefs.js",
            b"".to_vec(),
            0o644,
        );
        let proxy = vec![
            ("Mode".to_string(), RegValue::Text("manual".into())),
            (
                "HTTPProxy".to_string(),
                RegValue::Text("10.1.1.1:8080".into()),
            ),
            (
                "UseHTTPProxyForAllProtocols".to_string(),
                RegValue::Number(1),
            ),
        ];
        let mut reg = MemRegistry::default();
        reg.insert(
            Hive::LocalMachine,
            FIREFOX_POLICIES,
            RegKey {
                values: vec![],
                subkeys: vec![("Proxy".into(), proxy.clone())],
            },
        );
        reg.insert(
            Hive::LocalMachine,
            &format!("{FIREFOX_POLICIES}\\Proxy"),
            RegKey {
                values: proxy,
                subkeys: vec![],
            },
        );
        let o = judge_on_windows(mem, reg);
        assert_eq!(
            o.finding.as_deref(),
            Some("browser.proxy_no_bypass"),
            "{o:?}"
        );
        assert!(format!("{o:?}").contains("10.1.1.1:8080"), "{o:?}");
    }
}
