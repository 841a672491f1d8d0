//! The selected check in full, from the one report model (so masking and language match
//! the reports): status, summary, the remedy (title, numbered steps, why, links,
//! contacts) and the masked evidence. The remedy comes before the evidence so that on
//! 80×24 the first steps are on screen without scrolling.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::{App, CheckState};
use super::super::text;
use super::super::theme::Mark;
use super::{duration_text, mark_word, section, wrapped};
use crate::engine::Status;
use crate::i18n::{self, ui};
use crate::report::model::{CheckReport, RemedyReport, labelled_evidence};

pub fn draw(f: &mut Frame, area: Rect, app: &App, left_rule: bool) {
    let Some(slot) = app.slots.get(app.selected) else {
        return;
    };
    let t = app.theme();
    let title = app
        .profile
        .check(&slot.id)
        .map(|c| c.title.get(app.lang).to_string())
        .unwrap_or_else(|| slot.id.clone());
    let probe = section(app, Line::from(""), left_rule);
    let inner = probe.inner(area);
    let width = inner.width.max(1) as usize;
    let lines = lines(app, width);

    let height = inner.height;
    let max_scroll = (lines.len() as u16).saturating_sub(height);
    app.detail_max_scroll.set(max_scroll);
    app.detail_page.set(height);
    let scroll = app.detail_scroll.min(max_scroll);

    let mut block = section(
        app,
        Line::from(Span::styled(format!(" {title} "), t.bold())),
        left_rule,
    );
    if scroll < max_scroll {
        let more = format!(" {} {} ", t.more_below(), ui("tui.more", app.lang));
        block = block.title(Line::from(Span::styled(more, t.dim())).right_aligned());
    }
    f.render_widget(block, area);
    f.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
}

pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let Some(slot) = app.slots.get(app.selected) else {
        return Vec::new();
    };
    let t = app.theme();
    let mark = app.mark(slot);
    match (&slot.state, app.check_report(&slot.id)) {
        (CheckState::Done(o), Some(c)) => {
            let mut out = vec![status_line(app, mark, Some(o.duration), app.is_root(&c.id))];
            out.extend(wrapped(
                &c.summary,
                width,
                Style::new().add_modifier(Modifier::BOLD),
            ));
            if app.waiting_for_card() && app.is_root(&c.id) {
                out.extend(wrapped(
                    &format!("{} {}", t.pointer(), ui(insert_card_key(app), app.lang)),
                    width,
                    t.fg(Color::Yellow).add_modifier(Modifier::BOLD),
                ));
            }
            if let Some(rem) = &c.remedy {
                remedy(app, rem, width, &mut out);
            }
            evidence(app, c, width, &mut out);
            out
        }
        _ => {
            let key = match mark {
                Mark::Running => "tui.detail.running",
                _ if !app.running && on_request(app, &slot.id) => "tui.password.hint",
                _ => "tui.detail.pending",
            };
            let mut out = vec![status_line(app, mark, None, false)];
            out.extend(wrapped(&ui(key, app.lang), width, t.dim()));
            out
        }
    }
}

fn on_request(app: &App, id: &str) -> bool {
    app.profile
        .check(id)
        .is_some_and(|c| c.descriptor.on_request)
}

/// With the watcher running the card is noticed on its own; without it, say to press r.
fn insert_card_key(app: &App) -> &'static str {
    if app.watching {
        "tui.insert_card"
    } else {
        "tui.insert_card_then_r"
    }
}

fn status_line(
    app: &App,
    mark: Mark,
    duration: Option<std::time::Duration>,
    root: bool,
) -> Line<'static> {
    let t = app.theme();
    let mut spans = vec![Span::styled(
        format!("{} {}", t.glyph(mark, app.spinner), mark_word(app, mark)),
        t.mark_style(mark),
    )];
    if let (Some(d), Mark::Done(s)) = (duration, mark)
        && s != Status::Skipped
    {
        spans.push(Span::styled(format!(" · {}", duration_text(d)), t.dim()));
    }
    if root {
        spans.push(Span::styled(
            format!(
                "  {} {}",
                t.back_pointer(),
                ui("report.root_cause", app.lang)
            ),
            t.mark_style(mark).add_modifier(Modifier::BOLD),
        ));
    }
    Line::from(spans)
}

fn labelled(app: &App, key: &str, value: &str) -> String {
    i18n::fill(
        &ui("tui.labelled", app.lang),
        &[
            ("label".to_string(), ui(key, app.lang)),
            ("value".to_string(), value.to_string()),
        ],
    )
}

fn remedy(app: &App, rem: &RemedyReport, width: usize, out: &mut Vec<Line<'static>>) {
    let t = app.theme();
    out.push(Line::from(""));
    out.extend(wrapped(
        &labelled(app, "report.remedy", &rem.title),
        width,
        t.fg(Color::Cyan).add_modifier(Modifier::BOLD),
    ));
    for (i, step) in rem.steps.iter().enumerate() {
        let prefix = format!("{:>2}. ", i + 1);
        out.extend(
            text::wrap_hanging(&prefix, step, width)
                .into_iter()
                .map(Line::from),
        );
    }
    if !rem.why.trim().is_empty() {
        out.extend(wrapped(
            &labelled(app, "report.why", rem.why.trim()),
            width,
            t.dim(),
        ));
    }
    for link in &rem.links {
        let prefix = format!("{} ", if t.ascii { "*" } else { "•" });
        out.extend(
            text::wrap_hanging(&prefix, &format!("{} <{}>", link.label, link.url), width)
                .into_iter()
                .map(|l| Line::styled(l, t.fg(Color::Blue))),
        );
    }
    if !rem.contact.is_empty() {
        out.extend(wrapped(
            &labelled(
                app,
                "report.contact",
                &rem.contact.join(&ui("tui.list_sep", app.lang)),
            ),
            width,
            Style::new(),
        ));
    }
}

fn evidence(app: &App, c: &CheckReport, width: usize, out: &mut Vec<Line<'static>>) {
    if c.evidence.is_empty() {
        return;
    }
    let t = app.theme();
    out.push(Line::from(""));
    out.push(Line::styled(ui("report.evidence", app.lang), t.bold()));
    for (label, value) in labelled_evidence(c, app.lang) {
        let prefix = format!(
            "  {}",
            i18n::fill(
                &ui("tui.labelled", app.lang),
                &[
                    ("label".to_string(), label),
                    ("value".to_string(), String::new())
                ]
            )
        );
        out.extend(
            text::wrap_hanging(&prefix, value, width)
                .into_iter()
                .map(Line::from),
        );
    }
    let privacy = if app.reveal_pii {
        "tui.pii_shown"
    } else {
        "tui.pii_masked_hint"
    };
    out.extend(wrapped(&ui(privacy, app.lang), width, t.dim()));
}
