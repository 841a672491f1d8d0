//! APDUs the official component sends to the NHI card, and a transport helper.
//!
//! The helper is written against a plain `transmit` closure so it can be
//! driven by PC/SC, a virtual card, or a test without any I/O in here.

use std::fmt;

/// SELECT the NHI applet by its 16-byte AID
/// `D1 58 00 00 01 00 00 00 00 00 00 00 00 00 11 00`. The final `00` is part
/// of the AID, so this command carries no Le (ISO case 3), exactly as the
/// real component sends it.
pub const SELECT_NHI: [u8; 21] = [
    0x00, 0xA4, 0x04, 0x00, 0x10, // CLA INS P1 P2 Lc
    0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, // AID, first half
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00, // AID, second half
];

/// Read the 57-byte basic-data record. The real component sends the trailing
/// Le `00`; some third-party readers send the 7-byte form without it.
pub const READ_BASIC: [u8; 8] = [0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00, 0x00];

/// Read the "HC card data" record. The component's `GetBasic` needs it for its
/// sixth field and fails with `8010` when the card rejects it (seen: `69 85`
/// from a virtual card), so a diagnosis may want to try it too.
pub const READ_HC_DATA: [u8; 8] = [0x00, 0xCA, 0x24, 0x00, 0x02, 0x00, 0x00, 0x00];

/// The only status word every implementation treats as success.
pub const SW_OK: u16 = 0x9000;

/// GET RESPONSE rounds allowed before we assume the card is looping.
/// 8 × 256 bytes is far more than any NHI record.
const MAX_GET_RESPONSE_ROUNDS: usize = 8;

const SW1_MORE_DATA: u8 = 0x61;
const SW1_WRONG_LE: u8 = 0x6C;

/// A card answer split into data and status word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub data: Vec<u8>,
    pub sw: u16,
}

impl Response {
    /// `None` if the answer is too short to carry a status word.
    pub fn parse(raw: &[u8]) -> Option<Response> {
        let split = raw.len().checked_sub(2)?;
        let (data, sw) = raw.split_at(split);
        Some(Response {
            data: data.to_vec(),
            sw: u16::from_be_bytes([sw[0], sw[1]]),
        })
    }

    pub fn is_ok(&self) -> bool {
        self.sw == SW_OK
    }

    pub fn sw1(&self) -> u8 {
        self.sw.to_be_bytes()[0]
    }

    pub fn sw2(&self) -> u8 {
        self.sw.to_be_bytes()[1]
    }
}

/// Why [`exchange`] could not produce a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExchangeError<E> {
    /// The transport (PC/SC, virtual card…) failed.
    Transport(E),
    /// The card answered with fewer than two bytes.
    Malformed,
    /// The card kept answering `61xx`.
    TooManyRounds,
}

impl<E> ExchangeError<E> {
    /// Stable machine-readable name, for reports and tests.
    pub fn code(&self) -> &'static str {
        match self {
            ExchangeError::Transport(_) => "transport",
            ExchangeError::Malformed => "malformed",
            ExchangeError::TooManyRounds => "too_many_rounds",
        }
    }
}

impl<E: fmt::Display> fmt::Display for ExchangeError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExchangeError::Transport(e) => write!(f, "card transport error: {e}"),
            ExchangeError::Malformed => f.write_str("card answer shorter than a status word"),
            ExchangeError::TooManyRounds => write!(
                f,
                "card still had more data after {MAX_GET_RESPONSE_ROUNDS} GET RESPONSE rounds"
            ),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for ExchangeError<E> {}

/// Send `apdu` and follow T=0 style continuations.
///
/// * `6Cxx` (wrong Le): re-send once with Le = xx.
/// * `61xx` (more data): GET RESPONSE with Le = xx, appending the data, for at
///   most eight rounds.
///
/// T=1 cards answer in one go and pass straight through.
pub fn exchange<E>(
    apdu: &[u8],
    mut transmit: impl FnMut(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Response, ExchangeError<E>> {
    let mut send = |command: &[u8]| -> Result<Response, ExchangeError<E>> {
        let raw = transmit(command).map_err(ExchangeError::Transport)?;
        Response::parse(&raw).ok_or(ExchangeError::Malformed)
    };

    let mut response = send(apdu)?;
    if response.sw1() == SW1_WRONG_LE {
        response = send(&with_le(apdu, response.sw2()))?;
    }

    let mut rounds = 0;
    while response.sw1() == SW1_MORE_DATA {
        if rounds == MAX_GET_RESPONSE_ROUNDS {
            return Err(ExchangeError::TooManyRounds);
        }
        rounds += 1;
        let next = send(&get_response(response.sw2()))?;
        response.data.extend_from_slice(&next.data);
        response.sw = next.sw;
    }
    Ok(response)
}

/// `00 C0 00 00 Le`.
pub fn get_response(le: u8) -> [u8; 5] {
    [0x00, 0xC0, 0x00, 0x00, le]
}

/// The same command with its Le set to `le`, appending one when the command
/// had none (ISO 7816-4 short cases 1 and 3).
///
/// Commands that fit no short case (extended length, or malformed) get their
/// last byte replaced, which is the best guess for a trailing Le.
fn with_le(apdu: &[u8], le: u8) -> Vec<u8> {
    let mut out = apdu.to_vec();
    if has_le(apdu) {
        if let Some(last) = out.last_mut() {
            *last = le;
        }
    } else {
        out.push(le);
    }
    out
}

fn has_le(apdu: &[u8]) -> bool {
    match apdu.len() {
        0..=4 => false, // case 1 (or shorter than a header)
        5 => true,      // case 2: header + Le
        len => {
            let lc = usize::from(apdu[4]);
            // case 3 is header + Lc + data exactly; anything else ends in Le.
            len != 5 + lc
        }
    }
}

/// The meaning of a status word as a catalogue key (`value.sw.<key>` in assets/messages),
/// so evidence can say it in the report's language.
pub fn sw_meaning(sw: u16) -> &'static str {
    match sw {
        0x9000 => "success",
        0x6D00 => "ins_not_supported",
        0x6A82 => "not_found",
        0x6A86 => "wrong_p1p2",
        0x6E00 => "cla_not_supported",
        0x6985 => "conditions_not_satisfied",
        0x6700 => "wrong_length",
        _ => match sw.to_be_bytes()[0] {
            SW1_WRONG_LE => "wrong_le",
            SW1_MORE_DATA => "more_data",
            _ => "unexpected",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A card that replays canned answers and records what it was sent.
    struct ScriptedCard {
        answers: VecDeque<Result<Vec<u8>, &'static str>>,
        sent: Vec<Vec<u8>>,
    }

    impl ScriptedCard {
        fn new(answers: impl IntoIterator<Item = Result<Vec<u8>, &'static str>>) -> Self {
            ScriptedCard {
                answers: answers.into_iter().collect(),
                sent: Vec::new(),
            }
        }

        fn run(&mut self, apdu: &[u8]) -> Result<Response, ExchangeError<&'static str>> {
            exchange(apdu, |cmd: &[u8]| {
                self.sent.push(cmd.to_vec());
                self.answers.pop_front().unwrap_or(Err("script exhausted"))
            })
        }
    }

    fn with_sw(data: &[u8], sw: [u8; 2]) -> Vec<u8> {
        let mut v = data.to_vec();
        v.extend_from_slice(&sw);
        v
    }

    #[test]
    fn constants_match_the_real_component() {
        assert_eq!(SELECT_NHI[..5], [0x00, 0xA4, 0x04, 0x00, 0x10]);
        // The trailing 00 belongs to the 16-byte AID: SELECT is sent without Le.
        assert_eq!(
            usize::from(SELECT_NHI[4]),
            SELECT_NHI.len() - 5,
            "Lc covers the rest"
        );
        assert_eq!(SELECT_NHI[19..], [0x11, 0x00]);
        assert_eq!(READ_BASIC, [0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00, 0x00]);
        assert!(!has_le(&SELECT_NHI));
        assert!(has_le(&READ_BASIC));
        assert!(!has_le(&READ_BASIC[..7]));
    }

    #[test]
    fn response_parse() {
        assert_eq!(Response::parse(&[]), None);
        assert_eq!(Response::parse(&[0x90]), None);
        let r = Response::parse(&[0x90, 0x00]).expect("two bytes");
        assert!(r.is_ok());
        assert!(r.data.is_empty());
        let r = Response::parse(&[1, 2, 3, 0x6A, 0x82]).expect("five bytes");
        assert_eq!(r.data, [1, 2, 3]);
        assert_eq!((r.sw, r.sw1(), r.sw2()), (0x6A82, 0x6A, 0x82));
        assert!(!r.is_ok());
    }

    #[test]
    fn t1_answer_passes_through() {
        let record = [0x30u8; 57];
        let mut card = ScriptedCard::new([Ok(with_sw(&record, [0x90, 0x00]))]);
        let r = card.run(&READ_BASIC).expect("ok");
        assert_eq!(r.data, record);
        assert!(r.is_ok());
        assert_eq!(card.sent, [READ_BASIC.to_vec()]);
    }

    #[test]
    fn error_status_is_returned_not_an_error() {
        let mut card = ScriptedCard::new([Ok(vec![0x6D, 0x00])]);
        let r = card.run(&SELECT_NHI).expect("status words are data");
        assert_eq!(r.sw, 0x6D00);
    }

    #[test]
    fn get_response_chain_concatenates() {
        let mut card = ScriptedCard::new([
            Ok(vec![0x61, 0x20]),
            Ok(with_sw(&[1; 32], [0x61, 0x19])),
            Ok(with_sw(&[2; 25], [0x90, 0x00])),
        ]);
        let r = card.run(&READ_BASIC).expect("ok");
        assert_eq!(r.data.len(), 57);
        assert_eq!(r.data[..32], [1; 32]);
        assert_eq!(r.data[32..], [2; 25]);
        assert!(r.is_ok());
        assert_eq!(card.sent[1], [0x00, 0xC0, 0x00, 0x00, 0x20]);
        assert_eq!(card.sent[2], [0x00, 0xC0, 0x00, 0x00, 0x19]);
    }

    #[test]
    fn endless_more_data_stops_after_eight_rounds() {
        let mut card = ScriptedCard::new((0..20).map(|_| Ok(with_sw(&[7], [0x61, 0x01]))));
        assert_eq!(card.run(&READ_BASIC), Err(ExchangeError::TooManyRounds));
        assert_eq!(card.sent.len(), 1 + 8);
    }

    #[test]
    fn eighth_round_may_still_finish() {
        let mut answers: Vec<_> = (0..8).map(|_| Ok(with_sw(&[7], [0x61, 0x01]))).collect();
        answers.push(Ok(with_sw(&[8], [0x90, 0x00])));
        let mut card = ScriptedCard::new(answers);
        let r = card.run(&READ_BASIC).expect("eight rounds are allowed");
        assert_eq!(r.data, [7, 7, 7, 7, 7, 7, 7, 7, 8]);
    }

    #[test]
    fn wrong_le_replaces_trailing_le() {
        let mut card =
            ScriptedCard::new([Ok(vec![0x6C, 0x39]), Ok(with_sw(&[0; 57], [0x90, 0x00]))]);
        let r = card.run(&READ_BASIC).expect("ok");
        assert_eq!(r.data.len(), 57);
        assert_eq!(
            card.sent[1],
            [0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00, 0x39]
        );
    }

    #[test]
    fn wrong_le_appends_when_there_was_none() {
        let mut card = ScriptedCard::new([Ok(vec![0x6C, 0x39]), Ok(vec![0x90, 0x00])]);
        card.run(&READ_BASIC[..7]).expect("ok");
        assert_eq!(
            card.sent[1],
            [0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00, 0x39]
        );

        let mut card = ScriptedCard::new([Ok(vec![0x6C, 0x08]), Ok(vec![0x90, 0x00])]);
        card.run(&[0x00, 0x84, 0x00, 0x00]).expect("ok");
        assert_eq!(card.sent[1], [0x00, 0x84, 0x00, 0x00, 0x08]);
    }

    #[test]
    fn wrong_le_is_retried_only_once() {
        let mut card = ScriptedCard::new([Ok(vec![0x6C, 0x39]), Ok(vec![0x6C, 0x10])]);
        assert_eq!(card.run(&READ_BASIC).map(|r| r.sw), Ok(0x6C10));
        assert_eq!(card.sent.len(), 2);
    }

    #[test]
    fn wrong_le_then_more_data() {
        let mut card = ScriptedCard::new([
            Ok(vec![0x6C, 0x39]),
            Ok(vec![0x61, 0x39]),
            Ok(with_sw(&[5; 57], [0x90, 0x00])),
        ]);
        let r = card.run(&READ_BASIC).expect("ok");
        assert_eq!(r.data, [5; 57]);
        assert_eq!(card.sent[2], get_response(0x39));
    }

    #[test]
    fn malformed_and_transport_errors() {
        let mut card = ScriptedCard::new([Ok(vec![0x90])]);
        assert_eq!(card.run(&SELECT_NHI), Err(ExchangeError::Malformed));

        let mut card = ScriptedCard::new([Ok(vec![0x61, 0x10]), Ok(vec![])]);
        assert_eq!(card.run(&SELECT_NHI), Err(ExchangeError::Malformed));

        let mut card = ScriptedCard::new([Err("reader unplugged")]);
        let err = card.run(&SELECT_NHI).expect_err("transport fails");
        assert_eq!(err, ExchangeError::Transport("reader unplugged"));
        assert_eq!(err.code(), "transport");
        assert_eq!(err.to_string(), "card transport error: reader unplugged");
    }

    #[test]
    fn status_word_descriptions() {
        assert_eq!(sw_meaning(0x9000), "success");
        for (sw, key) in [
            (0x6D00, "ins_not_supported"),
            (0x6A82, "not_found"),
            (0x6A86, "wrong_p1p2"),
            (0x6E00, "cla_not_supported"),
            (0x6985, "conditions_not_satisfied"),
            (0x6700, "wrong_length"),
            (0x6C39, "wrong_le"),
            (0x6110, "more_data"),
            (0x6F00, "unexpected"),
        ] {
            assert_eq!(sw_meaning(sw), key, "{sw:04X}");
        }
        assert_eq!(sw_meaning(0x1234), "unexpected");
    }

    #[test]
    fn never_panics_on_random_cards() {
        let mut state: u64 = 0xC0FFEE;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 56) as u8
        };
        for _ in 0..5_000 {
            let apdu: Vec<u8> = (0..usize::from(next()) % 12).map(|_| next()).collect();
            let mut budget = 0;
            let result = exchange(&apdu, |_cmd: &[u8]| -> Result<Vec<u8>, ()> {
                budget += 1;
                assert!(
                    budget <= 1 + 1 + MAX_GET_RESPONSE_ROUNDS,
                    "exchange must terminate"
                );
                let len = usize::from(next()) % 5;
                // Bias towards the interesting SW1 values.
                let mut raw: Vec<u8> = (0..len).map(|_| next()).collect();
                if raw.len() >= 2 && next() % 2 == 0 {
                    let at = raw.len() - 2;
                    raw[at] = [0x61, 0x6C, 0x90][usize::from(next()) % 3];
                }
                Ok(raw)
            });
            let _ = result.map(|r| sw_meaning(r.sw));
        }
    }
}
