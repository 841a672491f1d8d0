//! Drawing only: each region of the screen has its own file and a free function taking the
//! frame, its area and the read-only `App`. Nothing here changes state (apart from telling
//! `App` how tall the detail pane turned out, for paging).

mod checks;
mod detail;
mod footer;
mod header;
mod help;
mod popup;
mod scenarios;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::app::{App, Overlay};
use super::text;
use super::theme::Mark;
use crate::engine::Status;
use crate::i18n::ui;

/// Below this the screen says it is too small instead of drawing a mangled layout.
const MIN_WIDTH: u16 = 40;
const MIN_HEIGHT: u16 = 10;
/// From this width the check list and the detail pane sit side by side.
const SIDE_BY_SIDE_WIDTH: u16 = 100;

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(f, area, app);
        return;
    }
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    header::draw(f, head, app);
    footer::draw(f, foot, app);
    if app.zoomed {
        detail::draw(f, body, app, false);
    } else if body.width >= SIDE_BY_SIDE_WIDTH {
        let list_width = checks::wanted_width(app).clamp(30, body.width * 9 / 20);
        let [list, pane] =
            Layout::horizontal([Constraint::Length(list_width), Constraint::Min(1)]).areas(body);
        checks::draw(f, list, app, true);
        detail::draw(f, pane, app, true);
    } else {
        // Stacked: the list gets what its rows need but never more than half, so the root
        // cause's remedy stays readable on 80×24.
        let wanted = app.slots.len() as u16 + 1;
        let list_height = wanted.min(body.height / 2).max(2);
        let [list, pane] =
            Layout::vertical([Constraint::Length(list_height), Constraint::Min(1)]).areas(body);
        checks::draw(f, list, app, false);
        detail::draw(f, pane, app, false);
    }
    match &app.overlay {
        Some(Overlay::Help) => help::draw(f, area, app),
        Some(Overlay::ConfirmPii) => popup::confirm_pii(f, area, app),
        Some(Overlay::ExportFormat) => popup::export_format(f, area, app),
        Some(Overlay::Notice(n)) => popup::notice(f, area, app, n),
        Some(Overlay::Scenarios(p)) => scenarios::draw(f, area, app, p),
        Some(Overlay::Password) => popup::password(f, area, app),
        None => {}
    }
    if app.theme().ascii {
        fold_to_ascii(f);
    }
}

fn fold_to_ascii(f: &mut Frame) {
    for cell in f.buffer_mut().content.iter_mut() {
        if let Some(a) = super::theme::fold_ascii(cell.symbol()) {
            cell.set_symbol(a);
        }
    }
}

fn too_small(f: &mut Frame, area: Rect, app: &App) {
    let msg = ui("tui.too_small", app.lang);
    let lines: Vec<Line> = text::wrap(&msg, area.width.max(1) as usize)
        .into_iter()
        .map(Line::from)
        .collect();
    f.render_widget(Paragraph::new(lines), area);
}

/// The status word of a mark in the current language ("通過", "running"…).
pub(super) fn mark_word(app: &App, mark: Mark) -> String {
    match mark {
        Mark::Done(s) => ui(&format!("status.{}", s.key()), app.lang),
        Mark::Running => ui("tui.status.running", app.lang),
        Mark::Pending => ui("tui.status.pending", app.lang),
    }
}

/// The widest status word, so the titles after it line up.
pub(super) fn mark_word_width(app: &App) -> usize {
    let statuses = [
        Status::Pass,
        Status::Warn,
        Status::Fail,
        Status::Skipped,
        Status::TimedOut,
        Status::Crashed,
    ];
    statuses
        .into_iter()
        .map(Mark::Done)
        .chain([Mark::Running, Mark::Pending])
        .map(|m| text::width(&mark_word(app, m)))
        .max()
        .unwrap_or(4)
}

pub(super) fn duration_text(d: std::time::Duration) -> String {
    if d < std::time::Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A section with a rule on top carrying its title (saves rows and columns on 80×24).
pub(super) fn section<'a>(app: &App, title: Line<'a>, left_rule: bool) -> Block<'a> {
    let borders = if left_rule {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    Block::new()
        .borders(borders)
        .border_set(app.theme().border())
        .border_style(app.theme().dim())
        .title(title)
}

/// A framed box drawn over the screen, centred, `width` × `height` at most.
pub(super) fn overlay_box<'a>(
    f: &mut Frame,
    area: Rect,
    app: &App,
    width: u16,
    height: u16,
    title: &str,
    hint: &str,
) -> (Rect, Block<'a>) {
    let w = width.min(area.width.saturating_sub(2)).max(10);
    let h = height.min(area.height.saturating_sub(1)).max(3);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 2,
        width: w,
        height: h,
    };
    clear(f, rect);
    let t = app.theme();
    let block = Block::new()
        .borders(Borders::ALL)
        .border_set(t.border())
        .title(Line::from(Span::styled(format!(" {title} "), t.bold())))
        .title_bottom(Line::from(Span::styled(format!(" {hint} "), t.dim())).right_aligned());
    (rect, block)
}

/// Blanks `rect`, and a wide character just left of it whose right half it would cut
/// (the terminal would otherwise show half a glyph, or lose the box's corner).
fn clear(f: &mut Frame, rect: Rect) {
    f.render_widget(Clear, rect);
    if rect.x == 0 {
        return;
    }
    let buf = f.buffer_mut();
    for y in rect.top()..rect.bottom().min(buf.area.bottom()) {
        let cell = &mut buf[(rect.x - 1, y)];
        if text::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

/// Wraps a paragraph of plain text into styled lines.
pub(super) fn wrapped(text_in: &str, width: usize, style: Style) -> Vec<Line<'static>> {
    text::wrap(text_in, width)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}
