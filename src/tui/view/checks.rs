//! The check list, in profile order: pointer, status glyph and word (never colour alone),
//! title, why a skipped check was skipped, the root-cause mark, and the duration.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::{App, CheckState, Slot};
use super::super::text;
use super::super::theme::Mark;
use super::{duration_text, mark_word, mark_word_width, section};
use crate::engine::Status;
use crate::i18n::{self, ui};

/// Columns the duration takes at the end of a row ("12.3 s").
const DURATION_WIDTH: usize = 7;

/// `roomy`: the list has the screen's full height (side by side), so a note that does
/// not fit after the title goes on a line of its own instead of being cut.
pub fn draw(f: &mut Frame, area: Rect, app: &App, roomy: bool) {
    let title = Line::from(format!(" {} ", ui("report.checks", app.lang)));
    let block = section(app, title, false);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let width = inner.width as usize;
    let rows: Vec<Vec<Line>> = app
        .slots
        .iter()
        .enumerate()
        .map(|(i, s)| row(app, i, s, width, roomy))
        .collect();
    // Keep the whole selected row on screen when the list is taller than its area.
    let visible = inner.height as usize;
    let start: usize = rows[..app.selected.min(rows.len())]
        .iter()
        .map(Vec::len)
        .sum();
    let end = start + rows.get(app.selected).map_or(1, Vec::len);
    let offset = end.saturating_sub(visible).min(start);
    let lines: Vec<Line> = rows
        .into_iter()
        .flatten()
        .skip(offset)
        .take(visible)
        .collect();
    f.render_widget(Paragraph::new(lines), inner);
}

/// How wide the list would like to be when it sits beside the detail pane.
pub fn wanted_width(app: &App) -> u16 {
    let titles = app
        .profile
        .checks
        .iter()
        .map(|c| text::width(c.title.get(app.lang)))
        .max()
        .unwrap_or(10);
    let root = text::width(&root_tag(app));
    (4 + mark_word_width(app) + 1 + titles + root + 1 + DURATION_WIDTH) as u16
}

fn root_tag(app: &App) -> String {
    format!(
        " {} {}",
        app.theme().back_pointer(),
        ui("report.root_cause", app.lang)
    )
}

fn title_of(app: &App, id: &str) -> String {
    app.profile
        .check(id)
        .map(|c| c.title.get(app.lang).to_string())
        .unwrap_or_else(|| id.to_string())
}

fn row(app: &App, index: usize, slot: &Slot, width: usize, roomy: bool) -> Vec<Line<'static>> {
    let t = app.theme();
    let mark = app.mark(slot);
    let selected = index == app.selected;
    let pointer = if selected {
        format!("{} ", t.pointer())
    } else {
        "  ".to_string()
    };
    let glyph = format!("{} ", t.glyph(mark, app.spinner));
    let word = format!(
        "{} ",
        text::pad(&mark_word(app, mark), mark_word_width(app))
    );
    let duration = match (&slot.state, mark) {
        (CheckState::Done(o), Mark::Done(s)) if s != Status::Skipped => {
            format!("{:>w$}", duration_text(o.duration), w = DURATION_WIDTH)
        }
        _ => " ".repeat(DURATION_WIDTH),
    };
    let lead = text::width(&pointer) + text::width(&glyph) + text::width(&word);
    let room = width.saturating_sub(lead + 1 + DURATION_WIDTH);
    let title = title_of(app, &slot.id);
    let note = note(app, slot);
    let own_line = roomy && !note.is_empty() && text::width(&title) + text::width(&note) > room;
    let middle = if own_line {
        text::pad(&title, room)
    } else {
        text::pad(&format!("{title}{note}"), room)
    };

    let row_style = if selected {
        t.selected()
    } else {
        ratatui::style::Style::new()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(pointer, row_style),
        Span::styled(glyph, t.mark_style(mark).patch(row_style)),
        Span::styled(word, t.mark_style(mark).patch(row_style)),
        Span::styled(middle, row_style),
        Span::styled(" ", row_style),
        Span::styled(duration, t.dim().patch(row_style)),
    ])];
    if own_line {
        let room = width.saturating_sub(lead).max(1);
        for part in text::wrap(note.trim_start(), room) {
            lines.push(Line::from(vec![
                Span::styled(" ".repeat(lead), row_style),
                Span::styled(text::pad(&part, room), t.dim().patch(row_style)),
            ]));
        }
    }
    lines
}

/// After the title: the root-cause mark, or what a skipped check waits for.
fn note(app: &App, slot: &Slot) -> String {
    if app.is_root(&slot.id) {
        return root_tag(app);
    }
    match &slot.state {
        CheckState::Done(o) if o.status == Status::Skipped => {
            let because = o
                .skipped_because
                .as_deref()
                .map(|id| title_of(app, id))
                .unwrap_or_default();
            format!(
                " {}",
                i18n::fill(
                    &ui("tui.because", app.lang),
                    &[("check".to_string(), because)]
                )
            )
        }
        _ => String::new(),
    }
}
