//! The lowest layer: what probes read from the machine. Real implementations talk to
//! PC/SC and the file system; the demo swaps in simulated ones, so the same probe code
//! runs in both.
//!
//! Must not import: the kinds, the engine, the simulations or a frontend.

use std::path::PathBuf;
use std::sync::Arc;

pub mod certstore;
pub mod files;
pub mod net;
pub mod pcsc;
pub mod procs;
pub mod registry;
pub mod usb;
pub mod user;
pub mod winapi;
pub mod windows;

pub use files::{FileKind, FileMeta, Files};
pub use net::{Listener, Lookup, Owner, Resolver, Sockets};
pub use pcsc::{CardSession, PcscContext, PcscError, ReaderState, SmartCards};
pub use procs::{ProcInfo, Processes};
pub use usb::{UsbBus, UsbDevice};

pub struct System {
    pub pcsc: Arc<dyn SmartCards>,
    pub usb: Arc<dyn UsbBus>,
    /// Install layouts, hosts file, lock files and logs of the NHI component.
    pub files: Arc<dyn Files>,
    pub procs: Arc<dyn Processes>,
    /// Who listens on a TCP port (the component's :7777).
    pub sockets: Arc<dyn Sockets>,
    pub resolver: Arc<dyn Resolver>,
    /// True in the demo: reports say their data is simulated.
    pub simulated: bool,
    /// The account whose browser profiles are read (`--user`); `None`: `SUDO_USER` under
    /// sudo, else the one running.
    pub user: Option<String>,
    /// The Windows registry (browser policies, the default browser); empty elsewhere.
    pub registry: Arc<dyn registry::Registry>,
    /// The Windows certificate stores Chrome and Edge trust; empty elsewhere.
    pub cert_stores: Arc<dyn certstore::CertStores>,
}

/// Linux reads /proc; Windows and macOS ask their own tools.
fn real_sockets() -> Arc<dyn Sockets> {
    if cfg!(target_os = "windows") {
        Arc::new(net::ApiSockets {
            procs: Arc::new(procs::SysinfoProcesses),
        })
    } else if cfg!(target_os = "macos") {
        Arc::new(net::ToolSockets {
            tool: net::SocketTool::Lsof,
            procs: Arc::new(procs::SysinfoProcesses),
        })
    } else {
        Arc::new(net::ProcNet {
            proc_root: PathBuf::from("/proc"),
        })
    }
}

impl System {
    pub fn real() -> System {
        System {
            pcsc: Arc::new(pcsc::RealPcsc),
            usb: if cfg!(windows) {
                Arc::new(usb::PnpUsb)
            } else {
                Arc::new(usb::SysfsUsb {
                    root: PathBuf::from("/sys/bus/usb/devices"),
                })
            },
            files: Arc::new(files::RealFiles),
            procs: Arc::new(procs::SysinfoProcesses),
            sockets: real_sockets(),
            resolver: Arc::new(net::SystemResolver),
            simulated: false,
            user: None,
            registry: if cfg!(windows) {
                Arc::new(registry::WinRegistry)
            } else {
                Arc::new(registry::NoRegistry)
            },
            cert_stores: if cfg!(windows) {
                Arc::new(certstore::WinCertStores)
            } else {
                Arc::new(certstore::NoCertStores)
            },
        }
    }
}
