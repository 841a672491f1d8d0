//! Kind `installer`: is the component installer the user downloaded whole? Compares its
//! MD5 with the value NHI publishes. Given `file`, checks that file; otherwise looks for
//! the known installer archives in the user's download folders.

use crate::engine::kind::{Simulated, StandIns};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::{BoxFuture, Ctx, Kind, Probe, blocking, params};
use crate::component::installer::{self, Verdict};
use crate::engine::outcome::{Msg, Outcome, Status};

pub const KIND: Kind = Kind {
    name: "installer",
    findings: &[
        "installer.corrupt",
        "installer.unverifiable",
        "installer.unknown",
        "installer.unreadable",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the world's downloads folder.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![(
        "search_dirs",
        serde_yaml::Value::Sequence(vec![w.downloads.as_str().into()]),
    )]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    file: Option<PathBuf>,
    /// Where downloads land; default: Downloads and 下載 in the user's home.
    #[serde(default)]
    search_dirs: Option<Vec<PathBuf>>,
    /// Compare with this MD5 instead of the built-in list (NHI updates its installers;
    /// the helpdesk can paste the value from the download page).
    #[serde(default)]
    expected_md5: Option<String>,
}

struct InstallerCheck {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if let Some(m) = &p.expected_md5
        && !installer::is_md5(m)
    {
        return Err(format!("expected_md5 `{m}` is not 32 hexadecimal digits"));
    }
    Ok(Arc::new(InstallerCheck { p }))
}

impl Probe for InstallerCheck {
    fn run(&self, _ctx: Ctx) -> BoxFuture {
        let file = self.p.file.clone();
        let dirs = self.p.search_dirs.clone().unwrap_or_else(default_dirs);
        let expected = self.p.expected_md5.clone();
        Box::pin(blocking(move || match (file, expected) {
            (Some(f), Some(md5)) => check_against(&f, &md5),
            (Some(f), None) => check_file(&f),
            (None, _) => scan(&dirs),
        }))
    }
}

fn default_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME")
        .or_else(|| std::env::var_os("USERPROFILE"))
        .map(PathBuf::from);
    home.map(|h| vec![h.join("Downloads"), h.join("下載")])
        .unwrap_or_default()
}

fn unreadable(path: &Path, e: &std::io::Error) -> Outcome {
    Outcome::fail(
        "installer.unreadable",
        Msg::new("installer.unreadable").arg("file", path.display().to_string()),
    )
    .with("file", path.display().to_string())
    .with("io_error", e.to_string())
}

fn check_against(path: &Path, expected: &str) -> Outcome {
    let md5 = match installer::md5_file(path) {
        Ok(m) => m,
        Err(e) => return unreadable(path, &e),
    };
    let o = if md5.eq_ignore_ascii_case(expected) {
        Outcome::pass(Msg::new("installer.matches_given"))
    } else {
        Outcome::fail("installer.corrupt", Msg::new("installer.differs_given"))
    };
    o.with("published_md5", expected.to_ascii_uppercase())
        .with("file", path.display().to_string())
        .with("md5", md5)
}

pub fn check_file(path: &Path) -> Outcome {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let md5 = match installer::md5_file(path) {
        Ok(m) => m,
        Err(e) => return unreadable(path, &e),
    };
    let o = match installer::judge(&name, &md5, installer::builtin()) {
        Verdict::Matches(i) => Outcome::pass(
            Msg::new("installer.matches")
                .arg("installer", i.name.zh_tw.as_str())
                .arg("installer_en", i.name.en.as_str()),
        )
        .with("published_md5", i.md5.as_str()),
        Verdict::Differs(i) => Outcome::fail(
            "installer.corrupt",
            Msg::new("installer.corrupt")
                .arg("installer", i.name.zh_tw.as_str())
                .arg("installer_en", i.name.en.as_str()),
        )
        .with("published_md5", i.md5.as_str()),
        Verdict::Unverifiable(i) => Outcome::warn(
            "installer.unverifiable",
            Msg::new("installer.unverifiable")
                .arg("installer", i.name.zh_tw.as_str())
                .arg("installer_en", i.name.en.as_str()),
        )
        .with(
            "published_md5",
            Msg::new("value.md5.digits")
                .arg("md5", i.md5.as_str())
                .arg("count", i.md5.len().to_string()),
        ),
        Verdict::Unknown => Outcome::warn("installer.unknown", Msg::new("installer.unknown")),
    };
    o.with("file", path.display().to_string()).with("md5", md5)
}

fn scan(dirs: &[PathBuf]) -> Outcome {
    let mut found = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            continue;
        };
        for e in entries.flatten() {
            let file_name = e.file_name().to_string_lossy().into_owned();
            // A known installer's name, whatever its content (the MD5 comes after).
            if installer::judge(&file_name, "", installer::builtin()) != Verdict::Unknown {
                found.push(e.path());
            }
        }
    }
    found.sort();
    found.dedup();
    if found.is_empty() {
        let searched: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Outcome::pass(Msg::new("installer.none_found"))
            .with("searched", searched.join("; "));
    }
    // The worst file decides; every file is listed.
    let results: Vec<Outcome> = found.iter().map(|f| check_file(f)).collect();
    let rank = |s: Status| match s {
        Status::Fail => 2,
        Status::Warn => 1,
        _ => 0,
    };
    let worst = results
        .iter()
        .max_by_key(|o| rank(o.status))
        .cloned()
        .expect("at least one file");
    results.iter().enumerate().fold(worst, |o, (i, r)| {
        let file = r
            .evidence("file")
            .map(|v| v.render(false))
            .unwrap_or_default();
        o.with(
            &format!("file_{}", i + 1),
            Msg::new("value.labelled").arg("name", file).arg(
                "value",
                Msg::new(&format!("value.check_status.{}", r.status.key())),
            ),
        )
    })
}
