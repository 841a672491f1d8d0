//! The privacy sweep: the card's personal data (national ID, name, card number, birth
//! date) must never leave ecpa-doctor unmasked unless the operator adds `--show-pii` —
//! in any output format, on any path. The real binary runs against the rig with the
//! virtual NHI card in each of its fault modes, the fake bridge reading the same card
//! through the real pcscd (its `GetBasic` carries the same data), `explain`/`--message`
//! with the data pasted into the message, and `remote` over a real sshd. Each run is
//! searched in text, Markdown and JSON on stdout, the `-o` file, stderr, and in the
//! console (tmux screen and the files its export key writes).
//!
//! The data is searched as written and in the other forms a leak could take: Big5 and
//! ASCII bytes as hex, the birth date as a Gregorian or slashed date, fragments of the
//! name. With `--show-pii` the same data must appear, so the sweep is not vacuous.
//! (The typed registration password is swept by tests/nhi_cloud.rs, which owns the fake
//! verifier it needs.)

#![cfg(unix)]

use crate::support;
use crate::support::sshd;
use crate::support::tmux;
use crate::support::vcard;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};
use ecpa_doctor::system::pcsc::RealPcsc;
use support::{BIN, Run, doctor, rig_lock, temp_dir, wait_reader, write_profile};
use tmux::{Tmux, exit_status};
use vcard::{Faults, NhiCard};

// ─────────────────────────────── what must not leak ───────────────────────────────

/// One cardholder's data as it would read unmasked.
struct Person {
    id: &'static str,
    name: &'static str,
    card_no: &'static str,
    birth: &'static str,
    /// The birth date in the forms a formatter might print it.
    birth_forms: &'static [&'static str],
}

const SAMPLE: Person = Person {
    id: "A123456789",
    name: "王小明明",
    card_no: "000012345678",
    birth: "0800101",
    birth_forms: &["1991-01-01", "1991/01/01", "080/01/01", "80/01/01"],
};
/// The bad-checksum card carries this ID instead.
const BAD_ID: &str = "A123456788";
const OTHER: Person = Person {
    id: "F223456786",
    name: "陳美麗",
    card_no: "000087654321",
    birth: "0750505",
    birth_forms: &["1986-05-05", "1986/05/05", "075/05/05"],
};

/// Every unmasked form of `p`'s data; each must be absent from masked output.
fn forbidden(p: &Person) -> Vec<String> {
    let mut v: Vec<String> = vec![p.id.into(), p.card_no.into(), p.birth.into()];
    v.extend(p.birth_forms.iter().map(|s| s.to_string()));
    // The name whole and every two-character piece of it (the mask keeps only the first
    // and last characters apart: 王○○明).
    let chars: Vec<char> = p.name.chars().collect();
    v.push(p.name.into());
    v.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    // The middle digits of the card number (the mask keeps the last four).
    v.push(p.card_no[4..10].into());
    // The bytes as hex, as a record dump or an APDU log would show them.
    let (big5, _, _) = encoding_rs::BIG5.encode(p.name);
    for bytes in [
        big5.to_vec(),
        p.id.as_bytes().to_vec(),
        p.card_no.as_bytes().to_vec(),
    ] {
        v.push(bytes.iter().map(|b| format!("{b:02X}")).collect::<String>());
        v.push(
            bytes
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    v
}

fn all_forbidden() -> Vec<String> {
    let mut v = forbidden(&SAMPLE);
    v.extend(forbidden(&OTHER));
    v.push(BAD_ID.into());
    v
}

/// Fails naming the first unmasked form found in `text` (case-insensitive for hex).
fn assert_masked(what: &str, text: &str) {
    let upper = text.to_uppercase();
    for f in all_forbidden() {
        assert!(
            !upper.contains(&f.to_uppercase()),
            "{what}: `{f}` appears unmasked:\n{text}"
        );
    }
}

/// With `--show-pii`, the sample's ID and name must be there (the sweep is not vacuous).
fn assert_revealed(what: &str, text: &str, p: &Person) {
    assert!(
        text.contains(p.id) && text.contains(p.name),
        "{what}: --show-pii did not show {} / {}:\n{text}",
        p.id,
        p.name
    );
}

fn assert_run_masked(what: &str, r: &Run) {
    assert!(!r.stderr.contains("panicked"), "{what}: {r:?}");
    assert_masked(&format!("{what} (stdout)"), &r.stdout);
    assert_masked(&format!("{what} (stderr)"), &r.stderr);
}

// ─────────────────────────────── the profile: card + the bridge reading it ───────────────────────────────

/// PC/SC, the card, and two WebSocket checks against the fake bridge: one after the card
/// check and compared with it (as in the default profile), one on its own so the bridge's
/// `GetBasic` is swept even when the card check fails.
fn profile(dir: &Path, port: u16) -> String {
    let text = format!(
        r#"schema: 1
name: privacy
title: {{ zh-TW: 隱私, en: privacy }}
checks:
  - id: pcsc-service
    kind: pcsc_service
    title: {{ zh-TW: 智慧卡服務, en: PC/SC }}
    timeout: 3s
  - id: readers
    kind: readers
    title: {{ zh-TW: 讀卡機, en: Reader }}
    needs: [pcsc-service]
    timeout: 3s
  - id: card
    kind: card
    title: {{ zh-TW: 健保卡, en: NHI card }}
    needs: [readers]
    timeout: 5s
  - id: bridge-ws
    kind: bridge_protocol
    title: {{ zh-TW: 元件通訊, en: Bridge }}
    needs: [card]
    timeout: 8s
    params: {{ port: {port}, cross_check: card }}
  - id: bridge-ws-alone
    kind: bridge_protocol
    title: {{ zh-TW: 元件通訊（單獨）, en: Bridge alone }}
    timeout: 8s
    params: {{ port: {port} }}
"#
    );
    write_profile(dir, "privacy.yaml", &text)
}

fn bridge(reader: Option<&str>) -> FakeBridge {
    let cfg = BridgeConfig {
        cards: Some(Arc::new(RealPcsc)),
        reader: reader.map(str::to_string),
        ..BridgeConfig::new(CertGeneration::TestCa, Fault::Healthy)
    };
    FakeBridge::start(cfg).expect("start the fake bridge")
}

fn insert(slot: usize, card: NhiCard) -> vcard::Inserted {
    let c = vcard::insert_wait(vcard::slot_addr(slot), card, Duration::from_secs(10))
        .expect("insert the virtual card");
    assert!(
        wait_reader(vcard::reader_name(slot), true, Duration::from_secs(10)),
        "pcscd did not notice the card"
    );
    c
}

fn with(f: impl FnOnce(&mut Faults)) -> NhiCard {
    let mut faults = Faults::default();
    f(&mut faults);
    NhiCard::with_faults(faults)
}

/// The card's fault modes (name, card, whether its record is readable so --show-pii must
/// reveal it, whether it leaves after one read).
fn card_faults() -> Vec<(&'static str, NhiCard, bool, bool)> {
    vec![
        ("healthy", NhiCard::sample(), true, false),
        (
            "moica-atr",
            with(|f| f.atr = Some(vcard::ATR_MOICA.to_vec())),
            false,
            false,
        ),
        (
            "hpc-atr",
            with(|f| f.atr = Some(vcard::ATR_HPC.to_vec())),
            false,
            false,
        ),
        (
            "select-refused",
            with(|f| f.select_refused = Some([0x6A, 0x82])),
            false,
            false,
        ),
        (
            "new-generation",
            NhiCard::with_faults(Faults::new_generation()),
            true,
            false,
        ),
        (
            "read-refused",
            with(|f| f.read_refused = Some([0x6A, 0x86])),
            false,
            false,
        ),
        (
            "short-record",
            with(|f| f.short_record = Some(30)),
            false,
            false,
        ),
        ("bad-big5", with(|f| f.bad_big5 = true), false, false),
        (
            "bad-id-checksum",
            with(|f| f.bad_id_checksum = true),
            false,
            false,
        ),
        (
            "t0-get-response",
            with(|f| f.t0_get_response = true),
            true,
            false,
        ),
        ("wrong-le", with(|f| f.wrong_le = true), true, false),
        ("garbage", with(|f| f.garbage = true), false, false),
        (
            "pulled-mid-read",
            with(|f| f.pull_after_select = true),
            false,
            true,
        ),
    ]
}

const FORMATS: [&str; 3] = ["text", "markdown", "json"];

/// Every format on stdout and through `-o`, masked; then, for a readable card, revealed.
fn sweep_formats(
    what: &str,
    dir: &Path,
    base: &[&str],
    readable: bool,
    mut before_each: impl FnMut(),
) {
    // `-o` writes what stdout would show; one format through it per sweep, in turn.
    static TURN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let o_format = FORMATS[TURN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % FORMATS.len()];
    for format in FORMATS {
        before_each();
        let file = dir.join(format!("report.{format}"));
        let mut args = base.to_vec();
        args.extend(["--format", format]);
        let r = doctor(&args, &[]);
        assert_run_masked(&format!("{what}, {format}"), &r);
        if format == o_format {
            before_each();
            let mut args_o = args.clone();
            let file_arg = file.display().to_string();
            args_o.extend(["-o", file_arg.as_str()]);
            let r = doctor(&args_o, &[]);
            assert_run_masked(&format!("{what}, {format} -o"), &r);
            assert_masked(
                &format!("{what}, {format} file"),
                &std::fs::read_to_string(&file)
                    .unwrap_or_else(|e| panic!("{what}: no -o file ({e}): {r:?}")),
            );
        }
        if readable {
            before_each();
            let mut shown = args.clone();
            shown.push("--show-pii");
            let r = doctor(&shown, &[]);
            assert_revealed(&format!("{what}, {format} --show-pii"), &r.stdout, &SAMPLE);
        }
    }
}

#[test]
fn every_card_fault_in_every_report_format_stays_masked() {
    let _rig = rig_lock();
    let dir = temp_dir("privacy-faults");
    let b = bridge(None);
    let p = profile(&dir, b.port());
    for (name, card, readable, leaves) in card_faults() {
        let proto = card.clone();
        let mut inserted = Some(insert(0, card));
        let reinsert = |slot: &mut Option<vcard::Inserted>| {
            if leaves {
                drop(slot.take());
                assert!(wait_reader(vcard::READER0, false, Duration::from_secs(10)));
                *slot = Some(insert(0, proto.clone()));
            }
        };
        sweep_formats(name, &dir, &["--profile", &p], readable, || {
            reinsert(&mut inserted)
        });
        drop(inserted);
        assert!(
            wait_reader(vcard::READER0, false, Duration::from_secs(10)),
            "{name}: the card did not leave"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bridge_reading_another_card_than_the_doctor_stays_masked() {
    let _rig = rig_lock();
    let dir = temp_dir("privacy-mismatch");
    let _a = insert(
        0,
        NhiCard::new(vcard::Profile {
            card_no: OTHER.card_no.into(),
            name: OTHER.name.into(),
            id_no: OTHER.id.into(),
            birth: OTHER.birth.into(),
            sex: 'F',
            issued: "1100101".into(),
        }),
    );
    let _b = insert(1, NhiCard::sample());
    // The card check reads reader 00 00 (the other card); the bridge reads 00 01.
    let b = bridge(Some(vcard::READER1));
    let p = profile(&dir, b.port());
    let r = doctor(&["--profile", &p, "--format", "json"], &[]);
    assert!(r.stdout.contains("ws.card_mismatch"), "{r:?}");
    sweep_formats("card mismatch", &dir, &["--profile", &p], true, || {});
    let shown = doctor(&["--profile", &p, "--format", "json", "--show-pii"], &[]);
    assert_revealed("card mismatch, the other card", &shown.stdout, &OTHER);
    let _ = std::fs::remove_dir_all(&dir);
}

// ─────────────────────────────── explain, --message, remote ───────────────────────────────

/// A user pastes the message with their own data around it.
fn pasted_with_data() -> String {
    format!(
        "{} {} 註冊密碼輸入錯誤 卡號 {} 生日 {}",
        SAMPLE.id, SAMPLE.name, SAMPLE.card_no, SAMPLE.birth
    )
}

#[test]
fn explain_never_echoes_what_was_pasted() {
    let pasted = pasted_with_data();
    for text in [
        pasted.as_str(),
        "A123456789 王小明明 000012345678 0800101 something unknown",
    ] {
        for show in [false, true] {
            for format in FORMATS {
                let mut args = vec!["explain", "--format", format];
                if show {
                    args.push("--show-pii");
                }
                args.push(text);
                let r = doctor(&args, &[]);
                assert_run_masked(
                    &format!("explain {format}{}", if show { " --show-pii" } else { "" }),
                    &r,
                );
            }
        }
    }
}

#[test]
fn message_check_with_the_card_in_stays_masked() {
    let _rig = rig_lock();
    let dir = temp_dir("privacy-message");
    let _c = insert(0, NhiCard::sample());
    let pasted = pasted_with_data();
    sweep_formats(
        "--message",
        &dir,
        &["--check", "card", "--message", &pasted],
        true,
        || {},
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn remote_reports_stay_masked() {
    let _rig = rig_lock();
    let _c = insert(0, NhiCard::sample());
    let s = sshd::Sshd::start("privacy");
    let mut base: Vec<String> = vec!["remote".into(), "root@127.0.0.1".into()];
    for o in s.options(&s.key()) {
        base.extend(["--ssh-option".into(), o]);
    }
    base.extend(["--remote-command".into(), BIN.into()]);
    for format in FORMATS {
        let mut args: Vec<&str> = base.iter().map(String::as_str).collect();
        args.extend(["--format", format]);
        let r = doctor(&args, &[]);
        assert!(
            r.stdout.contains("A12****789"),
            "remote {format}: the card was not read: {r:?}"
        );
        assert_run_masked(&format!("remote {format}"), &r);
        args.push("--show-pii");
        let shown = doctor(&args, &[]);
        assert_revealed(
            &format!("remote {format} --show-pii"),
            &shown.stdout,
            &SAMPLE,
        );
    }
}

// ─────────────────────────────── the console ───────────────────────────────

/// The console on `profile` in tmux, in `dir`: the screen once the run ended, and the
/// text and Markdown files its export key wrote; then `p` `y` must reveal.
fn console_sweep(what: &str, dir: &Path, profile: &str, readable: bool) {
    let tmux = Tmux::start(120, 40);
    tmux.type_line(&format!(
        "cd '{}' && {BIN} --profile '{profile}'; echo EXIT=$?",
        dir.display()
    ));
    let (screen, _) = tmux.wait_for(&format!("{what}: the run to end"), |s| {
        s.contains("根本原因") || s.contains("全部正常")
    });
    assert_masked(&format!("{what}: console screen"), &screen);
    // The card's details, then the bridge's (GetBasic): the rows whose evidence holds the
    // data. Up to the top first (the root cause may be selected), then down.
    tmux.keys(&["k", "k", "k", "k", "k", "j", "j"]);
    let (screen, _) = tmux.wait_for(&format!("{what}: the card's masked evidence"), |s| {
        s.contains("A12****")
    });
    assert_masked(&format!("{what}: console screen, card details"), &screen);
    assert!(
        detail_title_is(&screen, "健保卡") && !detail_title_is(&screen, "元件通訊"),
        "{what}: not the card's details:\n{screen}"
    );
    tmux.keys(&["j"]);
    let (screen, _) = tmux.wait_for(&format!("{what}: the bridge's details"), |s| {
        detail_title_is(s, "元件通訊")
    });
    assert_masked(&format!("{what}: console screen, bridge details"), &screen);
    for (key, ext) in [("t", "txt"), ("m", "md")] {
        tmux.keys(&["e"]);
        tmux.wait_for("the export prompt", |s| s.contains("Markdown"));
        tmux.keys(&[key]);
        tmux.wait_for("the export notice", |s| s.contains("報告已存到"));
        tmux.keys(&["Escape"]);
        let file = newest_with(dir, ext)
            .unwrap_or_else(|| panic!("{what}: no .{ext} export in {}", dir.display()));
        assert_masked(
            &format!("{what}: console export .{ext}"),
            &std::fs::read_to_string(&file).unwrap(),
        );
        std::fs::remove_file(&file).unwrap();
    }
    if readable {
        tmux.keys(&["k"]);
        tmux.keys(&["p"]);
        tmux.wait_for(&format!("{what}: the question before revealing"), |s| {
            s.contains("顯示個人資料？")
        });
        tmux.keys(&["y"]);
        let (screen, _) = tmux.wait_for(&format!("{what}: the data revealed"), |s| {
            s.contains(SAMPLE.id)
        });
        assert!(
            screen.contains(SAMPLE.name),
            "{what}: revealed screen lacks the name:\n{screen}"
        );
    }
    tmux.keys(&["q"]);
    let (screen, _) = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(
        exit_status(&screen).as_deref(),
        Some("0"),
        "{what}: {screen}"
    );
    assert!(!screen.contains("panicked"), "{what}: {screen}");
}

/// Whether the detail pane shows the check titled `title`: its title sits in the pane's
/// top border (a box-drawing character before it), not in a list row.
fn detail_title_is(screen: &str, title: &str) -> bool {
    let boxed = format!(" {title} ");
    screen.lines().any(|l| {
        l.match_indices(&boxed).any(|(i, _)| {
            l[..i]
                .chars()
                .next_back()
                .is_some_and(|c| ('\u{2500}'..='\u{257f}').contains(&c))
        })
    })
}

fn newest_with(dir: &Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
}

#[test]
fn console_screen_and_exports_stay_masked() {
    let _rig = rig_lock();
    let dir = temp_dir("privacy-console");
    let b = bridge(None);
    let p = profile(&dir, b.port());
    for (name, card, readable) in [
        ("healthy", NhiCard::sample(), true),
        ("bad-id-checksum", with(|f| f.bad_id_checksum = true), false),
    ] {
        let c = insert(0, card);
        console_sweep(name, &dir, &p, readable);
        drop(c);
        assert!(wait_reader(vcard::READER0, false, Duration::from_secs(10)));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
