//! Ending every connection the way the official component survives it.
//!
//! The real mLNHIICC writes its two TLS 1.3 session tickets in separate `write()`s right
//! after the handshake, without `MSG_NOSIGNAL` and with SIGPIPE at its default action: a
//! client that hangs up before they are out (or before the server's own close) makes a
//! write fail with `EPIPE` and the whole daemon dies. A diagnostic must never be that
//! client, so no connection of ours is simply dropped:
//!
//! * at the end of a conversation the stream is handed to [`close`] (or [`websocket`]),
//!   which, in the background, sends the WebSocket close frame, the TLS `close_notify`
//!   and the TCP FIN, then keeps reading (and discarding) what the server still sends —
//!   its tickets, its own `close_notify` — until the server closes or [`LINGER`] passes;
//! * every TCP connection we open is a [`PoliteTcp`], whose `Drop` does the same at the
//!   TCP level, so a path that forgets to close, a check cut short by its timeout in the
//!   middle of a handshake, or a cancelled re-run still ends gracefully;
//! * [`settle`] lets a process about to exit wait (bounded) for the closes in flight.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

/// How long a closing connection waits for the server's own close. Long enough for a
/// component that delays its ServerHello by seconds (a handshake we gave up on is still
/// finished by the server, and must find our socket open), short enough to stay a
/// background detail.
pub const LINGER: Duration = Duration::from_secs(10);

/// How long a process about to exit waits for the closes still in flight, in all.
pub const EXIT_GRACE: Duration = Duration::from_millis(500);

/// What a closing connection reads at most before it gives up on a server that keeps
/// talking (a 100 MB body): enough for tickets, alerts and a page.
const DRAIN_MAX: usize = 1024 * 1024;

static PENDING: AtomicUsize = AtomicUsize::new(0);
static SETTLED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Counts one connection open or closing, for [`settle`].
struct Pending;

impl Pending {
    fn new() -> Pending {
        PENDING.fetch_add(1, Ordering::SeqCst);
        Pending
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if PENDING.fetch_sub(1, Ordering::SeqCst) == 1 {
            SETTLED.notify_waiters();
        }
    }
}

/// How many connections are still open or closing.
pub fn pending() -> usize {
    PENDING.load(Ordering::SeqCst)
}

/// Waits until no connection is open or closing, or `max` has passed.
pub async fn settle(max: Duration) {
    let deadline = tokio::time::Instant::now() + max;
    loop {
        let notified = SETTLED.notified();
        if pending() == 0 {
            return;
        }
        if tokio::time::timeout_at(deadline, notified).await.is_err() {
            return;
        }
    }
}

/// Ends a conversation gracefully in the background: `close_notify` for TLS, the FIN,
/// then what the server still sends is read until it closes. Without a runtime (a
/// synchronous caller) the stream is closed on a thread of its own.
pub fn close<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(s: S) {
    spawn(goodbye(s));
}

/// Ends a WebSocket conversation: the close frame first (status 1000), then as [`close`].
pub fn websocket<S: AsyncRead + AsyncWrite + Unpin + Send + 'static>(mut s: S) {
    spawn(async move {
        let frame = super::ws::client_frame(super::ws::OP_CLOSE, &1000u16.to_be_bytes());
        let _ = tokio::time::timeout(Duration::from_secs(1), s.write_all(&frame)).await;
        goodbye(s).await;
    });
}

fn spawn(fut: impl Future<Output = ()> + Send + 'static) {
    let pending = Pending::new();
    let fut = async move {
        fut.await;
        drop(pending);
    };
    match tokio::runtime::Handle::try_current() {
        Ok(h) => {
            h.spawn(fut);
        }
        Err(_) => {
            // A plain thread with a small runtime of its own; failing that, the stream is
            // dropped (nothing else can wait for it).
            let _ = std::thread::Builder::new()
                .name("farewell".into())
                .spawn(move || {
                    if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    {
                        rt.block_on(fut);
                    }
                });
        }
    }
}

/// Shut down our side, then read until the server closes (or [`LINGER`], or
/// [`DRAIN_MAX`] bytes).
pub async fn goodbye<S: AsyncRead + AsyncWrite + Unpin>(mut s: S) {
    let _ = tokio::time::timeout(LINGER, async {
        let _ = s.shutdown().await;
        drain(&mut s).await;
    })
    .await;
}

async fn drain<S: AsyncRead + Unpin>(s: &mut S) {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                total += n;
                if total >= DRAIN_MAX {
                    return;
                }
            }
        }
    }
}

/// A TCP connection of ours that is never simply dropped: unless the server was seen to
/// close it, dropping it hands the socket to a background goodbye (FIN, then read until
/// the server closes).
pub struct PoliteTcp {
    inner: Option<TcpStream>,
    server_closed: bool,
    /// An open connection counts for [`settle`] too: a console quit in the middle of a
    /// run gives the checks still talking a moment to finish and close.
    _open: Pending,
}

impl PoliteTcp {
    pub fn new(s: TcpStream) -> PoliteTcp {
        PoliteTcp {
            inner: Some(s),
            server_closed: false,
            _open: Pending::new(),
        }
    }

    pub fn get_ref(&self) -> &TcpStream {
        self.inner.as_ref().expect("present until dropped")
    }

    fn stream(&mut self) -> &mut TcpStream {
        self.inner.as_mut().expect("present until dropped")
    }
}

impl Drop for PoliteTcp {
    fn drop(&mut self) {
        if let Some(s) = self.inner.take()
            && !self.server_closed
        {
            close(s);
        }
    }
}

impl AsyncRead for PoliteTcp {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(self.stream()).poll_read(cx, buf);
        match &r {
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {
                self.server_closed = true
            }
            Poll::Ready(Err(_)) => self.server_closed = true,
            _ => {}
        }
        r
    }
}

impl AsyncWrite for PoliteTcp {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.stream()).poll_write(cx, buf)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(self.stream()).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        true
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(self.stream()).poll_shutdown(cx)
    }
}

/// The same courtesy for a connection made with the standard library (the component
/// check's TCP-connect fallback), without keeping the caller waiting: handed to the
/// runtime when there is one, else to a thread.
pub fn close_std(s: std::net::TcpStream) {
    if let Ok(h) = tokio::runtime::Handle::try_current()
        && s.set_nonblocking(true).is_ok()
    {
        let _guard = h.enter();
        if let Ok(t) = TcpStream::from_std(s) {
            close(t);
        }
        return;
    }
    let pending = Pending::new();
    let _ = std::thread::Builder::new()
        .name("farewell".into())
        .spawn(move || {
            close_blocking(s, LINGER);
            drop(pending);
        });
}

/// FIN, then read until the server closes or `linger` passes.
pub fn close_blocking(mut s: std::net::TcpStream, linger: Duration) {
    use std::io::Read;
    let _ = s.shutdown(std::net::Shutdown::Write);
    let deadline = Instant::now() + linger;
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || s.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                total += n;
                if total >= DRAIN_MAX {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that writes a late answer after our close must find the socket open and
    /// reading: no reset, no broken pipe on its side.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_connection_still_reads_until_the_server_closes() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = l.accept().await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            // Two writes after the client is gone, as the component writes its tickets.
            let a = s.write_all(&[0x17; 239]).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let b = s.write_all(&[0x17; 239]).await;
            let mut rest = Vec::new();
            let eof = s.read_to_end(&mut rest).await;
            (a.is_ok(), b.is_ok(), eof.is_ok())
        });
        let c = PoliteTcp::new(TcpStream::connect(addr).await.unwrap());
        drop(c);
        assert!(pending() >= 1);
        assert_eq!(server.await.unwrap(), (true, true, true));
        settle(Duration::from_secs(5)).await;
    }

    #[test]
    fn the_blocking_close_waits_for_the_server() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            use std::io::{Read, Write};
            let (mut s, _) = l.accept().unwrap();
            std::thread::sleep(Duration::from_millis(200));
            let a = s.write_all(b"late");
            std::thread::sleep(Duration::from_millis(50));
            let b = s.write_all(b"later");
            let mut rest = Vec::new();
            (a.is_ok(), b.is_ok(), s.read_to_end(&mut rest).is_ok())
        });
        let c = std::net::TcpStream::connect(addr).unwrap();
        close_blocking(c, Duration::from_secs(5));
        assert_eq!(server.join().unwrap(), (true, true, true));
    }
}
