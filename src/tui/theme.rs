//! Colours and glyphs. Only the 16 named ANSI colours (OpenSSH does not forward
//! `COLORTERM`), never colour alone (every colour sits beside a glyph or word), no colour
//! at all under `NO_COLOR`, and plain ASCII under `--ascii`.

use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::border;

use crate::engine::Status;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme {
    pub color: bool,
    pub ascii: bool,
}

/// What the check list shows for a check: a finished status, or still on its way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    Done(Status),
    Running,
    Pending,
}

const SPINNER_UTF8: &[&str] = &["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const SPINNER_ASCII: &[&str] = &["|", "/", "-", "\\"];

const ASCII_BORDER: border::Set<'static> = border::Set {
    top_left: "+",
    top_right: "+",
    bottom_left: "+",
    bottom_right: "+",
    vertical_left: "|",
    vertical_right: "|",
    horizontal_top: "-",
    horizontal_bottom: "-",
};

impl Theme {
    /// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
    pub fn from_env(ascii: bool, no_color: Option<&std::ffi::OsStr>) -> Theme {
        Theme {
            color: no_color.is_none_or(|v| v.is_empty()),
            ascii,
        }
    }

    pub fn fg(&self, color: Color) -> Style {
        if self.color {
            Style::new().fg(color)
        } else {
            Style::new()
        }
    }

    pub fn bold(&self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    /// The selected row: reverse video, which reads without colour too.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    pub fn mark_color(&self, mark: Mark) -> Color {
        match mark {
            Mark::Done(Status::Pass) => Color::Green,
            Mark::Done(Status::Warn) => Color::Yellow,
            Mark::Done(Status::Fail | Status::Crashed | Status::TimedOut) => Color::Red,
            Mark::Done(Status::Skipped) | Mark::Pending => Color::DarkGray,
            Mark::Running => Color::Cyan,
        }
    }

    pub fn mark_style(&self, mark: Mark) -> Style {
        let s = self.fg(self.mark_color(mark));
        if matches!(
            mark,
            Mark::Done(Status::Fail | Status::Crashed | Status::TimedOut)
        ) {
            s.add_modifier(Modifier::BOLD)
        } else {
            s
        }
    }

    pub fn glyph(&self, mark: Mark, frame: usize) -> &'static str {
        match (mark, self.ascii) {
            (Mark::Running, false) => SPINNER_UTF8[frame % SPINNER_UTF8.len()],
            (Mark::Running, true) => SPINNER_ASCII[frame % SPINNER_ASCII.len()],
            (Mark::Pending, false) => "·",
            (Mark::Pending, true) => ".",
            (Mark::Done(s), false) => match s {
                Status::Pass => "✔",
                Status::Warn => "!",
                Status::Fail | Status::Crashed => "✘",
                Status::Skipped => "↷",
                Status::TimedOut => "⧗",
            },
            (Mark::Done(s), true) => match s {
                Status::Pass => "+",
                Status::Warn => "!",
                Status::Fail | Status::Crashed => "x",
                Status::Skipped => "-",
                Status::TimedOut => "T",
            },
        }
    }

    pub fn border(&self) -> border::Set<'static> {
        if self.ascii {
            ASCII_BORDER
        } else {
            border::PLAIN
        }
    }

    /// Points at the selected row and at the root cause.
    pub fn pointer(&self) -> &'static str {
        if self.ascii { ">" } else { "▶" }
    }

    pub fn back_pointer(&self) -> &'static str {
        if self.ascii { "<-" } else { "◀" }
    }

    pub fn separator(&self) -> &'static str {
        if self.ascii { " | " } else { " │ " }
    }

    pub fn more_below(&self) -> &'static str {
        if self.ascii { "v" } else { "▼" }
    }

    pub fn arrows(&self) -> &'static str {
        if self.ascii { "Up/Dn" } else { "↑↓" }
    }
}

/// Typographic punctuation of the catalogue's English, one cell each way, for `--ascii`
/// (a terminal without UTF-8 would show each as several garbage bytes).
pub fn fold_ascii(symbol: &str) -> Option<&'static str> {
    Some(match symbol {
        "“" | "”" | "„" => "\"",
        "‘" | "’" => "'",
        "—" | "–" | "─" => "-",
        "…" => "~",
        "·" | "•" => "*",
        "×" => "x",
        "○" => "o",
        "→" => ">",
        "←" => "<",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::text::width;

    #[test]
    fn no_color_turns_every_colour_off() {
        let t = Theme::from_env(false, Some(std::ffi::OsStr::new("1")));
        assert!(!t.color);
        assert_eq!(t.fg(Color::Red), Style::new());
        assert!(
            Theme::from_env(false, Some(std::ffi::OsStr::new(""))).color,
            "an empty NO_COLOR does not count"
        );
        assert!(Theme::from_env(false, None).color);
    }

    #[test]
    fn glyphs_are_one_column_and_ascii_mode_is_ascii() {
        let all = [
            Mark::Running,
            Mark::Pending,
            Mark::Done(Status::Pass),
            Mark::Done(Status::Warn),
            Mark::Done(Status::Fail),
            Mark::Done(Status::Skipped),
            Mark::Done(Status::TimedOut),
            Mark::Done(Status::Crashed),
        ];
        for ascii in [false, true] {
            let t = Theme { color: true, ascii };
            for m in all {
                for frame in 0..12 {
                    let g = t.glyph(m, frame);
                    if ascii {
                        assert!(g.is_ascii(), "{g}");
                    } else {
                        assert_eq!(width(g), 1, "{g}");
                    }
                }
            }
            for s in [
                t.pointer(),
                t.back_pointer(),
                t.separator(),
                t.more_below(),
                t.arrows(),
            ] {
                assert!(!ascii || s.is_ascii(), "{s}");
            }
        }
        let b = Theme {
            color: false,
            ascii: true,
        }
        .border();
        assert!(
            [b.top_left, b.horizontal_top, b.vertical_left]
                .iter()
                .all(|s| s.is_ascii())
        );
    }
}
