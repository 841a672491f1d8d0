//! A browser's files as ecpa-doctor reads them: a Chromium profile's `Preferences` (Local
//! Network Access decisions), a managed policy file, a `Last Version`.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::browser_files(data));
