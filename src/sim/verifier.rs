//! A fake of NHI's verification service (`UserSign`, SOAP 1.1 over HTTPS) for the tests
//! and the demo: a real TLS server on 127.0.0.1 with a certificate for `localhost` made at
//! run time (trust it through the set's CA, e.g. the verifier config's `ca_file`). It
//! answers every request with the configured result (`A0000:檢核正確`, `A8002:…`), a SOAP
//! fault, a page that is not SOAP, or nothing, and sends a `Date` header offset as asked,
//! so it also serves as the clock check's time source.
//!
//! It records what each request carried (SOAPAction and the `UserSign` fields), as NHI
//! would see it. Runs on its own thread and runtime; dropping the handle stops it.

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::certs::{CertGeneration, CertSet};
use super::fragile::{self, Fragility, Life};
use super::loopback::{Served, tls_acceptor};
use crate::bridge::http::{head_end, parse_head};

/// How the fake answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// `UserSignResult` with this text, e.g. `A8002:註冊密碼輸入錯誤`.
    Result(String),
    /// HTTP 500 with a SOAP fault, as ASP.NET sends when the service fails.
    Fault,
    /// HTTP 200 with an HTML page (a proxy's login page, a wrong address).
    NotSoap,
    /// Accepts and never answers.
    Silent,
}

impl Answer {
    pub fn ok() -> Answer {
        Answer::Result("A0000:檢核正確".into())
    }

    pub fn wrong_password() -> Answer {
        Answer::Result("A8002:註冊密碼輸入錯誤".into())
    }

    /// Names for the demo's scenario files: `A0000`, `A8002`, `A1234:…`, `fault`, …
    pub fn parse(s: &str) -> Option<Answer> {
        Some(match s {
            "A0000" => Answer::ok(),
            "A8002" => Answer::wrong_password(),
            "fault" => Answer::Fault,
            "not-soap" => Answer::NotSoap,
            "silent" => Answer::Silent,
            s if s.starts_with('A')
                && s.len() >= 5
                && s[1..5].bytes().all(|b| b.is_ascii_digit()) =>
            {
                Answer::Result(s.to_string())
            }
            _ => return None,
        })
    }
}

pub struct VerifierConfig {
    pub answer: Answer,
    /// Seconds added to the real time in the `Date` header (negative: the server is behind).
    pub date_offset_secs: i64,
}

impl VerifierConfig {
    pub fn new(answer: Answer) -> VerifierConfig {
        VerifierConfig {
            answer,
            date_offset_secs: 0,
        }
    }
}

/// What one request carried.
#[derive(Clone, Debug, Default)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub soap_action: Option<String>,
    /// `p_Orgid`, `p_PassCode`… as sent (XML entities resolved).
    pub fields: BTreeMap<String, String>,
    /// The whole request (head and body), to search for what must never be sent.
    pub raw: String,
}

pub struct FakeVerifier {
    served: Served,
    certs: CertSet,
    log: Arc<Mutex<Vec<Received>>>,
    rude: Arc<Life>,
}

struct Server {
    cfg: VerifierConfig,
    tls: tokio_rustls::TlsAcceptor,
    log: Arc<Mutex<Vec<Received>>>,
}

const FIELDS: &[&str] = &[
    "p_Orgid",
    "p_OrgPass",
    "p_unit",
    "p_GetBasic",
    "p_PassCode",
    "p_Random",
    "p_Token",
    "p_idno",
];

impl FakeVerifier {
    pub fn start(cfg: VerifierConfig) -> io::Result<FakeVerifier> {
        let certs = CertGeneration::NoIccertSan
            .generate()
            .map_err(io::Error::other)?;
        let log = Arc::new(Mutex::new(Vec::new()));
        let server = Arc::new(Server {
            cfg,
            tls: tls_acceptor(&certs)?,
            log: log.clone(),
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        // Not the component: it does not die of a rude client, but it notes one, as the
        // component would have died of it (the same fragile writes).
        let rude = Arc::new(Life::default());
        let seen = rude.clone();
        let served = Served::start("fake-verifier", listener, move |tcp| {
            let server = server.clone();
            let seen = seen.clone();
            async move {
                let wait = Duration::from_secs(10);
                if let Some(mut tls) =
                    fragile::accept(&server.tls, tcp, seen.clone(), Fragility::default(), wait)
                        .await
                {
                    serve(&server, &mut tls).await;
                    // After its answer and close: the client's own close, or a reset.
                    fragile::witness_close(&mut tls, &seen, wait).await;
                }
            }
        })?;
        Ok(FakeVerifier {
            served,
            certs,
            log,
            rude,
        })
    }

    /// How a client was rude to it (hung up while it still wrote, or reset), if one was.
    pub fn rude_client(&self) -> Option<String> {
        self.rude.cause()
    }

    pub fn port(&self) -> u16 {
        self.served.addr().port()
    }

    /// The address relying parties post to, on this fake (`localhost`, as its certificate says).
    pub fn endpoint(&self) -> String {
        format!(
            "https://localhost:{}/orgverify1/wsauthgsp.asmx",
            self.served.addr().port()
        )
    }

    /// The CA that signed the fake's certificate (PEM), for `ca_file`.
    pub fn ca_pem(&self) -> &str {
        &self.certs.component_root_pem
    }

    pub fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

async fn serve<S: AsyncRead + AsyncWrite + Unpin>(server: &Server, s: &mut S) {
    let Some(received) = read_request(s).await else {
        return;
    };
    server
        .log
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(received.clone());
    let date = (chrono::Utc::now() + chrono::Duration::seconds(server.cfg.date_offset_secs))
        .format("%a, %d %b %Y %H:%M:%S GMT");
    let (status, content_type, body) = match &server.cfg.answer {
        Answer::Silent => {
            tokio::time::sleep(Duration::from_secs(60)).await;
            return;
        }
        _ if received.method == "HEAD" || received.method == "GET" => (
            "200 OK",
            "text/html; charset=utf-8",
            "<html><body>NHI</body></html>".to_string(),
        ),
        Answer::Result(text) => ("200 OK", "text/xml; charset=utf-8", result_envelope(text)),
        Answer::Fault => (
            "500 Internal Server Error",
            "text/xml; charset=utf-8",
            FAULT.to_string(),
        ),
        Answer::NotSoap => (
            "200 OK",
            "text/html",
            "<html><head><title>Proxy login</title></head><body>Please log in</body></html>"
                .to_string(),
        ),
    };
    let body = if received.method == "HEAD" {
        String::new()
    } else {
        body
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\nCache-Control: private\r\nContent-Type: {content_type}\r\nServer: Microsoft-IIS/10.0\r\nDate: {date}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = s.write_all(reply.as_bytes()).await;
    let _ = s.shutdown().await;
}

const FAULT: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>Server was unable to process request. ---&gt; Object reference not set to an instance of an object.</faultstring><detail /></soap:Fault></soap:Body></soap:Envelope>";

fn result_envelope(text: &str) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\"><soap:Body><UserSignResponse xmlns=\"http://tempuri.org/\"><UserSignResult>{escaped}</UserSignResult></UserSignResponse></soap:Body></soap:Envelope>"
    )
}

async fn read_request<S: AsyncRead + Unpin>(s: &mut S) -> Option<Received> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let end = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let want = parse_head(&buf)
        .and_then(|(h, _)| h.content_length())
        .unwrap_or(0)
        .min(1024 * 1024) as usize;
    while buf.len() < end + want {
        match tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    let body = String::from_utf8_lossy(&buf[end..]).into_owned();
    let mut first = head
        .lines()
        .next()
        .unwrap_or_default()
        .split_ascii_whitespace();
    let (method, path) = (
        first.next().unwrap_or_default().to_string(),
        first.next().unwrap_or_default().to_string(),
    );
    let soap_action = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("soapaction"))
        .map(|(_, v)| v.trim().to_string());
    let fields = FIELDS
        .iter()
        .filter_map(|f| field(&body, f).map(|v| (f.to_string(), v)))
        .collect();
    Some(Received {
        method,
        path,
        soap_action,
        fields,
        raw: format!("{head}{body}"),
    })
}

fn field(body: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = body.find(&open)? + open.len();
    let len = body[start..].find(&format!("</{name}>"))?;
    let v = &body[start..start + len];
    Some(
        v.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_and_fields_are_read() {
        assert_eq!(Answer::parse("A8002"), Some(Answer::wrong_password()));
        assert_eq!(
            Answer::parse("A8899:卡號與身分證號不符"),
            Some(Answer::Result("A8899:卡號與身分證號不符".into()))
        );
        assert_eq!(Answer::parse("nonsense"), None);
        assert_eq!(
            field("<p_idno>A123&amp;</p_idno>", "p_idno").as_deref(),
            Some("A123&")
        );
        assert!(
            result_envelope("A0000:檢核正確")
                .contains("<UserSignResult>A0000:檢核正確</UserSignResult>")
        );
    }
}
