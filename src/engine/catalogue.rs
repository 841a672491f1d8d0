//! The remedy catalogue (`assets/remedies/*.yaml`): finding → what to do, per language.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::i18n::Lang;

/// Remedy files, one per area of the chain, so areas can grow without touching each other.
/// Add a new file here; an id defined twice is an error.
pub const REMEDY_FILES: &[(&str, &str)] = &[
    (
        "assets/remedies/pcsc-card.yaml",
        include_str!("../../assets/remedies/pcsc-card.yaml"),
    ),
    (
        "assets/remedies/bridge.yaml",
        include_str!("../../assets/remedies/bridge.yaml"),
    ),
    (
        "assets/remedies/component.yaml",
        include_str!("../../assets/remedies/component.yaml"),
    ),
    (
        "assets/remedies/browser.yaml",
        include_str!("../../assets/remedies/browser.yaml"),
    ),
    (
        "assets/remedies/account.yaml",
        include_str!("../../assets/remedies/account.yaml"),
    ),
    (
        "assets/remedies/nhi-cloud.yaml",
        include_str!("../../assets/remedies/nhi-cloud.yaml"),
    ),
    (
        "assets/remedies/agency.yaml",
        include_str!("../../assets/remedies/agency.yaml"),
    ),
    (
        "assets/remedies/remote.yaml",
        include_str!("../../assets/remedies/remote.yaml"),
    ),
];

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
        let remedies: BTreeMap<String, Remedy> =
            serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        Ok(Catalogue { remedies })
    }

    /// Several files into one catalogue; an id defined in two files is refused.
    pub fn parse_files(files: &[(&str, &str)]) -> Result<Catalogue, String> {
        let mut remedies = BTreeMap::new();
        for (name, text) in files {
            let part = Catalogue::parse(text).map_err(|e| format!("{name}: {e}"))?;
            for (id, r) in part.remedies {
                if remedies.insert(id.clone(), r).is_some() {
                    return Err(format!("{name}: remedy `{id}` is defined twice"));
                }
            }
        }
        Ok(Catalogue { remedies })
    }

    pub fn builtin() -> &'static Catalogue {
        static CELL: OnceLock<Catalogue> = OnceLock::new();
        CELL.get_or_init(|| {
            Catalogue::parse_files(REMEDY_FILES)
                .unwrap_or_else(|e| panic!("built-in remedy catalogue is broken: {e}"))
        })
    }

    pub fn get(&self, id: &str) -> Option<&Remedy> {
        self.remedies.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_ids_across_files_are_refused() {
        let one =
            "a.b:\n  zh-TW: {title: t, why: w, steps: [s]}\n  en: {title: t, why: w, steps: [s]}\n";
        let e = Catalogue::parse_files(&[("x.yaml", one), ("y.yaml", one)]).unwrap_err();
        assert!(e.contains("y.yaml") && e.contains("a.b"), "{e}");
    }

    #[test]
    fn every_remedy_is_complete_in_both_languages() {
        for (id, r) in &Catalogue::builtin().remedies {
            for (lang, t) in [("zh-TW", &r.zh_tw), ("en", &r.en)] {
                assert!(!t.title.trim().is_empty(), "{id} {lang}: no title");
                assert!(!t.why.trim().is_empty(), "{id} {lang}: no why");
                assert!(!t.steps.is_empty(), "{id} {lang}: no steps");
                for l in &t.links {
                    assert!(
                        l.url.starts_with("https://") || l.url.starts_with("http://"),
                        "{id} {lang}: bad link {}",
                        l.url
                    );
                }
            }
        }
    }
}
