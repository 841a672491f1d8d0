//! The process table: which programs run, by name and executable path.

use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: u32,
    /// The short name the OS shows (Linux: `comm`, at most 15 bytes).
    pub name: String,
    /// Often unreadable for another user's process.
    pub exe: Option<PathBuf>,
}

impl ProcInfo {
    /// Matches the name or the executable's file name, ignoring case: macOS file systems
    /// are case-insensitive and the component's plists name it in both spellings.
    /// A `*` in `wanted` matches any text, against the name or the whole executable path:
    /// the Windows component's exact names are not public, so `*NHIICC*` is what we know.
    pub fn is_named(&self, wanted: &str) -> bool {
        if wanted.contains('*') {
            let path = self.exe.as_ref().map(|e| e.to_string_lossy().into_owned());
            return glob_ci(wanted, &self.name) || path.is_some_and(|p| glob_ci(wanted, &p));
        }
        let exe_name = self
            .exe
            .as_ref()
            .and_then(|e| e.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        self.name.eq_ignore_ascii_case(wanted)
            || exe_name.is_some_and(|n| n.eq_ignore_ascii_case(wanted))
    }
}

/// Case-insensitive match where `*` stands for any text (no other wildcards).
pub fn glob_ci(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.to_lowercase(), text.to_lowercase());
    let parts: Vec<&str> = p.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return p == t;
    }
    if !t.starts_with(first)
        || !t[first.len()..].ends_with(last)
        || t.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &t[first.len()..t.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

pub trait Processes: Send + Sync {
    /// Every process; `None` when the table cannot be read at all.
    fn list(&self) -> Option<Vec<ProcInfo>>;
}

pub struct SysinfoProcesses;

impl Processes for SysinfoProcesses {
    fn list(&self) -> Option<Vec<ProcInfo>> {
        use sysinfo::{ProcessRefreshKind, ProcessStatus, ProcessesToUpdate, UpdateKind};
        let mut sys = sysinfo::System::new().ok()?;
        // Threads would show up as more processes of the same name.
        let kind = ProcessRefreshKind::nothing()
            .without_tasks()
            .with_exe(UpdateKind::OnlyIfNotSet);
        sys.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        let mut out: Vec<ProcInfo> = sys
            .processes()
            .values()
            // A killed daemon whose parent does not reap it (PID 1 in a container) stays
            // as a zombie of the same name: it is not running.
            .filter(|p| {
                p.thread_kind().is_none()
                    && !matches!(p.status(), ProcessStatus::Zombie | ProcessStatus::Dead)
            })
            .map(|p| ProcInfo {
                pid: p.pid().as_u32(),
                name: p.name().to_string_lossy().into_owned(),
                exe: p.exe().map(PathBuf::from),
            })
            .collect();
        out.sort_by_key(|p| p.pid);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_names_match_name_or_executable_path() {
        let p = ProcInfo {
            pid: 1,
            name: "svc.exe".into(),
            exe: Some(PathBuf::from(r"C:\NHI\NHIICC\svc.exe")),
        };
        assert!(p.is_named("*NHIICC*"));
        assert!(!p.is_named("NHIICC"));
        assert!(glob_ci("*nhiicc*", "mLNHIICC"));
        assert!(glob_ci("m*C", "mLNHIICC"));
        assert!(!glob_ci("*x*", "mLNHIICC"));
        assert!(glob_ci("a*a", "aa") && !glob_ci("a*a", "a"));
    }

    #[test]
    fn the_real_table_contains_this_test() {
        let me = std::process::id();
        let list = SysinfoProcesses.list().expect("process table");
        assert!(
            list.iter().any(|p| p.pid == me),
            "pid {me} not in the table"
        );
    }

    #[test]
    fn a_zombie_is_not_listed() {
        // The child exits at once and is not waited for until the check is done.
        let mut child = std::process::Command::new("/bin/true").spawn().unwrap();
        let pid = child.id();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|s| s.contains(") Z "))
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the child never became a zombie"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let listed = SysinfoProcesses
            .list()
            .unwrap()
            .iter()
            .any(|p| p.pid == pid);
        child.wait().unwrap();
        assert!(!listed, "zombie {pid} listed");
    }

    #[test]
    fn names_match_by_name_or_executable_ignoring_case() {
        let p = ProcInfo {
            pid: 1,
            name: "x".into(),
            exe: Some(PathBuf::from("/usr/local/share/NHIICC/nhiicc")),
        };
        assert!(p.is_named("NHIICC") && !p.is_named("mLNHIICC"));
    }
}
