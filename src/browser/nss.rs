//! An NSS certificate database (`cert9.db`): the store Chromium on Linux and every Firefox
//! profile take their local trust from. It is SQLite; each PKCS#11 object is a row of table
//! `nssPublic` with one column per attribute, named `a` + the attribute type in lowercase
//! hex, values raw (numbers are 4-byte big-endian, an empty value the marker `A5 00 5A`).
//! Certificates are objects of class 1 with their DER in `a11`; what a certificate is
//! trusted for is a separate trust object that names it by issuer and serial — NSS's own
//! (class `CE534353`, TLS server trust in `ace536358`) or the PKCS#11 3.2 one (class `0B`,
//! in `a62c`). Both are read; the signatures NSS keeps over trust values in `key4.db`
//! only matter to a writer.
//!
//! Read from bytes into an in-memory, read-only database: the browser's file is never
//! opened, let alone locked or written, and a hostile file is just bytes to SQLite.

use rusqlite::types::ValueRef;

/// Larger than any real user database (a few hundred KiB with many imported CAs).
pub const CERT9_MAX: usize = 16 * 1024 * 1024;

/// What an NSS database says a certificate may do for TLS servers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerTrust {
    /// Trusted to issue server certificates (`certutil -t C,,`).
    Anchor,
    /// Trusted as this server's own certificate (`P,,`).
    Peer,
    /// Explicitly distrusted (`p,,`).
    Distrusted,
    /// Present, with no TLS trust of its own (an intermediate, or an e-mail certificate).
    None,
}

/// One certificate in the database with its TLS server trust.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NssCert {
    pub der: Vec<u8>,
    /// The nickname `certutil -L` shows.
    pub label: String,
    pub trust: ServerTrust,
}

const EXPLICIT_NULL: &[u8] = &[0xA5, 0x00, 0x5A];
const CLASS_CERTIFICATE: u32 = 0x0000_0001;
const CLASS_NSS_TRUST: u32 = 0xCE53_4353;
const CLASS_PKCS11_TRUST: u32 = 0x0000_000B;

/// Attribute columns.
const CLASS: &str = "a0";
const LABEL: &str = "a3";
const VALUE: &str = "a11";
const ISSUER: &str = "a81";
const SERIAL: &str = "a82";
const NSS_SERVER_AUTH: &str = "ace536358";
const PKCS11_SERVER_AUTH: &str = "a62c";

/// Every certificate of a `cert9.db`, with what its trust objects say for TLS servers.
pub fn read(bytes: &[u8]) -> Result<Vec<NssCert>, String> {
    if bytes.len() > CERT9_MAX {
        return Err(format!("larger than {} MiB", CERT9_MAX / (1024 * 1024)));
    }
    let mut db = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    db.deserialize_read_exact(rusqlite::MAIN_DB, bytes, bytes.len(), true)
        .map_err(|e| e.to_string())?;
    let rows = rows(&db).map_err(|e| e.to_string())?;
    let mut certs = Vec::new();
    let mut trusts: Vec<(Vec<u8>, Vec<u8>, ServerTrust)> = Vec::new();
    for row in &rows {
        let attr = |name: &str| row.iter().find(|(n, _)| n == name).map(|(_, v)| v);
        let class = attr(CLASS).and_then(ulong);
        let issuer_serial = || {
            let present = |v: &Option<Vec<u8>>| v.clone().filter(|v| !v.is_empty());
            Some((present(attr(ISSUER)?)?, present(attr(SERIAL)?)?))
        };
        match class {
            Some(CLASS_CERTIFICATE) => {
                let Some(Some(der)) = attr(VALUE).cloned() else {
                    continue;
                };
                let label = attr(LABEL)
                    .and_then(|v| v.as_deref())
                    .map(|l| String::from_utf8_lossy(l).into_owned())
                    .unwrap_or_default();
                certs.push((der, label, issuer_serial()));
            }
            Some(CLASS_NSS_TRUST) => {
                if let (Some(key), Some(t)) =
                    (issuer_serial(), attr(NSS_SERVER_AUTH).and_then(ulong))
                {
                    trusts.push((key.0, key.1, nss_trust(t)));
                }
            }
            Some(CLASS_PKCS11_TRUST) => {
                if let (Some(key), Some(t)) =
                    (issuer_serial(), attr(PKCS11_SERVER_AUTH).and_then(ulong))
                {
                    trusts.push((key.0, key.1, pkcs11_trust(t)));
                }
            }
            _ => {}
        }
    }
    Ok(certs
        .into_iter()
        .map(|(der, label, key)| {
            let trust = key
                .and_then(|(issuer, serial)| {
                    trusts
                        .iter()
                        .find(|(i, s, _)| *i == issuer && *s == serial)
                        .map(|t| t.2)
                })
                .unwrap_or(ServerTrust::None);
            NssCert { der, label, trust }
        })
        .collect())
}

/// One row: each attribute column with its value; the explicit-null marker reads as an
/// empty value, SQL NULL (an attribute the object lacks) as `None`.
type Row = Vec<(String, Option<Vec<u8>>)>;

const WANTED: [&str; 7] = [
    CLASS,
    LABEL,
    VALUE,
    ISSUER,
    SERIAL,
    NSS_SERVER_AUTH,
    PKCS11_SERVER_AUTH,
];

/// The rows of `nssPublic`, with the attribute columns we read. The columns are found by
/// name because NSS adds one per attribute it knows, which varies by version; names are
/// read as bytes, since a hostile file may hold any (the library's own name accessor
/// panics on one that is not UTF-8).
fn rows(db: &rusqlite::Connection) -> rusqlite::Result<Vec<Row>> {
    // Only a plain table: a view, or a column computed by an expression, would run the
    // file's own SQL (a hostile file could make it loop or allocate without bound).
    let kind: Option<String> = db
        .query_row(
            "SELECT type FROM sqlite_master WHERE name = 'nssPublic'",
            [],
            |r| r.get(0),
        )
        .ok();
    if kind.as_deref() != Some("table") {
        return Err(rusqlite::Error::InvalidParameterName(
            "no table nssPublic".into(),
        ));
    }
    let mut columns: Vec<&'static str> = Vec::new();
    {
        let mut info = db.prepare("SELECT name, hidden FROM pragma_table_xinfo('nssPublic')")?;
        let mut q = info.query([])?;
        while let Some(r) = q.next()? {
            if r.get::<_, i64>(1)? != 0 {
                return Err(rusqlite::Error::InvalidParameterName(
                    "nssPublic has computed columns".into(),
                ));
            }
            if let ValueRef::Text(t) | ValueRef::Blob(t) = r.get_ref(0)?
                && let Some(w) = WANTED.iter().find(|w| w.as_bytes() == t)
                && !columns.contains(w)
            {
                columns.push(w);
            }
        }
    }
    if columns.is_empty() {
        return Err(rusqlite::Error::InvalidParameterName(
            "no table nssPublic with certificate attributes".into(),
        ));
    }
    let mut stmt = db.prepare(&format!("SELECT {} FROM nssPublic", columns.join(", ")))?;
    let mut out = Vec::new();
    let mut q = stmt.query([])?;
    while let Some(r) = q.next()? {
        let mut row = Row::new();
        for (i, name) in columns.iter().enumerate() {
            let v = match r.get_ref(i)? {
                ValueRef::Blob(b) | ValueRef::Text(b) if b == EXPLICIT_NULL => Some(Vec::new()),
                ValueRef::Blob(b) | ValueRef::Text(b) => Some(b.to_vec()),
                _ => None,
            };
            row.push((name.to_string(), v));
        }
        out.push(row);
        if out.len() > 100_000 {
            break;
        }
    }
    Ok(out)
}

/// A CK_ULONG as the database stores it: 4 bytes, big-endian.
fn ulong(v: &Option<Vec<u8>>) -> Option<u32> {
    let b: [u8; 4] = v.as_deref()?.try_into().ok()?;
    Some(u32::from_be_bytes(b))
}

fn nss_trust(v: u32) -> ServerTrust {
    match v {
        0xCE53_4352 => ServerTrust::Anchor,
        0xCE53_4351 => ServerTrust::Peer,
        0xCE53_435A => ServerTrust::Distrusted,
        _ => ServerTrust::None,
    }
}

fn pkcs11_trust(v: u32) -> ServerTrust {
    match v {
        2 => ServerTrust::Anchor,
        1 => ServerTrust::Peer,
        3 => ServerTrust::Distrusted,
        _ => ServerTrust::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/browser/nss-3.87/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    fn pem_der(name: &str) -> Vec<u8> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        CertificateDer::from_pem_slice(&fixture(name))
            .unwrap()
            .to_vec()
    }

    #[test]
    fn reads_what_certutil_wrote() {
        let certs = read(&fixture("cert9.db")).unwrap();
        let got: Vec<(&str, ServerTrust)> =
            certs.iter().map(|c| (c.label.as_str(), c.trust)).collect();
        assert_eq!(
            got,
            vec![
                ("nhi-root", ServerTrust::Anchor),
                ("self-leaf", ServerTrust::Peer),
                ("bad-ca", ServerTrust::Distrusted),
            ]
        );
        assert_eq!(certs[0].der, pem_der("ca.crt"));
        assert_eq!(certs[1].der, pem_der("self.crt"));
    }

    #[test]
    fn reads_pkcs11_3_2_trust_objects() {
        // The newer trust form, written the way NSS would: class 0x0B, CKT_TRUST_ANCHOR.
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch(
            "CREATE TABLE nssPublic (id PRIMARY KEY UNIQUE ON CONFLICT ABORT, a0, a3, a11, a81, a82, a62c);
             INSERT INTO nssPublic VALUES (1, x'00000001', 'root', x'3082', x'3001', x'020101', NULL);
             INSERT INTO nssPublic VALUES (2, x'0000000B', x'A5005A', NULL, x'3001', x'020101', x'00000002');",
        )
        .unwrap();
        let bytes = db.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        let certs = read(&bytes).unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].trust, ServerTrust::Anchor);
    }

    #[test]
    fn a_view_or_computed_column_is_refused_not_run() {
        for schema in [
            "CREATE VIEW nssPublic AS WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT x AS a0 FROM n;",
            "CREATE TABLE nssPublic (id, a0, a11 AS (zeroblob(1000000000)));
             INSERT INTO nssPublic (id, a0) VALUES (1, x'00000001');",
        ] {
            let mut db = rusqlite::Connection::open_in_memory().unwrap();
            db.execute_batch(schema).unwrap();
            let bytes = db.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
            assert!(read(&bytes).is_err(), "{schema}");
        }
    }

    #[test]
    fn garbage_and_foreign_databases_are_errors_not_panics() {
        assert!(read(b"").is_err() || read(b"").unwrap().is_empty());
        assert!(read(b"SQLite format 3\0garbage").is_err());
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute_batch("CREATE TABLE other (x);").unwrap();
        let bytes = db.serialize(rusqlite::MAIN_DB).unwrap().to_vec();
        assert!(read(&bytes).unwrap_err().contains("nssPublic"));
        let mut cut = fixture("cert9.db");
        cut.truncate(5000);
        let _ = read(&cut);
    }
}
