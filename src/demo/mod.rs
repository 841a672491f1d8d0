//! `ecpa-doctor demo`: the whole chain on a machine with no reader, no card and no
//! component. A scenario (data in `assets/demo/`) describes the lowest layer of a
//! machine; `World` builds it — simulated PC/SC, files, processes, sockets and resolver,
//! and a real fake bridge on loopback — and runs the default profile's checks against it.
//! In the console the operator picks scenarios and applies their fix (the training loop).
//!
//! Must not import: a frontend; it asks a kind's descriptor, never its name.

pub mod scenario;
pub mod world;

use std::fmt::Write as _;
use std::sync::Arc;

use crate::engine::Profile;
use crate::i18n::{Lang, ui};
use crate::system::System;
pub use scenario::{Expect, HEALTHY, Scenario};
pub use world::World;

/// `demo --list`: id, titles in both languages, and the root cause each must produce.
pub fn list(lang: Lang) -> String {
    let all = scenario::builtin();
    let mut s = String::new();
    let _ = writeln!(s, "{} ({})", ui("demo.list_title", lang), all.len());
    let _ = writeln!(s, "{}\n", ui("demo.list_hint", lang));
    let id_width = all.iter().map(|s| s.id.len()).max().unwrap_or(10);
    for sc in all {
        let _ = writeln!(
            s,
            "{:id_width$}  {} / {}  → {}",
            sc.id,
            sc.title.zh_tw,
            sc.title.en,
            expectation(sc, lang)
        );
    }
    s
}

/// The root cause a scenario must produce, and how to run its password check if it has one.
pub fn expectation(sc: &Scenario, lang: Lang) -> String {
    let mut expected = match sc.expect.finding() {
        Some((check, finding)) => format!("{check}: {finding}"),
        None => ui("demo.expect_healthy", lang),
    };
    if let Some(p) = &sc.password {
        expected.push(' ');
        expected.push_str(&crate::i18n::fill(
            &ui("demo.with_password", lang),
            &[("password".to_string(), p.clone())],
        ));
    }
    expected
}

/// The console's demo state: the scenarios and the world running now. Switching builds
/// the next world before the old one stops, so a failed build leaves the old one running.
pub struct Session {
    base: Profile,
    world: World,
}

impl Session {
    pub fn start(base: Profile, first: &'static Scenario) -> Result<Session, String> {
        let world = World::build(first, &base)?;
        Ok(Session { base, world })
    }

    pub fn current(&self) -> &'static Scenario {
        self.world.scenario
    }

    pub fn profile(&self) -> Arc<Profile> {
        self.world.profile.clone()
    }

    pub fn system(&self) -> Arc<System> {
        self.world.system.clone()
    }

    /// Replaces the world with the scenario `id`'s.
    pub fn switch(&mut self, id: &str) -> Result<&'static Scenario, String> {
        let next = scenario::find(id).ok_or_else(|| format!("no scenario `{id}`"))?;
        let world = World::build(next, &self.base)?;
        // The old world's servers stop here.
        self.world = world;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_every_scenario_and_its_root_cause() {
        let text = list(Lang::En);
        for s in scenario::builtin() {
            assert!(
                text.contains(&s.id) && text.contains(&s.title.en) && text.contains(&s.title.zh_tw),
                "{}",
                s.id
            );
            if let Some((check, finding)) = s.expect.finding() {
                assert!(text.contains(&format!("{check}: {finding}")), "{}", s.id);
            }
            if let Some(p) = &s.password {
                let line = text
                    .lines()
                    .find(|l| l.starts_with(&format!("{} ", s.id)))
                    .unwrap_or_default();
                assert!(
                    line.contains("--check-password") && line.contains(p.as_str()),
                    "{line}"
                );
            }
        }
    }
}
