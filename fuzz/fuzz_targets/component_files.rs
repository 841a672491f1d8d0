//! Files of the component's install as ecpa-doctor reads them: the daemon's ELF (dynamic
//! section, NEEDED, RPATH/RUNPATH, symbol versions), macOS launch-daemon plists, and the
//! hosts file.
#![no_main]

use libfuzzer_sys::fuzz_target;

// The body lives in the library so `cargo test` (tests/fuzz_corpus.rs) runs it too.
fuzz_target!(|data: &[u8]| ecpa_doctor::fuzzing::component_files(data));
