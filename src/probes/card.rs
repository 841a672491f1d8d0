//! Kind `card`: which reader holds a card, what kind of card it is (ATR), and whether the
//! NHI basic-data record reads and validates. Shared mode only, and the card is left as
//! it was (never reset), so a browser or another program using it is not disturbed.

use crate::engine::kind::{Simulated, Trigger};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Deserialize;

use super::pcsc_service::service_failure;
use super::{BoxFuture, Ctx, CtxSystem, Kind, Probe, blocking, params};
use crate::engine::outcome::{Msg, Outcome, Value};
use crate::engine::pii::PiiKind;
use crate::nhi::apdu::{self, ExchangeError, Response};
use crate::nhi::atr::{AtrTable, CardClass, hex};
use crate::nhi::record::{self, Anomaly, BasicRecord, RocDate, Sex};
use crate::system::{CardSession, PcscContext, PcscError, ReaderState, SmartCards};

pub const KIND: Kind = Kind {
    name: "card",
    findings: &[
        "card.none",
        "card.moica",
        "card.hpc",
        "card.not_nhi",
        "card.unreadable",
        "card.removed",
        "card.busy",
        "card.garbled",
        "card.id_invalid",
        "card.sex_mismatch",
        "pcsc.no_service",
        "pcsc.error",
        "pcsc.scardsvr_stopped",
        "pcsc.scardsvr_disabled",
    ],
    build,
    on_request: false,
    reruns_on: &[Trigger::Card],
    simulated: Simulated::SystemLayer,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Only look at readers whose name contains this text (e.g. when a desk has a
    /// keyboard reader and a USB one).
    #[serde(default)]
    reader_contains: Option<String>,
    #[serde(default = "default_socket")]
    socket: PathBuf,
}

fn default_socket() -> PathBuf {
    PathBuf::from("/run/pcscd/pcscd.comm")
}

struct Card {
    p: Params,
}

fn build(v: &serde_yaml::Value) -> Result<Arc<dyn Probe>, String> {
    Ok(Arc::new(Card { p: params(v)? }))
}

impl Probe for Card {
    fn run(&self, ctx: Ctx) -> BoxFuture {
        let filter = self.p.reader_contains.clone();
        let socket = self.p.socket.clone();
        Box::pin(blocking(move || {
            let result = ctx
                .system()
                .pcsc
                .establish()
                .and_then(|c| inspect(&*c, filter.as_deref()));
            result.unwrap_or_else(|e| {
                // A service that dies mid-read shows up as a broken transmit; if a fresh
                // context is now refused, the root cause is the service, not the card.
                let e = if e != PcscError::NoService && service_gone(&*ctx.system().pcsc) {
                    PcscError::NoService
                } else {
                    e
                };
                service_failure(&e, &socket, ctx.system().simulated)
            })
        }))
    }
}

fn inspect(ctx: &dyn PcscContext, filter: Option<&str>) -> Result<Outcome, PcscError> {
    let mut readers = ctx.readers()?;
    if let Some(f) = filter {
        readers.retain(|r| r.contains(f));
    }
    let states = ctx.states(&readers)?;
    let table = AtrTable::builtin();
    let with_card: Vec<(&ReaderState, CardClass, Option<&str>)> = states
        .iter()
        .filter(|s| s.present)
        .map(|s| {
            let (class, label) = table.classify(&s.atr);
            (s, class, label)
        })
        .collect();

    let Some(&(state, class, label)) = pick(&with_card) else {
        return Ok(
            Outcome::fail("card.none", Msg::new("card.none")).with("readers", readers.join("; "))
        );
    };
    let reader = state.name.as_str();
    let mut base_evidence: Vec<(&str, Value)> =
        vec![("reader", reader.into()), ("atr", hex(&state.atr).into())];
    if let Some(l) = label {
        base_evidence.push(("card_type", Msg::new(class_key(class)).into()));
        base_evidence.push(("atr_entry", l.into()));
    }
    let others: Vec<&str> = with_card
        .iter()
        .filter(|(s, _, _)| s.name != reader)
        .map(|(s, _, _)| s.name.as_str())
        .collect();
    if !others.is_empty() {
        base_evidence.push(("cards_in_other_readers", others.join("; ").into()));
    }
    let finish = |o: Outcome| {
        base_evidence
            .iter()
            .fold(o, |o, (k, v)| o.with(k, v.clone()))
    };

    match class {
        CardClass::Moica => {
            return Ok(finish(Outcome::fail(
                "card.moica",
                Msg::new("card.moica").arg("reader", reader),
            )));
        }
        CardClass::HealthProfessional => {
            return Ok(finish(Outcome::fail(
                "card.hpc",
                Msg::new("card.hpc").arg("reader", reader),
            )));
        }
        _ => {}
    }
    if state.mute {
        return Ok(finish(Outcome::fail(
            "card.unreadable",
            Msg::new("card.mute").arg("reader", reader),
        )));
    }

    let mut session = match ctx.connect_shared(reader) {
        Ok(s) => s,
        Err(PcscError::SharingViolation) => {
            return Ok(finish(Outcome::fail(
                "card.busy",
                Msg::new("card.busy").arg("reader", reader),
            )));
        }
        Err(e) if e.is_card_gone() => return Ok(finish(removed(reader, "connect", &e))),
        Err(PcscError::UnresponsiveCard | PcscError::UnpoweredCard) => {
            return Ok(finish(Outcome::fail(
                "card.unreadable",
                Msg::new("card.mute").arg("reader", reader),
            )));
        }
        Err(e) => return Err(e),
    };
    let protocol = session.protocol();
    let read = read_record(session.as_mut());
    drop(session);
    let o = match read {
        Err(ReadStop::Gone(step, e)) => removed(reader, step, &e),
        Err(ReadStop::Transport(e)) => return Err(e),
        // An empty or cut answer is what a reader returns when the card leaves mid-read;
        // only a card still present makes it garbled data.
        Err(ReadStop::Malformed(step)) if card_left(ctx, reader) => {
            removed(reader, step, &PcscError::RemovedCard)
        }
        Err(ReadStop::Malformed(step)) => Outcome::fail(
            "card.garbled",
            Msg::new("card.garbled")
                .arg("reader", reader)
                .arg("detail", record_value(step)),
        ),
        Ok(r) => judge(reader, class, r),
    };
    let o = match protocol {
        Some(p) => o.with("protocol", p),
        None => o,
    };
    Ok(finish(o))
}

/// Whether the smart-card service has gone away, asked a few times over about a second:
/// a daemon killed mid-call may still hold its socket for a moment, refusing nothing yet
/// answering nothing. A service that answers is alive, whatever the first error was.
fn service_gone(pcsc: &dyn SmartCards) -> bool {
    for _ in 0..10 {
        match pcsc.establish() {
            Err(PcscError::NoService) => return true,
            Ok(_) => return false,
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
    false
}

/// Whether the card is gone from `reader`, waiting one presence poll of the service
/// (pcsc-lite polls every ~400 ms) so a fresh pull is seen.
fn card_left(ctx: &dyn PcscContext, reader: &str) -> bool {
    let names = [reader.to_string()];
    for _ in 0..6 {
        match ctx.states(&names) {
            Ok(st) if st.first().is_some_and(|s| !s.present) => return true,
            Ok(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            Err(_) => return true,
        }
    }
    false
}

/// The NHI card first (that is what the login uses), then an unknown card (it may be a
/// new NHI card generation), then any other.
fn pick<'a>(
    cards: &'a [(&'a ReaderState, CardClass, Option<&'a str>)],
) -> Option<&'a (&'a ReaderState, CardClass, Option<&'a str>)> {
    cards
        .iter()
        .find(|c| c.1 == CardClass::Nhi)
        .or_else(|| cards.iter().find(|c| c.1 == CardClass::Unknown))
        .or_else(|| cards.first())
}

fn removed(reader: &str, step: &str, e: &PcscError) -> Outcome {
    Outcome::fail(
        "card.removed",
        Msg::new("card.removed").arg("reader", reader),
    )
    .with("step", step)
    .with("pcsc_error", e.to_string())
}

enum ReadStop {
    Gone(&'static str, PcscError),
    Transport(PcscError),
    Malformed(&'static str),
}

struct Read {
    select: Response,
    basic: Response,
}

fn read_record(session: &mut dyn CardSession) -> Result<Read, ReadStop> {
    let mut step = |name: &'static str, apdu: &[u8]| -> Result<Response, ReadStop> {
        apdu::exchange(apdu, |a| session.transmit(a)).map_err(|e| match e {
            ExchangeError::Transport(e) if e.is_card_gone() => ReadStop::Gone(name, e),
            ExchangeError::Transport(e) => ReadStop::Transport(e),
            ExchangeError::Malformed | ExchangeError::TooManyRounds => ReadStop::Malformed(name),
        })
    };
    // SELECT is best effort: a newer card generation is reported to refuse it and still
    // answer the read, so the read decides.
    let select = step("select", &apdu::SELECT_NHI)?;
    let basic = step("read_basic", &apdu::READ_BASIC)?;
    Ok(Read { select, basic })
}

fn judge(reader: &str, class: CardClass, r: Read) -> Outcome {
    let sw = |resp: &Response| sw_value(resp.sw);
    let sws = |o: Outcome| {
        o.with("select_sw", sw(&r.select))
            .with("read_sw", sw(&r.basic))
    };
    if !r.basic.is_ok() {
        let (code, key) = if class == CardClass::Nhi {
            ("card.unreadable", "card.unreadable")
        } else {
            ("card.not_nhi", "card.not_nhi")
        };
        return sws(Outcome::fail(code, Msg::new(key).arg("reader", reader)));
    }
    let rec = match record::parse(&r.basic.data) {
        Ok(rec) => rec,
        Err(e) => {
            return sws(Outcome::fail(
                "card.garbled",
                Msg::new("card.garbled")
                    .arg("reader", reader)
                    .arg("detail", record_value(e.code())),
            ))
            .with("record_error", record_value(e.code()))
            .with("record_length", r.basic.data.len().to_string());
        }
    };
    let today = chrono::Local::now().date_naive();
    let anomalies = record::plausibility(&rec, today);
    let o = if let Some(a) = anomalies
        .iter()
        .find(|a| matches!(a, Anomaly::IdChecksum(_)))
    {
        Outcome::fail(
            "card.id_invalid",
            Msg::new("card.id_invalid").arg("reader", reader),
        )
        .with("anomaly", record_value(a.code()))
    } else if let Some(a) = anomalies.iter().find(|a| a.is_hard()) {
        Outcome::fail(
            "card.garbled",
            Msg::new("card.garbled")
                .arg("reader", reader)
                .arg("detail", record_value(a.code())),
        )
        .with("anomaly", record_value(a.code()))
    } else if let Some(a) = anomalies
        .iter()
        .find(|a| matches!(a, Anomaly::SexMismatch { .. }))
    {
        Outcome::warn(
            "card.sex_mismatch",
            Msg::new("card.sex_mismatch").arg("reader", reader),
        )
        .with("anomaly", record_value(a.code()))
    } else if let Some(a) = anomalies.first() {
        Outcome::warn(
            "card.garbled",
            Msg::new("card.garbled")
                .arg("reader", reader)
                .arg("detail", record_value(a.code())),
        )
        .with("anomaly", record_value(a.code()))
    } else {
        Outcome::pass(Msg::new("card.pass").arg("reader", reader).arg(
            "name",
            crate::engine::pii::Pii::new(PiiKind::Name, rec.name.as_str()),
        ))
    };
    with_record(sws(o), &rec)
}

fn with_record(o: Outcome, rec: &BasicRecord) -> Outcome {
    o.with_pii("card_no", PiiKind::CardNumber, &rec.card_no)
        .with_pii("name", PiiKind::Name, &rec.name)
        .with_pii("id_no", PiiKind::NationalId, &rec.id_no)
        .with_pii("birth_date", PiiKind::BirthDate, &rec.birth.to_string())
        .with("sex", Msg::new(sex_key(rec.sex)))
        .with("issued", roc_date_value(&rec.issued))
}

/// `9000（成功）`: the code stays for the technician, the meaning is in the report's language.
fn sw_value(sw: u16) -> Msg {
    Msg::new("value.sw").arg("code", format!("{sw:04X}")).arg(
        "meaning",
        Msg::new(&format!("value.sw.{}", apdu::sw_meaning(sw))),
    )
}

/// 資料長度不足（short）: what is wrong with the record (or the read step whose answer was
/// malformed) in the report's language, the code from crate::nhi::record kept for the technician.
fn record_value(code: &str) -> Msg {
    Msg::new("value.record")
        .arg("code", code)
        .arg("meaning", Msg::new(&format!("value.record.{code}")))
}

fn sex_key(sex: Sex) -> &'static str {
    match sex {
        Sex::Male => "value.sex.male",
        Sex::Female => "value.sex.female",
    }
}

fn class_key(class: CardClass) -> &'static str {
    match class {
        CardClass::Nhi => "value.card_class.nhi",
        CardClass::Moica => "value.card_class.moica",
        CardClass::HealthProfessional => "value.card_class.hpc",
        CardClass::Unknown => "value.card_class.unknown",
    }
}

/// 民國 112 年 3 月 15 日（2023-03-15）: the ROC date as printed on the card plus the Gregorian one.
fn roc_date_value(d: &RocDate) -> Msg {
    Msg::new("value.roc_date")
        .arg("year", d.year.to_string())
        .arg("month", d.month.to_string())
        .arg("day", d.day.to_string())
        .arg("date", d.to_gregorian().format("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn both(m: Msg) -> (String, String) {
        let v = Value::Said(m);
        (v.render_in(Lang::ZhTw, false), v.render_in(Lang::En, false))
    }

    #[test]
    fn evidence_words_come_from_the_catalogue_in_both_languages() {
        for sw in [
            0x9000, 0x6D00, 0x6A82, 0x6A86, 0x6E00, 0x6985, 0x6700, 0x6C39, 0x6110, 0x6F00,
        ] {
            let (zh, en) = both(sw_value(sw));
            assert!(
                !zh.contains("value.") && !en.contains("value."),
                "{sw:04X}: {zh} / {en}"
            );
            assert!(
                zh.starts_with(&format!("{sw:04X}（")) && en.starts_with(&format!("{sw:04X} (")),
                "{zh} / {en}"
            );
        }
        assert_eq!(
            both(Msg::new(sex_key(Sex::Female))),
            ("女".to_string(), "female".to_string())
        );
        for class in [
            CardClass::Nhi,
            CardClass::Moica,
            CardClass::HealthProfessional,
            CardClass::Unknown,
        ] {
            let (zh, en) = both(Msg::new(class_key(class)));
            assert!(
                !zh.contains("value.") && !en.contains("value."),
                "{class:?}"
            );
        }
        assert_eq!(
            both(record_value("short")),
            (
                "資料長度不足（short）".to_string(),
                "record too short (short)".to_string()
            )
        );
        let issued = RocDate::parse("1120315").unwrap();
        assert_eq!(
            both(roc_date_value(&issued)),
            (
                "民國 112 年 3 月 15 日（2023-03-15）".to_string(),
                "2023-03-15 (ROC year 112)".to_string()
            )
        );
    }

    /// Every record error, anomaly and read step, written out so that a new variant does not
    /// compile here until it is listed (and so given its words).
    fn every_record_code() -> Vec<&'static str> {
        use crate::nhi::id::IdError;
        use crate::nhi::record::RecordError;
        let errors = [
            RecordError::Short { got: 0 },
            RecordError::CardNo,
            RecordError::NameEncoding,
            RecordError::NameEmpty,
            RecordError::IdFormat,
            RecordError::BirthDate,
            RecordError::Sex,
            RecordError::IssueDate,
        ];
        for e in &errors {
            match e {
                RecordError::Short { .. }
                | RecordError::CardNo
                | RecordError::NameEncoding
                | RecordError::NameEmpty
                | RecordError::IdFormat
                | RecordError::BirthDate
                | RecordError::Sex
                | RecordError::IssueDate => {}
            }
        }
        let anomalies = [
            Anomaly::IdChecksum(IdError::Checksum),
            Anomaly::BirthInFuture,
            Anomaly::BirthTooOld,
            Anomaly::IssuedInFuture,
            Anomaly::IssuedBeforeBirth,
            Anomaly::SexMismatch {
                id_says: Sex::Male,
                card_says: Sex::Female,
            },
        ];
        for a in &anomalies {
            match a {
                Anomaly::IdChecksum(_)
                | Anomaly::BirthInFuture
                | Anomaly::BirthTooOld
                | Anomaly::IssuedInFuture
                | Anomaly::IssuedBeforeBirth
                | Anomaly::SexMismatch { .. } => {}
            }
        }
        errors
            .iter()
            .map(|e| e.code())
            .chain(anomalies.iter().map(|a| a.code()))
            .chain(["select", "read_basic"])
            .collect()
    }

    #[test]
    fn every_record_code_has_a_phrase_in_both_languages_and_stays_visible() {
        let values = &crate::i18n::messages().values;
        for code in every_record_code() {
            let key = format!("value.record.{code}");
            let t = values.get(&key).unwrap_or_else(|| {
                panic!("`{key}` is missing from the `values` of assets/messages/core.yaml")
            });
            assert!(
                !t.zh_tw.trim().is_empty() && !t.en.trim().is_empty(),
                "{key} lacks a language"
            );
            let (zh, en) = both(record_value(code));
            assert!(
                zh.ends_with(&format!("（{code}）")) && en.ends_with(&format!(" ({code})")),
                "{zh} / {en}"
            );
            assert!(
                !zh.contains("value.") && !en.contains("value."),
                "{zh} / {en}"
            );
        }
    }
}
