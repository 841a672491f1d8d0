//! The check engine: the check interface, profile loading, scheduling, outcomes and
//! redaction. It runs the kinds it is handed (`kind`); nothing here draws on a terminal;
//! frontends consume [`run::Event`]s and build the one report model (`crate::report`).
//!
//! Must not import: `crate::probes`, `crate::sim`, `crate::system`, `crate::tui`,
//! `crate::demo`, ratatui, crossterm or clap (a test in `tests.rs` holds it to that).

pub mod catalogue;
pub mod kind;
pub mod outcome;
pub mod pii;
pub mod profile;
pub mod run;

pub use kind::{Ctx, Kind, Kinds, Probe, Trigger};
pub use outcome::{Outcome, Status};
pub use profile::{CheckDef, Profile, ProfileError, Severity};

#[cfg(test)]
mod tests;
