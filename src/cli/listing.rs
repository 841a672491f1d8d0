//! `--list-checks`: the profile as a readable list.

use std::fmt::Write;

use crate::engine::Profile;
use crate::i18n::{Lang, ui};
use crate::probes;

pub fn render(p: &Profile, lang: Lang) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{} ({}) — {}", p.title.get(lang), p.name, p.source);
    let width = p
        .checks
        .iter()
        .map(|c| c.id.chars().count())
        .max()
        .unwrap_or(0);
    for (i, c) in p.checks.iter().enumerate() {
        let _ = writeln!(s, "{:>2}. {:<width$}  {}", i + 1, c.id, c.title.get(lang));
        let mut needs = if c.needs.is_empty() {
            "-".to_string()
        } else {
            c.needs.join(", ")
        };
        if !c.after.is_empty() {
            needs = format!(
                "{needs} · {}: {}",
                ui("list.after", lang),
                c.after.join(", ")
            );
        }
        let _ = writeln!(
            s,
            "    {}: {} · {}: {} · {}: {:.1} s · {}",
            ui("list.kind", lang),
            c.kind,
            ui("list.needs", lang),
            needs,
            ui("list.timeout", lang),
            c.timeout.as_secs_f64(),
            ui(
                &format!(
                    "severity.{}",
                    match c.severity {
                        crate::engine::Severity::Blocking => "blocking",
                        crate::engine::Severity::Advisory => "advisory",
                    }
                ),
                lang
            )
        );
    }
    let kinds: Vec<&str> = probes::kinds().iter().map(|k| k.name).collect();
    let _ = writeln!(s, "\nkinds: {}", kinds.join(", "));
    s
}
