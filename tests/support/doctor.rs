//! Running the real `ecpa-doctor` binary from integration tests, and rig helpers.

#![allow(dead_code)]

use super::hermetic;

use std::ffi::CString;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ecpa-doctor");

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The binary with a neutral locale and none of this machine's verifier, proxy or PC/SC
/// settings ([`hermetic::clean`]); `env` adds or overrides variables.
pub fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(BIN);
    hermetic::clean(&mut cmd).args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs the binary as [`command`] sets it up, to the end.
pub fn doctor(args: &[&str], env: &[(&str, &str)]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = command(args, env).output().expect("run ecpa-doctor");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// The JSON check object with this id.
pub fn check<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    report["checks"]
        .as_array()
        .and_then(|a| a.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// Fails (never skips) when the PC/SC rig is down, with what to do.
pub fn require_rig() {
    match pcsc::Context::establish(pcsc::Scope::User).and_then(|c| c.list_readers_owned()) {
        Ok(r)
            if r.iter()
                .any(|n| n.to_string_lossy().starts_with("Virtual PCD")) => {}
        Ok(r) => panic!(
            "pcscd runs but has no vpcd readers ({r:?}); run `scripts/rig install && scripts/rig restart`"
        ),
        Err(e) => {
            panic!("the PC/SC rig is not up ({e}); run `scripts/rig install && scripts/rig start`")
        }
    }
}

/// Waits until pcscd reports the reader with or without a card, so a test starts from a
/// known state (pcscd polls every ~400 ms).
pub fn wait_reader(reader: &str, present: bool, timeout: Duration) -> bool {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).expect("pcscd");
    let deadline = Instant::now() + timeout;
    let name = CString::new(reader).unwrap();
    loop {
        let mut st = [pcsc::ReaderState::new(name.clone(), pcsc::State::UNAWARE)];
        if ctx.get_status_change(Duration::ZERO, &mut st).is_ok()
            && st[0].event_state().contains(pcsc::State::PRESENT) == present
        {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Writes a profile file for a test and returns its path.
pub fn write_profile(dir: &Path, name: &str, text: &str) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

/// An empty directory for `tag` in this test process. Emptied first: a crashed earlier
/// run whose process had the same PID may have left files that a test would count.
pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ecpa-test-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Exclusive use of the PC/SC rig (both vpcd slots) across threads *and* processes: the
/// doctor looks at every reader, so any test that inserts a card or expects none must
/// hold this. Also checks the rig is up and both readers are empty.
pub struct RigGuard {
    _file: std::fs::File,
    _thread: std::sync::MutexGuard<'static, ()>,
}

pub fn rig_lock() -> RigGuard {
    static IN_PROCESS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let thread = IN_PROCESS.lock().unwrap_or_else(|p| p.into_inner());
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open("/tmp/ecpa-doctor-rig.lock")
        .expect("open the rig lock file");
    file.lock().expect("lock the rig");
    require_rig();
    // pcscd notices a card leave on its next poll (~0.4 s); a loaded machine may be slower.
    for r in ["Virtual PCD 00 00", "Virtual PCD 00 01"] {
        assert!(
            wait_reader(r, false, Duration::from_secs(10)),
            "{r} still holds a card from an earlier test or program (a `cargo run --example vcard` still running?)"
        );
    }
    RigGuard {
        _file: file,
        _thread: thread,
    }
}
