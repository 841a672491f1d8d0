//! Demo scenarios as data. `assets/demo/world.yaml` describes a healthy machine at its
//! lowest layer (PC/SC, USB, files, processes, sockets, resolver, the component's bridge);
//! each scenario in `assets/demo/scenarios/*.yaml` is a patch on that world plus the root
//! cause it must produce and the scenario its fix leads to. Patches merge like this:
//! mappings merge key by key, `null` deletes a key, anything else replaces.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use crate::i18n::L10n;

pub const WORLD_FILE: (&str, &str) = (
    "assets/demo/world.yaml",
    include_str!("../../assets/demo/world.yaml"),
);

/// Scenario files, one per area of the chain; an id defined twice is an error.
pub const SCENARIO_FILES: &[(&str, &str)] = &[
    (
        "assets/demo/scenarios/pcsc-card.yaml",
        include_str!("../../assets/demo/scenarios/pcsc-card.yaml"),
    ),
    (
        "assets/demo/scenarios/component.yaml",
        include_str!("../../assets/demo/scenarios/component.yaml"),
    ),
    (
        "assets/demo/scenarios/network.yaml",
        include_str!("../../assets/demo/scenarios/network.yaml"),
    ),
    (
        "assets/demo/scenarios/bridge.yaml",
        include_str!("../../assets/demo/scenarios/bridge.yaml"),
    ),
    (
        "assets/demo/scenarios/browser.yaml",
        include_str!("../../assets/demo/scenarios/browser.yaml"),
    ),
    (
        "assets/demo/scenarios/account.yaml",
        include_str!("../../assets/demo/scenarios/account.yaml"),
    ),
    (
        "assets/demo/scenarios/registration.yaml",
        include_str!("../../assets/demo/scenarios/registration.yaml"),
    ),
];

/// What a Windows PC changes in the base world, applied under a scenario that says
/// `os: windows`.
pub const WINDOWS_FILE: (&str, &str) = (
    "assets/demo/windows.yaml",
    include_str!("../../assets/demo/windows.yaml"),
);

pub const HEALTHY: &str = "healthy";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    id: String,
    title: L10n,
    /// What the user tells the helpdesk: the trainee starts from this.
    story: L10n,
    /// Start from this scenario's world instead of the base one.
    #[serde(default)]
    like: Option<String>,
    #[serde(default)]
    world: Value,
    expect: Expect,
    /// Findings that must also show up somewhere in the report (warnings, or the message
    /// check when something earlier is the root cause).
    #[serde(default)]
    also: Vec<String>,
    /// The scenario the fix key leads to (what the remedy achieves).
    #[serde(default)]
    fix: Option<String>,
    /// The story is a registration password check: the run is with `--check-password`
    /// (in the console, `w`) and this is what the user types. Demo data, never a real one.
    #[serde(default)]
    password: Option<String>,
}

/// The root cause a scenario must produce: `healthy`, or the check and its finding (a
/// warning when nothing blocks).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expect {
    Healthy(String),
    Finding { check: String, finding: String },
}

impl Expect {
    /// `(check, finding)`, or `None` for a healthy scenario.
    pub fn finding(&self) -> Option<(&str, &str)> {
        match self {
            Expect::Healthy(_) => None,
            Expect::Finding { check, finding } => Some((check, finding)),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub id: String,
    pub title: L10n,
    pub story: L10n,
    /// The whole world (the base with this scenario's patch applied).
    pub world: Value,
    pub expect: Expect,
    pub also: Vec<String>,
    pub fix: Option<String>,
    /// What the user types when the story checks the registration password.
    pub password: Option<String>,
    /// Where it is defined, for error messages.
    pub file: &'static str,
}

impl Scenario {
    /// Every finding this scenario promises: the root cause and the `also` list.
    pub fn findings(&self) -> Vec<&str> {
        self.expect
            .finding()
            .map(|(_, f)| f)
            .into_iter()
            .chain(self.also.iter().map(String::as_str))
            .collect()
    }
}

/// `base` with `patch` applied: mappings merge key by key, `null` deletes, the rest
/// replaces.
pub fn merge(base: &Value, patch: &Value) -> Value {
    match (base, patch) {
        (Value::Mapping(b), Value::Mapping(p)) => {
            let mut out: Mapping = b.clone();
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let merged = match out.get(k) {
                        Some(old) => merge(old, v),
                        None => strip_nulls(v),
                    };
                    out.insert(k.clone(), merged);
                }
            }
            Value::Mapping(out)
        }
        // No patch at all: the base as it is.
        (b, Value::Null) => b.clone(),
        (_, p) => strip_nulls(p),
    }
}

/// A `null` in a patch means "delete"; where there is nothing to delete it is dropped.
fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Mapping(m) => Value::Mapping(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Parses the world and the scenario files. Errors name the file and the scenario.
pub fn parse(
    world: (&'static str, &str),
    files: &[(&'static str, &str)],
) -> Result<Vec<Scenario>, String> {
    let base: Value = serde_yaml::from_str(world.1).map_err(|e| format!("{}: {e}", world.0))?;
    let windows_patch: Value =
        serde_yaml::from_str(WINDOWS_FILE.1).map_err(|e| format!("{}: {e}", WINDOWS_FILE.0))?;
    let windows_base = merge(&base, &windows_patch);
    let mut raws: Vec<(&'static str, RawScenario)> = Vec::new();
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (file, text) in files {
        let raw: Vec<RawScenario> =
            serde_yaml::from_str(text).map_err(|e| format!("{file}: {e}"))?;
        for r in raw {
            if let Some(first) = seen.insert(r.id.clone(), file) {
                return Err(format!(
                    "{file}: scenario `{}` is already defined in {first}",
                    r.id
                ));
            }
            if !r
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                || r.id.is_empty()
            {
                return Err(format!(
                    "{file}: scenario id `{}` must be lower-case letters, digits and `-`",
                    r.id
                ));
            }
            if let Expect::Healthy(word) = &r.expect
                && word != HEALTHY
            {
                return Err(format!(
                    "{file}: scenario `{}`: expect is `{HEALTHY}` or {{check, finding}}, not `{word}`",
                    r.id
                ));
            }
            // One line on standard input is what the password check reads.
            if r.password
                .as_deref()
                .is_some_and(|p| p.is_empty() || p.contains(['\n', '\r']))
            {
                return Err(format!(
                    "{file}: scenario `{}`: password is one line of text",
                    r.id
                ));
            }
            raws.push((file, r));
        }
    }
    let mut out: Vec<Scenario> = Vec::new();
    for (file, r) in &raws {
        let world = world_of(&base, &raws, r, 0)
            .and_then(|w| match w.get("os").and_then(Value::as_str) {
                Some("windows") => world_of(&windows_base, &raws, r, 0),
                _ => Ok(w),
            })
            .map_err(|e| format!("{file}: scenario `{}`: {e}", r.id))?;
        out.push(Scenario {
            id: r.id.clone(),
            title: r.title.clone(),
            story: r.story.clone(),
            world,
            expect: r.expect.clone(),
            also: r.also.clone(),
            fix: r.fix.clone(),
            password: r.password.clone(),
            file,
        });
    }
    for s in &out {
        if let Some(f) = &s.fix
            && !out.iter().any(|o| &o.id == f)
        {
            return Err(format!(
                "{}: scenario `{}`: fix leads to `{f}`, which is not a scenario",
                s.file, s.id
            ));
        }
        if s.fix.as_deref() == Some(s.id.as_str()) {
            return Err(format!(
                "{}: scenario `{}`: fix leads to itself",
                s.file, s.id
            ));
        }
        // Each world must describe a machine the demo can build (checked again when built).
        super::world::WorldSpec::from_value(&s.world)
            .map_err(|e| format!("{}: scenario `{}`: {e}", s.file, s.id))?;
    }
    if !out.iter().any(|s| s.id == HEALTHY) {
        return Err(format!("no `{HEALTHY}` scenario"));
    }
    Ok(out)
}

/// The base world with the patches of `r`'s `like` chain and its own applied.
fn world_of(
    base: &Value,
    all: &[(&'static str, RawScenario)],
    r: &RawScenario,
    depth: usize,
) -> Result<Value, String> {
    let start = match &r.like {
        None => base.clone(),
        Some(_) if depth > 8 => return Err("`like` goes round in a circle".into()),
        Some(id) => {
            let (_, parent) = all
                .iter()
                .find(|(_, p)| &p.id == id)
                .ok_or_else(|| format!("like `{id}`, which is not a scenario"))?;
            world_of(base, all, parent, depth + 1)?
        }
    };
    Ok(merge(&start, &r.world))
}

/// The built-in scenarios, in file order.
pub fn builtin() -> &'static [Scenario] {
    static CELL: OnceLock<Vec<Scenario>> = OnceLock::new();
    CELL.get_or_init(|| {
        parse(WORLD_FILE, SCENARIO_FILES)
            .unwrap_or_else(|e| panic!("built-in demo scenarios are broken: {e}"))
    })
}

pub fn find(id: &str) -> Option<&'static Scenario> {
    builtin().iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scenario that says `os: windows` gets the Windows base: no Linux program, lock
    /// file or log in its world, whatever it patches itself.
    #[test]
    fn windows_scenarios_stand_on_a_windows_machine() {
        let windows: Vec<_> = builtin()
            .iter()
            .filter(|s| s.world.get("os").and_then(Value::as_str) == Some("windows"))
            .collect();
        assert!(windows.len() >= 2);
        for s in windows {
            let text = serde_yaml::to_string(&s.world).unwrap();
            for linux in [
                "/usr/local/share/NHIICC/mLNHIICC",
                "/tmp/exampled.lock",
                "/usr/sbin/pcscd",
            ] {
                assert!(!text.contains(linux), "{}: {linux}", s.id);
            }
        }
    }

    fn y(s: &str) -> Value {
        serde_yaml::from_str(s).unwrap()
    }

    #[test]
    fn patches_merge_delete_and_replace() {
        let base = y("a: {x: 1, y: [1, 2]}\nb: 2\nc: {d: {e: 1}}");
        let got = merge(
            &base,
            &y("a: {y: [3]}\nb: null\nc: {d: {f: null, g: 2}}\nn: {k: null, v: 1}"),
        );
        assert_eq!(got, y("a: {x: 1, y: [3]}\nc: {d: {e: 1, g: 2}}\nn: {v: 1}"));
    }

    #[test]
    fn the_builtin_scenarios_load_and_every_fix_leads_somewhere() {
        let all = builtin();
        assert!(all.len() >= 20, "{}", all.len());
        assert!(find(HEALTHY).is_some_and(|h| h.expect.finding().is_none()));
        for s in all {
            assert!(
                s.expect.finding().is_none() || s.fix.is_some(),
                "{}: a failing scenario needs a fix",
                s.id
            );
        }
    }

    #[test]
    fn mistakes_in_scenario_files_are_named() {
        let world = ("w.yaml", "os: linux\n");
        let dup = "- {id: healthy, title: {zh-TW: a, en: a}, story: {zh-TW: a, en: a}, expect: healthy}\n";
        let e = parse(world, &[("a.yaml", dup), ("b.yaml", dup)]).unwrap_err();
        assert!(
            e.contains("b.yaml") && e.contains("already defined in a.yaml"),
            "{e}"
        );
        let bad_fix = "- {id: healthy, title: {zh-TW: a, en: a}, story: {zh-TW: a, en: a}, expect: healthy, fix: nowhere}\n";
        assert!(
            parse(world, &[("a.yaml", bad_fix)])
                .unwrap_err()
                .contains("`nowhere`")
        );
        let typo = "- {id: healthy, title: {zh-TW: a, en: a}, story: {zh-TW: a, en: a}, expect: healthy, world: {pcsc: running, redaers: {}}}\n";
        assert!(
            parse(world, &[("a.yaml", typo)])
                .unwrap_err()
                .contains("redaers")
        );
        let two_lines = "- {id: healthy, title: {zh-TW: a, en: a}, story: {zh-TW: a, en: a}, expect: healthy, password: \"a\\nb\"}\n";
        assert!(
            parse(world, &[("a.yaml", two_lines)])
                .unwrap_err()
                .contains("one line")
        );
    }
}
