//! Writes an NSS `cert9.db` the way `certutil -A` lays it out (table `nssPublic`, one
//! column per attribute, a certificate object and an NSS trust object per certificate),
//! for the demo worlds' browsers and the reader's tests. NSS itself would also want the
//! trust values signed in `key4.db`; our reader, like any reader, ignores those, and no
//! browser ever opens these files.

use rusqlite::Connection;
use x509_cert::der::{Decode, Encode};

use crate::browser::nss::ServerTrust;

/// Every attribute column the reader looks at, plus the ones certutil fills in alongside.
const COLUMNS: &str = "id PRIMARY KEY UNIQUE ON CONFLICT ABORT, a0, a1, a2, a3, a11, a80, a81, a82, a101, a102, ace536358, ace536359, ace53635a, ace53635b, ace5363b4";

const EXPLICIT_NULL: &[u8] = &[0xA5, 0x00, 0x5A];

fn ulong(v: u32) -> Vec<u8> {
    v.to_be_bytes().to_vec()
}

fn trust_value(t: ServerTrust) -> u32 {
    match t {
        ServerTrust::Anchor => 0xCE53_4352,
        ServerTrust::Peer => 0xCE53_4351,
        ServerTrust::Distrusted => 0xCE53_435A,
        ServerTrust::None => 0xCE53_4353,
    }
}

/// A `cert9.db` holding `certs` (DER, nickname, TLS trust). A certificate that does not
/// parse is left out.
pub fn cert9(certs: &[(Vec<u8>, String, ServerTrust)]) -> Vec<u8> {
    let mut db = Connection::open_in_memory().expect("in-memory SQLite");
    db.execute_batch(&format!(
        "CREATE TABLE nssPublic ({COLUMNS}); CREATE TABLE metaData (id PRIMARY KEY UNIQUE ON CONFLICT REPLACE, item1, item2);"
    ))
    .expect("schema");
    let mut id = 0x2420_0000u32;
    for (der, label, trust) in certs {
        let Ok(c) = x509_cert::Certificate::from_der(der) else {
            continue;
        };
        let tbs = c.tbs_certificate();
        let (Ok(issuer), Ok(subject), Ok(serial)) = (
            tbs.issuer().to_der(),
            tbs.subject().to_der(),
            tbs.serial_number().to_der(),
        ) else {
            continue;
        };
        let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der);
        let yes = vec![1u8];
        id += 1;
        db.execute(
            "INSERT INTO nssPublic (id, a0, a1, a2, a3, a11, a80, a81, a82, a101, a102) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            rusqlite::params![
                id,
                ulong(0x0000_0001),
                yes,
                vec![0u8],
                label.as_bytes(),
                der,
                ulong(0),
                issuer,
                serial,
                subject,
                EXPLICIT_NULL,
            ],
        )
        .expect("certificate row");
        id += 1;
        let must_verify = ulong(0xCE53_4353);
        db.execute(
            "INSERT INTO nssPublic (id, a0, a1, a2, a3, a81, a82, ace536358, ace536359, ace53635a, ace53635b, ace5363b4) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            rusqlite::params![
                id,
                ulong(0xCE53_4353),
                yes,
                vec![0u8],
                EXPLICIT_NULL,
                issuer,
                serial,
                ulong(trust_value(*trust)),
                must_verify,
                must_verify,
                must_verify,
                sha1.as_ref(),
            ],
        )
        .expect("trust row");
    }
    db.serialize(rusqlite::MAIN_DB).expect("serialise").to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::browser::nss;

    #[test]
    fn what_it_writes_reads_back_like_certutil_output() {
        let fixture = |n: &str| {
            let pem = std::fs::read(format!(
                "{}/tests/fixtures/browser/nss-3.87/{n}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap();
            use rustls::pki_types::{CertificateDer, pem::PemObject};
            CertificateDer::from_pem_slice(&pem).unwrap().to_vec()
        };
        let want = nss::read(
            &std::fs::read(format!(
                "{}/tests/fixtures/browser/nss-3.87/cert9.db",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        let ours = cert9(&[
            (fixture("ca.crt"), "nhi-root".into(), ServerTrust::Anchor),
            (fixture("self.crt"), "self-leaf".into(), ServerTrust::Peer),
            (fixture("bad.crt"), "bad-ca".into(), ServerTrust::Distrusted),
            (
                b"not a certificate".to_vec(),
                "junk".into(),
                ServerTrust::Anchor,
            ),
        ]);
        assert_eq!(nss::read(&ours).unwrap(), want);
    }
}
