//! GNOME's settings database (dconf: `~/.config/dconf/user`, and the system databases an
//! agency compiles into `/etc/dconf/db/`), where the desktop keeps its proxy settings that
//! Chromium and Firefox follow under GNOME. The file is a GVDB: a hash table of path
//! segments, each value a serialised GVariant. Only what the proxy settings need is read:
//! strings, booleans, 32-bit integers and string arrays, little-endian files.

use std::collections::BTreeMap;

/// Larger than any real dconf database.
pub const DB_MAX: usize = 8 * 1024 * 1024;

/// A value of the types proxy settings use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Setting {
    Text(String),
    Flag(bool),
    Number(i64),
    List(Vec<String>),
    /// A type this reader does not decode (its GVariant type string).
    Other(String),
}

/// Every key of a dconf database (`/system/proxy/mode` …) with its value.
pub fn read(bytes: &[u8]) -> Result<BTreeMap<String, Setting>, String> {
    if bytes.len() > DB_MAX {
        return Err(format!("larger than {} MiB", DB_MAX / (1024 * 1024)));
    }
    if bytes.get(..8) != Some(b"GVariant") {
        return Err(if bytes.get(..8) == Some(b"raVGtnai") {
            "a big-endian database".into()
        } else {
            "not a dconf database".into()
        });
    }
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(
            bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
        ))
    };
    let (start, end) = (
        u32_at(16).ok_or("truncated header")? as usize,
        u32_at(20).ok_or("truncated header")? as usize,
    );
    let table = bytes.get(start..end).ok_or("root table outside the file")?;
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_le_bytes(table.get(at..at + 4)?.try_into().ok()?))
    };
    let bloom_words = (word(0).ok_or("truncated table")? & ((1 << 27) - 1)) as usize;
    let buckets = word(4).ok_or("truncated table")? as usize;
    let items_at = bloom_words
        .checked_add(buckets)
        .and_then(|n| n.checked_mul(4))
        .and_then(|n| n.checked_add(8))
        .filter(|n| *n <= table.len())
        .ok_or("table header beyond the table")?;
    let n = (table.len() - items_at) / 24;
    struct Item {
        parent: u32,
        key: Vec<u8>,
        kind: u8,
        value: (usize, usize),
    }
    let mut items = Vec::with_capacity(n.min(100_000));
    for i in 0..n.min(100_000) {
        let at = items_at + i * 24;
        let f = |o: usize| word(at + o).unwrap_or(0);
        let key_start = f(8) as usize;
        let key_size = u16::from_le_bytes([table[at + 12], table[at + 13]]) as usize;
        let key = bytes
            .get(key_start..key_start.saturating_add(key_size))
            .unwrap_or_default()
            .to_vec();
        items.push(Item {
            parent: f(4),
            key,
            kind: table[at + 14],
            value: (f(16) as usize, f(20) as usize),
        });
    }
    let full_key = |mut i: usize| -> Option<String> {
        let mut parts = Vec::new();
        for _ in 0..64 {
            parts.push(items.get(i)?.key.clone());
            match items[i].parent {
                u32::MAX => break,
                p => i = p as usize,
            }
        }
        parts.reverse();
        String::from_utf8(parts.concat()).ok()
    };
    let mut out = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        if item.kind != b'v' {
            continue;
        }
        let (Some(key), Some(v)) = (full_key(i), bytes.get(item.value.0..item.value.1)) else {
            continue;
        };
        out.insert(key, variant(v));
    }
    Ok(out)
}

/// A serialised variant: the value, a zero byte, its type string.
fn variant(v: &[u8]) -> Setting {
    let Some(nul) = v.iter().rposition(|b| *b == 0) else {
        return Setting::Other(String::new());
    };
    let (data, ty) = (
        &v[..nul],
        String::from_utf8_lossy(&v[nul + 1..]).into_owned(),
    );
    match ty.as_str() {
        "s" => Setting::Text(text(data)),
        "b" => Setting::Flag(data.first() == Some(&1)),
        "i" if data.len() == 4 => {
            Setting::Number(i32::from_le_bytes(data.try_into().unwrap_or_default()).into())
        }
        "as" => Setting::List(strings(data)),
        _ => Setting::Other(ty),
    }
}

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data.strip_suffix(&[0]).unwrap_or(data)).into_owned()
}

/// An array of strings: the elements back to back, then one end offset per element, each
/// as wide as the array's size needs.
fn strings(data: &[u8]) -> Vec<String> {
    let size = data.len();
    if size == 0 {
        return Vec::new();
    }
    let width = match size {
        0..=0xff => 1,
        0x100..=0xffff => 2,
        _ => 4,
    };
    let read = |at: usize| -> Option<usize> {
        let b = data.get(at..at + width)?;
        Some(
            b.iter()
                .rev()
                .fold(0usize, |acc, x| (acc << 8) | *x as usize),
        )
    };
    let Some(last) = size.checked_sub(width).and_then(read) else {
        return Vec::new();
    };
    if last > size || !(size - last).is_multiple_of(width) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    for i in 0..(size - last) / width {
        let Some(end) = read(last + i * width).filter(|e| *e >= start && *e <= last) else {
            break;
        };
        out.push(text(&data[start..end]));
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_dconf_compile_wrote() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/browser/dconf/user"
        ))
        .unwrap();
        let db = read(&bytes).unwrap();
        assert_eq!(db["/system/proxy/mode"], Setting::Text("manual".into()));
        assert_eq!(
            db["/system/proxy/https/host"],
            Setting::Text("proxy.agency.gov.tw".into())
        );
        assert_eq!(db["/system/proxy/https/port"], Setting::Number(3128));
        assert_eq!(
            db["/system/proxy/ignore-hosts"],
            Setting::List(vec![
                "localhost".into(),
                "127.0.0.0/8".into(),
                "::1".into(),
                "*.agency.gov.tw".into()
            ])
        );
        // Cut anywhere, it is an error or less, never a panic.
        for cut in (0..bytes.len()).step_by(7) {
            let _ = read(&bytes[..cut]);
        }
        assert!(read(b"raVGtnai").unwrap_err().contains("big-endian"));
    }
}
