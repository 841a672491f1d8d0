//! CSV: one row per check, for a spreadsheet; cells that a spreadsheet would run as a
//! formula are made inert (`fleet::render::csv_cell`).

use crate::fleet::render::csv_cell;
use crate::report::model::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::from("check,title,status,finding,summary,remedy\r\n");
    for c in &report.checks {
        let status = serde_json::to_value(c.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let remedy = c.remedy.as_ref().map(|r| r.title.as_str()).unwrap_or("");
        let row = [
            c.id.as_str(),
            c.title.as_str(),
            status.as_str(),
            c.finding.as_deref().unwrap_or(""),
            c.summary.as_str(),
            remedy,
        ]
        .iter()
        .map(|v| csv_cell(v))
        .collect::<Vec<_>>()
        .join(",");
        out.push_str(&row);
        out.push_str("\r\n");
    }
    out
}
