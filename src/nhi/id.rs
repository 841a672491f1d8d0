//! Taiwan national ID (身分證字號) and resident certificate (統一證號) checks.
//!
//! A card whose ID fails the checksum was either misread or is not a real
//! card, so the doctor uses this to tell "the card answered" apart from "the
//! card answered with data we can trust".

use std::fmt;

use serde::Serialize;

use super::record::Sex;

/// Which numbering scheme an ID belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdKind {
    /// `[A-Z][12]` + 8 digits: 身分證字號.
    Citizen,
    /// `[A-Z][89]` + 8 digits: 統一證號 issued since 2021.
    ArcNew,
    /// `[A-Z][A-D]` + 8 digits: the older 統一證號 with a letter in second place.
    ArcOld,
}

/// Why an ID was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IdError {
    /// Not exactly 10 characters.
    Length,
    /// 10 characters, but not one of the known patterns.
    Format,
    /// Well-formed, but the check digit does not match.
    Checksum,
}

impl IdError {
    /// Stable machine-readable name, for reports and tests.
    pub fn code(self) -> &'static str {
        match self {
            IdError::Length => "length",
            IdError::Format => "format",
            IdError::Checksum => "checksum",
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IdError::Length => "ID number must be exactly 10 characters",
            IdError::Format => {
                "ID number is not in a known format (letter, then 1/2/8/9 or A-D, then 8 digits)"
            }
            IdError::Checksum => "ID number check digit does not match",
        })
    }
}

impl std::error::Error for IdError {}

/// Letters in the order of their codes 10..35. The order is not alphabetical
/// (W after Y, I and O last), so it has to be a table, not arithmetic.
const LETTER_ORDER: &[u8; 26] = b"ABCDEFGHJKLMNPQRSTUVXYWZIO";

const WEIGHTS: [u32; 11] = [1, 9, 8, 7, 6, 5, 4, 3, 2, 1, 1];

/// Validate format and checksum; returns the scheme on success.
pub fn validate(id: &str) -> Result<IdKind, IdError> {
    let kind = classify_format(id)?;
    let digits = checksum_digits(id.as_bytes(), kind).ok_or(IdError::Format)?;
    if weighted_sum(&digits).is_multiple_of(10) {
        Ok(kind)
    } else {
        Err(IdError::Checksum)
    }
}

/// The sex encoded in the ID, where the scheme encodes one.
///
/// Only the format is checked, not the checksum: a caller comparing this with
/// the card's sex field reports a bad checksum separately, and should still
/// learn about a mismatch. Old-style ARCs are deliberately `None` — their
/// letter meaning is not something we rely on.
pub fn sex_from_id(id: &str) -> Option<Sex> {
    let kind = classify_format(id).ok()?;
    match (kind, id.as_bytes().get(1)?) {
        (IdKind::Citizen, b'1') | (IdKind::ArcNew, b'8') => Some(Sex::Male),
        (IdKind::Citizen, b'2') | (IdKind::ArcNew, b'9') => Some(Sex::Female),
        _ => None,
    }
}

/// Length and pattern only, no checksum.
fn classify_format(id: &str) -> Result<IdKind, IdError> {
    // Count chars, not bytes, so "Ａ123456789" (full-width) is a format
    // problem rather than a confusing length problem.
    if id.chars().count() != 10 {
        return Err(IdError::Length);
    }
    let b = id.as_bytes();
    if b.len() != 10 || !b[0].is_ascii_uppercase() || !b[2..].iter().all(u8::is_ascii_digit) {
        return Err(IdError::Format);
    }
    match b[1] {
        b'1' | b'2' => Ok(IdKind::Citizen),
        b'8' | b'9' => Ok(IdKind::ArcNew),
        b'A'..=b'D' => Ok(IdKind::ArcOld),
        _ => Err(IdError::Format),
    }
}

fn letter_code(letter: u8) -> Option<u32> {
    let pos = LETTER_ORDER.iter().position(|&l| l == letter)?;
    u32::try_from(pos).ok().map(|p| p + 10)
}

/// The 11 digits the weights apply to. `None` only if the input broke the
/// invariants `classify_format` established, which keeps this panic-free.
fn checksum_digits(b: &[u8], kind: IdKind) -> Option<[u32; 11]> {
    let first = letter_code(*b.first()?)?;
    let second = match kind {
        IdKind::ArcOld => letter_code(*b.get(1)?)? % 10,
        IdKind::Citizen | IdKind::ArcNew => digit(*b.get(1)?)?,
    };
    let mut out = [0u32; 11];
    out[0] = first / 10;
    out[1] = first % 10;
    out[2] = second;
    for (slot, &c) in out[3..].iter_mut().zip(b.get(2..10)?) {
        *slot = digit(c)?;
    }
    Some(out)
}

fn digit(c: u8) -> Option<u32> {
    c.is_ascii_digit().then(|| u32::from(c - b'0'))
}

fn weighted_sum(digits: &[u32; 11]) -> u32 {
    digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_good_ids() {
        assert_eq!(validate("A123456789"), Ok(IdKind::Citizen));
        assert_eq!(validate("A800000014"), Ok(IdKind::ArcNew));
        assert_eq!(validate("AA00000009"), Ok(IdKind::ArcOld));
    }

    #[test]
    fn wrong_check_digit() {
        assert_eq!(validate("A123456788"), Err(IdError::Checksum));
        assert_eq!(validate("A800000015"), Err(IdError::Checksum));
        assert_eq!(validate("AA00000008"), Err(IdError::Checksum));
    }

    #[test]
    fn length_errors() {
        assert_eq!(validate(""), Err(IdError::Length));
        assert_eq!(validate("A12345678"), Err(IdError::Length));
        assert_eq!(validate("A1234567890"), Err(IdError::Length));
        assert_eq!(validate(" A123456789"), Err(IdError::Length));
    }

    #[test]
    fn format_errors() {
        assert_eq!(validate("a123456789"), Err(IdError::Format));
        assert_eq!(validate("A323456789"), Err(IdError::Format));
        assert_eq!(validate("AE23456789"), Err(IdError::Format));
        assert_eq!(validate("1123456789"), Err(IdError::Format));
        assert_eq!(validate("A12345678X"), Err(IdError::Format));
        assert_eq!(validate("!@#$%^&*()"), Err(IdError::Format));
        assert_eq!(validate("Ａ123456789"), Err(IdError::Format));
        assert_eq!(validate("A12345678é"), Err(IdError::Format));
    }

    #[test]
    fn every_first_letter_has_exactly_one_valid_check_digit() {
        for &letter in LETTER_ORDER {
            let valid: Vec<_> = (0..10)
                .map(|d| format!("{}12345678{d}", letter as char))
                .filter(|id| validate(id).is_ok())
                .collect();
            assert_eq!(valid.len(), 1, "letter {}", letter as char);
        }
    }

    #[test]
    fn letter_codes_follow_the_official_order() {
        assert_eq!(letter_code(b'A'), Some(10));
        assert_eq!(letter_code(b'H'), Some(17));
        assert_eq!(letter_code(b'J'), Some(18));
        assert_eq!(letter_code(b'W'), Some(32));
        assert_eq!(letter_code(b'Z'), Some(33));
        assert_eq!(letter_code(b'I'), Some(34));
        assert_eq!(letter_code(b'O'), Some(35));
        assert_eq!(letter_code(b'a'), None);
    }

    #[test]
    fn sex_from_scheme() {
        assert_eq!(sex_from_id("A123456789"), Some(Sex::Male));
        assert_eq!(sex_from_id("B234567890"), Some(Sex::Female));
        assert_eq!(sex_from_id("A800000014"), Some(Sex::Male));
        assert_eq!(sex_from_id("A900000000"), Some(Sex::Female));
        assert_eq!(sex_from_id("AA00000009"), None);
        assert_eq!(sex_from_id("short"), None);
        assert_eq!(sex_from_id("a123456789"), None);
    }

    #[test]
    fn errors_have_codes_and_text() {
        for e in [IdError::Length, IdError::Format, IdError::Checksum] {
            assert!(!e.code().is_empty());
            assert!(e.to_string().starts_with("ID number"));
        }
    }
}
