//! Kind `bridge_protocol`: the WebSocket conversation the eCPA page has with the
//! component. Upgrade on `wss://…:7777/echo` with the `Host` and `Origin` a browser on
//! eCPA sends, then `GetVersion` and `GetBasic`. Success replies are `Command:payload`;
//! failures are a bare 4-digit code, mapped through `assets/bridge-codes.yaml` to a
//! finding. The card `GetBasic` reports is compared with the one ecpa-doctor read itself
//! over PC/SC, so a second reader or card the component reads instead is caught.

use crate::engine::kind::Simulated;
use std::sync::Arc;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{BoxFuture, Ctx, Kind, Probe};
use crate::bridge::codes::{CODE_FINDINGS, CONNECTION_FINDINGS, CONVERSATION_FINDINGS};
use crate::bridge::params::Ws;
use crate::bridge::session::{self, Dialogue, Reply};
use crate::bridge::ws::FrameReader;
use crate::bridge::{Budget, Target, farewell, net_failure, printable, take_turn, tls};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::engine::pii::{Pii, PiiKind};

pub const KIND: Kind = Kind {
    name: "bridge_protocol",
    findings: FINDINGS,
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(crate::bridge::params::point_at_bridge),
};

const FINDINGS: &[&str] = &super::joined::<
    { 1 + CODE_FINDINGS.len() + CONVERSATION_FINDINGS.len() + CONNECTION_FINDINGS.len() },
>(&[
    &["ws.card_mismatch"],
    CODE_FINDINGS,
    CONVERSATION_FINDINGS,
    CONNECTION_FINDINGS,
]);

type Params = Ws<Own>;

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Own {
    /// Compare `GetBasic` with the card read by this check (it must be in `needs`).
    /// Without it, the card is not compared.
    #[serde(default)]
    cross_check: Option<String>,
    /// `false`: stop after `GetVersion` — a fleet sweep runs where most PCs have no card,
    /// and `GetVersion` alone proves the socket, the protocol and (being gated by the
    /// allowed-origin list) the component's reach to NHI's cloud.
    #[serde(default = "read_card_default")]
    read_card: bool,
}

fn read_card_default() -> bool {
    true
}

struct BridgeProtocol {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(BridgeProtocol {
        p: Params::parse(v)?,
    }))
}

impl Probe for BridgeProtocol {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(async move {
            let target = p.conn.target();
            let budget = Budget::new(ctx.timeout);
            let _turn = take_turn(&budget).await;
            let o = converse(&p, &target, &budget, &ctx).await;
            o.with(
                "origin",
                p.talk.origin.clone().unwrap_or_else(|| "-".into()),
            )
            .with("host_header", p.conn.host_header())
        })
    }
}

async fn converse(p: &Params, target: &Target, budget: &Budget, ctx: &Ctx) -> Outcome {
    let mut conn = match tls::connect(target, &p.conn.sni, budget, p.conn.waits()).await {
        Ok(c) => c,
        Err(e) => return net_failure(&e, target),
    };
    let d = p.talk.dialogue(&p.conn);
    let o = match session::upgrade(&mut conn.stream, &d, target, budget).await {
        Ok(frames) => {
            let o = talk(&mut conn.stream, frames, &d, p, target, budget, ctx).await;
            farewell::websocket(conn.stream);
            o
        }
        Err(o) => {
            farewell::close(conn.stream);
            o
        }
    };
    o.with("address", target.to_string())
}

async fn talk<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    mut frames: FrameReader,
    d: &Dialogue,
    p: &Params,
    target: &Target,
    budget: &Budget,
    ctx: &Ctx,
) -> Outcome {
    let mut transcript = Vec::new();
    let version = match session::command(
        s,
        &mut frames,
        "GetVersion",
        "GetVersion",
        d,
        target,
        budget,
        &mut transcript,
    )
    .await
    {
        Reply::Payload(v) => v,
        Reply::Stop(o) => {
            return with_context(uncompared(o, "GetVersion", p, ctx), &transcript, ctx, p);
        }
    };
    if !p.own.read_card {
        return with_context(
            Outcome::pass(
                Msg::new("ws.pass_version_only").arg("version", printable(version.as_bytes(), 20)),
            )
            .with("version", printable(version.as_bytes(), 20)),
            &transcript,
            ctx,
            p,
        );
    }
    let basic = match session::command(
        s,
        &mut frames,
        "GetBasic",
        "GetBasic",
        d,
        target,
        budget,
        &mut transcript,
    )
    .await
    {
        Reply::Payload(b) => b,
        Reply::Stop(o) => {
            return with_context(
                uncompared(
                    o.with("version", printable(version.as_bytes(), 20)),
                    "GetBasic",
                    p,
                    ctx,
                ),
                &transcript,
                ctx,
                p,
            );
        }
    };
    let o = match Basic::parse(&basic) {
        Some(b) => cross_check(b, p, ctx, &version),
        None => uncompared(
            Outcome::fail(
                "ws.garbled",
                Msg::new("ws.basic_garbled").arg("fields", basic.split(',').count().to_string()),
            ),
            "GetBasic",
            p,
            ctx,
        ),
    };
    with_context(
        o.with("version", printable(version.as_bytes(), 20)),
        &transcript,
        ctx,
        p,
    )
}

fn with_context(o: Outcome, transcript: &[Value], ctx: &Ctx, p: &Params) -> Outcome {
    let o = o.with("exchange", Value::join(transcript.to_vec(), "; "));
    // For "the component cannot reach the card": say which reader ecpa-doctor itself read
    // the card from, since the component only looks at the first one.
    let card = p.own.cross_check.as_ref().and_then(|id| ctx.prior.get(id));
    match (
        o.finding.as_deref(),
        card.and_then(|c| c.evidence("reader")),
    ) {
        (Some("ws.card_unreachable" | "ws.no_card" | "ws.card_read_failed"), Some(r)) => {
            let r = r.render(false);
            o.with("card_seen_by_doctor", r)
        }
        _ => o,
    }
}

/// Why the card could not be compared, when the check was asked to compare it: the
/// component stopped before it read a card. The offline component's `4021` comes before
/// any card read (even `GetVersion` is gated), so the comparison is impossible, not failed.
fn uncompared(o: Outcome, stopped_at: &str, p: &Params, ctx: &Ctx) -> Outcome {
    let Some(id) = &p.own.cross_check else {
        return o;
    };
    let code = o.evidence("bridge_code").map(|c| c.render(false));
    let stopped = |key: &str| Msg::new(key).arg("command", stopped_at);
    let mut why = vec![match (o.finding.as_deref(), code.as_deref()) {
        (Some("ws.origin_list_unreachable"), Some(code)) => {
            stopped("value.cross.origin_gated").arg("code", code)
        }
        (_, Some(code)) => stopped("value.cross.answered_code").arg("code", code),
        (Some("ws.garbled"), None) if stopped_at == "GetBasic" => {
            Msg::new("value.cross.basic_malformed")
        }
        _ => stopped("value.cross.stopped_at"),
    }];
    let about = |key: &str| Msg::new(key).arg("check", id.as_str());
    match ctx
        .prior
        .get(id)
        .filter(|c| c.evidence("card_no").is_some())
    {
        Some(card) => {
            let reader = card
                .evidence("reader")
                .cloned()
                .unwrap_or_else(|| "?".into());
            why.push(about("value.cross.doctor_read_it").arg("reader", reader));
            // The same READ of the basic data worked for ecpa-doctor; what the component
            // reads in addition is the `00 CA 24 00` record, which a card (or a virtual
            // card) without it refuses.
            if code.as_deref() == Some("8010") {
                why.push(Msg::new("value.cross.extra_record"));
            }
        }
        None if ctx.prior.contains_key(id) => why.push(about("value.cross.no_card_data")),
        None => why.push(about("value.cross.not_needed")),
    }
    o.with("card_cross_check", Value::join(why, ""))
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
        let [card_no, id_no, name, birth, sex, extra] = f.as_slice() else {
            return None;
        };
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
            .with("sex", sex_letter(&self.sex))
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
    let pass = || {
        Outcome::pass(
            Msg::new("ws.pass")
                .arg("version", printable(version.as_bytes(), 20))
                .arg("name", name.clone()),
        )
    };
    let Some(id) = &p.own.cross_check else {
        return b.into_evidence(pass());
    };
    let about = |key: &str| Msg::new(key).arg("check", id.as_str());
    let Some(card) = ctx.prior.get(id) else {
        return b.into_evidence(pass()).with(
            "card_cross_check",
            about("value.cross.not_compared_not_needed"),
        );
    };
    let raw = |key: &str| match card.evidence(key) {
        Some(Value::Pii(p)) => Some(p.reveal().to_string()),
        Some(v) => Some(v.render(true)),
        None => None,
    };
    let (Some(card_no), Some(id_no)) = (raw("card_no"), raw("id_no")) else {
        return b.into_evidence(pass()).with(
            "card_cross_check",
            about("value.cross.not_compared_no_data"),
        );
    };
    let reader = card
        .evidence("reader")
        .cloned()
        .unwrap_or_else(|| "?".into());
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    if same(&card_no, &b.card_no) && same(&id_no, &b.id_no) {
        let fields = other_fields(&b, raw("name"), raw("birth_date"), card.evidence("sex"));
        return b.into_evidence(pass()).with(
            "card_cross_check",
            about("value.cross.same_card")
                .arg("reader", reader.clone())
                .arg("fields", fields),
        );
    }
    // The component's order is card number, then ID number; a bridge that swaps them is
    // not reading another card.
    if same(&card_no, &b.id_no) && same(&id_no, &b.card_no) {
        return Outcome::fail("ws.garbled", Msg::new("ws.basic_order")).with(
            "card_cross_check",
            about("value.cross.swapped").arg("reader", reader.clone()),
        );
    }
    let msg = Msg::new("ws.card_mismatch")
        .arg("reader", reader.clone())
        .arg(
            "bridge_card",
            Pii::new(PiiKind::CardNumber, b.card_no.as_str()),
        )
        .arg(
            "doctor_card",
            Pii::new(PiiKind::CardNumber, card_no.as_str()),
        );
    b.into_evidence(Outcome::fail("ws.card_mismatch", msg))
        .with(
            "card_cross_check",
            about("value.cross.different_card").arg("reader", reader.clone()),
        )
        .with_pii("doctor_card_no", PiiKind::CardNumber, &card_no)
        .with_pii("doctor_id_no", PiiKind::NationalId, &id_no)
}

/// The rest of GetBasic against the card check's own read, naming fields, never values:
/// the name arrives as UTF-8 (the component converts the card's Big5), the birth date as
/// ROC `YYYMMDD`, the sex as `M`/`F`.
fn other_fields(
    b: &Basic,
    name: Option<String>,
    birth: Option<String>,
    sex: Option<&Value>,
) -> Value {
    let pad = |s: &str| {
        s.trim_end_matches(['\0', ' ', '\u{3000}'])
            .trim_start()
            .to_string()
    };
    let card_sex = sex.and_then(|v| match v {
        Value::Said(m) => m.key.strip_prefix("value.sex.").map(str::to_string),
        other => Some(other.render(false)),
    });
    let letter = |s: &str| s.chars().next().map(|c| c.to_ascii_uppercase());
    let checks = [
        ("value.field.name", name.map(|n| pad(&n) == pad(&b.name))),
        (
            "value.field.birth_date",
            birth.map(|d| d.trim() == b.birth.trim()),
        ),
        (
            "value.field.sex",
            card_sex.map(|s| letter(&s).is_some() && letter(&s) == letter(&b.sex)),
        ),
    ];
    let mut parts = Vec::new();
    for (verdict, key) in [
        (Some(true), "value.fields.agree"),
        (Some(false), "value.fields.differ"),
        (None, "value.fields.not_compared"),
    ] {
        let fields: Vec<Msg> = checks
            .iter()
            .filter(|(_, ok)| *ok == verdict)
            .map(|(f, _)| Msg::new(f))
            .collect();
        if !fields.is_empty() {
            parts
                .push(Msg::new(key).arg("fields", Value::join(fields, Msg::new("value.sep.list"))));
        }
    }
    Value::join(parts, Msg::new("value.sep.parts"))
}

/// The component's `M`/`F` in the report's language; anything else as sent.
fn sex_letter(sex: &str) -> Value {
    match sex.trim() {
        "M" | "m" => Msg::new("value.sex_letter.m").into(),
        "F" | "f" => Msg::new("value.sex_letter.f").into(),
        _ => printable(sex.as_bytes(), 4).into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::session::judge_reply;
    use crate::bridge::ws::{FrameError, Message};
    use std::time::Duration;

    fn t() -> Target {
        Target {
            host: "127.0.0.1".into(),
            port: 7777,
        }
    }

    #[test]
    fn the_other_fields_are_compared_by_name_only() {
        let b = Basic::parse("000012345678,A123456789,王小明明\0\0,0800101,M,1").unwrap();
        let male = Value::Said(Msg::new("value.sex.male"));
        let all = other_fields(
            &b,
            Some("王小明明".into()),
            Some("0800101".into()),
            Some(&male),
        );
        assert_eq!(all.render(false), "name, birth date, sex agree");
        assert_eq!(
            all.render_in(crate::i18n::Lang::ZhTw, false),
            "姓名、出生日期、性別一致"
        );
        let female = Value::Said(Msg::new("value.sex.female"));
        let some = other_fields(
            &b,
            Some("王小明".into()),
            Some("0800101".into()),
            Some(&female),
        )
        .render(false);
        assert_eq!(some, "birth date agree; name, sex differ");
        assert!(!some.contains("王") && !some.contains("0800101"));
        let partial = other_fields(&b, None, None, Some(&Value::Text("male".into())));
        assert_eq!(
            partial.render(false),
            "sex agree; name, birth date not compared"
        );
        assert_eq!(
            partial.render_in(crate::i18n::Lang::ZhTw, false),
            "性別一致；姓名、出生日期未比對"
        );
    }

    fn ctx_with_card() -> (Params, Ctx) {
        let p = Params::parse(&serde_yaml::from_str("cross_check: card").unwrap()).unwrap();
        let card = Outcome::pass(Msg::new("card.pass"))
            .with("reader", "Virtual PCD 00 00")
            .with_pii("card_no", PiiKind::CardNumber, "000012345678")
            .with_pii("name", PiiKind::Name, "王小明明")
            .with_pii("id_no", PiiKind::NationalId, "A123456789")
            .with_pii("birth_date", PiiKind::BirthDate, "0800101")
            .with("sex", Msg::new("value.sex.male"));
        let ctx = Ctx {
            check_id: "bridge-ws".into(),
            env: Arc::new(crate::system::System::real()),
            prior: [("card".to_string(), card)].into(),
            timeout: Duration::from_secs(5),
            password: None,
        };
        (p, ctx)
    }

    fn said(o: &Outcome, key: &str) -> String {
        o.evidence(key).map(|v| v.render(false)).unwrap_or_default()
    }

    #[test]
    fn the_same_card_in_the_components_order_passes_and_a_swapped_order_is_garbled() {
        let (p, ctx) = ctx_with_card();
        let o = cross_check(
            Basic::parse("000012345678,A123456789,王小明明,0800101,M,1").unwrap(),
            &p,
            &ctx,
            "0011",
        );
        assert_eq!(o.status, crate::engine::outcome::Status::Pass, "{o:?}");
        assert_eq!(
            said(&o, "card_cross_check"),
            "same card as check `card` read in Virtual PCD 00 00; name, birth date, sex agree"
        );
        let o = cross_check(
            Basic::parse("A123456789,000012345678,王小明明,0800101,M,1").unwrap(),
            &p,
            &ctx,
            "0011",
        );
        assert_eq!(
            (o.finding.as_deref(), o.summary.key.as_str()),
            (Some("ws.garbled"), "ws.basic_order")
        );
        let o = cross_check(
            Basic::parse("000087654321,F223456786,陳美麗,0750505,F,1").unwrap(),
            &p,
            &ctx,
            "0011",
        );
        assert_eq!(o.finding.as_deref(), Some("ws.card_mismatch"));
    }

    #[test]
    fn a_gated_component_makes_the_comparison_impossible_and_says_why() {
        let (p, ctx) = ctx_with_card();
        let o = uncompared(
            crate::bridge::session::code_outcome("GetVersion", "4021"),
            "GetVersion",
            &p,
            &ctx,
        );
        assert_eq!(o.finding.as_deref(), Some("ws.origin_list_unreachable"));
        let why = said(&o, "card_cross_check");
        assert!(
            why.starts_with("not possible: the component answered 4021 to GetVersion;")
                && why.ends_with("check `card` read the card in Virtual PCD 00 00 itself"),
            "{why}"
        );
        let why = said(
            &uncompared(
                crate::bridge::session::code_outcome("GetBasic", "8010"),
                "GetBasic",
                &p,
                &ctx,
            ),
            "card_cross_check",
        );
        assert!(why.contains("`00 CA 24 00`"), "{why}");
        let (_, mut no_card) = ctx_with_card();
        no_card.prior.clear();
        let why = said(
            &uncompared(
                crate::bridge::session::code_outcome("GetBasic", "8013"),
                "GetBasic",
                &p,
                &no_card,
            ),
            "card_cross_check",
        );
        assert_eq!(
            why,
            "not possible: GetBasic answered 8013; check `card` is not in this check's needs"
        );
        // Without `cross_check`, nothing is said about a comparison.
        let plain = Params::parse(&serde_yaml::from_str("{}").unwrap()).unwrap();
        assert!(
            uncompared(
                crate::bridge::session::code_outcome("GetBasic", "8013"),
                "GetBasic",
                &plain,
                &ctx
            )
            .evidence("card_cross_check")
            .is_none()
        );
    }

    #[test]
    fn basic_has_six_fields() {
        let b = Basic::parse("000012345678,A123456789,王小明明,0800101,M,1").unwrap();
        assert_eq!(
            (b.card_no.as_str(), b.name.as_str(), b.extra.as_str()),
            ("000012345678", "王小明明", "1")
        );
        assert!(Basic::parse("000012345678,A123456789,王小明明").is_none());
        assert!(Basic::parse(",,,,,").is_none());
        assert!(Basic::parse("a,b,c,d,e,f,g").is_none());
    }

    #[test]
    fn replies_are_classified() {
        let w = Duration::from_secs(1);
        let (_, r) = judge_reply(
            &t(),
            "GetVersion",
            Ok(Message::Text("GetVersion:0011".into())),
            w,
        );
        assert!(matches!(r, Reply::Payload(v) if v == "0011"));
        for (msg, finding) in [
            (
                Ok(Message::Text("4021".into())),
                "ws.origin_list_unreachable",
            ),
            (Ok(Message::Text("1234".into())), "ws.component_error"),
            (Ok(Message::Text("Hello".into())), "ws.garbled"),
            (Ok(Message::Binary(3)), "ws.garbled"),
            (Ok(Message::Close(Some(1000))), "ws.closed"),
            (Err(FrameError::Closed { partial: 0 }), "ws.closed"),
            (
                Err(FrameError::TooLarge { announced: 1 << 30 }),
                "ws.garbled",
            ),
            (Err(FrameError::Timeout), "bridge.no_answer"),
        ] {
            let (_, r) = judge_reply(&t(), "GetVersion", msg, w);
            let Reply::Stop(o) = r else {
                panic!("{finding}: not a stop")
            };
            assert_eq!(o.finding.as_deref(), Some(finding));
        }
    }

    #[test]
    fn an_unprefixed_getbasic_answer_is_not_shown() {
        let (note, r) = judge_reply(
            &t(),
            "GetBasic",
            Ok(Message::Text(
                "000012345678,A123456789,王小明明,0800101,M,1".into(),
            )),
            Duration::from_secs(1),
        );
        let Reply::Stop(o) = r else {
            panic!("not a stop")
        };
        assert_eq!(o.finding.as_deref(), Some("ws.garbled"));
        let text = format!("{} {:?} {:?}", note.render(true), o.summary, o.evidence);
        assert!(
            !text.contains("A123456789") && !text.contains("王"),
            "{text}"
        );
    }

    #[test]
    fn getbasic_never_lands_in_the_transcript() {
        let (note, _) = judge_reply(
            &t(),
            "GetBasic",
            Ok(Message::Text(
                "GetBasic:000012345678,A123456789,王小明明,0800101,M,1".into(),
            )),
            Duration::from_secs(1),
        );
        let note = note.render(true);
        assert!(
            !note.contains("A123456789") && !note.contains("王"),
            "{note}"
        );
    }
}
