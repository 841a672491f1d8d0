//! The one report model. Text, Markdown and JSON print it and the TUI shows it; PII is
//! masked while it is built, so no format can forget to.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::engine::catalogue::{Catalogue, Link};
use crate::engine::outcome::{Msg, Status};
use crate::engine::profile::{Profile, Severity};
use crate::engine::run::{self, RunResult, Verdict};
use crate::i18n::{self, Lang};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub demo: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket: Option<String>,
    /// Set when the report was fetched from another machine with `ecpa-doctor remote`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_host: Option<String>,
    pub lang: Lang,
    pub pii_revealed: bool,
    pub profile: ProfileInfo,
    pub host: HostInfo,
    pub started_at: String,
    pub duration_ms: u64,
    pub verdict: Verdict,
    pub exit_code: i32,
    pub root_cause: Option<RootCause>,
    pub checks: Vec<CheckReport>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileInfo {
    pub name: String,
    pub title: String,
    pub source: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct HostInfo {
    pub os: String,
    pub os_version: String,
    pub kernel: String,
    pub arch: String,
    pub hostname: String,
}

impl HostInfo {
    pub fn detect() -> HostInfo {
        HostInfo {
            os: sysinfo::System::name().unwrap_or_else(|_| std::env::consts::OS.to_string()),
            os_version: sysinfo::System::os_version().unwrap_or_default(),
            kernel: sysinfo::System::kernel_version().unwrap_or_default(),
            arch: std::env::consts::ARCH.to_string(),
            hostname: sysinfo::System::host_name().unwrap_or_default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RootCause {
    pub check: String,
    pub title: String,
    pub finding: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub finding: Option<String>,
    pub summary: String,
    pub evidence: IndexMap<String, String>,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped_because: Option<String>,
    pub remedy: Option<RemedyReport>,
}

/// A finding's remedy in one language, as reports carry it (the fleet summary reads it back
/// from reports other PCs wrote, so the parts after the title may be missing).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RemedyReport {
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub steps: Vec<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub contact: Vec<String>,
}

impl RemedyReport {
    /// A catalogue remedy in `lang`, under the id it was looked up by.
    pub fn from_catalogue(id: &str, r: &crate::engine::catalogue::Remedy, lang: Lang) -> Self {
        let t = r.get(lang);
        RemedyReport {
            id: id.to_string(),
            title: t.title.clone(),
            why: t.why.clone(),
            steps: t.steps.clone(),
            links: t.links.clone(),
            contact: t.contact.clone(),
        }
    }
}

/// How to build a report: language, redaction, and the stamps the operator asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub lang: Lang,
    pub reveal_pii: bool,
    pub ticket: Option<String>,
    pub demo: bool,
    pub host: HostInfo,
}

pub fn build(profile: &Profile, result: &RunResult, opts: &Options) -> Report {
    let lang = opts.lang;
    let catalogue = Catalogue::builtin();
    let title_of = |id: &str| {
        profile
            .check(id)
            .map(|c| c.title.get(lang).to_string())
            .unwrap_or_else(|| id.to_string())
    };
    let checks: Vec<CheckReport> = result
        .outcomes
        .iter()
        .filter_map(|(id, o)| profile.check(id).map(|c| (c, o)))
        .map(|(c, o)| {
            let remedy = o.finding.as_deref().map(|f| {
                let rid = c.remedy_for(f);
                match profile.remedies.get(&rid).or_else(|| catalogue.get(&rid)) {
                    Some(r) => RemedyReport::from_catalogue(&rid, r, lang),
                    // A missing remedy is a catalogue bug (tests catch it); say so rather than hide the finding.
                    None => RemedyReport {
                        id: rid.clone(),
                        title: i18n::ui("remedy.missing", lang),
                        why: String::new(),
                        steps: vec![],
                        links: vec![],
                        contact: vec![],
                    },
                }
            });
            CheckReport {
                id: c.id.clone(),
                kind: c.kind.clone(),
                title: c.title.get(lang).to_string(),
                severity: c.severity,
                status: o.status,
                finding: o.finding.clone(),
                summary: render_summary(&o.summary, lang, opts.reveal_pii, &title_of),
                evidence: o
                    .evidence
                    .iter()
                    .map(|(k, v)| (k.clone(), v.render_in(lang, opts.reveal_pii)))
                    .collect(),
                duration_ms: o.duration.as_millis() as u64,
                skipped_because: o.skipped_because.clone(),
                remedy,
            }
        })
        .collect();
    let root_cause = run::root_cause(profile, &result.outcomes).map(|(id, o)| RootCause {
        check: id.to_string(),
        title: title_of(id),
        finding: o.finding.clone(),
        summary: render_summary(&o.summary, lang, opts.reveal_pii, &title_of),
    });
    let verdict = run::verdict(profile, &result.outcomes);
    Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: env!("CARGO_PKG_NAME").into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
        demo: opts.demo,
        ticket: opts.ticket.clone(),
        remote_host: None,
        lang,
        pii_revealed: opts.reveal_pii,
        profile: ProfileInfo {
            name: profile.name.clone(),
            title: profile.title.get(lang).to_string(),
            source: profile.source.clone(),
        },
        host: opts.host.clone(),
        started_at: result
            .started_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        duration_ms: result.duration.as_millis() as u64,
        verdict,
        exit_code: verdict.exit_code(),
        root_cause,
        checks,
    }
}

/// Renders a summary; `{because}` of a skipped check shows the blocking check's title.
pub fn render_summary(
    msg: &Msg,
    lang: Lang,
    reveal: bool,
    title_of: &dyn Fn(&str) -> String,
) -> String {
    let args: Vec<(String, String)> = msg
        .args
        .iter()
        .map(|(k, v)| {
            let text = v.render_in(lang, reveal);
            if k == "because" {
                (k.clone(), title_of(&text))
            } else {
                (k.clone(), text)
            }
        })
        .collect();
    match i18n::messages().summaries.get(&msg.key) {
        Some(t) => i18n::fill(t.get(lang), &args),
        None => {
            let mut s = msg.key.clone();
            for (k, v) in &args {
                s.push_str(&format!(" {k}={v}"));
            }
            s
        }
    }
}

/// Evidence of a check report, with labels in the report's language (text formats).
pub fn labelled_evidence<'a>(
    c: &'a CheckReport,
    lang: Lang,
) -> impl Iterator<Item = (String, &'a str)> + 'a {
    c.evidence
        .iter()
        .map(move |(k, v)| (i18n::evidence_label(k, lang), v.as_str()))
}
