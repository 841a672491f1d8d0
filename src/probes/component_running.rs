//! Kind `component_running`: does the NHI component run, and is it the program listening
//! on its port (7777)? Another program on that port is an impostor: the browser would hand
//! it the card data and the registration password. When the component is down, the lock
//! file and the last lines of its error log say why (it aborts at start without its
//! certificate files, and its foreground process exits 0 either way).

use crate::engine::kind::{Simulated, StandIns};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, de_duration, params};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::files::tail_lines;
use crate::system::{Files, Listener, Owner, ProcInfo, System};

pub const KIND: Kind = Kind {
    name: "component_running",
    findings: &[
        "component.not_running",
        "component.not_listening",
        "component.impostor",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: what its OS knows of the component — on a Windows world no lock
/// file or logs are looked for and the program's name is not known, whatever OS runs the
/// demo. (Its sockets and processes are the world's through the system layer.)
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    let windows = w.os == "windows";
    let mut v = vec![("names_known", (!windows).into())];
    if windows {
        v.extend([
            ("lock_file", serde_yaml::Value::Null),
            ("log_dir", serde_yaml::Value::Null),
            ("stop_log", serde_yaml::Value::Null),
        ]);
    }
    v
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_names")]
    process_names: Vec<String>,
    #[serde(default = "default_port")]
    port: u16,
    /// The daemon's lock file, which holds its PID (Linux/macOS; none on Windows, whose
    /// component's files are not known).
    #[serde(default = "default_lock_file")]
    lock_file: Option<PathBuf>,
    #[serde(default = "default_log_dir")]
    log_dir: Option<PathBuf>,
    /// Log files are `<prefix>YYYYMMDD.log`.
    #[serde(default = "default_log_prefix")]
    log_prefix: String,
    #[serde(default = "default_log_lines")]
    log_lines: usize,
    /// Where the daemon notes the signals that stopped it (`terminate signal catched`).
    #[serde(default = "default_stop_log")]
    stop_log: Option<PathBuf>,
    /// The component's program names are known (Linux, macOS), so another owner of the
    /// port is an impostor. On Windows they are not: the owner is shown and the bridge
    /// checks judge it by how it answers.
    #[serde(default = "default_names_known")]
    names_known: bool,
    /// Only where the OS's socket table is not read: a TCP connect to 127.0.0.1:port
    /// tells whether anything listens.
    #[serde(default = "default_connect_timeout", deserialize_with = "de_duration")]
    connect_timeout: Duration,
}

fn default_names() -> Vec<String> {
    // Linux and macOS names from the facts; on Windows only "NHIICC somewhere in the
    // name or path" is known.
    ["mLNHIICC", "nhiicc", "macHC", "*NHIICC*"]
        .map(String::from)
        .to_vec()
}
fn default_port() -> u16 {
    7777
}
/// The Linux/macOS component's files; nothing on Windows.
fn unix_only(path: &str) -> Option<PathBuf> {
    (!cfg!(windows)).then(|| PathBuf::from(path))
}
fn default_lock_file() -> Option<PathBuf> {
    unix_only("/tmp/exampled.lock")
}
fn default_log_dir() -> Option<PathBuf> {
    unix_only("/tmp")
}
fn default_names_known() -> bool {
    !cfg!(windows)
}
fn default_log_prefix() -> String {
    "mNHIICC.err.".into()
}
fn default_log_lines() -> usize {
    6
}
fn default_stop_log() -> Option<PathBuf> {
    unix_only("/tmp/exampled.log")
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(1)
}

struct ComponentRunning {
    p: Arc<Params>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(ComponentRunning {
        p: Arc::new(params(v)?),
    }))
}

impl Probe for ComponentRunning {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(blocking(move || inspect(&ctx.system(), &p)))
    }
}

/// Who is on the port, as far as this machine lets us see.
enum PortState {
    Owners(Vec<Listener>),
    /// Something listens but its owner is not visible (another user's process, or no
    /// socket table on this OS).
    Hidden(Vec<Value>),
    Free,
}

fn inspect(sys: &System, p: &Params) -> Outcome {
    let table = sys.procs.list();
    let all: &[ProcInfo] = table.as_deref().unwrap_or(&[]);
    let component: Vec<&ProcInfo> = all
        .iter()
        .filter(|pr| p.process_names.iter().any(|n| pr.is_named(n)))
        .collect();
    let port = p.port.to_string();
    let (state, how) = port_state(sys, p);
    let o = match state {
        PortState::Owners(listeners) => judge_owners(&listeners, p),
        // Something answers but who cannot be seen, and the component's name would not
        // tell anyway (Windows): the owner is unknown — never "port free" — and the bridge
        // checks judge it by its answers.
        PortState::Hidden(addrs) if !p.names_known => {
            Outcome::pass(Msg::new("component.running_owner_unknown").arg("port", port.as_str()))
                .with("listener", Value::join(addrs, Msg::new("value.sep.list")))
        }
        PortState::Hidden(addrs) if component.is_empty() => Outcome::fail(
            "component.impostor",
            Msg::new("component.impostor_hidden").arg("port", port.as_str()),
        )
        .with("listener", Value::join(addrs, Msg::new("value.sep.list"))),
        PortState::Hidden(addrs) => Outcome::pass(
            Msg::new("component.running_unverified")
                .arg("names", names(&component))
                .arg("port", port.as_str()),
        )
        .with("listener", Value::join(addrs, Msg::new("value.sep.list"))),
        PortState::Free => down(sys.files.as_ref(), all, &component, p),
    };
    let o = if component.is_empty() {
        o
    } else {
        o.with(
            "component_process",
            component
                .iter()
                .map(|c| describe(c))
                .collect::<Vec<_>>()
                .join("; "),
        )
    };
    // The daemon's foreground process exits 0 whatever happens next; the lock file it
    // takes holds the PID of the daemon that really runs. (`down` always reports it.)
    let lock = p
        .lock_file
        .as_deref()
        .and_then(|f| lock_state(sys.files.as_ref(), f, all));
    let o = match lock {
        Some(lock) if o.evidence("lock_file").is_none() => o.with("lock_file", lock),
        _ => o,
    };
    let o = o.with("port_view", Msg::new(how));
    if table.is_none() {
        o.with("process_table", Msg::new("value.unavailable"))
    } else {
        o
    }
}

/// Who is on the port, and the catalogue key of how that was seen.
fn port_state(sys: &System, p: &Params) -> (PortState, &'static str) {
    match sys.sockets.tcp_listeners(p.port) {
        Some(ls) if ls.is_empty() => (PortState::Free, "value.port_view.socket_table"),
        Some(ls) if ls.iter().all(|l| l.owners.is_empty()) => (
            PortState::Hidden(ls.iter().map(|l| bind_text(&l.local)).collect()),
            "value.port_view.owner_hidden",
        ),
        Some(ls) => (PortState::Owners(ls), "value.port_view.socket_table"),
        None => {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, p.port));
            match TcpStream::connect_timeout(&addr, p.connect_timeout) {
                Ok(s) => {
                    // Ended as gracefully as any bridge check's connection: the component
                    // dies of a client that hangs up while it still writes.
                    crate::bridge::farewell::close_std(s);
                    (
                        PortState::Hidden(vec![addr.to_string().into()]),
                        "value.port_view.tcp_connect",
                    )
                }
                Err(_) => (PortState::Free, "value.port_view.tcp_connect"),
            }
        }
    }
}

fn judge_owners(listeners: &[Listener], p: &Params) -> Outcome {
    let port = p.port.to_string();
    let is_component = |o: &Owner| {
        let as_proc = ProcInfo {
            pid: o.pid,
            name: o.name.clone(),
            exe: o.exe.clone(),
        };
        p.process_names.iter().any(|n| as_proc.is_named(n))
    };
    let binds = Value::join(
        listeners.iter().map(|l| bind_text(&l.local)),
        Msg::new("value.sep.list"),
    );
    let owners: Vec<&Owner> = listeners.iter().flat_map(|l| l.owners.iter()).collect();
    let owner_text = owners
        .iter()
        .map(|o| describe_owner(o))
        .collect::<Vec<_>>()
        .join("; ");
    let o = match owners.iter().find(|o| is_component(o)) {
        Some(me) => Outcome::pass(
            Msg::new("component.running")
                .arg("name", me.name.as_str())
                .arg("pid", me.pid.to_string())
                .arg("listener", binds.clone()),
        ),
        // Where the component's program names are not known (Windows), the owner is
        // shown and the bridge checks, which need this one, judge it by its answers.
        None if !p.names_known => {
            let other = owners[0];
            Outcome::pass(
                Msg::new("component.running_unnamed")
                    .arg("port", port.as_str())
                    .arg("name", other.name.as_str())
                    .arg("pid", other.pid.to_string()),
            )
        }
        // The component may be running too and have lost the port: `component_process`
        // in the evidence shows it.
        None => {
            let other = owners[0];
            Outcome::fail(
                "component.impostor",
                Msg::new("component.impostor")
                    .arg("port", port.as_str())
                    .arg("name", other.name.as_str())
                    .arg("pid", other.pid.to_string()),
            )
        }
    };
    o.with("listener", binds).with("port_owner", owner_text)
}

/// Nothing listens: was the component never started, or is it up without its port?
fn down(files: &dyn Files, all: &[ProcInfo], component: &[&ProcInfo], p: &Params) -> Outcome {
    let port = p.port.to_string();
    let log = p
        .log_dir
        .as_deref()
        .and_then(|d| newest_log(files, d, &p.log_prefix))
        .map(|path| (tail_lines(files, &path, 16 * 1024, p.log_lines), path));
    let cert_abort =
        matches!(&log, Some((Ok(lines), _)) if lines.iter().any(|l| is_cert_failure(l)));
    let o = if !component.is_empty() {
        Outcome::fail(
            "component.not_listening",
            Msg::new("component.not_listening")
                .arg("names", names(component))
                .arg("port", port.as_str()),
        )
    } else if cert_abort {
        Outcome::fail(
            "component.not_running",
            Msg::new("component.aborted_certs").arg("port", port.as_str()),
        )
    } else {
        Outcome::fail(
            "component.not_running",
            Msg::new("component.not_running").arg("port", port.as_str()),
        )
    };
    let o = match &p.lock_file {
        Some(f) => o.with(
            "lock_file",
            lock_state(files, f, all).unwrap_or_else(|| labelled(f, Msg::new("value.missing"))),
        ),
        None => o,
    };
    let stop = p
        .stop_log
        .as_deref()
        .and_then(|f| Some((f, tail_lines(files, f, 4096, 1).ok()?)));
    let o = match stop {
        Some((f, last)) if !last.is_empty() => {
            o.with("stop_log", format!("{}: {}", f.display(), last.join("")))
        }
        _ => o,
    };
    let Some(log_dir) = &p.log_dir else {
        return o;
    };
    match log {
        Some((Ok(lines), path)) => o
            .with("log_file", path.display().to_string())
            .with("log_tail", lines.join(" | ")),
        Some((Err(e), path)) => o.with("log_file", format!("{} ({e})", path.display())),
        None => o.with(
            "log_file",
            Msg::new("value.log.none").arg(
                "pattern",
                format!("{}/{}*.log", log_dir.display(), p.log_prefix),
            ),
        ),
    }
}

/// `SSL_CTX_use_certificate_file 1 fail` (and the key's twin) is what the daemon logs just
/// before it aborts for want of its certificate files.
fn is_cert_failure(line: &str) -> bool {
    (line.contains("SSL_CTX_use_certificate_file") || line.contains("SSL_CTX_use_PrivateKey_file"))
        && line.contains("fail")
}

/// The log of the latest day: names carry the date as YYYYMMDD, so the last in name order.
fn newest_log(files: &dyn Files, dir: &Path, prefix: &str) -> Option<PathBuf> {
    files
        .read_dir(dir)
        .ok()?
        .into_iter()
        .filter(|n| n.starts_with(prefix) && n.ends_with(".log"))
        .max()
        .map(|n| dir.join(n))
}

/// What the lock file says; `None` when there is none.
fn lock_state(files: &dyn Files, path: &Path, all: &[ProcInfo]) -> Option<Value> {
    Some(match files.read(path, 64) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => format!("{}: {e}", path.display()).into(),
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let digits: String = text
                .trim()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let state = match digits.parse::<u32>() {
                Err(_) => Msg::new("value.lock.no_pid"),
                Ok(pid) => match all.iter().find(|p| p.pid == pid) {
                    Some(p) => Msg::new("value.lock.running")
                        .arg("pid", pid.to_string())
                        .arg("name", p.name.as_str()),
                    None => Msg::new("value.lock.left_over").arg("pid", pid.to_string()),
                },
            };
            labelled(path, state)
        }
    })
}

/// `/tmp/exampled.lock: missing`, the state in the report's language.
fn labelled(path: &Path, state: Msg) -> Value {
    Msg::new("value.labelled")
        .arg("name", path.display().to_string())
        .arg("value", state)
        .into()
}

/// `127.0.0.1:7777 (loopback)` / `0.0.0.0:7777 (all interfaces)`: the 2024 build binds
/// loopback only; the older one every interface, where other machines can reach it.
fn bind_text(a: &SocketAddr) -> Value {
    let scope = if a.ip().is_unspecified() {
        "value.bind.all_interfaces"
    } else if a.ip().is_loopback() {
        "value.bind.loopback"
    } else {
        "value.bind.one_interface"
    };
    Msg::new("value.with_note")
        .arg("text", a.to_string())
        .arg("note", Msg::new(scope))
        .into()
}

fn names(component: &[&ProcInfo]) -> String {
    let mut n: Vec<&str> = component.iter().map(|c| c.name.as_str()).collect();
    n.dedup();
    n.join(", ")
}

fn describe(p: &ProcInfo) -> String {
    match &p.exe {
        Some(e) => format!("{} (PID {}, {})", p.name, p.pid, e.display()),
        None => format!("{} (PID {})", p.name, p.pid),
    }
}

fn describe_owner(o: &Owner) -> String {
    describe(&ProcInfo {
        pid: o.pid,
        name: o.name.clone(),
        exe: o.exe.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Status;
    use crate::system::{Processes, Sockets};

    /// The demo's view of a machine: a fixed process table and socket table.
    struct Table(Vec<ProcInfo>);
    impl Processes for Table {
        fn list(&self) -> Option<Vec<ProcInfo>> {
            Some(self.0.clone())
        }
    }
    struct Ports(Option<Vec<Listener>>);
    impl Sockets for Ports {
        fn tcp_listeners(&self, _port: u16) -> Option<Vec<Listener>> {
            self.0.clone()
        }
    }

    fn system(procs: Vec<ProcInfo>, ports: Option<Vec<Listener>>) -> System {
        System {
            procs: Arc::new(Table(procs)),
            sockets: Arc::new(Ports(ports)),
            ..System::real()
        }
    }

    fn params(port: u16) -> Params {
        super::params(
            &serde_yaml::from_str(&format!(
                "{{ port: {port}, lock_file: /nonexistent/lock, log_dir: /nonexistent }}"
            ))
            .unwrap(),
        )
        .unwrap()
    }

    fn nhiicc() -> ProcInfo {
        ProcInfo {
            pid: 321,
            name: "mLNHIICC".into(),
            exe: None,
        }
    }

    fn hidden() -> Option<Vec<Listener>> {
        Some(vec![Listener {
            local: "127.0.0.1:7777".parse().unwrap(),
            owners: vec![],
        }])
    }

    #[test]
    fn owner_hidden_without_root_passes_only_when_the_component_runs() {
        let o = inspect(&system(vec![nhiicc()], hidden()), &params(7777));
        assert_eq!(
            (o.status, o.summary.key.as_str()),
            (Status::Pass, "component.running_unverified")
        );
        let o = inspect(&system(vec![], hidden()), &params(7777));
        assert_eq!(
            (o.finding.as_deref(), o.summary.key.as_str()),
            (Some("component.impostor"), "component.impostor_hidden")
        );
    }

    #[test]
    fn where_names_are_not_known_the_owner_is_shown_or_unknown_never_an_impostor() {
        let windows = |port: u16| -> Params {
            super::params(
                &serde_yaml::from_str(&format!("{{ port: {port}, names_known: false }}")).unwrap(),
            )
            .unwrap()
        };
        let other = Owner {
            pid: 32,
            name: "NHIService.exe".into(),
            exe: Some(PathBuf::from(r"C:\Program Files\NHI\NHIService.exe")),
        };
        let owned = Some(vec![Listener {
            local: "127.0.0.1:7777".parse().unwrap(),
            owners: vec![other],
        }]);
        let o = inspect(&system(vec![], owned), &windows(7777));
        assert_eq!(
            (o.status, o.summary.key.as_str()),
            (Status::Pass, "component.running_unnamed")
        );
        assert!(
            o.evidence("port_owner")
                .unwrap()
                .render_in(crate::i18n::Lang::En, false)
                .contains(r"C:\Program Files\NHI\NHIService.exe"),
            "{o:?}"
        );
        let o = inspect(&system(vec![], hidden()), &windows(7777));
        assert_eq!(
            (o.status, o.summary.key.as_str()),
            (Status::Pass, "component.running_owner_unknown")
        );
    }

    #[test]
    fn without_a_socket_table_a_connect_tells_whether_something_listens() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let o = inspect(&system(vec![nhiicc()], None), &params(port));
        assert_eq!(o.summary.key, "component.running_unverified", "{o:?}");
        drop(l);
        let o = inspect(&system(vec![nhiicc()], None), &params(port));
        assert_eq!(
            o.finding.as_deref(),
            Some("component.not_listening"),
            "{o:?}"
        );
    }

    #[test]
    fn the_component_holding_the_port_passes_even_when_listed_by_exe_only() {
        let owner = Owner {
            pid: 9,
            name: "x".into(),
            exe: Some(PathBuf::from("/usr/local/share/NHIICC/nhiicc")),
        };
        let o = inspect(
            &system(
                vec![],
                Some(vec![Listener {
                    local: "0.0.0.0:7777".parse().unwrap(),
                    owners: vec![owner],
                }]),
            ),
            &params(7777),
        );
        assert_eq!(o.status, Status::Pass, "{o:?}");
    }

    #[test]
    fn the_certificate_abort_line_is_recognised() {
        assert!(is_cert_failure(
            "20261127:152335,SSL_CTX_use_certificate_file 1 fail : No such file or directory"
        ));
        assert!(!is_cert_failure(
            "20261127:152335,begin SSL_CTX_use_certificate_file: Success"
        ));
    }

    #[test]
    fn bind_scope_is_named() {
        let shown =
            |a: &str| bind_text(&a.parse().unwrap()).render_in(crate::i18n::Lang::En, false);
        assert_eq!(shown("127.0.0.1:7777"), "127.0.0.1:7777 (loopback)");
        assert_eq!(shown("0.0.0.0:7777"), "0.0.0.0:7777 (all interfaces)");
        assert_eq!(shown("[::]:7777"), "[::]:7777 (all interfaces)");
        assert_eq!(
            bind_text(&"127.0.0.1:7777".parse().unwrap()).render_in(crate::i18n::Lang::ZhTw, false),
            "127.0.0.1:7777（僅限本機）"
        );
    }
}
