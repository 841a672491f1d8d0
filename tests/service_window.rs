//! The maintenance-window check through the real binary, with window files written
//! around the current time.

use crate::support;

use support::{check, doctor};

fn profile_with(dir: &std::path::Path, windows: &str) -> String {
    let wfile = dir.join("windows.yaml");
    std::fs::write(&wfile, windows).unwrap();
    let text = format!(
        "schema: 1\nname: w\ntitle: {{zh-TW: 維護, en: windows}}\nchecks:\n  - id: service-window\n    kind: service_window\n    title: {{zh-TW: 服務維護時段, en: Service maintenance windows}}\n    severity: advisory\n    params:\n      windows_file: {}\n",
        wfile.display()
    );
    support::write_profile(dir, "p.yaml", &text)
}

fn iso(offset_hours: i64) -> String {
    let t = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        + chrono::Duration::hours(offset_hours);
    t.format("%Y-%m-%dT%H:%M").to_string()
}

#[test]
fn inside_an_announced_window_warns_with_exit_2() {
    let dir = support::temp_dir("win-in");
    let w = format!(
        "- service: {{zh-TW: 健保卡網路服務註冊, en: NHI registration}}\n  start: {}\n  end: {}\n",
        iso(-1),
        iso(2)
    );
    let r = doctor(
        &["--format", "json", "--profile", &profile_with(&dir, &w)],
        &[],
    );
    let v = r.json();
    assert_eq!(r.code, 2, "{r:?}");
    let c = check(&v, "service-window");
    assert_eq!(c["finding"], "service.maintenance", "{r:?}");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("健保卡網路服務註冊")
    );
    assert!(c["remedy"]["steps"].as_array().unwrap().len() >= 2);
}

#[test]
fn roc_dated_window_in_the_past_passes() {
    let dir = support::temp_dir("win-past");
    let w = "- service: {zh-TW: 健保卡網路服務註冊, en: NHI registration}\n  start: 107年10月5日20時\n  end: 10月6日4時\n";
    let r = doctor(
        &["--format", "json", "--profile", &profile_with(&dir, w)],
        &[],
    );
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(check(&r.json(), "service-window")["status"], "pass");
}

#[test]
fn unreadable_window_file_is_a_named_warning() {
    let dir = support::temp_dir("win-bad");
    let r = doctor(
        &[
            "--format",
            "json",
            "--profile",
            &profile_with(&dir, "- service: oops\n"),
        ],
        &[],
    );
    let v = r.json();
    assert_eq!(r.code, 2, "{r:?}");
    assert_eq!(
        check(&v, "service-window")["finding"],
        "service.windows_unreadable"
    );
}
