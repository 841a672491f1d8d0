//! A real OpenSSH server on 127.0.0.1 (a free port) for remote-support tests: generated
//! host and client keys, key-only login as root. Stopped when dropped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Sshd {
    pub port: u16,
    pub dir: PathBuf,
    child: Child,
}

fn keygen(path: &Path) {
    let st = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("ssh-keygen (apt: openssh-client)");
    assert!(st.success(), "ssh-keygen failed");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Sshd {
    pub fn start(tag: &str) -> Sshd {
        let dir = std::env::temp_dir().join(format!("ecpa-sshd-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // sshd refuses to start without its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap();
        keygen(&dir.join("hostkey"));
        keygen(&dir.join("clientkey"));
        keygen(&dir.join("otherkey"));
        std::fs::copy(dir.join("clientkey.pub"), dir.join("authorized_keys")).unwrap();
        // A port found free can be taken again before sshd binds it: then sshd exits at
        // once, and another port is tried.
        for _ in 0..3 {
            if let Some(me) = Self::spawn(&dir) {
                return me;
            }
        }
        panic!(
            "sshd did not start on three ports; log:\n{}",
            std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
        );
    }

    /// sshd on a free port, once it listens; `None` if it exited first.
    fn spawn(dir: &Path) -> Option<Sshd> {
        let port = free_port();
        let config = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/hostkey\nPidFile {d}/sshd.pid\nAuthorizedKeysFile {d}/authorized_keys\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n\
             UsePAM no\nStrictModes no\nAllowUsers root\nLogLevel VERBOSE\n",
            d = dir.display()
        );
        std::fs::write(dir.join("sshd_config"), config).unwrap();
        let log = std::fs::File::create(dir.join("sshd.log")).unwrap();
        // sshd re-executes itself, so it needs its absolute path.
        let mut child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.join("sshd_config"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start /usr/sbin/sshd (apt: openssh-server)");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(_)) = child.try_wait() {
                return None;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "sshd did not listen; log:\n{}",
                    std::fs::read_to_string(dir.join("sshd.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Sshd {
            port,
            dir: dir.to_path_buf(),
            child,
        })
    }

    pub fn key(&self) -> String {
        self.dir.join("clientkey").display().to_string()
    }

    pub fn other_key(&self) -> String {
        self.dir.join("otherkey").display().to_string()
    }

    /// `--ssh-option` values for ecpa-doctor remote: this port and key, no host-key prompts.
    pub fn options(&self, key: &str) -> Vec<String> {
        vec![
            format!("Port={}", self.port),
            format!("IdentityFile={key}"),
            "IdentitiesOnly=yes".into(),
            "StrictHostKeyChecking=no".into(),
            "UserKnownHostsFile=/dev/null".into(),
            "LogLevel=ERROR".into(),
        ]
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
