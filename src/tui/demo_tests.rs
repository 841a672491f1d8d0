//! The demo's side of the console, driven through `update` with hand-made messages: the
//! picker filters and chooses, the fix key asks for the fixed world, and a new world
//! replaces the checks and runs them all, whatever was running before.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Cmd, Demo, Msg, Notice, Overlay, Setup, WorldReady};
use super::theme::Theme;
use crate::demo::scenario;
use crate::i18n::Lang;
use crate::report::model::HostInfo;

fn setup(demo: bool) -> Setup {
    Setup {
        lang: Lang::En,
        reveal_pii: false,
        ticket: None,
        demo,
        host: HostInfo::default(),
        version: "9.9.9".into(),
        theme: Theme {
            color: false,
            ascii: false,
        },
    }
}

fn demo_app(current: &str) -> App {
    let mut app = App::new(
        Arc::new(crate::probes::builtin_profile()),
        setup(true),
        "09:41".into(),
        chrono::Local::now(),
    );
    app.demo = Some(Demo {
        scenarios: scenario::builtin().iter().collect(),
        current: scenario::find(current).unwrap(),
        switching: false,
    });
    let _ = app.start(None);
    app
}

fn key(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn switch_of(cmds: &[Cmd]) -> Option<(&str, Option<&str>)> {
    cmds.iter().find_map(|c| match c {
        Cmd::Switch {
            scenario,
            fixed_from,
        } => Some((scenario.as_str(), fixed_from.map(|s| s.id.as_str()))),
        _ => None,
    })
}

#[test]
fn the_picker_filters_and_chooses_a_scenario() {
    let mut app = demo_app("healthy");
    app.update(key(KeyCode::Char('s')));
    assert!(
        matches!(&app.overlay, Some(Overlay::Scenarios(p)) if p.cursor == 0),
        "{:?}",
        app.overlay
    );
    for c in "moica".chars() {
        app.update(key(KeyCode::Char(c)));
    }
    let Some(Overlay::Scenarios(p)) = &app.overlay else {
        panic!("picker closed")
    };
    assert_eq!(
        app.picker_matches(&p.filter)
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        vec!["moica-card"]
    );
    let step = app.update(key(KeyCode::Enter));
    assert_eq!(switch_of(&step.cmds), Some(("moica-card", None)));
    assert!(app.overlay.is_none() && app.demo.as_ref().unwrap().switching);
    // While the world is being built, another switch waits.
    assert!(app.update(key(KeyCode::Char('f'))).cmds.is_empty());
}

#[test]
fn the_fix_key_asks_for_the_fixed_world_and_a_new_world_reruns_everything() {
    let mut app = demo_app("no-card");
    let run_before = app.run_id;
    let step = app.update(key(KeyCode::Char('f')));
    assert_eq!(switch_of(&step.cmds), Some(("healthy", Some("no-card"))));
    let healthy = scenario::find("healthy").unwrap();
    let step = app.update(Msg::World(Ok(WorldReady {
        scenario: healthy,
        profile: Arc::new(crate::probes::builtin_profile()),
        fixed_from: scenario::find("no-card"),
    })));
    let everything = |o: &Option<std::collections::HashSet<String>>| {
        o.as_ref().is_none_or(|o| {
            ["pcsc-service", "card", "bridge-ws"]
                .iter()
                .all(|c| o.contains(*c))
        })
    };
    assert!(
        matches!(step.cmds.as_slice(), [Cmd::Run { request, .. }] if everything(&request.only) && request.previous.is_empty()),
        "{:?}",
        step.cmds
    );
    assert!(
        app.run_id > run_before,
        "events of the old world's run must be ignored"
    );
    assert_eq!(app.demo.as_ref().unwrap().current.id, "healthy");
    assert_eq!(
        app.overlay,
        Some(Overlay::Notice(Notice::Fixed(
            "no-card".into(),
            "healthy".into()
        )))
    );
}

#[test]
fn healthy_has_nothing_to_fix_and_outside_the_demo_the_keys_say_so() {
    let mut app = demo_app("healthy");
    app.update(key(KeyCode::Char('f')));
    assert_eq!(app.overlay, Some(Overlay::Notice(Notice::NothingToFix)));
    let mut real = App::new(
        Arc::new(crate::probes::builtin_profile()),
        setup(false),
        "09:41".into(),
        chrono::Local::now(),
    );
    let step = real.update(key(KeyCode::Char('s')));
    assert!(step.cmds.is_empty());
    assert_eq!(real.overlay, Some(Overlay::Notice(Notice::NotDemo)));
}

#[test]
fn a_world_that_cannot_be_built_leaves_the_old_one_and_says_why() {
    let mut app = demo_app("no-card");
    app.update(key(KeyCode::Char('f')));
    app.update(Msg::World(Err("port in use".into())));
    assert_eq!(app.demo.as_ref().unwrap().current.id, "no-card");
    assert!(!app.demo.as_ref().unwrap().switching);
    assert_eq!(
        app.overlay,
        Some(Overlay::Notice(Notice::SwitchFailed("port in use".into())))
    );
}
