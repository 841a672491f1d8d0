//! The card's answers to an APDU exchange: the input is a script of answers (each a
//! length byte and that many bytes), replayed in order; the exchange must end (no endless
//! GET RESPONSE loop) and never panic, whatever the card says.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::apdu(data));
