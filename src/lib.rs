//! ecpa-doctor: diagnoses the NHI-card (健保卡) login chain to eCPA (人事服務網) as a
//! pipeline of pluggable checks and maps every failure to its documented remedy.
//!
//! The crate is a library so the integration tests, the fuzz targets and the binary share
//! one engine. Direction of flow: `engine` (profile → run → outcomes) knows nothing of
//! terminals; `report` turns outcomes into one model that every output format prints.

pub mod account;
pub mod bridge;
pub mod browser;
pub mod cli;
pub mod component;
pub mod demo;
pub mod engine;
pub mod fleet;
// The fuzz targets' bodies, shared with tests/fuzz_corpus.rs; not part of the API.
#[doc(hidden)]
pub mod fuzzing;
pub mod i18n;
pub mod nhi;
pub mod probes;
pub mod report;
pub mod sim;
pub mod system;
pub mod tui;
