//! Windows facts read with the OS's own tools (`sc`, `reg`), so nothing here needs
//! Windows APIs to compile and every parser is tested on Linux with captured output.
//! The tools print the same field names on Chinese Windows; only prose is translated.

use std::process::{Command, Stdio};

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServiceState {
    /// `RUNNING`, `STOPPED`, `START_PENDING`…
    pub state: Option<String>,
    /// `AUTO_START`, `DEMAND_START`, `DISABLED`…
    pub start_type: Option<String>,
}

/// `STATE : 4  RUNNING` → `RUNNING` (from `sc query NAME`).
pub fn parse_sc_state(text: &str) -> Option<String> {
    field_word(text, "STATE")
}

/// `START_TYPE : 3   DEMAND_START` → `DEMAND_START` (from `sc qc NAME`).
pub fn parse_sc_start_type(text: &str) -> Option<String> {
    field_word(text, "START_TYPE")
}

fn field_word(text: &str, field: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        if k.trim() != field {
            return None;
        }
        v.split_whitespace()
            .find(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
            .map(str::to_string)
    })
}

fn run(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The state of a Windows service, or `None` when `sc` could not be asked.
pub fn query_service(name: &str) -> Option<ServiceState> {
    let state = run("sc", &["query", name]).map(|t| parse_sc_state(&t));
    let start = run("sc", &["qc", name]).map(|t| parse_sc_start_type(&t));
    match (state, start) {
        (None, None) => None,
        (s, t) => Some(ServiceState {
            state: s.flatten(),
            start_type: t.flatten(),
        }),
    }
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

    pub const SC_QUERY_STOPPED: &str = "\r\nSERVICE_NAME: SCardSvr \r\n        TYPE               : 20  WIN32_SHARE_PROCESS  \r\n        STATE              : 1  STOPPED \r\n        WIN32_EXIT_CODE    : 1077  (0x435)\r\n";
    pub const SC_QC_DISABLED: &str = "[SC] QueryServiceConfig 成功\r\n\r\nSERVICE_NAME: SCardSvr\r\n        TYPE               : 20  WIN32_SHARE_PROCESS\r\n        START_TYPE         : 4   DISABLED\r\n        ERROR_CONTROL      : 1   NORMAL\r\n";
    const REG_SEARCH_ZH: &str = "\r\nHKEY_CLASSES_ROOT\\CLSID\\{2C4A2B1E-8F0A-4E6B-9B7D-1A2B3C4D5E6F}\r\n    (預設值)    REG_SZ    twNHIICC Class\r\n\r\nHKEY_CLASSES_ROOT\\CLSID\\{11111111-2222-3333-4444-555555555555}\r\n    (預設值)    REG_SZ    twNHIICC Class Helper\r\n\r\n搜尋結束: 找到 1 符合項目。\r\n";
    const REG_SERVER: &str = "\r\nHKEY_CLASSES_ROOT\\CLSID\\{2C4A2B1E-8F0A-4E6B-9B7D-1A2B3C4D5E6F}\\InprocServer32\r\n    (預設值)    REG_SZ    C:\\Windows\\SysWOW64\\twNHIICC.dll\r\n";

    #[test]
    fn service_state_and_start_type() {
        assert_eq!(parse_sc_state(SC_QUERY_STOPPED).as_deref(), Some("STOPPED"));
        assert_eq!(
            parse_sc_start_type(SC_QC_DISABLED).as_deref(),
            Some("DISABLED")
        );
        assert_eq!(
            parse_sc_state("[SC] OpenService FAILED 1060:\r\n\r\n指定的服務不存在。"),
            None
        );
    }

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
