//! A real headless Chromium (Debian's `/usr/bin/chromium`), driven over the Chrome DevTools
//! Protocol with the project's own WebSocket codec: open a page, wait until its script has
//! written a result into `<pre id="r">`, and keep what the browser logged on the way (its
//! own network errors, `net::ERR_…`), so a test asserts the browser's reason, not only
//! that something failed.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::rpc::Rpc;
use serde_json::{Value, json};

pub const CHROMIUM: &str = "/usr/bin/chromium";

/// What the stand-in eCPA page's script wrote (`pending` until it has an answer), read the
/// same way in every browser.
pub const PAGE_RESULT: &str =
    "document.getElementById('r') ? document.getElementById('r').textContent : ''";

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
        let mut cmd = Command::new(CHROMIUM);
        cmd.args([
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
        .arg("about:blank");
        let (child, ws_url) = super::rpc::launch(cmd, home, "DevTools listening on ");
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

/// The browser's own words among the events: log entries, console calls, exceptions.
fn said(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter_map(|v| {
            let p = &v["params"];
            match v["method"].as_str() {
                Some("Log.entryAdded") => {
                    Some(p["entry"]["text"].as_str().unwrap_or_default().to_string())
                }
                Some("Runtime.consoleAPICalled") => Some(p["args"].to_string()),
                Some("Runtime.exceptionThrown") => Some(p["exceptionDetails"].to_string()),
                _ => None,
            }
        })
        .collect()
}

async fn visit(ws_url: &str, url: &str, limit: Duration) -> Visit {
    let mut cdp = Rpc::connect(ws_url).await;
    let target = cdp
        .call(
            json!({}),
            "Target.createTarget",
            json!({ "url": "about:blank" }),
        )
        .await;
    let attached = cdp
        .call(
            json!({}),
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        )
        .await;
    let session = attached["sessionId"].as_str().unwrap().to_string();
    let s = json!({ "sessionId": session });
    cdp.call(s.clone(), "Log.enable", json!({})).await;
    cdp.call(s.clone(), "Runtime.enable", json!({})).await;
    cdp.call(s.clone(), "Page.navigate", json!({ "url": url }))
        .await;
    let deadline = Instant::now() + limit;
    let mut result = String::new();
    while Instant::now() < deadline {
        let r = cdp
            .call(
                s.clone(),
                "Runtime.evaluate",
                json!({ "expression": PAGE_RESULT, "returnByValue": true }),
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
    cdp.call(s.clone(), "Runtime.evaluate", json!({ "expression": "1" }))
        .await;
    Visit {
        result,
        log: said(&cdp.events),
    }
}
