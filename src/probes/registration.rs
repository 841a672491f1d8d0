//! Kind `registration`: is the card registered for NHI online services, and is the
//! registration password (註冊密碼) right? Asked only when the operator asks (report mode
//! `--check-password`, the console's `w`), with a password typed for this one attempt:
//! checks never try a password on their own, and a wrong one counts towards NHI's
//! lock-out. The component signs and encrypts as for a real login (signature first, so
//! nothing is sent when NHI's cloud cannot be reached; then `GetBasic`,
//! `SecureGetBasicWithParam?Pwd=`, `EnCrypt?Pwd=`, after which the password is wiped),
//! and NHI's verification service `UserSign` — configured per agency, see
//! `crate::account::verifier` — gives the verdict: `A0000` registered and right, `A8002` wrong
//! password, other codes named. Without a verifier the check says so and points to
//! `ecpa-doctor explain` with the message the user saw.

use crate::engine::kind::{Simulated, StandIns};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::io::{AsyncRead, AsyncWrite};
use zeroize::Zeroizing;

use super::nhi_signature::{self, Signed};
use super::{BoxFuture, Ctx, Kind, Probe, de_duration};
use crate::account::secret::Password;
use crate::account::verifier::{self, Answer, CallError, ConfigError, Settings, Verifier};
use crate::bridge::params::Ws;
use crate::bridge::session::{self, Dialogue, Reply};
use crate::bridge::ws::FrameReader;
use crate::bridge::{Budget, Target, farewell, net_failure, printable, take_turn, tls};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::engine::pii::PiiKind;
use crate::engine::profile::Profile;

pub const KIND: Kind = Kind {
    name: "registration",
    findings: FINDINGS,
    build,
    on_request: true,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the fake component, and only the world's verifier config — not
/// the operator's environment, file or trust anchors — so a demo password never reaches NHI.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![
        ("port", w.bridge_port.into()),
        ("endpoint", w.verifier_endpoint.as_str().into()),
        (
            "config_file",
            w.verifier_config
                .as_deref()
                .map(serde_yaml::Value::from)
                .unwrap_or(serde_yaml::Value::Null),
        ),
        ("ca_file", serde_yaml::Value::Null),
        ("ignore_environment", true.into()),
    ]
}

/// What only this kind can find; the signature it asks for first can fail in every way
/// `nhi_signature` can, so its findings follow (see `FINDINGS`).
const OWN_FINDINGS: &[&str] = &[
    "registration.not_requested",
    "registration.no_verifier",
    "registration.verifier_config",
    "registration.password_length",
    "registration.verifier_unreachable",
    "registration.verifier_garbled",
    "registration.refused",
    "account.wrong_password",
    "nhi.card_id_mismatch",
    "nhi.malformed_request",
    "nhi.service_unavailable",
];

const FINDINGS: &[&str] =
    &super::joined::<{ OWN_FINDINGS.len() + nhi_signature::FINDINGS.len() }>(&[
        OWN_FINDINGS,
        nhi_signature::FINDINGS,
    ]);

/// The checks an automatic run covers: `only` (all when `None`) without the checks that
/// run only when the operator asks (the password check).
pub fn automatic(profile: &Profile, only: Option<HashSet<String>>) -> Option<HashSet<String>> {
    if !profile.checks.iter().any(|c| c.descriptor.on_request) {
        return only;
    }
    let all = only.unwrap_or_else(|| profile.checks.iter().map(|c| c.id.clone()).collect());
    Some(
        all.into_iter()
            .filter(|id| profile.check(id).is_none_or(|c| !c.descriptor.on_request))
            .collect(),
    )
}

type Params = Ws<Own>;

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Own {
    #[serde(
        default = "nhi_signature::default_sign",
        deserialize_with = "de_duration"
    )]
    sign_timeout: Duration,
    /// NHI's `UserSign` endpoint; a config file or `ECPA_DOCTOR_NHI_ENDPOINT` overrides it.
    #[serde(default)]
    endpoint: Option<String>,
    /// The verifier config (YAML: `org_id`, `org_pass`, `unit`, `endpoint`, `ca_file`).
    /// The organisation's id and secret never go in the profile.
    #[serde(default)]
    config_file: Option<PathBuf>,
    /// Extra trust anchors (PEM) for the endpoint.
    #[serde(default)]
    ca_file: Option<PathBuf>,
    /// Only these settings count: `ECPA_DOCTOR_VERIFIER_CONFIG` and `ECPA_DOCTOR_NHI_*`
    /// are not read. The demo sets it so that it never reaches the real verifier.
    #[serde(default)]
    ignore_environment: bool,
    #[serde(default = "default_verify", deserialize_with = "de_duration")]
    verify_timeout: Duration,
}

fn default_verify() -> Duration {
    Duration::from_secs(10)
}

impl Own {
    fn settings(&self) -> Settings {
        Settings {
            endpoint: self.endpoint.clone(),
            config_file: self.config_file.clone(),
            ca_file: self.ca_file.clone(),
            ignore_environment: self.ignore_environment,
        }
    }
}

struct Registration {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(Registration {
        p: Params::parse(v)?,
    }))
}

/// Whether the check of this profile entry has a verifier to call, before asking the
/// operator for a password that could not be checked anyway.
pub fn verifier_status(
    check_params: &serde_yaml::Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    verifier_for(check_params, env).map(|_| ())
}

/// The verifier the check of this profile entry would call, with `env` as the environment.
pub fn verifier_for(
    check_params: &serde_yaml::Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Verifier, ConfigError> {
    let p = Params::parse(check_params).map_err(|e| ConfigError::Invalid {
        source: "profile".into(),
        problem: e.into(),
    })?;
    verifier::resolve(&p.own.settings(), env)
}

impl Probe for Registration {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let p = self.p.clone();
        Box::pin(async move {
            // Taken at once, whatever happens next: one request, one attempt.
            let password = ctx.password.as_ref().and_then(|slot| slot.take());
            let env = |k: &str| std::env::var(k).ok();
            let verifier = match verifier::resolve(&p.own.settings(), &env) {
                Ok(v) => v,
                Err(ConfigError::NotConfigured) => {
                    return Outcome::warn(
                        "registration.no_verifier",
                        Msg::new("registration.no_verifier"),
                    );
                }
                Err(ConfigError::Invalid { source, problem }) => {
                    return Outcome::fail(
                        "registration.verifier_config",
                        Msg::new("registration.verifier_config").arg("problem", problem.clone()),
                    )
                    .with("verifier_config", source)
                    .with("error", problem);
                }
            };
            let Some(password) = password else {
                return Outcome::warn(
                    "registration.not_requested",
                    Msg::new("registration.not_requested"),
                )
                .with("verifier", describe(&verifier));
            };
            attempt(&p, &ctx, password, &verifier)
                .await
                .with("verifier", describe(&verifier))
        })
    }
}

fn describe(v: &Verifier) -> Msg {
    Msg::new("value.verifier.settings_from")
        .arg("endpoint", v.endpoint.as_str())
        .arg("source", v.source.clone())
}

/// What the component produced for the verification service.
struct Collected {
    signed: Signed,
    id_no: String,
    secure_basic: String,
    pass_code: String,
}

async fn attempt(p: &Params, ctx: &Ctx, password: Password, verifier: &Verifier) -> Outcome {
    let target = p.conn.target();
    let budget = Budget::new(ctx.timeout);
    let collected = {
        let _turn = take_turn(&budget).await;
        let mut conn = match tls::connect(&target, &p.conn.sni, &budget, p.conn.waits()).await {
            Ok(c) => c,
            Err(e) => return net_failure(&e, &target),
        };
        let d = p.talk.dialogue(&p.conn);
        let mut frames = match session::upgrade(&mut conn.stream, &d, &target, &budget).await {
            Ok(f) => f,
            Err(o) => {
                farewell::close(conn.stream);
                return o.with("address", target.to_string());
            }
        };
        let mut transcript = Vec::new();
        let r = collect(
            &mut conn.stream,
            &mut frames,
            &d,
            p.own.sign_timeout,
            password,
            &target,
            &budget,
            &mut transcript,
        )
        .await;
        farewell::websocket(conn.stream);
        match r {
            Ok(c) => (c, Value::join(transcript, "; ")),
            Err(o) => {
                return o
                    .with("exchange", Value::join(transcript, "; "))
                    .with("address", target.to_string());
            }
        }
    };
    let (c, exchange) = collected;
    let request = verifier::Request {
        secure_basic: &c.secure_basic,
        pass_code: &c.pass_code,
        random: &c.signed.p_random(),
        token: &c.signed.token,
        id_no: &c.id_no,
    };
    let body = verifier::envelope(verifier, &request);
    let answer = verifier::call(verifier, body, budget.step(p.own.verify_timeout)).await;
    judge(answer)
        .with("exchange", exchange)
        .with_pii("id_no", PiiKind::NationalId, &c.id_no)
}

/// The signature, then the card's ID, then the two password commands; the password is
/// wiped as soon as `EnCrypt` has been sent.
#[allow(clippy::too_many_arguments)]
async fn collect<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    frames: &mut FrameReader,
    d: &Dialogue,
    sign_timeout: Duration,
    password: Password,
    target: &Target,
    budget: &Budget,
    transcript: &mut Vec<Value>,
) -> Result<Collected, Outcome> {
    let signed =
        nhi_signature::sign(s, frames, d, sign_timeout, target, budget, transcript).await?;
    let basic = match session::command(
        s, frames, "GetBasic", "GetBasic", d, target, budget, transcript,
    )
    .await
    {
        Reply::Payload(b) => Zeroizing::new(b),
        Reply::Stop(o) => return Err(o),
    };
    let id_no = match basic
        .split(',')
        .nth(1)
        .map(str::trim)
        .filter(|id| !id.is_empty())
    {
        Some(id) => id.to_string(),
        None => {
            return Err(Outcome::fail(
                "ws.garbled",
                Msg::new("ws.basic_garbled").arg("fields", basic.split(',').count().to_string()),
            ));
        }
    };
    let secure_basic = match session::secret_command(
        s,
        frames,
        "SecureGetBasicWithParam",
        &with_password("SecureGetBasicWithParam", &password),
        d,
        target,
        budget,
        transcript,
    )
    .await
    {
        Reply::Payload(h) => h,
        Reply::Stop(o) => return Err(o),
    };
    let encrypted = session::secret_command(
        s,
        frames,
        "EnCrypt",
        &with_password("EnCrypt", &password),
        d,
        target,
        budget,
        transcript,
    )
    .await;
    drop(password);
    let pass_code = match encrypted {
        Reply::Payload(h) => h,
        Reply::Stop(o)
            if o.evidence("bridge_code")
                .is_some_and(|c| c.render(false) == "8009") =>
        {
            return Err(Outcome::fail(
                "registration.password_length",
                Msg::new("registration.password_length"),
            )
            .with("bridge_code", "8009"));
        }
        Reply::Stop(o) => return Err(o),
    };
    Ok(Collected {
        signed,
        id_no,
        secure_basic,
        pass_code,
    })
}

/// `Name?Pwd=<password>` in a buffer sized once, so no copy is left behind by growing.
fn with_password(name: &str, password: &Password) -> Zeroizing<String> {
    let mut r = Zeroizing::new(String::with_capacity(
        name.len() + 5 + password.expose().len(),
    ));
    r.push_str(name);
    r.push_str("?Pwd=");
    r.push_str(password.expose());
    r
}

/// The verification service's answer → finding.
fn judge(answer: Result<Answer, CallError>) -> Outcome {
    match answer {
        Ok(Answer::Result(text)) => judge_result(&text),
        Ok(Answer::Fault { status, text }) => {
            let shown = printable(text.as_bytes(), 160);
            Outcome::fail(
                "nhi.service_unavailable",
                Msg::new("registration.soap_fault").arg("fault", shown.as_str()),
            )
            .with("http_status", status.to_string())
            .with("soap_fault", shown)
        }
        Ok(Answer::Garbled { status, detail }) => Outcome::fail(
            "registration.verifier_garbled",
            Msg::new("registration.verifier_garbled").arg("status", status.to_string()),
        )
        .with("http_status", status.to_string())
        .with("first_bytes", detail),
        Err(CallError::Unreachable(e)) | Err(CallError::Setup(e)) => Outcome::fail(
            "registration.verifier_unreachable",
            Msg::new("registration.verifier_unreachable"),
        )
        .with("error", e),
    }
}

fn judge_result(text: &str) -> Outcome {
    let shown = printable(text.as_bytes(), 120);
    let Some(code) = verifier::result_code(text) else {
        return Outcome::fail(
            "registration.verifier_garbled",
            Msg::new("registration.no_result_code").arg("result", shown.as_str()),
        )
        .with("verifier_result", shown);
    };
    let o = match code.as_str() {
        "A0000" => Outcome::pass(Msg::new("registration.pass").arg("result", shown.as_str())),
        _ => {
            let known = crate::account::known::builtin()
                .iter()
                .find(|m| m.codes.iter().any(|c| c.eq_ignore_ascii_case(&code)));
            match known
                .map(|m| m.finding.as_str())
                .filter(|f| FINDINGS.contains(f))
            {
                Some(f) => Outcome::fail(f, Msg::new(f).arg("message", shown.as_str())),
                None => Outcome::fail(
                    "registration.refused",
                    Msg::new("registration.refused")
                        .arg("code", code.as_str())
                        .arg("result", shown.as_str()),
                ),
            }
        }
    };
    o.with("verifier_result", shown).with("result_code", code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;

    #[test]
    fn results_map_to_findings() {
        assert_eq!(judge_result("A0000:檢核正確").status, Status::Pass);
        assert_eq!(
            judge_result("A8002:註冊密碼輸入錯誤").finding.as_deref(),
            Some("account.wrong_password")
        );
        assert_eq!(
            judge_result("A8899:卡號與身分證號不符").finding.as_deref(),
            Some("nhi.card_id_mismatch")
        );
        assert_eq!(
            judge_result("A9999").finding.as_deref(),
            Some("nhi.malformed_request")
        );
        let o = judge_result("A7001:其他錯誤");
        assert_eq!(o.finding.as_deref(), Some("registration.refused"));
        assert_eq!(
            o.evidence("result_code")
                .map(|v| v.render(false))
                .as_deref(),
            Some("A7001")
        );
        assert_eq!(
            judge_result("OK").finding.as_deref(),
            Some("registration.verifier_garbled")
        );
    }

    #[test]
    fn a_soap_fault_is_the_service_being_unavailable() {
        let o = judge(Ok(Answer::Fault {
            status: 500,
            text: "Server was unable to process request.".into(),
        }));
        assert_eq!(o.finding.as_deref(), Some("nhi.service_unavailable"));
        let o = judge(Err(CallError::Unreachable("connection refused".into())));
        assert_eq!(
            o.finding.as_deref(),
            Some("registration.verifier_unreachable")
        );
    }

    #[test]
    fn every_code_finding_of_the_signature_is_declared() {
        for f in nhi_signature::FINDINGS {
            assert!(FINDINGS.contains(f), "{f}");
        }
    }

    #[test]
    fn the_password_request_is_built_without_growing() {
        let p = Password::from_str_copy("abc12345");
        let r = with_password("EnCrypt", &p);
        assert_eq!(r.as_str(), "EnCrypt?Pwd=abc12345");
        assert_eq!(r.capacity(), r.len());
    }
}
