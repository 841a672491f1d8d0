//! A certificate as the bridge (or an impostor) sends it: DER parsed for the report and
//! the name, date and self-signature judgements of the `tls_certificate` check.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::x509(data));
