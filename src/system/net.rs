//! Network state of this machine: who listens on which TCP port, and what the system
//! resolver answers for a name.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A process holding a listening socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub pid: u32,
    pub name: String,
    pub exe: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listener {
    pub local: SocketAddr,
    /// Empty when the owner cannot be seen (another user's process, without root).
    pub owners: Vec<Owner>,
}

pub trait Sockets: Send + Sync {
    /// TCP sockets in LISTEN state on `port`. `None` where the socket table cannot be read
    /// (no tool, no permission): unknown, not "nothing listens".
    fn tcp_listeners(&self, port: u16) -> Option<Vec<Listener>>;
}

/// Linux: `/proc/net/tcp{,6}` for the sockets, `/proc/<pid>/fd` links for their owners.
pub struct ProcNet {
    pub proc_root: PathBuf,
}

impl Sockets for ProcNet {
    fn tcp_listeners(&self, port: u16) -> Option<Vec<Listener>> {
        let mut found: Vec<(SocketAddr, u64)> = Vec::new();
        let mut readable = false;
        for table in ["net/tcp", "net/tcp6"] {
            if let Ok(text) = std::fs::read_to_string(self.proc_root.join(table)) {
                readable = true;
                found.extend(
                    parse_proc_net_tcp(&text)
                        .into_iter()
                        .filter(|(a, _)| a.port() == port),
                );
            }
        }
        if !readable {
            return None;
        }
        if found.is_empty() {
            return Some(Vec::new());
        }
        let owners = socket_owners(
            &self.proc_root,
            &found.iter().map(|(_, i)| *i).collect::<Vec<_>>(),
        );
        Some(
            found
                .into_iter()
                .map(|(local, inode)| Listener {
                    local,
                    owners: owners
                        .iter()
                        .filter(|(i, _)| *i == inode)
                        .map(|(_, o)| o.clone())
                        .collect(),
                })
                .collect(),
        )
    }
}

/// Windows and macOS: the OS's own socket listing (`netstat -ano -p TCP`,
/// `lsof -nP -iTCP -sTCP:LISTEN -F pcn`), owners named through the process table.
/// Windows: the TCP table with owner PIDs from `GetExtendedTcpTable`, their names and exe
/// paths from the process table.
pub struct ApiSockets {
    pub procs: std::sync::Arc<dyn crate::system::Processes>,
}

impl Sockets for ApiSockets {
    fn tcp_listeners(&self, port: u16) -> Option<Vec<Listener>> {
        let rows = super::winapi::tcp_listeners()?;
        Some(listeners_from(
            rows.into_iter().map(|(a, pid)| (a, pid, None)).collect(),
            port,
            &self.procs.list().unwrap_or_default(),
        ))
    }
}

pub struct ToolSockets {
    pub tool: SocketTool,
    pub procs: std::sync::Arc<dyn crate::system::Processes>,
}

/// The tool read where no API serves (macOS: `lsof`; Windows uses [`ApiSockets`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketTool {
    Lsof,
}

impl Sockets for ToolSockets {
    fn tcp_listeners(&self, port: u16) -> Option<Vec<Listener>> {
        let (program, args): (&str, &[&str]) = match self.tool {
            SocketTool::Lsof => ("lsof", &["-nP", "-iTCP", "-sTCP:LISTEN", "-F", "pcn"]),
        };
        let out = std::process::Command::new(program)
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .ok()?;
        // lsof exits 1 when nothing matches: anything printed is the answer.
        let text = String::from_utf8_lossy(&out.stdout);
        let rows: Vec<_> = match self.tool {
            SocketTool::Lsof => parse_lsof(&text)
                .into_iter()
                .map(|(a, pid, name)| (a, pid, Some(name)))
                .collect(),
        };
        Some(listeners_from(
            rows,
            port,
            &self.procs.list().unwrap_or_default(),
        ))
    }
}

/// Socket rows (address, PID, name the tool gave) on `port`, owners named from the
/// process table where it knows the PID.
pub fn listeners_from(
    rows: Vec<(SocketAddr, u32, Option<String>)>,
    port: u16,
    table: &[crate::system::ProcInfo],
) -> Vec<Listener> {
    rows.into_iter()
        .filter(|(a, _, _)| a.port() == port)
        .map(|(local, pid, name)| {
            let known = table.iter().find(|p| p.pid == pid);
            let name = known
                .map(|p| p.name.clone())
                .or(name)
                .unwrap_or_else(|| format!("pid {pid}"));
            Listener {
                local,
                owners: vec![Owner {
                    pid,
                    name,
                    exe: known.and_then(|p| p.exe.clone()),
                }],
            }
        })
        .collect()
}

/// `lsof -F pcn` output: `p<pid>`, `c<command>`, then `n<address>` lines per socket.
pub fn parse_lsof(text: &str) -> Vec<(SocketAddr, u32, String)> {
    let (mut pid, mut cmd) = (None, String::new());
    let mut out = Vec::new();
    for line in text.lines() {
        let (tag, rest) = line.split_at(line.chars().next().map_or(0, |c| c.len_utf8()));
        match tag {
            "p" => pid = rest.parse().ok(),
            "c" => cmd = rest.to_string(),
            "n" => {
                // "127.0.0.1:7777" or "*:7777" or "[::1]:7777"; "->" marks a connection.
                if let (Some(p), false) = (pid, rest.contains("->"))
                    && let Some(a) = parse_endpoint(rest)
                {
                    out.push((a, p, cmd.clone()));
                }
            }
            _ => {}
        }
    }
    out
}

/// `127.0.0.1:7777`, `0.0.0.0:7777`, `[::1]:7777`, `[::]:7777`, `*:7777`.
fn parse_endpoint(s: &str) -> Option<SocketAddr> {
    let s = s.trim();
    if let Some(port) = s.strip_prefix("*:") {
        return Some(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port.parse().ok()?,
        ));
    }
    s.parse().ok()
}

const TCP_LISTEN: &str = "0A";

/// LISTEN rows of a `/proc/net/tcp` or `tcp6` table as (local address, socket inode).
/// Rows that do not parse are skipped: the table is the kernel's, but a simulated or
/// damaged copy must not stop the check.
pub fn parse_proc_net_tcp(text: &str) -> Vec<(SocketAddr, u64)> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != TCP_LISTEN {
                return None;
            }
            let local = parse_hex_endpoint(f[1])?;
            let inode = f[9].parse().ok()?;
            Some((local, inode))
        })
        .collect()
}

/// `0100007F:1E61` → 127.0.0.1:7777. The address is printed as 32-bit words in the
/// kernel's (little-endian, on every platform we run) byte order.
fn parse_hex_endpoint(s: &str) -> Option<SocketAddr> {
    let (addr, port) = s.split_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let words: Option<Vec<u32>> = (0..addr.len() / 8)
        .map(|i| {
            addr.get(i * 8..i * 8 + 8)
                .and_then(|w| u32::from_str_radix(w, 16).ok())
        })
        .collect();
    let words = words?;
    let ip = match (addr.len(), words.as_slice()) {
        (8, [w]) => IpAddr::V4(Ipv4Addr::from(w.to_le_bytes())),
        (32, [a, b, c, d]) => {
            let mut bytes = [0u8; 16];
            for (i, w) in [a, b, c, d].iter().enumerate() {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
            }
            IpAddr::V6(Ipv6Addr::from(bytes))
        }
        _ => return None,
    };
    Some(SocketAddr::new(ip, port))
}

/// Which processes hold these socket inodes. Processes we may not look into are skipped.
fn socket_owners(proc_root: &Path, inodes: &[u64]) -> Vec<(u64, Owner)> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(fds) = std::fs::read_dir(e.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(target) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let Some(inode) = socket_inode(&target.to_string_lossy()) else {
                continue;
            };
            if inodes.contains(&inode)
                && !out
                    .iter()
                    .any(|(i, o): &(u64, Owner)| *i == inode && o.pid == pid)
            {
                let name = std::fs::read_to_string(e.path().join("comm"))
                    .map(|s| s.trim_end().to_string())
                    .unwrap_or_default();
                let exe = std::fs::read_link(e.path().join("exe")).ok();
                out.push((inode, Owner { pid, name, exe }));
            }
        }
    }
    out.sort_by_key(|(_, o)| o.pid);
    out
}

fn socket_inode(link: &str) -> Option<u64> {
    link.strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Found(Vec<IpAddr>),
    /// The resolver answered that it has no address (its message).
    NotFound(String),
    TimedOut,
}

pub trait Resolver: Send + Sync {
    /// What the system resolver (hosts file, DNS, …) answers for `host`, waiting at most
    /// `timeout`.
    fn lookup(&self, host: &str, timeout: Duration) -> Lookup;
}

pub struct SystemResolver;

impl Resolver for SystemResolver {
    fn lookup(&self, host: &str, timeout: Duration) -> Lookup {
        // getaddrinfo cannot be cancelled: it runs on its own thread, and a lookup that
        // outlives the wait finishes (or hangs) there without holding the check.
        let (tx, rx) = std::sync::mpsc::channel();
        let name = host.to_string();
        let spawned = std::thread::Builder::new()
            .name("resolve".into())
            .spawn(move || {
                let _ = tx.send(
                    (name.as_str(), 0u16)
                        .to_socket_addrs()
                        .map(|a| a.map(|s| s.ip()).collect::<Vec<_>>()),
                );
            });
        if let Err(e) = spawned {
            return Lookup::NotFound(format!("could not start the lookup: {e}"));
        }
        match rx.recv_timeout(timeout) {
            Ok(Ok(addrs)) if addrs.is_empty() => Lookup::NotFound("no address".into()),
            Ok(Ok(addrs)) => {
                let mut unique: Vec<IpAddr> = Vec::new();
                for a in addrs {
                    if !unique.contains(&a) {
                        unique.push(a);
                    }
                }
                Lookup::Found(unique)
            }
            Ok(Err(e)) => Lookup::NotFound(e.to_string()),
            Err(_) => Lookup::TimedOut,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1E61 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1E61 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 0 1
   3: garbage
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:1E61 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 77 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 78 1 0000000000000000 100 0 0 10 0
";

    #[test]
    fn listen_rows_of_both_tables_parse() {
        let v4 = parse_proc_net_tcp(TCP);
        assert_eq!(
            v4,
            vec![
                ("127.0.0.1:7777".parse().unwrap(), 4242),
                ("0.0.0.0:22".parse().unwrap(), 99)
            ]
        );
        let v6 = parse_proc_net_tcp(TCP6);
        assert_eq!(
            v6,
            vec![
                ("[::1]:7777".parse().unwrap(), 77),
                ("[::ffff:127.0.0.1]:8080".parse().unwrap(), 78)
            ]
        );
    }

    #[test]
    fn a_listener_of_this_process_is_found_with_its_owner() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let found = ProcNet {
            proc_root: PathBuf::from("/proc"),
        }
        .tcp_listeners(port)
        .expect("linux table");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].owners.iter().map(|o| o.pid).collect::<Vec<_>>(),
            vec![std::process::id()]
        );
    }

    #[test]
    fn an_ip_literal_resolves_and_a_reserved_name_does_not() {
        assert_eq!(
            SystemResolver.lookup("127.0.0.1", Duration::from_secs(2)),
            Lookup::Found(vec!["127.0.0.1".parse().unwrap()])
        );
        assert!(matches!(
            SystemResolver.lookup("no-such-host.invalid", Duration::from_secs(5)),
            Lookup::NotFound(_) | Lookup::TimedOut
        ));
    }
}

#[cfg(test)]
mod tool_tests {
    use super::*;

    const LSOF: &str =
        "p312\ncnhiicc\nf5\nn127.0.0.1:7777\np98\ncrapportd\nf8\nn*:49152\nf9\nn[::1]:631\n";

    #[test]
    fn an_api_row_owner_is_named_from_the_process_table() {
        let rows = vec![
            ("0.0.0.0:135".parse().unwrap(), 1024, None),
            ("127.0.0.1:7777".parse().unwrap(), 4242, None),
        ];
        let table = vec![crate::system::ProcInfo {
            pid: 4242,
            name: "NHIICCSvc.exe".into(),
            exe: None,
        }];
        let l = listeners_from(rows, 7777, &table);
        assert_eq!(l.len(), 1);
        assert_eq!(l[0].owners[0].name, "NHIICCSvc.exe");
        assert!(l[0].local.ip().is_loopback());
    }

    #[test]
    fn lsof_fields_on_macos() {
        let rows = parse_lsof(LSOF);
        assert_eq!(
            rows[0],
            ("127.0.0.1:7777".parse().unwrap(), 312, "nhiicc".to_string())
        );
        assert_eq!(rows[1].0, "0.0.0.0:49152".parse().unwrap());
        assert_eq!(rows[2].0, "[::1]:631".parse().unwrap());
        assert!(parse_lsof("garbage\n\u{0}\n").is_empty());
    }
}
