//! Which glibc a binary needs and which one a system has, told apart by symbol version
//! names: the binary's DT_VERNEED asks for `GLIBC_2.29`, the system's libc.so.6 defines
//! `GLIBC_2.2.5` … `GLIBC_2.36` in its DT_VERDEF. Names that are not a plain version
//! (`GLIBC_PRIVATE`, `GLIBC_ABI_DT_RELR`) say nothing about the release and are left out.

use super::elf::VersionNeed;

/// `GLIBC_2.29` → `[2, 29]`, `GLIBC_2.2.5` → `[2, 2, 5]`; anything else → `None`.
pub fn version(name: &str) -> Option<Vec<u32>> {
    let parts: Option<Vec<u32>> = name
        .strip_prefix("GLIBC_")?
        .split('.')
        .map(|p| {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                None
            } else {
                p.parse().ok()
            }
        })
        .collect();
    parts.filter(|p| p.len() >= 2)
}

/// The highest GLIBC version among `names`, compared by number (2.29 is above 2.3).
pub fn highest<'a>(names: impl IntoIterator<Item = &'a String>) -> Option<&'a str> {
    names
        .into_iter()
        .filter_map(|n| Some((version(n)?, n.as_str())))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, n)| n)
}

/// The GLIBC versions in `needs` that are newer than `available`, highest first, once each.
pub fn newer_than(needs: &[VersionNeed], available: &str) -> Vec<String> {
    let Some(have) = version(available) else {
        return Vec::new();
    };
    let mut out: Vec<(Vec<u32>, String)> = needs
        .iter()
        .flat_map(|n| &n.versions)
        .filter_map(|v| Some((version(v)?, v.clone())))
        .filter(|(v, _)| *v > have)
        .collect();
    out.sort_by(|a, b| b.0.cmp(&a.0));
    out.dedup_by(|a, b| a.0 == b.0);
    out.into_iter().map(|(_, n)| n).collect()
}

/// The libraries the binary needs GLIBC versions from (libc.so.6, libm.so.6, …).
pub fn glibc_libraries(needs: &[VersionNeed]) -> Vec<&str> {
    needs
        .iter()
        .filter(|n| n.versions.iter().any(|v| version(v).is_some()))
        .map(|n| n.file.as_str())
        .collect()
}

/// `libc.so.6: GLIBC_2.2.5, GLIBC_2.14; libm.so.6: GLIBC_2.29` for evidence.
pub fn describe_needs(needs: &[VersionNeed]) -> String {
    needs
        .iter()
        .filter_map(|n| {
            let v: Vec<&str> = n
                .versions
                .iter()
                .filter(|v| version(v).is_some())
                .map(String::as_str)
                .collect();
            (!v.is_empty()).then(|| format!("{}: {}", n.file, v.join(", ")))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// `GLIBC_2.29` → `2.29`, for sentences.
pub fn number(name: &str) -> &str {
    name.strip_prefix("GLIBC_").unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(file: &str, v: &[&str]) -> VersionNeed {
        VersionNeed {
            file: file.into(),
            versions: v.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn versions_compare_by_number_not_by_text() {
        assert!(version("GLIBC_2.29") > version("GLIBC_2.3"));
        assert!(version("GLIBC_2.2.5") < version("GLIBC_2.3"));
        assert_eq!(version("GLIBC_PRIVATE"), None);
        assert_eq!(version("GLIBC_ABI_DT_RELR"), None);
        assert_eq!(version("GLIBC_2"), None);
        assert_eq!(version("GLIBC_2..3"), None);
        assert_eq!(version("OPENSSL_1_1_0"), None);
        let defs: Vec<String> = [
            "GLIBC_2.2.5",
            "GLIBC_2.3",
            "GLIBC_2.29",
            "GLIBC_2.4",
            "GLIBC_PRIVATE",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(highest(&defs), Some("GLIBC_2.29"));
        assert_eq!(highest(&[]), None);
    }

    #[test]
    fn only_versions_above_the_system_count_and_each_once() {
        let needs = [
            need("libc.so.6", &["GLIBC_2.2.5", "GLIBC_2.14", "GLIBC_2.29"]),
            need("libm.so.6", &["GLIBC_2.29", "GLIBC_2.27"]),
            need("libssl.so.3", &["OPENSSL_3.0.0"]),
        ];
        assert_eq!(newer_than(&needs, "GLIBC_2.27"), vec!["GLIBC_2.29"]);
        assert_eq!(
            newer_than(&needs, "GLIBC_2.17"),
            vec!["GLIBC_2.29", "GLIBC_2.27"]
        );
        assert!(newer_than(&needs, "GLIBC_2.36").is_empty());
        assert!(
            newer_than(&needs, "GLIBC_PRIVATE").is_empty(),
            "no known system version: no claim"
        );
        assert_eq!(glibc_libraries(&needs), vec!["libc.so.6", "libm.so.6"]);
        assert_eq!(
            describe_needs(&needs),
            "libc.so.6: GLIBC_2.2.5, GLIBC_2.14, GLIBC_2.29; libm.so.6: GLIBC_2.29, GLIBC_2.27"
        );
        assert_eq!(number("GLIBC_2.29"), "2.29");
    }
}
