//! The fleet sweep: many PCs' JSON reports (collected by a fleet engine — Ansible, see
//! `contrib/ansible/`) read as hostile input and summed up into one picture: how many PCs
//! are healthy, warn, are blocked or could not be reached, and the root causes ranked by
//! how many PCs they hit, each with its remedy once and, where one fix serves them all,
//! that fix. One summary model (`summary.rs`) printed by every format (`render.rs`) and
//! shown by the console's fleet view.
//!
//! Must not import: the kinds, the system layer, the simulations, a frontend.

pub mod read;
pub mod render;
pub mod summary;

pub use read::{Entry, PcReport, Why, read_paths};
pub use summary::{FleetSummary, summarize};
