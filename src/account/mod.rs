//! The account end of the login chain and what the operator types or pastes about it:
//! NHI's verification service (`verifier`), the messages users see and what they mean
//! (`known`, `explain`), the password prompt and the wiped password buffer (`secret`).
//!
//! Must not import: the console (`crate::tui`), the demo, ratatui, crossterm or clap.

pub mod explain;
pub mod known;
pub mod password_prompt;
pub mod secret;
pub mod verifier;
