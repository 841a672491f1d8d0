//! The fleet sweep: `fleet summarize` over reports the real binary wrote (demo scenarios),
//! hostile and broken files among them; the fleet profile's WebSocket check against the
//! fake component with no card; and the Ansible playbook (`contrib/ansible/sweep.yml`) run
//! by a real `ansible-playbook` (ansible-core from PyPI, `scripts/ansible-venv`) against
//! loopback sshd hosts, one unreachable, one without ecpa-doctor, one writing a broken
//! report.

use std::path::Path;
use std::process::Command;

use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};

use crate::support::sshd::{Sshd, free_port};
use crate::support::{BIN, Run, check, doctor, temp_dir, write_profile};

/// `demo SCENARIO --format json` written to `dir/name.json`.
fn demo_report(dir: &Path, name: &str, scenario: &str, extra: &[&str]) {
    let mut args = vec!["demo", scenario, "--format", "json"];
    args.extend_from_slice(extra);
    let run = doctor(&args, &[]);
    assert!(run.stdout.starts_with('{'), "{run:?}");
    std::fs::write(dir.join(format!("{name}.json")), &run.stdout).unwrap();
}

fn summarize(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["fleet", "summarize", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    doctor(&args, &[])
}

#[test]
fn fleet_summarize_counts_demo_reports_names_bad_files_and_prints_each_remedy_once() {
    let dir = temp_dir("fleet-summary");
    for (name, scenario) in [
        ("pc-01", "healthy"),
        ("pc-02", "no-card"),
        ("pc-03", "no-card"),
        ("pc-04", "no-card"),
        ("pc-05", "browser-lna-blocked"),
        ("pc-06", "healthy"),
    ] {
        demo_report(&dir, name, scenario, &[]);
    }
    demo_report(&dir, "pc-07", "healthy", &["--show-pii"]);
    std::fs::write(dir.join("pc-08.json"), "{broken").unwrap();
    std::fs::write(
        dir.join("pc-09.json"),
        r#"{"schema_version": 2, "pii_revealed": false}"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("pc-10.unreachable.json"),
        r#"{"host": "pc-10", "unreachable": true, "msg": "Failed to connect to the host via ssh: Connection refused"}"#,
    )
    .unwrap();
    std::fs::write(dir.join("notes.txt"), "not a report").unwrap();

    let run = summarize(&dir, &["--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let v = run.json();
    let c = &v["counts"];
    assert_eq!(
        (
            c["total"].as_u64(),
            c["healthy"].as_u64(),
            c["blocked"].as_u64()
        ),
        (Some(10), Some(2), Some(4)),
        "{run:?}"
    );
    assert_eq!(
        (c["unreachable"].as_u64(), c["unreadable"].as_u64()),
        (Some(1), Some(3))
    );
    let causes = v["root_causes"].as_array().unwrap();
    assert_eq!(causes[0]["finding"], "card.none");
    assert_eq!(
        causes[0]["pcs"],
        serde_json::json!(["pc-02", "pc-03", "pc-04"])
    );
    assert_eq!(causes[1]["finding"], "browser.lna_blocked");
    assert!(
        causes[1]["fleet_fix"]
            .as_str()
            .unwrap()
            .contains("LoopbackNetworkAllowedForUrls")
    );
    let pc = |name: &str| {
        v["pcs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["pc"] == name)
            .unwrap_or_else(|| panic!("{name} missing"))
            .clone()
    };
    assert!(
        pc("pc-07")["detail"]
            .as_str()
            .unwrap()
            .contains("--show-pii")
    );
    assert_eq!(pc("pc-08")["state"], "unreadable");
    assert!(pc("pc-09")["detail"].as_str().unwrap().contains('2'));
    assert!(
        pc("pc-10")["detail"]
            .as_str()
            .unwrap()
            .contains("Connection refused")
    );
    // The unmasked report's name never reaches the summary.
    let unmasked = std::fs::read_to_string(dir.join("pc-07.json")).unwrap();
    let holder: serde_json::Value = serde_json::from_str(&unmasked).unwrap();
    let name = check(&holder, "card")["evidence"]["id_no"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        !name.contains('*'),
        "the --show-pii report is unmasked: {name}"
    );
    for format in ["text", "markdown", "json", "csv"] {
        let out = summarize(&dir, &["--format", format]);
        assert!(!out.stdout.contains(&name), "{format}: {out:?}");
    }

    // Each remedy once, in the text a helpdesk pastes.
    let text = summarize(&dir, &["--lang", "en"]);
    assert_eq!(
        text.stdout
            .matches("What to do: There is no NHI card in the reader")
            .count(),
        1,
        "{text:?}"
    );
    assert!(
        text.stdout.contains("3 PCs — NHI card: card.none"),
        "{text:?}"
    );
    let md = summarize(&dir, &["--format", "markdown"]);
    assert!(
        md.stdout
            .starts_with("# ecpa-doctor 機關電腦巡檢彙整 — 共 10 台電腦"),
        "{md:?}"
    );
    let csv = summarize(&dir, &["--format", "csv"]);
    assert_eq!(csv.stdout.lines().count(), 11, "{csv:?}");

    // Exit statuses: healthy only → 0; warnings only → 2; nothing to read → 64.
    let healthy = temp_dir("fleet-healthy");
    demo_report(&healthy, "a", "healthy", &[]);
    assert_eq!(summarize(&healthy, &[]).code, 0);
    let warned = temp_dir("fleet-warned");
    demo_report(&warned, "a", "healthy", &[]);
    demo_report(&warned, "b", "browser-lna-undecided", &[]);
    let w = summarize(&warned, &["--format", "json"]);
    assert_eq!(
        (w.code, w.json()["counts"]["warnings"].as_u64()),
        (2, Some(1)),
        "{w:?}"
    );
    let empty = temp_dir("fleet-empty");
    assert_eq!(summarize(&empty, &[]).code, 64);
}

/// A CSV cell a hostile report controls (a PC name from its file, a root-cause summary)
/// cannot become a spreadsheet formula.
#[test]
fn fleet_csv_cells_never_start_a_formula() {
    let dir = temp_dir("fleet-csv");
    std::fs::write(
        dir.join("=HYPERLINK(x).unreachable.json"),
        r#"{"msg": "@SUM(A1:A9)"}"#,
    )
    .unwrap();
    let out = summarize(&dir, &["--format", "csv"]);
    let row = out.stdout.lines().nth(1).unwrap();
    assert!(row.starts_with("\"'=HYPERLINK(x)\""), "{row}");
    assert!(row.contains("\"'@SUM(A1:A9)\""), "{row}");
}

/// The fleet profile's WebSocket check stops after GetVersion: no card, and it passes.
#[test]
fn the_fleet_websocket_check_needs_no_card() {
    let fake = FakeBridge::start(BridgeConfig::new(CertGeneration::TestCa, Fault::Healthy))
        .expect("start the fake bridge");
    let dir = temp_dir("fleet-ws");
    let profile = format!(
        "schema: 1\nname: t\ntitle: {{zh-TW: 測試, en: test}}\nchecks:\n  - id: bridge-ws\n    kind: bridge_protocol\n    title: {{zh-TW: 元件, en: component}}\n    params: {{host: 127.0.0.1, port: {}, sni: iccert.nhi.gov.tw, origin: 'https://ecpa.dgpa.gov.tw', read_card: false}}\n",
        fake.port()
    );
    let path = write_profile(&dir, "ws.yaml", &profile);
    let run = doctor(
        &[
            "--profile",
            &path,
            "--report",
            "--format",
            "json",
            "--lang",
            "en",
        ],
        &[],
    );
    let c = check(&run.json(), "bridge-ws").clone();
    assert_eq!(c["status"], "pass", "{run:?}");
    assert!(
        c["summary"].as_str().unwrap().contains("no card read"),
        "{run:?}"
    );
    assert!(
        !fake.log().iter().any(|l| l.contains("GetBasic")),
        "{:?}",
        fake.log()
    );
    // And the built-in fleet profile says so.
    let list = doctor(
        &["--profile", "fleet", "--list-checks", "--lang", "en"],
        &[],
    );
    assert!(
        list.stdout.contains("bridge-ws") && !list.stdout.contains("nhi-signature"),
        "{list:?}"
    );
}

/// `scripts/ansible-venv`: ansible-core from PyPI, made once.
fn ansible_bin() -> std::path::PathBuf {
    let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/ansible-venv"))
        .output()
        .expect("run scripts/ansible-venv");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

#[test]
fn the_ansible_playbook_sweeps_loopback_hosts_and_summarises_them() {
    let bin = ansible_bin();
    let dir = temp_dir("fleet-ansible");
    // One sshd per reachable host: a distinct port is a distinct machine to Ansible.
    let hosts: Vec<(&str, String)> = vec![
        // The binary copied to the PC first (ecpa_doctor_copy_binary), then run from there.
        (
            "pc-01",
            "{{ ecpa_doctor_path }} demo healthy --format json".to_string(),
        ),
        ("pc-02", format!("{BIN} demo no-card --format json")),
        ("pc-03", format!("{BIN} demo no-card --format json")),
        (
            "pc-04",
            format!("{BIN} demo browser-lna-blocked --format json"),
        ),
        (
            "pc-05",
            "/nonexistent/ecpa-doctor --profile fleet --report --format json".into(),
        ),
        ("pc-06", "printf '{broken'".into()),
        // Its binary copy fails (no such file on the controller): a note, not a lost PC.
        ("pc-08", format!("{BIN} demo healthy --format json")),
    ];
    let servers: Vec<Sshd> = hosts.iter().map(|(name, _)| Sshd::start(name)).collect();
    let mut inventory = String::from("all:\n  hosts:\n");
    for ((name, command), s) in hosts.iter().zip(&servers) {
        inventory.push_str(&format!(
            "    {name}:\n      ansible_port: {}\n      ansible_ssh_private_key_file: {}\n      ecpa_doctor_command: {}\n",
            s.port,
            s.key(),
            serde_json::to_string(command).unwrap()
        ));
    }
    let copied = dir.join("copied").join("ecpa-doctor");
    std::fs::create_dir_all(copied.parent().unwrap()).unwrap();
    inventory = inventory.replacen(
        "    pc-01:\n",
        &format!(
            "    pc-01:\n      ecpa_doctor_copy_binary: true\n      ecpa_doctor_binary: {BIN}\n      ecpa_doctor_path: {}\n",
            copied.display()
        ),
        1,
    );
    inventory = inventory.replacen(
        "    pc-08:\n",
        "    pc-08:\n      ecpa_doctor_copy_binary: true\n      ecpa_doctor_binary: /nonexistent/ecpa-doctor\n",
        1,
    );
    inventory.push_str(&format!(
        "    pc-07:\n      ansible_port: {}\n      ansible_ssh_private_key_file: {}\n",
        free_port(),
        servers[0].key()
    ));
    inventory.push_str(
        "  vars:\n    ansible_host: 127.0.0.1\n    ansible_user: root\n    ansible_python_interpreter: /usr/bin/python3\n    ansible_ssh_common_args: '-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes -o ConnectTimeout=5'\n",
    );
    std::fs::write(dir.join("inventory.yml"), inventory).unwrap();
    let reports = dir.join("reports");
    // An earlier sweep's note for a PC that answers now: the sweep removes it.
    std::fs::create_dir_all(&reports).unwrap();
    std::fs::write(
        reports.join("pc-02.unreachable.json"),
        r#"{"msg": "stale"}"#,
    )
    .unwrap();
    let summary = dir.join("summary.md");
    let playbook = concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/ansible/sweep.yml");
    let out = Command::new(bin.join("ansible-playbook"))
        .args(["-i", dir.join("inventory.yml").to_str().unwrap(), playbook])
        .args(["-e", &format!("reports_dir={}", reports.display())])
        .args(["-e", &format!("summary_file={}", summary.display())])
        .args(["-e", &format!("ecpa_doctor_controller={BIN}")])
        .args(["-e", "ecpa_doctor_lang=en", "-f", "4"])
        .env("ANSIBLE_HOST_KEY_CHECKING", "False")
        .env("ANSIBLE_LOCAL_TEMP", dir.join("ansible-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run ansible-playbook");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // The sweep play itself succeeds: unreachable and failing PCs are noted, not fatal.
    assert!(out.status.success(), "{log}");
    for name in ["pc-01", "pc-02", "pc-03", "pc-04", "pc-06"] {
        assert!(
            reports.join(format!("{name}.json")).is_file(),
            "{name}: {log}"
        );
    }
    assert!(
        !reports.join("pc-02.unreachable.json").exists(),
        "the earlier sweep's note was not removed: {log}"
    );
    for name in ["pc-05", "pc-07", "pc-08"] {
        let note = std::fs::read_to_string(reports.join(format!("{name}.unreachable.json")))
            .unwrap_or_else(|e| panic!("{name}: {e}\n{log}"));
        assert!(note.contains("\"msg\""), "{name}: {note}");
    }
    let md = std::fs::read_to_string(&summary).unwrap_or_else(|e| panic!("{e}\n{log}"));
    assert!(md.contains("8 PCs"), "{md}");
    assert!(
        md.contains("healthy 1 · warnings only 0 · blocked 3 · unreachable 3 · unreadable 1"),
        "{md}"
    );
    assert!(md.contains("2 PCs — NHI card: card.none"), "{md}");
    assert!(md.contains("`pc-02`, `pc-03`"), "{md}");
    assert!(md.contains("| pc-07 |") && md.contains("| pc-06 |"), "{md}");
}

/// `fleet view` in a real terminal: the ranked causes, the PCs under one, a PC's report on
/// Enter, back on Esc, quit on q with the summary's exit status and the terminal restored.
#[test]
fn the_fleet_view_runs_in_a_real_terminal() {
    use crate::support::tmux::{PRINT_TTY_MODES, Tmux, exit_status, has_line, tty_modes};
    let dir = temp_dir("fleet-view");
    demo_report(&dir, "pc-01", "no-card", &[]);
    demo_report(&dir, "pc-02", "no-card", &[]);
    demo_report(&dir, "pc-03", "healthy", &[]);
    let tmux = Tmux::start(100, 30);
    tmux.type_line("echo BEFORE-THE-CONSOLE");
    tmux.wait_for("the shell", |s| has_line(s, "BEFORE-THE-CONSOLE"));
    tmux.type_line(&format!(
        "sh -c '{BIN} fleet view --lang en {}; echo EXIT=$?; {}'",
        dir.display(),
        PRINT_TTY_MODES.replace('\'', "'\\''")
    ));
    tmux.wait_for("the causes", |s| s.contains("2 PCs — NHI card: card.none"));
    tmux.keys(&["Enter"]);
    tmux.keys(&["Down"]);
    tmux.keys(&["Enter"]);
    let (s, _) = tmux.wait_for("pc-02's report", |s| s.contains("Report of pc-02"));
    // The report as the PC wrote it (the demo writes zh-TW).
    assert!(s.contains("根本原因：健保卡"), "{s}");
    tmux.keys(&["Escape"]);
    tmux.wait_for("the lists again", |s| s.contains("PCs hit"));
    tmux.keys(&["q"]);
    let (s, _) = tmux.wait_for("the exit", |s| {
        exit_status(s).is_some() && tty_modes(s).is_some()
    });
    assert_eq!(exit_status(&s).as_deref(), Some("1"), "{s}");
    assert_eq!(tty_modes(&s).as_deref(), Some("icanon echo"), "{s}");
    assert!(has_line(&s, "BEFORE-THE-CONSOLE"), "{s}");
}
