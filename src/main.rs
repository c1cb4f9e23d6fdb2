use clap::{CommandFactory, Parser};

use dashshare::cli::{Cli, OutputFormat};

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return refuse_invocation(err),
    };
    dashshare::logging::init(cli.global.verbose, cli.global.quiet);
    let json = cli.global.output == OutputFormat::Json;
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
                &dashshare::Error::remote(format!("cannot start the async runtime: {err}")),
                json,
            );
        }
    };
    match runtime.block_on(dashshare::commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => fail(&err, json),
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
    let json = Cli::command()
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
