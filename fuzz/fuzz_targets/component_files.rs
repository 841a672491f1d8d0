//! Files of the component's install as ecpa-doctor reads them: the daemon's ELF (dynamic
//! section, NEEDED, RPATH/RUNPATH), macOS launch-daemon plists, and the hosts file.
#![no_main]

use ecpa_doctor::component::{elf, hosts, plist};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = elf::parse(data) {
        let _ = elf::describe(info.class, info.machine);
    }
    let _ = elf::ident(data);
    let _ = plist::read_daemon(data);
    let text = String::from_utf8_lossy(data);
    for line in hosts::lines_for(&text, "iccert.nhi.gov.tw") {
        if let Some(addr) = line.addr {
            let _ = hosts::place(addr);
        }
    }
});
