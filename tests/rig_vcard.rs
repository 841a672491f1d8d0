//! The virtual NHI card through the real pcscd + vpcd (needs `scripts/rig start`).
//! Fails, never skips, when pcscd is not reachable.

use crate::support::vcard;

use std::ffi::CString;
use std::time::{Duration, Instant};

use pcsc::{Context, Disposition, Error, Protocols, ReaderState, Scope, ShareMode, State};
use vcard::{Faults, NhiCard, Profile};

/// Generous: pcscd polls every ~0.4 s, but a loaded machine (2 cores, other test
/// binaries building) can be slower; only `occupied_slot_times_out` wants a timeout.
const INSERT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long pcscd may take to report a card in or out.
const STATE_TIMEOUT: Duration = Duration::from_secs(10);

fn context() -> Context {
    match Context::establish(Scope::User) {
        Ok(ctx) => ctx,
        Err(Error::NoService) => panic!(
            "pcscd is not running (Context::establish: NoService). These tests need the rig: \
             run `scripts/rig start` (and `scripts/rig install` once)"
        ),
        Err(e) => {
            panic!("Context::establish failed: {e} ({e:?}); is the rig up? `scripts/rig status`")
        }
    }
}

fn cstr(name: &str) -> CString {
    CString::new(name).unwrap()
}

/// Polls the reader until `want` is in its event state; returns how long it took.
fn wait_state(ctx: &Context, reader: &str, want: State, timeout: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut rs = [ReaderState::new(cstr(reader), State::UNAWARE)];
    loop {
        match ctx.get_status_change(Some(Duration::from_millis(50)), &mut rs) {
            Ok(()) | Err(Error::Timeout) => {}
            Err(e) => panic!("get_status_change({reader}): {e:?}"),
        }
        if rs[0].event_state().contains(want) {
            return Some(start.elapsed());
        }
        if start.elapsed() > timeout {
            return None;
        }
        rs[0].sync_current_state();
    }
}

fn transmit(card: &pcsc::Card, apdu: &[u8]) -> Result<Vec<u8>, Error> {
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    card.transmit(apdu, &mut buf).map(<[u8]>::to_vec)
}

#[test]
fn slot0_insert_select_read_remove() {
    let _slot = vcard::slot_lock(0);
    let ctx = context();
    let t = Instant::now();
    let inserted = vcard::insert_wait(vcard::SLOT0, NhiCard::sample(), INSERT_TIMEOUT).unwrap();
    let taken_in = t.elapsed();
    let present =
        wait_state(&ctx, vcard::READER0, State::PRESENT, STATE_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "reader never reported PRESENT; card in: {}, controls seen: {:02X?}",
                inserted.is_in(),
                inserted.controls()
            )
        });

    let readers = ctx.list_readers_owned().unwrap();
    let names: Vec<_> = readers
        .iter()
        .map(|r| r.to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().any(|n| n == vcard::READER0),
        "readers: {names:?}"
    );
    assert!(
        names.iter().any(|n| n == vcard::READER1),
        "readers: {names:?}"
    );

    let t = Instant::now();
    let card = ctx
        .connect(&cstr(vcard::READER0), ShareMode::Shared, Protocols::ANY)
        .unwrap();
    let status = card.status2_owned().unwrap();
    assert_eq!(status.atr(), vcard::ATR_NHI);
    assert_eq!(
        transmit(&card, vcard::APDU_SELECT_NHI).unwrap(),
        [0x90, 0x00]
    );
    let resp = transmit(&card, vcard::APDU_READ_PROFILE).unwrap();
    let mut want = Profile::sample().encode();
    assert_eq!(want.len(), 57);
    want.extend_from_slice(&[0x90, 0x00]);
    assert_eq!(resp, want, "got {}", vcard::hex(&resp));
    assert_eq!(Profile::decode(&resp), Some(Profile::sample()));
    // The official component's variants: trailing Le, and the HC record.
    assert_eq!(transmit(&card, vcard::APDU_READ_PROFILE_LE).unwrap(), want);
    assert_eq!(
        transmit(&card, vcard::APDU_READ_HC).unwrap(),
        b"11150101\x90\x00"
    );
    card.disconnect(Disposition::LeaveCard)
        .map_err(|(_, e)| e)
        .unwrap();
    let session = t.elapsed();

    assert_eq!(
        inserted.apdus(),
        [
            vcard::APDU_SELECT_NHI,
            vcard::APDU_READ_PROFILE,
            vcard::APDU_READ_PROFILE_LE,
            vcard::APDU_READ_HC
        ]
    );
    let controls = inserted.controls();
    assert!(
        controls.iter().all(|c| [0, 1, 2, 4].contains(c)),
        "controls: {controls:02X?}"
    );

    inserted.remove();
    let gone = wait_state(&ctx, vcard::READER0, State::EMPTY, STATE_TIMEOUT)
        .expect("reader never reported EMPTY after removal");
    eprintln!(
        "taken in {taken_in:.0?}, PRESENT {present:.0?} later, connect+SELECT+reads {session:.0?}, \
         EMPTY {gone:.0?} after removal"
    );
    let err = ctx
        .connect(&cstr(vcard::READER0), ShareMode::Shared, Protocols::ANY)
        .err();
    assert_eq!(err, Some(Error::NoSmartcard));
}

#[test]
fn slot1_is_independent() {
    let _slot = vcard::slot_lock(1);
    let ctx = context();
    let mut profile = Profile::sample();
    profile.name = "林美".into();
    profile.sex = 'F';
    profile.id_no = "B223456782".into();
    let inserted =
        vcard::insert_wait(vcard::SLOT1, NhiCard::new(profile.clone()), INSERT_TIMEOUT).unwrap();
    assert_eq!(inserted.reader(), Some(vcard::READER1));
    wait_state(&ctx, vcard::READER1, State::PRESENT, STATE_TIMEOUT).expect("slot 1 not PRESENT");
    let card = ctx
        .connect(&cstr(vcard::READER1), ShareMode::Shared, Protocols::ANY)
        .unwrap();
    assert_eq!(
        transmit(&card, vcard::APDU_SELECT_NHI).unwrap(),
        [0x90, 0x00]
    );
    let resp = transmit(&card, vcard::APDU_READ_PROFILE_LE).unwrap();
    assert_eq!(Profile::decode(&resp), Some(profile));
    card.disconnect(Disposition::LeaveCard)
        .map_err(|(_, e)| e)
        .unwrap();
    inserted.remove();
    wait_state(&ctx, vcard::READER1, State::EMPTY, STATE_TIMEOUT).expect("slot 1 not EMPTY");
}

#[test]
fn t0_get_response_passes_through_pcscd() {
    let _slot = vcard::slot_lock(0);
    let ctx = context();
    let faults = Faults {
        t0_get_response: true,
        ..Faults::default()
    };
    let inserted =
        vcard::insert_wait(vcard::SLOT0, NhiCard::with_faults(faults), INSERT_TIMEOUT).unwrap();
    wait_state(&ctx, vcard::READER0, State::PRESENT, STATE_TIMEOUT).expect("not PRESENT");
    let card = ctx
        .connect(&cstr(vcard::READER0), ShareMode::Shared, Protocols::ANY)
        .unwrap();
    assert_eq!(
        transmit(&card, vcard::APDU_SELECT_NHI).unwrap(),
        [0x90, 0x00]
    );
    // vpcd and pcscd do not chain GET RESPONSE themselves: the raw 61 39 reaches the client.
    assert_eq!(
        transmit(&card, vcard::APDU_READ_PROFILE).unwrap(),
        [0x61, 0x39]
    );
    let resp = transmit(&card, &[0x00, 0xC0, 0x00, 0x00, 0x39]).unwrap();
    assert_eq!(Profile::decode(&resp), Some(Profile::sample()));
    assert_eq!(resp[57..], [0x90, 0x00]);
    // Nothing pending any more.
    assert_eq!(
        transmit(&card, &[0x00, 0xC0, 0x00, 0x00, 0x39]).unwrap(),
        [0x69, 0x85]
    );
    card.disconnect(Disposition::LeaveCard)
        .map_err(|(_, e)| e)
        .unwrap();
    inserted.remove();
    wait_state(&ctx, vcard::READER0, State::EMPTY, STATE_TIMEOUT).expect("not EMPTY");
}

#[test]
fn card_pulled_after_select() {
    let _slot = vcard::slot_lock(0);
    let ctx = context();
    let faults = Faults {
        pull_after_select: true,
        ..Faults::default()
    };
    let inserted =
        vcard::insert_wait(vcard::SLOT0, NhiCard::with_faults(faults), INSERT_TIMEOUT).unwrap();
    wait_state(&ctx, vcard::READER0, State::PRESENT, STATE_TIMEOUT).expect("not PRESENT");
    let card = ctx
        .connect(&cstr(vcard::READER0), ShareMode::Shared, Protocols::ANY)
        .unwrap();
    assert_eq!(
        transmit(&card, vcard::APDU_SELECT_NHI).unwrap(),
        [0x90, 0x00]
    );
    assert!(
        inserted.wait_out(Duration::from_secs(5)),
        "card did not pull itself out"
    );
    let err = transmit(&card, vcard::APDU_READ_PROFILE).expect_err("read after pull succeeded");
    assert!(
        matches!(err, Error::NotTransacted | Error::RemovedCard),
        "read after pull: {err:?}"
    );
    // Not ResetCard (the pcsc crate's Drop): a failed reset makes SCardDisconnect mark the
    // reader EMPTY at once, before pcscd's own presence poll has seen the card go. A card
    // inserted in that window is then never reported (see vcard.rs, "Gotcha").
    if let Err((card, e)) = card.disconnect(Disposition::LeaveCard) {
        std::mem::forget(card); // keep Drop from resetting; released with the context
        eprintln!("disconnect after pull: {e:?}");
    }
    let gone = wait_state(&ctx, vcard::READER0, State::EMPTY, STATE_TIMEOUT).expect("not EMPTY");
    eprintln!("pull noticed {gone:.0?} after the failed read");
    assert_eq!(inserted.apdus(), [vcard::APDU_SELECT_NHI]);
}

#[test]
fn occupied_slot_times_out() {
    let _slot = vcard::slot_lock(0);
    let ctx = context();
    let first = vcard::insert_wait(vcard::SLOT0, NhiCard::sample(), INSERT_TIMEOUT).unwrap();
    let err = vcard::insert_wait(vcard::SLOT0, NhiCard::sample(), Duration::from_millis(1200))
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
    assert!(err.to_string().contains("occupied"), "{err}");
    first.remove();
    wait_state(&ctx, vcard::READER0, State::EMPTY, STATE_TIMEOUT).expect("not EMPTY");
    // The second card's dead connection is still in vpcd's backlog; it is accepted and
    // dropped on the next poll. Let that happen so the next test's card is not delayed.
    std::thread::sleep(2 * vcard::POLL_PERIOD + Duration::from_millis(100));
}
