//! Certificate sets for the fake bridge, made at run time: the generations the real
//! component has shipped (see nhi-login-facts §4.3 and real-component §2) and the ways
//! they go wrong. ECDSA P-256 keys, so a set takes milliseconds to make.

use rcgen::string::Ia5String;
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair, SanType};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// Which certificates the fake bridge serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertGeneration {
    /// Like the 2019–2022 package: a *self-signed* leaf `CN=NHI.Self.Server.Cert` with SAN
    /// `localhost.nhi.gov.tw, localhost, 127.0.0.1 (as a DNS name), iccert.nhi.gov.tw`,
    /// sent together with an unrelated self-signed root `CN=NHI.Root.CA` that did not sign
    /// it; that root is the component's `NHIRootCA.crt`.
    Nhi2020,
    /// Like the 2024 package: a per-machine root `CN=nhi-localhost-ca` valid 30 days, and
    /// a 50-year leaf `CN=localhost` with SAN `localhost` only, signed by it.
    Podman2024,
    /// A 2024-style root that expired ten days ago; the leaf covers iccert.nhi.gov.tw.
    ExpiredRoot,
    /// A 2024-style root that expires in three days; the leaf covers iccert.nhi.gov.tw.
    ExpiringRoot,
    /// A leaf that expired yesterday, signed by a valid test CA.
    ExpiredLeaf,
    /// A leaf valid only from next month on (what a PC clock set back sees).
    NotYetValid,
    /// A leaf for `localhost` only, signed by a long-lived test CA.
    NoIccertSan,
    /// What a healthy check wants: a leaf for iccert.nhi.gov.tw and localhost, signed by
    /// a test CA; pass that CA (`component_root_pem`) as the component's NHIRootCA.crt.
    TestCa,
}

impl CertGeneration {
    pub fn parse(s: &str) -> Option<CertGeneration> {
        Some(match s {
            "nhi-2020" => CertGeneration::Nhi2020,
            "podman-2024" => CertGeneration::Podman2024,
            "expired-root" => CertGeneration::ExpiredRoot,
            "expiring-root" => CertGeneration::ExpiringRoot,
            "expired-leaf" => CertGeneration::ExpiredLeaf,
            "not-yet-valid" => CertGeneration::NotYetValid,
            "no-iccert-san" => CertGeneration::NoIccertSan,
            "test-ca" => CertGeneration::TestCa,
            _ => return None,
        })
    }
}

/// A server chain and key, and the files a component install would hold.
pub struct CertSet {
    /// Leaf first, as the server sends it.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The install's `cert/NHIRootCA.crt` (PEM).
    pub component_root_pem: String,
    /// The install's `cert/NHIServerCert.crt` (PEM).
    pub leaf_pem: String,
}

impl Clone for CertSet {
    fn clone(&self) -> Self {
        CertSet { chain: self.chain.clone(), key: self.key.clone_key(), component_root_pem: self.component_root_pem.clone(), leaf_pem: self.leaf_pem.clone() }
    }
}

struct Made {
    der: CertificateDer<'static>,
    pem: String,
    key: KeyPair,
    params: CertificateParams,
}

fn name(pairs: &[(DnType, &str)]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for (t, v) in pairs {
        dn.push(t.clone(), *v);
    }
    dn
}

fn dns(names: &[&str]) -> Result<Vec<SanType>, rcgen::Error> {
    names.iter().map(|n| Ia5String::try_from(*n).map(SanType::DnsName)).collect()
}

fn params(dn: DistinguishedName, san: Vec<SanType>, from: OffsetDateTime, to: OffsetDateTime, ca: bool) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.subject_alt_names = san;
    p.not_before = from;
    p.not_after = to;
    p.is_ca = if ca { IsCa::Ca(BasicConstraints::Unconstrained) } else { IsCa::ExplicitNoCa };
    p
}

fn self_signed(p: CertificateParams) -> Result<Made, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = p.self_signed(&key)?;
    Ok(Made { der: cert.der().clone(), pem: cert.pem(), key, params: p })
}

fn signed(p: CertificateParams, by: &Made) -> Result<Made, rcgen::Error> {
    let key = KeyPair::generate()?;
    let issuer = Issuer::from_params(&by.params, &by.key);
    let cert = p.signed_by(&key, &issuer)?;
    Ok(Made { der: cert.der().clone(), pem: cert.pem(), key, params: p })
}

fn set(leaf: Made, root: &Made) -> CertSet {
    CertSet {
        chain: vec![leaf.der.clone(), root.der.clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf.key.serialize_der())),
        component_root_pem: root.pem.clone(),
        leaf_pem: leaf.pem,
    }
}

const BOTH: &[&str] = &["iccert.nhi.gov.tw", "localhost"];

/// A `nhi-localhost-ca`-style root valid `from`..`to`, and a leaf for `names` it signed.
fn rooted(
    from: OffsetDateTime,
    to: OffsetDateTime,
    names: &[&str],
    leaf_from: OffsetDateTime,
    leaf_to: OffsetDateTime,
    ca_name: &str,
) -> Result<CertSet, rcgen::Error> {
    let root = self_signed(params(name(&[(DnType::CommonName, ca_name), (DnType::OrganizationName, ca_name)]), Vec::new(), from, to, true))?;
    let leaf = signed(params(name(&[(DnType::CommonName, names[0]), (DnType::OrganizationName, ca_name)]), dns(names)?, leaf_from, leaf_to, false), &root)?;
    Ok(set(leaf, &root))
}

impl CertGeneration {
    pub fn generate(self) -> Result<CertSet, rcgen::Error> {
        let now = OffsetDateTime::now_utc();
        let day = Duration::days(1);
        let years = |n: i64| Duration::days(365 * n);
        match self {
            CertGeneration::Nhi2020 => {
                let nhi = |cn| {
                    name(&[
                        (DnType::CountryName, "TW"),
                        (DnType::StateOrProvinceName, "Taiwan"),
                        (DnType::LocalityName, "Taipei"),
                        (DnType::OrganizationName, "NHI"),
                        (DnType::OrganizationalUnitName, "ICC"),
                        (DnType::CommonName, cn),
                    ])
                };
                let root = self_signed(params(nhi("NHI.Root.CA"), Vec::new(), now - years(1), now + years(30), true))?;
                let san = dns(&["localhost.nhi.gov.tw", "localhost", "127.0.0.1", "iccert.nhi.gov.tw"])?;
                let leaf = self_signed(params(nhi("NHI.Self.Server.Cert"), san, now - years(1), now + years(50), false))?;
                Ok(set(leaf, &root))
            }
            CertGeneration::Podman2024 => rooted(now - day, now + Duration::days(29), &["localhost"], now - day, now + years(50), "nhi-localhost-ca"),
            CertGeneration::ExpiredRoot => {
                rooted(now - Duration::days(40), now - Duration::days(10), BOTH, now - Duration::days(40), now + years(50), "nhi-localhost-ca")
            }
            CertGeneration::ExpiringRoot => {
                rooted(now - Duration::days(27), now + Duration::days(3), BOTH, now - Duration::days(27), now + years(50), "nhi-localhost-ca")
            }
            CertGeneration::ExpiredLeaf => rooted(now - years(2), now + years(8), BOTH, now - years(1), now - day, "ecpa-doctor test CA"),
            CertGeneration::NotYetValid => rooted(now - day, now + years(10), BOTH, now + Duration::days(30), now + years(10), "ecpa-doctor test CA"),
            CertGeneration::NoIccertSan => rooted(now - day, now + years(10), &["localhost"], now - day, now + years(10), "ecpa-doctor test CA"),
            CertGeneration::TestCa => rooted(now - day, now + years(10), BOTH, now - day, now + years(10), "ecpa-doctor test CA"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::tls::{CertInfo, Coverage};

    #[test]
    fn every_generation_is_made_and_reads_back() {
        for g in [
            CertGeneration::Nhi2020,
            CertGeneration::Podman2024,
            CertGeneration::ExpiredRoot,
            CertGeneration::ExpiringRoot,
            CertGeneration::ExpiredLeaf,
            CertGeneration::NotYetValid,
            CertGeneration::NoIccertSan,
            CertGeneration::TestCa,
        ] {
            let set = g.generate().unwrap();
            assert_eq!(set.chain.len(), 2);
            let leaf = CertInfo::parse(&set.chain[0]);
            assert!(leaf.error.is_none(), "{g:?}: {leaf:?}");
            assert_eq!(leaf.ca, Some(false));
            assert!(set.component_root_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        }
    }

    #[test]
    fn the_2020_leaf_is_self_signed_and_lists_an_address_as_a_dns_name() {
        let set = CertGeneration::Nhi2020.generate().unwrap();
        let leaf = CertInfo::parse(&set.chain[0]);
        assert!(leaf.self_issued());
        assert_eq!(leaf.covers("iccert.nhi.gov.tw"), Coverage::Yes);
        assert_eq!(leaf.covers("127.0.0.1"), Coverage::IpListedAsDns);
        assert!(leaf.subject.contains("CN=NHI.Self.Server.Cert"));
    }
}
