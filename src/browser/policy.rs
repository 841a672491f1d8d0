//! Chromium-family enterprise policies that decide Local Network Access for an origin,
//! read from the JSON files an agency pushes (Linux: `/etc/opt/chrome/policies/managed/`,
//! `/etc/chromium/policies/managed/`, `/etc/opt/edge/policies/managed/`; macOS plists and
//! the Windows registry carry the same names). Precedence as in Chromium's policy
//! definitions: `LoopbackNetworkBlockedForUrls` > `LoopbackNetworkAllowedForUrls` >
//! `LocalNetworkAccessBlockedForUrls` > `LocalNetworkAccessAllowedForUrls`.
//! `LocalNetworkAllowedForUrls` covers LAN targets only and does **not** let eCPA reach
//! loopback (measured on Chromium 156); it is noted so a remedy can say so.

use serde_json::Value;

use super::lna::{Setting, primary_covers};

/// The LNA policies of one browser, merged over its managed policy files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LnaPolicies {
    pub loopback_blocked: Vec<String>,
    pub loopback_allowed: Vec<String>,
    pub lna_blocked: Vec<String>,
    pub lna_allowed: Vec<String>,
    /// `LocalNetworkAllowedForUrls`: no help for loopback.
    pub local_allowed: Vec<String>,
    /// `LocalNetworkAccessRestrictionsTemporaryOptOut`: LNA only warns (said to go after 152;
    /// still honoured by 156).
    pub opt_out: bool,
}

/// A policy's verdict on an origin, with the policy and the entry that decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyDecision {
    pub setting: Setting,
    pub policy: &'static str,
    pub entry: String,
}

/// A policy file is a few KiB; anything larger is not a policy file.
pub const POLICY_FILE_MAX: usize = 1024 * 1024;

impl LnaPolicies {
    /// Adds one managed policy file. Chromium leaves a policy set in two files undefined;
    /// here the first file given that sets it is kept.
    pub fn add_file(&mut self, bytes: &[u8]) -> Result<(), String> {
        if bytes.len() > POLICY_FILE_MAX {
            return Err(format!("larger than {POLICY_FILE_MAX} bytes"));
        }
        let json: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let Some(map) = json.as_object() else {
            return Err("not a JSON object".into());
        };
        for (name, slot) in [
            ("LoopbackNetworkBlockedForUrls", &mut self.loopback_blocked),
            ("LoopbackNetworkAllowedForUrls", &mut self.loopback_allowed),
            ("LocalNetworkAccessBlockedForUrls", &mut self.lna_blocked),
            ("LocalNetworkAccessAllowedForUrls", &mut self.lna_allowed),
            ("LocalNetworkAllowedForUrls", &mut self.local_allowed),
        ] {
            if slot.is_empty()
                && let Some(list) = map.get(name).and_then(Value::as_array)
            {
                *slot = list
                    .iter()
                    .filter_map(Value::as_str)
                    .take(1000)
                    .map(|s| s.chars().take(300).collect())
                    .collect();
            }
        }
        if map.get("LocalNetworkAccessRestrictionsTemporaryOptOut") == Some(&Value::Bool(true)) {
            self.opt_out = true;
        }
        Ok(())
    }

    /// What the policies say about pages of `host` reaching loopback; `None` when they say
    /// nothing and the profile's own decision counts.
    pub fn decision(&self, host: &str) -> Option<PolicyDecision> {
        let lists: [(&Vec<String>, Setting, &'static str); 4] = [
            (
                &self.loopback_blocked,
                Setting::Block,
                "LoopbackNetworkBlockedForUrls",
            ),
            (
                &self.loopback_allowed,
                Setting::Allow,
                "LoopbackNetworkAllowedForUrls",
            ),
            (
                &self.lna_blocked,
                Setting::Block,
                "LocalNetworkAccessBlockedForUrls",
            ),
            (
                &self.lna_allowed,
                Setting::Allow,
                "LocalNetworkAccessAllowedForUrls",
            ),
        ];
        for (list, setting, policy) in lists {
            if let Some(entry) = list.iter().find(|p| primary_covers(p, host)) {
                return Some(PolicyDecision {
                    setting,
                    policy,
                    entry: entry.clone(),
                });
            }
        }
        self.opt_out.then(|| PolicyDecision {
            setting: Setting::Allow,
            policy: "LocalNetworkAccessRestrictionsTemporaryOptOut",
            entry: "true".into(),
        })
    }

    /// Whether only `LocalNetworkAllowedForUrls` names the host: an agency that meant to
    /// allow eCPA used the policy that does not cover loopback.
    pub fn only_local_allows(&self, host: &str) -> bool {
        self.decision(host).is_none() && self.local_allowed.iter().any(|p| primary_covers(p, host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::ECPA_HOST;

    fn policies(files: &[&str]) -> LnaPolicies {
        let mut p = LnaPolicies::default();
        for f in files {
            p.add_file(f.as_bytes()).unwrap();
        }
        p
    }

    #[test]
    fn the_lab_policies_decide_as_chromium_156_did() {
        let allowed =
            policies(&[r#"{"LoopbackNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw"]}"#]);
        assert_eq!(
            allowed.decision(ECPA_HOST).map(|d| (d.setting, d.policy)),
            Some((Setting::Allow, "LoopbackNetworkAllowedForUrls"))
        );
        let old = policies(&[r#"{"LocalNetworkAccessAllowedForUrls": ["[*.]dgpa.gov.tw"]}"#]);
        assert_eq!(
            old.decision(ECPA_HOST).map(|d| d.setting),
            Some(Setting::Allow)
        );
        let lan_only =
            policies(&[r#"{"LocalNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw"]}"#]);
        assert_eq!(lan_only.decision(ECPA_HOST), None);
        assert!(lan_only.only_local_allows(ECPA_HOST));
        let opt_out = policies(&[r#"{"LocalNetworkAccessRestrictionsTemporaryOptOut": true}"#]);
        assert_eq!(
            opt_out.decision(ECPA_HOST).map(|d| d.setting),
            Some(Setting::Allow)
        );
        let blocked = policies(&[r#"{"LoopbackNetworkBlockedForUrls": ["*"]}"#]);
        assert_eq!(
            blocked.decision(ECPA_HOST).map(|d| d.setting),
            Some(Setting::Block)
        );
    }

    #[test]
    fn a_loopback_block_outranks_every_allow_and_the_first_file_given_is_kept() {
        let p = policies(&[
            r#"{"LoopbackNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw"], "LocalNetworkAccessAllowedForUrls": ["*"]}"#,
            r#"{"LoopbackNetworkBlockedForUrls": ["[*.]gov.tw"], "LoopbackNetworkAllowedForUrls": ["https://other.example"]}"#,
        ]);
        let d = p.decision(ECPA_HOST).unwrap();
        assert_eq!(
            (d.setting, d.policy, d.entry.as_str()),
            (
                Setting::Block,
                "LoopbackNetworkBlockedForUrls",
                "[*.]gov.tw"
            )
        );
        assert_eq!(
            p.loopback_allowed,
            vec!["https://ecpa.dgpa.gov.tw".to_string()]
        );
    }

    #[test]
    fn hostile_policy_files_are_errors_or_say_nothing() {
        let mut p = LnaPolicies::default();
        assert!(p.add_file(b"").is_err());
        assert!(p.add_file(b"[]").is_err());
        assert!(
            p.add_file(br#"{"LoopbackNetworkBlockedForUrls": "https://ecpa.dgpa.gov.tw"}"#)
                .is_ok()
        );
        assert!(
            p.add_file(br#"{"LoopbackNetworkBlockedForUrls": [1, null, {}]}"#)
                .is_ok()
        );
        assert!(
            p.add_file(br#"{"LocalNetworkAccessRestrictionsTemporaryOptOut": "true"}"#)
                .is_ok()
        );
        assert_eq!(p.decision(ECPA_HOST), None);
    }
}

/// Managed policy files merged as one object: for a policy set in several files, the
/// first file (in name order) wins. Files that are not JSON objects are skipped.
pub fn merged(files: &[Vec<u8>]) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for bytes in files.iter().filter(|b| b.len() <= POLICY_FILE_MAX) {
        if let Ok(serde_json::Value::Object(m)) = serde_json::from_slice(bytes) {
            for (k, v) in m {
                out.entry(k).or_insert(v);
            }
        }
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod merge_tests {
    #[test]
    fn the_first_file_wins_and_junk_is_skipped() {
        let m = super::merged(&[
            br#"{"ProxyMode":"direct"}"#.to_vec(),
            b"not json".to_vec(),
            br#"{"ProxyMode":"fixed_servers","ProxyServer":"p:1"}"#.to_vec(),
        ]);
        assert_eq!(m["ProxyMode"], "direct");
        assert_eq!(m["ProxyServer"], "p:1");
    }
}
