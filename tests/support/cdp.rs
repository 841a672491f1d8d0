//! A real headless Chromium (Debian's `/usr/bin/chromium`), driven over the Chrome DevTools
//! Protocol with the project's own WebSocket codec: open a page, wait until its script has
//! written a result into `<pre id="r">`, and keep what the browser logged on the way (its
//! own network errors, `net::ERR_…`), so a test asserts the browser's reason, not only
//! that something failed.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ecpa_doctor::bridge::http;
use ecpa_doctor::bridge::ws::{self, FrameReader};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// What the page got and what the browser said while it tried.
#[derive(Debug)]
pub struct Visit {
    pub result: String,
    pub log: Vec<String>,
}

/// Chromium with the user data dir a desktop Chromium uses under `home`, names mapped to
/// loopback and the page's port counted as public (browser.md §8); killed on drop.
pub struct Chromium {
    child: Child,
    ws_url: String,
}

impl Chromium {
    pub fn launch(home: &Path, public_port: u16) -> Chromium {
        assert!(
            Path::new(CHROMIUM).exists(),
            "{CHROMIUM} is missing: run `scripts/rig install` (apt package chromium)"
        );
        let user_data = home.join(".config/chromium");
        let mut child = Command::new(CHROMIUM)
            .env_clear()
            .env("HOME", home)
            .env("PATH", "/usr/bin:/bin")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-port=0",
                "--host-resolver-rules=MAP iccert.nhi.gov.tw 127.0.0.1, MAP ecpa.dgpa.gov.tw 127.0.0.1, EXCLUDE 127.0.0.1, MAP * ~NOTFOUND",
            ])
            .arg(format!("--ip-address-space-overrides=127.0.0.1:{public_port}=public"))
            .arg(format!("--user-data-dir={}", user_data.display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let ws_url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium did not say where DevTools listens");
        Chromium { child, ws_url }
    }

    /// Opens `url` in a new tab and waits (up to `limit`) for the page's result.
    pub fn visit(&self, url: &str, limit: Duration) -> Visit {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(visit(&self.ws_url, url, limit))
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Cdp {
    s: TcpStream,
    frames: FrameReader,
    next_id: u64,
    log: Vec<String>,
}

impl Cdp {
    async fn connect(ws_url: &str) -> Cdp {
        let rest = ws_url
            .strip_prefix("ws://")
            .expect("a ws:// DevTools address");
        let (hostport, path) = rest.split_at(rest.find('/').unwrap());
        let mut s = TcpStream::connect(hostport)
            .await
            .expect("connect to DevTools");
        let key = ws::client_key();
        s.write_all(ws::upgrade_request(path, hostport, None, &key).as_bytes())
            .await
            .unwrap();
        let resp = http::read_response(&mut s, Default::default(), Duration::from_secs(10), false)
            .await
            .expect("DevTools upgrade");
        assert_eq!(resp.head.status, Some(101), "{}", resp.head.status_line);
        Cdp {
            s,
            frames: FrameReader::new(resp.extra),
            next_id: 0,
            log: Vec::new(),
        }
    }

    /// Sends a command and returns its result, keeping the events that come meanwhile.
    async fn call(&mut self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let frame = ws::client_frame(ws::OP_TEXT, msg.to_string().as_bytes());
        self.s.write_all(&frame).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let f = self
                .frames
                .next(&mut self.s, 64 * 1024 * 1024, left)
                .await
                .unwrap_or_else(|e| panic!("DevTools went quiet during {method}: {e:?}"));
            let v: Value = serde_json::from_slice(&f.payload).unwrap_or(Value::Null);
            if v["id"] == json!(id) {
                assert!(v["error"].is_null(), "{method}: {v}");
                return v["result"].clone();
            }
            self.note(&v);
        }
    }

    /// The browser's own words: log entries, console calls, exceptions.
    fn note(&mut self, v: &Value) {
        let p = &v["params"];
        match v["method"].as_str() {
            Some("Log.entryAdded") => self
                .log
                .push(p["entry"]["text"].as_str().unwrap_or_default().to_string()),
            Some("Runtime.consoleAPICalled") => self.log.push(p["args"].to_string()),
            Some("Runtime.exceptionThrown") => self.log.push(p["exceptionDetails"].to_string()),
            _ => {}
        }
    }
}

async fn visit(ws_url: &str, url: &str, limit: Duration) -> Visit {
    let mut cdp = Cdp::connect(ws_url).await;
    let target = cdp
        .call(None, "Target.createTarget", json!({ "url": "about:blank" }))
        .await;
    let attached = cdp
        .call(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        )
        .await;
    let session = attached["sessionId"].as_str().unwrap().to_string();
    let s = Some(session.as_str());
    cdp.call(s, "Log.enable", json!({})).await;
    cdp.call(s, "Runtime.enable", json!({})).await;
    cdp.call(s, "Page.navigate", json!({ "url": url })).await;
    let deadline = Instant::now() + limit;
    let mut result = String::new();
    while Instant::now() < deadline {
        let r = cdp
            .call(
                s,
                "Runtime.evaluate",
                json!({ "expression": "document.getElementById('r') ? document.getElementById('r').textContent : ''", "returnByValue": true }),
            )
            .await;
        result = r["result"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if !result.is_empty() && result != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Errors the browser logs a moment after the page's own handler ran.
    tokio::time::sleep(Duration::from_millis(300)).await;
    cdp.call(s, "Runtime.evaluate", json!({ "expression": "1" }))
        .await;
    Visit {
        result,
        log: cdp.log,
    }
}
