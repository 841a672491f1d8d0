//! What the agency kinds (`file`, `process`, `tcp`, `http`, `command`, `registry`) share: a
//! text pattern written in a profile — a regular expression, compiled when the profile is
//! read, so a bad one is a profile error with its position — and text from outside cut to a
//! size a report can show.

use serde::{Deserialize, Deserializer};

/// The largest compiled pattern: a profile's pattern is small; a huge one is a mistake or
/// an attack on the machine that reads the profile.
const SIZE_LIMIT: usize = 1 << 20;

/// How much of a file, page or command output is read to be matched.
pub const READ_MAX: usize = 1024 * 1024;

/// How much of it a report shows.
pub const SHOWN_MAX: usize = 300;

#[derive(Clone, Debug)]
pub struct Pattern(regex::Regex);

impl Pattern {
    pub fn new(text: &str) -> Result<Pattern, String> {
        regex::RegexBuilder::new(text)
            // `^` and `$` at every line: files, pages and outputs are matched line-wise.
            .multi_line(true)
            .size_limit(SIZE_LIMIT)
            .build()
            .map(Pattern)
            .map_err(|e| {
                let detail = e.to_string();
                // The library's message spans several lines with a caret under the spot;
                // the last line says what is wrong.
                let why = detail.lines().last().unwrap_or_default().trim();
                format!("`{text}` is not a valid pattern (regular expression): {why}")
            })
    }

    pub fn matches(&self, text: &str) -> bool {
        self.0.is_match(text)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Pattern::new(&text).map_err(serde::de::Error::custom)
    }
}

/// Bytes from outside as one printable line for a report.
pub fn shown(bytes: &[u8]) -> String {
    crate::bridge::printable(bytes, SHOWN_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_pattern_says_what_is_wrong_on_one_line() {
        let e = Pattern::new("FindProxy(").unwrap_err();
        assert!(e.contains("FindProxy(") && !e.contains('\n'), "{e}");
        assert!(Pattern::new("^yes$").unwrap().matches("no\nyes\n"));
    }

    #[test]
    fn a_huge_pattern_is_refused() {
        assert!(Pattern::new(&"a{1000}{1000}".repeat(4)).is_err());
    }
}
