//! What this invocation is, decided once from the arguments and whether standard output
//! is a terminal; `main` matches the answer in one place.

use std::path::PathBuf;

use super::{Cli, Command, FleetAction};

/// Where a run's findings go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The interactive console: nothing asked for a report and standard output is a terminal.
    Console,
    /// A report, because a flag asked for one (`--report`, `--format`, `-o`,
    /// `--check-password`) or the subcommand only reports.
    Report,
    /// A report because standard output is not a terminal although nothing asked for one:
    /// the operator is told so on standard error.
    ReportNotATerminal,
}

/// What to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The profile's checks, in the console or as a report (the default).
    Run(Output),
    /// `--list-checks`: the profile's checks, listed.
    ListChecks,
    /// `explain --list`.
    ExplainList,
    /// `explain TEXT…` (or standard input): what a pasted message means, as a report.
    Explain { text: Vec<String> },
    /// `demo --list`.
    DemoList,
    /// `demo [SCENARIO]`: a simulated machine, in the console or as a report.
    Demo {
        scenario: Option<String>,
        output: Output,
    },
    /// `remote DESTINATION`: the far side's console or report over ssh.
    Remote { output: Output },
    /// `check-installer FILE`: one download's MD5 against NHI's, as a report.
    CheckInstaller { file: PathBuf, md5: Option<String> },
    /// `fleet summarize REPORT…`: many PCs' reports summed up, as a report.
    FleetSummarize { reports: Vec<PathBuf> },
    /// `fleet view REPORT…`: the same summary in the console.
    FleetView { reports: Vec<PathBuf> },
}

/// Whether the findings go to the console or into a report.
pub fn output(cli: &Cli, stdout_is_terminal: bool) -> Output {
    let asked = cli.report || cli.format.is_some() || cli.output.is_some() || cli.check_password;
    match (asked, stdout_is_terminal) {
        (true, _) => Output::Report,
        (false, true) => Output::Console,
        (false, false) => Output::ReportNotATerminal,
    }
}

pub fn resolve(cli: &Cli, stdout_is_terminal: bool) -> Mode {
    let output = output(cli, stdout_is_terminal);
    match &cli.command {
        Some(Command::Explain { list: true, .. }) => Mode::ExplainList,
        Some(Command::Explain { text, .. }) => Mode::Explain { text: text.clone() },
        Some(Command::Demo { list: true, .. }) => Mode::DemoList,
        Some(Command::Demo { scenario, .. }) => Mode::Demo {
            scenario: scenario.clone(),
            output,
        },
        Some(Command::Remote { .. }) => Mode::Remote { output },
        Some(Command::CheckInstaller { file, md5 }) => Mode::CheckInstaller {
            file: file.clone(),
            md5: md5.clone(),
        },
        Some(Command::Fleet {
            action: FleetAction::Summarize { reports },
        }) => Mode::FleetSummarize {
            reports: reports.clone(),
        },
        Some(Command::Fleet {
            action: FleetAction::View { reports },
        }) => Mode::FleetView {
            reports: reports.clone(),
        },
        None if cli.list_checks => Mode::ListChecks,
        None => Mode::Run(output),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cli(args: &[&str]) -> Cli {
        let mut all = vec!["ecpa-doctor"];
        all.extend_from_slice(args);
        super::super::parse_from(
            all.iter().map(std::ffi::OsString::from).collect(),
            crate::i18n::Lang::En,
        )
        .expect("arguments parse")
    }

    #[test]
    fn the_console_only_on_a_terminal_and_only_when_no_report_was_asked_for() {
        assert_eq!(resolve(&cli(&[]), true), Mode::Run(Output::Console));
        assert_eq!(
            resolve(&cli(&[]), false),
            Mode::Run(Output::ReportNotATerminal)
        );
        for asked in [
            &["--report"][..],
            &["--format", "json"],
            &["-o", "r.txt"],
            &["--check-password"],
        ] {
            for tty in [true, false] {
                assert_eq!(
                    resolve(&cli(asked), tty),
                    Mode::Run(Output::Report),
                    "{asked:?} tty={tty}"
                );
            }
        }
    }

    #[test]
    fn subcommands_are_told_apart_once() {
        assert_eq!(
            resolve(&cli(&["explain", "--list"]), true),
            Mode::ExplainList
        );
        assert_eq!(
            resolve(&cli(&["explain", "8013"]), true),
            Mode::Explain {
                text: vec!["8013".into()]
            }
        );
        assert_eq!(resolve(&cli(&["demo", "--list"]), true), Mode::DemoList);
        assert_eq!(
            resolve(&cli(&["demo"]), false),
            Mode::Demo {
                scenario: None,
                output: Output::ReportNotATerminal
            }
        );
        assert_eq!(resolve(&cli(&["--list-checks"]), true), Mode::ListChecks);
        assert_eq!(
            resolve(&cli(&["remote", "pc-17"]), true),
            Mode::Remote {
                output: Output::Console
            }
        );
    }
}
