//! The 57-byte basic-data record returned by `00 CA 11 00` (READ BASIC).
//!
//! Layout (offsets in bytes):
//!
//! | range    | field                | encoding                          |
//! |----------|----------------------|-----------------------------------|
//! | 0..12    | card number          | ASCII digits                      |
//! | 12..32   | name                 | Big5, NUL- or space-padded        |
//! | 32..42   | ID / ARC number      | ASCII                             |
//! | 42..49   | birth date           | ROC `YYYMMDD`                     |
//! | 49       | sex                  | `M` / `F`                         |
//! | 50..57   | issue date           | ROC `YYYMMDD`                     |
//!
//! [`parse`] decides whether the bytes *are* a basic-data record (structural
//! errors); [`plausibility`] then looks for content that a real card would
//! not carry (anomalies), so the two kinds of finding can be reported apart.

use std::fmt;
use std::ops::Range;

use chrono::{Months, NaiveDate};
use serde::{Serialize, Serializer};

use super::id::{self, IdError};

/// Length of the basic-data record, without the status word.
pub const RECORD_LEN: usize = 57;

const CARD_NO: Range<usize> = 0..12;
const NAME: Range<usize> = 12..32;
const ID_NO: Range<usize> = 32..42;
const BIRTH: Range<usize> = 42..49;
const SEX: usize = 49;
const ISSUED: Range<usize> = 50..57;

/// Difference between the ROC (民國) year and the Gregorian year.
const ROC_YEAR_OFFSET: i32 = 1911;

/// Older than this is not a living cardholder.
const MAX_AGE_YEARS: u32 = 130;

/// Decoded basic data of one card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BasicRecord {
    pub card_no: String,
    pub name: String,
    pub id_no: String,
    pub birth: RocDate,
    pub sex: Sex,
    pub issued: RocDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    /// The letter the card (and the component's `GetBasic`) uses.
    pub fn letter(self) -> char {
        match self {
            Sex::Male => 'M',
            Sex::Female => 'F',
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::Male => "male",
            Sex::Female => "female",
        })
    }
}

/// A date in the ROC (民國) calendar, as stored on the card.
///
/// Serialises as the card's own `YYYMMDD` text, which is what users see on
/// the card and in the component's `GetBasic` reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RocDate {
    /// ROC year (民國年): Gregorian year − 1911.
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Why a `YYYMMDD` string is not a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RocDateError {
    /// Not exactly seven ASCII digits.
    Format,
    /// Seven digits, but no such calendar day (month 13, 31 April, year 000…).
    NoSuchDate,
}

impl fmt::Display for RocDateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RocDateError::Format => "date is not seven digits (ROC YYYMMDD)",
            RocDateError::NoSuchDate => "date does not exist in the calendar",
        })
    }
}

impl std::error::Error for RocDateError {}

impl RocDate {
    /// A checked constructor; the fields are public only for convenience.
    pub fn new(year: u16, month: u8, day: u8) -> Result<RocDate, RocDateError> {
        let date = RocDate { year, month, day };
        // ROC year 0 does not exist (year 1 is 1912); a card showing it is broken.
        if year == 0 || date.try_to_gregorian().is_none() {
            return Err(RocDateError::NoSuchDate);
        }
        Ok(date)
    }

    /// Parse the card's seven-character `YYYMMDD` form.
    pub fn parse(s: &str) -> Result<RocDate, RocDateError> {
        let b = s.as_bytes();
        if b.len() != 7 || !b.iter().all(u8::is_ascii_digit) {
            return Err(RocDateError::Format);
        }
        let year = decimal(&b[0..3]);
        let month = decimal(&b[3..5]);
        let day = decimal(&b[5..7]);
        // Three and two digits always fit, so the conversions cannot fail;
        // mapping to Format keeps the path free of unwrap anyway.
        let (Ok(year), Ok(month), Ok(day)) =
            (u16::try_from(year), u8::try_from(month), u8::try_from(day))
        else {
            return Err(RocDateError::Format);
        };
        RocDate::new(year, month, day)
    }

    /// The Gregorian date, or `None` if the fields do not form a real day.
    pub fn try_to_gregorian(&self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(
            i32::from(self.year) + ROC_YEAR_OFFSET,
            u32::from(self.month),
            u32::from(self.day),
        )
    }

    /// The Gregorian date (ROC year + 1911).
    ///
    /// Exact for any value built by [`RocDate::parse`] or [`RocDate::new`].
    /// Because the fields are public, a hand-built impossible value is
    /// clamped into range (month to 1..=12, day to the month's last day)
    /// instead of panicking; use [`RocDate::try_to_gregorian`] to detect it.
    pub fn to_gregorian(&self) -> NaiveDate {
        self.try_to_gregorian()
            .unwrap_or_else(|| self.clamped_gregorian())
    }

    fn clamped_gregorian(&self) -> NaiveDate {
        let year = i32::from(self.year) + ROC_YEAR_OFFSET;
        let month = u32::from(self.month.clamp(1, 12));
        let last_try = u32::from(self.day.clamp(1, 31));
        (1..=last_try)
            .rev()
            .find_map(|d| NaiveDate::from_ymd_opt(year, month, d))
            .unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for RocDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}{:02}{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for RocDate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Why bytes are not a basic-data record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordError {
    /// Fewer than [`RECORD_LEN`] bytes.
    Short {
        got: usize,
    },
    CardNo,
    NameEncoding,
    NameEmpty,
    IdFormat,
    BirthDate,
    Sex,
    IssueDate,
}

impl RecordError {
    /// Stable machine-readable name, for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            RecordError::Short { .. } => "short",
            RecordError::CardNo => "card_no",
            RecordError::NameEncoding => "name_encoding",
            RecordError::NameEmpty => "name_empty",
            RecordError::IdFormat => "id_format",
            RecordError::BirthDate => "birth_date",
            RecordError::Sex => "sex",
            RecordError::IssueDate => "issue_date",
        }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::Short { got } => {
                write!(f, "basic-data record is {got} bytes, expected {RECORD_LEN}")
            }
            RecordError::CardNo => f.write_str("card number (bytes 0-11) is not 12 ASCII digits"),
            RecordError::NameEncoding => f.write_str("name (bytes 12-31) is not valid Big5 text"),
            RecordError::NameEmpty => f.write_str("name (bytes 12-31) is empty"),
            RecordError::IdFormat => {
                f.write_str("ID number (bytes 32-41) is not 10 ASCII upper-case letters or digits")
            }
            RecordError::BirthDate => {
                f.write_str("birth date (bytes 42-48) is not a valid ROC YYYMMDD date")
            }
            RecordError::Sex => f.write_str("sex (byte 49) is neither 'M' nor 'F'"),
            RecordError::IssueDate => {
                f.write_str("issue date (bytes 50-56) is not a valid ROC YYYMMDD date")
            }
        }
    }
}

impl std::error::Error for RecordError {}

/// Decode a basic-data record. Extra trailing bytes are ignored so a caller
/// may pass a buffer that still holds the status word.
pub fn parse(bytes: &[u8]) -> Result<BasicRecord, RecordError> {
    let Some(rec) = bytes.get(..RECORD_LEN) else {
        return Err(RecordError::Short { got: bytes.len() });
    };
    Ok(BasicRecord {
        card_no: parse_card_no(&rec[CARD_NO]).ok_or(RecordError::CardNo)?,
        name: parse_name(&rec[NAME])?,
        id_no: parse_id_no(&rec[ID_NO]).ok_or(RecordError::IdFormat)?,
        birth: parse_date(&rec[BIRTH]).ok_or(RecordError::BirthDate)?,
        sex: parse_sex(rec[SEX]).ok_or(RecordError::Sex)?,
        issued: parse_date(&rec[ISSUED]).ok_or(RecordError::IssueDate)?,
    })
}

fn parse_card_no(field: &[u8]) -> Option<String> {
    field
        .iter()
        .all(u8::is_ascii_digit)
        .then(|| ascii_string(field))
}

fn parse_name(field: &[u8]) -> Result<String, RecordError> {
    let used = field
        .iter()
        .position(|&b| b == 0)
        .map_or(field, |nul| &field[..nul]);
    let (text, had_errors) = encoding_rs::BIG5.decode_without_bom_handling(used);
    // Control characters are not part of any name; seeing one means we are
    // decoding something that is not a name field (wrong record or offset).
    if had_errors || text.chars().any(char::is_control) {
        return Err(RecordError::NameEncoding);
    }
    // Cards pad with NUL, ASCII spaces, or full-width spaces (U+3000).
    let name = text.trim_end_matches([' ', '\u{3000}']);
    if name.is_empty() {
        return Err(RecordError::NameEmpty);
    }
    Ok(name.to_owned())
}

/// Only the character set is checked here: the ID scheme and checksum are a
/// question of plausibility, not of whether these bytes are a record.
fn parse_id_no(field: &[u8]) -> Option<String> {
    field
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        .then(|| ascii_string(field))
}

fn parse_date(field: &[u8]) -> Option<RocDate> {
    RocDate::parse(std::str::from_utf8(field).ok()?).ok()
}

fn parse_sex(byte: u8) -> Option<Sex> {
    match byte {
        b'M' => Some(Sex::Male),
        b'F' => Some(Sex::Female),
        _ => None,
    }
}

/// Callers have already checked the bytes are ASCII.
fn ascii_string(field: &[u8]) -> String {
    field.iter().map(|&b| char::from(b)).collect()
}

/// Content a genuine card would not carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anomaly {
    /// The ID is not a valid national ID / ARC (format or check digit).
    IdChecksum(IdError),
    BirthInFuture,
    /// Born more than 130 years ago.
    BirthTooOld,
    IssuedInFuture,
    IssuedBeforeBirth,
    SexMismatch {
        id_says: Sex,
        card_says: Sex,
    },
}

impl Anomaly {
    /// Stable machine-readable name, for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Anomaly::IdChecksum(_) => "id_checksum",
            Anomaly::BirthInFuture => "birth_in_future",
            Anomaly::BirthTooOld => "birth_too_old",
            Anomaly::IssuedInFuture => "issued_in_future",
            Anomaly::IssuedBeforeBirth => "issued_before_birth",
            Anomaly::SexMismatch { .. } => "sex_mismatch",
        }
    }

    /// `true` when the record as a whole should not be trusted.
    ///
    /// Hard: a bad ID, a birth date in the future, or an issue date before
    /// birth cannot come from a correctly read genuine card, whatever the PC.
    ///
    /// Soft:
    /// * `SexMismatch` — the ID digit reflects sex at registration; a later
    ///   legal change can make it differ from the card, so it is only a hint.
    /// * `IssuedInFuture` and `BirthTooOld` depend on `today`, i.e. on the
    ///   local clock; a wrong system clock (itself worth reporting, and a
    ///   classic cause of TLS failures) is a likelier cause than a bad card.
    ///   With a three-digit ROC year, `BirthTooOld` cannot even happen before
    ///   2042 unless the clock is wrong. The issue-date field is also the
    ///   least documented one (one source calls it "unknown").
    pub fn is_hard(&self) -> bool {
        match self {
            Anomaly::IdChecksum(_) | Anomaly::BirthInFuture | Anomaly::IssuedBeforeBirth => true,
            Anomaly::BirthTooOld | Anomaly::IssuedInFuture | Anomaly::SexMismatch { .. } => false,
        }
    }
}

impl fmt::Display for Anomaly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Anomaly::IdChecksum(e) => write!(f, "ID number on the card is invalid: {e}"),
            Anomaly::BirthInFuture => f.write_str("birth date on the card is in the future"),
            Anomaly::BirthTooOld => {
                write!(
                    f,
                    "birth date on the card is more than {MAX_AGE_YEARS} years ago"
                )
            }
            Anomaly::IssuedInFuture => f.write_str("issue date on the card is in the future"),
            Anomaly::IssuedBeforeBirth => {
                f.write_str("issue date on the card is before the birth date")
            }
            Anomaly::SexMismatch { id_says, card_says } => write!(
                f,
                "sex field on the card ({card_says}) differs from the ID number ({id_says})"
            ),
        }
    }
}

/// Sanity checks on a parsed record; empty means nothing looked wrong.
pub fn plausibility(rec: &BasicRecord, today: NaiveDate) -> Vec<Anomaly> {
    let birth = rec.birth.to_gregorian();
    let issued = rec.issued.to_gregorian();
    let mut found = Vec::new();

    if let Err(e) = id::validate(&rec.id_no) {
        found.push(Anomaly::IdChecksum(e));
    }
    if birth > today {
        found.push(Anomaly::BirthInFuture);
    }
    if is_too_old(birth, today) {
        found.push(Anomaly::BirthTooOld);
    }
    if issued > today {
        found.push(Anomaly::IssuedInFuture);
    }
    if issued < birth {
        found.push(Anomaly::IssuedBeforeBirth);
    }
    if let Some(id_says) = id::sex_from_id(&rec.id_no)
        && id_says != rec.sex
    {
        found.push(Anomaly::SexMismatch {
            id_says,
            card_says: rec.sex,
        });
    }
    found
}

fn is_too_old(birth: NaiveDate, today: NaiveDate) -> bool {
    // checked_sub_months is None only near chrono's minimum date, where
    // nobody can be "too old" relative to anything representable.
    today
        .checked_sub_months(Months::new(MAX_AGE_YEARS * 12))
        .is_some_and(|limit| birth < limit)
}

/// Decimal value of ASCII digits the caller has already validated.
fn decimal(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, &d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn big5(text: &str) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding_rs::BIG5.encode(text);
        assert!(!unmappable, "test name must be Big5-encodable: {text}");
        bytes.into_owned()
    }

    /// Assemble a record from fields; the name field is padded with `pad`.
    fn record_bytes(
        card_no: &str,
        name: &[u8],
        pad: u8,
        id: &str,
        birth: &str,
        sex: u8,
        issued: &str,
    ) -> Vec<u8> {
        let mut out = Vec::with_capacity(RECORD_LEN);
        out.extend_from_slice(card_no.as_bytes());
        let mut name_field = name.to_vec();
        name_field.resize(NAME.len(), pad);
        out.extend_from_slice(&name_field);
        out.extend_from_slice(id.as_bytes());
        out.extend_from_slice(birth.as_bytes());
        out.push(sex);
        out.extend_from_slice(issued.as_bytes());
        assert_eq!(
            out.len(),
            RECORD_LEN,
            "test fixture has wrong field lengths"
        );
        out
    }

    fn sample_bytes() -> Vec<u8> {
        record_bytes(
            "000012345678",
            &big5("王小明明"),
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        )
    }

    fn sample() -> BasicRecord {
        parse(&sample_bytes()).expect("sample record parses")
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    fn today() -> NaiveDate {
        day(2026, 11, 27)
    }

    #[test]
    fn sample_record_parses_every_field() {
        let rec = sample();
        assert_eq!(rec.card_no, "000012345678");
        assert_eq!(rec.name, "王小明明");
        assert_eq!(
            rec.name.chars().count(),
            4,
            "four-character names must not be truncated"
        );
        assert_eq!(rec.id_no, "A123456789");
        assert_eq!(
            rec.birth,
            RocDate {
                year: 80,
                month: 1,
                day: 1
            }
        );
        assert_eq!(rec.sex, Sex::Male);
        assert_eq!(
            rec.issued,
            RocDate {
                year: 112,
                month: 3,
                day: 15
            }
        );
        assert_eq!(rec.birth.to_gregorian(), day(1991, 1, 1));
        assert_eq!(rec.issued.to_gregorian(), day(2023, 3, 15));
    }

    #[test]
    fn sample_record_is_plausible() {
        assert_eq!(plausibility(&sample(), today()), vec![]);
    }

    #[test]
    fn trailing_status_word_is_ignored() {
        let mut bytes = sample_bytes();
        bytes.extend_from_slice(&[0x90, 0x00]);
        assert_eq!(parse(&bytes), Ok(sample()));
    }

    #[test]
    fn short_input_is_rejected_with_length() {
        let bytes = sample_bytes();
        assert_eq!(parse(&bytes[..56]), Err(RecordError::Short { got: 56 }));
        assert_eq!(parse(&[]), Err(RecordError::Short { got: 0 }));
    }

    #[test]
    fn name_padding_variants() {
        let spaces = record_bytes(
            "000012345678",
            &big5("王小明明"),
            b' ',
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&spaces).map(|r| r.name), Ok("王小明明".to_owned()));

        let full_width = big5("王小明明　　　　　　");
        assert_eq!(full_width.len(), 20);
        let fw = record_bytes(
            "000012345678",
            &full_width,
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&fw).map(|r| r.name), Ok("王小明明".to_owned()));

        // Everything after the first NUL is ignored, even non-Big5 garbage.
        let mut after_nul = big5("王小明");
        after_nul.extend_from_slice(&[0, 0xFF, 0xFF]);
        let an = record_bytes(
            "000012345678",
            &after_nul,
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&an).map(|r| r.name), Ok("王小明".to_owned()));
    }

    #[test]
    fn ten_character_name_fills_the_field() {
        let name = big5("歐陽王小明明大中華民");
        assert_eq!(name.len(), 20);
        let bytes = record_bytes(
            "000012345678",
            &name,
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(
            parse(&bytes).map(|r| r.name),
            Ok("歐陽王小明明大中華民".to_owned())
        );
    }

    #[test]
    fn name_keeps_inner_spaces_and_ascii() {
        let bytes = record_bytes(
            "000012345678",
            b"CHEN TA-WEN",
            b' ',
            "A800000014",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&bytes).map(|r| r.name), Ok("CHEN TA-WEN".to_owned()));
    }

    #[test]
    fn name_errors() {
        let invalid = record_bytes(
            "000012345678",
            &[0xFF, 0xFF],
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&invalid), Err(RecordError::NameEncoding));

        // A lead byte cut off by the NUL is an incomplete character.
        let mut cut = big5("王小");
        cut.push(big5("明")[0]);
        let cut = record_bytes(
            "000012345678",
            &cut,
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&cut), Err(RecordError::NameEncoding));

        let control = record_bytes(
            "000012345678",
            b"AB\x01",
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&control), Err(RecordError::NameEncoding));

        let empty = record_bytes(
            "000012345678",
            b"",
            0,
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&empty), Err(RecordError::NameEmpty));

        let blank = record_bytes(
            "000012345678",
            &big5("　　"),
            b' ',
            "A123456789",
            "0800101",
            b'M',
            "1120315",
        );
        assert_eq!(parse(&blank), Err(RecordError::NameEmpty));
    }

    #[test]
    fn each_field_error_is_reported() {
        let name = big5("王小明明");
        let cases: [(Vec<u8>, RecordError); 7] = [
            (
                record_bytes(
                    "00001234567X",
                    &name,
                    0,
                    "A123456789",
                    "0800101",
                    b'M',
                    "1120315",
                ),
                RecordError::CardNo,
            ),
            (
                record_bytes(
                    "000012345678",
                    &name,
                    0,
                    "a123456789",
                    "0800101",
                    b'M',
                    "1120315",
                ),
                RecordError::IdFormat,
            ),
            (
                record_bytes(
                    "000012345678",
                    &name,
                    0,
                    "A12345678 ",
                    "0800101",
                    b'M',
                    "1120315",
                ),
                RecordError::IdFormat,
            ),
            (
                record_bytes(
                    "000012345678",
                    &name,
                    0,
                    "A123456789",
                    "0801301",
                    b'M',
                    "1120315",
                ),
                RecordError::BirthDate,
            ),
            (
                record_bytes(
                    "000012345678",
                    &name,
                    0,
                    "A123456789",
                    "0800101",
                    b'm',
                    "1120315",
                ),
                RecordError::Sex,
            ),
            (
                record_bytes(
                    "000012345678",
                    &name,
                    0,
                    "A123456789",
                    "0800101",
                    b'M',
                    "112031X",
                ),
                RecordError::IssueDate,
            ),
            (
                record_bytes(
                    "000012345678",
                    &name,
                    0,
                    "A123456789",
                    "0800101",
                    b'M',
                    "1120230",
                ),
                RecordError::IssueDate,
            ),
        ];
        for (bytes, want) in cases {
            assert_eq!(parse(&bytes), Err(want));
        }
    }

    #[test]
    fn error_codes_are_distinct_and_stable() {
        let all = [
            RecordError::Short { got: 3 },
            RecordError::CardNo,
            RecordError::NameEncoding,
            RecordError::NameEmpty,
            RecordError::IdFormat,
            RecordError::BirthDate,
            RecordError::Sex,
            RecordError::IssueDate,
        ];
        let codes: Vec<_> = all.iter().map(RecordError::code).collect();
        assert_eq!(
            codes,
            [
                "short",
                "card_no",
                "name_encoding",
                "name_empty",
                "id_format",
                "birth_date",
                "sex",
                "issue_date"
            ]
        );
        assert_eq!(
            RecordError::Short { got: 3 }.to_string(),
            "basic-data record is 3 bytes, expected 57"
        );
    }

    #[test]
    fn roc_date_parse_and_display() {
        let d = RocDate::parse("0800101").expect("valid");
        assert_eq!(d.to_string(), "0800101");
        assert_eq!(
            RocDate::parse("1130229").map(|d| d.to_gregorian()),
            Ok(day(2024, 2, 29))
        );
        assert_eq!(RocDate::parse("1120229"), Err(RocDateError::NoSuchDate));
        assert_eq!(RocDate::parse("0000101"), Err(RocDateError::NoSuchDate));
        assert_eq!(RocDate::parse("0800001"), Err(RocDateError::NoSuchDate));
        assert_eq!(RocDate::parse("0800100"), Err(RocDateError::NoSuchDate));
        assert_eq!(RocDate::parse("080010"), Err(RocDateError::Format));
        assert_eq!(RocDate::parse("08001011"), Err(RocDateError::Format));
        assert_eq!(RocDate::parse("08-0101"), Err(RocDateError::Format));
        assert_eq!(RocDate::parse("０８００１０"), Err(RocDateError::Format));
        assert_eq!(RocDate::parse("é80101"), Err(RocDateError::Format));
        assert_eq!(
            RocDate::parse("9991231").map(|d| d.to_gregorian().year()),
            Ok(2910)
        );
    }

    #[test]
    fn to_gregorian_clamps_hand_built_values() {
        let bad = RocDate {
            year: 113,
            month: 2,
            day: 31,
        };
        assert_eq!(bad.try_to_gregorian(), None);
        assert_eq!(bad.to_gregorian(), day(2024, 2, 29));
        let worse = RocDate {
            year: 0,
            month: 0,
            day: 0,
        };
        assert_eq!(worse.to_gregorian(), day(1911, 1, 1));
        let huge = RocDate {
            year: u16::MAX,
            month: u8::MAX,
            day: u8::MAX,
        };
        assert_eq!(huge.to_gregorian(), day(65535 + 1911, 12, 31));
    }

    #[test]
    fn serialises_dates_as_card_text_and_sex_lowercase() {
        let json = serde_json::to_value(sample()).expect("serialise");
        assert_eq!(json["birth"], "0800101");
        assert_eq!(json["issued"], "1120315");
        assert_eq!(json["sex"], "male");
        assert_eq!(json["name"], "王小明明");
    }

    fn with(f: impl FnOnce(&mut BasicRecord)) -> BasicRecord {
        let mut rec = sample();
        f(&mut rec);
        rec
    }

    fn codes(rec: &BasicRecord) -> Vec<&'static str> {
        plausibility(rec, today())
            .iter()
            .map(Anomaly::code)
            .collect()
    }

    #[test]
    fn bad_checksum_is_a_hard_anomaly() {
        let rec = with(|r| r.id_no = "A123456788".into());
        let found = plausibility(&rec, today());
        assert_eq!(found, vec![Anomaly::IdChecksum(IdError::Checksum)]);
        assert!(found[0].is_hard());
    }

    #[test]
    fn unknown_id_scheme_is_reported_as_id_anomaly() {
        let rec = with(|r| r.id_no = "A323456789".into());
        assert_eq!(
            plausibility(&rec, today()),
            vec![Anomaly::IdChecksum(IdError::Format)]
        );
    }

    #[test]
    fn future_birth_is_hard() {
        let rec = with(|r| {
            r.birth = RocDate {
                year: 116,
                month: 1,
                day: 1,
            }
        });
        let found = plausibility(&rec, today());
        assert!(found.contains(&Anomaly::BirthInFuture));
        assert!(found.contains(&Anomaly::IssuedBeforeBirth));
        assert!(found.iter().all(Anomaly::is_hard));
    }

    #[test]
    fn birth_today_is_fine() {
        let rec = with(|r| {
            r.birth = RocDate {
                year: 115,
                month: 11,
                day: 27,
            };
            r.issued = r.birth;
        });
        assert_eq!(codes(&rec), Vec::<&str>::new());
    }

    #[test]
    fn too_old_depends_on_today() {
        let rec = with(|r| {
            r.birth = RocDate {
                year: 1,
                month: 1,
                day: 1,
            }
        });
        assert_eq!(codes(&rec), Vec::<&str>::new());
        let far_future = day(2043, 1, 1);
        assert_eq!(plausibility(&rec, far_future), vec![Anomaly::BirthTooOld]);
        assert!(!Anomaly::BirthTooOld.is_hard());
    }

    #[test]
    fn issue_date_checks() {
        let future = with(|r| {
            r.issued = RocDate {
                year: 116,
                month: 1,
                day: 1,
            }
        });
        assert_eq!(codes(&future), ["issued_in_future"]);
        assert!(!Anomaly::IssuedInFuture.is_hard());

        let before_birth = with(|r| {
            r.issued = RocDate {
                year: 79,
                month: 12,
                day: 31,
            }
        });
        assert_eq!(codes(&before_birth), ["issued_before_birth"]);
        assert!(Anomaly::IssuedBeforeBirth.is_hard());
    }

    #[test]
    fn sex_mismatch_is_soft() {
        let rec = with(|r| r.sex = Sex::Female);
        let found = plausibility(&rec, today());
        assert_eq!(
            found,
            vec![Anomaly::SexMismatch {
                id_says: Sex::Male,
                card_says: Sex::Female
            }]
        );
        assert!(!found[0].is_hard());
        assert_eq!(
            found[0].to_string(),
            "sex field on the card (female) differs from the ID number (male)"
        );
    }

    #[test]
    fn old_arc_has_no_sex_opinion() {
        let rec = with(|r| {
            r.id_no = "AA00000009".into();
            r.sex = Sex::Female;
        });
        assert_eq!(codes(&rec), Vec::<&str>::new());
    }

    /// Tiny deterministic generator so the fuzz test needs no extra crate.
    struct Lcg(u64);

    impl Lcg {
        fn next_u8(&mut self) -> u8 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 56) as u8
        }
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let mut rng = Lcg(0x5eed);
        let template = sample_bytes();
        for round in 0..20_000 {
            let len = usize::from(rng.next_u8()) % 120;
            let bytes: Vec<u8> = if round % 2 == 0 {
                (0..len).map(|_| rng.next_u8()).collect()
            } else {
                // Mutate a valid record so the fuzzing also reaches the later fields.
                let mut b = template.clone();
                b.resize(len.max(RECORD_LEN), b' ');
                for _ in 0..(rng.next_u8() % 4) {
                    let at = usize::from(rng.next_u8()) % b.len();
                    b[at] = rng.next_u8();
                }
                b
            };
            if let Ok(rec) = parse(&bytes) {
                for anomaly in plausibility(&rec, today()) {
                    let _ = (anomaly.code(), anomaly.is_hard(), anomaly.to_string());
                }
                let _ = rec.birth.to_gregorian();
            }
            if let Ok(text) = std::str::from_utf8(&bytes) {
                poke_text_parsers(text);
            }
            poke_text_parsers(&random_mixed_text(&mut rng));
        }
    }

    /// Multi-byte characters catch byte-index slicing on non-char boundaries.
    fn random_mixed_text(rng: &mut Lcg) -> String {
        const ALPHABET: [char; 10] = ['A', 'a', '1', '9', '0', ' ', 'é', 'Ａ', '王', '\u{3000}'];
        let len = usize::from(rng.next_u8()) % 12;
        (0..len)
            .map(|_| ALPHABET[usize::from(rng.next_u8()) % ALPHABET.len()])
            .collect()
    }

    fn poke_text_parsers(text: &str) {
        let _ = RocDate::parse(text);
        let _ = id::validate(text);
        let _ = id::sex_from_id(text);
    }
}
