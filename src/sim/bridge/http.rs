//! The fake component's HTTP side: its page behind bare-LF headers, nothing to anything
//! but GET, and the `/echo` upgrade; plus the plain and foreign web servers that may sit
//! on the port instead.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::commands::ws_loop;
use super::{Fault, Server};
use crate::bridge::http::head_end;
use crate::bridge::ws;

/// The component's page (real-component §3): the title with its typo 已確任, the visible
/// text 已確認為可信任服務！, the `access`/`pass` messages to the opener. Only the markup
/// around them is made up; [`page`] pads it to the real page's 1350 bytes.
const PAGE_HEAD: &str = concat!(
    "<!DOCTYPE html><html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF8\"/>",
    "<title>已確任信任服務....</title>",
    "<style>body{font-family:sans-serif;margin:0;padding:40px;background:#f5f5f5}table{margin:auto;border-collapse:collapse;background:#fff;border:1px solid #ccc}",
    "th{padding:16px 32px;font-size:20px;color:#2e7d32}td{padding:8px 32px;text-align:center}</style>",
    "<script type=\"text/javascript\">window.onload=function(){if(window.opener){window.opener.postMessage(\"access\",\"*\");}};",
    "window.addEventListener(\"message\",function(e){if(e.data==\"pass\"){window.close();}},false);</script>",
    "</head><body><table><tr><th style=\"border-bottom:1px solid #ccc\">已確認為可信任服務！</th></tr>",
    "<tr><td style=\"color:#555\">可自行手動關閉</td></tr>",
    "<tr><td><input type=\"button\" value=\"關閉\" style=\"padding:4px 24px\" onclick=\"window.close()\"/></td></tr></table></body>",
);
const PAGE_TAIL: &str =
    "<!-- ecpa-doctor test bridge: padded to the length of the real page --></html>";
const PAGE_LEN: usize = 1350;

pub(super) fn page() -> String {
    let pad = PAGE_LEN.saturating_sub(PAGE_HEAD.len() + PAGE_TAIL.len());
    format!("{PAGE_HEAD}{}{PAGE_TAIL}", " ".repeat(pad))
}

/// The answer to any `GET` that is not an upgrade, byte for byte as observed: header lines
/// end in a bare `\n` (only the last in `\r\n\r\n`) and the length has a trailing space.
pub(super) fn http_answer() -> String {
    let body = page();
    format!(
        "HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: {} \r\n\r\n{body}",
        body.len()
    )
}

pub(super) fn nginx_400() -> String {
    let body = "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
    format!(
        "HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Reads a request head (bounded); with `need_http`, bytes that never become an HTTP
/// request line keep it waiting, like a line-based server given a TLS hello.
pub(super) async fn read_request<S: AsyncRead + Unpin>(
    s: &mut S,
    need_http: bool,
) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = head_end(&buf)
            && (!need_http || buf[..end].windows(7).any(|w| w == b" HTTP/1"))
        {
            let rest = buf.split_off(end);
            return Some((String::from_utf8_lossy(&buf).into_owned(), rest));
        }
        if buf.len() > 16 * 1024 {
            return None;
        }
        match tokio::time::timeout(Duration::from_secs(30), s.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => buf.extend_from_slice(&chunk[..n]),
            _ => return None,
        }
    }
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim())
}

pub(super) async fn serve_tls<S: AsyncRead + AsyncWrite + Unpin>(server: &Server, mut s: S) {
    let Some((head, rest)) = read_request(&mut s, false).await else {
        return;
    };
    let request_line = head
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_string();
    server.note(request_line.clone());
    server.note(format!(
        "Host: {}",
        header(&head, "host").unwrap_or("(none)")
    ));
    server.note(format!(
        "Origin: {}",
        header(&head, "origin").unwrap_or("(none)")
    ));
    let mut parts = request_line.split_ascii_whitespace();
    let (method, path) = (
        parts.next().unwrap_or_default(),
        parts.next().unwrap_or_default(),
    );
    let upgrade = header(&head, "upgrade").is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    match &server.fault {
        Fault::EmptyClose => {}
        Fault::ForeignServer => {
            let reply = if upgrade || path != "/" {
                "HTTP/1.1 404 Not Found\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_string()
            } else {
                let body = "<html><head><title>Apache2 Debian Default Page: It works</title></head><body>It works!</body></html>";
                format!(
                    "HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
            };
            let _ = s.write_all(reply.as_bytes()).await;
            let _ = s.shutdown().await;
        }
        Fault::HugeBody => huge_body(&mut s).await,
        // The real component: anything but GET is closed without a byte, as is an
        // upgrade to another path than /echo.
        _ if method != "GET" => {}
        _ if upgrade && path == "/echo" => {
            let Some(key) = header(&head, "sec-websocket-key") else {
                return;
            };
            let reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {}\r\n\r\n",
                ws::accept_for(key)
            );
            if s.write_all(reply.as_bytes()).await.is_ok() {
                ws_loop(server, &mut s, rest).await;
            }
        }
        _ if upgrade => {}
        _ => {
            let _ = s.write_all(http_answer().as_bytes()).await;
            let _ = s.shutdown().await;
        }
    }
}

async fn huge_body<S: AsyncWrite + Unpin>(s: &mut S) {
    const TOTAL: usize = 100 * 1024 * 1024;
    let head = format!(
        "HTTP/1.1 200 OK\r\nServer: bulk/1.0\r\nContent-Type: application/octet-stream\r\nContent-Length: {TOTAL}\r\n\r\n"
    );
    if s.write_all(head.as_bytes()).await.is_err() {
        return;
    }
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < TOTAL {
        // A reader that stops reading leaves this write pending; give up after a while.
        match tokio::time::timeout(Duration::from_secs(5), s.write_all(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len(),
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_is_the_component_page_at_its_real_length() {
        let page = page();
        assert_eq!(page.len(), 1350);
        assert!(
            page.contains("<title>已確任信任服務....</title>")
                && page.contains("已確認為可信任服務！")
                && page.contains("可自行手動關閉")
        );
        assert!(http_answer().starts_with(
            "HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: 1350 \r\n\r\n<!DOCTYPE html>"
        ));
    }
}
