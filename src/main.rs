use dashshare::cli::{Cli, OutputFormat};

fn main() -> std::process::ExitCode {
    // `--jq` runs its filter in a child of this binary, bounded (output::jq::contained).
    let mut args = std::env::args();
    if args.nth(1).as_deref() == Some(dashshare::output::jq::WORKER_ARG) {
        return dashshare::output::jq::worker(&args.next().unwrap_or_default());
    }
    dashshare::output::jq::serve_workers();
    forget_empty_settings();
    // A shell asking for completions (the script of `dashshare completions SHELL`) is answered
    // here, and the process ends.
    clap_complete::CompleteEnv::with_factory(dashshare::usage::command)
        .var(dashshare::commands::completions::COMPLETE_VAR)
        .complete();
    let mut cli = match dashshare::usage::parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(err) => return refuse_invocation(err),
    };
    let json = cli.global.output == OutputFormat::Json;
    if let Err(message) = cli.global.noise_from_env(&|name| std::env::var(name).ok()) {
        return fail(&dashshare::Error::invalid(message), json);
    }
    let logging = dashshare::logging::LogOptions {
        verbose: cli.global.verbose,
        quiet: cli.global.quiet,
        log_file: cli.global.log_file.as_deref(),
        rust_log: std::env::var("RUST_LOG").ok(),
    };
    if let Err(err) = dashshare::logging::init(&logging) {
        return fail(&err, json);
    }
    if let Err(err) = use_jq(&cli) {
        return fail(&err, json);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return fail(
                &dashshare::Error::local(format!("cannot start the async runtime: {err}")),
                json,
            );
        }
    };
    match runtime.block_on(dashshare::commands::run(cli)) {
        // A signal during `--jq` (the work done, its filter stopped) ends as the signal says.
        Ok(()) if let Some(signal) = dashshare::signal::received() => {
            std::process::ExitCode::from(signal.exit_status())
        }
        // The work stands and was printed whole; the expression that failed on it is bad input.
        Ok(()) if dashshare::output::jq_failed() => std::process::ExitCode::from(2),
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => fail(&err, json),
    }
}

/// A DASHSHARE_* variable set to "" (a CI template's missing value) means "not set", as it did
/// before clap read the flags' variables; clap would refuse an empty --config or --timeout.
fn forget_empty_settings() {
    let empty: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(name, value)| {
            // An empty DASHSHARE_PAGER means "no pager", as an empty PAGER does.
            name.to_str()
                .is_some_and(|name| name.starts_with("DASHSHARE_") && name != "DASHSHARE_PAGER")
                && value.is_empty()
        })
        .map(|(name, _)| name)
        .collect();
    for name in empty {
        // SAFETY: called first thing in `main`, before the runtime or any other thread exists,
        // so no other thread can be reading the environment.
        unsafe { std::env::remove_var(name) };
    }
}

/// The error on stderr, and under `-o json` as a document on stdout too (scripts read stdout).
fn fail(err: &dashshare::Error, json: bool) -> std::process::ExitCode {
    dashshare::output::print_diagnostic(&format!("error: {err}"));
    if json {
        dashshare::output::print_json_error(err);
    }
    std::process::ExitCode::from(err.exit_code() as u8)
}

/// `--jq` filters the JSON document, like gh's `--jq` needs `--json`; a bad expression is
/// refused before the command runs.
fn use_jq(cli: &Cli) -> dashshare::Result<()> {
    let Some(expr) = &cli.global.jq else {
        return Ok(());
    };
    if cli.global.output != OutputFormat::Json {
        return Err(dashshare::Error::invalid(format!(
            "--jq '{expr}' filters the JSON output: add -o json"
        )));
    }
    dashshare::output::set_json_filter(expr)
}

/// clap's own refusal (exit 2), as clap prints it; under `-o json` (read from what did parse)
/// also as an error document on stdout. Help and --version print as usual.
fn refuse_invocation(err: clap::Error) -> std::process::ExitCode {
    if !err.use_stderr() {
        err.exit();
    }
    let json = dashshare::usage::command()
        .ignore_errors(true)
        .try_get_matches()
        .ok()
        .and_then(|matches| {
            matches
                .try_get_one::<OutputFormat>("output")
                .ok()
                .flatten()
                .copied()
        })
        == Some(OutputFormat::Json);
    if !json {
        err.exit();
    }
    let message = err.render().to_string();
    let _ = err.print();
    let refused = dashshare::Error::invalid(message.trim().trim_start_matches("error: "));
    dashshare::output::print_json_error(&refused);
    std::process::ExitCode::from(dashshare::ExitCode::BadInput as u8)
}
