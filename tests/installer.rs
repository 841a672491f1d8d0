//! `check-installer` and the `installer` check: MD5 against NHI's published values.

use crate::support;

use support::{check, doctor};

fn md5_of(path: &std::path::Path) -> String {
    ecpa_doctor::component::installer::md5_file(path).unwrap()
}

#[test]
fn a_file_matching_the_given_md5_passes_and_one_changed_byte_fails_with_the_remedy() {
    let dir = support::temp_dir("inst-md5");
    let f = dir.join("Setup.zip");
    let mut data: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
    std::fs::write(&f, &data).unwrap();
    let published = md5_of(&f);
    let r = doctor(
        &[
            "check-installer",
            f.to_str().unwrap(),
            "--md5",
            &published.to_lowercase(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(check(&r.json(), "installer")["status"], "pass");
    data[100_000] ^= 1;
    std::fs::write(&f, &data).unwrap();
    let r = doctor(
        &[
            "check-installer",
            f.to_str().unwrap(),
            "--md5",
            &published,
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    let v = r.json();
    assert_eq!(v["root_cause"]["finding"], "installer.corrupt");
    let steps = check(&v, "installer")["remedy"]["steps"].to_string();
    assert!(
        steps.contains("防毒"),
        "the remedy says to pause the antivirus: {steps}"
    );
}

#[test]
fn a_file_named_like_the_windows_installer_with_another_md5_differs_from_the_builtin_value() {
    let dir = support::temp_dir("inst-win");
    let f = dir.join("Setup (1).zip");
    std::fs::write(&f, b"not the installer").unwrap();
    let r = doctor(
        &[
            "check-installer",
            f.to_str().unwrap(),
            "--format",
            "json",
            "--lang",
            "en",
        ],
        &[],
    );
    let v = r.json();
    assert_eq!(r.code, 1, "{r:?}");
    let c = check(&v, "installer");
    assert_eq!(c["finding"], "installer.corrupt");
    assert_eq!(
        c["evidence"]["published_md5"],
        "9632640DD7182876783C935DFA7CD1D7"
    );
}

#[test]
fn an_installer_whose_published_md5_is_one_digit_short_is_said_to_be_unverifiable() {
    let dir = support::temp_dir("inst-mac");
    let f = dir.join("mac.Install1.zip");
    std::fs::write(&f, b"whatever").unwrap();
    let r = doctor(
        &["check-installer", f.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(r.code, 2, "{r:?}");
    let c = check(&r.json(), "installer").clone();
    assert_eq!(c["finding"], "installer.unverifiable");
    assert!(
        c["evidence"]["published_md5"]
            .as_str()
            .unwrap()
            .contains("31"),
        "{c}"
    );
}

#[test]
fn unknown_and_missing_files() {
    let dir = support::temp_dir("inst-unknown");
    let f = dir.join("holiday.jpg");
    std::fs::write(&f, b"jpeg").unwrap();
    let r = doctor(
        &["check-installer", f.to_str().unwrap(), "--format", "json"],
        &[],
    );
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        check(&r.json(), "installer")["finding"],
        "installer.unknown"
    );
    let r = doctor(
        &[
            "check-installer",
            "/nonexistent/Setup.zip",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        check(&r.json(), "installer")["finding"],
        "installer.unreadable"
    );
    let r = doctor(
        &["check-installer", f.to_str().unwrap(), "--md5", "xyz"],
        &[],
    );
    assert_eq!(r.code, 64, "{r:?}");
}

#[test]
fn the_advisory_check_scans_the_download_folder() {
    let dir = support::temp_dir("inst-scan");
    let downloads = dir.join("Downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    std::fs::write(downloads.join("mLNHIICC_Setup.fedora.zip"), b"truncated").unwrap();
    std::fs::write(downloads.join("report.pdf"), b"pdf").unwrap();
    let profile = format!(
        "schema: 1\nname: i\ntitle: {{zh-TW: 安裝檔, en: installer}}\nchecks:\n  - id: installer-download\n    kind: installer\n    title: {{zh-TW: 下載的元件安裝檔, en: Downloaded installer}}\n    severity: advisory\n    params:\n      search_dirs: [{}]\n",
        downloads.display()
    );
    let p = support::write_profile(&dir, "p.yaml", &profile);
    let r = doctor(&["--format", "json", "--profile", &p], &[]);
    assert_eq!(
        r.code, 2,
        "advisory: a warning, not a blocking failure: {r:?}"
    );
    let v = r.json();
    let c = check(&v, "installer-download");
    assert_eq!(c["finding"], "installer.corrupt");
    assert!(
        c["evidence"]["file_1"].as_str().unwrap().contains("fedora"),
        "{c}"
    );
    std::fs::remove_file(downloads.join("mLNHIICC_Setup.fedora.zip")).unwrap();
    let r = doctor(&["--format", "json", "--profile", &p], &[]);
    assert_eq!(r.code, 0, "{r:?}");
}
