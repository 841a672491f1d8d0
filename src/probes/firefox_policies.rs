//! What the three browser checks share (not a kind): Firefox's enterprise policies on the
//! OS a check looks at — the Linux policy files, or the Windows registry — read through the
//! system layer.

use crate::browser::firefox;
use crate::system::System;

/// The policy documents (`{"policies": …}`), in the order Firefox ranks them.
pub fn read(sys: &System, os: &str) -> Vec<serde_json::Value> {
    let files = sys.files.as_ref();
    firefox::policies(
        os,
        &|f| files.read(f, firefox::POLICY_FILE_MAX as u64).ok(),
        &|| crate::system::registry::firefox_policy_documents(sys.registry.as_ref()),
    )
}
