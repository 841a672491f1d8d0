//! The local half of the NHI component checks, run through the real binary against real
//! parts: install folders built in temp dirs (with daemons compiled here by `cc`, linked
//! against libraries that the loader will not find), real processes named like the
//! component listening on loopback, the test process itself as an impostor, hosts-file
//! fixtures with the real system resolver, and loopback ports for the outbound check.
//! Each test writes its own profile: the default one, reduced to the checks under test,
//! with parameters pointing at its fixtures. Linux only (/proc, ELF, cc).

#![cfg(target_os = "linux")]

use crate::support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Run, check, doctor, temp_dir, write_profile};

const PROFILE: &str = include_str!("../checks/ecpa-nhi-login.yaml");
const PYTHON: &str = "/usr/bin/python3";
/// Proxy variables set empty, so a proxy in the test environment cannot change a result.
const NO_PROXY_ENV: &[(&str, &str)] = &[
    ("HTTP_PROXY", ""),
    ("HTTPS_PROXY", ""),
    ("ALL_PROXY", ""),
    ("http_proxy", ""),
    ("https_proxy", ""),
    ("all_proxy", ""),
];

/// The default profile with only `keep` (their `needs` among each other kept), each
/// check's params replaced by the YAML mapping given.
fn profile(dir: &Path, keep: &[(&str, &str)]) -> String {
    let mut doc: serde_yaml::Value = serde_yaml::from_str(PROFILE).expect("default profile parses");
    let ids: Vec<&str> = keep.iter().map(|(id, _)| *id).collect();
    let checks = doc["checks"].as_sequence_mut().expect("checks");
    checks.retain(|c| c["id"].as_str().is_some_and(|id| ids.contains(&id)));
    assert_eq!(
        checks.len(),
        keep.len(),
        "a check to keep is not in the default profile: {ids:?}"
    );
    for c in checks.iter_mut() {
        let id = c["id"].as_str().unwrap().to_string();
        let params = keep.iter().find(|(i, _)| *i == id).unwrap().1;
        let m = c.as_mapping_mut().unwrap();
        m.insert(
            "params".into(),
            serde_yaml::from_str(params).expect("params YAML"),
        );
        if let Some(needs) = m.get_mut("needs").and_then(|n| n.as_sequence_mut()) {
            needs.retain(|n| n.as_str().is_some_and(|n| ids.contains(&n)));
        }
    }
    write_profile(dir, "profile.yaml", &serde_yaml::to_string(&doc).unwrap())
}

fn run_json(profile: &str, env: &[(&str, &str)]) -> (Run, serde_json::Value) {
    let r = doctor(
        &[
            "--report",
            "--format",
            "json",
            "--lang",
            "en",
            "--profile",
            profile,
        ],
        env,
    );
    let v = r.json();
    (r, v)
}

/// A temp dir of its own, removed when the test ends.
struct Fresh(PathBuf);

impl std::ops::Deref for Fresh {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fresh(tag: &str) -> Fresh {
    let d = temp_dir(tag);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    Fresh(d)
}

fn ev(c: &serde_json::Value, key: &str) -> String {
    c["evidence"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no evidence `{key}` in {c:#}"))
        .to_string()
}

fn assert_finding(v: &serde_json::Value, id: &str, finding: &str, r: &Run) {
    let c = check(v, id);
    assert_eq!(c["finding"], finding, "{r:?}");
    let steps = c["remedy"]["steps"]
        .as_array()
        .unwrap_or_else(|| panic!("no remedy: {c:#}"));
    assert!(steps.len() >= 2, "{c:#}");
}

// ─────────────────────────────── component_installed ───────────────────────────────

const CERTS: [&str; 3] = ["NHIServerCert.crt", "NHIServerCert.key", "NHIRootCA.crt"];

/// An install folder: `daemon` copied in as `mLNHIICC`, the cert files named in `certs`.
fn install_dir(root: &Path, daemon: &Path, certs: &[&str]) -> PathBuf {
    let dir = root.join("NHIICC");
    std::fs::create_dir_all(dir.join("cert")).unwrap();
    std::fs::copy(daemon, dir.join("mLNHIICC")).expect("copy the daemon");
    for c in certs {
        std::fs::write(
            dir.join("cert").join(c),
            b"-----BEGIN CERTIFICATE-----\nfixture\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
    }
    dir
}

fn installed_params(dir: &Path, extra: &str) -> String {
    format!(
        "{{ os: linux, install_dir: '{}', service_files: ['{}'] {extra} }}",
        dir.display(),
        dir.join("NHIICC.service").display()
    )
}

fn cc(args: &[&str]) {
    let out = Command::new("cc")
        .args(args)
        .output()
        .expect("`cc` (gcc) is needed for this test: apt install gcc");
    assert!(
        out.status.success(),
        "cc {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A daemon that needs `lib_soname`, a library built here in `<root>/libs` and left off
/// every search path the loader uses.
fn daemon_needing(root: &Path, lib_soname: &str) -> (PathBuf, PathBuf) {
    let libs = root.join("libs");
    std::fs::create_dir_all(&libs).unwrap();
    let src = root.join("stub.c");
    std::fs::write(&src, "int nhi_stub_answer(void) { return 42; }\n").unwrap();
    let lib = libs.join(lib_soname);
    cc(&[
        "-shared",
        "-fPIC",
        "-o",
        lib.to_str().unwrap(),
        &format!("-Wl,-soname,{lib_soname}"),
        src.to_str().unwrap(),
    ]);
    let main = root.join("main.c");
    std::fs::write(
        &main,
        "int nhi_stub_answer(void);\nint main(void) { return nhi_stub_answer() == 42 ? 0 : 1; }\n",
    )
    .unwrap();
    let bin = root.join("daemon");
    cc(&[
        "-o",
        bin.to_str().unwrap(),
        main.to_str().unwrap(),
        "-L",
        libs.to_str().unwrap(),
        &format!("-l:{lib_soname}"),
        "-Wl,--no-as-needed",
    ]);
    (bin, libs)
}

#[test]
fn a_complete_install_passes_with_its_evidence() {
    let root = fresh("inst-ok");
    let dir = install_dir(&root, Path::new("/bin/true"), &CERTS);
    std::fs::write(dir.join("NHIICC.service"), "[Service]\nWorkingDirectory=/usr/local/share/NHIICC\nExecStart=/usr/local/share/NHIICC/mLNHIICC\n").unwrap();
    let p = profile(
        &root,
        &[("component-installed", &installed_params(&dir, ""))],
    );
    let (r, v) = run_json(&p, &[]);
    let c = check(&v, "component-installed");
    assert_eq!(c["status"], "pass", "{r:?}");
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(ev(c, "elf"), "ELF64 x86-64");
    assert!(ev(c, "needed_libraries").contains("libc.so.6"), "{c:#}");
    // This machine's own libc, read for its version definitions.
    assert!(
        ev(c, "glibc_needed").starts_with("libc.so.6: GLIBC_2.")
            && ev(c, "glibc_system").starts_with("GLIBC_2."),
        "{c:#}"
    );
    assert_eq!(
        ev(c, "cert_files"),
        "NHIServerCert.crt: ok, NHIServerCert.key: ok, NHIRootCA.crt: ok"
    );
    assert!(
        ev(c, "service").ends_with("NHIICC.service (ExecStart=/usr/local/share/NHIICC/mLNHIICC)"),
        "{c:#}"
    );
}

#[test]
fn missing_certificate_files_are_the_abort_at_start() {
    let root = fresh("inst-nocert");
    let dir = install_dir(&root, Path::new("/bin/true"), &["NHIRootCA.crt"]);
    let p = profile(
        &root,
        &[
            ("component-installed", &installed_params(&dir, "")),
            ("component-running", "{ port: 1 }"),
        ],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.cert_missing", &r);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(v["root_cause"]["check"], "component-installed", "{r:?}");
    let c = check(&v, "component-installed");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("NHIServerCert.crt, NHIServerCert.key"),
        "{c:#}"
    );
    assert_eq!(
        ev(c, "cert_files"),
        "NHIServerCert.crt: missing, NHIServerCert.key: missing, NHIRootCA.crt: ok"
    );
    assert_eq!(
        check(&v, "component-running")["status"],
        "skipped",
        "running needs installed: {r:?}"
    );
}

#[test]
fn a_daemon_needing_openssl_1_0_is_the_old_build() {
    let root = fresh("inst-libssl");
    let (bin, libs) = daemon_needing(&root, "libssl.so.1.0.0");
    let dir = install_dir(&root, &bin, &CERTS);
    let p = profile(
        &root,
        &[("component-installed", &installed_params(&dir, ""))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.libssl_missing", &r);
    let c = check(&v, "component-installed");
    assert_eq!(ev(c, "missing_libraries"), "libssl.so.1.0.0", "{c:#}");
    assert!(
        c["remedy"]["links"]
            .to_string()
            .contains("CMS_mNHIICC_Setup.Linux.zip"),
        "the fix is the current component: {c:#}"
    );

    // The same daemon with its library directory on the search path: found, so passes.
    let with_dir = format!(
        ", library_dirs: ['{}', /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64, /lib, /usr/lib]",
        libs.display()
    );
    let p = profile(
        &root,
        &[("component-installed", &installed_params(&dir, &with_dir))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_eq!(check(&v, "component-installed")["status"], "pass", "{r:?}");
}

#[test]
fn the_red_hat_build_needing_libssl_so_10_is_the_old_build_too() {
    let root = fresh("inst-libssl10");
    let (bin, _) = daemon_needing(&root, "libssl.so.10");
    let dir = install_dir(&root, &bin, &CERTS);
    let p = profile(
        &root,
        &[("component-installed", &installed_params(&dir, ""))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.libssl_missing", &r);
    let c = check(&v, "component-installed");
    assert_eq!(ev(c, "missing_libraries"), "libssl.so.10", "{c:#}");
    assert!(
        c["summary"].as_str().unwrap().contains("libssl.so.10"),
        "{c:#}"
    );
}

#[test]
fn another_missing_library_is_named() {
    let root = fresh("inst-lib");
    let (bin, _) = daemon_needing(&root, "libnhihelper.so.2");
    let dir = install_dir(&root, &bin, &CERTS);
    let p = profile(
        &root,
        &[("component-installed", &installed_params(&dir, ""))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.lib_missing", &r);
    let c = check(&v, "component-installed");
    assert_eq!(ev(c, "missing_libraries"), "libnhihelper.so.2");
    assert!(
        c["summary"].as_str().unwrap().contains("libnhihelper.so.2"),
        "{c:#}"
    );
}

/// A daemon built like the 2024 component's ELF (interpreter of this machine, NEEDED
/// libc.so.6) needing `GLIBC_2.2.5` and `newest` from it, installed with all certs, and a
/// library folder whose synthetic libc.so.6 defines GLIBC versions up to 2.36; the params
/// make that folder the loader's only one.
fn glibc_install(root: &Path, newest: &str) -> String {
    use ecpa_doctor::component::elf::VersionNeed;
    use ecpa_doctor::sim::elf as sim;
    use std::os::unix::fs::PermissionsExt;
    let (class, machine) = sim::host_target();
    let version_needs = vec![VersionNeed {
        file: "libc.so.6".into(),
        versions: vec!["GLIBC_2.2.5".into(), newest.into()],
    }];
    let spec = sim::Spec {
        class,
        machine,
        interp: Some(sim::loader_for(class, machine).into()),
        needed: vec!["libc.so.6".into()],
        runpath: None,
        version_needs,
    };
    let daemon = root.join("daemon");
    std::fs::write(&daemon, sim::executable(&spec)).unwrap();
    std::fs::set_permissions(&daemon, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = install_dir(root, &daemon, &CERTS);
    let libs = root.join("syslib");
    std::fs::create_dir_all(&libs).unwrap();
    std::fs::write(
        libs.join("libc.so.6"),
        sim::library_defining(class, machine, "libc.so.6", &sim::glibc_versions(2, 36)),
    )
    .unwrap();
    installed_params(
        &dir,
        &format!(
            ", library_dirs: ['{}'], ld_so_conf: '{}'",
            libs.display(),
            root.join("no-ld.so.conf").display()
        ),
    )
}

#[test]
fn a_daemon_needing_a_newer_glibc_than_the_system_has_cannot_start() {
    let root = fresh("inst-glibc");
    let p = profile(
        &root,
        &[("component-installed", &glibc_install(&root, "GLIBC_2.99"))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.glibc_too_old", &r);
    assert_eq!(r.code, 1, "{r:?}");
    let c = check(&v, "component-installed");
    let summary = c["summary"].as_str().unwrap();
    assert!(
        summary.contains("glibc 2.99") && summary.contains("2.36"),
        "{c:#}"
    );
    assert_eq!(ev(c, "glibc_needed"), "libc.so.6: GLIBC_2.2.5, GLIBC_2.99");
    assert_eq!(
        ev(c, "glibc_system"),
        format!("GLIBC_2.36 ({})", root.join("syslib/libc.so.6").display())
    );
    assert!(
        c["remedy"]["steps"].to_string().contains("Ubuntu 20.04"),
        "{c:#}"
    );

    // What the 2024 build needs, 2.29, is below 2.36 as a number (though not as text).
    let p = profile(
        &root,
        &[("component-installed", &glibc_install(&root, "GLIBC_2.29"))],
    );
    let (r, v) = run_json(&p, &[]);
    let c = check(&v, "component-installed");
    assert_eq!(c["status"], "pass", "{r:?}");
    assert_eq!(ev(c, "glibc_needed"), "libc.so.6: GLIBC_2.2.5, GLIBC_2.29");
}

#[test]
fn no_install_folder_or_no_daemon_in_it_is_not_installed() {
    let root = fresh("inst-none");
    let p = profile(
        &root,
        &[(
            "component-installed",
            &installed_params(&root.join("nowhere"), ""),
        )],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.not_installed", &r);
    assert!(
        ev(check(&v, "component-installed"), "install_dir").ends_with("(missing)"),
        "{r:?}"
    );

    std::fs::create_dir_all(root.join("empty")).unwrap();
    let p = profile(
        &root,
        &[(
            "component-installed",
            &installed_params(&root.join("empty"), ""),
        )],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.not_installed", &r);
    assert!(
        check(&v, "component-installed")["summary"]
            .as_str()
            .unwrap()
            .contains("holds no component program"),
        "{r:?}"
    );
}

#[test]
fn a_garbled_daemon_is_a_finding_not_a_crash() {
    let root = fresh("inst-garbled");
    let junk = root.join("junk");
    let mut bytes = b"\x7fELF\x02\x01\x01".to_vec();
    bytes.extend((0..4000u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8));
    std::fs::write(&junk, &bytes).unwrap();
    let dir = install_dir(&root, &junk, &CERTS);
    let p = profile(
        &root,
        &[("component-installed", &installed_params(&dir, ""))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.binary_bad", &r);
}

#[test]
fn two_macos_launch_daemons_are_found_through_the_binary() {
    let root = fresh("inst-mac");
    let ld = root.join("LaunchDaemons");
    std::fs::create_dir_all(&ld).unwrap();
    std::fs::create_dir_all(root.join("NHIICC")).unwrap();
    std::fs::write(root.join("NHIICC/nhiicc"), b"\xcf\xfa\xed\xfe").unwrap();
    for (file, label) in [
        ("tw.gov.nhi.nhiicc2019.plist", "tw.gov.nhi.nhiicc2019.plist"),
        ("tw.gov.nhi.nhiicc2023.plist", "tw.gov.nhi.nhiicc.plist"),
    ] {
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<plist version=\"1.0\"><dict><key>Label</key><string>{label}</string><key>Program</key><string>/usr/local/share/NHIICC/nhiicc</string></dict></plist>\n"
        );
        std::fs::write(ld.join(file), xml).unwrap();
    }
    let params = format!(
        "{{ os: macos, install_dir: '{}', launch_daemons_dir: '{}' }}",
        root.join("NHIICC").display(),
        ld.display()
    );
    let p = profile(&root, &[("component-installed", &params)]);
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-installed", "component.duplicate_daemons", &r);
    let c = check(&v, "component-installed");
    assert_eq!(c["status"], "warn", "{r:?}");
    assert!(
        ev(c, "launchctl").contains("sudo launchctl print system/tw.gov.nhi.nhiicc.plist"),
        "{c:#}"
    );
}

// ─────────────────────────────── component_running ───────────────────────────────

/// A child killed when the test ends, pass or fail.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `program` started under the name `name` (a symlink: the kernel names the process after
/// the path it was started by).
fn spawn_named(dir: &Path, name: &str, program: &str, args: &[&str]) -> Reaped {
    assert!(
        Path::new(program).exists(),
        "{program} is needed for this test"
    );
    let link = dir.join(name);
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(program, &link).unwrap();
    Reaped(
        Command::new(&link)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the process"),
    )
}

/// A python3 named `name` listening on an ephemeral 127.0.0.1 port; returns it and the port.
fn listener_named(dir: &Path, name: &str) -> (Reaped, u16) {
    let script = "import socket,sys,time\ns=socket.socket()\ns.bind(('127.0.0.1',0))\ns.listen(1)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(120)\n";
    let mut child = spawn_named(dir, name, PYTHON, &["-c", script]);
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.0.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("python printed {line:?}"));
    (child, port)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn running_params(port: u16, extra: &str) -> String {
    format!("{{ port: {port} {extra} }}")
}

#[test]
fn the_component_on_its_port_passes_naming_it() {
    let root = fresh("run-ok");
    let (child, port) = listener_named(&root, "mLNHIICC");
    let p = profile(&root, &[("component-running", &running_params(port, ""))]);
    let (r, v) = run_json(&p, &[]);
    let c = check(&v, "component-running");
    assert_eq!(c["status"], "pass", "{r:?}");
    let pid = child.0.id();
    assert!(
        ev(c, "port_owner").starts_with(&format!("mLNHIICC (PID {pid}")),
        "{c:#}"
    );
    assert_eq!(ev(c, "listener"), format!("127.0.0.1:{port} (loopback)"));
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("PID {pid}")),
        "{c:#}"
    );
}

#[test]
fn another_program_on_the_port_is_an_impostor() {
    let root = fresh("run-impostor");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let p = profile(&root, &[("component-running", &running_params(port, ""))]);
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.impostor", &r);
    let c = check(&v, "component-running");
    let me = std::process::id();
    let comm = std::fs::read_to_string("/proc/self/comm")
        .unwrap()
        .trim()
        .to_string();
    assert!(
        ev(c, "port_owner").starts_with(&format!("{comm} (PID {me}")),
        "{c:#}"
    );
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("“{comm}” (PID {me})")),
        "{c:#}"
    );
    drop(l);
}

#[test]
fn a_python_impostor_is_named() {
    let root = fresh("run-py");
    let (child, port) = listener_named(&root, "fake-bridge");
    let p = profile(&root, &[("component-running", &running_params(port, ""))]);
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.impostor", &r);
    assert!(
        ev(check(&v, "component-running"), "port_owner")
            .starts_with(&format!("fake-bridge (PID {}", child.0.id())),
        "{r:?}"
    );
}

#[test]
fn nothing_listening_and_no_process_is_not_running_with_the_log_as_evidence() {
    let root = fresh("run-down");
    let logs = root.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("mNHIICC.err.20261126.log"),
        "20261126:090000,This is the main process.\r\n: Bad file descriptor\n",
    )
    .unwrap();
    std::fs::write(
        logs.join("mNHIICC.err.20261127.log"),
        "20261127:152335,begin SSL_CTX_use_certificate_file: Success\n20261127:152335,SSL_CTX_use_certificate_file 1 fail \r\n: No such file or directory\n",
    )
    .unwrap();
    std::fs::write(root.join("exampled.lock"), "4000000\n").unwrap();
    let extra = format!(
        ", process_names: [nhiicc-absent-test], lock_file: '{}', log_dir: '{}'",
        root.join("exampled.lock").display(),
        logs.display()
    );
    let p = profile(
        &root,
        &[("component-running", &running_params(free_port(), &extra))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.not_running", &r);
    let c = check(&v, "component-running");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("could not load its certificate files"),
        "{c:#}"
    );
    assert!(
        ev(c, "log_file").ends_with("mNHIICC.err.20261127.log"),
        "the newest day: {c:#}"
    );
    assert!(
        ev(c, "log_tail")
            .contains("SSL_CTX_use_certificate_file 1 fail : No such file or directory"),
        "{c:#}"
    );
    assert!(
        ev(c, "lock_file").ends_with("PID 4000000 (no such process: left over)"),
        "{c:#}"
    );

    // Without a log: the plain finding, and the lock file's absence as evidence.
    let extra = format!(
        ", process_names: [nhiicc-absent-test], lock_file: '{}', log_dir: '{}'",
        root.join("none.lock").display(),
        root.join("nologs").display()
    );
    let p = profile(
        &root,
        &[("component-running", &running_params(free_port(), &extra))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.not_running", &r);
    let c = check(&v, "component-running");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .starts_with("The NHI component is not running and nothing listens"),
        "{c:#}"
    );
    assert!(ev(c, "lock_file").ends_with("none.lock: missing"), "{c:#}");
}

#[test]
fn a_running_component_without_its_port_is_not_listening() {
    let root = fresh("run-nolisten");
    let child = spawn_named(&root, "mLNHIICC", "/bin/sleep", &["120"]);
    let pid = child.0.id();
    std::fs::write(root.join("exampled.lock"), format!("{pid}\n")).unwrap();
    // The process table must show it before the doctor looks.
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim() != "mLNHIICC")
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "the process never took its name");
        std::thread::sleep(Duration::from_millis(20));
    }
    let extra = format!(
        ", lock_file: '{}', log_dir: '{}'",
        root.join("exampled.lock").display(),
        root.display()
    );
    let p = profile(
        &root,
        &[("component-running", &running_params(free_port(), &extra))],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.not_listening", &r);
    let c = check(&v, "component-running");
    assert!(
        ev(c, "component_process").contains(&format!("mLNHIICC (PID {pid}")),
        "{c:#}"
    );
    assert!(
        ev(c, "lock_file").ends_with(&format!("PID {pid} (running: mLNHIICC)")),
        "{c:#}"
    );
}

// ─────────────────────────────── name_resolution ───────────────────────────────

/// A name nobody resolves (reserved TLD), so the system resolver adds nothing and the
/// hosts fixture decides, on any machine, even one with the real component's hosts line.
const TEST_HOST: &str = "iccert.doctor-test.invalid";

fn resolution(tag: &str, hosts: &str, host: &str) -> (Run, serde_json::Value) {
    let root = fresh(tag);
    let file = root.join("hosts");
    std::fs::write(&file, hosts).unwrap();
    let params = format!("{{ host: '{host}', hosts_file: '{}' }}", file.display());
    let p = profile(&root, &[("name-resolution", &params)]);
    run_json(&p, &[])
}

#[test]
fn a_loopback_hosts_line_passes_and_is_shown() {
    let (r, v) = resolution(
        "res-ok",
        &format!("127.0.0.1 localhost\n\n127.0.0.1    {TEST_HOST}\n"),
        TEST_HOST,
    );
    let c = check(&v, "name-resolution");
    assert_eq!(c["status"], "pass", "{r:?}");
    assert_eq!(
        ev(c, "hosts_line"),
        format!("line 3: 127.0.0.1    {TEST_HOST}")
    );
    assert!(
        ev(c, "resolver").starts_with("no address"),
        "the real resolver was asked: {c:#}"
    );
}

#[test]
fn no_hosts_line_is_the_missing_entry_with_the_line_to_add() {
    let (r, v) = resolution(
        "res-missing",
        "127.0.0.1 localhost\n# 127.0.0.1 iccert.doctor-test.invalid\n",
        TEST_HOST,
    );
    assert_finding(&v, "name-resolution", "resolve.missing", &r);
    let c = check(&v, "name-resolution");
    assert_eq!(ev(c, "expected_line"), format!("127.0.0.1    {TEST_HOST}"));
    assert_eq!(ev(c, "hosts_line"), "none");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains(&format!("“127.0.0.1    {TEST_HOST}”")),
        "{c:#}"
    );
}

#[test]
fn an_address_of_another_machine_is_a_security_finding() {
    let (r, v) = resolution(
        "res-off",
        &format!("127.0.0.1 localhost\n203.0.113.7 {TEST_HOST}\n"),
        TEST_HOST,
    );
    assert_finding(&v, "name-resolution", "resolve.off_machine", &r);
    let c = check(&v, "name-resolution");
    assert!(
        c["summary"].as_str().unwrap().contains("203.0.113.7")
            && c["summary"].as_str().unwrap().contains("password"),
        "{c:#}"
    );
    assert_eq!(
        ev(c, "hosts_line"),
        format!("line 2: 203.0.113.7 {TEST_HOST}")
    );
    assert_eq!(ev(c, "off_machine_source"), "hosts");
    assert_eq!(r.code, 1, "{r:?}");
}

#[test]
fn ipv6_loopback_only_warns() {
    let (r, v) = resolution("res-v6", &format!("::1 {TEST_HOST}\n"), TEST_HOST);
    assert_finding(&v, "name-resolution", "resolve.ipv6_only", &r);
    assert_eq!(check(&v, "name-resolution")["status"], "warn", "{r:?}");
}

#[test]
fn the_system_resolver_answer_counts_too() {
    // Nothing in the fixture; the real resolver knows localhost.
    let (r, v) = resolution("res-sys", "# empty\n", "localhost");
    let c = check(&v, "name-resolution");
    assert_eq!(c["status"], "pass", "{r:?}");
    assert!(ev(c, "resolver").contains("127.0.0.1"), "{c:#}");
}

// ─────────────────────────────── outbound_reach ───────────────────────────────

fn outbound(tag: &str, host: &str, port: u16, env: &[(&str, &str)]) -> (Run, serde_json::Value) {
    let root = fresh(tag);
    let params = format!("{{ host: '{host}', port: {port}, connect_timeout: 2s }}");
    let p = profile(&root, &[("outbound-reach", &params)]);
    run_json(&p, env)
}

#[test]
fn a_listening_port_is_reached() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let (r, v) = outbound("out-ok", "127.0.0.1", port, NO_PROXY_ENV);
    let c = check(&v, "outbound-reach");
    assert_eq!(c["status"], "pass", "{r:?}");
    assert!(
        ev(c, "connected_to").starts_with(&format!("127.0.0.1:{port} in ")),
        "{c:#}"
    );
    assert!(c["evidence"].get("proxy_env").is_none(), "{c:#}");
    assert_eq!(r.code, 0, "{r:?}");
}

#[test]
fn a_closed_port_is_unreachable_and_only_warns() {
    let t0 = Instant::now();
    let (r, v) = outbound("out-closed", "127.0.0.1", free_port(), NO_PROXY_ENV);
    assert_finding(&v, "outbound-reach", "outbound.unreachable", &r);
    let c = check(&v, "outbound-reach");
    assert_eq!(c["status"], "warn", "advisory: {r:?}");
    assert_eq!(r.code, 2, "warnings only: {r:?}");
    assert!(ev(c, "connect_error").contains("refused"), "{c:#}");
    assert!(c["summary"].as_str().unwrap().contains("4061"), "{c:#}");
    assert!(t0.elapsed() < Duration::from_secs(20), "does not hang");
}

#[test]
fn an_unknown_name_is_no_dns() {
    let (r, v) = outbound(
        "out-dns",
        "cloudicap.doctor-test.invalid",
        443,
        NO_PROXY_ENV,
    );
    assert_finding(&v, "outbound-reach", "outbound.no_dns", &r);
    assert!(
        ev(check(&v, "outbound-reach"), "resolver").starts_with("no "),
        "{r:?}"
    );
}

#[test]
fn proxy_variables_are_noted_with_passwords_masked() {
    let mut env = NO_PROXY_ENV.to_vec();
    env.push(("https_proxy", "http://alice:s3cret@proxy.example:3128"));
    let (r, v) = outbound("out-proxy", "127.0.0.1", free_port(), &env);
    assert_finding(&v, "outbound-reach", "outbound.unreachable", &r);
    let c = check(&v, "outbound-reach");
    assert_eq!(
        ev(c, "proxy_env"),
        "https_proxy=http://alice:***@proxy.example:3128"
    );
    assert!(
        c["summary"].as_str().unwrap().contains("does not use"),
        "{c:#}"
    );
    assert!(!r.stdout.contains("s3cret"), "{r:?}");
}

// ─────────────────────── the real component's start-up, modelled ───────────────────────

const MODEL: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/support/mlnhiicc_model.py"
);

/// Where a model daemon keeps its files, and the port it listens on.
struct ModelSite {
    root: Fresh,
    port: u16,
}

impl ModelSite {
    fn new(tag: &str, certs: &[&str]) -> ModelSite {
        let root = fresh(tag);
        std::fs::create_dir_all(root.join("cert")).unwrap();
        std::fs::create_dir_all(root.join("logs")).unwrap();
        for c in certs {
            std::fs::write(root.join("cert").join(c), b"fixture\n").unwrap();
        }
        ModelSite {
            root,
            port: free_port(),
        }
    }

    fn lock(&self) -> PathBuf {
        self.root.join("exampled.lock")
    }

    /// Starts the model as `name`, as `start.sh` starts the component: waits for the
    /// foreground process, which exits at once.
    fn start(&self, name: &str) -> std::process::Output {
        assert!(
            Path::new(PYTHON).exists(),
            "{PYTHON} is needed for this test"
        );
        let link = self.root.join(name);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(PYTHON, &link).unwrap();
        Command::new(&link)
            .arg(MODEL)
            .env("NHIICC_MODEL_CERT_DIR", self.root.join("cert"))
            .env("NHIICC_MODEL_LOCK", self.lock())
            .env("NHIICC_MODEL_LOG_DIR", self.root.join("logs"))
            .env("NHIICC_MODEL_STOP_LOG", self.root.join("exampled.log"))
            .env("NHIICC_MODEL_PORT", self.port.to_string())
            .output()
            .expect("start the component model")
    }

    /// The daemon's PID, once its lock file holds one.
    fn daemon_pid(&self) -> u32 {
        wait_for(
            || {
                std::fs::read_to_string(self.lock())
                    .ok()?
                    .trim()
                    .parse()
                    .ok()
            },
            "the daemon never wrote its PID into the lock file",
        )
    }

    fn params(&self, extra: &str) -> String {
        let r = &self.root;
        running_params(
            self.port,
            &format!(
                ", lock_file: '{}', log_dir: '{}', stop_log: '{}'{extra}",
                self.lock().display(),
                r.join("logs").display(),
                r.join("exampled.log").display()
            ),
        )
    }
}

/// Polls until `f` gives a value (15 s at most: generous for a loaded 2-core machine).
fn wait_for<T>(mut f: impl FnMut() -> Option<T>, what: &str) -> T {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Gone or a zombie (a reparented daemon whose new parent does not reap it).
fn is_dead(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// Stops a model daemon this test started, by its PID, as `kill $(cat /tmp/exampled.lock)`.
struct Daemon(u32);

impl Drop for Daemon {
    fn drop(&mut self) {
        if !is_dead(self.0) {
            let _ = Command::new("kill")
                .args(["-TERM", &self.0.to_string()])
                .status();
        }
    }
}

#[test]
fn the_component_daemonizes_and_is_found_by_its_listener_and_lock_not_its_exit_code() {
    let site = ModelSite::new("model-up", &CERTS);
    let first = site.start("mLNHIICC");
    assert_eq!(first.status.code(), Some(0), "{first:?}");
    assert_eq!(
        String::from_utf8_lossy(&first.stdout),
        "gnu_get_libc_version() = 2.36\n"
    );
    let daemon = Daemon(site.daemon_pid());
    wait_for(
        || std::net::TcpStream::connect(("127.0.0.1", site.port)).ok(),
        "the daemon never listened",
    );

    // A second start prints the same, exits 0, and its daemon leaves: the lock is held.
    let second = site.start("mLNHIICC");
    assert_eq!(
        (second.status.code(), second.stdout),
        (Some(0), first.stdout)
    );
    let p = profile(&site.root, &[("component-running", &site.params(""))]);
    let (r, v) = run_json(&p, &[]);
    let c = check(&v, "component-running");
    assert_eq!(c["status"], "pass", "{r:?}");
    assert_eq!(
        ev(c, "listener"),
        format!("127.0.0.1:{} (loopback)", site.port),
        "{c:#}"
    );
    assert!(
        ev(c, "port_owner").starts_with(&format!("mLNHIICC (PID {}", daemon.0)),
        "{c:#}"
    );
    assert!(
        ev(c, "lock_file").ends_with(&format!("PID {} (running: mLNHIICC)", daemon.0)),
        "{c:#}"
    );
    assert_eq!(
        std::fs::read_to_string(site.lock()).unwrap().trim(),
        daemon.0.to_string(),
        "the second daemon took nothing"
    );

    // Stopped the documented way: nothing listens, and the stop is in the evidence.
    assert!(
        Command::new("kill")
            .args(["-TERM", &daemon.0.to_string()])
            .status()
            .unwrap()
            .success()
    );
    wait_for(
        || is_dead(daemon.0).then_some(()),
        "the daemon did not stop on SIGTERM",
    );
    let extra = ", process_names: [nhiicc-absent-test]";
    let p = profile(&site.root, &[("component-running", &site.params(extra))]);
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.not_running", &r);
    let c = check(&v, "component-running");
    assert!(
        ev(c, "stop_log").ends_with("exampled.log: terminate signal catched"),
        "{c:#}"
    );
    assert!(
        ev(c, "lock_file").ends_with(&format!("PID {} (no such process: left over)", daemon.0)),
        "{c:#}"
    );
    assert!(ev(c, "log_tail").contains("gethostbyname error"), "{c:#}");
}

#[test]
fn without_its_certificates_the_component_exits_0_then_aborts_and_nothing_listens() {
    // A name of its own: other tests run processes called mLNHIICC at the same time.
    const NAME: &str = "mLNHIICCnocert";
    let site = ModelSite::new("model-nocert", &["NHIRootCA.crt"]);
    let out = site.start(NAME);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the foreground exits 0 even so: {out:?}"
    );
    let pid = site.daemon_pid();
    wait_for(|| is_dead(pid).then_some(()), "the daemon did not abort");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", site.port)).is_err(),
        "nothing may listen"
    );
    let p = profile(
        &site.root,
        &[(
            "component-running",
            &site.params(&format!(", process_names: [{NAME}]")),
        )],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.not_running", &r);
    let c = check(&v, "component-running");
    assert!(
        c["summary"]
            .as_str()
            .unwrap()
            .contains("could not load its certificate files"),
        "{c:#}"
    );
    assert!(
        ev(c, "log_tail")
            .contains("SSL_CTX_use_certificate_file 1 fail : No such file or directory"),
        "{c:#}"
    );
    assert!(
        ev(c, "lock_file").ends_with(&format!("PID {pid} (no such process: left over)")),
        "{c:#}"
    );
    assert!(c["evidence"].get("component_process").is_none(), "{c:#}");
}

#[test]
fn a_killed_component_left_as_a_zombie_is_not_running() {
    const NAME: &str = "mLNHIICCzombie";
    let root = fresh("run-zombie");
    // Never waited for while the doctor looks: it stays a zombie, as under a container's
    // PID 1 that does not reap.
    let child = spawn_named(&root, NAME, "/bin/true", &[]);
    let pid = child.0.id();
    wait_for(|| is_dead(pid).then_some(()), "the process did not exit");
    let p = profile(
        &root,
        &[(
            "component-running",
            &running_params(
                free_port(),
                &format!(
                    ", process_names: [{NAME}], lock_file: /nonexistent/lock, log_dir: /nonexistent"
                ),
            ),
        )],
    );
    let (r, v) = run_json(&p, &[]);
    assert_finding(&v, "component-running", "component.not_running", &r);
    assert!(
        check(&v, "component-running")["evidence"]
            .get("component_process")
            .is_none(),
        "{r:?}"
    );
    drop(child);
}
