//! Plain text: what `--report` prints by default, readable in a terminal and a ticket.

use std::fmt::Write;

use super::{also_worth_a_look, glyph};
use crate::i18n::{Lang, ui};
use crate::report::model::{CheckReport, RemedyReport, Report, labelled_evidence};

/// "根本原因：" in Chinese (full-width colon, no space), "Root cause: " in English.
fn lbl(key: &str, l: Lang) -> String {
    with_colon(&ui(key, l), l)
}

fn with_colon(label: &str, l: Lang) -> String {
    match l {
        Lang::ZhTw => format!("{label}："),
        Lang::En => format!("{label}: "),
    }
}

pub fn render(r: &Report) -> String {
    let l = r.lang;
    let mut s = String::new();
    if r.demo {
        let _ = writeln!(s, "{}", ui("report.demo_banner", l));
    }
    let _ = writeln!(s, "{} — {}", ui("report.title", l), r.profile.title);
    let _ = writeln!(
        s,
        "{}{}",
        lbl(&format!("verdict.{}", verdict_key(r)), l),
        root_line(r)
    );
    let host = format!("{} {} ({})", r.host.os, r.host.os_version, r.host.arch);
    let _ = writeln!(
        s,
        "{}{}  ·  {}{}  ·  {}{:.1} s",
        lbl("report.host", l),
        host.trim(),
        lbl("report.started", l),
        r.started_at,
        lbl("report.duration", l),
        r.duration_ms as f64 / 1000.0
    );
    if let Some(h) = &r.remote_host {
        let _ = writeln!(s, "{}{h}", lbl("report.remote_host", l));
    }
    if let Some(t) = &r.ticket {
        let _ = writeln!(s, "{}{t}", lbl("report.ticket", l));
    }
    let _ = writeln!(
        s,
        "{}",
        ui(
            if r.pii_revealed {
                "report.pii_revealed"
            } else {
                "report.pii_masked"
            },
            l
        )
    );

    if let Some(rc) = &r.root_cause
        && let Some(c) = r.checks.iter().find(|c| c.id == rc.check)
        && let Some(rem) = &c.remedy
    {
        let _ = writeln!(
            s,
            "\n{}{} — {}",
            lbl("report.root_cause", l),
            rc.title,
            rc.summary
        );
        remedy(&mut s, r, rem);
    }

    let _ = writeln!(s, "\n{}", ui("report.checks", l));
    for c in &r.checks {
        check_line(&mut s, r, c);
    }

    let others: Vec<&CheckReport> = also_worth_a_look(r).collect();
    if !others.is_empty() {
        let _ = writeln!(s, "\n{}", ui("report.also", l));
        for c in others {
            let _ = writeln!(s, "\n{} {} — {}", glyph(c.status), c.title, c.summary);
            if let Some(rem) = &c.remedy {
                remedy(&mut s, r, rem);
            }
        }
    }
    s
}

fn verdict_key(r: &Report) -> &'static str {
    match r.verdict {
        crate::engine::run::Verdict::Healthy => "healthy",
        crate::engine::run::Verdict::BlockingFailure => "blocking_failure",
        crate::engine::run::Verdict::Warnings => "warnings",
    }
}

fn root_line(r: &Report) -> String {
    match &r.root_cause {
        Some(rc) => format!("{} — {}", rc.title, rc.summary),
        None => ui("report.no_root_cause", r.lang),
    }
}

fn check_line(s: &mut String, r: &Report, c: &CheckReport) {
    let word = ui(&format!("status.{}", c.status.key()), r.lang);
    let _ = writeln!(
        s,
        "  {} {} {} — {}  ({} ms)",
        glyph(c.status),
        pad(&word, 8),
        c.title,
        c.summary,
        c.duration_ms
    );
    for (label, value) in labelled_evidence(c, r.lang) {
        let _ = writeln!(s, "        {}{value}", with_colon(&label, r.lang));
    }
}

fn remedy(s: &mut String, r: &Report, rem: &RemedyReport) {
    let l = r.lang;
    let _ = writeln!(s, "  {}{}", lbl("report.remedy", l), rem.title);
    if !rem.why.is_empty() {
        let _ = writeln!(s, "  {}{}", lbl("report.why", l), rem.why.trim());
    }
    for (i, step) in rem.steps.iter().enumerate() {
        let _ = writeln!(s, "    {}. {}", i + 1, step);
    }
    for link in &rem.links {
        let _ = writeln!(
            s,
            "    {}{} <{}>",
            lbl("report.links", l),
            link.label,
            link.url
        );
    }
    if !rem.contact.is_empty() {
        let _ = writeln!(
            s,
            "    {}{}",
            lbl("report.contact", l),
            rem.contact.join(if l == Lang::ZhTw { "；" } else { "; " })
        );
    }
}

/// Pads to a display width: CJK characters take two columns, so `{:<8}` misaligns them.
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pad_counts_cjk_as_two_columns() {
        assert_eq!(super::pad("通過", 8), "通過    ");
        assert_eq!(super::pad("pass", 8), "pass    ");
    }
}
