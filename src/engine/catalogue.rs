//! The remedy catalogue (`assets/remedies.yaml`): finding → what to do, per language.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

pub const REMEDIES_YAML: &str = include_str!("../../assets/remedies.yaml");

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub label: String,
    pub url: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RemedyText {
    pub title: String,
    pub why: String,
    pub steps: Vec<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub contact: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remedy {
    #[serde(rename = "zh-TW")]
    pub zh_tw: RemedyText,
    pub en: RemedyText,
}

impl Remedy {
    pub fn get(&self, lang: Lang) -> &RemedyText {
        match lang {
            Lang::ZhTw => &self.zh_tw,
            Lang::En => &self.en,
        }
    }
}

#[derive(Debug)]
pub struct Catalogue {
    pub remedies: BTreeMap<String, Remedy>,
}

impl Catalogue {
    pub fn parse(text: &str) -> Result<Catalogue, String> {
        let remedies: BTreeMap<String, Remedy> = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Catalogue { remedies })
    }

    pub fn builtin() -> &'static Catalogue {
        static CELL: OnceLock<Catalogue> = OnceLock::new();
        CELL.get_or_init(|| Catalogue::parse(REMEDIES_YAML).unwrap_or_else(|e| panic!("built-in assets/remedies.yaml is broken: {e}")))
    }

    pub fn get(&self, id: &str) -> Option<&Remedy> {
        self.remedies.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remedy_is_complete_in_both_languages() {
        for (id, r) in &Catalogue::builtin().remedies {
            for (lang, t) in [("zh-TW", &r.zh_tw), ("en", &r.en)] {
                assert!(!t.title.trim().is_empty(), "{id} {lang}: no title");
                assert!(!t.why.trim().is_empty(), "{id} {lang}: no why");
                assert!(!t.steps.is_empty(), "{id} {lang}: no steps");
                for l in &t.links {
                    assert!(l.url.starts_with("https://") || l.url.starts_with("http://"), "{id} {lang}: bad link {}", l.url);
                }
            }
        }
    }
}
