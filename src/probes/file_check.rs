//! Kind `file` (an agency check): a file or folder exists, and a file's text matches a
//! pattern. Read through the system layer, at most `pattern::READ_MAX` bytes.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use super::pattern::{Pattern, READ_MAX};
use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::engine::kind::Simulated;
use crate::engine::outcome::{Msg, Outcome};
use crate::system::FileKind;

pub const KIND: Kind = Kind::new(
    "file",
    &["file.missing", "file.wrong_type", "file.no_match"],
    build,
    Simulated::SystemLayer,
);

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
enum Is {
    #[default]
    Any,
    File,
    Folder,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    path: PathBuf,
    #[serde(default)]
    is: Is,
    /// The file's text must match (a file only).
    #[serde(default)]
    contains: Option<Pattern>,
}

struct FileCheck {
    p: Arc<Params>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.contains.is_some() && p.is == Is::Folder {
        return Err("`contains`: a folder has no text to match".into());
    }
    Ok(Arc::new(FileCheck { p: Arc::new(p) }))
}

impl Probe for FileCheck {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(blocking(move || judge(&p, ctx.system().files.as_ref())))
    }
}

fn judge(p: &Params, files: &dyn crate::system::Files) -> Outcome {
    let path = p.path.display().to_string();
    let meta = match files.metadata(&p.path) {
        Ok(m) => m,
        Err(e) => {
            return Outcome::fail("file.missing", Msg::new("file.missing").arg("path", &*path))
                .with("path", &*path)
                .with("file_error", e.to_string());
        }
    };
    let wrong = match (p.is, meta.kind) {
        (Is::File, FileKind::File) | (Is::Folder, FileKind::Dir) | (Is::Any, _) => None,
        (Is::File, _) => Some("value.file_kind.file"),
        (Is::Folder, _) => Some("value.file_kind.folder"),
    };
    if let Some(expected) = wrong {
        return Outcome::fail(
            "file.wrong_type",
            Msg::new("file.wrong_type")
                .arg("path", &*path)
                .arg("expected", Msg::new(expected)),
        )
        .with("path", &*path);
    }
    let Some(pattern) = &p.contains else {
        return Outcome::pass(Msg::new("file.found").arg("path", &*path)).with("path", &*path);
    };
    let text = match files.read(&p.path, READ_MAX as u64) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => {
            return Outcome::fail("file.missing", Msg::new("file.missing").arg("path", &*path))
                .with("path", &*path)
                .with("file_error", e.to_string());
        }
    };
    let o = if pattern.matches(&text) {
        Outcome::pass(
            Msg::new("file.matches")
                .arg("path", &*path)
                .arg("pattern", pattern.as_str()),
        )
    } else {
        Outcome::fail(
            "file.no_match",
            Msg::new("file.no_match")
                .arg("path", &*path)
                .arg("pattern", pattern.as_str()),
        )
    };
    o.with("path", &*path)
        .with("pattern", pattern.as_str())
        .with("size", meta.len.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(yaml: &str) -> Outcome {
        let dir = std::env::temp_dir().join(format!("ecpa-file-kind-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("agency.conf"), "vpn=on\n").unwrap();
        let yaml = yaml.replace("DIR", &dir.display().to_string());
        let p: Params = params(&serde_yaml::from_str(&yaml).unwrap()).unwrap();
        judge(&p, &crate::system::files::RealFiles)
    }

    #[test]
    fn each_way_a_file_check_ends() {
        assert_eq!(run("{path: DIR/agency.conf}").finding, None);
        assert_eq!(run("{path: DIR, is: folder}").finding, None);
        assert_eq!(
            run("{path: DIR/agency.conf, contains: '^vpn=on$'}").finding,
            None
        );
        let f = |y| run(y).finding.unwrap_or_default();
        assert_eq!(f("{path: DIR/none.conf}"), "file.missing");
        assert_eq!(f("{path: DIR, is: file}"), "file.wrong_type");
        assert_eq!(
            f("{path: DIR/agency.conf, contains: 'vpn=off'}"),
            "file.no_match"
        );
    }

    #[test]
    fn contains_on_a_folder_and_a_bad_pattern_are_profile_errors() {
        let v = |y| serde_yaml::from_str::<serde_yaml::Value>(y).unwrap();
        assert!(build(&v("{path: /x, is: folder, contains: a}")).is_err());
        let e = build(&v("{path: /x, contains: '(('}")).err().unwrap();
        assert!(e.contains("(("), "{e}");
    }
}
