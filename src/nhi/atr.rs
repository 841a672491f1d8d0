//! Tell card kinds apart by their ATR.
//!
//! People regularly insert the 自然人憑證 or a 醫事人員卡 instead of the 健保卡;
//! the ATR lets the doctor say so before any APDU. The list lives in
//! `assets/atr.yaml` so new card generations can be added without code
//! changes. An ATR is a hint only: `Unknown` means "ask the card", not
//! "not an NHI card".

use std::fmt::Write as _;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// What kind of card an ATR belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardClass {
    /// 健保卡.
    Nhi,
    /// 自然人憑證 (Citizen Digital Certificate).
    Moica,
    /// 醫事人員卡.
    HealthProfessional,
    Unknown,
}

/// One known ATR pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtrEntry {
    /// `None` is a wildcard byte (`XX` in the file).
    pattern: Vec<Option<u8>>,
    class: CardClass,
    label: String,
}

impl AtrEntry {
    pub fn class(&self) -> CardClass {
        self.class
    }

    pub fn label(&self) -> &str {
        &self.label
    }

    /// The pattern in file notation, e.g. `3B FF XX 00`.
    pub fn pattern_text(&self) -> String {
        let mut out = String::with_capacity(self.pattern.len() * 3);
        for (i, byte) in self.pattern.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match byte {
                Some(b) => {
                    let _ = write!(out, "{b:02X}");
                }
                None => out.push_str("XX"),
            }
        }
        out
    }

    fn matches(&self, atr: &[u8]) -> bool {
        self.pattern.len() == atr.len()
            && self
                .pattern
                .iter()
                .zip(atr)
                .all(|(p, a)| p.is_none_or(|p| p == *a))
    }
}

/// An ordered list of ATR patterns; the first match wins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AtrTable {
    entries: Vec<AtrEntry>,
}

/// The shape of one entry in `atr.yaml`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    atr: String,
    class: FileClass,
    label: String,
    /// Free text for maintainers; kept out of the table on purpose.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
}

/// The file uses the short `hpc`; `unknown` is not accepted because an entry
/// that classifies as unknown would only hide later entries.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum FileClass {
    Nhi,
    Moica,
    #[serde(alias = "health_professional")]
    Hpc,
}

impl From<FileClass> for CardClass {
    fn from(c: FileClass) -> CardClass {
        match c {
            FileClass::Nhi => CardClass::Nhi,
            FileClass::Moica => CardClass::Moica,
            FileClass::Hpc => CardClass::HealthProfessional,
        }
    }
}

impl AtrTable {
    /// The table shipped in `assets/atr.yaml`, parsed once.
    ///
    /// # Panics
    /// If the built-in file is broken. That is a build defect caught by the
    /// tests, not something a user's input can cause.
    pub fn builtin() -> &'static AtrTable {
        static TABLE: OnceLock<AtrTable> = OnceLock::new();
        TABLE.get_or_init(|| {
            AtrTable::from_yaml(BUILTIN_YAML)
                .unwrap_or_else(|e| panic!("built-in assets/atr.yaml is invalid: {e}"))
        })
    }

    /// Parse a table in the `atr.yaml` format.
    pub fn from_yaml(text: &str) -> Result<AtrTable, String> {
        let raw: Vec<FileEntry> =
            serde_yaml::from_str(text).map_err(|e| format!("ATR table is not valid YAML: {e}"))?;
        let entries = raw
            .into_iter()
            .enumerate()
            .map(|(i, e)| entry_from_file(e).map_err(|msg| format!("ATR entry {}: {msg}", i + 1)))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AtrTable { entries })
    }

    /// The card class and label of the first matching entry, or
    /// `(Unknown, None)`.
    pub fn classify(&self, atr: &[u8]) -> (CardClass, Option<&str>) {
        self.entries
            .iter()
            .find(|e| e.matches(atr))
            .map_or((CardClass::Unknown, None), |e| {
                (e.class, Some(e.label.as_str()))
            })
    }

    pub fn entries(&self) -> &[AtrEntry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

const BUILTIN_YAML: &str = include_str!("../../assets/atr.yaml");

fn entry_from_file(e: FileEntry) -> Result<AtrEntry, String> {
    let pattern = parse_pattern(&e.atr)?;
    let label = e.label.trim();
    if label.is_empty() {
        return Err("label is empty".to_owned());
    }
    Ok(AtrEntry {
        pattern,
        class: e.class.into(),
        label: label.to_owned(),
    })
}

/// Hex pairs with optional whitespace; `XX` (any case) is a wildcard byte.
fn parse_pattern(text: &str) -> Result<Vec<Option<u8>>, String> {
    let pairs = hex_pairs(text)?;
    if pairs.is_empty() {
        return Err("ATR pattern is empty".to_owned());
    }
    pairs
        .iter()
        .map(|&[hi, lo]| match (hi, lo) {
            ('X' | 'x', 'X' | 'x') => Ok(None),
            _ => pair_value(hi, lo)
                .map(Some)
                .ok_or_else(|| format!("`{hi}{lo}` is neither a hex byte nor XX in `{text}`")),
        })
        .collect()
}

/// Parse hex bytes written like `3B FC 18` or `3bfc18`.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    hex_pairs(text)?
        .iter()
        .map(|&[hi, lo]| pair_value(hi, lo).ok_or_else(|| format!("`{hi}{lo}` is not a hex byte")))
        .collect()
}

/// Uppercase hex with single spaces, the notation pcsc-tools uses: `3B FC 18`.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

fn hex_pairs(text: &str) -> Result<Vec<[char; 2]>, String> {
    let chars: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !chars.len().is_multiple_of(2) {
        return Err(format!("odd number of hex digits in `{}`", text.trim()));
    }
    Ok(chars.chunks_exact(2).map(|c| [c[0], c[1]]).collect())
}

fn pair_value(hi: char, lo: char) -> Option<u8> {
    let hi = u8::try_from(hi.to_digit(16)?).ok()?;
    let lo = u8::try_from(lo.to_digit(16)?).ok()?;
    Some(hi << 4 | lo)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(text: &str) -> Vec<u8> {
        parse_hex(text).expect("test hex is valid")
    }

    const NHI_ATRS: [&str; 6] = [
        "3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 48 4E 32 24",
        "3B FF 18 00 FF 81 31 FE 45 54 48 43 43 31 30 54 45 43 4F 47 44 49 4E 31 26",
        "3B FD 13 00 00 81 31 FE 45 4A 43 4F 50 32 31 76 32 33 31 47 44 54 E1",
        "3B FC 18 00 00 81 31 FE 45 80 73 C8 21 13 66 02 04 03 55 00 02 D2",
        "3B FD 18 00 00 81 31 FE 45 53 4C 4A 35 32 47 78 78 79 79 79 7A 52 AA",
        "3B EE 00 00 81 31 FE 45 80 31 80 66 40 90 93 06 0F 17 83 0F 90 00 F3",
    ];
    const MOICA_ATRS: [&str; 2] = [
        "3B 8B 80 01 00 31 C1 64 08 40 21 30 00 90 00 57",
        "3B D8 96 00 81 B1 FE 45 1F 07 43 48 54 47 50 4B 49 4A DD",
    ];
    const HPC_ATR: &str = "3B F9 18 00 00 81 31 FE 45 50 56 5F 4A 32 44 30 38 31 B6";

    #[test]
    fn builtin_table_parses_with_all_known_cards() {
        let table = AtrTable::builtin();
        assert_eq!(table.len(), 9);
        let count = |class| {
            table
                .entries()
                .iter()
                .filter(|e| e.class() == class)
                .count()
        };
        assert_eq!(count(CardClass::Nhi), 6);
        assert_eq!(count(CardClass::Moica), 2);
        assert_eq!(count(CardClass::HealthProfessional), 1);
    }

    #[test]
    fn each_listed_atr_classifies() {
        let table = AtrTable::builtin();
        for atr in NHI_ATRS {
            let (class, label) = table.classify(&bytes(atr));
            assert_eq!(class, CardClass::Nhi, "{atr}");
            assert!(
                label.is_some_and(|l| l.contains("National Health Insurance")),
                "{atr}"
            );
        }
        for atr in MOICA_ATRS {
            assert_eq!(table.classify(&bytes(atr)).0, CardClass::Moica, "{atr}");
        }
        assert_eq!(
            table.classify(&bytes(HPC_ATR)).0,
            CardClass::HealthProfessional
        );
    }

    #[test]
    fn builtin_patterns_round_trip_through_hex() {
        for entry in AtrTable::builtin().entries() {
            let atr = bytes(&entry.pattern_text());
            assert_eq!(hex(&atr), entry.pattern_text());
        }
    }

    #[test]
    fn unknown_atrs() {
        let table = AtrTable::builtin();
        assert_eq!(
            table.classify(&bytes(
                "3B 8F 80 01 80 4F 0C A0 00 00 03 06 03 00 01 00 00 00 00 6A"
            )),
            (CardClass::Unknown, None)
        );
        assert_eq!(table.classify(&[]), (CardClass::Unknown, None));
        // A known ATR with a byte missing or added is not a match.
        let hpc = bytes(HPC_ATR);
        assert_eq!(table.classify(&hpc[..hpc.len() - 1]).0, CardClass::Unknown);
        let mut longer = hpc.clone();
        longer.push(0x00);
        assert_eq!(table.classify(&longer).0, CardClass::Unknown);
    }

    #[test]
    fn patterns_tolerate_case_and_whitespace() {
        let table = AtrTable::from_yaml(
            "- atr: \"3bf91800 0081 31fe4550565f4a3244303831b6\"\n  class: hpc\n  label: lower\n\
             - atr: \"  3B   8B\t80 01 00 31 C1 64 08 40 21 30 00 90 00 57 \"\n  class: moica\n  label: spaced\n",
        )
        .expect("valid table");
        assert_eq!(
            table.classify(&bytes(HPC_ATR)),
            (CardClass::HealthProfessional, Some("lower"))
        );
        assert_eq!(
            table.classify(&bytes(MOICA_ATRS[0])),
            (CardClass::Moica, Some("spaced"))
        );
    }

    #[test]
    fn wildcards_match_any_byte_and_first_match_wins() {
        let table = AtrTable::from_yaml(
            "- atr: 3B FF XX 00\n  class: nhi\n  label: family\n\
             - atr: 3B FF 18 00\n  class: moica\n  label: shadowed\n\
             - atr: 3b fe xx xx\n  class: health_professional\n  label: alias\n",
        )
        .expect("valid table");
        assert_eq!(
            table.classify(&[0x3B, 0xFF, 0x18, 0x00]),
            (CardClass::Nhi, Some("family"))
        );
        assert_eq!(
            table.classify(&[0x3B, 0xFF, 0x99, 0x00]),
            (CardClass::Nhi, Some("family"))
        );
        assert_eq!(
            table.classify(&[0x3B, 0xFF, 0x99, 0x01]).0,
            CardClass::Unknown
        );
        assert_eq!(
            table.classify(&[0x3B, 0xFE, 0x01, 0x02]).0,
            CardClass::HealthProfessional
        );
        assert_eq!(table.entries()[0].pattern_text(), "3B FF XX 00");
    }

    #[test]
    fn bad_tables_are_rejected_with_a_reason() {
        let cases = [
            ("not: a list", "not valid YAML"),
            ("- atr: 3B F\n  class: nhi\n  label: x\n", "odd number"),
            (
                "- atr: 3B GG\n  class: nhi\n  label: x\n",
                "neither a hex byte",
            ),
            ("- atr: \"\"\n  class: nhi\n  label: x\n", "empty"),
            (
                "- atr: 3B\n  class: unknown\n  label: x\n",
                "not valid YAML",
            ),
            (
                "- atr: 3B\n  class: nhi\n  label: \" \"\n",
                "label is empty",
            ),
            (
                "- atr: 3B\n  class: nhi\n  label: x\n  colour: red\n",
                "not valid YAML",
            ),
            ("- atr: 3B\n  class: nhi\n", "not valid YAML"),
        ];
        for (yaml, want) in cases {
            let err = AtrTable::from_yaml(yaml).expect_err(yaml);
            assert!(err.contains(want), "{yaml:?} gave {err:?}");
        }
        let err = AtrTable::from_yaml(
            "- atr: 3B\n  class: nhi\n  label: ok\n- atr: ZZ\n  class: nhi\n  label: bad\n",
        )
        .expect_err("second entry is bad");
        assert!(err.starts_with("ATR entry 2:"), "{err}");
    }

    #[test]
    fn empty_list_is_an_empty_table() {
        let table = AtrTable::from_yaml("[]").expect("empty list is fine");
        assert!(table.is_empty());
        assert_eq!(table.classify(&[0x3B]), (CardClass::Unknown, None));
    }

    #[test]
    fn hex_formatting_and_parsing() {
        assert_eq!(hex(&[0x3B, 0xFC, 0x18]), "3B FC 18");
        assert_eq!(hex(&[]), "");
        assert_eq!(parse_hex("3bfc 18"), Ok(vec![0x3B, 0xFC, 0x18]));
        assert!(parse_hex("3B X").is_err());
        assert!(
            parse_hex("XX").is_err(),
            "wildcards belong to patterns only"
        );
        assert!(parse_hex("é1").is_err());
    }

    #[test]
    fn card_class_serialises_snake_case() {
        let json = serde_json::to_string(&CardClass::HealthProfessional).expect("serialise");
        assert_eq!(json, "\"health_professional\"");
    }
}
