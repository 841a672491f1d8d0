//! Maintenance windows as NHI announces them (ROC dates, full-width digits) or as ISO
//! times: one time alone, one relative to a start, and whole window files.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::service_window(data));
