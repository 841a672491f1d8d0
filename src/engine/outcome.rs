//! What one check found.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::pii::{Pii, PiiKind};
use crate::i18n::{self, L10n, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Warn,
    Fail,
    Skipped,
    TimedOut,
    Crashed,
}

impl Status {
    /// Dependents may run after a warning: a warning is advice, not a broken link.
    pub fn lets_dependents_run(self) -> bool {
        matches!(self, Status::Pass | Status::Warn)
    }

    pub fn is_failure(self) -> bool {
        matches!(self, Status::Fail | Status::TimedOut | Status::Crashed)
    }

    pub fn key(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skipped => "skipped",
            Status::TimedOut => "timed_out",
            Status::Crashed => "crashed",
        }
    }
}

/// An evidence or argument value; card data stays wrapped until a report renders it, and
/// words meant for people stay keys until the report's language is known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Technical text shown as is (paths, addresses, codes, library errors).
    Text(String),
    Pii(Pii),
    /// A phrase from the catalogue's `values` section, filled with its arguments.
    Said(Msg),
    /// A phrase given in both languages by a data file (e.g. a card type from atr.yaml).
    Both(L10n),
    /// Values shown one after another, the separator rendered like them (`、` in zh-TW,
    /// `, ` in English, when it is a catalogue phrase).
    Joined(Vec<Value>, Box<Value>),
}

impl Value {
    /// English rendering, for comparisons inside probes and for tests.
    pub fn render(&self, reveal: bool) -> String {
        self.render_in(Lang::En, reveal)
    }

    pub fn render_in(&self, lang: Lang, reveal: bool) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Pii(p) => p.render(reveal),
            Value::Said(m) => {
                let args: Vec<(String, String)> = m
                    .args
                    .iter()
                    .map(|(k, v)| (k.clone(), v.render_in(lang, reveal)))
                    .collect();
                i18n::value_text(&m.key, lang, &args)
            }
            Value::Both(t) => t.get(lang).to_string(),
            Value::Joined(items, sep) => {
                let sep = sep.render_in(lang, reveal);
                items
                    .iter()
                    .map(|v| v.render_in(lang, reveal))
                    .collect::<Vec<_>>()
                    .join(&sep)
            }
        }
    }

    /// The items with `sep` between them; plain text stays plain text, so a list of
    /// paths or addresses is one `Text` as before.
    pub fn join<I, V>(items: I, sep: impl Into<Value>) -> Value
    where
        I: IntoIterator<Item = V>,
        V: Into<Value>,
    {
        let items: Vec<Value> = items.into_iter().map(Into::into).collect();
        let sep = sep.into();
        if let Value::Text(s) = &sep {
            let texts: Option<Vec<&str>> = items
                .iter()
                .map(|v| {
                    if let Value::Text(t) = v {
                        Some(t.as_str())
                    } else {
                        None
                    }
                })
                .collect();
            if let Some(texts) = texts {
                return Value::Text(texts.join(s));
            }
        }
        Value::Joined(items, Box::new(sep))
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<Msg> for Value {
    fn from(m: Msg) -> Self {
        Value::Said(m)
    }
}
impl From<L10n> for Value {
    fn from(t: L10n) -> Self {
        Value::Both(t)
    }
}
impl From<Pii> for Value {
    fn from(p: Pii) -> Self {
        Value::Pii(p)
    }
}

/// A one-line summary: a catalogue key plus arguments, rendered in the report's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub key: String,
    pub args: Vec<(String, Value)>,
}

impl Msg {
    pub fn new(key: &str) -> Self {
        Msg {
            key: key.to_string(),
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.args.push((name.to_string(), value.into()));
        self
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub status: Status,
    /// Finding code (`card.none`, `check.timeout`…) for anything but a clean pass.
    pub finding: Option<String>,
    pub summary: Msg,
    /// Ordered key → value; keys are stable JSON names, labels come from the catalogue.
    pub evidence: Vec<(String, Value)>,
    pub duration: Duration,
    /// For a skipped check: the failed check at the root of the chain that blocked it.
    pub skipped_because: Option<String>,
    /// What a later check may read (`needs` or `after`); never shown or reported.
    pub handoff: Handoff,
}

/// Data one check hands to the checks that read its result (the TLS check's captured
/// chain): typed by the kinds, opaque to the engine, left out of every report.
#[derive(Clone, Default)]
pub struct Handoff(Option<Arc<dyn Any + Send + Sync>>);

impl Handoff {
    pub fn of<T: Any + Send + Sync>(v: T) -> Handoff {
        Handoff(Some(Arc::new(v)))
    }

    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.as_deref()?.downcast_ref()
    }
}

impl std::fmt::Debug for Handoff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Handoff(..)"
        } else {
            "Handoff(-)"
        })
    }
}

/// Two outcomes are the same when what they say is; the handoff is derived data.
impl PartialEq for Handoff {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Outcome {
    fn new(status: Status, finding: Option<&str>, summary: Msg) -> Self {
        Outcome {
            status,
            finding: finding.map(str::to_string),
            summary,
            evidence: Vec::new(),
            duration: Duration::ZERO,
            skipped_because: None,
            handoff: Handoff::default(),
        }
    }

    /// Hands `v` to the checks that read this one's result.
    pub fn handing(mut self, v: impl Any + Send + Sync) -> Self {
        self.handoff = Handoff::of(v);
        self
    }

    pub fn pass(summary: Msg) -> Self {
        Self::new(Status::Pass, None, summary)
    }

    pub fn warn(finding: &str, summary: Msg) -> Self {
        Self::new(Status::Warn, Some(finding), summary)
    }

    pub fn fail(finding: &str, summary: Msg) -> Self {
        Self::new(Status::Fail, Some(finding), summary)
    }

    pub fn skipped(because: &str) -> Self {
        let mut o = Self::new(
            Status::Skipped,
            None,
            Msg::new("engine.skipped").arg("because", because),
        );
        o.skipped_because = Some(because.to_string());
        o
    }

    pub fn timed_out(after: Duration) -> Self {
        Self::new(
            Status::TimedOut,
            Some("check.timeout"),
            Msg::new("engine.timed_out").arg("seconds", format!("{:.1}", after.as_secs_f64())),
        )
    }

    pub fn crashed(detail: impl Into<Value>) -> Self {
        Self::new(
            Status::Crashed,
            Some("check.crashed"),
            Msg::new("engine.crashed").arg("detail", detail),
        )
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.evidence.push((key.to_string(), value.into()));
        self
    }

    pub fn with_pii(self, key: &str, kind: PiiKind, raw: &str) -> Self {
        self.with(key, Pii::new(kind, raw))
    }

    pub fn evidence(&self, key: &str) -> Option<&Value> {
        self.evidence.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_text_stays_text_and_phrases_follow_the_language() {
        assert_eq!(Value::join(["a", "b"], "; "), Value::Text("a; b".into()));
        let v = Value::join(
            [Msg::new("value.missing"), Msg::new("value.present")],
            Msg::new("value.sep.list"),
        );
        assert_eq!(
            (v.render(false), v.render_in(Lang::ZhTw, false)),
            ("missing, present".to_string(), "不存在、存在".to_string())
        );
    }
}
