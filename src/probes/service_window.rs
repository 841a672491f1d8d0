//! Kind `service_window`: is now inside an announced maintenance window of a service the
//! login depends on? Announcements (ROC dates as published) live in
//! `assets/maintenance-windows.yaml` or a file named in the profile.

use crate::engine::kind::{Simulated, StandIns};
use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{BoxFuture, Ctx, Kind, Probe, params};
use crate::engine::outcome::{Msg, Outcome};
use crate::i18n::L10n;

pub const KIND: Kind = Kind {
    name: "service_window",
    findings: &["service.maintenance", "service.windows_unreadable"],
    build,
    on_request: false,
    reruns_on: &[],
    simulated: Simulated::Pointed(point_at),
};

/// In a simulated world: the world's list of maintenance windows.
fn point_at(w: &StandIns) -> Vec<(&'static str, serde_yaml::Value)> {
    vec![("windows_file", w.windows_file.as_str().into())]
}

pub const BUILTIN_WINDOWS: &str = include_str!("../../assets/maintenance-windows.yaml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// A windows file to use instead of the built-in announcements.
    #[serde(default)]
    windows_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWindow {
    service: L10n,
    start: String,
    end: String,
    #[serde(default)]
    note: Option<L10n>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub service: L10n,
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub note: Option<L10n>,
}

struct ServiceWindow {
    file: Option<PathBuf>,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    let p: Params = params(v)?;
    if p.windows_file.is_none() {
        // The built-in list is part of the binary: a mistake in it is caught here, at load.
        parse_windows(BUILTIN_WINDOWS)?;
    }
    Ok(Arc::new(ServiceWindow {
        file: p.windows_file,
    }))
}

impl Probe for ServiceWindow {
    fn run(&self, _ctx: Ctx) -> BoxFuture {
        let file = self.file.clone();
        Box::pin(async move {
            let text = match &file {
                Some(f) => match tokio::task::spawn_blocking({
                    let f = f.clone();
                    move || std::fs::read_to_string(f)
                })
                .await
                {
                    Ok(Ok(t)) => t,
                    Ok(Err(e)) => return unreadable(f, &e.to_string()),
                    Err(e) => return unreadable(f, &e.to_string()),
                },
                None => BUILTIN_WINDOWS.to_string(),
            };
            match parse_windows(&text) {
                Ok(w) => judge(&w, Utc::now().with_timezone(&taipei())),
                Err(e) => unreadable(
                    file.as_deref()
                        .unwrap_or("assets/maintenance-windows.yaml".as_ref()),
                    &e,
                ),
            }
        })
    }
}

fn unreadable(file: &std::path::Path, detail: &str) -> Outcome {
    Outcome::fail(
        "service.windows_unreadable",
        Msg::new("service.windows_unreadable").arg("file", file.display().to_string()),
    )
    .with("windows_error", detail.to_string())
}

pub fn taipei() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

pub fn judge(windows: &[Window], now: DateTime<FixedOffset>) -> Outcome {
    let fmt = |d: &DateTime<FixedOffset>| d.format("%Y-%m-%d %H:%M").to_string();
    if let Some(w) = windows.iter().find(|w| w.start <= now && now < w.end) {
        let o = Outcome::warn(
            "service.maintenance",
            Msg::new("service.maintenance")
                .arg("service", w.service.zh_tw.as_str())
                .arg("service_en", w.service.en.as_str())
                .arg("end", fmt(&w.end)),
        )
        .with(
            "window",
            format!("{} – {} (UTC+8)", fmt(&w.start), fmt(&w.end)),
        );
        return match &w.note {
            Some(n) => o.with("note", n.clone()),
            None => o,
        };
    }
    let next = windows
        .iter()
        .filter(|w| w.start > now)
        .min_by_key(|w| w.start);
    let o = Outcome::pass(Msg::new("service.none_now"))
        .with("windows_known", windows.len().to_string());
    match next {
        Some(w) => o.with(
            "next_window",
            Msg::new("value.labelled")
                .arg("name", w.service.clone())
                .arg(
                    "value",
                    format!("{} – {} (UTC+8)", fmt(&w.start), fmt(&w.end)),
                ),
        ),
        None => o,
    }
}

pub fn parse_windows(text: &str) -> Result<Vec<Window>, String> {
    let raw: Vec<RawWindow> = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
    raw.into_iter()
        .map(|r| {
            let start =
                parse_time(&r.start, None).map_err(|e| format!("start `{}`: {e}", r.start))?;
            let end =
                parse_time(&r.end, Some(start)).map_err(|e| format!("end `{}`: {e}", r.end))?;
            if end <= start {
                return Err(format!("window `{}` ends before it starts", r.start));
            }
            Ok(Window {
                service: r.service,
                start,
                end,
                note: r.note,
            })
        })
        .collect()
}

/// ROC `107年10月5日20時[30分]` (year optional when `after` gives it), or ISO 8601 in
/// Taiwan time when no offset is written.
pub fn parse_time(
    s: &str,
    after: Option<DateTime<FixedOffset>>,
) -> Result<DateTime<FixedOffset>, String> {
    let s = crate::account::known::to_halfwidth(s.trim());
    if let Ok(d) = DateTime::parse_from_rfc3339(&s) {
        return Ok(d);
    }
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&s, f) {
            return local(n);
        }
    }
    let nums = roc_parts(&s)?;
    let (year, rest) = match nums.as_slice() {
        [y, m, d, h] | [y, m, d, h, _] if s.contains('年') => (roc_year(*y)?, &nums[1..]),
        [_, _, _] | [_, _, _, _] if !s.contains('年') => match after {
            Some(a) => (
                a.format("%Y").to_string().parse::<i32>().unwrap_or(1970),
                &nums[..],
            ),
            None => return Err("a year is needed (e.g. 107年)".into()),
        },
        _ => return Err("expected e.g. 107年10月5日20時".into()),
    };
    let (m, d, h, min) = (rest[0], rest[1], rest[2], rest.get(3).copied().unwrap_or(0));
    let date = NaiveDate::from_ymd_opt(year, m, d).ok_or("no such date")?;
    let time = date.and_hms_opt(h, min, 0).ok_or("no such time")?;
    let mut t = local(time)?;
    // "10月6日4時" after "12月31日20時" belongs to the next year.
    if let Some(a) = after
        && !s.contains('年')
        && t <= a
    {
        let next = NaiveDate::from_ymd_opt(year + 1, m, d)
            .ok_or("no such date")?
            .and_hms_opt(h, min, 0)
            .ok_or("no such time")?;
        t = local(next)?;
    }
    Ok(t)
}

/// The Gregorian year of an ROC year; a pasted number too large for any calendar is an
/// error, not an overflow.
fn roc_year(roc: u32) -> Result<i32, String> {
    i32::try_from(roc)
        .ok()
        .and_then(|y| y.checked_add(1911))
        .ok_or_else(|| format!("no such year: {roc}年"))
}

/// The numbers before 年, 月, 日, 時 (or 點) and 分, in order.
fn roc_parts(s: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
        } else if matches!(c, '年' | '月' | '日' | '時' | '点' | '點' | '分') {
            out.push(
                digits
                    .parse::<u32>()
                    .map_err(|_| format!("a number is missing before {c}"))?,
            );
            digits.clear();
        } else if !c.is_whitespace() {
            return Err(format!("unexpected `{c}`"));
        }
    }
    if !digits.is_empty() {
        return Err("a number without a unit at the end".into());
    }
    Ok(out)
}

fn local(n: NaiveDateTime) -> Result<DateTime<FixedOffset>, String> {
    taipei()
        .from_local_datetime(&n)
        .single()
        .ok_or_else(|| "ambiguous local time".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Status;

    fn at(s: &str) -> DateTime<FixedOffset> {
        parse_time(s, None).unwrap()
    }

    #[test]
    fn roc_dates_as_announced() {
        assert_eq!(at("107年10月5日20時"), at("2018-10-05T20:00"));
        assert_eq!(
            parse_time("10月6日4時", Some(at("107年10月5日20時"))).unwrap(),
            at("2018-10-06T04:00")
        );
        assert_eq!(at("１０７年１０月５日２０時３０分"), at("2018-10-05T20:30"));
        assert_eq!(
            parse_time("1月1日4時", Some(at("112年12月31日20時"))).unwrap(),
            at("2024-01-01T04:00")
        );
        assert!(parse_time("10月6日4時", None).is_err());
        assert!(parse_time("107年13月5日20時", None).is_err());
        assert!(parse_time("someday", None).is_err());
    }

    #[test]
    fn a_year_too_large_for_any_calendar_is_an_error() {
        // Found by the service_window fuzz target: the ROC year overflowed an i32.
        assert!(parse_time("2147483000年1月1日1時", None).is_err());
        assert!(parse_time("4294967295年1月1日1時", None).is_err());
        assert!(
            parse_time("999999年1月1日1時", None).is_err(),
            "past chrono's range"
        );
    }

    #[test]
    fn builtin_windows_parse() {
        let w = parse_windows(BUILTIN_WINDOWS).unwrap();
        assert_eq!(w[0].start, at("2018-10-05T20:00"));
        assert_eq!(w[0].end, at("2018-10-06T04:00"));
    }

    #[test]
    fn inside_a_window_warns_outside_passes() {
        let w = parse_windows(BUILTIN_WINDOWS).unwrap();
        let o = judge(&w, at("2018-10-05T23:00"));
        assert_eq!(o.status, Status::Warn);
        assert_eq!(o.finding.as_deref(), Some("service.maintenance"));
        assert_eq!(
            judge(&w, at("2018-10-06T04:00")).status,
            Status::Pass,
            "the end is exclusive"
        );
        let before = judge(&w, at("2018-10-01T12:00"));
        assert!(before.evidence("next_window").is_some());
    }

    #[test]
    fn broken_windows_are_refused() {
        assert!(
            parse_windows(
                "- service: {zh-TW: a, en: a}\n  start: 107年10月6日4時\n  end: 10月5日20時\n"
            )
            .is_ok(),
            "rolls into the next year"
        );
        assert!(
            parse_windows(
                "- service: {zh-TW: a, en: a}\n  start: 2018-10-06T04:00\n  end: 2018-10-05T20:00\n"
            )
            .is_err()
        );
        assert!(parse_windows("- nope: 1\n").is_err());
    }
}
