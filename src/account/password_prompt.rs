//! Report mode's side of the registration password check: the password check runs only
//! with `--check-password`, after a warning, with the password typed on the terminal
//! (echo off) or ONE line read from a non-terminal standard input — never from the
//! command line, where it would land in the shell history and the process list.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::sync::Arc;

use crate::account::secret::{self, PasswordSlot};
use crate::engine::Profile;
use crate::i18n::{Lang, ui};
use crate::probes::registration;

/// What the run covers and the password it carries.
pub struct Plan {
    pub only: Option<HashSet<String>>,
    pub password: Option<Arc<PasswordSlot>>,
}

/// Without `check_password` the password check is left out; with it, the operator is
/// warned and asked once. `Err` is a message for standard error (exit 64).
pub fn plan(
    profile: &Profile,
    only: Option<HashSet<String>>,
    check_password: bool,
    lang: Lang,
) -> Result<Plan, String> {
    if !check_password {
        return Ok(Plan {
            only: registration::automatic(profile, only),
            password: None,
        });
    }
    let checks: Vec<_> = profile
        .checks
        .iter()
        .filter(|c| c.descriptor.on_request)
        .collect();
    if checks.is_empty() {
        return Err(ui("password.no_check", lang));
    }
    let only = only.map(|mut set| {
        let mut todo: Vec<String> = checks.iter().map(|c| c.id.clone()).collect();
        while let Some(id) = todo.pop() {
            if let Some(c) = profile.check(&id)
                && set.insert(id)
            {
                todo.extend(c.waits_for().cloned());
            }
        }
        set
    });
    let env = |k: &str| std::env::var(k).ok();
    if checks
        .iter()
        .any(|c| registration::verifier_status(&c.params, &env).is_err())
    {
        // The check itself says what is missing; asking for a password it cannot use
        // would only expose it.
        eprintln!("{}", ui("password.no_verifier", lang));
        return Ok(Plan {
            only,
            password: None,
        });
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", ui("password.warning", lang));
    let stdin = std::io::stdin();
    let typed = if stdin.is_terminal() {
        let _ = write!(err, "{}", ui("password.prompt", lang));
        let _ = err.flush();
        drop(err);
        secret::read_masked_from_terminal()
    } else {
        drop(err);
        secret::read_line(&mut stdin.lock())
    };
    match typed {
        Ok(Some(p)) => Ok(Plan {
            only,
            password: Some(Arc::new(PasswordSlot::with(p))),
        }),
        Ok(None) => {
            eprintln!("{}", ui("password.cancelled", lang));
            Ok(Plan {
                only: registration::automatic(profile, only),
                password: None,
            })
        }
        Err(e) => Err(format!("{}: {e}", ui("password.read_failed", lang))),
    }
}
