fn main() -> std::process::ExitCode {
    // A shell asking for completions (the script of `dashshare completions SHELL`) is answered
    // here, and the process ends.
    clap_complete::CompleteEnv::with_factory(dashshare::usage::command)
        .var(dashshare::commands::completions::COMPLETE_VAR)
        .complete();
    let cli = dashshare::usage::parse();
    dashshare::logging::init(cli.global.verbose, cli.global.quiet);
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
