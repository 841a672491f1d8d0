//! Display-width text helpers. Chinese characters take two terminal columns, so every
//! pad, cut and wrap here counts columns (`unicode-width`), never bytes or chars.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub fn width(s: &str) -> usize {
    UnicodeWidthStr::width(s)
}

fn char_width(c: char) -> usize {
    UnicodeWidthChar::width(c).unwrap_or(0)
}

/// Cuts `s` to at most `max` columns, ending in `…` when something was cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = char_width(c);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// `s` cut to `w` columns and padded with spaces to exactly `w`.
pub fn pad(s: &str, w: usize) -> String {
    let mut out = truncate(s, w);
    let used = width(&out);
    out.extend(std::iter::repeat_n(' ', w.saturating_sub(used)));
    out
}

/// Closing punctuation that must not start a line (Chinese line-breaking custom).
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        '，' | '。'
            | '、'
            | '；'
            | '：'
            | '？'
            | '！'
            | '）'
            | '」'
            | '』'
            | '》'
            | '〉'
            | '…'
            | ','
            | '.'
            | ';'
            | ':'
            | ')'
            | '!'
            | '?'
    )
}

/// Opening punctuation that must not end a line.
fn no_break_after(c: char) -> bool {
    matches!(c, '（' | '「' | '『' | '《' | '〈' | '(')
}

/// Splits text into pieces that stay together, each with whether a space preceded it:
/// a run of narrow characters is one piece (an English word, a command), every wide
/// character is its own piece, punctuation sticks to its neighbour.
fn pieces(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut space_before = false;
    let mut glue_next = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space_before = true;
            glue_next = false;
            continue;
        }
        let narrow = char_width(c) < 2;
        let joins_previous = match out.last() {
            None => false,
            Some((_, last)) => {
                let last_narrow = last.chars().last().is_some_and(|l| char_width(l) < 2);
                !space_before && (glue_next || no_break_before(c) || (narrow && last_narrow))
            }
        };
        if joins_previous {
            out.last_mut().expect("checked above").1.push(c);
        } else {
            out.push((space_before, c.to_string()));
        }
        glue_next = no_break_after(c);
        space_before = false;
    }
    out
}

/// Greedy word wrap to `max` columns; a piece wider than a whole line is cut by
/// characters. Never returns an empty list (an empty text is one empty line).
pub fn wrap(text: &str, max: usize) -> Vec<String> {
    let max = max.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    for (space, piece) in pieces(text) {
        let pw = width(&piece);
        let gap = usize::from(space && used > 0);
        if used > 0 && used + gap + pw > max {
            lines.push(std::mem::take(&mut line));
            used = 0;
        }
        if used > 0 && gap == 1 {
            line.push(' ');
            used += 1;
        }
        if pw <= max - used {
            line.push_str(&piece);
            used += pw;
            continue;
        }
        for c in piece.chars() {
            let w = char_width(c);
            if used + w > max && used > 0 {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += w;
        }
    }
    lines.push(line);
    lines
}

/// Wraps `text` after a first-line prefix, continuing lines indented by the prefix's
/// width (numbered remedy steps, `label: value` evidence).
pub fn wrap_hanging(prefix: &str, text: &str, max: usize) -> Vec<String> {
    let indent = width(prefix);
    if indent + 8 > max {
        return wrap(&format!("{prefix}{text}"), max);
    }
    let body = wrap(text, max - indent);
    let pad = " ".repeat(indent);
    body.into_iter()
        .enumerate()
        .map(|(i, l)| {
            if i == 0 {
                format!("{prefix}{l}")
            } else {
                format!("{pad}{l}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_count_columns_not_chars() {
        assert_eq!(width("健保卡"), 6);
        assert_eq!(width("card"), 4);
        assert_eq!(truncate("智慧卡服務（PC/SC）", 9), "智慧卡服…");
        assert_eq!(width(&truncate("智慧卡服務（PC/SC）", 9)), 9);
        assert_eq!(pad("讀卡機", 8), "讀卡機  ");
        // A wide character never straddles the cut.
        assert_eq!(width(&pad("健保卡", 5)), 5);
    }

    #[test]
    fn wrap_keeps_every_line_within_width() {
        let zh = "請按 Win+R 輸入 `services.msc`，找到「智慧卡」（英文版為 Smart Card），按「啟動」；若啟動類型是「已停用」，請先改為「自動」。";
        for max in [10, 17, 30, 44] {
            let lines = wrap(zh, max);
            assert!(lines.iter().all(|l| width(l) <= max), "{max}: {lines:?}");
            let joined: String = lines
                .concat()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let original: String = zh.chars().filter(|c| !c.is_whitespace()).collect();
            assert_eq!(joined, original, "text lost at {max}");
        }
    }

    #[test]
    fn wrap_breaks_english_at_spaces_and_keeps_punctuation_attached() {
        assert_eq!(
            wrap("insert the NHI card now", 10),
            vec!["insert the", "NHI card", "now"]
        );
        let lines = wrap("讀卡機裡沒有卡片，請插入健保卡", 16);
        assert!(lines.iter().all(|l| !l.starts_with('，')), "{lines:?}");
        assert_eq!(wrap("", 5), vec![String::new()]);
    }

    #[test]
    fn hanging_indent_aligns_continuations() {
        let lines = wrap_hanging(" 1. ", "one two three four five six", 14);
        assert_eq!(lines[0], " 1. one two");
        assert!(
            lines[1..]
                .iter()
                .all(|l| l.starts_with("    ") && width(l) <= 14),
            "{lines:?}"
        );
    }
}
