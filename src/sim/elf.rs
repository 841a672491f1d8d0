//! Synthetic ELF files for the demo's simulated install: a daemon whose dynamic section
//! names the libraries a scenario says it needs, and library stubs whose header carries
//! the class and machine the loader compares. They hold no code: nothing ever runs them,
//! only `component::elf` reads them, exactly as it reads the real `mLNHIICC`.

use crate::component::elf::Class;

const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PT_INTERP: u32 = 3;
const DT_NULL: u64 = 0;
const DT_NEEDED: u64 = 1;
const DT_STRTAB: u64 = 5;
const DT_STRSZ: u64 = 10;
const DT_RUNPATH: u64 = 29;
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
}

/// The class and machine of this computer, as the component's own build for it would
/// carry; x86-64 where the CPU is not one the ELF reader knows.
pub fn host_target() -> (Class, u16) {
    crate::component::elf::host_accepts().and_then(|a| a.first().copied()).unwrap_or((Class::Elf64, 62))
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
/// (when given), PT_DYNAMIC with DT_NEEDED / DT_RUNPATH / DT_STRTAB / DT_STRSZ.
pub fn executable(spec: &Spec) -> Vec<u8> {
    let (eh, ph, dyn_size) = sizes(spec.class);
    let mut strtab = vec![0u8];
    let mut add = |s: &str| {
        let off = strtab.len() as u64;
        strtab.extend_from_slice(s.as_bytes());
        strtab.push(0);
        off
    };
    let mut dynamic: Vec<(u64, u64)> = spec.needed.iter().map(|n| (DT_NEEDED, add(n))).collect();
    if let Some(r) = &spec.runpath {
        dynamic.push((DT_RUNPATH, add(r)));
    }
    let interp: Vec<u8> = spec.interp.as_ref().map(|i| [i.as_bytes(), b"\0"].concat()).unwrap_or_default();
    let phnum: u64 = if interp.is_empty() { 2 } else { 3 };
    let interp_off = eh + phnum * ph;
    let str_off = interp_off + interp.len() as u64;
    let dyn_off = str_off + strtab.len() as u64;
    dynamic.push((DT_STRTAB, BASE + str_off));
    dynamic.push((DT_STRSZ, strtab.len() as u64));
    dynamic.push((DT_NULL, 0));
    let total = dyn_off + dynamic.len() as u64 * dyn_size;

    let mut o = Out { b: Vec::with_capacity(total as usize), class: spec.class };
    header(&mut o, spec.machine, phnum as u16, 2);
    let segment = |o: &mut Out, kind: u32, off: u64, size: u64| match spec.class {
        Class::Elf64 => {
            o.u32(kind);
            o.u32(if kind == PT_LOAD { 5 } else { 4 });
            for v in [off, BASE + off, BASE + off, size, size, if kind == PT_LOAD { 0x1000 } else { 1 }] {
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
    for (tag, value) in dynamic {
        o.word(tag);
        o.word(value);
    }
    o.b
}

/// A shared-library stub: just the header, which is all the loader search compares.
pub fn library(class: Class, machine: u16) -> Vec<u8> {
    let mut o = Out { b: Vec::new(), class };
    header(&mut o, machine, 0, 3);
    o.b
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
            };
            let info = elf::parse(&executable(&spec)).unwrap_or_else(|e| panic!("{class:?}: {e:?}"));
            assert_eq!((info.class, info.machine), (class, machine));
            assert_eq!(info.interp.as_deref(), Some(loader_for(class, machine)));
            assert_eq!(info.needed, vec!["libssl.so.1.0.0", "libc.so.6"]);
            assert_eq!(info.runpath, vec!["$ORIGIN/lib"]);
            assert_eq!(elf::ident(&library(class, machine)).unwrap(), (class, machine));
        }
    }

    #[test]
    fn a_static_binary_has_no_interpreter_and_no_needs() {
        let (class, machine) = host_target();
        let info = elf::parse(&executable(&Spec { class, machine, interp: None, needed: vec![], runpath: None })).unwrap();
        assert!(info.interp.is_none() && info.needed.is_empty());
    }
}
