//! Kind `component_installed`: is the NHI component (健保卡元件) on this machine, in a shape
//! that can start? Linux: the install folder, the daemon, the libraries its ELF header
//! asks for (the 2019–2022 build needs OpenSSL 1.0, gone from current distributions), the
//! glibc release its symbol versions ask for (the 2024 build needs 2.29), the
//! certificate files it aborts without, and a service unit if there is one. macOS: the
//! LaunchDaemon plists (two of them = two daemons fighting over the port) and the daemon.
//! Windows: the install layout is not established, and the check says so.

use crate::engine::kind::{Simulated, StandIns};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::component::elf::{self, ElfInfo};
use crate::component::{glibc, libs, plist};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::Files;

pub const KIND: Kind = Kind {
    name: "component_installed",
    findings: &[
        "component.not_installed",
        "component.binary_bad",
        "component.libssl_missing",
        "component.lib_missing",
        "component.glibc_too_old",
        "component.cert_missing",
        "component.duplicate_daemons",
        "component.layout_unknown",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the operating system the world pretends to be (its files are
/// simulated by the system layer).
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("os", w.os.as_str().into())]
}

/// The daemon is a few MB; this bounds what a hostile file can make us read.
const MAX_BINARY: u64 = 256 * 1024 * 1024;

#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// The layout of the OS ecpa-doctor runs on.
    #[default]
    Auto,
    Linux,
    Macos,
    Windows,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    os: Layout,
    #[serde(default = "default_install_dir")]
    install_dir: PathBuf,
    /// Daemon file names in `install_dir`; default per OS (Linux `mLNHIICC`, `nhiicc`;
    /// macOS `nhiicc`).
    #[serde(default)]
    binary_names: Option<Vec<String>>,
    /// Default: `<install_dir>/cert`.
    #[serde(default)]
    cert_dir: Option<PathBuf>,
    #[serde(default = "default_cert_files")]
    cert_files: Vec<String>,
    /// Service units or init scripts that start the daemon (evidence only).
    #[serde(default = "default_service_files")]
    service_files: Vec<PathBuf>,
    /// Replaces the standard library directories (the ld.so.conf ones still count).
    #[serde(default)]
    library_dirs: Option<Vec<PathBuf>>,
    #[serde(default = "default_ld_so_conf")]
    ld_so_conf: PathBuf,
    /// NEEDED names that mark the old OpenSSL-1.0 build of the daemon.
    #[serde(default = "default_old_openssl")]
    old_openssl_libs: Vec<String>,
    #[serde(default = "default_launch_daemons_dir")]
    launch_daemons_dir: PathBuf,
    #[serde(default = "default_plist_prefix")]
    plist_prefix: String,
    /// Windows: the IE add-on's COM class name (from the official manual).
    #[serde(default = "default_ie_addon")]
    ie_addon_class: String,
    /// Windows: processes whose name or path matches (`*` = any text); the exact names
    /// of the Windows component are not public.
    #[serde(default = "default_windows_processes")]
    windows_processes: Vec<String>,
}

fn default_ie_addon() -> String {
    "twNHIICC Class".into()
}
fn default_windows_processes() -> Vec<String> {
    vec!["*NHIICC*".into()]
}

fn default_install_dir() -> PathBuf {
    PathBuf::from("/usr/local/share/NHIICC")
}
fn default_cert_files() -> Vec<String> {
    ["NHIServerCert.crt", "NHIServerCert.key", "NHIRootCA.crt"]
        .map(String::from)
        .to_vec()
}
fn default_service_files() -> Vec<PathBuf> {
    [
        "/etc/systemd/system/NHIICC.service",
        "/lib/systemd/system/NHIICC.service",
        "/usr/lib/systemd/system/NHIICC.service",
        "/etc/init.d/NHIICC.sh",
    ]
    .map(PathBuf::from)
    .to_vec()
}
fn default_ld_so_conf() -> PathBuf {
    PathBuf::from("/etc/ld.so.conf")
}
fn default_old_openssl() -> Vec<String> {
    [
        "libssl.so.1.0.0",
        "libcrypto.so.1.0.0",
        "libssl.so.10",
        "libcrypto.so.10",
    ]
    .map(String::from)
    .to_vec()
}
fn default_launch_daemons_dir() -> PathBuf {
    PathBuf::from("/Library/LaunchDaemons")
}
fn default_plist_prefix() -> String {
    "tw.gov.nhi.nhiicc".into()
}

/// What the Linux layout check needs, separate from the profile so tests build it directly.
pub struct LinuxLayout {
    pub install_dir: PathBuf,
    pub binary_names: Vec<String>,
    pub cert_dir: PathBuf,
    pub cert_files: Vec<String>,
    pub service_files: Vec<PathBuf>,
    pub library_dirs: Option<Vec<PathBuf>>,
    pub ld_so_conf: PathBuf,
    pub old_openssl_libs: Vec<String>,
}

pub struct MacLayout {
    pub launch_daemons_dir: PathBuf,
    pub plist_prefix: String,
    pub install_dir: PathBuf,
    pub binary_names: Vec<String>,
}

struct ComponentInstalled {
    p: Params,
}

/// The per-OS check with its settings, run later on a blocking thread.
type Job = Box<dyn FnOnce(&dyn Files) -> Outcome + Send>;

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(ComponentInstalled { p: params(v)? }))
}

impl Probe for ComponentInstalled {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = &self.p;
        let layout = match p.os {
            Layout::Auto if cfg!(target_os = "linux") => Layout::Linux,
            Layout::Auto if cfg!(target_os = "macos") => Layout::Macos,
            Layout::Auto => Layout::Windows,
            other => other,
        };
        let names = |default: &[&str]| {
            p.binary_names
                .clone()
                .unwrap_or_else(|| default.iter().map(|s| s.to_string()).collect())
        };
        let job: Job = match layout {
            Layout::Linux => {
                let l = LinuxLayout {
                    install_dir: p.install_dir.clone(),
                    binary_names: names(&["mLNHIICC", "nhiicc"]),
                    cert_dir: p
                        .cert_dir
                        .clone()
                        .unwrap_or_else(|| p.install_dir.join("cert")),
                    cert_files: p.cert_files.clone(),
                    service_files: p.service_files.clone(),
                    library_dirs: p.library_dirs.clone(),
                    ld_so_conf: p.ld_so_conf.clone(),
                    old_openssl_libs: p.old_openssl_libs.clone(),
                };
                Box::new(move |f| linux(f, &l))
            }
            Layout::Macos => {
                let m = MacLayout {
                    launch_daemons_dir: p.launch_daemons_dir.clone(),
                    plist_prefix: p.plist_prefix.clone(),
                    install_dir: p.install_dir.clone(),
                    binary_names: names(&["nhiicc"]),
                };
                Box::new(move |f| macos(f, &m))
            }
            Layout::Windows | Layout::Auto => {
                let (class, patterns) = (p.ie_addon_class.clone(), p.windows_processes.clone());
                let procs = ctx.system().procs.clone();
                let real = !ctx.system().simulated && cfg!(target_os = "windows");
                Box::new(move |_| {
                    // `reg` exists only on Windows; elsewhere (os: windows in a test
                    // profile) the registry is unknown, which the outcome says.
                    let addon = if real {
                        crate::system::windows::find_com_class(&class)
                    } else {
                        None
                    };
                    windows(addon, procs.list(), &class, &patterns)
                })
            }
        };
        Box::pin(blocking(move || job(&*ctx.system().files)))
    }
}

/// Windows: what can be established — the IE add-on by its class name in the registry and
/// a process matching the patterns. Nothing found is said honestly: the install layout is
/// not public, so absence here is not proof that the component is missing.
pub fn windows(
    addon: Option<Vec<crate::system::windows::ComClass>>,
    procs: Option<Vec<crate::system::ProcInfo>>,
    class: &str,
    patterns: &[String],
) -> Outcome {
    let running: Vec<String> = procs
        .unwrap_or_default()
        .into_iter()
        .filter(|p| patterns.iter().any(|pat| p.is_named(pat)))
        .map(|p| match &p.exe {
            Some(e) => format!("{} ({}, pid {})", p.name, e.display(), p.pid),
            None => format!("{} (pid {})", p.name, p.pid),
        })
        .collect();
    let addon_text: Value = match &addon {
        None => Msg::new("value.addon.registry_not_read").into(),
        Some(v) if v.is_empty() => Msg::new("value.addon.not_registered")
            .arg("class", class)
            .into(),
        // The IE-only ActiveX component of old: evidence of a legacy install, not of the
        // current component on :7777, so never the reason to pass.
        Some(v) => Msg::new("value.addon.legacy")
            .arg(
                "classes",
                v.iter()
                    .map(|c| {
                        format!(
                            "{} → {} ({})",
                            c.clsid,
                            c.server.as_deref().unwrap_or("?"),
                            c.view
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
            )
            .into(),
    };
    let o = if !running.is_empty() {
        Outcome::pass(Msg::new("component.windows_found"))
    } else {
        unknown_layout("windows")
    };
    let o = o
        .with("ie_addon", addon_text)
        .with("process_patterns", patterns.join(", "));
    if running.is_empty() {
        o.with("processes", Msg::new("value.processes.none_matching"))
    } else {
        o.with("processes", running.join("; "))
    }
}

/// Where the facts stop: say so instead of guessing paths.
pub fn unknown_layout(os: &str) -> Outcome {
    // The OS name as people write it; the token itself for one the catalogue does not name.
    let key = format!("value.os.{os}");
    let name: Value = if crate::i18n::messages().values.contains_key(&key) {
        Msg::new(&key).into()
    } else {
        os.into()
    };
    Outcome::warn(
        "component.layout_unknown",
        Msg::new("component.layout_unknown").arg("os", name.clone()),
    )
    .with("os", name)
}

fn shown(p: &Path) -> String {
    p.display().to_string()
}

fn is_file(files: &dyn Files, p: &Path) -> bool {
    files.metadata(p).is_ok_and(|m| m.is_file())
}

fn find_binary(files: &dyn Files, dir: &Path, names: &[String]) -> Option<PathBuf> {
    names
        .iter()
        .map(|n| dir.join(n))
        .find(|b| is_file(files, b))
}

fn not_installed(files: &dyn Files, dir: &Path, names: &[String]) -> Outcome {
    let dir_there = files.metadata(dir).is_ok_and(|m| m.is_dir());
    let key = if dir_there {
        "component.binary_missing"
    } else {
        "component.not_installed"
    };
    Outcome::fail(
        "component.not_installed",
        Msg::new(key)
            .arg("dir", shown(dir))
            .arg("names", names.join(", ")),
    )
    .with(
        "install_dir",
        Msg::new("value.with_note").arg("text", shown(dir)).arg(
            "note",
            Msg::new(if dir_there {
                "value.present"
            } else {
                "value.missing"
            }),
        ),
    )
}

/// A problem found on Linux; the first in this order becomes the finding, since each one
/// alone stops the daemon and the earlier ones' fixes (a current install) fix the later.
enum Problem {
    Binary(Msg),
    OldOpenssl(Vec<String>),
    Libs(Vec<String>),
    /// The newest GLIBC version needed that the system lacks, and the system's newest.
    Glibc {
        required: String,
        available: String,
    },
    Certs(Vec<String>),
}

pub fn linux(files: &dyn Files, l: &LinuxLayout) -> Outcome {
    let Some(binary) = find_binary(files, &l.install_dir, &l.binary_names) else {
        return with_services(
            not_installed(files, &l.install_dir, &l.binary_names),
            files,
            &l.service_files,
        );
    };
    let mut problems = Vec::new();
    let mut evidence: Vec<(&str, Value)> = vec![
        ("install_dir", shown(&l.install_dir).into()),
        ("binary", shown(&binary).into()),
    ];
    inspect_binary(files, l, &binary, &mut problems, &mut evidence);
    inspect_certs(files, l, &mut problems, &mut evidence);

    let b = shown(&binary);
    let outcome = match problems.into_iter().next() {
        None => Outcome::pass(Msg::new("component.installed").arg("binary", b.as_str())),
        Some(Problem::Binary(msg)) => Outcome::fail("component.binary_bad", msg),
        Some(Problem::OldOpenssl(libs)) => Outcome::fail(
            "component.libssl_missing",
            Msg::new("component.libssl_missing")
                .arg("binary", b.as_str())
                .arg("libs", libs.join(", ")),
        ),
        Some(Problem::Libs(libs)) => Outcome::fail(
            "component.lib_missing",
            Msg::new("component.lib_missing")
                .arg("binary", b.as_str())
                .arg("libs", libs.join(", ")),
        ),
        Some(Problem::Glibc {
            required,
            available,
        }) => Outcome::fail(
            "component.glibc_too_old",
            Msg::new("component.glibc_too_old")
                .arg("binary", b.as_str())
                .arg("required", glibc::number(&required))
                .arg("available", glibc::number(&available)),
        ),
        Some(Problem::Certs(missing)) => Outcome::fail(
            "component.cert_missing",
            Msg::new("component.cert_missing")
                .arg("dir", shown(&l.cert_dir))
                .arg("files", missing.join(", ")),
        ),
    };
    let outcome = evidence.into_iter().fold(outcome, |o, (k, v)| o.with(k, v));
    with_services(outcome, files, &l.service_files)
}

fn inspect_binary(
    files: &dyn Files,
    l: &LinuxLayout,
    binary: &Path,
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<(&'static str, Value)>,
) {
    let b = shown(binary);
    let meta = files.metadata(binary).ok();
    let bytes = match files.read(binary, MAX_BINARY) {
        Ok(bytes) => bytes,
        Err(e) => {
            // Not being allowed to read the daemon says nothing about whether it runs.
            evidence.push(("binary_read", e.to_string().into()));
            return;
        }
    };
    let info = match elf::parse(&bytes) {
        Ok(info) => info,
        Err(e) => {
            problems.push(Problem::Binary(
                Msg::new("component.binary_not_elf")
                    .arg("binary", b.as_str())
                    .arg("detail", e.code()),
            ));
            evidence.push(("elf", e.code().into()));
            return;
        }
    };
    evidence.push(("elf", elf::describe(info.class, info.machine).into()));
    if elf::host_accepts().is_some_and(|a| !a.contains(&(info.class, info.machine))) {
        problems.push(Problem::Binary(
            Msg::new("component.binary_wrong_arch")
                .arg("binary", b.as_str())
                .arg("built", elf::describe(info.class, info.machine))
                .arg("host", std::env::consts::ARCH),
        ));
        return;
    }
    if let Some(m) = meta.filter(|m| !m.executable()) {
        let mode = m.mode.map(|m| format!("{m:04o}")).unwrap_or_default();
        problems.push(Problem::Binary(
            Msg::new("component.binary_not_executable")
                .arg("binary", b.as_str())
                .arg("mode", mode.as_str()),
        ));
        evidence.push(("binary_mode", mode.into()));
    }
    inspect_libraries(files, l, binary, &info, problems, evidence);
}

fn inspect_libraries(
    files: &dyn Files,
    l: &LinuxLayout,
    binary: &Path,
    info: &ElfInfo,
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<(&'static str, Value)>,
) {
    evidence.push((
        "needed_libraries",
        if info.needed.is_empty() {
            Msg::new("value.libraries.static").into()
        } else {
            info.needed.join(", ").into()
        },
    ));
    let standard = l
        .library_dirs
        .clone()
        .unwrap_or_else(|| libs::standard_dirs(info.class, info.machine));
    let conf = libs::ld_so_conf_dirs(files, &l.ld_so_conf);
    let dirs = libs::search_dirs(
        info,
        binary.parent().unwrap_or(Path::new("/")),
        &conf,
        &standard,
    );
    let want = (info.class, info.machine);
    let missing: Vec<String> = info
        .needed
        .iter()
        .filter(|n| libs::find(files, n, &dirs, want).is_none())
        .cloned()
        .collect();
    let mut other: Vec<String> = missing
        .iter()
        .filter(|m| !l.old_openssl_libs.contains(m))
        .cloned()
        .collect();
    if let Some(interp) = info
        .interp
        .as_deref()
        .filter(|i| !files.exists(Path::new(i)))
    {
        other.insert(0, interp.to_string());
    }
    let old: Vec<String> = missing
        .iter()
        .filter(|m| l.old_openssl_libs.contains(m))
        .cloned()
        .collect();
    if !missing.is_empty() || !other.is_empty() {
        evidence.push((
            "missing_libraries",
            other
                .iter()
                .chain(old.iter())
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
                .into(),
        ));
        evidence.push((
            "library_dirs",
            dirs.iter()
                .map(|d| shown(d))
                .collect::<Vec<_>>()
                .join(":")
                .into(),
        ));
    }
    if !old.is_empty() {
        problems.push(Problem::OldOpenssl(old));
    }
    if !other.is_empty() {
        problems.push(Problem::Libs(other));
    }
    inspect_glibc(files, info, &dirs, problems, evidence);
}

/// The loader refuses to start a binary that needs a symbol version (`GLIBC_2.29`) its
/// libraries do not define. The system's glibc release is read from the version
/// definitions of the glibc libraries the binary uses, found where the loader finds them.
fn inspect_glibc(
    files: &dyn Files,
    info: &ElfInfo,
    dirs: &[PathBuf],
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<(&'static str, Value)>,
) {
    let names = glibc::glibc_libraries(&info.version_needs);
    if names.is_empty() {
        return;
    }
    evidence.push((
        "glibc_needed",
        glibc::describe_needs(&info.version_needs).into(),
    ));
    let mut system: Option<(String, PathBuf)> = None;
    for name in names {
        // A library that is missing or unreadable is reported (or not known) elsewhere.
        let Some(path) = libs::find(files, name, dirs, (info.class, info.machine)) else {
            continue;
        };
        let Some(lib) = files
            .read(&path, MAX_BINARY)
            .ok()
            .and_then(|b| elf::parse(&b).ok())
        else {
            continue;
        };
        if let Some(top) = glibc::highest(&lib.version_defs)
            && system
                .as_ref()
                .is_none_or(|(best, _)| glibc::version(top) > glibc::version(best))
        {
            system = Some((top.to_string(), path));
        }
    }
    let Some((available, path)) = system else {
        evidence.push(("glibc_system", Msg::new("value.glibc.unknown").into()));
        return;
    };
    evidence.push((
        "glibc_system",
        Msg::new("value.with_note")
            .arg("text", available.as_str())
            .arg("note", shown(&path))
            .into(),
    ));
    if let Some(required) = glibc::newer_than(&info.version_needs, &available)
        .into_iter()
        .next()
    {
        problems.push(Problem::Glibc {
            required,
            available,
        });
    }
}

fn inspect_certs(
    files: &dyn Files,
    l: &LinuxLayout,
    problems: &mut Vec<Problem>,
    evidence: &mut Vec<(&'static str, Value)>,
) {
    let mut missing = Vec::new();
    let mut states = Vec::new();
    for name in &l.cert_files {
        let state = match files.metadata(&l.cert_dir.join(name)) {
            Ok(m) if m.is_file() && m.len > 0 => Msg::new("value.file.ok"),
            Ok(m) if m.is_file() => {
                missing.push(name.clone());
                Msg::new("value.file.empty")
            }
            Ok(_) => {
                missing.push(name.clone());
                Msg::new("value.file.not_a_file")
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                missing.push(name.clone());
                Msg::new("value.missing")
            }
            // Without the right to look, nothing is known: not a finding.
            Err(e) => Msg::new("value.file.unknown").arg("error", e.to_string()),
        };
        states.push(
            Msg::new("value.labelled")
                .arg("name", name.as_str())
                .arg("value", state),
        );
    }
    evidence.push(("cert_dir", shown(&l.cert_dir).into()));
    evidence.push((
        "cert_files",
        Value::join(states, Msg::new("value.sep.list")),
    ));
    if !missing.is_empty() {
        problems.push(Problem::Certs(missing));
    }
}

/// Which unit or init script starts the daemon, and with what (evidence only: the
/// component can also be started by hand).
fn with_services(o: Outcome, files: &dyn Files, candidates: &[PathBuf]) -> Outcome {
    let found: Vec<String> = candidates
        .iter()
        .filter(|p| is_file(files, p))
        .map(|p| {
            let exec = files.read(p, 64 * 1024).ok().and_then(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .map(str::trim)
                    .find(|l| l.starts_with("ExecStart="))
                    .map(str::to_string)
            });
            match exec {
                Some(e) => format!("{} ({e})", shown(p)),
                None => shown(p),
            }
        })
        .collect();
    o.with(
        "service",
        if found.is_empty() {
            Msg::new("value.none").into()
        } else {
            Value::from(found.join("; "))
        },
    )
}

pub fn macos(files: &dyn Files, m: &MacLayout) -> Outcome {
    let plists: Vec<String> = files
        .read_dir(&m.launch_daemons_dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with(&m.plist_prefix) && n.ends_with(".plist"))
        .collect();
    let read: Vec<(&String, Result<plist::Daemon, Value>)> = plists
        .iter()
        .map(|name| (name, read_plist(files, &m.launch_daemons_dir.join(name))))
        .collect();
    let daemons: Vec<Value> = read
        .iter()
        .map(|(name, d)| describe_plist(name, d))
        .collect();
    let labels: Vec<&str> = read
        .iter()
        .filter_map(|(_, d)| d.as_ref().ok()?.label.as_deref())
        .collect();
    let add = |o: Outcome| {
        let o = o.with(
            "launch_daemons",
            if daemons.is_empty() {
                Msg::new("value.none").into()
            } else {
                Value::join(daemons.clone(), "; ")
            },
        );
        // The Label, not the file name, is what launchctl knows the daemon by.
        if labels.is_empty() {
            o
        } else {
            o.with(
                "launchctl",
                labels
                    .iter()
                    .map(|l| format!("sudo launchctl print system/{l}"))
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        }
    };
    let Some(binary) = find_binary(files, &m.install_dir, &m.binary_names) else {
        return add(not_installed(files, &m.install_dir, &m.binary_names));
    };
    let o = if plists.len() > 1 {
        Outcome::warn(
            "component.duplicate_daemons",
            Msg::new("component.duplicate_daemons")
                .arg("count", plists.len().to_string())
                .arg("plists", plists.join(", ")),
        )
    } else {
        Outcome::pass(Msg::new("component.installed").arg("binary", shown(&binary)))
    };
    add(o.with("binary", shown(&binary)))
}

fn read_plist(files: &dyn Files, path: &Path) -> Result<plist::Daemon, Value> {
    let bytes = files
        .read(path, 1024 * 1024)
        .map_err(|e| Value::from(e.to_string()))?;
    plist::read_daemon(&bytes).map_err(|e| match e {
        plist::PlistError::Binary => Msg::new("value.plist.binary").into(),
        plist::PlistError::NotPlist => Msg::new("value.plist.not_plist").into(),
    })
}

/// `tw.gov.nhi.nhiicc.plist (Label tw.gov.nhi.nhiicc.plist → /usr/local/share/NHIICC/nhiicc)`.
fn describe_plist(name: &str, d: &Result<plist::Daemon, Value>) -> Value {
    match d {
        Ok(d) => {
            let label = d.label.as_deref().unwrap_or("?");
            match &d.program {
                Some(p) => format!("{name} (Label {label} → {p})").into(),
                None => format!("{name} (Label {label})").into(),
            }
        }
        Err(why) => Msg::new("value.with_note")
            .arg("text", name)
            .arg("note", why.clone())
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Status;
    use crate::system::files::RealFiles;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ecpa-installed-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    fn plist(label: &str, program: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n\t<key>Label</key>\n\t<string>{label}</string>\n\t<key>ProgramArguments</key>\n\t<array>\n\t\t<string>{program}</string>\n\t</array>\n\t<key>KeepAlive</key>\n\t<true/>\n</dict>\n</plist>\n"
        )
    }

    fn mac_fixture(tag: &str, plists: &[(&str, String)], with_binary: bool) -> MacLayout {
        let root = temp(tag);
        let ld = root.join("LaunchDaemons");
        let install = root.join("NHIICC");
        std::fs::create_dir_all(&ld).unwrap();
        std::fs::create_dir_all(&install).unwrap();
        std::fs::write(
            ld.join("com.example.other.plist"),
            plist("com.example.other", "/bin/other"),
        )
        .unwrap();
        for (name, text) in plists {
            std::fs::write(ld.join(name), text).unwrap();
        }
        if with_binary {
            std::fs::write(install.join("nhiicc"), b"\xcf\xfa\xed\xfe").unwrap();
        }
        MacLayout {
            launch_daemons_dir: ld,
            plist_prefix: "tw.gov.nhi.nhiicc".into(),
            install_dir: install,
            binary_names: vec!["nhiicc".into()],
        }
    }

    /// The evidence as an English report shows it.
    fn text(o: &Outcome, key: &str) -> String {
        o.evidence(key)
            .unwrap_or_else(|| panic!("no evidence {key} in {o:?}"))
            .render(false)
    }

    #[test]
    fn macos_one_plist_passes_and_reads_the_label_from_inside() {
        let m = mac_fixture(
            "mac-one",
            &[(
                "tw.gov.nhi.nhiicc2023.plist",
                plist("tw.gov.nhi.nhiicc.plist", "/usr/local/share/NHIICC/nhiicc"),
            )],
            true,
        );
        let o = macos(&RealFiles, &m);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert_eq!(
            text(&o, "launch_daemons"),
            "tw.gov.nhi.nhiicc2023.plist (Label tw.gov.nhi.nhiicc.plist → /usr/local/share/NHIICC/nhiicc)"
        );
        assert_eq!(
            text(&o, "launchctl"),
            "sudo launchctl print system/tw.gov.nhi.nhiicc.plist"
        );
    }

    #[test]
    fn macos_two_plists_are_two_daemons_fighting() {
        let m = mac_fixture(
            "mac-two",
            &[
                (
                    "tw.gov.nhi.nhiicc2019.plist",
                    plist(
                        "tw.gov.nhi.nhiicc2019.plist",
                        "/usr/local/share/nhiicc/nhiicc",
                    ),
                ),
                (
                    "tw.gov.nhi.nhiicc2023.plist",
                    plist(
                        "tw.gov.nhi.nhiicc2023.plist",
                        "/usr/local/share/NHIICC/nhiicc",
                    ),
                ),
            ],
            true,
        );
        let o = macos(&RealFiles, &m);
        assert_eq!(
            o.finding.as_deref(),
            Some("component.duplicate_daemons"),
            "{o:?}"
        );
        assert_eq!(o.status, Status::Warn);
        assert!(
            text(&o, "launch_daemons")
                .contains("nhiicc2019.plist (Label tw.gov.nhi.nhiicc2019.plist"),
            "{o:?}"
        );
    }

    #[test]
    fn macos_without_daemon_or_binary_is_not_installed() {
        let m = mac_fixture("mac-none", &[], false);
        let o = macos(&RealFiles, &m);
        assert_eq!(
            o.finding.as_deref(),
            Some("component.not_installed"),
            "{o:?}"
        );
        assert_eq!(o.summary.key, "component.binary_missing");
        assert_eq!(text(&o, "launch_daemons"), "none");
    }

    #[test]
    fn macos_binary_plist_is_said_not_guessed() {
        let m = mac_fixture(
            "mac-bin",
            &[("tw.gov.nhi.nhiicc.plist", "bplist00garbage".into())],
            true,
        );
        let o = macos(&RealFiles, &m);
        assert_eq!(o.status, Status::Pass);
        assert_eq!(
            text(&o, "launch_daemons"),
            "tw.gov.nhi.nhiicc.plist (binary plist, not read)"
        );
    }

    #[test]
    fn windows_addon_or_process_is_reported_and_absence_is_honest() {
        use crate::system::ProcInfo;
        use crate::system::windows::ComClass;
        let pats = vec!["*NHIICC*".to_string()];
        let addon = Some(vec![ComClass {
            clsid: "{2C4A}".into(),
            server: Some(r"C:\Windows\SysWOW64\twNHIICC.dll".into()),
            view: "32-bit",
        }]);
        // The legacy IE add-on alone is evidence, not the current component.
        let o = windows(addon, Some(vec![]), "twNHIICC Class", &pats);
        assert_eq!(o.finding.as_deref(), Some("component.layout_unknown"));
        assert!(
            text(&o, "ie_addon").contains(r"twNHIICC.dll (32-bit)"),
            "{o:?}"
        );
        let procs = Some(vec![
            ProcInfo {
                pid: 8,
                name: "NHIICCSvc.exe".into(),
                exe: None,
            },
            ProcInfo {
                pid: 9,
                name: "explorer.exe".into(),
                exe: None,
            },
        ]);
        let o = windows(Some(vec![]), procs, "twNHIICC Class", &pats);
        assert_eq!(o.status, crate::engine::Status::Pass);
        assert!(
            text(&o, "processes").contains("NHIICCSvc.exe")
                && !text(&o, "processes").contains("explorer"),
            "{o:?}"
        );
        let o = windows(Some(vec![]), Some(vec![]), "twNHIICC Class", &pats);
        assert_eq!(o.finding.as_deref(), Some("component.layout_unknown"));
        assert_eq!(text(&o, "ie_addon"), "\"twNHIICC Class\" not registered");
        assert_eq!(
            o.evidence("ie_addon")
                .unwrap()
                .render_in(crate::i18n::Lang::ZhTw, false),
            "「twNHIICC Class」沒有註冊"
        );
    }

    #[test]
    fn windows_is_said_to_be_unknown() {
        let o = unknown_layout("windows");
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Warn, Some("component.layout_unknown"))
        );
        assert_eq!(
            (
                text(&o, "os"),
                o.evidence("os")
                    .unwrap()
                    .render_in(crate::i18n::Lang::ZhTw, false)
            ),
            ("windows".to_string(), "Windows".to_string())
        );
    }

    /// An install whose daemon needs `needs` from libc.so.6, on a system whose only
    /// library folder holds a libc defining GLIBC versions up to 2.`system_minor`.
    #[cfg(unix)]
    fn glibc_fixture(tag: &str, needs: &[&str], system_minor: u32) -> LinuxLayout {
        use crate::sim::elf as sim;
        let root = temp(tag);
        let (install, lib) = (root.join("NHIICC"), root.join("lib"));
        std::fs::create_dir_all(install.join("cert")).unwrap();
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::write(install.join("cert/NHIServerCert.crt"), "x").unwrap();
        let (class, machine) = sim::host_target();
        let version_needs = vec![elf::VersionNeed {
            file: "libc.so.6".into(),
            versions: needs.iter().map(|v| v.to_string()).collect(),
        }];
        let spec = sim::Spec {
            class,
            machine,
            interp: None,
            needed: vec!["libc.so.6".into()],
            runpath: None,
            version_needs,
        };
        std::fs::write(install.join("mLNHIICC"), sim::executable(&spec)).unwrap();
        std::fs::set_permissions(
            install.join("mLNHIICC"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(
            lib.join("libc.so.6"),
            sim::library_defining(
                class,
                machine,
                "libc.so.6",
                &sim::glibc_versions(2, system_minor),
            ),
        )
        .unwrap();
        LinuxLayout {
            install_dir: install.clone(),
            binary_names: vec!["mLNHIICC".into()],
            cert_dir: install.join("cert"),
            cert_files: vec!["NHIServerCert.crt".into()],
            service_files: vec![],
            library_dirs: Some(vec![lib]),
            ld_so_conf: root.join("ld.so.conf"),
            old_openssl_libs: default_old_openssl(),
        }
    }

    #[test]
    #[cfg(unix)]
    fn linux_daemon_needing_a_newer_glibc_than_the_system_defines_is_a_finding() {
        let l = glibc_fixture("glibc-old", &["GLIBC_2.2.5", "GLIBC_2.29", "GLIBC_2.3"], 27);
        let o = linux(&RealFiles, &l);
        assert_eq!(
            (o.status, o.finding.as_deref()),
            (Status::Fail, Some("component.glibc_too_old")),
            "{o:?}"
        );
        let arg = |k: &str| {
            o.summary
                .args
                .iter()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.render(false))
        };
        assert_eq!(
            (arg("required").as_deref(), arg("available").as_deref()),
            (Some("2.29"), Some("2.27")),
            "{o:?}"
        );
        assert_eq!(
            text(&o, "glibc_needed"),
            "libc.so.6: GLIBC_2.2.5, GLIBC_2.29, GLIBC_2.3"
        );
        assert_eq!(
            text(&o, "glibc_system"),
            format!(
                "GLIBC_2.27 ({})",
                l.library_dirs.as_ref().unwrap()[0]
                    .join("libc.so.6")
                    .display()
            )
        );
    }

    #[test]
    #[cfg(unix)]
    fn linux_daemon_needing_what_the_system_glibc_defines_passes() {
        // 2.29 against 2.3: compared as numbers, not as text.
        let o = linux(
            &RealFiles,
            &glibc_fixture("glibc-ok", &["GLIBC_2.2.5", "GLIBC_2.29"], 36),
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(
            text(&o, "glibc_system").starts_with("GLIBC_2.36 ("),
            "{o:?}"
        );
    }

    #[test]
    #[cfg(unix)]
    fn a_libc_without_version_definitions_makes_no_claim() {
        let l = glibc_fixture("glibc-unknown", &["GLIBC_2.99"], 36);
        let (class, machine) = crate::sim::elf::host_target();
        std::fs::write(
            l.library_dirs.as_ref().unwrap()[0].join("libc.so.6"),
            crate::sim::elf::library(class, machine),
        )
        .unwrap();
        let o = linux(&RealFiles, &l);
        assert_eq!(o.status, Status::Pass, "{o:?}");
        assert!(text(&o, "glibc_system").starts_with("unknown"), "{o:?}");
    }

    #[test]
    fn linux_garbage_daemon_is_a_finding() {
        let root = temp("linux-garbage");
        std::fs::create_dir_all(root.join("cert")).unwrap();
        std::fs::write(root.join("mLNHIICC"), b"MZ\x90\x00 this is not an ELF").unwrap();
        let l = LinuxLayout {
            install_dir: root.clone(),
            binary_names: vec!["mLNHIICC".into()],
            cert_dir: root.join("cert"),
            cert_files: vec!["NHIServerCert.crt".into()],
            service_files: vec![],
            library_dirs: None,
            ld_so_conf: PathBuf::from("/etc/ld.so.conf"),
            old_openssl_libs: default_old_openssl(),
        };
        let o = linux(&RealFiles, &l);
        assert_eq!(o.finding.as_deref(), Some("component.binary_bad"), "{o:?}");
        assert_eq!(o.summary.key, "component.binary_not_elf");
        assert_eq!(text(&o, "cert_files"), "NHIServerCert.crt: missing");
    }
}
