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

/// The exe under Wine, in the chroot `scripts/wine` made (`ECPA_WINE_ROOT`).
fn wine(args: &[&str]) -> support::Run {
    let root = std::env::var("ECPA_WINE_ROOT")
        .expect("ECPA_WINE_ROOT: run these through scripts/wine, which sets up the chroot");
    let out = Command::new("timeout")
        .arg("120")
        .arg("chroot")
        .arg(&root)
        .args([
            "env",
            "-i",
            "HOME=/root",
            "WINEDEBUG=-all",
            "LANG=C.UTF-8",
            // Debian 13's pcsc-lite client refuses Debian 12's pcscd: the host's library.
            "LD_LIBRARY_PATH=/opt/host-pcsc",
            "/usr/lib/wine/wine64",
            "/opt/ecpa-doctor/ecpa-doctor.exe",
        ])
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
    let run = wine(&["demo", "no-card", "--report", "--format", "json"]);
    let v = run.json();
    assert_eq!(v["demo"], true, "{run:?}");
    assert_eq!(v["root_cause"]["finding"], "card.none", "{run:?}");
}
