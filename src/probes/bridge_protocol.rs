//! Kind `bridge_protocol`: the WebSocket conversation the eCPA page has with the
//! component. Upgrade on `wss://…:7777/echo` with the `Host` and `Origin` a browser on
//! eCPA sends, then `GetVersion` and `GetBasic`. Success replies are `Command:payload`;
//! failures are a bare 4-digit code, mapped through `assets/bridge-codes.yaml` to a
//! finding. The card `GetBasic` reports is compared with the one ecpa-doctor read itself
//! over PC/SC, so a second reader or card the component reads instead is caught.

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{BoxFuture, Ctx, Kind, Probe, params};
use crate::bridge::session::{self, Dialogue, Reply};
use crate::bridge::{Budget, Target, check_server_name, de_duration, net_failure, printable, take_turn, tls};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::engine::pii::{Pii, PiiKind};

pub const KIND: Kind = Kind {
    name: "bridge_protocol",
    findings: &[
        "ws.refused",
        "ws.garbled",
        "ws.closed",
        "ws.origin_list_unreachable",
        "ws.origin_refused",
        "ws.cloud_unreachable",
        "ws.cloud_auth_failed",
        "ws.signature_failed",
        "ws.pcsc_error",
        "ws.reader_unavailable",
        "ws.no_card",
        "ws.card_unreachable",
        "ws.card_read_failed",
        "ws.component_error",
        "ws.command_unknown",
        "ws.card_mismatch",
        "bridge.refused",
        "bridge.no_answer",
        "bridge.connect_failed",
        "bridge.not_tls",
        "bridge.tls_failed",
    ],
    build,
};

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "crate::bridge::defaults::host")]
    host: String,
    #[serde(default = "crate::bridge::defaults::port")]
    port: u16,
    #[serde(default = "crate::bridge::defaults::sni")]
    sni: String,
    /// `Host:` of the upgrade; by default `<sni>:<port>`, as a browser sends it.
    #[serde(default)]
    host_header: Option<String>,
    /// `Origin:` of the upgrade: the page the browser is on. `null` sends none.
    #[serde(default = "default_origin")]
    origin: Option<String>,
    #[serde(default = "default_path")]
    path: String,
    /// Compare `GetBasic` with the card read by this check (it must be in `needs`).
    /// Without it, the card is not compared.
    #[serde(default)]
    cross_check: Option<String>,
    /// The largest reply accepted; a `GetBasic` reply is well under 100 bytes.
    #[serde(default = "default_max_frame")]
    max_frame: usize,
    #[serde(default = "crate::bridge::defaults::connect", deserialize_with = "de_duration")]
    connect_timeout: Duration,
    #[serde(default = "crate::bridge::defaults::handshake", deserialize_with = "de_duration")]
    handshake_timeout: Duration,
    /// Wait for each answer (the upgrade and every command). The real `GetBasic` takes
    /// about 0.3 s with a card.
    #[serde(default = "default_reply", deserialize_with = "de_duration")]
    reply_timeout: Duration,
}

fn default_origin() -> Option<String> {
    Some("https://ecpa.dgpa.gov.tw".into())
}
fn default_path() -> String {
    "/echo".into()
}
fn default_max_frame() -> usize {
    64 * 1024
}
fn default_reply() -> Duration {
    Duration::from_secs(3)
}

struct BridgeProtocol {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    check_server_name(&p.sni)?;
    if !p.path.starts_with('/') {
        return Err(format!("`path` must start with `/`, not `{}`", p.path));
    }
    Ok(Arc::new(BridgeProtocol { p }))
}

impl Probe for BridgeProtocol {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(async move {
            let target = Target { host: p.host.clone(), port: p.port };
            let budget = Budget::new(ctx.timeout);
            let _turn = take_turn(&budget).await;
            let o = converse(&p, &target, &budget, &ctx).await;
            o.with("origin", p.origin.clone().unwrap_or_else(|| "-".into())).with("host_header", p.host_header())
        })
    }
}

impl Params {
    fn host_header(&self) -> String {
        self.host_header.clone().unwrap_or_else(|| format!("{}:{}", self.sni, self.port))
    }

    fn dialogue(&self) -> Dialogue {
        Dialogue { path: self.path.clone(), host_header: self.host_header(), origin: self.origin.clone(), reply_timeout: self.reply_timeout, max_frame: self.max_frame }
    }
}

async fn converse(p: &Params, target: &Target, budget: &Budget, ctx: &Ctx) -> Outcome {
    let waits = tls::Waits { connect: p.connect_timeout, handshake: p.handshake_timeout };
    let mut conn = match tls::connect(target, &p.sni, budget, waits).await {
        Ok(c) => c,
        Err(e) => return net_failure(&e, target),
    };
    let o = talk(&mut conn.stream, p, target, budget, ctx).await;
    o.with("address", target.to_string())
}

async fn talk<S: AsyncRead + AsyncWrite + Unpin>(s: &mut S, p: &Params, target: &Target, budget: &Budget, ctx: &Ctx) -> Outcome {
    let d = p.dialogue();
    let mut frames = match session::upgrade(s, &d, target, budget).await {
        Ok(f) => f,
        Err(o) => return o,
    };
    let mut transcript = Vec::new();
    let version = match session::command(s, &mut frames, "GetVersion", "GetVersion", &d, target, budget, &mut transcript).await {
        Reply::Payload(v) => v,
        Reply::Stop(o) => return with_context(o, &transcript, ctx, p),
    };
    let basic = match session::command(s, &mut frames, "GetBasic", "GetBasic", &d, target, budget, &mut transcript).await {
        Reply::Payload(b) => b,
        Reply::Stop(o) => return with_context(o.with("version", printable(version.as_bytes(), 20)), &transcript, ctx, p),
    };
    session::close(s).await;
    let o = match Basic::parse(&basic) {
        Some(b) => cross_check(b, p, ctx, &version),
        None => Outcome::fail("ws.garbled", Msg::new("ws.basic_garbled").arg("fields", basic.split(',').count().to_string())),
    };
    with_context(o.with("version", printable(version.as_bytes(), 20)), &transcript, ctx, p)
}

fn with_context(o: Outcome, transcript: &[String], ctx: &Ctx, p: &Params) -> Outcome {
    let o = o.with("exchange", transcript.join("; "));
    // For "the component cannot reach the card": say which reader ecpa-doctor itself read
    // the card from, since the component only looks at the first one.
    let card = p.cross_check.as_ref().and_then(|id| ctx.prior.get(id));
    match (o.finding.as_deref(), card.and_then(|c| c.evidence("reader"))) {
        (Some("ws.card_unreachable" | "ws.no_card" | "ws.card_read_failed"), Some(r)) => {
            let r = r.render(false);
            o.with("card_seen_by_doctor", r)
        }
        _ => o,
    }
}

/// The six fields of `GetBasic:<card_no>,<id>,<name>,<birth>,<sex>,<x>`.
struct Basic {
    card_no: String,
    id_no: String,
    name: String,
    birth: String,
    sex: String,
    extra: String,
}

impl Basic {
    fn parse(payload: &str) -> Option<Basic> {
        let f: Vec<&str> = payload.split(',').collect();
        let [card_no, id_no, name, birth, sex, extra] = f.as_slice() else { return None };
        if card_no.is_empty() || id_no.is_empty() {
            return None;
        }
        Some(Basic {
            card_no: card_no.to_string(),
            id_no: id_no.to_string(),
            name: name.trim_end_matches(['\0', ' ']).to_string(),
            birth: birth.to_string(),
            sex: sex.to_string(),
            extra: extra.to_string(),
        })
    }

    fn into_evidence(self, o: Outcome) -> Outcome {
        o.with_pii("card_no", PiiKind::CardNumber, &self.card_no)
            .with_pii("id_no", PiiKind::NationalId, &self.id_no)
            .with_pii("name", PiiKind::Name, &self.name)
            .with_pii("birth_date", PiiKind::BirthDate, &self.birth)
            .with("sex", printable(self.sex.as_bytes(), 4))
            .with("card_field6", printable(self.extra.as_bytes(), 8))
    }
}

// Cross-check wiring: the default profile puts `card` in this check's `needs` and names it
// in `cross_check`. GetBasic needs a readable card anyway, so when the card check fails
// the bridge could only echo that failure as 8013/8010 — skipping this check then keeps
// the report on one root cause, and the operator who fixes the card sees the bridge
// checked on the next run. It also orders the two reads: the card check has released the
// card (shared mode, leave-card) before GetBasic makes the component read it, so neither
// blocks the other. A profile that wants the bridge verdict regardless of the card drops
// `card` from `needs` and `cross_check`; the comparison is then skipped and said so.
fn cross_check(b: Basic, p: &Params, ctx: &Ctx, version: &str) -> Outcome {
    let name = Pii::new(PiiKind::Name, b.name.as_str());
    let pass = || Outcome::pass(Msg::new("ws.pass").arg("version", printable(version.as_bytes(), 20)).arg("name", name.clone()));
    let Some(id) = &p.cross_check else { return b.into_evidence(pass()) };
    let Some(card) = ctx.prior.get(id) else {
        return b.into_evidence(pass()).with("card_cross_check", format!("not compared: check `{id}` is not in this check's needs"));
    };
    let raw = |key: &str| match card.evidence(key) {
        Some(Value::Pii(p)) => Some(p.reveal().to_string()),
        Some(v) => Some(v.render(true)),
        None => None,
    };
    let (Some(card_no), Some(id_no)) = (raw("card_no"), raw("id_no")) else {
        return b.into_evidence(pass()).with("card_cross_check", format!("not compared: check `{id}` reported no card data"));
    };
    let reader = card.evidence("reader").map(|r| r.render(false)).unwrap_or_else(|| "?".into());
    if card_no.trim() == b.card_no.trim() && id_no.trim().eq_ignore_ascii_case(b.id_no.trim()) {
        return b.into_evidence(pass()).with("card_cross_check", format!("same card as check `{id}` read in {reader}"));
    }
    let msg = Msg::new("ws.card_mismatch")
        .arg("reader", reader.as_str())
        .arg("bridge_card", Pii::new(PiiKind::CardNumber, b.card_no.as_str()))
        .arg("doctor_card", Pii::new(PiiKind::CardNumber, card_no.as_str()));
    b.into_evidence(Outcome::fail("ws.card_mismatch", msg))
        .with("card_cross_check", format!("a different card from the one check `{id}` read in {reader}"))
        .with_pii("doctor_card_no", PiiKind::CardNumber, &card_no)
        .with_pii("doctor_id_no", PiiKind::NationalId, &id_no)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::session::judge_reply;
    use crate::bridge::ws::{FrameError, Message};
    use std::time::Duration;

    fn t() -> Target {
        Target { host: "127.0.0.1".into(), port: 7777 }
    }

    #[test]
    fn basic_has_six_fields() {
        let b = Basic::parse("000012345678,A123456789,王小明明,0800101,M,1").unwrap();
        assert_eq!((b.card_no.as_str(), b.name.as_str(), b.extra.as_str()), ("000012345678", "王小明明", "1"));
        assert!(Basic::parse("000012345678,A123456789,王小明明").is_none());
        assert!(Basic::parse(",,,,,").is_none());
        assert!(Basic::parse("a,b,c,d,e,f,g").is_none());
    }

    #[test]
    fn replies_are_classified() {
        let w = Duration::from_secs(1);
        let (_, r) = judge_reply(&t(), "GetVersion", Ok(Message::Text("GetVersion:0011".into())), w);
        assert!(matches!(r, Reply::Payload(v) if v == "0011"));
        for (msg, finding) in [
            (Ok(Message::Text("4021".into())), "ws.origin_list_unreachable"),
            (Ok(Message::Text("1234".into())), "ws.component_error"),
            (Ok(Message::Text("Hello".into())), "ws.garbled"),
            (Ok(Message::Binary(3)), "ws.garbled"),
            (Ok(Message::Close(Some(1000))), "ws.closed"),
            (Err(FrameError::Closed { partial: 0 }), "ws.closed"),
            (Err(FrameError::TooLarge { announced: 1 << 30 }), "ws.garbled"),
            (Err(FrameError::Timeout), "bridge.no_answer"),
        ] {
            let (_, r) = judge_reply(&t(), "GetVersion", msg, w);
            let Reply::Stop(o) = r else { panic!("{finding}: not a stop") };
            assert_eq!(o.finding.as_deref(), Some(finding));
        }
    }

    #[test]
    fn an_unprefixed_getbasic_answer_is_not_shown() {
        let (note, r) = judge_reply(&t(), "GetBasic", Ok(Message::Text("000012345678,A123456789,王小明明,0800101,M,1".into())), Duration::from_secs(1));
        let Reply::Stop(o) = r else { panic!("not a stop") };
        assert_eq!(o.finding.as_deref(), Some("ws.garbled"));
        let text = format!("{note} {:?} {:?}", o.summary, o.evidence);
        assert!(!text.contains("A123456789") && !text.contains("王"), "{text}");
    }

    #[test]
    fn getbasic_never_lands_in_the_transcript() {
        let (note, _) =
            judge_reply(&t(), "GetBasic", Ok(Message::Text("GetBasic:000012345678,A123456789,王小明明,0800101,M,1".into())), Duration::from_secs(1));
        assert!(!note.contains("A123456789") && !note.contains("王"), "{note}");
    }
}
