//! Certificate sets for the fake bridge, made at run time: the generations the real
//! component has shipped (see nhi-login-facts §4.3 and real-component §2) and the ways
//! they go wrong. ECDSA P-256 keys, so a set takes milliseconds to make.

use rcgen::string::Ia5String;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// Which certificates the fake bridge serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertGeneration {
    /// The 2019–2022 package's files, as the real component serves them: a *self-signed*
    /// leaf `C=TW, ST=Taiwan, L=Taipei, O=NHI, OU=ICC, CN=NHI.Self.Server.Cert` (serial
    /// `DC97546511A8767B`, 2019-05-10 → 2069-05-10, CA:FALSE, the facts' key usages) with
    /// SAN `localhost.nhi.gov.tw, localhost, 127.0.0.1 (as a DNS name), iccert.nhi.gov.tw`,
    /// sent together with an unrelated self-signed root `CN=NHI.Root.CA` (serial
    /// `FF231C511439F5D0`, 2019-05-10 → 2049-05-10, no extensions at all) that did not sign
    /// it; that root is the component's `NHIRootCA.crt`. Only the keys differ (the real
    /// ones are RSA 3072), so the fingerprints differ too.
    Nhi2020,
    /// The 2024 package's install-time set: a per-machine root `CN=nhi-localhost-ca,
    /// O=nhi-localhost-ca` valid 30 days (CA:TRUE), and a 50-year leaf `CN=localhost,
    /// O=nhi-localhost-ca` with SAN `localhost` only, signed by it.
    Nhi2024,
    /// The set the podman image's `regen-certs.sh` makes: the same names as `Nhi2024`, but
    /// both certificates valid 3650 days; SAN `localhost` only.
    PodmanRegen,
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
            // `podman-2024` is the older name of the 2024 package's set, kept because the
            // demo's scenario files use it.
            "nhi-2024" | "podman-2024" => CertGeneration::Nhi2024,
            "podman-regen" => CertGeneration::PodmanRegen,
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
        CertSet {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            component_root_pem: self.component_root_pem.clone(),
            leaf_pem: self.leaf_pem.clone(),
        }
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
    names
        .iter()
        .map(|n| Ia5String::try_from(*n).map(SanType::DnsName))
        .collect()
}

fn params(
    dn: DistinguishedName,
    san: Vec<SanType>,
    from: OffsetDateTime,
    to: OffsetDateTime,
    ca: bool,
) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = dn;
    p.subject_alt_names = san;
    p.not_before = from;
    p.not_after = to;
    p.is_ca = if ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    p
}

fn self_signed(p: CertificateParams) -> Result<Made, rcgen::Error> {
    let key = KeyPair::generate()?;
    let cert = p.self_signed(&key)?;
    Ok(Made {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
        params: p,
    })
}

fn signed(p: CertificateParams, by: &Made) -> Result<Made, rcgen::Error> {
    let key = KeyPair::generate()?;
    let issuer = Issuer::from_params(&by.params, &by.key);
    let cert = p.signed_by(&key, &issuer)?;
    Ok(Made {
        der: cert.der().clone(),
        pem: cert.pem(),
        key,
        params: p,
    })
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
    let root = self_signed(params(
        name(&[
            (DnType::CommonName, ca_name),
            (DnType::OrganizationName, ca_name),
        ]),
        Vec::new(),
        from,
        to,
        true,
    ))?;
    let leaf = signed(
        params(
            name(&[
                (DnType::CommonName, names[0]),
                (DnType::OrganizationName, ca_name),
            ]),
            dns(names)?,
            leaf_from,
            leaf_to,
            false,
        ),
        &root,
    )?;
    Ok(set(leaf, &root))
}

/// The 2019–2022 files' names, dates, serials and extensions (real-component §2 A).
fn nhi_2020() -> Result<CertSet, rcgen::Error> {
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
    // The constants below are all in range; the fallback is never taken.
    let at =
        |unix: i64| OffsetDateTime::from_unix_timestamp(unix).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    // v1-style: not even basicConstraints.
    let mut root = params(
        nhi("NHI.Root.CA"),
        Vec::new(),
        at(1_557_479_299),
        at(2_504_250_499),
        false,
    );
    root.is_ca = IsCa::NoCa;
    root.serial_number = Some(SerialNumber::from_slice(&[
        0xFF, 0x23, 0x1C, 0x51, 0x14, 0x39, 0xF5, 0xD0,
    ]));
    let root = self_signed(root)?;
    let san = dns(&[
        "localhost.nhi.gov.tw",
        "localhost",
        "127.0.0.1",
        "iccert.nhi.gov.tw",
    ])?;
    let mut leaf = params(
        nhi("NHI.Self.Server.Cert"),
        san,
        at(1_557_479_332),
        at(3_135_402_532),
        false,
    );
    leaf.serial_number = Some(SerialNumber::from_slice(&[
        0xDC, 0x97, 0x54, 0x65, 0x11, 0xA8, 0x76, 0x7B,
    ]));
    leaf.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::ContentCommitment,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::DataEncipherment,
    ];
    let leaf = self_signed(leaf)?;
    Ok(set(leaf, &root))
}

/// A test CA and a leaf it signed for `names`, valid from yesterday for a year: for the
/// stand-ins of other sites (the eCPA page a browser test loads).
pub fn site(names: &[&str], ca_name: &str) -> Result<CertSet, rcgen::Error> {
    let now = OffsetDateTime::now_utc();
    let (day, year) = (Duration::days(1), Duration::days(365));
    rooted(now - day, now + year, names, now - day, now + year, ca_name)
}

impl CertGeneration {
    pub fn generate(self) -> Result<CertSet, rcgen::Error> {
        let now = OffsetDateTime::now_utc();
        let day = Duration::days(1);
        let years = |n: i64| Duration::days(365 * n);
        match self {
            CertGeneration::Nhi2020 => nhi_2020(),
            CertGeneration::Nhi2024 => rooted(
                now - day,
                now + Duration::days(29),
                &["localhost"],
                now - day,
                now + years(50),
                "nhi-localhost-ca",
            ),
            CertGeneration::PodmanRegen => rooted(
                now - day,
                now + Duration::days(3649),
                &["localhost"],
                now - day,
                now + Duration::days(3649),
                "nhi-localhost-ca",
            ),
            CertGeneration::ExpiredRoot => rooted(
                now - Duration::days(40),
                now - Duration::days(10),
                BOTH,
                now - Duration::days(40),
                now + years(50),
                "nhi-localhost-ca",
            ),
            CertGeneration::ExpiringRoot => rooted(
                now - Duration::days(27),
                now + Duration::days(3),
                BOTH,
                now - Duration::days(27),
                now + years(50),
                "nhi-localhost-ca",
            ),
            CertGeneration::ExpiredLeaf => rooted(
                now - years(2),
                now + years(8),
                BOTH,
                now - years(1),
                now - day,
                "ecpa-doctor test CA",
            ),
            CertGeneration::NotYetValid => rooted(
                now - day,
                now + years(10),
                BOTH,
                now + Duration::days(30),
                now + years(10),
                "ecpa-doctor test CA",
            ),
            CertGeneration::NoIccertSan => rooted(
                now - day,
                now + years(10),
                &["localhost"],
                now - day,
                now + years(10),
                "ecpa-doctor test CA",
            ),
            CertGeneration::TestCa => rooted(
                now - day,
                now + years(10),
                BOTH,
                now - day,
                now + years(10),
                "ecpa-doctor test CA",
            ),
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
            CertGeneration::Nhi2024,
            CertGeneration::PodmanRegen,
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
            assert!(
                set.component_root_pem
                    .starts_with("-----BEGIN CERTIFICATE-----")
            );
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

    #[test]
    fn the_2020_set_matches_the_shipped_files_and_its_root_did_not_sign_its_leaf() {
        use crate::bridge::tls::{Anchors, Trust, date, verify};
        let set = CertGeneration::Nhi2020.generate().unwrap();
        let infos: Vec<CertInfo> = set.chain.iter().map(|c| CertInfo::parse(c)).collect();
        let (leaf, root) = (&infos[0], &infos[1]);
        assert_eq!(root.ca, None, "the shipped root has no extensions at all");
        assert!(root.san.is_empty());
        assert_eq!(
            (
                date(leaf.not_before).as_str(),
                date(leaf.not_after).as_str()
            ),
            ("2019-05-10 09:08:52Z", "2069-05-10 09:08:52Z")
        );
        assert_eq!(
            (
                date(root.not_before).as_str(),
                date(root.not_after).as_str()
            ),
            ("2019-05-10 09:08:19Z", "2049-05-10 09:08:19Z")
        );
        assert!(root.subject.contains("CN=NHI.Root.CA") && root.self_issued());
        let now = std::time::SystemTime::now();
        // openssl verify -CAfile NHIRootCA.crt NHIServerCert.crt → error 18; with the leaf itself as the anchor → OK.
        let by_root = verify(
            &set.chain,
            &Anchors::from_certs(&set.chain[1..]).store,
            now,
            &infos,
        );
        assert!(matches!(by_root, Trust::Untrusted(_)), "{by_root:?}");
        assert_eq!(
            verify(
                &set.chain,
                &Anchors::from_certs(&set.chain[..1]).store,
                now,
                &infos
            ),
            Trust::Trusted
        );
    }

    #[test]
    fn the_2024_package_root_lives_30_days_and_the_podman_one_ten_years() {
        let days = |g: CertGeneration, i: usize| {
            let info = CertInfo::parse(&g.generate().unwrap().chain[i]);
            info.not_after
                .unwrap()
                .duration_since(info.not_before.unwrap())
                .unwrap()
                .as_secs()
                / 86_400
        };
        assert_eq!(days(CertGeneration::Nhi2024, 1), 30);
        assert!(days(CertGeneration::Nhi2024, 0) >= 50 * 365);
        assert_eq!(
            (
                days(CertGeneration::PodmanRegen, 0),
                days(CertGeneration::PodmanRegen, 1)
            ),
            (3650, 3650)
        );
        for g in [CertGeneration::Nhi2024, CertGeneration::PodmanRegen] {
            let set = g.generate().unwrap();
            let leaf = CertInfo::parse(&set.chain[0]);
            assert_eq!(
                leaf.san,
                vec![crate::bridge::tls::San::Dns("localhost".into())],
                "{g:?}"
            );
            assert!(
                leaf.subject.contains("CN=localhost")
                    && leaf.issuer.contains("CN=nhi-localhost-ca"),
                "{g:?}: {leaf:?}"
            );
            assert_eq!(CertInfo::parse(&set.chain[1]).ca, Some(true));
        }
    }
}
