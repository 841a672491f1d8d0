//! The component's fragility, for the fake bridge: the real mLNHIICC writes each TLS 1.3
//! session ticket in its own `write()` right after the handshake, without `MSG_NOSIGNAL`
//! and with SIGPIPE at its default action, so a client that hangs up early kills the whole
//! daemon (real-component.md, "Fragility"). Rust ignores SIGPIPE, so a fake that only
//! answered like the component would survive what the real one does not; this wrapper
//! makes it die the same way:
//!
//! * the server's first flight goes out in one write, as OpenSSL sends it;
//! * after the client's Finished, the tickets go out in two writes with a pause between
//!   them (longer than the real ≈ 1 ms, so a rude client is caught every time, not by
//!   luck);
//! * a write that fails because the client hung up, or a client that resets the
//!   connection before the tickets are out, kills the server ([`Life::die`]).

use std::io;
use std::pin::Pin;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};

/// Whether the fake component is still alive, and why it died.
#[derive(Default)]
pub struct Life {
    dead: AtomicBool,
    cause: Mutex<Option<String>>,
    died: tokio::sync::Notify,
}

impl Life {
    pub fn is_dead(&self) -> bool {
        self.dead.load(Ordering::SeqCst)
    }

    /// What killed it, as the test that finds it dead should say.
    pub fn cause(&self) -> Option<String> {
        self.cause.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn die(&self, cause: String) {
        let mut c = self.cause.lock().unwrap_or_else(|p| p.into_inner());
        if c.is_none() {
            *c = Some(cause);
        }
        self.dead.store(true, Ordering::SeqCst);
        self.died.notify_waiters();
    }

    /// Resolves once the server has died.
    pub async fn died(&self) {
        loop {
            let n = self.died.notified();
            if self.is_dead() {
                return;
            }
            n.await;
        }
    }
}

/// Whether `e` says the client hung up on us: what kills the real component when it
/// writes (EPIPE and its neighbours).
pub fn hung_up(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
    )
}

/// Accepts TLS on a fragile connection, as the component does, and marks the handshake
/// done, so that what the server writes next goes out at once. Every fragile TLS server
/// must start its connections here: a connection left in the ticket phase would hold
/// the first application write back.
pub async fn accept(
    acceptor: &tokio_rustls::TlsAcceptor,
    tcp: tokio::net::TcpStream,
    life: Arc<Life>,
    fragility: Fragility,
    wait: Duration,
) -> Option<tokio_rustls::server::TlsStream<Fragile<tokio::net::TcpStream>>> {
    let tcp = Fragile::new(tcp, life, fragility);
    let mut tls = tokio::time::timeout(wait, acceptor.accept(tcp))
        .await
        .ok()?
        .ok()?;
    tls.get_mut().0.handshake_done();
    Some(tls)
}

/// After a server's last word: reads until the client closes (or `wait` passes), and notes
/// on `seen` a client that broke the connection instead of closing it.
pub async fn witness_close<S: AsyncRead + Unpin>(s: &mut S, seen: &Life, wait: Duration) {
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(wait, s.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => continue,
            Ok(Err(e)) if e.kind() != io::ErrorKind::UnexpectedEof => {
                return seen.die(format!(
                    "the client broke the connection instead of closing it: {e}"
                ));
            }
            _ => return,
        }
    }
}

/// How fragile the fake is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fragility {
    /// `Some(why)`: survives clients that hang up early, for the reason given.
    pub tolerant: Option<&'static str>,
    /// The pause between the two ticket writes.
    pub ticket_pause: Duration,
}

impl Default for Fragility {
    fn default() -> Fragility {
        Fragility {
            tolerant: None,
            ticket_pause: Duration::from_millis(50),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing written yet: the next write is the server's first flight.
    Flight,
    /// The flight is out; waiting for the client's Finished.
    AwaitClient,
    /// The client has answered; what is written next, before the handshake is declared
    /// done, is the tickets (TLS 1.3).
    Tickets,
    /// Application data.
    Traffic,
}

const CONTENT_APPLICATION_DATA: u8 = 23;

/// A server-side connection that writes like the component and dies like it.
pub struct Fragile<S> {
    inner: S,
    life: Arc<Life>,
    fragility: Fragility,
    phase: Phase,
    /// Bytes of the first ticket write still to go.
    first_ticket_left: Option<usize>,
    pause: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Fragile<S> {
    pub fn new(inner: S, life: Arc<Life>, fragility: Fragility) -> Fragile<S> {
        Fragile {
            inner,
            life,
            fragility,
            phase: Phase::Flight,
            first_ticket_left: None,
            pause: None,
        }
    }

    /// The TLS accept has finished: from now on every write is application data, written
    /// at once (the fake's handlers do not flush, so nothing may wait after this).
    pub fn handshake_done(&mut self) {
        self.phase = Phase::Traffic;
    }

    fn fatal(&self, e: &io::Error, what: &str) {
        if self.fragility.tolerant.is_none() && hung_up(e) {
            self.life.die(format!(
                "{what}: {e} (the real component dies of SIGPIPE here)"
            ));
        }
    }
}

/// Where the ticket burst is cut in two writes: after its first record when there are
/// several (OpenSSL's two NewSessionTicket records), else in the middle of the one record
/// (rustls sends both tickets in one record; the wire shows the same two writes).
fn ticket_split(b: &[u8]) -> usize {
    match b
        .get(3..5)
        .map(|l| 5 + usize::from(u16::from_be_bytes([l[0], l[1]])))
    {
        Some(first) if first < b.len() => first,
        _ => (b.len() / 2).max(1),
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Fragile<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        match &r {
            Poll::Ready(Ok(()))
                if buf.filled().len() > before && self.phase == Phase::AwaitClient =>
            {
                self.phase = Phase::Tickets
            }
            Poll::Ready(Err(e)) if matches!(self.phase, Phase::AwaitClient | Phase::Tickets) => {
                self.fatal(
                    e,
                    "the client reset the connection before the session tickets were out",
                )
            }
            _ => {}
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> Fragile<S> {
    fn write_now(
        &mut self,
        cx: &mut Context<'_>,
        bytes: &[u8],
        what: &str,
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, bytes);
        if let Poll::Ready(Err(e)) = &r {
            self.fatal(e, what);
        }
        r
    }

    /// The first part of the ticket burst, a pause, then the rest.
    fn write_tickets(&mut self, cx: &mut Context<'_>, all: &[u8]) -> Poll<io::Result<usize>> {
        let left = *self
            .first_ticket_left
            .get_or_insert_with(|| ticket_split(all));
        if left > 0 {
            let r = self.write_now(
                cx,
                &all[..left.min(all.len())],
                "writing the first session ticket",
            );
            if let Poll::Ready(Ok(n)) = r {
                self.first_ticket_left = Some(left - n.min(left));
            }
            return r;
        }
        let pause = self.fragility.ticket_pause;
        let sleep = self
            .pause
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(pause)));
        if sleep.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.phase = Phase::Traffic;
        self.write_now(cx, all, "writing the second session ticket")
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Fragile<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let all: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
        if all.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let this = &mut *self;
        match this.phase {
            Phase::Flight => {
                let r = this.write_now(cx, &all, "writing the handshake flight");
                if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
                    this.phase = Phase::AwaitClient;
                }
                r
            }
            // TLS 1.2's ChangeCipherSpec + Finished (no tickets): one write, as OpenSSL.
            Phase::Tickets | Phase::AwaitClient
                if this.first_ticket_left.is_none() && all[0] != CONTENT_APPLICATION_DATA =>
            {
                this.phase = Phase::Traffic;
                this.write_now(cx, &all, "finishing the TLS 1.2 handshake")
            }
            Phase::Tickets | Phase::AwaitClient => this.write_tickets(cx, &all),
            Phase::Traffic => this.write_now(cx, &all, "writing to the client"),
        }
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.inner).poll_flush(cx);
        if let Poll::Ready(Err(e)) = &r {
            self.fatal(e, "flushing to the client");
        }
        r
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_burst_is_cut_after_its_first_record_or_in_the_middle() {
        let mut two = vec![23, 3, 3, 0, 2, 0xAA, 0xBB];
        two.extend([23, 3, 3, 0, 1, 0xCC]);
        assert_eq!(ticket_split(&two), 7);
        assert_eq!(ticket_split(&[23, 3, 3, 0, 4, 1, 2, 3, 4]), 4);
        assert_eq!(ticket_split(&[23]), 1);
    }

    #[tokio::test]
    async fn life_reports_its_first_cause() {
        let life = Life::default();
        assert!(!life.is_dead());
        life.die("first".into());
        life.die("second".into());
        life.died().await;
        assert_eq!(life.cause().as_deref(), Some("first"));
    }
}
