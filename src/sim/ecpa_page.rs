//! A stand-in for the eCPA login page, for tests that drive a real browser: HTTPS on a
//! listener the test gives (127.0.0.1:443, reached as `https://ecpa.dgpa.gov.tw/`), serving
//! a page that does what the eCPA page does with the component — `wss://iccert.nhi.gov.tw:7777/echo`,
//! `GetVersion` — and writes what it got into `<pre id="r">`: `reply:<frame>`, `error`, or
//! `closed:<code>`. The page's load is held for a few seconds (an image that answers late)
//! so a browser that dumps the page at load sees the result.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::certs::CertSet;
use super::loopback::{Served, tls_acceptor};

/// What the page's script does, as the eCPA page's script does it.
pub const PAGE: &str = concat!(
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>eCPA stand-in</title></head><body>",
    "<pre id=\"r\">pending</pre><script>",
    "const r = document.getElementById('r');",
    "const ws = new WebSocket('wss://iccert.nhi.gov.tw:7777/echo');",
    "ws.onopen = () => ws.send('GetVersion');",
    "ws.onmessage = e => { r.textContent = 'reply:' + e.data; ws.close(1000); };",
    "ws.onerror = () => { r.textContent = 'error'; };",
    "ws.onclose = e => { if (r.textContent === 'pending') r.textContent = 'closed:' + e.code; };",
    "</script><img src=\"/late\" alt=\"\"></body></html>",
);

pub struct EcpaPage {
    served: Served,
}

impl EcpaPage {
    pub fn start_on(listener: std::net::TcpListener, certs: &CertSet) -> io::Result<EcpaPage> {
        let tls = tls_acceptor(certs)?;
        let served = Served::start("ecpa-page", listener, move |tcp| {
            let tls = tls.clone();
            async move {
                let Ok(Ok(mut s)) =
                    tokio::time::timeout(Duration::from_secs(10), tls.accept(tcp)).await
                else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 2048];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 16 * 1024 {
                    match tokio::time::timeout(Duration::from_secs(10), s.read(&mut chunk)).await {
                        Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
                        _ => return,
                    }
                }
                let late = buf.starts_with(b"GET /late ");
                if late {
                    tokio::time::sleep(Duration::from_secs(3)).await;
                }
                let (status, body) = if late {
                    ("404 Not Found", "")
                } else {
                    ("200 OK", PAGE)
                };
                let reply = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = s.write_all(reply.as_bytes()).await;
                let _ = s.shutdown().await;
                let mut rest = [0u8; 512];
                let _ = tokio::time::timeout(Duration::from_secs(5), s.read(&mut rest)).await;
            }
        })?;
        Ok(EcpaPage { served })
    }

    pub fn port(&self) -> u16 {
        self.served.addr().port()
    }
}
