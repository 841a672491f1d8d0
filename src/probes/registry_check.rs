//! Kind `registry` (an agency check, Windows): a registry value is set, and matches a
//! pattern. Read through the system layer (64-bit view). On another OS there is no
//! registry: the check says it does not apply, and passes.

use std::sync::Arc;

use serde::Deserialize;

use super::pattern::Pattern;
use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::engine::kind::Simulated;
use crate::engine::outcome::{Msg, Outcome};
use crate::system::registry::{Hive, RegValue, Registry};

pub const KIND: Kind = Kind::new(
    "registry",
    &["registry.missing", "registry.no_match"],
    build,
    Simulated::SystemLayer,
);

#[derive(Deserialize, Clone, Copy)]
enum HiveName {
    #[serde(rename = "HKLM", alias = "HKEY_LOCAL_MACHINE")]
    Hklm,
    #[serde(rename = "HKCU", alias = "HKEY_CURRENT_USER")]
    Hkcu,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    hive: HiveName,
    key: String,
    /// The value's name; empty for the key's default value.
    #[serde(default)]
    value: String,
    #[serde(default)]
    expect: Option<Pattern>,
}

struct RegistryCheck {
    p: Arc<Params>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.key.trim().is_empty() || p.key.contains('/') {
        return Err(format!(
            "`key`: `{}` is not a registry path such as SOFTWARE\\Policies\\Agency",
            p.key
        ));
    }
    Ok(Arc::new(RegistryCheck { p: Arc::new(p) }))
}

impl Probe for RegistryCheck {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(blocking(move || {
            let system = ctx.system();
            if !cfg!(windows) && !system.simulated {
                return Outcome::pass(Msg::new("registry.not_windows"));
            }
            judge(&p, system.registry.as_ref())
        }))
    }
}

fn judge(p: &Params, reg: &dyn Registry) -> Outcome {
    let (hive, hive_name) = match p.hive {
        HiveName::Hklm => (Hive::LocalMachine, "HKLM"),
        HiveName::Hkcu => (Hive::CurrentUser, "HKCU"),
    };
    let name = if p.value.is_empty() {
        "(default)"
    } else {
        p.value.as_str()
    };
    let place = format!("{hive_name}\\{}", p.key.trim_matches('\\'));
    let found = reg.key(hive, &p.key).and_then(|k| {
        k.values
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&p.value))
            .map(|(_, v)| v)
    });
    let Some(v) = found else {
        return Outcome::fail(
            "registry.missing",
            Msg::new("registry.missing")
                .arg("key", place.as_str())
                .arg("value", name),
        )
        .with("registry_key", place);
    };
    let text = match v {
        RegValue::Text(t) => t,
        RegValue::Number(n) => n.to_string(),
    };
    let o = match &p.expect {
        Some(pattern) if !pattern.matches(&text) => Outcome::fail(
            "registry.no_match",
            Msg::new("registry.no_match")
                .arg("key", place.as_str())
                .arg("value", name)
                .arg("pattern", pattern.as_str()),
        )
        .with("pattern", pattern.as_str()),
        _ => Outcome::pass(
            Msg::new("registry.set")
                .arg("key", place.as_str())
                .arg("value", name),
        ),
    };
    o.with("registry_key", place)
        .with("registry_value", super::pattern::shown(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::registry::{MemRegistry, RegKey};

    #[test]
    fn a_value_is_found_matched_or_named_missing() {
        let mut reg = MemRegistry::default();
        reg.insert(
            Hive::LocalMachine,
            r"SOFTWARE\Agency\VPN",
            RegKey {
                values: vec![("Profile".into(), RegValue::Text("agency-2026".into()))],
                subkeys: vec![],
            },
        );
        let p = |y: &str| -> Params { params(&serde_yaml::from_str(y).unwrap()).unwrap() };
        let f = |y: &str| judge(&p(y), &reg).finding.unwrap_or_default();
        assert_eq!(
            f(r"{hive: HKLM, key: 'SOFTWARE\Agency\VPN', value: profile}"),
            ""
        );
        assert_eq!(
            f(r"{hive: HKLM, key: 'SOFTWARE\Agency\VPN', value: Profile, expect: '^agency-2026$'}"),
            ""
        );
        assert_eq!(
            f(r"{hive: HKLM, key: 'SOFTWARE\Agency\VPN', value: Profile, expect: '2025'}"),
            "registry.no_match"
        );
        assert_eq!(
            f(r"{hive: HKCU, key: 'SOFTWARE\Agency\VPN', value: Profile}"),
            "registry.missing"
        );
        assert!(build(&serde_yaml::from_str("{hive: HKLM, key: 'a/b'}").unwrap()).is_err());
        assert!(build(&serde_yaml::from_str("{hive: HKXX, key: 'a'}").unwrap()).is_err());
    }
}
