//! Whether a browser's own store trusts the chain the component serves, judged the way
//! Chromium's NSS trust store does: a certificate trusted as a CA (`C`) is an anchor whose
//! own expiry is enforced (`WithEnforceAnchorExpiry` — the 2024 package's 30-day root
//! breaks Chrome a month after install even when trusted); one trusted as a peer (`P`) is
//! this server's own certificate; a distrusted one (`p`) refuses the chain.

use std::time::SystemTime;

use rustls::pki_types::CertificateDer;

use super::nss::{NssCert, ServerTrust};
use crate::bridge::tls::{self, CertInfo, Trust};

/// What one store makes of the served chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreVerdict {
    /// The chain leads to a trusted CA (its nickname).
    Trusted { label: String },
    /// The server's own certificate is trusted as it is.
    TrustedPeer { label: String },
    /// The chain leads to a trusted CA that has expired.
    RootExpired {
        label: String,
        subject: String,
        date: String,
    },
    /// A certificate of the chain is outside its validity (the TLS check names which).
    OutOfDate,
    /// A certificate of the chain is explicitly distrusted.
    Distrusted { label: String },
    /// Nothing in the store vouches for the chain.
    Untrusted,
}

impl StoreVerdict {
    /// The browser refuses the component's certificate.
    pub fn fails(&self) -> bool {
        !matches!(
            self,
            StoreVerdict::Trusted { .. } | StoreVerdict::TrustedPeer { .. }
        )
    }
}

/// Judges `chain` (leaf first) against one store's certificates at `now`.
pub fn judge(
    chain: &[CertificateDer<'static>],
    store: &[NssCert],
    now: SystemTime,
) -> StoreVerdict {
    let in_store = |der: &[u8], t: ServerTrust| {
        store
            .iter()
            .find(|c| c.trust == t && c.der.as_slice() == der)
    };
    if let Some(c) = chain
        .iter()
        .find_map(|d| in_store(d.as_ref(), ServerTrust::Distrusted))
    {
        return StoreVerdict::Distrusted {
            label: c.label.clone(),
        };
    }
    if let Some(c) = chain
        .first()
        .and_then(|leaf| in_store(leaf.as_ref(), ServerTrust::Peer))
    {
        return StoreVerdict::TrustedPeer {
            label: c.label.clone(),
        };
    }
    let anchors: Vec<(&NssCert, CertInfo)> = store
        .iter()
        .filter(|c| c.trust == ServerTrust::Anchor)
        .map(|c| (c, CertInfo::parse(&c.der)))
        .collect();
    let infos: Vec<CertInfo> = chain.iter().map(|c| CertInfo::parse(c)).collect();
    // The anchors that could have issued a certificate of the chain.
    let issuing: Vec<&(&NssCert, CertInfo)> = anchors
        .iter()
        .filter(|(c, a)| {
            a.error.is_none()
                && infos
                    .iter()
                    .zip(chain)
                    .any(|(i, d)| i.issuer == a.subject || d.as_ref() == c.der.as_slice())
        })
        .collect();
    // A root that is also explicitly distrusted (Windows: Untrusted Certificates) is
    // refused, wherever it is trusted too.
    if let Some(c) = issuing
        .iter()
        .find_map(|(c, _)| in_store(&c.der, ServerTrust::Distrusted))
    {
        return StoreVerdict::Distrusted {
            label: c.label.clone(),
        };
    }
    let ders: Vec<CertificateDer<'static>> = issuing
        .iter()
        .map(|(c, _)| CertificateDer::from(c.der.clone()))
        .collect();
    let store = tls::Anchors::from_certs(&ders).store;
    match tls::verify(chain, &store, now, &infos) {
        Trust::Untrusted(_) => StoreVerdict::Untrusted,
        verdict => {
            if let Some((c, a)) = issuing
                .iter()
                .find(|(_, a)| a.not_after.is_some_and(|t| t < now))
            {
                return StoreVerdict::RootExpired {
                    label: c.label.clone(),
                    subject: a.short_name(),
                    date: tls::date(a.not_after),
                };
            }
            match verdict {
                Trust::Trusted => StoreVerdict::Trusted {
                    label: issuing
                        .first()
                        .map(|(c, _)| c.label.clone())
                        .unwrap_or_default(),
                },
                _ => StoreVerdict::OutOfDate,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};

    struct Set {
        root: Vec<u8>,
        leaf: Vec<u8>,
    }

    /// A root living `root_days` from `start_days_ago`, and a long leaf it signed.
    fn set(start_days_ago: i64, root_days: i64) -> Set {
        let day = time::Duration::days(1);
        let now = time::OffsetDateTime::now_utc();
        let root_key = KeyPair::generate().unwrap();
        let mut rp = CertificateParams::new(Vec::<String>::new()).unwrap();
        rp.distinguished_name
            .push(DnType::CommonName, "nhi-localhost-ca");
        rp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        rp.not_before = now - day * start_days_ago as i32;
        rp.not_after = rp.not_before + day * root_days as i32;
        let root = rp.self_signed(&root_key).unwrap();
        let issuer = rcgen::Issuer::new(rp, root_key);
        let mut lp = CertificateParams::new(vec!["iccert.nhi.gov.tw".to_string()]).unwrap();
        lp.distinguished_name
            .push(DnType::CommonName, "iccert.nhi.gov.tw");
        lp.not_before = now - day * start_days_ago as i32;
        lp.not_after = now + day * 3650;
        let leaf = lp
            .signed_by(&KeyPair::generate().unwrap(), &issuer)
            .unwrap();
        Set {
            root: root.der().to_vec(),
            leaf: leaf.der().to_vec(),
        }
    }

    fn cert(der: &[u8], label: &str, trust: ServerTrust) -> NssCert {
        NssCert {
            der: der.to_vec(),
            label: label.into(),
            trust,
        }
    }

    fn chain(s: &Set) -> Vec<CertificateDer<'static>> {
        vec![CertificateDer::from(s.leaf.clone())]
    }

    #[test]
    fn a_trusted_root_trusts_and_an_expired_one_is_named() {
        let now = SystemTime::now();
        let fresh = set(1, 3650);
        let v = judge(
            &chain(&fresh),
            &[cert(&fresh.root, "NHI", ServerTrust::Anchor)],
            now,
        );
        assert_eq!(
            v,
            StoreVerdict::Trusted {
                label: "NHI".into()
            }
        );
        // The 2024 package's root: 30 days, installed 40 days ago.
        let old = set(40, 30);
        let v = judge(
            &chain(&old),
            &[cert(&old.root, "NHI", ServerTrust::Anchor)],
            now,
        );
        assert!(
            matches!(v, StoreVerdict::RootExpired { ref label, .. } if label == "NHI"),
            "{v:?}"
        );
        assert!(v.fails());
    }

    #[test]
    fn another_root_or_none_is_untrusted_and_distrust_wins() {
        let now = SystemTime::now();
        let a = set(1, 3650);
        let b = set(1, 3650);
        assert_eq!(
            judge(
                &chain(&a),
                &[cert(&b.root, "other", ServerTrust::Anchor)],
                now
            ),
            StoreVerdict::Untrusted
        );
        assert_eq!(judge(&chain(&a), &[], now), StoreVerdict::Untrusted);
        // Present but with no TLS trust: not an anchor.
        assert_eq!(
            judge(&chain(&a), &[cert(&a.root, "r", ServerTrust::None)], now),
            StoreVerdict::Untrusted
        );
        assert_eq!(
            judge(
                &chain(&a),
                &[
                    cert(&a.root, "r", ServerTrust::Anchor),
                    cert(&a.leaf, "bad", ServerTrust::Distrusted)
                ],
                now
            ),
            StoreVerdict::Distrusted {
                label: "bad".into()
            }
        );
    }

    #[test]
    fn a_leaf_trusted_as_peer_needs_no_root() {
        let a = set(1, 3650);
        let v = judge(
            &chain(&a),
            &[cert(&a.leaf, "leaf", ServerTrust::Peer)],
            SystemTime::now(),
        );
        assert_eq!(
            v,
            StoreVerdict::TrustedPeer {
                label: "leaf".into()
            }
        );
    }

    #[test]
    fn garbage_in_the_store_or_chain_is_untrusted() {
        let a = set(1, 3650);
        let junk = [cert(b"\x30\x03\x02\x01\x00", "junk", ServerTrust::Anchor)];
        assert_eq!(
            judge(&chain(&a), &junk, SystemTime::now()),
            StoreVerdict::Untrusted
        );
        assert_eq!(
            judge(
                &[CertificateDer::from(vec![0xFF; 40])],
                &junk,
                SystemTime::now()
            ),
            StoreVerdict::Untrusted
        );
        assert_eq!(
            judge(&[], &junk, SystemTime::now()),
            StoreVerdict::Untrusted
        );
    }
}
