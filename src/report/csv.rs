//! CSV for a spreadsheet: one row per check here, one row per PC in the fleet summary
//! (`fleet::render::csv`), both through [`row`]; a cell a spreadsheet would run as a
//! formula is made inert.

use crate::report::model::Report;

pub fn render(report: &Report) -> String {
    let mut out = row(&["check", "title", "status", "finding", "summary", "remedy"]);
    for c in &report.checks {
        out.push_str(&row(&[
            &c.id,
            &c.title,
            c.status.key(),
            c.finding.as_deref().unwrap_or(""),
            &c.summary,
            c.remedy.as_ref().map_or("", |r| r.title.as_str()),
        ]));
    }
    out
}

/// One line of cells, quoted and ended with CRLF as spreadsheets expect.
pub fn row(cells: &[&str]) -> String {
    let mut line = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A CSV cell, quoted, with a leading `=`, `+`, `-`, `@` (or tab, carriage return) made
/// inert so a spreadsheet does not run it as a formula.
pub fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_made_inert_and_quotes_doubled() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for lead in ["+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(cell(lead).starts_with("\"'"), "{lead}");
        }
        assert_eq!(cell("pc-01"), "\"pc-01\"");
    }
}
