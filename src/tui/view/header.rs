//! Two header rows: who and where (tool, version, profile, host, DEMO/real, clock), then
//! the state of the run in one sentence (progress, or the root cause, or all good).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::super::app::App;
use super::super::text;
use super::super::theme::Mark;
use crate::engine::Status;
use crate::engine::run::Verdict;
use crate::i18n::{self, ui};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let width = area.width as usize;
    let lines = vec![identity_line(app, width), state_line(app, width)];
    f.render_widget(Paragraph::new(lines), area);
}

fn identity_line(app: &App, width: usize) -> Line<'static> {
    let t = app.theme();
    let l = app.lang;
    let banner_key = if app.setup.demo {
        "tui.banner.demo"
    } else {
        "tui.banner.real"
    };
    let banner = format!(" {} ", ui(banner_key, l));
    let banner_style = if app.setup.demo {
        t.fg(Color::Magenta)
            .add_modifier(Modifier::REVERSED | Modifier::BOLD)
    } else {
        t.fg(Color::Green).add_modifier(Modifier::BOLD)
    };
    let right = format!(" {}", app.clock);
    let right_width = text::width(&banner) + text::width(&right);
    // In the demo the machine is the scenario's, not this host, and its title matters more
    // than the profile's on a narrow screen.
    let left = match &app.demo {
        Some(d) => {
            let scenario = i18n::fill(
                &ui("tui.demo.scenario", l),
                &[("title".to_string(), d.current.title.get(l).to_string())],
            );
            format!(
                "ecpa-doctor {}{}{}",
                app.setup.version,
                t.separator(),
                scenario
            )
        }
        None => {
            let host = if app.setup.host.hostname.is_empty() {
                app.setup.host.os.clone()
            } else {
                app.setup.host.hostname.clone()
            };
            format!(
                "ecpa-doctor {}{}{}{}{}",
                app.setup.version,
                t.separator(),
                app.report.profile.title,
                t.separator(),
                host
            )
        }
    };
    let left_room = width.saturating_sub(right_width + 1);
    Line::from(vec![
        Span::styled(text::pad(&left, left_room), t.bold()),
        Span::raw(" "),
        Span::styled(banner, banner_style),
        Span::raw(right),
    ])
}

fn state_line(app: &App, width: usize) -> Line<'static> {
    let t = app.theme();
    let l = app.lang;
    let pii = if app.reveal_pii {
        format!(" {} ", ui("tui.pii_shown", l))
    } else {
        String::new()
    };
    let room = width.saturating_sub(text::width(&pii));
    let (glyph, sentence, mark) = if app.running {
        let progress = format!(
            "{} {}/{}",
            ui("tui.checking", l),
            app.done_count(),
            app.slots.len()
        );
        (t.glyph(Mark::Running, app.spinner), progress, Mark::Running)
    } else {
        match (&app.report.root_cause, app.report.verdict) {
            (Some(rc), _) => {
                let status = app.status_of(&rc.check).unwrap_or(Status::Fail);
                let args = [
                    ("check".to_string(), rc.title.clone()),
                    ("summary".to_string(), rc.summary.clone()),
                ];
                (
                    t.glyph(Mark::Done(status), 0),
                    i18n::fill(&ui("tui.root_cause_line", l), &args),
                    Mark::Done(status),
                )
            }
            (None, Verdict::Warnings) => (
                t.glyph(Mark::Done(Status::Warn), 0),
                ui("verdict.warnings", l),
                Mark::Done(Status::Warn),
            ),
            (None, _) if app.done_count() == 0 => (
                t.glyph(Mark::Pending, 0),
                ui("tui.not_run", l),
                Mark::Pending,
            ),
            (None, _) => (
                t.glyph(Mark::Done(Status::Pass), 0),
                ui("verdict.healthy", l),
                Mark::Done(Status::Pass),
            ),
        }
    };
    let body = text::pad(&format!("{glyph} {sentence}"), room);
    let mut spans = vec![Span::styled(
        body,
        t.mark_style(mark).add_modifier(Modifier::BOLD),
    )];
    if !pii.is_empty() {
        spans.push(Span::styled(
            pii,
            t.fg(Color::Red).add_modifier(Modifier::REVERSED),
        ));
    }
    Line::from(spans).style(Style::new())
}
