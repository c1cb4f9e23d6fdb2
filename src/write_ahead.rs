//! Journaling a write ahead of it: the intent line is on disk before the request leaves, and the
//! outcome line follows the answer. A run killed in between leaves an intent that `undo` settles
//! by reading the server, so no write it made escapes the journal. Every line carries its
//! dashboard's ends in force after it (`model::ends`), decided here from the run's ends and what
//! the write asks: an intent (or a failure) carries both the ends before and after, since the
//! server may or may not have made the write.

use crate::config::Profile;
use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::journal::{Entry, Journal};
use crate::model::ends::{self, AskedEnds, Ends};
use crate::model::{Dashboard, ShareSet};
use crate::share_ends::RunEnds;

/// Where a run journals its writes.
#[derive(Clone, Copy)]
pub struct WriteAhead<'a> {
    pub journal: &'a Journal,
    pub run_id: &'a str,
    /// The command line's verb and target, for `history`.
    pub command: &'a str,
    /// The ends in force, read under the run's lock and kept up to date with each line.
    pub ends: &'a RunEnds,
}

/// A write whose intent is journaled and whose outcome is not yet.
#[must_use = "a journaled intent needs its outcome"]
pub struct Pending<'a> {
    ahead: WriteAhead<'a>,
    entry: Entry,
    /// The ends before the write, what it asks of them, and what its intent line carried.
    old: Ends,
    asked: AskedEnds,
    uncertain: Ends,
}

impl<'a> WriteAhead<'a> {
    /// Journals the intent to make `dashboard`'s shares `after`, asking `asked` of their ends,
    /// and returns once it is on disk: the fsync is shared with the run's other writers (group
    /// commit, `Journal::synced`). An error means the intent is not on disk, so the write must
    /// not be sent.
    pub async fn intent(
        &self,
        profile: &Profile,
        dashboard: &Dashboard,
        before: Option<ShareSet>,
        after: ShareSet,
        asked: &AskedEnds,
        data_model: Option<DataModelChange>,
    ) -> Result<Pending<'a>> {
        let entry = Entry {
            data_model,
            ..Entry::new(self.run_id, self.command, profile, dashboard, before, after)
        };
        let old = self.ends.lock().of_dashboard(&entry.url, &dashboard.id);
        let new = decided(&old, &entry, &entry.after, asked);
        let uncertain = new.or(&old);
        let intent = Entry {
            ends: Some(uncertain.clone()),
            ..entry.clone().intent()
        };
        let unjournaled = |err: Error| {
            err.and_then_say(format!(
                "nothing was written to {}, since `undo` would not know the write",
                dashboard.id
            ))
        };
        self.append_unsynced(intent).map_err(unjournaled)?;
        self.journal.synced().await.map_err(unjournaled)?;
        Ok(Pending {
            ahead: *self,
            entry,
            old,
            asked: asked.clone(),
            uncertain,
        })
    }

    /// Settles a dashboard without a write, when what was asked changes its ends (a share kept
    /// with no end or given a new one; an expiry whose shares changed since): a line whose share
    /// sets are both the shares `read`, so `undo` has nothing to put back. Whether a line was
    /// needed.
    pub fn settle(
        &self,
        profile: &Profile,
        dashboard: &Dashboard,
        read: Option<ShareSet>,
        asked: &AskedEnds,
    ) -> Result<bool> {
        let after = read.clone().unwrap_or_default();
        let entry = Entry::new(self.run_id, self.command, profile, dashboard, read, after);
        let old = self.ends.lock().of_dashboard(&entry.url, &dashboard.id);
        let new = ends::after_change(&old, entry.before.as_ref(), &entry.after, asked);
        if new == old {
            return Ok(false);
        }
        self.append(Entry {
            ends: Some(new),
            ..entry
        })?;
        Ok(true)
    }

    /// Appends one line, on disk before this returns, and takes its ends in.
    fn append(&self, line: Entry) -> Result<()> {
        self.journal.append(std::slice::from_ref(&line))?;
        self.ends.lock().record(&line);
        Ok(())
    }

    /// Appends a line without waiting for the disk (an outcome, which the next fsync covers; an
    /// intent, which waits for `Journal::synced` next), and takes its ends in.
    fn append_unsynced(&self, line: Entry) -> Result<()> {
        self.journal.append_unsynced(std::slice::from_ref(&line))?;
        self.ends.lock().record(&line);
        Ok(())
    }
}

/// The ends after `line` made the shares `after`: a data model's line changes no share, so it
/// carries the ends in force as they are, whatever share sets it holds.
fn decided(old: &Ends, line: &Entry, after: &ShareSet, asked: &AskedEnds) -> Ends {
    match line.data_model {
        Some(_) => old.clone(),
        None => ends::after_change(old, line.before.as_ref(), after, asked),
    }
}

impl Pending<'_> {
    /// The server confirmed the write.
    pub fn written(self) {
        let line = self.entry.written();
        let ends = decided(&self.old, &line, &line.after, &self.asked);
        self.settle(Entry {
            ends: Some(ends),
            ..line
        });
    }

    /// The server confirmed part of the write: `after` is what it now holds as far as is known.
    /// The rest may have been made too (a timeout cannot tell), so its ends may hold as well.
    pub fn written_as(mut self, after: ShareSet) {
        self.entry.after = after;
        let line = self.entry.written();
        let ends = decided(&self.old, &line, &line.after, &self.asked).or(&self.uncertain);
        self.settle(Entry {
            ends: Some(ends),
            ..line
        });
    }

    /// The server confirmed a data model's write, which gave `given` (what the fresh read lacked
    /// of the planned entries): `undo` takes back these alone.
    pub fn data_written(mut self, given: DataModelChange) {
        self.entry.data_model = Some(given);
        self.written();
    }

    /// The request failed (it may still have been committed: a timeout cannot tell), so both
    /// the ends before and those it asked for may hold.
    pub fn failed(self, error: &Error) {
        let line = Entry {
            ends: Some(self.uncertain.clone()),
            ..self.entry.failed(error)
        };
        self.settle(line);
    }

    /// An outcome that cannot be journaled is not fatal: the intent is there, and `undo` reads
    /// the server to settle it. It is said, though, since the journal is in trouble.
    fn settle(self, line: Entry) {
        if let Err(err) = self.ahead.append_unsynced(line.clone()) {
            tracing::warn!(
                "{err}; the write to {} is journaled as intended, and `undo` will read the server \
                 to know whether it was made",
                line.dashboard.id
            );
        }
    }
}
