//! Pacing for a server that answered 429. Until the first refusal requests go out freely; after
//! one, they start one at a time, a gap apart, and not before the server's `Retry-After`. The gap
//! doubles when the server still refuses and shrinks with every success, so a bulk run settles at
//! the rate the server accepts instead of spending its retries on more refusals.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The gap after the first refusal.
const FIRST_GAP: Duration = Duration::from_millis(50);
const MAX_GAP: Duration = Duration::from_secs(5);
/// Below this the gap is dropped and requests go out freely again.
const NO_GAP: Duration = Duration::from_millis(2);

#[derive(Debug, Default)]
pub struct Pacer {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    gap: Duration,
    /// When the next request may start.
    next_start: Option<Instant>,
    last_refusal: Option<Instant>,
}

impl Pacer {
    /// Waits for this request's turn.
    pub async fn turn(&self) {
        let start = {
            let Ok(mut state) = self.state.lock() else {
                return;
            };
            let now = Instant::now();
            let earliest = state.next_start.map_or(now, |next| next.max(now));
            if state.gap.is_zero() && earliest == now {
                return;
            }
            state.next_start = Some(earliest + state.gap);
            earliest
        };
        tokio::time::sleep_until(start).await;
    }

    /// The server turned a request away; `retry_after` is how long it asked us to wait.
    pub fn refused(&self, retry_after: Option<Duration>) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        let now = Instant::now();
        // Requests already in flight when the gap was set say nothing new about it.
        let gap_was_tried = state
            .last_refusal
            .is_none_or(|last| now.duration_since(last) >= state.gap);
        if gap_was_tried {
            state.gap = (state.gap * 2).clamp(FIRST_GAP, MAX_GAP);
        }
        state.last_refusal = Some(now);
        let resume = now + retry_after.unwrap_or(state.gap);
        state.next_start = Some(state.next_start.map_or(resume, |next| next.max(resume)));
    }

    /// A request went through: the gap shrinks a little.
    pub fn succeeded(&self) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        if state.gap.is_zero() {
            return;
        }
        state.gap = state.gap.mul_f64(0.9);
        if state.gap < NO_GAP {
            state.gap = Duration::ZERO;
        }
    }

    #[cfg(test)]
    fn gap(&self) -> Duration {
        self.state.lock().unwrap().gap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_go_out_freely_until_a_refusal() {
        let pacer = Pacer::default();
        let started = Instant::now();
        for _ in 0..10 {
            pacer.turn().await;
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn after_a_refusal_requests_wait_for_retry_after_then_start_a_gap_apart() {
        let pacer = Pacer::default();
        let started = Instant::now();
        pacer.refused(Some(Duration::from_secs(1)));
        pacer.turn().await;
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        pacer.turn().await;
        pacer.turn().await;
        assert_eq!(started.elapsed(), Duration::from_millis(1100));
    }

    #[tokio::test(start_paused = true)]
    async fn the_gap_doubles_once_per_round_of_refusals_and_shrinks_with_successes() {
        let pacer = Pacer::default();
        // Eight requests in flight refused at once: one round.
        for _ in 0..8 {
            pacer.refused(None);
        }
        assert_eq!(pacer.gap(), FIRST_GAP);
        tokio::time::advance(FIRST_GAP).await;
        pacer.refused(None);
        assert_eq!(pacer.gap(), FIRST_GAP * 2);
        for _ in 0..100 {
            pacer.succeeded();
        }
        assert_eq!(pacer.gap(), Duration::ZERO, "back to full speed");
    }
}
