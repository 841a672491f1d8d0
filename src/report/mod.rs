//! The one report model (`model`: what a run found, ready for any output) and its
//! output formats. Each format only prints; none decides anything.
//!
//! Must not import: the kinds, the system layer, the simulations or the console.

pub mod csv;
pub mod json;
pub mod markdown;
pub mod model;
pub mod text;

use crate::engine::Status;
use model::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Markdown,
    Json,
    // A spreadsheet: one row per check (per PC in `fleet summarize`).
    Csv,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Text => text::render(report),
        Format::Markdown => markdown::render(report),
        Format::Json => json::render(report),
        Format::Csv => csv::render(report),
    }
}

/// A glyph beside every status word, so colour is never the only signal.
pub fn glyph(status: Status) -> &'static str {
    match status {
        Status::Pass => "✔",
        Status::Warn => "!",
        Status::Fail => "✘",
        Status::Skipped => "↷",
        Status::TimedOut => "⏱",
        Status::Crashed => "✘",
    }
}

/// Checks other than the root cause that still need the operator's attention.
pub fn also_worth_a_look(
    report: &Report,
) -> impl Iterator<Item = &crate::report::model::CheckReport> {
    let root = report.root_cause.as_ref().map(|r| r.check.as_str());
    report
        .checks
        .iter()
        .filter(move |c| Some(c.id.as_str()) != root && c.remedy.is_some())
}
