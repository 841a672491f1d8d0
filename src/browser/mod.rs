//! The browser link: what a browser keeps in files that decides whether the eCPA page may
//! reach the component on loopback — for now the Chromium family's Local Network Access
//! (per-profile decisions, the enterprise policies, the version that says whether LNA
//! applies). Pure readers: they take bytes and return data, so they are tested against
//! files real browsers wrote (`tests/fixtures/browser/`) and fuzzed; the checks that read
//! a user's profiles through the system layer come next (issue 15).
//!
//! Must not import: the kinds, the system layer, the simulations or a frontend.

pub mod lna;
pub mod policy;

/// The eCPA site whose pages talk to the component: the origin a browser decision is for.
pub const ECPA_HOST: &str = "ecpa.dgpa.gov.tw";
