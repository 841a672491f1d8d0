//! Synthetic ELF files for the demo's simulated install: a daemon whose dynamic section
//! names the libraries (and symbol versions) a scenario says it needs, library stubs
//! whose header carries the class and machine the loader compares, and a libc stub that
//! defines the GLIBC versions of the glibc a scenario says the system has. They hold no code: nothing ever runs them,
//! only `component::elf` reads them, exactly as it reads the real `mLNHIICC`.

// The ELF numbers are the reader's own, so writer and reader cannot drift apart.
use crate::component::elf::{
    Class, DT_NEEDED, DT_NULL, DT_RUNPATH, DT_STRSZ, DT_STRTAB, DT_VERDEF, DT_VERDEFNUM,
    DT_VERNEED, DT_VERNEEDNUM, PT_DYNAMIC, PT_INTERP, PT_LOAD, VER_FLG_BASE, VersionNeed,
};
/// Only written (a library's own name); the reader has no use for it.
const DT_SONAME: u64 = 14;
/// Where the one PT_LOAD segment is mapped; any page-aligned address would do.
const BASE: u64 = 0x40_0000;

/// What a synthetic executable declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub class: Class,
    pub machine: u16,
    pub interp: Option<String>,
    pub needed: Vec<String>,
    pub runpath: Option<String>,
    /// DT_VERNEED: the symbol versions needed from each library.
    pub version_needs: Vec<VersionNeed>,
}

/// The class and machine of this computer, as the component's own build for it would
/// carry; x86-64 where the CPU is not one the ELF reader knows.
pub fn host_target() -> (Class, u16) {
    crate::component::elf::host_accepts()
        .and_then(|a| a.first().copied())
        .unwrap_or((Class::Elf64, 62))
}

/// The dynamic loader a binary of this class and machine names in PT_INTERP (glibc).
pub fn loader_for(class: Class, machine: u16) -> &'static str {
    match (class, machine) {
        (Class::Elf64, 62) => "/lib64/ld-linux-x86-64.so.2",
        (Class::Elf32, 3) => "/lib/ld-linux.so.2",
        (Class::Elf64, 183) => "/lib/ld-linux-aarch64.so.1",
        (Class::Elf32, 40) => "/lib/ld-linux-armhf.so.3",
        (Class::Elf64, 243) => "/lib/ld-linux-riscv64-lp64d.so.1",
        _ => "/lib/ld-linux.so.2",
    }
}

/// Little-endian field writer over a growing buffer.
struct Out {
    b: Vec<u8>,
    class: Class,
}

impl Out {
    fn u16(&mut self, v: u16) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.b.extend_from_slice(&v.to_le_bytes());
    }
    /// An address-sized field: 8 bytes in ELF64, 4 in ELF32.
    fn word(&mut self, v: u64) {
        match self.class {
            Class::Elf64 => self.b.extend_from_slice(&v.to_le_bytes()),
            Class::Elf32 => self.b.extend_from_slice(&(v as u32).to_le_bytes()),
        }
    }
}

fn sizes(class: Class) -> (u64, u64, u64) {
    // (ELF header, program header, dynamic entry)
    match class {
        Class::Elf64 => (64, 56, 16),
        Class::Elf32 => (52, 32, 8),
    }
}

/// A dynamically linked executable: ELF header, PT_LOAD over the whole file, PT_INTERP
/// (when given), PT_DYNAMIC with DT_NEEDED / DT_RUNPATH / DT_STRTAB / DT_STRSZ and, when
/// the spec names versions, DT_VERNEED / DT_VERNEEDNUM.
pub fn executable(spec: &Spec) -> Vec<u8> {
    image(&Image {
        class: spec.class,
        machine: spec.machine,
        kind: 2,
        interp: spec.interp.as_deref(),
        needed: &spec.needed,
        runpath: spec.runpath.as_deref(),
        version_needs: &spec.version_needs,
        soname: None,
        version_defs: &[],
    })
}

/// A shared-library stub: just the header, which is all the loader search compares.
pub fn library(class: Class, machine: u16) -> Vec<u8> {
    let mut o = Out {
        b: Vec::new(),
        class,
    };
    header(&mut o, machine, 0, 3);
    o.b
}

/// A shared library with a dynamic section that defines `versions` (DT_VERDEF, after
/// the base entry naming `soname`), as glibc's libc.so.6 defines GLIBC_2.2.5 … GLIBC_2.36.
pub fn library_defining(class: Class, machine: u16, soname: &str, versions: &[String]) -> Vec<u8> {
    image(&Image {
        class,
        machine,
        kind: 3,
        interp: None,
        needed: &[],
        runpath: None,
        version_needs: &[],
        soname: Some(soname),
        version_defs: versions,
    })
}

/// The GLIBC version names a glibc of version `major.minor` defines on x86-64, from the
/// first one (GLIBC_2.2.5) up: enough for the reader to tell the highest.
pub fn glibc_versions(major: u32, minor: u32) -> Vec<String> {
    let mut v = vec!["GLIBC_2.2.5".to_string()];
    v.extend((3..=minor).map(|m| format!("GLIBC_{major}.{m}")));
    v.push("GLIBC_PRIVATE".into());
    v
}

struct Image<'a> {
    class: Class,
    machine: u16,
    /// ET_EXEC (2) or ET_DYN (3).
    kind: u16,
    interp: Option<&'a str>,
    needed: &'a [String],
    runpath: Option<&'a str>,
    version_needs: &'a [VersionNeed],
    soname: Option<&'a str>,
    version_defs: &'a [String],
}

fn image(spec: &Image) -> Vec<u8> {
    let (eh, ph, dyn_size) = sizes(spec.class);
    let mut strtab = vec![0u8];
    let mut add = |s: &str| {
        let off = strtab.len() as u64;
        strtab.extend_from_slice(s.as_bytes());
        strtab.push(0);
        off as u32
    };
    let mut dynamic: Vec<(u64, u64)> = spec
        .needed
        .iter()
        .map(|n| (DT_NEEDED, add(n) as u64))
        .collect();
    if let Some(r) = spec.runpath {
        dynamic.push((DT_RUNPATH, add(r) as u64));
    }
    if let Some(n) = spec.soname {
        dynamic.push((DT_SONAME, add(n) as u64));
    }
    // Elf32 and Elf64 version entries are the same: Verneed 16 bytes, Vernaux 16,
    // Verdef 20, Verdaux 8. Each aux follows its entry; entries follow each other.
    let mut verneed = Vec::new();
    for (i, need) in spec.version_needs.iter().enumerate() {
        let file = add(&need.file);
        let last = i + 1 == spec.version_needs.len();
        let size = 16 + 16 * need.versions.len() as u32;
        put16(&mut verneed, 1);
        put16(&mut verneed, need.versions.len() as u16);
        put32(&mut verneed, file);
        put32(&mut verneed, if need.versions.is_empty() { 0 } else { 16 });
        put32(&mut verneed, if last { 0 } else { size });
        for (j, v) in need.versions.iter().enumerate() {
            let name = add(v);
            put32(&mut verneed, elf_hash(v));
            put16(&mut verneed, 0);
            put16(&mut verneed, (2 + j) as u16);
            put32(&mut verneed, name);
            put32(
                &mut verneed,
                if j + 1 == need.versions.len() { 0 } else { 16 },
            );
        }
    }
    let mut verdef = Vec::new();
    if !spec.version_defs.is_empty() {
        let names: Vec<(u16, &str)> = std::iter::once((VER_FLG_BASE, spec.soname.unwrap_or("")))
            .chain(spec.version_defs.iter().map(|v| (0, v.as_str())))
            .collect();
        for (i, (flags, name)) in names.iter().enumerate() {
            let off = add(name);
            put16(&mut verdef, 1);
            put16(&mut verdef, *flags);
            put16(&mut verdef, (i + 1) as u16);
            put16(&mut verdef, 1);
            put32(&mut verdef, elf_hash(name));
            put32(&mut verdef, 20);
            put32(&mut verdef, if i + 1 == names.len() { 0 } else { 28 });
            put32(&mut verdef, off);
            put32(&mut verdef, 0);
        }
    }
    let interp: Vec<u8> = spec
        .interp
        .map(|i| [i.as_bytes(), b"\0"].concat())
        .unwrap_or_default();
    let phnum: u64 = if interp.is_empty() { 2 } else { 3 };
    let interp_off = eh + phnum * ph;
    let str_off = interp_off + interp.len() as u64;
    let verneed_off = str_off + strtab.len() as u64;
    let verdef_off = verneed_off + verneed.len() as u64;
    let dyn_off = verdef_off + verdef.len() as u64;
    if !verneed.is_empty() {
        dynamic.push((DT_VERNEED, BASE + verneed_off));
        dynamic.push((DT_VERNEEDNUM, spec.version_needs.len() as u64));
    }
    if !verdef.is_empty() {
        dynamic.push((DT_VERDEF, BASE + verdef_off));
        dynamic.push((DT_VERDEFNUM, spec.version_defs.len() as u64 + 1));
    }
    dynamic.push((DT_STRTAB, BASE + str_off));
    dynamic.push((DT_STRSZ, strtab.len() as u64));
    dynamic.push((DT_NULL, 0));
    let total = dyn_off + dynamic.len() as u64 * dyn_size;

    let mut o = Out {
        b: Vec::with_capacity(total as usize),
        class: spec.class,
    };
    header(&mut o, spec.machine, phnum as u16, spec.kind);
    let segment = |o: &mut Out, kind: u32, off: u64, size: u64| match spec.class {
        Class::Elf64 => {
            o.u32(kind);
            o.u32(if kind == PT_LOAD { 5 } else { 4 });
            for v in [
                off,
                BASE + off,
                BASE + off,
                size,
                size,
                if kind == PT_LOAD { 0x1000 } else { 1 },
            ] {
                o.word(v);
            }
        }
        Class::Elf32 => {
            o.u32(kind);
            for v in [off, BASE + off, BASE + off, size, size] {
                o.word(v);
            }
            o.u32(if kind == PT_LOAD { 5 } else { 4 });
            o.word(if kind == PT_LOAD { 0x1000 } else { 1 });
        }
    };
    segment(&mut o, PT_LOAD, 0, total);
    if !interp.is_empty() {
        segment(&mut o, PT_INTERP, interp_off, interp.len() as u64);
    }
    segment(&mut o, PT_DYNAMIC, dyn_off, dynamic.len() as u64 * dyn_size);
    o.b.extend_from_slice(&interp);
    o.b.extend_from_slice(&strtab);
    o.b.extend_from_slice(&verneed);
    o.b.extend_from_slice(&verdef);
    for (tag, value) in dynamic {
        o.word(tag);
        o.word(value);
    }
    o.b
}

fn put16(b: &mut Vec<u8>, v: u16) {
    b.extend_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut Vec<u8>, v: u32) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// The System V ELF hash the version entries carry (the loader compares it before the name).
fn elf_hash(name: &str) -> u32 {
    name.bytes().fold(0u32, |h, c| {
        let h = (h << 4).wrapping_add(c as u32);
        let g = h & 0xf000_0000;
        (h ^ (g >> 24)) & !g
    })
}

fn header(o: &mut Out, machine: u16, phnum: u16, kind: u16) {
    let (eh, ph, _) = sizes(o.class);
    o.b.extend_from_slice(b"\x7fELF");
    o.b.push(if o.class == Class::Elf64 { 2 } else { 1 });
    o.b.extend_from_slice(&[1, 1, 0]); // little-endian, version 1, System V ABI
    o.b.extend_from_slice(&[0; 8]);
    o.u16(kind); // ET_EXEC or ET_DYN
    o.u16(machine);
    o.u32(1);
    o.word(0); // entry
    o.word(if phnum > 0 { eh } else { 0 }); // program headers right after this header
    o.word(0); // no section headers
    o.u32(0);
    o.u16(eh as u16);
    o.u16(ph as u16);
    o.u16(phnum);
    o.u16(0);
    o.u16(0);
    o.u16(0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::component::elf;

    #[test]
    fn the_reader_sees_what_was_written_in_both_classes() {
        for (class, machine) in [(Class::Elf64, 62), (Class::Elf32, 3), (Class::Elf64, 183)] {
            let spec = Spec {
                class,
                machine,
                interp: Some(loader_for(class, machine).into()),
                needed: vec!["libssl.so.1.0.0".into(), "libc.so.6".into()],
                runpath: Some("$ORIGIN/lib".into()),
                version_needs: vec![
                    VersionNeed {
                        file: "libc.so.6".into(),
                        versions: vec!["GLIBC_2.2.5".into(), "GLIBC_2.29".into()],
                    },
                    VersionNeed {
                        file: "libm.so.6".into(),
                        versions: vec!["GLIBC_2.29".into()],
                    },
                ],
            };
            let info =
                elf::parse(&executable(&spec)).unwrap_or_else(|e| panic!("{class:?}: {e:?}"));
            assert_eq!((info.class, info.machine), (class, machine));
            assert_eq!(info.interp.as_deref(), Some(loader_for(class, machine)));
            assert_eq!(info.needed, vec!["libssl.so.1.0.0", "libc.so.6"]);
            assert_eq!(info.runpath, vec!["$ORIGIN/lib"]);
            assert_eq!(info.version_needs, spec.version_needs);
            assert!(info.version_defs.is_empty());
            assert_eq!(
                elf::ident(&library(class, machine)).unwrap(),
                (class, machine)
            );
            let libc = elf::parse(&library_defining(
                class,
                machine,
                "libc.so.6",
                &glibc_versions(2, 27),
            ))
            .unwrap_or_else(|e| panic!("{class:?}: {e:?}"));
            assert_eq!((libc.class, libc.machine), (class, machine));
            assert_eq!(
                libc.version_defs.first().map(String::as_str),
                Some("GLIBC_2.2.5"),
                "the base entry (the file's own name) is not a version"
            );
            assert!(
                libc.version_defs.contains(&"GLIBC_2.27".to_string())
                    && !libc.version_defs.contains(&"GLIBC_2.28".to_string())
            );
        }
    }

    #[test]
    fn a_static_binary_has_no_interpreter_and_no_needs() {
        let (class, machine) = host_target();
        let info = elf::parse(&executable(&Spec {
            class,
            machine,
            interp: None,
            needed: vec![],
            runpath: None,
            version_needs: vec![],
        }))
        .unwrap();
        assert!(info.interp.is_none() && info.needed.is_empty() && info.version_needs.is_empty());
    }

    #[test]
    fn the_version_hash_is_the_elf_one() {
        // Values as binutils writes them into .gnu.version_r.
        assert_eq!(elf_hash("GLIBC_2.2.5"), 0x09691a75);
        assert_eq!(elf_hash("GLIBC_2.29"), 0x06969189);
    }
}
