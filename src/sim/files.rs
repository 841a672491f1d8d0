//! An in-memory file tree for the demo: paths to bytes and permission bits, directories
//! implied by the files in them. The component checks read it through `Files` exactly as
//! they read the disk, so a simulated install looks like a real one to them.

use std::collections::BTreeMap;
use std::io;
use std::path::{Component, Path, PathBuf};

use crate::system::{FileKind, FileMeta, Files};

#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    bytes: Vec<u8>,
    mode: u32,
}

#[derive(Clone, Debug, Default)]
pub struct MemFiles {
    files: BTreeMap<PathBuf, Node>,
}

/// `/a/./b/../c` → `/a/c`, so a lookup matches however the probe built the path.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

fn not_found() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        "No such file or directory (os error 2)",
    )
}

impl MemFiles {
    pub fn new() -> MemFiles {
        MemFiles::default()
    }

    pub fn insert(&mut self, path: impl AsRef<Path>, bytes: impl Into<Vec<u8>>, mode: u32) {
        self.files.insert(
            normal(path.as_ref()),
            Node {
                bytes: bytes.into(),
                mode,
            },
        );
    }

    pub fn contains(&self, path: impl AsRef<Path>) -> bool {
        self.files.contains_key(&normal(path.as_ref()))
    }

    fn is_dir(&self, dir: &Path) -> bool {
        dir == Path::new("/") || self.files.keys().any(|p| p.starts_with(dir) && p != dir)
    }
}

impl Files for MemFiles {
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let path = normal(path);
        match self.files.get(&path) {
            Some(n) => Ok(n.bytes[..n
                .bytes
                .len()
                .min(usize::try_from(limit).unwrap_or(usize::MAX))]
                .to_vec()),
            None if self.is_dir(&path) => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            )),
            None => Err(not_found()),
        }
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let dir = normal(path);
        if self.files.contains_key(&dir) {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                "Not a directory (os error 20)",
            ));
        }
        if !self.is_dir(&dir) {
            return Err(not_found());
        }
        let mut names: Vec<String> = self
            .files
            .keys()
            .filter_map(|p| {
                p.strip_prefix(&dir)
                    .ok()?
                    .components()
                    .next()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
            })
            .collect();
        names.dedup();
        Ok(names)
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMeta> {
        let path = normal(path);
        match self.files.get(&path) {
            Some(n) => Ok(FileMeta {
                kind: FileKind::File,
                len: n.bytes.len() as u64,
                mode: Some(n.mode),
            }),
            None if self.is_dir(&path) => Ok(FileMeta {
                kind: FileKind::Dir,
                len: 0,
                mode: Some(0o755),
            }),
            None => Err(not_found()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_imply_their_directories() {
        let mut f = MemFiles::new();
        f.insert("/usr/local/share/NHIICC/mLNHIICC", b"x".to_vec(), 0o755);
        f.insert(
            "/usr/local/share/NHIICC/cert/NHIRootCA.crt",
            b"pem".to_vec(),
            0o644,
        );
        assert!(
            f.metadata(Path::new("/usr/local/share/NHIICC"))
                .unwrap()
                .is_dir()
        );
        assert_eq!(
            f.read_dir(Path::new("/usr/local/share/NHIICC/")).unwrap(),
            vec!["cert", "mLNHIICC"]
        );
        assert_eq!(
            f.read(Path::new("/usr/local/share/NHIICC/./cert/../mLNHIICC"), 10)
                .unwrap(),
            b"x"
        );
        assert!(f.read(Path::new("/usr/local/share/NHIICC"), 10).is_err());
        assert_eq!(
            f.read(Path::new("/etc/hosts"), 10).unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            f.metadata(Path::new("/usr/local/share/NHIICC/mLNHIICC"))
                .unwrap()
                .mode,
            Some(0o755)
        );
        assert!(f.read_dir(Path::new("/nowhere")).is_err());
    }

    #[test]
    fn reads_are_bounded_and_tails_come_from_the_end() {
        let mut f = MemFiles::new();
        f.insert("/tmp/log", b"one\ntwo\nthree\n".to_vec(), 0o644);
        assert_eq!(f.read(Path::new("/tmp/log"), 3).unwrap(), b"one");
        assert_eq!(f.read_tail(Path::new("/tmp/log"), 6).unwrap(), b"three\n");
    }
}
