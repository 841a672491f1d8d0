//! The 57-byte basic-data record as a card (or anything posing as one) returns it:
//! structural parse, then the plausibility checks against a "today" taken from the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::card_record(data));
