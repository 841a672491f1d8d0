//! Just enough of an ELF reader to tell what the component's daemon needs before it can
//! start: its architecture, its program interpreter, its NEEDED libraries (with RPATH /
//! RUNPATH) and the symbol versions it needs from them (a library's own version
//! definitions too, to tell which glibc a libc.so.6 is). Little-endian ELF32 and ELF64 only; anything else, or a file that lies about
//! its own sizes, is an error value, never a panic.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    Elf32,
    Elf64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfInfo {
    pub class: Class,
    pub machine: u16,
    /// PT_INTERP: the dynamic loader the kernel starts (absent: a static binary).
    pub interp: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// DT_VERNEED: per library, the symbol versions the loader must find in it.
    pub version_needs: Vec<VersionNeed>,
    /// DT_VERDEF: the versions this file defines (not its own base name).
    pub version_defs: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionNeed {
    pub file: String,
    pub versions: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    BigEndian,
    Truncated(&'static str),
    BadClass(u8),
}

impl ElfError {
    pub fn code(&self) -> String {
        match self {
            ElfError::NotElf => "not_elf".into(),
            ElfError::BigEndian => "big_endian".into(),
            ElfError::Truncated(what) => format!("truncated_{what}"),
            ElfError::BadClass(c) => format!("bad_class_{c}"),
        }
    }
}

pub(crate) const PT_LOAD: u32 = 1;
pub(crate) const PT_DYNAMIC: u32 = 2;
pub(crate) const PT_INTERP: u32 = 3;
pub(crate) const DT_NULL: u64 = 0;
pub(crate) const DT_NEEDED: u64 = 1;
pub(crate) const DT_STRTAB: u64 = 5;
pub(crate) const DT_STRSZ: u64 = 10;
const DT_RPATH: u64 = 15;
pub(crate) const DT_RUNPATH: u64 = 29;
pub(crate) const DT_VERDEF: u64 = 0x6fff_fffc;
pub(crate) const DT_VERDEFNUM: u64 = 0x6fff_fffd;
pub(crate) const DT_VERNEED: u64 = 0x6fff_fffe;
pub(crate) const DT_VERNEEDNUM: u64 = 0x6fff_ffff;
/// A version definition that names the file itself rather than a version.
pub(crate) const VER_FLG_BASE: u16 = 1;
/// More than any real binary has; bounds the work a hostile file can cause.
const MAX_ENTRIES: usize = 65_536;

/// The ELF class and machine from the first 20 bytes, to compare a library with the binary.
pub fn ident(bytes: &[u8]) -> Result<(Class, u16), ElfError> {
    if bytes.len() < 4 || &bytes[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    let class = match bytes.get(4) {
        Some(1) => Class::Elf32,
        Some(2) => Class::Elf64,
        Some(c) => return Err(ElfError::BadClass(*c)),
        None => return Err(ElfError::Truncated("header")),
    };
    match bytes.get(5) {
        Some(1) => {}
        Some(2) => return Err(ElfError::BigEndian),
        _ => return Err(ElfError::Truncated("header")),
    }
    let machine = Reader { b: bytes }
        .u16(18)
        .ok_or(ElfError::Truncated("header"))?;
    Ok((class, machine))
}

pub fn parse(bytes: &[u8]) -> Result<ElfInfo, ElfError> {
    let (class, machine) = ident(bytes)?;
    let r = Reader { b: bytes };
    let t = |what| ElfError::Truncated(what);
    let (phoff, phentsize, phnum) = match class {
        Class::Elf64 => (
            r.u64(32).ok_or(t("header"))?,
            r.u16(54).ok_or(t("header"))?,
            r.u16(56).ok_or(t("header"))?,
        ),
        Class::Elf32 => (
            r.u32(28).ok_or(t("header"))? as u64,
            r.u16(42).ok_or(t("header"))?,
            r.u16(44).ok_or(t("header"))?,
        ),
    };
    let min_ph = if class == Class::Elf64 { 56 } else { 32 };
    if phnum > 0 && (phentsize as usize) < min_ph {
        return Err(t("program_headers"));
    }
    let mut segments = Vec::new();
    for i in 0..phnum as u64 {
        let at = phoff
            .checked_add(i * phentsize as u64)
            .ok_or(t("program_headers"))?;
        segments.push(r.segment(class, at).ok_or(t("program_headers"))?);
    }
    let interp = match segments.iter().find(|s| s.kind == PT_INTERP) {
        Some(s) => Some(r.c_str(s.offset, s.filesz).ok_or(t("interp"))?),
        None => None,
    };
    let mut info = ElfInfo {
        class,
        machine,
        interp,
        needed: Vec::new(),
        rpath: Vec::new(),
        runpath: Vec::new(),
        version_needs: Vec::new(),
        version_defs: Vec::new(),
    };
    let Some(dynamic) = segments.iter().find(|s| s.kind == PT_DYNAMIC) else {
        return Ok(info);
    };
    let entries = r
        .dynamic(class, dynamic.offset, dynamic.filesz)
        .ok_or(t("dynamic"))?;
    let value = |tag| entries.iter().find(|(k, _)| *k == tag).map(|(_, v)| *v);
    // Dynamic entries hold addresses in memory: find the loaded segment that maps one.
    let file_offset = |addr: u64| {
        segments
            .iter()
            .filter(|s| s.kind == PT_LOAD)
            .find(|s| addr >= s.vaddr && addr - s.vaddr < s.filesz)
            .and_then(|s| s.offset.checked_add(addr - s.vaddr))
    };
    let strtab = file_offset(value(DT_STRTAB).ok_or(t("dynamic"))?).ok_or(t("strtab"))?;
    let strsz = value(DT_STRSZ).unwrap_or(u64::MAX);
    let string = |off: u64| -> Result<String, ElfError> {
        if off >= strsz {
            return Err(t("strtab"));
        }
        r.c_str(strtab.checked_add(off).ok_or(t("strtab"))?, strsz - off)
            .ok_or(t("strtab"))
    };
    for (tag, v) in &entries {
        match *tag {
            DT_NEEDED => info.needed.push(string(*v)?),
            DT_RPATH => info.rpath.extend(split_path(&string(*v)?)),
            DT_RUNPATH => info.runpath.extend(split_path(&string(*v)?)),
            _ => {}
        }
    }
    // One budget over both tables, so a file whose counts and links loop cannot make
    // the walk long.
    let mut budget = MAX_ENTRIES;
    if let Some(addr) = value(DT_VERNEED) {
        let start = file_offset(addr).ok_or(t("verneed"))?;
        info.version_needs = r.version_needs(start, value(DT_VERNEEDNUM), &mut budget, &string)?;
    }
    if let Some(addr) = value(DT_VERDEF) {
        let start = file_offset(addr).ok_or(t("verdef"))?;
        info.version_defs = r.version_defs(start, value(DT_VERDEFNUM), &mut budget, &string)?;
    }
    Ok(info)
}

fn split_path(s: &str) -> Vec<String> {
    s.split(':')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// "ELF64 x86-64" for evidence.
pub fn describe(class: Class, machine: u16) -> String {
    let bits = match class {
        Class::Elf32 => "ELF32",
        Class::Elf64 => "ELF64",
    };
    format!("{bits} {}", machine_name(machine))
}

pub fn machine_name(machine: u16) -> String {
    match machine {
        3 => "i386".into(),
        40 => "ARM".into(),
        62 => "x86-64".into(),
        183 => "AArch64".into(),
        243 => "RISC-V".into(),
        other => format!("machine {other}"),
    }
}

/// The (class, machine) pairs this computer's CPU runs natively or through its usual
/// compatibility mode; `None` for a CPU we do not know, so nothing is claimed.
pub fn host_accepts() -> Option<&'static [(Class, u16)]> {
    match std::env::consts::ARCH {
        "x86_64" => Some(&[(Class::Elf64, 62), (Class::Elf32, 3)]),
        "x86" => Some(&[(Class::Elf32, 3)]),
        "aarch64" => Some(&[(Class::Elf64, 183), (Class::Elf32, 40)]),
        "arm" => Some(&[(Class::Elf32, 40)]),
        "riscv64" => Some(&[(Class::Elf64, 243)]),
        _ => None,
    }
}

/// One step of the walk's budget; `None` once it is spent.
fn spend(budget: &mut usize) -> Option<()> {
    *budget = budget.checked_sub(1)?;
    Some(())
}

struct Segment {
    kind: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

struct Reader<'a> {
    b: &'a [u8],
}

impl Reader<'_> {
    fn bytes<const N: usize>(&self, at: u64) -> Option<[u8; N]> {
        let start = usize::try_from(at).ok()?;
        self.b.get(start..start.checked_add(N)?)?.try_into().ok()
    }
    fn u16(&self, at: u64) -> Option<u16> {
        self.bytes(at).map(u16::from_le_bytes)
    }
    fn u32(&self, at: u64) -> Option<u32> {
        self.bytes(at).map(u32::from_le_bytes)
    }
    fn u64(&self, at: u64) -> Option<u64> {
        self.bytes(at).map(u64::from_le_bytes)
    }

    /// Offsets past the end are refused first, so `at + n` below cannot overflow.
    fn inside(&self, at: u64) -> bool {
        at <= self.b.len() as u64
    }

    fn segment(&self, class: Class, at: u64) -> Option<Segment> {
        if !self.inside(at) {
            return None;
        }
        Some(match class {
            Class::Elf64 => Segment {
                kind: self.u32(at)?,
                offset: self.u64(at + 8)?,
                vaddr: self.u64(at + 16)?,
                filesz: self.u64(at + 32)?,
            },
            Class::Elf32 => Segment {
                kind: self.u32(at)?,
                offset: self.u32(at + 4)? as u64,
                vaddr: self.u32(at + 8)? as u64,
                filesz: self.u32(at + 16)? as u64,
            },
        })
    }

    /// (tag, value) pairs up to DT_NULL or the end of the segment.
    fn dynamic(&self, class: Class, offset: u64, size: u64) -> Option<Vec<(u64, u64)>> {
        let entsize = if class == Class::Elf64 { 16 } else { 8 };
        let mut out = Vec::new();
        for i in 0..(size / entsize).min(MAX_ENTRIES as u64) {
            let at = offset
                .checked_add(i * entsize)
                .filter(|a| self.inside(*a))?;
            let (tag, val) = match class {
                Class::Elf64 => (self.u64(at)?, self.u64(at + 8)?),
                Class::Elf32 => (self.u32(at)? as u64, self.u32(at + 4)? as u64),
            };
            if tag == DT_NULL {
                break;
            }
            out.push((tag, val));
        }
        Some(out)
    }

    /// Walks a chain of version entries, each naming the offset to the next (0 ends it),
    /// for at most `count` entries; `each` reads one entry and returns that offset. Every
    /// step spends the budget, so a looping chain ends as truncated, never hangs.
    fn walk(
        &self,
        what: &'static str,
        start: u64,
        count: Option<u64>,
        budget: &mut usize,
        mut each: impl FnMut(u64, &mut usize) -> Result<u32, ElfError>,
    ) -> Result<(), ElfError> {
        let t = || ElfError::Truncated(what);
        let mut at = start;
        for _ in 0..count.unwrap_or(u64::MAX) {
            spend(budget).ok_or_else(t)?;
            if !self.inside(at) {
                return Err(t());
            }
            match each(at, budget)? {
                0 => break,
                n => at = at.checked_add(n as u64).ok_or_else(t)?,
            }
        }
        Ok(())
    }

    /// Elf32_Verneed and Elf64_Verneed are the same 16 bytes (as are their 16-byte
    /// Vernaux entries): version, count, file name, offset to the first aux, offset to
    /// the next entry; an aux holds hash, flags, other, name, next.
    fn version_needs(
        &self,
        start: u64,
        count: Option<u64>,
        budget: &mut usize,
        string: &dyn Fn(u64) -> Result<String, ElfError>,
    ) -> Result<Vec<VersionNeed>, ElfError> {
        let t = || ElfError::Truncated("verneed");
        let mut out = Vec::new();
        self.walk("verneed", start, count, budget, |at, budget| {
            let (cnt, file, aux, next) = (
                self.u16(at + 2).ok_or_else(t)?,
                self.u32(at + 4).ok_or_else(t)?,
                self.u32(at + 8).ok_or_else(t)?,
                self.u32(at + 12).ok_or_else(t)?,
            );
            let mut versions = Vec::new();
            let first = at.checked_add(aux as u64).ok_or_else(t)?;
            self.walk("verneed", first, Some(cnt as u64), budget, |a, _| {
                versions.push(string(self.u32(a + 8).ok_or_else(t)? as u64)?);
                self.u32(a + 12).ok_or_else(t)
            })?;
            out.push(VersionNeed {
                file: string(file as u64)?,
                versions,
            });
            Ok(next)
        })?;
        Ok(out)
    }

    /// Elf32_Verdef and Elf64_Verdef are the same 20 bytes: version, flags, index, aux
    /// count, hash, offset to the first aux, offset to the next; the first aux (name,
    /// next) names the version, later ones its parents.
    fn version_defs(
        &self,
        start: u64,
        count: Option<u64>,
        budget: &mut usize,
        string: &dyn Fn(u64) -> Result<String, ElfError>,
    ) -> Result<Vec<String>, ElfError> {
        let t = || ElfError::Truncated("verdef");
        let mut out = Vec::new();
        self.walk("verdef", start, count, budget, |at, _| {
            let (flags, cnt, aux, next) = (
                self.u16(at + 2).ok_or_else(t)?,
                self.u16(at + 6).ok_or_else(t)?,
                self.u32(at + 12).ok_or_else(t)?,
                self.u32(at + 16).ok_or_else(t)?,
            );
            if flags & VER_FLG_BASE == 0 && cnt > 0 {
                let a = at
                    .checked_add(aux as u64)
                    .filter(|a| self.inside(*a))
                    .ok_or_else(t)?;
                out.push(string(self.u32(a).ok_or_else(t)? as u64)?);
            }
            Ok(next)
        })?;
        Ok(out)
    }

    /// A NUL-terminated string within `max` bytes of `at`; invalid UTF-8 is replaced.
    fn c_str(&self, at: u64, max: u64) -> Option<String> {
        let start = usize::try_from(at).ok()?;
        let rest = self.b.get(start..)?;
        let window = &rest[..rest.len().min(usize::try_from(max).unwrap_or(usize::MAX))];
        let end = window.iter().position(|&c| c == 0)?;
        Some(String::from_utf8_lossy(&window[..end]).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made ELF64: one PT_LOAD over the whole file, PT_INTERP and PT_DYNAMIC.
    fn tiny_elf64(needed: &[&str], runpath: Option<&str>) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut add = |s: &str| {
            let off = strtab.len() as u64;
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            off
        };
        let interp = b"/lib64/ld-linux-x86-64.so.2\0";
        let mut dyns: Vec<(u64, u64)> = needed.iter().map(|n| (DT_NEEDED, add(n))).collect();
        if let Some(r) = runpath {
            dyns.push((DT_RUNPATH, add(r)));
        }
        let (ph_off, ph_n) = (64u64, 3u64);
        let interp_off = ph_off + ph_n * 56;
        let str_off = interp_off + interp.len() as u64;
        let dyn_off = str_off + strtab.len() as u64;
        dyns.push((DT_STRTAB, 0x400000 + str_off));
        dyns.push((DT_STRSZ, strtab.len() as u64));
        dyns.push((DT_NULL, 0));
        let total = dyn_off + dyns.len() as u64 * 16;
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[18..20].copy_from_slice(&62u16.to_le_bytes());
        b[32..40].copy_from_slice(&ph_off.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(ph_n as u16).to_le_bytes());
        let mut ph = |kind: u32, off: u64, vaddr: u64, size: u64| {
            let mut p = vec![0u8; 56];
            p[0..4].copy_from_slice(&kind.to_le_bytes());
            p[8..16].copy_from_slice(&off.to_le_bytes());
            p[16..24].copy_from_slice(&vaddr.to_le_bytes());
            p[32..40].copy_from_slice(&size.to_le_bytes());
            b.extend_from_slice(&p);
        };
        ph(PT_LOAD, 0, 0x400000, total);
        ph(
            PT_INTERP,
            interp_off,
            0x400000 + interp_off,
            interp.len() as u64,
        );
        ph(
            PT_DYNAMIC,
            dyn_off,
            0x400000 + dyn_off,
            dyns.len() as u64 * 16,
        );
        b.extend_from_slice(interp);
        b.extend_from_slice(&strtab);
        for (t, v) in dyns {
            b.extend_from_slice(&t.to_le_bytes());
            b.extend_from_slice(&v.to_le_bytes());
        }
        b
    }

    #[test]
    fn reads_needed_interp_and_runpath_of_a_hand_made_elf() {
        let info = parse(&tiny_elf64(
            &["libssl.so.1.0.0", "libc.so.6"],
            Some("$ORIGIN/lib:/opt/x"),
        ))
        .unwrap();
        assert_eq!(info.class, Class::Elf64);
        assert_eq!(info.machine, 62);
        assert_eq!(info.interp.as_deref(), Some("/lib64/ld-linux-x86-64.so.2"));
        assert_eq!(info.needed, vec!["libssl.so.1.0.0", "libc.so.6"]);
        assert_eq!(info.runpath, vec!["$ORIGIN/lib", "/opt/x"]);
    }

    #[test]
    fn reads_a_real_binary_of_this_machine() {
        let bytes = std::fs::read("/bin/true").expect("/bin/true");
        let info = parse(&bytes).unwrap();
        assert!(
            info.needed.iter().any(|n| n.starts_with("libc.so")),
            "{info:?}"
        );
        assert!(info.interp.is_some());
        let libc = info
            .version_needs
            .iter()
            .find(|n| n.file.starts_with("libc.so"))
            .unwrap_or_else(|| panic!("{info:?}"));
        assert!(
            libc.versions.iter().all(|v| v.starts_with("GLIBC_")) && !libc.versions.is_empty(),
            "{libc:?}"
        );
    }

    /// Both classes, with a version-needs table (daemon) and a version-definitions table (libc).
    fn versioned_elves() -> Vec<Vec<u8>> {
        use crate::sim::elf as sim;
        let needs = vec![
            VersionNeed {
                file: "libc.so.6".into(),
                versions: vec!["GLIBC_2.2.5".into(), "GLIBC_2.29".into()],
            },
            VersionNeed {
                file: "libm.so.6".into(),
                versions: vec!["GLIBC_2.29".into()],
            },
        ];
        [(Class::Elf64, 62), (Class::Elf32, 3)]
            .into_iter()
            .flat_map(|(class, machine)| {
                let spec = sim::Spec {
                    class,
                    machine,
                    interp: Some(sim::loader_for(class, machine).into()),
                    needed: vec!["libc.so.6".into(), "libm.so.6".into()],
                    runpath: None,
                    version_needs: needs.clone(),
                };
                [
                    sim::executable(&spec),
                    sim::library_defining(class, machine, "libc.so.6", &sim::glibc_versions(2, 27)),
                ]
            })
            .collect()
    }

    #[test]
    fn version_tables_of_both_classes_are_read() {
        for bytes in versioned_elves() {
            let info = parse(&bytes).unwrap();
            assert!(
                info.version_needs.is_empty() != info.version_defs.is_empty(),
                "{info:?}"
            );
            if let Some(libm) = info.version_needs.get(1) {
                assert_eq!(
                    (libm.file.as_str(), libm.versions.as_slice()),
                    ("libm.so.6", &["GLIBC_2.29".to_string()][..])
                );
            } else {
                assert_eq!(
                    info.version_defs.last().map(String::as_str),
                    Some("GLIBC_PRIVATE"),
                    "{info:?}"
                );
            }
        }
    }

    #[test]
    fn version_entries_end_at_next_zero_and_pointing_outside_is_an_error() {
        let daemon = &versioned_elves()[0];
        let info = parse(daemon).unwrap();
        assert_eq!(info.version_needs.len(), 2);
        // The first Verneed entry: version 1, two aux entries, right after the strings.
        let at = daemon.windows(4).position(|w| w == [1, 0, 2, 0]).unwrap();
        let mut short = daemon.clone();
        short[at + 12..at + 16].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            parse(&short).unwrap().version_needs.len(),
            1,
            "next = 0 ends the table before its count"
        );
        let mut outside = daemon.clone();
        outside[at + 8..at + 12].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
        assert_eq!(parse(&outside), Err(ElfError::Truncated("verneed")));
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_not_a_panic() {
        let good = tiny_elf64(&["libssl.so.1.0.0"], None);
        for bytes in std::iter::once(good.clone()).chain(versioned_elves()) {
            for len in 0..bytes.len() {
                let _ = parse(&bytes[..len]);
            }
            for i in 0..bytes.len() {
                for v in [0x00, 0xff, 0x7f, 0x01] {
                    let mut bad = bytes.clone();
                    bad[i] = v;
                    let _ = parse(&bad);
                }
            }
        }
        assert_eq!(parse(b"#!/bin/sh\n"), Err(ElfError::NotElf));
        let mut be = good.clone();
        be[5] = 2;
        assert_eq!(parse(&be), Err(ElfError::BigEndian));
    }
}
