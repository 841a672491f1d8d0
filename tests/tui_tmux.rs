//! The console in a real terminal: the real binary inside tmux (a real pty, real escape
//! sequences), against the real pcscd + vpcd rig and the virtual NHI card. Also the PC/SC
//! watcher's wait on the rig, which the console's auto re-run relies on.
//!
//! Needs `tmux` (scripts/rig install) and the rig (`scripts/rig start`); fails otherwise.

use crate::support;
use crate::support::tmux;
use crate::support::vcard;

use std::ffi::CString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use ecpa_doctor::engine::catalogue::Catalogue;
use ecpa_doctor::system::System;
use support::{BIN, rig_lock, temp_dir, wait_reader, write_profile};
use tmux::{SCREEN_BOUND, Tmux, exit_status, has_line, tty_modes};
use vcard::NhiCard;

/// The default profile's first four checks, so checks other engineers add later do not
/// change what this test sees.
const PROFILE: &str = r#"schema: 1
name: tui-test
title: { zh-TW: 健保卡登入人事服務網（eCPA）, en: NHI-card login to eCPA }
checks:
  - id: host
    kind: host
    title: { zh-TW: 這台電腦, en: This computer }
    timeout: 3s
    severity: advisory
  - id: pcsc-service
    kind: pcsc_service
    title: { zh-TW: 智慧卡服務（PC/SC）, en: Smart-card service (PC/SC) }
    timeout: 3s
  - id: readers
    kind: readers
    title: { zh-TW: 讀卡機, en: Card reader }
    needs: [pcsc-service]
    timeout: 3s
  - id: card
    kind: card
    title: { zh-TW: 健保卡, en: NHI card }
    needs: [readers]
    timeout: 5s
"#;

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
}

/// The header clock redraws just after the minute turns; measure idle away from that.
fn away_from_minute_turn(window: Duration) -> bool {
    use chrono::Timelike;
    let s = chrono::Local::now().second() as u64;
    s >= 1 && s + window.as_secs() + 2 < 60
}

/// Waits until the recording has stopped growing for a moment: tmux passes the pane's
/// output to `pipe-pane` asynchronously, so what is already on screen may still be on its
/// way into the file. A program that keeps writing never settles; the measurement after
/// the deadline then shows it.
fn settle(out: &Path) {
    let quiet = Duration::from_millis(500);
    let t0 = Instant::now();
    let (mut len, mut since) = (file_len(out), Instant::now());
    while since.elapsed() < quiet && t0.elapsed() < SCREEN_BOUND {
        std::thread::sleep(Duration::from_millis(50));
        let now = file_len(out);
        if now != len {
            (len, since) = (now, Instant::now());
        }
    }
}

/// Bytes the program wrote during `window` of doing nothing.
fn idle_bytes(out: &Path, window: Duration) -> u64 {
    // Settled after the minute turned, so a clock redraw delayed by a loaded machine is
    // waited out too, and still away from the next turn.
    loop {
        while !away_from_minute_turn(window) {
            std::thread::sleep(Duration::from_millis(200));
        }
        settle(out);
        if away_from_minute_turn(window) {
            break;
        }
    }
    let before = file_len(out);
    std::thread::sleep(window);
    file_len(out) - before
}

/// Colour parameters (30–48, 90–107; not the defaults 39/49) of every SGR sequence (`ESC [ … m`) in `bytes`.
fn sgr_colour_codes(bytes: &[u8]) -> Vec<u32> {
    let mut found = Vec::new();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == 0x1b && bytes[i + 1] == b'[' {
            let start = i + 2;
            let mut j = start;
            while j < bytes.len() && (bytes[j].is_ascii_digit() || bytes[j] == b';') {
                j += 1;
            }
            if j < bytes.len() && bytes[j] == b'm' {
                let params = std::str::from_utf8(&bytes[start..j]).unwrap_or("");
                found.extend(
                    params
                        .split(';')
                        .filter_map(|p| p.parse::<u32>().ok())
                        .filter(|n| ((30..=48).contains(n) && *n != 39) || (90..=107).contains(n)),
                );
            }
            i = j;
        } else {
            i += 1;
        }
    }
    found
}

fn find(hay: &[u8], needle: &str) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// The check list row of `title` (the row with the status word before the title).
fn row<'a>(screen: &'a str, title: &str) -> &'a str {
    screen
        .lines()
        .find(|l| {
            l.contains(&format!(" {title} "))
                && (l.contains("通過")
                    || l.contains("失敗")
                    || l.contains("略過")
                    || l.contains("等待")
                    || l.contains("檢查中"))
        })
        .unwrap_or("")
}

/// The console process started with this (unique) profile path.
fn console_pid(profile: &str) -> u32 {
    let t0 = Instant::now();
    loop {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let comm = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default();
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            if comm.trim() == "ecpa-doctor" && find(&cmdline, profile).is_some() {
                return pid;
            }
        }
        assert!(
            t0.elapsed() < SCREEN_BOUND,
            "no ecpa-doctor process with {profile}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn profile_file(tag: &str) -> (PathBuf, String) {
    let dir = temp_dir(tag);
    let p = write_profile(&dir, "tui.yaml", PROFILE);
    (dir, p)
}

#[test]
fn console_names_the_missing_card_then_turns_green_when_it_goes_in() {
    let _rig = rig_lock();
    let (dir, profile) = profile_file("tui-card");
    let out = dir.join("pane-output.bin");
    let _ = std::fs::remove_file(&out);
    let tmux = Tmux::start(100, 30);
    tmux.record_output(&out);
    tmux.type_line("echo BEFORE-THE-CONSOLE");
    tmux.wait_for("the shell", |s| has_line(s, "BEFORE-THE-CONSOLE"));
    tmux.type_line(&format!(
        "cd '{}' && {BIN} --profile '{profile}'; echo EXIT=$?",
        dir.display()
    ));
    let launched = Instant::now();

    // First frame: the header, before any check has finished. (ratatui positions the
    // cursor before each wide character, so search ASCII text or single characters.)
    let header = format!("ecpa-doctor {}", env!("CARGO_PKG_VERSION"));
    let first_frame = loop {
        let bytes = std::fs::read(&out).unwrap_or_default();
        if find(&bytes, &header).is_some() {
            break launched.elapsed();
        }
        assert!(
            launched.elapsed() < SCREEN_BOUND,
            "no first frame:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    eprintln!("measured: time to first frame {first_frame:?} (from pressing Enter in the shell)");

    // The root cause: the card check, with the zh-TW remedy from the catalogue.
    let remedy = &Catalogue::builtin()
        .get("card.none")
        .expect("card.none remedy")
        .zh_tw;
    let first_step: String = remedy.steps[0].chars().take(12).collect();
    // "請插入健保卡。" starts the hint shown once the PC/SC watcher runs (without it: "請插入
    // 健保卡，插好後按 r"): the card inserted below must find the watcher already waiting.
    let (screen, _) = tmux.wait_for(
        "the card check as the root cause, the watcher waiting",
        |s| {
            s.contains("根本原因：健保卡")
                && s.contains(&first_step)
                && s.contains("請插入健保卡。")
        },
    );
    assert!(
        screen.contains(&remedy.title),
        "remedy title missing:\n{screen}"
    );
    assert!(
        row(&screen, "健保卡").contains("失敗") && row(&screen, "健保卡").contains("根本原因"),
        "card row:\n{screen}"
    );
    for t in ["智慧卡服務（PC/SC）", "讀卡機"] {
        assert!(
            row(&screen, t).contains("通過"),
            "{t} should pass:\n{screen}"
        );
    }
    let bytes = std::fs::read(&out).unwrap();
    eprintln!(
        "measured: {} bytes written from launch to the root cause on screen (100x30)",
        bytes.len()
    );
    assert!(
        sgr_colour_codes(&bytes).contains(&31),
        "no red for the failed check"
    );
    assert!(
        find(&bytes, "38;5;").is_none(),
        "256-colour form sent; 16-colour terminals need 30–37/90–97"
    );
    let banner = find(&bytes, &header).unwrap();
    let first_pass = find(&bytes, "通").expect("a pass was drawn");
    assert!(
        banner < first_pass,
        "the first frame came after a check finished"
    );
    assert!(find(&bytes, "\x1b[?1049h").is_some(), "no alternate screen");
    assert!(
        find(&bytes, "\x1b[?1000h").is_none() && find(&bytes, "\x1b[?1006h").is_none(),
        "mouse capture turned on"
    );

    let idle = idle_bytes(&out, Duration::from_secs(2));
    eprintln!("measured: {idle} bytes written in 2 s of idle, no card");
    assert_eq!(idle, 0, "the idle screen kept writing");

    // The card goes in; no key is pressed.
    let inserted = Instant::now();
    let _card = vcard::insert_wait(
        vcard::slot_addr(0),
        NhiCard::sample(),
        Duration::from_secs(10),
    )
    .expect("insert the virtual card");
    let (screen, _) = tmux.wait_for("the card check to pass", |s| {
        row(s, "健保卡").contains("通過") && s.contains("全部正常")
    });
    eprintln!(
        "measured: card check passed {:?} after the card was inserted",
        inserted.elapsed()
    );
    assert!(screen.contains("王○○明"), "masked name missing:\n{screen}");
    assert!(
        !screen.contains("王小明明") && !screen.contains("A123456789"),
        "PII leaked:\n{screen}"
    );

    // Our own card read must not look like a card change (or it would re-run forever).
    let idle = idle_bytes(&out, Duration::from_secs(2));
    eprintln!("measured: {idle} bytes written in 2 s of idle, card in");
    assert_eq!(idle, 0, "the screen kept changing with the card in");

    // c: the Markdown report through OSC 52 lands in tmux's clipboard buffer.
    tmux.keys(&["c"]);
    tmux.wait_for("the copy notice", |s| s.contains("OSC 52"));
    let clip = tmux.run(&["show-buffer"]);
    assert!(
        clip.contains("## ") && clip.contains("健保卡") && clip.contains("A12****789"),
        "clipboard:\n{clip}"
    );
    tmux.keys(&["Escape"]);

    // e then m: a Markdown file in the current folder, path shown.
    tmux.keys(&["e"]);
    tmux.wait_for("the export prompt", |s| s.contains("Markdown"));
    tmux.keys(&["m"]);
    let (screen, _) = tmux.wait_for("the export notice", |s| s.contains("報告已存到"));
    let written: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    assert_eq!(written.len(), 1, "{written:?}\n{screen}");
    let md = std::fs::read_to_string(&written[0]).unwrap();
    assert!(md.contains("健保卡") && md.contains("A12****789"), "{md}");
    tmux.keys(&["Escape"]);

    // q: exit 0, the alternate screen is left and the shell's earlier output is back.
    tmux.keys(&["q"]);
    let (screen, _) = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
    assert!(
        has_line(&screen, "BEFORE-THE-CONSOLE"),
        "the previous screen was not restored:\n{screen}"
    );
    assert_eq!(tmux.format("#{alternate_on}"), "0");
    assert_eq!(tmux.format("#{cursor_flag}"), "1", "cursor left hidden");
    let bytes = std::fs::read(&out).unwrap();
    assert!(
        find(&bytes, "\x1b[?1049l").is_some(),
        "alternate screen not left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_and_sighup_restore_the_terminal() {
    // Held so these consoles do not read a card another test put in while it measures.
    let _rig = rig_lock();
    for (signal, status) in [("TERM", "143"), ("HUP", "129")] {
        let (dir, profile) = profile_file(&format!("tui-sig{signal}"));
        let tmux = Tmux::start(80, 24);
        tmux.type_line("echo BEFORE-THE-CONSOLE");
        tmux.wait_for("the shell", |s| has_line(s, "BEFORE-THE-CONSOLE"));
        // A plain sh (no line editor resetting the tty) prints the tty modes left behind.
        tmux.type_line(&format!("sh -c '{BIN} --lang en --profile {profile}; echo EXIT=$?; stty -a | tr \"; \" \"\\n\\n\" | grep -x -e -icanon -e icanon -e -echo -e echo | tr \"\\n\" \" \"; echo'"));
        tmux.wait_for("the console", |s| s.contains("Smart-card service"));
        let pid = console_pid(&profile);
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let (screen, _) = tmux.wait_for("the exit status and tty modes", |s| {
            exit_status(s).is_some() && tty_modes(s).is_some()
        });
        assert_eq!(
            exit_status(&screen).as_deref(),
            Some(status),
            "SIG{signal}\n{screen}"
        );
        assert!(
            has_line(&screen, "BEFORE-THE-CONSOLE"),
            "SIG{signal}\n{screen}"
        );
        assert_eq!(
            tty_modes(&screen).as_deref(),
            Some("icanon echo"),
            "raw mode left on after SIG{signal}\n{screen}"
        );
        assert_eq!(tmux.format("#{alternate_on}"), "0", "SIG{signal}");
        assert_eq!(tmux.format("#{cursor_flag}"), "1", "SIG{signal}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn console_at_80x24_in_english_ascii_without_colour() {
    // Held so no other test's card changes what is on screen.
    let _rig = rig_lock();
    let (dir, profile) = profile_file("tui-ascii");
    let out = dir.join("pane-output.bin");
    let tmux = Tmux::start(80, 24);
    tmux.record_output(&out);
    tmux.type_line(&format!(
        "NO_COLOR=1 {BIN} --ascii --lang en --profile '{profile}' --show-pii; echo EXIT=$?"
    ));
    let (screen, _) = tmux.wait_for("the console", |s| {
        s.contains("Smart-card service") && !s.contains("Checking")
    });
    assert!(screen.contains("Personal data shown"), "{screen}");
    tmux.keys(&["?"]);
    let (screen, _) = tmux.wait_for("the help", |s| s.contains("Keys") && s.contains("Ctrl-C"));
    // Chinese text may remain (the other language's name 中文): no glyphs, no box drawing.
    let odd: String = screen
        .chars()
        .filter(|c| {
            !c.is_ascii()
                && !('\u{3000}'..='\u{9fff}').contains(c)
                && !('\u{ff00}'..='\u{ffef}').contains(c)
        })
        .collect();
    assert!(
        odd.is_empty(),
        "non-ASCII symbols on an --ascii screen: {odd:?}\n{screen}"
    );
    tmux.keys(&["Escape"]);
    // Resized: the footer has room for every key again (80 columns drop some).
    assert!(!tmux.screen().contains("hide PII"));
    tmux.run(&["resize-window", "-t", "0", "-x", "120", "-y", "40"]);
    let (screen, _) = tmux.wait_for("the wider layout", |s| s.contains("hide PII"));
    assert!(
        screen.lines().count() >= 40
            && screen
                .lines()
                .any(|l| l.contains("Smart-card service (PC/SC)") && l.contains('|')),
        "{screen}"
    );
    tmux.keys(&["q"]);
    let (screen, _) = tmux.wait_for("the exit status", |s| exit_status(s).is_some());
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
    let bytes = std::fs::read(&out).unwrap();
    // No SGR sequence may set a colour under NO_COLOR (bold and reverse are fine).
    let colours = sgr_colour_codes(&bytes);
    assert!(
        colours.is_empty(),
        "colour codes under NO_COLOR: {colours:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The watcher's PC/SC wait, on the rig: wakes when a card goes in, and does not report a
/// change while another program merely holds the card (the NHI component does).
#[test]
fn pcsc_wait_wakes_on_insertion_and_not_while_a_card_is_held() {
    let _rig = rig_lock();
    let system = System::real();
    let ctx = system.pcsc.establish().expect("pcscd");
    let readers = ctx.readers().unwrap();
    let known = ctx.states(&readers).unwrap();
    assert!(known.iter().all(|r| !r.present), "{known:?}");

    let inserter = std::thread::spawn(|| {
        std::thread::sleep(Duration::from_millis(500));
        vcard::insert_wait(
            vcard::slot_addr(0),
            NhiCard::sample(),
            Duration::from_secs(10),
        )
        .expect("insert")
    });
    let t0 = Instant::now();
    let woke = ctx.wait_change(&known, Duration::from_secs(10)).unwrap();
    let card = inserter.join().unwrap();
    assert!(woke, "no wake-up on insertion");
    eprintln!(
        "measured: wait_change woke {:?} after it started (card inserted at ~0.5 s)",
        t0.elapsed()
    );
    assert!(wait_reader(vcard::READER0, true, Duration::from_secs(10)));

    // Another program connects to the card and keeps it: a state with the card in must
    // now be "unchanged", not an instant wake-up in a loop.
    let other = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let name = CString::new(vcard::READER0).unwrap();
    let held = other
        .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
        .expect("connect");
    // pcscd publishes the new use of the reader on its own thread.
    let deadline = Instant::now() + Duration::from_secs(10);
    let known = loop {
        let known = ctx.states(&readers).unwrap();
        if known[0].present && known[0].in_use {
            break known;
        }
        assert!(
            Instant::now() < deadline,
            "the held card never showed as in use: {known:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        !ctx.wait_change(&known, Duration::from_millis(800)).unwrap(),
        "reported a change while nothing changed (card held by another program)"
    );
    let _ = held.disconnect(pcsc::Disposition::LeaveCard);
    drop(card);
    assert!(wait_reader(vcard::READER0, false, Duration::from_secs(10)));
}
