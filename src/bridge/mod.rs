//! Talking to the NHI component's local bridge (`https://` and `wss://iccert.nhi.gov.tw:7777`)
//! the way a browser on eCPA does, but tolerant of everything the real component (and
//! whatever else may sit on the port) gets wrong: bare-LF HTTP headers, untrusted or
//! expired certificates, bare 4-digit error codes, connections closed without a word.
//!
//! The three bridge check kinds share this client code; the fake bridge in `crate::sim`
//! shares the WebSocket frame codec. Nothing here trusts what the server says: every read
//! is bounded in size and time, and a hostile answer becomes an error value, not a panic.
//!
//! Must not import: the kinds (`crate::probes`), the simulations, the demo or a frontend.

pub mod codes;
pub mod farewell;
pub mod http;
pub mod params;
pub mod session;
pub mod tls;
pub mod ws;

use std::fmt;
use std::time::{Duration, Instant};

use crate::engine::outcome::{Msg, Outcome, Value};

/// Where the bridge listens: the component binds 127.0.0.1:7777 only.
#[derive(Clone, Debug)]
pub struct Target {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The part of a check's budget that inner waits may use. Each step waits for the smaller
/// of its own limit and what is left, so a server that stops talking is named by the step
/// it stopped at, before the engine's own timeout would cut the check short anonymously.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    deadline: Instant,
}

impl Budget {
    /// Keeps a margin for building the outcome after the last wait.
    pub fn new(check_timeout: Duration) -> Budget {
        let margin =
            (check_timeout / 10).clamp(Duration::from_millis(100), Duration::from_millis(500));
        Budget {
            deadline: Instant::now() + check_timeout.saturating_sub(margin),
        }
    }

    pub fn step(&self, limit: Duration) -> Duration {
        limit.min(self.deadline.saturating_duration_since(Instant::now()))
    }
}

/// Turns for talking to the bridge: the real component listens with a backlog of one and
/// does a round trip to NHI's cloud for every connection it accepts, so the bridge checks
/// of one run (which the engine starts together) take turns instead of queueing behind
/// each other where a wait would look like a hung component. A turn not granted within
/// the budget is taken anyway; the checks are bounded on their own.
pub async fn take_turn(budget: &Budget) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    tokio::time::timeout(budget.step(Duration::MAX), TURN.lock())
        .await
        .ok()
}

/// Where a conversation with the bridge stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Connect,
    TlsHandshake,
    HttpResponse,
    WsUpgrade,
    Reply,
}

impl Step {
    /// The step in the report's language (its English text is the token).
    pub fn value(self) -> Msg {
        Msg::new(&format!("value.step.{}", self.token()))
    }

    /// Stable token for the catalogue key and English evidence.
    pub fn token(self) -> &'static str {
        match self {
            Step::Connect => "connect",
            Step::TlsHandshake => "tls_handshake",
            Step::HttpResponse => "http_response",
            Step::WsUpgrade => "ws_upgrade",
            Step::Reply => "reply",
        }
    }
}

/// Why the bridge could not be talked to at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// Nothing accepts connections on the port.
    Refused,
    /// The host name of the target did not resolve, or the connect failed otherwise.
    ConnectFailed(Value),
    /// Waited the whole step without an answer (`Connect`: the SYN was never answered).
    Silent { step: Step, after: Duration },
    /// The port answered, but not with TLS: the first bytes it sent.
    NotTls { answer: Vec<u8> },
    /// TLS began but the handshake failed (alert, protocol version, broken record…).
    TlsFailed(Value),
}

/// Runs `fut` for at most `limit` (already cut to the budget), naming `step` on timeout.
pub async fn within<T>(
    step: Step,
    limit: Duration,
    fut: impl Future<Output = Result<T, NetError>>,
) -> Result<T, NetError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(NetError::Silent { step, after: limit }),
    }
}

/// The outcome of a check that could not reach the bridge; the same codes for all three
/// bridge kinds, so one remedy covers each way of failing to connect.
pub fn net_failure(err: &NetError, target: &Target) -> Outcome {
    let addr = target.to_string();
    match err {
        NetError::Refused => Outcome::fail(
            "bridge.refused",
            Msg::new("bridge.refused").arg("address", addr.as_str()),
        )
        .with("address", addr),
        NetError::ConnectFailed(e) => Outcome::fail(
            "bridge.connect_failed",
            Msg::new("bridge.connect_failed")
                .arg("address", addr.as_str())
                .arg("error", e.clone()),
        )
        .with("address", addr)
        .with("error", e.clone()),
        NetError::Silent { step, after } => {
            let key = match step {
                Step::Connect => "bridge.no_answer",
                Step::TlsHandshake => "bridge.silent_tls",
                Step::HttpResponse => "bridge.silent_http",
                Step::WsUpgrade => "bridge.silent_ws",
                Step::Reply => "bridge.silent_reply",
            };
            let secs = format!("{:.1}", after.as_secs_f64());
            Outcome::fail(
                "bridge.no_answer",
                Msg::new(key)
                    .arg("address", addr.as_str())
                    .arg("seconds", secs.as_str()),
            )
            .with("address", addr)
            .with("step", step.value())
            .with("waited", Msg::new("value.seconds").arg("seconds", secs))
        }
        NetError::NotTls { answer } => {
            let o = Outcome::fail(
                "bridge.not_tls",
                Msg::new("bridge.not_tls")
                    .arg("address", addr.as_str())
                    .arg("answer", first_line(answer).as_str()),
            )
            .with("address", addr);
            with_plain_answer(o, answer)
        }
        NetError::TlsFailed(e) => Outcome::fail(
            "bridge.tls_failed",
            Msg::new("bridge.tls_failed")
                .arg("address", addr.as_str())
                .arg("error", e.clone()),
        )
        .with("address", addr)
        .with("error", e.clone()),
    }
}

/// Evidence naming what answered in plain text (a web server's status line and `Server:`).
pub fn with_plain_answer(o: Outcome, answer: &[u8]) -> Outcome {
    match http::parse_head(answer).filter(|(h, _)| h.status.is_some()) {
        Some((head, _)) => {
            let o = o.with("status_line", printable(head.status_line.as_bytes(), 120));
            match head.header("server") {
                Some(s) => o.with("server_header", printable(s.as_bytes(), 120)),
                None => o,
            }
        }
        None => o.with(
            "first_bytes",
            printable(&answer[..answer.len().min(64)], 120),
        ),
    }
}

fn first_line(answer: &[u8]) -> String {
    let line = answer.split(|&b| b == b'\n').next().unwrap_or_default();
    printable(line, 80)
}

/// Server-supplied bytes made safe to print: lossy UTF-8, control characters shown as
/// `\xNN`, cut at `max` characters with an ellipsis.
pub fn printable(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim_end_matches(['\r', '\n']);
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&format!("\\x{:02X}", c as u32 & 0xFF));
        } else {
            out.push(c);
        }
    }
    out
}

/// Refuses a server name that cannot go into TLS SNI, when the profile is loaded.
pub fn check_server_name(name: &str) -> Result<(), String> {
    rustls::pki_types::ServerName::try_from(name.to_string())
        .map(|_| ())
        .map_err(|_| format!("`{name}` is not a valid TLS server name"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_and_cuts() {
        assert_eq!(printable(b"Server: x\x1b[31m", 100), "Server: x\\x1B[31m");
        assert_eq!(printable("已確認為可信任服務！".as_bytes(), 3), "已確認…");
        assert_eq!(printable(&[0xFF, 0xFE, b'a'], 10), "\u{FFFD}\u{FFFD}a");
    }

    #[test]
    fn budget_never_exceeds_the_check() {
        let b = Budget::new(Duration::from_secs(2));
        assert!(b.step(Duration::from_secs(10)) <= Duration::from_secs(2));
        assert_eq!(
            Budget::new(Duration::ZERO).step(Duration::from_secs(1)),
            Duration::ZERO
        );
    }

    #[test]
    fn every_step_has_words_in_the_catalogue() {
        for step in [
            Step::Connect,
            Step::TlsHandshake,
            Step::HttpResponse,
            Step::WsUpgrade,
            Step::Reply,
        ] {
            let v = crate::engine::outcome::Value::from(step.value());
            assert_eq!(v.render(false), step.token());
            assert!(
                !v.render_in(crate::i18n::Lang::ZhTw, false)
                    .contains("value."),
                "{step:?}"
            );
        }
    }

    #[test]
    fn target_brackets_ipv6() {
        assert_eq!(
            Target {
                host: "::1".into(),
                port: 7777
            }
            .to_string(),
            "[::1]:7777"
        );
        assert_eq!(
            Target {
                host: "127.0.0.1".into(),
                port: 7777
            }
            .to_string(),
            "127.0.0.1:7777"
        );
    }
}

/// Where the component's bridge lives, as every bridge check defaults it: one place, so
/// the checks cannot drift apart (the real component binds 127.0.0.1:7777, and the eCPA
/// page reaches it as iccert.nhi.gov.tw).
pub mod defaults {
    use std::time::Duration;

    pub fn host() -> String {
        "127.0.0.1".into()
    }
    pub fn port() -> u16 {
        7777
    }
    pub fn sni() -> String {
        "iccert.nhi.gov.tw".into()
    }
    pub fn connect() -> Duration {
        Duration::from_secs(2)
    }
    pub fn handshake() -> Duration {
        Duration::from_secs(3)
    }
}
