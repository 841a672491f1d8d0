//! The NHI registration password (註冊密碼), the one secret ecpa-doctor ever handles. It is
//! asked for only when the operator asks for the password check, held in a buffer that is
//! wiped when dropped, never printed (`Debug` says how long it is, nothing more), and
//! handed to the run through a one-shot slot: the registration check takes it once, so a
//! re-run never tries the same password again on its own.

use std::io::{self, Read};
use std::sync::Mutex;

use zeroize::Zeroizing;

/// The longest password kept; NHI's are 6–12 characters. Fixed so that the buffer is
/// allocated once and never copied by growing.
pub const MAX_CHARS: usize = 64;
const MAX_BYTES: usize = MAX_CHARS * 4;

pub struct Password(Zeroizing<String>);

impl Password {
    pub fn new() -> Password {
        Password(Zeroizing::new(String::with_capacity(MAX_BYTES)))
    }

    /// From text the caller already holds (tests, the demo); the copy here is wiped on drop.
    pub fn from_str_copy(s: &str) -> Password {
        let mut p = Password::new();
        for c in s.chars() {
            p.push(c);
        }
        p
    }

    /// Adds a typed character; beyond `MAX_CHARS` the rest is ignored.
    pub fn push(&mut self, c: char) -> bool {
        if self.0.chars().count() >= MAX_CHARS || c.is_control() {
            return false;
        }
        self.0.push(c);
        true
    }

    pub fn pop(&mut self) {
        self.0.pop();
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Password {
    fn default() -> Self {
        Password::new()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Password({} characters)", self.char_count())
    }
}

/// Hands one password to one run. `take` empties it: the registration check uses the
/// password for one attempt and the slot is then empty for any later run.
#[derive(Default)]
pub struct PasswordSlot(Mutex<Option<Password>>);

impl PasswordSlot {
    pub fn with(p: Password) -> PasswordSlot {
        PasswordSlot(Mutex::new(Some(p)))
    }

    pub fn take(&self) -> Option<Password> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl std::fmt::Debug for PasswordSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let filled = self.0.lock().map(|g| g.is_some()).unwrap_or(false);
        write!(
            f,
            "PasswordSlot({})",
            if filled { "filled" } else { "empty" }
        )
    }
}

/// Reads ONE line from a non-terminal input (a pipe from a helpdesk script) into a wiped
/// buffer, byte by byte so no library buffer keeps a copy; the rest of the input is left
/// unread. `None` when the line is empty.
pub fn read_line(r: &mut dyn Read) -> io::Result<Option<Password>> {
    let mut bytes: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(MAX_BYTES));
    let mut one = [0u8; 1];
    loop {
        match r.read(&mut one) {
            Ok(0) => break,
            Ok(_) if one[0] == b'\n' => break,
            Ok(_) if bytes.len() < MAX_BYTES => bytes.push(one[0]),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                zeroize::Zeroize::zeroize(&mut one);
                return Err(e);
            }
        }
    }
    zeroize::Zeroize::zeroize(&mut one);
    while bytes.last() == Some(&b'\r') {
        bytes.pop();
    }
    let text = String::from_utf8_lossy(&bytes);
    let p = Password::from_str_copy(&text);
    if let std::borrow::Cow::Owned(mut s) = text {
        zeroize::Zeroize::zeroize(&mut s);
    }
    Ok((!p.is_empty()).then_some(p))
}

/// Reads the password from the terminal with echo off (raw mode; nothing is drawn as it
/// is typed). Enter ends it; Backspace deletes; Esc or Ctrl-C cancels (`None`).
pub fn read_masked_from_terminal() -> io::Result<Option<Password>> {
    use crossterm::event::{Event, KeyCode, KeyEventKind, KeyModifiers, read};
    crossterm::terminal::enable_raw_mode()?;
    let mut p = Password::new();
    let result = loop {
        let ev = match read() {
            Ok(ev) => ev,
            Err(e) => break Err(e),
        };
        let Event::Key(k) = ev else { continue };
        if k.kind == KeyEventKind::Release {
            continue;
        }
        match k.code {
            KeyCode::Enter => break Ok(true),
            KeyCode::Esc => break Ok(false),
            KeyCode::Char('c' | 'd') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                break Ok(false);
            }
            KeyCode::Backspace => p.pop(),
            KeyCode::Char(c) => {
                p.push(c);
            }
            _ => {}
        }
    };
    let restored = crossterm::terminal::disable_raw_mode();
    eprintln!();
    match result {
        Ok(true) if !p.is_empty() => restored.map(|_| Some(p)),
        Ok(_) => restored.map(|_| None),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let p = Password::from_str_copy("abc12345");
        assert_eq!(format!("{p:?}"), "Password(8 characters)");
        let slot = PasswordSlot::with(p);
        assert_eq!(format!("{slot:?}"), "PasswordSlot(filled)");
        assert!(slot.take().is_some());
        assert!(slot.take().is_none(), "a password is used once");
    }

    #[test]
    fn one_line_is_read_and_the_rest_left() {
        let mut input: &[u8] = b"abc12345\r\nsecond line\n";
        let p = read_line(&mut input).unwrap().unwrap();
        assert_eq!(p.expose(), "abc12345");
        assert_eq!(input, b"second line\n");
        let mut empty: &[u8] = b"\n";
        assert!(read_line(&mut empty).unwrap().is_none());
    }

    #[test]
    fn overlong_input_is_cut_and_controls_dropped() {
        let long = "x".repeat(500);
        let p = read_line(&mut long.as_bytes()).unwrap().unwrap();
        assert_eq!(p.char_count(), MAX_CHARS);
        let mut p = Password::new();
        assert!(!p.push('\u{7}'));
        assert!(p.push('密'));
        assert_eq!(p.expose(), "密");
    }
}
