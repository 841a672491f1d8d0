//! `ecpa-doctor remote` against a real sshd on loopback: the report comes back stamped
//! with the remote host, and each failure is a named finding with a remedy.
//! Unix only: it starts OpenSSH's sshd.

#![cfg(unix)]

use crate::support;
use crate::support::sshd;
use crate::support::tmux;

use support::{check, doctor};

fn remote(sshd: &sshd::Sshd, key: &str, extra: &[&str]) -> support::Run {
    let mut args: Vec<String> = vec!["remote".into(), "root@127.0.0.1".into()];
    for o in sshd.options(key) {
        args.push("--ssh-option".into());
        args.push(o);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    doctor(&refs, &[])
}

#[test]
fn report_comes_back_as_json_naming_the_remote_host() {
    let s = sshd::Sshd::start("report");
    let r = remote(
        &s,
        &s.key(),
        &[
            "--remote-command",
            support::BIN,
            "--report",
            "--format",
            "json",
            "--ticket",
            "HD-9",
        ],
    );
    let v = r.json();
    assert_eq!(v["remote_host"], "root@127.0.0.1", "{r:?}");
    assert_eq!(v["ticket"], "HD-9");
    assert!(
        v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == "card"),
        "{r:?}"
    );
    assert_eq!(
        r.code,
        v["exit_code"].as_i64().unwrap() as i32,
        "the remote verdict is the exit code"
    );
    let md = remote(
        &s,
        &s.key(),
        &[
            "--remote-command",
            support::BIN,
            "--format",
            "markdown",
            "--lang",
            "en",
        ],
    );
    assert!(
        md.stdout.contains("**Remote host**: root@127.0.0.1"),
        "{md:?}"
    );
}

#[test]
fn unreachable_host_is_a_finding() {
    let s = sshd::Sshd::start("unreach");
    let closed = sshd::free_port();
    let mut args: Vec<String> = vec!["remote".into(), "root@127.0.0.1".into()];
    for o in s.options(&s.key()) {
        let o = if o.starts_with("Port=") {
            format!("Port={closed}")
        } else {
            o
        };
        args.extend(["--ssh-option".to_string(), o]);
    }
    args.extend(["--format".into(), "json".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = doctor(&refs, &[]);
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["root_cause"]["finding"], "remote.unreachable", "{r:?}");
    assert!(
        check(&v, "remote-host")["remedy"]["steps"]
            .as_array()
            .unwrap()
            .len()
            >= 2
    );
}

#[test]
fn refused_key_is_auth_refused() {
    let s = sshd::Sshd::start("auth");
    let r = remote(
        &s,
        &s.other_key(),
        &["--remote-command", support::BIN, "--format", "json"],
    );
    assert_eq!(
        r.json()["root_cause"]["finding"],
        "remote.auth_refused",
        "{r:?}"
    );
}

#[test]
fn missing_remote_tool_is_named() {
    let s = sshd::Sshd::start("missing");
    let r = remote(
        &s,
        &s.key(),
        &[
            "--remote-command",
            "/nonexistent/ecpa-doctor",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        r.json()["root_cause"]["finding"],
        "remote.tool_missing",
        "{r:?}"
    );
}

#[test]
fn too_old_remote_version_is_named() {
    let s = sshd::Sshd::start("old");
    let fake = s.dir.join("old-doctor");
    std::fs::write(&fake, "#!/bin/sh\necho 'ecpa-doctor 0.0.3'\n").unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let r = remote(
        &s,
        &s.key(),
        &[
            "--remote-command",
            fake.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    let v = r.json();
    assert_eq!(v["root_cause"]["finding"], "remote.too_old", "{r:?}");
    assert_eq!(
        check(&v, "remote-host")["evidence"]["remote_version"],
        "0.0.3"
    );
}

#[test]
fn unknown_host_key_is_named_when_checking_strictly() {
    let s = sshd::Sshd::start("hostkey");
    let known = s.dir.join("known_hosts_empty");
    std::fs::write(&known, "").unwrap();
    let mut args: Vec<String> = vec!["remote".into(), "root@127.0.0.1".into()];
    args.extend([
        "--ssh-option".into(),
        format!("Port={}", s.port),
        "--ssh-option".into(),
        format!("IdentityFile={}", s.key()),
    ]);
    args.extend([
        "--ssh-option".into(),
        "StrictHostKeyChecking=yes".into(),
        "--ssh-option".into(),
        format!("UserKnownHostsFile={}", known.display()),
    ]);
    args.extend(["--format".into(), "json".into()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = doctor(&refs, &[]);
    assert_eq!(
        r.json()["root_cause"]["finding"],
        "remote.host_key",
        "{r:?}"
    );
}

#[test]
fn a_destination_that_looks_like_an_option_is_refused() {
    let r = doctor(&["remote", "--", "-oProxyCommand=evil"], &[]);
    assert_eq!(r.code, 64, "{r:?}");
}

/// The supporter's view: `ecpa-doctor remote` in a real terminal (tmux, 100×30) opens
/// the console on the far side over `ssh -t`; it must get the right size, draw the check
/// list in Chinese, quit on `q` with status 0 and give the terminal back.
#[test]
fn console_over_ssh_renders_and_quits_cleanly() {
    let s = sshd::Sshd::start("tui");
    // Only the PC/SC part, so the far side's screen does not depend on the component.
    let profile = support::write_profile(
        &s.dir,
        "pcsc.yaml",
        "schema: 1\nname: over-ssh\ntitle: { zh-TW: 健保卡登入人事服務網（eCPA）, en: NHI-card login to eCPA }\nchecks:\n  - id: pcsc-service\n    kind: pcsc_service\n    title: { zh-TW: 智慧卡服務（PC/SC）, en: Smart-card service (PC/SC) }\n    timeout: 3s\n  - id: readers\n    kind: readers\n    title: { zh-TW: 讀卡機, en: Card reader }\n    needs: [pcsc-service]\n    timeout: 3s\n",
    );
    let t = tmux::Tmux::start(100, 30);
    let mut line = format!("{} remote root@127.0.0.1", support::BIN);
    for o in s.options(&s.key()) {
        line.push_str(&format!(" --ssh-option {o}"));
    }
    // The remote command may carry arguments: the profile for the far side.
    line.push_str(&format!(
        " --remote-command '{} --profile {}'; echo EXIT=$?",
        support::BIN,
        profile
    ));
    t.type_line(&line);
    let (screen, _) = t.wait_for("the console drawn over ssh", |sc| {
        sc.contains("讀卡機") && sc.contains("智慧卡服務") && sc.contains("ecpa-doctor")
    });
    assert!(
        !screen.contains("EXIT="),
        "the console ended early:\n{screen}"
    );
    // The far side saw the real terminal size: the header spans the full width.
    let widest = screen
        .lines()
        .map(|l| unicode_width::UnicodeWidthStr::width(l.trim_end()))
        .max()
        .unwrap_or(0);
    assert!(
        widest > 80,
        "the console did not use the 100 columns:\n{screen}"
    );
    t.keys(&["q"]);
    let (after, _) = t.wait_for("the exit status", |sc| tmux::exit_status(sc).is_some());
    assert_eq!(tmux::exit_status(&after).as_deref(), Some("0"), "{after}");
    assert!(
        !after.contains("智慧卡服務（PC/SC）"),
        "the console's screen is still there after quitting:\n{after}"
    );
}
