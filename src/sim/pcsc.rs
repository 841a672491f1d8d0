//! A simulated PC/SC service for the demo: readers in a fixed order, each empty or holding
//! a `SimCard`, behind the same `SmartCards` traits the real pcscd sits behind. The card
//! check and the fake bridge's `GetBasic` both read the cards through it.

use std::time::Duration;

use super::card::SimCard;
use crate::system::{CardSession, PcscContext, PcscError, ReaderState, SmartCards};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimReader {
    pub name: String,
    pub card: Option<SimCard>,
}

/// The service as a scenario describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Service {
    Running(Vec<SimReader>),
    /// pcscd / SCardSvr is not running.
    Stopped,
    /// The service is there but answers every call with this error (e.g. a client
    /// library that does not speak the daemon's protocol version).
    Failing(PcscError),
}

pub struct SimPcsc {
    pub service: Service,
}

impl SmartCards for SimPcsc {
    fn establish(&self) -> Result<Box<dyn PcscContext>, PcscError> {
        match &self.service {
            Service::Running(readers) => Ok(Box::new(SimContext {
                readers: readers.clone(),
            })),
            Service::Stopped => Err(PcscError::NoService),
            Service::Failing(e) => Err(e.clone()),
        }
    }
}

struct SimContext {
    readers: Vec<SimReader>,
}

impl SimContext {
    fn reader(&self, name: &str) -> Result<&SimReader, PcscError> {
        self.readers
            .iter()
            .find(|r| r.name == name)
            .ok_or(PcscError::UnknownReader)
    }
}

impl PcscContext for SimContext {
    fn readers(&self) -> Result<Vec<String>, PcscError> {
        Ok(self.readers.iter().map(|r| r.name.clone()).collect())
    }

    fn states(&self, readers: &[String]) -> Result<Vec<ReaderState>, PcscError> {
        readers
            .iter()
            .map(|name| {
                let r = self.reader(name)?;
                let card = r.card.as_ref();
                Ok(ReaderState {
                    name: r.name.clone(),
                    present: card.is_some(),
                    mute: card.is_some_and(|c| c.mute),
                    exclusive: card.is_some_and(|c| c.exclusive),
                    in_use: card.is_some_and(|c| c.exclusive),
                    atr: card.map(|c| c.atr.clone()).unwrap_or_default(),
                    event_count: u32::from(card.is_some()),
                })
            })
            .collect()
    }

    /// Nothing changes inside one simulated world (the demo switches whole worlds), so
    /// this waits out the time like an idle pcscd and says so.
    fn wait_change(&self, _known: &[ReaderState], timeout: Duration) -> Result<bool, PcscError> {
        std::thread::sleep(timeout.min(Duration::from_secs(1)));
        Ok(false)
    }

    fn connect_shared(&self, reader: &str) -> Result<Box<dyn CardSession>, PcscError> {
        let card = self
            .reader(reader)?
            .card
            .clone()
            .ok_or(PcscError::NoSmartcard)?;
        if card.exclusive {
            return Err(PcscError::SharingViolation);
        }
        if card.mute {
            return Err(PcscError::UnresponsiveCard);
        }
        Ok(Box::new(SimSession { card }))
    }
}

struct SimSession {
    card: SimCard,
}

impl CardSession for SimSession {
    fn protocol(&self) -> Option<&'static str> {
        Some("T=1")
    }

    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, PcscError> {
        self.card.transmit(apdu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::card::Holder;

    fn card() -> SimCard {
        let holder = Holder {
            card_no: "000012345678".into(),
            name: "王小明".into(),
            id_no: "A123456789".into(),
            birth: "0800101".into(),
            sex: 'M',
            issued: "1050301".into(),
        };
        SimCard {
            atr: vec![0x3B, 0x8F],
            holder: Some(holder),
            mute: false,
            exclusive: false,
            removed_at: None,
            refuses: vec![],
            record_len: None,
        }
    }

    #[test]
    fn the_fake_bridge_reads_the_simulated_card_like_the_component() {
        let pcsc = SimPcsc {
            service: Service::Running(vec![SimReader {
                name: "R 00 00".into(),
                card: Some(card()),
            }]),
        };
        assert_eq!(
            crate::sim::bridge::get_basic(&pcsc, None),
            "GetBasic:000012345678,A123456789,王小明,0800101,M,1"
        );
    }

    #[test]
    fn an_empty_first_reader_is_8013_for_the_component() {
        let pcsc = SimPcsc {
            service: Service::Running(vec![
                SimReader {
                    name: "R 00 00".into(),
                    card: None,
                },
                SimReader {
                    name: "R 01 00".into(),
                    card: Some(card()),
                },
            ]),
        };
        assert_eq!(crate::sim::bridge::get_basic(&pcsc, None), "8013");
        let states = pcsc
            .establish()
            .unwrap()
            .states(&["R 00 00".into(), "R 01 00".into()])
            .unwrap();
        assert_eq!(
            states.iter().map(|s| s.present).collect::<Vec<_>>(),
            vec![false, true]
        );
    }

    #[test]
    fn stopped_and_failing_services_refuse_to_start() {
        assert_eq!(
            SimPcsc {
                service: Service::Stopped
            }
            .establish()
            .err(),
            Some(PcscError::NoService)
        );
        let e = PcscError::Other {
            code: 0x8010_0013,
            text: "SCARD_F_COMM_ERROR".into(),
        };
        assert_eq!(
            SimPcsc {
                service: Service::Failing(e.clone())
            }
            .establish()
            .err(),
            Some(e)
        );
    }
}
