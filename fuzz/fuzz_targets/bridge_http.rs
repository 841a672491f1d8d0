//! Whatever answers on the bridge port over HTTP: the head parser (bare LF, partial
//! heads), the bounded response reader with and without a body, and the page title.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::bridge_http(data));
