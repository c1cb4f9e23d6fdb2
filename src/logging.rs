//! Diagnostics on stderr, and in `--log-file` when given. Below the warning level only
//! dashshare's own events are shown, whatever `-v` or `RUST_LOG` ask: the HTTP stack's internals
//! (hyper, reqwest, h2, rustls) are never traced, so no header or body can reach the log through
//! them. Every line passes the secret filter (`redact`) whole, wherever it goes.

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{EnvFilter, FilterExt, filter_fn};
use tracing_subscriber::prelude::*;

use crate::error::{Error, Result};

/// How much to log and where.
pub struct LogOptions<'a> {
    pub verbose: u8,
    pub quiet: bool,
    /// Appended to, with timestamps, at the `-v` level, but at least `-v`'s (the requests): a
    /// file is read after the run, when it is too late to ask for more. `-q` quiets stderr only.
    pub log_file: Option<&'a Path>,
    /// `RUST_LOG`, which replaces `-v`'s levels for both when set.
    pub rust_log: Option<String>,
}

/// Starts logging. Fails, before anything is done, when `--log-file` cannot be opened.
pub fn init(options: &LogOptions) -> Result<()> {
    let file = options.log_file.map(open_log_file).transpose()?;
    let rust_log = readable(options.rust_log.as_deref());
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(|| WholeLine::to(Destination::Stderr))
        // By default a failed write is reported with eprintln!, which panics on a closed stderr
        // (`dashshare -v apply f.csv 2>&1 | head -3`): a log line is not worth a run.
        .log_internal_errors(false)
        .with_ansi(crate::terminal::colour_for(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .with_filter(filter(rust_log, stderr_directive(options)).and(filter_fn(ours_or_warning)));
    let file = file.map(|file| {
        let file = Arc::new(Mutex::new(file));
        let directive = directive(options.verbose.max(1));
        tracing_subscriber::fmt::layer()
            .with_writer(move || WholeLine::to(Destination::File(Arc::clone(&file))))
            .log_internal_errors(false)
            .with_ansi(false)
            // Read later, away from the run: which part of dashshare said it helps.
            .with_target(true)
            .with_filter(filter(rust_log, directive).and(filter_fn(ours_or_warning)))
    });
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(file)
        .try_init();
    Ok(())
}

fn stderr_directive(options: &LogOptions) -> &'static str {
    if options.quiet {
        "error"
    } else {
        directive(options.verbose)
    }
}

fn directive(verbose: u8) -> &'static str {
    match verbose {
        0 => "warn",
        1 => "warn,dashshare=info",
        2 => "warn,dashshare=debug",
        _ => "warn,dashshare=trace",
    }
}

/// `RUST_LOG` when it is set and reads as a filter. One that does not is said on stderr, and
/// `-v` applies.
fn readable(rust_log: Option<&str>) -> Option<&str> {
    let value = rust_log.filter(|value| !value.is_empty())?;
    match EnvFilter::try_new(value) {
        Ok(_) => Some(value),
        Err(err) => {
            crate::terminal::write_stderr(
                format!(
                    "warning: RUST_LOG={value} is not a log filter ({err}); -v applies instead \
                     (e.g. RUST_LOG=dashshare=debug)\n"
                )
                .as_bytes(),
            );
            None
        }
    }
}

/// `RUST_LOG`'s filter (already read by `readable`), else `directive`'s.
fn filter(rust_log: Option<&str>, directive: &str) -> EnvFilter {
    rust_log
        .and_then(|value| EnvFilter::try_new(value).ok())
        .unwrap_or_else(|| EnvFilter::new(directive))
}

/// dashshare's own events at any level, anyone else's at warning and error only.
fn ours_or_warning(meta: &Metadata) -> bool {
    shown(meta.target(), *meta.level())
}

fn shown(target: &str, level: Level) -> bool {
    target == "dashshare" || target.starts_with("dashshare::") || level <= Level::WARN
}

fn open_log_file(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    // Logs name people and dashboards: readable by their owner only, as the other files
    // dashshare writes (an existing file keeps its mode).
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(|err| {
        Error::invalid(format!(
            "--log-file {}: cannot open it to append to ({err}); give a writable file path",
            path.display()
        ))
    })
}

enum Destination {
    Stderr,
    File(Arc<Mutex<File>>),
}

/// One event's text, held until it is complete and then written in one write, so that lines of
/// concurrent events never interleave. Its outside text was scrubbed where it came in.
struct WholeLine {
    text: Vec<u8>,
    to: Destination,
}

impl WholeLine {
    fn to(to: Destination) -> Self {
        WholeLine {
            text: Vec::new(),
            to,
        }
    }
}

impl Write for WholeLine {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for WholeLine {
    fn drop(&mut self) {
        if self.text.is_empty() {
            return;
        }
        let text = &self.text;
        match &self.to {
            // A closed stderr drops the line, as `output::print_diagnostic` does.
            Destination::Stderr => crate::terminal::write_stderr(text),
            // A full disk drops the line: a log line is not worth a run.
            Destination::File(file) => {
                if let Ok(mut file) = file.lock() {
                    let _ = file.write_all(text);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_crates_are_shown_at_warning_and_error_only() {
        assert!(shown("dashshare", Level::TRACE));
        assert!(shown("dashshare::http", Level::TRACE));
        assert!(!shown("hyper::proto::h1", Level::DEBUG));
        assert!(!shown("reqwest::connect", Level::INFO));
        assert!(!shown("dashshare_other", Level::DEBUG));
        assert!(shown("rustls::conn", Level::WARN));
        assert!(shown("h2::codec", Level::ERROR));
    }

    #[test]
    fn the_log_file_is_private_and_appended_to() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("dashshare.log");
        std::fs::write(&path, "earlier\n").unwrap();
        let mut file = open_log_file(&path).unwrap();
        file.write_all(b"later\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier\nlater\n");
        let fresh = folder.path().join("fresh.log");
        open_log_file(&fresh).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&fresh).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let refused = open_log_file(&folder.path().join("no/such/folder.log")).unwrap_err();
        assert!(refused.to_string().contains("--log-file"), "{refused}");
    }
}
