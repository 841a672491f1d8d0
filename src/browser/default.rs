//! Which browser opens eCPA when the user clicks a link, and how the browsers' verdicts
//! combine into one. On Linux the default is the `x-scheme-handler/https` entry of the
//! freedesktop `mimeapps.list` files (the user's first, then the system's); on Windows the
//! ProgId under the registry's UserChoice; on macOS (Launch Services) it is not read, so
//! there every browser counts alike.

/// The mimeapps.list files, most specific first, relative to the home where relative.
pub const MIMEAPPS_LINUX: &[&str] = &[
    ".config/mimeapps.list",
    ".local/share/applications/mimeapps.list",
    "/etc/xdg/mimeapps.list",
    "/usr/share/applications/mimeapps.list",
];

/// Larger than any real mimeapps.list.
pub const MIMEAPPS_MAX: usize = 256 * 1024;

/// The browser a `.desktop` id names, by the names the browser checks use.
pub fn browser_of_desktop(id: &str) -> Option<&'static str> {
    let id = id.trim().strip_suffix(".desktop").unwrap_or(id.trim());
    Some(match id {
        "google-chrome" | "google-chrome-stable" | "google-chrome-beta" | "com.google.Chrome" => {
            "Google Chrome"
        }
        "microsoft-edge"
        | "microsoft-edge-stable"
        | "microsoft-edge-beta"
        | "com.microsoft.Edge" => "Microsoft Edge",
        "chromium" | "chromium-browser" | "chromium_chromium" | "org.chromium.Chromium" => {
            "Chromium"
        }
        "firefox" | "firefox-esr" | "firefox_firefox" | "org.mozilla.firefox" => "Firefox",
        _ => return None,
    })
}

/// The browser a Windows ProgId (the `UserChoice` of https links) names.
pub fn browser_of_progid(prog: &str) -> Option<&'static str> {
    let p = prog.trim();
    Some(if p.starts_with("ChromeHTML") {
        "Google Chrome"
    } else if p.starts_with("MSEdgeHTM") {
        "Microsoft Edge"
    } else if p.starts_with("ChromiumHTM") {
        "Chromium"
    } else if p.starts_with("FirefoxURL") {
        "Firefox"
    } else {
        return None;
    })
}

/// The default handler of https links in one mimeapps.list: `Some(Some(name))` a browser
/// we know, `Some(None)` a program we do not, `None` the file does not say.
pub fn https_handler(text: &[u8]) -> Option<Option<&'static str>> {
    let text = String::from_utf8_lossy(text);
    let mut in_defaults = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_defaults = line == "[Default Applications]";
            continue;
        }
        if !in_defaults {
            continue;
        }
        if let Some((key, value)) = line.split_once('=')
            && key.trim() == "x-scheme-handler/https"
        {
            // A list: the first one installed wins; the first is what we can tell.
            let first = value.split(';').map(str::trim).find(|v| !v.is_empty())?;
            return Some(browser_of_desktop(first));
        }
    }
    None
}

/// The user's default browser on Linux, when it is one we know: the first mimeapps.list
/// that names an https handler decides. `read`: a file's bytes, if it can be read.
pub fn linux(
    read: &dyn Fn(&std::path::Path) -> Option<Vec<u8>>,
    home: &std::path::Path,
) -> Option<&'static str> {
    MIMEAPPS_LINUX.iter().find_map(|f| {
        let path = if f.starts_with('/') {
            std::path::PathBuf::from(f)
        } else {
            home.join(f)
        };
        https_handler(&read(&path)?)
    })?
}

/// How the browsers' verdicts add up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Combined {
    /// Nothing fails.
    NoneFail,
    /// Every browser found fails: the user cannot log in with any of them.
    AllFail,
    /// The default browser fails (every profile of it), another would work.
    DefaultFails(String),
    /// Some fail, but the default (or, when it is unknown, another browser) works.
    SomeFail,
}

/// `results`: each profile's browser and whether it fails.
pub fn combine(results: &[(&str, bool)], default: Option<&str>) -> Combined {
    let failing = results.iter().filter(|r| r.1).count();
    if failing == 0 {
        return Combined::NoneFail;
    }
    if failing == results.len() {
        return Combined::AllFail;
    }
    if let Some(d) = default {
        let of_default: Vec<bool> = results.iter().filter(|r| r.0 == d).map(|r| r.1).collect();
        if !of_default.is_empty() && of_default.iter().all(|f| *f) {
            return Combined::DefaultFails(d.to_string());
        }
    }
    Combined::SomeFail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_https_handler_of_the_defaults_section() {
        let t = b"[Added Associations]\nx-scheme-handler/https=firefox-esr.desktop;\n\n[Default Applications]\ntext/html=chromium.desktop\nx-scheme-handler/https=chromium.desktop;firefox-esr.desktop;\n";
        assert_eq!(https_handler(t), Some(Some("Chromium")));
        assert_eq!(
            https_handler(b"[Default Applications]\nx-scheme-handler/https=opera.desktop\n"),
            Some(None)
        );
        assert_eq!(https_handler(b"[Default Applications]\n"), None);
        assert_eq!(https_handler(&[0xff, 0xfe, b'[']), None);
    }

    #[test]
    fn the_default_browser_decides_when_it_is_known() {
        let r = [("Chromium", true), ("Firefox", false)];
        assert_eq!(combine(&r, None), Combined::SomeFail);
        assert_eq!(
            combine(&r, Some("Chromium")),
            Combined::DefaultFails("Chromium".into())
        );
        assert_eq!(combine(&r, Some("Firefox")), Combined::SomeFail);
        assert_eq!(combine(&r, Some("Google Chrome")), Combined::SomeFail);
        assert_eq!(
            combine(&[("Chromium", true), ("Chromium", true)], None),
            Combined::AllFail
        );
        assert_eq!(combine(&[("Chromium", false)], None), Combined::NoneFail);
        // One of two profiles of the default fails: the user may use the other.
        assert_eq!(
            combine(
                &[("Chromium", true), ("Chromium", false), ("Firefox", false)],
                Some("Chromium")
            ),
            Combined::SomeFail
        );
    }
}
