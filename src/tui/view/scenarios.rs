//! The demo's scenario picker: a filterable list of scenarios, the highlighted one's story
//! and expected root cause underneath, the one running now marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::{App, Picker};
use super::super::text;
use super::{overlay_box, wrapped};
use crate::i18n::{self, ui};

const WIDTH: u16 = 96;

pub fn draw(f: &mut Frame, area: Rect, app: &App, p: &Picker) {
    let t = app.theme();
    let l = app.lang;
    let inner_width = WIDTH.min(area.width.saturating_sub(2)).saturating_sub(2) as usize;
    let matches = app.picker_matches(&p.filter);
    let current = app
        .demo
        .as_ref()
        .map(|d| d.current.id.as_str())
        .unwrap_or_default();
    let arg = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];

    let mut head: Vec<Line> = vec![Line::styled(
        i18n::fill(
            &ui("tui.demo.filter", l),
            &arg("text", &format!("{}_", p.filter)),
        ),
        t.fg(Color::Cyan),
    )];
    let mut foot: Vec<Line> = vec![Line::from("")];
    match matches.get(p.cursor) {
        Some(s) => {
            foot.extend(wrapped(s.story.get(l), inner_width, t.fg(Color::Yellow)));
            let expect = crate::demo::expectation(s, l);
            foot.extend(wrapped(
                &i18n::fill(&ui("tui.demo.expect", l), &arg("expect", &expect)),
                inner_width,
                t.dim(),
            ));
        }
        None => head.push(Line::styled(ui("tui.demo.no_match", l), t.fg(Color::Red))),
    }

    // The list gets what is left of the screen; the window follows the cursor.
    let max_height = area.height.saturating_sub(2) as usize;
    let rows = max_height
        .saturating_sub(2 + head.len() + foot.len())
        .max(3)
        .min(matches.len().max(1));
    let first = p
        .cursor
        .saturating_sub(rows.saturating_sub(1))
        .min(matches.len().saturating_sub(rows));
    let id_width = matches.iter().map(|s| s.id.len()).max().unwrap_or(8);
    let mut list: Vec<Line> = Vec::new();
    for (i, s) in matches.iter().enumerate().skip(first).take(rows) {
        let marker = if s.id == current { t.pointer() } else { " " };
        let row = text::truncate(
            &format!("{marker} {:id_width$}  {}", s.id, s.title.get(l)),
            inner_width,
        );
        let style = if i == p.cursor {
            t.selected()
        } else if s.id == current {
            t.bold()
        } else {
            Style::new()
        };
        list.push(Line::from(Span::styled(
            text::pad(&row, inner_width),
            style,
        )));
    }

    let mut lines = head;
    lines.extend(list);
    lines.extend(foot);
    let hint = if t.ascii {
        "tui.demo.picker_hint_ascii"
    } else {
        "tui.demo.picker_hint"
    };
    let (rect, block) = overlay_box(
        f,
        area,
        app,
        WIDTH,
        lines.len() as u16 + 2,
        &ui("tui.demo.picker_title", l),
        &ui(hint, l),
    );
    let inner = block.inner(rect);
    f.render_widget(block, rect);
    f.render_widget(Paragraph::new(lines), inner);
}
