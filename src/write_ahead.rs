//! Journaling a write ahead of it: the intent line is on disk before the request leaves, and the
//! outcome line follows the answer. A run killed in between leaves an intent that `undo` settles
//! by reading the server, so no write it made escapes the journal.

use crate::config::Profile;
use crate::error::{Error, Result};
use crate::journal::{Entry, Journal, Marks};
use crate::model::{Dashboard, ShareSet};

/// Where a run journals its writes.
#[derive(Clone, Copy)]
pub struct WriteAhead<'a> {
    pub journal: &'a Journal,
    pub run_id: &'a str,
    /// The command line's verb and target, for `history`.
    pub command: &'a str,
}

/// A write whose intent is journaled and whose outcome is not yet.
#[must_use = "a journaled intent needs its outcome"]
pub struct Pending<'a> {
    journal: &'a Journal,
    entry: Entry,
}

impl<'a> WriteAhead<'a> {
    /// Journals the intent to make `dashboard`'s shares `after`. An error means the intent is not
    /// on disk, so the write must not be sent.
    pub fn intent(
        &self,
        profile: &Profile,
        dashboard: &Dashboard,
        before: Option<ShareSet>,
        after: ShareSet,
        marks: &Marks,
    ) -> Result<Pending<'a>> {
        let entry = Entry {
            marks: marks.clone(),
            ..Entry::new(self.run_id, self.command, profile, dashboard, before, after)
        };
        self.journal
            .append(std::slice::from_ref(&entry.clone().intent()))
            .map_err(|err| {
                err.and_then_say(format!(
                    "nothing was written to {}, since `undo` would not know the write",
                    dashboard.id
                ))
            })?;
        Ok(Pending {
            journal: self.journal,
            entry,
        })
    }
}

impl WriteAhead<'_> {
    /// A line for a dashboard settled without a write: an expiry whose shares were all decided
    /// anew since the grant, or ends decided anew on shares already as asked. Before and after
    /// are the shares `read`, so it changes no share and `undo` has nothing to put back; at a
    /// vendor that cannot read (`None`), nothing read and nothing sent.
    pub fn unwritten(
        &self,
        profile: &Profile,
        dashboard: &Dashboard,
        read: Option<ShareSet>,
        marks: &Marks,
    ) -> Result<()> {
        let after = read.clone().unwrap_or_default();
        let entry = Entry {
            marks: marks.clone(),
            ..Entry::new(self.run_id, self.command, profile, dashboard, read, after)
        };
        self.journal.append(std::slice::from_ref(&entry))
    }
}

impl Pending<'_> {
    /// The server confirmed the write.
    pub fn written(self) {
        let line = self.entry.written();
        self.settle(line);
    }

    /// The server confirmed part of the write: `after` is what it now holds as far as is known.
    pub fn written_as(mut self, after: ShareSet) {
        self.entry.after = after;
        self.written();
    }

    /// The server confirmed a data model's write, which gave `given` (what the fresh read lacked
    /// of the planned entries): `undo` takes back these alone.
    pub fn data_written(mut self, given: crate::data_model::DataModelChange) {
        self.entry.marks.data_model = Some(given);
        self.written();
    }

    /// The request failed (it may still have been committed: a timeout cannot tell).
    pub fn failed(self, error: &Error) {
        let line = self.entry.failed(error);
        self.settle(line);
    }

    /// An outcome that cannot be journaled is not fatal: the intent is there, and `undo` reads
    /// the server to settle it. It is said, though, since the journal is in trouble.
    fn settle(self, line: Entry) {
        if let Err(err) = self.journal.append(std::slice::from_ref(&line)) {
            tracing::warn!(
                "{err}; the write to {} is journaled as intended, and `undo` will read the server \
                 to know whether it was made",
                line.dashboard.id
            );
        }
    }
}
