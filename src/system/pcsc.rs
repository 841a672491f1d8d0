//! PC/SC access behind small traits, so the demo can simulate readers and cards while
//! probes stay the same. Calls block: probes make them inside `probes::blocking`.

use std::ffi::CString;
use std::fmt;
use std::time::Duration;

/// The PC/SC errors the probes tell apart; everything else keeps its code for evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PcscError {
    /// pcscd / SCardSvr not running (or its socket is gone).
    NoService,
    NoSmartcard,
    /// Card pulled after the service noticed.
    RemovedCard,
    /// Card pulled before the service noticed, or the exchange broke off.
    NotTransacted,
    /// Another program holds the card exclusively.
    SharingViolation,
    UnresponsiveCard,
    UnpoweredCard,
    ResetCard,
    ReaderUnavailable,
    UnknownReader,
    Timeout,
    Other {
        code: u32,
        text: String,
    },
}

impl PcscError {
    pub fn code(&self) -> u32 {
        match self {
            PcscError::NoService => 0x8010_001D,
            PcscError::NoSmartcard => 0x8010_000C,
            PcscError::RemovedCard => 0x8010_0069,
            PcscError::NotTransacted => 0x8010_0016,
            PcscError::SharingViolation => 0x8010_000B,
            PcscError::UnresponsiveCard => 0x8010_0066,
            PcscError::UnpoweredCard => 0x8010_0067,
            PcscError::ResetCard => 0x8010_0068,
            PcscError::ReaderUnavailable => 0x8010_0017,
            PcscError::UnknownReader => 0x8010_0009,
            PcscError::Timeout => 0x8010_000A,
            PcscError::Other { code, .. } => *code,
        }
    }

    /// The card went away mid-operation (pulled, lost contact, reset by someone else).
    pub fn is_card_gone(&self) -> bool {
        matches!(
            self,
            PcscError::RemovedCard
                | PcscError::NotTransacted
                | PcscError::NoSmartcard
                | PcscError::ResetCard
                | PcscError::ReaderUnavailable
        )
    }
}

impl fmt::Display for PcscError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            PcscError::NoService => "SCARD_E_NO_SERVICE",
            PcscError::NoSmartcard => "SCARD_E_NO_SMARTCARD",
            PcscError::RemovedCard => "SCARD_W_REMOVED_CARD",
            PcscError::NotTransacted => "SCARD_E_NOT_TRANSACTED",
            PcscError::SharingViolation => "SCARD_E_SHARING_VIOLATION",
            PcscError::UnresponsiveCard => "SCARD_W_UNRESPONSIVE_CARD",
            PcscError::UnpoweredCard => "SCARD_W_UNPOWERED_CARD",
            PcscError::ResetCard => "SCARD_W_RESET_CARD",
            PcscError::ReaderUnavailable => "SCARD_E_READER_UNAVAILABLE",
            PcscError::UnknownReader => "SCARD_E_UNKNOWN_READER",
            PcscError::Timeout => "SCARD_E_TIMEOUT",
            PcscError::Other { text, .. } => text.as_str(),
        };
        write!(f, "{name} (0x{:08X})", self.code())
    }
}

impl From<pcsc::Error> for PcscError {
    fn from(e: pcsc::Error) -> Self {
        use pcsc::Error as E;
        match e {
            E::NoService | E::ServiceStopped => PcscError::NoService,
            E::NoSmartcard => PcscError::NoSmartcard,
            E::RemovedCard => PcscError::RemovedCard,
            E::NotTransacted => PcscError::NotTransacted,
            E::SharingViolation => PcscError::SharingViolation,
            E::UnresponsiveCard => PcscError::UnresponsiveCard,
            E::UnpoweredCard => PcscError::UnpoweredCard,
            E::ResetCard => PcscError::ResetCard,
            E::ReaderUnavailable => PcscError::ReaderUnavailable,
            E::UnknownReader => PcscError::UnknownReader,
            E::Timeout => PcscError::Timeout,
            other => PcscError::Other {
                code: other as u32,
                text: format!("{other:?}"),
            },
        }
    }
}

/// A reader and what sits in it, as the service reports without touching the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReaderState {
    pub name: String,
    pub present: bool,
    /// The card answers nothing sensible to power-up (dirty chip, inserted the wrong way).
    pub mute: bool,
    /// Another program has the card open exclusively.
    pub exclusive: bool,
    pub in_use: bool,
    pub atr: Vec<u8>,
    /// Changes whenever a card comes or goes; lets a watcher tell one insertion from another.
    pub event_count: u32,
}

pub trait SmartCards: Send + Sync {
    fn establish(&self) -> Result<Box<dyn PcscContext>, PcscError>;
}

pub trait PcscContext: Send {
    fn readers(&self) -> Result<Vec<String>, PcscError>;
    /// Current state of each reader, without waiting.
    fn states(&self, readers: &[String]) -> Result<Vec<ReaderState>, PcscError>;
    /// Waits up to `timeout` for any reader to change from `known`, or for a reader to be
    /// added or removed; `Ok(false)` when nothing changed.
    fn wait_change(&self, known: &[ReaderState], timeout: Duration) -> Result<bool, PcscError>;
    /// Connects in shared mode: never lock out or reset another program's card.
    fn connect_shared(&self, reader: &str) -> Result<Box<dyn CardSession>, PcscError>;
}

pub trait CardSession: Send {
    fn protocol(&self) -> Option<&'static str>;
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, PcscError>;
}

pub struct RealPcsc;

impl SmartCards for RealPcsc {
    fn establish(&self) -> Result<Box<dyn PcscContext>, PcscError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User)?;
        Ok(Box::new(RealContext { ctx }))
    }
}

struct RealContext {
    ctx: pcsc::Context,
}

fn cstring(name: &str) -> Result<CString, PcscError> {
    CString::new(name).map_err(|_| PcscError::UnknownReader)
}

impl PcscContext for RealContext {
    fn readers(&self) -> Result<Vec<String>, PcscError> {
        let names = self.ctx.list_readers_owned()?;
        Ok(names
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .collect())
    }

    fn states(&self, readers: &[String]) -> Result<Vec<ReaderState>, PcscError> {
        if readers.is_empty() {
            return Ok(Vec::new());
        }
        let mut states = readers
            .iter()
            .map(|r| cstring(r).map(|c| pcsc::ReaderState::new(c, pcsc::State::UNAWARE)))
            .collect::<Result<Vec<_>, _>>()?;
        self.ctx.get_status_change(Duration::ZERO, &mut states)?;
        Ok(states.iter().map(to_state).collect())
    }

    fn wait_change(&self, known: &[ReaderState], timeout: Duration) -> Result<bool, PcscError> {
        let mut states = Vec::with_capacity(known.len() + 1);
        for k in known {
            let current = if k.present {
                pcsc::State::PRESENT
            } else {
                pcsc::State::EMPTY
            };
            // The event count lives in the upper 16 bits of the current state. The state is a
            // DWORD: u32 on Windows, u64 with pcsc-lite on 64-bit Linux.
            #[allow(clippy::useless_conversion)]
            let count: pcsc::State = pcsc::State::from_bits_retain((k.event_count << 16).into());
            let bits = (current | count).bits();
            states.push(pcsc::ReaderState::new(
                cstring(&k.name)?,
                pcsc::State::from_bits_retain(bits),
            ));
        }
        states.push(pcsc::ReaderState::new(
            pcsc::PNP_NOTIFICATION(),
            pcsc::State::UNAWARE,
        ));
        // Learn the PnP pseudo-reader's current count first, so only a real change wakes us.
        let pnp = states.len() - 1;
        match self
            .ctx
            .get_status_change(Duration::ZERO, &mut states[pnp..])
        {
            Ok(()) | Err(pcsc::Error::Timeout) => states[pnp].sync_current_state(),
            Err(e) => return Err(e.into()),
        }
        match self.ctx.get_status_change(timeout, &mut states) {
            Ok(()) => Ok(true),
            Err(pcsc::Error::Timeout) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    fn connect_shared(&self, reader: &str) -> Result<Box<dyn CardSession>, PcscError> {
        let card = self.ctx.connect(
            &cstring(reader)?,
            pcsc::ShareMode::Shared,
            pcsc::Protocols::ANY,
        )?;
        Ok(Box::new(RealCard { card: Some(card) }))
    }
}

fn to_state(s: &pcsc::ReaderState) -> ReaderState {
    let ev = s.event_state();
    ReaderState {
        name: s.name().to_string_lossy().into_owned(),
        present: ev.contains(pcsc::State::PRESENT),
        mute: ev.contains(pcsc::State::MUTE),
        exclusive: ev.contains(pcsc::State::EXCLUSIVE),
        in_use: ev.contains(pcsc::State::INUSE),
        atr: if ev.contains(pcsc::State::PRESENT) {
            s.atr().to_vec()
        } else {
            Vec::new()
        },
        event_count: s.event_count(),
    }
}

struct RealCard {
    card: Option<pcsc::Card>,
}

impl CardSession for RealCard {
    fn protocol(&self) -> Option<&'static str> {
        let card = self.card.as_ref()?;
        card.status2_owned()
            .ok()
            .and_then(|s| s.protocol2())
            .map(|p| match p {
                pcsc::Protocol::T0 => "T=0",
                pcsc::Protocol::T1 => "T=1",
                pcsc::Protocol::RAW => "RAW",
            })
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, PcscError> {
        let card = self.card.as_ref().ok_or(PcscError::NotTransacted)?;
        let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let resp = card.transmit(apdu, &mut buf)?;
        Ok(resp.to_vec())
    }
}

/// The crate's own drop resets the card, which would break another program's session
/// (a browser mid-login). Leave the card as it is instead.
impl Drop for RealCard {
    fn drop(&mut self) {
        if let Some(card) = self.card.take()
            && let Err((card, _)) = card.disconnect(pcsc::Disposition::LeaveCard)
        {
            std::mem::forget(card);
        }
    }
}
