//! Windows facts, through the Windows API (`winapi.rs`): a service's state, and the legacy
//! IE add-on's COM class in both registry views. No tool's localised text is parsed.

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct ServiceState {
    /// `RUNNING`, `STOPPED`, `START_PENDING`…, or `MISSING`.
    pub state: Option<String>,
    /// `AUTO_START`, `DEMAND_START`, `DISABLED`…
    pub start_type: Option<String>,
}

/// The state of a Windows service, or `None` when the Service Control Manager cannot be
/// asked (and on other OSes).
pub fn query_service(name: &str) -> Option<ServiceState> {
    super::winapi::service(name)
}

/// A COM class registered under `CLSID` (the legacy IE add-on "twNHIICC Class").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ComClass {
    pub clsid: String,
    pub server: Option<String>,
    /// The registry view it is in: `32-bit` or `64-bit`.
    pub view: &'static str,
}

/// COM classes named `name` in either registry view; `None` when the registry could not
/// be read (and on other OSes).
pub fn find_com_class(name: &str) -> Option<Vec<ComClass>> {
    Some(
        super::winapi::com_classes_named(name)?
            .into_iter()
            .map(|(clsid, server, view)| ComClass {
                clsid,
                server,
                view: view.label(),
            })
            .collect(),
    )
}
