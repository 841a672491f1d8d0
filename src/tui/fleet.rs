//! The console's fleet view (`ecpa-doctor fleet view REPORTS`): the sweep's causes ranked
//! by how many PCs they hit on the left, the PCs under the selected one on the right, one
//! PC's report over both on Enter. State and keys in `FleetView`; `draw` only draws.

use std::path::Path;

use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::text::truncate;
use super::theme::Theme;
use crate::fleet::render::{cause_line, counts_line, state_word, title_line};
use crate::fleet::summary::{FleetSummary, Pc, PcState};
use crate::i18n::{self, Lang};

/// One line of the left list: a root cause, a warning, or the PCs in one state.
#[derive(Clone, Debug)]
pub struct Group {
    pub label: String,
    pub pcs: Vec<String>,
    pub blocking: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    Groups,
    Pcs,
}

pub struct FleetView {
    pub summary: FleetSummary,
    pub groups: Vec<Group>,
    pub group: usize,
    pub pc: usize,
    pub focus: Focus,
    /// One PC's report, open over the lists: its lines and the first one shown.
    pub report: Option<(String, Vec<String>, usize)>,
    pub lang: Lang,
}

/// What a key did.
#[derive(Debug, PartialEq, Eq)]
pub enum Step {
    Continue,
    Quit,
}

fn groups_of(s: &FleetSummary) -> Vec<Group> {
    let mut out: Vec<Group> = Vec::new();
    for (causes, blocking) in [(&s.root_causes, true), (&s.warnings, false)] {
        out.extend(causes.iter().map(|c| Group {
            label: cause_line(c, s.lang),
            pcs: c.pcs.clone(),
            blocking,
        }));
    }
    for state in [PcState::Unreachable, PcState::Unreadable, PcState::Healthy] {
        let pcs: Vec<String> = s.in_state(state).map(|p| p.pc.clone()).collect();
        if !pcs.is_empty() {
            out.push(Group {
                label: format!("{} — {}", pcs.len(), state_word(state, s.lang)),
                pcs,
                blocking: state != PcState::Healthy,
            });
        }
    }
    out
}

impl FleetView {
    pub fn new(summary: FleetSummary, lang: Lang) -> FleetView {
        FleetView {
            groups: groups_of(&summary),
            summary,
            group: 0,
            pc: 0,
            focus: Focus::Groups,
            report: None,
            lang,
        }
    }

    fn selected_pc(&self) -> Option<&Pc> {
        let name = self.groups.get(self.group)?.pcs.get(self.pc)?;
        self.summary.pcs.iter().find(|p| &p.pc == name)
    }

    pub fn key(&mut self, code: KeyCode) -> Step {
        if let Some((_, lines, top)) = &mut self.report {
            match code {
                KeyCode::Char('q') => return Step::Quit,
                KeyCode::Esc | KeyCode::Backspace | KeyCode::Left => self.report = None,
                KeyCode::Down | KeyCode::Char('j') => {
                    *top = (*top + 1).min(lines.len().saturating_sub(1))
                }
                KeyCode::Up | KeyCode::Char('k') => *top = top.saturating_sub(1),
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    *top = (*top + 20).min(lines.len().saturating_sub(1))
                }
                KeyCode::PageUp => *top = top.saturating_sub(20),
                _ => {}
            }
            return Step::Continue;
        }
        let pcs = self.groups.get(self.group).map_or(0, |g| g.pcs.len());
        match (code, self.focus) {
            (KeyCode::Char('q') | KeyCode::Esc, _) => return Step::Quit,
            (KeyCode::Tab | KeyCode::Right, Focus::Groups) if pcs > 0 => self.focus = Focus::Pcs,
            (KeyCode::Tab | KeyCode::Left, Focus::Pcs) => self.focus = Focus::Groups,
            (KeyCode::Down | KeyCode::Char('j'), Focus::Groups)
                if self.group + 1 < self.groups.len() =>
            {
                self.group += 1;
                self.pc = 0;
            }
            (KeyCode::Up | KeyCode::Char('k'), Focus::Groups) => {
                self.group = self.group.saturating_sub(1);
                self.pc = 0;
            }
            (KeyCode::Down | KeyCode::Char('j'), Focus::Pcs) => {
                self.pc = (self.pc + 1).min(pcs.saturating_sub(1));
            }
            (KeyCode::Up | KeyCode::Char('k'), Focus::Pcs) => self.pc = self.pc.saturating_sub(1),
            (KeyCode::Enter, Focus::Groups) if pcs > 0 => self.focus = Focus::Pcs,
            (KeyCode::Enter, Focus::Pcs) => self.open_report(),
            _ => {}
        }
        Step::Continue
    }

    /// The selected PC's report as the text report prints it; for a PC without one, what
    /// its file says.
    fn open_report(&mut self) {
        let Some(pc) = self.selected_pc().cloned() else {
            return;
        };
        let text = match pc.state {
            PcState::Unreachable | PcState::Unreadable => {
                format!(
                    "{}\n\n{}\n{}",
                    state_word(pc.state, self.lang),
                    pc.file,
                    pc.detail
                )
            }
            _ => report_text(Path::new(&pc.file), self.lang),
        };
        self.report = Some((pc.pc, text.lines().map(str::to_string).collect(), 0));
    }
}

/// A report file as the text report prints it (it was read once already, so it is a
/// schema-1 report without revealed PII; read again with the same cap).
fn report_text(file: &Path, lang: Lang) -> String {
    let bytes = match crate::fleet::read::read_capped(file) {
        Ok(b) => b,
        Err(why) => return format!("{}: {}", file.display(), why.render(lang)),
    };
    match serde_json::from_slice::<crate::report::model::Report>(&bytes) {
        Ok(r) if !r.pii_revealed => crate::report::text::render(&r),
        Ok(_) => "--show-pii".into(),
        Err(e) => format!("{}: {e}", file.display()),
    }
}

/// Draws the view; changes nothing.
pub fn draw(f: &mut Frame, v: &FleetView, theme: &Theme) {
    let area = f.area();
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(area);
    let title = title_line(&v.summary);
    let counts = counts_line(&v.summary);
    f.render_widget(
        Paragraph::new(vec![
            Line::from(Span::styled(title, theme.bold())),
            Line::from(counts),
        ]),
        head,
    );
    f.render_widget(
        Paragraph::new(Line::from(Span::styled(
            i18n::ui("fleet.view.help", v.lang),
            theme.dim(),
        ))),
        foot,
    );
    if let Some((pc, lines, top)) = &v.report {
        draw_report(f, body, v, pc, lines, *top, theme);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
    let causes: Vec<String> = v
        .groups
        .iter()
        .map(|g| {
            let mark = match (g.blocking, theme.ascii) {
                (true, true) => "x",
                (true, false) => "✘",
                (false, _) => "!",
            };
            format!("{mark} {}", g.label)
        })
        .collect();
    draw_list(
        f,
        left,
        (
            i18n::ui("fleet.view.causes", v.lang),
            v.focus == Focus::Groups,
        ),
        &causes,
        (Some(v.group), v.group),
        theme,
    );
    let pcs = v.groups.get(v.group).map_or(&[][..], |g| g.pcs.as_slice());
    draw_list(
        f,
        right,
        (i18n::ui("fleet.view.pcs", v.lang), v.focus == Focus::Pcs),
        pcs,
        ((v.focus == Focus::Pcs).then_some(v.pc), v.pc),
        theme,
    );
}

/// A framed list, its title bold when it has the focus, the `highlight`ed row in reverse
/// video, scrolled so row `at` is on screen.
fn draw_list(
    f: &mut Frame,
    area: Rect,
    (title, focused): (String, bool),
    items: &[String],
    (highlight, at): (Option<usize>, usize),
    theme: &Theme,
) {
    let width = area.width.saturating_sub(4) as usize;
    let visible = area.height.saturating_sub(2) as usize;
    let skip = at.saturating_sub(visible.saturating_sub(1));
    let rows: Vec<Line> = items
        .iter()
        .enumerate()
        .skip(skip)
        .map(|(i, item)| {
            let text = truncate(item, width);
            if highlight == Some(i) {
                Line::from(Span::styled(text, theme.selected()))
            } else {
                Line::from(text)
            }
        })
        .collect();
    let title = if focused {
        Span::styled(title, theme.bold())
    } else {
        Span::raw(title)
    };
    f.render_widget(
        Paragraph::new(rows).block(
            Block::default()
                .borders(Borders::ALL)
                .border_set(theme.border())
                .title(title),
        ),
        area,
    );
}

fn draw_report(
    f: &mut Frame,
    area: Rect,
    v: &FleetView,
    pc: &str,
    lines: &[String],
    top: usize,
    theme: &Theme,
) {
    let title = i18n::fill(
        &i18n::ui("fleet.view.report", v.lang),
        &[("pc".into(), pc.into())],
    );
    let width = area.width.saturating_sub(2) as usize;
    let shown: Vec<Line> = lines
        .iter()
        .skip(top)
        .take(area.height as usize)
        .map(|l| Line::from(truncate(l, width)))
        .collect();
    f.render_widget(
        Paragraph::new(shown).block(
            Block::default()
                .borders(Borders::ALL)
                .border_set(theme.border())
                .title(Span::styled(title, theme.bold())),
        ),
        area,
    );
}

/// Runs the view in the terminal until `q`; the exit status is the summary's.
pub fn run(summary: FleetSummary, lang: Lang) -> std::io::Result<i32> {
    let theme = Theme::from_env(false, std::env::var_os("NO_COLOR").as_deref());
    let code = summary.exit_code;
    let mut view = FleetView::new(summary, lang);
    let mut terminal = super::term::enter()?;
    let result = (|| -> std::io::Result<()> {
        loop {
            terminal.draw(|f| draw(f, &view, &theme))?;
            if let Event::Key(k) = event::read()? {
                if k.kind != KeyEventKind::Press {
                    continue;
                }
                let quit_keys =
                    k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL);
                if quit_keys || view.key(k.code) == Step::Quit {
                    return Ok(());
                }
            }
        }
    })();
    super::term::restore();
    result.map(|()| code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::read::parse_report;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn summary() -> FleetSummary {
        let report = |finding: &str| {
            format!(
                r#"{{"schema_version":1,"lang":"en","pii_revealed":false,"verdict":"blocking_failure",
                "root_cause":{{"check":"card","title":"NHI card","finding":"{finding}","summary":"s"}},
                "checks":[{{"id":"card","title":"NHI card","status":"fail","finding":"{finding}"}}]}}"#
            )
        };
        let entries = vec![
            (
                "pc-01".to_string(),
                "pc-01.json".into(),
                parse_report(report("card.none").as_bytes()),
            ),
            (
                "pc-02".to_string(),
                "pc-02.json".into(),
                parse_report(report("card.none").as_bytes()),
            ),
            (
                "pc-03".to_string(),
                "pc-03.json".into(),
                parse_report(report("reader.none").as_bytes()),
            ),
            (
                "pc-04".to_string(),
                "pc-04.unreachable.json".into(),
                crate::fleet::Entry::Unreachable(
                    "ssh: connect to host pc-04 port 22: Connection refused".into(),
                ),
            ),
        ];
        crate::fleet::summarize(&entries, Lang::En)
    }

    fn screen(v: &FleetView) -> String {
        let mut t = Terminal::new(TestBackend::new(90, 16)).unwrap();
        t.draw(|f| {
            draw(
                f,
                v,
                &Theme {
                    color: false,
                    ascii: false,
                },
            )
        })
        .unwrap();
        let buf = t.backend().buffer().clone();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn causes_are_ranked_and_their_pcs_shown() {
        let v = FleetView::new(summary(), Lang::En);
        let s = screen(&v);
        assert!(s.contains("fleet sweep — 4 PCs"), "{s}");
        let first = s.find("2 PCs — NHI card: card.none").expect(&s);
        let second = s.find("1 PC — NHI card: reader.none").expect(&s);
        assert!(first < second, "{s}");
        assert!(
            s.contains("pc-01") && s.contains("pc-02") && !s.contains("pc-03"),
            "{s}"
        );
        assert!(s.contains("1 — unreachable"), "{s}");
    }

    #[test]
    fn keys_move_between_causes_and_pcs_and_open_a_pc() {
        let mut v = FleetView::new(summary(), Lang::En);
        v.key(KeyCode::Down);
        assert!(screen(&v).contains("pc-03"));
        v.key(KeyCode::Down);
        v.key(KeyCode::Enter);
        assert_eq!(v.focus, Focus::Pcs);
        v.key(KeyCode::Enter);
        let s = screen(&v);
        assert!(
            s.contains("Report of pc-04") && s.contains("Connection refused"),
            "{s}"
        );
        v.key(KeyCode::Esc);
        assert!(v.report.is_none());
        assert_eq!(v.key(KeyCode::Char('q')), Step::Quit);
    }
}
