//! Where a browser sends `wss://iccert.nhi.gov.tw:7777`: straight to this computer, or to
//! a proxy that cannot reach it (the name resolves to loopback only here; a proxy resolves
//! the public name). Chromium picks the proxy by URL *before* name resolution and bypasses
//! implicitly only `localhost`, `*.localhost`, loopback and link-local *literals*
//! (`net/docs/proxy.md`), so under a proxy the bypass list must name `iccert.nhi.gov.tw`.
//! Firefox likewise never bypasses a name on its own. Pure readers: policies, environment
//! variables and Firefox preferences in, a route out.

use serde_json::Value;

/// Where requests for one URL go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    Direct,
    /// A fixed proxy (`host:port`, scheme kept when given).
    Proxy(String),
    /// A PAC script decides; its URL. Not judged: the script is code.
    Pac(String),
    /// WPAD: the network says, at the time. Not judged.
    AutoDetect,
    /// The system's settings, which these files do not hold (GNOME/KDE on Linux).
    System,
}

/// A route with where it came from (`policy ProxySettings`, `https_proxy`, `prefs.js`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decided {
    pub route: Route,
    pub source: String,
    /// The bypass rules that were consulted, as written.
    pub bypass: String,
}

/// Whether a Chromium bypass list (`ProxyBypassList`, `--proxy-bypass-list`; entries split
/// by `,` or `;`) sends `host:port` direct. Patterns: `[scheme://]host[:port]` with `*`
/// wildcards, a leading `.` for the domain and its subdomains, `*` for everything; IP and
/// CIDR rules match only URLs written with an address, and `<local>` only names without a
/// dot, so neither covers `iccert.nhi.gov.tw`. `<-loopback>` takes nothing away here.
pub fn chromium_bypasses(rules: &str, host: &str, port: u16) -> bool {
    rules
        .split([',', ';'])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .any(|r| rule_matches(r, host, port, false))
}

/// The same for a `no_proxy` environment variable, which Chromium reads with suffix
/// matching (`nhi.gov.tw` covers `iccert.nhi.gov.tw`), as curl does.
pub fn no_proxy_bypasses(rules: &str, host: &str, port: u16) -> bool {
    rules
        .split([',', ';', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .any(|r| rule_matches(r, host, port, true))
}

fn rule_matches(rule: &str, host: &str, port: u16, suffix: bool) -> bool {
    let host = host.to_ascii_lowercase();
    let mut rule = rule.to_ascii_lowercase();
    if rule == "*" {
        return true;
    }
    if rule.starts_with('<') {
        return false;
    }
    if let Some((_, rest)) = rule.split_once("://") {
        // The scheme of a rule: ws/wss pick their proxy like https; a rule for another
        // scheme does not apply, one for https does.
        let scheme = &rule[..rule.len() - rest.len() - 3];
        if !matches!(scheme, "https" | "wss") {
            return false;
        }
        rule = rest.to_string();
    }
    let (pattern, rule_port) = match rule.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') && p.bytes().all(|b| b.is_ascii_digit()) => {
            (h.to_string(), p.parse::<u16>().ok())
        }
        _ => (rule.clone(), None),
    };
    if rule_port.is_some_and(|p| p != port) {
        return false;
    }
    if pattern.contains('/') || pattern.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    let pattern = if let Some(domain) = pattern.strip_prefix('.') {
        format!("*.{domain}")
    } else if suffix && !pattern.starts_with('*') {
        // `nhi.gov.tw` as a suffix: the name itself or any name under it.
        return host == pattern || host.ends_with(&format!(".{pattern}"));
    } else {
        pattern
    };
    if let Some(domain) = pattern.strip_prefix("*.") {
        return host.ends_with(&format!(".{domain}")) || host == domain;
    }
    glob(&pattern, &host)
}

/// `*` matches any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(after) = text.strip_prefix(head) else {
                return false;
            };
            (0..=after.len())
                .filter(|i| after.is_char_boundary(*i))
                .any(|i| glob(rest, &after[i..]))
        }
    }
}

/// The proxy a Chromium proxy-server list gives `https`/`wss` URLs: `https=host:port` or
/// `socks=` entries, else a bare `host:port` for every scheme.
fn server_for_https(servers: &str) -> Option<String> {
    let entries: Vec<&str> = servers.split(';').map(str::trim).collect();
    let scheme_entry = |s: &str| {
        entries
            .iter()
            .find_map(|e| e.strip_prefix(&format!("{s}=")).map(str::to_string))
    };
    scheme_entry("https")
        .or_else(|| scheme_entry("socks"))
        .or_else(|| {
            entries
                .iter()
                .find(|e| !e.contains('=') && !e.is_empty())
                .map(|e| e.to_string())
        })
        .filter(|s| !s.is_empty() && s != "direct://")
}

/// What Chromium's proxy policies decide for `host:port`, when they decide: `ProxySettings`
/// (a dictionary) wins over the separate `ProxyMode`, `ProxyServer`, `ProxyPacUrl`,
/// `ProxyBypassList`, as in Chromium's policy handler. `policies`: the merged policy object.
pub fn chromium_policy(policies: &Value, host: &str, port: u16) -> Option<Decided> {
    let (p, source) = match policies.get("ProxySettings") {
        Some(v) if v.is_object() => (v, "ProxySettings"),
        _ => (policies, "ProxyMode"),
    };
    let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or_default();
    let mode = text("ProxyMode");
    let bypass = text("ProxyBypassList").to_string();
    let decided = |route: Route| {
        Some(Decided {
            route,
            source: format!("policy {source}"),
            bypass: bypass.clone(),
        })
    };
    match mode {
        "direct" => decided(Route::Direct),
        "auto_detect" => decided(Route::AutoDetect),
        "system" => decided(Route::System),
        "pac_script" => decided(Route::Pac(text("ProxyPacUrl").to_string())),
        "fixed_servers" => match server_for_https(text("ProxyServer")) {
            Some(s) if !chromium_bypasses(&bypass, host, port) => decided(Route::Proxy(s)),
            _ => decided(Route::Direct),
        },
        // No mode: a server or PAC URL alone still sets one (the deprecated form).
        "" if !text("ProxyPacUrl").is_empty() => decided(Route::Pac(text("ProxyPacUrl").into())),
        "" if !text("ProxyServer").is_empty() => match server_for_https(text("ProxyServer")) {
            Some(s) if !chromium_bypasses(&bypass, host, port) => decided(Route::Proxy(s)),
            _ => decided(Route::Direct),
        },
        _ => None,
    }
}

/// What the proxy environment variables decide for an https/wss URL, as Chromium and most
/// programs read them without a desktop: `https_proxy` (then `all_proxy`), unless
/// `no_proxy` covers the host. `vars`: name → value (both cases are looked up, lower first).
pub fn from_environment(vars: &[(String, String)], host: &str, port: u16) -> Option<Decided> {
    let get = |name: &'static str| {
        [name.to_string(), name.to_ascii_uppercase()]
            .iter()
            .find_map(|n| vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.trim()))
            .filter(|v| !v.is_empty())
            .map(|v| (v.to_string(), name))
    };
    let (server, name) = get("https_proxy").or_else(|| get("all_proxy"))?;
    let bypass = get("no_proxy").map(|(v, _)| v).unwrap_or_default();
    let route = if no_proxy_bypasses(&bypass, host, port) {
        Route::Direct
    } else {
        Route::Proxy(server)
    };
    Some(Decided {
        route,
        source: name.to_string(),
        bypass,
    })
}

/// Firefox's own setting (`network.proxy.type`: 0 direct, 1 manual, 2 PAC, 4 WPAD, 5 or
/// unset the system's). `pref`: looks one preference up (prefs.js or a policy's).
pub fn firefox(pref: &dyn Fn(&str) -> Option<String>, host: &str, port: u16) -> Decided {
    let unquote = |v: String| v.trim().trim_matches('"').to_string();
    let text = |k: &str| pref(k).map(unquote).unwrap_or_default();
    let bypass = text("network.proxy.no_proxies_on");
    let route = match text("network.proxy.type").as_str() {
        "0" => Route::Direct,
        "1" => {
            let share = text("network.proxy.share_proxy_settings") == "true";
            let (h, p) = if share {
                ("network.proxy.http", "network.proxy.http_port")
            } else {
                ("network.proxy.ssl", "network.proxy.ssl_port")
            };
            let (socks, socks_port) = (
                text("network.proxy.socks"),
                text("network.proxy.socks_port"),
            );
            let server = match (text(h), text(p)) {
                (h, p) if !h.is_empty() => Some(format!("{h}:{p}")),
                _ if !socks.is_empty() => Some(format!("socks://{socks}:{socks_port}")),
                _ => None,
            };
            match server {
                // Firefox's list: `.domain` or `domain` suffixes, addresses, `<local>`.
                Some(s) if !no_proxy_bypasses(&bypass, host, port) => Route::Proxy(s),
                _ => Route::Direct,
            }
        }
        "2" => Route::Pac(text("network.proxy.autoconfig_url")),
        "4" => Route::AutoDetect,
        _ => Route::System,
    };
    Decided {
        route,
        source: "network.proxy.type".into(),
        bypass,
    }
}

/// What Firefox's `Proxy` enterprise policy decides (`Mode`: none, system, manual,
/// autoDetect, autoConfig), when it is set.
pub fn firefox_policy(policies: &Value, host: &str, port: u16) -> Option<Decided> {
    let p = policies.get("policies")?.get("Proxy")?;
    let text = |k: &str| {
        p.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let bypass = text("Passthrough");
    let route = match text("Mode").as_str() {
        "none" => Route::Direct,
        "autoDetect" => Route::AutoDetect,
        "autoConfig" => Route::Pac(text("AutoConfigURL")),
        "manual" => {
            let all = super::firefox::switch(p.get("UseHTTPProxyForAllProtocols")) == Some(true);
            let server = if all {
                text("HTTPProxy")
            } else {
                text("SSLProxy")
            };
            if server.is_empty() || no_proxy_bypasses(&bypass, host, port) {
                Route::Direct
            } else {
                Route::Proxy(server)
            }
        }
        "system" => Route::System,
        _ => return None,
    };
    Some(Decided {
        route,
        source: "policy Proxy".into(),
        bypass,
    })
}

/// The proxy switches in Debian's Chromium launcher settings (`/etc/chromium.d/*`, which
/// set `CHROMIUM_FLAGS`): `--no-proxy-server`, `--proxy-pac-url=`, `--proxy-server=` with
/// `--proxy-bypass-list=`.
pub fn chromium_flags(text: &str, host: &str, port: u16) -> Option<Decided> {
    // Words of the shell lines, each from its `--` on (`CHROMIUM_FLAGS='--a=b`).
    let words: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        .filter_map(|w| w.find("--").map(|i| &w[i..]))
        .collect();
    let flag = |name: &str| {
        words
            .iter()
            .find_map(|w| w.strip_prefix(&format!("{name}=")).map(str::to_string))
    };
    let has = |name: &str| words.contains(&name);
    let bypass = flag("--proxy-bypass-list").unwrap_or_default();
    let route = if has("--no-proxy-server") {
        Route::Direct
    } else if let Some(pac) = flag("--proxy-pac-url") {
        Route::Pac(pac)
    } else if let Some(servers) = flag("--proxy-server") {
        match server_for_https(&servers) {
            Some(s) if !chromium_bypasses(&bypass, host, port) => Route::Proxy(s),
            _ => Route::Direct,
        }
    } else {
        return None;
    };
    Some(Decided {
        route,
        source: "CHROMIUM_FLAGS".into(),
        bypass,
    })
}

/// What GNOME's proxy settings (dconf `/system/proxy/…`) decide, when a database holds
/// them: `mode` none, manual (the https host and port, or the http ones with
/// `use-same-proxy`), auto (a PAC URL or WPAD); `ignore-hosts` are bypass rules.
pub fn gnome(
    db: &std::collections::BTreeMap<String, super::dconf::Setting>,
    host: &str,
    port: u16,
) -> Option<Decided> {
    use super::dconf::Setting;
    let text = |k: &str| match db.get(&format!("/system/proxy/{k}")) {
        Some(Setting::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let mode = text("mode")?;
    let bypass = match db.get("/system/proxy/ignore-hosts") {
        Some(Setting::List(l)) => l.join(","),
        // GNOME's default list.
        _ => "localhost,127.0.0.0/8,::1".to_string(),
    };
    let route = match mode.as_str() {
        "none" => Route::Direct,
        "auto" => match text("autoconfig-url").filter(|u| !u.is_empty()) {
            Some(url) => Route::Pac(url),
            None => Route::AutoDetect,
        },
        "manual" => {
            let same = matches!(
                db.get("/system/proxy/use-same-proxy"),
                Some(Setting::Flag(true))
            );
            let scheme = if same { "http" } else { "https" };
            let server = text(&format!("{scheme}/host")).filter(|h| !h.is_empty());
            let port_of = match db.get(&format!("/system/proxy/{scheme}/port")) {
                Some(Setting::Number(p)) => *p,
                _ => 8080,
            };
            match server {
                Some(h) if !chromium_bypasses(&bypass, host, port) => {
                    Route::Proxy(format!("{h}:{port_of}"))
                }
                _ => Route::Direct,
            }
        }
        _ => return None,
    };
    Some(Decided {
        route,
        source: "GNOME (dconf /system/proxy)".into(),
        bypass,
    })
}

/// `KEY=value` lines of `/etc/environment` (quotes removed), where agencies often put
/// proxies for every session.
pub fn environment_file(text: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("export ").unwrap_or(l);
            let (k, v) = l.split_once('=')?;
            let k = k.trim();
            (!k.is_empty() && !k.starts_with('#')).then(|| {
                (
                    k.to_string(),
                    v.trim().trim_matches(['"', '\'']).to_string(),
                )
            })
        })
        .take(1000)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "iccert.nhi.gov.tw";

    #[test]
    fn bypass_rules_cover_the_name_only_by_name() {
        for yes in [
            "iccert.nhi.gov.tw",
            "*.nhi.gov.tw",
            ".nhi.gov.tw",
            "*nhi.gov.tw",
            "iccert.nhi.gov.tw:7777",
            "https://iccert.nhi.gov.tw",
            "localhost;ICCERT.nhi.gov.tw",
            "*",
        ] {
            assert!(chromium_bypasses(yes, H, 7777), "{yes}");
        }
        for no in [
            "localhost",
            "127.0.0.1",
            "127.0.0.0/8",
            "<local>",
            "<-loopback>",
            "nhi.gov.tw",
            "iccert.nhi.gov.tw:443",
            "http://iccert.nhi.gov.tw",
            "",
        ] {
            assert!(!chromium_bypasses(no, H, 7777), "{no}");
        }
        // no_proxy: suffixes.
        assert!(no_proxy_bypasses("localhost,nhi.gov.tw", H, 7777));
        assert!(no_proxy_bypasses(".gov.tw", H, 7777));
        assert!(!no_proxy_bypasses("localhost,127.0.0.1", H, 7777));
        assert!(!no_proxy_bypasses("cert.nhi.gov.tw", H, 7777));
    }

    #[test]
    fn chromium_policies_decide_in_chromiums_order() {
        let p = |j: &str| chromium_policy(&serde_json::from_str(j).unwrap(), H, 7777);
        let route = |j: &str| p(j).map(|d| d.route);
        assert_eq!(
            route(r#"{"ProxyMode":"fixed_servers","ProxyServer":"10.0.0.1:3128"}"#),
            Some(Route::Proxy("10.0.0.1:3128".into()))
        );
        assert_eq!(
            route(
                r#"{"ProxyMode":"fixed_servers","ProxyServer":"10.0.0.1:3128","ProxyBypassList":"localhost,iccert.nhi.gov.tw"}"#
            ),
            Some(Route::Direct)
        );
        assert_eq!(
            route(
                r#"{"ProxySettings":{"ProxyMode":"pac_script","ProxyPacUrl":"http://wpad/proxy.pac"},"ProxyMode":"direct"}"#
            ),
            Some(Route::Pac("http://wpad/proxy.pac".into()))
        );
        assert_eq!(
            route(r#"{"ProxyServer":"http=a:1;https=b:2"}"#),
            Some(Route::Proxy("b:2".into()))
        );
        assert_eq!(route(r#"{"ProxyMode":"system"}"#), Some(Route::System));
        assert_eq!(route(r#"{"Other":1}"#), None);
        assert_eq!(route(r#"[1]"#), None);
    }

    #[test]
    fn gnome_settings_compiled_by_dconf() {
        let bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/browser/dconf/user"
        ))
        .unwrap();
        let db = super::super::dconf::read(&bytes).unwrap();
        let d = gnome(&db, H, 7777).unwrap();
        assert_eq!(d.route, Route::Proxy("proxy.agency.gov.tw:3128".into()));
        assert!(d.bypass.contains("*.agency.gov.tw"));
        assert_eq!(gnome(&Default::default(), H, 7777), None);
    }

    #[test]
    fn environment_and_firefox_settings() {
        let vars = |v: &[(&str, &str)]| -> Vec<(String, String)> {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect()
        };
        let e = from_environment(
            &vars(&[("HTTPS_PROXY", "http://p:8080"), ("no_proxy", "localhost")]),
            H,
            7777,
        )
        .unwrap();
        assert_eq!(e.route, Route::Proxy("http://p:8080".into()));
        let e = from_environment(
            &vars(&[
                ("https_proxy", "http://p:8080"),
                ("NO_PROXY", "localhost,.nhi.gov.tw"),
            ]),
            H,
            7777,
        )
        .unwrap();
        assert_eq!(e.route, Route::Direct);
        assert!(from_environment(&vars(&[("http_proxy", "http://p:8080")]), H, 7777).is_none());

        let prefs = "user_pref(\"network.proxy.type\", 1);\nuser_pref(\"network.proxy.ssl\", \"10.1.1.1\");\nuser_pref(\"network.proxy.ssl_port\", 3128);\nuser_pref(\"network.proxy.no_proxies_on\", \"localhost, 127.0.0.1\");\n";
        let look = |k: &str| super::super::firefox::pref(prefs, k).map(str::to_string);
        assert_eq!(
            firefox(&look, H, 7777).route,
            Route::Proxy("10.1.1.1:3128".into())
        );
        let none = |_: &str| None;
        assert_eq!(firefox(&none, H, 7777).route, Route::System);

        let pol =
            |j: &str| firefox_policy(&serde_json::from_str(j).unwrap(), H, 7777).map(|d| d.route);
        assert_eq!(
            pol(
                r#"{"policies":{"Proxy":{"Mode":"manual","SSLProxy":"p:3128","Passthrough":"localhost"}}}"#
            ),
            Some(Route::Proxy("p:3128".into()))
        );
        assert_eq!(
            pol(
                r#"{"policies":{"Proxy":{"Mode":"manual","SSLProxy":"p:3128","Passthrough":"localhost, .nhi.gov.tw"}}}"#
            ),
            Some(Route::Direct)
        );
        assert_eq!(pol(r#"{"policies":{}}"#), None);
        assert_eq!(
            chromium_flags(
                "export CHROMIUM_FLAGS=\"$CHROMIUM_FLAGS --proxy-server=10.0.0.1:8080\"",
                H,
                7777
            )
            .map(|d| d.route),
            Some(Route::Proxy("10.0.0.1:8080".into()))
        );
        assert_eq!(
            chromium_flags(
                "CHROMIUM_FLAGS='--proxy-server=p:1 --proxy-bypass-list=iccert.nhi.gov.tw'",
                H,
                7777
            )
            .map(|d| d.route),
            Some(Route::Direct)
        );
        assert_eq!(
            chromium_flags("CHROMIUM_FLAGS=\"--enable-gpu\"", H, 7777),
            None
        );
        assert_eq!(
            environment_file(b"PATH=\"/usr/bin\"\nexport https_proxy='http://p:1'\n# c\n"),
            vars(&[("PATH", "/usr/bin"), ("https_proxy", "http://p:1")])
        );
    }
}
