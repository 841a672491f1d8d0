//! The lowest layer: what probes read from the machine. Real implementations talk to
//! PC/SC and the file system; the demo swaps in simulated ones, so the same probe code
//! runs in both.

use std::path::PathBuf;
use std::sync::Arc;

pub mod pcsc;
pub mod usb;

pub use pcsc::{CardSession, PcscContext, PcscError, ReaderState, SmartCards};
pub use usb::{UsbBus, UsbDevice};

pub struct System {
    pub pcsc: Arc<dyn SmartCards>,
    pub usb: Arc<dyn UsbBus>,
    /// True in the demo: reports say their data is simulated.
    pub simulated: bool,
}

impl System {
    pub fn real() -> System {
        System {
            pcsc: Arc::new(pcsc::RealPcsc),
            usb: Arc::new(usb::SysfsUsb { root: PathBuf::from("/sys/bus/usb/devices") }),
            simulated: false,
        }
    }
}
