//! A simulated smart card for the demo: an NHI card (健保卡) that answers the component's
//! APDUs — SELECT of the NHI applet, READ BASIC (`00 CA 11 00`), READ HC DATA
//! (`00 CA 24 00`) — with a basic-data record built from a holder's fields, or another
//! kind of card that has no NHI applet, each with the faults people meet at the desk.

use encoding_rs::BIG5;

use crate::nhi::apdu;
use crate::system::PcscError;

/// Which APDU of the read a fault is tied to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Select,
    ReadBasic,
    ReadHcData,
}

/// The fields of the 57-byte basic-data record, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holder {
    pub card_no: String,
    pub name: String,
    pub id_no: String,
    /// ROC `YYYMMDD`.
    pub birth: String,
    pub sex: char,
    pub issued: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimCard {
    pub atr: Vec<u8>,
    /// `None`: no NHI applet (a 自然人憑證, a bank card…): SELECT and READ are refused.
    pub holder: Option<Holder>,
    /// Powers up without a sensible answer (dirty contacts, inserted the wrong way round).
    pub mute: bool,
    /// Another program holds it exclusively.
    pub exclusive: bool,
    /// Pulled out while this APDU was on its way.
    pub removed_at: Option<Step>,
    /// Answers these APDUs with an error status word instead of data.
    pub refuses: Vec<Step>,
    /// Cut the basic-data record to this many bytes (a broken read).
    pub record_len: Option<usize>,
}

/// "Instruction not supported": what a card without the applet answers.
const SW_NO_SUCH_INS: [u8; 2] = [0x6D, 0x00];
/// "File or application not found".
const SW_NOT_FOUND: [u8; 2] = [0x6A, 0x82];
/// "Conditions of use not satisfied": how NHI cards refuse a record.
const SW_REFUSED: [u8; 2] = [0x69, 0x85];
const SW_OK: [u8; 2] = [0x90, 0x00];

impl Holder {
    /// The record as the card stores it: ASCII fields, the name in Big5 padded with
    /// spaces. Characters Big5 cannot hold are an error in the scenario, said at load.
    pub fn record(&self) -> Result<Vec<u8>, String> {
        let mut r = Vec::with_capacity(crate::nhi::record::RECORD_LEN);
        let ascii = |r: &mut Vec<u8>, what: &str, v: &str, len: usize| -> Result<(), String> {
            if !v.is_ascii() || v.len() != len {
                return Err(format!("{what} `{v}` must be {len} ASCII characters"));
            }
            r.extend_from_slice(v.as_bytes());
            Ok(())
        };
        ascii(&mut r, "card_no", &self.card_no, 12)?;
        let (name, _, unmappable) = BIG5.encode(&self.name);
        if unmappable || name.len() > 20 {
            return Err(format!("name `{}` must fit in 20 bytes of Big5", self.name));
        }
        r.extend_from_slice(&name);
        r.resize(32, b' ');
        ascii(&mut r, "id", &self.id_no, 10)?;
        ascii(&mut r, "birth", &self.birth, 7)?;
        if !matches!(self.sex, 'M' | 'F') {
            return Err(format!("sex `{}` must be M or F", self.sex));
        }
        r.push(self.sex as u8);
        ascii(&mut r, "issued", &self.issued, 7)?;
        Ok(r)
    }
}

impl SimCard {
    pub fn transmit(&self, command: &[u8]) -> Result<Vec<u8>, PcscError> {
        let step = if command.starts_with(&apdu::SELECT_NHI[..4]) {
            Some(Step::Select)
        } else if command.starts_with(&apdu::READ_BASIC[..4]) {
            Some(Step::ReadBasic)
        } else if command.starts_with(&apdu::READ_HC_DATA[..4]) {
            Some(Step::ReadHcData)
        } else {
            None
        };
        if step.is_some() && step == self.removed_at {
            return Err(PcscError::RemovedCard);
        }
        let Some(step) = step else {
            return Ok(SW_NO_SUCH_INS.to_vec());
        };
        let Some(holder) = &self.holder else {
            return Ok(if step == Step::Select {
                SW_NOT_FOUND
            } else {
                SW_NO_SUCH_INS
            }
            .to_vec());
        };
        if self.refuses.contains(&step) {
            return Ok(if step == Step::Select {
                SW_NO_SUCH_INS
            } else {
                SW_REFUSED
            }
            .to_vec());
        }
        let data = match step {
            Step::Select => Vec::new(),
            Step::ReadBasic => {
                // Checked when the scenario was loaded; an empty record here would only
                // ever show as a garbled card, never a crash.
                let mut rec = holder.record().unwrap_or_default();
                if let Some(n) = self.record_len {
                    rec.truncate(n);
                }
                rec
            }
            // The HC record's first byte is the sixth field of the component's GetBasic.
            Step::ReadHcData => b"1\x00\x00\x00\x00\x00\x00\x00".to_vec(),
        };
        Ok([data.as_slice(), &SW_OK].concat())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nhi::record;

    fn holder() -> Holder {
        Holder {
            card_no: "000012345678".into(),
            name: "王小明".into(),
            id_no: "A123456789".into(),
            birth: "0800101".into(),
            sex: 'M',
            issued: "1050301".into(),
        }
    }

    fn card() -> SimCard {
        SimCard {
            atr: vec![0x3B],
            holder: Some(holder()),
            mute: false,
            exclusive: false,
            removed_at: None,
            refuses: vec![],
            record_len: None,
        }
    }

    #[test]
    fn the_record_reads_back_through_the_real_parser() {
        let resp = apdu::Response::parse(&card().transmit(&apdu::READ_BASIC).unwrap()).unwrap();
        assert!(resp.is_ok());
        let rec = record::parse(&resp.data).unwrap();
        assert_eq!(
            (rec.card_no.as_str(), rec.name.as_str(), rec.id_no.as_str()),
            ("000012345678", "王小明", "A123456789")
        );
        assert_eq!(rec.birth.to_string(), "0800101");
    }

    #[test]
    fn faults_answer_like_a_card_would() {
        let mut c = card();
        c.refuses = vec![Step::Select, Step::ReadHcData];
        assert_eq!(c.transmit(&apdu::SELECT_NHI).unwrap(), SW_NO_SUCH_INS);
        assert_eq!(c.transmit(&apdu::READ_HC_DATA).unwrap(), SW_REFUSED);
        c.removed_at = Some(Step::ReadBasic);
        assert_eq!(c.transmit(&apdu::READ_BASIC), Err(PcscError::RemovedCard));
        let other = SimCard {
            holder: None,
            ..card()
        };
        assert_eq!(other.transmit(&apdu::SELECT_NHI).unwrap(), SW_NOT_FOUND);
        assert_eq!(other.transmit(&apdu::READ_BASIC).unwrap(), SW_NO_SUCH_INS);
    }

    #[test]
    fn a_name_big5_cannot_hold_is_refused() {
        let h = Holder {
            name: "王小明😀".into(),
            ..holder()
        };
        assert!(h.record().is_err());
        let h = Holder {
            id_no: "A12".into(),
            ..holder()
        };
        assert!(h.record().is_err());
    }
}
