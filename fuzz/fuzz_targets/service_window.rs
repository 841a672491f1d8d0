//! Maintenance windows as NHI announces them (ROC dates, full-width digits) or as ISO
//! times: one time alone, one relative to a start, and whole window files.
#![no_main]

use ecpa_doctor::probes::service_window::{parse_time, parse_windows};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(start) = parse_time(text, None) {
        let _ = parse_time(text, Some(start));
    }
    // The second line relative to the first, as a window's end follows its start.
    if let Some((a, b)) = text.split_once('\n')
        && let Ok(start) = parse_time(a, None)
    {
        let _ = parse_time(b, Some(start));
    }
    let _ = parse_windows(text);
});
