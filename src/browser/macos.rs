//! macOS managed preferences: what an agency's MDM pushes as browser policies lands in
//! `/Library/Managed Preferences/<bundle id>.plist` (and a per-user folder), binary or XML
//! plists holding the same keys as the Linux JSON policy files. Turned into JSON here so
//! the same policy readers serve both.

use serde_json::Value;

/// Larger than any real managed-preferences plist.
pub const PLIST_MAX: usize = 1024 * 1024;

/// A plist (binary or XML) as a JSON value: dictionaries, arrays, strings, numbers and
/// booleans as they are; dates and data as text.
pub fn plist_json(bytes: &[u8]) -> Result<Value, String> {
    if bytes.len() > PLIST_MAX {
        return Err(format!("larger than {} KiB", PLIST_MAX / 1024));
    }
    let v = plist::Value::from_reader(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    Ok(json(v, 0))
}

fn json(v: plist::Value, depth: usize) -> Value {
    if depth > 32 {
        return Value::Null;
    }
    match v {
        plist::Value::Dictionary(d) => Value::Object(
            d.into_iter()
                .map(|(k, v)| (k, json(v, depth + 1)))
                .collect(),
        ),
        plist::Value::Array(a) => Value::Array(a.into_iter().map(|v| json(v, depth + 1)).collect()),
        plist::Value::Boolean(b) => Value::Bool(b),
        plist::Value::String(s) => Value::String(s),
        plist::Value::Integer(i) => i
            .as_signed()
            .map(Value::from)
            .or_else(|| i.as_unsigned().map(Value::from))
            .unwrap_or(Value::Null),
        plist::Value::Real(r) => serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number),
        plist::Value::Date(d) => Value::String(d.to_xml_format()),
        plist::Value::Data(_) | plist::Value::Uid(_) => Value::Null,
        _ => Value::Null,
    }
}

/// The managed-preference files of a bundle, machine-wide then the user's.
pub fn managed_files(bundle: &str, user: Option<&str>) -> Vec<String> {
    let mut out = vec![format!("/Library/Managed Preferences/{bundle}.plist")];
    if let Some(u) = user.filter(|u| !u.contains('/') && !u.is_empty()) {
        out.push(format!("/Library/Managed Preferences/{u}/{bundle}.plist"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
  <key>LoopbackNetworkAllowedForUrls</key><array><string>https://ecpa.dgpa.gov.tw</string></array>
  <key>ProxyMode</key><string>fixed_servers</string>
  <key>DefaultLoopbackNetworkSetting</key><integer>2</integer>
  <key>Managed</key><true/>
</dict></plist>"#;

    #[test]
    fn xml_and_binary_plists_read_alike() {
        let v = plist_json(XML.as_bytes()).unwrap();
        assert_eq!(
            v["LoopbackNetworkAllowedForUrls"][0],
            "https://ecpa.dgpa.gov.tw"
        );
        assert_eq!(v["DefaultLoopbackNetworkSetting"], 2);
        assert_eq!(v["Managed"], true);
        let value = plist::Value::from_reader(std::io::Cursor::new(XML.as_bytes())).unwrap();
        let mut binary = Vec::new();
        value.to_writer_binary(&mut binary).unwrap();
        assert!(binary.starts_with(b"bplist00"));
        assert_eq!(plist_json(&binary).unwrap(), v);
        assert!(plist_json(b"bplist00\xff\xff").is_err());
        assert!(plist_json(b"not a plist").is_err());
    }

    #[test]
    fn per_user_files_need_a_plain_name() {
        assert_eq!(managed_files("com.google.Chrome", Some("../x")).len(), 1);
        assert_eq!(
            managed_files("com.google.Chrome", Some("amy"))[1],
            "/Library/Managed Preferences/amy/com.google.Chrome.plist"
        );
    }
}
