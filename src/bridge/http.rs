//! Just enough HTTP/1.1 to ask the bridge `GET /` and to read a WebSocket upgrade answer,
//! tolerant of the real component's quirks: header lines end in a bare `\n` (only the
//! last one in `\r\n\r\n`) and `Content-Length: 1350 ` carries a trailing space. Every
//! read is bounded: the head to `head_max` bytes, the body to `body_max` (a server that
//! announces 100 MB is read no further than the cap).

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Status line and headers of an answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub status_line: String,
    /// `None` when the first line is not `HTTP/x.y NNN …`.
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
}

impl Head {
    /// First header of that name (case-insensitive), value trimmed.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `Content-Length`, ignoring the spaces some servers leave around the number.
    pub fn content_length(&self) -> Option<u64> {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
    }
}

/// Where the head ends (the index just past its blank line), accepting `\n\n`,
/// `\r\n\r\n` and the component's mix `\n…\r\n\r\n`.
pub fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(p) = buf[i..].iter().position(|&b| b == b'\n') {
        let nl = i + p;
        let rest = &buf[nl + 1..];
        if rest.starts_with(b"\n") {
            return Some(nl + 2);
        }
        if rest.starts_with(b"\r\n") {
            return Some(nl + 3);
        }
        i = nl + 1;
    }
    None
}

/// Parses a complete or partial head; `None` when there is no line at all. Returns the
/// head and the index where the body starts (the buffer's end for a partial head).
pub fn parse_head(buf: &[u8]) -> Option<(Head, usize)> {
    let end = head_end(buf).unwrap_or(buf.len());
    let text = String::from_utf8_lossy(&buf[..end]);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    let status_line = lines.next().filter(|l| !l.is_empty())?.to_string();
    let status = parse_status(&status_line);
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some((
        Head {
            status_line,
            status,
            headers,
        },
        end,
    ))
}

fn parse_status(line: &str) -> Option<u16> {
    let mut parts = line.split_ascii_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/") {
        return None;
    }
    let code = parts.next()?;
    if code.len() != 3 {
        return None;
    }
    code.parse().ok()
}

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub head_max: usize,
    pub body_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            head_max: 16 * 1024,
            body_max: 64 * 1024,
        }
    }
}

/// What came back for a request.
#[derive(Clone, Debug)]
pub struct Response {
    pub head: Head,
    pub body: Vec<u8>,
    /// Bytes after the head that were not read as body (e.g. the first WebSocket frame).
    pub extra: Vec<u8>,
    /// The body stopped at the cap, or the server stopped sending before it was complete.
    pub truncated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    /// The connection closed before a single byte came back.
    Empty,
    /// Nothing (or not a whole head) within the wait.
    Timeout,
    /// Bytes came, but no HTTP status line: the first of them.
    NotHttp(Vec<u8>),
    /// A head larger than `head_max`.
    HeadTooLarge,
    Io(String),
}

/// Reads a head, then (when `with_body`) the body up to `Content-Length`, the cap, or the
/// close. `wait` bounds each read; a body that stalls halfway ends the read, marked
/// truncated, rather than failing the whole answer.
pub async fn read_response<R: AsyncRead + Unpin>(
    r: &mut R,
    limits: Limits,
    wait: Duration,
    with_body: bool,
) -> Result<Response, ReadError> {
    let mut buf = Vec::with_capacity(4096);
    let end = loop {
        if let Some(end) = head_end(&buf) {
            break end;
        }
        if buf.len() > limits.head_max {
            return Err(ReadError::HeadTooLarge);
        }
        match read_some(r, &mut buf, wait).await {
            Ok(0) if buf.is_empty() => return Err(ReadError::Empty),
            // Closed after a partial head: judge what we have.
            Ok(0) => break buf.len(),
            Ok(_) => {}
            Err(ReadError::Timeout) if !buf.is_empty() => break buf.len(),
            Err(e) => return Err(e),
        }
    };
    let Some((head, _)) = parse_head(&buf[..end]).filter(|(h, _)| h.status.is_some()) else {
        return Err(ReadError::NotHttp(buf[..buf.len().min(256)].to_vec()));
    };
    let mut rest = buf.split_off(end);
    if !with_body {
        return Ok(Response {
            head,
            body: Vec::new(),
            extra: rest,
            truncated: false,
        });
    }
    let want = head
        .content_length()
        .map_or(limits.body_max, |n| n.min(limits.body_max as u64) as usize);
    let mut truncated = head
        .content_length()
        .is_some_and(|n| n > limits.body_max as u64);
    while rest.len() < want {
        match read_some(r, &mut rest, wait).await {
            Ok(0) => {
                truncated |= head.content_length().is_some();
                break;
            }
            Ok(_) => {}
            Err(_) => {
                truncated = true;
                break;
            }
        }
    }
    if head.content_length().is_none() && rest.len() >= limits.body_max {
        truncated = true;
    }
    let extra = if rest.len() > want {
        rest.split_off(want)
    } else {
        Vec::new()
    };
    Ok(Response {
        head,
        body: rest,
        extra,
        truncated,
    })
}

async fn read_some<R: AsyncRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    wait: Duration,
) -> Result<usize, ReadError> {
    let mut chunk = [0u8; 8192];
    match tokio::time::timeout(wait, r.read(&mut chunk)).await {
        Err(_) => Err(ReadError::Timeout),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(0),
        Ok(Err(e)) => Err(ReadError::Io(e.to_string())),
        Ok(Ok(n)) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(n)
        }
    }
}

/// The text of `<title>…</title>`, if the page has one.
pub fn html_title(body: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(body);
    let lower = text.to_ascii_lowercase();
    let start = lower.find("<title>")? + "<title>".len();
    let len = lower[start..].find("</title>")?;
    Some(text[start..start + len].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: &[u8] =
        b"HTTP/1.1 200 OK\nContent-Type: text/html\nAccept-Ranges: bytes\nServer: NHIICC-/1.0\nConnection: close\nContent-Length: 1350 \r\n\r\n<html>";

    #[test]
    fn the_real_components_head_parses() {
        let (head, end) = parse_head(REAL).unwrap();
        assert_eq!(head.status, Some(200));
        assert_eq!(head.header("SERVER"), Some("NHIICC-/1.0"));
        assert_eq!(head.content_length(), Some(1350));
        assert_eq!(&REAL[end..], b"<html>");
    }

    #[test]
    fn head_end_variants() {
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\n\r\nX"), Some(19));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\n\nX"), Some(17));
        assert_eq!(head_end(b"HTTP/1.1 200 OK\r\nA: b\r\n"), None);
        assert_eq!(head_end(b""), None);
    }

    #[test]
    fn garbage_is_not_a_status() {
        let (head, _) = parse_head(b"\x16\x03\x01garbage\n\n").unwrap();
        assert_eq!(head.status, None);
        assert!(parse_head(b"").is_none());
        assert!(parse_head(b"\n\n").is_none());
        assert_eq!(parse_status("HTTP/1.1 2000 OK"), None);
        assert_eq!(parse_status("HTTP/1.0 404"), Some(404));
    }

    #[tokio::test]
    async fn body_is_capped_and_marked_truncated() {
        let mut data = b"HTTP/1.1 200 OK\r\nContent-Length: 104857600\r\n\r\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 200_000));
        let mut r = &data[..];
        let resp = read_response(
            &mut r,
            Limits {
                head_max: 1024,
                body_max: 1000,
            },
            Duration::from_secs(1),
            true,
        )
        .await
        .unwrap();
        assert_eq!(resp.body.len(), 1000);
        assert!(resp.truncated);
    }

    #[tokio::test]
    async fn empty_close_and_non_http_are_named() {
        let mut r: &[u8] = b"";
        assert_eq!(
            read_response(&mut r, Limits::default(), Duration::from_secs(1), true)
                .await
                .unwrap_err(),
            ReadError::Empty
        );
        let mut r: &[u8] = b"SSH-2.0-OpenSSH_9.2\r\n";
        assert!(matches!(
            read_response(&mut r, Limits::default(), Duration::from_secs(1), true).await,
            Err(ReadError::NotHttp(_))
        ));
    }

    #[tokio::test]
    async fn upgrade_answer_keeps_the_bytes_after_the_head() {
        let mut r: &[u8] =
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x04abcd";
        let resp = read_response(&mut r, Limits::default(), Duration::from_secs(1), false)
            .await
            .unwrap();
        assert_eq!(resp.head.status, Some(101));
        assert_eq!(resp.extra, b"\x81\x04abcd");
    }

    #[test]
    fn title_is_found() {
        assert_eq!(
            html_title("<head><TITLE> 已確任信任服務.... </title>".as_bytes()).as_deref(),
            Some("已確任信任服務....")
        );
        assert_eq!(html_title(b"<title>unterminated"), None);
    }
}
