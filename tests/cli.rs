//! The command line: help, exit codes, profile errors with positions, output files.
//! None of these need a card; PC/SC is pointed at nothing where a run happens.

use crate::support;

use support::doctor;

const NO_PCSC: (&str, &str) = ("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm");

fn profile(name: &str) -> String {
    format!("{}/tests/profiles/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Help on stdout, as wide as a common terminal (clap reads COLUMNS when stdout is a pipe).
fn help(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut env = env.to_vec();
    env.push(("COLUMNS", "100"));
    let r = doctor(args, &env);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");
    r.stdout
}

const ZH_HELP: &[&str] = &[
    "用法：ecpa-doctor [OPTIONS] [COMMAND]",
    "命令：",
    "選項：",
    "範例：",
    "結束代碼：",
    "輸出報告，不開啟互動畫面",
    "完整顯示身分證號、姓名、卡號和出生日期",
    "在報告上註明服務台的工單編號",
    "示範與訓練",
    "-h, --help             顯示說明",
    "顯示版本",
    "64  命令列有誤",
    "78  檢查清單有誤",
];
const EN_HELP: &[&str] = &[
    "Usage: ecpa-doctor [OPTIONS] [COMMAND]",
    "Commands:",
    "Options:",
    "Examples:",
    "Exit codes:",
    "Print a report instead of the interactive console",
    "Show national ID, name, card number and birth date unmasked",
    "Stamp the report with a helpdesk ticket id",
    "Demo and training",
    "-h, --help             Print help",
    "Print version",
    "64  bad command line",
    "78  the profile is invalid",
];

fn assert_help(text: &str, wanted: &[&str], unwanted: &[&str]) {
    for needle in [
        "--report",
        "--format",
        "--show-pii",
        "--ticket",
        "--list-checks",
        "--check-password",
    ]
    .iter()
    .chain(wanted)
    {
        assert!(text.contains(needle), "help lacks {needle:?}:\n{text}");
    }
    for needle in unwanted {
        assert!(!text.contains(needle), "help has {needle:?}:\n{text}");
    }
}

#[test]
fn help_teaches_usage_and_exit_codes() {
    // The harness's neutral locale (C.UTF-8) means zh-TW, as for the reports.
    assert_help(&help(&["--help"], &[]), ZH_HELP, EN_HELP);
    assert_help(&help(&["-h"], &[]), ZH_HELP, EN_HELP);
}

#[test]
fn help_is_chinese_for_a_chinese_locale_or_lang_zh_tw() {
    assert_help(
        &help(&["--help"], &[("LANG", "zh_TW.UTF-8")]),
        ZH_HELP,
        EN_HELP,
    );
    assert_help(
        &help(&["--lang", "zh-TW", "--help"], &[("LANG", "en_US.UTF-8")]),
        ZH_HELP,
        EN_HELP,
    );
    assert_help(
        &help(
            &["help"],
            &[("LC_ALL", "zh_TW.UTF-8"), ("LANG", "en_US.UTF-8")],
        ),
        ZH_HELP,
        EN_HELP,
    );
}

#[test]
fn help_is_english_for_an_english_locale_or_lang_en() {
    assert_help(&help(&["--lang", "en", "--help"], &[]), EN_HELP, ZH_HELP);
    assert_help(
        &help(&["--help", "--lang=en"], &[("LANG", "zh_TW.UTF-8")]),
        EN_HELP,
        ZH_HELP,
    );
    assert_help(
        &help(&["--help"], &[("LANG", "en_US.UTF-8")]),
        EN_HELP,
        ZH_HELP,
    );
}

#[test]
fn subcommand_help_follows_the_same_language() {
    let zh = help(&["demo", "--help"], &[]);
    for needle in [
        "用法：ecpa-doctor demo [OPTIONS] [SCENARIO]",
        "引數：",
        "選項：",
        "列出所有情境",
        "輸出報告，不開啟互動畫面",
        "顯示說明（-h 只看摘要）",
    ] {
        assert!(zh.contains(needle), "{needle:?}:\n{zh}");
    }
    let zh = help(&["help", "remote"], &[]);
    assert!(
        zh.contains("透過 SSH 在使用者的電腦上執行 ecpa-doctor")
            && zh.contains("預設：ecpa-doctor"),
        "{zh}"
    );
    assert!(!zh.contains("[default:"), "{zh}");
    let zh = help(&["check-installer", "-h"], &[]);
    assert!(
        zh.contains("用健保署公布的 MD5 核對下載的元件安裝檔")
            && zh.contains("顯示說明（--help 看完整說明）"),
        "{zh}"
    );
    let en = help(&["remote", "--lang", "en", "--help"], &[]);
    for needle in [
        "Usage: ecpa-doctor remote [OPTIONS] <DESTINATION>",
        "Arguments:",
        "Run ecpa-doctor on the user's machine over ssh",
        "[default: ecpa-doctor]",
        "Print help (see a summary with '-h')",
    ] {
        assert!(en.contains(needle), "{needle:?}:\n{en}");
    }
}

#[test]
fn bad_usage_exits_64() {
    let r = doctor(&["--frobnicate"], &[]);
    assert_eq!(r.code, 64, "{r:?}");
    let r = doctor(&["--format", "pdf"], &[]);
    assert_eq!(r.code, 64, "{r:?}");
    let r = doctor(&["--lang", "fr"], &[]);
    assert_eq!(r.code, 64, "{r:?}");
    assert!(
        r.stderr.contains("zh-TW") && r.stderr.contains("不支援「fr」"),
        "{r:?}"
    );
    let r = doctor(&["--lang", "fr"], &[("LANG", "en_US.UTF-8")]);
    assert_eq!(r.code, 64, "{r:?}");
    assert!(r.stderr.contains("`fr` is not a language"), "{r:?}");
    let r = doctor(&["demo", "--lang", "en", "--bogus"], &[]);
    assert_eq!(r.code, 64, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    let r = doctor(&["--report", "--check", "nope"], &[NO_PCSC]);
    assert_eq!(r.code, 64, "{r:?}");
    assert!(
        r.stderr.contains("card"),
        "names the checks that exist: {r:?}"
    );
}

#[test]
fn yaml_syntax_error_names_file_line_and_column() {
    let path = profile("syntax-error.yaml");
    let r = doctor(&["--report", "--profile", &path], &[]);
    assert_eq!(r.code, 78, "{r:?}");
    let re_prefix = format!("{path}:");
    let pos = r
        .stderr
        .split(&re_prefix)
        .nth(1)
        .unwrap_or_else(|| panic!("no file in {r:?}"));
    let mut parts = pos.split(':');
    let line: usize = parts
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no line in {r:?}"));
    let col: usize = parts
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no column in {r:?}"));
    assert!((7..=9).contains(&line) && col >= 1, "{r:?}");
    assert!(r.stdout.is_empty());
}

#[test]
fn unknown_kind_lists_the_kinds_that_exist() {
    let r = doctor(
        &["--report", "--profile", &profile("unknown-kind.yaml")],
        &[],
    );
    assert_eq!(r.code, 78, "{r:?}");
    for k in ["teleporter", "pcsc_service", "readers", "card", "host"] {
        assert!(r.stderr.contains(k), "{k} missing: {r:?}");
    }
    assert!(r.stderr.contains("unknown-kind.yaml:9:"), "{r:?}");
}

#[test]
fn needs_cycle_and_dangling_need_are_named() {
    let r = doctor(&["--list-checks", "--profile", &profile("cycle.yaml")], &[]);
    assert_eq!(r.code, 78, "{r:?}");
    assert!(r.stderr.contains("first → second → first"), "{r:?}");
    let r = doctor(
        &["--list-checks", "--profile", &profile("dangling.yaml")],
        &[],
    );
    assert_eq!(r.code, 78, "{r:?}");
    assert!(r.stderr.contains("`readers`"), "{r:?}");
}

#[test]
fn unknown_param_is_a_profile_error() {
    let r = doctor(
        &["--list-checks", "--profile", &profile("bad-param.yaml")],
        &[],
    );
    assert_eq!(r.code, 78, "{r:?}");
    assert!(r.stderr.contains("reader_contain"), "{r:?}");
}

#[test]
fn missing_profile_file_is_a_profile_error() {
    let r = doctor(&["--report", "--profile", "/nonexistent/p.yaml"], &[]);
    assert_eq!(r.code, 78, "{r:?}");
    assert!(r.stderr.contains("/nonexistent/p.yaml"), "{r:?}");
}

#[test]
fn list_checks_prints_the_profile_in_both_languages() {
    let r = doctor(&["--list-checks"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    for id in ["pcsc-service", "readers", "card", "健保卡"] {
        assert!(r.stdout.contains(id), "{id}: {r:?}");
    }
    let r = doctor(&["--list-checks", "--lang", "en"], &[]);
    assert!(
        r.stdout.contains("NHI card") && r.stdout.contains("needs"),
        "{r:?}"
    );
}

#[test]
fn json_format_prints_only_json_with_the_promised_fields() {
    let r = doctor(&["--format", "json", "--ticket", "HD-42"], &[NO_PCSC]);
    let v = r.json();
    for key in [
        "schema_version",
        "tool",
        "host",
        "started_at",
        "duration_ms",
        "root_cause",
        "checks",
        "verdict",
    ] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["ticket"], "HD-42");
    assert_eq!(v["tool"]["version"], env!("CARGO_PKG_VERSION"));
    let c = &v["checks"][1];
    for key in [
        "id",
        "status",
        "finding",
        "summary",
        "evidence",
        "duration_ms",
        "remedy",
    ] {
        assert!(c.get(key).is_some(), "check field {key} missing: {c}");
    }
    assert_eq!(c["remedy"]["id"], "pcsc.no_service");
    assert!(c["remedy"]["steps"].as_array().unwrap().len() >= 2);
}

#[test]
fn markdown_is_ready_for_a_ticket() {
    let r = doctor(
        &[
            "--report", "--format", "markdown", "--lang", "en", "--ticket", "HD-7",
        ],
        &[NO_PCSC],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.starts_with("## ecpa-doctor report"), "{r:?}");
    assert!(
        r.stdout
            .contains("### Root cause: Smart-card service (PC/SC)"),
        "{r:?}"
    );
    assert!(r.stdout.contains("| ↷ skipped |"), "{r:?}");
    assert!(r.stdout.contains("1. "), "numbered steps: {r:?}");
    assert!(r.stdout.contains("HD-7"));
}

#[test]
fn report_goes_to_a_file_and_unwritable_file_exits_74() {
    let dir = support::temp_dir("out");
    let out = dir.join("r.json");
    let r = doctor(
        &["--format", "json", "-o", out.to_str().unwrap()],
        &[NO_PCSC],
    );
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(v["root_cause"]["check"], "pcsc-service");
    let r = doctor(
        &["--format", "json", "-o", "/nonexistent/dir/r.json"],
        &[NO_PCSC],
    );
    assert_eq!(r.code, 74, "{r:?}");
}

#[test]
fn not_a_terminal_prints_the_text_report_and_says_so() {
    let note = "輸出不是終端機，改印文字報告。";
    let r = doctor(&[], &[NO_PCSC]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.contains("根本原因"), "{r:?}");
    assert!(r.stderr.contains(note), "{r:?}");
    // A report that was asked for is not announced: `-o FILE` with standard output on a
    // pipe, `--report`, `--format`.
    let dir = support::temp_dir("asked");
    let out = dir.join("r.txt");
    for args in [
        &["-o", out.to_str().unwrap()][..],
        &["--report"],
        &["--format", "text"],
    ] {
        let r = doctor(args, &[NO_PCSC]);
        assert_eq!(r.code, 1, "{args:?}: {r:?}");
        assert!(!r.stderr.contains(note), "{args:?}: {r:?}");
    }
}

#[test]
fn english_and_chinese_reports_agree_on_the_finding() {
    let zh = doctor(&["--format", "json"], &[NO_PCSC]).json();
    let en = doctor(&["--format", "json"], &[NO_PCSC, ("LANG", "en_US.UTF-8")]).json();
    assert_eq!(zh["lang"], "zh-TW");
    assert_eq!(en["lang"], "en");
    assert_eq!(zh["root_cause"]["finding"], en["root_cause"]["finding"]);
    assert_ne!(zh["root_cause"]["summary"], en["root_cause"]["summary"]);
}
