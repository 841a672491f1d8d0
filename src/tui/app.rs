//! The console's state and how it changes: one `App`, one `Msg` for everything that
//! happens (keys, engine events, PC/SC changes, timers), and `update`, which changes the
//! state and asks for side effects (`Cmd`) instead of performing them. Nothing here
//! touches the terminal or the machine, so tests drive it with hand-made messages.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Local};
use crossterm::event::{KeyCode, KeyEvent};

use super::keys::{self, Action};
use super::theme::{Mark, Theme};
use crate::demo::Scenario;
use crate::engine::outcome::Outcome;
use crate::engine::run::{Event, Request, RunResult};
use crate::engine::{Profile, Status, Trigger};
use crate::i18n::Lang;
use crate::probes::registration;
use crate::report::Format;
use crate::report::model::{self as model, CheckReport, HostInfo, Report};

#[derive(Clone, Debug, PartialEq)]
pub enum CheckState {
    Pending,
    Running,
    Done(Outcome),
}

#[derive(Clone, Debug)]
pub struct Slot {
    pub id: String,
    pub state: CheckState,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Overlay {
    Help,
    ConfirmPii,
    ExportFormat,
    Notice(Notice),
    /// Demo: the scenario picker.
    Scenarios(Picker),
    /// The registration password being typed (the text itself is in `App::password`).
    Password,
}

/// The scenario picker's state: what the operator typed to filter, and the highlighted
/// row among the scenarios that match it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Picker {
    pub filter: String,
    pub cursor: usize,
}

/// The demo's side of the console: the scenarios and the one whose world runs now.
#[derive(Clone, Debug)]
pub struct Demo {
    pub scenarios: Vec<&'static Scenario>,
    pub current: &'static Scenario,
    /// A world is being built; keys that would switch again wait for it.
    pub switching: bool,
}

/// A new simulated world is up: its scenario and profile (the runtime already runs
/// checks against its system).
#[derive(Debug)]
pub struct WorldReady {
    pub scenario: &'static Scenario,
    pub profile: Arc<Profile>,
    /// Set when the fix key led here: the scenario whose remedy was applied.
    pub fixed_from: Option<&'static Scenario>,
}

/// The outcome of something the operator asked for, shown until the next key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Exported(String),
    ExportFailed(String),
    Copied(usize),
    CopyFailed(String),
    /// Export and copy wait for the running checks, so a report is never half-filled.
    Busy,
    /// Demo: the scenario's remedy was applied; (from, to) scenario ids.
    Fixed(String, String),
    /// Demo: the scenario has nothing to fix.
    NothingToFix,
    /// Demo keys pressed outside the demo.
    NotDemo,
    SwitchFailed(String),
    /// `w` while checks run: the password check waits for them.
    PasswordBusy,
    /// `w` with a profile that has no password check.
    NoPasswordCheck,
}

/// What the PC/SC watcher saw change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PcscChange {
    /// The service came up or went away.
    Service,
    /// A reader was plugged in or pulled out.
    Readers,
    /// A card was inserted, removed or swapped.
    Card,
}

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Resize,
    /// Spinner frame; only sent while checks run.
    Tick,
    /// The header clock's text (HH:MM); sent once a minute.
    Clock(String),
    Engine {
        run_id: u64,
        event: Event,
    },
    RunDone {
        run_id: u64,
        started_at: DateTime<Local>,
        duration: Duration,
    },
    Pcsc(PcscChange),
    /// Whether the PC/SC watcher is running (it is not while the service is down).
    Watching(bool),
    Exported(Result<String, String>),
    Copied(Result<usize, String>),
    /// SIGTERM / SIGHUP / SIGINT: leave with this exit status.
    Signal(i32),
    /// Demo: the world asked for with `Cmd::Switch` is up, or could not be built.
    World(Result<WorldReady, String>),
}

/// Side effects `update` asks the runtime to perform.
#[derive(Debug)]
pub enum Cmd {
    Run {
        run_id: u64,
        request: Request,
    },
    Export {
        text: String,
        extension: &'static str,
    },
    Copy {
        text: String,
    },
    /// Demo: build the world of this scenario and run the checks against it.
    Switch {
        scenario: String,
        fixed_from: Option<&'static Scenario>,
    },
}

#[derive(Debug, Default)]
pub struct Step {
    pub redraw: bool,
    pub cmds: Vec<Cmd>,
}

impl Step {
    fn redraw() -> Step {
        Step {
            redraw: true,
            cmds: Vec::new(),
        }
    }

    fn nothing() -> Step {
        Step::default()
    }

    fn with(cmds: Vec<Cmd>) -> Step {
        Step { redraw: true, cmds }
    }
}

/// Which checks a (re-)run covers: `None` is all of them.
type Scope = Option<HashSet<String>>;

/// Fixed facts the console shows, decided before it starts.
#[derive(Clone, Debug)]
pub struct Setup {
    pub lang: Lang,
    pub reveal_pii: bool,
    pub ticket: Option<String>,
    pub demo: bool,
    pub host: HostInfo,
    pub version: String,
    pub theme: Theme,
}

pub struct App {
    pub profile: Arc<Profile>,
    pub setup: Setup,
    pub lang: Lang,
    pub reveal_pii: bool,
    pub slots: Vec<Slot>,
    pub selected: usize,
    /// Enter: the detail pane takes the whole body.
    pub zoomed: bool,
    pub detail_scroll: u16,
    /// Written by the view (how far the detail pane can scroll, how tall it is), read by
    /// `update` to page and clamp; the view stays otherwise read-only.
    pub detail_max_scroll: Cell<u16>,
    pub detail_page: Cell<u16>,
    pub overlay: Option<Overlay>,
    pub clock: String,
    pub spinner: usize,
    pub watching: bool,
    pub run_id: u64,
    pub running: bool,
    queued: Option<Scope>,
    pub started_at: DateTime<Local>,
    pub duration: Duration,
    /// The one report model, rebuilt whenever an outcome, the language or the PII
    /// setting changes: the detail pane, export and copy all read it.
    pub report: Report,
    pub exit: Option<i32>,
    /// Only in the demo.
    pub demo: Option<Demo>,
    /// The registration password while the operator types it; wiped when the dialog
    /// closes or the run takes it.
    pub password: Option<crate::account::secret::Password>,
}

impl App {
    pub fn new(
        profile: Arc<Profile>,
        setup: Setup,
        clock: String,
        started_at: DateTime<Local>,
    ) -> App {
        let slots = profile
            .checks
            .iter()
            .map(|c| Slot {
                id: c.id.clone(),
                state: CheckState::Pending,
            })
            .collect();
        let lang = setup.lang;
        let reveal_pii = setup.reveal_pii;
        let mut app = App {
            report: empty_report(&profile, &setup, started_at),
            profile,
            setup,
            lang,
            reveal_pii,
            slots,
            selected: 0,
            zoomed: false,
            detail_scroll: 0,
            detail_max_scroll: Cell::new(0),
            detail_page: Cell::new(10),
            overlay: None,
            clock,
            spinner: 0,
            watching: false,
            run_id: 0,
            running: false,
            queued: None,
            started_at,
            duration: Duration::ZERO,
            exit: None,
            demo: None,
            password: None,
        };
        app.rebuild();
        app
    }

    /// The first run; `only` as given by `--check`.
    pub fn start(&mut self, only: Scope) -> Vec<Cmd> {
        self.start_run(only)
    }

    pub fn theme(&self) -> Theme {
        self.setup.theme
    }

    pub fn update(&mut self, msg: Msg) -> Step {
        match msg {
            Msg::Key(k) => self.on_key(k),
            Msg::Resize => Step::redraw(),
            Msg::Tick if self.running => {
                self.spinner = self.spinner.wrapping_add(1);
                Step::redraw()
            }
            Msg::Tick => Step::nothing(),
            Msg::Clock(c) if c != self.clock => {
                self.clock = c;
                Step::redraw()
            }
            Msg::Clock(_) => Step::nothing(),
            Msg::Engine { run_id, event } if run_id == self.run_id => self.on_engine(event),
            Msg::Engine { .. } => Step::nothing(),
            Msg::RunDone {
                run_id,
                started_at,
                duration,
            } if run_id == self.run_id => self.on_run_done(started_at, duration),
            Msg::RunDone { .. } => Step::nothing(),
            Msg::Pcsc(change) => self.on_pcsc(change),
            Msg::Watching(w) if w != self.watching => {
                self.watching = w;
                Step::redraw()
            }
            Msg::Watching(_) => Step::nothing(),
            Msg::Exported(r) => self.notice(match r {
                Ok(path) => Notice::Exported(path),
                Err(e) => Notice::ExportFailed(e),
            }),
            Msg::Copied(r) => self.notice(match r {
                Ok(n) => Notice::Copied(n),
                Err(e) => Notice::CopyFailed(e),
            }),
            Msg::Signal(code) => {
                self.exit = Some(code);
                Step::nothing()
            }
            Msg::World(r) => self.on_world(r),
        }
    }

    fn notice(&mut self, n: Notice) -> Step {
        self.overlay = Some(Overlay::Notice(n));
        Step::redraw()
    }

    fn on_key(&mut self, key: KeyEvent) -> Step {
        if keys::is_interrupt(&key) {
            self.exit = Some(0);
            return Step::nothing();
        }
        match self.overlay.clone() {
            None => self.on_action(key),
            Some(Overlay::Help) => match (key.code, keys::action(&key)) {
                (KeyCode::Esc | KeyCode::Enter, _) | (_, Some(Action::Help)) => {
                    self.close_overlay()
                }
                (_, Some(Action::Quit)) => self.quit(),
                _ => Step::nothing(),
            },
            Some(Overlay::ConfirmPii) => {
                self.overlay = None;
                if matches!(key.code, KeyCode::Char('y' | 'Y')) {
                    self.reveal_pii = true;
                    self.rebuild();
                }
                Step::redraw()
            }
            Some(Overlay::ExportFormat) => {
                self.overlay = None;
                match key.code {
                    KeyCode::Char('t' | 'T') => self.export(Format::Text, "txt"),
                    KeyCode::Char('m' | 'M') => self.export(Format::Markdown, "md"),
                    _ => Step::redraw(),
                }
            }
            Some(Overlay::Scenarios(p)) => self.on_picker_key(key, p),
            Some(Overlay::Password) => self.on_password_key(key),
            Some(Overlay::Notice(_)) => {
                self.overlay = None;
                if matches!(key.code, KeyCode::Esc | KeyCode::Enter) {
                    return Step::redraw();
                }
                let mut step = self.on_action(key);
                step.redraw = true;
                step
            }
        }
    }

    fn close_overlay(&mut self) -> Step {
        self.overlay = None;
        Step::redraw()
    }

    fn quit(&mut self) -> Step {
        self.exit = Some(0);
        Step::nothing()
    }

    fn on_action(&mut self, key: KeyEvent) -> Step {
        let Some(action) = keys::action(&key) else {
            return Step::nothing();
        };
        match action {
            Action::Up => self.select(self.selected.saturating_sub(1)),
            Action::Down => {
                self.select((self.selected + 1).min(self.slots.len().saturating_sub(1)))
            }
            Action::ScrollUp => self.scroll_to(self.detail_scroll.saturating_sub(self.page())),
            Action::ScrollDown => self.scroll_to(
                self.detail_scroll
                    .saturating_add(self.page())
                    .min(self.detail_max_scroll.get()),
            ),
            Action::ToggleDetail => {
                self.zoomed = !self.zoomed;
                self.detail_scroll = 0;
                Step::redraw()
            }
            Action::RerunAll => Step::with(self.start_run(None)),
            Action::RerunSelected if self.profile.checks[self.selected].descriptor.on_request => {
                self.ask_password()
            }
            Action::RerunSelected => {
                let ids = self.profile.with_dependents(&self.slots[self.selected].id);
                Step::with(self.start_run(Some(ids.into_iter().collect())))
            }
            Action::Language => {
                self.lang = self.lang.other();
                self.rebuild();
                Step::redraw()
            }
            Action::Export if self.running => self.notice(Notice::Busy),
            Action::Export => {
                self.overlay = Some(Overlay::ExportFormat);
                Step::redraw()
            }
            Action::Copy if self.running => self.notice(Notice::Busy),
            Action::Copy => Step {
                redraw: false,
                cmds: vec![Cmd::Copy {
                    text: crate::report::render(&self.report, Format::Markdown),
                }],
            },
            Action::Pii if self.reveal_pii => {
                self.reveal_pii = false;
                self.rebuild();
                Step::redraw()
            }
            Action::Pii => {
                self.overlay = Some(Overlay::ConfirmPii);
                Step::redraw()
            }
            Action::Help => {
                self.overlay = Some(Overlay::Help);
                Step::redraw()
            }
            // Esc first closes the zoomed detail, like closing a dialog.
            Action::Quit if key.code == KeyCode::Esc && self.zoomed => {
                self.zoomed = false;
                Step::redraw()
            }
            Action::Quit => self.quit(),
            Action::Password => self.ask_password(),
            Action::Scenario => match &self.demo {
                None => self.notice(Notice::NotDemo),
                Some(d) if d.switching => Step::nothing(),
                Some(d) => {
                    let cursor = d
                        .scenarios
                        .iter()
                        .position(|s| s.id == d.current.id)
                        .unwrap_or(0);
                    self.overlay = Some(Overlay::Scenarios(Picker {
                        filter: String::new(),
                        cursor,
                    }));
                    Step::redraw()
                }
            },
            Action::Fix => match &mut self.demo {
                None => self.notice(Notice::NotDemo),
                Some(d) if d.switching => Step::nothing(),
                Some(d) => match d.current.fix.clone() {
                    None => self.notice(Notice::NothingToFix),
                    Some(to) => {
                        d.switching = true;
                        let from = d.current;
                        Step::with(vec![Cmd::Switch {
                            scenario: to,
                            fixed_from: Some(from),
                        }])
                    }
                },
            },
        }
    }

    /// The scenarios the picker shows for its filter (id or either title contains it).
    pub fn picker_matches(&self, filter: &str) -> Vec<&'static Scenario> {
        let Some(d) = &self.demo else {
            return Vec::new();
        };
        let f = filter.trim().to_lowercase();
        d.scenarios
            .iter()
            .copied()
            .filter(|s| {
                f.is_empty()
                    || s.id.contains(&f)
                    || s.title.en.to_lowercase().contains(&f)
                    || s.title.zh_tw.contains(&f)
            })
            .collect()
    }

    fn on_picker_key(&mut self, key: KeyEvent, mut p: Picker) -> Step {
        let matches = self.picker_matches(&p.filter);
        let last = matches.len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => return self.close_overlay(),
            KeyCode::Up => p.cursor = p.cursor.saturating_sub(1),
            KeyCode::Down => p.cursor = (p.cursor + 1).min(last),
            KeyCode::PageUp => p.cursor = p.cursor.saturating_sub(10),
            KeyCode::PageDown => p.cursor = (p.cursor + 10).min(last),
            KeyCode::Home => p.cursor = 0,
            KeyCode::End => p.cursor = last,
            KeyCode::Backspace => {
                p.filter.pop();
                p.cursor = 0;
            }
            KeyCode::Enter => {
                let Some(chosen) = matches.get(p.cursor) else {
                    return Step::nothing();
                };
                self.overlay = None;
                if let Some(d) = &mut self.demo {
                    d.switching = true;
                }
                return Step::with(vec![Cmd::Switch {
                    scenario: chosen.id.clone(),
                    fixed_from: None,
                }]);
            }
            KeyCode::Char(c) if !c.is_control() => {
                p.filter.push(c);
                p.cursor = 0;
            }
            _ => return Step::nothing(),
        }
        self.overlay = Some(Overlay::Scenarios(p));
        Step::redraw()
    }

    /// A new world: its checks replace the old ones, whatever was running, and all run.
    fn on_world(&mut self, r: Result<WorldReady, String>) -> Step {
        if let Some(d) = &mut self.demo {
            d.switching = false;
        }
        let ready = match r {
            Ok(w) => w,
            Err(e) => return self.notice(Notice::SwitchFailed(e)),
        };
        if let Some(d) = &mut self.demo {
            d.current = ready.scenario;
        }
        self.profile = ready.profile;
        self.slots = self
            .profile
            .checks
            .iter()
            .map(|c| Slot {
                id: c.id.clone(),
                state: CheckState::Pending,
            })
            .collect();
        self.selected = 0;
        self.zoomed = false;
        self.detail_scroll = 0;
        // The old world's run may still be finishing: its events carry an old run id.
        self.running = false;
        self.queued = None;
        self.overlay = ready
            .fixed_from
            .map(|from| Overlay::Notice(Notice::Fixed(from.id.clone(), ready.scenario.id.clone())));
        Step::with(self.start_run(None))
    }

    fn page(&self) -> u16 {
        self.detail_page.get().saturating_sub(2).max(1)
    }

    fn select(&mut self, i: usize) -> Step {
        if i == self.selected {
            return Step::nothing();
        }
        self.selected = i;
        self.detail_scroll = 0;
        Step::redraw()
    }

    fn scroll_to(&mut self, y: u16) -> Step {
        if y == self.detail_scroll {
            return Step::nothing();
        }
        self.detail_scroll = y;
        Step::redraw()
    }

    fn export(&mut self, format: Format, extension: &'static str) -> Step {
        Step::with(vec![Cmd::Export {
            text: crate::report::render(&self.report, format),
            extension,
        }])
    }

    /// `w`: the password dialog, after a warning; one attempt per Enter, never retried.
    fn ask_password(&mut self) -> Step {
        let ids = self.on_request_ids();
        if ids.is_empty() {
            return self.notice(Notice::NoPasswordCheck);
        }
        if self.running {
            return self.notice(Notice::PasswordBusy);
        }
        let env = |k: &str| std::env::var(k).ok();
        let configured = self
            .profile
            .checks
            .iter()
            .filter(|c| ids.contains(&c.id))
            .all(|c| registration::verifier_status(&c.params, &env).is_ok());
        if !configured {
            // Nothing could check a password: run the check so it says why, ask nothing.
            return Step::with(self.start_run_with(Some(ids), None));
        }
        self.password = Some(crate::account::secret::Password::new());
        self.overlay = Some(Overlay::Password);
        Step::redraw()
    }

    fn on_password_key(&mut self, key: KeyEvent) -> Step {
        let Some(p) = self.password.as_mut() else {
            return self.close_overlay();
        };
        match key.code {
            KeyCode::Esc => {
                self.password = None;
                self.close_overlay()
            }
            KeyCode::Backspace => {
                p.pop();
                Step::redraw()
            }
            KeyCode::Enter if p.is_empty() => Step::nothing(),
            KeyCode::Enter => {
                self.overlay = None;
                let slot = self
                    .password
                    .take()
                    .map(|p| Arc::new(crate::account::secret::PasswordSlot::with(p)));
                let ids = self.on_request_ids();
                Step::with(self.start_run_with(Some(ids), slot))
            }
            KeyCode::Char(c)
                if !key.modifiers.intersects(
                    crossterm::event::KeyModifiers::CONTROL | crossterm::event::KeyModifiers::ALT,
                ) =>
            {
                p.push(c);
                Step::redraw()
            }
            _ => Step::nothing(),
        }
    }

    fn on_request_ids(&self) -> HashSet<String> {
        self.profile
            .checks
            .iter()
            .filter(|c| c.descriptor.on_request)
            .map(|c| c.id.clone())
            .collect()
    }

    /// An automatic run (start, `r`, `R`, a card change) never includes the password
    /// check; its earlier result is cleared when what it needs runs again.
    fn start_run(&mut self, scope: Scope) -> Vec<Cmd> {
        let asked = self.on_request_ids();
        let touched = scope
            .as_ref()
            .is_none_or(|s| s.iter().any(|id| asked.contains(id)));
        if touched && !self.running {
            for slot in self.slots.iter_mut().filter(|s| asked.contains(&s.id)) {
                slot.state = CheckState::Pending;
            }
        }
        let scope = registration::automatic(&self.profile, scope);
        self.start_run_with(scope, None)
    }

    /// Starts a run of `scope`, or queues it behind the running one (merged with what is
    /// queued already) so a card inserted mid-run is never missed.
    fn start_run_with(
        &mut self,
        scope: Scope,
        password: Option<Arc<crate::account::secret::PasswordSlot>>,
    ) -> Vec<Cmd> {
        if self.running {
            self.queued = Some(match (self.queued.take(), scope) {
                (None, s) => s,
                (Some(None), _) | (Some(Some(_)), None) => None,
                (Some(Some(mut a)), Some(b)) => {
                    a.extend(b);
                    Some(a)
                }
            });
            return Vec::new();
        }
        self.run_id += 1;
        self.running = true;
        let previous: HashMap<String, Outcome> = self
            .slots
            .iter()
            .filter_map(|s| match &s.state {
                CheckState::Done(o) => Some((s.id.clone(), o.clone())),
                _ => None,
            })
            .collect();
        for slot in &mut self.slots {
            if scope.as_ref().is_none_or(|s| s.contains(&slot.id)) {
                slot.state = CheckState::Pending;
            }
        }
        self.rebuild();
        vec![Cmd::Run {
            run_id: self.run_id,
            request: Request {
                only: scope,
                previous,
                password,
            },
        }]
    }

    fn on_engine(&mut self, event: Event) -> Step {
        let (id, state) = match event {
            Event::Started { id } => (id, CheckState::Running),
            Event::Finished { id, outcome } => (id, CheckState::Done(outcome)),
        };
        if let Some(slot) = self.slots.iter_mut().find(|s| s.id == id) {
            if slot.state == state {
                return Step::nothing();
            }
            slot.state = state;
        }
        self.rebuild();
        Step::redraw()
    }

    fn on_run_done(&mut self, started_at: DateTime<Local>, duration: Duration) -> Step {
        self.running = false;
        self.started_at = started_at;
        self.duration = duration;
        self.rebuild();
        if let Some(i) = self.root_cause_index() {
            self.select(i);
        }
        match self.queued.take() {
            Some(scope) => Step::with(self.start_run(scope)),
            None => Step::redraw(),
        }
    }

    /// A card or reader change re-runs the check that looks at it and everything after it.
    fn on_pcsc(&mut self, change: PcscChange) -> Step {
        let trigger = match change {
            PcscChange::Service => Trigger::PcscService,
            PcscChange::Readers => Trigger::Readers,
            PcscChange::Card => Trigger::Card,
        };
        let mut scope = HashSet::new();
        for c in self
            .profile
            .checks
            .iter()
            .filter(|c| c.descriptor.reruns_on.contains(&trigger))
        {
            scope.extend(self.profile.with_dependents(&c.id));
        }
        if scope.is_empty() {
            return Step::nothing();
        }
        Step::with(self.start_run(Some(scope)))
    }

    fn rebuild(&mut self) {
        let outcomes = self
            .slots
            .iter()
            .filter_map(|s| match &s.state {
                CheckState::Done(o) => Some((s.id.clone(), o.clone())),
                _ => None,
            })
            .collect();
        let result = RunResult {
            started_at: self.started_at,
            duration: self.duration,
            outcomes,
        };
        self.report = model::build(&self.profile, &result, &self.options());
    }

    fn options(&self) -> model::Options {
        model::Options {
            lang: self.lang,
            reveal_pii: self.reveal_pii,
            ticket: self.setup.ticket.clone(),
            demo: self.setup.demo,
            host: self.setup.host.clone(),
        }
    }

    pub fn root_cause_index(&self) -> Option<usize> {
        let rc = self.report.root_cause.as_ref()?;
        self.slots.iter().position(|s| s.id == rc.check)
    }

    pub fn check_report(&self, id: &str) -> Option<&CheckReport> {
        self.report.checks.iter().find(|c| c.id == id)
    }

    pub fn mark(&self, slot: &Slot) -> Mark {
        match &slot.state {
            CheckState::Pending => Mark::Pending,
            CheckState::Running => Mark::Running,
            CheckState::Done(o) => Mark::Done(o.status),
        }
    }

    pub fn done_count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| matches!(s.state, CheckState::Done(_)))
            .count()
    }

    /// The card is missing and the watcher will notice it going in: say so plainly.
    pub fn waiting_for_card(&self) -> bool {
        // In the demo no card goes in by itself: the fix key inserts it.
        self.demo.is_none()
            && !self.running
            && self
                .report
                .root_cause
                .as_ref()
                .is_some_and(|rc| rc.finding.as_deref() == Some("card.none"))
    }

    pub fn is_root(&self, id: &str) -> bool {
        self.report
            .root_cause
            .as_ref()
            .is_some_and(|rc| rc.check == id)
            && !self.running
    }

    pub fn status_of(&self, id: &str) -> Option<Status> {
        self.slots
            .iter()
            .find(|s| s.id == id)
            .and_then(|s| match &s.state {
                CheckState::Done(o) => Some(o.status),
                _ => None,
            })
    }
}

fn empty_report(profile: &Profile, setup: &Setup, started_at: DateTime<Local>) -> Report {
    let result = RunResult {
        started_at,
        duration: Duration::ZERO,
        outcomes: Vec::new(),
    };
    let opts = model::Options {
        lang: setup.lang,
        reveal_pii: setup.reveal_pii,
        ticket: setup.ticket.clone(),
        demo: setup.demo,
        host: setup.host.clone(),
    };
    model::build(profile, &result, &opts)
}
