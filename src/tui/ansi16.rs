//! crossterm writes even the 16 named colours in the 256-colour form (`ESC[38;5;1m`),
//! which 16-colour terminals (the Linux console, old emulators, some SSH clients) do not
//! understand. This writer rewrites those to the classic codes (`ESC[31m`, `ESC[91m`…),
//! which every ANSI terminal knows and which follow the operator's own palette.

use std::io::{self, Write};

const ESC: u8 = 0x1b;
/// Longer than any SGR we emit; anything longer is passed on untouched.
const MAX_SEQUENCE: usize = 64;

pub struct Ansi16<W: Write> {
    inner: W,
    /// An escape sequence begun but not yet finished (crossterm writes in pieces).
    pending: Vec<u8>,
    out: Vec<u8>,
}

impl<W: Write> Ansi16<W> {
    pub fn new(inner: W) -> Self {
        Ansi16 {
            inner,
            pending: Vec::new(),
            out: Vec::new(),
        }
    }

    fn push(&mut self, b: u8) {
        if self.pending.is_empty() {
            if b == ESC {
                self.pending.push(b);
            } else {
                self.out.push(b);
            }
            return;
        }
        self.pending.push(b);
        let len = self.pending.len();
        let is_csi = self.pending[1] == b'[';
        if !is_csi || len > MAX_SEQUENCE {
            self.pass_pending();
        } else if len > 2 && (0x40..=0x7e).contains(&b) {
            if b == b'm' {
                let params = String::from_utf8_lossy(&self.pending[2..len - 1]).into_owned();
                self.out
                    .extend_from_slice(format!("\x1b[{}m", rewrite(&params)).as_bytes());
                self.pending.clear();
            } else {
                self.pass_pending();
            }
        }
    }

    fn pass_pending(&mut self) {
        self.out.append(&mut self.pending);
    }
}

/// `38;5;N` / `48;5;N` with N < 16 become the 8+8 colour codes; everything else stays.
fn rewrite(params: &str) -> String {
    let parts: Vec<&str> = params.split(';').collect();
    let mut out: Vec<String> = Vec::with_capacity(parts.len());
    let mut i = 0;
    while i < parts.len() {
        let indexed = (parts[i] == "38" || parts[i] == "48") && parts.get(i + 1) == Some(&"5");
        match (indexed, parts.get(i + 2).and_then(|n| n.parse::<u8>().ok())) {
            (true, Some(n)) if n < 16 => {
                let base = if parts[i] == "38" { 30 } else { 40 };
                let code = if n < 8 {
                    base + u32::from(n)
                } else {
                    base + 60 + u32::from(n - 8)
                };
                out.push(code.to_string());
                i += 3;
            }
            _ => {
                out.push(parts[i].to_string());
                i += 1;
            }
        }
    }
    out.join(";")
}

impl<W: Write> Write for Ansi16<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            self.push(b);
        }
        let out = std::mem::take(&mut self.out);
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(pieces: &[&[u8]]) -> Vec<u8> {
        let mut w = Ansi16::new(Vec::new());
        for p in pieces {
            w.write_all(p).unwrap();
        }
        w.flush().unwrap();
        w.inner
    }

    #[test]
    fn named_colours_become_classic_codes() {
        assert_eq!(through(&[b"\x1b[38;5;1m"]), b"\x1b[31m");
        assert_eq!(through(&[b"\x1b[38;5;9m"]), b"\x1b[91m");
        assert_eq!(through(&[b"\x1b[38;5;6;49m"]), b"\x1b[36;49m");
        assert_eq!(through(&[b"\x1b[48;5;8m"]), b"\x1b[100m");
        assert_eq!(through(&[b"\x1b[1;38;5;15;48;5;0m"]), b"\x1b[1;97;40m");
    }

    #[test]
    fn everything_else_passes_unchanged_even_in_pieces() {
        assert_eq!(through(&[b"\x1b[38;5;", b"2m", b"ok"]), b"\x1b[32mok");
        assert_eq!(through(&[b"\x1b[38;5;200m"]), b"\x1b[38;5;200m");
        assert_eq!(
            through(&[b"\x1b[3;5H", "健保卡".as_bytes()]),
            "\x1b[3;5H健保卡".as_bytes()
        );
        assert_eq!(through(&[b"\x1b]52;c;aGk=\x07"]), b"\x1b]52;c;aGk=\x07");
        assert_eq!(through(&[b"\x1b[?1049h\x1b[0m"]), b"\x1b[?1049h\x1b[0m");
    }
}
