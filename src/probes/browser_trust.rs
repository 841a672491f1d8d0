//! Kind `browser_trust`: whether the user's browsers trust the certificate the component
//! really serves — the chain the TLS check captured, judged against the store each browser
//! takes its trust from. On Linux that is not the system store: Chrome, Edge and Chromium
//! share the user's NSS database (`~/.pki/nssdb`, since M146 `~/.local/share/pki/nssdb`)
//! and every Firefox profile has its own (`cert9.db`), plus the roots a Firefox policy
//! installs. On Windows and macOS, Chrome and Edge use the OS stores, which are judged by
//! the TLS check until they are read directly; Firefox profiles are judged everywhere.
//! Click-through exceptions are evidence and a warning, never trust. Files are read
//! through the system layer, never written.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use rustls::pki_types::CertificateDer;
use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::bridge::tls::{self, ServedChain};
use crate::browser::default::{self, Combined};
use crate::browser::nss::{self, NssCert, ServerTrust};
use crate::browser::trust::{self, StoreVerdict};
use crate::browser::{chromium, firefox};
use crate::engine::kind::{Simulated, StandIns};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::{Files, System, user};

pub const KIND: Kind = Kind {
    name: "browser_trust",
    findings: &[
        "browser.cert_untrusted",
        "browser.cert_root_expired",
        "browser.cert_exception_only",
        "browser.none_found",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the world's user home and the OS it pretends to be.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![
        ("home", w.home.as_str().into()),
        ("os", w.os.as_str().into()),
    ]
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The TLS check whose captured chain is judged (it must be in `after` or `needs`).
    #[serde(default = "default_tls_check")]
    tls_check: String,
    /// The home whose browsers are read; default: `--user`, else `SUDO_USER`, else the one
    /// running.
    #[serde(default)]
    home: Option<PathBuf>,
    /// `linux`, `macos` or `windows`: where browsers keep their files. Default: this one.
    #[serde(default = "default_os")]
    os: String,
}

fn default_tls_check() -> String {
    "bridge-tls".into()
}
fn default_os() -> String {
    chromium::this_os().into()
}

const FIREFOX_CERT_DIRS: &[&str] = &[
    "/usr/lib/mozilla/certificates",
    "/usr/lib64/mozilla/certificates",
];

/// At most this many browsers' verdicts go into the evidence.
const SHOWN: usize = 6;

struct BrowserTrust {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    crate::browser::check_os(&p.os)?;
    Ok(Arc::new(BrowserTrust { p }))
}

impl Probe for BrowserTrust {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        let sys = ctx.system();
        let tls_outcome = ctx.prior.get(&p.tls_check).cloned();
        Box::pin(blocking(move || {
            let served = tls_outcome
                .as_ref()
                .and_then(|o| o.handoff.get::<ServedChain>());
            match served {
                Some(s) => judge(&sys, &p, s, SystemTime::now()),
                // No chain to judge: the TLS check did not run or did not get one.
                None => Outcome::skipped(
                    tls_outcome
                        .as_ref()
                        .and_then(|o| o.skipped_because.as_deref())
                        .unwrap_or(&p.tls_check),
                ),
            }
        }))
    }
}

/// One browser (or Firefox profile) and what its store makes of the chain.
struct Seen {
    browser: &'static str,
    label: String,
    verdict: StoreVerdict,
    /// A click-through exception that lets the page through although the store does not.
    exception: bool,
    notes: Vec<Value>,
}

impl Seen {
    fn fails(&self) -> bool {
        self.verdict.fails() && !self.exception
    }
}

fn judge(sys: &System, p: &Params, served: &ServedChain, now: SystemTime) -> Outcome {
    let Some((user, home)) = user::home_for(sys, p.home.as_deref()) else {
        return Outcome::warn("browser.none_found", Msg::new("browser.no_home"));
    };
    let leaf_sha = served
        .chain
        .first()
        .map(|l| tls::fingerprint(l))
        .unwrap_or_default();
    let mut seen = Vec::new();
    seen.extend(chromium_family(sys, &p.os, &home, served, now));
    seen.extend(firefox_profiles(sys, &home, &p.os, served, &leaf_sha, now));
    let home_text = home.display().to_string();
    let default_browser = user::default_browser(sys, &home, &p.os);
    let mut o = crate::browser::whose_evidence(
        verdict(&seen, default_browser, &p.os, &home_text, served),
        user,
        &home_text,
        default_browser,
    );
    for (i, s) in seen.iter().take(SHOWN).enumerate() {
        let mut parts = vec![describe(&s.verdict)];
        parts.extend(s.notes.iter().cloned());
        o = o.with(
            &format!("browser_{i}"),
            Msg::new("value.labelled")
                .arg("name", s.label.as_str())
                .arg("value", Value::join(parts, "; ")),
        );
    }
    o
}

fn verdict(
    seen: &[Seen],
    default_browser: Option<&'static str>,
    os: &str,
    home: &str,
    served: &ServedChain,
) -> Outcome {
    if seen.is_empty() {
        return if os == "linux" {
            Outcome::warn(
                "browser.none_found",
                Msg::new("browser.trust_none_found").arg("home", home),
            )
        } else {
            Outcome::pass(Msg::new("browser.trust_os_store"))
        };
    }
    let names = |f: &dyn Fn(&Seen) -> bool| {
        seen.iter()
            .filter(|s| f(s))
            .map(|s| s.label.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let results: Vec<(&str, bool)> = seen.iter().map(|s| (s.browser, s.fails())).collect();
    let failing: Vec<&Seen> = seen.iter().filter(|s| s.fails()).collect();
    let expired = failing.iter().find_map(|s| match &s.verdict {
        StoreVerdict::RootExpired { subject, date, .. } => Some((subject.clone(), date.clone())),
        _ => None,
    });
    let code = if expired.is_some() {
        "browser.cert_root_expired"
    } else {
        "browser.cert_untrusted"
    };
    let subject = served
        .chain
        .first()
        .map(|l| tls::CertInfo::parse(l).short_name())
        .unwrap_or_default();
    let msg = |key: &str| {
        let m = Msg::new(key)
            .arg("browsers", names(&|s: &Seen| s.fails()))
            .arg("subject", subject.as_str());
        match &expired {
            Some((root, date)) => m.arg("root", root.as_str()).arg("date", date.as_str()),
            None => m,
        }
    };
    match default::combine(&results, default_browser) {
        Combined::AllFail => Outcome::fail(code, msg(code)),
        Combined::DefaultFails(d) => Outcome::fail(
            code,
            msg(&format!("{code}_default"))
                .arg("default", d)
                .arg("others", names(&|s: &Seen| !s.fails())),
        ),
        Combined::SomeFail => Outcome::warn(
            code,
            msg(&format!("{code}_some")).arg("others", names(&|s: &Seen| !s.fails())),
        ),
        Combined::NoneFail if seen.iter().any(|s| s.exception) => Outcome::warn(
            "browser.cert_exception_only",
            Msg::new("browser.cert_exception_only").arg("browsers", names(&|s: &Seen| s.exception)),
        ),
        Combined::NoneFail => {
            Outcome::pass(Msg::new("browser.trust_pass").arg("browsers", names(&|_| true)))
        }
    }
}

fn describe(v: &StoreVerdict) -> Value {
    match v {
        StoreVerdict::Trusted { label } => {
            Msg::new("value.btrust.trusted").arg("label", label.as_str())
        }
        StoreVerdict::TrustedPeer { label } => {
            Msg::new("value.btrust.peer").arg("label", label.as_str())
        }
        StoreVerdict::RootExpired { label, date, .. } => Msg::new("value.btrust.root_expired")
            .arg("label", label.as_str())
            .arg("date", date.as_str()),
        StoreVerdict::OutOfDate => Msg::new("value.btrust.out_of_date"),
        StoreVerdict::Distrusted { label } => {
            Msg::new("value.btrust.distrusted").arg("label", label.as_str())
        }
        StoreVerdict::Untrusted => Msg::new("value.btrust.untrusted"),
    }
    .into()
}

/// Chrome, Edge and Chromium: one verdict from the store they share — on Linux the user's
/// NSS database, on Windows the certificate stores (none when no store could be opened:
/// then the TLS check's view stands) — given to each of them that has a profile folder,
/// with its click-through decisions.
fn chromium_family(
    sys: &System,
    os: &str,
    home: &Path,
    served: &ServedChain,
    now: SystemTime,
) -> Vec<Seen> {
    let files = sys.files.as_ref();
    let installed: Vec<&chromium::Install> = chromium::installs(os)
        .iter()
        .filter(|i| files.read_dir(&home.join(i.user_data)).is_ok())
        .collect();
    if installed.is_empty() {
        return Vec::new();
    }
    let Some((verdict, note)) = (match os {
        "linux" => Some(linux_nss_verdict(files, home, served, now)),
        "windows" => windows_stores_verdict(sys, served, now),
        _ => None,
    }) else {
        return Vec::new();
    };
    installed
        .into_iter()
        .map(|i| {
            let mut notes = vec![note.clone()];
            let (exception, more) = chromium_exceptions(files, home, i, served, now);
            notes.extend(more);
            Seen {
                browser: i.name,
                label: i.name.to_string(),
                exception: exception && verdict.fails(),
                verdict: verdict.clone(),
                notes,
            }
        })
        .collect()
}

/// The user's NSS database (the old place wins when it exists).
fn linux_nss_verdict(
    files: &dyn Files,
    home: &Path,
    served: &ServedChain,
    now: SystemTime,
) -> (StoreVerdict, Value) {
    let db = chromium::LINUX_NSS_DBS
        .iter()
        .map(|d| home.join(d).join("cert9.db"))
        .find(|p| files.exists(p));
    match &db {
        None => (
            StoreVerdict::Untrusted,
            Msg::new("value.btrust.no_db")
                .arg(
                    "path",
                    home.join(chromium::LINUX_NSS_DBS[1]).display().to_string(),
                )
                .into(),
        ),
        Some(path) => store_verdict(files, path, &[], served, now),
    }
}

/// The Windows certificate stores Chrome and Edge read; `None` when none could be opened.
fn windows_stores_verdict(
    sys: &System,
    served: &ServedChain,
    now: SystemTime,
) -> Option<(StoreVerdict, Value)> {
    let (certs, opened) = crate::system::certstore::chrome_view(sys.cert_stores.as_ref());
    (opened > 0).then(|| {
        (
            trust::judge(&served.chain, &certs, now),
            Msg::new("value.btrust.win_stores")
                .arg("stores", opened.to_string())
                .arg("count", certs.len().to_string())
                .into(),
        )
    })
}

/// Reads one `cert9.db` (with extra anchors a policy installs) and judges the chain; the
/// note names the database.
fn store_verdict(
    files: &dyn Files,
    path: &Path,
    extra: &[NssCert],
    served: &ServedChain,
    now: SystemTime,
) -> (StoreVerdict, Value) {
    let shown = path.display().to_string();
    match files
        .read(path, nss::CERT9_MAX as u64)
        .map_err(|e| e.to_string())
        .and_then(|b| nss::read(&b))
    {
        Ok(mut certs) => {
            certs.extend_from_slice(extra);
            (
                trust::judge(&served.chain, &certs, now),
                Msg::new("value.btrust.db")
                    .arg("path", shown)
                    .arg("count", certs.len().to_string())
                    .into(),
            )
        }
        Err(e) => (
            StoreVerdict::Untrusted,
            Msg::new("value.btrust.unreadable")
                .arg("path", shown)
                .arg("error", e)
                .into(),
        ),
    }
}

/// Whether any profile of a Chromium browser clicked through a warning for one of the
/// names, still in force; other hosts' decisions are noted (they do not cover eCPA's name).
fn chromium_exceptions(
    files: &dyn Files,
    home: &Path,
    i: &chromium::Install,
    served: &ServedChain,
    now: SystemTime,
) -> (bool, Vec<Value>) {
    let dir = home.join(i.user_data);
    let mut names = files.read_dir(&dir).unwrap_or_default();
    names.sort();
    let now_s = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (mut covered, mut notes) = (false, Vec::new());
    for n in names
        .iter()
        .filter(|e| *e == "Default" || e.starts_with("Profile "))
    {
        let Ok(prefs) = files.read(
            &dir.join(n).join("Preferences"),
            crate::browser::lna::PREFERENCES_MAX as u64,
        ) else {
            continue;
        };
        for d in chromium::cert_decisions(&prefs) {
            let live = d.expires.is_none_or(|t| t > now_s);
            if served.names.iter().any(|h| h.eq_ignore_ascii_case(&d.host)) && live {
                covered = true;
                notes.push(
                    Msg::new("value.btrust.exception")
                        .arg("host", d.host)
                        .into(),
                );
            } else if d.host == "localhost" || d.host == "127.0.0.1" || !live {
                notes.push(
                    Msg::new("value.btrust.exception_other")
                        .arg("host", d.host)
                        .arg("name", served.names.join(", "))
                        .into(),
                );
            }
        }
    }
    (covered, notes)
}

/// Every Firefox profile of the home, judged against its own `cert9.db`, the roots a
/// policy installs, and its click-through exceptions for the component's port.
fn firefox_profiles(
    sys: &System,
    home: &Path,
    os: &str,
    served: &ServedChain,
    leaf_sha: &str,
    now: SystemTime,
) -> Vec<Seen> {
    let files = sys.files.as_ref();
    let extra = firefox_policy_roots(sys, home, os);
    let mut out = Vec::new();
    let small = |f: &Path| files.read(f, firefox::SMALL_FILE_MAX as u64).ok();
    for (name, dir) in firefox::profile_dirs(&small, home, os) {
        let version = files
            .read(
                &dir.join("compatibility.ini"),
                firefox::SMALL_FILE_MAX as u64,
            )
            .ok()
            .and_then(|t| firefox::last_version(&t))
            .map_or_else(|| "?".to_string(), |v| v.to_string());
        let (verdict, note) = store_verdict(files, &dir.join("cert9.db"), &extra, served, now);
        let mut notes = vec![note];
        let overrides = files
            .read(
                &dir.join("cert_override.txt"),
                firefox::SMALL_FILE_MAX as u64,
            )
            .map(|t| firefox::overrides(&t))
            .unwrap_or_default();
        let mut exception = false;
        for o in overrides.iter().filter(|o| o.port == 7777) {
            let for_name = served.names.iter().any(|n| n.eq_ignore_ascii_case(&o.host));
            if for_name && o.sha256 == leaf_sha {
                exception = true;
                notes.push(
                    Msg::new("value.btrust.exception")
                        .arg("host", o.host.as_str())
                        .into(),
                );
            } else {
                notes.push(
                    Msg::new("value.btrust.override_other")
                        .arg("host", o.host.as_str())
                        .into(),
                );
            }
        }
        out.push(Seen {
            browser: "Firefox",
            label: format!("Firefox {version} / {}", name),
            exception: exception && verdict.fails(),
            verdict,
            notes,
        });
    }
    out
}

/// The roots Firefox's `Certificates.Install` policy adds (trusted for TLS in every profile).
fn firefox_policy_roots(sys: &System, home: &Path, os: &str) -> Vec<NssCert> {
    let files = sys.files.as_ref();
    let mut out = Vec::new();
    let documents = super::firefox_policies::read(sys, os);
    for json in &documents {
        let Some(list) = json["policies"]["Certificates"]["Install"].as_array() else {
            continue;
        };
        for name in list.iter().filter_map(|v| v.as_str()).take(100) {
            let candidates: Vec<PathBuf> = if Path::new(name).is_absolute() {
                vec![PathBuf::from(name)]
            } else {
                FIREFOX_CERT_DIRS
                    .iter()
                    .map(PathBuf::from)
                    .chain([home.join(".mozilla/certificates")])
                    .map(|d| d.join(name))
                    .collect()
            };
            if let Some(bytes) = candidates
                .iter()
                .find_map(|c| files.read(c, 1024 * 1024).ok())
            {
                out.extend(certs_in(&bytes).into_iter().map(|der| NssCert {
                    der,
                    label: format!("policy: {name}"),
                    trust: ServerTrust::Anchor,
                }));
            }
        }
    }
    out
}

/// PEM certificates in a file, or the file itself as DER.
fn certs_in(bytes: &[u8]) -> Vec<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    let pem: Vec<Vec<u8>> = CertificateDer::pem_slice_iter(bytes)
        .filter_map(Result::ok)
        .map(|c| c.to_vec())
        .collect();
    if pem.is_empty() && bytes.first() == Some(&0x30) {
        vec![bytes.to_vec()]
    } else {
        pem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Status;
    use crate::sim::certs::CertGeneration;
    use crate::sim::files::MemFiles;
    use rustls::pki_types::pem::PemObject;

    const HOME: &str = "/home/u";

    fn served() -> (ServedChain, Vec<u8>) {
        let set = CertGeneration::TestCa.generate().unwrap();
        let root = CertificateDer::from_pem_slice(set.component_root_pem.as_bytes())
            .unwrap()
            .to_vec();
        (
            ServedChain {
                chain: set.chain[..1].to_vec(),
                names: vec!["iccert.nhi.gov.tw".into()],
            },
            root,
        )
    }

    fn db(certs: &[(Vec<u8>, ServerTrust)]) -> Vec<u8> {
        let entries: Vec<(Vec<u8>, String, ServerTrust)> = certs
            .iter()
            .map(|(d, t)| (d.clone(), "NHIRootCA".to_string(), *t))
            .collect();
        crate::sim::nssdb::cert9(&entries)
    }

    fn run(files: Vec<(String, Vec<u8>)>, served: &ServedChain) -> Outcome {
        let mut mem = MemFiles::new();
        for (p, b) in files {
            mem.insert(p, b, 0o644);
        }
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        let p: Params =
            params(&serde_yaml::from_str("{home: /home/u, os: linux}").unwrap()).unwrap();
        judge(&sys, &p, served, SystemTime::now())
    }

    fn f(path: &str, bytes: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
        (format!("{HOME}/{path}"), bytes.into())
    }

    fn firefox(name: &str, cert9: Vec<u8>) -> Vec<(String, Vec<u8>)> {
        vec![
            f(
                ".mozilla/firefox/profiles.ini",
                format!("[Profile0]\nName={name}\nIsRelative=1\nPath=p.{name}\n"),
            ),
            f(&format!(".mozilla/firefox/p.{name}/cert9.db"), cert9),
            f(
                &format!(".mozilla/firefox/p.{name}/compatibility.ini"),
                "[Compatibility]\nLastVersion=153.8.0_20261110/20261110\n",
            ),
        ]
    }

    #[test]
    fn chromium_without_the_root_fails_unless_firefox_works_and_the_default_decides() {
        let (s, root) = served();
        let chromium = vec![
            f(".config/chromium/Default/Preferences", "{}"),
            f(".pki/nssdb/cert9.db", db(&[])),
        ];
        let o = run(chromium.clone(), &s);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Fail, Some("browser.cert_untrusted"))
        );
        // Firefox trusts it: only a warning, naming Chromium…
        let mut both = chromium.clone();
        both.extend(firefox(
            "default-esr",
            db(&[(root.clone(), ServerTrust::Anchor)]),
        ));
        let o = run(both.clone(), &s);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Warn, Some("browser.cert_untrusted"))
        );
        // …unless Chromium is the default browser.
        both.push(f(
            ".config/mimeapps.list",
            "[Default Applications]\nx-scheme-handler/https=chromium.desktop\n",
        ));
        let o = run(both, &s);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Fail, Some("browser.cert_untrusted"))
        );
        assert!(o.evidence.iter().any(|(k, _)| k == "default_browser"));
    }

    #[test]
    fn an_exception_for_the_name_warns_and_one_for_localhost_does_not_help() {
        let (s, _) = served();
        let prefs = |host: &str| {
            format!(
                r#"{{"profile":{{"content_settings":{{"exceptions":{{"ssl_cert_decisions":{{"https://{host}:443,*":{{"setting":{{"decision_expiration_time":"99999999999999999"}}}}}}}}}}}}}}"#
            )
        };
        let o = run(
            vec![f(
                ".config/chromium/Default/Preferences",
                prefs("iccert.nhi.gov.tw"),
            )],
            &s,
        );
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Warn, Some("browser.cert_exception_only"))
        );
        let o = run(
            vec![f(
                ".config/chromium/Default/Preferences",
                prefs("localhost"),
            )],
            &s,
        );
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Fail, Some("browser.cert_untrusted"))
        );
    }

    #[test]
    fn on_windows_chrome_is_judged_by_the_stores_it_trusts() {
        use crate::system::certstore::{CHROME_STORES, MemCertStores};
        let (s, root) = served();
        let run_windows = |stores: Vec<(crate::system::certstore::StoreId, Vec<u8>)>| {
            let mut mem = MemFiles::new();
            mem.insert(
                format!("{HOME}/AppData/Local/Google/Chrome/User Data/Default/Preferences"),
                b"{}".to_vec(),
                0o644,
            );
            let mut sys = System::real();
            sys.files = Arc::new(mem);
            sys.cert_stores = Arc::new(MemCertStores(stores));
            let p: Params =
                params(&serde_yaml::from_str("{home: /home/u, os: windows}").unwrap()).unwrap();
            judge(&sys, &p, &s, SystemTime::now())
        };
        let machine_root = CHROME_STORES[0].0;
        let o = run_windows(vec![(machine_root, root.clone())]);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        let o = run_windows(vec![]);
        assert_eq!(
            o.finding.as_deref(),
            Some("browser.cert_untrusted"),
            "{o:?}"
        );
        // The root also in Untrusted Certificates: distrust wins.
        let disallowed = CHROME_STORES.last().unwrap().0;
        let o = run_windows(vec![(machine_root, root.clone()), (disallowed, root)]);
        assert_eq!(
            o.finding.as_deref(),
            Some("browser.cert_untrusted"),
            "{o:?}"
        );
    }

    #[test]
    fn nothing_installed_is_said_and_a_broken_database_is_untrusted() {
        let (s, _) = served();
        let o = run(vec![], &s);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Warn, Some("browser.none_found"))
        );
        let o = run(firefox("x", b"SQLite format 3\0garbage".to_vec()), &s);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Fail, Some("browser.cert_untrusted"))
        );
    }
}
