//! What became of one dashboard (or data model, or ended share) of a writing run: one word per
//! idea on apply, `apply --plan`, undo and expire, in tables and JSON alike.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Outcome {
    /// The write was made (and published, where the vendor publishes).
    #[serde(rename = "written")]
    Written,
    /// A dry run's plan: the write it would make.
    #[serde(rename = "would write")]
    WouldWrite,
    /// Nothing to write: already as asked.
    #[serde(rename = "unchanged")]
    Unchanged,
    /// Sent to a vendor that cannot read its shares: not verified.
    #[serde(rename = "sent")]
    Sent,
    /// Written, but the publish after it failed.
    #[serde(rename = "unpublished")]
    Unpublished,
    /// Changed by someone else since: left as it is, as asked (expire), not an error.
    #[serde(rename = "left")]
    Left,
    /// Changed since the plan or the run: nothing written, and the run says so (exit 1).
    #[serde(rename = "refused")]
    Refused,
    #[serde(rename = "failed")]
    Failed,
    /// A signal came first.
    #[serde(rename = "not started")]
    NotStarted,
    /// Not asked for any more: what it depended on was not written.
    #[serde(rename = "skipped")]
    Skipped,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Written => "written",
            Outcome::WouldWrite => "would write",
            Outcome::Unchanged => "unchanged",
            Outcome::Sent => "sent",
            Outcome::Unpublished => "unpublished",
            Outcome::Left => "left",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::NotStarted => "not started",
            Outcome::Skipped => "skipped",
        }
    }

    /// A write, or in a dry run the write it would be.
    pub fn write(dry_run: bool) -> Outcome {
        if dry_run {
            Outcome::WouldWrite
        } else {
            Outcome::Written
        }
    }

    /// Done as asked: the run need not say that anything went wrong.
    pub fn done(self) -> bool {
        matches!(
            self,
            Outcome::Written
                | Outcome::WouldWrite
                | Outcome::Unchanged
                | Outcome::Sent
                | Outcome::Left
        )
    }

    /// The server was written to (so the run id undoes it).
    pub fn wrote(self) -> bool {
        matches!(
            self,
            Outcome::Written | Outcome::Sent | Outcome::Unpublished
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a run's report: a dashboard, or one share of it (expire), and its outcome.
#[derive(Debug, Clone, Serialize)]
pub struct OutcomeRow {
    pub profile: String,
    pub dashboard: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// When the share's time ends (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends: Option<String>,
    pub result: Outcome,
    pub detail: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_is_the_json_word_and_done_and_wrote_tell_apart_what_exit_1_needs() {
        let all = [
            Outcome::Written,
            Outcome::WouldWrite,
            Outcome::Unchanged,
            Outcome::Sent,
            Outcome::Unpublished,
            Outcome::Left,
            Outcome::Refused,
            Outcome::Failed,
            Outcome::NotStarted,
            Outcome::Skipped,
        ];
        for outcome in all {
            let json = serde_json::to_value(outcome).unwrap();
            assert_eq!(json, outcome.as_str());
        }
        let done: Vec<_> = all
            .iter()
            .filter(|o| o.done())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(
            done,
            ["written", "would write", "unchanged", "sent", "left"]
        );
        let wrote: Vec<_> = all
            .iter()
            .filter(|o| o.wrote())
            .map(|o| o.as_str())
            .collect();
        assert_eq!(wrote, ["written", "sent", "unpublished"]);
        assert_eq!(Outcome::write(true), Outcome::WouldWrite);
    }
}
