//! The component installers NHI publishes and their MD5 values: which installer a file
//! is, and whether it arrived whole. Antivirus software blocks or truncates these
//! downloads, which is why NHI lists the values.

use std::io::Read;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::i18n::L10n;

pub const INSTALLERS_YAML: &str = include_str!("../../assets/installers.yaml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Installer {
    pub id: String,
    pub name: L10n,
    pub file_names: Vec<String>,
    /// As published; may be incomplete (fewer than 32 hex digits).
    pub md5: String,
}

impl Installer {
    /// A published value we can compare against: exactly 32 hex digits.
    pub fn md5_complete(&self) -> bool {
        is_md5(&self.md5)
    }
}

pub fn is_md5(s: &str) -> bool {
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

pub fn builtin() -> &'static [Installer] {
    static CELL: OnceLock<Vec<Installer>> = OnceLock::new();
    CELL.get_or_init(|| {
        serde_yaml::from_str(INSTALLERS_YAML)
            .unwrap_or_else(|e| panic!("built-in assets/installers.yaml is broken: {e}"))
    })
}

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<'a> {
    /// The MD5 equals a complete published value.
    Matches(&'a Installer),
    /// The name says which installer it is, but the MD5 differs: damaged or not NHI's.
    Differs(&'a Installer),
    /// The name says which installer it is, but the published value is incomplete.
    Unverifiable(&'a Installer),
    /// Neither the name nor the MD5 is one NHI published.
    Unknown,
}

pub fn judge<'a>(file_name: &str, md5_hex: &str, known: &'a [Installer]) -> Verdict<'a> {
    if let Some(i) = known
        .iter()
        .find(|i| i.md5_complete() && i.md5.eq_ignore_ascii_case(md5_hex))
    {
        return Verdict::Matches(i);
    }
    // Browsers rename repeated downloads "Setup (1).zip"; compare the stem before that.
    let name = normalise_download_name(file_name);
    match known
        .iter()
        .find(|i| i.file_names.iter().any(|f| f.eq_ignore_ascii_case(&name)))
    {
        Some(i) if i.md5_complete() => Verdict::Differs(i),
        Some(i) => Verdict::Unverifiable(i),
        None => Verdict::Unknown,
    }
}

fn normalise_download_name(name: &str) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) => (&name[..i], &name[i..]),
        None => (name, ""),
    };
    let stem = match stem.rfind(" (") {
        Some(i)
            if stem.ends_with(')')
                && stem[i + 2..stem.len() - 1]
                    .chars()
                    .all(|c| c.is_ascii_digit()) =>
        {
            &stem[..i]
        }
        _ => stem,
    };
    format!("{stem}{ext}")
}

/// `check-installer FILE` as a one-check profile, reported like any run.
pub fn profile_for(
    file: &std::path::Path,
    expected_md5: Option<&str>,
) -> Result<crate::engine::Profile, String> {
    let mut params = serde_yaml::Mapping::new();
    params.insert("file".into(), file.display().to_string().into());
    if let Some(m) = expected_md5 {
        params.insert("expected_md5".into(), m.trim().into());
    }
    let title = L10n {
        zh_tw: "元件安裝檔".into(),
        en: "Component installer".into(),
    };
    crate::engine::Profile::single(
        "check-installer",
        title,
        "installer",
        &crate::probes::installer::KIND,
        serde_yaml::Value::Mapping(params),
        std::time::Duration::from_secs(60),
    )
}

pub fn md5_file(path: &std::path::Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut md5 = Md5::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
    }
    Ok(md5.hex())
}

/// MD5 (RFC 1321). Only to compare with NHI's published values, never for security.
pub struct Md5 {
    state: [u32; 4],
    buffer: Vec<u8>,
    length: u64,
}

const S: [u32; 64] = [
    7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9,
    14, 20, 5, 9, 14, 20, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 6, 10, 15,
    21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21,
];

fn k(i: usize) -> u32 {
    // floor(|sin(i + 1)| * 2^32), as the RFC defines the table.
    ((i as f64 + 1.0).sin().abs() * 4_294_967_296.0) as u32
}

impl Default for Md5 {
    fn default() -> Self {
        Self::new()
    }
}

impl Md5 {
    pub fn new() -> Md5 {
        Md5 {
            state: [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476],
            buffer: Vec::with_capacity(64),
            length: 0,
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.length = self.length.wrapping_add(data.len() as u64);
        if !self.buffer.is_empty() {
            let take = (64 - self.buffer.len()).min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buffer.len() == 64 {
                let block: [u8; 64] = self.buffer[..].try_into().expect("64 bytes");
                self.block(&block);
                self.buffer.clear();
            }
        }
        let mut chunks = data.chunks_exact(64);
        for c in &mut chunks {
            self.block(c.try_into().expect("64 bytes"));
        }
        self.buffer.extend_from_slice(chunks.remainder());
    }

    fn block(&mut self, block: &[u8; 64]) {
        let m: Vec<u32> = block
            .chunks_exact(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
            .collect();
        let [mut a, mut b, mut c, mut d] = self.state;
        // `i` is the MD5 step number, which picks the function and the word.
        #[allow(clippy::needless_range_loop)]
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(k(i)).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[i]));
        }
        for (s, v) in self.state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }

    pub fn hex(mut self) -> String {
        let bits = self.length.wrapping_mul(8);
        let mut pad = vec![0x80u8];
        while (self.buffer.len() + pad.len()) % 64 != 56 {
            pad.push(0);
        }
        pad.extend_from_slice(&bits.to_le_bytes());
        let len = self.length;
        self.update(&pad);
        self.length = len;
        self.state
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .map(|b| format!("{b:02X}"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn md5(data: &[u8]) -> String {
        let mut m = Md5::new();
        m.update(data);
        m.hex()
    }

    #[test]
    fn rfc1321_test_suite() {
        assert_eq!(md5(b""), "D41D8CD98F00B204E9800998ECF8427E");
        assert_eq!(md5(b"a"), "0CC175B9C0F1B6A831C399E269772661");
        assert_eq!(md5(b"abc"), "900150983CD24FB0D6963F7D28E17F72");
        assert_eq!(md5(b"message digest"), "F96B697D7CB7938D525A2F31AAF161D0");
        assert_eq!(
            md5(b"abcdefghijklmnopqrstuvwxyz"),
            "C3FCD3D76192E4007DFB496CCA67E13B"
        );
        assert_eq!(
            md5(
                b"12345678901234567890123456789012345678901234567890123456789012345678901234567890"
            ),
            "57EDF4A22BE3C955AC49DA2E2107B67A"
        );
    }

    #[test]
    fn streaming_equals_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut m = Md5::new();
        for c in data.chunks(37) {
            m.update(c);
        }
        assert_eq!(m.hex(), md5(&data));
    }

    #[test]
    fn verdicts() {
        let k = builtin();
        assert!(
            matches!(judge("anything.zip", "9632640dd7182876783c935dfa7cd1d7", k), Verdict::Matches(i) if i.id == "windows")
        );
        assert!(
            matches!(judge("Setup (2).zip", "00000000000000000000000000000000", k), Verdict::Differs(i) if i.id == "windows")
        );
        assert!(
            matches!(judge("mac.Install1.zip", "30965099BF6BA485860A1F330191F250", k), Verdict::Unverifiable(i) if i.id == "macos")
        );
        assert!(matches!(
            judge(
                "mLNHIICC_Setup.Ubuntu.zip",
                "A664075CF6A76A1723F4211570B79DA0",
                k
            ),
            Verdict::Unverifiable(_)
        ));
        assert_eq!(
            judge("photo.jpg", "D41D8CD98F00B204E9800998ECF8427E", k),
            Verdict::Unknown
        );
    }

    #[test]
    fn the_incomplete_published_values_are_the_ones_marked() {
        let incomplete: Vec<&str> = builtin()
            .iter()
            .filter(|i| !i.md5_complete())
            .map(|i| i.id.as_str())
            .collect();
        assert_eq!(incomplete, ["macos", "ubuntu"]);
    }
}
