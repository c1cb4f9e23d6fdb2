//! Which signal stopped a run, as a plain value: the error type carries it to decide the exit
//! status, and `interrupt` catches it. Kept apart from both so that neither imports the other.

/// The first SIGINT or SIGTERM the process caught (0: none), for waits that cannot reach the
/// run's `Interrupt` (the `--jq` child's watcher in `output`, below `interrupt`).
static RECEIVED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// Notes that `signal` was caught; the first one stays.
pub fn note(signal: Signal) {
    let _ = RECEIVED.compare_exchange(
        0,
        signal.exit_status(),
        std::sync::atomic::Ordering::Relaxed,
        std::sync::atomic::Ordering::Relaxed,
    );
}

/// The first signal the process caught, if any.
pub fn received() -> Option<Signal> {
    match RECEIVED.load(std::sync::atomic::Ordering::Relaxed) {
        130 => Some(Signal::Interrupt),
        143 => Some(Signal::Terminate),
        _ => None,
    }
}

/// The signal that stopped a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (Ctrl-C).
    Interrupt,
    /// SIGTERM (`kill`, a service manager, a CI job's timeout).
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// 128 plus the signal's number, as shells report a process the signal ended.
    pub fn exit_status(self) -> u8 {
        match self {
            Signal::Interrupt => 130,
            Signal::Terminate => 143,
        }
    }
}
