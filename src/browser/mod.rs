//! The browser link: what a browser keeps in files that decides whether the eCPA page may
//! reach the component on loopback — for now the Chromium family's Local Network Access
//! (per-profile decisions, the enterprise policies, the version that says whether LNA
//! applies). Pure readers: they take bytes and return data, so they are tested against
//! files real browsers wrote (`tests/fixtures/browser/`) and fuzzed; the checks that read
//! a user's profiles through the system layer come next (issue 15).
//!
//! Must not import: the kinds, the system layer, the simulations or a frontend.

pub mod chromium;
pub mod dconf;
pub mod default;
pub mod firefox;
pub mod lna;
pub mod macos;
pub mod nss;
pub mod policy;
pub mod proxy;
pub mod trust;

use crate::engine::outcome::Outcome;

/// The eCPA site whose pages talk to the component: the origin a browser decision is for.
pub const ECPA_HOST: &str = "ecpa.dgpa.gov.tw";

/// The operating systems whose browser files the checks know, by the names profiles use.
pub const OSES: [&str; 3] = ["linux", "macos", "windows"];

/// A profile's `os` param, refused with the names that exist.
pub fn check_os(os: &str) -> Result<(), String> {
    if OSES.contains(&os) {
        Ok(())
    } else {
        Err(format!("`os` must be linux, macos or windows, not `{os}`"))
    }
}

/// Whose browsers a check read: the user, their home and their default browser.
pub fn whose_evidence(
    o: Outcome,
    user: Option<String>,
    home: &str,
    default_browser: Option<&str>,
) -> Outcome {
    let o = o
        .with("user", user.unwrap_or_else(|| "-".into()))
        .with("home", home);
    match default_browser {
        Some(d) => o.with("default_browser", d),
        None => o,
    }
}
