//! A profile file as an operator (or a broken editor) writes it: YAML, kinds and their
//! params, `needs` graph. Errors must come back as `file:line:column` values.
#![no_main]

use ecpa_doctor::engine::profile::Profile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match Profile::parse(text, "fuzz.yaml") {
        Ok(p) => {
            for c in &p.checks {
                let _ = p.with_dependents(&c.id);
            }
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
