//! Diagnostics on stderr. Only dashshare's own events are shown below the warning level: the HTTP
//! stack's internals are never traced, so no header or body can reach the log through them.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init(verbose: u8, quiet: bool) {
    let directive = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "warn,dashshare=info",
        (false, 2) => "warn,dashshare=debug",
        (false, _) => "warn,dashshare=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(directive))
        .with_writer(std::io::stderr)
        // By default a failed write is reported with eprintln!, which panics on a closed stderr
        // (`dashshare -v apply f.csv 2>&1 | head -3`): a log line is not worth a run.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}
