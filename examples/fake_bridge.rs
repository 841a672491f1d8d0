//! Run the fake NHI component bridge (`ecpa_doctor::sim::bridge`) on its own, for
//! benchmarks and manual tries: a real TLS/WebSocket server on 127.0.0.1.
//!
//!   cargo run --example fake_bridge -- [--port N] [--fault NAME] [--certs GENERATION]
//!                                      [--root-ca FILE] [--card] [--ticket-pause-ms N]
//!
//! Prints `port N` once it listens and `connections N` as clients come, then serves
//! until killed — or until a client hangs up
//! while it still writes, which kills it as SIGPIPE kills the real component: it then
//! exits with status 141. `--ticket-pause-ms` sets the pause between its two TLS 1.3
//! session tickets (default 50; the real component's is about 1). `--root-ca` writes the
//! certificate set's root where a component install keeps `NHIRootCA.crt`; `--card` makes
//! `GetBasic` read the card through the real pcscd (else it answers 8013, as with no card).

use std::process::ExitCode;
use std::sync::Arc;

use ecpa_doctor::sim::bridge::{BridgeConfig, CertGeneration, FakeBridge, Fault};
use ecpa_doctor::system::pcsc::RealPcsc;

const USAGE: &str = "usage: fake_bridge [--port N] [--fault NAME] [--certs GENERATION] [--root-ca FILE] [--card] [--ticket-pause-ms N]\n\
faults: healthy offline-gate origin-refused code:NNNN garbage-frames binary-frame oversize-frame closes-after-command\n\
        plain-http plain-http-waits foreign-server empty-close silent huge-body tls-alert ssh-banner\n\
certs:  test-ca nhi-2020 podman-2024 expired-root expiring-root expired-leaf not-yet-valid no-iccert-san";

struct Args {
    port: u16,
    cfg: BridgeConfig,
    root_ca: Option<String>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        port: 0,
        cfg: BridgeConfig::new(CertGeneration::TestCa, Fault::Healthy),
        root_ca: None,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--port" => args.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--fault" => {
                let v = value()?;
                args.cfg.fault = Fault::parse(&v).ok_or_else(|| format!("unknown fault `{v}`"))?;
            }
            "--certs" => {
                let v = value()?;
                args.cfg.certs = CertGeneration::parse(&v)
                    .ok_or_else(|| format!("unknown certificate generation `{v}`"))?;
            }
            "--root-ca" => args.root_ca = Some(value()?),
            "--ticket-pause-ms" => {
                let ms: u64 = value()?
                    .parse()
                    .map_err(|e| format!("--ticket-pause-ms: {e}"))?;
                args.cfg.fragility.ticket_pause = std::time::Duration::from_millis(ms);
            }
            "--card" => args.cfg.cards = Some(Arc::new(RealPcsc)),
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fake_bridge: {e}\n{USAGE}");
            return ExitCode::from(64);
        }
    };
    let listener = match std::net::TcpListener::bind(("127.0.0.1", args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("fake_bridge: cannot listen on 127.0.0.1:{}: {e}", args.port);
            return ExitCode::from(1);
        }
    };
    let bridge = match FakeBridge::start_on(listener, args.cfg) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("fake_bridge: {e}");
            return ExitCode::from(1);
        }
    };
    if let Some(path) = &args.root_ca
        && let Err(e) = bridge.write_component_root(std::path::Path::new(path))
    {
        eprintln!("fake_bridge: cannot write {path}: {e}");
        return ExitCode::from(1);
    }
    println!("port {}", bridge.port());
    // Serves on its own thread until the process is killed, or until a client kills it
    // the way a rude client kills the real component: then it exits as SIGPIPE would.
    // Each new connection is announced (`connections N`), so a benchmark can count what
    // one run of the doctor opened.
    let mut seen = 0;
    while !bridge.is_dead() {
        let n = bridge.connections();
        if n != seen {
            seen = n;
            println!("connections {n}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    eprintln!("fake_bridge: died: {}", bridge.death().unwrap_or_default());
    ExitCode::from(141)
}
