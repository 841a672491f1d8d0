//! Taking the terminal over and giving it back: raw mode, the alternate screen, a hidden
//! cursor; restored on quit, on a panic of the UI thread, and (through the event loop) on
//! SIGTERM/SIGHUP. No mouse capture, so the operator's terminal keeps its own selection.

use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::{cursor, execute, terminal};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use super::ansi16::Ansi16;

/// Whole frames go out in one write, which matters over SSH; colours in the 16-colour form.
pub type Backend = CrosstermBackend<Ansi16<BufWriter<Stdout>>>;

static ACTIVE: AtomicBool = AtomicBool::new(false);

pub fn enter() -> io::Result<Terminal<Backend>> {
    install_panic_hook();
    terminal::enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = Ansi16::new(BufWriter::with_capacity(64 * 1024, io::stdout()));
    if let Err(e) = execute!(out, terminal::EnterAlternateScreen, cursor::Hide) {
        restore();
        return Err(e);
    }
    let mut t = Terminal::new(CrosstermBackend::new(out))?;
    t.clear()?;
    Ok(t)
}

/// Gives the terminal back; safe to call twice and from the panic hook.
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    // Errors are ignored: after SIGHUP the terminal may be gone, and there is nobody to tell.
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = terminal::disable_raw_mode();
    let _ = out.flush();
}

pub fn is_active() -> bool {
    ACTIVE.load(Ordering::SeqCst)
}

/// A panic of the UI thread restores the terminal before the message prints, so it is
/// readable. A panic elsewhere is a probe's, which the engine turns into a `check.crashed`
/// outcome on screen; printing it too would scribble over the display, so while the
/// console owns the terminal it is not printed.
fn install_panic_hook() {
    let previous = std::panic::take_hook();
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore();
            previous(info);
        } else if !is_active() {
            previous(info);
        }
    }));
}
