//! The two things ecpa-doctor needs from a macOS LaunchDaemon plist: its `Label` (which,
//! for the NHI component, itself ends in `.plist`, so it cannot be guessed from the file
//! name) and the program it starts. XML plists only; a binary plist is said to be one.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PlistError {
    Binary,
    NotPlist,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Daemon {
    pub label: Option<String>,
    /// `Program`, or else the first of `ProgramArguments`.
    pub program: Option<String>,
}

pub fn read_daemon(bytes: &[u8]) -> Result<Daemon, PlistError> {
    if bytes.starts_with(b"bplist") {
        return Err(PlistError::Binary);
    }
    let text = String::from_utf8_lossy(bytes);
    if !text.contains("<plist") {
        return Err(PlistError::NotPlist);
    }
    let program = string_after_key(&text, "Program")
        .or_else(|| first_array_string(&text, "ProgramArguments"));
    Ok(Daemon {
        label: string_after_key(&text, "Label"),
        program,
    })
}

/// The `<string>` right after `<key>{key}</key>` (whitespace and comments between).
fn string_after_key(text: &str, key: &str) -> Option<String> {
    let rest = after_key(text, key)?;
    let rest = rest.strip_prefix("<string>")?;
    Some(unescape(&rest[..rest.find("</string>")?]))
}

fn first_array_string(text: &str, key: &str) -> Option<String> {
    let rest = after_key(text, key)?.strip_prefix("<array>")?;
    let array = &rest[..rest.find("</array>")?];
    let s = skip_blank(array).strip_prefix("<string>")?;
    Some(unescape(&s[..s.find("</string>")?]))
}

fn after_key<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let tag = format!("<key>{key}</key>");
    let at = text.find(&tag)?;
    Some(skip_blank(&text[at + tag.len()..]))
}

fn skip_blank(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        match s
            .strip_prefix("<!--")
            .and_then(|r| r.find("-->").map(|e| &r[e + 3..]))
        {
            Some(r) => s = r,
            None => return s,
        }
    }
}

fn unescape(s: &str) -> String {
    s.trim()
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NHI: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>KeepAlive</key>
	<true/>
	<key>Label</key>
	<string>tw.gov.nhi.nhiicc.plist</string>
	<key>ProgramArguments</key>
	<array>
		<!-- the daemon -->
		<string>/usr/local/share/NHIICC/nhiicc</string>
	</array>
</dict>
</plist>"#;

    #[test]
    fn label_ends_in_plist_and_program_comes_from_the_arguments() {
        let d = read_daemon(NHI.as_bytes()).unwrap();
        assert_eq!(d.label.as_deref(), Some("tw.gov.nhi.nhiicc.plist"));
        assert_eq!(d.program.as_deref(), Some("/usr/local/share/NHIICC/nhiicc"));
    }

    #[test]
    fn binary_and_garbage_are_named() {
        assert_eq!(read_daemon(b"bplist00\x01\x02"), Err(PlistError::Binary));
        assert_eq!(read_daemon(b"\xff\xfe garbage"), Err(PlistError::NotPlist));
        let no_label =
            read_daemon(b"<plist><dict><key>Label</key><integer>3</integer></dict></plist>")
                .unwrap();
        assert_eq!(no_label, Daemon::default());
    }
}
