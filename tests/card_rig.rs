//! The real binary against a real pcscd with the vpcd virtual reader and our virtual NHI
//! card (`scripts/rig start`). Each test asserts findings, not only exit codes.

use crate::support;
use crate::support::vcard;

use std::time::Duration;

use support::{check, doctor, rig_lock as rig, wait_reader};
use vcard::{Faults, NhiCard, ScriptCard};

fn insert(slot: usize, card: impl vcard::Card) -> vcard::Inserted {
    let c = vcard::insert_wait(vcard::slot_addr(slot), card, Duration::from_secs(10))
        .expect("insert the virtual card");
    assert!(
        wait_reader(vcard::reader_name(slot), true, Duration::from_secs(10)),
        "pcscd did not notice the card"
    );
    c
}

fn json_report(extra: &[&str]) -> (support::Run, serde_json::Value) {
    let mut args = vec!["--report", "--format", "json", "--check", "card"];
    args.extend_from_slice(extra);
    let run = doctor(&args, &[]);
    let v = run.json();
    (run, v)
}

fn finding_of(v: &serde_json::Value, id: &str) -> String {
    check(v, id)["finding"].as_str().unwrap_or("").to_string()
}

fn with_faults(f: impl FnOnce(&mut Faults)) -> NhiCard {
    let mut faults = Faults::default();
    f(&mut faults);
    NhiCard::with_faults(faults)
}

fn expect_card_finding(card: NhiCard, finding: &str) -> serde_json::Value {
    let _g = rig();
    let _c = insert(0, card);
    let (run, v) = json_report(&[]);
    assert_eq!(finding_of(&v, "card"), finding, "{run:?}");
    assert_eq!(v["root_cause"]["check"], "card", "{run:?}");
    assert_eq!(run.code, 1, "{run:?}");
    let remedy = &check(&v, "card")["remedy"];
    assert!(
        remedy["steps"].as_array().is_some_and(|s| !s.is_empty()),
        "no remedy steps: {remedy}"
    );
    v
}

#[test]
fn healthy_card_passes_with_masked_evidence() {
    let _g = rig();
    let card = insert(0, NhiCard::sample());
    let (run, v) = json_report(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(v["verdict"], "healthy");
    assert!(v["root_cause"].is_null());
    let c = check(&v, "card");
    assert_eq!(c["status"], "pass", "{run:?}");
    assert_eq!(c["evidence"]["reader"], vcard::READER0);
    assert_eq!(c["evidence"]["id_no"], "A12****789");
    assert_eq!(c["evidence"]["name"], "王○○明");
    assert_eq!(c["evidence"]["card_no"], "********5678");
    for raw in ["A123456789", "王小明明", "000012345678", "0800101"] {
        assert!(
            !run.stdout.contains(raw) && !run.stderr.contains(raw),
            "{raw} leaked: {run:?}"
        );
    }
    // Shared mode and LeaveCard: the card saw SELECT + READ, and was never reset by us.
    let apdus = card.apdus();
    assert!(
        apdus
            .iter()
            .any(|a| a.starts_with(&[0x00, 0xA4, 0x04, 0x00])),
        "{apdus:02X?}"
    );
    assert!(
        apdus
            .iter()
            .any(|a| a.starts_with(&[0x00, 0xCA, 0x11, 0x00]))
    );
    assert!(
        !card.controls().contains(&0x02),
        "the card was reset: {:?}",
        card.controls()
    );
}

#[test]
fn show_pii_reveals_in_every_format_only_when_asked() {
    let _g = rig();
    let _card = insert(0, NhiCard::sample());
    for format in ["text", "markdown", "json"] {
        let masked = doctor(&["--report", "--format", format], &[]);
        assert!(
            !masked.stdout.contains("A123456789") && !masked.stdout.contains("王小明明"),
            "{format}: {masked:?}"
        );
        assert!(masked.stdout.contains("A12****789"), "{format}: {masked:?}");
        let shown = doctor(&["--report", "--format", format, "--show-pii"], &[]);
        assert!(
            shown.stdout.contains("A123456789") && shown.stdout.contains("王小明明"),
            "{format}: {shown:?}"
        );
    }
}

#[test]
fn no_card_is_the_root_cause_with_a_chinese_remedy() {
    let _g = rig();
    let (run, v) = json_report(&[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(v["root_cause"]["check"], "card");
    assert_eq!(v["root_cause"]["finding"], "card.none");
    assert_eq!(v["lang"], "zh-TW");
    let title = check(&v, "card")["remedy"]["title"].as_str().unwrap();
    assert!(
        title
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "remedy not in Chinese: {title}"
    );
    let text = doctor(&["--report"], &[]);
    assert!(
        text.stdout.contains("根本原因") && text.stdout.contains(title),
        "{text:?}"
    );
}

#[test]
fn pcsc_service_down_skips_readers_and_card() {
    // libpcsclite reads this variable, so only the child sees a dead service.
    let run = doctor(
        &["--report", "--format", "json"],
        &[("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm")],
    );
    let v = run.json();
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(v["root_cause"]["check"], "pcsc-service");
    assert_eq!(v["root_cause"]["finding"], "pcsc.no_service");
    for id in ["readers", "card"] {
        assert_eq!(check(&v, id)["status"], "skipped", "{run:?}");
        assert_eq!(check(&v, id)["skipped_because"], "pcsc-service");
    }
}

#[test]
fn card_in_the_second_of_two_readers_is_found() {
    let _g = rig();
    let _c = insert(1, NhiCard::sample());
    let (run, v) = json_report(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(check(&v, "card")["evidence"]["reader"], vcard::READER1);
}

#[test]
fn nhi_card_preferred_when_both_readers_hold_cards() {
    let _g = rig();
    let _a = insert(0, with_faults(|f| f.atr = Some(vcard::ATR_MOICA.to_vec())));
    let _b = insert(1, NhiCard::sample());
    let (run, v) = json_report(&[]);
    assert_eq!(run.code, 0, "{run:?}");
    let c = check(&v, "card");
    assert_eq!(c["evidence"]["reader"], vcard::READER1);
    assert_eq!(c["evidence"]["cards_in_other_readers"], vcard::READER0);
}

#[test]
fn citizen_certificate_is_named_as_the_wrong_card() {
    expect_card_finding(
        with_faults(|f| f.atr = Some(vcard::ATR_MOICA.to_vec())),
        "card.moica",
    );
}

#[test]
fn health_professional_card_is_named_as_the_wrong_card() {
    expect_card_finding(
        with_faults(|f| f.atr = Some(vcard::ATR_HPC.to_vec())),
        "card.hpc",
    );
}

#[test]
fn unknown_card_that_is_not_nhi() {
    let _g = rig();
    let _c = insert(0, ScriptCard::new(&[0x3B, 0x02, 0x14, 0x50]));
    let (run, v) = json_report(&[]);
    assert_eq!(finding_of(&v, "card"), "card.not_nhi", "{run:?}");
}

#[test]
fn select_refused_by_an_nhi_card_is_unreadable() {
    expect_card_finding(
        with_faults(|f| f.select_refused = Some([0x6A, 0x82])),
        "card.unreadable",
    );
}

#[test]
fn read_refused_is_unreadable() {
    expect_card_finding(
        with_faults(|f| f.read_refused = Some([0x6A, 0x86])),
        "card.unreadable",
    );
}

#[test]
fn new_generation_card_refusing_select_still_passes() {
    let _g = rig();
    let _c = insert(0, NhiCard::with_faults(Faults::new_generation()));
    let (run, v) = json_report(&[]);
    assert_eq!(check(&v, "card")["status"], "pass", "{run:?}");
    assert!(
        check(&v, "card")["evidence"]["select_sw"]
            .as_str()
            .unwrap()
            .starts_with("6D00")
    );
}

#[test]
fn short_record_is_garbled() {
    let v = expect_card_finding(with_faults(|f| f.short_record = Some(30)), "card.garbled");
    let shown = check(&v, "card")["evidence"]["record_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        shown.ends_with("(short)") || shown.ends_with("（short）"),
        "a phrase with the code kept: {shown}"
    );
    assert!(
        shown.len() > "short".len() + 2 && !shown.contains("value."),
        "{shown}"
    );
}

#[test]
fn bad_big5_name_is_garbled() {
    let v = expect_card_finding(with_faults(|f| f.bad_big5 = true), "card.garbled");
    let shown = check(&v, "card")["evidence"]["record_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        shown.ends_with("(name_encoding)") || shown.ends_with("（name_encoding）"),
        "a phrase with the code kept: {shown}"
    );
    assert!(
        shown.len() > "name_encoding".len() + 2 && !shown.contains("value."),
        "{shown}"
    );
}

#[test]
fn garbage_record_is_garbled() {
    expect_card_finding(with_faults(|f| f.garbage = true), "card.garbled");
}

#[test]
fn bad_id_checksum_is_named() {
    let v = expect_card_finding(with_faults(|f| f.bad_id_checksum = true), "card.id_invalid");
    let id = check(&v, "card")["evidence"]["id_no"].as_str().unwrap();
    assert_eq!(id, "A12****788", "masked even when invalid");
}

#[test]
fn t0_get_response_and_wrong_le_are_handled() {
    for card in [
        with_faults(|f| f.t0_get_response = true),
        with_faults(|f| f.wrong_le = true),
    ] {
        let _g = rig();
        let c = insert(0, card);
        let (run, v) = json_report(&[]);
        assert_eq!(check(&v, "card")["status"], "pass", "{run:?}");
        drop(c);
    }
}

#[test]
fn card_pulled_mid_read_is_named() {
    let v = expect_card_finding(with_faults(|f| f.pull_after_select = true), "card.removed");
    assert_eq!(check(&v, "card")["evidence"]["step"], "read_basic");
}

#[test]
fn card_held_exclusively_by_another_program_is_busy() {
    let _g = rig();
    let _c = insert(0, NhiCard::sample());
    let ctx = pcsc::Context::establish(pcsc::Scope::User).unwrap();
    let reader = std::ffi::CString::new(vcard::READER0).unwrap();
    let held = ctx
        .connect(&reader, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
        .expect("hold the card exclusively");
    let (run, v) = json_report(&[]);
    assert_eq!(finding_of(&v, "card"), "card.busy", "{run:?}");
    held.disconnect(pcsc::Disposition::LeaveCard)
        .map_err(|(_, e)| e)
        .unwrap();
}

#[test]
fn slow_card_times_out_naming_the_check() {
    let _g = rig();
    // 3 s a command against a 1 s timeout: a run that waited for the card's SELECT and
    // READ would take over 6 s, one that did not about 1 s, so the 4 s bound below has
    // room on both sides on a loaded machine.
    let _c = insert(
        0,
        with_faults(|f| f.delay = Some(Duration::from_millis(3000))),
    );
    let profile = ecpa_profile_with_card_timeout("1s");
    let dir = support::temp_dir("slow");
    let path = support::write_profile(&dir, "slow.yaml", &profile);
    // Only the card and what it needs: the default profile's network checks (clock,
    // outbound) may take seconds on a machine with a slow or black-holed route, which
    // says nothing about the card's timeout.
    let t0 = std::time::Instant::now();
    let run = doctor(
        &[
            "--report",
            "--format",
            "json",
            "--profile",
            &path,
            "--check",
            "card",
        ],
        &[],
    );
    let v = run.json();
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "the run waited for the slow card: {:?}",
        t0.elapsed()
    );
    assert_eq!(check(&v, "card")["status"], "timed_out", "{run:?}");
    assert_eq!(v["root_cause"]["check"], "card");
    assert_eq!(v["root_cause"]["finding"], "check.timeout");
    let text = doctor(
        &[
            "--report",
            "--lang",
            "en",
            "--profile",
            &path,
            "--check",
            "card",
        ],
        &[],
    );
    assert!(
        text.stdout.contains("NHI card") && text.stdout.contains("1.0 s"),
        "{text:?}"
    );
}

fn ecpa_profile_with_card_timeout(t: &str) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/checks/ecpa-nhi-login.yaml"
    ))
    .unwrap();
    let (head, tail) = text.split_once("  - id: card\n").unwrap();
    format!(
        "{head}  - id: card\n{}",
        tail.replace("timeout: 5s", &format!("timeout: {t}"))
    )
}
