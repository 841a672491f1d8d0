//! Every integration test, in one crate: each file beside this one is a module, and the
//! helpers (the rig, the virtual card, tmux, sshd, running the binary) are the `support`
//! module, shared by module rather than by file path. One crate links once, which on a
//! 2-core CI is minutes, not seconds.

mod support;

mod agency;
mod bridge;
mod browser;
mod card_rig;
mod cli;
mod component_local;
mod demo;
mod explain;
mod fault_matrix;
mod fleet;
mod fuzz_corpus;
mod installer;
mod nhi_cloud;
mod no_readers;
mod privacy;
mod remote;
mod rig_vcard;
mod service_window;
mod tui_tmux;
mod wine;
