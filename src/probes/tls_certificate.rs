//! Kind `tls_certificate`: the certificate chain the bridge on 127.0.0.1:7777 shows a
//! browser. The chain is captured even when nothing trusts it, every certificate is shown
//! (subject, issuer, SAN, validity, SHA-256), and then it is judged: expired or soon
//! expiring (the 2024 package's per-machine root lives 30 days), not covering
//! `iccert.nhi.gov.tw`, trusted neither by the system store nor by the component's own
//! `NHIRootCA.crt`, or the 2019–2022 certificate whose private key every user received.

use crate::engine::kind::{Simulated, StandIns};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use rustls::pki_types::CertificateDer;
use serde::Deserialize;

use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, de_duration, params};
use crate::bridge::tls::{self, Anchors, CertInfo, Coverage, Trust};
use crate::bridge::{
    Budget, NetError, Target, check_server_name, farewell, net_failure, take_turn,
};
use crate::engine::outcome::{Msg, Outcome, Status, Value};
use crate::i18n::L10n;
use crate::system::certstore::CertStores;

pub const KIND: Kind = Kind {
    name: "tls_certificate",
    findings: &[
        "tls.leaf_expired",
        "tls.ca_expired",
        "tls.not_yet_valid",
        "tls.untrusted",
        "tls.name_mismatch",
        "tls.expiring_soon",
        "tls.shared_key",
        "bridge.refused",
        "bridge.no_answer",
        "bridge.connect_failed",
        "bridge.not_tls",
        "bridge.tls_failed",
    ],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the fake component's port, the world's `NHIRootCA.crt` and
/// known-certificate list.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![
        ("port", w.bridge_port.into()),
        ("component_root_ca", w.root_ca.as_str().into()),
        ("known_certs", w.known_certs.as_str().into()),
        ("browsers_judge_trust", (w.os == "linux").into()),
    ]
}

pub const KNOWN_CERTS_YAML: &str = include_str!("../../assets/tls-known-certs.yaml");

/// At most this many certificates of a chain go into the evidence.
const SHOWN_CERTS: usize = 6;

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default = "crate::bridge::defaults::host")]
    host: String,
    #[serde(default = "crate::bridge::defaults::port")]
    port: u16,
    /// Server names to connect with; the first one's chain is judged. The others are
    /// tried only when the first handshake fails (the real component ignores SNI, another
    /// server may not).
    #[serde(default = "default_sni")]
    sni: Vec<String>,
    /// Names the leaf certificate must cover: what the eCPA page connects to.
    #[serde(default = "default_names")]
    names: Vec<String>,
    /// The component's own root, which its install tells browsers to trust.
    #[serde(default = "default_root_ca")]
    component_root_ca: Option<PathBuf>,
    #[serde(default = "yes")]
    system_store: bool,
    /// Replaces the built-in list of known certificates (`assets/tls-known-certs.yaml`).
    #[serde(default)]
    known_certs: Option<PathBuf>,
    /// Browsers take their trust from stores of their own that the browser checks read
    /// (on Linux: Chromium's and Firefox's NSS databases), so a chain the system store
    /// does not trust is evidence here, not a finding. Default: on Linux.
    #[serde(default = "browsers_judge_trust")]
    browsers_judge_trust: bool,
    /// Warn when a certificate of the chain expires within this many days.
    #[serde(default = "default_warn_days")]
    warn_days: u32,
    #[serde(
        default = "crate::bridge::defaults::connect",
        deserialize_with = "de_duration"
    )]
    connect_timeout: Duration,
    #[serde(
        default = "crate::bridge::defaults::handshake",
        deserialize_with = "de_duration"
    )]
    handshake_timeout: Duration,
}

fn default_sni() -> Vec<String> {
    vec!["iccert.nhi.gov.tw".into(), "localhost".into()]
}
fn default_names() -> Vec<String> {
    vec!["iccert.nhi.gov.tw".into()]
}
/// The Linux/macOS install's root; on Windows where the component keeps it is not known,
/// so nothing is looked for.
fn default_root_ca() -> Option<PathBuf> {
    (!cfg!(windows)).then(|| PathBuf::from("/usr/local/share/NHIICC/cert/NHIRootCA.crt"))
}
fn yes() -> bool {
    true
}
fn browsers_judge_trust() -> bool {
    cfg!(target_os = "linux")
}
fn default_warn_days() -> u32 {
    7
}

struct TlsCertificate {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.sni.is_empty() {
        return Err("`sni` needs at least one server name".into());
    }
    p.sni.iter().try_for_each(|s| check_server_name(s))?;
    Ok(Arc::new(TlsCertificate { p }))
}

impl Probe for TlsCertificate {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(async move {
            let budget = Budget::new(ctx.timeout);
            let turn = take_turn(&budget).await;
            let target = Target {
                host: p.host.clone(),
                port: p.port,
            };
            let waits = tls::Waits {
                connect: p.connect_timeout,
                handshake: p.handshake_timeout,
            };
            let main_sni = p.sni[0].clone();
            let conn = match tls::connect(&target, &main_sni, &budget, waits).await {
                Ok(c) => c,
                Err(e) => {
                    let o = net_failure(&e, &target).with("sni", main_sni);
                    // The component ignores SNI, so the other names are tried only when the
                    // handshake itself failed: to tell whether another server on the port
                    // minds the name. Every extra connection costs the component a cloud
                    // round trip, and it listens with a backlog of one.
                    if !matches!(e, NetError::TlsFailed(_)) {
                        return o;
                    }
                    let others = other_names(&target, &p.sni[1..], &budget, waits).await;
                    return if others.is_empty() {
                        o
                    } else {
                        o.with("sni_also", Value::join(others, "; "))
                    };
                }
            };
            let seen = Seen {
                target,
                sni: main_sni,
                chain: conn.chain,
                version: conn.version,
                cipher: conn.cipher,
            };
            farewell::close(conn.stream);
            drop(turn);
            // Loading the system store and the component's files reads the disk.
            let sys = ctx.system();
            blocking(move || judge(&p, seen, sys.cert_stores.as_ref())).await
        })
    }
}

/// What a handshake with each of `names` gives, after the first name's handshake failed.
async fn other_names(
    target: &Target,
    names: &[String],
    budget: &Budget,
    waits: tls::Waits,
) -> Vec<Value> {
    let mut notes = Vec::new();
    for sni in names {
        let note: Value = match tls::connect(target, sni, budget, waits).await {
            Ok(c) => {
                let leaf = c
                    .chain
                    .first()
                    .map(|l| tls::fingerprint(l))
                    .unwrap_or_default();
                farewell::close(c.stream);
                Msg::new("value.sni.handshake_ok")
                    .arg("sha256", leaf)
                    .into()
            }
            Err(e) => net_failure(&e, target).finding.unwrap_or_default().into(),
        };
        notes.push(
            Msg::new("value.labelled")
                .arg("name", sni.as_str())
                .arg("value", note)
                .into(),
        );
    }
    notes
}

/// What the handshakes showed.
struct Seen {
    target: Target,
    sni: String,
    chain: Vec<CertificateDer<'static>>,
    version: String,
    cipher: String,
}

/// One thing wrong with the chain; the first in severity order becomes the finding, the
/// others are listed in the evidence.
struct Problem {
    code: &'static str,
    msg: Msg,
    status: Status,
}

fn problem(code: &'static str, msg: Msg) -> Problem {
    Problem {
        code,
        msg,
        status: Status::Fail,
    }
}

type Evidence = Vec<(String, Value)>;

fn judge(p: &Params, seen: Seen, stores: &dyn CertStores) -> Outcome {
    let now = SystemTime::now();
    let infos: Vec<CertInfo> = seen.chain.iter().map(|c| CertInfo::parse(c)).collect();
    let Some(leaf) = infos.first() else {
        return net_failure(
            &crate::bridge::NetError::TlsFailed(Msg::new("value.net.no_certificate_sent").into()),
            &seen.target,
        );
    };
    let mut evidence = chain_evidence(&seen, &infos);
    let component = p
        .component_root_ca
        .as_deref()
        .map(|path| (path, tls::load_certs(path)));
    let component_infos: Vec<CertInfo> = match &component {
        Some((_, Ok(certs))) => certs.iter().map(|c| CertInfo::parse(c)).collect(),
        _ => Vec::new(),
    };
    if let Some((path, loaded)) = &component {
        evidence.push((
            "component_root_ca".into(),
            describe_file(path, loaded, &component_infos),
        ));
    }
    let component_certs = match &component {
        Some((_, Ok(certs))) => Some(certs.as_slice()),
        _ => None,
    };
    let trusted_by = trust(
        p.system_store.then_some(stores),
        component_certs,
        &seen.chain,
        &infos,
        now,
        &mut evidence,
    );
    let known = known_certs(p.known_certs.as_deref(), &mut evidence);
    let known_hits: Vec<&KnownCert> = infos
        .iter()
        .filter_map(|i| known.iter().find(|k| k.matches(&i.sha256)))
        .collect();
    if !known_hits.is_empty() {
        evidence.push((
            "known_cert".into(),
            Value::join(known_hits.iter().map(|k| k.label.value()), "; "),
        ));
    }

    let cas: Vec<CertInfo> = infos[1..]
        .iter()
        .chain(component_infos.iter())
        .cloned()
        .collect();
    let generation = generation(leaf, &cas);
    if let Some(g) = generation {
        evidence.push(("cert_generation".into(), g.describe(leaf).into()));
    }

    let mut problems = validity_problems(leaf, &infos[1..], &component_infos, now, p.warn_days);
    if trusted_by.is_none() && p.browsers_judge_trust {
        evidence.push((
            "trust_browsers".into(),
            Msg::new("value.trust.browsers_judge").into(),
        ));
    } else if trusted_by.is_none() {
        let key = match generation {
            // Its root did not sign it: importing NHIRootCA.crt, the usual advice, cannot help.
            Some(Generation::Nhi2020) => "tls.untrusted_2020",
            _ if leaf.self_issued() => "tls.untrusted_self_signed",
            _ => "tls.untrusted",
        };
        problems.push(problem(
            "tls.untrusted",
            Msg::new(key).arg("subject", leaf.short_name()),
        ));
    }
    problems.extend(name_problems(leaf, &p.names, generation));
    if let Some(k) = known_hits.iter().find(|k| k.shared_key) {
        problems.push(Problem {
            code: "tls.shared_key",
            msg: Msg::new("tls.shared_key").arg("label", k.label.value()),
            status: Status::Warn,
        });
    }
    let outcome = verdict(problems, || {
        let key = match trusted_by {
            Some(SYSTEM) => "tls.pass_system",
            Some(_) => "tls.pass_component",
            None => "tls.pass_browsers_judge",
        };
        Msg::new(key)
            .arg("names", p.names.join(", "))
            .arg("until", tls::date(leaf.not_after))
    });
    evidence
        .into_iter()
        .fold(outcome, |o, (k, v)| o.with(&k, v))
        .handing(tls::ServedChain {
            chain: seen.chain,
            names: p.names.clone(),
        })
}

/// The component's certificate generations (real-component §2, facts §4.3). Only the
/// 2019–2022 files are the same on every machine (the known-certificates list names them by
/// fingerprint); the later ones are made per machine, so names and lifetimes tell them apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Generation {
    /// The self-signed `NHI.Self.Server.Cert`, shipped with an `NHI.Root.CA` that did not sign it.
    Nhi2020,
    /// Made by the 2024 package's installer: an `nhi-localhost-ca` root living 30 days.
    Nhi2024 { root_days: u64 },
    /// An `nhi-localhost-ca` root made to live longer, as the podman image's `regen-certs.sh`
    /// does (3650 days).
    Regenerated { root_days: u64 },
}

/// The 2024 installer's root lives 30 days; a day's slack for how its dates were rounded.
const PACKAGE_ROOT_DAYS: u64 = 31;

fn generation(leaf: &CertInfo, cas: &[CertInfo]) -> Option<Generation> {
    if leaf.self_issued() && leaf.short_name() == "NHI.Self.Server.Cert" {
        return Some(Generation::Nhi2020);
    }
    let root = cas.iter().find(|c| {
        c.error.is_none() && c.short_name() == "nhi-localhost-ca" && c.subject == leaf.issuer
    })?;
    let root_days = match (root.not_before, root.not_after) {
        (Some(from), Some(to)) => to.duration_since(from).map_or(0, |d| d.as_secs() / 86_400),
        _ => 0,
    };
    Some(if root_days <= PACKAGE_ROOT_DAYS {
        Generation::Nhi2024 { root_days }
    } else {
        Generation::Regenerated { root_days }
    })
}

impl Generation {
    fn describe(self, leaf: &CertInfo) -> Msg {
        let san = san_text(leaf);
        match self {
            Generation::Nhi2020 => Msg::new("value.cert_generation.nhi_2020"),
            Generation::Nhi2024 { root_days } => Msg::new("value.cert_generation.nhi_2024")
                .arg("days", root_days.to_string())
                .arg("san", san),
            Generation::Regenerated { root_days } => Msg::new("value.cert_generation.regenerated")
                .arg("days", root_days.to_string())
                .arg("san", san),
        }
    }
}

fn san_text(leaf: &CertInfo) -> String {
    if leaf.san.is_empty() {
        "-".to_string()
    } else {
        leaf.san
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn chain_evidence(seen: &Seen, infos: &[CertInfo]) -> Evidence {
    let mut evidence: Evidence = vec![
        ("address".into(), seen.target.to_string().into()),
        ("sni".into(), seen.sni.clone().into()),
        ("tls_version".into(), seen.version.clone().into()),
        ("cipher".into(), seen.cipher.clone().into()),
        ("chain_length".into(), infos.len().to_string().into()),
    ];
    for (i, info) in infos.iter().take(SHOWN_CERTS).enumerate() {
        evidence.push((format!("cert_{i}"), info.describe().into()));
    }
    evidence
}

/// Verifies the chain against the system store and the component's own root; which of
/// them (if any) trusts it. On Windows the system store is what Chrome and Edge read (the
/// certificate stores, with Trusted People and Untrusted Certificates), so this check and
/// the browser check agree; elsewhere, or where no store opens, the OS's roots as
/// rustls-native-certs reads them.
fn trust(
    system: Option<&dyn CertStores>,
    component: Option<&[CertificateDer<'static>]>,
    chain: &[CertificateDer<'static>],
    infos: &[CertInfo],
    now: SystemTime,
    evidence: &mut Evidence,
) -> Option<&'static str> {
    let system = system.map(|stores| {
        let (t, note) = match windows_stores(stores, chain, now) {
            Some(judged) => judged,
            None => {
                let anchors = Anchors::system();
                (
                    tls::verify(chain, &anchors.store, now, infos),
                    anchors.note(),
                )
            }
        };
        evidence.push((
            "trust_system".into(),
            Msg::new("value.with_note")
                .arg("text", trust_text(&t))
                .arg("note", note)
                .into(),
        ));
        t
    });
    let component = component.map(|certs| {
        let t = tls::verify(chain, &Anchors::from_certs(certs).store, now, infos);
        evidence.push(("trust_component".into(), trust_text(&t).into()));
        t
    });
    trusted_by(system.as_ref(), component.as_ref())
}

/// The chain judged by the Windows certificate stores Chrome reads; `None` when none opens
/// (every OS but Windows, and a simulated world without stores).
fn windows_stores(
    stores: &dyn CertStores,
    chain: &[CertificateDer<'static>],
    now: SystemTime,
) -> Option<(Trust, Msg)> {
    use crate::browser::trust::{self as btrust, StoreVerdict};
    let (certs, opened) = crate::system::certstore::chrome_view(stores);
    if opened == 0 {
        return None;
    }
    let t = match btrust::judge(chain, &certs, now) {
        StoreVerdict::Trusted { .. } | StoreVerdict::TrustedPeer { .. } => Trust::Trusted,
        StoreVerdict::OutOfDate | StoreVerdict::RootExpired { .. } => Trust::TrustedButOutOfDate,
        StoreVerdict::Distrusted { label } => Trust::Untrusted(
            Msg::new("value.trust.win_distrusted")
                .arg("store", label)
                .into(),
        ),
        StoreVerdict::Untrusted => Trust::Untrusted(Msg::new("value.trust.win_untrusted").into()),
    };
    let note = Msg::new("value.btrust.win_stores")
        .arg("stores", opened.to_string())
        .arg("count", certs.len().to_string());
    Some((t, note))
}

fn name_problems(
    leaf: &CertInfo,
    names: &[String],
    generation: Option<Generation>,
) -> Vec<Problem> {
    let san = san_text(leaf);
    // The per-machine sets name only localhost; saying which one made it tells the helpdesk
    // that the install itself, not a user's mistake, left iccert.nhi.gov.tw out.
    let mismatch = match generation {
        Some(Generation::Nhi2024 { .. }) => "tls.name_mismatch_2024",
        Some(Generation::Regenerated { .. }) => "tls.name_mismatch_regen",
        _ => "tls.name_mismatch",
    };
    names
        .iter()
        .filter_map(|name| match leaf.covers(name) {
            Coverage::Yes => None,
            Coverage::IpListedAsDns => Some(problem(
                "tls.name_mismatch",
                Msg::new("tls.name_ip_as_dns")
                    .arg("name", name.as_str())
                    .arg("san", san.as_str()),
            )),
            Coverage::No => Some(problem(
                "tls.name_mismatch",
                Msg::new(mismatch)
                    .arg("name", name.as_str())
                    .arg("san", san.as_str()),
            )),
        })
        .collect()
}

/// Failures before warnings; within each, the order found (expiry first: it breaks every
/// browser, even one told to trust the certificate). The rest go into the evidence.
fn verdict(mut problems: Vec<Problem>, pass: impl FnOnce() -> Msg) -> Outcome {
    problems.sort_by_key(|pr| pr.status == Status::Warn);
    let Some(first) = problems.first() else {
        return Outcome::pass(pass());
    };
    let o = if first.status == Status::Warn {
        Outcome::warn(first.code, first.msg.clone())
    } else {
        Outcome::fail(first.code, first.msg.clone())
    };
    let mut others: Vec<&str> = problems[1..]
        .iter()
        .map(|pr| pr.code)
        .filter(|c| *c != first.code)
        .collect();
    others.dedup();
    if others.is_empty() {
        o
    } else {
        o.with("also_found", others.join(", "))
    }
}

fn validity_problems(
    leaf: &CertInfo,
    cas: &[CertInfo],
    component: &[CertInfo],
    now: SystemTime,
    warn_days: u32,
) -> Vec<Problem> {
    let mut out = Vec::new();
    if leaf.expired_at(now) {
        out.push(problem(
            "tls.leaf_expired",
            Msg::new("tls.leaf_expired")
                .arg("subject", leaf.short_name())
                .arg("date", tls::date(leaf.not_after)),
        ));
    }
    // The root in the component's folder counts too: it is what users import into
    // Firefox, even when the bridge does not send it along.
    let all_cas = || cas.iter().chain(component.iter());
    if let Some(ca) = all_cas().find(|c| c.expired_at(now)) {
        out.push(problem(
            "tls.ca_expired",
            Msg::new("tls.ca_expired")
                .arg("subject", ca.short_name())
                .arg("date", tls::date(ca.not_after)),
        ));
    }
    if let Some(c) = std::iter::once(leaf)
        .chain(all_cas())
        .find(|c| c.not_yet_valid_at(now))
    {
        out.push(problem(
            "tls.not_yet_valid",
            Msg::new("tls.not_yet_valid")
                .arg("subject", c.short_name())
                .arg("date", tls::date(c.not_before)),
        ));
    }
    let window = Duration::from_secs(u64::from(warn_days) * 86_400);
    if let Some(c) = std::iter::once(leaf)
        .chain(all_cas())
        .find(|c| c.expires_within(now, window))
    {
        let days = c
            .not_after
            .and_then(|t| t.duration_since(now).ok())
            .map_or(0, |d| d.as_secs() / 86_400);
        out.push(Problem {
            code: "tls.expiring_soon",
            msg: Msg::new("tls.expiring_soon")
                .arg("subject", c.short_name())
                .arg("date", tls::date(c.not_after))
                .arg("days", days.to_string()),
            status: Status::Warn,
        });
    }
    out
}

const SYSTEM: &str = "system";
const COMPONENT: &str = "component";

fn trusted_by(system: Option<&Trust>, component: Option<&Trust>) -> Option<&'static str> {
    let ok = |t: Option<&Trust>| matches!(t, Some(Trust::Trusted | Trust::TrustedButOutOfDate));
    if ok(system) {
        Some(SYSTEM)
    } else if ok(component) {
        Some(COMPONENT)
    } else {
        None
    }
}

fn trust_text(t: &Trust) -> Msg {
    match t {
        Trust::Trusted => Msg::new("value.trust.trusted"),
        Trust::TrustedButOutOfDate => Msg::new("value.trust.out_of_date"),
        Trust::Untrusted(why) => Msg::new("value.trust.untrusted").arg("why", why.clone()),
    }
}

/// `…/NHIRootCA.crt: nhi-localhost-ca (valid until 2026-12-01 10:00:00Z)`.
fn describe_file(
    path: &Path,
    loaded: &Result<Vec<CertificateDer<'static>>, tls::LoadError>,
    infos: &[CertInfo],
) -> Value {
    let what = match loaded {
        Err(e) => e.value(),
        Ok(_) => Value::join(
            infos.iter().map(|i| {
                Msg::new("value.cert.valid_until")
                    .arg("name", i.short_name())
                    .arg("date", tls::date(i.not_after))
            }),
            "; ",
        ),
    };
    Msg::new("value.labelled")
        .arg("name", path.display().to_string())
        .arg("value", what)
        .into()
}

/// The CN, which is how people tell these certificates apart; the whole subject if none.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownCert {
    pub sha256: String,
    pub label: Label,
    #[serde(default)]
    pub shared_key: bool,
}

/// A known certificate's label: one text, or both languages (the built-in list).
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Label {
    Plain(String),
    Both(L10n),
}

impl Label {
    fn value(&self) -> Value {
        match self {
            Label::Plain(t) => t.as_str().into(),
            Label::Both(t) => t.clone().into(),
        }
    }
}

impl KnownCert {
    fn matches(&self, fingerprint: &str) -> bool {
        let norm = |s: &str| {
            s.chars()
                .filter(|c| c.is_ascii_hexdigit())
                .collect::<String>()
                .to_ascii_uppercase()
        };
        norm(&self.sha256) == norm(fingerprint)
    }
}

pub fn builtin_known_certs() -> &'static [KnownCert] {
    static CELL: OnceLock<Vec<KnownCert>> = OnceLock::new();
    CELL.get_or_init(|| {
        serde_yaml::from_str(KNOWN_CERTS_YAML)
            .unwrap_or_else(|e| panic!("built-in assets/tls-known-certs.yaml is broken: {e}"))
    })
}

/// The profile's list when given and readable; otherwise the built-in one, saying why.
fn known_certs(path: Option<&Path>, evidence: &mut Evidence) -> Vec<KnownCert> {
    let Some(path) = path else {
        return builtin_known_certs().to_vec();
    };
    let loaded = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_yaml::from_str::<Vec<KnownCert>>(&t).map_err(|e| e.to_string()));
    match loaded {
        Ok(list) => list,
        Err(e) => {
            evidence.push((
                "known_certs".into(),
                Msg::new("value.known_certs.builtin_instead")
                    .arg("file", path.display().to_string())
                    .arg("error", e)
                    .into(),
            ));
            builtin_known_certs().to_vec()
        }
    }
}

#[cfg(test)]
mod tests {

    /// Windows: the chain is judged by the stores Chrome reads — a root in the user's Root
    /// store trusts it, the same root also among the Untrusted Certificates distrusts it —
    /// and with no store open the OS roots are read as before.
    #[test]
    fn on_windows_the_certificate_stores_judge_the_chain() {
        use crate::system::certstore::{Location, MemCertStores, NoCertStores, StoreId};
        let certs = crate::sim::certs::CertGeneration::TestCa
            .generate()
            .unwrap();
        let root = certs.chain.last().unwrap().to_vec();
        let now = SystemTime::now();
        let store = |location, name| StoreId { location, name };
        let trusted = MemCertStores(vec![(store(Location::CurrentUser, "ROOT"), root.clone())]);
        let (t, _) = windows_stores(&trusted, &certs.chain, now).unwrap();
        assert!(matches!(t, Trust::Trusted), "{t:?}");
        let distrusted = MemCertStores(vec![
            (store(Location::CurrentUser, "ROOT"), root.clone()),
            (store(Location::LocalMachine, "Disallowed"), root),
        ]);
        let (t, _) = windows_stores(&distrusted, &certs.chain, now).unwrap();
        assert!(matches!(t, Trust::Untrusted(_)), "{t:?}");
        let (t, _) = windows_stores(&MemCertStores::default(), &certs.chain, now).unwrap();
        assert!(matches!(t, Trust::Untrusted(_)), "{t:?}");
        assert!(windows_stores(&NoCertStores, &certs.chain, now).is_none());
    }
    use super::*;

    #[test]
    fn builtin_list_holds_the_shared_2019_certificate() {
        let list = builtin_known_certs();
        let shared: Vec<_> = list.iter().filter(|k| k.shared_key).collect();
        assert_eq!(shared.len(), 1);
        assert!(
            shared[0].matches("79d4c6ce20badad15ee1ab2c45326e45b6439824494ee1e0c3fb2529525374ed")
        );
        assert!(list.iter().all(|k| k.sha256.split(':').count() == 32));
    }

    #[test]
    fn generations_are_told_apart_by_names_and_root_lifetime() {
        use crate::sim::certs::CertGeneration;
        let seen = |g: CertGeneration| {
            let set = g.generate().unwrap();
            let infos: Vec<CertInfo> = set.chain.iter().map(|c| CertInfo::parse(c)).collect();
            (generation(&infos[0], &infos[1..]), infos)
        };
        assert_eq!(seen(CertGeneration::Nhi2020).0, Some(Generation::Nhi2020));
        assert_eq!(
            seen(CertGeneration::Nhi2024).0,
            Some(Generation::Nhi2024 { root_days: 30 })
        );
        assert_eq!(
            seen(CertGeneration::PodmanRegen).0,
            Some(Generation::Regenerated { root_days: 3650 })
        );
        assert_eq!(seen(CertGeneration::TestCa).0, None);
        // The root may come only from the component's folder, not from the chain.
        let (_, infos) = seen(CertGeneration::PodmanRegen);
        assert_eq!(generation(&infos[0], &[]), None);
        assert_eq!(
            generation(&infos[0], &infos[1..]).map(|g| g.describe(&infos[0]).key),
            Some("value.cert_generation.regenerated".to_string())
        );
        let (g, infos) = seen(CertGeneration::PodmanRegen);
        let names = vec!["iccert.nhi.gov.tw".to_string()];
        assert_eq!(
            name_problems(&infos[0], &names, g)[0].msg.key,
            "tls.name_mismatch_regen"
        );
        let (g, infos) = seen(CertGeneration::Nhi2024);
        assert_eq!(
            name_problems(&infos[0], &names, g)[0].msg.key,
            "tls.name_mismatch_2024"
        );
        let (g, infos) = seen(CertGeneration::NoIccertSan);
        assert_eq!(
            name_problems(&infos[0], &names, g)[0].msg.key,
            "tls.name_mismatch"
        );
    }

    #[test]
    fn trust_reads_in_the_reports_language() {
        use crate::i18n::Lang;
        let anchors = Anchors {
            store: rustls::RootCertStore::empty(),
            loaded: 145,
            unusable: 0,
            error: None,
        };
        let why = Value::from("invalid peer certificate: UnknownIssuer");
        let v = Value::from(
            Msg::new("value.with_note")
                .arg("text", trust_text(&Trust::Untrusted(why)))
                .arg("note", anchors.note()),
        );
        assert_eq!(
            v.render(false),
            "not trusted: invalid peer certificate: UnknownIssuer (145 certificates)"
        );
        assert_eq!(
            v.render_in(Lang::ZhTw, false),
            "不信任：invalid peer certificate: UnknownIssuer（共 145 張根憑證）"
        );
        assert_eq!(
            Value::from(trust_text(&Trust::Trusted)).render_in(Lang::ZhTw, false),
            "信任"
        );
    }

    #[test]
    fn short_name_prefers_cn() {
        let i = CertInfo {
            subject: "CN=nhi-localhost-ca,O=nhi-localhost-ca".into(),
            ..CertInfo::default()
        };
        assert_eq!(i.short_name(), "nhi-localhost-ca");
        let i = CertInfo {
            subject: "O=NHI,C=TW".into(),
            ..CertInfo::default()
        };
        assert_eq!(i.short_name(), "O=NHI,C=TW");
    }

    #[test]
    fn empty_sni_and_bad_names_are_refused() {
        let v: serde_yaml::Value = serde_yaml::from_str("sni: []").unwrap();
        assert!(build(&v).is_err());
        let v: serde_yaml::Value = serde_yaml::from_str("sni: ['not a name']").unwrap();
        assert!(build(&v).is_err());
        let v: serde_yaml::Value = serde_yaml::from_str("connect_timeout: soon").unwrap();
        assert!(build(&v).is_err());
    }
}
