//! The breaker of one server's client. Once the server is taken for dead (it could not be
//! reached, or stayed silent, after every retry) or for shut (it refused requests many times in
//! a row, or one request for its whole retry budget), every request still queued for it and
//! every retry waiting fails at once with that cause, instead of spending its own budget on the
//! same answer: a bulk run against such a server ends in seconds, not hours.

use std::sync::{Mutex, OnceLock};

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug)]
pub struct Circuit {
    cause: OnceLock<String>,
    opened: CancellationToken,
    refusals: Mutex<Refusals>,
    /// Refusals in a row after which the circuit opens.
    open_after: usize,
}

#[derive(Debug, Default)]
struct Refusals {
    in_a_row: usize,
    last: Option<Instant>,
}

impl Circuit {
    pub fn new(open_after: usize) -> Self {
        Circuit {
            cause: OnceLock::new(),
            opened: CancellationToken::new(),
            refusals: Mutex::new(Refusals::default()),
            open_after: open_after.max(1),
        }
    }

    /// Why the circuit is open, once it is.
    pub fn cause(&self) -> Option<&str> {
        self.cause.get().map(String::as_str)
    }

    /// Opens the circuit; the first cause is the one reported.
    pub fn open(&self, cause: String) {
        let _ = self.cause.set(cause);
        self.opened.cancel();
    }

    /// Resolves once the circuit is open.
    pub fn opened(&self) -> CancellationToken {
        self.opened.clone()
    }

    /// The server refused (429, 503) a request sent at `sent`. A request sent before the last
    /// refusal was in flight with it and says nothing new (eight refused at once are one), so a
    /// burst of a busy but working server does not open the circuit.
    pub fn refused(&self, sent: Instant, status: u16) {
        let Ok(mut refusals) = self.refusals.lock() else {
            return;
        };
        if refusals.last.is_some_and(|last| sent < last) {
            return;
        }
        refusals.in_a_row += 1;
        refusals.last = Some(Instant::now());
        if refusals.in_a_row >= self.open_after {
            let in_a_row = refusals.in_a_row;
            drop(refusals);
            self.open(format!(
                "the server refused {in_a_row} requests in a row earlier in this run (status \
                 {status}); try again once it takes requests"
            ));
        }
    }

    /// The server answered a request (anything but a refusal): it works.
    pub fn answered(&self) {
        if let Ok(mut refusals) = self.refusals.lock() {
            *refusals = Refusals::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn refusals_of_requests_in_flight_together_count_once() {
        let circuit = Circuit::new(3);
        let sent = Instant::now();
        tokio::time::advance(std::time::Duration::from_millis(10)).await;
        for _ in 0..10 {
            circuit.refused(sent, 429);
        }
        assert_eq!(circuit.cause(), None);
        for _ in 0..2 {
            tokio::time::advance(std::time::Duration::from_millis(10)).await;
            circuit.refused(Instant::now(), 429);
        }
        let cause = circuit.cause().unwrap();
        assert!(
            cause.contains("3 requests in a row") && cause.contains("429"),
            "{cause}"
        );
        assert!(circuit.opened().is_cancelled());
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_between_refusals_keeps_the_circuit_closed() {
        let circuit = Circuit::new(2);
        circuit.refused(Instant::now(), 503);
        circuit.answered();
        tokio::time::advance(std::time::Duration::from_millis(10)).await;
        circuit.refused(Instant::now(), 503);
        assert_eq!(circuit.cause(), None);
    }
}
