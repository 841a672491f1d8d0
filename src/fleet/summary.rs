//! The fleet summary: one model for every format and the console's fleet view.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::read::{Entry, PcReport};
use crate::engine::catalogue::Catalogue;
use crate::engine::outcome::Status;
use crate::engine::run::Verdict;
use crate::i18n::{L10n, Lang};
use crate::report::model::RemedyReport;

pub const FLEET_SCHEMA_VERSION: u32 = 1;

/// Exit statuses of `fleet summarize`, in order of precedence.
pub const EXIT_ALL_HEALTHY: i32 = 0;
pub const EXIT_WARNINGS_ONLY: i32 = 2;
pub const EXIT_BLOCKED_OR_UNREACHABLE: i32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PcState {
    Healthy,
    Warnings,
    Blocked,
    Unreachable,
    Unreadable,
}

impl PcState {
    /// Its name in JSON and CSV.
    pub fn key(self) -> &'static str {
        match self {
            PcState::Healthy => "healthy",
            PcState::Warnings => "warnings",
            PcState::Blocked => "blocked",
            PcState::Unreachable => "unreachable",
            PcState::Unreadable => "unreadable",
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counts {
    pub total: usize,
    pub healthy: usize,
    pub warnings: usize,
    pub blocked: usize,
    pub unreachable: usize,
    pub unreadable: usize,
}

/// A root cause (or a warning) and the PCs it hit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cause {
    pub check: String,
    pub title: String,
    pub finding: Option<String>,
    pub count: usize,
    pub pcs: Vec<String>,
    pub remedy: Option<RemedyReport>,
    /// The PC whose report the remedy was taken from, when it is not in the catalogue (an
    /// agency's own finding): one PC's words, said as such.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy_from: Option<String>,
    /// Where one fix serves every PC it hit (an enterprise policy, one proxy entry, one
    /// re-install through software deployment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fleet_fix: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pc {
    pub pc: String,
    pub file: String,
    pub state: PcState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_check: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_finding: Option<String>,
    pub warnings: Vec<String>,
    /// The unreachable PC's message, the unreadable file's reason, the root cause's summary.
    pub detail: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FleetSummary {
    pub schema_version: u32,
    pub lang: Lang,
    pub counts: Counts,
    pub exit_code: i32,
    /// How many reports came from the demo (simulated), so nobody mistakes a drill.
    pub demo_reports: usize,
    pub root_causes: Vec<Cause>,
    pub warnings: Vec<Cause>,
    pub pcs: Vec<Pc>,
}

impl FleetSummary {
    pub fn in_state(&self, state: PcState) -> impl Iterator<Item = &Pc> {
        self.pcs.iter().filter(move |p| p.state == state)
    }
}

/// Fleet-wide fixes by finding (`assets/fleet-fixes.yaml`).
fn fleet_fixes() -> &'static BTreeMap<String, L10n> {
    static CELL: OnceLock<BTreeMap<String, L10n>> = OnceLock::new();
    CELL.get_or_init(|| {
        serde_yaml::from_str(include_str!("../../assets/fleet-fixes.yaml"))
            .unwrap_or_else(|e| panic!("built-in assets/fleet-fixes.yaml is broken: {e}"))
    })
}

/// A built-in check's title in `lang` (from the built-in profiles), so a summary in one
/// language does not mix in the titles of reports written in the other.
fn builtin_title(check: &str, lang: Lang) -> Option<String> {
    #[derive(Deserialize)]
    struct Titles {
        checks: Vec<Titled>,
    }
    #[derive(Deserialize)]
    struct Titled {
        id: String,
        title: L10n,
    }
    static CELL: OnceLock<BTreeMap<String, L10n>> = OnceLock::new();
    let titles = CELL.get_or_init(|| {
        let mut out = BTreeMap::new();
        for (_, _, text) in crate::engine::profile::BUILT_IN_PROFILES {
            if let Ok(t) = serde_yaml::from_str::<Titles>(text) {
                for c in t.checks {
                    out.entry(c.id).or_insert(c.title);
                }
            }
        }
        out
    });
    titles.get(check).map(|t| t.get(lang).to_string())
}

/// The remedy in `lang` from the catalogue (by the id the report names), else the one the
/// report carries (an agency's own finding) in the report's language.
fn remedy_for(
    seen: Option<&RemedyReport>,
    finding: Option<&str>,
    lang: Lang,
) -> (Option<RemedyReport>, bool) {
    let Some(id) = seen.map(|r| r.id.as_str()).or(finding) else {
        return (None, false);
    };
    match Catalogue::builtin().get(id) {
        Some(r) => (Some(RemedyReport::from_catalogue(id, r, lang)), false),
        None => (seen.cloned(), seen.is_some()),
    }
}

/// Causes keyed by (check, finding), PCs in name order, ranked by how many PCs they hit.
#[derive(Default)]
struct Tally {
    causes: BTreeMap<(String, Option<String>), Cause>,
}

impl Tally {
    fn add(
        &mut self,
        pc: &str,
        check: &str,
        title: &str,
        finding: Option<&str>,
        remedy: Option<&RemedyReport>,
        lang: Lang,
    ) {
        let key = (check.to_string(), finding.map(str::to_string));
        let c = self.causes.entry(key).or_insert_with(|| {
            let (remedy, from_report) = remedy_for(remedy, finding, lang);
            Cause {
                check: check.to_string(),
                title: builtin_title(check, lang).unwrap_or_else(|| title.to_string()),
                finding: finding.map(str::to_string),
                count: 0,
                pcs: Vec::new(),
                remedy,
                remedy_from: from_report.then(|| pc.to_string()),
                fleet_fix: finding
                    .and_then(|f| fleet_fixes().get(f))
                    .map(|t| t.get(lang).to_string()),
            }
        });
        c.count += 1;
        c.pcs.push(pc.to_string());
    }

    fn ranked(self) -> Vec<Cause> {
        let mut v: Vec<Cause> = self.causes.into_values().collect();
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| a.finding.cmp(&b.finding))
        });
        v
    }
}

fn state_of(r: &PcReport) -> PcState {
    match r.judged_verdict() {
        Verdict::Healthy => PcState::Healthy,
        Verdict::Warnings => PcState::Warnings,
        Verdict::BlockingFailure => PcState::Blocked,
    }
}

/// The summary of what the files said, in `lang`.
pub fn summarize(entries: &[(String, std::path::PathBuf, Entry)], lang: Lang) -> FleetSummary {
    let mut counts = Counts::default();
    let (mut roots, mut warns) = (Tally::default(), Tally::default());
    let mut pcs = Vec::with_capacity(entries.len());
    let mut demo_reports = 0;
    for (pc, file, entry) in entries {
        counts.total += 1;
        let file = file.display().to_string();
        let line = match entry {
            Entry::Unreachable(msg) => {
                counts.unreachable += 1;
                Pc {
                    pc: pc.clone(),
                    file,
                    state: PcState::Unreachable,
                    root_check: None,
                    root_finding: None,
                    warnings: Vec::new(),
                    detail: msg.clone(),
                }
            }
            Entry::Unreadable(why) => {
                counts.unreadable += 1;
                Pc {
                    pc: pc.clone(),
                    file,
                    state: PcState::Unreadable,
                    root_check: None,
                    root_finding: None,
                    warnings: Vec::new(),
                    detail: why.render(lang),
                }
            }
            Entry::Report(r) => {
                demo_reports += usize::from(r.demo);
                let state = state_of(r);
                match state {
                    PcState::Healthy => counts.healthy += 1,
                    PcState::Warnings => counts.warnings += 1,
                    _ => counts.blocked += 1,
                }
                let remedy_of = |id: &str| {
                    r.checks
                        .iter()
                        .find(|c| c.id == id)
                        .and_then(|c| c.remedy.as_ref())
                };
                if let Some(rc) = &r.root_cause {
                    roots.add(
                        pc,
                        &rc.check,
                        &rc.title,
                        rc.finding.as_deref(),
                        remedy_of(&rc.check),
                        lang,
                    );
                }
                let mut warnings = Vec::new();
                for c in r.checks.iter().filter(|c| c.status == Status::Warn) {
                    warns.add(
                        pc,
                        &c.id,
                        &c.title,
                        c.finding.as_deref(),
                        c.remedy.as_ref(),
                        lang,
                    );
                    warnings.push(c.finding.clone().unwrap_or_else(|| c.id.clone()));
                }
                Pc {
                    pc: pc.clone(),
                    file,
                    state,
                    root_check: r.root_cause.as_ref().map(|c| c.check.clone()),
                    root_finding: r.root_cause.as_ref().and_then(|c| c.finding.clone()),
                    warnings,
                    detail: r
                        .root_cause
                        .as_ref()
                        .map(|c| c.summary.clone())
                        .unwrap_or_default(),
                }
            }
        };
        pcs.push(line);
    }
    let exit_code = if counts.blocked + counts.unreachable + counts.unreadable > 0 {
        EXIT_BLOCKED_OR_UNREACHABLE
    } else if counts.warnings > 0 {
        EXIT_WARNINGS_ONLY
    } else {
        EXIT_ALL_HEALTHY
    };
    FleetSummary {
        schema_version: FLEET_SCHEMA_VERSION,
        lang,
        counts,
        exit_code,
        demo_reports,
        root_causes: roots.ranked(),
        warnings: warns.ranked(),
        pcs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CSV names a state by `key`, JSON by serde: the same word.
    #[test]
    fn a_states_key_is_its_json_name() {
        for s in [
            PcState::Healthy,
            PcState::Warnings,
            PcState::Blocked,
            PcState::Unreachable,
            PcState::Unreadable,
        ] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.key());
        }
    }
}
