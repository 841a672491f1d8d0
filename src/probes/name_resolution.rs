//! Kind `name_resolution`: does `iccert.nhi.gov.tw` lead to this computer's 127.0.0.1,
//! where the component listens? The browser opens `wss://iccert.nhi.gov.tw:7777/echo`;
//! the name must come from the hosts file, never from DNS. Any address of another
//! machine is a security finding: the card data and the registration password would go
//! there.

use crate::engine::kind::{Simulated, StandIns};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, de_duration, params};
use crate::component::hosts::{self, HostsLine, Place};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::Lookup;

pub const KIND: Kind = Kind {
    name: "name_resolution",
    findings: &[
        "resolve.missing",
        "resolve.off_machine",
        "resolve.ipv6_only",
        "resolve.other_loopback",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// The hosts file where a simulated world's OS keeps it (the world holds it there).
pub const WINDOWS_HOSTS: &str = r"C:\Windows\System32\drivers\etc\hosts";

fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    let path = if w.os == "windows" {
        WINDOWS_HOSTS
    } else {
        "/etc/hosts"
    };
    vec![("hosts_file", path.into())]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "default_host")]
    host: String,
    /// Default: `/etc/hosts`; on Windows `%SystemRoot%\System32\drivers\etc\hosts`.
    #[serde(default)]
    hosts_file: Option<PathBuf>,
    /// The system resolver's own wait (DNS can hang far longer than the check's budget).
    #[serde(default = "default_resolver_timeout", deserialize_with = "de_duration")]
    resolver_timeout: Duration,
}

fn default_host() -> String {
    "iccert.nhi.gov.tw".into()
}
fn default_resolver_timeout() -> Duration {
    Duration::from_secs(2)
}

pub fn default_hosts_file() -> PathBuf {
    if cfg!(windows) {
        let root = std::env::var_os("SystemRoot")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\Windows"));
        root.join("System32")
            .join("drivers")
            .join("etc")
            .join("hosts")
    } else {
        PathBuf::from("/etc/hosts")
    }
}

struct NameResolution {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.host.trim().is_empty() {
        return Err("host must not be empty".into());
    }
    Ok(Arc::new(NameResolution { p }))
}

impl Probe for NameResolution {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let host = self.p.host.clone();
        let file = self.p.hosts_file.clone().unwrap_or_else(default_hosts_file);
        let wait = self.p.resolver_timeout.min(ctx.timeout.mul_f64(0.8));
        Box::pin(blocking(move || {
            let lines = ctx
                .system()
                .files
                .read(&file, 4 * 1024 * 1024)
                .map(|b| hosts::lines_for(&String::from_utf8_lossy(&b), &host))
                .map_err(|e| e.to_string());
            let lookup = ctx.system().resolver.lookup(&host, wait);
            judge(&host, &file, lines, &lookup, wait)
        }))
    }
}

/// The line the component itself writes into the hosts file.
pub fn expected_line(host: &str) -> String {
    format!("127.0.0.1    {host}")
}

/// Both sources count: the hosts file (what the component wrote) and the system resolver
/// (what programs get; it may bypass or override the file). The worst place wins.
pub fn judge(
    host: &str,
    file: &Path,
    lines: Result<Vec<HostsLine>, String>,
    lookup: &Lookup,
    wait: Duration,
) -> Outcome {
    let mut seen: Vec<(IpAddr, &str)> = Vec::new();
    if let Ok(lines) = &lines {
        seen.extend(
            lines
                .iter()
                .filter_map(|l| l.addr.map(|a| (a, "value.source.hosts"))),
        );
    }
    if let Lookup::Found(addrs) = lookup {
        seen.extend(addrs.iter().map(|a| (*a, "value.source.resolver")));
    }
    let worst = |place: Place| seen.iter().find(|(a, _)| hosts::place(*a) == place);
    let line = expected_line(host);
    let o = if let Some((addr, source)) = worst(Place::OffMachine) {
        Outcome::fail(
            "resolve.off_machine",
            Msg::new("resolve.off_machine")
                .arg("host", host)
                .arg("addr", addr.to_string()),
        )
        .with("off_machine_source", Msg::new(source))
    } else if worst(Place::Component).is_some() {
        Outcome::pass(Msg::new("resolve.pass").arg("host", host))
    } else if let Some((addr, _)) = worst(Place::OtherLocal) {
        Outcome::warn(
            "resolve.other_loopback",
            Msg::new("resolve.other_loopback")
                .arg("host", host)
                .arg("addr", addr.to_string()),
        )
        .with("expected_line", line.as_str())
    } else if worst(Place::Ipv6Loopback).is_some() {
        Outcome::warn(
            "resolve.ipv6_only",
            Msg::new("resolve.ipv6_only").arg("host", host),
        )
        .with("expected_line", line.as_str())
    } else {
        Outcome::fail(
            "resolve.missing",
            Msg::new("resolve.missing")
                .arg("host", host)
                .arg("line", line.as_str())
                .arg("file", file.display().to_string()),
        )
        .with("expected_line", line.as_str())
    };
    with_sources(o, file, &lines, lookup, wait)
}

fn with_sources(
    o: Outcome,
    file: &Path,
    lines: &Result<Vec<HostsLine>, String>,
    lookup: &Lookup,
    wait: Duration,
) -> Outcome {
    let show = |ls: &[&HostsLine]| {
        Value::join(
            ls.iter().map(|l| {
                Msg::new("value.hosts_line")
                    .arg("number", l.number.to_string())
                    .arg("text", l.text.as_str())
            }),
            " | ",
        )
    };
    let o = match lines {
        Err(e) => o.with("hosts_file", format!("{} ({e})", file.display())),
        Ok(lines) => {
            let (good, bad): (Vec<&HostsLine>, Vec<&HostsLine>) =
                lines.iter().partition(|l| l.addr.is_some());
            let o = o.with("hosts_file", file.display().to_string()).with(
                "hosts_line",
                if good.is_empty() {
                    Msg::new("value.none").into()
                } else {
                    show(&good)
                },
            );
            // The resolver skips a line whose first field is not an address.
            if bad.is_empty() {
                o
            } else {
                o.with("hosts_line_ignored", show(&bad))
            }
        }
    };
    o.with("resolver", resolver_answer(lookup, wait))
}

/// What the system resolver answered, as the evidence shows it (also `outbound_reach`).
pub fn resolver_answer(lookup: &Lookup, wait: Duration) -> Value {
    match lookup {
        Lookup::Found(addrs) => addrs
            .iter()
            .map(IpAddr::to_string)
            .collect::<Vec<_>>()
            .join(", ")
            .into(),
        Lookup::NotFound(why) => Msg::new("value.resolver.no_address")
            .arg("why", why.as_str())
            .into(),
        Lookup::TimedOut => no_answer_within(wait).into(),
    }
}

/// `no answer within 2.0 s`.
pub fn no_answer_within(wait: Duration) -> Msg {
    Msg::new("value.no_answer_within").arg("seconds", format!("{:.1}", wait.as_secs_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::outcome::Status;
    use crate::i18n::Lang;

    fn run(hosts_text: &str, lookup: Lookup) -> Outcome {
        let lines = Ok(hosts::lines_for(hosts_text, "iccert.nhi.gov.tw"));
        judge(
            "iccert.nhi.gov.tw",
            Path::new("/etc/hosts"),
            lines,
            &lookup,
            Duration::from_secs(2),
        )
    }

    fn ev(o: &Outcome, k: &str) -> String {
        o.evidence(k)
            .unwrap_or_else(|| panic!("no {k} in {o:?}"))
            .render(false)
    }

    fn ev_zh(o: &Outcome, k: &str) -> String {
        o.evidence(k)
            .unwrap_or_else(|| panic!("no {k} in {o:?}"))
            .render_in(Lang::ZhTw, false)
    }

    #[test]
    fn loopback_from_hosts_passes_with_the_line() {
        let o = run(
            "127.0.0.1 localhost\n127.0.0.1    iccert.nhi.gov.tw\n",
            Lookup::Found(vec!["127.0.0.1".parse().unwrap()]),
        );
        assert_eq!(o.status, Status::Pass);
        assert_eq!(
            ev(&o, "hosts_line"),
            "line 2: 127.0.0.1    iccert.nhi.gov.tw"
        );
        assert_eq!(
            ev_zh(&o, "hosts_line"),
            "第 2 行：127.0.0.1    iccert.nhi.gov.tw"
        );
    }

    #[test]
    fn resolver_answer_of_another_machine_wins_over_a_good_hosts_line() {
        let o = run(
            "127.0.0.1 iccert.nhi.gov.tw\n",
            Lookup::Found(vec!["203.0.113.7".parse().unwrap()]),
        );
        assert_eq!(o.finding.as_deref(), Some("resolve.off_machine"));
        assert_eq!(ev(&o, "off_machine_source"), "resolver");
        assert_eq!(ev_zh(&o, "resolver"), "203.0.113.7");
    }

    #[test]
    fn ipv6_only_and_other_loopback_warn() {
        assert_eq!(
            run("::1 iccert.nhi.gov.tw\n", Lookup::TimedOut)
                .finding
                .as_deref(),
            Some("resolve.ipv6_only")
        );
        assert_eq!(
            run(
                "127.0.1.1 iccert.nhi.gov.tw\n",
                Lookup::NotFound("x".into())
            )
            .finding
            .as_deref(),
            Some("resolve.other_loopback")
        );
        assert_eq!(
            run(
                "::1 iccert.nhi.gov.tw\n127.0.0.1 iccert.nhi.gov.tw\n",
                Lookup::TimedOut
            )
            .status,
            Status::Pass
        );
    }

    #[test]
    fn garbled_line_is_ignored_like_the_resolver_does() {
        let o = run(
            "127.0.0.l iccert.nhi.gov.tw\n",
            Lookup::NotFound("Name or service not known".into()),
        );
        assert_eq!(o.finding.as_deref(), Some("resolve.missing"));
        assert_eq!(
            ev(&o, "hosts_line_ignored"),
            "line 1: 127.0.0.l iccert.nhi.gov.tw"
        );
        assert_eq!(ev(&o, "expected_line"), "127.0.0.1    iccert.nhi.gov.tw");
    }
}
