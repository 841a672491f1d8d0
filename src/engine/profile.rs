//! The profile: which checks run, in which order, with which parameters. A profile is
//! YAML (`checks/ecpa-nhi-login.yaml` is built in); every mistake in it is reported with
//! the file, and the line and column where they can be found.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use indexmap::IndexMap;
use serde::{Deserialize, Deserializer, Serialize};

use super::catalogue::{Remedy, RemedyText};
use super::kind::{self, Kind, Kinds, Probe};
use crate::i18n::L10n;

pub const DEFAULT_PROFILE_NAME: &str = "checks/ecpa-nhi-login.yaml";
pub const DEFAULT_PROFILE_YAML: &str = include_str!("../../checks/ecpa-nhi-login.yaml");

/// Profiles built into the binary, by the name `--profile` takes when no file of that
/// name exists: (name, source, text).
pub const BUILT_IN_PROFILES: &[(&str, &str, &str)] = &[
    ("default", DEFAULT_PROFILE_NAME, DEFAULT_PROFILE_YAML),
    (
        "fleet",
        "checks/fleet.yaml",
        include_str!("../../checks/fleet.yaml"),
    ),
];
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    #[default]
    Blocking,
    Advisory,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    schema: u32,
    name: String,
    title: L10n,
    /// `default`: the built-in chain runs first, this profile's checks are added to it.
    #[serde(default)]
    extends: Option<String>,
    /// Remedy files beside the profile (paths relative to it), in the built-in
    /// catalogue's format, for the findings its checks name.
    #[serde(default)]
    remedy_files: Vec<String>,
    checks: Vec<CheckFile>,
}

/// The one profile a profile may extend.
pub const EXTENDS_DEFAULT: &str = "default";

/// A finding an agency check names: which of its kind's findings it stands for (all of
/// them when `when` is empty) and, inline, its remedy in both languages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FindingFile {
    #[serde(default)]
    when: Vec<String>,
    #[serde(rename = "zh-TW", default)]
    zh_tw: Option<RemedyText>,
    #[serde(default)]
    en: Option<RemedyText>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckFile {
    id: String,
    kind: String,
    title: L10n,
    #[serde(default)]
    needs: Vec<String>,
    #[serde(default)]
    after: Vec<String>,
    #[serde(default)]
    params: Option<serde_yaml::Value>,
    #[serde(default, deserialize_with = "de_timeout")]
    timeout: Option<Duration>,
    /// Default: blocking, or advisory for a check a profile adds to the default chain.
    #[serde(default)]
    severity: Option<Severity>,
    /// Finding code → remedy id, where the remedy is not the one named like the finding.
    #[serde(default)]
    remedies: IndexMap<String, String>,
    /// The profile's own finding codes for this check, with their remedies.
    #[serde(default)]
    findings: IndexMap<String, FindingFile>,
    /// In a profile that extends the default: the built-in check this one goes before
    /// (in the order root causes are picked); default: after every built-in check.
    #[serde(default)]
    before: Option<String>,
}

/// One check instance, ready to run.
#[derive(Clone)]
pub struct CheckDef {
    pub id: String,
    pub kind: String,
    pub title: L10n,
    pub needs: Vec<String>,
    /// Checks whose results it reads but does not need to pass: it waits for them and
    /// runs whatever they found (the browser trust check judges the chain the TLS check
    /// captured, even when that check failed).
    pub after: Vec<String>,
    pub timeout: Duration,
    pub severity: Severity,
    pub remedies: IndexMap<String, String>,
    /// The profile's own finding codes: (code, the kind's findings it stands for; all
    /// when empty).
    pub renames: Vec<(String, Vec<String>)>,
    pub params: serde_yaml::Value,
    pub probe: Arc<dyn Probe>,
    /// What the frontends need to know about its kind (run on request, re-run on a card
    /// change, pointed at a simulated world's stand-ins).
    pub descriptor: &'static Kind,
}

impl CheckDef {
    /// Every check it waits for: the ones it needs and the ones it runs after.
    pub fn waits_for(&self) -> impl Iterator<Item = &String> {
        self.needs.iter().chain(&self.after)
    }

    /// The profile's own code for a finding of its kind, if it names one. The engine's
    /// findings (a timeout, a crash) keep theirs.
    pub fn renamed(&self, finding: &str) -> Option<&str> {
        if kind::ENGINE_FINDINGS.contains(&finding) {
            return None;
        }
        self.renames
            .iter()
            .find(|(_, when)| when.is_empty() || when.iter().any(|w| w == finding))
            .map(|(code, _)| code.as_str())
    }

    /// The remedy for a finding: the profile's override, else the one named like it.
    pub fn remedy_for(&self, finding: &str) -> String {
        self.remedies
            .get(finding)
            .cloned()
            .unwrap_or_else(|| finding.to_string())
    }
}

impl fmt::Debug for CheckDef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckDef")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub title: L10n,
    /// Where it came from: the built-in name or the file path given.
    pub source: String,
    pub checks: Vec<CheckDef>,
    /// Remedies the profile brings (inline or in its remedy files), looked up before the
    /// built-in catalogue.
    pub remedies: std::collections::BTreeMap<String, Remedy>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message),
            (Some(l), None) => write!(f, "{}:{}: {}", self.file, l, self.message),
            _ => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for ProfileError {}

impl Profile {
    /// The default profile (`checks/ecpa-nhi-login.yaml`) over `kinds`.
    pub fn builtin(kinds: Kinds) -> Profile {
        Self::parse(DEFAULT_PROFILE_YAML, DEFAULT_PROFILE_NAME, kinds)
            .unwrap_or_else(|e| panic!("built-in profile is broken: {e}"))
    }

    /// A profile file, or a built-in profile by name (`default`, `fleet`) when there is
    /// no such file.
    pub fn load(path: &std::path::Path, kinds: Kinds) -> Result<Profile, ProfileError> {
        let file = path.display().to_string();
        if !path.exists()
            && let Some((_, source, text)) = BUILT_IN_PROFILES.iter().find(|(n, _, _)| *n == file)
        {
            return Self::parse(text, source, kinds);
        }
        // A profile may come through a pipe (`--profile <(…)`); its size is capped all the same.
        let text = read_small_file(path, false).map_err(|e| ProfileError {
            file: file.clone(),
            line: None,
            column: None,
            message: format!("cannot read the profile: {e}"),
        })?;
        Self::parse(&text, &file, kinds)
    }

    /// A profile whose checks are of `kinds`; every mistake named with file, line and column.
    pub fn parse(text: &str, file: &str, kinds: Kinds) -> Result<Profile, ProfileError> {
        let err_at = |pos: Option<(usize, usize)>, message: String| ProfileError {
            file: file.to_string(),
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            message,
        };
        let raw: ProfileFile = serde_yaml::from_str(text).map_err(|e| {
            let pos = e.location().map(|l| (l.line(), l.column()));
            err_at(pos, strip_location(&e.to_string()))
        })?;
        if raw.schema != 1 {
            return Err(err_at(
                locate(text, "schema", None),
                format!(
                    "unsupported schema {}; this version reads schema 1",
                    raw.schema
                ),
            ));
        }
        if raw.checks.is_empty() {
            return Err(err_at(
                locate(text, "checks", None),
                "the profile has no checks".into(),
            ));
        }

        let extending = match raw.extends.as_deref() {
            None => false,
            Some(EXTENDS_DEFAULT) => true,
            Some(other) => {
                return Err(err_at(
                    locate(text, "extends", Some(other)),
                    format!(
                        "extends: `{other}` cannot be extended; only `{EXTENDS_DEFAULT}` (the built-in chain) can"
                    ),
                ));
            }
        };
        let mut checks: Vec<CheckDef> = if extending {
            Self::parse(DEFAULT_PROFILE_YAML, DEFAULT_PROFILE_NAME, kinds)
                .map_err(|e| err_at(None, format!("the default profile: {e}")))?
                .checks
        } else {
            Vec::new()
        };
        let built_in: HashSet<String> = checks.iter().map(|c| c.id.clone()).collect();
        let mut remedies = remedy_files(file, &raw.remedy_files)?;
        let mut seen = built_in.clone();
        let mut added: Vec<(CheckDef, Option<String>)> = Vec::with_capacity(raw.checks.len());
        for c in raw.checks {
            if !is_valid_id(&c.id) {
                return Err(err_at(
                    locate(text, "id", Some(&c.id)),
                    format!(
                        "check id `{}` must be lower-case letters, digits, `-` or `_`",
                        c.id
                    ),
                ));
            }
            if built_in.contains(&c.id) {
                return Err(err_at(
                    locate(text, "id", Some(&c.id)),
                    format!(
                        "check id `{}` is already in the default profile; choose another",
                        c.id
                    ),
                ));
            }
            if !seen.insert(c.id.clone()) {
                return Err(err_at(
                    locate_nth(text, "id", &c.id, 2),
                    format!("check id `{}` is used twice", c.id),
                ));
            }
            let Some(kind) = kind::find(kinds, &c.kind) else {
                let known: Vec<&str> = kinds.iter().map(|k| k.name).collect();
                return Err(err_at(
                    locate(text, "kind", Some(&c.kind)),
                    format!(
                        "check `{}`: unknown kind `{}`; the kinds that exist are: {}",
                        c.id,
                        c.kind,
                        known.join(", ")
                    ),
                ));
            };
            let params = c
                .params
                .unwrap_or(serde_yaml::Value::Mapping(Default::default()));
            let probe = (kind.build)(&params).map_err(|e| {
                // The parameter the message names, else the value it quotes, else the check.
                let at = named_key(&e)
                    .and_then(|k| {
                        locate_in_check(text, &c.id, k).or_else(|| find_in_check(text, &c.id, k))
                    })
                    .or_else(|| locate(text, "id", Some(&c.id)));
                err_at(
                    at,
                    format!("check `{}` (kind `{}`): bad params: {e}", c.id, c.kind),
                )
            })?;
            let timeout = c.timeout.unwrap_or(DEFAULT_TIMEOUT);
            if timeout.is_zero() {
                return Err(err_at(
                    locate(text, "id", Some(&c.id)),
                    format!("check `{}`: timeout must be above zero", c.id),
                ));
            }
            if let Some(b) = &c.before
                && !(extending && built_in.contains(b))
            {
                return Err(err_at(
                    locate_in_check(text, &c.id, "before"),
                    format!(
                        "check `{}`: before `{b}`: `before` names a check of the default profile, in a profile with `extends: {EXTENDS_DEFAULT}`",
                        c.id
                    ),
                ));
            }
            let mut renames = Vec::new();
            for (code, f) in c.findings {
                let at = locate_key(text, &code);
                let fail = |message: String| err_at(at, format!("check `{}`: {message}", c.id));
                if !is_valid_code(&code) {
                    return Err(fail(format!(
                        "finding `{code}` must be lower-case letters, digits, `.`, `-` or `_`"
                    )));
                }
                if let Some(w) = f.when.iter().find(|w| !kind.findings.contains(&w.as_str())) {
                    return Err(fail(format!(
                        "finding `{code}`: when `{w}`: kind `{}` has no such finding; its findings are: {}",
                        kind.name,
                        kind.findings.join(", ")
                    )));
                }
                match (f.zh_tw, f.en) {
                    (Some(_), Some(_))
                        if super::catalogue::Catalogue::builtin().get(&code).is_some() =>
                    {
                        return Err(fail(format!(
                            "finding `{code}` is a built-in finding with its own remedy; give yours a code of your own (e.g. agency.{})",
                            code.rsplit('.').next().unwrap_or("down")
                        )));
                    }
                    (Some(zh_tw), Some(en)) => {
                        if remedies
                            .insert(code.clone(), Remedy { zh_tw, en })
                            .is_some()
                        {
                            return Err(fail(format!("finding `{code}` has two remedies")));
                        }
                    }
                    (None, None) => {
                        if !remedies.contains_key(&code)
                            && super::catalogue::Catalogue::builtin().get(&code).is_none()
                        {
                            return Err(fail(format!(
                                "finding `{code}` has no remedy: give it here in zh-TW and en, or in a remedy file (`remedy_files`)"
                            )));
                        }
                    }
                    (Some(_), None) => {
                        return Err(fail(format!(
                            "finding `{code}`: the remedy is in zh-TW only; give it in en too"
                        )));
                    }
                    (None, Some(_)) => {
                        return Err(fail(format!(
                            "finding `{code}`: the remedy is in en only; give it in zh-TW too"
                        )));
                    }
                }
                renames.push((code, f.when));
            }
            let severity = c.severity.unwrap_or(if extending {
                Severity::Advisory
            } else {
                Severity::Blocking
            });
            added.push((
                CheckDef {
                    id: c.id,
                    kind: c.kind,
                    title: c.title,
                    needs: c.needs,
                    after: c.after,
                    timeout,
                    severity,
                    remedies: c.remedies,
                    renames,
                    params,
                    probe,
                    descriptor: kind,
                },
                c.before,
            ));
        }
        for (check, before) in added {
            match before.and_then(|b| checks.iter().position(|c| c.id == b)) {
                Some(i) => checks.insert(i, check),
                None => checks.push(check),
            }
        }
        check_needs(&checks).map_err(|(id, msg)| err_at(locate(text, "id", Some(&id)), msg))?;
        Ok(Profile {
            name: raw.name,
            title: raw.title,
            source: file.to_string(),
            checks,
            remedies,
        })
    }

    /// A profile of one check, for subcommands that run a single kind (`explain`,
    /// `check-installer`) through the same engine and report as a full run.
    pub fn single(
        name: &str,
        title: L10n,
        id: &str,
        kind: &'static Kind,
        params: serde_yaml::Value,
        timeout: Duration,
    ) -> Result<Profile, String> {
        let probe = (kind.build)(&params)?;
        let check = CheckDef {
            id: id.to_string(),
            kind: kind.name.to_string(),
            title: title.clone(),
            needs: Vec::new(),
            after: Vec::new(),
            timeout,
            severity: Severity::Blocking,
            remedies: IndexMap::new(),
            renames: Vec::new(),
            params,
            probe,
            descriptor: kind,
        };
        Ok(Profile {
            name: name.to_string(),
            title,
            source: name.to_string(),
            checks: vec![check],
            remedies: Default::default(),
        })
    }

    pub fn check(&self, id: &str) -> Option<&CheckDef> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// `id` and every check that waits for it, directly or not, in profile order.
    pub fn with_dependents(&self, id: &str) -> Vec<String> {
        let mut set: HashSet<&str> = HashSet::from([id]);
        // Profile order is a valid topological order only if needs point backwards; iterate
        // to a fixed point so forward references work too.
        loop {
            let before = set.len();
            for c in &self.checks {
                if c.waits_for().any(|n| set.contains(n.as_str())) {
                    set.insert(&c.id);
                }
            }
            if set.len() == before {
                break;
            }
        }
        self.checks
            .iter()
            .filter(|c| set.contains(c.id.as_str()))
            .map(|c| c.id.clone())
            .collect()
    }
}

/// The remedy files a profile names, read relative to it; an id defined twice is refused.
fn remedy_files(
    profile: &str,
    names: &[String],
) -> Result<std::collections::BTreeMap<String, Remedy>, ProfileError> {
    let dir = std::path::Path::new(profile)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    let mut out = std::collections::BTreeMap::new();
    for name in names {
        let path = dir.join(name);
        let shown = path.display().to_string();
        let error = |pos: Option<(usize, usize)>, message: String| ProfileError {
            file: shown.clone(),
            line: pos.map(|p| p.0),
            column: pos.map(|p| p.1),
            message,
        };
        let text = read_small_file(&path, true)
            .map_err(|e| error(None, format!("cannot read the remedy file: {e}")))?;
        let part: std::collections::BTreeMap<String, Remedy> = serde_yaml::from_str(&text)
            .map_err(|e| {
                let pos = e.location().map(|l| (l.line(), l.column()));
                error(pos, strip_location(&e.to_string()))
            })?;
        for (id, r) in part {
            if out.insert(id.clone(), r).is_some() {
                return Err(error(
                    locate_key(&text, &id),
                    format!("remedy `{id}` is defined twice"),
                ));
            }
        }
    }
    Ok(out)
}

/// Larger than any real profile or remedy file.
const REMEDY_FILE_MAX: u64 = 1024 * 1024;

/// A regular file's text, refused past `REMEDY_FILE_MAX` (a device or a huge file named by
/// mistake must not hang or exhaust the reader).
fn read_small_file(path: &std::path::Path, regular_only: bool) -> std::io::Result<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() || (regular_only && !meta.is_file()) {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(REMEDY_FILE_MAX + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > REMEDY_FILE_MAX {
        return Err(std::io::Error::other("larger than 1 MiB"));
    }
    String::from_utf8(bytes).map_err(|_| std::io::Error::other("not UTF-8 text"))
}

/// The parameter a kind's error message starts with (`` `run`: … ``) or names as unknown
/// (`` unknown field `foo` ``), to point at its line.
fn named_key(message: &str) -> Option<&str> {
    fn quoted(s: &str) -> Option<&str> {
        s.strip_prefix('`')?.split('`').next()
    }
    if let Some(k) = quoted(message) {
        return Some(k);
    }
    let i = message.find("unknown field `")?;
    quoted(&message[i + "unknown field ".len()..])
}

/// Line and column of `key:` inside the check with this id (between its `id:` line and the
/// next check), in block or flow style (`params: {path: /x, key: 1}`).
fn locate_in_check(text: &str, id: &str, key: &str) -> Option<(usize, usize)> {
    let wanted = format!("{key}:");
    for (i, line) in check_lines(text, id)? {
        let found = line.match_indices(&wanted).find(|(at, _)| {
            line[..*at]
                .chars()
                .last()
                .is_none_or(|c| c.is_whitespace() || c == '{' || c == ',')
        });
        if let Some((at, _)) = found {
            return Some((i + 1, line[..at].chars().count() + 1));
        }
    }
    None
}

/// Line and column of the first `needle` inside the check with this id.
fn find_in_check(text: &str, id: &str, needle: &str) -> Option<(usize, usize)> {
    for (i, line) in check_lines(text, id)? {
        if let Some(at) = line.find(needle) {
            return Some((i + 1, line[..at].chars().count() + 1));
        }
    }
    None
}

/// The lines of the check with this id after its `id:` line (numbered from 0), up to the
/// next item of the `checks` list — a list inside its params (`run:` as a block list) is
/// still the check's.
fn check_lines<'a>(text: &'a str, id: &str) -> Option<impl Iterator<Item = (usize, &'a str)>> {
    let (start, column) = locate(text, "id", Some(id))?;
    // `column` is where `id:` starts; the check's own `- ` is two columns before it.
    let item_indent = column.saturating_sub(3);
    Some(
        text.lines()
            .enumerate()
            .skip(start)
            .take_while(move |(_, line)| {
                let indent = line.len() - line.trim_start().len();
                !(line.trim_start().starts_with("- ") && indent <= item_indent)
            }),
    )
}

/// A finding code: `agency.vpn_down`.
fn is_valid_code(code: &str) -> bool {
    !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '-' | '_'))
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// Dangling ids and cycles in `needs` and `after`, named.
fn check_needs(checks: &[CheckDef]) -> Result<(), (String, String)> {
    let index: HashMap<&str, usize> = checks
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    for c in checks {
        let named = c
            .needs
            .iter()
            .map(|n| ("needs", n))
            .chain(c.after.iter().map(|n| ("runs after", n)));
        for (how, n) in named {
            if !index.contains_key(n.as_str()) {
                return Err((
                    c.id.clone(),
                    format!(
                        "check `{}` {how} `{}`, which is not in the profile",
                        c.id, n
                    ),
                ));
            }
            if n == &c.id {
                return Err((c.id.clone(), format!("check `{}` {how} itself", c.id)));
            }
        }
    }
    // Depth-first search with colours; the path on the stack names the cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    fn visit<'a>(
        i: usize,
        checks: &'a [CheckDef],
        index: &HashMap<&str, usize>,
        marks: &mut [Mark],
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<&'a str>> {
        marks[i] = Mark::Active;
        path.push(&checks[i].id);
        for n in checks[i].waits_for() {
            let j = index[n.as_str()];
            match marks[j] {
                Mark::Active => {
                    let start = path.iter().position(|p| *p == checks[j].id).unwrap_or(0);
                    let mut cycle = path[start..].to_vec();
                    cycle.push(&checks[j].id);
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(c) = visit(j, checks, index, marks, path) {
                        return Some(c);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks[i] = Mark::Done;
        None
    }
    let mut marks = vec![Mark::New; checks.len()];
    for i in 0..checks.len() {
        if marks[i] == Mark::New {
            let mut path = Vec::new();
            if let Some(cycle) = visit(i, checks, &index, &mut marks, &mut path) {
                return Err((
                    cycle[0].to_string(),
                    format!("`needs` and `after` form a cycle: {}", cycle.join(" → ")),
                ));
            }
        }
    }
    Ok(())
}

/// yaml_serde appends " at line L column C" to its messages; we print the position up
/// front in `file:line:column` form instead.
fn strip_location(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// Line and column (1-based) of `key: value` (or of `key:` when value is None), so
/// semantic errors found after parsing still point at the right place.
fn locate(text: &str, key: &str, value: Option<&str>) -> Option<(usize, usize)> {
    match value {
        Some(v) => locate_nth(text, key, v, 1),
        None => locate_key(text, key),
    }
}

fn locate_key(text: &str, key: &str) -> Option<(usize, usize)> {
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        if trimmed.starts_with(&format!("{key}:")) {
            return Some((i + 1, line.len() - trimmed.len() + 1));
        }
    }
    None
}

fn locate_nth(text: &str, key: &str, value: &str, nth: usize) -> Option<(usize, usize)> {
    if value.is_empty() {
        return None;
    }
    let mut count = 0;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        let Some(rest) = trimmed.strip_prefix(&format!("{key}:")) else {
            continue;
        };
        let v = rest
            .split('#')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(|c| c == '"' || c == '\'');
        if v == value {
            count += 1;
            if count == nth {
                return Some((i + 1, line.len() - trimmed.len() + 1));
            }
        }
    }
    None
}

/// `500ms`, `3s`, `1.5s`, `2m`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration (use e.g. 500ms, 3s, 2m)"))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("`{s}` is not a duration"));
    }
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" | "min" => n * 60.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s or m)")),
    };
    if secs > 3600.0 {
        return Err(format!("`{s}` is longer than an hour"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn de_timeout<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    super::kind::de_duration(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests::KINDS;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("2").unwrap(), Duration::from_secs(2));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("3h").is_err());
    }

    fn minimal(checks: &str) -> String {
        format!("schema: 1\nname: t\ntitle: {{zh-TW: 測試, en: test}}\nchecks:\n{checks}")
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let text = minimal("  - id: a\n    kind: host\n    title: {zh-TW: x, en: x\n");
        let e = Profile::parse(&text, "p.yaml", KINDS).unwrap_err();
        assert_eq!(e.file, "p.yaml");
        assert!(e.line.is_some() && e.column.is_some(), "{e}");
        assert!(e.to_string().starts_with("p.yaml:"), "{e}");
    }

    #[test]
    fn unknown_kind_names_the_known_ones() {
        let text = minimal("  - id: a\n    kind: teleport\n    title: {zh-TW: x, en: x}\n");
        let e = Profile::parse(&text, "p.yaml", KINDS).unwrap_err();
        assert!(
            e.message.contains("teleport") && e.message.contains("host"),
            "{e}"
        );
        assert_eq!(e.line, Some(6));
    }

    #[test]
    fn dangling_need_and_cycle_are_named() {
        let text = minimal(
            "  - id: a\n    kind: host\n    title: {zh-TW: x, en: x}\n    needs: [ghost]\n",
        );
        let e = Profile::parse(&text, "p.yaml", KINDS).unwrap_err();
        assert!(e.message.contains("ghost"), "{e}");
        let text = minimal(
            "  - id: a\n    kind: host\n    title: {zh-TW: x, en: x}\n    needs: [b]\n  - id: b\n    kind: host\n    title: {zh-TW: x, en: x}\n    needs: [a]\n",
        );
        let e = Profile::parse(&text, "p.yaml", KINDS).unwrap_err();
        assert!(
            e.message.contains("a → b → a") || e.message.contains("b → a → b"),
            "{e}"
        );
    }

    #[test]
    fn unknown_field_is_refused_with_position() {
        let text =
            minimal("  - id: a\n    kind: host\n    title: {zh-TW: x, en: x}\n    neds: [b]\n");
        let e = Profile::parse(&text, "p.yaml", KINDS).unwrap_err();
        assert!(e.message.contains("neds"), "{e}");
        assert!(e.line.is_some());
    }

    #[test]
    fn dependents_are_transitive() {
        let text = minimal(
            "  - id: a\n    kind: host\n    title: {zh-TW: x, en: x}\n  - id: b\n    kind: host\n    title: {zh-TW: x, en: x}\n    needs: [a]\n  - id: c\n    kind: host\n    title: {zh-TW: x, en: x}\n    needs: [b]\n  - id: d\n    kind: host\n    title: {zh-TW: x, en: x}\n",
        );
        let p = Profile::parse(&text, "p.yaml", KINDS).unwrap();
        assert_eq!(p.with_dependents("a"), vec!["a", "b", "c"]);
    }
}
