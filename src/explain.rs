//! `ecpa-doctor explain`: a message the user saw → finding → remedy. It runs the same
//! engine on a one-check profile, so its output is the same report model as any run.

use std::fmt::Write;

use crate::engine::Profile;
use crate::i18n::{Lang, ui};
use crate::known;

pub const CHECK_ID: &str = "message";

/// The `message` check as YAML, appended to a profile or used alone.
fn check_yaml(text: &str) -> String {
    // A JSON string is a valid YAML scalar: safe for any pasted text.
    let quoted = serde_json::to_string(text).expect("a string serialises");
    format!(
        "  - id: {CHECK_ID}\n    kind: message\n    title: {{ zh-TW: 使用者看到的訊息, en: Message the user saw }}\n    timeout: 1s\n    params:\n      text: {quoted}\n"
    )
}

pub fn profile_for(text: &str) -> Profile {
    let yaml = format!(
        "schema: 1\nname: explain\ntitle: {{ zh-TW: 訊息解讀, en: Message explained }}\nchecks:\n{}",
        check_yaml(text)
    );
    Profile::parse(&yaml, "explain").expect("the explain profile is built from a fixed template")
}

/// Adds the message check at the end of a profile: it is the last link of the chain, so
/// a broken reader or component still comes first as the root cause.
pub fn with_message(profile: &Profile, text: &str) -> Profile {
    let mut out = profile.clone();
    if out.check(CHECK_ID).is_none() {
        out.checks.extend(profile_for(text).checks);
    }
    out
}

pub fn list(lang: Lang) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", ui("explain.list_title", lang));
    for m in known::builtin() {
        let codes = if m.codes.is_empty() { String::new() } else { format!(" [{}]", m.codes.join(", ")) };
        let _ = writeln!(s, "\n• {} — {}{}", m.source, m.finding, codes);
        for t in &m.texts {
            let _ = writeln!(s, "    {t}");
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_pasted_text_makes_a_valid_profile() {
        for t in ["", "a: b", "\"quoted\" 'single' # not a comment", "line\nbreak", "{[}]", "- list"] {
            let p = profile_for(t);
            assert_eq!(p.checks.len(), 1, "{t}");
        }
    }
}
