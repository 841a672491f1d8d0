//! Kind `pcsc_service`: is the PC/SC service (pcscd, SCardSvr) answering at all?
//! An empty reader list is not this check's business: the crate reports it as success.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, Kind, Probe, blocking, params};
use crate::engine::outcome::{Msg, Outcome};
use crate::system::PcscError;

pub const KIND: Kind = Kind { name: "pcsc_service", findings: &["pcsc.no_service", "pcsc.error"], build };

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
            let ctx_result = ctx.system.pcsc.establish().and_then(|c| c.readers().map(|r| r.len()));
            match ctx_result {
                Ok(n) => Outcome::pass(Msg::new("pcsc.pass")).with("readers_count", n.to_string()),
                Err(e) => service_failure(&e, &socket, ctx.system.simulated),
            }
        }))
    }
}

/// Shared by every PC/SC probe: the service can die between two checks.
pub fn service_failure(e: &PcscError, socket: &std::path::Path, simulated: bool) -> Outcome {
    let o = match e {
        PcscError::NoService => Outcome::fail("pcsc.no_service", Msg::new("pcsc.no_service")),
        other => Outcome::fail("pcsc.error", Msg::new("pcsc.error").arg("error", other.to_string())),
    };
    let o = o.with("pcsc_error", e.to_string());
    if cfg!(target_os = "linux") && !simulated {
        let state = if socket.exists() { "present_but_not_answering" } else { "missing" };
        o.with("socket", format!("{} ({state})", socket.display()))
    } else {
        o
    }
}
