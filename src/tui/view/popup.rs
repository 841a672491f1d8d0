//! Small boxes over the screen: the PII confirm step, the export format choice, and what
//! became of an export or a copy (the path written, the bytes sent).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::super::app::{App, Notice};
use super::{overlay_box, wrapped};
use crate::i18n::{self, ui};

const WIDTH: u16 = 60;

fn show(f: &mut Frame, area: Rect, app: &App, title: &str, hint: &str, body: Vec<(String, Style)>) {
    let inner_width = WIDTH.min(area.width.saturating_sub(2)).saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    for (i, (text, style)) in body.into_iter().enumerate() {
        if i > 0 {
            lines.push(Line::from(""));
        }
        lines.extend(wrapped(&text, inner_width, style));
    }
    let (rect, block) = overlay_box(f, area, app, WIDTH, lines.len() as u16 + 2, title, hint);
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    f.render_widget(Paragraph::new(lines), inner);
}

pub fn confirm_pii(f: &mut Frame, area: Rect, app: &App) {
    let l = app.lang;
    let t = app.theme();
    let body = vec![
        (ui("tui.pii.body", l), Style::new()),
        (
            ui("tui.pii.keys", l),
            t.fg(Color::Yellow).add_modifier(Modifier::BOLD),
        ),
    ];
    show(
        f,
        area,
        app,
        &ui("tui.pii.title", l),
        &ui("tui.pii.cancel", l),
        body,
    );
}

pub fn export_format(f: &mut Frame, area: Rect, app: &App) {
    let l = app.lang;
    let t = app.theme();
    let body = vec![
        (ui("tui.export.body", l), Style::new()),
        (
            ui("tui.export.keys", l),
            t.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
    ];
    show(
        f,
        area,
        app,
        &ui("tui.export.title", l),
        &ui("tui.pii.cancel", l),
        body,
    );
}

/// The registration password dialog: the lock-out warning, then one bullet per typed
/// character. The password itself is never drawn.
pub fn password(f: &mut Frame, area: Rect, app: &App) {
    let l = app.lang;
    let t = app.theme();
    let typed = app.password.as_ref().map_or(0, |p| p.char_count());
    let dot = if t.ascii { "*" } else { "•" };
    let field = format!("{}{}", ui("tui.password.label", l), dot.repeat(typed));
    let body = vec![
        (ui("password.warning", l), t.fg(Color::Yellow)),
        (field, Style::new().add_modifier(Modifier::BOLD)),
        (
            ui("tui.password.keys", l),
            t.fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
    ];
    show(
        f,
        area,
        app,
        &ui("tui.password.title", l),
        &ui("tui.password.cancel", l),
        body,
    );
}

pub fn notice(f: &mut Frame, area: Rect, app: &App, n: &Notice) {
    let l = app.lang;
    let t = app.theme();
    let arg = |k: &str, v: String| vec![(k.to_string(), v)];
    let (title, body, style) = match n {
        Notice::Exported(path) => (
            "tui.export.title",
            i18n::fill(&ui("tui.export.done", l), &arg("path", path.clone())),
            t.fg(Color::Green),
        ),
        Notice::ExportFailed(e) => (
            "tui.export.title",
            i18n::fill(&ui("tui.export.failed", l), &arg("error", e.clone())),
            t.fg(Color::Red),
        ),
        Notice::Copied(bytes) => (
            "tui.copy.title",
            i18n::fill(&ui("tui.copy.done", l), &arg("bytes", bytes.to_string())),
            t.fg(Color::Green),
        ),
        Notice::CopyFailed(e) => (
            "tui.copy.title",
            i18n::fill(&ui("tui.copy.failed", l), &arg("error", e.clone())),
            t.fg(Color::Red),
        ),
        Notice::Busy => (
            "tui.busy.title",
            ui("tui.busy.body", l),
            t.fg(Color::Yellow),
        ),
        Notice::Fixed(from, to) => {
            let title = |id: &str| {
                app.demo
                    .as_ref()
                    .and_then(|d| d.scenarios.iter().find(|s| s.id == id))
                    .map(|s| s.title.get(l).to_string())
                    .unwrap_or_else(|| id.to_string())
            };
            let args = vec![
                ("from".to_string(), title(from)),
                ("to".to_string(), title(to)),
            ];
            (
                "tui.demo.title",
                i18n::fill(&ui("tui.demo.fixed", l), &args),
                t.fg(Color::Green),
            )
        }
        Notice::NothingToFix => (
            "tui.demo.title",
            ui("tui.demo.no_fix", l),
            t.fg(Color::Yellow),
        ),
        Notice::NotDemo => (
            "tui.demo.title",
            ui("tui.demo.not_demo", l),
            t.fg(Color::Yellow),
        ),
        Notice::PasswordBusy => (
            "tui.password.title",
            ui("tui.password.busy", l),
            t.fg(Color::Yellow),
        ),
        Notice::NoPasswordCheck => (
            "tui.password.title",
            ui("password.no_check", l),
            t.fg(Color::Yellow),
        ),
        Notice::SwitchFailed(e) => (
            "tui.demo.title",
            i18n::fill(&ui("tui.demo.switch_failed", l), &arg("error", e.clone())),
            t.fg(Color::Red),
        ),
    };
    show(
        f,
        area,
        app,
        &ui(title, l),
        &ui("tui.notice.continue", l),
        vec![(body, style)],
    );
}
