//! Kind `tcp` (an agency check): a TCP port answers (a VPN gateway, a proxy, a local
//! service). Only the connection is made; it ends gracefully (`bridge::farewell`): FIN, then
//! the server's own close is awaited, so a fragile server is never hung up on.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, below_check, blocking, de_duration, params};
use crate::engine::kind::Simulated;
use crate::engine::outcome::{Msg, Outcome};
use crate::system::Lookup;

pub const KIND: Kind = Kind::new(
    "tcp",
    &["tcp.no_dns", "tcp.refused", "tcp.timeout"],
    build,
    // It connects where the profile says: no simulated world stands in for that.
    Simulated::Unsupported,
);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_host")]
    host: String,
    port: u16,
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    connect_timeout: Duration,
}

fn default_host() -> String {
    "127.0.0.1".into()
}
fn default_timeout() -> Duration {
    Duration::from_secs(3)
}

struct TcpCheck {
    p: Arc<Params>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.port == 0 {
        return Err("`port`: 0 is not a port".into());
    }
    if p.connect_timeout.is_zero() {
        return Err("`connect_timeout`: must be above zero".into());
    }
    Ok(Arc::new(TcpCheck { p: Arc::new(p) }))
}

impl Probe for TcpCheck {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        // The name lookup and the connect share one budget.
        let budget = below_check(&ctx, p.connect_timeout);
        let deadline = std::time::Instant::now() + budget;
        Box::pin(blocking(move || {
            let target = format!("{}:{}", p.host, p.port);
            let addrs = match p.host.parse::<IpAddr>() {
                Ok(a) => vec![a],
                Err(_) => match ctx.system().resolver.lookup(&p.host, budget) {
                    Lookup::Found(a) => a,
                    other => {
                        return Outcome::fail(
                            "tcp.no_dns",
                            Msg::new("tcp.no_dns").arg("host", p.host.as_str()),
                        )
                        .with("tcp_target", target)
                        .with(
                            "resolver",
                            super::name_resolution::resolver_answer(&other, budget),
                        );
                    }
                },
            };
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            connect(&p, &target, &addrs, left)
        }))
    }
}

fn connect(p: &Params, target: &str, addrs: &[IpAddr], budget: Duration) -> Outcome {
    match super::outbound_reach::connect_any(addrs, p.port, budget) {
        Ok(connected) => Outcome::pass(Msg::new("tcp.open").arg("target", target))
            .with("tcp_target", target)
            .with("connected_to", connected),
        Err(failed) => {
            let finding = if failed.timed_out {
                "tcp.timeout"
            } else {
                "tcp.refused"
            };
            Outcome::fail(finding, Msg::new(finding).arg("target", target))
                .with("tcp_target", target)
                .with("connect_error", failed.errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params_for(port: u16) -> Params {
        params(&serde_yaml::from_str(&format!("{{port: {port}, connect_timeout: 2s}}")).unwrap())
            .unwrap()
    }

    #[test]
    fn an_open_port_passes_and_a_closed_one_is_refused() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let local = [IpAddr::from([127, 0, 0, 1])];
        assert_eq!(
            connect(&params_for(port), "t", &local, Duration::from_secs(2)).finding,
            None
        );
        drop(l);
        assert_eq!(
            connect(&params_for(port), "t", &local, Duration::from_secs(2))
                .finding
                .as_deref(),
            Some("tcp.refused")
        );
    }
}
