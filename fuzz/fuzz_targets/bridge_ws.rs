//! What the bridge sends after the WebSocket upgrade: frames decoded by the same reader the
//! `bridge_protocol` check uses (pings answered, fragments joined, sizes capped), every
//! text reply then judged the way the check does (bare 4-digit code → catalogue).
#![no_main]

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use ecpa_doctor::bridge::codes;
use ecpa_doctor::bridge::ws::{self, FrameError, FrameReader, Message};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

fuzz_target!(|data: &[u8]| {
    // The first byte splits the input: bytes that came with the upgrade answer, and bytes
    // read from the socket afterwards.
    let (already, wire) = match data.split_first() {
        Some((&n, rest)) => rest.split_at(usize::from(n).min(rest.len())),
        None => (&[][..], data),
    };
    runtime().block_on(async {
        let mut peer = Peer {
            rx: wire,
            tx: Vec::new(),
        };
        let mut frames = FrameReader::new(already.to_vec());
        for _ in 0..16 {
            match ws::read_message(&mut peer, &mut frames, 4096, Duration::from_millis(50)).await {
                Ok(Message::Text(t)) => judge(&t),
                Ok(Message::Close(_))
                | Err(FrameError::Closed { .. } | FrameError::Timeout | FrameError::Io(_)) => break,
                Ok(_) | Err(FrameError::TooLarge { .. }) => {}
            }
        }
    });
});

fn judge(reply: &str) {
    if codes::is_code(reply) {
        let entry = codes::lookup(reply);
        let _ = entry.map_or(codes::UNKNOWN_FINDING, |e| e.finding.as_str());
    }
    if let Some(payload) = reply.strip_prefix("GetBasic:") {
        let _ = payload.split(',').count();
    }
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: std::sync::OnceLock<tokio::runtime::Runtime> = std::sync::OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    })
}

/// The bridge's side of the socket: reads come from the input, writes (pongs) are kept.
struct Peer<'a> {
    rx: &'a [u8],
    tx: Vec<u8>,
}

impl AsyncRead for Peer<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.rx).poll_read(cx, buf)
    }
}

impl AsyncWrite for Peer<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.tx.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
