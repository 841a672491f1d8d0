//! The certificate decisions a Chromium-family profile keeps in its `Preferences`: a user
//! who clicked *Proceed* past a certificate warning leaves an `ssl_cert_decisions` content
//! setting, per host (shared across ports and schemes), keyed by the chain's fingerprint
//! and expiring after a week (Chromium's `stateful_ssl_host_state_delegate.cc`). It lets
//! the top-level page through; whether a WebSocket of another page is let through is not
//! verified, so it is evidence, never a pass.

use serde_json::Value;

/// Where a Chromium-family browser keeps its profiles (Chromium's `docs/user_data_dir.md`),
/// relative to the home, and its Linux managed-policy folders.
#[derive(Clone, Copy, Debug)]
pub struct Install {
    pub name: &'static str,
    pub user_data: &'static str,
    pub policies: &'static [&'static str],
    /// The macOS bundle id, whose managed preferences hold its policies there.
    pub bundle: &'static str,
    /// The registry key of its policies on Windows (under HKLM and HKCU).
    pub registry: &'static str,
}

const fn install(
    name: &'static str,
    user_data: &'static str,
    policies: &'static [&'static str],
) -> Install {
    let (bundle, registry) = match name.as_bytes() {
        b"Google Chrome" => ("com.google.Chrome", r"SOFTWARE\Policies\Google\Chrome"),
        b"Microsoft Edge" => ("com.microsoft.Edge", r"SOFTWARE\Policies\Microsoft\Edge"),
        _ => ("org.chromium.Chromium", r"SOFTWARE\Policies\Chromium"),
    };
    Install {
        name,
        user_data,
        policies,
        bundle,
        registry,
    }
}

/// A browser's managed policies as JSON documents, in precedence order: the Linux JSON
/// files of `dirs` (by name), or on macOS the managed-preference plists of `bundle`
/// (machine-wide, then `user`'s). `read_dir` lists a folder, `read` reads a small file.
pub fn policy_documents(
    os: &str,
    dirs: &[&std::path::Path],
    bundle: &str,
    user: Option<&str>,
    read_dir: &dyn Fn(&std::path::Path) -> Vec<String>,
    read: &dyn Fn(&std::path::Path) -> Option<Vec<u8>>,
) -> Vec<Vec<u8>> {
    if os == "macos" {
        return super::macos::managed_files(bundle, user)
            .iter()
            .filter_map(|f| read(std::path::Path::new(f)))
            .filter_map(|b| super::macos::plist_json(&b).ok())
            .map(|v| v.to_string().into_bytes())
            .collect();
    }
    let mut out = Vec::new();
    for dir in dirs {
        let mut names = read_dir(dir);
        names.sort();
        for n in names.iter().filter(|n| n.ends_with(".json")) {
            out.extend(read(&dir.join(n)));
        }
    }
    out
}

/// The Chromium family by OS (`linux`, `macos`, `windows`). Policies are read from files on
/// Linux; macOS plists and the Windows registry are not read yet.
pub fn installs(os: &str) -> &'static [Install] {
    const WINDOWS: &[Install] = &[
        install(
            "Google Chrome",
            "AppData/Local/Google/Chrome/User Data",
            &[],
        ),
        install(
            "Microsoft Edge",
            "AppData/Local/Microsoft/Edge/User Data",
            &[],
        ),
        install("Chromium", "AppData/Local/Chromium/User Data", &[]),
    ];
    const MACOS: &[Install] = &[
        install(
            "Google Chrome",
            "Library/Application Support/Google/Chrome",
            &[],
        ),
        install(
            "Microsoft Edge",
            "Library/Application Support/Microsoft Edge",
            &[],
        ),
        install("Chromium", "Library/Application Support/Chromium", &[]),
    ];
    const LINUX: &[Install] = &[
        install(
            "Google Chrome",
            ".config/google-chrome",
            &["/etc/opt/chrome/policies/managed"],
        ),
        install(
            "Microsoft Edge",
            ".config/microsoft-edge",
            &["/etc/opt/edge/policies/managed"],
        ),
        install(
            "Chromium",
            ".config/chromium",
            &["/etc/chromium/policies/managed"],
        ),
    ];
    match os {
        "windows" => WINDOWS,
        "macos" => MACOS,
        _ => LINUX,
    }
}

/// The NSS databases Chromium on Linux takes local trust from, relative to the home: the
/// old one wins when it exists (Chromium's `docs/linux/cert_management.md`; since M146 a new
/// one is made in the second place).
pub const LINUX_NSS_DBS: &[&str] = &[".pki/nssdb", ".local/share/pki/nssdb"];

/// The OS this build runs on, by the names the checks and the demo worlds use.
pub fn this_os() -> &'static str {
    if cfg!(target_os = "windows") {
        "windows"
    } else if cfg!(target_os = "macos") {
        "macos"
    } else {
        "linux"
    }
}

/// One host's click-through decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertDecision {
    pub host: String,
    /// Unix seconds when it expires, when stored.
    pub expires: Option<i64>,
}

/// Seconds from 1601-01-01 (Chromium's `base::Time` epoch) to 1970-01-01.
const WINDOWS_TO_UNIX: i64 = 11_644_473_600;

/// Every host with a click-through decision in a `Preferences` file.
pub fn cert_decisions(prefs: &[u8]) -> Vec<CertDecision> {
    if prefs.len() > super::lna::PREFERENCES_MAX {
        return Vec::new();
    }
    let Ok(json) = serde_json::from_slice::<Value>(prefs) else {
        return Vec::new();
    };
    let Some(map) =
        json["profile"]["content_settings"]["exceptions"]["ssl_cert_decisions"].as_object()
    else {
        return Vec::new();
    };
    map.iter()
        .take(1000)
        .filter_map(|(pattern, entry)| {
            let primary = pattern.split(',').next()?.trim();
            let rest = primary.split_once("://").map_or(primary, |(_, r)| r);
            let host = rest.split([':', '/']).next()?.trim_start_matches("[*.]");
            if host.is_empty() {
                return None;
            }
            let expires = entry["setting"]["decision_expiration_time"]
                .as_str()
                .and_then(|t| t.parse::<i64>().ok())
                .map(|micros| micros / 1_000_000 - WINDOWS_TO_UNIX);
            Some(CertDecision {
                host: host.to_ascii_lowercase(),
                expires,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_hosts_and_expiry() {
        let prefs = br#"{"profile":{"content_settings":{"exceptions":{"ssl_cert_decisions":{
            "https://localhost:443,*":{"last_modified":"13410000000000000","setting":{"cert_exceptions_map":{"-202cert":1},"decision_expiration_time":"13410604800000000","version":1}},
            "https://iccert.nhi.gov.tw:443,*":{"setting":{}}}}}}}"#;
        let mut d = cert_decisions(prefs);
        d.sort_by(|a, b| a.host.cmp(&b.host));
        assert_eq!(
            d,
            vec![
                CertDecision {
                    host: "iccert.nhi.gov.tw".into(),
                    expires: None
                },
                CertDecision {
                    host: "localhost".into(),
                    expires: Some(13_410_604_800 - WINDOWS_TO_UNIX)
                },
            ]
        );
        assert!(cert_decisions(b"[1,2]").is_empty());
        assert!(cert_decisions(b"\xff").is_empty());
    }
}
