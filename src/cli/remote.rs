//! `ecpa-doctor remote`: run ecpa-doctor on the user's machine over the system's `ssh`
//! (no home-made SSH) and bring the report back. What ssh says when it fails is turned
//! into named findings; raw ssh noise is kept only as evidence.

use std::time::Duration;

use crate::report::model::Report;

/// The oldest remote version whose JSON report this version can read.
pub const MIN_REMOTE_VERSION: (u64, u64, u64) = (0, 1, 0);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `[user@]host` as the operator typed it.
    pub destination: String,
    /// Each becomes `-o OPTION` (e.g. `Port=2222`, `IdentityFile=~/.ssh/helpdesk`).
    pub ssh_options: Vec<String>,
    /// The command line that starts ecpa-doctor on the far side (a path when it is not on
    /// the remote PATH; options such as `--profile FILE` may follow).
    pub remote_command: String,
    pub connect_timeout: Duration,
}

impl Target {
    /// Arguments for `ssh`, before the remote command. BatchMode: a prompt for a
    /// password would hang a headless run; keys or an agent are what remote support uses.
    pub fn ssh_args(&self, tty: bool) -> Vec<String> {
        let mut a = vec![
            "-o".into(),
            "BatchMode=yes".into(),
            "-o".into(),
            format!("ConnectTimeout={}", self.connect_timeout.as_secs().max(1)),
        ];
        for o in &self.ssh_options {
            a.push("-o".into());
            a.push(o.clone());
        }
        if tty {
            a.push("-t".into());
        }
        a.push("--".into());
        a.push(self.destination.clone());
        a
    }
}

/// Quotes one word for the remote shell (ssh joins the command into one string).
pub fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:@%+,".contains(c))
    {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// What went wrong, from ssh's exit status and stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    Unreachable,
    AuthRefused,
    HostKey,
    ToolMissing,
    Other,
}

impl Failure {
    pub fn finding(self) -> &'static str {
        match self {
            Failure::Unreachable => "remote.unreachable",
            Failure::AuthRefused => "remote.auth_refused",
            Failure::HostKey => "remote.host_key",
            Failure::ToolMissing => "remote.tool_missing",
            Failure::Other => "remote.ssh_failed",
        }
    }
}

pub fn classify(exit: Option<i32>, stderr: &str) -> Failure {
    let e = stderr.to_ascii_lowercase();
    // 127: the remote shell found no such command; 126: found but not executable.
    if matches!(exit, Some(127) | Some(126))
        || e.contains("command not found")
        || e.contains("no such file or directory") && exit != Some(255)
    {
        return Failure::ToolMissing;
    }
    if e.contains("host key verification failed")
        || e.contains("remote host identification has changed")
    {
        return Failure::HostKey;
    }
    if e.contains("permission denied")
        || e.contains("too many authentication failures")
        || e.contains("not allowed because")
    {
        return Failure::AuthRefused;
    }
    if [
        "could not resolve hostname",
        "connection refused",
        "connection timed out",
        "no route to host",
        "network is unreachable",
        "operation timed out",
        "connection closed by",
        "name or service not known",
    ]
    .iter()
    .any(|p| e.contains(p))
    {
        return Failure::Unreachable;
    }
    Failure::Other
}

/// `ecpa-doctor 0.1.0` → (0, 1, 0).
pub fn parse_version(out: &str) -> Option<(u64, u64, u64)> {
    let word = out
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let mut parts = word.split(['.', '-', '+']).map(|p| p.parse::<u64>());
    Some((
        parts.next()?.ok()?,
        parts.next()?.ok()?,
        parts.next().and_then(|p| p.ok()).unwrap_or(0),
    ))
}

/// The one-check profile that proves the far side is usable.
pub fn profile_for(t: &Target) -> Result<crate::engine::Profile, String> {
    let mut params = serde_yaml::Mapping::new();
    params.insert("destination".into(), t.destination.clone().into());
    params.insert(
        "ssh_options".into(),
        serde_yaml::Value::Sequence(t.ssh_options.iter().map(|o| o.clone().into()).collect()),
    );
    params.insert("remote_command".into(), t.remote_command.clone().into());
    params.insert(
        "connect_timeout".into(),
        format!("{}s", t.connect_timeout.as_secs()).into(),
    );
    let title = crate::i18n::L10n {
        zh_tw: "遠端電腦".into(),
        en: "Remote computer".into(),
    };
    crate::engine::Profile::single(
        "remote",
        title,
        "remote-host",
        &crate::probes::remote_host::KIND,
        serde_yaml::Value::Mapping(params),
        t.connect_timeout * 3,
    )
}

/// The remote command is the operator's own command line (a path, maybe with options
/// such as `--profile`), so it goes to the remote shell as written; our arguments are
/// quoted.
fn remote_line(t: &Target, extra: &[String]) -> String {
    std::iter::once(t.remote_command.clone())
        .chain(extra.iter().map(|a| shell_quote(a)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs the remote report in JSON and parses it. Bounded: a hung session is killed.
pub async fn fetch_report(t: &Target, extra: &[String], limit: Duration) -> Result<Report, String> {
    let mut args = extra.to_vec();
    args.extend(["--format".to_string(), "json".to_string()]);
    let mut cmd = tokio::process::Command::new("ssh");
    cmd.args(t.ssh_args(false))
        .arg(remote_line(t, &args))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let out = tokio::time::timeout(limit, cmd.output())
        .await
        .map_err(|_| format!("no report after {} s", limit.as_secs()))?
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    parse_report(&stdout, &t.destination).map_err(|e| {
        let stderr = String::from_utf8_lossy(&out.stderr);
        format!("{e}; ssh said: {}", stderr.trim())
    })
}

/// The console on the far side, in this terminal (`ssh -t`); returns its exit status.
pub fn open_console(t: &Target, extra: &[String]) -> i32 {
    let status = std::process::Command::new("ssh")
        .args(t.ssh_args(true))
        .arg(remote_line(t, extra))
        .status();
    match status {
        Ok(s) => s.code().unwrap_or(1),
        Err(e) => {
            eprintln!("ecpa-doctor: ssh: {e}");
            1
        }
    }
}

/// The remote JSON report, stamped with where it came from.
pub fn parse_report(json: &str, destination: &str) -> Result<Report, String> {
    let mut r: Report = serde_json::from_str(json)
        .map_err(|e| format!("the remote report is not ecpa-doctor JSON: {e}"))?;
    r.remote_host = Some(destination.to_string());
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_errors_become_named_failures() {
        assert_eq!(
            classify(
                Some(255),
                "ssh: connect to host 127.0.0.1 port 1: Connection refused\r\n"
            ),
            Failure::Unreachable
        );
        assert_eq!(
            classify(
                Some(255),
                "ssh: Could not resolve hostname pc-123: Name or service not known"
            ),
            Failure::Unreachable
        );
        assert_eq!(
            classify(
                Some(255),
                "tester@127.0.0.1: Permission denied (publickey)."
            ),
            Failure::AuthRefused
        );
        assert_eq!(
            classify(Some(255), "Host key verification failed."),
            Failure::HostKey
        );
        assert_eq!(
            classify(Some(127), "bash: line 1: ecpa-doctor: command not found"),
            Failure::ToolMissing
        );
        assert_eq!(classify(Some(1), "something odd"), Failure::Other);
    }

    #[test]
    fn versions() {
        assert_eq!(parse_version("ecpa-doctor 0.1.0\n"), Some((0, 1, 0)));
        assert_eq!(parse_version("ecpa-doctor 1.2.3-beta"), Some((1, 2, 3)));
        assert_eq!(parse_version("hello"), None);
    }

    #[test]
    fn quoting_for_the_remote_shell() {
        assert_eq!(shell_quote("--format"), "--format");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
    }
}
