//! A profile file as an operator (or a broken editor) writes it: YAML, kinds and their
//! params, `needs` graph. Errors must come back as `file:line:column` values.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::profile(data));
