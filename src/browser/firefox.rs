//! Firefox's files: which profiles a user has (`profiles.ini`), the version that last ran
//! each (`compatibility.ini`), the preferences it keeps (`prefs.js`) and the certificate
//! exceptions a user clicked through (`cert_override.txt`). Each profile has its own NSS
//! database (`cert9.db`, read by [`super::nss`]). Pure readers of bytes; hostile input is
//! an empty answer, never a panic.

/// Larger than any real `prefs.js` (a few hundred KiB with many add-ons).
pub const PREFS_MAX: usize = 8 * 1024 * 1024;
/// Larger than any real `profiles.ini`, `compatibility.ini` or `cert_override.txt`.
pub const SMALL_FILE_MAX: usize = 1024 * 1024;

/// Firefox's enterprise policy files on Linux (`policies.json`).
pub const POLICY_FILES_LINUX: &[&str] = &[
    "/etc/firefox/policies/policies.json",
    "/usr/lib/firefox-esr/distribution/policies.json",
    "/usr/lib/firefox/distribution/policies.json",
];

/// Larger than any real `policies.json`.
pub const POLICY_FILE_MAX: usize = 1024 * 1024;

/// Every readable Firefox policy file (`{"policies": …}`), in [`POLICY_FILES_LINUX`] order.
/// `read`: a file's bytes, if it can be read.
pub fn policy_documents(
    read: &dyn Fn(&std::path::Path) -> Option<Vec<u8>>,
) -> Vec<serde_json::Value> {
    POLICY_FILES_LINUX
        .iter()
        .filter_map(|f| read(std::path::Path::new(f)))
        .filter_map(|b| serde_json::from_slice(&b).ok())
        .collect()
}

/// Firefox's policy documents on `os`: the Linux policy files, or on Windows the registry's
/// (`registry`: `system::registry::firefox_policy_documents`); none elsewhere yet (macOS
/// keeps them in a managed-preferences plist, not read).
pub fn policies(
    os: &str,
    read: &dyn Fn(&std::path::Path) -> Option<Vec<u8>>,
    registry: &dyn Fn() -> Vec<serde_json::Value>,
) -> Vec<serde_json::Value> {
    match os {
        "linux" => policy_documents(read),
        "windows" => registry(),
        _ => Vec::new(),
    }
}

/// A policy switch: `true`/`false` in a JSON file, a DWORD 1/0 from the registry (Firefox's
/// policy schema takes both).
pub fn switch(v: Option<&serde_json::Value>) -> Option<bool> {
    let v = v?;
    v.as_bool().or_else(|| v.as_u64().map(|n| n != 0))
}

/// Where Firefox keeps `profiles.ini`, relative to the home, by OS. The snap and flatpak
/// folders are the community's word (browser facts §2.5), read when present.
pub fn profile_roots(os: &str) -> &'static [&'static str] {
    match os {
        "windows" => &["AppData/Roaming/Mozilla/Firefox"],
        "macos" => &["Library/Application Support/Firefox"],
        _ => &[
            ".mozilla/firefox",
            "snap/firefox/common/.mozilla/firefox",
            ".var/app/org.mozilla.firefox/.mozilla/firefox",
        ],
    }
}

/// One `[ProfileN]` of `profiles.ini`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub path: String,
    /// `path` is relative to the folder of `profiles.ini`.
    pub relative: bool,
}

/// The profiles `profiles.ini` lists, in file order.
pub fn profiles(ini: &[u8]) -> Vec<Profile> {
    let text = String::from_utf8_lossy(ini);
    let mut out = Vec::new();
    let mut current: Option<(Option<String>, Option<String>, bool)> = None;
    let mut flush = |c: Option<(Option<String>, Option<String>, bool)>| {
        if let Some((name, Some(path), relative)) = c
            && !path.is_empty()
            && out.len() < 64
        {
            out.push(Profile {
                name: name.unwrap_or_else(|| path.clone()),
                path,
                relative,
            });
        }
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            flush(current.take());
            if line.starts_with("[Profile") {
                current = Some((None, None, true));
            }
            continue;
        }
        let Some(c) = current.as_mut() else { continue };
        match line.split_once('=') {
            Some(("Name", v)) => c.0 = Some(v.to_string()),
            Some(("Path", v)) => c.1 = Some(v.to_string()),
            Some(("IsRelative", v)) => c.2 = v.trim() != "0",
            _ => {}
        }
    }
    flush(current);
    out
}

/// Every Firefox profile folder of `home` (name, folder), from each `profiles.ini` under
/// the OS's roots. `read`: a small file's bytes, if it can be read.
pub fn profile_dirs(
    read: &dyn Fn(&std::path::Path) -> Option<Vec<u8>>,
    home: &std::path::Path,
    os: &str,
) -> Vec<(String, std::path::PathBuf)> {
    let mut out = Vec::new();
    for root in profile_roots(os) {
        let base = home.join(root);
        let Some(ini) = read(&base.join("profiles.ini")) else {
            continue;
        };
        for p in profiles(&ini) {
            let dir = if p.relative {
                base.join(&p.path)
            } else {
                std::path::PathBuf::from(&p.path)
            };
            out.push((p.name, dir));
        }
    }
    out
}

/// The major version that last ran a profile: `LastVersion=153.8.0_20261110/20261110`.
pub fn last_version(compatibility_ini: &[u8]) -> Option<u32> {
    let text = String::from_utf8_lossy(compatibility_ini);
    let v = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("LastVersion="))?;
    super::lna::major_version(v.as_bytes())
}

/// One `user_pref("name", value);` of `prefs.js`, its value as written (`true`, `2`,
/// `"text"` with the quotes).
pub fn pref<'a>(prefs_js: &'a str, name: &str) -> Option<&'a str> {
    prefs_js.lines().rev().find_map(|l| {
        let rest = l.trim().strip_prefix("user_pref(")?;
        let rest = rest.strip_suffix(");")?;
        let (key, value) = rest.split_once(',')?;
        (key.trim().trim_matches('"') == name).then(|| value.trim())
    })
}

/// A click-through exception: Firefox accepts this certificate for this host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Override {
    pub host: String,
    pub port: u16,
    /// SHA-256 of the certificate, upper-case hex with colons (as `tls::fingerprint`).
    pub sha256: String,
}

/// The exceptions of `cert_override.txt`: lines `host:port:<attributes>` (older: `host:port`),
/// a tab, the hash algorithm's OID, a tab, the fingerprint, then fields we do not need.
pub fn overrides(text: &[u8]) -> Vec<Override> {
    const SHA256_OID: &str = "OID.2.16.840.1.101.3.4.2.1";
    String::from_utf8_lossy(text)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let place = f.next()?;
            if f.next()? != SHA256_OID {
                return None;
            }
            let sha256 = f.next()?.trim().to_ascii_uppercase();
            let mut hp = place.splitn(3, ':');
            let host = hp.next()?.to_ascii_lowercase();
            let port = hp.next()?.parse().ok()?;
            Some(Override { host, port, sha256 })
        })
        .take(1000)
        .collect()
}

/// What Firefox's Local Network Access does with the eCPA page's WebSocket to loopback.
/// Firefox ESR 153 (measured) checks fetches but not WebSockets unless
/// `network.lna.websocket.enabled` is on; where it stores a per-site decision is not known,
/// so only the global default is read (`permissions.default.loopback-network`: 0 ask,
/// 1 allow, 2 block) and the `LocalNetworkAccess` policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lna {
    /// LNA is off (`network.lna.enabled` false, or the policy's `Enabled: false`).
    Off {
        by: String,
    },
    /// LNA does not look at WebSockets in this profile.
    WebSocketsNotChecked,
    /// The policy's `SkipDomains` lists the site.
    Skipped {
        entry: String,
    },
    Blocked {
        by: String,
    },
    Allowed {
        by: String,
    },
    /// It will ask.
    Asks,
}

/// Judges one profile: its `prefs.js` text and the merged policies (`{"policies": …}`).
pub fn lna(prefs_js: &str, policies: Option<&serde_json::Value>, host: &str) -> Lna {
    let pol = policies.and_then(|p| p.get("policies")?.get("LocalNetworkAccess"));
    if let Some(p) = pol {
        if switch(p.get("Enabled")) == Some(false) {
            return Lna::Off {
                by: "policy LocalNetworkAccess.Enabled".into(),
            };
        }
        let skips = p
            .get("SkipDomains")
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str);
        for d in skips {
            let d = d.trim().trim_start_matches("*.").trim_start_matches('.');
            if host == d || host.ends_with(&format!(".{d}")) {
                return Lna::Skipped {
                    entry: d.to_string(),
                };
            }
        }
    }
    let pref = |k: &str| pref(prefs_js, k).map(|v| v.trim_matches('"').to_string());
    if pref("network.lna.enabled").as_deref() == Some("false") {
        return Lna::Off {
            by: "network.lna.enabled".into(),
        };
    }
    if pref("network.lna.websocket.enabled").as_deref() != Some("true") {
        return Lna::WebSocketsNotChecked;
    }
    match pref("permissions.default.loopback-network").as_deref() {
        Some("2") => Lna::Blocked {
            by: "permissions.default.loopback-network".into(),
        },
        Some("1") => Lna::Allowed {
            by: "permissions.default.loopback-network".into(),
        },
        _ => Lna::Asks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_profiles_with_their_folders() {
        let ini = b"[Install4F96D1932A9F858E]\nDefault=abcd.default-esr\nLocked=1\n\n[Profile1]\nName=work\nIsRelative=0\nPath=/data/ff/work\n\n[Profile0]\nName=default-esr\nIsRelative=1\nPath=abcd.default-esr\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n";
        assert_eq!(
            profiles(ini),
            vec![
                Profile {
                    name: "work".into(),
                    path: "/data/ff/work".into(),
                    relative: false
                },
                Profile {
                    name: "default-esr".into(),
                    path: "abcd.default-esr".into(),
                    relative: true
                },
            ]
        );
        assert!(profiles(b"\xff\xfe[Profile0\nPath").is_empty());
    }

    #[test]
    fn reads_what_firefox_esr_153_wrote() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/browser/firefox-153"
        );
        let compat = std::fs::read(format!("{dir}/compatibility.ini")).unwrap();
        assert_eq!(last_version(&compat), Some(153));
        let prefs = std::fs::read_to_string(format!("{dir}/prefs.js")).unwrap();
        // A fresh profile sets none of the proxy or LNA preferences: the defaults apply.
        assert_eq!(pref(&prefs, "network.proxy.type"), None);
        assert_eq!(
            lna(&prefs, None, "ecpa.dgpa.gov.tw"),
            Lna::WebSocketsNotChecked
        );
        assert!(pref(&prefs, "browser.startup.homepage_override.mstone").is_some());
    }

    #[test]
    fn lna_reads_the_policy_then_the_preferences() {
        let h = "ecpa.dgpa.gov.tw";
        assert_eq!(lna("", None, h), Lna::WebSocketsNotChecked);
        let ws = "user_pref(\"network.lna.websocket.enabled\", true);\n";
        assert_eq!(lna(ws, None, h), Lna::Asks);
        let blocked = format!("{ws}user_pref(\"permissions.default.loopback-network\", 2);\n");
        assert!(matches!(lna(&blocked, None, h), Lna::Blocked { .. }));
        let pol: serde_json::Value = serde_json::from_str(
            r#"{"policies":{"LocalNetworkAccess":{"SkipDomains":["dgpa.gov.tw"]}}}"#,
        )
        .unwrap();
        assert!(matches!(lna(&blocked, Some(&pol), h), Lna::Skipped { .. }));
        let off = format!("{blocked}user_pref(\"network.lna.enabled\", false);\n");
        assert!(matches!(lna(&off, None, h), Lna::Off { .. }));
    }

    #[test]
    fn reads_versions_prefs_and_overrides() {
        assert_eq!(
            last_version(b"[Compatibility]\nLastVersion=153.8.0_20261110/20261110\nLastOSABI=Linux_x86_64-gcc3\n"),
            Some(153)
        );
        let prefs = "// Mozilla User Preferences\nuser_pref(\"network.lna.enabled\", false);\nuser_pref(\"network.proxy.type\", 1);\n";
        assert_eq!(pref(prefs, "network.lna.enabled"), Some("false"));
        assert_eq!(pref(prefs, "network.proxy.type"), Some("1"));
        assert_eq!(pref(prefs, "network.proxy.http"), None);
        let o = overrides(b"# PRIVATE FILE\niccert.nhi.gov.tw:7777:\tOID.2.16.840.1.101.3.4.2.1\taa:bb:cc\t\nlocalhost:7777\tOID.2.16.840.1.101.3.4.2.1\tDD:EE\tMUT\tAAAA\nbroken line\n");
        assert_eq!(
            o,
            vec![
                Override {
                    host: "iccert.nhi.gov.tw".into(),
                    port: 7777,
                    sha256: "AA:BB:CC".into()
                },
                Override {
                    host: "localhost".into(),
                    port: 7777,
                    sha256: "DD:EE".into()
                },
            ]
        );
    }
}
