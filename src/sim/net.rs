//! The rest of the demo's simulated machine: its USB devices, process table, listening
//! sockets and resolver answers, each behind the system trait the probes use.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use crate::system::{
    Listener, Lookup, Owner, ProcInfo, Processes, Resolver, Sockets, UsbBus, UsbDevice,
};

pub struct SimUsb(pub Vec<UsbDevice>);

impl UsbBus for SimUsb {
    fn devices(&self) -> Option<Vec<UsbDevice>> {
        Some(self.0.clone())
    }
}

pub struct SimProcesses(pub Vec<ProcInfo>);

impl Processes for SimProcesses {
    fn list(&self) -> Option<Vec<ProcInfo>> {
        Some(self.0.clone())
    }
}

/// Who holds a listening socket, as the socket table shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Holder {
    Pid(u32),
    /// Another user's process: visible without root as a socket, not as an owner.
    Hidden,
}

/// Always a table (never `None`): the demo must not fall back to connecting to the
/// machine's real port 7777.
pub struct SimSockets {
    pub listeners: Vec<(SocketAddr, Holder)>,
    pub procs: Vec<ProcInfo>,
}

impl Sockets for SimSockets {
    fn tcp_listeners(&self, port: u16) -> Option<Vec<Listener>> {
        Some(
            self.listeners
                .iter()
                .filter(|(a, _)| a.port() == port)
                .map(|(local, holder)| {
                    let owners = match holder {
                        Holder::Hidden => Vec::new(),
                        Holder::Pid(pid) => {
                            let p = self.procs.iter().find(|p| p.pid == *pid);
                            vec![Owner {
                                pid: *pid,
                                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                                exe: p.and_then(|p| p.exe.clone()),
                            }]
                        }
                    };
                    Listener {
                        local: *local,
                        owners,
                    }
                })
                .collect(),
        )
    }
}

/// Names the scenario does not mention do not resolve, as on a machine without DNS.
pub struct SimResolver(pub BTreeMap<String, Lookup>);

impl Resolver for SimResolver {
    fn lookup(&self, host: &str, _timeout: Duration) -> Lookup {
        let key = host.trim_end_matches('.').to_ascii_lowercase();
        self.0
            .get(&key)
            .cloned()
            .unwrap_or_else(|| Lookup::NotFound("Name or service not known".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listeners_are_named_through_the_process_table_or_hidden() {
        let procs = vec![ProcInfo {
            pid: 7,
            name: "mLNHIICC".into(),
            exe: None,
        }];
        let s = SimSockets {
            listeners: vec![
                ("127.0.0.1:7777".parse().unwrap(), Holder::Pid(7)),
                ("[::1]:7777".parse().unwrap(), Holder::Hidden),
                ("0.0.0.0:22".parse().unwrap(), Holder::Pid(1)),
            ],
            procs,
        };
        let l = s.tcp_listeners(7777).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].owners[0].name, "mLNHIICC");
        assert!(l[1].owners.is_empty());
        assert_eq!(s.tcp_listeners(8080), Some(vec![]));
    }

    #[test]
    fn unknown_names_do_not_resolve() {
        let r = SimResolver(BTreeMap::from([(
            "iccert.nhi.gov.tw".to_string(),
            Lookup::Found(vec!["127.0.0.1".parse().unwrap()]),
        )]));
        assert!(matches!(
            r.lookup("ICCERT.nhi.gov.tw.", Duration::ZERO),
            Lookup::Found(_)
        ));
        assert!(matches!(
            r.lookup("example.org", Duration::ZERO),
            Lookup::NotFound(_)
        ));
    }
}
