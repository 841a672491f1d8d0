//! Kind `http` (an agency check): a URL answers with an expected status and, optionally,
//! text (the agency's PAC file, an intranet page). Proxies as the registration check's
//! verifier client takes them: from `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`, never for an
//! address on this computer, or not at all with `proxy: none`. The request asks the server
//! to close (`Connection: close`) and the answer is read to its end, so the server closes
//! first and a fragile one is never hung up on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use super::pattern::{Pattern, READ_MAX, shown};
use super::{BoxFuture, Ctx, Kind, Probe, below_check, de_duration, params};
use crate::engine::kind::Simulated;
use crate::engine::outcome::{Msg, Outcome};

pub const KIND: Kind = Kind::new(
    "http",
    &["http.unreachable", "http.status", "http.no_match"],
    build,
    // It reaches where the profile says: no simulated world stands in for that.
    Simulated::Unsupported,
);

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum ProxyUse {
    /// `HTTPS_PROXY`/`HTTP_PROXY` and `NO_PROXY`, as curl and the verifier read them.
    #[default]
    Environment,
    None,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Statuses {
    One(u16),
    Many(Vec<u16>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    url: String,
    /// Default: any 2xx.
    #[serde(default)]
    expect_status: Option<Statuses>,
    #[serde(default)]
    expect_text: Option<Pattern>,
    #[serde(default)]
    proxy: ProxyUse,
    /// Trusted besides the system store (an agency's own CA).
    #[serde(default)]
    ca_file: Option<PathBuf>,
    #[serde(default = "default_timeout", deserialize_with = "de_duration")]
    timeout: Duration,
}

fn default_timeout() -> Duration {
    Duration::from_secs(10)
}

struct HttpCheck {
    p: Arc<Params>,
    statuses: Arc<[u16]>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    let url = reqwest::Url::parse(&p.url).map_err(|e| format!("`url`: `{}`: {e}", p.url))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "`url`: `{}` is not an http:// or https:// address",
            p.url
        ));
    }
    if p.timeout.is_zero() {
        return Err("`timeout`: must be above zero".into());
    }
    let statuses: Vec<u16> = match &p.expect_status {
        None => Vec::new(),
        Some(Statuses::One(s)) => vec![*s],
        Some(Statuses::Many(s)) => s.clone(),
    };
    if let Some(bad) = statuses.iter().find(|s| !(100..=599).contains(*s)) {
        return Err(format!("`expect_status`: {bad} is not an HTTP status"));
    }
    Ok(Arc::new(HttpCheck {
        p: Arc::new(p),
        statuses: statuses.into(),
    }))
}

impl Probe for HttpCheck {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let (p, statuses) = (self.p.clone(), self.statuses.clone());
        // A slow server is this check's finding, and the request ends on its own.
        let limit = below_check(&ctx, p.timeout);
        Box::pin(async move { fetch(&p, &statuses, limit).await })
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        source = s.source();
    }
    shown(parts.join(": ").as_bytes())
}

async fn fetch(p: &Params, statuses: &[u16], limit: Duration) -> Outcome {
    let url = p.url.as_str();
    let direct = p.proxy == ProxyUse::None || crate::account::verifier::on_this_computer(&p.url);
    let proxies = super::outbound_reach::proxy_env(std::env::vars_os());
    let with_route = |o: Outcome| {
        let o = o.with("url", url);
        if direct || proxies.is_empty() {
            o.with("proxy", Msg::new("value.http.direct"))
        } else {
            o.with("proxy", proxies.join("; "))
        }
    };
    let client = match crate::account::verifier::client(p.ca_file.as_deref(), limit, direct) {
        Ok(c) => c,
        Err(e) => {
            return with_route(
                Outcome::fail(
                    "http.unreachable",
                    Msg::new("http.unreachable").arg("url", url),
                )
                .with("http_error", e),
            );
        }
    };
    let sent = client
        .get(url)
        .header(reqwest::header::CONNECTION, "close")
        .send()
        .await;
    let mut resp = match sent {
        Ok(r) => r,
        Err(e) => {
            return with_route(
                Outcome::fail(
                    "http.unreachable",
                    Msg::new("http.unreachable").arg("url", url),
                )
                .with("http_error", error_chain(&e)),
            );
        }
    };
    let status = resp.status().as_u16();
    let mut body = Vec::new();
    // Read to the end (the server closes first); past READ_MAX the rest is discarded.
    let mut read = 0usize;
    while let Ok(Some(chunk)) = resp.chunk().await {
        read += chunk.len();
        if body.len() < READ_MAX {
            body.extend_from_slice(&chunk[..chunk.len().min(READ_MAX - body.len())]);
        }
        if read > 4 * READ_MAX {
            break;
        }
    }
    drop(resp);
    let status_ok = if statuses.is_empty() {
        (200..300).contains(&status)
    } else {
        statuses.contains(&status)
    };
    let expected = if statuses.is_empty() {
        "2xx".to_string()
    } else {
        statuses
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !status_ok {
        return with_route(
            Outcome::fail(
                "http.status",
                Msg::new("http.status")
                    .arg("url", url)
                    .arg("status", status.to_string())
                    .arg("expected", expected.as_str()),
            )
            .with("http_status", status.to_string())
            .with("body_start", shown(&body)),
        );
    }
    if let Some(pattern) = &p.expect_text
        && !pattern.matches(&String::from_utf8_lossy(&body))
    {
        return with_route(
            Outcome::fail(
                "http.no_match",
                Msg::new("http.no_match")
                    .arg("url", url)
                    .arg("pattern", pattern.as_str()),
            )
            .with("http_status", status.to_string())
            .with("pattern", pattern.as_str())
            .with("body_start", shown(&body)),
        );
    }
    with_route(
        Outcome::pass(
            Msg::new("http.answered")
                .arg("url", url)
                .arg("status", status.to_string()),
        )
        .with("http_status", status.to_string())
        .with("body_bytes", read.to_string()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(y: &str) -> serde_yaml::Value {
        serde_yaml::from_str(y).unwrap()
    }

    #[test]
    fn bad_urls_and_statuses_are_profile_errors() {
        for (y, want) in [
            ("{url: 'not a url'}", "`url`"),
            ("{url: 'ftp://x/'}", "http://"),
            ("{url: 'http://x/', expect_status: 42}", "42"),
            ("{url: 'http://x/', expect_text: '[a'}", "[a"),
            ("{url: 'http://x/', proxy: maybe}", "maybe"),
        ] {
            let e = build(&v(y))
                .err()
                .unwrap_or_else(|| panic!("{y} was accepted"));
            assert!(e.contains(want), "{y}: {e}");
        }
        assert!(
            build(&v(
                "{url: 'https://x/', expect_status: [200, 204], proxy: none}"
            ))
            .is_ok()
        );
    }
}
