//! The file system as probes see it. Install layouts, hosts files, lock files and logs are
//! read through this trait so the demo can show a machine that is not this one.

use std::io::{self, Read};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    File,
    Dir,
    Other,
}

/// What probes need to know about a path (symlinks followed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileMeta {
    pub kind: FileKind,
    pub len: u64,
    /// Unix permission bits; `None` where the platform has none.
    pub mode: Option<u32>,
}

impl FileMeta {
    pub fn is_file(&self) -> bool {
        self.kind == FileKind::File
    }

    pub fn is_dir(&self) -> bool {
        self.kind == FileKind::Dir
    }

    /// Any execute bit; without Unix modes nothing can be said, so yes.
    pub fn executable(&self) -> bool {
        self.mode.is_none_or(|m| m & 0o111 != 0)
    }
}

pub trait Files: Send + Sync {
    /// At most `limit` bytes from the start of a regular file.
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>>;
    /// Entry names of a directory, sorted.
    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>>;
    fn metadata(&self, path: &Path) -> io::Result<FileMeta>;

    /// At most the last `limit` bytes of a regular file (logs that grow all day).
    fn read_tail(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        let all = self.read(path, u64::MAX)?;
        Ok(all[all.len().saturating_sub(limit as usize)..].to_vec())
    }

    fn exists(&self, path: &Path) -> bool {
        self.metadata(path).is_ok()
    }
}

pub struct RealFiles;

impl Files for RealFiles {
    fn read(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        // A FIFO or device planted where a file should be would block or never end.
        if !std::fs::metadata(path)?.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let mut out = Vec::new();
        std::fs::File::open(path)?
            .take(limit)
            .read_to_end(&mut out)?;
        Ok(out)
    }

    fn read_tail(&self, path: &Path, limit: u64) -> io::Result<Vec<u8>> {
        use std::io::{Seek, SeekFrom};
        let m = std::fs::metadata(path)?;
        if !m.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        let mut f = std::fs::File::open(path)?;
        f.seek(SeekFrom::Start(m.len().saturating_sub(limit)))?;
        let mut out = Vec::new();
        f.take(limit).read_to_end(&mut out)?;
        Ok(out)
    }

    fn read_dir(&self, path: &Path) -> io::Result<Vec<String>> {
        let mut names: Vec<String> = std::fs::read_dir(path)?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        Ok(names)
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMeta> {
        let m = std::fs::metadata(path)?;
        let kind = if m.is_file() {
            FileKind::File
        } else if m.is_dir() {
            FileKind::Dir
        } else {
            FileKind::Other
        };
        Ok(FileMeta {
            kind,
            len: m.len(),
            mode: mode_of(&m),
        })
    }
}

#[cfg(unix)]
fn mode_of(m: &std::fs::Metadata) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    Some(m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode_of(_m: &std::fs::Metadata) -> Option<u32> {
    None
}

/// The last `lines` lines of a text log, read from its last `tail_bytes` bytes. CR is
/// dropped, and a line starting with `:` is joined to the one before: the component puts
/// `\r\n` inside its messages, so its `strerror` text lands on a line of its own. Bytes
/// that are not UTF-8 are replaced, so a garbled log stays readable evidence.
pub fn tail_lines(
    files: &dyn Files,
    path: &Path,
    tail_bytes: u64,
    lines: usize,
) -> io::Result<Vec<String>> {
    let bytes = files.read_tail(path, tail_bytes)?;
    let text = String::from_utf8_lossy(&bytes).replace('\r', "");
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        match out.last_mut() {
            Some(prev) if line.starts_with(':') => {
                prev.push(' ');
                prev.push_str(line);
            }
            _ => out.push(line.to_string()),
        }
    }
    let skip = out.len().saturating_sub(lines);
    Ok(out
        .split_off(skip)
        .into_iter()
        .map(|l| l.chars().take(200).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_tail_joins_the_components_split_lines() {
        let dir = std::env::temp_dir().join(format!("ecpa-files-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let log = dir.join("mNHIICC.err.20261127.log");
        std::fs::write(&log, b"20261127:152335,This is the main process.\r\n: Bad file descriptor\n20261127:152335,SSL_CTX_use_certificate_file 1 fail \r\n: No such file or directory\n\xff\n").unwrap();
        let tail = tail_lines(&RealFiles, &log, 4096, 2).unwrap();
        assert_eq!(
            tail,
            vec![
                "20261127:152335,SSL_CTX_use_certificate_file 1 fail : No such file or directory"
                    .to_string(),
                "\u{fffd}".to_string()
            ]
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_directory_is_not_read_as_a_file() {
        assert!(RealFiles.read(Path::new("/"), 10).is_err());
        assert!(RealFiles.metadata(Path::new("/")).unwrap().is_dir());
    }
}
