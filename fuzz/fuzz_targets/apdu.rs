//! The card's answers to an APDU exchange: the input is a script of answers (each a
//! length byte and that many bytes), replayed in order; the exchange must end (no endless
//! GET RESPONSE loop) and never panic, whatever the card says.
#![no_main]

use ecpa_doctor::nhi::apdu::{self, Response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut answers = chunks(data);
    let mut sent = 0usize;
    let result = apdu::exchange(&apdu::READ_BASIC, |_cmd| {
        sent += 1;
        answers.next().ok_or("the card went away")
    });
    // One command, one 6Cxx retry, at most eight GET RESPONSE rounds.
    assert!(sent <= 10, "{sent} transmits for one exchange");
    if let Ok(r) = result {
        let _ = (r.is_ok(), r.sw1(), r.sw2(), apdu::sw_meaning(r.sw));
    }
    if let Some(r) = Response::parse(data) {
        let _ = apdu::sw_meaning(r.sw);
    }
});

fn chunks(mut data: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    std::iter::from_fn(move || {
        let (&len, rest) = data.split_first()?;
        let take = usize::from(len).min(rest.len());
        let (chunk, tail) = rest.split_at(take);
        data = tail;
        Some(chunk.to_vec())
    })
}
