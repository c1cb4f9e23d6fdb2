//! How long a whole run may wait on the servers' `Retry-After`. Each server's asks are counted,
//! waits that overlap only once, so a server that keeps asking for a minute (and answering in
//! between, so that no circuit opens) cannot stretch a run without end.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug)]
pub struct RetryAfterBudget {
    limit: Duration,
    spent: Mutex<Spent>,
}

#[derive(Debug, Default)]
struct Spent {
    waited: Duration,
    /// The end of the latest wait counted.
    until: Option<Instant>,
}

impl RetryAfterBudget {
    pub fn new(limit: Duration) -> Self {
        RetryAfterBudget {
            limit,
            spent: Mutex::new(Spent::default()),
        }
    }

    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// Whether waiting `wait` from now fits what is left of the budget; if it does, it is
    /// counted (only the part past the waits already counted).
    pub fn take(&self, wait: Duration) -> bool {
        let Ok(mut spent) = self.spent.lock() else {
            return false;
        };
        let now = Instant::now();
        let end = now + wait;
        let from = spent.until.map_or(now, |until| until.max(now));
        let more = end.saturating_duration_since(from);
        if spent.waited + more > self.limit {
            return false;
        }
        spent.waited += more;
        spent.until = Some(spent.until.map_or(end, |until| until.max(end)));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn overlapping_waits_count_once_and_the_limit_holds() {
        let budget = RetryAfterBudget::new(Duration::from_secs(10));
        // Eight requests told to wait 6 s at once: 6 s of the run's time.
        for _ in 0..8 {
            assert!(budget.take(Duration::from_secs(6)));
        }
        tokio::time::advance(Duration::from_secs(6)).await;
        assert!(budget.take(Duration::from_secs(4)));
        tokio::time::advance(Duration::from_secs(4)).await;
        assert!(!budget.take(Duration::from_secs(1)), "10 s spent");
        assert!(budget.take(Duration::ZERO));
    }
}
