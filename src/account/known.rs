//! Known messages: the texts users actually see (eCPA's FAQ messages, NHI result codes,
//! the login page's component prompt) and a tolerant matcher for pasted text.
//! Pasted text arrives with extra spaces, full-width punctuation, or only part of the
//! message, so matching works on a normalised form and falls back to similarity.

use std::collections::HashSet;
use std::sync::OnceLock;

use serde::Deserialize;

pub const KNOWN_MESSAGES_YAML: &str = include_str!("../../assets/known-messages.yaml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownMessage {
    pub id: String,
    pub finding: String,
    pub source: String,
    pub texts: Vec<String>,
    #[serde(default)]
    pub codes: Vec<String>,
    #[serde(default)]
    pub ok: bool,
}

/// `source` of the entries made from the component's code catalogue.
pub const COMPONENT_SOURCE: &str = "NHI component";

/// The known messages: `assets/known-messages.yaml`, then the component's 4-digit codes
/// and their official texts from `assets/bridge-codes.yaml` (one source of truth for the
/// codes: the bridge checks and `explain` read the same file).
pub fn builtin() -> &'static [KnownMessage] {
    static CELL: OnceLock<Vec<KnownMessage>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut all: Vec<KnownMessage> = serde_yaml::from_str(KNOWN_MESSAGES_YAML)
            .unwrap_or_else(|e| panic!("built-in assets/known-messages.yaml is broken: {e}"));
        all.extend(
            crate::bridge::codes::catalogue()
                .iter()
                .map(from_bridge_code),
        );
        all
    })
}

fn from_bridge_code(e: &crate::bridge::codes::Entry) -> KnownMessage {
    KnownMessage {
        id: format!("component.{}", e.codes.join("_")),
        finding: e.finding.clone(),
        source: COMPONENT_SOURCE.to_string(),
        texts: e.official.iter().cloned().collect(),
        codes: e.codes.clone(),
        ok: false,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Match<'a> {
    /// A code (A8002, A001…) appears in the text.
    Code {
        message: &'a KnownMessage,
        code: String,
    },
    /// The text is (part of) a known message, or contains one.
    Text {
        message: &'a KnownMessage,
        text: &'a str,
        score: f64,
    },
    /// Nothing close enough; the nearest known texts, best first.
    Unknown {
        closest: Vec<(&'a KnownMessage, &'a str, f64)>,
    },
}

/// Texts shorter than this (after normalising) are too ambiguous to match as a part.
const MIN_PART: usize = 4;
/// Similarity (bigram Dice) above which a garbled paste still counts as the message.
const SIMILAR: f64 = 0.55;

pub fn classify<'a>(pasted: &str, known: &'a [KnownMessage]) -> Match<'a> {
    let norm = normalise(pasted);
    let upper = to_halfwidth(pasted).to_ascii_uppercase();
    for m in known {
        for code in &m.codes {
            if contains_code(&upper, &code.to_ascii_uppercase()) {
                return Match::Code {
                    message: m,
                    code: code.clone(),
                };
            }
        }
    }
    let mut scored: Vec<(&KnownMessage, &str, f64)> = Vec::new();
    for m in known {
        for t in &m.texts {
            let kt = normalise(t);
            let part =
                norm.chars().count() >= MIN_PART && (kt.contains(&norm) || norm.contains(&kt));
            let score = if part { 1.0 } else { dice(&norm, &kt) };
            scored.push((m, t.as_str(), score));
        }
    }
    scored.sort_by(|a, b| b.2.total_cmp(&a.2));
    match scored.first() {
        Some(&(m, t, s)) if s >= SIMILAR => Match::Text {
            message: m,
            text: t,
            score: s,
        },
        _ => {
            let mut seen = HashSet::new();
            let closest = scored
                .into_iter()
                .filter(|(m, _, _)| seen.insert(m.id.as_str()))
                .take(3)
                .collect();
            Match::Unknown { closest }
        }
    }
}

/// A code counts only as a whole token: `A8002` in "錯誤(A8002)" but not in "A80021".
fn contains_code(upper: &str, code: &str) -> bool {
    upper.match_indices(code).any(|(i, _)| {
        let before = upper[..i].chars().next_back();
        let after = upper[i + code.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// Full-width ASCII (Ａ，：！) and the ideographic space become their half-width forms.
pub fn to_halfwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Letters, digits and CJK only, lower-cased: spaces, line breaks and every kind of
/// punctuation vanish, so「註冊密碼 輸入錯誤！」and 註冊密碼輸入錯誤 compare equal.
pub fn normalise(s: &str) -> String {
    to_halfwidth(s)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn bigrams(s: &str) -> Vec<(char, char)> {
    let cs: Vec<char> = s.chars().collect();
    cs.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Sørensen–Dice over character bigrams: robust to a few typos, dropped or extra characters.
fn dice(a: &str, b: &str) -> f64 {
    let (x, y) = (bigrams(a), bigrams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let mut pool = y.clone();
    let mut common = 0usize;
    for g in &x {
        if let Some(i) = pool.iter().position(|h| h == g) {
            pool.swap_remove(i);
            common += 1;
        }
    }
    2.0 * common as f64 / (x.len() + y.len()) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(text: &str) -> Option<String> {
        match classify(text, builtin()) {
            Match::Code { message, .. } | Match::Text { message, .. } => {
                Some(message.finding.clone())
            }
            Match::Unknown { .. } => None,
        }
    }

    #[test]
    fn the_four_faq_messages_match_exactly() {
        assert_eq!(
            finding("您尚未註冊健保卡網路服務").as_deref(),
            Some("account.not_registered")
        );
        assert_eq!(
            finding("註冊密碼輸入錯誤").as_deref(),
            Some("account.wrong_password")
        );
        assert_eq!(
            finding("驗證失敗 查無您的帳號 基於安全考量，請洽本總處 客服信箱：pemis@dgpa.gov.tw。")
                .as_deref(),
            Some("account.no_ecpa_account")
        );
        assert_eq!(
            finding("很抱歉，該帳號已停用，可能是此帳號之人事資料為卸職狀態，若有問題請先洽機關所屬人事部門洽詢。").as_deref(),
            Some("account.departed")
        );
    }

    #[test]
    fn spaces_width_and_partial_pastes_are_tolerated() {
        assert_eq!(
            finding("  您尚未 註冊\n健保卡網路服務 ！ ").as_deref(),
            Some("account.not_registered")
        );
        assert_eq!(
            finding("驗證失敗　查無您的帳號　基於安全考量,請洽本總處 客服信箱:pemis@dgpa.gov.tw.")
                .as_deref(),
            Some("account.no_ecpa_account")
        );
        assert_eq!(finding("該帳號已停用").as_deref(), Some("account.departed"));
        assert_eq!(
            finding("查無您的帳號").as_deref(),
            Some("account.no_ecpa_account")
        );
        assert_eq!(
            finding("請檢查元件是否已正確安裝且啟動").as_deref(),
            Some("page.component_unreachable")
        );
    }

    #[test]
    fn typos_still_match_by_similarity() {
        assert_eq!(
            finding("很抱歉該帳號己停用可能是此帳號之人事資料為卸職狀態").as_deref(),
            Some("account.departed")
        );
    }

    #[test]
    fn codes_match_as_whole_tokens_in_any_width() {
        assert_eq!(
            finding("錯誤代碼(A8002)").as_deref(),
            Some("account.wrong_password")
        );
        assert_eq!(
            finding("ａ８００２").as_deref(),
            Some("account.wrong_password")
        );
        assert_eq!(finding("A80021"), None);
    }

    #[test]
    fn component_codes_and_official_texts_come_from_the_bridge_catalogue() {
        assert_eq!(finding("8013").as_deref(), Some("ws.card_unreachable"));
        assert_eq!(
            finding("錯誤代碼：８０１３").as_deref(),
            Some("ws.card_unreachable")
        );
        assert_eq!(
            finding("無法存取健保卡，請查明讀卡機是否已插好或是否已置入健保卡").as_deref(),
            Some("ws.card_unreachable")
        );
        assert_eq!(
            finding("無法連接服務網站").as_deref(),
            Some("ws.cloud_unreachable")
        );
        assert_eq!(
            finding("4021").as_deref(),
            Some("ws.origin_list_unreachable")
        );
        assert_eq!(
            finding("9001 驗簽失敗").as_deref(),
            Some("ws.signature_failed")
        );
        assert_eq!(finding("80131"), None, "codes match as whole tokens only");
        let ids: HashSet<&str> = builtin().iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids.len(), builtin().len(), "known message ids are unique");
    }

    #[test]
    fn unknown_text_gives_the_closest_known_messages() {
        match classify("今天天氣很好", builtin()) {
            Match::Unknown { closest } => assert_eq!(closest.len(), 3),
            other => panic!("{other:?}"),
        }
        assert!(matches!(classify("", builtin()), Match::Unknown { .. }));
        assert!(
            matches!(classify("帳號", builtin()), Match::Unknown { .. }),
            "two characters are too ambiguous"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "\u{0}",
            "🙂🙂",
            "Ａ",
            "A",
            "\u{FF5E}\u{FF01}",
            &"錯".repeat(5000),
        ] {
            let _ = classify(s, builtin());
        }
    }
}
