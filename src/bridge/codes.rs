//! The known-messages catalogue of the bridge's bare 4-digit error codes
//! (`assets/bridge-codes.yaml`): code → finding, plus NHI's official wording.

use std::sync::OnceLock;

use serde::Deserialize;

pub const CODES_YAML: &str = include_str!("../../assets/bridge-codes.yaml");

/// The finding for a code the catalogue does not know.
pub const UNKNOWN_FINDING: &str = "ws.component_error";

/// Every finding a bare code can map to: the catalogue's, plus [`UNKNOWN_FINDING`]
/// (a unit test keeps this in step with the YAML). Every kind that talks to the
/// component lists them.
pub const CODE_FINDINGS: &[&str] = &[
    "ws.origin_list_unreachable",
    "ws.origin_refused",
    "ws.cloud_unreachable",
    "ws.cloud_auth_failed",
    "ws.signature_failed",
    "ws.pcsc_error",
    "ws.reader_unavailable",
    "ws.no_card",
    "ws.card_unreachable",
    "ws.card_read_failed",
    "ws.component_error",
    "ws.command_unknown",
];

/// How a TLS connection to the bridge can fail before anything is said.
pub const CONNECTION_FINDINGS: &[&str] = &[
    "bridge.refused",
    "bridge.no_answer",
    "bridge.connect_failed",
    "bridge.not_tls",
    "bridge.tls_failed",
];

/// How the WebSocket conversation itself can fail, whatever was asked.
pub const CONVERSATION_FINDINGS: &[&str] = &["ws.refused", "ws.garbled", "ws.closed"];

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub codes: Vec<String>,
    pub finding: String,
    #[serde(default)]
    pub official: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

pub fn catalogue() -> &'static [Entry] {
    static CELL: OnceLock<Vec<Entry>> = OnceLock::new();
    CELL.get_or_init(|| {
        serde_yaml::from_str(CODES_YAML)
            .unwrap_or_else(|e| panic!("built-in assets/bridge-codes.yaml is broken: {e}"))
    })
}

pub fn lookup(code: &str) -> Option<&'static Entry> {
    catalogue()
        .iter()
        .find(|e| e.codes.iter().any(|c| c == code))
}

/// A bare reply of exactly four ASCII digits: how the component reports every failure.
pub fn is_code(reply: &str) -> bool {
    reply.len() == 4 && reply.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_parses_and_codes_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for e in catalogue() {
            assert!(!e.codes.is_empty());
            for c in &e.codes {
                assert!(is_code(c), "`{c}` is not four digits");
                assert!(seen.insert(c.clone()), "code {c} listed twice");
            }
        }
        assert_eq!(lookup("8013").unwrap().finding, "ws.card_unreachable");
        assert_eq!(
            lookup("4021").unwrap().finding,
            "ws.origin_list_unreachable"
        );
        assert!(lookup("1234").is_none());
    }

    #[test]
    fn code_findings_are_exactly_the_catalogue_s() {
        let mut from_yaml: Vec<&str> = catalogue()
            .iter()
            .map(|e| e.finding.as_str())
            .chain([UNKNOWN_FINDING])
            .collect();
        from_yaml.sort();
        from_yaml.dedup();
        let mut listed = CODE_FINDINGS.to_vec();
        listed.sort();
        assert_eq!(listed, from_yaml);
    }

    #[test]
    fn every_catalogue_finding_is_a_finding_of_the_protocol_kind() {
        let kind = crate::probes::bridge_protocol::KIND;
        for e in catalogue()
            .iter()
            .map(|e| e.finding.as_str())
            .chain([UNKNOWN_FINDING])
        {
            assert!(
                kind.findings.contains(&e),
                "{e} is not listed in bridge_protocol's findings"
            );
        }
    }

    #[test]
    fn codes_are_recognised() {
        assert!(is_code("4021"));
        assert!(!is_code("GetVersion:0011"));
        assert!(!is_code("402"));
        assert!(!is_code("４０２１"));
    }
}
