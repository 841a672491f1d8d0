//! Markdown: ready to paste into a ticket (GitHub/GitLab/Redmine-style renderers).

use std::fmt::Write;

use super::{also_worth_a_look, glyph};
use crate::i18n::ui;
use crate::report::model::{RemedyReport, Report, labelled_evidence};

pub fn render(r: &Report) -> String {
    let l = r.lang;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## {} — {}\n",
        ui("report.title", l),
        esc(&r.profile.title)
    );
    if r.demo {
        let _ = writeln!(s, "> **{}**\n", ui("report.demo_banner", l));
    }
    if let Some(h) = &r.remote_host {
        let _ = writeln!(s, "- **{}**: {}", ui("report.remote_host", l), esc(h));
    }
    if let Some(t) = &r.ticket {
        let _ = writeln!(s, "- **{}**: {}", ui("report.ticket", l), esc(t));
    }
    let host = format!("{} {} ({})", r.host.os, r.host.os_version, r.host.arch);
    let _ = writeln!(s, "- **{}**: {}", ui("report.host", l), esc(host.trim()));
    let _ = writeln!(
        s,
        "- **{}**: {} · **{}**: {:.1} s",
        ui("report.started", l),
        r.started_at,
        ui("report.duration", l),
        r.duration_ms as f64 / 1000.0
    );
    let _ = writeln!(
        s,
        "- {} · ecpa-doctor {}",
        ui(
            if r.pii_revealed {
                "report.pii_revealed"
            } else {
                "report.pii_masked"
            },
            l
        ),
        r.tool.version
    );

    match &r.root_cause {
        Some(rc) => {
            let _ = writeln!(
                s,
                "\n### {}: {} — {}\n",
                ui("report.root_cause", l),
                esc(&rc.title),
                esc(&rc.summary)
            );
            if let Some(rem) = r
                .checks
                .iter()
                .find(|c| c.id == rc.check)
                .and_then(|c| c.remedy.as_ref())
            {
                remedy(&mut s, r, rem);
            }
        }
        None => {
            let _ = writeln!(s, "\n### {}\n", ui("report.no_root_cause", l));
        }
    }

    let _ = writeln!(s, "\n### {}\n", ui("report.checks", l));
    let _ = writeln!(
        s,
        "| | {} | {} | ms |",
        ui("report.checks", l),
        ui("report.evidence", l)
    );
    let _ = writeln!(s, "|---|---|---|---:|");
    for c in &r.checks {
        let word = ui(&format!("status.{}", c.status.key()), l);
        let ev: Vec<String> = labelled_evidence(c, l)
            .map(|(k, v)| format!("{}: {}", esc(&k), esc(v)))
            .collect();
        let _ = writeln!(
            s,
            "| {} {} | **{}** — {} | {} | {} |",
            glyph(c.status),
            word,
            esc(&c.title),
            esc(&c.summary),
            ev.join("<br>"),
            c.duration_ms
        );
    }

    let others: Vec<_> = also_worth_a_look(r).collect();
    if !others.is_empty() {
        let _ = writeln!(s, "\n### {}", ui("report.also", l));
        for c in others {
            let _ = writeln!(
                s,
                "\n#### {} {} — {}\n",
                glyph(c.status),
                esc(&c.title),
                esc(&c.summary)
            );
            if let Some(rem) = &c.remedy {
                remedy(&mut s, r, rem);
            }
        }
    }
    s
}

fn remedy(s: &mut String, r: &Report, rem: &RemedyReport) {
    let l = r.lang;
    let _ = writeln!(s, "**{}: {}**\n", ui("report.remedy", l), esc(&rem.title));
    if !rem.why.is_empty() {
        let _ = writeln!(s, "{}: {}\n", ui("report.why", l), esc(rem.why.trim()));
    }
    for (i, step) in rem.steps.iter().enumerate() {
        let _ = writeln!(s, "{}. {}", i + 1, step);
    }
    if !rem.links.is_empty() || !rem.contact.is_empty() {
        s.push('\n');
    }
    for link in &rem.links {
        let _ = writeln!(
            s,
            "- {}: [{}]({})",
            ui("report.links", l),
            esc(&link.label),
            link.url
        );
    }
    if !rem.contact.is_empty() {
        let _ = writeln!(
            s,
            "- {}: {}",
            ui("report.contact", l),
            esc(&rem.contact.join("；"))
        );
    }
}

/// Table cells and headings must not break on text from cards or the system.
fn esc(t: &str) -> String {
    t.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
