//! Diagnostics on stderr. Only dashshare's own events are shown below the warning level: the HTTP
//! stack's internals are never traced, so no header or body can reach the log through them.

use std::io::{IsTerminal, Write};

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
        .with_writer(|| ScrubbedLine(Vec::new()))
        // By default a failed write is reported with eprintln!, which panics on a closed stderr
        // (`dashshare -v apply f.csv 2>&1 | head -3`): a log line is not worth a run.
        .log_internal_errors(false)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}

/// One event's text, held until it is complete and then written to stderr rid of every secret
/// (`redact`): a secret split across two writes would escape a filter applied per write.
struct ScrubbedLine(Vec<u8>);

impl Write for ScrubbedLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ScrubbedLine {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        let text = String::from_utf8_lossy(&self.0);
        // A closed stderr drops the line, as `output::print_diagnostic` does.
        let _ = std::io::stderr()
            .lock()
            .write_all(crate::redact::scrub(&text).as_bytes());
    }
}
