//! Helpers every test module shares: running the real binary and the rig (`doctor.rs`,
//! re-exported here), a hermetic environment, the virtual NHI card, tmux and sshd.

#![allow(dead_code)]

pub mod bidi;
pub mod cdp;
mod doctor;
pub mod hermetic;
pub mod proxy;
pub mod rpc;
pub mod sshd;
pub mod tmux;
pub mod vcard;

pub use doctor::*;
