//! Kind `clock`: is this computer's clock right? The component derives the keys of
//! `EnCrypt` and `SecureGetBasicWithParam` from today's date, so a PC whose date is off
//! produces values NHI rejects, and certificates look expired or not yet valid. The local
//! clock is compared with the `Date` header of a configured web server (NHI's registration
//! site by default). Advisory: offline, or with no usable answer, it warns that it could
//! not compare, and it never waits longer than its own short timeouts.

use crate::engine::kind::{Simulated, StandIns};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::{BoxFuture, Ctx, Kind, Probe, de_duration, params};
use crate::bridge::http::{self, Limits, ReadError};
use crate::bridge::{Budget, NetError, Target, farewell, printable, tls};
use crate::engine::outcome::{Msg, Outcome, Value};

pub const KIND: Kind = Kind {
    name: "clock",
    findings: &["clock.skewed", "clock.unverified"],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the world's time server.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("url", w.time_url.as_str().into())]
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Params {
    /// An `https://` (or `http://`) address whose server keeps good time.
    #[serde(default = "default_url")]
    url: String,
    /// More difference than this warns.
    #[serde(default = "default_max_skew", deserialize_with = "de_duration")]
    max_skew: Duration,
    #[serde(default = "default_connect", deserialize_with = "de_duration")]
    connect_timeout: Duration,
    #[serde(default = "default_connect", deserialize_with = "de_duration")]
    handshake_timeout: Duration,
    #[serde(default = "default_reply", deserialize_with = "de_duration")]
    reply_timeout: Duration,
}

fn default_url() -> String {
    "https://cloudicweb.nhi.gov.tw/".into()
}
fn default_max_skew() -> Duration {
    Duration::from_secs(5 * 60)
}
fn default_connect() -> Duration {
    Duration::from_secs(2)
}
fn default_reply() -> Duration {
    Duration::from_secs(3)
}

/// Where to ask, parsed once when the profile loads.
#[derive(Clone)]
struct Endpoint {
    tls: bool,
    host: String,
    port: u16,
    path: String,
}

struct Clock {
    p: Params,
    at: Endpoint,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    let url = reqwest::Url::parse(&p.url).map_err(|e| format!("`url` {}: {e}", p.url))?;
    let tls = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return Err(format!("`url` must be http or https, not {other}")),
    };
    let host = url
        .host_str()
        .ok_or_else(|| format!("`url` {} has no host", p.url))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    Ok(Arc::new(Clock {
        at: Endpoint {
            tls,
            host,
            port,
            path,
        },
        p,
    }))
}

impl Probe for Clock {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let (p, at) = (self.p.clone(), self.at.clone());
        Box::pin(async move {
            let budget = Budget::new(ctx.timeout);
            let o = match ask(&p, &at, &budget).await {
                Ok(asked) => judge(&asked, p.max_skew),
                Err(why) => Outcome::warn(
                    "clock.unverified",
                    Msg::new("clock.unverified").arg("host", at.host.as_str()),
                )
                .with("error", why),
            };
            o.with("time_source", p.url.clone())
        })
    }
}

/// The server's `Date` and the local clock around the request.
struct Asked {
    server: DateTime<Utc>,
    sent: SystemTime,
    received: SystemTime,
}

async fn ask(p: &Params, at: &Endpoint, budget: &Budget) -> Result<Asked, Value> {
    let target = Target {
        host: at.host.clone(),
        port: at.port,
    };
    let sent = SystemTime::now();
    let head = if at.tls {
        // Any certificate is accepted: a clock off by a year makes every certificate look
        // expired, which is exactly the case this check is for. Only the time is read.
        let waits = tls::Waits {
            connect: p.connect_timeout,
            handshake: p.handshake_timeout,
        };
        let mut conn = tls::connect(&target, &at.host, budget, waits)
            .await
            .map_err(|e| net_text(&e))?;
        let head = request(&mut conn.stream, at, p, budget).await;
        farewell::close(conn.stream);
        head?
    } else {
        let mut tcp = tls::tcp(&target, budget, p.connect_timeout)
            .await
            .map_err(|e| net_text(&e))?;
        let head = request(&mut tcp, at, p, budget).await;
        farewell::close(tcp);
        head?
    };
    let received = SystemTime::now();
    let date = head.header("date").ok_or_else(|| {
        Value::from(
            Msg::new("value.clock.no_date")
                .arg("status", printable(head.status_line.as_bytes(), 60)),
        )
    })?;
    let server = DateTime::parse_from_rfc2822(date.trim())
        .map_err(|_| {
            Value::from(
                Msg::new("value.clock.bad_date").arg("date", printable(date.as_bytes(), 60)),
            )
        })?
        .with_timezone(&Utc);
    Ok(Asked {
        server,
        sent,
        received,
    })
}

async fn request<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    at: &Endpoint,
    p: &Params,
    budget: &Budget,
) -> Result<http::Head, Value> {
    let host = if at.host.contains(':') {
        format!("[{}]", at.host)
    } else {
        at.host.clone()
    };
    let req = format!(
        "HEAD {} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: ecpa-doctor\r\nConnection: close\r\n\r\n",
        at.path
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| Value::from(e.to_string()))?;
    match http::read_response(s, Limits::default(), budget.step(p.reply_timeout), false).await {
        Ok(r) => Ok(r.head),
        Err(ReadError::Timeout) => Err(Msg::new("value.clock.no_answer").into()),
        Err(ReadError::Empty) => Err(Msg::new("value.clock.closed").into()),
        Err(ReadError::Io(e)) => Err(e.into()),
        Err(ReadError::NotHttp(b)) => Err(Msg::new("value.clock.not_http")
            .arg("answer", printable(&b[..b.len().min(40)], 60))
            .into()),
        Err(ReadError::HeadTooLarge) => Err(Msg::new("value.clock.head_too_large").into()),
    }
}

fn net_text(e: &NetError) -> Value {
    match e {
        NetError::Refused => Msg::new("value.clock.refused").into(),
        NetError::ConnectFailed(m) | NetError::TlsFailed(m) => m.clone(),
        NetError::Silent { step, after } => Msg::new("value.clock.silent")
            .arg("step", step.value())
            .arg("seconds", format!("{:.1}", after.as_secs_f64()))
            .into(),
        NetError::NotTls { answer } => Msg::new("value.clock.not_tls")
            .arg("answer", printable(&answer[..answer.len().min(40)], 60))
            .into(),
    }
}

/// The skew, allowing for the round trip and the header's one-second resolution.
fn judge(a: &Asked, max_skew: Duration) -> Outcome {
    let round_trip = a.received.duration_since(a.sent).unwrap_or_default();
    let middle: DateTime<Utc> = (a.sent + round_trip / 2).into();
    // `Date` is truncated to its second: the server's clock read somewhere inside it.
    let skew = middle.signed_duration_since(a.server + chrono::Duration::milliseconds(500));
    let slack =
        chrono::Duration::from_std(round_trip / 2 + Duration::from_secs(1)).unwrap_or_default();
    let beyond = skew.abs() - slack;
    let local = middle
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string();
    let server = a
        .server
        .with_timezone(&chrono::Local)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string();
    let words = skew_words(skew);
    let o = if beyond > chrono::Duration::from_std(max_skew).unwrap_or_default() {
        let key = if skew > chrono::Duration::zero() {
            "clock.ahead"
        } else {
            "clock.behind"
        };
        Outcome::fail(
            "clock.skewed",
            Msg::new(key)
                .arg("skew", words.clone())
                .arg("server_time", server.as_str()),
        )
    } else {
        Outcome::pass(Msg::new("clock.pass").arg("skew", words.clone()))
    };
    o.with("local_time", local)
        .with("server_time", server)
        .with("skew", words)
        .with(
            "round_trip",
            Msg::new("value.milliseconds").arg("ms", round_trip.as_millis().to_string()),
        )
}

/// `3 h 2 min`, never negative (the summary says ahead or behind). From a minute up it is
/// rounded to the minute: a one-second header read over the network cannot honestly say
/// "59 min 59 s" for a clock an hour off.
fn skew_words(d: chrono::Duration) -> Value {
    let exact = (d.num_milliseconds().unsigned_abs() + 500) / 1000;
    let s = if exact >= 60 {
        (exact + 30) / 60 * 60
    } else {
        exact
    };
    let (days, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    for (n, key) in [
        (days, "value.duration.days"),
        (h, "value.duration.hours"),
        (m, "value.duration.minutes"),
    ] {
        if n > 0 {
            parts.push(Msg::new(key).arg("n", n.to_string()));
        }
    }
    if sec > 0 || parts.is_empty() {
        parts.push(Msg::new("value.seconds").arg("seconds", sec.to_string()));
    }
    Value::join(parts, " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;

    fn asked(server_offset_secs: i64) -> Asked {
        let now = SystemTime::now();
        let server = DateTime::<Utc>::from(now) + chrono::Duration::seconds(server_offset_secs);
        Asked {
            server,
            sent: now,
            received: now + Duration::from_millis(40),
        }
    }

    #[test]
    fn within_five_minutes_passes_and_beyond_warns_with_direction() {
        assert_eq!(judge(&asked(-120), default_max_skew()).status, Status::Pass);
        let ahead = judge(&asked(-3600), default_max_skew());
        assert_eq!(ahead.finding.as_deref(), Some("clock.skewed"));
        assert_eq!(ahead.summary.key, "clock.ahead");
        let behind = judge(&asked(3 * 86_400), default_max_skew());
        assert_eq!(behind.summary.key, "clock.behind");
    }

    #[test]
    fn skew_reads_naturally() {
        let en = |d| skew_words(d).render(false);
        assert_eq!(en(chrono::Duration::seconds(-3725)), "1 h 2 min");
        assert_eq!(en(chrono::Duration::milliseconds(3_599_400)), "1 h");
        assert_eq!(en(chrono::Duration::seconds(42)), "42 s");
        assert_eq!(en(chrono::Duration::zero()), "0 s");
        assert_eq!(en(chrono::Duration::seconds(90_000)), "1 d 1 h");
        assert_eq!(
            skew_words(chrono::Duration::seconds(90_000)).render_in(crate::i18n::Lang::ZhTw, false),
            "1 天 1 小時"
        );
    }

    #[test]
    fn urls_are_checked_when_the_profile_loads() {
        let ok = serde_yaml::from_str("url: https://cloudicweb.nhi.gov.tw/").unwrap();
        assert!(build(&ok).is_ok());
        let bad = serde_yaml::from_str("url: ftp://example.org/").unwrap();
        assert!(build(&bad).is_err());
    }
}
