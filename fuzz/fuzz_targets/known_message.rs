//! Text a user pasted from eCPA, NHI or the component: normalised and matched against
//! the known messages (codes as whole tokens, parts, similarity).
#![no_main]

use ecpa_doctor::known;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = known::normalise(&text);
    match known::classify(&text, known::builtin()) {
        known::Match::Text { score, .. } => assert!((0.0..=1.0).contains(&score)),
        known::Match::Unknown { closest } => assert!(closest.len() <= 3),
        known::Match::Code { .. } => {}
    }
});
