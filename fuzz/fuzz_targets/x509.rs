//! A certificate as the bridge (or an impostor) sends it: DER parsed for the report and
//! the name, date and self-signature judgements of the `tls_certificate` check.
#![no_main]

use std::time::{Duration, SystemTime};

use ecpa_doctor::bridge::tls::CertInfo;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let info = CertInfo::parse(data);
    let now = SystemTime::now();
    let _ = (
        info.describe(),
        info.self_issued(),
        info.expired_at(now),
        info.not_yet_valid_at(now),
    );
    let _ = info.expires_within(now, Duration::from_secs(7 * 86_400));
    for name in [
        "iccert.nhi.gov.tw",
        "localhost",
        "127.0.0.1",
        "::1",
        "ICCERT.NHI.GOV.TW.",
    ] {
        let _ = info.covers(name);
    }
});
