//! Stand-ins for the world outside ecpa-doctor, for the integration tests and the demo:
//! real servers on loopback that behave like the NHI component (and like the things that
//! get in its way), so the probes run their real network code against them.
//!
//! Must not import: the kinds, the demo or a frontend; the product never depends on it
//! outside the demo.

pub mod bridge;
pub mod card;
pub mod certs;
pub mod cloud;
pub mod ecpa_page;
pub mod elf;
pub mod files;
pub mod fragile;
pub mod loopback;
pub mod net;
pub mod nssdb;
pub mod pcsc;
pub mod timeserver;
pub mod verifier;
