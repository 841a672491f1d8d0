//! RFC 6455 WebSocket, hand-rolled: the bridge speaks one text frame per request and per
//! reply, and the diagnosis must see every odd thing it does (bare codes, binary or
//! garbage frames, a close without a close frame), which a full client library hides.
//! The frame codec is shared with the fake bridge in `crate::sim`.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::engine::outcome::{Msg, Value};

pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// `Sec-WebSocket-Accept` for a client key.
pub fn accept_for(key: &str) -> String {
    let d = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        format!("{key}{GUID}").as_bytes(),
    );
    base64(d.as_ref())
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes, base64.
pub fn client_key() -> String {
    let mut b = [0u8; 16];
    fill_random(&mut b);
    base64(&b)
}

pub fn fill_random(buf: &mut [u8]) {
    use ring::rand::SecureRandom;
    // A masking key or handshake nonce needs no secrecy for a local diagnosis; if the OS
    // generator fails we still want a working request.
    if ring::rand::SystemRandom::new().fill(buf).is_err() {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ i as u8;
        }
    }
}

/// The upgrade request a browser on the eCPA page sends (`Origin` is what the component's
/// allowed-origin gate looks at).
pub fn upgrade_request(path: &str, host: &str, origin: Option<&str>, key: &str) -> String {
    let mut r = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(o) = origin {
        r.push_str(&format!("Origin: {o}\r\n"));
    }
    r.push_str("User-Agent: ecpa-doctor\r\n\r\n");
    r
}

pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One frame as it came off the wire (payload already unmasked).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    /// RSV1–3 bits; nothing is negotiated, so anything but 0 is a protocol error.
    pub rsv: u8,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Encodes a frame; clients mask (`Some(key)`), servers do not.
pub fn encode(opcode: u8, payload: &[u8], mask: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | (opcode & 0x0F));
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(m | n as u8),
        n if n <= 0xFFFF => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(k) => {
            out.extend_from_slice(&k);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ k[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A masked client frame with a random key.
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut k = [0u8; 4];
    fill_random(&mut k);
    encode(opcode, payload, Some(k))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The peer closed the connection; `partial` bytes of a frame had arrived.
    Closed {
        partial: usize,
    },
    Timeout,
    /// The header announced a payload larger than allowed.
    TooLarge {
        announced: u64,
    },
    Io(String),
}

/// Reads frames from a stream, starting with bytes already read past an HTTP head.
pub struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    pub fn new(already: Vec<u8>) -> FrameReader {
        FrameReader { buf: already }
    }

    /// The next frame; `max` caps the payload so a hostile length cannot make us allocate.
    pub async fn next<R: AsyncRead + Unpin>(
        &mut self,
        r: &mut R,
        max: usize,
        wait: Duration,
    ) -> Result<Frame, FrameError> {
        tokio::time::timeout(wait, self.next_inner(r, max))
            .await
            .unwrap_or(Err(FrameError::Timeout))
    }

    async fn next_inner<R: AsyncRead + Unpin>(
        &mut self,
        r: &mut R,
        max: usize,
    ) -> Result<Frame, FrameError> {
        self.fill(r, 2).await?;
        let (b0, b1) = (self.buf[0], self.buf[1]);
        let masked = b1 & 0x80 != 0;
        let (len, mut at) = match b1 & 0x7F {
            126 => {
                self.fill(r, 4).await?;
                (u64::from(u16::from_be_bytes([self.buf[2], self.buf[3]])), 4)
            }
            127 => {
                self.fill(r, 10).await?;
                (
                    u64::from_be_bytes(self.buf[2..10].try_into().unwrap_or_default()),
                    10,
                )
            }
            n => (u64::from(n), 2),
        };
        if len > max as u64 {
            return Err(FrameError::TooLarge { announced: len });
        }
        let key = if masked {
            self.fill(r, at + 4).await?;
            let k = [
                self.buf[at],
                self.buf[at + 1],
                self.buf[at + 2],
                self.buf[at + 3],
            ];
            at += 4;
            Some(k)
        } else {
            None
        };
        let total = at + len as usize;
        self.fill(r, total).await?;
        let mut payload: Vec<u8> = self.buf[at..total].to_vec();
        if let Some(k) = key {
            payload
                .iter_mut()
                .enumerate()
                .for_each(|(i, b)| *b ^= k[i % 4]);
        }
        self.buf.drain(..total);
        Ok(Frame {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0x07,
            opcode: b0 & 0x0F,
            payload,
        })
    }

    async fn fill<R: AsyncRead + Unpin>(&mut self, r: &mut R, n: usize) -> Result<(), FrameError> {
        let mut chunk = [0u8; 8192];
        while self.buf.len() < n {
            match r.read(&mut chunk).await {
                Ok(0) => {
                    return Err(FrameError::Closed {
                        partial: self.buf.len(),
                    });
                }
                Ok(k) => self.buf.extend_from_slice(&chunk[..k]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::UnexpectedEof
                            | std::io::ErrorKind::ConnectionReset
                            | std::io::ErrorKind::BrokenPipe
                    ) =>
                {
                    return Err(FrameError::Closed {
                        partial: self.buf.len(),
                    });
                }
                Err(e) => return Err(FrameError::Io(e.to_string())),
            }
        }
        Ok(())
    }
}

/// A whole message as the client sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    Text(String),
    /// A binary message (the bridge only ever sends text): its length.
    Binary(usize),
    /// A close frame: status code if any.
    Close(Option<u16>),
    /// Text that is not UTF-8, reserved opcodes or RSV bits, a stray continuation: what
    /// was wrong, for the report.
    Garbled(Value),
}

/// Reads one message, answering pings and skipping pongs on the way, reassembling
/// fragments up to `max` bytes in all.
pub async fn read_message<S: AsyncRead + AsyncWrite + Unpin>(
    s: &mut S,
    frames: &mut FrameReader,
    max: usize,
    wait: Duration,
) -> Result<Message, FrameError> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut assembled: Option<(u8, Vec<u8>)> = None;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let f = frames.next(s, max, left).await?;
        if f.rsv != 0 {
            let first = format!("{:02X}", (0x80 * u8::from(f.fin)) | (f.rsv << 4) | f.opcode);
            return Ok(Message::Garbled(
                Msg::new("value.ws.reserved_bits")
                    .arg("first_byte", first)
                    .into(),
            ));
        }
        match f.opcode {
            OP_PING => {
                let _ = s.write_all(&client_frame(OP_PONG, &f.payload)).await;
            }
            OP_PONG => {}
            OP_CLOSE => {
                let code = (f.payload.len() >= 2)
                    .then(|| u16::from_be_bytes([f.payload[0], f.payload[1]]));
                return Ok(Message::Close(code));
            }
            OP_TEXT | OP_BINARY if assembled.is_none() => {
                if f.fin {
                    return Ok(finish(f.opcode, f.payload));
                }
                assembled = Some((f.opcode, f.payload));
            }
            OP_CONTINUATION if assembled.is_some() => {
                let (op, mut data) = assembled.take().unwrap_or_default();
                if data.len() + f.payload.len() > max {
                    return Err(FrameError::TooLarge {
                        announced: (data.len() + f.payload.len()) as u64,
                    });
                }
                data.extend_from_slice(&f.payload);
                if f.fin {
                    return Ok(finish(op, data));
                }
                assembled = Some((op, data));
            }
            op => {
                return Ok(Message::Garbled(
                    Msg::new("value.ws.unexpected_opcode")
                        .arg("opcode", format!("{op:#X}"))
                        .into(),
                ));
            }
        }
    }
}

fn finish(opcode: u8, data: Vec<u8>) -> Message {
    if opcode == OP_BINARY {
        return Message::Binary(data.len());
    }
    match String::from_utf8(data) {
        Ok(t) => Message::Text(t),
        Err(e) => Message::Garbled(
            Msg::new("value.ws.not_utf8")
                .arg("bytes", e.as_bytes().len().to_string())
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_of_rfc6455_example() {
        assert_eq!(
            accept_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn base64_padding() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(client_key().len(), 24);
    }

    #[tokio::test]
    async fn round_trip_masked_and_long() {
        let long = vec![b'a'; 70_000];
        let mut wire = encode(OP_TEXT, b"GetVersion", Some([1, 2, 3, 4]));
        wire.extend(encode(OP_TEXT, &long, None));
        wire.extend(encode(OP_TEXT, &long[..300], None));
        let mut r = &wire[..];
        let mut fr = FrameReader::new(Vec::new());
        let f = fr
            .next(&mut r, 100_000, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(f.payload, b"GetVersion");
        assert_eq!(
            fr.next(&mut r, 100_000, Duration::from_secs(1))
                .await
                .unwrap()
                .payload
                .len(),
            70_000
        );
        assert_eq!(
            fr.next(&mut r, 100_000, Duration::from_secs(1))
                .await
                .unwrap()
                .payload
                .len(),
            300
        );
        assert_eq!(
            fr.next(&mut r, 100_000, Duration::from_secs(1)).await,
            Err(FrameError::Closed { partial: 0 })
        );
    }

    #[tokio::test]
    async fn the_real_4021_frame() {
        let mut r: &[u8] = &[0x81, 0x04, 0x34, 0x30, 0x32, 0x31];
        let f = FrameReader::new(Vec::new())
            .next(&mut r, 1024, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(
            (f.fin, f.opcode, f.payload.as_slice()),
            (true, OP_TEXT, &b"4021"[..])
        );
    }

    #[tokio::test]
    async fn oversize_announcement_is_refused_before_reading() {
        let mut r: &[u8] = &[0x81, 127, 0, 0, 0, 0, 0x40, 0, 0, 0];
        let e = FrameReader::new(Vec::new())
            .next(&mut r, 65_536, Duration::from_secs(1))
            .await
            .unwrap_err();
        assert_eq!(
            e,
            FrameError::TooLarge {
                announced: 0x4000_0000
            }
        );
    }

    #[tokio::test]
    async fn garbage_becomes_a_message_not_a_panic() {
        let mut frames = FrameReader::new(vec![0xF3, 0x03, 0xDE, 0xAD, 0xBE]);
        let mut s = tokio::io::duplex(64).0;
        let m = read_message(&mut s, &mut frames, 1024, Duration::from_secs(1))
            .await
            .unwrap();
        assert!(matches!(m, Message::Garbled(_)), "{m:?}");
        let mut frames = FrameReader::new(encode(OP_TEXT, &[0xFF, 0xFE], None));
        assert!(matches!(
            read_message(&mut s, &mut frames, 1024, Duration::from_secs(1))
                .await
                .unwrap(),
            Message::Garbled(_)
        ));
        let mut frames = FrameReader::new(encode(OP_BINARY, b"abc", None));
        assert_eq!(
            read_message(&mut s, &mut frames, 1024, Duration::from_secs(1))
                .await
                .unwrap(),
            Message::Binary(3)
        );
    }

    #[tokio::test]
    async fn fragments_are_joined() {
        let mut wire = vec![0x01, 0x03];
        wire.extend(b"Get");
        wire.extend([0x80, 0x07]);
        wire.extend(b"Version");
        let mut frames = FrameReader::new(wire);
        let mut s = tokio::io::duplex(64).0;
        assert_eq!(
            read_message(&mut s, &mut frames, 1024, Duration::from_secs(1))
                .await
                .unwrap(),
            Message::Text("GetVersion".into())
        );
    }
}
