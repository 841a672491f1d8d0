//! A loopback stand-in for a web server whose `Date` header tells the time, for the demo's
//! clock check: plain HTTP on 127.0.0.1 and an ephemeral port, answering every request
//! with an empty page dated now plus a chosen skew (what a PC whose clock is off sees).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::fragile::{Life, hung_up};

pub struct TimeServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    rude: Arc<Life>,
}

impl TimeServer {
    /// `skew_secs` is added to this computer's time: a server ahead of a slow PC clock.
    pub fn start(skew_secs: i64) -> io::Result<TimeServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let rude = Arc::new(Life::default());
        let seen = rude.clone();
        let thread = std::thread::Builder::new()
            .name(format!("time-server-{}", addr.port()))
            .spawn(move || {
                for conn in listener.incoming() {
                    if flag.load(Ordering::Relaxed) {
                        return;
                    }
                    if let Ok(c) = conn {
                        answer(c, skew_secs, &seen);
                    }
                }
            })?;
        Ok(TimeServer {
            addr,
            stop,
            thread: Some(thread),
            rude,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// How a client was rude to it (hung up before its answer was out, or reset), if one was.
    pub fn rude_client(&self) -> Option<String> {
        self.rude.cause()
    }
}

/// One request at a time is plenty for one check; a client that never sends its request
/// is given up on after a second.
fn answer(mut c: TcpStream, skew_secs: i64, seen: &Life) {
    let _ = c.set_read_timeout(Some(Duration::from_secs(1)));
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < 16 * 1024 {
        match c.read(&mut buf) {
            Ok(n) if n > 0 => got.extend_from_slice(&buf[..n]),
            Err(e) if hung_up(&e) => {
                return seen.die(format!(
                    "the client reset the connection before its request was read: {e}"
                ));
            }
            _ => break,
        }
    }
    let date = (chrono::Utc::now() + chrono::Duration::seconds(skew_secs))
        .format("%a, %d %b %Y %H:%M:%S GMT");
    let reply = format!(
        "HTTP/1.1 200 OK\r\nDate: {date}\r\nServer: demo-time\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if let Err(e) = c.write_all(reply.as_bytes()) {
        if hung_up(&e) {
            seen.die(format!(
                "the client was gone before the answer was out: {e}"
            ));
        }
        return;
    }
    // Then the client's own close, or a reset.
    let _ = c.shutdown(std::net::Shutdown::Write);
    loop {
        match c.read(&mut buf) {
            Ok(n) if n > 0 => continue,
            Err(e) if hung_up(&e) => {
                return seen.die(format!(
                    "the client reset the connection after the answer: {e}"
                ));
            }
            _ => return,
        }
    }
}

impl Drop for TimeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wakes the accept so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_a_date_skewed_as_asked() {
        let s = TimeServer::start(3600).unwrap();
        let mut c = TcpStream::connect(s.addr).unwrap();
        c.write_all(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut text = String::new();
        c.read_to_string(&mut text).unwrap();
        let date = text.lines().find_map(|l| l.strip_prefix("Date: ")).unwrap();
        let when = chrono::DateTime::parse_from_rfc2822(date).unwrap();
        let ahead = when.signed_duration_since(chrono::Utc::now()).num_seconds();
        assert!((3590..=3610).contains(&ahead), "{ahead}");
    }
}
