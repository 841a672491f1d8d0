//! The fake component's WebSocket command layer (real-component §4): the origin gate,
//! commands matched by prefix, `Command:payload` or a bare 4-digit code, and the cloud's
//! signature stand-in for `H_Sign`.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::card::{encrypt, get_basic, secure_basic};
use super::{Fault, Server};
use crate::bridge::ws::{self, FrameReader};
use crate::system::SmartCards;

pub(super) const VERSION: &str = "0011";

pub(super) async fn ws_loop<S: AsyncRead + AsyncWrite + Unpin>(
    server: &Server,
    s: &mut S,
    already: Vec<u8>,
) {
    let mut frames = FrameReader::new(already);
    loop {
        let Ok(frame) = frames.next(s, 64 * 1024, Duration::from_secs(60)).await else {
            return;
        };
        // Binary, ping and close frames: the real component closes without a reply.
        if frame.opcode != ws::OP_TEXT {
            server.note(format!("frame opcode {:#X}", frame.opcode));
            return;
        }
        let command = zeroize::Zeroizing::new(String::from_utf8_lossy(&frame.payload).into_owned());
        server.note(format!("command: {}", loggable(&command)));
        let reply: Vec<u8> = match &server.fault {
            Fault::OfflineGate => return send_and_close(s, "4021").await,
            Fault::OriginRefused => return send_and_close(s, "4041").await,
            Fault::ClosesAfterCommand => return,
            Fault::GarbageFrames => vec![0xF3, 0x03, 0xDE, 0xAD, 0xBE],
            Fault::BinaryFrame => ws::encode(ws::OP_BINARY, b"\x00\x01\x02GetVersion", None),
            Fault::OversizeFrame => {
                let mut f = vec![0x81, 127];
                f.extend_from_slice(&(1u64 << 30).to_be_bytes());
                f.extend_from_slice(b"GetVersion:");
                f
            }
            _ => ws::encode(ws::OP_TEXT, answer(server, &command).await.as_bytes(), None),
        };
        if s.write_all(&reply).await.is_err() {
            return;
        }
    }
}

async fn send_and_close<S: AsyncWrite + Unpin>(s: &mut S, code: &str) {
    let _ = s
        .write_all(&ws::encode(ws::OP_TEXT, code.as_bytes(), None))
        .await;
    let _ = s.shutdown().await;
}

/// A command as the log keeps it: a password becomes its length, so not even a test
/// helper holds it longer than the exchange.
fn loggable(command: &str) -> String {
    match command.split_once("?Pwd=") {
        Some((name, pwd)) => format!("{name}?Pwd=({} characters)", pwd.chars().count()),
        None => command.to_string(),
    }
}

/// The command layer past the gate (real-component §4b); commands are matched by prefix.
async fn answer(server: &Server, command: &str) -> String {
    if command.starts_with("GetBasic") {
        if let Fault::GetBasicCode(code) = &server.fault {
            return code.clone();
        }
        let Some(cards) = server.cards.clone() else {
            return "8013".into();
        };
        let reader = server.reader.clone();
        return tokio::task::spawn_blocking(move || get_basic(cards.as_ref(), reader.as_deref()))
            .await
            .unwrap_or_else(|_| "8013".into());
    }
    if command.starts_with("GetVersion") {
        return format!("GetVersion:{VERSION}");
    }
    if command.starts_with("GetRandom") {
        let mut b = [0u8; 16];
        ws::fill_random(&mut b);
        return format!(
            "GetRandom:{}",
            b.iter()
                .map(|x| char::from(b'0' + x % 10))
                .collect::<String>()
        );
    }
    if command.starts_with("H_SignIPAndPort") {
        return "H_SignIPAndPort:4061".into();
    }
    if let Some(random) = command.strip_prefix("H_Sign?Random=") {
        return match &server.fault {
            Fault::Online | Fault::EnCryptCode(_) => format!("H_Sign:{}", signature(random)),
            Fault::SignShort => format!("H_Sign:{}", &signature(random)[..128]),
            Fault::SignCode(code) => code.clone(),
            // Signing needs cloudicap.nhi.gov.tw, which a loopback fake never reaches.
            _ => "4061".into(),
        };
    }
    if let Some(pwd) = command.strip_prefix("EnCrypt?Pwd=") {
        if let Fault::EnCryptCode(code) = &server.fault {
            return code.clone();
        }
        let pwd = zeroize::Zeroizing::new(pwd.to_string());
        return with_card(server, move |cards, reader| encrypt(cards, reader, &pwd)).await;
    }
    if command.starts_with("SecureGetBasicWithParam?Pwd=") {
        return with_card(server, secure_basic).await;
    }
    if command.starts_with("GetHostIPaddr") {
        return "GetHostIPaddr:(null)".into();
    }
    if command.starts_with("GetHostPort") {
        return "GetHostPort:(null)".into();
    }
    "9999".into()
}

/// Runs a card command off the async thread, as pcscd calls block; no cards = `8013`.
async fn with_card<F>(server: &Server, f: F) -> String
where
    F: FnOnce(&dyn SmartCards, Option<&str>) -> String + Send + 'static,
{
    let Some(cards) = server.cards.clone() else {
        return "8013".into();
    };
    let reader = server.reader.clone();
    tokio::task::spawn_blocking(move || f(cards.as_ref(), reader.as_deref()))
        .await
        .unwrap_or_else(|_| "8013".into())
}

/// A stand-in for the signature NHI's cloud makes: 256 hex characters derived from the
/// random, so two signatures differ like real ones.
fn signature(random: &str) -> String {
    let mut out = String::with_capacity(256);
    let mut block = ring::digest::digest(&ring::digest::SHA512, random.as_bytes());
    while out.len() < 256 {
        out.extend(block.as_ref().iter().map(|b| format!("{b:02X}")));
        block = ring::digest::digest(&ring::digest::SHA512, block.as_ref());
    }
    out.truncate(256);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::bridge::Fault;

    #[test]
    fn signature_is_256_characters_and_passwords_stay_out_of_the_log() {
        assert_eq!(signature("00111234567890123456").len(), 256);
        assert_ne!(
            signature("00111234567890123456"),
            signature("00111234567890123457")
        );
        assert_eq!(
            loggable("EnCrypt?Pwd=abc12345"),
            "EnCrypt?Pwd=(8 characters)"
        );
        assert_eq!(loggable("GetVersion"), "GetVersion");
        assert_eq!(
            Fault::parse("sign:9001"),
            Some(Fault::SignCode("9001".into()))
        );
        assert_eq!(Fault::parse("online"), Some(Fault::Online));
        assert_eq!(Fault::parse("sign-short"), Some(Fault::SignShort));
        assert_eq!(
            Fault::parse("encrypt:8013"),
            Some(Fault::EnCryptCode("8013".into()))
        );
        assert_eq!(Fault::parse("encrypt:pw"), None);
    }
}
