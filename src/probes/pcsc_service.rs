//! Kind `pcsc_service`: is the PC/SC service (pcscd, SCardSvr) answering at all?
//! An empty reader list is not this check's business: the crate reports it as success.

use crate::engine::kind::{Simulated, Trigger};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::engine::outcome::{Msg, Outcome};
use crate::system::PcscError;

pub const KIND: Kind = Kind {
    name: "pcsc_service",
    findings: SERVICE_FINDINGS,
    build,
    on_request: false,
    reruns_on: &[Trigger::PcscService],
    simulated: Simulated::SystemLayer,
};

/// What any PC/SC probe can find about the service itself.
pub const SERVICE_FINDINGS: &[&str] = &[
    "pcsc.no_service",
    "pcsc.error",
    "pcsc.scardsvr_stopped",
    "pcsc.scardsvr_disabled",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Where pcsc-lite keeps its socket, to tell "never started" from "died and left a
    /// stale socket" in the evidence (Linux only; absent elsewhere).
    #[serde(default = "default_socket")]
    socket: PathBuf,
}

fn default_socket() -> PathBuf {
    PathBuf::from("/run/pcscd/pcscd.comm")
}

struct PcscService {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(PcscService { p: params(v)? }))
}

impl Probe for PcscService {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let socket = self.p.socket.clone();
        Box::pin(blocking(move || {
            let ctx_result = ctx
                .system()
                .pcsc
                .establish()
                .and_then(|c| c.readers().map(|r| r.len()));
            match ctx_result {
                Ok(n) => Outcome::pass(Msg::new("pcsc.pass")).with("readers_count", n.to_string()),
                Err(e) => service_failure(&e, &socket, ctx.system().simulated),
            }
        }))
    }
}

/// Shared by every PC/SC probe: the service can die between two checks.
pub fn service_failure(e: &PcscError, socket: &std::path::Path, simulated: bool) -> Outcome {
    // Windows says why: the Smart Card service (SCardSvr) stopped or disabled.
    if cfg!(target_os = "windows")
        && !simulated
        && *e == PcscError::NoService
        && let Some(st) = crate::system::windows::query_service("SCardSvr")
    {
        return windows_service(&st).with("pcsc_error", e.to_string());
    }
    let o = match e {
        PcscError::NoService => Outcome::fail("pcsc.no_service", Msg::new("pcsc.no_service")),
        other => Outcome::fail(
            "pcsc.error",
            Msg::new("pcsc.error").arg("error", other.to_string()),
        ),
    };
    let o = o.with("pcsc_error", e.to_string());
    if cfg!(target_os = "linux") && !simulated {
        let state = if socket.exists() {
            "value.socket.not_answering"
        } else {
            "value.missing"
        };
        o.with(
            "socket",
            Msg::new("value.with_note")
                .arg("text", socket.display().to_string())
                .arg("note", Msg::new(state)),
        )
    } else {
        o
    }
}

/// The Smart Card service's state as a finding: disabled needs an administrator to set it
/// back to Manual/Automatic; stopped (or not yet started after boot) can simply be started.
pub fn windows_service(st: &crate::system::windows::ServiceState) -> Outcome {
    let state = st.state.clone().unwrap_or_else(|| "UNKNOWN".into());
    let start = st.start_type.clone().unwrap_or_else(|| "UNKNOWN".into());
    let o = if start == "DISABLED" {
        Outcome::fail("pcsc.scardsvr_disabled", Msg::new("pcsc.scardsvr_disabled"))
    } else if state == "RUNNING" || state == "MISSING" {
        // Running but not answering, or no such service (Wine has none): the generic
        // finding, with the state as evidence.
        Outcome::fail("pcsc.no_service", Msg::new("pcsc.no_service"))
    } else {
        Outcome::fail(
            "pcsc.scardsvr_stopped",
            Msg::new("pcsc.scardsvr_stopped").arg("state", state.as_str()),
        )
    };
    o.with("windows_service", "SCardSvr")
        .with("service_state", state)
        .with("service_start", start)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::winapi::{start_type_word, state_word};
    use crate::system::windows::ServiceState;

    /// The Service Control Manager's numbers, as the API returns them.
    fn from_scm(state: u32, start: u32) -> Outcome {
        windows_service(&ServiceState {
            state: Some(state_word(state).into()),
            start_type: Some(start_type_word(start).into()),
        })
    }

    #[test]
    fn scardsvr_states_from_the_service_control_manager() {
        let (stopped, running, demand, disabled) = (1, 4, 3, 4);
        assert_eq!(
            from_scm(stopped, demand).finding.as_deref(),
            Some("pcsc.scardsvr_stopped")
        );
        assert_eq!(
            from_scm(stopped, disabled).finding.as_deref(),
            Some("pcsc.scardsvr_disabled")
        );
        assert_eq!(
            from_scm(running, demand).finding.as_deref(),
            Some("pcsc.no_service")
        );
        // No such service (as under Wine): the generic finding, not "stopped".
        let missing = windows_service(&ServiceState {
            state: Some("MISSING".into()),
            start_type: None,
        });
        assert_eq!(missing.finding.as_deref(), Some("pcsc.no_service"));
    }
}
