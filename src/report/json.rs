//! JSON: the machine-readable report (`schema_version` says what shape it has).

use crate::report::model::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("the report model always serialises");
    s.push('\n');
    s
}
