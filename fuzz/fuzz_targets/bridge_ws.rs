//! What the bridge sends after the WebSocket upgrade: frames decoded by the same reader the
//! `bridge_protocol` check uses (pings answered, fragments joined, sizes capped), every
//! text reply then judged the way the check does (bare 4-digit code → catalogue).
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::bridge_ws(data));
