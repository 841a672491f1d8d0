//! The world's simulated system layer: PC/SC, USB, the in-memory files of the
//! component's install, processes, sockets and the resolver.

use super::*;

pub(super) fn simulated_system(
    spec: &WorldSpec,
    pcsc: Arc<SimPcsc>,
    files: MemFiles,
    (certs, root_pem): (&CertSet, &str),
) -> System {
    let procs: Vec<ProcInfo> = spec
        .processes
        .iter()
        .map(|(pid, p)| ProcInfo {
            pid: *pid,
            name: p.name.clone(),
            exe: p.exe.clone(),
        })
        .collect();
    let listeners = spec
        .listeners
        .iter()
        .filter_map(|(addr, l)| {
            let holder = match l {
                ListenerSpec::Pid(pid) => Holder::Pid(*pid),
                ListenerSpec::Word(_) => Holder::Hidden,
            };
            Some((addr.parse().ok()?, holder))
        })
        .collect();
    let resolver = spec
        .resolver
        .iter()
        .map(|(host, r)| {
            let answer = match r {
                ResolveSpec::Addresses(a) => Lookup::Found(a.clone()),
                ResolveSpec::Word(w) if w == "timeout" => Lookup::TimedOut,
                ResolveSpec::Word(_) => Lookup::NotFound("Name or service not known".into()),
            };
            (host.to_ascii_lowercase(), answer)
        })
        .collect();
    let usb = spec
        .usb
        .iter()
        .map(|u| UsbDevice {
            vendor: u16::from_str_radix(&u.vendor, 16).unwrap_or_default(),
            product: u16::from_str_radix(&u.product, 16).unwrap_or_default(),
            name: u.name.clone(),
            smartcard_interface: u.smartcard,
            problem: u.problem,
        })
        .collect();
    System {
        pcsc,
        usb: Arc::new(SimUsb(usb)),
        files: Arc::new(files),
        procs: Arc::new(SimProcesses(procs.clone())),
        sockets: Arc::new(SimSockets { listeners, procs }),
        resolver: Arc::new(SimResolver(resolver)),
        simulated: true,
        user: None,
        registry: Arc::new(registry(spec)),
        // Only a Windows machine has Windows certificate stores.
        cert_stores: if spec.os == Os::Windows {
            Arc::new(cert_stores(spec, certs, root_pem))
        } else {
            Arc::new(crate::system::certstore::NoCertStores)
        },
    }
}

/// `CurrentUser/ROOT` → the store Chrome reads by that name.
pub(super) fn store_id(label: &str) -> Option<crate::system::certstore::StoreId> {
    crate::system::certstore::CHROME_STORES
        .iter()
        .map(|(id, _)| *id)
        .find(|id| format!("{:?}/{}", id.location, id.name).eq_ignore_ascii_case(label))
}

/// `HKLM\SOFTWARE\…` → (the hive, the path under it).
pub(super) fn hive_and_path(key: &str) -> Option<(crate::system::registry::Hive, &str)> {
    use crate::system::registry::Hive;
    let (hive, path) = key.split_once('\\')?;
    match hive.to_ascii_uppercase().as_str() {
        "HKLM" => Some((Hive::LocalMachine, path)),
        "HKCU" => Some((Hive::CurrentUser, path)),
        _ => None,
    }
}

fn cert_stores(
    spec: &WorldSpec,
    certs: &CertSet,
    root_pem: &str,
) -> crate::system::certstore::MemCertStores {
    let mut out = Vec::new();
    for (label, trusts) in &spec.cert_stores {
        let Some(id) = store_id(label) else { continue };
        for (der, _, _) in trust_entries(trusts, certs, root_pem) {
            out.push((id, der));
        }
    }
    crate::system::certstore::MemCertStores(out)
}

/// The world's registry: each key with its values, and the keys under it as its subkeys.
fn registry(spec: &WorldSpec) -> crate::system::registry::MemRegistry {
    use crate::system::registry::{MemRegistry, RegKey, RegValue};
    let value = |v: &RegSpec| match v {
        RegSpec::Number(n) => RegValue::Number(*n),
        RegSpec::Text(t) => RegValue::Text(t.clone()),
    };
    let values = |m: &std::collections::BTreeMap<String, RegSpec>| {
        m.iter()
            .map(|(n, v)| (n.clone(), value(v)))
            .collect::<Vec<_>>()
    };
    let mut reg = MemRegistry::default();
    for (key, vals) in &spec.registry {
        let Some((hive, path)) = hive_and_path(key) else {
            continue;
        };
        let prefix = format!("{}\\", key.to_ascii_lowercase());
        let subkeys = spec
            .registry
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.to_ascii_lowercase().strip_prefix(&prefix)?.to_string();
                (!rest.contains('\\')).then(|| (k[prefix.len()..].to_string(), values(v)))
            })
            .collect();
        reg.insert(
            hive,
            path,
            RegKey {
                values: values(vals),
                subkeys,
            },
        );
    }
    reg
}

/// `"2.29"` → (2, 29).
pub(super) fn glibc_release(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// The simulated disk: the component's install (per OS), the loader's libraries, the
/// hosts file and any other files the world lists.
pub(super) fn mem_files(spec: &WorldSpec, certs: &CertSet, root_pem: &str) -> MemFiles {
    let mut f = MemFiles::new();
    let (class, machine) = elf::host_target();
    let lib_dir = libs::standard_dirs(class, machine)
        .into_iter()
        .next()
        .unwrap_or_else(|| PathBuf::from("/usr/lib"));
    f.insert(
        elf::loader_for(class, machine),
        elf::library(class, machine),
        0o755,
    );
    for lib in &spec.libraries {
        let bytes = match spec.glibc.as_deref().and_then(glibc_release) {
            Some((major, minor)) if lib == "libc.so.6" => {
                elf::library_defining(class, machine, lib, &elf::glibc_versions(major, minor))
            }
            _ => elf::library(class, machine),
        };
        f.insert(lib_dir.join(lib), bytes, 0o644);
    }
    f.insert(
        "/etc/ld.so.conf",
        "include /etc/ld.so.conf.d/*.conf\n",
        0o644,
    );
    f.insert(
        "/etc/ld.so.conf.d/libc.conf",
        "# libc default configuration\n/usr/local/lib\n",
        0o644,
    );

    let c = &spec.component;
    let install = Path::new(INSTALL_DIR);
    if c.installed {
        // An empty install folder still shows as a folder.
        f.insert(install.join(".installed"), Vec::new(), 0o644);
        if let Some(name) = &c.binary {
            // `elf: false` is what a failed download leaves where the program should be.
            let bytes = match (c.elf, spec.os) {
                (false, _) => b"<html><body>404 Not Found</body></html>\n".to_vec(),
                (true, Os::Linux) => {
                    // The oldest version every x86-64 binary needs, and the newest this one does.
                    let version_needs = c
                        .glibc
                        .iter()
                        .map(|v| VersionNeed {
                            file: "libc.so.6".into(),
                            versions: vec!["GLIBC_2.2.5".into(), format!("GLIBC_{v}")],
                        })
                        .collect();
                    elf::executable(&elf::Spec {
                        class,
                        machine,
                        interp: Some(elf::loader_for(class, machine).into()),
                        needed: c.needs.clone(),
                        runpath: None,
                        version_needs,
                    })
                }
                (true, Os::Macos) => {
                    b"\xcf\xfa\xed\xfe(the demo component's Mach-O program)".to_vec()
                }
                (true, Os::Windows) => b"MZ\x90\x00(the demo component's Windows program)".to_vec(),
            };
            f.insert(
                install.join(name),
                bytes,
                u32::from_str_radix(&c.mode, 8).unwrap_or(0o755),
            );
        }
        for cert in &c.certs {
            let text = match cert.as_str() {
                "NHIRootCA.crt" => root_pem.to_string(),
                "NHIServerCert.crt" => certs.leaf_pem.clone(),
                // The demo never needs the key itself; the check only looks that it is there.
                _ => "-----BEGIN PRIVATE KEY-----\n(demo: a stand-in, not a key)\n-----END PRIVATE KEY-----\n".to_string(),
            };
            f.insert(install.join("cert").join(cert), text, 0o644);
        }
        if c.service_unit && spec.os == Os::Linux {
            let unit = format!(
                "[Unit]\nDescription=NHI card component\n\n[Service]\nType=forking\nWorkingDirectory={INSTALL_DIR}\nExecStart={INSTALL_DIR}/{}\n\n[Install]\nWantedBy=multi-user.target\n",
                c.binary.as_deref().unwrap_or("mLNHIICC")
            );
            f.insert("/etc/systemd/system/NHIICC.service", unit, 0o644);
        }
    }
    if let Some(h) = &spec.hosts {
        let path = if spec.os == Os::Windows {
            crate::probes::name_resolution::WINDOWS_HOSTS
        } else {
            "/etc/hosts"
        };
        f.insert(path, h.as_str(), 0o644);
    }
    for (path, text) in &spec.files {
        f.insert(path, text.as_str(), 0o644);
    }
    for (dir, trusts) in &spec.nss {
        f.insert(
            Path::new(dir).join("cert9.db"),
            nss_db(trusts, certs, root_pem),
            0o600,
        );
    }
    f
}

/// A `cert9.db` trusting what the world says, as `certutil -A` would have left it.
fn nss_db(trusts: &[NssTrust], certs: &CertSet, root_pem: &str) -> Vec<u8> {
    crate::sim::nssdb::cert9(&trust_entries(trusts, certs, root_pem))
}

/// What a trust list names, as certificates: the install's root as a CA, the component's
/// own certificate as a peer.
fn trust_entries(
    trusts: &[NssTrust],
    certs: &CertSet,
    root_pem: &str,
) -> Vec<(Vec<u8>, String, crate::browser::nss::ServerTrust)> {
    use crate::browser::nss::ServerTrust;
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let mut entries = Vec::new();
    for t in trusts {
        match t {
            NssTrust::ComponentRoot => entries.extend(
                CertificateDer::pem_slice_iter(root_pem.as_bytes())
                    .filter_map(Result::ok)
                    .map(|c| (c.to_vec(), "NHIRootCA".to_string(), ServerTrust::Anchor)),
            ),
            NssTrust::ServerCert => entries.extend(
                certs
                    .chain
                    .first()
                    .map(|l| (l.to_vec(), "NHIServerCert".to_string(), ServerTrust::Peer)),
            ),
        }
    }
    entries
}
