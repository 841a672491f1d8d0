//! Kind `nhi_signature`: the card and NHI's cloud authenticating each other, through the
//! component — `GetVersion`, `GetRandom`, then `H_Sign?Random=<version><random>`, as NHI's
//! own test page does. A 256-character signature means the card, the component and its
//! link to `cloudicap.nhi.gov.tw` all work. A bare code says which part failed: `4061` and
//! `8003`–`8008`/`83xx` are the component failing to reach or talk to NHI's service (a
//! network or proxy problem, not the card), `9001`/`9002` a signature that did not verify.
//! No password is involved.

use crate::engine::kind::Simulated;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};

use super::{BoxFuture, Ctx, Kind, Probe, de_duration};
use crate::bridge::codes::{CODE_FINDINGS, CONNECTION_FINDINGS, CONVERSATION_FINDINGS};
use crate::bridge::params::Ws;
use crate::bridge::session::{self, Dialogue, Reply};
use crate::bridge::{Budget, Target, farewell, net_failure, printable, take_turn, tls};
use crate::engine::outcome::{Msg, Outcome, Value};

pub const KIND: Kind = Kind {
    name: "nhi_signature",
    findings: FINDINGS,
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(crate::bridge::params::point_at_bridge),
};

/// Every code of `assets/bridge-codes.yaml` can come back from these commands, plus the
/// ways the conversation and the connection fail.
pub const FINDINGS: &[&str] = &super::joined::<
    { 1 + CODE_FINDINGS.len() + CONVERSATION_FINDINGS.len() + CONNECTION_FINDINGS.len() },
>(&[
    &["signature.malformed"],
    CODE_FINDINGS,
    CONVERSATION_FINDINGS,
    CONNECTION_FINDINGS,
]);

/// NHI's page script takes exactly this length as success.
pub const SIGNATURE_LEN: usize = 256;

/// Findings that mean "the component could not do its part with NHI's cloud": the
/// outbound check's result is evidence for them.
const CLOUD_FINDINGS: &[&str] = &[
    "ws.cloud_unreachable",
    "ws.cloud_auth_failed",
    "ws.origin_list_unreachable",
];

type Params = Ws<Own>;

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Own {
    /// `H_Sign` is a round trip to NHI's cloud, slower than the local commands.
    #[serde(default = "default_sign", deserialize_with = "de_duration")]
    sign_timeout: Duration,
    /// The id of the outbound-reach check (it must be in `needs`): its result is shown
    /// beside a cloud failure. Without it, nothing is compared.
    #[serde(default)]
    outbound_check: Option<String>,
}

pub(crate) fn default_sign() -> Duration {
    Duration::from_secs(10)
}

struct NhiSignature {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(NhiSignature {
        p: Params::parse(v)?,
    }))
}

impl Probe for NhiSignature {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(async move {
            let target = p.conn.target();
            let budget = Budget::new(ctx.timeout);
            let _turn = take_turn(&budget).await;
            let d = p.talk.dialogue(&p.conn);
            let o = match tls::connect(&target, &p.conn.sni, &budget, p.conn.waits()).await {
                Ok(mut conn) => {
                    let o = match session::upgrade(&mut conn.stream, &d, &target, &budget).await {
                        Ok(mut frames) => {
                            let mut transcript = Vec::new();
                            let o = match sign(
                                &mut conn.stream,
                                &mut frames,
                                &d,
                                p.own.sign_timeout,
                                &target,
                                &budget,
                                &mut transcript,
                            )
                            .await
                            {
                                Ok(signed) => signed.outcome(),
                                Err(o) => o,
                            };
                            farewell::websocket(conn.stream);
                            o.with("exchange", Value::join(transcript, "; "))
                        }
                        Err(o) => {
                            farewell::close(conn.stream);
                            o
                        }
                    };
                    o.with("address", target.to_string())
                }
                Err(e) => net_failure(&e, &target),
            };
            with_outbound(o, p.own.outbound_check.as_deref(), &ctx)
        })
    }
}

/// A signature made by NHI's cloud for a random the component chose.
pub struct Signed {
    pub version: String,
    pub random: String,
    pub token: String,
}

impl Signed {
    fn outcome(&self) -> Outcome {
        Outcome::pass(Msg::new("signature.pass").arg("version", self.version.as_str()))
            .with("version", self.version.as_str())
            .with("random", self.random.as_str())
            .with(
                "signature",
                Msg::new("value.signature")
                    .arg("count", self.token.chars().count().to_string())
                    .arg("start", printable(self.token.as_bytes(), 16)),
            )
    }

    /// `p_Random` of the verification service: the version and the random, as signed.
    pub fn p_random(&self) -> String {
        format!("{}{}", self.version, self.random)
    }
}

/// GetVersion → GetRandom → H_Sign on an upgraded connection. Shared with the
/// registration check, which needs the same signature for NHI's verification service.
pub async fn sign<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    frames: &mut crate::bridge::ws::FrameReader,
    d: &Dialogue,
    sign_timeout: Duration,
    target: &Target,
    budget: &Budget,
    transcript: &mut Vec<Value>,
) -> Result<Signed, Outcome> {
    let version = match session::command(
        s,
        frames,
        "GetVersion",
        "GetVersion",
        d,
        target,
        budget,
        transcript,
    )
    .await
    {
        Reply::Payload(v) => v,
        Reply::Stop(o) => return Err(o),
    };
    if !is_digits(&version, 4) {
        return Err(malformed("GetVersion", &version));
    }
    let random = match session::command(
        s,
        frames,
        "GetRandom",
        "GetRandom",
        d,
        target,
        budget,
        transcript,
    )
    .await
    {
        Reply::Payload(r) => r,
        Reply::Stop(o) => return Err(o.with("version", version)),
    };
    if !is_digits(&random, 16) {
        return Err(malformed("GetRandom", &random).with("version", version));
    }
    let request = format!("H_Sign?Random={version}{random}");
    let slow = Dialogue {
        reply_timeout: sign_timeout,
        ..d.clone()
    };
    let token = match session::command(
        s, frames, "H_Sign", &request, &slow, target, budget, transcript,
    )
    .await
    {
        Reply::Payload(t) => t,
        Reply::Stop(o) => return Err(o.with("version", version).with("random", random)),
    };
    if token.chars().count() != SIGNATURE_LEN {
        let o = Outcome::fail(
            "signature.malformed",
            Msg::new("signature.wrong_length").arg("length", token.chars().count().to_string()),
        );
        return Err(o.with("version", version).with("random", random));
    }
    Ok(Signed {
        version,
        random,
        token,
    })
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

fn malformed(cmd: &str, payload: &str) -> Outcome {
    Outcome::fail(
        "signature.malformed",
        Msg::new("signature.malformed")
            .arg("command", cmd)
            .arg("reply", printable(payload.as_bytes(), 40)),
    )
}

/// Beside a cloud failure, what the outbound check saw: `cloudicap.nhi.gov.tw:443`
/// unreachable confirms a network cause; reachable points at a proxy or firewall that lets
/// a plain connect through but not the component's traffic, or at NHI's side.
pub fn with_outbound(o: Outcome, outbound_check: Option<&str>, ctx: &Ctx) -> Outcome {
    let cloud = o
        .finding
        .as_deref()
        .is_some_and(|f| CLOUD_FINDINGS.contains(&f));
    let Some(id) = outbound_check.filter(|_| cloud) else {
        return o;
    };
    let Some(out) = ctx.prior.get(id) else {
        return o.with(
            "outbound_check",
            Msg::new("value.outbound.not_needed").arg("check", id),
        );
    };
    let status = Msg::new(&format!("value.check_status.{}", out.status.key()));
    let status: Value = match &out.finding {
        Some(f) => Msg::new("value.with_note")
            .arg("text", status)
            .arg("note", f.as_str())
            .into(),
        None => status.into(),
    };
    let mut seen = vec![Value::from(
        Msg::new("value.labelled")
            .arg("name", id)
            .arg("value", status),
    )];
    for key in ["connected_to", "connect_error", "resolver", "proxy_env"] {
        if let Some(v) = out.evidence(key) {
            seen.push(
                Msg::new("value.labelled")
                    .arg("name", key)
                    .arg("value", v.clone())
                    .into(),
            );
        }
    }
    o.with(
        "outbound_check",
        Value::join(seen, Msg::new("value.sep.parts")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogued_code_finding_is_declared() {
        for e in crate::bridge::codes::catalogue() {
            assert!(
                FINDINGS.contains(&e.finding.as_str()),
                "{} missing from nhi_signature's findings",
                e.finding
            );
        }
        assert!(FINDINGS.contains(&crate::bridge::codes::UNKNOWN_FINDING));
    }

    #[test]
    fn version_and_random_shapes() {
        assert!(is_digits("0011", 4));
        assert!(!is_digits("11", 4));
        assert!(is_digits("5573426812545123", 16));
        assert!(!is_digits("557342681254512x", 16));
    }
}
