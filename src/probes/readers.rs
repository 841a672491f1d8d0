//! Kind `readers`: which card readers PC/SC sees. With none, looks at the USB bus to tell
//! "nothing plugged in" from "a reader is plugged in but has no driver".

use crate::engine::kind::{Simulated, StandIns, Trigger};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

use super::pcsc_service::service_failure;
use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::system::usb::{SysfsUsb, UsbBus, UsbDevice};

pub const KIND: Kind = Kind {
    name: "readers",
    findings: READER_FINDINGS,
    build,
    on_request: false,
    reruns_on: &[Trigger::Readers],
    simulated: Simulated::Pointed(point_at),
};

/// The world's OS names the driver a reader needs.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("os", w.os.as_str().into())]
}

const READER_FINDINGS: &[&str] = &[
    "reader.none",
    "reader.no_driver",
    "pcsc.no_service",
    "pcsc.error",
    "pcsc.scardsvr_stopped",
    "pcsc.scardsvr_disabled",
];

pub const KNOWN_READERS_YAML: &str = include_str!("../../assets/readers.yaml");

#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
pub struct KnownReader {
    vendor: String,
    product: Option<String>,
    pub name: String,
    /// What turns it into a PC/SC reader on Linux (and macOS).
    pub driver: String,
    /// The same on Windows.
    pub windows_driver: String,
}

impl KnownReader {
    fn matches(&self, d: &UsbDevice) -> bool {
        let hex = |s: &str| u16::from_str_radix(s, 16).ok();
        hex(&self.vendor) == Some(d.vendor)
            && self
                .product
                .as_deref()
                .is_none_or(|p| hex(p) == Some(d.product))
    }
}

pub fn known_readers() -> &'static [KnownReader] {
    static CELL: OnceLock<Vec<KnownReader>> = OnceLock::new();
    CELL.get_or_init(|| {
        serde_yaml::from_str(KNOWN_READERS_YAML)
            .unwrap_or_else(|e| panic!("built-in assets/readers.yaml is broken: {e}"))
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Read USB devices from this sysfs-like directory instead of the system's view.
    #[serde(default)]
    usb_devices_dir: Option<PathBuf>,
    #[serde(default = "default_socket")]
    socket: PathBuf,
    /// `linux`, `macos` or `windows`: whose driver names the finding gives.
    #[serde(default = "default_os")]
    os: String,
}

fn default_os() -> String {
    std::env::consts::OS.into()
}

/// Windows' own CCID driver, which any class-0x0B reader gets without a download.
const WINDOWS_CCID_DRIVER: &str = "Microsoft Usbccid Smartcard Reader (WUDF)";

fn default_socket() -> PathBuf {
    PathBuf::from("/run/pcscd/pcscd.comm")
}

struct Readers {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(Readers { p: params(v)? }))
}

impl Probe for Readers {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let usb_override = self.p.usb_devices_dir.clone();
        let socket = self.p.socket.clone();
        let windows = self.p.os == "windows";
        Box::pin(blocking(move || {
            let readers = match ctx.system().pcsc.establish().and_then(|c| c.readers()) {
                Ok(r) => r,
                Err(e) => return service_failure(&e, &socket, ctx.system().simulated),
            };
            if !readers.is_empty() {
                return Outcome::pass(
                    Msg::new("reader.pass")
                        .arg("count", readers.len().to_string())
                        .arg("readers", readers.join(", ")),
                )
                .with("readers", readers.join("; "));
            }
            let usb = match usb_override {
                Some(root) => SysfsUsb { root }.devices(),
                None => ctx.system().usb.devices(),
            };
            no_readers(usb, windows)
        }))
    }
}

fn no_readers(usb: Option<Vec<UsbDevice>>, windows: bool) -> Outcome {
    let Some(devices) = usb else {
        return Outcome::fail("reader.none", Msg::new("reader.none"))
            .with("usb_view", Msg::new("value.unavailable"));
    };
    let describe = |d: &UsbDevice, label: Value| {
        Value::join(
            [
                Value::from(format!("{:04X}:{:04X}", d.vendor, d.product)),
                label,
            ],
            " ",
        )
    };
    let no_driver = |d: &UsbDevice, label: Value, driver: &str| {
        let o = Outcome::fail(
            "reader.no_driver",
            Msg::new("reader.no_driver")
                .arg("device", label.clone())
                .arg("driver", driver),
        )
        .with("usb_device", describe(d, label))
        .with("driver_needed", driver);
        match d.problem {
            Some(code) => o.with("device_problem", problem_value(code)),
            None => o,
        }
    };
    for d in &devices {
        if let Some(k) = known_readers().iter().find(|k| k.matches(d)) {
            let driver = if windows {
                &k.windows_driver
            } else {
                &k.driver
            };
            return no_driver(d, k.name.as_str().into(), driver);
        }
    }
    if let Some(d) = devices.iter().find(|d| d.smartcard_interface) {
        let label = d.name.clone().map_or_else(
            || Value::from(Msg::new("value.smartcard_reader")),
            Value::from,
        );
        let driver = if windows {
            WINDOWS_CCID_DRIVER
        } else {
            "libccid"
        };
        return no_driver(d, label, driver);
    }
    Outcome::fail("reader.none", Msg::new("reader.none"))
        .with("usb_devices_seen", devices.len().to_string())
}

/// A Device Manager problem code in the words Device Manager uses for the common ones.
fn problem_value(code: u32) -> Value {
    let meaning = match code {
        1 | 10 | 18 | 19 | 22 | 24 | 28 | 31 | 39 | 43 | 45 | 52 => {
            Msg::new(&format!("value.pnp_problem.{code}"))
        }
        _ => Msg::new("value.pnp_problem.other"),
    };
    Msg::new("value.pnp_problem")
        .arg("code", code.to_string())
        .arg("meaning", meaning)
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(vendor: u16, product: u16, cls: bool) -> UsbDevice {
        UsbDevice {
            vendor,
            product,
            name: None,
            smartcard_interface: cls,
            problem: None,
        }
    }

    #[test]
    fn known_usb_reader_without_driver_is_named() {
        let o = no_readers(
            Some(vec![dev(0x1d6b, 0x0002, false), dev(0x0ca6, 0x1234, false)]),
            false,
        );
        assert_eq!(o.finding.as_deref(), Some("reader.no_driver"));
        assert!(
            matches!(o.evidence("driver_needed"), Some(crate::engine::outcome::Value::Text(t)) if t == "ezusb")
        );
    }

    #[test]
    fn any_ccid_class_device_counts_as_a_reader_without_driver() {
        let o = no_readers(Some(vec![dev(0x1234, 0x5678, true)]), false);
        assert_eq!(o.finding.as_deref(), Some("reader.no_driver"));
    }

    #[test]
    fn nothing_on_usb_means_no_reader() {
        assert_eq!(
            no_readers(Some(vec![dev(0x1d6b, 2, false)]), false)
                .finding
                .as_deref(),
            Some("reader.none")
        );
        assert_eq!(
            no_readers(None, false).finding.as_deref(),
            Some("reader.none")
        );
    }

    /// Windows: the driver named is the Windows one, and Device Manager's problem code is
    /// shown in its own words.
    #[test]
    fn on_windows_the_windows_driver_and_the_problem_code_are_named() {
        let mut ez = dev(0x0ca6, 0x0001, false);
        ez.problem = Some(28);
        let o = no_readers(Some(vec![ez]), true);
        assert_eq!(o.finding.as_deref(), Some("reader.no_driver"));
        let text = |k: &str| format!("{:?}", o.evidence(k));
        assert!(
            text("driver_needed").contains("Castles"),
            "{}",
            text("driver_needed")
        );
        let problem = text("device_problem");
        assert!(
            problem.contains("value.pnp_problem.28") && problem.contains("28"),
            "{problem}"
        );

        let o = no_readers(Some(vec![dev(0x1234, 0x5678, true)]), true);
        assert!(text_of(&o, "driver_needed").contains("Usbccid"));
        assert!(o.evidence("device_problem").is_none());
    }

    fn text_of(o: &Outcome, k: &str) -> String {
        format!("{:?}", o.evidence(k))
    }

    #[test]
    fn every_problem_code_with_words_has_them_in_the_catalogue() {
        for code in [1, 10, 18, 19, 22, 24, 28, 31, 39, 43, 45, 52, 99] {
            let v = problem_value(code);
            for lang in [crate::i18n::Lang::ZhTw, crate::i18n::Lang::En] {
                let shown = v.render_in(lang, false);
                assert!(shown.contains(&code.to_string()), "{shown}");
                assert!(!shown.contains("value."), "{code}: {shown}");
            }
        }
    }
}
