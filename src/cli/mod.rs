//! The command line: flags, help text, exit codes (parsing only; `main` dispatches), the
//! `--list-checks` listing and the `remote` subcommand over the system's ssh.
//!
//! Must not import: the console (`crate::tui`).
//!
//! The derive structs say what is parsed; every word `--help` shows comes from the
//! catalogue (assets/messages/cli.yaml), in the language the reports use, put in by
//! [`command`] before parsing.

pub mod listing;
pub mod mode;
pub mod remote;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Arg, ArgAction, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::i18n::{self, Lang};
use crate::report::Format;

pub const EXIT_HEALTHY: i32 = 0;
pub const EXIT_BLOCKING: i32 = 1;
pub const EXIT_WARNINGS: i32 = 2;
pub const EXIT_USAGE: i32 = 64;
pub const EXIT_IO: i32 = 74;
pub const EXIT_PROFILE: i32 = 78;

// What each flag and subcommand means: cli.arg.<field> and cli.cmd.<name>.* in
// assets/messages/cli.yaml (no doc comments here: clap would take them for help text).
#[derive(Debug, Parser)]
#[command(name = "ecpa-doctor", version)]
pub struct Cli {
    #[arg(long, global = true)]
    pub report: bool,

    #[arg(long, value_enum, global = true)]
    pub format: Option<Format>,

    #[arg(long, short = 'o', value_name = "FILE", global = true)]
    pub output: Option<PathBuf>,

    #[arg(long, value_name = "ID", global = true)]
    pub ticket: Option<String>,

    #[arg(long, global = true)]
    pub show_pii: bool,

    #[arg(long, value_name = "NAME", global = true)]
    pub user: Option<String>,

    #[arg(long, value_name = "FILE")]
    pub profile: Option<PathBuf>,

    #[arg(long)]
    pub list_checks: bool,

    #[arg(long = "check", value_name = "ID")]
    pub checks: Vec<String>,

    #[arg(long, value_name = "LANG", value_parser = parse_lang, global = true)]
    pub lang: Option<crate::i18n::Lang>,

    #[arg(long, global = true)]
    pub ascii: bool,

    #[arg(long, global = true)]
    pub check_password: bool,

    #[arg(long, value_name = "TEXT")]
    pub message: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Explain {
        #[arg(long)]
        list: bool,
        text: Vec<String>,
    },
    Remote {
        destination: String,
        #[arg(long = "ssh-option", value_name = "OPTION")]
        ssh_options: Vec<String>,
        #[arg(long, value_name = "PATH", default_value = "ecpa-doctor")]
        remote_command: String,
    },
    Demo {
        scenario: Option<String>,
        #[arg(long)]
        list: bool,
    },
    CheckInstaller {
        file: std::path::PathBuf,
        #[arg(long, value_name = "HEX")]
        md5: Option<String>,
    },
    Fleet {
        #[command(subcommand)]
        action: FleetAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum FleetAction {
    Summarize {
        #[arg(required = true, value_name = "REPORT")]
        reports: Vec<PathBuf>,
    },
    View {
        #[arg(required = true, value_name = "REPORT")]
        reports: Vec<PathBuf>,
    },
}

// The derive needs a parser for `--lang`; `localize` swaps in one that answers in the
// help's language.
fn parse_lang(s: &str) -> Result<Lang, String> {
    parse_lang_in(s, Lang::En)
}

fn parse_lang_in(s: &str, lang: Lang) -> Result<Lang, String> {
    Lang::parse(s).ok_or_else(|| {
        i18n::fill(
            &i18n::ui("cli.error.bad_lang", lang),
            &[("value".to_string(), s.to_string())],
        )
    })
}

/// The command line of this process, with help in the language the reports would use:
/// `--lang` when given, else the locale.
pub fn parse() -> Result<Cli, clap::Error> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let lang = lang_in_args(&args).unwrap_or_else(|| Lang::from_locale(&|k| std::env::var(k).ok()));
    parse_from(args, lang)
}

/// `args` (the program name first) parsed by [`command`] in `lang`.
pub fn parse_from(args: Vec<OsString>, lang: Lang) -> Result<Cli, clap::Error> {
    let mut cmd = command(lang);
    let mut matches = cmd.try_get_matches_from_mut(args)?;
    Cli::from_arg_matches_mut(&mut matches).map_err(|e| e.format(&mut cmd))
}

/// A valid `--lang X` or `--lang=X` before any `--`: `--help` is printed while parsing,
/// so its language has to be known before clap has read the command line.
pub fn lang_in_args(args: &[OsString]) -> Option<Lang> {
    let mut rest = args.iter().skip(1).map(|a| a.to_str());
    while let Some(arg) = rest.next() {
        match arg {
            Some("--") => return None,
            Some("--lang") => return rest.next().flatten().and_then(Lang::parse),
            Some(a) => {
                if let Some(value) = a.strip_prefix("--lang=") {
                    return Lang::parse(value);
                }
            }
            None => {}
        }
    }
    None
}

/// Sorts clap's own flags after ours, where clap puts its built-in ones.
const BUILT_IN_ORDER: usize = 999;

/// The parser with every help text, heading and built-in flag in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    finish(Cli::command(), lang)
}

/// `cmd` (the derived parser, perhaps with settings for all of it) in `lang`, built.
fn finish(cmd: clap::Command, lang: Lang) -> clap::Command {
    let mut cmd = localize(cmd, None, lang).disable_version_flag(true).arg(
        Arg::new("version")
            .short('V')
            .long("version")
            .action(ArgAction::Version)
            .help(i18n::ui("cli.arg.version", lang))
            .display_order(BUILT_IN_ORDER),
    );
    // clap adds the `help` subcommand (and its copy of the tree) only when it builds the
    // command, so its text can only be replaced afterwards. Arguments must not be changed
    // after this point: a built command indexes them by position.
    cmd.build();
    let help_about = i18n::ui("cli.cmd.help.about", lang);
    cmd.mut_subcommand("help", |help| {
        let inner_about = help_about.clone();
        help.about(help_about)
            .help_template(template(lang, true, false, false))
            .mut_subcommand("help", |inner| inner.about(inner_about))
    })
}

/// `cmd` (the top level when `name` is None, else that subcommand and its own arguments)
/// with the catalogue's texts; global arguments are done once, at the top.
fn localize(cmd: clap::Command, name: Option<&str>, lang: Lang) -> clap::Command {
    let key = |rest: &str| text_key(name, rest);
    let optional = |rest: &str| {
        i18n::messages()
            .ui
            .get(&key(rest))
            .map(|t| t.get(lang).to_string())
    };
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    let subcommands: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    let positionals = cmd.get_positionals().next().is_some();

    let mut cmd = cmd
        .about(i18n::ui(&key("about"), lang))
        .help_template(template(lang, !subcommands.is_empty(), positionals, true));
    if let Some(text) = optional("long_about") {
        cmd = cmd.long_about(text);
    }
    if let Some(text) = optional("after_help") {
        cmd = cmd.after_help(text);
    }
    // mut_arg moves the argument to the end: doing every one, in order, keeps the order.
    for id in &ids {
        let text = i18n::ui(&key(&format!("arg.{id}")), lang);
        cmd = cmd.mut_arg(id, |a| {
            let a = a.help(text);
            // clap's "[possible values: …]" and "[default: …]" are English; the other
            // languages' texts name them (a test checks).
            let shown = lang != Lang::En && a.get_action().takes_values();
            let values = shown && !a.get_possible_values().is_empty();
            let default = shown && !a.get_default_values().is_empty();
            a.hide_possible_values(values).hide_default_value(default)
        });
    }
    if ids.iter().any(|id| id == "lang") {
        cmd = cmd.mut_arg("lang", |a| {
            a.value_parser(move |s: &str| parse_lang_in(s, lang))
        });
    }
    let long = cmd.get_long_about().is_some();
    let help = Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .display_order(BUILT_IN_ORDER);
    let help = if long {
        help.help(i18n::ui("cli.arg.help.more", lang))
            .long_help(i18n::ui("cli.arg.help.summary", lang))
    } else {
        help.help(i18n::ui("cli.arg.help", lang))
    };
    cmd = cmd.disable_help_flag(true).arg(help);
    for sub in &subcommands {
        cmd = cmd.mut_subcommand(sub, |sc| localize(sc, Some(sub), lang));
    }
    cmd
}

/// Where a command's texts are: `cli.<rest>` for the top level (and the global flags),
/// `cli.cmd.<name>.<rest>` for a subcommand.
fn text_key(command: Option<&str>, rest: &str) -> String {
    match command {
        None => format!("cli.{rest}"),
        Some(name) => format!("cli.cmd.{name}.{rest}"),
    }
}

/// clap's help layout with the catalogue's headings: usage, then each section the
/// command has, then the after-help.
fn template(lang: Lang, subcommands: bool, positionals: bool, options: bool) -> String {
    let mut t = format!(
        "{{before-help}}{{about-with-newline}}\n{}",
        i18n::ui("cli.heading.usage", lang)
    );
    for (present, heading, tag) in [
        (subcommands, "cli.heading.commands", "{subcommands}"),
        (positionals, "cli.heading.arguments", "{positionals}"),
        (options, "cli.heading.options", "{options}"),
    ] {
        if present {
            t.push_str("\n\n");
            t.push_str(&i18n::ui(heading, lang));
            t.push('\n');
            t.push_str(tag);
        }
    }
    t.push_str("{after-help}");
    t
}

impl Cli {
    pub fn format(&self) -> Format {
        self.format.unwrap_or(Format::Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    const LANGS: [Lang; 2] = [Lang::ZhTw, Lang::En];

    fn catalogued(key: &str) -> bool {
        i18n::messages()
            .ui
            .get(key)
            .is_some_and(|t| LANGS.iter().all(|&l| !t.get(l).trim().is_empty()))
    }

    /// Every flag and subcommand the parser has, so a new one without its texts fails here
    /// rather than showing its catalogue key in `--help`.
    #[test]
    fn every_argument_and_subcommand_has_texts_in_both_languages() {
        let root = Cli::command();
        let mut missing = Vec::new();
        let mut need = |key: String| {
            if !catalogued(&key) {
                missing.push(key);
            }
        };
        need(text_key(None, "about"));
        need(text_key(None, "after_help"));
        for a in root.get_arguments() {
            need(text_key(None, &format!("arg.{}", a.get_id())));
        }
        assert!(root.get_subcommands().count() >= 4);
        for sc in root.get_subcommands() {
            need(text_key(Some(sc.get_name()), "about"));
            for a in sc.get_arguments() {
                need(text_key(
                    Some(sc.get_name()),
                    &format!("arg.{}", a.get_id()),
                ));
            }
        }
        for key in [
            "cli.arg.help",
            "cli.arg.help.more",
            "cli.arg.help.summary",
            "cli.arg.version",
            "cli.cmd.help.about",
            "cli.heading.usage",
            "cli.heading.commands",
            "cli.heading.arguments",
            "cli.heading.options",
        ] {
            need(key.to_string());
        }
        assert!(
            missing.is_empty(),
            "not in assets/messages/cli.yaml (both languages): {missing:?}"
        );
    }

    /// Every command's help, short and long, as a terminal `width` columns wide shows it.
    fn pages(lang: Lang, width: usize) -> Vec<(String, String)> {
        let mut cmd = finish(Cli::command().term_width(width), lang);
        let names: Vec<String> = cmd
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .collect();
        let mut out = vec![
            ("-h".to_string(), cmd.render_help().to_string()),
            ("--help".to_string(), cmd.render_long_help().to_string()),
        ];
        for name in names {
            let sc = cmd.find_subcommand_mut(&name).unwrap();
            out.push((format!("{name} -h"), sc.render_help().to_string()));
            out.push((format!("{name} --help"), sc.render_long_help().to_string()));
        }
        out
    }

    #[test]
    fn every_help_page_is_in_its_language_with_nothing_missing() {
        for lang in LANGS {
            for (page, text) in pages(lang, 100) {
                assert!(
                    !text.contains("cli."),
                    "{lang:?} {page} shows a catalogue key:\n{text}"
                );
                let (ours, clap_words) = match lang {
                    Lang::ZhTw => (
                        "用法：",
                        [
                            "Usage:",
                            "Options:",
                            "Arguments:",
                            "Commands:",
                            "Print help",
                            "Print version",
                            "possible values",
                            "default:",
                        ],
                    ),
                    Lang::En => (
                        "Usage:",
                        [
                            "用法",
                            "選項",
                            "引數",
                            "命令：",
                            "顯示說明",
                            "顯示版本",
                            "可重複",
                            "預設",
                        ],
                    ),
                };
                assert!(text.contains(ours), "{lang:?} {page}:\n{text}");
                for word in clap_words {
                    assert!(
                        !text.contains(word),
                        "{lang:?} {page} has {word:?}:\n{text}"
                    );
                }
            }
        }
    }

    /// clap measures a CJK character as one column and breaks lines only at ASCII spaces,
    /// so the zh-TW texts break their own lines; this is the check that they fit. (The
    /// English ones clap wraps itself; the top-level about, with 健保卡 and 人事服務網 in
    /// it, comes out 2 columns too wide at exactly 80, until clap's `unicode` feature.)
    #[test]
    fn chinese_help_fits_an_80_column_terminal() {
        for lang in [Lang::ZhTw] {
            for (page, text) in pages(lang, 80) {
                for line in text.lines() {
                    assert!(
                        line.width() <= 80,
                        "{lang:?} {page}: {} columns: {line:?}",
                        line.width()
                    );
                }
            }
        }
    }

    #[test]
    fn chinese_texts_name_the_values_clap_no_longer_lists() {
        let root = Cli::command();
        let mut args: Vec<(Option<&str>, &Arg)> = root.get_arguments().map(|a| (None, a)).collect();
        for sc in root.get_subcommands() {
            args.extend(sc.get_arguments().map(|a| (Some(sc.get_name()), a)));
        }
        let mut checked = 0;
        for (command, arg) in args
            .into_iter()
            .filter(|(_, a)| a.get_action().takes_values())
        {
            let text = i18n::ui(
                &text_key(command, &format!("arg.{}", arg.get_id())),
                Lang::ZhTw,
            );
            let values = arg
                .get_possible_values()
                .into_iter()
                .map(|v| v.get_name().to_string());
            let defaults = arg
                .get_default_values()
                .iter()
                .map(|v| v.to_string_lossy().into_owned());
            for value in values.chain(defaults) {
                assert!(
                    text.contains(&value),
                    "{}: the zh-TW text does not name {value:?}: {text}",
                    arg.get_id()
                );
                checked += 1;
            }
        }
        assert!(
            checked >= 4,
            "format's three values and remote's default: {checked}"
        );
    }

    /// The description column of the Examples block, in terminal columns, of each line
    /// whose command and description are set apart by two or more spaces.
    fn example_columns(after_help: &str) -> Vec<(usize, String)> {
        let mut lines = after_help
            .lines()
            .skip_while(|l| !(l.starts_with("Examples") || l.starts_with("範例")))
            .skip(1);
        let mut columns = Vec::new();
        for line in lines.by_ref().take_while(|l| !l.trim().is_empty()) {
            let body = line.trim_start();
            let indent = line.len() - body.len();
            if let Some(gap) = body.rfind("  ") {
                let description = body[gap..].trim_start();
                let column = line[..line.len() - description.len()].width();
                columns.push((column, line.to_string()));
            } else if indent > 2 {
                columns.push((indent, line.to_string()));
            }
        }
        columns
    }

    #[test]
    fn examples_line_up_in_terminal_columns() {
        for lang in LANGS {
            let columns = example_columns(&i18n::ui("cli.after_help", lang));
            assert!(columns.len() >= 9, "{lang:?}: {columns:?}");
            let first = columns[0].0;
            for (column, line) in &columns {
                assert_eq!(
                    *column, first,
                    "{lang:?}: this description starts at column {column}, not {first}: {line:?}"
                );
            }
        }
    }

    #[test]
    fn language_is_found_on_the_command_line_before_parsing() {
        let args = |a: &[&str]| {
            std::iter::once("ecpa-doctor")
                .chain(a.iter().copied())
                .map(OsString::from)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            lang_in_args(&args(&["--help", "--lang", "en"])),
            Some(Lang::En)
        );
        assert_eq!(
            lang_in_args(&args(&["demo", "--lang=zh-TW", "-h"])),
            Some(Lang::ZhTw)
        );
        assert_eq!(lang_in_args(&args(&["--lang", "fr", "--help"])), None);
        assert_eq!(
            lang_in_args(&args(&["explain", "--", "--lang", "en"])),
            None
        );
        assert_eq!(lang_in_args(&args(&["--help"])), None);
        assert_eq!(lang_in_args(&args(&["--lang"])), None);
    }

    #[test]
    fn parsing_gives_the_same_options_in_either_language() {
        let argv = |a: &[&str]| {
            std::iter::once("ecpa-doctor")
                .chain(a.iter().copied())
                .map(OsString::from)
                .collect::<Vec<_>>()
        };
        for lang in LANGS {
            let cli = parse_from(
                argv(&["--format", "json", "--check", "card", "--lang", "en"]),
                lang,
            )
            .unwrap();
            assert_eq!(
                (cli.format(), cli.checks.as_slice(), cli.lang),
                (
                    Format::Json,
                    ["card".to_string()].as_slice(),
                    Some(Lang::En)
                )
            );
            let cli = parse_from(argv(&["remote", "pc-1"]), lang).unwrap();
            assert!(
                matches!(cli.command, Some(Command::Remote { ref remote_command, .. }) if remote_command == "ecpa-doctor")
            );
            let err = parse_from(argv(&["--lang", "fr"]), lang).unwrap_err();
            assert!(
                err.use_stderr() && err.to_string().contains("zh-TW"),
                "{err}"
            );
            let help = parse_from(argv(&["help", "demo"]), lang).unwrap_err();
            assert_eq!(help.kind(), clap::error::ErrorKind::DisplayHelp);
            assert!(
                help.to_string()
                    .contains(&i18n::ui("cli.cmd.demo.arg.list", lang)),
                "{help}"
            );
        }
    }
}
