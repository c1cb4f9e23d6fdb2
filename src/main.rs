use clap::Parser;

use dashshare::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let logging = dashshare::logging::LogOptions {
        verbose: cli.global.verbose,
        quiet: cli.global.quiet,
        log_file: cli.global.log_file.as_deref(),
        rust_log: std::env::var("RUST_LOG").ok(),
    };
    if let Err(err) = dashshare::logging::init(&logging) {
        dashshare::output::print_diagnostic(&format!("error: {err}"));
        return std::process::ExitCode::from(err.exit_code() as u8);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            dashshare::output::print_diagnostic(&format!(
                "error: cannot start the async runtime: {err}"
            ));
            return std::process::ExitCode::from(dashshare::ExitCode::RemoteFailure as u8);
        }
    };
    match runtime.block_on(dashshare::commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            dashshare::output::print_diagnostic(&format!("error: {err}"));
            std::process::ExitCode::from(err.exit_code() as u8)
        }
    }
}
