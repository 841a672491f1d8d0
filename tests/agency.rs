//! Agency checks (the generic kinds an agency configures in its own profile) through the
//! real binary, against real servers on loopback: a TCP listener, an HTTP server, the
//! fragile fake component; a real command and a real file. Broken agency profiles are
//! refused with file, line and column.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};

use crate::support::{check, doctor, temp_dir, write_profile};

/// How a client left a connection the stand-in server served.
#[derive(Debug, PartialEq, Eq)]
enum Ending {
    /// It sent its FIN (or read our close) and never reset the connection.
    Graceful,
    Reset(String),
}

/// Reads until the client's FIN; a reset on the way is the client hanging up rudely.
fn witness(mut s: TcpStream) -> Ending {
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ending::Graceful,
            Ok(_) => {}
            Err(e) => return Ending::Reset(e.to_string()),
        }
    }
}

/// A TCP service that only accepts: each connection's ending is sent back.
fn tcp_service() -> (u16, mpsc::Receiver<Ending>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for s in l.incoming().flatten() {
            let tx = tx.clone();
            thread::spawn(move || {
                let _ = tx.send(witness(s));
            });
        }
    });
    (port, rx)
}

/// A small web server: `/wpad.dat` is a PAC file, anything else 404. It answers, closes
/// its side, then waits for the client's close: each connection's ending is sent back.
fn web_server() -> (u16, mpsc::Receiver<Ending>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let tx = tx.clone();
            thread::spawn(move || {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let req = String::from_utf8_lossy(&req);
                let (status, body) = if req.starts_with("GET /wpad.dat ") {
                    (
                        "200 OK",
                        "function FindProxyForURL(url, host) { return \"DIRECT\"; }\n",
                    )
                } else {
                    ("404 Not Found", "not here\n")
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.shutdown(std::net::Shutdown::Write);
                let _ = tx.send(witness(s));
            });
        }
    });
    (port, rx)
}

fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Inline remedies for one finding, in both languages, named by `tag`.
fn finding(code: &str, tag: &str, when: &str) -> String {
    format!(
        "      {code}:\n{when}        zh-TW: {{title: \"{tag}（中文）\", why: 機關說明, steps: [依機關說明處理]}}\n        en: {{title: \"{tag} (English)\", why: The agency says, steps: [Do as the agency says]}}\n"
    )
}

#[test]
fn agency_checks_of_every_kind_run_through_the_binary_with_their_inline_remedies() {
    let dir = temp_dir("agency-kinds");
    std::fs::write(dir.join("image.conf"), "image=2026.11\nvpn=on\n").unwrap();
    let (tcp, tcp_endings) = tcp_service();
    let (web, web_endings) = web_server();
    let closed = closed_port();
    let d = dir.display();
    let checks = [
        format!("  - id: image-file\n    kind: file\n    title: {{zh-TW: 映像檔版本, en: image version}}\n    params: {{path: '{d}/image.conf', contains: '^image=2026\\.11$'}}\n"),
        format!("  - id: vpn-file\n    kind: file\n    title: {{zh-TW: VPN 設定檔, en: VPN settings}}\n    params: {{path: '{d}/vpn.conf'}}\n    findings:\n{}", finding("agency.vpn_settings_missing", "VPN 設定檔不見了", "")),
        "  - id: doctor-running\n    kind: process\n    title: {zh-TW: 程式, en: program}\n    params: {name: 'ecpa-doctor*'}\n".to_string(),
        format!("  - id: gateway\n    kind: tcp\n    title: {{zh-TW: 閘道, en: gateway}}\n    params: {{port: {tcp}}}\n"),
        format!("  - id: gateway-down\n    kind: tcp\n    title: {{zh-TW: 備援閘道, en: backup gateway}}\n    params: {{port: {closed}, connect_timeout: 2s}}\n    findings:\n{}", finding("agency.backup_gateway_down", "備援閘道不通", "        when: [tcp.refused, tcp.timeout]\n")),
        format!("  - id: pac\n    kind: http\n    title: {{zh-TW: PAC 檔, en: PAC file}}\n    params: {{url: 'http://127.0.0.1:{web}/wpad.dat', expect_text: FindProxyForURL}}\n"),
        format!("  - id: pac-moved\n    kind: http\n    title: {{zh-TW: 舊 PAC 檔, en: old PAC file}}\n    params: {{url: 'http://127.0.0.1:{web}/proxy.pac'}}\n    findings:\n{}", finding("agency.pac_moved", "PAC 檔搬家了", "        when: [http.status]\n")),
        "  - id: says-yes\n    kind: command\n    title: {zh-TW: 指令, en: command}\n    params: {run: [printf, 'yes\\n'], expect_output: '^yes$'}\n".to_string(),
        format!("  - id: says-no\n    kind: command\n    title: {{zh-TW: 指令二, en: command two}}\n    params: {{run: [printf, 'no'], expect_output: '^yes$'}}\n    findings:\n{}", finding("agency.says_no", "指令說不", "")),
        "  - id: agency-key\n    kind: registry\n    title: {zh-TW: 登錄檔, en: registry}\n    params: {hive: HKLM, key: 'SOFTWARE\\Agency', value: Image}\n".to_string(),
    ];
    let profile = format!(
        "schema: 1\nname: agency-test\ntitle: {{zh-TW: 機關測試, en: agency test}}\nchecks:\n{}",
        checks.concat()
    );
    let path = write_profile(&dir, "agency.yaml", &profile);
    let run = doctor(&["--profile", &path, "--report", "--format", "json"], &[]);
    let v = run.json();
    assert_eq!(run.code, 1, "the failures are blocking here: {run:?}");
    let status = |id: &str| {
        (
            check(&v, id)["status"].clone(),
            check(&v, id)["finding"].clone(),
        )
    };
    for id in [
        "image-file",
        "doctor-running",
        "gateway",
        "pac",
        "says-yes",
        "agency-key",
    ] {
        assert_eq!(status(id).0, "pass", "{id}: {run:?}");
    }
    for (id, code) in [
        ("vpn-file", "agency.vpn_settings_missing"),
        ("gateway-down", "agency.backup_gateway_down"),
        ("pac-moved", "agency.pac_moved"),
        ("says-no", "agency.says_no"),
    ] {
        assert_eq!(status(id), ("fail".into(), code.into()), "{id}: {run:?}");
    }
    assert_eq!(v["root_cause"]["check"], "vpn-file", "{run:?}");
    assert_eq!(
        check(&v, "pac-moved")["evidence"]["http_status"],
        "404",
        "{run:?}"
    );

    // Each remedy is the agency's own, in the report's language.
    let zh = doctor(&["--profile", &path, "--report"], &[]);
    let en = doctor(&["--profile", &path, "--report", "--lang", "en"], &[]);
    for tag in [
        "VPN 設定檔不見了",
        "備援閘道不通",
        "PAC 檔搬家了",
        "指令說不",
    ] {
        assert!(
            zh.stdout.contains(&format!("處理方式：{tag}（中文）")),
            "{tag}: {zh:?}"
        );
        assert!(
            en.stdout.contains(&format!("{tag} (English)")),
            "{tag}: {en:?}"
        );
        assert!(!zh.stdout.contains(&format!("{tag} (English)")), "{zh:?}");
    }

    // Every connection the checks opened (three runs) ended with the client's FIN.
    for (what, endings, count) in [("tcp", &tcp_endings, 3), ("http", &web_endings, 6)] {
        for _ in 0..count {
            let e = endings
                .recv_timeout(Duration::from_secs(15))
                .unwrap_or_else(|_| panic!("{what}: a connection was not ended"));
            assert_eq!(e, Ending::Graceful, "{what}");
        }
    }
}

/// The fragile fake component dies like the real one when a client hangs up before its
/// session tickets are out: the tcp and http kinds, pointed at it, leave it alive.
#[test]
fn agency_connections_leave_the_fragile_fake_component_alive() {
    let fake = FakeBridge::start(BridgeConfig::new(CertGeneration::TestCa, Fault::Healthy))
        .expect("start the fake bridge");
    let dir = temp_dir("agency-fragile");
    let root = dir.join("root.pem");
    fake.write_component_root(&root).unwrap();
    let port = fake.port();
    let profile = format!(
        "schema: 1\nname: fragile\ntitle: {{zh-TW: 測試, en: test}}\nchecks:\n  - id: port-answers\n    kind: tcp\n    title: {{zh-TW: 埠, en: port}}\n    params: {{port: {port}}}\n  - id: page-answers\n    kind: http\n    title: {{zh-TW: 網頁, en: page}}\n    params: {{url: 'https://localhost:{port}/', ca_file: '{}', expect_text: 'NHIICC|可信任'}}\n",
        root.display()
    );
    let path = write_profile(&dir, "fragile.yaml", &profile);
    for _ in 0..3 {
        let run = doctor(&["--profile", &path, "--report", "--format", "json"], &[]);
        let v = run.json();
        assert_eq!(check(&v, "port-answers")["status"], "pass", "{run:?}");
        assert_eq!(check(&v, "page-answers")["status"], "pass", "{run:?}");
    }
    thread::sleep(Duration::from_millis(300));
    assert!(!fake.is_dead(), "the fake died: {:?}", fake.death());
    assert!(fake.connections() >= 6, "{}", fake.connections());
}

/// The example profile runs the default chain, then its own checks; a failing agency check
/// shows its inline zh-TW remedy.
#[test]
fn the_example_agency_profile_extends_the_default_chain() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/checks/agency-example.yaml");
    let list = doctor(
        &["--profile", example, "--list-checks", "--lang", "en"],
        &[],
    );
    let at = |id: &str| {
        list.stdout
            .find(&format!(" {id} "))
            .unwrap_or_else(|| panic!("{id} not listed: {list:?}"))
    };
    assert!(
        at("pcsc-service") < at("registration") && at("registration") < at("agency-pac"),
        "{list:?}"
    );
    assert!(at("agency-pac") < at("agency-clock-sync"), "{list:?}");

    let run = doctor(&["--profile", example, "--report", "--format", "json"], &[]);
    let v = run.json();
    let pac = check(&v, "agency-pac");
    assert_eq!(pac["status"], "warn", "advisory by default: {run:?}");
    assert_eq!(pac["finding"], "agency.pac_unavailable", "{run:?}");
    assert_eq!(
        pac["remedy"]["title"], "取不到機關的 Proxy 自動設定檔",
        "{run:?}"
    );
    assert_ne!(v["root_cause"]["check"], "agency-pac", "{run:?}");
    assert!(
        check(&v, "card")["status"].is_string(),
        "the default chain ran: {run:?}"
    );
}

/// Each broken agency profile: exit 78, and the message names the file, line and column
/// and what is wrong.
#[test]
fn broken_agency_profiles_are_refused_with_a_position() {
    let dir = temp_dir("agency-broken");
    let head = "schema: 1\nname: bad\ntitle: {zh-TW: 壞, en: bad}\nextends: default\nchecks:\n";
    let remedy = "        zh-TW: {title: 標題, why: 原因, steps: [步驟]}\n        en: {title: Title, why: Why, steps: [Step]}\n";
    let cases: Vec<(&str, String, &str, usize)> = vec![
        (
            "unknown key",
            format!(
                "{head}  - id: a\n    kind: file\n    title: {{zh-TW: 甲, en: a}}\n    params: {{path: /x, colour: red}}\n"
            ),
            "colour",
            9,
        ),
        (
            "bad pattern",
            format!(
                "{head}  - id: a\n    kind: file\n    title: {{zh-TW: 甲, en: a}}\n    params:\n      path: /x\n      contains: 'image=(2026'\n"
            ),
            "image=(2026",
            11,
        ),
        (
            "a bad pattern after a block list",
            format!(
                "{head}  - id: a\n    kind: command\n    title: {{zh-TW: 甲, en: a}}\n    params:\n      run:\n        - systemctl\n        - is-active\n      expect_output: 'act(ive'\n"
            ),
            "act(ive",
            13,
        ),
        (
            "a command as one string",
            format!(
                "{head}  - id: a\n    kind: command\n    title: {{zh-TW: 甲, en: a}}\n    params:\n      run: systemctl is-active openvpn\n"
            ),
            "never as one string",
            10,
        ),
        (
            "a remedy in one language",
            format!(
                "{head}  - id: a\n    kind: tcp\n    title: {{zh-TW: 甲, en: a}}\n    params: {{port: 1}}\n    findings:\n      agency.down:\n        zh-TW: {{title: 標題, why: 原因, steps: [步驟]}}\n"
            ),
            "zh-TW only",
            11,
        ),
        (
            "needs an unknown id",
            format!(
                "{head}  - id: a\n    kind: tcp\n    title: {{zh-TW: 甲, en: a}}\n    needs: [ghost]\n    params: {{port: 1}}\n    findings:\n      agency.down:\n{remedy}"
            ),
            "ghost",
            6,
        ),
        (
            "when names no finding of the kind",
            format!(
                "{head}  - id: a\n    kind: tcp\n    title: {{zh-TW: 甲, en: a}}\n    params: {{port: 1}}\n    findings:\n      agency.down:\n        when: [http.status]\n{remedy}"
            ),
            "tcp.refused",
            11,
        ),
        (
            "an id of the default profile",
            format!(
                "{head}  - id: card\n    kind: tcp\n    title: {{zh-TW: 甲, en: a}}\n    params: {{port: 1}}\n"
            ),
            "already in the default profile",
            6,
        ),
    ];
    for (what, text, says, line) in cases {
        let path = write_profile(&dir, "bad.yaml", &text);
        let run = doctor(&["--profile", &path, "--report"], &[]);
        assert_eq!(run.code, 78, "{what}: {run:?}");
        assert!(run.stderr.contains(says), "{what}: {run:?}");
        assert!(
            run.stderr.contains(&format!("{path}:{line}:")),
            "{what}: want line {line}: {run:?}"
        );
    }
}
