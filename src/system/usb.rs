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
    /// Windows' Device Manager problem code (28: no driver installed); `None` where the
    /// OS does not say or the device has no problem.
    pub problem: Option<u32>,
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
                problem: None,
            });
        }
        out.sort_by_key(|d| (d.vendor, d.product));
        Some(out)
    }
}

/// Windows: the Plug and Play manager's USB device nodes (SetupAPI). A driverless reader
/// is still listed there, with the IDs the USB hub read from its descriptors and a problem
/// code, while PC/SC lists no reader.
pub struct PnpUsb;

impl UsbBus for PnpUsb {
    fn devices(&self) -> Option<Vec<UsbDevice>> {
        super::winapi::usb_device_nodes().map(|nodes| devices_from_pnp(&nodes))
    }
}

/// One USB device node as SetupAPI lists it: a whole device, or one interface of a
/// composite device (its hardware ID has `&MI_xx`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PnpNode {
    /// `USB\VID_0CA6&PID_00A0&REV_0100`, `USB\VID_0CA6&PID_00A0`…
    pub hardware_ids: Vec<String>,
    /// `USB\Class_0B&SubClass_00&Prot_00`, `USB\Class_0B`…
    pub compatible_ids: Vec<String>,
    /// The friendly name, else the device description.
    pub name: Option<String>,
    /// Set only when the node has a problem (`DN_HAS_PROBLEM`).
    pub problem: Option<u32>,
}

/// Device nodes → devices: the interfaces of a composite device are folded into the device
/// they belong to (same VID:PID), so a reader whose smart-card interface is a child node is
/// still one reader, and a problem on any of its nodes is its problem.
pub fn devices_from_pnp(nodes: &[PnpNode]) -> Vec<UsbDevice> {
    let mut out: Vec<UsbDevice> = Vec::new();
    for n in nodes {
        let Some((vendor, product, interface)) = n.hardware_ids.iter().find_map(|h| vid_pid(h))
        else {
            continue;
        };
        let smartcard = n
            .compatible_ids
            .iter()
            .chain(&n.hardware_ids)
            .any(|id| id.to_ascii_uppercase().starts_with("USB\\CLASS_0B"));
        let i = match out
            .iter()
            .position(|d| (d.vendor, d.product) == (vendor, product))
        {
            Some(i) => i,
            None => {
                out.push(UsbDevice {
                    vendor,
                    product,
                    name: None,
                    smartcard_interface: false,
                    problem: None,
                });
                out.len() - 1
            }
        };
        let d = &mut out[i];
        d.smartcard_interface |= smartcard;
        d.problem = d.problem.or(n.problem);
        // The device's own name wins over an interface's ("USB Composite Device" aside).
        if d.name.is_none() || !interface {
            d.name = n.name.clone().or(d.name.take());
        }
    }
    out.sort_by_key(|d| (d.vendor, d.product));
    out
}

/// `USB\VID_0CA6&PID_00A0&MI_00` → (0x0CA6, 0x00A0, is an interface).
fn vid_pid(id: &str) -> Option<(u16, u16, bool)> {
    let up = id.to_ascii_uppercase();
    let rest = up.strip_prefix("USB\\")?;
    let field = |key: &str| {
        rest.split('&')
            .find_map(|part| part.strip_prefix(key))
            .and_then(|hex| u16::from_str_radix(hex.get(..4)?, 16).ok())
    };
    Some((
        field("VID_")?,
        field("PID_")?,
        rest.split('&').any(|p| p.starts_with("MI_")),
    ))
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
                smartcard_interface: true,
                problem: None,
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

    fn node(hw: &[&str], compat: &[&str], name: &str, problem: Option<u32>) -> PnpNode {
        PnpNode {
            hardware_ids: hw.iter().map(|s| s.to_string()).collect(),
            compatible_ids: compat.iter().map(|s| s.to_string()).collect(),
            name: Some(name.into()),
            problem,
        }
    }

    /// Shapes captured from Device Manager's "Hardware Ids" and "Compatible Ids" pages: a
    /// CCID reader with Windows' inbox driver, a non-CCID EZ100PU with no driver (code 28),
    /// a composite keyboard-reader whose smart-card interface is a child node, and a hub.
    #[test]
    fn device_nodes_become_devices_with_their_problem() {
        let nodes = [
            node(
                &["USB\\ROOT_HUB30&VID8086&PID9D2F&REV0021", "USB\\ROOT_HUB30"],
                &[],
                "USB Root Hub (USB 3.0)",
                None,
            ),
            node(
                &["USB\\VID_0CA6&PID_00A0&REV_0100", "USB\\VID_0CA6&PID_00A0"],
                &[
                    "USB\\Class_0B&SubClass_00&Prot_00",
                    "USB\\Class_0B&SubClass_00",
                    "USB\\Class_0B",
                ],
                "Microsoft Usbccid Smartcard Reader (WUDF)",
                None,
            ),
            node(
                &["USB\\VID_0CA6&PID_0001&REV_0200", "USB\\VID_0CA6&PID_0001"],
                &["USB\\Class_FF&SubClass_00&Prot_00", "USB\\Class_FF"],
                "EZ100PU",
                Some(28),
            ),
            node(
                &["USB\\VID_04F2&PID_1125&REV_0105", "USB\\VID_04F2&PID_1125"],
                &["USB\\DevClass_00&SubClass_00&Prot_00", "USB\\COMPOSITE"],
                "USB Composite Device",
                None,
            ),
            node(
                &[
                    "USB\\VID_04F2&PID_1125&REV_0105&MI_01",
                    "USB\\VID_04F2&PID_1125&MI_01",
                ],
                &["USB\\Class_0b&SubClass_00&Prot_00", "USB\\Class_0b"],
                "USB Smart Card reader",
                Some(28),
            ),
        ];
        let d = devices_from_pnp(&nodes);
        let by = |v, p| d.iter().find(|x| (x.vendor, x.product) == (v, p)).unwrap();
        assert_eq!(d.len(), 3, "{d:?}");
        assert!(by(0x0ca6, 0x00a0).smartcard_interface);
        assert_eq!(by(0x0ca6, 0x00a0).problem, None);
        assert_eq!(by(0x0ca6, 0x0001).problem, Some(28));
        assert!(!by(0x0ca6, 0x0001).smartcard_interface);
        let composite = by(0x04f2, 0x1125);
        assert!(composite.smartcard_interface);
        assert_eq!(composite.problem, Some(28));
        assert_eq!(composite.name.as_deref(), Some("USB Composite Device"));
    }

    #[test]
    fn ids_that_are_not_usb_vid_pid_are_skipped() {
        for id in [
            "",
            "USB\\",
            "USB\\VID_0CA",
            "HID\\VID_0CA6&PID_00A0",
            "USB\\VID_ZZZZ&PID_0001",
        ] {
            assert_eq!(vid_pid(id), None, "{id}");
        }
        assert_eq!(
            vid_pid("usb\\vid_0ca6&pid_00a0&mi_00"),
            Some((0x0ca6, 0xa0, true))
        );
    }
}
