//! The 57-byte basic-data record as a card (or anything posing as one) returns it:
//! structural parse, then the plausibility checks against a "today" taken from the input.
#![no_main]

use chrono::NaiveDate;
use ecpa_doctor::nhi::record::{self, RocDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (today, record_bytes) = split_today(data);
    if let Ok(rec) = record::parse(record_bytes) {
        for a in record::plausibility(&rec, today) {
            let _ = (a.code(), a.is_hard(), a.to_string());
        }
        let _ = (rec.birth.to_gregorian(), rec.issued.to_gregorian());
    }
    if let Ok(text) = std::str::from_utf8(record_bytes) {
        let _ = RocDate::parse(text).map(|d| d.to_gregorian());
    }
});

/// The first two bytes pick a day between 1970 and 2149 (the local clock is not the
/// hostile part, but it may be wrong); the rest is the card's answer.
fn split_today(data: &[u8]) -> (NaiveDate, &[u8]) {
    let base = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    match data {
        [a, b, rest @ ..] => (
            base + chrono::Days::new(u64::from(u16::from_le_bytes([*a, *b]))),
            rest,
        ),
        _ => (base + chrono::Days::new(20_000), data),
    }
}
