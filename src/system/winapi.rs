//! Windows facts through the Windows API (`windows-sys`), not through the localised text of
//! `netstat`, `sc` and `reg`: the TCP listeners with their owner PIDs
//! (`GetExtendedTcpTable`) and a service's state and start type (`QueryServiceStatusEx`,
//! `QueryServiceConfigW`). The tables the API fills are parsed from bytes by pure functions,
//! tested on every OS; only the calls themselves are Windows-only.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Rows of a `MIB_TCPTABLE_OWNER_PID` (IPv4): a count, then rows of six 32-bit fields —
/// state, local address (network order), local port (network order, low 16 bits), remote
/// address, remote port, owner PID.
pub fn parse_tcp4_table(buf: &[u8]) -> Vec<(SocketAddr, u32)> {
    parse_table(buf, 24, |r| {
        let addr = Ipv4Addr::new(r[4], r[5], r[6], r[7]);
        let port = u16::from_be_bytes([r[8], r[9]]);
        let pid = u32::from_le_bytes([r[20], r[21], r[22], r[23]]);
        (SocketAddr::new(IpAddr::V4(addr), port), pid)
    })
}

/// Rows of a `MIB_TCP6TABLE_OWNER_PID`: a count, then 56-byte rows — local address (16),
/// scope id, local port (network order), remote address (16), remote scope id, remote port,
/// state, owner PID.
pub fn parse_tcp6_table(buf: &[u8]) -> Vec<(SocketAddr, u32)> {
    parse_table(buf, 56, |r| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&r[..16]);
        let port = u16::from_be_bytes([r[20], r[21]]);
        let pid = u32::from_le_bytes([r[52], r[53], r[54], r[55]]);
        (SocketAddr::new(IpAddr::V6(Ipv6Addr::from(a)), port), pid)
    })
}

fn parse_table(
    buf: &[u8],
    row: usize,
    read: impl Fn(&[u8]) -> (SocketAddr, u32),
) -> Vec<(SocketAddr, u32)> {
    let Some(count) = buf
        .get(..4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return Vec::new();
    };
    // The rows start after the count, aligned as the struct is (4 bytes).
    buf[4..]
        .chunks_exact(row)
        .take(count as usize)
        .map(read)
        .collect()
}

/// A service's state and start type as the Service Control Manager reports them, in the
/// words `sc` prints (`RUNNING`, `DISABLED`), so the judgement does not depend on how it
/// was asked.
pub fn state_word(state: u32) -> &'static str {
    match state {
        1 => "STOPPED",
        2 => "START_PENDING",
        3 => "STOP_PENDING",
        4 => "RUNNING",
        5 => "CONTINUE_PENDING",
        6 => "PAUSE_PENDING",
        7 => "PAUSED",
        _ => "UNKNOWN",
    }
}

pub fn start_type_word(start: u32) -> &'static str {
    match start {
        0 => "BOOT_START",
        1 => "SYSTEM_START",
        2 => "AUTO_START",
        3 => "DEMAND_START",
        4 => "DISABLED",
        _ => "UNKNOWN",
    }
}

/// Every listening TCP socket (IPv4 and IPv6) with its owner PID; `None` when the table
/// cannot be read (then the owner is unknown, not absent).
#[cfg(windows)]
pub fn tcp_listeners() -> Option<Vec<(SocketAddr, u32)>> {
    use windows_sys::Win32::NetworkManagement::IpHelper::{
        GetExtendedTcpTable, TCP_TABLE_OWNER_PID_LISTENER,
    };
    use windows_sys::Win32::Networking::WinSock::{AF_INET, AF_INET6};
    let table = |family: u32| -> Option<Vec<u8>> {
        let mut size: u32 = 0;
        for _ in 0..4 {
            let mut buf = vec![0u8; size as usize];
            let ptr = if buf.is_empty() {
                std::ptr::null_mut()
            } else {
                buf.as_mut_ptr().cast()
            };
            // SAFETY: `buf` holds `size` bytes; the call writes at most that many and
            // updates `size` when more are needed.
            let rc = unsafe {
                GetExtendedTcpTable(ptr, &mut size, 0, family, TCP_TABLE_OWNER_PID_LISTENER, 0)
            };
            match rc {
                0 => return Some(buf),
                122 => continue, // ERROR_INSUFFICIENT_BUFFER: `size` now says how much.
                _ => return None,
            }
        }
        None
    };
    let v4 = table(u32::from(AF_INET)).map(|b| parse_tcp4_table(&b));
    let v6 = table(u32::from(AF_INET6)).map(|b| parse_tcp6_table(&b));
    match (v4, v6) {
        (None, None) => None,
        (a, b) => Some(a.into_iter().chain(b).flatten().collect()),
    }
}

#[cfg(not(windows))]
pub fn tcp_listeners() -> Option<Vec<(SocketAddr, u32)>> {
    None
}

/// A service's state and start type; `None` when the Service Control Manager cannot be
/// asked, a state of `MISSING` when it has no such service.
#[cfg(windows)]
pub fn service(name: &str) -> Option<super::windows::ServiceState> {
    use windows_sys::Win32::System::Services::{
        CloseServiceHandle, OpenSCManagerW, OpenServiceW, QUERY_SERVICE_CONFIGW,
        QueryServiceConfigW, QueryServiceStatusEx, SC_MANAGER_CONNECT, SC_STATUS_PROCESS_INFO,
        SERVICE_QUERY_CONFIG, SERVICE_QUERY_STATUS, SERVICE_STATUS_PROCESS,
    };
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: plain Win32 calls with owned, correctly sized buffers; every handle opened
    // here is closed before returning.
    unsafe {
        let scm = OpenSCManagerW(std::ptr::null(), std::ptr::null(), SC_MANAGER_CONNECT);
        if scm.is_null() {
            return None;
        }
        let svc = OpenServiceW(
            scm,
            wide.as_ptr(),
            SERVICE_QUERY_STATUS | SERVICE_QUERY_CONFIG,
        );
        if svc.is_null() {
            CloseServiceHandle(scm);
            return Some(super::windows::ServiceState {
                state: Some("MISSING".into()),
                start_type: None,
            });
        }
        let mut status: SERVICE_STATUS_PROCESS = std::mem::zeroed();
        let mut needed = 0u32;
        let state = (QueryServiceStatusEx(
            svc,
            SC_STATUS_PROCESS_INFO,
            (&mut status as *mut SERVICE_STATUS_PROCESS).cast(),
            std::mem::size_of::<SERVICE_STATUS_PROCESS>() as u32,
            &mut needed,
        ) != 0)
            .then(|| state_word(status.dwCurrentState).to_string());
        // The config is followed by its strings: ask for the size, then read it.
        let _ = QueryServiceConfigW(svc, std::ptr::null_mut(), 0, &mut needed);
        let mut buf =
            vec![0u8; (needed as usize).max(std::mem::size_of::<QUERY_SERVICE_CONFIGW>())];
        let start_type =
            (QueryServiceConfigW(svc, buf.as_mut_ptr().cast(), buf.len() as u32, &mut needed) != 0)
                .then(|| {
                    let cfg = &*(buf.as_ptr() as *const QUERY_SERVICE_CONFIGW);
                    start_type_word(cfg.dwStartType).to_string()
                });
        CloseServiceHandle(svc);
        CloseServiceHandle(scm);
        Some(super::windows::ServiceState { state, start_type })
    }
}

#[cfg(not(windows))]
pub fn service(_name: &str) -> Option<super::windows::ServiceState> {
    None
}

/// The registry views a COM class may be registered in: a 32-bit ActiveX DLL (the legacy IE
/// add-on) lands in the 32-bit view, which a 64-bit process sees only when it asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Bits64,
    Bits32,
}

impl View {
    pub fn label(self) -> &'static str {
        match self {
            View::Bits64 => "64-bit",
            View::Bits32 => "32-bit",
        }
    }
}

/// `{CLSID} → server (view)`, as the evidence shows a registered class.
pub fn describe_class(clsid: &str, server: Option<&str>, view: View) -> String {
    format!("{clsid} → {} ({})", server.unwrap_or("?"), view.label())
}

/// Opens `path` under `parent` for reading in the view `flags` names; the caller closes it.
#[cfg(windows)]
fn open_key(
    parent: windows_sys::Win32::System::Registry::HKEY,
    path: &str,
    flags: u32,
) -> Option<windows_sys::Win32::System::Registry::HKEY> {
    use windows_sys::Win32::System::Registry::{HKEY, KEY_READ, RegOpenKeyExW};
    let path: Vec<u16> = path.encode_utf16().chain([0]).collect();
    let mut key: HKEY = std::ptr::null_mut();
    // SAFETY: `path` is NUL-terminated and `key` receives the handle.
    (unsafe { RegOpenKeyExW(parent, path.as_ptr(), 0, KEY_READ | flags, &mut key) } == 0)
        .then_some(key)
}

/// The names of a key's direct subkeys, up to `limit`.
#[cfg(windows)]
fn subkey_names(key: windows_sys::Win32::System::Registry::HKEY, limit: u32) -> Vec<String> {
    use windows_sys::Win32::System::Registry::RegEnumKeyExW;
    let mut out = Vec::new();
    for i in 0..limit {
        let mut sub = vec![0u16; 256];
        let mut len = sub.len() as u32;
        // SAFETY: `sub` holds `len` UTF-16 units; the call writes the name's length back.
        let rc = unsafe {
            RegEnumKeyExW(
                key,
                i,
                sub.as_mut_ptr(),
                &mut len,
                std::ptr::null(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            )
        };
        if rc != 0 {
            break;
        }
        out.push(String::from_utf16_lossy(&sub[..len as usize]));
    }
    out
}

/// COM classes whose name (the CLSID key's default value) is `name`, case-insensitively,
/// in both registry views of HKLM and in HKCU: (CLSID, its InprocServer32, the view).
/// `None` when the registry cannot be read.
#[cfg(windows)]
pub fn com_classes_named(name: &str) -> Option<Vec<(String, Option<String>, View)>> {
    use windows_sys::Win32::System::Registry::{
        HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_WOW64_32KEY, KEY_WOW64_64KEY,
        RRF_RT_REG_SZ, RegCloseKey, RegGetValueW,
    };
    let wide = |s: &str| -> Vec<u16> { s.encode_utf16().chain([0]).collect() };
    // SAFETY: registry reads into owned buffers whose sizes are passed along; every key
    // opened here is closed.
    let default_value = |key: HKEY, sub: &str| -> Option<String> {
        let sub = wide(sub);
        let mut buf = vec![0u16; 1024];
        let mut bytes = (buf.len() * 2) as u32;
        let rc = unsafe {
            RegGetValueW(
                key,
                sub.as_ptr(),
                std::ptr::null(),
                // REG_EXPAND_SZ is accepted too, expanded; asking for it by its own flag
                // fails without RRF_NOEXPAND.
                RRF_RT_REG_SZ,
                std::ptr::null_mut(),
                buf.as_mut_ptr().cast(),
                &mut bytes,
            )
        };
        (rc == 0).then(|| {
            let len = (bytes as usize / 2).min(buf.len());
            String::from_utf16_lossy(&buf[..len])
                .trim_end_matches('\0')
                .to_string()
        })
    };
    let mut found = Vec::new();
    let mut readable = false;
    // The 32-bit view by redirection, and by the paths it is redirected to (Windows keeps
    // 32-bit classes in Classes\Wow6432Node; Wine's `reg /reg:32` writes Wow6432Node\Classes).
    let roots = [
        (
            HKEY_LOCAL_MACHINE,
            r"SOFTWARE\Classes\CLSID",
            KEY_WOW64_64KEY,
            View::Bits64,
        ),
        (
            HKEY_LOCAL_MACHINE,
            r"SOFTWARE\Classes\CLSID",
            KEY_WOW64_32KEY,
            View::Bits32,
        ),
        (
            HKEY_LOCAL_MACHINE,
            r"SOFTWARE\Classes\Wow6432Node\CLSID",
            KEY_WOW64_64KEY,
            View::Bits32,
        ),
        (
            HKEY_LOCAL_MACHINE,
            r"SOFTWARE\Wow6432Node\Classes\CLSID",
            KEY_WOW64_64KEY,
            View::Bits32,
        ),
        (
            HKEY_CURRENT_USER,
            r"SOFTWARE\Classes\CLSID",
            KEY_WOW64_64KEY,
            View::Bits64,
        ),
    ];
    for (root, path, flag, view) in roots {
        let Some(key) = open_key(root, path, flag) else {
            continue;
        };
        readable = true;
        for clsid in subkey_names(key, 200_000) {
            if default_value(key, &clsid).is_some_and(|v| v.eq_ignore_ascii_case(name))
                && !found
                    .iter()
                    .any(|(c, _, v): &(String, _, View)| *c == clsid && *v == view)
            {
                let server = default_value(key, &format!(r"{clsid}\InprocServer32"));
                found.push((clsid, server, view));
            }
        }
        unsafe { RegCloseKey(key) };
    }
    readable.then_some(found)
}

#[cfg(not(windows))]
pub fn com_classes_named(_name: &str) -> Option<Vec<(String, Option<String>, View)>> {
    None
}

/// A key's values and its direct subkeys' values (64-bit view); `None` when absent.
#[cfg(windows)]
pub fn read_key(hive: super::registry::Hive, path: &str) -> Option<super::registry::RegKey> {
    use super::registry::{Hive, RegKey, RegValue};
    use windows_sys::Win32::System::Registry::{
        HKEY, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, KEY_WOW64_64KEY, REG_DWORD, REG_EXPAND_SZ,
        REG_QWORD, REG_SZ, RegCloseKey, RegEnumValueW,
    };
    let root = match hive {
        Hive::LocalMachine => HKEY_LOCAL_MACHINE,
        Hive::CurrentUser => HKEY_CURRENT_USER,
    };
    // SAFETY: registry reads into owned buffers whose sizes are passed along; every key
    // opened here is closed.
    let values = |key: HKEY| -> Vec<(String, RegValue)> {
        let mut out = Vec::new();
        for i in 0..10_000u32 {
            let mut name = vec![0u16; 16_384];
            let mut name_len = name.len() as u32;
            let mut data = vec![0u8; 64 * 1024];
            let mut data_len = data.len() as u32;
            let mut ty = 0u32;
            let rc = unsafe {
                RegEnumValueW(
                    key,
                    i,
                    name.as_mut_ptr(),
                    &mut name_len,
                    std::ptr::null(),
                    &mut ty,
                    data.as_mut_ptr(),
                    &mut data_len,
                )
            };
            if rc == 259 {
                break; // ERROR_NO_MORE_ITEMS
            }
            if rc != 0 {
                continue;
            }
            let name = String::from_utf16_lossy(&name[..name_len as usize]);
            let data = &data[..(data_len as usize).min(data.len())];
            let v = match ty {
                REG_SZ | REG_EXPAND_SZ => {
                    let units: Vec<u16> = data
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect();
                    RegValue::Text(
                        String::from_utf16_lossy(&units)
                            .trim_end_matches('\0')
                            .to_string(),
                    )
                }
                REG_DWORD if data.len() >= 4 => RegValue::Number(
                    u32::from_le_bytes([data[0], data[1], data[2], data[3]]).into(),
                ),
                REG_QWORD if data.len() >= 8 => {
                    RegValue::Number(u64::from_le_bytes(data[..8].try_into().unwrap_or_default()))
                }
                _ => continue,
            };
            out.push((name, v));
        }
        out
    };
    let key = open_key(root, path, KEY_WOW64_64KEY)?;
    let mut out = RegKey {
        values: values(key),
        subkeys: Vec::new(),
    };
    for name in subkey_names(key, 10_000) {
        if let Some(k) = open_key(key, &name, KEY_WOW64_64KEY) {
            out.subkeys.push((name, values(k)));
            unsafe { RegCloseKey(k) };
        }
    }
    unsafe { RegCloseKey(key) };
    Some(out)
}

#[cfg(not(windows))]
pub fn read_key(_: super::registry::Hive, _: &str) -> Option<super::registry::RegKey> {
    None
}

/// The certificates (DER) of one system store, opened read-only; `None` when it cannot be
/// opened. `location`: the `CERT_SYSTEM_STORE_*` bits.
#[cfg(windows)]
pub fn store_certs(location: u32, name: &str) -> Option<Vec<Vec<u8>>> {
    use windows_sys::Win32::Security::Cryptography::{
        CERT_CONTEXT, CERT_STORE_OPEN_EXISTING_FLAG, CERT_STORE_PROV_SYSTEM_W,
        CERT_STORE_READONLY_FLAG, CertCloseStore, CertEnumCertificatesInStore, CertOpenStore,
    };
    let wide: Vec<u16> = name.encode_utf16().chain([0]).collect();
    // SAFETY: the store is opened read-only and closed; each context is only read while the
    // enumeration holds it, and its bytes are copied out.
    unsafe {
        let store = CertOpenStore(
            CERT_STORE_PROV_SYSTEM_W,
            0,
            0,
            location | CERT_STORE_OPEN_EXISTING_FLAG | CERT_STORE_READONLY_FLAG,
            wide.as_ptr().cast(),
        );
        if store.is_null() {
            return None;
        }
        let mut out = Vec::new();
        let mut ctx: *const CERT_CONTEXT = std::ptr::null();
        loop {
            ctx = CertEnumCertificatesInStore(store, ctx);
            if ctx.is_null() || out.len() > 10_000 {
                break;
            }
            let c = &*ctx;
            if !c.pbCertEncoded.is_null() {
                out.push(
                    std::slice::from_raw_parts(c.pbCertEncoded, c.cbCertEncoded as usize).to_vec(),
                );
            }
        }
        CertCloseStore(store, 0);
        Some(out)
    }
}

#[cfg(not(windows))]
pub fn store_certs(_location: u32, _name: &str) -> Option<Vec<Vec<u8>>> {
    None
}

/// Every present USB device node with its IDs, name and problem code (SetupAPI and the
/// configuration manager, read-only); `None` when the device list cannot be had.
#[cfg(windows)]
pub fn usb_device_nodes() -> Option<Vec<super::usb::PnpNode>> {
    use windows_sys::Win32::Devices::DeviceAndDriverInstallation::{
        CM_Get_DevNode_Status, CR_SUCCESS, DIGCF_ALLCLASSES, DIGCF_PRESENT, DN_HAS_PROBLEM,
        HDEVINFO, SP_DEVINFO_DATA, SPDRP_COMPATIBLEIDS, SPDRP_DEVICEDESC, SPDRP_FRIENDLYNAME,
        SPDRP_HARDWAREID, SetupDiDestroyDeviceInfoList, SetupDiEnumDeviceInfo,
        SetupDiGetClassDevsW, SetupDiGetDeviceRegistryPropertyW,
    };
    let enumerator: Vec<u16> = "USB".encode_utf16().chain([0]).collect();
    // SAFETY: the device list is created, read into owned buffers whose sizes are passed
    // along, and destroyed; nothing is changed.
    unsafe {
        let set: HDEVINFO = SetupDiGetClassDevsW(
            std::ptr::null(),
            enumerator.as_ptr(),
            std::ptr::null_mut(),
            DIGCF_ALLCLASSES | DIGCF_PRESENT,
        );
        if set == -1 {
            return None;
        }
        let property = |data: &SP_DEVINFO_DATA, which| -> Vec<String> {
            let mut buf = vec![0u8; 8 * 1024];
            let mut ty = 0u32;
            let mut needed = 0u32;
            let ok = SetupDiGetDeviceRegistryPropertyW(
                set,
                data,
                which,
                &mut ty,
                buf.as_mut_ptr(),
                buf.len() as u32,
                &mut needed,
            );
            if ok == 0 {
                return Vec::new();
            }
            let len = (needed as usize).min(buf.len());
            multi_sz(&buf[..len])
        };
        let mut out = Vec::new();
        for i in 0..4096u32 {
            let mut data = SP_DEVINFO_DATA {
                cbSize: std::mem::size_of::<SP_DEVINFO_DATA>() as u32,
                ..Default::default()
            };
            if SetupDiEnumDeviceInfo(set, i, &mut data) == 0 {
                break;
            }
            let (mut status, mut problem) = (0u32, 0u32);
            let has_problem = CM_Get_DevNode_Status(&mut status, &mut problem, data.DevInst, 0)
                == CR_SUCCESS
                && status & DN_HAS_PROBLEM != 0;
            let name = property(&data, SPDRP_FRIENDLYNAME)
                .into_iter()
                .next()
                .or_else(|| property(&data, SPDRP_DEVICEDESC).into_iter().next());
            out.push(super::usb::PnpNode {
                hardware_ids: property(&data, SPDRP_HARDWAREID),
                compatible_ids: property(&data, SPDRP_COMPATIBLEIDS),
                name,
                problem: has_problem.then_some(problem),
            });
        }
        SetupDiDestroyDeviceInfoList(set);
        Some(out)
    }
}

#[cfg(not(windows))]
pub fn usb_device_nodes() -> Option<Vec<super::usb::PnpNode>> {
    None
}

/// A `REG_SZ` or `REG_MULTI_SZ` in UTF-16LE bytes → its strings (empty ones dropped).
pub fn multi_sz(bytes: &[u8]) -> Vec<String> {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    units
        .split(|&u| u == 0)
        .filter(|s| !s.is_empty())
        .map(String::from_utf16_lossy)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_sz_splits_at_nuls_and_drops_the_terminators() {
        let bytes: Vec<u8> = "USB\\A\0USB\\B\0\0"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        assert_eq!(multi_sz(&bytes), ["USB\\A", "USB\\B"]);
        assert_eq!(multi_sz(&bytes[..3]), ["U"]);
        assert!(multi_sz(&[]).is_empty());
    }

    #[test]
    fn ipv4_rows_as_windows_lays_them_out() {
        let mut buf = 2u32.to_le_bytes().to_vec();
        // LISTEN (2), 127.0.0.1:7777, 0.0.0.0:0, PID 4242
        buf.extend(2u32.to_le_bytes());
        buf.extend([127, 0, 0, 1]);
        buf.extend([0x1E, 0x61, 0, 0]);
        buf.extend([0; 8]);
        buf.extend(4242u32.to_le_bytes());
        // 0.0.0.0:445, PID 4
        buf.extend(2u32.to_le_bytes());
        buf.extend([0, 0, 0, 0]);
        buf.extend([0x01, 0xBD, 0, 0]);
        buf.extend([0; 8]);
        buf.extend(4u32.to_le_bytes());
        let rows = parse_tcp4_table(&buf);
        assert_eq!(
            rows,
            vec![
                ("127.0.0.1:7777".parse().unwrap(), 4242),
                ("0.0.0.0:445".parse().unwrap(), 4)
            ]
        );
        // A count larger than the rows present, or a cut buffer: what is there, no panic.
        let mut lying = buf.clone();
        lying[0] = 200;
        assert_eq!(parse_tcp4_table(&lying).len(), 2);
        assert!(parse_tcp4_table(&buf[..10]).is_empty());
        assert!(parse_tcp4_table(&[]).is_empty());
    }

    #[test]
    fn ipv6_rows_as_windows_lays_them_out() {
        let mut buf = 1u32.to_le_bytes().to_vec();
        let mut local = [0u8; 16];
        local[15] = 1;
        buf.extend(local);
        buf.extend(0u32.to_le_bytes());
        buf.extend([0x1E, 0x61, 0, 0]);
        buf.extend([0u8; 16]);
        buf.extend(0u32.to_le_bytes());
        buf.extend(0u32.to_le_bytes());
        buf.extend(2u32.to_le_bytes());
        buf.extend(99u32.to_le_bytes());
        assert_eq!(
            parse_tcp6_table(&buf),
            vec![("[::1]:7777".parse().unwrap(), 99)]
        );
    }

    #[test]
    fn service_words_match_what_sc_prints() {
        assert_eq!(state_word(4), "RUNNING");
        assert_eq!(start_type_word(4), "DISABLED");
        assert_eq!(state_word(99), "UNKNOWN");
    }
}
