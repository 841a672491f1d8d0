//! The profile reader with the built-in kinds: a profile that extends the default chain,
//! names its own findings and brings its remedies (the engine's own tests use fake kinds
//! and may not import these).

use crate::engine::Profile;
use crate::engine::profile::Severity;

fn minimal(checks: &str) -> String {
    format!("schema: 1\nname: t\ntitle: {{zh-TW: 測試, en: test}}\nchecks:\n{checks}")
}

fn agency(checks: &str) -> String {
    format!(
        "schema: 1\nname: a\ntitle: {{zh-TW: 機關, en: agency}}\nextends: default\nchecks:\n{checks}"
    )
}

const REMEDY: &str = "        zh-TW: {title: 標題, why: 原因, steps: [步驟]}\n        en: {title: Title, why: Why, steps: [Step]}\n";

#[test]
fn an_extending_profile_adds_advisory_checks_after_the_default_chain_or_where_it_says() {
    let text = agency(&format!(
        "  - id: vpn\n    kind: tcp\n    title: {{zh-TW: 甲, en: a}}\n    params: {{port: 1}}\n    findings:\n      agency.vpn_down:\n        when: [tcp.refused]\n{REMEDY}  - id: early\n    kind: process\n    title: {{zh-TW: 乙, en: b}}\n    severity: blocking\n    before: card\n    needs: [pcsc-service]\n    params: {{name: x}}\n"
    ));
    let p = Profile::parse(&text, "a.yaml", super::KINDS).unwrap();
    let ids: Vec<&str> = p.checks.iter().map(|c| c.id.as_str()).collect();
    let at = |id| ids.iter().position(|i| *i == id).unwrap();
    assert_eq!(ids.last(), Some(&"vpn"));
    assert_eq!(at("early") + 1, at("card"));
    assert_eq!(p.check("vpn").unwrap().severity, Severity::Advisory);
    assert_eq!(p.check("early").unwrap().severity, Severity::Blocking);
    let vpn = p.check("vpn").unwrap();
    assert_eq!(vpn.renamed("tcp.refused"), Some("agency.vpn_down"));
    assert_eq!(vpn.renamed("tcp.timeout"), None);
    assert_eq!(vpn.renamed("check.timeout"), None);
    assert_eq!(p.remedies["agency.vpn_down"].zh_tw.title, "標題");
}

#[test]
fn only_the_default_profile_can_be_extended_and_before_needs_it() {
    let text = agency(
        "  - id: x\n    kind: process\n    title: {zh-TW: 甲, en: a}\n    params: {name: x}\n",
    )
    .replace("extends: default", "extends: other");
    let e = Profile::parse(&text, "a.yaml", super::KINDS).unwrap_err();
    assert!(e.message.contains("`other`") && e.line == Some(4), "{e}");
    let text =
        minimal("  - id: x\n    kind: host\n    title: {zh-TW: 甲, en: a}\n    before: card\n");
    let e = Profile::parse(&text, "a.yaml", super::KINDS).unwrap_err();
    assert!(e.message.contains("before") && e.line == Some(8), "{e}");
}

#[test]
fn remedies_come_from_a_file_beside_the_profile_and_a_broken_one_is_named() {
    let dir = std::env::temp_dir().join(format!("ecpa-remedy-files-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("ours.yaml"),
        format!("agency.vpn_down:\n{}", REMEDY.replace("        ", "  ")),
    )
    .unwrap();
    std::fs::write(dir.join("broken.yaml"), "agency.x:\n  zh-TW: {title: t}\n").unwrap();
    let text = |file: &str| {
        agency("  - id: vpn\n    kind: tcp\n    title: {zh-TW: 甲, en: a}\n    params: {port: 1}\n    findings:\n      agency.vpn_down: {}\n")
            .replace("checks:", &format!("remedy_files: [{file}]\nchecks:"))
    };
    let profile = dir.join("agency.yaml").display().to_string();
    let p = Profile::parse(&text("ours.yaml"), &profile, super::KINDS).unwrap();
    assert_eq!(p.remedies["agency.vpn_down"].en.title, "Title");
    let e = Profile::parse(&text("broken.yaml"), &profile, super::KINDS).unwrap_err();
    assert!(e.file.ends_with("broken.yaml") && e.line == Some(2), "{e}");
    let e = Profile::parse(&text("none.yaml"), &profile, super::KINDS).unwrap_err();
    assert!(e.file.ends_with("none.yaml"), "{e}");
    // Without the file, the finding has no remedy: said where it is named.
    let bare = text("ours.yaml").replace("remedy_files: [ours.yaml]\n", "");
    let e = Profile::parse(&bare, &profile, super::KINDS).unwrap_err();
    assert!(e.message.contains("no remedy") && e.line == Some(11), "{e}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// An inline remedy may not replace a built-in finding's (the fleet summary and every
/// other report would disagree on it); a timeout may be a bare number of seconds.
#[test]
fn an_inline_remedy_for_a_built_in_finding_is_refused_and_bare_timeouts_read() {
    let text = agency(&format!(
        "  - id: vpn\n    kind: tcp\n    title: {{zh-TW: 甲, en: a}}\n    timeout: 5\n    params: {{port: 1}}\n    findings:\n      card.none:\n{REMEDY}"
    ));
    let e = Profile::parse(&text, "a.yaml", super::KINDS).unwrap_err();
    assert!(e.message.contains("agency.none"), "{e}");
    let ok = text.replace("card.none", "agency.vpn_down");
    let p = Profile::parse(&ok, "a.yaml", super::KINDS).unwrap();
    assert_eq!(
        p.check("vpn").unwrap().timeout,
        std::time::Duration::from_secs(5)
    );
}
