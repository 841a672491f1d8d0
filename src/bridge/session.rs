//! One WebSocket conversation with the component on `wss://…:7777/echo`, shared by the
//! checks that talk to it (`bridge_protocol`, `nhi_signature`, `registration`): the
//! upgrade a browser on eCPA sends, then commands answered either `Name:payload` or with
//! a bare 4-digit code, which maps through `assets/bridge-codes.yaml` to a finding.
//! Every wait is cut to the check's budget; what a reply says becomes a finding, never a
//! panic; card data, passwords and their encrypted forms never reach the transcript.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use zeroize::Zeroizing;

use super::http::{self, Limits, ReadError};
use super::ws::{self, FrameError, FrameReader, Message};
use super::{Budget, NetError, Step, Target, codes, net_failure, printable};
use crate::engine::outcome::{Msg, Outcome, Value};

/// How the upgrade and the commands are sent (the check's parameters).
#[derive(Clone, Debug)]
pub struct Dialogue {
    pub path: String,
    pub host_header: String,
    pub origin: Option<String>,
    pub reply_timeout: Duration,
    pub max_frame: usize,
}

/// What the component said to one command.
pub enum Reply {
    Payload(String),
    Stop(Outcome),
}

/// Replies whose payload is card data or derived from the password or card: the
/// transcript gives their length only.
const UNSHOWN_PAYLOADS: &[&str] = &["GetBasic", "SecureGetBasicWithParam", "EnCrypt", "H_Sign"];

pub async fn upgrade<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    d: &Dialogue,
    target: &Target,
    budget: &Budget,
) -> Result<FrameReader, Outcome> {
    let key = ws::client_key();
    let req = ws::upgrade_request(&d.path, &d.host_header, d.origin.as_deref(), &key);
    if let Err(e) = s.write_all(req.as_bytes()).await {
        return Err(
            Outcome::fail("ws.refused", Msg::new("ws.refused_closed")).with("error", e.to_string())
        );
    }
    let wait = budget.step(d.reply_timeout);
    let resp = match http::read_response(s, Limits::default(), wait, false).await {
        Ok(r) => r,
        Err(ReadError::Timeout) => return Err(silent(target, Step::WsUpgrade, wait, None)),
        Err(ReadError::Empty) => {
            return Err(Outcome::fail("ws.refused", Msg::new("ws.refused_closed")));
        }
        Err(ReadError::Io(e)) => {
            return Err(Outcome::fail("ws.refused", Msg::new("ws.refused_closed")).with("error", e));
        }
        Err(ReadError::NotHttp(b)) => {
            return Err(Outcome::fail("ws.garbled", Msg::new("ws.upgrade_garbled"))
                .with("first_bytes", printable(&b[..b.len().min(64)], 120)));
        }
        Err(ReadError::HeadTooLarge) => {
            return Err(Outcome::fail("ws.garbled", Msg::new("ws.upgrade_garbled"))
                .with("error", Msg::new("value.http.head_too_large")));
        }
    };
    let status = printable(resp.head.status_line.as_bytes(), 120);
    if resp.head.status != Some(101) {
        let mut o = Outcome::fail(
            "ws.refused",
            Msg::new("ws.refused").arg("status", status.as_str()),
        )
        .with("status_line", status);
        if let Some(server) = resp.head.header("server") {
            o = o.with("server_header", printable(server.as_bytes(), 120));
        }
        return Err(o);
    }
    let accept = resp.head.header("sec-websocket-accept").unwrap_or_default();
    if accept != ws::accept_for(&key) {
        return Err(Outcome::fail("ws.garbled", Msg::new("ws.bad_accept"))
            .with("status_line", status)
            .with("accept", printable(accept.as_bytes(), 60)));
    }
    Ok(FrameReader::new(resp.extra))
}

pub fn silent(target: &Target, step: Step, after: Duration, command: Option<&str>) -> Outcome {
    let mut o = net_failure(&NetError::Silent { step, after }, target);
    if let Some(c) = command {
        o.summary = o.summary.arg("command", c);
        o = o.with("command", c);
    }
    o
}

/// A command with no secret in it (`GetVersion`, `H_Sign?Random=…`): the reply must start
/// with `name:`; the transcript shows the request as sent.
#[allow(clippy::too_many_arguments)]
pub async fn command<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    frames: &mut FrameReader,
    name: &str,
    request: &str,
    d: &Dialogue,
    target: &Target,
    budget: &Budget,
    transcript: &mut Vec<Value>,
) -> Reply {
    let frame = ws::client_frame(ws::OP_TEXT, request.as_bytes());
    exchange(
        s,
        frames,
        name,
        request.into(),
        &frame,
        d,
        target,
        budget,
        transcript,
    )
    .await
}

/// A command carrying the registration password: the request and its frame live in wiped
/// buffers and the transcript shows `name?Pwd=(hidden)`.
#[allow(clippy::too_many_arguments)]
pub async fn secret_command<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    frames: &mut FrameReader,
    name: &str,
    request: &Zeroizing<String>,
    d: &Dialogue,
    target: &Target,
    budget: &Budget,
    transcript: &mut Vec<Value>,
) -> Reply {
    let frame = Zeroizing::new(ws::client_frame(ws::OP_TEXT, request.as_bytes()));
    let shown = Msg::new("value.ws.password_hidden")
        .arg("command", name)
        .into();
    exchange(
        s, frames, name, shown, &frame, d, target, budget, transcript,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    frames: &mut FrameReader,
    name: &str,
    shown: Value,
    frame: &[u8],
    d: &Dialogue,
    target: &Target,
    budget: &Budget,
    transcript: &mut Vec<Value>,
) -> Reply {
    if let Err(e) = s.write_all(frame).await {
        transcript.push(step(shown, aside(Msg::new("value.ws.not_sent"))));
        return Reply::Stop(
            Outcome::fail("ws.closed", Msg::new("ws.closed").arg("command", name))
                .with("error", e.to_string()),
        );
    }
    let wait = budget.step(d.reply_timeout);
    let msg = ws::read_message(s, frames, d.max_frame, wait).await;
    let (note, reply) = judge_reply(target, name, msg, wait);
    transcript.push(step(shown, note));
    reply
}

/// `GetVersion → GetVersion:0011`, one line of the transcript.
fn step(shown: Value, note: Value) -> Value {
    Value::join([shown, note], " → ")
}

/// `(…)` around a note of ours in the transcript, in the report's language.
fn aside(note: impl Into<Value>) -> Value {
    Msg::new("value.aside").arg("text", note).into()
}

/// A transcript note (never card data or secrets) and what the reply means.
pub fn judge_reply(
    target: &Target,
    cmd: &str,
    msg: Result<Message, FrameError>,
    wait: Duration,
) -> (Value, Reply) {
    let closed = |note: Value| {
        Reply::Stop(
            Outcome::fail("ws.closed", Msg::new("ws.closed").arg("command", cmd))
                .with("closed", note),
        )
    };
    let unshown = UNSHOWN_PAYLOADS.contains(&cmd);
    let chars = |key: &str, t: &str| {
        Msg::new(key)
            .arg("command", cmd)
            .arg("count", t.chars().count().to_string())
    };
    match msg {
        Err(FrameError::Timeout) => (
            aside(Msg::new("value.ws.no_reply")),
            Reply::Stop(silent(target, Step::Reply, wait, Some(cmd))),
        ),
        Err(FrameError::Closed { partial }) => {
            let note = if partial == 0 {
                Msg::new("value.ws.closed_silently")
            } else {
                Msg::new("value.ws.closed_mid_frame").arg("bytes", partial.to_string())
            };
            (aside(note.clone()), closed(note.into()))
        }
        Err(FrameError::Io(e)) => (aside(Msg::new("value.ws.broken")), closed(e.into())),
        Err(FrameError::TooLarge { announced }) => (
            aside(Msg::new("value.ws.frame_of").arg("bytes", announced.to_string())),
            Reply::Stop(Outcome::fail(
                "ws.garbled",
                Msg::new("ws.too_large")
                    .arg("command", cmd)
                    .arg("bytes", announced.to_string()),
            )),
        ),
        Ok(Message::Close(code)) => {
            let note = match code {
                Some(c) => Msg::new("value.ws.close_frame_status").arg("status", c.to_string()),
                None => Msg::new("value.ws.close_frame"),
            };
            (aside(note.clone()), closed(note.into()))
        }
        Ok(Message::Binary(n)) => (
            aside(Msg::new("value.ws.binary_frame").arg("bytes", n.to_string())),
            Reply::Stop(Outcome::fail(
                "ws.garbled",
                Msg::new("ws.binary")
                    .arg("command", cmd)
                    .arg("bytes", n.to_string()),
            )),
        ),
        Ok(Message::Garbled(d)) => (
            aside(d.clone()),
            Reply::Stop(Outcome::fail(
                "ws.garbled",
                Msg::new("ws.garbled").arg("command", cmd).arg("detail", d),
            )),
        ),
        Ok(Message::Text(t)) if codes::is_code(&t) => {
            (t.clone().into(), Reply::Stop(code_outcome(cmd, &t)))
        }
        Ok(Message::Text(t)) => match t.strip_prefix(cmd).and_then(|r| r.strip_prefix(':')) {
            Some(payload) => {
                let note: Value = match cmd {
                    "GetBasic" => Msg::new("value.ws.card_data").arg("command", cmd).into(),
                    _ if unshown => chars("value.ws.payload_length", payload).into(),
                    _ => printable(t.as_bytes(), 60).into(),
                };
                (note, Reply::Payload(payload.to_string()))
            }
            // The macOS component answers SecureGetBasicWithParam with the bare hex, no
            // prefix (seen by a relying party).
            None if cmd == "SecureGetBasicWithParam" && is_hex(&t) => {
                (chars("value.ws.bare_hex", &t).into(), Reply::Payload(t))
            }
            None => {
                // An odd answer to GetBasic may still carry card data (a third-party
                // agent without the prefix): show its shape, never its text.
                let shown: Value = if unshown {
                    chars("value.ws.not_shown", &t).into()
                } else {
                    printable(t.as_bytes(), 60).into()
                };
                (
                    shown.clone(),
                    Reply::Stop(Outcome::fail(
                        "ws.garbled",
                        Msg::new("ws.unexpected")
                            .arg("command", cmd)
                            .arg("reply", shown),
                    )),
                )
            }
        },
    }
}

fn is_hex(t: &str) -> bool {
    t.len() >= 16 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The finding for a bare code, with NHI's own wording for it as evidence.
pub fn code_outcome(cmd: &str, code: &str) -> Outcome {
    let entry = codes::lookup(code);
    let finding = entry.map_or(codes::UNKNOWN_FINDING, |e| e.finding.as_str());
    let o = Outcome::fail(
        finding,
        Msg::new(finding).arg("code", code).arg("command", cmd),
    )
    .with("bridge_code", code)
    .with("command", cmd);
    match entry.and_then(|e| e.official.as_deref()) {
        Some(text) => o.with("official_message", text),
        None => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t() -> Target {
        Target {
            host: "127.0.0.1".into(),
            port: 7777,
        }
    }

    #[test]
    fn derived_payloads_show_only_their_length() {
        let w = Duration::from_secs(1);
        let sig = format!("H_Sign:{}", "A".repeat(256));
        let (note, r) = judge_reply(&t(), "H_Sign", Ok(Message::Text(sig)), w);
        assert_eq!(note.render(false), "H_Sign:(256 characters)");
        assert_eq!(
            note.render_in(crate::i18n::Lang::ZhTw, false),
            "H_Sign:（256 個字元）"
        );
        assert!(matches!(r, Reply::Payload(p) if p.len() == 256));
        let (note, _) = judge_reply(
            &t(),
            "EnCrypt",
            Ok(Message::Text(format!("EnCrypt:{}", "B4".repeat(24)))),
            w,
        );
        assert_eq!(note.render(false), "EnCrypt:(48 characters)");
        let (note, _) = judge_reply(
            &t(),
            "GetRandom",
            Ok(Message::Text("GetRandom:5573426812545123".into())),
            w,
        );
        assert_eq!(note, Value::from("GetRandom:5573426812545123"));
    }

    #[test]
    fn codes_keep_the_official_wording() {
        let o = code_outcome("H_Sign", "4061");
        assert_eq!(o.finding.as_deref(), Some("ws.cloud_unreachable"));
        assert_eq!(
            o.evidence("official_message")
                .map(|v| v.render(false))
                .as_deref(),
            Some("無法連接服務網站")
        );
    }
}
