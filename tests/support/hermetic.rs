//! The environment a test gives the binary (directly or through a tmux server): nothing
//! from the machine the tests run on that the product reads and a test does not set on
//! purpose. A developer's shell (or a CI runner behind a proxy) must not change a result.

#![allow(dead_code)]

use std::process::Command;

/// Read by the product (verifier settings, proxies, trust store, PC/SC socket, locale,
/// colour); a test that wants one sets it explicitly after [`clean`].
const LEAKY: &[&str] = &[
    "LC_ALL",
    "LC_MESSAGES",
    "NO_COLOR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "PCSCLITE_CSOCK_NAME",
];

/// Every `ECPA_DOCTOR_*` variable (the verifier's organisation settings and whatever is
/// added later) and the variables in [`LEAKY`], in any case (`https_proxy` too).
fn leaky(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("ECPA_DOCTOR_") || LEAKY.contains(&upper.as_str())
}

/// Removes the leaky variables and sets a neutral UTF-8 locale (Chinese by default).
pub fn clean(cmd: &mut Command) -> &mut Command {
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_some_and(leaky) {
            cmd.env_remove(&name);
        }
    }
    cmd.env("LANG", "C.UTF-8")
}
