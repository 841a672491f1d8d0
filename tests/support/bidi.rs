//! A real headless Firefox (Debian's `firefox-esr`), driven over WebDriver BiDi (its
//! built-in remote protocol) with the project's own WebSocket codec: open a page, wait until
//! its script has written a result into `<pre id="r">`, keep what the browser logged, and
//! read the error page Firefox shows for an address, which names its own error code.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use super::cdp::Visit;
use super::rpc::Rpc;
use serde_json::{Value, json};

pub const FIREFOX: &str = "/usr/bin/firefox-esr";

/// Firefox on the profile `profile` (a folder of `$HOME/.mozilla/firefox/`, as a desktop
/// Firefox uses it); killed on drop.
pub struct Firefox {
    child: Child,
    ws_url: String,
}

impl Firefox {
    pub fn launch(home: &Path, profile: &Path) -> Firefox {
        assert!(
            Path::new(FIREFOX).exists(),
            "{FIREFOX} is missing: run `scripts/rig install` (apt package firefox-esr)"
        );
        let mut cmd = Command::new(FIREFOX);
        cmd.env("MOZ_HEADLESS", "1")
            .args(["--headless", "--no-remote", "--remote-debugging-port", "0"])
            .arg("--profile")
            .arg(profile)
            .arg("about:blank");
        let (child, ws_url) = super::rpc::launch(cmd, home, "WebDriver BiDi listening on ");
        Firefox { child, ws_url }
    }

    /// Opens `url` and waits (up to `limit`) for the page's result; then opens
    /// `probe_url` in the same tab and notes where Firefox ended up (its error page's
    /// address names the error).
    pub fn visit(&self, url: &str, probe_url: &str, limit: Duration) -> (Visit, String) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(visit(&self.ws_url, url, probe_url, limit))
    }
}

impl Drop for Firefox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The prefs a test profile starts with: names mapped to loopback (Firefox's own switch
/// for it), no first-run pages, no updates or telemetry reaching out.
pub fn test_prefs(extra: &str) -> String {
    format!(
        "user_pref(\"network.dns.localDomains\", \"ecpa.dgpa.gov.tw,iccert.nhi.gov.tw\");\n\
         user_pref(\"browser.shell.checkDefaultBrowser\", false);\n\
         user_pref(\"app.update.enabled\", false);\n\
         user_pref(\"datareporting.policy.dataSubmissionEnabled\", false);\n\
         user_pref(\"toolkit.telemetry.enabled\", false);\n\
         user_pref(\"browser.startup.homepage_override.mstone\", \"ignore\");\n\
         user_pref(\"network.connectivity-service.enabled\", false);\n\
         user_pref(\"network.captive-portal-service.enabled\", false);\n{extra}"
    )
}

/// A profile folder under `home` registered in `profiles.ini`, as Firefox makes one.
pub fn profile_in(home: &Path, name: &str) -> PathBuf {
    let base = home.join(".mozilla/firefox");
    let dir = base.join(format!("t.{name}"));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        base.join("profiles.ini"),
        format!("[Profile0]\nName={name}\nIsRelative=1\nPath=t.{name}\nDefault=1\n\n[General]\nStartWithLastProfile=1\nVersion=2\n"),
    )
    .unwrap();
    dir
}

fn said(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|v| v["method"] == "log.entryAdded")
        .map(|v| v["params"]["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

async fn visit(ws_url: &str, url: &str, probe_url: &str, limit: Duration) -> (Visit, String) {
    let mut b = Rpc::connect(&format!("{ws_url}/session")).await;
    let none = json!({});
    b.call(
        none.clone(),
        "session.new",
        json!({ "capabilities": { "alwaysMatch": { "acceptInsecureCerts": false } } }),
    )
    .await;
    b.call(
        none.clone(),
        "session.subscribe",
        json!({ "events": ["log.entryAdded"] }),
    )
    .await;
    let tree = b
        .call(none.clone(), "browsingContext.getTree", json!({}))
        .await;
    let context = tree["contexts"][0]["context"].as_str().unwrap().to_string();
    b.call(
        none.clone(),
        "browsingContext.navigate",
        json!({ "context": context, "url": url, "wait": "none" }),
    )
    .await;
    let deadline = Instant::now() + limit;
    let mut result = String::new();
    while Instant::now() < deadline {
        let r = b
            .call(
                none.clone(),
                "script.evaluate",
                json!({
                    "expression": super::cdp::PAGE_RESULT,
                    "target": { "context": context },
                    "awaitPromise": false,
                }),
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
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = said(&b.events);
    // A failed navigation may be answered as an error: the page Firefox shows is what counts.
    b.events.clear();
    let _ = b
        .send(
            "browsingContext.navigate",
            json!({ "context": context, "url": probe_url, "wait": "none" }),
        )
        .await;
    let mut landed = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let r = b
            .call(
                none.clone(),
                "script.evaluate",
                json!({
                    "expression": "document.readyState + ' ' + document.documentURI + ' ' + (typeof document.getFailedCertSecurityInfo === 'function' ? (() => { try { return document.getFailedCertSecurityInfo().errorCodeString } catch (e) { return '' } })() : '')",
                    "target": { "context": context },
                    "awaitPromise": false,
                }),
            )
            .await;
        landed = r["result"]["value"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if landed.starts_with("complete ") && !landed.contains(url) {
            break;
        }
    }
    (Visit { result, log }, landed)
}
