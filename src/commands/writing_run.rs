//! One writing command's run, whichever the command (grant, revoke, apply, `apply --plan`, undo,
//! expire): its id, the journal locked for it, the ends in force read under that lock, the
//! interrupt listener, and one connection (one login) per profile. A dry run takes no lock,
//! listens for no signal, and journals nothing.

use std::collections::HashMap;

use crate::cli::{GlobalArgs, WaitArgs};
use crate::error::Result;
use crate::interrupt::Interrupt;
use crate::journal::{self, Journal};
use crate::providers::Connection;
use crate::share_ends::RunEnds;
use crate::write_ahead::WriteAhead;

pub struct WritingRun {
    pub id: String,
    /// The command line's verb and target, for `history`.
    pub command: String,
    pub dry_run: bool,
    /// A dry run's may be missing (no home folder): that is an error only where it is needed.
    journal: Result<Journal>,
    pub ends: RunEnds,
    pub interrupt: Interrupt,
    /// Each profile's connection, or why it could not be made (said per dashboard).
    connections: HashMap<String, Result<Connection>>,
}

impl WritingRun {
    /// Starts the run: the journal is checked writable and locked (a dry run only reads it, where
    /// there is one), its ends read under the lock, and signals listened for from here on.
    pub async fn start(
        global: &GlobalArgs,
        command: String,
        lock: &WaitArgs,
        dry_run: bool,
    ) -> Result<WritingRun> {
        let id = journal::new_run_id();
        let journal = if dry_run {
            super::journal(global)
        } else {
            let journal = super::writable_journal(global)?;
            super::lock_journal(&journal, lock, &id, &command).await?;
            Ok(journal)
        };
        let ends = match &journal {
            Ok(journal) => RunEnds::for_run(journal, dry_run)?,
            Err(_) => RunEnds::of(Default::default()),
        };
        let interrupt = if dry_run {
            Interrupt::none()
        } else {
            Interrupt::listen()?
        };
        Ok(WritingRun {
            id,
            command,
            dry_run,
            journal,
            ends,
            interrupt,
            connections: HashMap::new(),
        })
    }

    /// Where the run journals its writes; `None` in a dry run.
    pub fn ahead(&self) -> Option<WriteAhead<'_>> {
        let journal = self.journal.as_ref().ok().filter(|_| !self.dry_run)?;
        Some(WriteAhead {
            journal,
            run_id: &self.id,
            command: &self.command,
            ends: &self.ends,
        })
    }

    /// The journal (a writing run's is locked); one a dry run could not locate is an error
    /// only where the command needs it.
    pub fn journal(&self) -> Result<&Journal> {
        self.journal.as_ref().map_err(Clone::clone)
    }

    /// The connection of the profile a journal line or a file names, made once per run.
    pub fn connection(&mut self, global: &GlobalArgs, profile: &str) -> &Result<Connection> {
        self.connections
            .entry(profile.to_string())
            .or_insert_with(|| super::connect_named(global, profile))
    }

    /// The connections made, by profile.
    pub fn connections(&self) -> &HashMap<String, Result<Connection>> {
        &self.connections
    }
}
