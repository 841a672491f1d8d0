//! A virtual smart card for the vpcd reader driver of the test rig (`scripts/rig start`).
//!
//! vpcd (inside pcscd) listens on 127.0.0.1:35963 (reader `Virtual PCD 00 00`) and
//! :35964 (`Virtual PCD 00 01`). A card is a TCP client: connected = inserted, socket
//! closed = pulled out. Frames both ways are a 2-byte big-endian length + payload.
//! vpcd → card frames of length 1 are control bytes (`00` power off, `01` power on,
//! `02` reset: no reply; `04` get ATR: reply the ATR); longer frames are command APDUs,
//! answered with a response APDU.
//!
//! pcscd polls each reader every ~400 ms; vpcd answers a poll by accepting a waiting card
//! and sending it `04`. A second card in an occupied slot waits, unserved, in the listen
//! backlog until the first leaves ([`insert_wait`] reports that as `TimedOut`). vpcd's
//! backlog holds ONE connection: a third card's `connect()` is not refused but hangs (SYNs
//! dropped, retried for ~2 min), hence the connect timeout in [`insert`].
//!
//! The rig is shared by every test process on the machine (two `cargo test` runs, nextest),
//! so [`slot_lock`] / [`rig_lock`] lock files as well as an in-process mutex.
//!
//! Gotcha: when a card vanishes mid-transaction and the client then disconnects with
//! `ResetCard` (what the `pcsc` crate's `Drop for Card` does), the failed reset makes pcscd
//! mark the reader EMPTY at once, before its own poll saw the card go. If the next card is
//! connected before that poll, pcscd never reports it (the reader stays EMPTY until the card
//! is removed again). After a pull, disconnect with `LeaveCard` and wait for EMPTY, or wait
//! one poll period, before inserting the next card into that slot.
//!
//! Included with `#[path = ...] mod vcard;` by tests and by `examples/vcard.rs`, hence
//! std + `encoding_rs` only and no `crate::` paths.
#![allow(dead_code)]

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

pub const SLOT0: &str = "127.0.0.1:35963";
pub const SLOT1: &str = "127.0.0.1:35964";
pub const READER0: &str = "Virtual PCD 00 00";
pub const READER1: &str = "Virtual PCD 00 01";

/// 健保卡 (NHI card); a real NHI ATR from pcsc-tools' smartcard_list.txt (T=1, valid TCK).
pub const ATR_NHI: &[u8] = &[
    0x3B, 0xFC, 0x18, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x80, 0x73, 0xC8, 0x21, 0x13, 0x66, 0x02,
    0x04, 0x03, 0x55, 0x00, 0x02, 0xD2,
];
/// 自然人憑證 (MOICA citizen digital certificate), often mistaken for the NHI card.
pub const ATR_MOICA: &[u8] = &[
    0x3B, 0x8B, 0x80, 0x01, 0x00, 0x31, 0xC1, 0x64, 0x08, 0x40, 0x21, 0x30, 0x00, 0x90, 0x00, 0x57,
];
/// 醫事人員卡 (health professional card).
pub const ATR_HPC: &[u8] = &[
    0x3B, 0xF9, 0x18, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x45, 0x50, 0x56, 0x5F, 0x4A, 0x32, 0x44, 0x30,
    0x38, 0x31, 0xB6,
];

/// AID of the NHI applet (SELECT `00 A4 04 00 10 <AID>`).
pub const NHI_AID: &[u8] = &[
    0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x11, 0x00,
];
pub const APDU_SELECT_NHI: &[u8] = &[
    0x00, 0xA4, 0x04, 0x00, 0x10, 0xD1, 0x58, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x11, 0x00,
];
/// READ PROFILE as most public readers send it (no Le).
pub const APDU_READ_PROFILE: &[u8] = &[0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00];
/// READ PROFILE as the official component sends it (trailing Le `00`).
pub const APDU_READ_PROFILE_LE: &[u8] = &[0x00, 0xCA, 0x11, 0x00, 0x02, 0x00, 0x00, 0x00];
/// "HC card data" read by the official component's GetBasic.
pub const APDU_READ_HC: &[u8] = &[0x00, 0xCA, 0x24, 0x00, 0x02, 0x00, 0x00, 0x00];
/// Answer to [`APDU_READ_HC`] (a guess at the layout: status byte + ROC date), without SW.
pub const HC_DATA: &[u8] = b"11150101";
pub const PROFILE_LEN: usize = 57;

pub const SW_OK: [u8; 2] = [0x90, 0x00];
/// pcscd's presence-poll period per reader.
pub const POLL_PERIOD: Duration = Duration::from_millis(400);

// ---------------------------------------------------------------------------------------
// Slots

/// Whole-rig lock file (also taken, exclusively, by tests/support/doctor.rs `rig_lock`).
pub const RIG_LOCK_FILE: &str = "/tmp/ecpa-doctor-rig.lock";
const SLOT_LOCK_FILES: [&str; 2] = [
    "/tmp/ecpa-doctor-rig.slot0.lock",
    "/tmp/ecpa-doctor-rig.slot1.lock",
];

static SLOT_LOCKS: [Mutex<()>; 2] = [Mutex::new(()), Mutex::new(())];
static RIG_LOCK: Mutex<()> = Mutex::new(());

/// Held while a test owns a slot (or the whole rig); released on drop.
pub struct SlotGuard {
    _files: Vec<File>,
    _thread: MutexGuard<'static, ()>,
}

/// Serialises tests that put a card into `slot` (0 or 1): threads of this process via a
/// mutex (poison-tolerant), other processes via lock files (the rig file shared, the slot
/// file exclusive), so tests on the two slots can still run in parallel. Blocks.
pub fn slot_lock(slot: usize) -> SlotGuard {
    let thread = SLOT_LOCKS[slot].lock().unwrap_or_else(|p| p.into_inner());
    // Always the rig file before a slot file: one lock order, no deadlock.
    let rig = open_lock_file(RIG_LOCK_FILE);
    rig.lock_shared()
        .unwrap_or_else(|e| panic!("lock {RIG_LOCK_FILE}: {e}"));
    let own = open_lock_file(SLOT_LOCK_FILES[slot]);
    own.lock()
        .unwrap_or_else(|e| panic!("lock {}: {e}", SLOT_LOCK_FILES[slot]));
    SlotGuard {
        _files: vec![own, rig],
        _thread: thread,
    }
}

/// Exclusive use of both slots (e.g. for a program under test that scans every reader).
pub fn rig_lock() -> SlotGuard {
    let thread = RIG_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let rig = open_lock_file(RIG_LOCK_FILE);
    rig.lock()
        .unwrap_or_else(|e| panic!("lock {RIG_LOCK_FILE}: {e}"));
    SlotGuard {
        _files: vec![rig],
        _thread: thread,
    }
}

fn open_lock_file(path: &str) -> File {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        // Made by another user: flock works on a read-only descriptor too.
        .or_else(|_| File::open(path))
        .unwrap_or_else(|e| panic!("open lock file {path}: {e}"))
}

/// vpcd address of `slot` (0 or 1).
pub fn slot_addr(slot: usize) -> &'static str {
    [SLOT0, SLOT1][slot]
}

/// PC/SC reader name of `slot` (0 or 1).
pub fn reader_name(slot: usize) -> &'static str {
    [READER0, READER1][slot]
}

/// Reader name for a vpcd address, if it is one of the two default slots.
pub fn reader_for_addr(addr: &str) -> Option<&'static str> {
    match addr {
        SLOT0 | "localhost:35963" => Some(READER0),
        SLOT1 | "localhost:35964" => Some(READER1),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// The card side of the vpcd protocol

pub trait Card: Send + 'static {
    fn atr(&self) -> Vec<u8>;
    /// Command APDU in, response APDU (data ‖ SW1 SW2) out.
    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8>;
    fn power_off(&mut self) {}
    fn power_on(&mut self) {}
    fn reset(&mut self) {}
    /// Asked after each response: `true` = pull the card out now (close the socket).
    fn pulled(&mut self) -> bool {
        false
    }
}

/// Shared between the card thread and [`Inserted`].
#[derive(Default)]
struct Progress {
    polls: usize,
    /// Set once vpcd has powered the card on and fetched its ATR afterwards, i.e. pcscd
    /// has taken the card in (reader state PRESENT|POWERED follows within microseconds).
    powered: bool,
    power_on_seen: bool,
    done: bool,
}

/// A card sitting in a vpcd slot, served by a background thread.
/// Dropping it (or [`Inserted::remove`]) pulls the card out.
pub struct Inserted {
    pub addr: String,
    /// Every command APDU received, in order (control bytes excluded).
    pub apdus: Arc<Mutex<Vec<Vec<u8>>>>,
    /// Every control byte received (`00` off, `01` on, `02` reset, `04` ATR poll), in order.
    pub controls: Arc<Mutex<Vec<u8>>>,
    progress: Arc<(Mutex<Progress>, Condvar)>,
    stream: TcpStream,
    thread: Option<JoinHandle<()>>,
}

impl fmt::Debug for Inserted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inserted")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Connects `card` to vpcd at `addr`. Returns at once; vpcd accepts it on its next
/// presence poll (≤ ~0.4 s). See [`insert_wait`].
pub fn insert(addr: &str, card: impl Card) -> io::Result<Inserted> {
    insert_within(addr, card, Duration::from_secs(5))
}

fn insert_within(addr: &str, card: impl Card, connect_timeout: Duration) -> io::Result<Inserted> {
    let stream = connect(addr, connect_timeout)?;
    stream.set_nodelay(true)?;
    let apdus = Arc::new(Mutex::new(Vec::new()));
    let controls = Arc::new(Mutex::new(Vec::new()));
    let progress = Arc::new((Mutex::new(Progress::default()), Condvar::new()));
    let reader = stream.try_clone()?;
    let thread = {
        let (apdus, controls, progress) = (apdus.clone(), controls.clone(), progress.clone());
        thread::Builder::new()
            .name(format!("vcard {addr}"))
            .spawn(move || serve(reader, card, &apdus, &controls, &progress))?
    };
    Ok(Inserted {
        addr: addr.to_string(),
        apdus,
        controls,
        progress,
        stream,
        thread: Some(thread),
    })
}

fn connect(addr: &str, timeout: Duration) -> io::Result<TcpStream> {
    let sock = addr.to_socket_addrs()?.next().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no address for {addr}"),
        )
    })?;
    TcpStream::connect_timeout(&sock, timeout).map_err(|e| {
        let hint = if e.kind() == io::ErrorKind::TimedOut {
            "vpcd's one-connection backlog is full: the slot is occupied and another card \
             is already waiting (leftover cards or a `cargo run --example vcard`?)"
        } else {
            "is pcscd running? run `scripts/rig start`"
        };
        io::Error::new(
            e.kind(),
            format!("cannot connect to vpcd at {addr}: {e} ({hint})"),
        )
    })
}

/// [`insert`], then wait until pcscd has taken the card in: vpcd's first `04` poll
/// (required within `timeout`), then pcscd's power-on and ATR fetch (best effort).
/// With no poll in time the card is pulled again and `ErrorKind::TimedOut` returned:
/// vpcd queues a second card in an occupied slot without serving it.
pub fn insert_wait(addr: &str, card: impl Card, timeout: Duration) -> io::Result<Inserted> {
    let start = Instant::now();
    let inserted = insert_within(addr, card, timeout)?;
    if !inserted.wait_polled(timeout.saturating_sub(start.elapsed())) {
        let done = inserted.lock_progress().done;
        drop(inserted);
        let why = if done {
            "vpcd closed the connection".to_string()
        } else {
            format!(
                "no presence poll within {timeout:?}: the slot may be occupied by a leftover card \
                 (another test, or a `cargo run --example vcard` still running?)"
            )
        };
        return Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("card not taken in at {addr}: {why}"),
        ));
    }
    // Power-on normally follows the first poll within ~0.1 s.
    let rest = timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1500));
    if inserted.wait_powered(rest) {
        // Let pcscd's event thread publish the new reader state.
        thread::sleep(Duration::from_millis(20));
    }
    Ok(inserted)
}

impl Inserted {
    /// Pull the card out: close the connection both ways and wait for the card thread.
    pub fn remove(self) {}

    /// Copy of the APDUs received so far.
    pub fn apdus(&self) -> Vec<Vec<u8>> {
        self.apdus.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Copy of the control bytes received so far.
    pub fn controls(&self) -> Vec<u8> {
        self.controls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// PC/SC reader name for this card's slot, if it is a default vpcd slot.
    pub fn reader(&self) -> Option<&'static str> {
        reader_for_addr(&self.addr)
    }

    /// Number of `04` presence/ATR polls answered.
    pub fn polls(&self) -> usize {
        self.lock_progress().polls
    }

    /// `false` once the connection is over (card pulled itself, or vpcd dropped it).
    pub fn is_in(&self) -> bool {
        !self.lock_progress().done
    }

    /// Wait for the first `04` poll; `false` on timeout or if the connection ended.
    pub fn wait_polled(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |p| p.polls > 0)
    }

    /// Wait until pcscd has powered the card on and read its ATR.
    pub fn wait_powered(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |p| p.powered)
    }

    /// Wait until the connection is over (e.g. after a `pull_after_select` fault).
    pub fn wait_out(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.progress;
        let mut p = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !p.done {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            p = cvar
                .wait_timeout(p, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        true
    }

    fn wait_for(&self, timeout: Duration, cond: impl Fn(&Progress) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let (lock, cvar) = &*self.progress;
        let mut p = lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if cond(&p) {
                return true;
            }
            let now = Instant::now();
            if p.done || now >= deadline {
                return false;
            }
            p = cvar
                .wait_timeout(p, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    fn lock_progress(&self) -> MutexGuard<'_, Progress> {
        self.progress.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Inserted {
    fn drop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    mut stream: TcpStream,
    mut card: impl Card,
    apdus: &Mutex<Vec<Vec<u8>>>,
    controls: &Mutex<Vec<u8>>,
    progress: &(Mutex<Progress>, Condvar),
) {
    let update = |f: &dyn Fn(&mut Progress)| {
        let mut p = progress.0.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut p);
        progress.1.notify_all();
    };
    while let Ok(msg) = read_frame(&mut stream) {
        let reply = match msg.as_slice() {
            [] => continue,
            &[ctl] => {
                controls.lock().unwrap_or_else(|e| e.into_inner()).push(ctl);
                match ctl {
                    0x00 => card.power_off(),
                    0x01 => {
                        card.power_on();
                        update(&|p| p.power_on_seen = true);
                    }
                    0x02 => card.reset(),
                    0x04 => {
                        let atr = card.atr();
                        if write_frame(&mut stream, &atr).is_err() {
                            break;
                        }
                        update(&|p| {
                            p.polls += 1;
                            if p.power_on_seen {
                                p.powered = true;
                            }
                        });
                    }
                    _ => {} // unknown control byte: vpcd expects no reply
                }
                continue;
            }
            apdu => {
                apdus
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(apdu.to_vec());
                card.transmit(apdu)
            }
        };
        if write_frame(&mut stream, &reply).is_err() || card.pulled() {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Both);
    update(&|p| p.done = true);
}

fn read_frame(stream: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len)?;
    let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
    stream.read_exact(&mut buf)?;
    Ok(buf)
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len()).map_err(|_| io::Error::other("frame too long"))?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

// ---------------------------------------------------------------------------------------
// NHI card model

/// The 57-byte basic-data record of an NHI card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// 12 ASCII digits.
    pub card_no: String,
    /// Encoded Big5, NUL padded to 20 bytes.
    pub name: String,
    /// National ID / ARC number, 10 ASCII chars.
    pub id_no: String,
    /// ROC calendar YYYMMDD.
    pub birth: String,
    /// 'M' or 'F'.
    pub sex: char,
    /// Issue date, ROC calendar YYYMMDD.
    pub issued: String,
}

impl Profile {
    /// 4-character name on purpose: readers that slice the name as 3 Big5 chars show up.
    pub fn sample() -> Profile {
        Profile {
            card_no: "000012345678".into(),
            name: "王小明明".into(),
            id_no: "A123456789".into(),
            birth: "0800101".into(),
            sex: 'M',
            issued: "1120315".into(),
        }
    }

    /// Offsets: 0..12 card no, 12..32 name, 32..42 ID, 42..49 birth, 49 sex, 50..57 issued.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(PROFILE_LEN);
        put_field(&mut out, self.card_no.as_bytes(), 12);
        let (name, _, _) = encoding_rs::BIG5.encode(&self.name);
        put_field(&mut out, &name, 20);
        put_field(&mut out, self.id_no.as_bytes(), 10);
        put_field(&mut out, self.birth.as_bytes(), 7);
        let mut sex = [0u8; 4];
        put_field(&mut out, self.sex.encode_utf8(&mut sex).as_bytes(), 1);
        put_field(&mut out, self.issued.as_bytes(), 7);
        out
    }

    /// Inverse of [`Profile::encode`]; `None` if short or the name is not valid Big5.
    /// (A test helper, not the product's validation.)
    pub fn decode(rec: &[u8]) -> Option<Profile> {
        if rec.len() < PROFILE_LEN {
            return None;
        }
        let ascii = |r: std::ops::Range<usize>| {
            String::from_utf8_lossy(&rec[r])
                .trim_end_matches('\0')
                .to_string()
        };
        let raw_name = &rec[12..32];
        let end = raw_name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(raw_name.len());
        let (name, _, bad) = encoding_rs::BIG5.decode(&raw_name[..end]);
        if bad {
            return None;
        }
        Some(Profile {
            card_no: ascii(0..12),
            name: name.into_owned(),
            id_no: ascii(32..42),
            birth: ascii(42..49),
            sex: rec[49] as char,
            issued: ascii(50..57),
        })
    }
}

fn put_field(out: &mut Vec<u8>, bytes: &[u8], width: usize) {
    let n = bytes.len().min(width);
    out.extend_from_slice(&bytes[..n]);
    out.resize(out.len() + width - n, 0);
}

/// Misbehaviours of the virtual NHI card. All off by default.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Report this ATR instead of [`ATR_NHI`] (e.g. [`ATR_MOICA`], [`ATR_HPC`]).
    pub atr: Option<Vec<u8>>,
    /// SELECT of the NHI AID answers this SW instead of `90 00` (e.g. `6A 82`, `6D 00`).
    pub select_refused: Option<[u8; 2]>,
    /// Answer the reads even without a successful SELECT. With `select_refused = 6D 00`
    /// this is the reported "new generation" card (see [`Faults::new_generation`]).
    pub read_without_select: bool,
    /// READ PROFILE answers this SW (e.g. `6A 86` like a health-professional card).
    pub read_refused: Option<[u8; 2]>,
    /// READ HC DATA (`00 CA 24 00`) answers this SW, like a virtual card that does not
    /// implement the record (`69 85`): the real component's GetBasic then fails with 8010.
    pub hc_refused: Option<[u8; 2]>,
    /// READ PROFILE answers only the first N bytes of the record + `90 00`.
    pub short_record: Option<usize>,
    /// Name field starts with `FF FF` (not valid Big5).
    pub bad_big5: bool,
    /// ID number `A123456788` (checksum wrong).
    pub bad_id_checksum: bool,
    /// T=0 style: READ PROFILE answers `61 39`; data only via GET RESPONSE `00 C0 00 00 39`.
    pub t0_get_response: bool,
    /// READ PROFILE answers `6C 39` unless sent with Le = `39`.
    pub wrong_le: bool,
    /// Sleep this long before answering every APDU (not the control polls).
    pub delay: Option<Duration>,
    /// The card is pulled out (socket closed) right after it answered SELECT.
    pub pull_after_select: bool,
    /// READ PROFILE answers 57 random-looking bytes (not a valid record) + `90 00`.
    pub garbage: bool,
}

/// Names accepted by [`Faults::enable`] (for the `vcard` example's `--fault`).
pub const FAULT_NAMES: &[&str] = &[
    "moica",
    "hpc",
    "select=SW (e.g. select=6A82)",
    "new-gen (SELECT 6D00, read still works)",
    "read=SW (e.g. read=6A86)",
    "hc=SW (e.g. hc=6985)",
    "short=N",
    "bad-big5",
    "bad-id",
    "t0",
    "wrong-le",
    "delay=MS",
    "pull-after-select",
    "garbage",
];

impl Faults {
    /// The reported new-generation card: SELECT → `6D 00`, READ PROFILE still answers.
    pub fn new_generation() -> Faults {
        Faults {
            select_refused: Some([0x6D, 0x00]),
            read_without_select: true,
            ..Faults::default()
        }
    }

    /// Turn on one fault by name (see [`FAULT_NAMES`]).
    pub fn enable(&mut self, spec: &str) -> Result<(), String> {
        let (name, arg) = match spec.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (spec, None),
        };
        let need = |what: &str| arg.ok_or_else(|| format!("fault {name} needs ={what}"));
        let sw = |s: &str| -> Result<[u8; 2], String> {
            let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
            match (s.len(), u16::from_str_radix(&s, 16)) {
                (4, Ok(v)) => Ok(v.to_be_bytes()),
                _ => Err(format!(
                    "bad status word {s:?} (want 4 hex digits, e.g. 6A82)"
                )),
            }
        };
        let num = |s: &str| s.parse::<u64>().map_err(|_| format!("bad number {s:?}"));
        match name {
            "moica" => self.atr = Some(ATR_MOICA.to_vec()),
            "hpc" => self.atr = Some(ATR_HPC.to_vec()),
            "select" => self.select_refused = Some(sw(need("SW")?)?),
            "new-gen" => {
                self.select_refused = Some([0x6D, 0x00]);
                self.read_without_select = true;
            }
            "read" => self.read_refused = Some(sw(need("SW")?)?),
            "hc" => self.hc_refused = Some(sw(need("SW")?)?),
            "short" => self.short_record = Some(num(need("N")?)? as usize),
            "bad-big5" => self.bad_big5 = true,
            "bad-id" => self.bad_id_checksum = true,
            "t0" => self.t0_get_response = true,
            "wrong-le" => self.wrong_le = true,
            "delay" => self.delay = Some(Duration::from_millis(num(need("MS")?)?)),
            "pull-after-select" => self.pull_after_select = true,
            "garbage" => self.garbage = true,
            _ => {
                return Err(format!(
                    "unknown fault {spec:?}; known: {}",
                    FAULT_NAMES.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// A virtual 健保卡. Per-connection state is cleared on power off / reset.
#[derive(Debug, Clone)]
pub struct NhiCard {
    pub profile: Profile,
    pub faults: Faults,
    selected: bool,
    /// Response data waiting for GET RESPONSE.
    pending: Option<Vec<u8>>,
    pull: bool,
}

impl Default for NhiCard {
    fn default() -> Self {
        NhiCard::new(Profile::sample())
    }
}

impl NhiCard {
    pub fn new(profile: Profile) -> NhiCard {
        NhiCard {
            profile,
            faults: Faults::default(),
            selected: false,
            pending: None,
            pull: false,
        }
    }

    /// The sample card ([`Profile::sample`]) with no faults.
    pub fn sample() -> NhiCard {
        NhiCard::default()
    }

    /// The sample card with `faults`.
    pub fn with_faults(faults: Faults) -> NhiCard {
        NhiCard {
            faults,
            ..NhiCard::default()
        }
    }

    /// The 57-byte record this card answers to READ PROFILE (faults applied).
    pub fn record(&self) -> Vec<u8> {
        if self.faults.garbage {
            return garbage(PROFILE_LEN);
        }
        let mut profile = self.profile.clone();
        if self.faults.bad_id_checksum {
            profile.id_no = "A123456788".into();
        }
        let mut rec = profile.encode();
        if self.faults.bad_big5 {
            rec[12] = 0xFF;
            rec[13] = 0xFF;
        }
        if let Some(n) = self.faults.short_record {
            rec.truncate(n);
        }
        rec
    }

    fn clear(&mut self) {
        self.selected = false;
        self.pending = None;
    }

    fn answer(&mut self, apdu: &[u8]) -> Vec<u8> {
        let &[cla, ins, p1, p2, ..] = apdu else {
            return sw(0x67, 0x00);
        };
        if ins != 0xC0 {
            self.pending = None;
        }
        if cla != 0x00 {
            return sw(0x6E, 0x00);
        }
        match ins {
            0xA4 => self.select(apdu, p1, p2),
            0xCA => self.get_data(apdu, p1, p2),
            0xC0 => self.get_response(apdu),
            _ => sw(0x6D, 0x00),
        }
    }

    fn select(&mut self, apdu: &[u8], p1: u8, p2: u8) -> Vec<u8> {
        self.selected = false;
        if self.faults.pull_after_select {
            self.pull = true;
        }
        let lc = apdu.get(4).copied().unwrap_or(0) as usize;
        let Some(aid) = apdu.get(5..5 + lc) else {
            return sw(0x67, 0x00);
        };
        if p1 != 0x04 || p2 != 0x00 || aid != NHI_AID {
            return sw(0x6A, 0x82);
        }
        if let Some([s1, s2]) = self.faults.select_refused {
            return sw(s1, s2);
        }
        self.selected = true;
        SW_OK.to_vec()
    }

    /// `00 CA P1 00 02 00 00 [Le]`: P1 11 = basic data, 24 = HC card data.
    fn get_data(&mut self, apdu: &[u8], p1: u8, p2: u8) -> Vec<u8> {
        let body_ok = apdu.len() >= 7 && apdu[4..7] == [0x02, 0x00, 0x00] && apdu.len() <= 8;
        if p2 != 0x00 || !body_ok || !matches!(p1, 0x11 | 0x24) {
            return sw(0x6A, 0x86);
        }
        if !self.selected && !self.faults.read_without_select {
            return sw(0x69, 0x85);
        }
        let le = apdu.get(7).copied();
        if p1 == 0x24 {
            if let Some([s1, s2]) = self.faults.hc_refused {
                return sw(s1, s2);
            }
            return with_sw(HC_DATA, SW_OK);
        }
        if let Some([s1, s2]) = self.faults.read_refused {
            return sw(s1, s2);
        }
        let rec = self.record();
        let n = rec.len().min(0xFF) as u8;
        if self.faults.wrong_le && le != Some(n) {
            return sw(0x6C, n);
        }
        if let Some(le) = le
            && le != 0
            && (le as usize) < rec.len()
        {
            return sw(0x6C, n);
        }
        if self.faults.t0_get_response {
            self.pending = Some(rec);
            return sw(0x61, n);
        }
        with_sw(&rec, SW_OK)
    }

    /// `00 C0 00 00 Le`: hands out pending data, Le bytes at a time.
    fn get_response(&mut self, apdu: &[u8]) -> Vec<u8> {
        let Some(data) = self.pending.take() else {
            return sw(0x69, 0x85);
        };
        let le = match apdu.get(4) {
            Some(0) | None => 256,
            Some(&n) => n as usize,
        };
        if le >= data.len() {
            return with_sw(&data, SW_OK);
        }
        let rest = data[le..].to_vec();
        let more = rest.len().min(0xFF) as u8;
        self.pending = Some(rest);
        with_sw(&data[..le], [0x61, more])
    }
}

impl Card for NhiCard {
    fn atr(&self) -> Vec<u8> {
        self.faults.atr.clone().unwrap_or_else(|| ATR_NHI.to_vec())
    }

    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        if let Some(d) = self.faults.delay {
            thread::sleep(d);
        }
        self.answer(apdu)
    }

    fn power_off(&mut self) {
        self.clear();
    }

    fn power_on(&mut self) {
        self.clear();
    }

    fn reset(&mut self) {
        self.clear();
    }

    fn pulled(&mut self) -> bool {
        self.pull
    }
}

fn sw(sw1: u8, sw2: u8) -> Vec<u8> {
    vec![sw1, sw2]
}

fn with_sw(data: &[u8], sw: [u8; 2]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 2);
    out.extend_from_slice(data);
    out.extend_from_slice(&sw);
    out
}

/// Deterministic noise: high bytes, no NUL, not ASCII digits, so no field parses.
fn garbage(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            0x80 | (x >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------

/// A card that answers every APDU with a fixed response (e.g. a non-NHI card).
#[derive(Debug, Clone)]
pub struct ScriptCard {
    pub atr: Vec<u8>,
    /// Answered to every APDU not matched in `rules`.
    pub default: Vec<u8>,
    /// (APDU prefix, response): first match wins.
    pub rules: Vec<(Vec<u8>, Vec<u8>)>,
}

impl ScriptCard {
    /// A card that knows nothing: every APDU → `6D 00`.
    pub fn new(atr: &[u8]) -> ScriptCard {
        ScriptCard {
            atr: atr.to_vec(),
            default: sw(0x6D, 0x00),
            rules: Vec::new(),
        }
    }

    pub fn rule(mut self, prefix: &[u8], response: &[u8]) -> ScriptCard {
        self.rules.push((prefix.to_vec(), response.to_vec()));
        self
    }
}

impl Card for ScriptCard {
    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }

    fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.rules
            .iter()
            .find(|(prefix, _)| apdu.starts_with(prefix))
            .map_or_else(|| self.default.clone(), |(_, resp)| resp.clone())
    }
}

/// `3B FC 18` style hex for messages.
pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}
