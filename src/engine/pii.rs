//! Personal data from the card. Values are wrapped so that every output masks them unless
//! the operator asked to reveal them: the masking lives in the model, not in the frontends.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    NationalId,
    Name,
    CardNumber,
    BirthDate,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Pii {
    pub kind: PiiKind,
    raw: String,
}

impl Pii {
    pub fn new(kind: PiiKind, raw: impl Into<String>) -> Self {
        Pii {
            kind,
            raw: raw.into(),
        }
    }

    /// The raw value, for comparisons inside probes and for `--show-pii` only.
    pub fn reveal(&self) -> &str {
        &self.raw
    }

    pub fn masked(&self) -> String {
        mask(self.kind, &self.raw)
    }

    pub fn render(&self, reveal: bool) -> String {
        if reveal {
            self.raw.clone()
        } else {
            self.masked()
        }
    }
}

/// Debug masks too, so a stray `{:?}` in a log cannot leak.
impl std::fmt::Debug for Pii {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pii({:?}, {})", self.kind, self.masked())
    }
}

impl std::fmt::Display for Pii {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

pub fn mask(kind: PiiKind, raw: &str) -> String {
    let chars: Vec<char> = raw.chars().collect();
    match kind {
        // A12****789: the letter and sex digit help a helpdesk tell cards apart, the
        // middle digits identify the person.
        PiiKind::NationalId => keep_ends(&chars, 3, 3, '*'),
        PiiKind::CardNumber => keep_ends(&chars, 0, 4, '*'),
        // 王○明, 王○○明, 王○: surname and last character only, the usual Taiwanese style.
        PiiKind::Name => match chars.len() {
            0 => String::new(),
            1 => "○".to_string(),
            2 => format!("{}○", chars[0]),
            n => {
                let mut s = String::new();
                s.push(chars[0]);
                s.extend(std::iter::repeat_n('○', n - 2));
                s.push(chars[n - 1]);
                s
            }
        },
        PiiKind::BirthDate => chars.iter().map(|_| '*').collect(),
    }
}

fn keep_ends(chars: &[char], head: usize, tail: usize, fill: char) -> String {
    let n = chars.len();
    if n <= head + tail {
        return std::iter::repeat_n(fill, n).collect();
    }
    let mut s: String = chars[..head].iter().collect();
    s.extend(std::iter::repeat_n(fill, n - head - tail));
    s.extend(&chars[n - tail..]);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_follow_local_conventions() {
        assert_eq!(mask(PiiKind::NationalId, "A123456789"), "A12****789");
        assert_eq!(mask(PiiKind::Name, "王小明"), "王○明");
        assert_eq!(mask(PiiKind::Name, "王小明明"), "王○○明");
        assert_eq!(mask(PiiKind::Name, "王明"), "王○");
        assert_eq!(mask(PiiKind::CardNumber, "000012345678"), "********5678");
        assert_eq!(mask(PiiKind::BirthDate, "0800101"), "*******");
        assert_eq!(mask(PiiKind::NationalId, "A1"), "**");
    }

    #[test]
    fn debug_and_display_never_show_raw() {
        let p = Pii::new(PiiKind::NationalId, "A123456789");
        assert!(!format!("{p:?}").contains("A123456789"));
        assert!(!format!("{p}").contains("A123456789"));
        assert_eq!(p.render(true), "A123456789");
    }
}
