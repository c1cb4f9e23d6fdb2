fn main() -> std::process::ExitCode {
    forget_empty_settings();
    // A shell asking for completions (the script of `dashshare completions SHELL`) is answered
    // here, and the process ends.
    clap_complete::CompleteEnv::with_factory(dashshare::usage::command)
        .var(dashshare::commands::completions::COMPLETE_VAR)
        .complete();
    let mut cli = dashshare::usage::parse();
    if let Err(message) = cli.global.noise_from_env(&|name| std::env::var(name).ok()) {
        dashshare::output::print_diagnostic(&format!("error: {message}"));
        return std::process::ExitCode::from(dashshare::ExitCode::BadInput as u8);
    }
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

/// A DASHSHARE_* variable set to "" (a CI template's missing value) means "not set", as it did
/// before clap read the flags' variables; clap would refuse an empty --config or --timeout.
fn forget_empty_settings() {
    let empty: Vec<std::ffi::OsString> = std::env::vars_os()
        .filter(|(name, value)| {
            name.to_str()
                .is_some_and(|name| name.starts_with("DASHSHARE_"))
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
