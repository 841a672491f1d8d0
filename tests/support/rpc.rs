//! JSON commands over a WebSocket, as both browser protocols speak them (Chrome DevTools and
//! WebDriver BiDi): `{"id", "method", "params"}` out, the answer with the same `id` back,
//! events in between kept in order. The project's own WebSocket codec carries it.

use std::time::{Duration, Instant};

use ecpa_doctor::bridge::http;
use ecpa_doctor::bridge::ws::{self, FrameReader};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// Starts a browser (its stderr piped, its environment cleared to `HOME` and `PATH`) and
/// waits until it prints `marker` followed by the address its protocol listens on.
pub fn launch(
    mut cmd: std::process::Command,
    home: &std::path::Path,
    marker: &'static str,
) -> (std::process::Child, String) {
    use std::io::{BufRead, BufReader};
    let mut child = cmd
        .env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/bin:/bin")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("start {:?}: {e}", cmd.get_program()));
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            if let Some(url) = line.split(marker).nth(1) {
                let _ = tx.send(url.trim().to_string());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("the browser did not print {marker:?}"));
    (child, url)
}

pub struct Rpc {
    s: TcpStream,
    frames: FrameReader,
    next_id: u64,
    /// Every event (a message without our `id`), in arrival order.
    pub events: Vec<Value>,
}

impl Rpc {
    pub async fn connect(ws_url: &str) -> Rpc {
        let rest = ws_url
            .strip_prefix("ws://")
            .expect("a ws:// browser-protocol address");
        let (hostport, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let path = if path.is_empty() { "/" } else { path };
        let mut s = TcpStream::connect(hostport)
            .await
            .expect("connect to the browser's protocol port");
        let key = ws::client_key();
        s.write_all(ws::upgrade_request(path, hostport, None, &key).as_bytes())
            .await
            .unwrap();
        let resp = http::read_response(&mut s, Default::default(), Duration::from_secs(10), false)
            .await
            .expect("browser-protocol upgrade");
        assert_eq!(resp.head.status, Some(101), "{}", resp.head.status_line);
        Rpc {
            s,
            frames: FrameReader::new(resp.extra),
            next_id: 0,
            events: Vec::new(),
        }
    }

    /// Sends a command without waiting for its answer (which arrives among the events).
    pub async fn send(&mut self, method: &str, params: Value) -> u64 {
        self.next_id += 1;
        let msg = json!({ "id": self.next_id, "method": method, "params": params });
        let frame = ws::client_frame(ws::OP_TEXT, msg.to_string().as_bytes());
        self.s.write_all(&frame).await.unwrap();
        self.next_id
    }

    /// Sends a command (with `extra` fields beside `id`, such as CDP's `sessionId`) and
    /// returns its result; an error answer fails the test.
    pub async fn call(&mut self, extra: Value, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let (Some(m), Some(e)) = (msg.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        let frame = ws::client_frame(ws::OP_TEXT, msg.to_string().as_bytes());
        self.s.write_all(&frame).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let f = self
                .frames
                .next(&mut self.s, 64 * 1024 * 1024, left)
                .await
                .unwrap_or_else(|e| panic!("the browser went quiet during {method}: {e:?}"));
            let v: Value = serde_json::from_slice(&f.payload).unwrap_or(Value::Null);
            if v["id"] == json!(id) {
                assert!(v["error"].is_null(), "{method}: {v}");
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }
}
