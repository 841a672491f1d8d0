//! Text a user pasted from eCPA, NHI or the component: normalised and matched against
//! the known messages (codes as whole tokens, parts, similarity).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::known_message(data));
