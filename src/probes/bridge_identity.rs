//! Kind `bridge_identity`: is it really the NHI component that answers on :7777? Over
//! TLS (any certificate), `GET /` with the `Host` a browser sends; the component answers
//! with `Server: NHIICC-/1.0` and a page saying 已確認為可信任服務！. Anything else — plain
//! HTTP on the TLS port, another web server, a connection closed without a word — is not
//! the component, and the finding names what answered.

use crate::engine::kind::Simulated;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use super::{BoxFuture, Ctx, Kind, Probe, de_duration};
use crate::bridge::codes::CONNECTION_FINDINGS;
use crate::bridge::http::{self, Limits, ReadError, Response};
use crate::bridge::params::{Connection, Keys, check_path};
use crate::bridge::{
    Budget, NetError, Step, Target, farewell, net_failure, printable, take_turn, tls,
    with_plain_answer,
};
use crate::engine::outcome::{Msg, Outcome, Value};

pub const KIND: Kind = Kind {
    name: "bridge_identity",
    findings: &super::joined::<{ 1 + CONNECTION_FINDINGS.len() }>(&[
        &["bridge.not_component"],
        CONNECTION_FINDINGS,
    ]),
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(crate::bridge::params::point_at_bridge),
};

#[derive(Clone)]
struct Params {
    conn: Connection,
    own: Own,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Own {
    #[serde(default = "default_path")]
    path: String,
    /// The component's `Server:` header starts with this (case-insensitive).
    #[serde(default = "default_server_prefix")]
    server_prefix: String,
    /// Text of the component's page, for a build that drops the header.
    #[serde(default = "default_page_marker")]
    page_marker: String,
    /// Read no more of the body than this: the real page is 1350 bytes.
    #[serde(default = "default_max_body")]
    max_body: usize,
    #[serde(default = "default_read", deserialize_with = "de_duration")]
    read_timeout: Duration,
}

fn default_path() -> String {
    "/".into()
}
fn default_server_prefix() -> String {
    "NHIICC".into()
}
fn default_page_marker() -> String {
    "可信任服務".into()
}
fn default_max_body() -> usize {
    64 * 1024
}
fn default_read() -> Duration {
    Duration::from_secs(3)
}

struct BridgeIdentity {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let mut keys = Keys::new(v)?;
    let p = Params {
        conn: keys.take()?,
        own: keys.own()?,
    };
    check_path(&p.own.path)?;
    Ok(Arc::new(BridgeIdentity { p }))
}

impl Probe for BridgeIdentity {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(async move {
            let budget = Budget::new(ctx.timeout);
            let _turn = take_turn(&budget).await;
            identify(&p, budget).await
        })
    }
}

impl Params {
    fn request(&self) -> String {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ecpa-doctor\r\nAccept: text/html\r\nConnection: close\r\n\r\n",
            self.own.path,
            self.conn.host_header()
        )
    }

    fn limits(&self) -> Limits {
        Limits {
            body_max: self.own.max_body,
            ..Limits::default()
        }
    }
}

async fn identify(p: &Params, budget: Budget) -> Outcome {
    let target = p.conn.target();
    let answer = match tls::connect(&target, &p.conn.sni, &budget, p.conn.waits()).await {
        Ok(mut conn) => {
            let answer = ask(&mut conn.stream, p, &budget).await;
            farewell::close(conn.stream);
            answer
        }
        Err(NetError::NotTls { answer })
            if http::parse_head(&answer).is_some_and(|(h, _)| h.status.is_some()) =>
        {
            return plain_http(&target, &answer);
        }
        // Something that is silent to a TLS hello, or answers it with non-HTTP bytes, may
        // still be a plain web server waiting for a request: ask it one, to name it.
        Err(
            e @ (NetError::NotTls { .. }
            | NetError::Silent {
                step: Step::TlsHandshake,
                ..
            }),
        ) => {
            return match ask_plain(&target, p, &budget).await {
                Some(answer) => plain_http(&target, &answer),
                None => net_failure(&e, &target),
            };
        }
        Err(e) => return net_failure(&e, &target),
    };
    let o = match answer {
        Ok(resp) => judge(p, &resp),
        Err(ReadError::Timeout) => {
            return net_failure(
                &NetError::Silent {
                    step: Step::HttpResponse,
                    after: budget.step(p.own.read_timeout),
                },
                &target,
            );
        }
        Err(ReadError::Empty) => not_component(Msg::new("bridge.not_component_empty")),
        Err(ReadError::Io(e)) => {
            not_component(Msg::new("bridge.not_component_empty")).with("error", e)
        }
        Err(ReadError::NotHttp(bytes)) => not_component(Msg::new("bridge.not_component_garbage"))
            .with("first_bytes", printable(&bytes[..bytes.len().min(64)], 120)),
        Err(ReadError::HeadTooLarge) => not_component(Msg::new("bridge.not_component_garbage"))
            .with("error", Msg::new("value.http.head_too_large")),
    };
    o.with("address", target.to_string()).with(
        "request",
        format!("GET {} (Host: {})", p.own.path, p.conn.host_header()),
    )
}

async fn ask<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin>(
    s: &mut S,
    p: &Params,
    budget: &Budget,
) -> Result<Response, ReadError> {
    s.write_all(p.request().as_bytes())
        .await
        .map_err(|e| ReadError::Io(e.to_string()))?;
    let _ = s.flush().await;
    http::read_response(s, p.limits(), budget.step(p.own.read_timeout), true).await
}

/// A plain-text GET on a fresh connection; the head bytes when an HTTP answer came.
async fn ask_plain(target: &Target, p: &Params, budget: &Budget) -> Option<Vec<u8>> {
    let mut tcp = tls::tcp(target, budget, p.conn.connect_timeout)
        .await
        .ok()?;
    let resp = ask(&mut tcp, p, budget).await;
    farewell::close(tcp);
    let resp = resp.ok()?;
    let mut head = resp.head.status_line.clone().into_bytes();
    for (k, v) in &resp.head.headers {
        head.extend_from_slice(format!("\r\n{k}: {v}").as_bytes());
    }
    head.extend_from_slice(b"\r\n\r\n");
    Some(head)
}

fn plain_http(target: &Target, answer: &[u8]) -> Outcome {
    let status = http::parse_head(answer)
        .map(|(h, _)| h.status_line)
        .unwrap_or_default();
    let o = not_component(
        Msg::new("bridge.not_component_plain").arg("status", printable(status.as_bytes(), 80)),
    )
    .with("address", target.to_string());
    with_plain_answer(o, answer)
}

fn not_component(msg: Msg) -> Outcome {
    Outcome::fail("bridge.not_component", msg)
}

fn judge(p: &Params, resp: &Response) -> Outcome {
    let server = resp
        .head
        .header("server")
        .map(|s| printable(s.as_bytes(), 120));
    let body = String::from_utf8_lossy(&resp.body);
    let by_header = server.as_deref().is_some_and(|s| {
        s.to_ascii_lowercase()
            .starts_with(&p.own.server_prefix.to_ascii_lowercase())
    });
    let by_page = !p.own.page_marker.is_empty() && body.contains(&p.own.page_marker);
    let status = printable(resp.head.status_line.as_bytes(), 120);
    let o = if by_header || by_page {
        Outcome::pass(
            Msg::new("bridge.identity_pass")
                .arg("server", server.clone().unwrap_or_else(|| "-".into())),
        )
    } else {
        not_component(
            Msg::new("bridge.not_component")
                .arg("status", status.as_str())
                .arg("server", server.clone().unwrap_or_else(|| "-".into())),
        )
    };
    let mut o = o.with("status_line", status);
    if let Some(s) = server {
        o = o.with("server_header", s);
    }
    if let Some(t) = http::html_title(&resp.body) {
        o = o.with("page_title", printable(t.as_bytes(), 80));
    }
    o = o.with(
        "body_read",
        body_read(resp.body.len(), resp.head.content_length(), resp.truncated),
    );
    let by = match (by_header, by_page) {
        (true, true) => "value.identified_by.both",
        (true, false) => "value.identified_by.header",
        (false, true) => "value.identified_by.page",
        (false, false) => "value.identified_by.neither",
    };
    o.with("identified_by", Msg::new(by))
}

/// `1350 bytes of 1350`, `65536 bytes (stopped reading)`: what was read of the page
/// against what its `Content-Length` announced.
fn body_read(read: usize, declared: Option<u64>, truncated: bool) -> Value {
    let read_text = match declared {
        Some(n) => Msg::new("value.bytes_of")
            .arg("count", read.to_string())
            .arg("total", n.to_string()),
        None => Msg::new("value.bytes").arg("count", read.to_string()),
    };
    if truncated {
        Msg::new("value.http.stopped_reading")
            .arg("read", read_text)
            .into()
    } else {
        read_text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn what_was_read_is_said_in_both_languages() {
        let v = body_read(1350, Some(1350), false);
        assert_eq!(
            (v.render(false), v.render_in(Lang::ZhTw, false)),
            (
                "1350 bytes of 1350".to_string(),
                "1350 / 1350 位元組".to_string()
            )
        );
        let v = body_read(65536, None, true);
        assert_eq!(
            (v.render(false), v.render_in(Lang::ZhTw, false)),
            (
                "65536 bytes (stopped reading)".to_string(),
                "65536 位元組（已停止讀取）".to_string()
            )
        );
    }
}
