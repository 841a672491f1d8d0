//! A tmux server of our own as a real terminal for console tests: fixed size, neutral
//! UTF-8 locale, screen capture and key input.

#![allow(dead_code)]

// Every test crate that includes this file includes `support/doctor.rs` as `support`.
use crate::support::hermetic;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// "Does not hang" bounds, far above what the rig needs.
pub const SCREEN_BOUND: Duration = Duration::from_secs(15);

/// A tmux server of our own (own socket, no user config), one session of a fixed size.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(width: u16, height: u16) -> Tmux {
        static N: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "ecpa-tui-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let t = Tmux { socket };
        let (w, h) = (width.to_string(), height.to_string());
        t.run(&[
            "-u",
            "new-session",
            "-d",
            "-x",
            &w,
            "-y",
            &h,
            "bash --norc --noprofile",
        ]);
        // OSC 52 from the program sets a tmux buffer (tmux's default ignores it).
        t.run(&["set-option", "-g", "set-clipboard", "on"]);
        t
    }

    pub fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"]);
        // The server started by the first command passes its environment to the shell and
        // so to the program: a neutral UTF-8 locale (Chinese by default, CJK passes
        // through) and none of this machine's verifier, proxy or PC/SC settings.
        hermetic::clean(&mut c).env_remove("TMUX").env("PS1", "$ ");
        c
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = self.command().args(args).output().unwrap_or_else(|e| {
            panic!("tmux is not installed or failed ({e}); run `scripts/rig install`")
        });
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    pub fn type_line(&self, line: &str) {
        self.run(&["send-keys", "-t", "0", "-l", line]);
        self.keys(&["Enter"]);
    }

    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "0"])
    }

    pub fn format(&self, f: &str) -> String {
        self.run(&["display-message", "-p", "-t", "0", f])
            .trim()
            .to_string()
    }

    /// Polls the screen until `pred` holds; the screen and how long it took.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> (String, Duration) {
        let t0 = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return (s, t0.elapsed());
            }
            assert!(
                t0.elapsed() < SCREEN_BOUND,
                "waited {SCREEN_BOUND:?} for {what}; the screen is:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the pane's program writes, appended to `file`.
    pub fn record_output(&self, file: &Path) {
        self.run(&[
            "pipe-pane",
            "-o",
            "-t",
            "0",
            &format!("cat >> '{}'", file.display()),
        ]);
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().args(["kill-server"]).output();
    }
}

/// A line of the screen that is exactly `text` (not the command line that printed it).
pub fn has_line(screen: &str, text: &str) -> bool {
    screen.lines().any(|l| l.trim_end() == text)
}

/// The `EXIT=N` line the shell prints after the console ends.
pub fn exit_status(screen: &str) -> Option<String> {
    screen.lines().find_map(|l| {
        l.strip_prefix("EXIT=")
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            .map(|r| r.trim().to_string())
    })
}

/// The line `stty` printed: canonical mode and echo, each on (`icanon`) or off (`-icanon`).
pub fn tty_modes(screen: &str) -> Option<String> {
    screen
        .lines()
        .map(str::trim)
        .find(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            w.len() == 2
                && w[0].trim_start_matches('-') == "icanon"
                && w[1].trim_start_matches('-') == "echo"
        })
        .map(str::to_string)
}

/// A shell command that prints `tty_modes`' line.
pub const PRINT_TTY_MODES: &str = "stty -a | tr '; ' '\\n\\n' | grep -x -e -icanon -e icanon -e -echo -e echo | tr '\\n' ' '; echo";
