//! Whose browser profiles to read: the user who logs into eCPA, which is not always the
//! account running ecpa-doctor (root under sudo, an administrator over SSH, a fleet run).

use std::path::{Path, PathBuf};

use super::{Files, System};

/// The user (when known) and their home: `--user`, else `SUDO_USER` under sudo, else the
/// account running.
pub fn whose(sys: &System) -> Option<(Option<String>, PathBuf)> {
    let user = sys.user.clone().or_else(|| {
        std::env::var("SUDO_USER")
            .ok()
            .filter(|u| !u.is_empty() && u != "root")
    });
    match user {
        Some(u) => passwd_home(sys.files.as_ref(), &u).map(|h| (Some(u), h)),
        None => {
            let home = std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })?;
            let name = std::env::var(if cfg!(windows) { "USERNAME" } else { "USER" }).ok();
            Some((name, PathBuf::from(home)))
        }
    }
}

/// Whose browsers: `home` when a profile names it (with the `--user` name, if any), else
/// [`whose`].
pub fn home_for(sys: &System, home: Option<&Path>) -> Option<(Option<String>, PathBuf)> {
    match home {
        Some(h) => Some((sys.user.clone(), h.to_path_buf())),
        None => whose(sys),
    }
}

/// The user's default browser, where the OS keeps it in files the system layer reads
/// (Linux's mimeapps.list); `None` elsewhere or when it is not one we know.
pub fn default_browser(sys: &System, home: &Path, os: &str) -> Option<&'static str> {
    use crate::browser::default;
    if os == "windows" {
        return windows_default(sys);
    }
    if os != "linux" {
        return None;
    }
    default::linux(
        &|p| sys.files.read(p, default::MIMEAPPS_MAX as u64).ok(),
        home,
    )
}

/// Windows keeps the https handler the user chose as a ProgId under UserChoice.
fn windows_default(sys: &System) -> Option<&'static str> {
    use super::registry::{Hive, RegValue};
    let key = sys.registry.key(
        Hive::CurrentUser,
        r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\https\UserChoice",
    )?;
    let prog = key.values.iter().find_map(|(n, v)| match v {
        RegValue::Text(t) if n.eq_ignore_ascii_case("ProgId") => Some(t.clone()),
        _ => None,
    })?;
    crate::browser::default::browser_of_progid(&prog)
}

/// `name:x:uid:gid:gecos:home:shell` in `/etc/passwd`.
fn passwd_home(files: &dyn Files, user: &str) -> Option<PathBuf> {
    let text = files.read(Path::new("/etc/passwd"), 1024 * 1024).ok()?;
    String::from_utf8_lossy(&text).lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 7 && f[0] == user).then(|| PathBuf::from(f[5]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::files::MemFiles;
    use std::sync::Arc;

    #[test]
    fn a_named_user_is_found_in_passwd() {
        let mut mem = MemFiles::new();
        mem.insert(
            "/etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\namy:x:1000:1000:Amy,,,:/srv/home/amy:/bin/bash\n"
                .to_vec(),
            0o644,
        );
        let mut sys = System::real();
        sys.files = Arc::new(mem);
        sys.user = Some("amy".into());
        assert_eq!(
            whose(&sys),
            Some((Some("amy".into()), PathBuf::from("/srv/home/amy")))
        );
        sys.user = Some("ghost".into());
        assert_eq!(whose(&sys), None);
    }

    #[test]
    fn the_windows_default_browser_is_the_users_progid() {
        use crate::system::registry::{Hive, MemRegistry, RegKey, RegValue};
        let mut reg = MemRegistry::default();
        reg.insert(
            Hive::CurrentUser,
            r"Software\Microsoft\Windows\Shell\Associations\UrlAssociations\https\UserChoice",
            RegKey {
                values: vec![("ProgId".into(), RegValue::Text("MSEdgeHTM".into()))],
                subkeys: vec![],
            },
        );
        let mut sys = System::real();
        sys.registry = Arc::new(reg);
        assert_eq!(
            default_browser(&sys, Path::new("C:/Users/u"), "windows"),
            Some("Microsoft Edge")
        );
    }
}
