//! NHI's verification service as relying parties (eCPA, MyData…) call it: the SOAP
//! operation `UserSign` at `https://icx.nhi.gov.tw/orgverify1/wsauthgsp.asmx`, which says
//! whether a card's signature and encrypted registration password are right
//! (`A0000:檢核正確`, `A8002` wrong password, …). Calling it needs an organisation id and
//! secret issued by NHI, so it is configured per agency in a file or the environment,
//! never in the profile; neither is ever shown, logged or put in a report.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::engine::outcome::{Msg, Value};

pub const DEFAULT_ENDPOINT: &str = "https://icx.nhi.gov.tw/orgverify1/wsauthgsp.asmx";
pub const SOAP_ACTION: &str = "http://tempuri.org/UserSign";

/// Environment variables, read when the profile names no config file (or to override it).
pub const ENV_CONFIG: &str = "ECPA_DOCTOR_VERIFIER_CONFIG";
pub const ENV_ENDPOINT: &str = "ECPA_DOCTOR_NHI_ENDPOINT";
pub const ENV_ORG_ID: &str = "ECPA_DOCTOR_NHI_ORGID";
pub const ENV_ORG_PASS: &str = "ECPA_DOCTOR_NHI_ORGPASS";
pub const ENV_UNIT: &str = "ECPA_DOCTOR_NHI_UNIT";

/// The verifier config file (YAML).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    org_id: Option<String>,
    #[serde(default)]
    org_pass: Option<String>,
    #[serde(default)]
    unit: Option<String>,
    /// Extra trust anchors for the endpoint (PEM), e.g. an agency's TLS-inspecting proxy.
    #[serde(default)]
    ca_file: Option<PathBuf>,
}

/// A verifier ready to call. `Debug` never shows the organisation's id or secret.
pub struct Verifier {
    pub endpoint: String,
    org_id: Zeroizing<String>,
    org_pass: Zeroizing<String>,
    unit: String,
    pub ca_file: Option<PathBuf>,
    /// Where the settings came from (a path, the environment or both), for the evidence.
    pub source: Value,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Verifier({} from {})",
            self.endpoint,
            self.source.render(false)
        )
    }
}

/// Why there is no verifier to call.
#[derive(Debug, PartialEq, Eq)]
pub enum ConfigError {
    /// Nothing configured at all: the check points to the message path instead.
    NotConfigured,
    /// Something is configured but unusable: where the settings came from, what is wrong,
    /// both in the report's language. Neither ever holds the organisation's id or secret.
    Invalid { source: Value, problem: Value },
}

/// What the profile says about the verifier (the `registration` kind's parameters).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub endpoint: Option<String>,
    pub config_file: Option<PathBuf>,
    pub ca_file: Option<PathBuf>,
    /// The profile's settings are the only ones: the environment is not read. The demo
    /// sets it, so an operator's real verifier can never be reached from a simulation.
    pub ignore_environment: bool,
}

/// Settings from the profile, a config file and the environment, the environment last
/// (so an operator can point one run elsewhere without editing files), unless the
/// settings say to ignore it.
pub fn resolve(
    settings: &Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Verifier, ConfigError> {
    let env = |k: &str| {
        if settings.ignore_environment {
            None
        } else {
            env(k).filter(|v| !v.trim().is_empty())
        }
    };
    let file_path = env(ENV_CONFIG)
        .map(PathBuf::from)
        .or_else(|| settings.config_file.clone());
    let file = match &file_path {
        Some(p) => read_config(p)?,
        None => ConfigFile::default(),
    };
    let org_id = env(ENV_ORG_ID).or(file.org_id);
    let org_pass = env(ENV_ORG_PASS).or(file.org_pass);
    let source = source_of(
        file_path.as_deref(),
        env(ENV_ORG_ID).is_some() || env(ENV_ORG_PASS).is_some(),
    );
    let (org_id, org_pass) = match (org_id, org_pass) {
        (None, None) if file_path.is_none() => return Err(ConfigError::NotConfigured),
        (Some(i), Some(p)) => (Zeroizing::new(i), Zeroizing::new(p)),
        (i, _) => {
            let (setting, variable) = if i.is_none() {
                ("org_id", ENV_ORG_ID)
            } else {
                ("org_pass", ENV_ORG_PASS)
            };
            return Err(ConfigError::Invalid {
                source,
                problem: Msg::new("value.verifier.not_set")
                    .arg("setting", setting)
                    .arg("variable", variable)
                    .into(),
            });
        }
    };
    let endpoint = env(ENV_ENDPOINT)
        .or(file.endpoint)
        .or_else(|| settings.endpoint.clone())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
    if !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
        return Err(ConfigError::Invalid {
            source,
            problem: Msg::new("value.verifier.not_http")
                .arg("endpoint", endpoint.as_str())
                .into(),
        });
    }
    let unit = env(ENV_UNIT).or(file.unit).unwrap_or_default();
    let ca_file = file.ca_file.or_else(|| settings.ca_file.clone());
    Ok(Verifier {
        endpoint,
        org_id,
        org_pass,
        unit,
        ca_file,
        source,
    })
}

/// The settings' origin as the evidence names it: a path as is, the environment in words.
fn source_of(file: Option<&Path>, environment_too: bool) -> Value {
    match (file, environment_too) {
        (Some(p), false) => p.display().to_string().into(),
        (Some(p), true) => Msg::new("value.verifier.source_file_and_env")
            .arg("path", p.display().to_string())
            .into(),
        (None, _) => Msg::new("value.verifier.source_env").into(),
    }
}

fn read_config(path: &Path) -> Result<ConfigFile, ConfigError> {
    let invalid = |problem: Msg| ConfigError::Invalid {
        source: path.display().to_string().into(),
        problem: problem.into(),
    };
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        invalid(Msg::new("value.verifier.unreadable_file").arg("error", e.to_string()))
    })?);
    // serde_yaml's error text quotes no values, only positions, so the secret stays out.
    serde_yaml::from_str(&text).map_err(|e| {
        invalid(match e.location() {
            Some(l) => Msg::new("value.verifier.not_config_at")
                .arg("line", l.line().to_string())
                .arg("column", l.column().to_string()),
            None => Msg::new("value.verifier.not_config"),
        })
    })
}

/// The values a relying party posts, collected from the component.
pub struct Request<'a> {
    /// `SecureGetBasicWithParam` hex.
    pub secure_basic: &'a str,
    /// `EnCrypt` hex: the password encrypted by the component, never the password.
    pub pass_code: &'a str,
    /// Version + random, as signed.
    pub random: &'a str,
    /// The `H_Sign` signature.
    pub token: &'a str,
    /// The national ID from `GetBasic`.
    pub id_no: &'a str,
}

/// The SOAP 1.1 envelope for `UserSign`. It carries the organisation secret, so it lives
/// in a wiped buffer.
pub fn envelope(v: &Verifier, r: &Request) -> Zeroizing<String> {
    let mut s = Zeroizing::new(String::with_capacity(2048));
    s.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><UserSign xmlns=\"http://tempuri.org/\">");
    for (name, value) in [
        ("p_Orgid", v.org_id.as_str()),
        ("p_OrgPass", v.org_pass.as_str()),
        ("p_unit", v.unit.as_str()),
        ("p_GetBasic", r.secure_basic),
        ("p_PassCode", r.pass_code),
        ("p_Random", r.random),
        ("p_Token", r.token),
        ("p_idno", r.id_no),
    ] {
        s.push('<');
        s.push_str(name);
        s.push('>');
        escape_into(&mut s, value);
        s.push_str("</");
        s.push_str(name);
        s.push('>');
    }
    s.push_str("</UserSign></soap:Body></soap:Envelope>");
    s
}

fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// What came back.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// `UserSignResult`, e.g. `A0000:檢核正確` or `A8002:註冊密碼輸入錯誤`.
    Result(String),
    /// A SOAP fault (the service failed, or refused the request): its `faultstring`.
    Fault { status: u16, text: String },
    /// HTTP answered with something that is neither: status and the first characters
    /// (made printable), or words saying the body was empty.
    Garbled { status: u16, detail: Value },
}

/// The text between `<…UserSignResult>` and `</…UserSignResult>` (any namespace prefix).
pub fn parse_answer(status: u16, body: &str) -> Answer {
    if let Some(text) = element(body, "UserSignResult") {
        return Answer::Result(unescape(text.trim()));
    }
    if let Some(text) = element(body, "faultstring") {
        return Answer::Fault {
            status,
            text: unescape(text.trim()),
        };
    }
    let first: String = body.chars().filter(|c| !c.is_control()).take(80).collect();
    Answer::Garbled {
        status,
        detail: if first.is_empty() {
            Msg::new("value.verifier.empty_body").into()
        } else {
            first.into()
        },
    }
}

fn element<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = body[from..].find(name) {
        let start = from + i;
        from = start + name.len();
        let before = &body[..start];
        let Some(lt) = before.rfind('<') else {
            continue;
        };
        let prefix = &before[lt + 1..];
        // `<Name` or `<ns:Name`, not a closing tag or text that merely contains the name.
        if !(prefix.is_empty() || (prefix.ends_with(':') && !prefix.contains(['/', '>', ' ']))) {
            continue;
        }
        let rest = &body[from..];
        let gt = rest.find('>')?;
        if !(gt == 0 || rest.starts_with(' ') || rest.starts_with('/')) {
            continue;
        }
        if rest[..gt].ends_with('/') {
            return None;
        }
        let content = &rest[gt + 1..];
        return content.find("</").map(|close| &content[..close]);
    }
    None
}

/// The leading result code of a `UserSignResult` (`A0000`, `A8002`…), half-width.
pub fn result_code(result: &str) -> Option<String> {
    let t = crate::account::known::to_halfwidth(result.trim()).to_ascii_uppercase();
    let code: String = t.chars().take(5).collect();
    (code.len() == 5 && code.starts_with('A') && code[1..].bytes().all(|b| b.is_ascii_digit()))
        .then_some(code)
}

/// Why the call did not get an answer, as the report shows it: library errors as they
/// are (made printable), our own words from the catalogue.
#[derive(Debug)]
pub enum CallError {
    /// TLS trust, DNS, connect, timeout: the verifier was not reached.
    Unreachable(Value),
    /// The client could not even be set up (a bad `ca_file`).
    Setup(Value),
}

/// Posts the envelope with rustls on the ring provider the rest of ecpa-doctor uses.
/// The body is capped; the reply is at most a few hundred bytes.
pub async fn call(
    v: &Verifier,
    body: Zeroizing<String>,
    timeout: Duration,
) -> Result<Answer, CallError> {
    let client = client(v.ca_file.as_deref(), timeout, on_this_computer(&v.endpoint))
        .map_err(|e| CallError::Setup(with_causes(e, &[])))?;
    let bytes: Vec<u8> = body.as_bytes().to_vec();
    drop(body);
    let resp = client
        .post(&v.endpoint)
        .header("Content-Type", "text/xml; charset=utf-8")
        .header("SOAPAction", format!("\"{SOAP_ACTION}\""))
        .body(bytes)
        .send()
        .await
        .map_err(|e| CallError::Unreachable(describe(&e)))?;
    let status = resp.status().as_u16();
    let body = read_capped(resp, 64 * 1024)
        .await
        .map_err(|e| CallError::Unreachable(describe(&e)))?;
    Ok(parse_answer(status, &String::from_utf8_lossy(&body)))
}

async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<Vec<u8>, reqwest::Error> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await? {
        out.extend_from_slice(&chunk[..chunk.len().min(cap - out.len())]);
        if out.len() >= cap {
            break;
        }
    }
    Ok(out)
}

/// reqwest's error with its causes, which name the real problem (certificate, refused…).
fn describe(e: &reqwest::Error) -> Value {
    let mut causes = Vec::new();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        causes.push(inner.to_string());
        src = inner.source();
    }
    let first: Value = if e.is_timeout() {
        Msg::new("value.verifier.no_answer").into()
    } else {
        e.to_string().into()
    };
    with_causes(first, &causes)
}

/// `first: cause: cause…`, text from outside cut and made printable as a whole; our own
/// words (a catalogue phrase) stay a phrase, followed by the causes.
fn with_causes(first: Value, causes: &[String]) -> Value {
    let shown =
        |parts: &[&str]| Value::Text(crate::bridge::printable(parts.join(": ").as_bytes(), 240));
    let causes: Vec<&str> = causes.iter().map(String::as_str).collect();
    match first {
        Value::Text(t) => shown(&[&[t.as_str()], causes.as_slice()].concat()),
        phrase if causes.is_empty() => phrase,
        phrase => Value::join([phrase, shown(&causes)], ": "),
    }
}

/// Whether the endpoint is on this computer (`localhost`, a loopback address), as the
/// demo's is: a proxy from `HTTPS_PROXY` could not reach it, so it is called directly.
pub fn on_this_computer(endpoint: &str) -> bool {
    let Some(host) = reqwest::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
    else {
        return false;
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback())
}

/// An HTTPS client trusting the system store (honouring `SSL_CERT_FILE`) plus `ca_file`;
/// `direct`: past any proxy the environment names.
pub fn client(
    ca_file: Option<&Path>,
    timeout: Duration,
    direct: bool,
) -> Result<reqwest::Client, Value> {
    let mut roots = crate::bridge::tls::Anchors::system().store;
    if let Some(path) = ca_file {
        let certs = crate::bridge::tls::load_certs(path)
            .map_err(|e| Value::from(format!("{}: {e}", path.display())))?;
        let (ok, _) = roots.add_parsable_certificates(certs);
        if ok == 0 {
            return Err(Msg::new("value.verifier.no_usable_certificate")
                .arg("path", path.display().to_string())
                .into());
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(crate::bridge::tls::provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| Value::from(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let builder = reqwest::Client::builder();
    let builder = if direct { builder.no_proxy() } else { builder };
    builder
        .tls_backend_preconfigured(tls)
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .user_agent(concat!("ecpa-doctor/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Value::from(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k: &str| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn nothing_configured_is_said_so() {
        assert_eq!(
            resolve(&Settings::default(), &env_of(&[])).unwrap_err(),
            ConfigError::NotConfigured
        );
    }

    #[test]
    fn environment_configures_and_debug_hides_the_secret() {
        let v = resolve(
            &Settings::default(),
            &env_of(&[
                (ENV_ORG_ID, "ORG123"),
                (ENV_ORG_PASS, "s3cret-org"),
                (ENV_UNIT, "u1"),
            ]),
        )
        .unwrap();
        assert_eq!(v.endpoint, DEFAULT_ENDPOINT);
        let shown = format!("{v:?}");
        assert!(
            !shown.contains("s3cret-org") && !shown.contains("ORG123"),
            "{shown}"
        );
    }

    #[test]
    fn settings_that_ignore_the_environment_are_the_only_ones() {
        let dir =
            std::env::temp_dir().join(format!("ecpa-verifier-ignore-env-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("own.yaml");
        std::fs::write(
            &file,
            "endpoint: https://localhost:1/own\norg_id: OWN\norg_pass: own-secret\n",
        )
        .unwrap();
        let elsewhere = dir.join("elsewhere.yaml");
        std::fs::write(
            &elsewhere,
            "endpoint: https://localhost:2/elsewhere\norg_id: E\norg_pass: e\n",
        )
        .unwrap();
        let pairs = [
            (ENV_CONFIG, elsewhere.display().to_string()),
            (ENV_ENDPOINT, "https://localhost:3/env".into()),
            (ENV_ORG_ID, "ENV".into()),
            (ENV_ORG_PASS, "env-secret".into()),
        ];
        let env = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        let own = Settings {
            config_file: Some(file.clone()),
            ignore_environment: true,
            ..Settings::default()
        };
        let v = resolve(&own, &env).unwrap();
        assert_eq!(
            (
                v.endpoint.as_str(),
                v.org_id.as_str(),
                v.source.render(false)
            ),
            ("https://localhost:1/own", "OWN", file.display().to_string())
        );
        // Without a file of its own it is not configured, whatever the environment says.
        let none = Settings {
            ignore_environment: true,
            ..Settings::default()
        };
        assert_eq!(
            resolve(&none, &env).unwrap_err(),
            ConfigError::NotConfigured
        );
        // The usual order still lets the environment win.
        let usual = Settings {
            config_file: Some(file),
            ..Settings::default()
        };
        assert_eq!(
            resolve(&usual, &env).unwrap().endpoint,
            "https://localhost:3/env"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn loopback_endpoints_are_on_this_computer() {
        for e in [
            "https://localhost:4443/x",
            "https://127.0.0.1:1/",
            "https://[::1]:8443/y",
            "http://LOCALHOST/",
        ] {
            assert!(on_this_computer(e), "{e}");
        }
        for e in [
            DEFAULT_ENDPOINT,
            "https://10.0.0.1/",
            "https://localhost.example/",
            "not a url",
        ] {
            assert!(!on_this_computer(e), "{e}");
        }
    }

    #[test]
    fn half_configured_names_what_is_missing() {
        match resolve(&Settings::default(), &env_of(&[(ENV_ORG_ID, "ORG123")])) {
            Err(ConfigError::Invalid { problem, source }) => {
                assert_eq!(
                    problem.render(false),
                    format!("org_pass ({ENV_ORG_PASS}) is not set")
                );
                assert_eq!(
                    problem.render_in(Lang::ZhTw, false),
                    format!("沒有設定 org_pass（{ENV_ORG_PASS}）")
                );
                assert_eq!(
                    (source.render(false), source.render_in(Lang::ZhTw, false)),
                    ("the environment".to_string(), "環境變數".to_string())
                );
            }
            other => panic!("{other:?}"),
        }
    }

    /// What reaches the report is in its language, English as it always read, and never
    /// the organisation's id or secret.
    #[test]
    fn problems_are_phrases_in_both_languages_without_the_secret() {
        let dir =
            std::env::temp_dir().join(format!("ecpa-verifier-phrases-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("v.yaml");
        std::fs::write(
            &file,
            "endpoint: ftp://x/\norg_id: ORG-ID-7\norg_pass: s3cret-org\n",
        )
        .unwrap();
        let pairs = [
            (ENV_CONFIG, file.display().to_string()),
            (ENV_ORG_PASS, "s3cret-env".to_string()),
        ];
        let env = |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        let Err(ConfigError::Invalid { source, problem }) = resolve(&Settings::default(), &env)
        else {
            panic!("accepted ftp")
        };
        let path = file.display().to_string();
        assert_eq!(source.render(false), format!("{path} and the environment"));
        assert_eq!(
            source.render_in(Lang::ZhTw, false),
            format!("{path} 與環境變數")
        );
        assert_eq!(
            problem.render(false),
            "the endpoint `ftp://x/` is not an http(s) address"
        );
        std::fs::write(&file, "org_pass: s3cret-org\norg_pass: [\n").unwrap();
        let Err(ConfigError::Invalid {
            problem: broken, ..
        }) = resolve(
            &Settings {
                config_file: Some(file.clone()),
                ..Settings::default()
            },
            &|_: &str| None,
        )
        else {
            panic!("read a broken file")
        };
        assert!(
            broken.render(false).starts_with("not a verifier config: "),
            "{broken:?}"
        );
        let missing = dir.join("missing.yaml");
        let Err(ConfigError::Invalid {
            problem: unread, ..
        }) = resolve(
            &Settings {
                config_file: Some(missing),
                ..Settings::default()
            },
            &|_: &str| None,
        )
        else {
            panic!("read a missing file")
        };
        assert!(
            unread.render(false).starts_with("cannot read it: "),
            "{unread:?}"
        );
        for v in [&source, &problem, &broken, &unread] {
            for lang in [Lang::En, Lang::ZhTw] {
                let shown = v.render_in(lang, false);
                assert!(
                    !shown.contains("value.")
                        && !shown.contains("s3cret")
                        && !shown.contains("ORG-ID-7"),
                    "{shown}"
                );
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        let empty = match parse_answer(502, "") {
            Answer::Garbled { detail, .. } => detail,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            (empty.render(false), empty.render_in(Lang::ZhTw, false)),
            ("(empty body)".to_string(), "（回應內容是空的）".to_string())
        );
        let late = with_causes(
            Msg::new("value.verifier.no_answer").into(),
            &["operation timed out".to_string()],
        );
        assert_eq!(
            (late.render(false), late.render_in(Lang::ZhTw, false)),
            (
                "no answer in time: operation timed out".to_string(),
                "沒有在時限內回應: operation timed out".to_string()
            )
        );
        let refused = with_causes(
            "error sending request".into(),
            &[
                "tcp connect error".to_string(),
                "Connection refused (os error 111)".to_string(),
            ],
        );
        assert_eq!(
            refused,
            Value::Text(
                "error sending request: tcp connect error: Connection refused (os error 111)"
                    .into()
            )
        );
    }

    #[test]
    fn envelope_escapes_and_carries_every_field() {
        let v = resolve(
            &Settings::default(),
            &env_of(&[(ENV_ORG_ID, "O<1>"), (ENV_ORG_PASS, "p&q")]),
        )
        .unwrap();
        let r = Request {
            secure_basic: "AB",
            pass_code: "CD",
            random: "00111234567890123456",
            token: "EF",
            id_no: "A123456789",
        };
        let e = envelope(&v, &r);
        assert!(
            e.contains("<p_Orgid>O&lt;1&gt;</p_Orgid>")
                && e.contains("<p_OrgPass>p&amp;q</p_OrgPass>"),
            "{}",
            e.as_str()
        );
        for f in [
            "p_unit",
            "p_GetBasic",
            "p_PassCode",
            "p_Random",
            "p_Token",
            "p_idno",
        ] {
            assert!(e.contains(&format!("<{f}>")), "{f}");
        }
    }

    #[test]
    fn answers_are_read_from_any_prefix() {
        let ok = "<soap:Envelope><soap:Body><UserSignResponse xmlns=\"http://tempuri.org/\"><UserSignResult>A0000:檢核正確</UserSignResult></UserSignResponse></soap:Body></soap:Envelope>";
        assert_eq!(
            parse_answer(200, ok),
            Answer::Result("A0000:檢核正確".into())
        );
        let pre = "<s:Body><t:UserSignResult>A8002:註冊密碼輸入錯誤</t:UserSignResult></s:Body>";
        assert_eq!(
            parse_answer(200, pre),
            Answer::Result("A8002:註冊密碼輸入錯誤".into())
        );
        let fault = "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request.</faultstring></soap:Fault>";
        assert!(matches!(
            parse_answer(500, fault),
            Answer::Fault { status: 500, .. }
        ));
        assert!(matches!(
            parse_answer(200, "<html>hello</html>"),
            Answer::Garbled { .. }
        ));
        assert!(matches!(
            parse_answer(200, "<UserSignResult/>"),
            Answer::Garbled { .. }
        ));
        assert!(matches!(
            parse_answer(200, "UserSignResult>"),
            Answer::Garbled { .. }
        ));
    }

    #[test]
    fn result_codes_are_recognised() {
        assert_eq!(result_code("A0000:檢核正確").as_deref(), Some("A0000"));
        assert_eq!(
            result_code("ａ８００２：註冊密碼輸入錯誤").as_deref(),
            Some("A8002")
        );
        assert_eq!(result_code("檢核正確"), None);
        assert_eq!(result_code("A80"), None);
    }
}
