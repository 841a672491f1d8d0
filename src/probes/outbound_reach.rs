//! Kind `outbound_reach`: can this computer open a plain TCP connection to the NHI
//! component's cloud service (`cloudicap.nhi.gov.tw:443`)? The component speaks its own
//! protocol there, not HTTPS, and connects directly: proxy settings do not help it. Without
//! this link it fetches no allowed-origin list (every command answers `4021`) and the card
//! authentication of `H_Sign` fails (`4061`).

use crate::engine::kind::{Simulated, StandIns};
use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::name_resolution::{no_answer_within, resolver_answer};
use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, de_duration, params};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::Lookup;

pub const KIND: Kind = Kind {
    name: "outbound_reach",
    findings: &["outbound.no_dns", "outbound.unreachable"],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the stand-in for NHI's cloud.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("port", w.cloud_port.into())]
}

/// Tried in turn within `connect_timeout`; more would only add waiting.
const MAX_ADDRESSES: usize = 3;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_host")]
    host: String,
    #[serde(default = "default_port")]
    port: u16,
    /// For all connection attempts together.
    #[serde(default = "default_connect_timeout", deserialize_with = "de_duration")]
    connect_timeout: Duration,
    #[serde(default = "default_resolver_timeout", deserialize_with = "de_duration")]
    resolver_timeout: Duration,
}

fn default_host() -> String {
    "cloudicap.nhi.gov.tw".into()
}
fn default_port() -> u16 {
    443
}
fn default_connect_timeout() -> Duration {
    Duration::from_secs(3)
}
fn default_resolver_timeout() -> Duration {
    Duration::from_secs(2)
}

struct OutboundReach {
    p: Arc<Params>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(OutboundReach {
        p: Arc::new(params(v)?),
    }))
}

impl Probe for OutboundReach {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(blocking(move || {
            let proxies = proxy_env(std::env::vars_os());
            let lookup = ctx.system().resolver.lookup(&p.host, p.resolver_timeout);
            let o = reach(&p, &lookup, !proxies.is_empty());
            if proxies.is_empty() {
                o
            } else {
                o.with("proxy_env", proxies.join("; "))
            }
        }))
    }
}

fn reach(p: &Params, lookup: &Lookup, proxied: bool) -> Outcome {
    let target = format!("{}:{}", p.host, p.port);
    let port = p.port.to_string();
    let addrs = match lookup {
        Lookup::Found(a) => a,
        Lookup::NotFound(_) | Lookup::TimedOut => {
            let key = if proxied {
                "outbound.no_dns_proxy"
            } else {
                "outbound.no_dns"
            };
            return Outcome::fail(
                "outbound.no_dns",
                Msg::new(key).arg("host", p.host.as_str()),
            )
            .with("outbound_target", target)
            .with("resolver", resolver_answer(lookup, p.resolver_timeout));
        }
    };
    match connect_any(addrs, p.port, p.connect_timeout) {
        Ok(connected) => {
            let key = if proxied {
                "outbound.pass_proxy_ignored"
            } else {
                "outbound.pass"
            };
            Outcome::pass(
                Msg::new(key)
                    .arg("host", p.host.as_str())
                    .arg("port", port.as_str()),
            )
            .with("outbound_target", target)
            .with("connected_to", connected)
        }
        Err(failed) => {
            let key = if proxied {
                "outbound.unreachable_proxy"
            } else {
                "outbound.unreachable"
            };
            Outcome::fail(
                "outbound.unreachable",
                Msg::new(key)
                    .arg("host", p.host.as_str())
                    .arg("port", port.as_str()),
            )
            .with("outbound_target", target)
            .with("connect_error", failed.errors)
        }
    }
}

/// Why no address answered: each address's error, and whether any of them timed out.
pub struct NotConnected {
    pub errors: Value,
    pub timed_out: bool,
}

/// A plain TCP connection to the first of (at most three of) `addrs` that answers within
/// `budget` for them all; only the connect is wanted, so the connection then ends
/// gracefully (`bridge::farewell`). `Ok`: the address and how long it took.
pub fn connect_any(addrs: &[IpAddr], port: u16, budget: Duration) -> Result<Value, NotConnected> {
    let deadline = Instant::now() + budget;
    let mut errors: Vec<Value> = Vec::new();
    let mut timed_out = false;
    for addr in addrs.iter().take(MAX_ADDRESSES) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            errors.push(
                Msg::new("value.labelled")
                    .arg("name", addr.to_string())
                    .arg("value", Msg::new("value.connect.not_tried"))
                    .into(),
            );
            continue;
        }
        let sa = SocketAddr::new(*addr, port);
        let t0 = Instant::now();
        match TcpStream::connect_timeout(&sa, left) {
            Ok(s) => {
                crate::bridge::farewell::close_std(s);
                return Ok(Msg::new("value.connect.took")
                    .arg("address", sa.to_string())
                    .arg("ms", t0.elapsed().as_millis().to_string())
                    .into());
            }
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                timed_out = true;
                errors.push(
                    Msg::new("value.labelled")
                        .arg("name", sa.to_string())
                        .arg("value", no_answer_within(left))
                        .into(),
                );
            }
            Err(e) => errors.push(format!("{sa}: {e}").into()),
        }
    }
    Err(NotConnected {
        errors: Value::join(errors, " | "),
        timed_out,
    })
}

/// Proxy variables in any spelling, with passwords masked (`http://user:***@proxy:8080`).
/// Empty values count as unset, as for curl.
pub fn proxy_env(vars: impl Iterator<Item = (OsString, OsString)>) -> Vec<String> {
    let mut out: Vec<String> = vars
        .filter_map(|(k, v)| {
            let k = k.to_string_lossy().into_owned();
            let v = v.to_string_lossy().into_owned();
            let wanted = ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"]
                .contains(&k.to_ascii_uppercase().as_str());
            (wanted && !v.trim().is_empty()).then(|| format!("{k}={}", mask_password(&v)))
        })
        .collect();
    out.sort();
    out
}

fn mask_password(url: &str) -> String {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[scheme_end..];
    let Some(at) = rest.find('@') else {
        return url.to_string();
    };
    let userinfo = &rest[..at];
    let user = userinfo.split(':').next().unwrap_or("");
    let shown = if userinfo.contains(':') {
        format!("{user}:***")
    } else {
        user.to_string()
    };
    format!("{}{shown}{}", &url[..scheme_end], &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_variables_of_any_case_are_listed_with_passwords_masked() {
        let vars = [
            ("https_proxy", "http://alice:s3cret@proxy.example:8080"),
            ("ALL_PROXY", "socks5://proxy:1080"),
            ("HTTP_PROXY", ""),
            ("NO_PROXY", "localhost"),
            ("PATH", "/bin"),
        ];
        let got = proxy_env(
            vars.iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v))),
        );
        assert_eq!(
            got,
            vec![
                "ALL_PROXY=socks5://proxy:1080".to_string(),
                "https_proxy=http://alice:***@proxy.example:8080".to_string()
            ]
        );
    }

    #[test]
    fn userinfo_without_password_is_kept() {
        assert_eq!(mask_password("proxy.example:3128"), "proxy.example:3128");
        assert_eq!(
            mask_password("http://bob@proxy:3128"),
            "http://bob@proxy:3128"
        );
    }
}
