//! The world's files on disk: the component's root and known certificates, the
//! maintenance windows, the verifier config and the downloads folder.

use super::*;

pub(super) fn write_disk_files(
    spec: &WorldSpec,
    dir: &Path,
    servers: &Servers,
    root_pem: &str,
    id: &str,
) -> Result<DiskFiles, String> {
    let generation = CertGeneration::parse(&spec.bridge.certs).ok_or("certificate generation")?;
    let certs = &servers.certs;
    let d = DiskFiles {
        root_ca: dir.join("NHIRootCA.crt"),
        known_certs: dir.join("tls-known-certs.yaml"),
        windows: dir.join("maintenance-windows.yaml"),
        downloads: dir.join("Downloads"),
        verifier_config: write_verifier_config(spec.verifier.config, dir, servers)
            .map_err(io_error(id, "verifier config"))?,
    };
    // Without it in the install, the check finds no file there either.
    if spec.component.certs.iter().any(|c| c == "NHIRootCA.crt") {
        std::fs::write(&d.root_ca, root_pem).map_err(io_error(id, "root certificate"))?;
    }
    std::fs::write(&d.known_certs, known_certs_yaml(generation, certs))
        .map_err(io_error(id, "known certificates"))?;
    std::fs::write(&d.windows, windows_yaml(spec.maintenance.as_ref()))
        .map_err(io_error(id, "maintenance windows"))?;
    write_downloads(&d.downloads, &spec.downloads).map_err(io_error(id, "download folder"))?;
    Ok(d)
}

/// The agency's verifier config as this world has it: the fake service's address, the
/// demo's organisation id and secret, and the fake's CA to trust.
pub(super) fn write_verifier_config(
    setup: VerifierSetup,
    dir: &Path,
    servers: &Servers,
) -> std::io::Result<Option<PathBuf>> {
    if setup == VerifierSetup::Missing {
        return Ok(None);
    }
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut text = format!(
        "# ecpa-doctor demo: a fake of NHI's UserSign service on this computer\nendpoint: {}\norg_id: {}\nunit: demo\n",
        q(&servers.verifier_endpoint),
        q(DEMO_ORG_ID)
    );
    if setup != VerifierSetup::NoOrgPass {
        text.push_str(&format!("org_pass: {}\n", q(DEMO_ORG_PASS)));
    }
    if let Some(v) = &servers.verifier {
        let ca = dir.join("verifier-ca.pem");
        std::fs::write(&ca, v.ca_pem())?;
        text.push_str(&format!("ca_file: {}\n", q(&ca.display().to_string())));
    }
    let path = dir.join("verifier.yaml");
    std::fs::write(&path, text)?;
    Ok(Some(path))
}

/// The built-in list, plus the demo's stand-in for the 2019–2022 certificate when the
/// world uses that generation: its real counterpart cannot be served without the key
/// that shipped in the installers, so the demo makes its own and lists it the same way.
pub(super) fn known_certs_yaml(generation: CertGeneration, certs: &CertSet) -> String {
    let mut text = crate::probes::tls_certificate::KNOWN_CERTS_YAML.to_string();
    if generation == CertGeneration::Nhi2020
        && let Some(leaf) = certs.chain.first()
    {
        text.push_str(&format!(
            "\n- sha256: \"{}\"\n  label:\n    zh-TW: \"2019–2022 年版元件的伺服器憑證（示範用的替身，代表 CN=NHI.Self.Server.Cert；它的私鑰隨每一份安裝檔發出）\"\n    en: \"NHI component 2019–2022 server certificate (demo stand-in for CN=NHI.Self.Server.Cert; its key shipped in every installer)\"\n  shared_key: true\n",
            crate::bridge::tls::fingerprint(leaf)
        ));
    }
    text
}

pub(super) fn windows_yaml(m: Option<&MaintenanceSpec>) -> String {
    let Some(m) = m else { return "[]\n".into() };
    let now = chrono::Utc::now().with_timezone(&crate::probes::service_window::taipei());
    let at = |h: i64| {
        (now + chrono::Duration::hours(h))
            .format("%Y-%m-%dT%H:%M:00+08:00")
            .to_string()
    };
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut y = format!(
        "- service: {{ zh-TW: {}, en: {} }}\n  start: \"{}\"\n  end: \"{}\"\n",
        q(&m.service.zh_tw),
        q(&m.service.en),
        at(m.from_hours),
        at(m.to_hours)
    );
    if let Some(n) = &m.note {
        y.push_str(&format!(
            "  note: {{ zh-TW: {}, en: {} }}\n",
            q(&n.zh_tw),
            q(&n.en)
        ));
    }
    y
}

pub(super) fn write_downloads(
    dir: &Path,
    downloads: &BTreeMap<String, DownloadSpec>,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (name, d) in downloads {
        let path = dir.join(name);
        match d {
            DownloadSpec::Text { text } => std::fs::write(&path, text)?,
            // What antivirus quarantine can leave behind: a name whose content is gone.
            DownloadSpec::Word(_) => broken_link(&dir.join(format!(".{name}.quarantined")), &path)?,
        }
    }
    Ok(())
}

#[cfg(unix)]
pub(super) fn broken_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

/// Without symlinks, a folder under the installer's name is as unreadable as a file.
#[cfg(not(unix))]
pub(super) fn broken_link(_target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(link)
}
