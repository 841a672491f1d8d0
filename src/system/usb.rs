//! USB devices, to tell "no reader plugged in" from "a reader is plugged in but no driver
//! turned it into a PC/SC reader".

use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsbDevice {
    pub vendor: u16,
    pub product: u16,
    pub name: Option<String>,
    /// Has an interface of USB class 0x0B (smart card): a CCID reader of any brand.
    pub smartcard_interface: bool,
}

pub trait UsbBus: Send + Sync {
    /// `None` where this platform gives no USB view (not Linux, or sysfs missing).
    fn devices(&self) -> Option<Vec<UsbDevice>>;
}

/// Linux sysfs: each device directory has `idVendor` and `idProduct` in hex.
pub struct SysfsUsb {
    pub root: PathBuf,
}

impl UsbBus for SysfsUsb {
    fn devices(&self) -> Option<Vec<UsbDevice>> {
        let entries = std::fs::read_dir(&self.root).ok()?;
        let mut out = Vec::new();
        for e in entries.flatten() {
            let dir = e.path();
            let read = |f: &str| {
                std::fs::read_to_string(dir.join(f))
                    .ok()
                    .map(|s| s.trim().to_string())
            };
            let (Some(v), Some(p)) = (read("idVendor"), read("idProduct")) else {
                continue;
            };
            let (Ok(vendor), Ok(product)) =
                (u16::from_str_radix(&v, 16), u16::from_str_radix(&p, 16))
            else {
                continue;
            };
            let name = match (read("manufacturer"), read("product")) {
                (Some(m), Some(p)) => Some(format!("{m} {p}")),
                (m, p) => m.or(p),
            };
            out.push(UsbDevice {
                vendor,
                product,
                name,
                smartcard_interface: has_smartcard_interface(&dir),
            });
        }
        out.sort_by_key(|d| (d.vendor, d.product));
        Some(out)
    }
}

/// Interface directories are named `<device>:<config>.<interface>`.
fn has_smartcard_interface(dir: &std::path::Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        e.file_name().to_string_lossy().contains(':')
            && std::fs::read_to_string(e.path().join("bInterfaceClass"))
                .is_ok_and(|c| c.trim().eq_ignore_ascii_case("0b"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_fake_sysfs_tree() {
        let dir = std::env::temp_dir().join(format!("ecpa-usb-test-{}", std::process::id()));
        let dev = dir.join("1-1");
        std::fs::create_dir_all(&dev).unwrap();
        std::fs::write(dev.join("idVendor"), "0ca6\n").unwrap();
        std::fs::write(dev.join("idProduct"), "00a0\n").unwrap();
        std::fs::write(dev.join("product"), "EZ100PU\n").unwrap();
        std::fs::create_dir_all(dev.join("1-1:1.0")).unwrap();
        std::fs::write(dev.join("1-1:1.0/bInterfaceClass"), "0b\n").unwrap();
        std::fs::create_dir_all(dir.join("usb1-port1")).unwrap(); // not a device: skipped
        let devs = SysfsUsb { root: dir.clone() }.devices().unwrap();
        assert_eq!(
            devs,
            vec![UsbDevice {
                vendor: 0x0ca6,
                product: 0x00a0,
                name: Some("EZ100PU".into()),
                smartcard_interface: true
            }]
        );
        std::fs::remove_dir_all(dir).unwrap();
        assert!(
            SysfsUsb {
                root: "/nonexistent/usb".into()
            }
            .devices()
            .is_none()
        );
    }
}
