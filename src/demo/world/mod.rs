//! A simulated machine built from a scenario's world: the system layer the probes read
//! (PC/SC with its cards, USB, an in-memory file tree, processes, sockets, resolver), and
//! the parts that stay real — the fake bridge on a loopback ephemeral port with the
//! scenario's certificates and fault, a loopback stand-in for the NHI cloud, a fake of
//! NHI's verification service (`UserSign`) with demo credentials, and the few files the
//! checks read from disk (the component's root certificate, the maintenance windows, the
//! download folder, the verifier config), written to a temporary folder of this world.
//! `machine.rs`, `servers.rs` and `disk.rs` build those three parts; this file holds the
//! scenario's description of the world and puts the parts together.
//!
//! The profile is the default one with only its addresses pointed at these: the probes
//! run unchanged and cannot tell they are in a demo. The password check is told to read
//! only the world's verifier config, never the operator's environment or files, so a
//! password typed in the demo never reaches NHI.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_yaml::Value;

use crate::component::elf::VersionNeed;
use crate::component::libs;
use crate::engine::Profile;
use crate::engine::kind::{Simulated, StandIns};
use crate::i18n::L10n;
use crate::sim::bridge::{BridgeConfig, CertGeneration, CertSet, FakeBridge, Fault};
use crate::sim::card::{Holder as CardHolder, SimCard, Step};
use crate::sim::cloud::CloudStandIn;
use crate::sim::elf;

mod disk;
mod machine;
mod servers;

use crate::sim::files::MemFiles;
use crate::sim::net::{Holder, SimProcesses, SimResolver, SimSockets, SimUsb};
use crate::sim::pcsc::{Service, SimPcsc, SimReader};
use crate::sim::timeserver::TimeServer;
use crate::sim::verifier::{Answer as VerifierAnswer, FakeVerifier, VerifierConfig};
use crate::system::{Lookup, PcscError, ProcInfo, System, UsbDevice};
use disk::write_disk_files;
use machine::{glibc_release, mem_files, simulated_system};
use servers::start_servers;

use super::scenario::Scenario;

/// A registry value in a world: text, or a number (a DWORD).
#[derive(Debug, Deserialize, Clone)]
#[serde(untagged)]
enum RegSpec {
    Number(u64),
    Text(String),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum NssTrust {
    ComponentRoot,
    ServerCert,
}

/// Where the simulated component is installed (the Linux and macOS default).
pub const INSTALL_DIR: &str = "/usr/local/share/NHIICC";

/// The lowest layer of a simulated machine, as `assets/demo/world.yaml` writes it.
/// Everything has a default, so a world says only what it has.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WorldSpec {
    /// Which OS's component layout the checks look for: linux, macos, windows.
    os: Os,
    /// `running`, `stopped`, or the PC/SC error every call gets (e.g. SCARD_F_COMM_ERROR).
    pcsc: Option<String>,
    /// Reader name → the card in it (a name from `cards`, or `none`), in list order.
    readers: IndexMap<String, ReaderSpec>,
    cards: BTreeMap<String, CardSpec>,
    usb: Vec<UsbSpec>,
    component: ComponentSpec,
    /// Libraries the dynamic loader finds in this architecture's standard folder.
    libraries: Vec<String>,
    /// The system's glibc release (`"2.27"`): its libc.so.6 then defines GLIBC_2.2.5 up to
    /// it. Absent: libc.so.6 is a header-only stub and no glibc version is known.
    glibc: Option<String>,
    /// The hosts file (/etc/hosts).
    hosts: Option<String>,
    /// Any other file: path → text (logs, lock files, LaunchDaemon plists…).
    files: BTreeMap<String, String>,
    /// NSS databases the user's browsers take their trust from: folder → what its
    /// `cert9.db` trusts for TLS servers (`component-root`: the install's NHIRootCA.crt as a
    /// CA; `server-cert`: the component's own certificate as a peer).
    nss: BTreeMap<String, Vec<NssTrust>>,
    /// A Windows world's certificate stores Chrome and Edge read: `Location/NAME` (as
    /// `CurrentUser/ROOT`, `LocalMachine/TrustedPeople`, `LocalMachine/Disallowed`) → what
    /// it holds, in the words of `nss`.
    cert_stores: BTreeMap<String, Vec<NssTrust>>,
    /// A Windows world's registry: `HKLM\…` or `HKCU\…` key → its values (text or number);
    /// a key under another one shows as its subkey (a list policy).
    registry: BTreeMap<String, BTreeMap<String, RegSpec>>,
    /// PID → process.
    processes: BTreeMap<u32, ProcSpec>,
    /// Listening address → the PID that holds it, or `hidden`.
    listeners: BTreeMap<String, ListenerSpec>,
    /// Host name → addresses, `not-found` or `timeout`.
    resolver: BTreeMap<String, ResolveSpec>,
    /// Whether the stand-in NHI cloud accepts connections: reachable or unreachable.
    outbound: Reach,
    bridge: BridgeSpec,
    /// NHI's verification service, which the password check asks.
    verifier: VerifierSpec,
    /// The web server the clock check asks for the time.
    time_server: TimeSpec,
    maintenance: Option<MaintenanceSpec>,
    /// File name in the download folder → its text, or `broken-link`.
    downloads: BTreeMap<String, DownloadSpec>,
    /// The message the user saw; adds the message check at the end of the profile.
    message: Option<String>,
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Os {
    #[default]
    Linux,
    Macos,
    Windows,
}

impl Os {
    fn param(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Macos => "macos",
            Os::Windows => "windows",
        }
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ReaderSpec {
    #[serde(default)]
    card: Option<String>,
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct CardSpec {
    atr: String,
    /// The basic-data record; absent for a card without the NHI applet.
    #[serde(default)]
    holder: Option<HolderSpec>,
    #[serde(default)]
    mute: bool,
    #[serde(default)]
    exclusive: bool,
    #[serde(default)]
    removed_at: Option<StepSpec>,
    #[serde(default)]
    refuses: Vec<StepSpec>,
    #[serde(default)]
    record_len: Option<usize>,
}

#[derive(Debug, Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum StepSpec {
    Select,
    ReadBasic,
    ReadHcData,
}

impl From<StepSpec> for Step {
    fn from(s: StepSpec) -> Step {
        match s {
            StepSpec::Select => Step::Select,
            StepSpec::ReadBasic => Step::ReadBasic,
            StepSpec::ReadHcData => Step::ReadHcData,
        }
    }
}

#[derive(Debug, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct HolderSpec {
    card_no: String,
    name: String,
    id: String,
    birth: String,
    sex: char,
    issued: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsbSpec {
    vendor: String,
    product: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    smartcard: bool,
    /// A Windows Device Manager problem code (28: no driver).
    #[serde(default)]
    problem: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ComponentSpec {
    /// The install folder exists.
    installed: bool,
    /// The daemon's file name in the install folder; absent: no daemon file.
    binary: Option<String>,
    /// An ELF executable; `false`: something else sits where the daemon should be.
    elf: bool,
    /// Permission bits, octal (`"0755"`).
    mode: String,
    /// The daemon's NEEDED libraries.
    needs: Vec<String>,
    /// The newest glibc version the daemon needs from libc.so.6 (`"2.29"`, the 2024
    /// build). Absent: it needs no symbol versions.
    glibc: Option<String>,
    /// Files present in `<install>/cert`.
    certs: Vec<String>,
    /// A systemd unit starts it.
    service_unit: bool,
}

impl Default for ComponentSpec {
    fn default() -> Self {
        ComponentSpec {
            installed: false,
            binary: None,
            elf: true,
            mode: "0755".into(),
            needs: Vec::new(),
            glibc: None,
            certs: Vec::new(),
            service_unit: false,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcSpec {
    name: String,
    #[serde(default)]
    exe: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ListenerSpec {
    Pid(u32),
    Word(String),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ResolveSpec {
    Addresses(Vec<IpAddr>),
    Word(String),
}

#[derive(Debug, Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Reach {
    #[default]
    Reachable,
    Unreachable,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct BridgeSpec {
    /// Something accepts connections on the address the bridge checks use.
    listening: bool,
    /// A certificate generation of `sim::certs` (test-ca, nhi-2020, podman-2024…).
    certs: String,
    /// A fault mode of the fake bridge (healthy, offline-gate, code:8013…).
    fault: String,
    /// What the component's `cert/NHIRootCA.crt` holds: `generation` (the root that came
    /// with the certificates) or `leaf` (the server certificate itself).
    root_ca: String,
    /// The reader `GetBasic` reads: `first` (as the component does) or a reader name.
    reader: String,
}

impl Default for BridgeSpec {
    fn default() -> Self {
        BridgeSpec {
            listening: true,
            certs: "test-ca".into(),
            fault: "healthy".into(),
            root_ca: "generation".into(),
            reader: "first".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct VerifierSpec {
    /// What the agency's verifier config holds.
    config: VerifierSetup,
    /// What the service answers: `A0000`, `A8002`, any other result (`A7010:…`), `fault`,
    /// `not-soap`, `silent`, or `unreachable` (nothing listens).
    answer: String,
}

impl Default for VerifierSpec {
    fn default() -> Self {
        VerifierSpec {
            config: VerifierSetup::Complete,
            answer: "A0000".into(),
        }
    }
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
enum VerifierSetup {
    /// Endpoint, organisation id and secret, unit, trust anchor.
    Complete,
    /// No verifier set up at all.
    #[serde(rename = "none")]
    Missing,
    /// A config file without the organisation's secret.
    NoOrgPass,
}

/// The world user's home: its browser profiles are files of the world (`files:` in
/// `assets/demo/world.yaml`).
const DEMO_HOME: &str = "/home/demo";
/// The same user's profile folder on a Windows world.
const WINDOWS_DEMO_HOME: &str = "C:/Users/demo";

/// The `answer` that means no server at all.
const UNREACHABLE: &str = "unreachable";

/// The demo's organisation id and secret: what an agency's config would hold, made up.
const DEMO_ORG_ID: &str = "DEMO-ORG-0001";
const DEMO_ORG_PASS: &str = "demo-org-secret";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TimeSpec {
    reachable: bool,
    /// How far the server's clock is ahead of this computer's (negative: behind).
    skew_minutes: i64,
}

impl Default for TimeSpec {
    fn default() -> Self {
        TimeSpec {
            reachable: true,
            skew_minutes: 0,
        }
    }
}

/// An announced maintenance window around now, in hours from now.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MaintenanceSpec {
    service: L10n,
    from_hours: i64,
    to_hours: i64,
    #[serde(default)]
    note: Option<L10n>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum DownloadSpec {
    Text { text: String },
    Word(String),
}

/// PC/SC error names a world may use for a failing service.
const PCSC_ERRORS: &[(&str, u32)] = &[
    ("SCARD_F_INTERNAL_ERROR", 0x8010_0001),
    ("SCARD_F_COMM_ERROR", 0x8010_0013),
    ("SCARD_E_NO_MEMORY", 0x8010_0006),
    ("SCARD_E_SERVICE_STOPPED", 0x8010_001E),
];

impl WorldSpec {
    pub fn from_value(v: &Value) -> Result<WorldSpec, String> {
        let spec: WorldSpec = serde_yaml::from_value(v.clone()).map_err(|e| e.to_string())?;
        spec.validate()?;
        Ok(spec)
    }

    /// What deserialising cannot see: names that must refer to something.
    fn validate(&self) -> Result<(), String> {
        self.service()?;
        for v in [&self.glibc, &self.component.glibc].into_iter().flatten() {
            glibc_release(v).ok_or_else(|| format!("glibc `{v}` is not a version like 2.29"))?;
        }
        for (name, c) in &self.cards {
            crate::nhi::atr::parse_hex(&c.atr).map_err(|e| format!("card `{name}`: atr: {e}"))?;
            if let Some(h) = &c.holder {
                holder(h)
                    .record()
                    .map_err(|e| format!("card `{name}`: {e}"))?;
            }
        }
        for (addr, l) in &self.listeners {
            addr.parse::<SocketAddr>()
                .map_err(|_| format!("listener `{addr}` is not an address:port"))?;
            match l {
                ListenerSpec::Pid(_) => {}
                ListenerSpec::Word(w) if w == "hidden" => {}
                ListenerSpec::Word(w) => {
                    return Err(format!(
                        "listener `{addr}`: `{w}` is neither a PID nor `hidden`"
                    ));
                }
            }
        }
        for (host, r) in &self.resolver {
            if let ResolveSpec::Word(w) = r
                && !matches!(w.as_str(), "not-found" | "timeout")
            {
                return Err(format!(
                    "resolver `{host}`: `{w}` is not a list of addresses, `not-found` or `timeout`"
                ));
            }
        }
        for (name, d) in &self.downloads {
            if let DownloadSpec::Word(w) = d
                && w != "broken-link"
            {
                return Err(format!(
                    "download `{name}`: `{w}` is neither {{text: …}} nor `broken-link`"
                ));
            }
        }
        for store in self.cert_stores.keys() {
            machine::store_id(store).ok_or_else(|| {
                format!("cert store `{store}` is not one Chrome reads (e.g. CurrentUser/ROOT)")
            })?;
        }
        for key in self.registry.keys() {
            machine::hive_and_path(key).ok_or_else(|| {
                format!("registry key `{key}` starts with neither HKLM\\ nor HKCU\\")
            })?;
        }
        for u in &self.usb {
            u16::from_str_radix(&u.vendor, 16)
                .map_err(|_| format!("usb vendor `{}` is not hex", u.vendor))?;
            u16::from_str_radix(&u.product, 16)
                .map_err(|_| format!("usb product `{}` is not hex", u.product))?;
        }
        u32::from_str_radix(&self.component.mode, 8)
            .map_err(|_| format!("component mode `{}` is not octal", self.component.mode))?;
        CertGeneration::parse(&self.bridge.certs).ok_or_else(|| {
            format!(
                "bridge certs `{}` is not a certificate generation",
                self.bridge.certs
            )
        })?;
        Fault::parse(&self.bridge.fault).ok_or_else(|| {
            format!(
                "bridge fault `{}` is not a fault mode of the fake bridge",
                self.bridge.fault
            )
        })?;
        if !matches!(self.bridge.root_ca.as_str(), "generation" | "leaf") {
            return Err(format!(
                "bridge root_ca `{}` is `generation` or `leaf`",
                self.bridge.root_ca
            ));
        }
        if self.verifier.answer != UNREACHABLE
            && VerifierAnswer::parse(&self.verifier.answer).is_none()
        {
            return Err(format!(
                "verifier answer `{}` is A0000, A8002, another A code, fault, not-soap, silent or {UNREACHABLE}",
                self.verifier.answer
            ));
        }
        if self.bridge.reader != "first" && !self.readers.contains_key(&self.bridge.reader) {
            return Err(format!(
                "bridge reader `{}` is not one of the readers",
                self.bridge.reader
            ));
        }
        if let Some(m) = &self.maintenance
            && m.to_hours <= m.from_hours
        {
            return Err("maintenance ends before it starts".into());
        }
        Ok(())
    }

    fn service(&self) -> Result<Service, String> {
        match self.pcsc.as_deref().unwrap_or("running") {
            "running" => {
                let readers = self
                    .readers
                    .iter()
                    .map(|(name, r)| {
                        let card = match r.card.as_deref() {
                            None | Some("none") => None,
                            Some(c) => Some(self.card(c).ok_or_else(|| {
                                format!("reader `{name}`: no card `{c}` in `cards`")
                            })?),
                        };
                        Ok(SimReader {
                            name: name.clone(),
                            card,
                        })
                    })
                    .collect::<Result<Vec<_>, String>>()?;
                Ok(Service::Running(readers))
            }
            "stopped" => Ok(Service::Stopped),
            other => match PCSC_ERRORS.iter().find(|(n, _)| *n == other) {
                Some((n, code)) => Ok(Service::Failing(PcscError::Other {
                    code: *code,
                    text: (*n).to_string(),
                })),
                None => Err(format!(
                    "pcsc `{other}` is `running`, `stopped` or one of {}",
                    PCSC_ERRORS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
        }
    }

    fn card(&self, name: &str) -> Option<SimCard> {
        let c = self.cards.get(name)?;
        Some(SimCard {
            atr: crate::nhi::atr::parse_hex(&c.atr).ok()?,
            holder: c.holder.as_ref().map(holder),
            mute: c.mute,
            exclusive: c.exclusive,
            removed_at: c.removed_at.map(Step::from),
            refuses: c.refuses.iter().copied().map(Step::from).collect(),
            record_len: c.record_len,
        })
    }
}

fn holder(h: &HolderSpec) -> CardHolder {
    CardHolder {
        card_no: h.card_no.clone(),
        name: h.name.clone(),
        id_no: h.id.clone(),
        birth: h.birth.clone(),
        sex: h.sex,
        issued: h.issued.clone(),
    }
}

/// A folder of this world's own; removed with it.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> std::io::Result<TempDir> {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ecpa-doctor-demo-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running simulated machine. Dropping it stops its servers and removes its files.
pub struct World {
    pub scenario: &'static Scenario,
    pub profile: Arc<Profile>,
    pub system: Arc<System>,
    // Fields drop in order: the servers stop before their files go.
    _bridge: Option<FakeBridge>,
    _cloud: Option<CloudStandIn>,
    _time: Option<TimeServer>,
    _verifier: Option<FakeVerifier>,
    _dir: TempDir,
}

/// A loopback port nothing listens on (bound, then let go).
fn closed_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// An I/O error as a message naming the scenario and what was being done.
fn io_error<'a>(scenario: &'a str, what: &'static str) -> impl Fn(std::io::Error) -> String + 'a {
    move |e| format!("scenario `{scenario}`: {what}: {e}")
}

/// The servers of a world that the checks really connect to, and where they listen.
struct Servers {
    bridge: Option<FakeBridge>,
    bridge_port: u16,
    certs: CertSet,
    cloud: Option<CloudStandIn>,
    cloud_port: u16,
    time: Option<TimeServer>,
    time_url: String,
    verifier: Option<FakeVerifier>,
    verifier_endpoint: String,
}

/// The files the checks read from the real disk, written to the world's folder.
struct DiskFiles {
    root_ca: PathBuf,
    known_certs: PathBuf,
    windows: PathBuf,
    downloads: PathBuf,
    /// The verifier config the password check reads; `None` when none is set up.
    verifier_config: Option<PathBuf>,
}

impl World {
    pub fn build(scenario: &'static Scenario, base: &Profile) -> Result<World, String> {
        let spec = WorldSpec::from_value(&scenario.world)
            .map_err(|e| format!("scenario `{}`: {e}", scenario.id))?;
        let id = scenario.id.as_str();
        let dir = TempDir::new().map_err(io_error(id, "temporary folder"))?;
        let pcsc = Arc::new(SimPcsc {
            service: spec.service()?,
        });
        let servers = start_servers(&spec, pcsc.clone(), id)?;
        let root_pem = if spec.bridge.root_ca == "leaf" {
            servers.certs.leaf_pem.clone()
        } else {
            servers.certs.component_root_pem.clone()
        };
        let disk = write_disk_files(&spec, &dir.0, &servers, &root_pem, id)?;
        let system = simulated_system(
            &spec,
            pcsc,
            mem_files(&spec, &servers.certs, &root_pem),
            (&servers.certs, &root_pem),
        );

        let mut profile = match &spec.message {
            Some(m) => crate::account::explain::with_message(base, m),
            None => base.clone(),
        };
        let shown = |p: &Path| p.display().to_string();
        let verifier_config = disk.verifier_config.as_deref().map(shown);
        let stand_ins = StandIns {
            os: spec.os.param().to_string(),
            bridge_port: servers.bridge_port,
            cloud_port: servers.cloud_port,
            time_url: servers.time_url.clone(),
            root_ca: shown(&disk.root_ca),
            known_certs: shown(&disk.known_certs),
            windows_file: shown(&disk.windows),
            downloads: shown(&disk.downloads),
            verifier_endpoint: servers.verifier_endpoint.clone(),
            verifier_config,
            home: if spec.os == Os::Windows {
                WINDOWS_DEMO_HOME.into()
            } else {
                DEMO_HOME.into()
            },
        };
        point_at_world(&mut profile, &stand_ins)?;
        Ok(World {
            scenario,
            profile: Arc::new(profile),
            system: Arc::new(system),
            _bridge: servers.bridge,
            _cloud: servers.cloud,
            _time: servers.time,
            _verifier: servers.verifier,
            _dir: dir,
        })
    }
}

/// Each check that reaches past the system layer is pointed at this world, as its kind's
/// descriptor says; every other param and every check stays as the profile has it. A
/// kind that no world can stand in for makes the profile unusable here.
fn point_at_world(profile: &mut Profile, w: &StandIns) -> Result<(), String> {
    for check in &mut profile.checks {
        let set = match check.descriptor.simulated {
            Simulated::SystemLayer => continue,
            Simulated::Pointed(point) => point(w),
            Simulated::Unsupported => {
                return Err(format!(
                    "check `{}` (kind `{}`) cannot run in a simulated world",
                    check.id, check.kind
                ));
            }
        };
        let mut params = match &check.params {
            Value::Mapping(m) => m.clone(),
            _ => Default::default(),
        };
        for (k, v) in set {
            params.insert(k.into(), v);
        }
        check.params = Value::Mapping(params);
        check.probe = (check.descriptor.build)(&check.params)
            .map_err(|err| format!("check `{}`: {err}", check.id))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::Files;

    #[test]
    fn a_minimal_world_is_an_empty_machine() {
        let spec = WorldSpec::from_value(&serde_yaml::from_str("os: linux").unwrap()).unwrap();
        assert!(matches!(spec.service().unwrap(), Service::Running(r) if r.is_empty()));
    }

    #[test]
    fn the_healthy_world_has_a_real_looking_install() {
        let s = super::super::scenario::find("healthy").unwrap();
        let spec = WorldSpec::from_value(&s.world).unwrap();
        let certs = CertGeneration::TestCa.generate().unwrap();
        let f = mem_files(&spec, &certs, &certs.component_root_pem);
        let daemon = f
            .read(&Path::new(INSTALL_DIR).join("mLNHIICC"), u64::MAX)
            .unwrap();
        let info = crate::component::elf::parse(&daemon).unwrap();
        assert!(
            info.needed.iter().any(|n| n == "libpcsclite.so.1"),
            "{info:?}"
        );
        assert!(f.exists(Path::new("/etc/hosts")));
    }

    /// Every kind says how it runs in a simulated world (its descriptor); the default
    /// profile has no kind the demo cannot stand in for, and every check that reaches past
    /// the system layer is pointed away from the default profile's real addresses.
    #[test]
    fn every_check_of_the_default_profile_is_simulated_or_pointed_at_the_world() {
        let base = crate::probes::builtin_profile();
        let s = super::super::scenario::find("healthy").unwrap();
        let w = World::build(s, &base).unwrap();
        let mut pointed = 0;
        for c in &w.profile.checks {
            match c.descriptor.simulated {
                Simulated::SystemLayer => {}
                Simulated::Unsupported => panic!("check `{}` cannot run in the demo", c.id),
                Simulated::Pointed(_) => {
                    pointed += 1;
                    let before = base.check(&c.id).map(|b| b.params.clone());
                    assert_ne!(
                        Some(&c.params),
                        before.as_ref(),
                        "check `{}` still has the default profile's params",
                        c.id
                    );
                }
            }
        }
        assert!(pointed >= 10, "{pointed}");
    }

    /// The console asks `verifier_status` and the check resolves its verifier from the same
    /// params: in the demo both see only the world's config, whatever the environment and
    /// the operator's profile name.
    #[test]
    fn the_password_check_asks_only_the_worlds_verifier() {
        use crate::account::verifier::{
            ConfigError, ENV_CONFIG, ENV_ENDPOINT, ENV_ORG_ID, ENV_ORG_PASS,
        };
        use crate::probes::registration::verifier_for;
        let hostile = |k: &str| match k {
            ENV_CONFIG => Some("/etc/ecpa-doctor/verifier.yaml".to_string()),
            ENV_ENDPOINT => Some(crate::account::verifier::DEFAULT_ENDPOINT.to_string()),
            ENV_ORG_ID | ENV_ORG_PASS => Some("real".to_string()),
            _ => None,
        };
        let mut base = crate::probes::builtin_profile();
        for c in base.checks.iter_mut().filter(|c| c.descriptor.on_request) {
            if let Value::Mapping(m) = &mut c.params {
                m.insert("config_file".into(), "/etc/ecpa-doctor/agency.yaml".into());
                m.insert("ca_file".into(), "/etc/ssl/agency.pem".into());
            }
        }
        let params = |id: &str| {
            let w = World::build(super::super::scenario::find(id).unwrap(), &base).unwrap();
            let c = w
                .profile
                .checks
                .iter()
                .find(|c| c.descriptor.on_request)
                .unwrap()
                .params
                .clone();
            (w, c)
        };
        let (_w, healthy) = params("healthy");
        let v = verifier_for(&healthy, &hostile).unwrap();
        assert!(
            v.endpoint.starts_with("https://localhost:")
                && crate::account::verifier::on_this_computer(&v.endpoint),
            "{v:?}"
        );
        let source = v.source.render(false);
        assert!(
            source.contains("ecpa-doctor-demo-") && source.ends_with("verifier.yaml"),
            "{v:?}"
        );
        assert!(
            v.ca_file
                .as_ref()
                .is_some_and(|p| p.starts_with(std::env::temp_dir())),
            "{v:?}"
        );
        let (_w, none) = params("registration-no-verifier");
        assert_eq!(
            verifier_for(&none, &hostile).unwrap_err(),
            ConfigError::NotConfigured
        );
        let (_w, broken) = params("registration-verifier-config");
        assert!(
            matches!(verifier_for(&broken, &hostile), Err(ConfigError::Invalid { problem, .. }) if problem.render(false).contains("org_pass"))
        );
    }

    #[test]
    fn names_that_refer_to_nothing_are_refused() {
        let bad = |y: &str| WorldSpec::from_value(&serde_yaml::from_str(y).unwrap()).unwrap_err();
        assert!(bad("readers: {R: {card: ghost}}").contains("ghost"));
        assert!(bad("pcsc: SCARD_E_WHATEVER").contains("SCARD_E_WHATEVER"));
        assert!(bad("bridge: {fault: melting}").contains("melting"));
        assert!(bad("verifier: {answer: maybe}").contains("maybe"));
        assert!(bad("verifier: {config: half}").contains("half"));
        assert!(bad("listeners: {\"127.0.0.1:7777\": someone}").contains("someone"));
    }
}
