//! Kind `host`: facts about this machine for the report (OS, version, architecture).
//! Never fails: it is evidence, not a link of the chain.

use crate::engine::kind::Simulated;
use std::sync::Arc;

use super::{BoxFuture, Ctx, Kind, Probe, params};
use crate::engine::outcome::{Msg, Outcome};
use crate::report::model::HostInfo;

pub const KIND: Kind = Kind {
    name: "host",
    findings: &[],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::SystemLayer,
};

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {}

struct Host;

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let _: Params = params(v)?;
    Ok(Arc::new(Host))
}

impl Probe for Host {
    fn run(&self, _ctx: Ctx) -> BoxFuture {
        Box::pin(async move {
            let h = tokio::task::spawn_blocking(HostInfo::detect)
                .await
                .unwrap_or_default();
            let os = format!("{} {}", h.os, h.os_version).trim().to_string();
            Outcome::pass(
                Msg::new("host.pass")
                    .arg("os", os.as_str())
                    .arg("arch", h.arch.as_str()),
            )
            .with("os", h.os)
            .with("os_version", h.os_version)
            .with("kernel", h.kernel)
            .with("arch", h.arch)
        })
    }
}
