//! Watches PC/SC while the console is open: a card inserted or removed, a reader plugged
//! in or out, the service coming or going. It runs on its own thread because PC/SC waits
//! block; short waits in a loop let it notice quitting quickly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::app::PcscChange;
use crate::system::{PcscContext, PcscError, ReaderState, SmartCards};

/// How long one PC/SC wait lasts: the delay between quitting and the thread noticing.
const WAIT_SLICE: Duration = Duration::from_millis(300);
/// How often to look for the service again while it is down.
const RETRY_SERVICE: Duration = Duration::from_secs(1);

pub struct Watcher {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Watcher {
    /// `report` is called with each change that matters, and with `Err` when the watcher
    /// cannot watch (service down) or `Ok` again once it can.
    pub fn spawn(
        pcsc: Arc<dyn SmartCards>,
        on_change: impl Fn(PcscChange) + Send + 'static,
        on_watching: impl Fn(bool) + Send + 'static,
    ) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::Builder::new()
            .name("pcsc-watch".into())
            .spawn(move || {
                // A bug in here must not take the console down: watching just stops.
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    watch(&*pcsc, &flag, &on_change, &on_watching)
                }));
                if result.is_err() {
                    on_watching(false);
                }
            })
            .ok();
        Watcher { stop, handle }
    }

    /// Asks the thread to end; it does within one wait slice. Not joined: quitting must
    /// not wait on a PC/SC call.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn watch(
    pcsc: &dyn SmartCards,
    stop: &AtomicBool,
    on_change: &dyn Fn(PcscChange),
    on_watching: &dyn Fn(bool),
) {
    let mut had_service: Option<bool> = None;
    while !stop.load(Ordering::Relaxed) {
        let ctx = pcsc.establish();
        let up = ctx.is_ok();
        if had_service.is_some_and(|h| h != up) {
            on_change(PcscChange::Service);
        }
        had_service = Some(up);
        on_watching(up);
        match ctx {
            Ok(ctx) => {
                // Returns on a PC/SC error (service stopped): establish again.
                let _ = watch_context(&*ctx, stop, on_change);
            }
            Err(_) => sleep_unless_stopped(RETRY_SERVICE, stop),
        }
    }
}

fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let end = Instant::now() + total;
    while !stop.load(Ordering::Relaxed) && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn snapshot(ctx: &dyn PcscContext) -> Result<Vec<ReaderState>, PcscError> {
    match ctx.readers() {
        Ok(r) => ctx.states(&r),
        // pcsc-lite answers "no readers" with an error, not an empty list.
        Err(PcscError::NoSmartcard | PcscError::UnknownReader | PcscError::ReaderUnavailable) => {
            Ok(Vec::new())
        }
        Err(PcscError::Other {
            code: 0x8010_002E, ..
        }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

fn watch_context(
    ctx: &dyn PcscContext,
    stop: &AtomicBool,
    on_change: &dyn Fn(PcscChange),
) -> Result<(), PcscError> {
    let mut known = snapshot(ctx)?;
    while !stop.load(Ordering::Relaxed) {
        let t0 = Instant::now();
        if !ctx.wait_change(&known, WAIT_SLICE)? {
            // A PC/SC stand-in (the demo's) may not really wait; never spin.
            std::thread::sleep(WAIT_SLICE.saturating_sub(t0.elapsed()));
            continue;
        }
        let now = snapshot(ctx)?;
        if let Some(change) = classify(&known, &now) {
            on_change(change);
        }
        known = now;
    }
    Ok(())
}

/// What changed between two looks, if anything the checks care about. A program merely
/// opening the card (ours included: the card check connects) is not a change, or every
/// re-run would trigger the next.
pub fn classify(before: &[ReaderState], after: &[ReaderState]) -> Option<PcscChange> {
    let names = |s: &[ReaderState]| s.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    if names(before) != names(after) {
        return Some(PcscChange::Readers);
    }
    let card_view = |r: &ReaderState| (r.present, r.mute, r.event_count, r.atr.clone());
    before
        .iter()
        .zip(after)
        .any(|(a, b)| card_view(a) != card_view(b))
        .then_some(PcscChange::Card)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::CardSession;
    use std::sync::Mutex;
    use std::sync::mpsc;

    /// A PC/SC stand-in whose readers the test changes while the watcher runs.
    #[derive(Clone)]
    struct Rig(Arc<Mutex<(bool, Vec<ReaderState>)>>);

    struct RigContext(Rig);

    impl Rig {
        fn now(&self) -> (bool, Vec<ReaderState>) {
            self.0.lock().unwrap().clone()
        }
        fn set(&self, f: impl FnOnce(&mut (bool, Vec<ReaderState>))) {
            f(&mut self.0.lock().unwrap());
        }
    }

    impl SmartCards for Rig {
        fn establish(&self) -> Result<Box<dyn PcscContext>, PcscError> {
            if self.now().0 {
                Ok(Box::new(RigContext(self.clone())))
            } else {
                Err(PcscError::NoService)
            }
        }
    }

    impl PcscContext for RigContext {
        fn readers(&self) -> Result<Vec<String>, PcscError> {
            let (up, r) = self.0.now();
            if up {
                Ok(r.into_iter().map(|r| r.name).collect())
            } else {
                Err(PcscError::NoService)
            }
        }
        fn states(&self, _: &[String]) -> Result<Vec<ReaderState>, PcscError> {
            Ok(self.0.now().1)
        }
        fn wait_change(&self, known: &[ReaderState], timeout: Duration) -> Result<bool, PcscError> {
            let end = Instant::now() + timeout;
            while Instant::now() < end {
                let (up, now) = self.0.now();
                if !up {
                    return Err(PcscError::NoService);
                }
                if now != known {
                    return Ok(true);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(false)
        }
        fn connect_shared(&self, _: &str) -> Result<Box<dyn CardSession>, PcscError> {
            Err(PcscError::UnknownReader)
        }
    }

    #[test]
    fn watcher_reports_cards_readers_and_the_service_but_not_mere_use() {
        let rig = Rig(Arc::new(Mutex::new((true, vec![reader("R0", false, 0)]))));
        let (tx, rx) = mpsc::channel();
        let (tx2, rx2) = mpsc::channel();
        let w = Watcher::spawn(
            Arc::new(rig.clone()),
            move |c| tx.send(c).unwrap(),
            move |up| tx2.send(up).unwrap(),
        );
        let next = || rx.recv_timeout(Duration::from_secs(5)).ok();
        assert_eq!(rx2.recv_timeout(Duration::from_secs(5)), Ok(true));
        std::thread::sleep(Duration::from_millis(50));

        rig.set(|s| s.1 = vec![reader("R0", true, 1)]);
        assert_eq!(next(), Some(PcscChange::Card));
        rig.set(|s| s.1[0].in_use = true);
        assert_eq!(
            rx.recv_timeout(Duration::from_millis(400)).ok(),
            None,
            "a program using the card is no change"
        );
        rig.set(|s| s.1.push(reader("R1", false, 0)));
        assert_eq!(next(), Some(PcscChange::Readers));
        rig.set(|s| s.0 = false);
        assert_eq!(next(), Some(PcscChange::Service));
        assert_eq!(rx2.recv_timeout(Duration::from_secs(5)), Ok(false));
        rig.set(|s| s.0 = true);
        assert_eq!(next(), Some(PcscChange::Service));
        w.stop();
    }

    fn reader(name: &str, present: bool, count: u32) -> ReaderState {
        ReaderState {
            name: name.into(),
            present,
            mute: false,
            exclusive: false,
            in_use: false,
            atr: if present { vec![0x3B] } else { vec![] },
            event_count: count,
        }
    }

    #[test]
    fn classify_tells_readers_from_cards_and_ignores_use() {
        let a = vec![reader("R0", false, 0)];
        assert_eq!(
            classify(&a, &[reader("R0", true, 1)]),
            Some(PcscChange::Card)
        );
        assert_eq!(
            classify(&a, &[reader("R0", false, 0), reader("R1", false, 0)]),
            Some(PcscChange::Readers)
        );
        assert_eq!(classify(&a, &[]), Some(PcscChange::Readers));
        let mut busy = reader("R0", false, 0);
        busy.in_use = true;
        busy.exclusive = true;
        assert_eq!(
            classify(&a, &[busy]),
            None,
            "a program opening the card is not a card change"
        );
        // Pulled and put back between two looks: only the event count tells.
        assert_eq!(
            classify(&[reader("R0", true, 3)], &[reader("R0", true, 5)]),
            Some(PcscChange::Card)
        );
    }
}
