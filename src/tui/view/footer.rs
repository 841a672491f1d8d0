//! The key line. When the terminal is narrow, the less needed keys drop out; help and
//! quit always stay (help lists everything).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::App;
use super::super::keys::{Action, binding};
use super::super::text;
use crate::i18n::ui;

/// (action, word key) in screen order, with a priority: lower stays longer.
const ITEMS: &[(Action, &str, u8)] = &[
    (Action::Down, "tui.foot.move", 2),
    (Action::ToggleDetail, "tui.foot.detail", 3),
    (Action::RerunAll, "tui.foot.rerun", 1),
    (Action::RerunSelected, "tui.foot.rerun_selected", 5),
    (Action::Language, "tui.foot.language", 4),
    (Action::Export, "tui.foot.export", 4),
    (Action::Copy, "tui.foot.copy", 5),
    (Action::Pii, "tui.foot.pii", 6),
    (Action::Help, "tui.foot.help", 0),
    (Action::Quit, "tui.foot.quit", 0),
];

/// The demo's keys, first on the line: they are what a trainee needs.
const DEMO_ITEMS: &[(Action, &str, u8)] = &[
    (Action::Scenario, "tui.foot.scenario", 0),
    (Action::Fix, "tui.foot.fix", 0),
];

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let demo = if app.demo.is_some() { DEMO_ITEMS } else { &[] };
    let items: Vec<(String, String, u8)> = demo
        .iter()
        .chain(ITEMS)
        .map(|(a, word, prio)| (key_label(app, *a), word_for(app, *a, word), *prio))
        .collect();
    let width = area.width as usize;
    let item_width = |(k, w, _): &(String, String, u8)| text::width(k) + 1 + text::width(w) + 2;
    let mut max_prio = 6;
    while max_prio > 0
        && items
            .iter()
            .filter(|i| i.2 <= max_prio)
            .map(item_width)
            .sum::<usize>()
            > width
    {
        max_prio -= 1;
    }
    let t = app.theme();
    let key_style = t.fg(Color::Cyan).add_modifier(Modifier::BOLD);
    let mut spans = Vec::new();
    for (k, w, _) in items.iter().filter(|i| i.2 <= max_prio) {
        spans.push(Span::styled(k.clone(), key_style));
        spans.push(Span::raw(format!(" {w}  ")));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn key_label(app: &App, action: Action) -> String {
    match action {
        Action::Down => app.theme().arrows().to_string(),
        Action::Quit => "q".to_string(),
        Action::Help => "?".to_string(),
        other => {
            let b = binding(other);
            if app.theme().ascii {
                b.label_ascii
            } else {
                b.label
            }
            .to_string()
        }
    }
}

/// Words that depend on the state: the language to switch to, show or hide PII.
fn word_for(app: &App, action: Action, key: &str) -> String {
    match action {
        Action::Language => ui("tui.foot.language", app.lang.other()),
        Action::Pii if app.reveal_pii => ui("tui.foot.pii_hide", app.lang),
        _ => ui(key, app.lang),
    }
}
