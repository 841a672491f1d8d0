//! Kind `remote_host`: can we run ecpa-doctor on the user's machine over ssh, and is it
//! new enough? Used by `ecpa-doctor remote` before it opens the console or fetches the
//! report there.

use crate::engine::kind::Simulated;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{BoxFuture, Ctx, Kind, Probe, params};
use crate::cli::remote::{self, Target};
use crate::engine::outcome::{Msg, Outcome, Value};

pub const KIND: Kind = Kind {
    name: "remote_host",
    findings: &[
        "remote.unreachable",
        "remote.auth_refused",
        "remote.host_key",
        "remote.tool_missing",
        "remote.too_old",
        "remote.ssh_failed",
        "remote.no_ssh",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Unsupported,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    destination: String,
    #[serde(default)]
    ssh_options: Vec<String>,
    #[serde(default = "default_command")]
    remote_command: String,
    #[serde(
        default = "default_connect_timeout",
        deserialize_with = "super::de_duration"
    )]
    connect_timeout: Duration,
    /// The local ssh client.
    #[serde(default = "default_ssh")]
    ssh: String,
}

fn default_command() -> String {
    "ecpa-doctor".into()
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(8)
}
fn default_ssh() -> String {
    "ssh".into()
}

struct RemoteHost {
    target: Target,
    ssh: String,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.destination.trim().is_empty() || p.destination.starts_with('-') {
        return Err(format!("`{}` is not a host to connect to", p.destination));
    }
    let target = Target {
        destination: p.destination,
        ssh_options: p.ssh_options,
        remote_command: p.remote_command,
        connect_timeout: p.connect_timeout,
    };
    Ok(Arc::new(RemoteHost { target, ssh: p.ssh }))
}

impl Probe for RemoteHost {
    fn run(&self, _ctx: Ctx) -> BoxFuture {
        let target = self.target.clone();
        let ssh = self.ssh.clone();
        Box::pin(async move { check(&ssh, &target).await })
    }
}

async fn check(ssh: &str, target: &Target) -> Outcome {
    let mut cmd = tokio::process::Command::new(ssh);
    cmd.args(target.ssh_args(false))
        .arg(format!("{} --version", target.remote_command))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // The engine's timeout drops this future; the ssh process must not outlive it.
        .kill_on_drop(true);
    let out = match cmd.output().await {
        Ok(o) => o,
        Err(e) => {
            return Outcome::fail("remote.no_ssh", Msg::new("remote.no_ssh"))
                .with("ssh_error", e.to_string());
        }
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let host = target.destination.as_str();
    if !out.status.success() || remote::parse_version(&stdout).is_none() {
        let f = remote::classify(out.status.code(), &stderr);
        return Outcome::fail(f.finding(), Msg::new(f.finding()).arg("host", host))
            .with("remote_host", host)
            .with(
                "ssh_exit",
                out.status.code().map_or_else(
                    || Msg::new("value.remote.signal").into(),
                    |c| Value::from(c.to_string()),
                ),
            )
            .with("ssh_said", last_lines(&stderr));
    }
    let version = remote::parse_version(&stdout).expect("checked above");
    let shown = format!("{}.{}.{}", version.0, version.1, version.2);
    if version < remote::MIN_REMOTE_VERSION {
        let (a, b, c) = remote::MIN_REMOTE_VERSION;
        return Outcome::fail(
            "remote.too_old",
            Msg::new("remote.too_old")
                .arg("host", host)
                .arg("version", shown.as_str())
                .arg("minimum", format!("{a}.{b}.{c}")),
        )
        .with("remote_host", host)
        .with("remote_version", shown);
    }
    Outcome::pass(
        Msg::new("remote.pass")
            .arg("host", host)
            .arg("version", shown.as_str()),
    )
    .with("remote_host", host)
    .with("remote_version", shown)
}

/// ssh's own words, trimmed: the last few lines say what failed.
fn last_lines(s: &str) -> String {
    let lines: Vec<&str> = s.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let tail = &lines[lines.len().saturating_sub(3)..];
    let mut t = tail.join(" / ");
    if t.chars().count() > 300 {
        t = t.chars().take(300).collect::<String>() + "…";
    }
    t
}
