//! Command-line surface: flags, help text, exit codes. Parsing only; `main` dispatches.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::report::Format;

pub const EXIT_HEALTHY: i32 = 0;
pub const EXIT_BLOCKING: i32 = 1;
pub const EXIT_WARNINGS: i32 = 2;
pub const EXIT_USAGE: i32 = 64;
pub const EXIT_IO: i32 = 74;
pub const EXIT_PROFILE: i32 = 78;

const AFTER_HELP: &str = "\
What it checks, in order (each link only when the ones it needs passed):
  smart-card service (PC/SC) → card reader → NHI card → NHI component installed →
  component running on :7777 → iccert.nhi.gov.tw points to this computer →
  the component's TLS certificate → who answers on :7777 → its WebSocket /echo →
  card authenticated by NHI's cloud → (only when asked) the registration password.
  Beside the chain: this computer, maintenance windows, the way out to NHI's cloud,
  a downloaded installer, the clock. `ecpa-doctor --list-checks` shows them all.

Examples:
  ecpa-doctor --report                       text report of this machine
  ecpa-doctor --report --format markdown --ticket HD-1234 > ticket.md
  ecpa-doctor --format json | jq .root_cause machine-readable (only JSON on stdout)
  ecpa-doctor --check card                   only the card check and what it needs
  ecpa-doctor --profile my-agency.yaml       your own list of checks
  ecpa-doctor demo                           the demo: every failure, no reader needed
  ecpa-doctor demo no-card --report          one demo scenario's report (demo --list)
  ecpa-doctor demo registration-wrong-password --report --check-password
                                             train the password check (simulated NHI service)
  ecpa-doctor --report --check-password      also check the registration password once
  ecpa-doctor explain 註冊密碼輸入錯誤       what a message the user saw means
  ecpa-doctor --message 查無您的帳號         full diagnosis plus the message

Exit codes:
  0   healthy: every check passed
  1   a blocking check failed (see root_cause)
  2   only warnings (advisory checks)
  64  bad command line
  74  the report file could not be written
  78  the profile is invalid (file:line:column is printed)

Privacy: national ID, name, card number and birth date are masked everywhere
unless you add --show-pii. ecpa-doctor never changes your system: it only reads.";

#[derive(Debug, Parser)]
#[command(
    name = "ecpa-doctor",
    version,
    about = "Finds out why an NHI card (健保卡) login to eCPA (人事服務網) fails, and shows the documented fix.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    /// Print a report instead of the interactive console.
    #[arg(long, global = true)]
    pub report: bool,

    /// Report format (implies --report): text, markdown (paste into a ticket) or json.
    #[arg(long, value_enum, global = true)]
    pub format: Option<Format>,

    /// Write the report to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,

    /// Stamp the report with a helpdesk ticket id.
    #[arg(long, value_name = "ID", global = true)]
    pub ticket: Option<String>,

    /// Show national ID, name, card number and birth date unmasked.
    #[arg(long, global = true)]
    pub show_pii: bool,

    /// Use this profile (YAML) instead of the built-in eCPA NHI-card profile.
    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    /// Print the checks of the profile and exit.
    #[arg(long)]
    pub list_checks: bool,

    /// Run only this check (and the checks it needs); repeat for more.
    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,

    /// Language: zh-TW (default for Chinese or unknown locales) or en.
    #[arg(long, value_name = "LANG", value_parser = parse_lang, global = true)]
    pub lang: Option<crate::i18n::Lang>,

    /// Console without UTF-8 glyphs or box drawing, for terminals that show them garbled.
    /// NO_COLOR=1 in the environment turns colours off.
    #[arg(long, global = true)]
    pub ascii: bool,

    /// Also check the NHI registration password, once (report mode; in the console press
    /// w): warns first, then reads it from the terminal with echo off, or one line from
    /// standard input when that is not a terminal. Never give it on the command line.
    /// With `demo`, only the demo's simulated NHI service is asked.
    #[arg(long, global = true)]
    pub check_password: bool,

    /// The message the user saw (eCPA, NHI, the component): adds a check that explains it.
    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain a message the user saw and show the documented fix.
    ///
    /// Paste the text as it appeared (spaces, full-width punctuation and partial
    /// pastes are fine), or give a code such as A8002. With no text, reads it from
    /// standard input. Exit code: 1 a problem was recognised, 0 the message means
    /// success, 2 unknown message.
    Explain {
        /// List every known message instead.
        #[arg(long)]
        list: bool,
        /// The message text (several words are joined with spaces).
        text: Vec<String>,
    },
    /// Run ecpa-doctor on the user's machine over ssh (remote support).
    ///
    /// Uses this computer's `ssh` with keys or an agent (no password prompts). First
    /// checks that ecpa-doctor is installed there and new enough; then opens the
    /// console there (`ssh -t`), or with --report/--format brings the report back and
    /// prints it here, stamped with the remote host. Failures (unreachable, login
    /// refused, not installed, too old) are reported as findings with remedies.
    Remote {
        /// The user's machine: [USER@]HOST.
        destination: String,
        /// An ssh option, as for `ssh -o` (e.g. Port=2222, IdentityFile=~/.ssh/helpdesk); repeatable.
        #[arg(long = "ssh-option", value_name = "OPTION")]
        ssh_options: Vec<String>,
        /// The command that starts ecpa-doctor on the remote machine, when it is not on its
        /// PATH (options may follow, e.g. "/opt/ecpa-doctor/ecpa-doctor --profile p.yaml").
        #[arg(long, value_name = "PATH", default_value = "ecpa-doctor")]
        remote_command: String,
    },
    /// Demo and training: the whole chain on a simulated machine (no reader, card or
    /// component needed).
    ///
    /// Each scenario simulates the machine's lowest layer (PC/SC, files, processes,
    /// sockets, resolver) and runs the real checks against it, the network checks against
    /// a real TLS server on loopback. On a terminal it opens the console, where `s` picks
    /// a scenario and `f` applies its fix; with --report/--format it prints the report
    /// (marked as demo data). Without SCENARIO: `healthy`.
    Demo {
        /// The scenario to start with (see --list).
        scenario: Option<String>,
        /// List the scenarios: id, title, and the root cause each produces.
        #[arg(long)]
        list: bool,
    },
    /// Check a downloaded component installer against the MD5 NHI publishes.
    ///
    /// Antivirus software often blocks or cuts these downloads short. Exit code: 0 it
    /// matches, 1 it differs (download again with the antivirus paused), 2 it cannot be
    /// verified or is not an NHI installer.
    CheckInstaller {
        /// The downloaded file (e.g. Setup.zip).
        file: std::path::PathBuf,
        /// Compare with this MD5 (e.g. pasted from the download page) instead of the
        /// values built into ecpa-doctor.
        #[arg(long, value_name = "HEX")]
        md5: Option<String>,
    },
}

fn parse_lang(s: &str) -> Result<crate::i18n::Lang, String> {
    crate::i18n::Lang::parse(s).ok_or_else(|| format!("`{s}` is not a language ecpa-doctor speaks; use zh-TW or en"))
}

impl Cli {
    pub fn format(&self) -> Format {
        self.format.unwrap_or(Format::Text)
    }
}
