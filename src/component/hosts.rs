//! Hosts-file lines that name a host, and where an address leads: this computer's
//! 127.0.0.1 (where the component listens), another loopback address, IPv6 loopback only,
//! or another machine.

use std::net::IpAddr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostsLine {
    pub number: usize,
    /// The line as written, trimmed.
    pub text: String,
    /// `None` when the first field is not an address: the resolver ignores such a line.
    pub addr: Option<IpAddr>,
}

/// Every line that lists `host` (case-insensitive; a trailing dot is the same name).
pub fn lines_for(text: &str, host: &str) -> Vec<HostsLine> {
    let want = host.trim_end_matches('.');
    text.lines()
        .enumerate()
        .filter_map(|(i, raw)| {
            let content = raw.split('#').next().unwrap_or("");
            let mut fields = content.split_whitespace();
            let first = fields.next()?;
            fields
                .any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(want))
                .then(|| HostsLine {
                    number: i + 1,
                    text: raw.trim().to_string(),
                    addr: parse_addr(first),
                })
        })
        .collect()
}

/// Also takes `fe80::1%eth0` (a zone after `%`).
fn parse_addr(s: &str) -> Option<IpAddr> {
    s.split('%').next().and_then(|a| a.parse().ok())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    /// 127.0.0.1 (also as ::ffff:127.0.0.1): the component's own address.
    Component,
    /// 127.x.y.z other than .1, or 0.0.0.0: this computer, but the 2024 component
    /// listens on 127.0.0.1 only.
    OtherLocal,
    Ipv6Loopback,
    /// Card data and the password would leave the machine.
    OffMachine,
}

pub fn place(addr: IpAddr) -> Place {
    let v4 = match addr {
        IpAddr::V4(a) => Some(a),
        IpAddr::V6(a) => a.to_ipv4_mapped(),
    };
    match (v4, addr) {
        (Some(a), _) if a.octets() == [127, 0, 0, 1] => Place::Component,
        (Some(a), _) if a.is_loopback() || a.is_unspecified() => Place::OtherLocal,
        (None, IpAddr::V6(a)) if a.is_loopback() => Place::Ipv6Loopback,
        (None, IpAddr::V6(a)) if a.is_unspecified() => Place::OtherLocal,
        _ => Place::OffMachine,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_host_among_aliases_and_skips_comments() {
        let text = "127.0.0.1 localhost\n# 203.0.113.7 iccert.nhi.gov.tw\n\n127.0.0.1    ICCERT.nhi.gov.tw. # added by NHI\nbogus iccert.nhi.gov.tw\n";
        let found = lines_for(text, "iccert.nhi.gov.tw");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].number, 4);
        assert_eq!(
            found[0].text,
            "127.0.0.1    ICCERT.nhi.gov.tw. # added by NHI"
        );
        assert_eq!(found[0].addr, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(found[1].addr, None);
        assert!(lines_for("127.0.0.1 notiiccert.nhi.gov.tw", "iccert.nhi.gov.tw").is_empty());
    }

    #[test]
    fn places_of_addresses() {
        let p = |s: &str| place(s.parse().unwrap());
        assert_eq!(p("127.0.0.1"), Place::Component);
        assert_eq!(p("::ffff:127.0.0.1"), Place::Component);
        assert_eq!(p("127.0.1.1"), Place::OtherLocal);
        assert_eq!(p("0.0.0.0"), Place::OtherLocal);
        assert_eq!(p("::1"), Place::Ipv6Loopback);
        assert_eq!(p("203.0.113.7"), Place::OffMachine);
        assert_eq!(p("192.168.1.10"), Place::OffMachine);
        assert_eq!(p("2001:db8::1"), Place::OffMachine);
    }
}
