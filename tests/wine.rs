//! The Windows build, running: `scripts/wine` cross-builds `ecpa-doctor.exe`
//! (x86_64-pc-windows-gnu), sets up Wine 10.0 in a Debian 13 chroot and runs these tests
//! (`--ignored wine::`), which start the exe under Wine against the rig's real pcscd — Wine's
//! WinSCard forwards to it — with the virtual NHI card in the reader or pulled. They are
//! ignored in the plain `cargo test`, which has no chroot; the script is part of CI.

#![cfg(target_os = "linux")]

use std::process::Command;
use std::time::Duration;

use crate::support::vcard::{self, NhiCard};
use crate::support::{self, check, rig_lock, wait_reader};

/// `program` (a path in the chroot, or a Wine builtin such as `reg`) under Wine, in the
/// chroot `scripts/wine` made (`ECPA_WINE_ROOT`).
fn under_wine(program: &str) -> Command {
    let root = std::env::var("ECPA_WINE_ROOT")
        .expect("ECPA_WINE_ROOT: run these through scripts/wine, which sets up the chroot");
    let mut cmd = Command::new("timeout");
    cmd.arg("120").arg("chroot").arg(&root).args([
        "env",
        "-i",
        "HOME=/root",
        "WINEDEBUG=-all",
        "LANG=C.UTF-8",
        // Debian 13's pcsc-lite client refuses Debian 12's pcscd: the host's library.
        "LD_LIBRARY_PATH=/opt/host-pcsc",
        "/usr/lib/wine/wine64",
    ]);
    cmd.arg(program);
    cmd
}

/// One Wine test at a time: they share one prefix and its wineserver, and the Windows
/// fake's clean-up (`wineserver -k`) ends every Wine process of the prefix — a console
/// running beside it would be killed mid-frame.
fn wine_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// ecpa-doctor.exe under Wine.
fn wine(args: &[&str]) -> support::Run {
    let out = under_wine("/opt/ecpa-doctor/ecpa-doctor.exe")
        .args(args)
        .output()
        .expect("run chroot (scripts/wine runs these as root)");
    support::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn with_card() -> vcard::Inserted {
    let c = vcard::insert_wait(
        vcard::slot_addr(0),
        NhiCard::sample(),
        Duration::from_secs(10),
    )
    .expect("insert the virtual card");
    assert!(
        wait_reader(vcard::reader_name(0), true, Duration::from_secs(10)),
        "pcscd did not notice the card"
    );
    c
}

#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_reads_the_card_through_winscard_with_evidence_masked() {
    let _wine = wine_lock();
    let _rig = rig_lock();
    let _card = with_card();
    let run = wine(&["--report", "--format", "json", "--lang", "en"]);
    let v = run.json();
    for id in ["pcsc-service", "readers", "card"] {
        assert_eq!(check(&v, id)["status"], "pass", "{id} under Wine: {run:?}");
    }
    assert!(
        run.stdout.contains("A12****789")
            && !run.stdout.contains("A123456789")
            && !run.stdout.contains("王小明明"),
        "{run:?}"
    );
    // The zh-TW text report a helpdesk pastes, from the same exe.
    let text = wine(&["--report"]);
    assert!(
        text.stdout.contains("健保卡") && text.stdout.contains("A12****789"),
        "{text:?}"
    );
    assert!(!text.stdout.contains("A123456789"), "{text:?}");
}

#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_names_the_pulled_card_as_the_root_cause() {
    let _wine = wine_lock();
    let _rig = rig_lock();
    {
        let _card = with_card();
    }
    assert!(
        wait_reader(vcard::reader_name(0), false, Duration::from_secs(10)),
        "pcscd did not notice the card leave"
    );
    let run = wine(&["--report", "--format", "json", "--lang", "en"]);
    let v = run.json();
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(v["root_cause"]["check"], "card", "{run:?}");
    assert_eq!(v["root_cause"]["finding"], "card.none", "{run:?}");
}

#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_runs_the_demo() {
    let _wine = wine_lock();
    let run = wine(&["demo", "no-card", "--report", "--format", "json"]);
    let v = run.json();
    assert_eq!(v["demo"], true, "{run:?}");
    assert_eq!(v["root_cause"]["finding"], "card.none", "{run:?}");
}

/// The fake component built as a Windows exe, running under Wine on 127.0.0.1:7777 (so the
/// Windows side sees its process); killed on drop.
struct WindowsFake(std::process::Child);

impl WindowsFake {
    fn start(args: &[&str]) -> WindowsFake {
        use std::io::{BufRead, BufReader};
        let mut child = under_wine("/opt/ecpa-doctor/fake_bridge.exe")
            .args(["--port", "7777"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("start fake_bridge.exe under Wine");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while out.read_line(&mut line).unwrap_or(0) > 0 && !line.starts_with("port ") {
            line.clear();
        }
        assert_eq!(line.trim(), "port 7777", "the Windows fake did not listen");
        // Keep reading so its `connections N` lines never block it.
        std::thread::spawn(move || for _ in out.lines() {});
        WindowsFake(child)
    }
}

impl Drop for WindowsFake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
        // Wine's processes outlive the launcher: end the prefix's wineserver too.
        if let Ok(root) = std::env::var("ECPA_WINE_ROOT") {
            let _ = Command::new("chroot")
                .arg(root)
                .args(["env", "-i", "HOME=/root", "/usr/lib/wine/wineserver", "-k"])
                .status();
        }
    }
}

#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_finds_the_port_owner_through_the_api_and_judges_it_by_its_answers() {
    let _wine = wine_lock();
    let _rig = rig_lock();
    let _card = with_card();
    let _fake = WindowsFake::start(&["--card"]);
    // The user's Chrome in the prefix, so the trust check judges it by the Windows stores.
    let chrome = chrome_in_prefix();
    let run = wine(&["--report", "--format", "json", "--lang", "en"]);
    let _ = std::fs::remove_dir_all(&chrome);
    let v = run.json();
    // Chrome's stores read through CertOpenStore: Wine's roots, not the fake's test root.
    let trust = check(&v, "browser-trust");
    assert_eq!(trust["finding"], "browser.cert_untrusted", "{run:?}");
    let seen = trust["evidence"]["browser_0"].as_str().unwrap_or_default();
    assert!(seen.contains("Windows certificate stores"), "{seen}");
    eprintln!("measured: under Wine, Chrome's stores: {seen}");
    let running = check(&v, "component-running");
    assert_eq!(running["status"], "pass", "{run:?}");
    // GetExtendedTcpTable under Wine 10 gives the listener's owner PID; the process table
    // gives its name and exe path (measured: the README's Wine section).
    let owner = running["evidence"]["port_owner"]
        .as_str()
        .unwrap_or_default();
    assert!(
        owner.contains("fake_bridge.exe") && owner.contains(r"\opt\ecpa-doctor\fake_bridge.exe"),
        "{owner}: {run:?}"
    );
    assert_eq!(running["evidence"]["port_view"], "socket table", "{run:?}");
    assert_eq!(check(&v, "bridge-http")["status"], "pass", "{run:?}");
    // No Linux path is looked for or shown as found on Windows (remedies may still tell a
    // Linux user where a file is).
    for id in ["component-running", "component-installed", "bridge-tls"] {
        let c = check(&v, id);
        let text = format!("{} {}", c["summary"], c["evidence"]);
        assert!(
            !text.contains("/tmp/") && !text.contains("/usr/local/share"),
            "{id} shows a Linux path: {text}"
        );
    }
    // On Windows trust is the system store's: Wine's does not hold the fake's test root.
    assert_eq!(
        check(&v, "bridge-tls")["finding"],
        "tls.untrusted",
        "{run:?}"
    );
    // The WebSocket protocol end to end: the Windows fake reads the card through WinSCard
    // too, and the doctor's cross-check agrees (the name masked).
    let ws = check(&v, "bridge-ws");
    assert_eq!(ws["status"], "pass", "{run:?}");
    assert!(
        ws["summary"]
            .as_str()
            .unwrap_or_default()
            .contains("王○○明"),
        "{ws}"
    );
}

/// `reg` inside the Wine prefix (adding keys works under Wine; its `/f` search does not).
fn wine_reg(args: &[&str]) -> bool {
    under_wine("reg")
        .args(args)
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_reads_the_legacy_ie_addon_in_the_32_bit_registry_view() {
    let _wine = wine_lock();
    const KEY: &str = r"HKLM\Software\Classes\CLSID\{0E2C0D1E-ECPA-4D0C-9A11-000000007777}";
    assert!(
        wine_reg(&["add", KEY, "/ve", "/d", "twNHIICC Class", "/f", "/reg:32"]),
        "reg add under Wine"
    );
    assert!(wine_reg(&[
        "add",
        &format!(r"{KEY}\InprocServer32"),
        "/ve",
        "/d",
        r"C:\Windows\SysWOW64\twNHIICC.dll",
        "/f",
        "/reg:32",
    ]));
    let run = wine(&[
        "--check",
        "component-installed",
        "--report",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    wine_reg(&["delete", KEY, "/f", "/reg:32"]);
    let v = run.json();
    let c = check(&v, "component-installed");
    let addon = c["evidence"]["ie_addon"].as_str().unwrap_or_default();
    assert!(
        addon.contains("{0E2C0D1E-ECPA-4D0C-9A11-000000007777}")
            && addon.contains("twNHIICC.dll (32-bit)")
            && addon.contains("legacy"),
        "{run:?}"
    );
    // Evidence of an old install, never the reason to pass.
    assert_eq!(c["finding"], "component.layout_unknown", "{run:?}");
}

#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_reads_chromes_proxy_policy_from_the_registry() {
    let _wine = wine_lock();
    const KEY: &str = r"HKLM\SOFTWARE\Policies\Google\Chrome";
    // The user's Chrome, as Chrome leaves it under the Wine prefix's profile folder.
    let chrome = chrome_in_prefix();
    assert!(wine_reg(&[
        "add",
        KEY,
        "/v",
        "ProxyMode",
        "/d",
        "fixed_servers",
        "/f"
    ]));
    assert!(wine_reg(&[
        "add",
        KEY,
        "/v",
        "ProxyServer",
        "/d",
        "10.1.1.1:8080",
        "/f"
    ]));
    assert!(wine_reg(&[
        "add",
        KEY,
        "/v",
        "ProxyBypassList",
        "/d",
        "<local>;127.0.0.1",
        "/f"
    ]));
    proxy_policy_is_named(KEY, &chrome, "10.1.1.1:8080");
}

/// `browser-proxy` under Wine names the proxy the policy under `key` sets; the key and
/// the browser's folder are removed whatever it found.
fn proxy_policy_is_named(key: &str, browser_dir: &std::path::Path, proxy: &str) {
    let run = wine(&[
        "--check",
        "browser-proxy",
        "--report",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    wine_reg(&["delete", key, "/f"]);
    let _ = std::fs::remove_dir_all(browser_dir);
    let v = run.json();
    let c = check(&v, "browser-proxy");
    assert_eq!(c["finding"], "browser.proxy_no_bypass", "{run:?}");
    assert!(
        c["summary"].as_str().unwrap_or_default().contains(proxy),
        "{run:?}"
    );
}

/// The prefix user's Chrome with one profile, as Chrome leaves it; its folder, for the
/// test to remove.
fn chrome_in_prefix() -> std::path::PathBuf {
    let chrome = drive_c_users().join("root/AppData/Local/Google/Chrome/User Data");
    std::fs::create_dir_all(chrome.join("Default")).unwrap();
    std::fs::write(chrome.join("Default/Preferences"), "{}").unwrap();
    chrome
}

/// The chroot's `C:\users` folder, seen from the host.
fn drive_c_users() -> std::path::PathBuf {
    let root = std::env::var("ECPA_WINE_ROOT").expect("ECPA_WINE_ROOT: run through scripts/wine");
    std::path::Path::new(&root).join("root/.wine/drive_c/users")
}

/// What a Chinese report looks like through a pipe and in a file (measured, then fixed
/// where it was wrong): standard output is UTF-8 bytes, whole; a text report written with
/// `-o` starts with a UTF-8 byte-order mark so Notepad, Excel and Windows PowerShell read
/// it as UTF-8; a JSON report has none.
#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_writes_utf8_to_a_pipe_and_marks_a_text_report_file() {
    let _wine = wine_lock();
    let run = wine(&["demo", "no-card", "--report"]);
    assert!(run.stdout.contains("根本原因：健保卡"), "{run:?}");
    assert!(!run.stdout.contains('\u{fffd}'), "not UTF-8: {run:?}");

    let dir = drive_c_users();
    let (txt, json) = (dir.join("ecpa-report.txt"), dir.join("ecpa-report.json"));
    for f in [&txt, &json] {
        let _ = std::fs::remove_file(f);
    }
    wine(&[
        "demo",
        "no-card",
        "--report",
        "-o",
        r"C:\users\ecpa-report.txt",
    ]);
    wine(&[
        "demo",
        "no-card",
        "--format",
        "json",
        "-o",
        r"C:\users\ecpa-report.json",
    ]);
    let text = std::fs::read(&txt).expect("the text report file");
    assert!(
        text.starts_with("\u{feff}".as_bytes()),
        "no byte-order mark"
    );
    assert!(
        String::from_utf8(text)
            .unwrap()
            .contains("根本原因：健保卡")
    );
    let json_bytes = std::fs::read(&json).expect("the JSON report file");
    assert_eq!(
        json_bytes.first(),
        Some(&b'{'),
        "JSON must not start with a byte-order mark"
    );
    for f in [&txt, &json] {
        let _ = std::fs::remove_file(f);
    }
}

/// The console under Wine, in a real terminal: Wine's console (no window: its Unix-tty
/// mode) draws the first frame and quits on `q` with the terminal restored. Measured: the
/// frame is drawn but misplaced — Wine's tty console does not keep crossterm's cursor moves
/// and wide characters in step — so only what must hold is asserted: it starts, draws its
/// header, quits cleanly and leaves the shell's screen and tty modes as they were.
#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_console_starts_in_tmux_and_quits_on_q() {
    let _wine = wine_lock();
    use crate::support::tmux::{PRINT_TTY_MODES, Tmux, exit_status, has_line, tty_modes};
    let root = std::env::var("ECPA_WINE_ROOT").expect("ECPA_WINE_ROOT: run through scripts/wine");
    let out = std::env::temp_dir().join(format!("ecpa-wine-console-{}.out", std::process::id()));
    let _ = std::fs::remove_file(&out);
    let tmux = Tmux::start(110, 36);
    tmux.record_output(&out);
    tmux.type_line("echo BEFORE-THE-CONSOLE");
    tmux.wait_for("the shell", |s| has_line(s, "BEFORE-THE-CONSOLE"));
    tmux.type_line(&format!(
        "sh -c 'timeout 120 chroot {root} env -i HOME=/root WINEDEBUG=-all LANG=C.UTF-8 \
         TERM=xterm-256color LD_LIBRARY_PATH=/opt/host-pcsc /usr/lib/wine/wine64 \
         /opt/ecpa-doctor/ecpa-doctor.exe --lang en demo no-card; echo EXIT=$?; {}'",
        PRINT_TTY_MODES.replace('\'', "'\\''")
    ));
    let header = format!("ecpa-doctor {}", env!("CARGO_PKG_VERSION"));
    let t0 = std::time::Instant::now();
    loop {
        let bytes = std::fs::read(&out).unwrap_or_default();
        if String::from_utf8_lossy(&bytes).contains(&header) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(90),
            "no first frame under Wine:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!("measured: first frame under Wine after {:?}", t0.elapsed());
    // Let the checks finish so `q` is read by the running console, not lost at start-up.
    std::thread::sleep(Duration::from_secs(3));
    tmux.keys(&["q"]);
    let t1 = std::time::Instant::now();
    let screen = loop {
        let s = tmux.screen();
        if exit_status(&s).is_some() && tty_modes(&s).is_some() {
            break s;
        }
        assert!(
            t1.elapsed() < Duration::from_secs(30),
            "the console did not quit on q:\n{s}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = std::fs::remove_file(&out);
    assert_eq!(exit_status(&screen).as_deref(), Some("0"), "{screen}");
    assert_eq!(
        tty_modes(&screen).as_deref(),
        Some("icanon echo"),
        "{screen}"
    );
    assert!(
        has_line(&screen, "BEFORE-THE-CONSOLE"),
        "screen not restored:\n{screen}"
    );
}

/// Firefox's Group Policy proxy, as `reg add` leaves it (`Proxy` a subkey, the switch a
/// DWORD), is read through the registry API for the user's Firefox in the prefix.
#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_reads_firefoxs_proxy_policy_from_the_registry() {
    let _wine = wine_lock();
    const KEY: &str = r"HKLM\SOFTWARE\Policies\Mozilla\Firefox";
    let firefox = drive_c_users().join("root/AppData/Roaming/Mozilla/Firefox");
    std::fs::create_dir_all(firefox.join("Profiles/w")).unwrap();
    std::fs::write(
        firefox.join("profiles.ini"),
        "[Profile0]\nName=work\nIsRelative=1\nPath=Profiles/w\n",
    )
    .unwrap();
    std::fs::write(firefox.join("Profiles/w/prefs.js"), "").unwrap();
    let proxy = format!(r"{KEY}\Proxy");
    for (name, ty, data) in [
        ("Mode", "REG_SZ", "manual"),
        ("HTTPProxy", "REG_SZ", "10.2.2.2:3128"),
        ("UseHTTPProxyForAllProtocols", "REG_DWORD", "1"),
    ] {
        assert!(wine_reg(&[
            "add", &proxy, "/v", name, "/t", ty, "/d", data, "/f"
        ]));
    }
    proxy_policy_is_named(KEY, &firefox, "10.2.2.2:3128");
}

/// The trusted state: the fake component's root added to the user's Root store (as the
/// registry keeps a store: a `Blob` of serialized properties under the certificate's SHA-1,
/// which Wine's crypt32 reads back), then Chrome's view of the Windows stores trusts the
/// chain: `browser-trust` passes.
#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_trusts_the_component_once_its_root_is_in_the_users_root_store() {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let _wine = wine_lock();
    let _rig = rig_lock();
    let _fake = WindowsFake::start(&["--root-ca", r"C:\users\fake-root.pem"]);
    let pem = std::fs::read(drive_c_users().join("fake-root.pem")).expect("the fake's root");
    let der = CertificateDer::pem_slice_iter(&pem)
        .next()
        .expect("a PEM certificate")
        .unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02X}")).collect::<String>();
    let sha1 = hex(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref());
    // One serialized property: CERT_CERT_PROP_ID (32), flags 1, length, the DER.
    let mut blob = Vec::new();
    for n in [32u32, 1, der.len() as u32] {
        blob.extend_from_slice(&n.to_le_bytes());
    }
    blob.extend_from_slice(&der);
    let key = format!(r"HKCU\Software\Microsoft\SystemCertificates\Root\Certificates\{sha1}");
    assert!(wine_reg(&[
        "add",
        &key,
        "/v",
        "Blob",
        "/t",
        "REG_BINARY",
        "/d",
        &hex(&blob),
        "/f"
    ]));
    let chrome = chrome_in_prefix();
    let run = wine(&[
        "--check",
        "browser-trust",
        "--report",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    wine_reg(&["delete", &key, "/f"]);
    let _ = std::fs::remove_dir_all(&chrome);
    let v = run.json();
    let trust = check(&v, "browser-trust");
    eprintln!(
        "measured: root added to HKCU Root under Wine: browser-trust {} ({}); bridge-tls {} {}",
        trust["status"],
        trust["evidence"]["browser_0"],
        check(&v, "bridge-tls")["status"],
        check(&v, "bridge-tls")["evidence"]["trust_system"]
    );
    assert_eq!(trust["status"], "pass", "{run:?}");
    assert!(trust["finding"].is_null(), "{run:?}");
}

/// The agency `registry` kind on Windows: a value `reg add` set is found and matched, a
/// missing one is the agency's own finding with its inline remedy.
#[test]
#[ignore = "needs the Wine chroot: run scripts/wine"]
fn windows_build_runs_an_agency_registry_check() {
    let _wine = wine_lock();
    const KEY: &str = r"HKLM\SOFTWARE\EcpaDoctorTestAgency";
    assert!(wine_reg(&[
        "add", KEY, "/v", "Image", "/d", "2026.11", "/f"
    ]));
    let profile = "schema: 1\nname: agency\ntitle: {zh-TW: 機關, en: agency}\nchecks:\n  - id: image\n    kind: registry\n    title: {zh-TW: 映像檔, en: image}\n    params: {hive: HKLM, key: 'SOFTWARE\\EcpaDoctorTestAgency', value: Image, expect: '^2026\\.11$'}\n  - id: vpn\n    kind: registry\n    title: {zh-TW: VPN, en: VPN}\n    params: {hive: HKLM, key: 'SOFTWARE\\EcpaDoctorTestAgency', value: Vpn}\n    findings:\n      agency.vpn_missing:\n        zh-TW: {title: 沒有 VPN 設定, why: 原因, steps: [請資訊人員處理]}\n        en: {title: No VPN setting, why: Why, steps: [Ask IT]}\n";
    std::fs::write(drive_c_users().join("agency.yaml"), profile).unwrap();
    let run = wine(&[
        "--profile",
        r"C:\users\agency.yaml",
        "--report",
        "--format",
        "json",
        "--lang",
        "en",
    ]);
    wine_reg(&["delete", KEY, "/f"]);
    let _ = std::fs::remove_file(drive_c_users().join("agency.yaml"));
    let v = run.json();
    assert_eq!(check(&v, "image")["status"], "pass", "{run:?}");
    let vpn = check(&v, "vpn");
    assert_eq!(vpn["finding"], "agency.vpn_missing", "{run:?}");
    assert_eq!(vpn["remedy"]["title"], "No VPN setting", "{run:?}");
}
