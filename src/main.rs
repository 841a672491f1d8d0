use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use ecpa_doctor::cli::mode::{self, Mode, Output};
use ecpa_doctor::cli::{self, Cli, Command};
use ecpa_doctor::engine::run::{self, Request};
use ecpa_doctor::engine::{Profile, ProfileError};
use ecpa_doctor::i18n::{self, Lang};
use ecpa_doctor::report;
use ecpa_doctor::report::model::{self as model, HostInfo};
use ecpa_doctor::system::System;

fn main() -> ExitCode {
    let cli = match cli::parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { cli::EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code as u8);
        }
    };
    ExitCode::from(real_main(cli) as u8)
}

fn real_main(cli: Cli) -> i32 {
    let lang = cli
        .lang
        .unwrap_or_else(|| Lang::from_locale(&|k| std::env::var(k).ok()));
    let (profile, output) = match mode::resolve(&cli, std::io::stdout().is_terminal()) {
        Mode::FleetSummarize { reports } => return fleet_summarize(&cli, &reports, lang),
        Mode::FleetView { reports } => return fleet_view(&reports, lang),
        Mode::ExplainList => {
            print!("{}", ecpa_doctor::account::explain::list(lang));
            return 0;
        }
        Mode::DemoList => {
            print!("{}", ecpa_doctor::demo::list(lang));
            return 0;
        }
        Mode::Demo { scenario, output } => {
            return demo_main(&cli, scenario.as_deref(), output, lang);
        }
        Mode::Remote { output } => {
            let Some(Command::Remote {
                destination,
                ssh_options,
                remote_command,
            }) = &cli.command
            else {
                unreachable!("the remote mode comes from the remote subcommand");
            };
            let target = ecpa_doctor::cli::remote::Target {
                destination: destination.clone(),
                ssh_options: ssh_options.clone(),
                remote_command: remote_command.clone(),
                connect_timeout: std::time::Duration::from_secs(8),
            };
            return remote_main(&cli, target, output, lang);
        }
        Mode::Explain { text } => match explain_text(&text, lang) {
            Ok(t) => (
                ecpa_doctor::account::explain::profile_for(&t),
                Output::Report,
            ),
            Err(e) => {
                eprintln!("ecpa-doctor: cannot read the message: {e}");
                return cli::EXIT_USAGE;
            }
        },
        Mode::CheckInstaller { file, md5 } => {
            match ecpa_doctor::component::installer::profile_for(&file, md5.as_deref()) {
                Ok(p) => (p, Output::Report),
                Err(e) => {
                    eprintln!("ecpa-doctor: {e}");
                    return cli::EXIT_USAGE;
                }
            }
        }
        Mode::ListChecks => match load_profile(&cli) {
            Ok(p) => {
                print!("{}", ecpa_doctor::cli::listing::render(&p, lang));
                return 0;
            }
            Err(e) => {
                eprintln!("ecpa-doctor: invalid profile: {e}");
                return cli::EXIT_PROFILE;
            }
        },
        Mode::Run(output) => match load_profile(&cli) {
            Ok(p) => match &cli.message {
                Some(m) => (ecpa_doctor::account::explain::with_message(&p, m), output),
                None => (p, output),
            },
            Err(e) => {
                eprintln!("ecpa-doctor: invalid profile: {e}");
                return cli::EXIT_PROFILE;
            }
        },
    };
    let only = match selected(&profile, &cli.checks) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("ecpa-doctor: {msg}");
            return cli::EXIT_USAGE;
        }
    };
    if output == Output::ReportNotATerminal {
        eprintln!("ecpa-doctor: {}", i18n::ui("cli.no_tty_report", lang));
    }
    let profile = Arc::new(profile);
    if output == Output::Console {
        return open_console(&cli, profile, lang, only);
    }
    let plan =
        match ecpa_doctor::account::password_prompt::plan(&profile, only, cli.check_password, lang)
        {
            Ok(p) => p,
            Err(msg) => {
                eprintln!("ecpa-doctor: {msg}");
                return cli::EXIT_USAGE;
            }
        };
    let rt = runtime();
    let request = Request {
        only: plan.only,
        password: plan.password,
        previous: Default::default(),
    };
    let result = run_engine(&rt, profile.clone(), Arc::new(real_system(&cli)), request);
    // A probe stuck in a system call must not keep the process alive after its timeout.
    rt.shutdown_background();

    let opts = model::Options {
        lang,
        reveal_pii: cli.show_pii,
        ticket: cli.ticket.clone(),
        demo: false,
        host: HostInfo::detect(),
    };
    let rep = model::build(&profile, &result, &opts);
    let text = report::render(&rep, cli.format());
    if let Err(e) = emit(&cli, &text) {
        eprintln!("ecpa-doctor: {e}");
        return cli::EXIT_IO;
    }
    rep.exit_code
}

/// This machine, looked at for the user `--user` names (their browser profiles).
fn real_system(cli: &Cli) -> System {
    let mut s = System::real();
    s.user = cli.user.clone();
    s
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// One run of the engine, then the connections still closing in the background are given
/// a bounded moment to end gracefully: the component dies of a client that vanishes
/// while it still writes, and the process is about to exit.
fn run_engine(
    rt: &tokio::runtime::Runtime,
    profile: Arc<Profile>,
    system: Arc<System>,
    request: Request,
) -> run::RunResult {
    rt.block_on(async {
        let result = run::run(profile, system, request, None).await;
        ecpa_doctor::bridge::farewell::settle(ecpa_doctor::bridge::farewell::EXIT_GRACE).await;
        result
    })
}

/// The interactive console (no mode flag, on a terminal).
fn open_console(
    cli: &Cli,
    profile: Arc<Profile>,
    lang: Lang,
    only: Option<HashSet<String>>,
) -> i32 {
    let cfg = ecpa_doctor::tui::Config {
        profile,
        system: Arc::new(real_system(cli)),
        lang,
        reveal_pii: cli.show_pii,
        ticket: cli.ticket.clone(),
        ascii: cli.ascii,
        only,
        demo: None,
    };
    ecpa_doctor::tui::run(cfg)
}

/// `demo`: a scenario's simulated machine, in the console (on a terminal) or as a report
/// marked as demo data.
fn demo_main(cli: &Cli, scenario: Option<&str>, output: Output, lang: Lang) -> i32 {
    use ecpa_doctor::demo;
    let id = scenario.unwrap_or(demo::HEALTHY);
    let Some(chosen) = demo::scenario::find(id) else {
        eprintln!(
            "ecpa-doctor: {}",
            i18n::fill(
                &i18n::ui("demo.unknown_scenario", lang),
                &[("id".to_string(), id.to_string())]
            )
        );
        return cli::EXIT_USAGE;
    };
    let base = match load_profile(cli) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ecpa-doctor: invalid profile: {e}");
            return cli::EXIT_PROFILE;
        }
    };
    if output == Output::Console {
        let session = match demo::Session::start(base, chosen) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("ecpa-doctor: {}: {e}", i18n::ui("demo.start_failed", lang));
                return cli::EXIT_IO;
            }
        };
        let only = match selected(&session.profile(), &cli.checks) {
            Ok(o) => o,
            Err(msg) => {
                eprintln!("ecpa-doctor: {msg}");
                return cli::EXIT_USAGE;
            }
        };
        let cfg = ecpa_doctor::tui::Config {
            profile: session.profile(),
            system: session.system(),
            lang,
            reveal_pii: cli.show_pii,
            ticket: cli.ticket.clone(),
            ascii: cli.ascii,
            only,
            demo: Some(session),
        };
        return ecpa_doctor::tui::run(cfg);
    }
    if output == Output::ReportNotATerminal {
        eprintln!("ecpa-doctor: {}", i18n::ui("cli.no_tty_report", lang));
    }
    let world = match demo::World::build(chosen, &base) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("ecpa-doctor: {}: {e}", i18n::ui("demo.start_failed", lang));
            return cli::EXIT_IO;
        }
    };
    let only = match selected(&world.profile, &cli.checks) {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("ecpa-doctor: {msg}");
            return cli::EXIT_USAGE;
        }
    };
    let (only, password) = if cli.check_password {
        // As in a real run: the warning, then the password typed or one line of standard
        // input. The world's profile asks only the demo's own verification service.
        eprintln!("{}", i18n::ui("demo.password_local", lang));
        match ecpa_doctor::account::password_prompt::plan(&world.profile, only, true, lang) {
            Ok(plan) => (plan.only, plan.password),
            Err(msg) => {
                eprintln!("ecpa-doctor: {msg}");
                return cli::EXIT_USAGE;
            }
        }
    } else {
        // As on a real machine, the password check runs only when asked for; a scenario
        // whose story is about that check (its expected root cause) includes it, and
        // without a password it says how to ask.
        let asked = chosen
            .expect
            .finding()
            .and_then(|(check, _)| world.profile.check(check))
            .is_some_and(|c| c.descriptor.on_request);
        (
            if asked {
                only
            } else {
                ecpa_doctor::probes::registration::automatic(&world.profile, only)
            },
            None,
        )
    };
    let rt = runtime();
    let result = run_engine(
        &rt,
        world.profile.clone(),
        world.system.clone(),
        Request {
            only,
            password,
            ..Default::default()
        },
    );
    rt.shutdown_background();
    let opts = model::Options {
        lang,
        reveal_pii: cli.show_pii,
        ticket: cli.ticket.clone(),
        demo: true,
        host: HostInfo::detect(),
    };
    let rep = model::build(&world.profile, &result, &opts);
    if let Err(e) = emit(cli, &report::render(&rep, cli.format())) {
        eprintln!("ecpa-doctor: {e}");
        return cli::EXIT_IO;
    }
    rep.exit_code
}

/// `remote`: check the far side first, then open its console or fetch its report.
fn remote_main(
    cli: &Cli,
    target: ecpa_doctor::cli::remote::Target,
    output: Output,
    lang: Lang,
) -> i32 {
    use ecpa_doctor::cli::remote;
    let profile = match remote::profile_for(&target) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("ecpa-doctor: {e}");
            return cli::EXIT_USAGE;
        }
    };
    let rt = runtime();
    let result = run_engine(
        &rt,
        profile.clone(),
        Arc::new(real_system(cli)),
        Request::default(),
    );
    let passed = result
        .outcomes
        .iter()
        .all(|(_, o)| o.status == ecpa_doctor::engine::Status::Pass);
    if !passed {
        rt.shutdown_background();
        let opts = model::Options {
            lang,
            reveal_pii: false,
            ticket: cli.ticket.clone(),
            demo: false,
            host: HostInfo::detect(),
        };
        let rep = model::build(&profile, &result, &opts);
        return match emit(cli, &report::render(&rep, cli.format())) {
            Ok(()) => rep.exit_code,
            Err(e) => {
                eprintln!("ecpa-doctor: {e}");
                cli::EXIT_IO
            }
        };
    }
    let mut args = vec!["--lang".to_string(), lang.code().to_string()];
    if cli.show_pii {
        args.push("--show-pii".into());
    }
    if output == Output::Console {
        rt.shutdown_background();
        return remote::open_console(&target, &args);
    }
    if let Some(t) = &cli.ticket {
        args.extend(["--ticket".to_string(), t.clone()]);
    }
    let fetched = rt.block_on(remote::fetch_report(
        &target,
        &args,
        std::time::Duration::from_secs(180),
    ));
    rt.shutdown_background();
    match fetched {
        Ok(rep) => match emit(cli, &report::render(&rep, cli.format())) {
            Ok(()) => rep.exit_code,
            Err(e) => {
                eprintln!("ecpa-doctor: {e}");
                cli::EXIT_IO
            }
        },
        Err(e) => {
            eprintln!(
                "ecpa-doctor: {}: {e}",
                i18n::ui("remote.fetch_failed", lang)
            );
            cli::EXIT_BLOCKING
        }
    }
}

/// The words after `explain`, or standard input when there are none.
fn explain_text(words: &[String], lang: Lang) -> std::io::Result<String> {
    if !words.is_empty() {
        return Ok(words.join(" "));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprintln!("{}", i18n::ui("explain.reading_stdin", lang));
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdin.lock(), &mut text)?;
    Ok(text)
}

/// The sweep's reports, read; `Err`: the exit status, said on standard error.
fn fleet_entries(
    reports: &[std::path::PathBuf],
    lang: Lang,
) -> Result<Vec<(String, std::path::PathBuf, ecpa_doctor::fleet::Entry)>, i32> {
    match ecpa_doctor::fleet::read_paths(reports) {
        Ok(e) if e.is_empty() => {
            eprintln!("ecpa-doctor: {}", i18n::ui("fleet.no_reports", lang));
            Err(cli::EXIT_USAGE)
        }
        Ok(e) => Ok(e),
        Err(e) => {
            eprintln!("ecpa-doctor: {e}");
            Err(cli::EXIT_IO)
        }
    }
}

fn fleet_summarize(cli: &Cli, reports: &[std::path::PathBuf], lang: Lang) -> i32 {
    use ecpa_doctor::fleet::render;
    let entries = match fleet_entries(reports, lang) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let summary = ecpa_doctor::fleet::summarize(&entries, lang);
    let text = match cli.format() {
        report::Format::Text => render::text(&summary),
        report::Format::Markdown => render::markdown(&summary),
        report::Format::Json => render::json(&summary),
        report::Format::Csv => render::csv(&summary),
    };
    if let Err(e) = emit(cli, &text) {
        eprintln!("ecpa-doctor: {e}");
        return cli::EXIT_IO;
    }
    summary.exit_code
}

fn fleet_view(reports: &[std::path::PathBuf], lang: Lang) -> i32 {
    let entries = match fleet_entries(reports, lang) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let summary = ecpa_doctor::fleet::summarize(&entries, lang);
    match ecpa_doctor::tui::fleet::run(summary, lang) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ecpa-doctor: {e}");
            cli::EXIT_IO
        }
    }
}

fn load_profile(cli: &Cli) -> Result<Profile, ProfileError> {
    match &cli.profile {
        Some(path) => Profile::load(path, ecpa_doctor::probes::KINDS),
        None => Ok(ecpa_doctor::probes::builtin_profile()),
    }
}

/// `--check ID`: those checks plus everything they need, so they can run at all.
fn selected(profile: &Profile, ids: &[String]) -> Result<Option<HashSet<String>>, String> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut set = HashSet::new();
    let mut todo: Vec<String> = ids.to_vec();
    while let Some(id) = todo.pop() {
        let Some(c) = profile.check(&id) else {
            let known: Vec<&str> = profile.checks.iter().map(|c| c.id.as_str()).collect();
            return Err(format!(
                "no check `{id}` in the profile; checks are: {}",
                known.join(", ")
            ));
        };
        if set.insert(id) {
            todo.extend(c.waits_for().cloned());
        }
    }
    Ok(Some(set))
}

/// A report file as written with `-o`. On Windows a text or Markdown report starts with a
/// UTF-8 byte-order mark: Notepad before Windows 10 1903, Excel and Windows PowerShell 5.1's
/// `Get-Content` otherwise read a file without one in the ANSI code page (Big5 on a
/// Traditional Chinese Windows) and show the Chinese garbled. JSON never gets one (RFC 8259
/// forbids it, and parsers refuse it).
fn file_bytes(text: &str, format: report::Format, windows: bool) -> Vec<u8> {
    let bom = windows && !matches!(format, report::Format::Json);
    let mut out = Vec::with_capacity(text.len() + 3);
    if bom {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    out.extend_from_slice(text.as_bytes());
    out
}

fn emit(cli: &Cli, text: &str) -> std::io::Result<()> {
    match &cli.output {
        Some(path) => {
            std::fs::write(path, file_bytes(text, cli.format(), cfg!(windows))).map_err(|e| {
                std::io::Error::new(e.kind(), format!("cannot write {}: {e}", path.display()))
            })
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_windows_text_and_markdown_files_get_a_byte_order_mark() {
        let bom = "\u{feff}".as_bytes();
        for format in [report::Format::Text, report::Format::Markdown] {
            assert!(file_bytes("報告", format, true).starts_with(bom));
            assert_eq!(file_bytes("報告", format, false), "報告".as_bytes());
        }
        assert_eq!(file_bytes("{}", report::Format::Json, true), b"{}".to_vec());
    }
}
