//! A report file a fleet sweep collected (`fleet summarize`), as a hostile PC may write it.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::fleet_report(data));
