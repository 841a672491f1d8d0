//! Pure readers for what the NHI component leaves on a machine: the daemon's ELF header,
//! the libraries (and glibc symbol versions) it needs, macOS LaunchDaemon plists and
//! hosts-file lines. No I/O of their own beyond the `Files` view they are given, so they
//! are tested with fixtures.
//!
//! Must not import: the network, the simulations, the demo or a frontend (`installer.rs`
//! builds the one-check profile of `check-installer` from its kind).

pub mod elf;
pub mod glibc;
pub mod hosts;
pub mod installer;
pub mod libs;
pub mod plist;
