//! The fleet summary as text (a terminal), Markdown (a ticket), JSON and CSV (a
//! spreadsheet). Each only prints the model.

use super::summary::{Cause, FleetSummary, PcState};
use crate::i18n::{self, Lang};

fn ui(key: &str, lang: Lang, args: &[(&str, String)]) -> String {
    let args: Vec<(String, String)> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    i18n::fill(&i18n::ui(key, lang), &args)
}

/// The cause sections both text formats print, in order: heading, causes, whether each
/// shows its remedy (warnings only name theirs).
fn cause_sections(s: &FleetSummary) -> [(&'static str, &[Cause], bool); 2] {
    [
        ("fleet.root_causes", &s.root_causes, true),
        ("fleet.warnings", &s.warnings, false),
    ]
}

/// The PCs without a report, each state under its heading.
const PC_SECTIONS: [(PcState, &str); 2] = [
    (PcState::Unreachable, "fleet.unreachable"),
    (PcState::Unreadable, "fleet.unreadable"),
];

pub fn state_word(state: PcState, lang: Lang) -> String {
    i18n::ui(&format!("fleet.state.{}", state.key()), lang)
}

/// "ecpa-doctor fleet sweep — N PCs", in the summary's language.
pub fn title_line(s: &FleetSummary) -> String {
    ui(
        "fleet.title",
        s.lang,
        &[("total", s.counts.total.to_string())],
    )
}

/// How many PCs are in each state, in the summary's language.
pub fn counts_line(s: &FleetSummary) -> String {
    let c = &s.counts;
    ui(
        "fleet.counts",
        s.lang,
        &[
            ("healthy", c.healthy.to_string()),
            ("warnings", c.warnings.to_string()),
            ("blocked", c.blocked.to_string()),
            ("unreachable", c.unreachable.to_string()),
            ("unreadable", c.unreadable.to_string()),
        ],
    )
}

pub fn cause_line(c: &Cause, lang: Lang) -> String {
    ui(
        if c.count == 1 {
            "fleet.cause.one"
        } else {
            "fleet.cause"
        },
        lang,
        &[
            ("count", c.count.to_string()),
            ("title", c.title.clone()),
            ("finding", c.finding.clone().unwrap_or_else(|| "-".into())),
        ],
    )
}

pub fn text(s: &FleetSummary) -> String {
    let lang = s.lang;
    let mut out = String::new();
    out.push_str(&title_line(s));
    out.push('\n');
    out.push_str(&counts_line(s));
    out.push('\n');
    if s.demo_reports > 0 {
        out.push_str(&ui(
            "fleet.demo_reports",
            lang,
            &[("count", s.demo_reports.to_string())],
        ));
        out.push('\n');
    }
    for (heading, causes, with_remedy) in cause_sections(s) {
        out.push('\n');
        out.push_str(&i18n::ui(heading, lang));
        out.push('\n');
        if causes.is_empty() {
            out.push_str(&format!("  {}\n", i18n::ui("fleet.none", lang)));
        }
        for (n, c) in causes.iter().enumerate() {
            out.push_str(&format!("{}. {}\n", n + 1, cause_line(c, lang)));
            if let Some(fix) = &c.fleet_fix {
                out.push_str(&format!(
                    "   {}{}{fix}\n",
                    i18n::ui("fleet.fleet_fix", lang),
                    colon(lang)
                ));
            }
            if let Some(r) = c.remedy.as_ref().filter(|_| with_remedy) {
                out.push_str(&format!(
                    "   {}{}{}\n",
                    remedy_label(c, lang),
                    colon(lang),
                    r.title
                ));
                for (i, step) in r.steps.iter().enumerate() {
                    out.push_str(&format!("     {}. {step}\n", i + 1));
                }
            }
            out.push_str(&format!(
                "   {}{}{}\n",
                i18n::ui("fleet.pcs", lang),
                colon(lang),
                c.pcs.join(", ")
            ));
        }
    }
    for (state, heading) in PC_SECTIONS {
        let pcs: Vec<_> = s.in_state(state).collect();
        if pcs.is_empty() {
            continue;
        }
        out.push('\n');
        out.push_str(&i18n::ui(heading, lang));
        out.push('\n');
        for p in pcs {
            out.push_str(&format!("  {}{}{}\n", p.pc, colon(lang), p.detail));
        }
    }
    out
}

/// "What to do", or, for a remedy one PC's report carried, whose it is.
fn remedy_label(c: &Cause, lang: Lang) -> String {
    match &c.remedy_from {
        Some(pc) => ui("fleet.remedy_from", lang, &[("pc", pc.clone())]),
        None => i18n::ui("fleet.remedy", lang),
    }
}

fn colon(lang: Lang) -> &'static str {
    match lang {
        Lang::ZhTw => "：",
        Lang::En => ": ",
    }
}

/// A Markdown table cell: pipes and line breaks would break the table.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

pub fn markdown(s: &FleetSummary) -> String {
    let lang = s.lang;
    let mut out = format!("# {}\n\n{}\n", title_line(s), counts_line(s));
    if s.demo_reports > 0 {
        out.push_str(&format!(
            "\n> {}\n",
            ui(
                "fleet.demo_reports",
                lang,
                &[("count", s.demo_reports.to_string())]
            )
        ));
    }
    for (heading, causes, with_remedy) in cause_sections(s) {
        out.push_str(&format!("\n## {}\n\n", i18n::ui(heading, lang)));
        if causes.is_empty() {
            out.push_str(&format!("{}\n", i18n::ui("fleet.none", lang)));
        }
        for (n, c) in causes.iter().enumerate() {
            out.push_str(&format!("### {}. {}\n\n", n + 1, cause_line(c, lang)));
            if let Some(fix) = &c.fleet_fix {
                out.push_str(&format!(
                    "**{}**{}{fix}\n\n",
                    i18n::ui("fleet.fleet_fix", lang),
                    colon(lang)
                ));
            }
            if let Some(r) = c.remedy.as_ref().filter(|_| with_remedy) {
                out.push_str(&format!(
                    "**{}**{}{}\n\n",
                    remedy_label(c, lang),
                    colon(lang),
                    r.title
                ));
                for (i, step) in r.steps.iter().enumerate() {
                    out.push_str(&format!("{}. {step}\n", i + 1));
                }
                out.push('\n');
            }
            out.push_str(&format!(
                "{}{}{}\n\n",
                i18n::ui("fleet.pcs", lang),
                colon(lang),
                c.pcs
                    .iter()
                    .map(|p| format!("`{}`", p.replace('`', "'")))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for (state, heading) in PC_SECTIONS {
        let pcs: Vec<_> = s.in_state(state).collect();
        if pcs.is_empty() {
            continue;
        }
        out.push_str(&format!(
            "\n## {}\n\n| {} | {} |\n|---|---|\n",
            i18n::ui(heading, lang),
            i18n::ui("fleet.col.pc", lang),
            i18n::ui("fleet.col.detail", lang)
        ));
        for p in pcs {
            out.push_str(&format!("| {} | {} |\n", cell(&p.pc), cell(&p.detail)));
        }
    }
    out
}

pub fn json(s: &FleetSummary) -> String {
    let mut t =
        serde_json::to_string_pretty(s).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    t.push('\n');
    t
}

/// One row per PC: name, state, root cause, warnings, detail.
pub fn csv(s: &FleetSummary) -> String {
    use crate::report::csv::row;
    let mut out = row(&[
        "pc",
        "state",
        "root_check",
        "root_finding",
        "warnings",
        "detail",
    ]);
    for p in &s.pcs {
        out.push_str(&row(&[
            &p.pc,
            p.state.key(),
            p.root_check.as_deref().unwrap_or(""),
            p.root_finding.as_deref().unwrap_or(""),
            &p.warnings.join(" "),
            &p.detail,
        ]));
    }
    out
}
