//! Every key binding in one table: the key handler and the `?` help overlay both read it,
//! so what the help says is what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Up,
    Down,
    ScrollUp,
    ScrollDown,
    ToggleDetail,
    RerunAll,
    RerunSelected,
    Language,
    Export,
    Copy,
    Pii,
    Help,
    Quit,
    /// Check the registration password once (asks for it, masked).
    Password,
    /// Demo only: the scenario picker.
    Scenario,
    /// Demo only: apply the scenario's fix in the simulation.
    Fix,
}

pub struct Binding {
    pub action: Action,
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the help overlay names the keys (UTF-8, then `--ascii`).
    pub label: &'static str,
    pub label_ascii: &'static str,
    /// Catalogue key (`assets/messages/tui.yaml`) of what the key does.
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;

pub const BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Up,
        keys: &[(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)],
        label: "↑ k",
        label_ascii: "Up k",
        help: "tui.key.up",
    },
    Binding {
        action: Action::Down,
        keys: &[(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)],
        label: "↓ j",
        label_ascii: "Down j",
        help: "tui.key.down",
    },
    Binding {
        action: Action::ScrollUp,
        keys: &[(KeyCode::PageUp, NONE)],
        label: "PgUp",
        label_ascii: "PgUp",
        help: "tui.key.scroll_up",
    },
    Binding {
        action: Action::ScrollDown,
        keys: &[(KeyCode::PageDown, NONE), (KeyCode::Char(' '), NONE)],
        label: "PgDn Space",
        label_ascii: "PgDn Space",
        help: "tui.key.scroll_down",
    },
    Binding {
        action: Action::ToggleDetail,
        keys: &[(KeyCode::Enter, NONE)],
        label: "Enter",
        label_ascii: "Enter",
        help: "tui.key.detail",
    },
    Binding {
        action: Action::RerunAll,
        keys: &[(KeyCode::Char('r'), NONE)],
        label: "r",
        label_ascii: "r",
        help: "tui.key.rerun_all",
    },
    Binding {
        action: Action::RerunSelected,
        keys: &[(KeyCode::Char('R'), NONE)],
        label: "R",
        label_ascii: "R",
        help: "tui.key.rerun_selected",
    },
    Binding {
        action: Action::Language,
        keys: &[(KeyCode::Char('l'), NONE)],
        label: "l",
        label_ascii: "l",
        help: "tui.key.language",
    },
    Binding {
        action: Action::Export,
        keys: &[(KeyCode::Char('e'), NONE)],
        label: "e",
        label_ascii: "e",
        help: "tui.key.export",
    },
    Binding {
        action: Action::Copy,
        keys: &[(KeyCode::Char('c'), NONE)],
        label: "c",
        label_ascii: "c",
        help: "tui.key.copy",
    },
    Binding {
        action: Action::Pii,
        keys: &[(KeyCode::Char('p'), NONE)],
        label: "p",
        label_ascii: "p",
        help: "tui.key.pii",
    },
    Binding {
        action: Action::Password,
        keys: &[(KeyCode::Char('w'), NONE)],
        label: "w",
        label_ascii: "w",
        help: "tui.key.password",
    },
    Binding {
        action: Action::Help,
        keys: &[(KeyCode::Char('?'), NONE), (KeyCode::F(1), NONE)],
        label: "? F1",
        label_ascii: "? F1",
        help: "tui.key.help",
    },
    Binding {
        action: Action::Quit,
        keys: &[
            (KeyCode::Char('q'), NONE),
            (KeyCode::Esc, NONE),
            (KeyCode::Char('c'), KeyModifiers::CONTROL),
        ],
        label: "q Esc Ctrl-C",
        label_ascii: "q Esc Ctrl-C",
        help: "tui.key.quit",
    },
];

/// Keys that exist only in the demo (`ecpa-doctor demo`); help lists them there.
pub const DEMO_BINDINGS: &[Binding] = &[
    Binding {
        action: Action::Scenario,
        keys: &[(KeyCode::Char('s'), NONE)],
        label: "s",
        label_ascii: "s",
        help: "tui.key.scenario",
    },
    Binding {
        action: Action::Fix,
        keys: &[(KeyCode::Char('f'), NONE)],
        label: "f",
        label_ascii: "f",
        help: "tui.key.fix",
    },
];

fn all_bindings() -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().chain(DEMO_BINDINGS)
}

/// Ctrl-C always quits, whatever is on screen: raw mode turns it into a key, not SIGINT.
pub fn is_interrupt(key: &KeyEvent) -> bool {
    key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL)
}

/// Shift is part of the character (`R`, `?`), so only Ctrl and Alt must match exactly.
fn matches(key: &KeyEvent, code: KeyCode, mods: KeyModifiers) -> bool {
    let relevant = KeyModifiers::CONTROL | KeyModifiers::ALT;
    let code_eq = match (key.code, code) {
        (KeyCode::Char(a), KeyCode::Char(b)) => a == b,
        (a, b) => a == b,
    };
    code_eq && (key.modifiers & relevant) == (mods & relevant)
}

pub fn action(key: &KeyEvent) -> Option<Action> {
    all_bindings()
        .find(|b| b.keys.iter().any(|(c, m)| matches(key, *c, *m)))
        .map(|b| b.action)
}

pub fn binding(action: Action) -> &'static Binding {
    all_bindings()
        .find(|b| b.action == action)
        .expect("every action has a binding")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn keys_map_to_actions() {
        assert_eq!(action(&key(KeyCode::Char('j'), NONE)), Some(Action::Down));
        assert_eq!(action(&key(KeyCode::Up, NONE)), Some(Action::Up));
        assert_eq!(
            action(&key(KeyCode::Char('R'), KeyModifiers::SHIFT)),
            Some(Action::RerunSelected)
        );
        assert_eq!(
            action(&key(KeyCode::Char('r'), NONE)),
            Some(Action::RerunAll)
        );
        assert_eq!(action(&key(KeyCode::Char('c'), NONE)), Some(Action::Copy));
        assert_eq!(
            action(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(action(&key(KeyCode::Esc, NONE)), Some(Action::Quit));
        assert_eq!(action(&key(KeyCode::Char('x'), NONE)), None);
    }

    #[test]
    fn every_action_has_one_binding_and_no_key_is_bound_twice() {
        let mut seen = Vec::new();
        for b in all_bindings() {
            assert!(b.label_ascii.is_ascii());
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
        for a in [
            Action::Up,
            Action::Down,
            Action::ScrollUp,
            Action::ScrollDown,
            Action::ToggleDetail,
            Action::RerunAll,
            Action::RerunSelected,
            Action::Language,
            Action::Export,
            Action::Copy,
            Action::Pii,
            Action::Help,
            Action::Quit,
            Action::Password,
            Action::Scenario,
            Action::Fix,
        ] {
            assert_eq!(binding(a).action, a);
        }
    }
}
