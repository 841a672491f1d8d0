//! Where the dynamic loader would look for a binary's NEEDED libraries, and which of them
//! it would not find: RPATH/RUNPATH, the directories of `/etc/ld.so.conf` (with its
//! `include` lines) and the standard directories for the binary's architecture.

use std::path::{Path, PathBuf};

use super::elf::{self, Class, ElfInfo};
use crate::system::Files;

/// The standard library directories for an ELF class and machine (Debian multiarch,
/// Fedora `lib64`, and the plain ones).
pub fn standard_dirs(class: Class, machine: u16) -> Vec<PathBuf> {
    let triplet = match (class, machine) {
        (Class::Elf64, 62) => Some("x86_64-linux-gnu"),
        (Class::Elf32, 3) => Some("i386-linux-gnu"),
        (Class::Elf64, 183) => Some("aarch64-linux-gnu"),
        (Class::Elf32, 40) => Some("arm-linux-gnueabihf"),
        (Class::Elf64, 243) => Some("riscv64-linux-gnu"),
        _ => None,
    };
    let mut dirs = Vec::new();
    if let Some(t) = triplet {
        dirs.push(PathBuf::from(format!("/lib/{t}")));
        dirs.push(PathBuf::from(format!("/usr/lib/{t}")));
    }
    let bits = if class == Class::Elf64 {
        ["/lib64", "/usr/lib64"]
    } else {
        ["/lib32", "/usr/lib32"]
    };
    dirs.extend(bits.iter().map(PathBuf::from));
    dirs.extend(["/lib", "/usr/lib"].iter().map(PathBuf::from));
    dirs
}

/// Directories listed in an ld.so.conf file, following `include` lines (globs in the
/// file-name part, as the distributions use them) to a bounded depth.
pub fn ld_so_conf_dirs(files: &dyn Files, conf: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    read_conf(files, conf, 0, &mut out);
    out
}

fn read_conf(files: &dyn Files, conf: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > 8 {
        return;
    }
    let Ok(bytes) = files.read(conf, 1024 * 1024) else {
        return;
    };
    for line in String::from_utf8_lossy(&bytes).lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line
            .strip_prefix("include")
            .filter(|r| r.starts_with(char::is_whitespace))
        {
            for p in pattern.split_whitespace() {
                let p = if Path::new(p).is_absolute() {
                    PathBuf::from(p)
                } else {
                    conf.parent().unwrap_or(Path::new("/")).join(p)
                };
                for f in expand_glob(files, &p) {
                    read_conf(files, &f, depth + 1, out);
                }
            }
        } else if line.starts_with('/') {
            let dir = PathBuf::from(line);
            if !out.contains(&dir) {
                out.push(dir);
            }
        }
    }
}

fn expand_glob(files: &dyn Files, pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (
        pattern.parent(),
        pattern
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
    ) else {
        return Vec::new();
    };
    if !name.contains(['*', '?']) {
        return vec![pattern.to_path_buf()];
    }
    files
        .read_dir(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| wildcard(&name, n))
        .map(|n| dir.join(n))
        .collect()
}

/// `*` and `?` only, which is all ld.so.conf files use.
fn wildcard(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    go(&p, &n)
}

/// The search order of the loader: RPATH (ignored when RUNPATH is set), RUNPATH, the
/// ld.so.conf directories, the standard ones. `$ORIGIN` is the binary's directory.
pub fn search_dirs(
    info: &ElfInfo,
    binary_dir: &Path,
    conf_dirs: &[PathBuf],
    standard: &[PathBuf],
) -> Vec<PathBuf> {
    let lib = if info.class == Class::Elf64 {
        "lib64"
    } else {
        "lib"
    };
    let expand = |p: &String| {
        PathBuf::from(
            p.replace("${ORIGIN}", &binary_dir.to_string_lossy())
                .replace("$ORIGIN", &binary_dir.to_string_lossy())
                .replace("${LIB}", lib)
                .replace("$LIB", lib),
        )
    };
    let own: Vec<PathBuf> = if info.runpath.is_empty() {
        info.rpath.iter().map(expand).collect()
    } else {
        info.runpath.iter().map(expand).collect()
    };
    let mut out: Vec<PathBuf> = Vec::new();
    for d in own
        .into_iter()
        .chain(conf_dirs.iter().cloned())
        .chain(standard.iter().cloned())
    {
        if !out.contains(&d) {
            out.push(d);
        }
    }
    out
}

/// Where the loader would find `name`, or `None`. A file of another ELF class or machine
/// (a 64-bit library for a 32-bit daemon) does not count, as for the loader.
pub fn find(
    files: &dyn Files,
    name: &str,
    dirs: &[PathBuf],
    want: (Class, u16),
) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = if name.contains('/') {
        vec![PathBuf::from(name)]
    } else {
        dirs.iter().map(|d| d.join(name)).collect()
    };
    candidates.into_iter().find(|c| {
        files.metadata(c).is_ok_and(|m| m.is_file())
            && match files.read(c, 64).map(|b| elf::ident(&b)) {
                Ok(Ok(got)) => got == want,
                // Unreadable or not ELF: the loader's business, not a missing library.
                _ => true,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::files::RealFiles;

    #[test]
    fn wildcards_of_ld_so_conf() {
        assert!(wildcard("*.conf", "libc.conf"));
        assert!(!wildcard("*.conf", "libc.conf.bak"));
        assert!(wildcard("x86_64-linux-gn?.conf", "x86_64-linux-gnu.conf"));
    }

    #[test]
    fn conf_includes_are_followed() {
        let dir = std::env::temp_dir().join(format!("ecpa-ldconf-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("ld.so.conf.d")).unwrap();
        std::fs::write(
            dir.join("ld.so.conf"),
            "include ld.so.conf.d/*.conf\n/opt/top # comment\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("ld.so.conf.d/a.conf"),
            "# nothing\n/opt/a\ninclude /nonexistent/*.conf\n",
        )
        .unwrap();
        std::fs::write(dir.join("ld.so.conf.d/b.txt"), "/opt/not-included\n").unwrap();
        assert_eq!(
            ld_so_conf_dirs(&RealFiles, &dir.join("ld.so.conf")),
            vec![PathBuf::from("/opt/a"), PathBuf::from("/opt/top")]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn runpath_hides_rpath_and_origin_expands() {
        let info = ElfInfo {
            class: Class::Elf64,
            machine: 62,
            interp: None,
            needed: vec![],
            rpath: vec!["/r".into()],
            runpath: vec!["$ORIGIN/lib".into()],
            version_needs: vec![],
            version_defs: vec![],
        };
        let dirs = search_dirs(
            &info,
            Path::new("/usr/local/share/NHIICC"),
            &[],
            &[PathBuf::from("/lib")],
        );
        assert_eq!(
            dirs,
            vec![
                PathBuf::from("/usr/local/share/NHIICC/lib"),
                PathBuf::from("/lib")
            ]
        );
    }

    #[test]
    fn libc_of_this_machine_is_found_in_the_standard_dirs() {
        let bytes = std::fs::read("/bin/true").unwrap();
        let info = elf::parse(&bytes).unwrap();
        let dirs = search_dirs(
            &info,
            Path::new("/bin"),
            &ld_so_conf_dirs(&RealFiles, Path::new("/etc/ld.so.conf")),
            &standard_dirs(info.class, info.machine),
        );
        let libc = info
            .needed
            .iter()
            .find(|n| n.starts_with("libc.so"))
            .unwrap();
        let found = find(&RealFiles, libc, &dirs, (info.class, info.machine));
        assert!(found.is_some(), "{dirs:?}");
        assert!(
            find(
                &RealFiles,
                "libnhi-doctor-absent.so.9",
                &dirs,
                (info.class, info.machine)
            )
            .is_none()
        );

        // The versions the binary needs from libc are among those this libc defines.
        let defs = elf::parse(&std::fs::read(found.unwrap()).unwrap())
            .unwrap()
            .version_defs;
        let needs = &info
            .version_needs
            .iter()
            .find(|n| n.file == *libc)
            .expect("libc version needs")
            .versions;
        assert!(
            !needs.is_empty() && needs.iter().all(|v| defs.contains(v)),
            "{needs:?} not all in {defs:?}"
        );
        assert!(super::super::glibc::highest(&defs).is_some(), "{defs:?}");
    }
}
