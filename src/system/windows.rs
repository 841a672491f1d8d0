//! Windows facts: a service's state (through the Service Control Manager API,
//! `winapi.rs`) and the legacy IE add-on's COM class, still read with `reg` (the registry
//! API comes next) and parsed from its output, tested on Linux with captured Chinese text.

use std::process::{Command, Stdio};

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServiceState {
    /// `RUNNING`, `STOPPED`, `START_PENDING`…
    pub state: Option<String>,
    /// `AUTO_START`, `DEMAND_START`, `DISABLED`…
    pub start_type: Option<String>,
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The state of a Windows service, or `None` when the Service Control Manager cannot be
/// asked (and on other OSes).
pub fn query_service(name: &str) -> Option<ServiceState> {
    super::winapi::service(name)
}

/// A COM class registered under `HKCR\CLSID` (the IE add-on "twNHIICC Class").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComClass {
    pub clsid: String,
    pub server: Option<String>,
}

/// The CLSIDs whose default value is `name`, from
/// `reg query HKCR\CLSID /s /f "<name>" /d /e`.
pub fn parse_reg_search(text: &str, name: &str) -> Vec<String> {
    let mut key: Option<String> = None;
    let mut found = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("HKEY_") {
            key = t
                .rsplit('\\')
                .next()
                .filter(|k| k.starts_with('{') && k.ends_with('}'))
                .map(str::to_string);
        } else if let Some(k) = &key
            && t.contains("REG_SZ")
            && t.split("REG_SZ")
                .nth(1)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case(name))
            && !found.contains(k)
        {
            found.push(k.clone());
        }
    }
    found
}

/// The DLL path of `reg query HKCR\CLSID\{…}\InprocServer32 /ve`.
pub fn parse_reg_default(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| {
            l.split_once("REG_SZ")
                .or_else(|| l.split_once("REG_EXPAND_SZ"))
                .map(|(_, v)| v.trim().to_string())
        })
        .filter(|v| !v.is_empty())
}

/// COM classes named `name`, with their servers; `None` when `reg` could not be asked.
pub fn find_com_class(name: &str) -> Option<Vec<ComClass>> {
    let text = run(
        "reg",
        &["query", r"HKCR\CLSID", "/s", "/f", name, "/d", "/e"],
    )?;
    Some(
        parse_reg_search(&text, name)
            .into_iter()
            .map(|clsid| {
                let server = run(
                    "reg",
                    &[
                        "query",
                        &format!(r"HKCR\CLSID\{clsid}\InprocServer32"),
                        "/ve",
                    ],
                )
                .and_then(|t| parse_reg_default(&t));
                ComClass { clsid, server }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const REG_SEARCH_ZH: &str = "\r\nHKEY_CLASSES_ROOT\\CLSID\\{2C4A2B1E-8F0A-4E6B-9B7D-1A2B3C4D5E6F}\r\n    (預設值)    REG_SZ    twNHIICC Class\r\n\r\nHKEY_CLASSES_ROOT\\CLSID\\{11111111-2222-3333-4444-555555555555}\r\n    (預設值)    REG_SZ    twNHIICC Class Helper\r\n\r\n搜尋結束: 找到 1 符合項目。\r\n";
    const REG_SERVER: &str = "\r\nHKEY_CLASSES_ROOT\\CLSID\\{2C4A2B1E-8F0A-4E6B-9B7D-1A2B3C4D5E6F}\\InprocServer32\r\n    (預設值)    REG_SZ    C:\\Windows\\SysWOW64\\twNHIICC.dll\r\n";

    #[test]
    fn registry_search_on_chinese_windows() {
        assert_eq!(
            parse_reg_search(REG_SEARCH_ZH, "twNHIICC Class"),
            ["{2C4A2B1E-8F0A-4E6B-9B7D-1A2B3C4D5E6F}"]
        );
        assert_eq!(
            parse_reg_default(REG_SERVER).as_deref(),
            Some(r"C:\Windows\SysWOW64\twNHIICC.dll")
        );
        assert!(parse_reg_search("搜尋結束: 找到 0 符合項目。", "twNHIICC Class").is_empty());
    }
}
