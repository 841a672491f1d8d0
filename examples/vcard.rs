//! Put a virtual NHI card into a vpcd slot of the test rig and keep it there.
//!
//!   cargo run --example vcard -- [--slot 0|1] [--atr nhi|moica|hpc] [--fault NAME]... [--seconds N]
//!
//! Needs `scripts/rig start`. The card stays in until N seconds pass or the process is
//! killed (Ctrl-C / SIGTERM: the OS closes the socket, which vpcd sees as the card pulled).

#[path = "../tests/support/vcard.rs"]
mod vcard;

use std::process::ExitCode;
use std::time::Duration;

use vcard::{Faults, NhiCard};

const USAGE: &str =
    "usage: vcard [--slot 0|1] [--atr nhi|moica|hpc] [--fault NAME]... [--seconds N]";

struct Args {
    slot: usize,
    faults: Faults,
    seconds: Option<u64>,
}

fn parse(mut it: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        slot: 0,
        faults: Faults::default(),
        seconds: None,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--slot" => {
                args.slot = match value()?.as_str() {
                    "0" => 0,
                    "1" => 1,
                    v => return Err(format!("--slot {v}: want 0 or 1")),
                }
            }
            "--atr" => {
                args.faults.atr = match value()?.as_str() {
                    "nhi" => None,
                    "moica" => Some(vcard::ATR_MOICA.to_vec()),
                    "hpc" => Some(vcard::ATR_HPC.to_vec()),
                    v => return Err(format!("--atr {v}: want nhi, moica or hpc")),
                }
            }
            "--fault" => args.faults.enable(&value()?)?,
            "--seconds" => {
                let v = value()?;
                args.seconds = Some(
                    v.parse()
                        .map_err(|_| format!("--seconds {v}: want a number"))?,
                );
            }
            "-h" | "--help" => {
                println!("{USAGE}\nfaults: {}", vcard::FAULT_NAMES.join(", "));
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("vcard: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = vcard::slot_addr(args.slot);
    let card = NhiCard::with_faults(args.faults);
    let inserted = match vcard::insert_wait(addr, card, Duration::from_secs(5)) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("vcard: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("inserted into {}", vcard::reader_name(args.slot));
    match args.seconds {
        Some(n) => {
            // Also stop early if vpcd drops the card (pcscd stopped, pull-after-select fault).
            inserted.wait_out(Duration::from_secs(n));
        }
        None => while !inserted.wait_out(Duration::from_secs(3600)) {},
    }
    if !inserted.is_in() {
        eprintln!("vcard: the connection to vpcd ended (card out)");
    }
    let apdus = inserted.apdus();
    inserted.remove();
    println!("removed; {} APDU(s) received", apdus.len());
    ExitCode::SUCCESS
}
