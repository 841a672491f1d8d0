//! Reading the reports a sweep collected. Each PC is named by its file — the inventory
//! name the playbook wrote (`<name>.json`, or `<name>.unreachable.json` with the fleet
//! engine's message for a PC it could not run on) — never by the hostname inside the
//! report, which cloned desktop images share. Every file is hostile input: a size cap, no
//! guessing at another schema version, and a report written with `--show-pii` is refused,
//! so nothing unmasked reaches a summary.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::engine::outcome::Status;
use crate::engine::run::Verdict;
use crate::i18n::Lang;
use crate::report::model::{RemedyReport, SCHEMA_VERSION};

/// Far above any real report (tens of KiB).
pub const REPORT_MAX: u64 = 8 * 1024 * 1024;

/// What a fleet engine's message is cut to.
const MESSAGE_MAX: usize = 400;

/// One PC's report, as much of it as a summary uses.
#[derive(Debug, Clone, Deserialize)]
pub struct PcReport {
    pub schema_version: u32,
    pub lang: Lang,
    pub pii_revealed: bool,
    #[serde(default)]
    pub demo: bool,
    pub verdict: Verdict,
    pub root_cause: Option<RootCauseSeen>,
    pub checks: Vec<CheckSeen>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RootCauseSeen {
    pub check: String,
    pub title: String,
    pub finding: Option<String>,
    pub summary: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckSeen {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub finding: Option<String>,
    #[serde(default)]
    pub remedy: Option<RemedyReport>,
}

/// What one file says about one PC.
#[derive(Debug, Clone)]
pub enum Entry {
    Report(Box<PcReport>),
    /// The fleet engine could not run ecpa-doctor there; its message.
    Unreachable(String),
    /// The file could not be used; why.
    Unreadable(Why),
}

/// Why a file could not be used: a catalogue phrase (`fleet.why.*`, `{detail}` filled in)
/// so the summary says it in its own language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    pub key: &'static str,
    pub detail: String,
}

impl Why {
    fn new(key: &'static str, detail: impl Into<String>) -> Why {
        Why {
            key,
            detail: detail.into(),
        }
    }

    pub fn render(&self, lang: Lang) -> String {
        crate::i18n::fill(
            &crate::i18n::ui(self.key, lang),
            &[("detail".into(), self.detail.clone())],
        )
    }
}

/// `(pc name, the file, what it says)` for every report file among `paths` (files, or
/// folders whose `*.json` files are read), sorted by PC name. When a PC has both a report
/// and an unreachable note (an older sweep's), the newer file counts.
pub fn read_paths(paths: &[PathBuf]) -> std::io::Result<Vec<(String, PathBuf, Entry)>> {
    let mut files: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut inside: Vec<PathBuf> = std::fs::read_dir(p)?
                .flatten()
                .map(|e| e.path())
                .filter(|f| f.extension().is_some_and(|e| e == "json"))
                .collect();
            inside.sort();
            files.extend(inside);
        } else {
            files.push(p.clone());
        }
    }
    let mut by_pc: std::collections::BTreeMap<
        String,
        (PathBuf, Entry, Option<std::time::SystemTime>),
    > = Default::default();
    for f in files {
        let (name, unreachable) = pc_name(&f);
        let modified = std::fs::metadata(&f).and_then(|m| m.modified()).ok();
        let entry = match read_capped(&f) {
            Err(e) => Entry::Unreadable(e),
            Ok(bytes) if unreachable => Entry::Unreachable(unreachable_message(&bytes)),
            Ok(bytes) => parse_report(&bytes),
        };
        let newer = by_pc
            .get(&name)
            .is_none_or(|(_, _, old)| modified.is_some() && modified >= *old);
        if newer {
            by_pc.insert(name, (f, entry, modified));
        }
    }
    Ok(by_pc
        .into_iter()
        .map(|(name, (file, entry, _))| (name, file, entry))
        .collect())
}

/// `pc-01.json` → (`pc-01`, false); `pc-01.unreachable.json` → (`pc-01`, true).
pub fn pc_name(file: &Path) -> (String, bool) {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.strip_suffix(".json").unwrap_or(&name);
    match stem.strip_suffix(".unreachable") {
        Some(pc) => (pc.to_string(), true),
        None => (stem.to_string(), false),
    }
}

/// A report file's bytes, refused past `REPORT_MAX` or when it is not a regular file.
pub fn read_capped(path: &Path) -> Result<Vec<u8>, Why> {
    use std::io::Read;
    let too_large = || {
        Why::new(
            "fleet.why.too_large",
            (REPORT_MAX / 1024 / 1024).to_string(),
        )
    };
    let meta = std::fs::metadata(path).map_err(|e| Why::new("fleet.why.io", e.to_string()))?;
    if !meta.is_file() {
        return Err(Why::new("fleet.why.not_a_file", ""));
    }
    if meta.len() > REPORT_MAX {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(REPORT_MAX + 1).read_to_end(&mut bytes))
        .map_err(|e| Why::new("fleet.why.io", e.to_string()))?;
    if bytes.len() as u64 > REPORT_MAX {
        return Err(too_large());
    }
    Ok(bytes)
}

/// A report file's bytes → a report, or why not. Pure: the fuzz target's entry point.
pub fn parse_report(bytes: &[u8]) -> Entry {
    // One parse for a report as it should be; only one that is not is read again, for why.
    match serde_json::from_slice::<PcReport>(bytes) {
        Ok(mut r) if r.schema_version == SCHEMA_VERSION && !r.pii_revealed => {
            r.make_printable();
            Entry::Report(Box::new(r))
        }
        _ => Entry::Unreadable(why_refused(bytes)),
    }
}

/// Why these bytes are not a report a summary may use, checked in this order: not JSON,
/// another schema, revealed personal data, incomplete.
fn why_refused(bytes: &[u8]) -> Why {
    #[derive(Deserialize)]
    struct Head {
        schema_version: Option<serde_json::Value>,
        pii_revealed: Option<serde_json::Value>,
    }
    let head: Head = match serde_json::from_slice(bytes) {
        Ok(h) => h,
        Err(e) => return Why::new("fleet.why.not_json", shown(&e.to_string())),
    };
    match head.schema_version {
        Some(serde_json::Value::Number(n)) if n.as_u64() == Some(SCHEMA_VERSION as u64) => {}
        Some(v) => {
            return Why::new(
                "fleet.why.schema",
                crate::bridge::printable(v.to_string().as_bytes(), 20),
            );
        }
        None => return Why::new("fleet.why.no_schema", ""),
    }
    if head.pii_revealed != Some(serde_json::Value::Bool(false)) {
        return Why::new("fleet.why.pii_revealed", "");
    }
    let error = serde_json::from_slice::<PcReport>(bytes)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    Why::new("fleet.why.incomplete", shown(&error))
}

/// Text another PC wrote, as one printable line: no terminal escapes, no line breaks that
/// would start a section of their own in a Markdown summary.
fn shown(text: &str) -> String {
    crate::bridge::printable(text.as_bytes(), TEXT_MAX)
}

/// What a title, summary or remedy step from a report is cut to.
const TEXT_MAX: usize = 1000;

impl PcReport {
    /// Every text a summary may print, made printable.
    fn make_printable(&mut self) {
        if let Some(rc) = &mut self.root_cause {
            for t in [&mut rc.check, &mut rc.title, &mut rc.summary] {
                *t = shown(t);
            }
            rc.finding = rc.finding.as_deref().map(shown);
        }
        for c in &mut self.checks {
            c.id = shown(&c.id);
            c.title = shown(&c.title);
            c.finding = c.finding.as_deref().map(shown);
            if let Some(r) = &mut c.remedy {
                for t in [&mut r.id, &mut r.title, &mut r.why] {
                    *t = shown(t);
                }
                for t in r.steps.iter_mut().chain(r.contact.iter_mut()) {
                    *t = shown(t);
                }
                r.links.clear();
            }
        }
    }

    /// The PC's state judged from the whole report, not only the verdict it claims: a root
    /// cause or a failed check (advisory failures are reported as warnings) is blocking, a
    /// warning is a warning.
    pub fn judged_verdict(&self) -> crate::engine::run::Verdict {
        use crate::engine::run::Verdict;
        let failed =
            |c: &CheckSeen| matches!(c.status, Status::Fail | Status::TimedOut | Status::Crashed);
        if self.verdict == Verdict::BlockingFailure
            || self.root_cause.is_some()
            || self.checks.iter().any(failed)
        {
            Verdict::BlockingFailure
        } else if self.verdict == Verdict::Warnings
            || self.checks.iter().any(|c| c.status == Status::Warn)
        {
            Verdict::Warnings
        } else {
            Verdict::Healthy
        }
    }
}

/// The message of an unreachable note (Ansible's `msg`), cut and printable.
pub fn unreachable_message(bytes: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let text = ["msg", "message", "stderr"]
        .iter()
        .find_map(|k| {
            v.get(k)
                .and_then(|m| m.as_str())
                .filter(|m| !m.trim().is_empty())
        })
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(bytes).into_owned());
    crate::bridge::printable(text.as_bytes(), MESSAGE_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreadable(e: Entry) -> String {
        match e {
            Entry::Unreadable(why) => why.render(Lang::En),
            other => panic!("read as {other:?}"),
        }
    }

    #[test]
    fn names_come_from_the_file() {
        assert_eq!(pc_name(Path::new("/r/pc-01.json")), ("pc-01".into(), false));
        assert_eq!(
            pc_name(Path::new("pc-01.unreachable.json")),
            ("pc-01".into(), true)
        );
    }

    #[test]
    fn other_schemas_revealed_pii_and_garbage_are_refused_with_a_reason() {
        assert!(unreadable(parse_report(b"{broken")).contains("not a JSON report"));
        assert!(
            unreadable(parse_report(br#"{"schema_version": 2}"#)).contains("2 is not supported")
        );
        assert!(unreadable(parse_report(br#"{"a": 1}"#)).contains("no schema_version"));
        assert!(
            unreadable(parse_report(
                br#"{"schema_version": 1, "pii_revealed": true}"#
            ))
            .contains("--show-pii")
        );
        assert!(
            unreadable(parse_report(
                br#"{"schema_version": 1, "pii_revealed": false}"#
            ))
            .contains("not a complete report")
        );
    }

    /// A report that claims to be healthy but names a root cause, or carries terminal
    /// escapes and line breaks, is judged and printed as what it is.
    #[test]
    fn a_report_is_judged_by_its_contents_and_printed_safely() {
        let r = br#"{"schema_version":1,"lang":"en","pii_revealed":false,"verdict":"healthy",
            "root_cause":{"check":"card","title":"\u001b]52;c;aGk=\u0007x\n## All healthy","finding":"card.none","summary":"s"},
            "checks":[{"id":"card","title":"t","status":"fail","finding":"card.none"}]}"#;
        let Entry::Report(r) = parse_report(r) else {
            panic!("not read")
        };
        assert_eq!(
            r.judged_verdict(),
            crate::engine::run::Verdict::BlockingFailure
        );
        let title = &r.root_cause.as_ref().unwrap().title;
        assert!(
            !title.contains('\u{1b}') && !title.contains('\n'),
            "{title:?}"
        );
    }

    #[test]
    fn an_unreachable_note_gives_ansibles_message() {
        assert_eq!(
            unreachable_message(br#"{"msg": "Failed to connect to the host via ssh"}"#),
            "Failed to connect to the host via ssh"
        );
        assert_eq!(unreachable_message(b"plain words"), "plain words");
    }
}
