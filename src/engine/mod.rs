//! The check engine: profile loading, scheduling, outcomes, the report model and
//! redaction. Nothing here draws on a terminal; frontends consume [`run::Event`]s and
//! the [`report::Report`].

pub mod catalogue;
pub mod outcome;
pub mod pii;
pub mod profile;
pub mod report;
pub mod run;

pub use outcome::{Outcome, Status};
pub use profile::{CheckDef, Profile, ProfileError, Severity};

#[cfg(test)]
mod tests;
