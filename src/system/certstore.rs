//! The Windows certificate stores Chrome and Edge take local trust from (Chromium's
//! `trust_store_win.cc`, browser facts §2.2): Trusted Root Certification Authorities of the
//! local machine (with its Group Policy and Enterprise variants) and of the current user (and
//! its Group Policy variant) give anchors, Trusted People gives trusted server certificates,
//! Untrusted Certificates gives distrust. Real on Windows (`winapi.rs`), empty elsewhere.

/// One system store, by location and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoreId {
    /// `CERT_SYSTEM_STORE_*` location.
    pub location: Location,
    /// `ROOT`, `TrustedPeople`, `Disallowed`.
    pub name: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    LocalMachine,
    LocalMachineGroupPolicy,
    LocalMachineEnterprise,
    CurrentUser,
    CurrentUserGroupPolicy,
}

impl Location {
    /// The `dwFlags` location bits of `CertOpenStore` (wincrypt.h).
    pub fn flags(self) -> u32 {
        match self {
            Location::CurrentUser => 1 << 16,
            Location::LocalMachine => 2 << 16,
            Location::CurrentUserGroupPolicy => 7 << 16,
            Location::LocalMachineGroupPolicy => 8 << 16,
            Location::LocalMachineEnterprise => 9 << 16,
        }
    }
}

/// The stores Chrome/Edge read on Windows, with what each gives.
pub const CHROME_STORES: &[(StoreId, crate::browser::nss::ServerTrust)] = {
    use crate::browser::nss::ServerTrust::{Anchor, Distrusted, Peer};
    const fn s(location: Location, name: &'static str) -> StoreId {
        StoreId { location, name }
    }
    &[
        (s(Location::LocalMachine, "ROOT"), Anchor),
        (s(Location::LocalMachineGroupPolicy, "ROOT"), Anchor),
        (s(Location::LocalMachineEnterprise, "ROOT"), Anchor),
        (s(Location::CurrentUser, "ROOT"), Anchor),
        (s(Location::CurrentUserGroupPolicy, "ROOT"), Anchor),
        (s(Location::LocalMachine, "TrustedPeople"), Peer),
        (s(Location::LocalMachineGroupPolicy, "TrustedPeople"), Peer),
        (s(Location::LocalMachineEnterprise, "TrustedPeople"), Peer),
        (s(Location::LocalMachine, "Disallowed"), Distrusted),
        (s(Location::CurrentUser, "Disallowed"), Distrusted),
    ]
};

pub trait CertStores: Send + Sync {
    /// The certificates (DER) in one store; `None` when it cannot be opened.
    fn certs(&self, store: StoreId) -> Option<Vec<Vec<u8>>>;
}

/// No stores: every OS but Windows.
pub struct NoCertStores;

impl CertStores for NoCertStores {
    fn certs(&self, _: StoreId) -> Option<Vec<Vec<u8>>> {
        None
    }
}

/// The real stores (Windows).
pub struct WinCertStores;

impl CertStores for WinCertStores {
    fn certs(&self, store: StoreId) -> Option<Vec<Vec<u8>>> {
        super::winapi::store_certs(store.location.flags(), store.name)
    }
}

/// Stores in memory, for tests and simulated worlds.
#[derive(Default)]
pub struct MemCertStores(pub Vec<(StoreId, Vec<u8>)>);

impl CertStores for MemCertStores {
    fn certs(&self, store: StoreId) -> Option<Vec<Vec<u8>>> {
        Some(
            self.0
                .iter()
                .filter(|(s, _)| *s == store)
                .map(|(_, c)| c.clone())
                .collect(),
        )
    }
}

/// Every certificate Chrome/Edge would take trust from, with what it is trusted for, and
/// how many stores could be opened.
pub fn chrome_view(stores: &dyn CertStores) -> (Vec<crate::browser::nss::NssCert>, usize) {
    let mut out = Vec::new();
    let mut opened = 0;
    for (id, trust) in CHROME_STORES {
        if let Some(certs) = stores.certs(*id) {
            opened += 1;
            out.extend(certs.into_iter().map(|der| crate::browser::nss::NssCert {
                der,
                label: format!("{:?}\\{}", id.location, id.name),
                trust: *trust,
            }));
        }
    }
    (out, opened)
}
