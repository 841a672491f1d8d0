//! Languages and the string catalogue (UI words, summary templates, evidence labels).
//! Texts live in `assets/messages/*.yaml`; code refers to them by key only.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Lang {
    #[default]
    #[serde(rename = "zh-TW")]
    ZhTw,
    #[serde(rename = "en")]
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhTw => "zh-TW",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase().replace('_', "-");
        match s.as_str() {
            "zh-tw" | "zh" | "zh-hant" | "zh-hant-tw" | "tw" => Some(Lang::ZhTw),
            "en" | "en-us" | "en-gb" | "english" => Some(Lang::En),
            _ => None,
        }
    }

    /// zh-TW unless the locale clearly asks for something that is not Chinese: the users
    /// are in Taiwan, and `C`/`POSIX`/unset locales are common on helpdesk and SSH boxes.
    pub fn from_locale(vars: &dyn Fn(&str) -> Option<String>) -> Lang {
        for key in ["LC_ALL", "LC_MESSAGES", "LANG"] {
            let Some(value) = vars(key).filter(|v| !v.is_empty()) else {
                continue;
            };
            let lower = value.to_ascii_lowercase();
            if lower == "c" || lower == "posix" || lower.starts_with("c.") {
                return Lang::ZhTw;
            }
            return if lower.starts_with("zh") {
                Lang::ZhTw
            } else {
                Lang::En
            };
        }
        Lang::ZhTw
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::ZhTw => Lang::En,
            Lang::En => Lang::ZhTw,
        }
    }
}

/// A text given in both languages (profile titles, catalogue entries).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct L10n {
    #[serde(rename = "zh-TW")]
    pub zh_tw: String,
    pub en: String,
}

impl L10n {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhTw => &self.zh_tw,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Messages {
    /// Words of the user interface and the report formats.
    #[serde(default)]
    pub ui: HashMap<String, L10n>,
    /// One-line check summaries, `{name}` placeholders filled from the outcome's arguments.
    #[serde(default)]
    pub summaries: HashMap<String, L10n>,
    /// Human labels for evidence keys; the key itself is the stable JSON name.
    #[serde(default)]
    pub evidence: HashMap<String, L10n>,
    /// Words inside evidence values (a sex, a date, a status word's meaning), so a zh-TW
    /// report does not show English words between its Chinese labels.
    #[serde(default)]
    pub values: HashMap<String, L10n>,
}

/// Message files, one per area; a key defined twice is an error.
pub const MESSAGE_FILES: &[(&str, &str)] = &[
    (
        "assets/messages/core.yaml",
        include_str!("../assets/messages/core.yaml"),
    ),
    (
        "assets/messages/bridge.yaml",
        include_str!("../assets/messages/bridge.yaml"),
    ),
    (
        "assets/messages/component.yaml",
        include_str!("../assets/messages/component.yaml"),
    ),
    (
        "assets/messages/browser.yaml",
        include_str!("../assets/messages/browser.yaml"),
    ),
    (
        "assets/messages/account.yaml",
        include_str!("../assets/messages/account.yaml"),
    ),
    (
        "assets/messages/nhi-cloud.yaml",
        include_str!("../assets/messages/nhi-cloud.yaml"),
    ),
    (
        "assets/messages/agency.yaml",
        include_str!("../assets/messages/agency.yaml"),
    ),
    (
        "assets/messages/fleet.yaml",
        include_str!("../assets/messages/fleet.yaml"),
    ),
    (
        "assets/messages/remote.yaml",
        include_str!("../assets/messages/remote.yaml"),
    ),
    (
        "assets/messages/tui.yaml",
        include_str!("../assets/messages/tui.yaml"),
    ),
    (
        "assets/messages/demo.yaml",
        include_str!("../assets/messages/demo.yaml"),
    ),
    (
        "assets/messages/cli.yaml",
        include_str!("../assets/messages/cli.yaml"),
    ),
];

impl Messages {
    pub fn parse_files(files: &[(&str, &str)]) -> Result<Messages, String> {
        let mut all = Messages::default();
        for (name, text) in files {
            let part: Messages = serde_yaml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            for (section, into, from) in [
                ("ui", &mut all.ui, part.ui),
                ("summaries", &mut all.summaries, part.summaries),
                ("evidence", &mut all.evidence, part.evidence),
                ("values", &mut all.values, part.values),
            ] {
                for (k, v) in from {
                    if into.insert(k.clone(), v).is_some() {
                        return Err(format!("{name}: {section}.{k} is defined twice"));
                    }
                }
            }
        }
        Ok(all)
    }
}

pub fn messages() -> &'static Messages {
    static CELL: OnceLock<Messages> = OnceLock::new();
    CELL.get_or_init(|| {
        Messages::parse_files(MESSAGE_FILES)
            .unwrap_or_else(|e| panic!("built-in message catalogue is broken: {e}"))
    })
}

/// A UI word; an unknown key shows itself so a missing string is visible, not fatal.
pub fn ui(key: &str, lang: Lang) -> String {
    messages()
        .ui
        .get(key)
        .map(|t| t.get(lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// An evidence value phrase; an unknown key shows itself and its arguments, like a summary.
pub fn value_text(key: &str, lang: Lang, args: &[(String, String)]) -> String {
    match messages().values.get(key) {
        Some(t) => fill(t.get(lang), args),
        None => args
            .iter()
            .fold(key.to_string(), |s, (k, v)| format!("{s} {k}={v}")),
    }
}

pub fn evidence_label(key: &str, lang: Lang) -> String {
    messages()
        .evidence
        .get(key)
        .map(|t| t.get(lang).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// Fills `{name}` placeholders. Unknown placeholders stay as written so a template
/// mistake shows in the output instead of silently losing text.
pub fn fill(template: &str, args: &[(String, String)]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match args.iter().find(|(k, _)| k == name) {
                    Some((_, v)) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_defaults_to_chinese_unless_clearly_other() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Lang::from_locale(&env(&[])), Lang::ZhTw);
        assert_eq!(Lang::from_locale(&env(&[("LANG", "C.UTF-8")])), Lang::ZhTw);
        assert_eq!(
            Lang::from_locale(&env(&[("LANG", "zh_TW.UTF-8")])),
            Lang::ZhTw
        );
        assert_eq!(
            Lang::from_locale(&env(&[("LANG", "en_US.UTF-8")])),
            Lang::En
        );
        assert_eq!(
            Lang::from_locale(&env(&[("LC_ALL", "zh_TW"), ("LANG", "en_US")])),
            Lang::ZhTw
        );
    }

    #[test]
    fn fill_replaces_known_and_keeps_unknown() {
        let args = vec![("reader".to_string(), "R1".to_string())];
        assert_eq!(
            fill("in {reader}: {missing} {", &args),
            "in R1: {missing} {"
        );
    }

    #[test]
    fn builtin_messages_parse_and_have_both_languages() {
        let m = messages();
        for (k, v) in
            m.ui.iter()
                .chain(m.summaries.iter())
                .chain(m.evidence.iter())
                .chain(m.values.iter())
        {
            assert!(
                !v.zh_tw.trim().is_empty() && !v.en.trim().is_empty(),
                "{k} lacks a language"
            );
        }
    }
}
