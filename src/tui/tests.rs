//! The console without a terminal: `App` driven by hand-made messages (no probes run),
//! drawn into ratatui's `TestBackend` and compared with the snapshots in `snapshots/`.
//! The clock, host and version are fixed so the snapshots do not drift.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::TimeZone;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

use super::app::{App, Cmd, Msg, Notice, Overlay, PcscChange, Setup};
use super::text;
use super::theme::Theme;
use super::view;
use crate::engine::Profile;
use crate::engine::catalogue::Catalogue;
use crate::engine::outcome::{Msg as Text, Outcome};
use crate::engine::pii::PiiKind;
use crate::engine::run::Event;
use crate::i18n::Lang;
use crate::report::model::HostInfo;

/// The default profile's first four checks; the real default grows as kinds are added.
const PROFILE: &str = r#"schema: 1
name: tui-test
title: { zh-TW: 健保卡登入人事服務網（eCPA）, en: NHI-card login to eCPA }
checks:
  - id: host
    kind: host
    title: { zh-TW: 這台電腦, en: This computer }
    severity: advisory
  - id: pcsc-service
    kind: pcsc_service
    title: { zh-TW: 智慧卡服務（PC/SC）, en: Smart-card service (PC/SC) }
  - id: readers
    kind: readers
    title: { zh-TW: 讀卡機, en: Card reader }
    needs: [pcsc-service]
  - id: card
    kind: card
    title: { zh-TW: 健保卡, en: NHI card }
    needs: [readers]
"#;

const READERS: &str = "Virtual PCD 00 00; Virtual PCD 00 01";

fn setup(lang: Lang) -> Setup {
    Setup {
        lang,
        reveal_pii: false,
        ticket: None,
        demo: false,
        host: HostInfo {
            os: "Debian GNU/Linux".into(),
            os_version: "12".into(),
            kernel: "6.1.0".into(),
            arch: "x86_64".into(),
            hostname: "helpdesk-pc".into(),
        },
        version: "9.9.9".into(),
        theme: Theme {
            color: true,
            ascii: false,
        },
    }
}

fn new_app(lang: Lang) -> App {
    let profile = Arc::new(
        Profile::parse(PROFILE, "tui-test.yaml", crate::probes::KINDS).expect("test profile"),
    );
    let started = chrono::Local
        .with_ymd_and_hms(2026, 1, 5, 9, 41, 0)
        .unwrap();
    let mut app = App::new(profile, setup(lang), "09:41".into(), started);
    let cmds = app.start(None);
    assert!(matches!(cmds.as_slice(), [Cmd::Run { .. }]), "{cmds:?}");
    app
}

fn took(mut o: Outcome, ms: u64) -> Outcome {
    o.duration = Duration::from_millis(ms);
    o
}

fn host_pass() -> Outcome {
    took(
        Outcome::pass(
            Text::new("host.pass")
                .arg("os", "Debian GNU/Linux 12")
                .arg("arch", "x86_64"),
        )
        .with("os", "Debian GNU/Linux")
        .with("arch", "x86_64"),
        12,
    )
}

fn service_pass() -> Outcome {
    took(
        Outcome::pass(Text::new("pcsc.pass")).with("socket", "/run/pcscd/pcscd.comm"),
        4,
    )
}

fn readers_pass() -> Outcome {
    took(
        Outcome::pass(
            Text::new("reader.pass")
                .arg("count", "2")
                .arg("readers", "Virtual PCD 00 00, Virtual PCD 00 01"),
        )
        .with("readers", READERS),
        6,
    )
}

fn card_none() -> Outcome {
    took(
        Outcome::fail("card.none", Text::new("card.none")).with("readers", READERS),
        9,
    )
}

fn card_pass() -> Outcome {
    let name = crate::engine::pii::Pii::new(PiiKind::Name, "王小明明");
    took(
        Outcome::pass(
            Text::new("card.pass")
                .arg("reader", "Virtual PCD 00 00")
                .arg("name", name),
        )
        .with("reader", "Virtual PCD 00 00")
        .with_pii("card_no", PiiKind::CardNumber, "000012345678")
        .with_pii("name", PiiKind::Name, "王小明明")
        .with_pii("id_no", PiiKind::NationalId, "A123456789")
        .with_pii("birth_date", PiiKind::BirthDate, "0800101"),
        143,
    )
}

fn finish(app: &mut App, id: &str, outcome: Outcome) {
    app.update(Msg::Engine {
        run_id: app.run_id,
        event: Event::Finished {
            id: id.into(),
            outcome,
        },
    });
}

fn start(app: &mut App, id: &str) {
    app.update(Msg::Engine {
        run_id: app.run_id,
        event: Event::Started { id: id.into() },
    });
}

fn run_done(app: &mut App) -> Vec<Cmd> {
    let started = chrono::Local
        .with_ymd_and_hms(2026, 1, 5, 9, 41, 0)
        .unwrap();
    app.update(Msg::RunDone {
        run_id: app.run_id,
        started_at: started,
        duration: Duration::from_millis(180),
    })
    .cmds
}

fn key(app: &mut App, c: char) -> super::app::Step {
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::NONE,
    )))
}

fn code(app: &mut App, code: KeyCode) -> super::app::Step {
    app.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

// ---- the five screens of the snapshots -------------------------------------------------

fn running(lang: Lang) -> App {
    let mut app = new_app(lang);
    for id in ["host", "pcsc-service"] {
        start(&mut app, id);
    }
    finish(&mut app, "host", host_pass());
    finish(&mut app, "pcsc-service", service_pass());
    start(&mut app, "readers");
    app.update(Msg::Tick);
    app.update(Msg::Tick);
    app
}

fn all_passed(lang: Lang) -> App {
    let mut app = new_app(lang);
    finish(&mut app, "host", host_pass());
    finish(&mut app, "pcsc-service", service_pass());
    finish(&mut app, "readers", readers_pass());
    finish(&mut app, "card", card_pass());
    run_done(&mut app);
    app
}

fn root_cause(lang: Lang) -> App {
    let mut app = new_app(lang);
    app.update(Msg::Watching(true));
    finish(&mut app, "host", host_pass());
    finish(&mut app, "pcsc-service", service_pass());
    finish(&mut app, "readers", readers_pass());
    finish(&mut app, "card", card_none());
    run_done(&mut app);
    app
}

fn skipped_chain(lang: Lang) -> App {
    let mut app = new_app(lang);
    finish(&mut app, "host", host_pass());
    let down = Outcome::fail("pcsc.no_service", Text::new("pcsc.no_service"))
        .with("socket", "/run/pcscd/pcscd.comm")
        .with("pcsc_error", "SCARD_E_NO_SERVICE (0x8010001D)");
    finish(&mut app, "pcsc-service", took(down, 2));
    finish(&mut app, "readers", Outcome::skipped("pcsc-service"));
    finish(&mut app, "card", Outcome::skipped("pcsc-service"));
    run_done(&mut app);
    app
}

fn help(lang: Lang) -> App {
    let mut app = root_cause(lang);
    key(&mut app, '?');
    assert_eq!(app.overlay, Some(Overlay::Help));
    app
}

// ---- drawing ---------------------------------------------------------------------------

fn draw(app: &App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view::draw(f, app)).unwrap();
    t.backend().buffer().clone()
}

/// The screen as text, a wide character once (not followed by its hidden cell), with
/// trailing spaces cut; what a person would read.
fn screen(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let sym = buf[(x, y)].symbol();
            line.push_str(sym);
            skip = text::width(sym).saturating_sub(1);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn lang_tag(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhTw => "zh",
        Lang::En => "en",
    }
}

type Screen = fn(Lang) -> App;

#[test]
fn snapshots() {
    let screens: [(&str, Screen); 5] = [
        ("running", running),
        ("all_passed", all_passed),
        ("root_cause", root_cause),
        ("skipped_chain", skipped_chain),
        ("help", help),
    ];
    for (name, make) in screens {
        for lang in [Lang::ZhTw, Lang::En] {
            for (w, h) in [(80, 24), (120, 40)] {
                let app = make(lang);
                let s = screen(&draw(&app, w, h));
                insta::assert_snapshot!(format!("{name}_{w}x{h}_{}", lang_tag(lang)), s);
            }
        }
    }
}

#[test]
fn at_80x24_the_root_cause_and_its_first_step_are_readable() {
    for lang in [Lang::ZhTw, Lang::En] {
        let app = root_cause(lang);
        let s = screen(&draw(&app, 80, 24));
        let remedy = Catalogue::builtin().get("card.none").unwrap().get(lang);
        assert!(s.contains(&remedy.title), "{lang:?}: title missing\n{s}");
        // The first step's opening words are on screen, whole.
        let opening: String = remedy.steps[0]
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(14)
            .collect();
        assert!(
            s.contains(&opening),
            "{lang:?}: first step `{opening}` missing\n{s}"
        );
        let insert = if lang == Lang::ZhTw {
            "請插入健保卡"
        } else {
            "Insert the NHI card"
        };
        assert!(s.contains(insert), "{lang:?}\n{s}");
    }
}

#[test]
fn every_width_from_80_lays_out_without_losing_the_root_cause() {
    for (w, h) in [
        (80, 24),
        (90, 26),
        (99, 30),
        (100, 30),
        (132, 43),
        (200, 60),
        (40, 10),
    ] {
        let app = root_cause(Lang::ZhTw);
        let s = screen(&draw(&app, w, h));
        assert!(s.contains("根本原因"), "{w}x{h}\n{s}");
        for line in s.lines() {
            assert!(
                text::width(line) <= w as usize,
                "{w}x{h}: line too wide: {line}"
            );
        }
    }
    let s = screen(&draw(&root_cause(Lang::En), 30, 8));
    assert!(s.contains("too small"), "{s}");
}

#[test]
fn only_the_16_named_colours_and_none_under_no_color() {
    let named = [
        Color::Reset,
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    for make in [running, all_passed, root_cause, skipped_chain, help] {
        let mut app = make(Lang::ZhTw);
        let buf = draw(&app, 120, 40);
        assert!(
            buf.content
                .iter()
                .all(|c| named.contains(&c.fg) && named.contains(&c.bg)),
            "a colour outside the 16 named ones"
        );
        app.setup.theme = Theme {
            color: false,
            ascii: false,
        };
        let buf = draw(&app, 120, 40);
        assert!(
            buf.content
                .iter()
                .all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
            "colour under NO_COLOR"
        );
    }
}

#[test]
fn ascii_mode_draws_no_box_or_glyph() {
    for make in [running, all_passed, root_cause, skipped_chain, help] {
        let mut app = make(Lang::En);
        app.setup.theme = Theme {
            color: true,
            ascii: true,
        };
        let s = screen(&draw(&app, 100, 30));
        // Chinese inside English remedies (「智慧卡」) stays; glyphs and box drawing do not.
        let odd: String = s.chars().filter(|c| !c.is_ascii() && !is_cjk(*c)).collect();
        assert!(odd.is_empty(), "{odd:?}\n{s}");
    }
}

fn is_cjk(c: char) -> bool {
    ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

#[test]
fn skipped_checks_say_why() {
    let app = skipped_chain(Lang::En);
    let s = screen(&draw(&app, 80, 24));
    let row = s.lines().find(|l| l.contains("Card reader")).unwrap();
    assert!(
        row.contains("skipped") && row.contains("because “Smart-card service (PC/SC)” failed"),
        "{row}"
    );
    let s = screen(&draw(&skipped_chain(Lang::ZhTw), 80, 24));
    let row = s.lines().find(|l| l.contains("讀卡機")).unwrap();
    assert!(
        row.contains("略過") && row.contains("因為「智慧卡服務（PC/SC）」未通過"),
        "{row}"
    );
    assert_eq!(
        app.slots[app.selected].id, "pcsc-service",
        "the root cause is selected"
    );
}

// ---- behaviour -------------------------------------------------------------------------

#[test]
fn root_cause_is_selected_when_the_run_ends() {
    let mut app = new_app(Lang::ZhTw);
    assert_eq!(app.selected, 0);
    finish(&mut app, "host", host_pass());
    finish(&mut app, "pcsc-service", service_pass());
    finish(&mut app, "readers", readers_pass());
    finish(&mut app, "card", card_none());
    assert_eq!(app.selected, 0, "not before the run ends");
    run_done(&mut app);
    assert_eq!(app.slots[app.selected].id, "card");
    assert!(app.waiting_for_card());
}

#[test]
fn a_card_change_reruns_the_card_check_keeping_the_rest() {
    let mut app = root_cause(Lang::ZhTw);
    let step = app.update(Msg::Pcsc(PcscChange::Card));
    let [Cmd::Run { request, .. }] = step.cmds.as_slice() else {
        panic!("{:?}", step.cmds)
    };
    assert_eq!(request.only, Some(HashSet::from(["card".to_string()])));
    for kept in ["host", "pcsc-service", "readers"] {
        assert!(request.previous.contains_key(kept), "{kept} not kept");
    }
    assert!(app.running);

    let step = app.update(Msg::Pcsc(PcscChange::Readers));
    assert!(step.cmds.is_empty(), "a second run must wait for the first");
    finish(&mut app, "card", card_pass());
    let cmds = run_done(&mut app);
    let [Cmd::Run { request, .. }] = cmds.as_slice() else {
        panic!("{cmds:?}")
    };
    assert_eq!(
        request.only,
        Some(HashSet::from(["readers".to_string(), "card".to_string()])),
        "the queued reader change runs next"
    );
}

#[test]
fn rerun_keys_cover_all_or_the_selected_check_and_its_dependents() {
    let mut app = skipped_chain(Lang::En);
    let step = key(&mut app, 'R');
    let [Cmd::Run { request, .. }] = step.cmds.as_slice() else {
        panic!("{:?}", step.cmds)
    };
    let want: HashSet<String> = ["pcsc-service", "readers", "card"].map(String::from).into();
    assert_eq!(request.only, Some(want));
    run_done(&mut app);
    let step = key(&mut app, 'r');
    let [Cmd::Run { request, .. }] = step.cmds.as_slice() else {
        panic!("{:?}", step.cmds)
    };
    assert_eq!(request.only, None);
}

#[test]
fn pii_is_revealed_only_after_confirming() {
    let mut app = all_passed(Lang::ZhTw);
    let card = |app: &App| app.check_report("card").unwrap().evidence["id_no"].clone();
    assert_eq!(card(&app), "A12****789");
    key(&mut app, 'p');
    assert_eq!(app.overlay, Some(Overlay::ConfirmPii));
    key(&mut app, 'n');
    assert_eq!(app.overlay, None);
    assert_eq!(card(&app), "A12****789");
    key(&mut app, 'p');
    key(&mut app, 'y');
    assert_eq!(card(&app), "A123456789");
    assert!(screen(&draw(&app, 120, 40)).contains("個人資料未遮蔽"));
    key(&mut app, 'p');
    assert_eq!(app.overlay, None, "masking again needs no confirmation");
    assert_eq!(card(&app), "A12****789");
}

#[test]
fn language_switches_the_whole_screen() {
    let mut app = root_cause(Lang::ZhTw);
    assert!(screen(&draw(&app, 100, 30)).contains("根本原因"));
    key(&mut app, 'l');
    assert_eq!(app.report.lang, Lang::En);
    let s = screen(&draw(&app, 100, 30));
    assert!(s.contains("Root cause") && !s.contains("根本原因"), "{s}");
}

#[test]
fn export_asks_the_format_and_copy_sends_markdown() {
    let mut app = running(Lang::ZhTw);
    key(&mut app, 'e');
    assert_eq!(
        app.overlay,
        Some(Overlay::Notice(Notice::Busy)),
        "no half-filled report while checks run"
    );
    code(&mut app, KeyCode::Esc);
    assert!(
        app.exit.is_none(),
        "Esc closes the notice, it does not quit"
    );

    let mut app = root_cause(Lang::ZhTw);
    key(&mut app, 'e');
    assert_eq!(app.overlay, Some(Overlay::ExportFormat));
    let step = key(&mut app, 'm');
    let [Cmd::Export { text, extension }] = step.cmds.as_slice() else {
        panic!("{:?}", step.cmds)
    };
    assert_eq!(*extension, "md");
    assert!(text.starts_with("## ") && text.contains("健保卡"), "{text}");
    app.update(Msg::Exported(Ok("/tmp/x.md".into())));
    assert!(
        screen(&draw(&app, 100, 30)).contains("/tmp/x.md"),
        "the path is shown"
    );

    let step = key(&mut app, 'c');
    assert_eq!(
        app.overlay, None,
        "the key after a notice closes it and acts"
    );
    let [Cmd::Copy { text }] = step.cmds.as_slice() else {
        panic!("{:?}", step.cmds)
    };
    assert!(text.starts_with("## "));
}

#[test]
fn quitting_and_closing() {
    let mut app = root_cause(Lang::En);
    code(&mut app, KeyCode::Enter);
    assert!(app.zoomed);
    code(&mut app, KeyCode::Esc);
    assert!(
        !app.zoomed && app.exit.is_none(),
        "Esc first closes the expanded details"
    );
    key(&mut app, '?');
    key(&mut app, 'q');
    assert_eq!(app.exit, Some(0));

    let mut app = root_cause(Lang::En);
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(app.exit, Some(0), "Ctrl-C quits");
    let mut app = root_cause(Lang::En);
    app.update(Msg::Signal(143));
    assert_eq!(app.exit, Some(143));
}

#[test]
fn idle_messages_do_not_redraw() {
    let mut app = root_cause(Lang::ZhTw);
    assert!(
        !app.update(Msg::Tick).redraw,
        "the spinner does not tick while idle"
    );
    assert!(
        !app.update(Msg::Clock("09:41".into())).redraw,
        "same minute"
    );
    assert!(app.update(Msg::Clock("09:42".into())).redraw);
    assert!(!key(&mut app, 'x').redraw, "an unbound key");
    assert!(
        !app.update(Msg::Engine {
            run_id: app.run_id + 7,
            event: Event::Started { id: "card".into() }
        })
        .redraw,
        "a stale run's event"
    );
    let mut app = running(Lang::ZhTw);
    assert!(
        app.update(Msg::Tick).redraw,
        "the spinner ticks while running"
    );
}

#[test]
fn moving_and_scrolling_stay_in_bounds() {
    let mut app = root_cause(Lang::ZhTw);
    for _ in 0..10 {
        key(&mut app, 'j');
    }
    assert_eq!(app.selected, 3);
    for _ in 0..10 {
        key(&mut app, 'k');
    }
    assert_eq!(app.selected, 0);
    app.selected = 3;
    draw(&app, 80, 24);
    let max = app.detail_max_scroll.get();
    assert!(max > 0, "the card remedy is longer than the 80x24 pane");
    for _ in 0..20 {
        code(&mut app, KeyCode::PageDown);
    }
    assert_eq!(app.detail_scroll, max);
    code(&mut app, KeyCode::PageUp);
    assert!(app.detail_scroll < max);
}
