//! Kind `process` (an agency check): a program is running, by name or executable path
//! (`*` for any text, case ignored), read from the process table.

use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::engine::kind::Simulated;
use crate::engine::outcome::{Msg, Outcome};
use crate::system::ProcInfo;

pub const KIND: Kind = Kind::new(
    "process",
    &["process.not_running", "process.table_unreadable"],
    build,
    Simulated::SystemLayer,
);

/// Matches shown at most.
const SHOWN: usize = 5;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    name: String,
}

struct ProcessCheck {
    name: Arc<str>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.name.trim().is_empty() {
        return Err("`name`: give a program name such as `openvpn` or `*vpn*`".into());
    }
    Ok(Arc::new(ProcessCheck {
        name: p.name.into(),
    }))
}

impl Probe for ProcessCheck {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let name = self.name.clone();
        Box::pin(blocking(move || judge(&name, ctx.system().procs.list())))
    }
}

fn judge(name: &str, table: Option<Vec<ProcInfo>>) -> Outcome {
    let Some(table) = table else {
        return Outcome::fail(
            "process.table_unreadable",
            Msg::new("process.table_unreadable"),
        )
        .with("process_pattern", name);
    };
    let found: Vec<String> = table
        .iter()
        .filter(|p| p.is_named(name))
        .take(SHOWN)
        .map(|p| match &p.exe {
            Some(exe) => format!("{} (PID {}, {})", p.name, p.pid, exe.display()),
            None => format!("{} (PID {})", p.name, p.pid),
        })
        .collect();
    if found.is_empty() {
        return Outcome::fail(
            "process.not_running",
            Msg::new("process.not_running").arg("name", name),
        )
        .with("process_pattern", name)
        .with("processes_seen", table.len().to_string());
    }
    Outcome::pass(Msg::new("process.running").arg("name", name))
        .with("process_pattern", name)
        .with("processes_found", found.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_program_passes_and_a_missing_one_is_named() {
        let table = vec![ProcInfo {
            pid: 42,
            name: "openvpn".into(),
            exe: Some("/usr/sbin/openvpn".into()),
        }];
        assert_eq!(judge("*VPN*", Some(table.clone())).finding, None);
        let o = judge("forticlient", Some(table));
        assert_eq!(o.finding.as_deref(), Some("process.not_running"));
        assert_eq!(
            judge("x", None).finding.as_deref(),
            Some("process.table_unreadable")
        );
    }
}
