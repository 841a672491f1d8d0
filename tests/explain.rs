//! `ecpa-doctor explain` and `--message`: the messages users actually see (the seed's
//! FAQ), pasted the way people paste them, give the documented finding and remedy.

use crate::support;

use support::{check, doctor};

const NO_PCSC: (&str, &str) = ("PCSCLITE_CSOCK_NAME", "/nonexistent/pcscd.comm");

/// The four FAQ messages, the finding each must give, and a phrase of the seed's remedy.
const FAQ: &[(&str, &str, &str)] = &[
    (
        "您尚未註冊健保卡網路服務",
        "account.not_registered",
        "cloudicweb.nhi.gov.tw",
    ),
    ("註冊密碼輸入錯誤", "account.wrong_password", "忘記註冊密碼"),
    (
        "驗證失敗 查無您的帳號 基於安全考量，請洽本總處 客服信箱：pemis@dgpa.gov.tw。",
        "account.no_ecpa_account",
        "pemis@dgpa.gov.tw",
    ),
    (
        "很抱歉，該帳號已停用，可能是此帳號之人事資料為卸職狀態，若有問題請先洽機關所屬人事部門洽詢。",
        "account.departed",
        "人事單位",
    ),
];

fn explain(text: &str) -> (support::Run, serde_json::Value) {
    let r = doctor(&["explain", "--format", "json", text], &[]);
    let v = r.json();
    (r, v)
}

fn remedy_text(v: &serde_json::Value) -> String {
    let rem = &check(v, "message")["remedy"];
    format!(
        "{} {} {} {}",
        rem["title"], rem["why"], rem["steps"], rem["links"]
    )
}

/// Extra spaces, full-width punctuation, and a truncated paste of each message.
fn variants(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let spaced: String = chars.iter().map(|c| format!("{c} ")).collect();
    let fullwidth: String = text
        .replace(',', "，")
        .replace(':', "：")
        .replace('。', "．")
        .replace(' ', "\u{3000}");
    let halfwidth: String = text
        .replace('，', ",")
        .replace('：', ":")
        .replace('。', ".");
    let truncated: String = chars[..chars.len().max(8) * 2 / 3].iter().collect();
    vec![
        text.to_string(),
        format!("  {spaced}\n"),
        fullwidth,
        halfwidth,
        truncated,
    ]
}

#[test]
fn each_faq_message_gives_its_finding_and_the_seed_remedy_in_chinese() {
    for (text, finding, phrase) in FAQ {
        for pasted in variants(text) {
            let (r, v) = explain(&pasted);
            assert_eq!(r.code, 1, "{pasted:?}: {r:?}");
            assert_eq!(v["root_cause"]["finding"], *finding, "{pasted:?}: {r:?}");
            assert_eq!(v["lang"], "zh-TW");
            let rem = remedy_text(&v);
            assert!(
                rem.contains(phrase),
                "{finding}: remedy lacks {phrase}: {rem}"
            );
        }
    }
}

#[test]
fn text_output_shows_the_remedy_steps() {
    let r = doctor(&["explain", "註冊密碼", "輸入錯誤"], &[]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stdout.contains("註冊密碼輸入錯誤")
            && r.stdout.contains("1. ")
            && r.stdout.contains("忘記註冊密碼"),
        "{r:?}"
    );
}

#[test]
fn codes_are_recognised() {
    let (r, v) = explain("錯誤代碼：Ａ８００２");
    assert_eq!(
        v["root_cause"]["finding"], "account.wrong_password",
        "{r:?}"
    );
    let (r, v) = explain("A0000:檢核正確");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(check(&v, "message")["status"], "pass");
}

#[test]
fn unknown_text_says_so_and_lists_the_closest() {
    let (r, v) = explain("系統忙碌中請稍後再試");
    assert_eq!(r.code, 2, "{r:?}");
    let c = check(&v, "message");
    assert_eq!(c["finding"], "message.unknown");
    assert!(
        c["evidence"]["closest_1"]
            .as_str()
            .is_some_and(|s| !s.is_empty()),
        "{r:?}"
    );
    assert!(c["evidence"]["closest_3"].is_string());
}

#[test]
fn message_can_come_from_standard_input() {
    use std::io::Write;
    let mut child = support::command(&["explain", "--format", "json"], &[])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("該帳號已停用\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["root_cause"]["finding"], "account.departed");
}

#[test]
fn list_shows_every_known_message() {
    let r = doctor(&["explain", "--list"], &[]);
    assert_eq!(r.code, 0, "{r:?}");
    for (text, _, _) in FAQ {
        assert!(r.stdout.contains(text), "{text} missing: {r:?}");
    }
}

#[test]
fn message_joins_a_full_run_after_the_chain() {
    let r = doctor(
        &["--format", "json", "--message", "查無您的帳號"],
        &[NO_PCSC],
    );
    let v = r.json();
    // The broken PC/SC service is still the root cause; the message is reported too.
    assert_eq!(v["root_cause"]["check"], "pcsc-service", "{r:?}");
    assert_eq!(check(&v, "message")["finding"], "account.no_ecpa_account");
    let last = v["checks"].as_array().unwrap().last().unwrap();
    assert_eq!(last["id"], "message");
}

#[test]
fn english_on_request() {
    let r = doctor(
        &[
            "explain",
            "--lang",
            "en",
            "--format",
            "json",
            "您尚未註冊健保卡網路服務",
        ],
        &[],
    );
    let v = r.json();
    assert_eq!(v["lang"], "en");
    assert!(
        check(&v, "message")["remedy"]["title"]
            .as_str()
            .unwrap()
            .contains("not registered"),
        "{r:?}"
    );
}
