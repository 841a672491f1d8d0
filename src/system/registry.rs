//! The Windows registry as the checks see it: one key's values and its direct subkeys'
//! values, which is all browser policies need (a list policy is a subkey of numbered
//! values). Real on Windows (`winapi.rs`), empty elsewhere, simulated in the demo.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Hive {
    LocalMachine,
    CurrentUser,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RegValue {
    Text(String),
    Number(u64),
}

/// A key: its values, and each subkey's values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegKey {
    pub values: Vec<(String, RegValue)>,
    pub subkeys: Vec<(String, Vec<(String, RegValue)>)>,
}

pub trait Registry: Send + Sync {
    /// The key at `path` under `hive` (64-bit view), or `None` when it is absent or the
    /// registry cannot be read.
    fn key(&self, hive: Hive, path: &str) -> Option<RegKey>;
}

/// No registry: every OS but Windows.
pub struct NoRegistry;

impl Registry for NoRegistry {
    fn key(&self, _: Hive, _: &str) -> Option<RegKey> {
        None
    }
}

/// The real registry (Windows).
pub struct WinRegistry;

impl Registry for WinRegistry {
    fn key(&self, hive: Hive, path: &str) -> Option<RegKey> {
        super::winapi::read_key(hive, path)
    }
}

/// A registry in memory, for simulated worlds and tests: (hive, path, case-insensitive) → key.
#[derive(Default)]
pub struct MemRegistry {
    keys: BTreeMap<(Hive, String), RegKey>,
}

impl MemRegistry {
    pub fn insert(&mut self, hive: Hive, path: &str, key: RegKey) {
        self.keys.insert((hive, path.to_ascii_lowercase()), key);
    }
}

impl Registry for MemRegistry {
    fn key(&self, hive: Hive, path: &str) -> Option<RegKey> {
        self.keys.get(&(hive, path.to_ascii_lowercase())).cloned()
    }
}

/// A browser's policies from the registry as JSON documents, machine-wide (HKLM) first,
/// as Chromium ranks them; empty when `path` is empty or nothing is set.
pub fn policy_documents(reg: &dyn Registry, path: &str) -> Vec<Vec<u8>> {
    if path.is_empty() {
        return Vec::new();
    }
    [Hive::LocalMachine, Hive::CurrentUser]
        .iter()
        .filter_map(|h| reg.key(*h, path))
        .map(|k| k.policy_json().to_string().into_bytes())
        .collect()
}

/// How deep a policy tree is read: Firefox's deepest policies (`Certificates\Install`,
/// `LocalNetworkAccess\SkipDomains`) are two levels down.
const TREE_DEPTH: usize = 4;

/// A policy key read as Firefox's Group Policy reader reads it: each value as itself, each
/// subkey as an object — or as an array when its values are all numbered (`1`, `2`, …)
/// and it has no subkeys of its own — recursively; `None` when the key is absent.
pub fn policy_tree(reg: &dyn Registry, hive: Hive, path: &str) -> Option<serde_json::Value> {
    let key = reg.key(hive, path)?;
    Some(tree(reg, hive, path, &key, TREE_DEPTH))
}

/// `key` (read from `path`) as a policy object; each subkey is read once, to see whether
/// it has subkeys of its own and, if so, to go down into it.
fn tree(
    reg: &dyn Registry,
    hive: Hive,
    path: &str,
    key: &RegKey,
    depth: usize,
) -> serde_json::Value {
    let mut out = values_object(&key.values);
    for (name, values) in &key.subkeys {
        let sub = format!("{path}\\{name}");
        let nested = (depth > 1).then(|| reg.key(hive, &sub)).flatten();
        let numbered = values.iter().all(|(n, _)| n.parse::<u64>().is_ok());
        let has_subkeys = nested.as_ref().is_some_and(|k| !k.subkeys.is_empty());
        let v = if numbered && !has_subkeys {
            numbered_list(values)
        } else if depth > 1 {
            nested
                .map(|k| tree(reg, hive, &sub, &k, depth - 1))
                .unwrap_or_default()
        } else {
            continue;
        };
        out.insert(name.clone(), v);
    }
    serde_json::Value::Object(out)
}

impl RegValue {
    fn json(&self) -> serde_json::Value {
        match self {
            RegValue::Text(t) => serde_json::Value::String(t.clone()),
            RegValue::Number(n) => serde_json::Value::from(*n),
        }
    }
}

/// A key's values as an object's members.
fn values_object(values: &[(String, RegValue)]) -> serde_json::Map<String, serde_json::Value> {
    values.iter().map(|(n, v)| (n.clone(), v.json())).collect()
}

/// A list policy: the numbered values (`1`, `2`, …) in numeric order, the rest ignored.
fn numbered_list(values: &[(String, RegValue)]) -> serde_json::Value {
    let mut items: Vec<(u64, &RegValue)> = values
        .iter()
        .filter_map(|(n, v)| Some((n.parse().ok()?, v)))
        .collect();
    items.sort_by_key(|(n, _)| *n);
    serde_json::Value::Array(items.into_iter().map(|(_, v)| v.json()).collect())
}

/// Firefox's policies from the registry as policy documents (`{"policies": …}`), the
/// machine's (HKLM) first, which Firefox prefers.
pub fn firefox_policy_documents(reg: &dyn Registry) -> Vec<serde_json::Value> {
    [Hive::LocalMachine, Hive::CurrentUser]
        .iter()
        .filter_map(|h| policy_tree(reg, *h, FIREFOX_POLICIES))
        .map(|t| serde_json::json!({ "policies": t }))
        .collect()
}

/// Where Firefox's Group Policy settings live.
pub const FIREFOX_POLICIES: &str = r"SOFTWARE\Policies\Mozilla\Firefox";

impl RegKey {
    /// A policy key as the JSON a policy file would hold: each value as itself, each subkey
    /// (a list policy: values `1`, `2`, …) as an array in numeric order. Chromium and
    /// Firefox keep the same policy names in the registry as in their JSON files.
    pub fn policy_json(&self) -> serde_json::Value {
        let mut out = values_object(&self.values);
        for (name, values) in &self.subkeys {
            out.insert(name.clone(), numbered_list(values));
        }
        serde_json::Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_key_reads_like_a_policy_file() {
        let key = RegKey {
            values: vec![
                ("ProxyMode".into(), RegValue::Text("fixed_servers".into())),
                ("DefaultLoopbackNetworkSetting".into(), RegValue::Number(2)),
            ],
            subkeys: vec![(
                "LoopbackNetworkAllowedForUrls".into(),
                vec![
                    ("2".into(), RegValue::Text("https://b".into())),
                    (
                        "1".into(),
                        RegValue::Text("https://ecpa.dgpa.gov.tw".into()),
                    ),
                    ("note".into(), RegValue::Text("ignored".into())),
                ],
            )],
        };
        assert_eq!(
            key.policy_json(),
            serde_json::json!({
                "ProxyMode": "fixed_servers",
                "DefaultLoopbackNetworkSetting": 2,
                "LoopbackNetworkAllowedForUrls": ["https://ecpa.dgpa.gov.tw", "https://b"]
            })
        );
        let mut mem = MemRegistry::default();
        mem.insert(
            Hive::LocalMachine,
            r"SOFTWARE\Policies\Google\Chrome",
            key.clone(),
        );
        assert_eq!(
            mem.key(Hive::LocalMachine, r"software\policies\google\chrome"),
            Some(key)
        );
        assert_eq!(
            mem.key(Hive::CurrentUser, r"SOFTWARE\Policies\Google\Chrome"),
            None
        );
    }

    /// Firefox's policy layout: objects as subkeys, lists as numbered values, switches as
    /// DWORDs; HKLM before HKCU.
    #[test]
    fn firefox_policies_read_as_firefox_reads_them() {
        let mut mem = MemRegistry::default();
        let v = |n: &str, t: &str| (n.to_string(), RegValue::Text(t.to_string()));
        mem.insert(
            Hive::LocalMachine,
            FIREFOX_POLICIES,
            RegKey {
                values: vec![("DisableAppUpdate".into(), RegValue::Number(1))],
                subkeys: vec![
                    (
                        "Proxy".into(),
                        vec![v("Mode", "manual"), v("HTTPProxy", "10.1.1.1:8080")],
                    ),
                    (
                        "Certificates".into(),
                        vec![("ImportEnterpriseRoots".into(), RegValue::Number(1))],
                    ),
                ],
            },
        );
        mem.insert(
            Hive::LocalMachine,
            &format!("{FIREFOX_POLICIES}\\Certificates"),
            RegKey {
                values: vec![("ImportEnterpriseRoots".into(), RegValue::Number(1))],
                subkeys: vec![(
                    "Install".into(),
                    vec![v("2", "b.crt"), v("1", r"C:\roots\a.crt")],
                )],
            },
        );
        mem.insert(
            Hive::LocalMachine,
            &format!("{FIREFOX_POLICIES}\\Proxy"),
            RegKey {
                values: vec![v("Mode", "manual"), v("HTTPProxy", "10.1.1.1:8080")],
                subkeys: vec![],
            },
        );
        mem.insert(
            Hive::CurrentUser,
            FIREFOX_POLICIES,
            RegKey {
                values: vec![("DisableAppUpdate".into(), RegValue::Number(0))],
                subkeys: vec![],
            },
        );
        let docs = firefox_policy_documents(&mem);
        assert_eq!(
            docs[0],
            serde_json::json!({"policies": {
                "DisableAppUpdate": 1,
                "Proxy": {"Mode": "manual", "HTTPProxy": "10.1.1.1:8080"},
                "Certificates": {"ImportEnterpriseRoots": 1, "Install": [r"C:\roots\a.crt", "b.crt"]}
            }})
        );
        assert_eq!(docs[1]["policies"]["DisableAppUpdate"], 0);
        assert!(firefox_policy_documents(&MemRegistry::default()).is_empty());
    }
}
