//! Kind `message`: what the user saw on screen. eCPA has no public API, so the account
//! end of the chain (not registered, wrong password, no eCPA account, departed) is
//! diagnosed from the message itself, matched against `assets/known-messages.yaml`.

use crate::engine::kind::Simulated;
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, Kind, Probe, params};
use crate::account::known::{self, KnownMessage, Match};
use crate::bridge::codes::CODE_FINDINGS;
use crate::engine::outcome::{Msg, Outcome, Value};

pub const KIND: Kind = Kind {
    name: "message",
    findings: FINDINGS,
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::SystemLayer,
};

/// The account end of the chain, NHI's result codes, pasted page texts, and every bridge
/// code (a pasted 4-digit code is explained like the bridge check would).
const OWN_FINDINGS: &[&str] = &[
    "account.not_registered",
    "account.wrong_password",
    "account.no_ecpa_account",
    "account.departed",
    "page.component_unreachable",
    "page.component_install_problem",
    "nhi.verify_failed",
    "nhi.service_unavailable",
    "nhi.card_id_mismatch",
    "nhi.malformed_request",
    "message.unknown",
    "message.empty",
];

const FINDINGS: &[&str] =
    &super::joined::<{ OWN_FINDINGS.len() + CODE_FINDINGS.len() }>(&[OWN_FINDINGS, CODE_FINDINGS]);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The text the user saw, as pasted by the operator.
    #[serde(default)]
    text: String,
}

struct Message {
    text: String,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    Ok(Arc::new(Message { text: p.text }))
}

impl Probe for Message {
    fn run(&self, _ctx: Ctx) -> BoxFuture {
        let text = self.text.clone();
        Box::pin(async move { judge(&text, known::builtin()) })
    }
}

pub fn judge(text: &str, catalogue: &[KnownMessage]) -> Outcome {
    if known::normalise(text).is_empty() {
        return Outcome::warn("message.empty", Msg::new("message.empty"));
    }
    let (m, how, matched) = match known::classify(text, catalogue) {
        Match::Code { message, code } => (
            message,
            Msg::new("value.matched.code").arg("code", code.as_str()),
            code,
        ),
        Match::Text {
            message,
            text,
            score,
        } => {
            let how = if score >= 1.0 {
                Msg::new("value.matched.text")
            } else {
                Msg::new("value.matched.similar").arg("percent", format!("{:.0}", score * 100.0))
            };
            (message, how, text.to_string())
        }
        Match::Unknown { closest } => {
            let mut o = Outcome::warn("message.unknown", Msg::new("message.unknown"));
            for (i, (m, t, score)) in closest.iter().enumerate() {
                let close = Msg::new("value.matched.closest")
                    .arg("text", *t)
                    .arg("source", source(&m.source))
                    .arg("percent", format!("{:.0}", score * 100.0));
                o = o.with(&format!("closest_{}", i + 1), close);
            }
            return o;
        }
    };
    // A component code's own summary names the code and the command it answered, which a
    // pasted message does not tell: say the code and NHI's wording instead.
    let summary = if m.source == known::COMPONENT_SOURCE {
        let code = if m.codes.contains(&matched) {
            matched.clone()
        } else {
            m.codes.join("/")
        };
        Msg::new("message.component_code").arg("code", code).arg(
            "official",
            m.texts.first().cloned().unwrap_or_else(|| "-".into()),
        )
    } else {
        Msg::new(&m.finding).arg("message", matched.as_str())
    };
    let o = if m.ok {
        Outcome::pass(summary)
    } else {
        Outcome::fail(&m.finding, summary)
    };
    o.with("known_message", matched)
        .with("source", source(&m.source))
        .with("matched_by", how)
}

/// Where a known message comes from, in the report's language when the catalogue names
/// the source (`value.message_source.login_page` for `login page`).
fn source(name: &str) -> Value {
    let key = format!(
        "value.message_source.{}",
        name.to_ascii_lowercase().replace(' ', "_")
    );
    if crate::i18n::messages().values.contains_key(&key) {
        Msg::new(&key).into()
    } else {
        name.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;

    #[test]
    fn success_message_passes_and_unknown_warns() {
        let o = judge("A0000:檢核正確", known::builtin());
        assert_eq!(o.status, Status::Pass);
        let o = judge("something else entirely", known::builtin());
        assert_eq!(o.finding.as_deref(), Some("message.unknown"));
        assert!(o.evidence("closest_1").is_some());
        assert_eq!(
            judge(" 。 ", known::builtin()).finding.as_deref(),
            Some("message.empty")
        );
    }

    #[test]
    fn every_source_of_the_known_messages_has_words_in_the_catalogue() {
        for m in known::builtin() {
            assert!(
                matches!(source(&m.source), Value::Said(_)),
                "no value.message_source entry for `{}`",
                m.source
            );
        }
    }

    #[test]
    fn every_known_message_finding_is_declared_by_the_kind() {
        for m in known::builtin() {
            assert!(
                m.ok || KIND.findings.contains(&m.finding.as_str()),
                "{} not in message KIND.findings",
                m.finding
            );
        }
    }
}
