//! "Service up, no readers": a second, reader-less pcscd in its own mount namespace
//! (its compiled-in socket dir /run/pcscd bind-mounted onto a temp dir), reached by the
//! child through PCSCLITE_CSOCK_NAME. The shared rig is untouched.
#![cfg(target_os = "linux")]

use crate::support;

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{check, doctor};

struct EmptyPcscd {
    child: Child,
    dir: PathBuf,
}

impl EmptyPcscd {
    fn start(tag: &str) -> EmptyPcscd {
        let dir = support::temp_dir(&format!("empty-pcscd-{tag}"));
        let (run, conf) = (dir.join("run"), dir.join("conf"));
        std::fs::create_dir_all(&run).unwrap();
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::create_dir_all("/run/pcscd").unwrap();
        let script = format!(
            "mount --bind {} /run/pcscd && exec pcscd --foreground -c {}",
            run.display(),
            conf.display()
        );
        let child = Command::new("unshare")
            .args(["-m", "sh", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("unshare + pcscd (needs root, util-linux and pcscd; run scripts/rig install)");
        let mut me = EmptyPcscd { child, dir };
        // Ready once it accepts on its socket (the file exists a moment before it
        // listens); a connection that goes away at once is nothing to pcscd.
        let deadline = Instant::now() + Duration::from_secs(15);
        while UnixStream::connect(me.socket()).is_err() {
            if let Ok(Some(status)) = me.child.try_wait() {
                panic!(
                    "the reader-less pcscd exited ({status}); is unshare -m permitted here (root)?"
                );
            }
            assert!(
                Instant::now() < deadline,
                "the reader-less pcscd did not start (is unshare -m permitted here?)"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        me
    }

    fn socket(&self) -> PathBuf {
        self.dir.join("run/pcscd.comm")
    }
}

impl Drop for EmptyPcscd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn profile_with_usb_dir(dir: &Path, usb: &Path) -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/checks/ecpa-nhi-login.yaml"
    ))
    .unwrap();
    let text = text.replacen(
        "    kind: readers\n",
        &format!(
            "    kind: readers\n    params:\n      usb_devices_dir: {}\n",
            usb.display()
        ),
        1,
    );
    support::write_profile(dir, "usb.yaml", &text)
}

fn fake_usb_device(root: &Path, name: &str, vendor: &str, product: &str, class: Option<&str>) {
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("idVendor"), format!("{vendor}\n")).unwrap();
    std::fs::write(d.join("idProduct"), format!("{product}\n")).unwrap();
    if let Some(c) = class {
        let i = d.join(format!("{name}:1.0"));
        std::fs::create_dir_all(&i).unwrap();
        std::fs::write(i.join("bInterfaceClass"), format!("{c}\n")).unwrap();
    }
}

#[test]
fn service_up_without_readers_is_reader_none_and_card_skipped() {
    let pcscd = EmptyPcscd::start("none");
    let sock = pcscd.socket();
    let run = doctor(
        &["--format", "json"],
        &[("PCSCLITE_CSOCK_NAME", sock.to_str().unwrap())],
    );
    let v = run.json();
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(check(&v, "pcsc-service")["status"], "pass", "{run:?}");
    assert_eq!(v["root_cause"]["check"], "readers");
    assert_eq!(v["root_cause"]["finding"], "reader.none");
    assert_eq!(check(&v, "card")["skipped_because"], "readers");
}

#[test]
fn known_reader_on_usb_without_driver_is_named() {
    let pcscd = EmptyPcscd::start("driver");
    let dir = support::temp_dir("usb-castles");
    let usb = dir.join("usb");
    fake_usb_device(&usb, "1-1", "1d6b", "0002", None);
    fake_usb_device(&usb, "1-2", "0ca6", "0010", None);
    let profile = profile_with_usb_dir(&dir, &usb);
    let run = doctor(
        &["--format", "json", "--profile", &profile],
        &[("PCSCLITE_CSOCK_NAME", pcscd.socket().to_str().unwrap())],
    );
    let v = run.json();
    assert_eq!(v["root_cause"]["finding"], "reader.no_driver", "{run:?}");
    let ev = &check(&v, "readers")["evidence"];
    assert_eq!(ev["driver_needed"], "ezusb", "{run:?}");
    assert!(
        ev["usb_device"].as_str().unwrap().starts_with("0CA6:0010"),
        "{run:?}"
    );
}

#[test]
fn any_ccid_class_device_without_reader_needs_libccid() {
    let pcscd = EmptyPcscd::start("ccid");
    let dir = support::temp_dir("usb-ccid");
    let usb = dir.join("usb");
    fake_usb_device(&usb, "3-1", "abcd", "1234", Some("0b"));
    let profile = profile_with_usb_dir(&dir, &usb);
    let run = doctor(
        &["--format", "json", "--profile", &profile, "--lang", "en"],
        &[("PCSCLITE_CSOCK_NAME", pcscd.socket().to_str().unwrap())],
    );
    let v = run.json();
    assert_eq!(v["root_cause"]["finding"], "reader.no_driver", "{run:?}");
    assert_eq!(check(&v, "readers")["evidence"]["driver_needed"], "libccid");
}
