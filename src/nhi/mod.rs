//! Pure domain knowledge about the Taiwan NHI card (健保卡).
//!
//! Nothing in here touches a reader, the network or the terminal: every
//! function takes bytes or strings and returns data, so the probes can feed it
//! whatever a real card, a virtual card or a test fixture produced.
//!
//! * [`atr`] — which kind of card an ATR belongs to (NHI, 自然人憑證, 醫事人員卡).
//! * [`apdu`] — the commands the official component sends, and a transport
//!   helper that copes with T=0 style `61xx` / `6Cxx` answers.
//! * [`record`] — the 57-byte basic-data record and sanity checks on it.
//! * [`id`] — national ID / resident certificate (統一證號) checksums.
//!
//! Must not import: anything of this crate but itself.

pub mod apdu;
pub mod atr;
pub mod id;
pub mod record;
