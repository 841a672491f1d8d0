//! Local Network Access in a Chromium-family profile (Chrome, Edge, Chromium): whether a
//! page of an origin may reach loopback, as the profile's `Preferences` file stores it.
//!
//! Since Chromium 145 the decision for loopback targets — eCPA's `iccert.nhi.gov.tw` is
//! 127.0.0.1 — lives under `profile.content_settings.exceptions.loopback_network`
//! (142–144: `local_network_access`), each entry keyed `"<primary>,<secondary>"` with a
//! `setting` of 1 allow, 2 block, 3 ask; the profile-wide default under
//! `profile.default_content_setting_values`. Measured with Chromium 156 (the fixtures in
//! `tests/fixtures/browser/chromium-156/` are files it wrote): at start it migrates an old
//! *allow* into both `local_network` and `loopback_network`, but an old *block* only into
//! `local_network` — so a block clicked on 142–144 no longer blocks eCPA's loopback on 145+.

use serde_json::Value;

/// A content setting as Chromium stores it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    Allow,
    Block,
    Ask,
}

impl Setting {
    pub fn from_stored(v: &Value) -> Option<Setting> {
        match v.as_i64()? {
            1 => Some(Setting::Allow),
            2 => Some(Setting::Block),
            3 => Some(Setting::Ask),
            _ => None,
        }
    }
}

/// The Chromium releases that changed what LNA covers.
pub const LNA_FETCH: u32 = 142;
pub const LNA_SPLIT: u32 = 145;
pub const LNA_WEBSOCKETS: u32 = 147;

/// The major version of a `Last Version` file or a version string (`156.0.8078.129`).
pub fn major_version(text: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(text).ok()?.trim();
    let major = text.split('.').next()?;
    if major.is_empty() || major.len() > 4 || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    major.parse().ok()
}

/// What LNA gates in a given release: the page's fetch of `https://iccert.nhi.gov.tw:7777/`
/// from 142, its WebSocket from 147.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    pub fetch: bool,
    pub websocket: bool,
}

pub fn scope(major: u32) -> Scope {
    Scope {
        fetch: major >= LNA_FETCH,
        websocket: major >= LNA_WEBSOCKETS,
    }
}

/// One stored exception.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exception {
    /// The whole key as stored (`https://ecpa.dgpa.gov.tw:443,*`).
    pub pattern: String,
    pub setting: Setting,
}

/// The LNA part of one profile's `Preferences`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProfileLna {
    pub loopback: Vec<Exception>,
    /// The 142–144 key, still there when the profile has not been opened by 145+.
    pub legacy: Vec<Exception>,
    pub default_loopback: Option<Setting>,
    pub default_legacy: Option<Setting>,
    /// Chromium 145+ has moved the old key's entries (`has_migrated_local_network_access`).
    pub migrated: bool,
}

/// How a profile answers a page of one host that reaches loopback.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// An exception for the host: which key and pattern.
    Stored {
        setting: Setting,
        key: &'static str,
        pattern: String,
    },
    /// No exception: the profile-wide default (allow or block everything).
    Default { setting: Setting, key: &'static str },
    /// Nothing decided: the browser asks (a prompt; headless or managed browsers may block).
    NotDecided,
}

/// Preferences files are a few hundred KiB at most; anything larger is not read whole.
pub const PREFERENCES_MAX: usize = 16 * 1024 * 1024;

impl ProfileLna {
    pub fn parse(bytes: &[u8]) -> Result<ProfileLna, String> {
        if bytes.len() > PREFERENCES_MAX {
            return Err(format!("larger than {PREFERENCES_MAX} bytes"));
        }
        let json: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if !json.is_object() {
            return Err("not a JSON object".into());
        }
        let exceptions = &json["profile"]["content_settings"]["exceptions"];
        let defaults = &json["profile"]["default_content_setting_values"];
        Ok(ProfileLna {
            loopback: exceptions_of(&exceptions["loopback_network"]),
            legacy: exceptions_of(&exceptions["local_network_access"]),
            default_loopback: Setting::from_stored(&defaults["loopback_network"]),
            default_legacy: Setting::from_stored(&defaults["local_network_access"]),
            migrated: exceptions["has_migrated_local_network_access"] == Value::Bool(true)
                || defaults["has_migrated_local_network_access"] == Value::Bool(true),
        })
    }

    /// The decision a page of `host` meets in a browser of `major` version (`None`: not
    /// known, taken as 145 or later). A block wins over an allow among exceptions that
    /// cover the host, as the stricter answer is the one that breaks the login.
    pub fn decision(&self, host: &str, major: Option<u32>) -> Decision {
        let split = major.is_none_or(|m| m >= LNA_SPLIT);
        let (exceptions, key, default, default_key) = if split {
            // An unmigrated old allow is carried over at the next start; an old block is not.
            let mut effective = self.loopback.clone();
            if !self.migrated {
                effective.extend(
                    self.legacy
                        .iter()
                        .filter(|e| e.setting == Setting::Allow)
                        .cloned(),
                );
            }
            (
                effective,
                "loopback_network",
                self.default_loopback,
                "loopback_network",
            )
        } else {
            (
                self.legacy.clone(),
                "local_network_access",
                self.default_legacy,
                "local_network_access",
            )
        };
        let covering: Vec<&Exception> = exceptions
            .iter()
            .filter(|e| primary_covers(&e.pattern, host) && e.setting != Setting::Ask)
            .collect();
        let pick = covering
            .iter()
            .find(|e| e.setting == Setting::Block)
            .or_else(|| covering.first());
        match (pick, default) {
            (Some(e), _) => Decision::Stored {
                setting: e.setting,
                key,
                pattern: e.pattern.clone(),
            },
            (None, Some(s)) if s != Setting::Ask => Decision::Default {
                setting: s,
                key: default_key,
            },
            _ => Decision::NotDecided,
        }
    }
}

fn exceptions_of(v: &Value) -> Vec<Exception> {
    let Some(map) = v.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(pattern, entry)| {
            Some(Exception {
                pattern: pattern.chars().take(300).collect(),
                setting: Setting::from_stored(&entry["setting"])?,
            })
        })
        .collect()
}

/// Whether the primary part of a content-settings key (`https://ecpa.dgpa.gov.tw:443,*`)
/// or a policy pattern covers pages of `host`: `*`, the host itself with or without
/// scheme and port, or a `[*.]domain` the host is in.
pub fn primary_covers(pattern: &str, host: &str) -> bool {
    let primary = pattern.split(',').next().unwrap_or_default().trim();
    if primary == "*" {
        return true;
    }
    let rest = match primary.split_once("://") {
        Some((_, r)) => r,
        None => primary,
    };
    let pattern_host = rest.split(['/', ':']).next().unwrap_or_default();
    // `[*.]` and its bracket-less spelling `*.` both mean "the domain and its subdomains".
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match pattern_host
        .strip_prefix("[*.]")
        .or_else(|| pattern_host.strip_prefix("*."))
    {
        Some(domain) => {
            let domain = domain.to_ascii_lowercase();
            !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
        }
        None => pattern_host.eq_ignore_ascii_case(&host),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::ECPA_HOST;

    /// Files Chromium 156 (Debian 12) wrote at exit after starting on a profile seeded with
    /// one LNA entry (`tests/fixtures/browser/chromium-156/`).
    fn fixture(name: &str) -> ProfileLna {
        let path = format!(
            "{}/tests/fixtures/browser/chromium-156/{name}.Preferences",
            env!("CARGO_MANIFEST_DIR")
        );
        ProfileLna::parse(&std::fs::read(&path).unwrap()).unwrap()
    }

    fn stored(setting: Setting, key: &'static str) -> Decision {
        Decision::Stored {
            setting,
            key,
            pattern: "https://ecpa.dgpa.gov.tw:443,*".into(),
        }
    }

    #[test]
    fn real_chromium_156_profiles_read_as_the_browser_decides() {
        assert_eq!(
            fixture("fresh").decision(ECPA_HOST, Some(156)),
            Decision::NotDecided
        );
        assert_eq!(
            fixture("loopback-block").decision(ECPA_HOST, Some(156)),
            stored(Setting::Block, "loopback_network")
        );
        assert_eq!(
            fixture("legacy-allow-migrated").decision(ECPA_HOST, Some(156)),
            stored(Setting::Allow, "loopback_network")
        );
        // Chromium moved the old block into `local_network` only: loopback is undecided.
        let migrated_block = fixture("legacy-block-migrated");
        assert!(migrated_block.migrated && migrated_block.loopback.is_empty());
        assert_eq!(
            migrated_block.decision(ECPA_HOST, Some(156)),
            Decision::NotDecided
        );
        assert_eq!(
            fixture("default-block").decision(ECPA_HOST, Some(156)),
            Decision::Default {
                setting: Setting::Block,
                key: "loopback_network"
            }
        );
        // Another site's decision says nothing about eCPA.
        assert_eq!(
            fixture("loopback-block").decision("example.org", Some(156)),
            Decision::NotDecided
        );
    }

    #[test]
    fn an_old_profile_is_read_by_the_rules_of_its_version() {
        let seeded = br#"{"profile":{"content_settings":{"exceptions":{"local_network_access":{"https://ecpa.dgpa.gov.tw:443,*":{"last_modified":"13370000000000000","setting":2}}}}}}"#;
        let p = ProfileLna::parse(seeded).unwrap();
        assert!(!p.migrated);
        assert_eq!(
            p.decision(ECPA_HOST, Some(143)),
            stored(Setting::Block, "local_network_access")
        );
        // Opened by 145+, the old block is not carried over to loopback.
        assert_eq!(p.decision(ECPA_HOST, Some(156)), Decision::NotDecided);
        let allow = br#"{"profile":{"content_settings":{"exceptions":{"local_network_access":{"https://ecpa.dgpa.gov.tw:443,*":{"setting":1}}}}}}"#;
        assert_eq!(
            ProfileLna::parse(allow).unwrap().decision(ECPA_HOST, None),
            stored(Setting::Allow, "loopback_network")
        );
    }

    #[test]
    fn patterns_cover_the_host_its_domain_or_everything() {
        for p in [
            "https://ecpa.dgpa.gov.tw:443,*",
            "https://ecpa.dgpa.gov.tw",
            "ecpa.dgpa.gov.tw",
            "[*.]dgpa.gov.tw",
            "https://[*.]gov.tw:*,*",
            "*",
            "*,https://ecpa.dgpa.gov.tw",
            "HTTPS://ECPA.DGPA.GOV.TW:443,*",
        ] {
            assert!(primary_covers(p, ECPA_HOST), "{p}");
        }
        for p in [
            "https://ecpa.dgpa.gov.tw.evil.example:443,*",
            "https://dgpa.gov.tw:443,*",
            "[*.]",
            "",
            "https://example.org,https://ecpa.dgpa.gov.tw",
        ] {
            assert!(!primary_covers(p, ECPA_HOST), "{p}");
        }
    }

    #[test]
    fn versions_say_what_lna_covers() {
        assert_eq!(major_version(b"156.0.8078.129"), Some(156));
        assert_eq!(major_version(b" 147.0.1\n"), Some(147));
        assert_eq!(major_version(b"abc"), None);
        assert_eq!(major_version(&[0xFF, b'.']), None);
        assert_eq!(
            scope(141),
            Scope {
                fetch: false,
                websocket: false
            }
        );
        assert_eq!(
            scope(145),
            Scope {
                fetch: true,
                websocket: false
            }
        );
        assert_eq!(
            scope(156),
            Scope {
                fetch: true,
                websocket: true
            }
        );
    }

    #[test]
    fn hostile_preferences_are_errors_or_nothing_decided() {
        assert!(ProfileLna::parse(b"").is_err());
        assert!(ProfileLna::parse(b"[1,2]").is_err());
        assert!(ProfileLna::parse(b"{\"profile\":").is_err());
        let odd = br#"{"profile":{"content_settings":{"exceptions":{"loopback_network":[1],"local_network_access":{"x":{"setting":"2"}}}},"default_content_setting_values":{"loopback_network":99}}}"#;
        assert_eq!(
            ProfileLna::parse(odd).unwrap().decision(ECPA_HOST, None),
            Decision::NotDecided
        );
    }
}
