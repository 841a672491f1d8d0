//! Kind `command` (an agency check): a program runs and its exit status and output are as
//! expected (a VPN client's status, a component version). The command is a list — program,
//! then each argument — and runs without a shell, so nothing in it is expanded or chained;
//! a command written as one string is refused when the profile is read. It runs with no
//! input, within a time limit (killed when it is over), and only the first
//! `pattern::READ_MAX` bytes of its output are kept.

use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::pattern::{Pattern, READ_MAX, shown};
use super::{BoxFuture, Ctx, Kind, Probe, below_check, de_duration, params};
use crate::engine::kind::Simulated;
use crate::engine::outcome::{Msg, Outcome};

pub const KIND: Kind = Kind::new(
    "command",
    &[
        "command.not_found",
        "command.exit",
        "command.no_match",
        "command.timeout",
    ],
    build,
    // It runs a program of this computer: no simulated world stands in for that.
    Simulated::Unsupported,
);

/// What `run` must look like, said when it does not.
const RUN_SHAPE: &str = "`run`: give the command as a list — program, then each argument, e.g. [systemctl, is-active, openvpn] — never as one string: it runs without a shell";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(deserialize_with = "de_run")]
    run: Vec<String>,
    #[serde(default)]
    expect_exit: i32,
    /// Matched against standard output, then standard error.
    #[serde(default)]
    expect_output: Option<Pattern>,
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    timeout: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(4)
}

fn de_run<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match serde_yaml::Value::deserialize(d)? {
        serde_yaml::Value::Sequence(items) => items
            .into_iter()
            .map(|v| match v {
                serde_yaml::Value::String(s) => Ok(s),
                serde_yaml::Value::Number(n) => Ok(n.to_string()),
                serde_yaml::Value::Bool(b) => Ok(b.to_string()),
                _ => Err(serde::de::Error::custom(RUN_SHAPE)),
            })
            .collect(),
        _ => Err(serde::de::Error::custom(RUN_SHAPE)),
    }
}

struct CommandCheck {
    p: Arc<Params>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    let Some(program) = p.run.first().filter(|prog| !prog.trim().is_empty()) else {
        return Err(RUN_SHAPE.into());
    };
    if p.timeout.is_zero() {
        return Err("`timeout`: must be above zero".into());
    }
    let lower = program.to_ascii_lowercase();
    if lower.ends_with(".bat") || lower.ends_with(".cmd") {
        return Err(format!(
            "`run`: `{program}` is a batch file, which Windows runs through cmd.exe, a shell; give the program it runs instead"
        ));
    }
    Ok(Arc::new(CommandCheck { p: Arc::new(p) }))
}

impl Probe for CommandCheck {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        // This check says "timed out" and stops the program itself.
        let limit = below_check(&ctx, p.timeout);
        Box::pin(async move { execute(&p, limit).await })
    }
}

/// Reads up to `READ_MAX` bytes into `kept` and discards the rest, so the program never
/// blocks on a full pipe.
async fn bounded<R: AsyncRead + Unpin>(r: Option<R>, kept: Arc<std::sync::Mutex<Vec<u8>>>) {
    let Some(mut r) = r else {
        return;
    };
    let mut buf = [0u8; 8192];
    loop {
        match r.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                let room = READ_MAX.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
            }
        }
    }
}

/// How long the output is still read after the program exits: a child it left behind may
/// hold the pipes open for good.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(500);

/// Stops the program and, on Unix, every process of its group (a wrapper's children).
fn stop(child: &mut tokio::process::Child, group: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = group {
        // SAFETY: kill(2) with a negative pid signals the process group the child leads
        // (it was started in a group of its own); no memory is touched.
        unsafe {
            libc::kill(-(pid as i32), libc::SIGKILL);
        }
    }
    #[cfg(not(unix))]
    let _ = group;
    let _ = child.start_kill();
}

async fn execute(p: &Params, limit: Duration) -> Outcome {
    let shown_cmd = shown(p.run.join(" ").as_bytes());
    let mut cmd = tokio::process::Command::new(&p.run[0]);
    cmd.args(&p.run[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    // A group of its own, so a timeout stops everything it started.
    #[cfg(unix)]
    cmd.process_group(0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            return Outcome::fail(
                "command.not_found",
                Msg::new("command.not_found").arg("program", p.run[0].as_str()),
            )
            .with("command", shown_cmd)
            .with("command_error", e.to_string());
        }
    };
    // Its pid leads its process group; kept, since a reaped child no longer says it.
    let group = child.id();
    let (out_buf, err_buf) = (Arc::default(), Arc::default());
    let mut readers = [
        tokio::spawn(bounded(child.stdout.take(), Arc::clone(&out_buf))),
        tokio::spawn(bounded(child.stderr.take(), Arc::clone(&err_buf))),
    ];
    let status = match tokio::time::timeout(limit, child.wait()).await {
        Ok(s) => s,
        Err(_) => {
            stop(&mut child, group);
            let _ = tokio::time::timeout(Duration::from_secs(1), child.wait()).await;
            readers.iter().for_each(|r| r.abort());
            return Outcome::fail(
                "command.timeout",
                Msg::new("command.timeout")
                    .arg("program", p.run[0].as_str())
                    .arg("seconds", format!("{:.1}", limit.as_secs_f64())),
            )
            .with("command", shown_cmd);
        }
    };
    let drained = tokio::time::timeout(
        DRAIN_AFTER_EXIT,
        futures::future::join_all(readers.iter_mut()),
    )
    .await;
    if drained.is_err() {
        // Something it started still holds its output: stop what is left of its group.
        stop(&mut child, group);
    }
    readers.iter().for_each(|r| r.abort());
    let take = |b: &Arc<std::sync::Mutex<Vec<u8>>>| {
        std::mem::take(&mut *b.lock().unwrap_or_else(|e| e.into_inner()))
    };
    let (stdout, stderr) = (take(&out_buf), take(&err_buf));
    let code = status.ok().and_then(|s| s.code());
    let first_output = if stdout.iter().all(u8::is_ascii_whitespace) {
        &stderr
    } else {
        &stdout
    };
    let o = |o: Outcome| {
        o.with("command", shown_cmd.as_str())
            .with(
                "exit_status",
                code.map_or_else(
                    || Msg::new("value.command.no_exit_code").into(),
                    |c| crate::engine::outcome::Value::from(c.to_string()),
                ),
            )
            .with("output_start", shown(first_output))
    };
    if code != Some(p.expect_exit) {
        return o(Outcome::fail(
            "command.exit",
            Msg::new("command.exit")
                .arg("program", p.run[0].as_str())
                .arg("code", code.map_or_else(|| "-".into(), |c| c.to_string()))
                .arg("expected", p.expect_exit.to_string()),
        ));
    }
    if let Some(pattern) = &p.expect_output {
        let matched = pattern.matches(&String::from_utf8_lossy(&stdout))
            || pattern.matches(&String::from_utf8_lossy(&stderr));
        if !matched {
            return o(Outcome::fail(
                "command.no_match",
                Msg::new("command.no_match")
                    .arg("program", p.run[0].as_str())
                    .arg("pattern", pattern.as_str()),
            ))
            .with("pattern", pattern.as_str());
        }
    }
    o(Outcome::pass(
        Msg::new("command.ok").arg("program", p.run[0].as_str()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(y: &str) -> Result<Params, String> {
        params(&serde_yaml::from_str(y).unwrap())
    }

    #[test]
    fn a_command_as_one_string_is_refused() {
        let e = p("{run: 'systemctl is-active openvpn'}").err().unwrap();
        assert!(e.contains("never as one string"), "{e}");
        assert!(p("{run: [systemctl, is-active, openvpn]}").is_ok());
        assert!(build(&serde_yaml::from_str("{run: []}").unwrap()).is_err());
        let e = build(&serde_yaml::from_str("{run: [C:\\agency\\check.CMD]}").unwrap())
            .err()
            .unwrap();
        assert!(e.contains("cmd.exe"), "{e}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn each_way_a_command_ends() {
        let f = |o: Outcome| o.finding.unwrap_or_default();
        let run = |y: &str| {
            let p = p(y).unwrap();
            async move { execute(&p, Duration::from_secs(3)).await }
        };
        assert_eq!(f(run("{run: [printf, 'yes']}").await), "");
        assert_eq!(
            f(run("{run: [printf, 'yes'], expect_output: '^yes$'}").await),
            ""
        );
        assert_eq!(
            f(run("{run: [printf, 'no'], expect_output: '^yes$'}").await),
            "command.no_match"
        );
        assert_eq!(f(run("{run: ['false']}").await), "command.exit");
        assert_eq!(f(run("{run: ['false'], expect_exit: 1}").await), "");
        assert_eq!(
            f(run("{run: [no-such-program-ecpa]}").await),
            "command.not_found"
        );
        let p = p("{run: [sleep, '30']}").unwrap();
        let t0 = std::time::Instant::now();
        assert_eq!(
            f(execute(&p, Duration::from_millis(300)).await),
            "command.timeout"
        );
        assert!(t0.elapsed() < Duration::from_secs(5));
        // A program that leaves a child holding its output open is judged when it exits.
        let t0 = std::time::Instant::now();
        assert_eq!(
            f(run("{run: [sh, -c, 'sleep 30 & echo yes'], expect_output: '^yes$'}").await),
            ""
        );
        assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
        // A program that writes more than is kept still finishes: the rest is drained.
        let big = p_big();
        assert_eq!(f(execute(&big, Duration::from_secs(10)).await), "");
    }

    #[cfg(unix)]
    fn p_big() -> Params {
        p("{run: [head, '-c', '5000000', /dev/zero]}").unwrap()
    }
}
