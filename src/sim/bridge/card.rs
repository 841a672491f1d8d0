//! The fake component's card reads, as the real one does them over PC/SC: SELECT, the
//! basic record, the `24` record, card left as it was; and the card-keyed answers of the
//! password commands.

use crate::nhi::apdu::{self, Response};
use crate::nhi::record;
use crate::system::SmartCards;

/// Today's date as the component mixes it into its keys (`YYYYMMDD`, local time).
fn key_date() -> String {
    chrono::Local::now().format("%Y%m%d").to_string()
}

fn hex_digest(parts: &[&[u8]], len: usize) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA512);
    for p in parts {
        ctx.update(p);
    }
    ctx.finish()
        .as_ref()
        .iter()
        .take(len)
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// `EnCrypt?Pwd=`: SELECT and the basic record, then 48 hex characters keyed by the card
/// and the date (the real one is 3DES; the length and the inputs are what matter here).
/// A password outside 6–12 characters is `8009`, as a third-party agent documents.
pub(super) fn encrypt(cards: &dyn SmartCards, reader: Option<&str>, pwd: &str) -> String {
    if !(6..=12).contains(&pwd.chars().count()) {
        return "8009".into();
    }
    match read_card(cards, reader, false) {
        Ok((basic, _)) => format!(
            "EnCrypt:{}",
            hex_digest(
                &[
                    &basic.data[..12.min(basic.data.len())],
                    key_date().as_bytes(),
                    pwd.as_bytes()
                ],
                24
            )
        ),
        Err(code) => code.into(),
    }
}

/// `SecureGetBasicWithParam?Pwd=`: the card data encrypted with a date key, 112 hex
/// characters; the password is not used (as a third-party agent notes).
pub(super) fn secure_basic(cards: &dyn SmartCards, reader: Option<&str>) -> String {
    match read_card(cards, reader, true) {
        Ok((basic, _)) => format!(
            "SecureGetBasicWithParam:{}",
            hex_digest(&[&basic.data, key_date().as_bytes()], 56)
        ),
        Err(code) => code.into(),
    }
}

/// SELECT, the basic record and (for GetBasic-like commands) the `24` record, from the
/// first reader or the configured one, card left as it was. Errors are the bare codes the
/// component gives: `8013` no card/reader/service, `7004` SELECT refused, `8010` a record
/// refused.
fn read_card(
    cards: &dyn SmartCards,
    reader: Option<&str>,
    with_hc: bool,
) -> Result<(Response, Option<Response>), &'static str> {
    let ctx = cards.establish().map_err(|_| "8013")?;
    let readers = ctx.readers().unwrap_or_default();
    let name = match reader {
        Some(r) => readers.iter().find(|n| n.as_str() == r),
        None => readers.first(),
    };
    let name = name.ok_or("8013")?;
    let mut card = ctx.connect_shared(name).map_err(|_| "8013")?;
    let mut send = |apdu: &[u8]| apdu::exchange(apdu, |a| card.transmit(a));
    let select = send(&apdu::SELECT_NHI).map_err(|_| "8013")?;
    if !select.is_ok() {
        return Err("7004");
    }
    let basic = send(&apdu::READ_BASIC).map_err(|_| "8013")?;
    let hc = if with_hc {
        Some(send(&apdu::READ_HC_DATA).map_err(|_| "8013")?)
    } else {
        None
    };
    if !basic.is_ok() || hc.as_ref().is_some_and(|h| !h.is_ok()) {
        return Err("8010");
    }
    Ok((basic, hc))
}

/// `GetBasic` as the component does it: the first reader (or the configured one), shared
/// mode, SELECT + the basic record + the `24` record, card left as it was. No card, no
/// reader, no service → `8013`; a record the card refuses → `8010`. A refused SELECT
/// gives `7004` (third-party mapping; the real component's answer was not observed).
pub fn get_basic(cards: &dyn SmartCards, reader: Option<&str>) -> String {
    let (basic, hc) = match read_card(cards, reader, true) {
        Ok(r) => r,
        Err(code) => return code.into(),
    };
    let Ok(rec) = record::parse(&basic.data) else {
        return "8010".into();
    };
    let field6 = hc
        .and_then(|h| h.data.first().copied())
        .map(char::from)
        .filter(char::is_ascii_graphic)
        .unwrap_or('0');
    format!(
        "GetBasic:{},{},{},{},{},{field6}",
        rec.card_no,
        rec.id_no,
        rec.name,
        rec.birth,
        rec.sex.letter()
    )
}
