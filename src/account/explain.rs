//! `ecpa-doctor explain`: a message the user saw → finding → remedy. It runs the same
//! engine on a one-check profile, so its output is the same report model as any run.

use std::fmt::Write;

use crate::engine::Profile;
use std::time::Duration;

use crate::account::known;
use crate::i18n::{L10n, Lang, ui};

pub const CHECK_ID: &str = "message";

pub fn profile_for(text: &str) -> Profile {
    let mut params = serde_yaml::Mapping::new();
    params.insert("text".into(), text.into());
    let title = L10n {
        zh_tw: "使用者看到的訊息".into(),
        en: "Message the user saw".into(),
    };
    let mut p = Profile::single(
        "explain",
        title,
        CHECK_ID,
        &crate::probes::message::KIND,
        serde_yaml::Value::Mapping(params),
        Duration::from_secs(1),
    )
    .expect("the message kind takes a text parameter");
    p.title = L10n {
        zh_tw: "訊息解讀".into(),
        en: "Message explained".into(),
    };
    p
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
        let codes = if m.codes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", m.codes.join(", "))
        };
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
        for t in [
            "",
            "a: b",
            "\"quoted\" 'single' # not a comment",
            "line\nbreak",
            "{[}]",
            "- list",
        ] {
            let p = profile_for(t);
            assert_eq!(p.checks.len(), 1, "{t}");
        }
    }
}
