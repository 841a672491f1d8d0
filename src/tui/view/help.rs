//! The `?` overlay: every key from the one binding table, then how watching works.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::App;
use super::super::keys::{BINDINGS, Binding, DEMO_BINDINGS};
use super::super::text;
use super::{overlay_box, wrapped};
use crate::i18n::ui;

const WIDTH: u16 = 84;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let t = app.theme();
    let l = app.lang;
    let inner_width = WIDTH.min(area.width.saturating_sub(2)).saturating_sub(2) as usize;
    let demo: &[Binding] = if app.demo.is_some() {
        DEMO_BINDINGS
    } else {
        &[]
    };
    let bindings: Vec<&Binding> = demo.iter().chain(BINDINGS).collect();
    let labels: Vec<&str> = bindings
        .iter()
        .map(|b| if t.ascii { b.label_ascii } else { b.label })
        .collect();
    let key_col = labels.iter().map(|k| text::width(k)).max().unwrap_or(4) + 2;
    let mut lines: Vec<Line> = Vec::new();
    for (b, label) in bindings.into_iter().zip(labels) {
        let desc = ui(b.help, l);
        for (i, part) in text::wrap(&desc, inner_width.saturating_sub(key_col).max(8))
            .into_iter()
            .enumerate()
        {
            let key = if i == 0 {
                text::pad(label, key_col)
            } else {
                " ".repeat(key_col)
            };
            lines.push(Line::from(vec![
                Span::styled(
                    key,
                    t.fg(Color::Cyan)
                        .add_modifier(ratatui::style::Modifier::BOLD),
                ),
                Span::raw(part),
            ]));
        }
    }
    let mut notes = vec![Line::from("")];
    let first_note = if app.demo.is_some() {
        "tui.help.demo"
    } else {
        "tui.help.watch"
    };
    for note in [first_note, "tui.help.osc52"] {
        notes.extend(wrapped(&ui(note, l), inner_width, t.dim()));
    }
    // The keys matter more than the notes when the terminal is short.
    let room = area.height.saturating_sub(3) as usize;
    if lines.len() + notes.len() <= room {
        lines.extend(notes);
    }
    let height = lines.len() as u16 + 2;
    let (rect, block) = overlay_box(
        f,
        area,
        app,
        WIDTH,
        height,
        &ui("tui.help.title", l),
        &ui("tui.help.close", l),
    );
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    f.render_widget(Paragraph::new(lines), inner);
}
