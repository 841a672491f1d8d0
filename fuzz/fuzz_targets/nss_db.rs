//! An NSS certificate database (`cert9.db`, SQLite) as a browser profile may hold it.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::nss_db(data));
