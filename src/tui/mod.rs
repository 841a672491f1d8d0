//! The interactive console: a full-screen view of the check chain running live, the root
//! cause and its remedy up front, re-runs on a key or when a card goes in.
//!
//! Elm-shaped: `app` holds the state and turns messages into new state plus commands;
//! `view` draws it (one file per screen region); this module is the runtime that feeds
//! messages in (keys, engine events, PC/SC changes, timers, signals), performs commands
//! (start a run, write a file, copy) and redraws only when something changed, so an idle
//! screen writes nothing.
//!
//! Must not import: clap; it asks a kind's descriptor, never its name.

pub mod ansi16;
pub mod app;
pub mod fleet;
pub mod keys;
pub mod osc52;
pub mod term;
pub mod text;
pub mod theme;
pub mod view;
pub mod watch;

#[cfg(test)]
mod demo_tests;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{Local, Timelike};
use crossterm::event::{Event as TermEvent, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::sync::mpsc::{self, UnboundedSender};

use crate::engine::Profile;
use crate::engine::run;
use crate::i18n::{self, Lang};
use crate::report::model::HostInfo;
use crate::system::System;
use app::{App, Cmd, Msg, Setup};
use theme::Theme;

/// Spinner frame period while checks run; nothing ticks while idle.
const SPINNER_PERIOD: Duration = Duration::from_millis(120);

/// Everything the console needs, decided by `main` (or by the demo, with a simulated
/// system).
pub struct Config {
    pub profile: Arc<Profile>,
    pub system: Arc<System>,
    pub lang: Lang,
    pub reveal_pii: bool,
    pub ticket: Option<String>,
    pub ascii: bool,
    /// `--check`: the first run covers only these (and what they need).
    pub only: Option<HashSet<String>>,
    /// `ecpa-doctor demo`: the simulated world behind `profile` and `system`, which the
    /// scenario picker and the fix key replace.
    pub demo: Option<crate::demo::Session>,
}

/// What the checks run against: fixed on a real machine, replaced by the demo when the
/// operator picks a scenario or applies a fix.
struct Live {
    world: std::sync::Mutex<(Arc<Profile>, Arc<System>)>,
    demo: Option<std::sync::Mutex<crate::demo::Session>>,
}

impl Live {
    fn world(&self) -> (Arc<Profile>, Arc<System>) {
        self.world.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Runs the console until the operator quits; returns the exit status (0 on `q`).
pub fn run(cfg: Config) -> i32 {
    let setup = Setup {
        lang: cfg.lang,
        reveal_pii: cfg.reveal_pii,
        ticket: cfg.ticket.clone(),
        demo: cfg.system.simulated,
        host: HostInfo::detect(),
        version: env!("CARGO_PKG_VERSION").to_string(),
        theme: Theme::from_env(cfg.ascii, std::env::var_os("NO_COLOR").as_deref()),
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("ecpa-doctor: {e}");
            return crate::cli::EXIT_IO;
        }
    };
    let mut terminal = match term::enter() {
        Ok(t) => t,
        Err(e) => {
            term::restore();
            eprintln!(
                "ecpa-doctor: {}: {e}",
                i18n::ui("tui.no_terminal", cfg.lang)
            );
            return crate::cli::EXIT_IO;
        }
    };
    let code = rt.block_on(event_loop(&mut terminal, cfg, setup));
    term::restore();
    // Connections of the last re-run still closing get a bounded moment to end gracefully.
    rt.block_on(crate::bridge::farewell::settle(
        crate::bridge::farewell::EXIT_GRACE,
    ));
    // A probe stuck in a system call must not keep the process alive after quitting.
    rt.shutdown_background();
    code
}

async fn event_loop(
    terminal: &mut ratatui::Terminal<term::Backend>,
    cfg: Config,
    setup: Setup,
) -> i32 {
    // Before anything else: a SIGTERM from now on restores the terminal.
    let mut signals = Signals::new();
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    let mut app = App::new(cfg.profile.clone(), setup, clock_text(), Local::now());
    app.demo = cfg.demo.as_ref().map(|s| app::Demo {
        scenarios: crate::demo::scenario::builtin().iter().collect(),
        current: s.current(),
        switching: false,
    });
    // The first frame goes out before any probe starts, so the screen never looks frozen.
    draw(terminal, &app);

    // A simulated world changes only when the operator switches it: nothing to watch.
    let watcher = cfg.demo.is_none().then(|| {
        let (changes, watching) = (tx.clone(), tx.clone());
        watch::Watcher::spawn(
            cfg.system.pcsc.clone(),
            move |c| drop(changes.send(Msg::Pcsc(c))),
            move |w| drop(watching.send(Msg::Watching(w))),
        )
    });
    let live = Arc::new(Live {
        world: std::sync::Mutex::new((cfg.profile.clone(), cfg.system.clone())),
        demo: cfg.demo.map(std::sync::Mutex::new),
    });
    let first = app.start(cfg.only.clone());
    perform(first, &live, &tx, terminal);

    let mut keys = EventStream::new();
    let mut spinner = tokio::time::interval(SPINNER_PERIOD);
    spinner.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);

    while app.exit.is_none() {
        let msg = tokio::select! {
            ev = keys.next() => match ev {
                Some(Ok(TermEvent::Key(k))) if k.kind != KeyEventKind::Release => Msg::Key(k),
                Some(Ok(TermEvent::Resize(..))) => Msg::Resize,
                Some(Ok(_)) => continue,
                // The terminal went away (hang-up without a signal): nothing left to show.
                Some(Err(_)) | None => Msg::Signal(crate::cli::EXIT_IO),
            },
            Some(m) = rx.recv() => m,
            _ = spinner.tick(), if app.running => Msg::Tick,
            _ = tokio::time::sleep(until_next_minute()) => Msg::Clock(clock_text()),
            code = signals.next() => Msg::Signal(code),
        };
        let mut redraw = handle(&mut app, msg, &live, &tx, terminal);
        // Take whatever else is already waiting, then draw once for the lot.
        while app.exit.is_none()
            && let Ok(m) = rx.try_recv()
        {
            redraw |= handle(&mut app, m, &live, &tx, terminal);
        }
        if redraw && app.exit.is_none() {
            draw(terminal, &app);
        }
    }
    if let Some(w) = watcher {
        w.stop();
    }
    app.exit.unwrap_or(0)
}

/// SIGTERM, SIGHUP and SIGINT end the console through the normal exit path, so the
/// terminal is restored; the exit status is 128 + the signal number.
#[cfg(unix)]
struct Signals {
    term: Option<tokio::signal::unix::Signal>,
    hup: Option<tokio::signal::unix::Signal>,
    int: Option<tokio::signal::unix::Signal>,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            term: signal(SignalKind::terminate()).ok(),
            hup: signal(SignalKind::hangup()).ok(),
            int: signal(SignalKind::interrupt()).ok(),
        }
    }

    async fn next(&mut self) -> i32 {
        async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
            match s {
                Some(s) => drop(s.recv().await),
                None => std::future::pending::<()>().await,
            }
        }
        tokio::select! {
            _ = recv(&mut self.term) => 128 + 15,
            _ = recv(&mut self.hup) => 128 + 1,
            _ = recv(&mut self.int) => 128 + 2,
        }
    }
}

/// Elsewhere closing the console ends the process with it; Ctrl-C arrives as a key.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Signals {
        Signals
    }

    async fn next(&mut self) -> i32 {
        std::future::pending().await
    }
}

fn handle(
    app: &mut App,
    msg: Msg,
    live: &Arc<Live>,
    tx: &UnboundedSender<Msg>,
    terminal: &mut ratatui::Terminal<term::Backend>,
) -> bool {
    let step = app.update(msg);
    perform(step.cmds, live, tx, terminal);
    step.redraw
}

fn draw(terminal: &mut ratatui::Terminal<term::Backend>, app: &App) {
    // A failed write (terminal gone) shows up as an error on the key stream next.
    let _ = terminal.draw(|f| view::draw(f, app));
}

fn perform(
    cmds: Vec<Cmd>,
    live: &Arc<Live>,
    tx: &UnboundedSender<Msg>,
    terminal: &mut ratatui::Terminal<term::Backend>,
) {
    for cmd in cmds {
        match cmd {
            Cmd::Run { run_id, request } => spawn_run(run_id, request, live, tx.clone()),
            Cmd::Switch {
                scenario,
                fixed_from,
            } => spawn_switch(scenario, fixed_from, live.clone(), tx.clone()),
            Cmd::Export { text, extension } => {
                let _ = tx.send(Msg::Exported(export(&text, extension)));
            }
            Cmd::Copy { text } => {
                let _ = tx.send(Msg::Copied(copy(terminal, &text)));
            }
        }
    }
}

/// Builds the demo world of `scenario` off the event loop (it starts a server and writes
/// files), makes it the one checks run against, then tells the app.
fn spawn_switch(
    scenario: String,
    fixed_from: Option<&'static crate::demo::Scenario>,
    live: Arc<Live>,
    tx: UnboundedSender<Msg>,
) {
    tokio::task::spawn_blocking(move || {
        let Some(session) = &live.demo else {
            let _ = tx.send(Msg::World(Err("not in the demo".into())));
            return;
        };
        let mut session = session.lock().unwrap_or_else(|p| p.into_inner());
        let result = session.switch(&scenario).map(|sc| {
            *live.world.lock().unwrap_or_else(|p| p.into_inner()) =
                (session.profile(), session.system());
            app::WorldReady {
                scenario: sc,
                profile: session.profile(),
                fixed_from,
            }
        });
        let _ = tx.send(Msg::World(result));
    });
}

/// Runs the engine on the runtime; its events come back as messages, then `RunDone`.
fn spawn_run(run_id: u64, request: run::Request, live: &Live, tx: UnboundedSender<Msg>) {
    let (profile, system) = live.world();
    tokio::spawn(async move {
        let (etx, mut erx) = mpsc::unbounded_channel();
        let forward = async {
            while let Some(event) = erx.recv().await {
                let _ = tx.send(Msg::Engine { run_id, event });
            }
        };
        // The engine drops its sender when the run ends, which ends `forward` too.
        let (result, ()) = tokio::join!(run::run(profile, system, request, Some(etx)), forward);
        let _ = tx.send(Msg::RunDone {
            run_id,
            started_at: result.started_at,
            duration: result.duration,
        });
    });
}

/// Writes the report next to where the operator started the tool (else the temp dir),
/// never over an existing file. Returns the absolute path.
fn export(text: &str, extension: &str) -> Result<String, String> {
    let stamp = Local::now().format("%Y%m%d-%H%M%S");
    let dirs: Vec<PathBuf> = std::env::current_dir()
        .into_iter()
        .chain([std::env::temp_dir()])
        .collect();
    let mut last_err = String::new();
    for dir in dirs {
        for n in 0..100 {
            let suffix = if n == 0 {
                String::new()
            } else {
                format!("-{n}")
            };
            let path = dir.join(format!("ecpa-doctor-{stamp}{suffix}.{extension}"));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(mut f) => {
                    return f
                        .write_all(text.as_bytes())
                        .map(|_| path.display().to_string())
                        .map_err(|e| format!("{}: {e}", path.display()));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    last_err = format!("{}: {e}", path.display());
                    break;
                }
            }
        }
    }
    Err(last_err)
}

/// Sends the OSC 52 sequence straight to the terminal, between frames.
fn copy(terminal: &mut ratatui::Terminal<term::Backend>, text: &str) -> Result<usize, String> {
    let seq = osc52::sequence(text);
    let out = terminal.backend_mut();
    out.write_all(seq.as_bytes())
        .and_then(|_| out.flush())
        .map(|_| text.len())
        .map_err(|e| e.to_string())
}

fn clock_text() -> String {
    Local::now().format("%H:%M").to_string()
}

/// Wakes just after the minute turns, so the clock redraws at most once a minute.
fn until_next_minute() -> Duration {
    let now = Local::now();
    let into_minute = Duration::from_secs(u64::from(now.second()))
        + Duration::from_nanos(u64::from(now.nanosecond() % 1_000_000_000));
    Duration::from_secs(60).saturating_sub(into_minute) + Duration::from_millis(50)
}
