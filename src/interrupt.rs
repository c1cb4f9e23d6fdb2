//! SIGINT and SIGTERM during a writing run. The first one stops the run from starting anything
//! new and ends every wait of the HTTP client (a retry's sleep, a turn after a 429): requests
//! under way get `GRACE` to be answered, then are cut short, and either way are journaled; the
//! command reports what was done and what was not. A second one ends the process at once; the
//! journal stays valid, since each of its appends is a single write.

use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
pub use crate::signal::Signal;

/// Whether the run was asked to stop, and by which signal. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct Interrupt {
    received: Arc<OnceLock<Signal>>,
    /// When the first signal came.
    at: Arc<OnceLock<tokio::time::Instant>>,
    token: CancellationToken,
}

/// How long a request under way when the run is stopped may still take to be answered: short
/// enough that a stopped run ends within about two seconds, long enough for most answers.
pub const GRACE: Duration = Duration::from_secs(1);

/// The state `listen` sets: the HTTP clients of the process watch it (see `process`).
static PROCESS: LazyLock<Interrupt> = LazyLock::new(Interrupt::default);

impl Interrupt {
    /// A state no signal reaches (dry runs, tests, library callers): `stopped()` stays `None`.
    pub fn none() -> Self {
        Self::default()
    }

    /// The state the signals reach once a command calls `listen`; until then (and in commands
    /// that never do, where a signal ends the process at once) it stays unstopped.
    pub fn process() -> Self {
        PROCESS.clone()
    }

    /// Catches SIGINT and SIGTERM for the rest of the process. Call it in a writing command only,
    /// inside the runtime: from then on these signals no longer end the process by themselves.
    pub fn listen() -> Result<Self> {
        // One listener per process: two would both see a first signal, and the second take it
        // for a second one.
        static LISTENING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if LISTENING.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(Self::process());
        }
        let cannot = |err: std::io::Error| {
            Error::remote(format!("cannot listen for SIGINT and SIGTERM: {err}"))
        };
        let mut interrupts = signal(SignalKind::interrupt()).map_err(cannot)?;
        let mut terminations = signal(SignalKind::terminate()).map_err(cannot)?;
        LISTENING.store(true, std::sync::atomic::Ordering::SeqCst);
        let interrupt = Self::process();
        let state = interrupt.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    Some(()) = interrupts.recv() => Signal::Interrupt,
                    Some(()) = terminations.recv() => Signal::Terminate,
                    else => return,
                };
                if state.stopped().is_some() {
                    crate::output::print_diagnostic(&format!(
                        "{}: stopped at once. A write under way may have landed without its \
                         journal entry: check with `dashshare history` and `dashshare list`",
                        received.name()
                    ));
                    std::process::exit(i32::from(received.exit_status()));
                }
                crate::signal::note(received);
                state.stop(received);
                crate::output::print_diagnostic(&format!(
                    "{}: starting nothing more; the writes under way finish and are journaled. \
                     Press Ctrl-C again to stop at once",
                    received.name()
                ));
            }
        });
        Ok(interrupt)
    }

    /// Records `signal` (the first one wins) and wakes everything waiting on `cancelled`.
    pub fn stop(&self, signal: Signal) {
        let _ = self.received.set(signal);
        let _ = self.at.set(tokio::time::Instant::now());
        self.token.cancel();
    }

    /// The signal that stopped the run, if one did.
    pub fn stopped(&self) -> Option<Signal> {
        self.received.get().copied()
    }

    /// Resolves once the run is stopped.
    pub async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    /// Whether the run was stopped less than `grace` ago.
    pub fn within(&self, grace: Duration) -> bool {
        self.at
            .get()
            .is_some_and(|at| tokio::time::Instant::now() < *at + grace)
    }

    /// Resolves `grace` after the run was stopped, with the signal that stopped it.
    pub async fn stopped_for(&self, grace: Duration) -> Signal {
        self.cancelled().await;
        if let Some(at) = self.at.get() {
            tokio::time::sleep_until(*at + grace).await;
        }
        self.stopped().unwrap_or(Signal::Interrupt)
    }

    /// The error a stopped run ends with: its exit status is the signal's.
    pub fn error(signal: Signal, message: impl std::fmt::Display) -> Error {
        Error::Interrupted {
            signal,
            message: format!("interrupted by {}: {message}", signal.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_signal_is_the_one_reported() {
        let interrupt = Interrupt::none();
        assert_eq!(interrupt.stopped(), None);
        let seen_by_a_task = interrupt.clone();
        interrupt.stop(Signal::Terminate);
        interrupt.stop(Signal::Interrupt);
        assert_eq!(seen_by_a_task.stopped(), Some(Signal::Terminate));
    }

    #[tokio::test]
    async fn waiting_ends_when_the_run_is_stopped() {
        let interrupt = Interrupt::none();
        let waiter = tokio::spawn({
            let interrupt = interrupt.clone();
            async move { interrupt.cancelled().await }
        });
        interrupt.stop(Signal::Interrupt);
        waiter.await.unwrap();
    }

    #[test]
    fn the_exit_status_is_the_signals() {
        let err = Interrupt::error(Signal::Interrupt, "3 of 9 dashboards not started");
        assert_eq!(err.exit_code() as u8, 130);
        assert_eq!(
            err.to_string(),
            "interrupted by SIGINT: 3 of 9 dashboards not started"
        );
        assert_eq!(
            Interrupt::error(Signal::Terminate, "x").exit_code() as u8,
            143
        );
    }
}
