//! The journal: JSON lines about dashboard writes (run id, time, profile, vendor, dashboard, and
//! the share set before and after). Each write is journaled ahead: an intent line before the
//! request, an outcome line (written or failed) after the answer, so that a run killed between
//! the two still tells `undo` which dashboards it may have changed. `history` lists its runs and
//! `undo` puts a run's dashboards back. Lines are only ever appended, by the run holding the
//! journal's lock (`run_lock.rs`), each with a checksum of its text (`Reader`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::checksum::{self, Seal};
use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::model::ends::Ends;
use crate::model::{Dashboard, ShareSet};
use crate::private_file;
use crate::run_lock::{Holder, RunLock};
use crate::vendor::Vendor;

mod old_lines;
use old_lines::OldLines;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub run_id: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// The command line's verb and dashboard, for `history`.
    pub command: String,
    pub profile: String,
    pub vendor: Vendor,
    /// The server written to, so that `undo` never puts a state back on a different one.
    #[serde(default)]
    pub url: String,
    pub dashboard: Dashboard,
    /// `None` where the vendor cannot read its shares (what was there is unknown).
    pub before: Option<ShareSet>,
    /// What the write made the share set; for a write-only vendor, what was sent. On an intent,
    /// what the write is meant to make it.
    pub after: ShareSet,
    /// Lines written before write-ahead journaling carry none: they were written writes.
    #[serde(default)]
    pub kind: EntryKind,
    /// Why a `Failed` write failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The ends of shares given for a time in force on the dashboard after this line
    /// (`model::ends`). Lines from before ends were recorded have none written: their marks
    /// (`legacy`) are converted as they are read (`old_lines.rs`), so every line read has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<Ends>,
    /// A write of the dashboard's data model (`grant --with-data`), not of its shares (a line
    /// of its own, whose share sets are the dashboard's as they stand): `undo` takes the entries
    /// back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_model: Option<crate::data_model::DataModelChange>,
    /// What lines from before recorded ends carried instead: read, never written.
    #[serde(flatten, skip_serializing)]
    pub legacy: Legacy,
}

/// The marks of a line from before ends were recorded, from which its ends are worked out once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Legacy {
    /// Shares granted for a time by this line.
    #[serde(default)]
    pub expires: Option<Expiry>,
    /// On an `expire` write: the run whose expiry it carried out.
    #[serde(default)]
    pub settles: Option<String>,
    /// Shares asked for with no end that an earlier timed grant had given one.
    #[serde(default)]
    pub keeps: Vec<crate::model::ShareKey>,
}

/// When a grant's shares end, and what each was before it: the shape of a line from before ends
/// were recorded, and of a saved plan's timed shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    /// RFC 3339, UTC.
    pub at: String,
    pub shares: Vec<Expiring>,
}

/// One share a grant gave for a time: the level it left, and the level it had before (`None`:
/// it was not there, so expiring removes it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiring {
    pub key: crate::model::ShareKey,
    pub granted: crate::model::Level,
    pub before: Option<crate::model::Level>,
}

/// Where a write stood when its line was appended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// About to be sent; an intent with no outcome after it means the run stopped there.
    Intent,
    /// The server confirmed the write.
    #[default]
    Written,
    /// The request failed; a timeout can still have been committed by the server.
    Failed,
}

impl Entry {
    /// A write just made to `dashboard` on `profile`'s server.
    pub fn new(
        run_id: &str,
        command: &str,
        profile: &Profile,
        dashboard: &Dashboard,
        before: Option<ShareSet>,
        after: ShareSet,
    ) -> Entry {
        Entry {
            run_id: run_id.to_string(),
            time: now(),
            command: command.to_string(),
            profile: profile.name.clone(),
            vendor: profile.vendor,
            url: profile.url.to_string(),
            dashboard: dashboard.clone(),
            before,
            after,
            kind: EntryKind::Written,
            error: None,
            ends: None,
            data_model: None,
            legacy: Legacy::default(),
        }
    }

    /// The intent line for a write about to be sent: this entry, marked as not yet answered.
    pub fn intent(self) -> Entry {
        Entry {
            time: now(),
            kind: EntryKind::Intent,
            error: None,
            ..self
        }
    }

    /// The outcome line after the server confirmed the write.
    pub fn written(&self) -> Entry {
        Entry {
            time: now(),
            kind: EntryKind::Written,
            error: None,
            ..self.clone()
        }
    }

    /// The outcome line after the request failed with `error`.
    pub fn failed(&self, error: &Error) -> Entry {
        Entry {
            time: now(),
            kind: EntryKind::Failed,
            error: Some(error.to_string()),
            ..self.clone()
        }
    }
}

/// One run, as `history` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub run_id: String,
    pub time: String,
    pub command: String,
    pub profiles: Vec<String>,
    /// The dashboards the run wrote or meant to write.
    pub dashboards: usize,
    /// Dashboards whose last write has no outcome: the run stopped (a crash, kill -9) between
    /// sending it and hearing back. `undo` reads the server to know whether it was made.
    pub unanswered: usize,
    pub interrupted: bool,
}

pub struct Journal {
    path: PathBuf,
    /// A journal over this size is refused rather than read (`--journal-max-mib`).
    max_bytes: u64,
    /// The run's lock, taken by a writing run: its lines go through the file it holds.
    held: OnceLock<RunLock>,
}

/// The size over which a journal is refused, unless `--journal-max-mib` says otherwise.
pub const DEFAULT_MAX_MIB: u64 = 256;

/// A new run id: sortable by time, and unique even for runs started in the same second.
pub fn new_run_id() -> String {
    format!(
        "{}-{:016x}",
        Utc::now().format("%Y%m%dT%H%M%SZ"),
        fastrand::u64(..)
    )
}

pub fn now() -> String {
    crate::links::iso_utc(Utc::now())
}

impl Journal {
    /// `--journal PATH`, else the state folder's (`paths.rs`):
    /// `$XDG_STATE_HOME/dashshare/journal.jsonl`, else `~/.local/state/dashshare/journal.jsonl`.
    pub fn locate(explicit: Option<&Path>) -> Result<Journal> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => crate::paths::Folders::of_this_user()
                .map(|folders| folders.journal())
                .ok_or_else(|| {
                    Error::invalid(
                        "cannot place the journal: no home folder was found (is $HOME set?); pass --journal PATH",
                    )
                })?,
        };
        Ok(Journal {
            path,
            max_bytes: DEFAULT_MAX_MIB * 1024 * 1024,
            held: OnceLock::new(),
        })
    }

    /// This journal, refused when it is larger than `mib` MiB.
    pub fn with_max_mib(self, mib: u64) -> Journal {
        Journal {
            max_bytes: mib.saturating_mul(1024 * 1024),
            ..self
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Fails, before a run writes anything, when the journal could not take its entries.
    pub fn check_writable(&self) -> Result<()> {
        let refused = |err: std::io::Error| {
            let message = format!(
                "cannot write the journal {}: {err}; nothing was changed (fix the folder, or pass \
                 --journal PATH)",
                self.path.display()
            );
            Error::invalid_from(message, err)
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(refused)?;
        }
        private_file::open_append(&self.path)
            .map(drop)
            .map_err(refused)
    }

    /// Takes the journal's run lock for `holder` (`run_lock.rs`), held until this journal is
    /// dropped; only then can entries be appended.
    pub async fn lock(&self, holder: &Holder, wait: Option<std::time::Duration>) -> Result<()> {
        let lock = RunLock::acquire(&self.path, holder, wait).await?;
        self.held
            .set(lock)
            .map_err(|_| Error::invalid("the journal was locked twice by one run"))
    }

    /// Appends `entries`, each a line with its checksum, in one write, and flushes them to disk
    /// (sharing the fsync with the run's other writers, `RunLock::append`).
    pub fn append(&self, entries: &[Entry]) -> Result<()> {
        self.append_lines(entries, true)
    }

    /// Appends `entries` without waiting for the disk: `synced` (or the next `append`, or the
    /// end of the run) puts them there.
    pub fn append_unsynced(&self, entries: &[Entry]) -> Result<()> {
        self.append_lines(entries, false)
    }

    /// Returns once every line appended so far is on disk, sharing the fsync with the run's
    /// other writers (`RunLock::synced`).
    pub async fn synced(&self) -> Result<()> {
        let Some(lock) = self.held.get() else {
            return Err(Error::local("this run does not hold the journal's lock"));
        };
        lock.synced().await.map_err(|err| {
            Error::local(format!(
                "the journal {} could not be written to disk: {err}",
                self.path.display()
            ))
        })
    }

    fn append_lines(&self, entries: &[Entry], durable: bool) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let failed = |err: &dyn std::fmt::Display| {
            Error::local(format!(
                "the journal {} could not be written: {err}",
                self.path.display()
            ))
        };
        let Some(lock) = self.held.get() else {
            return Err(failed(&"this run does not hold its lock"));
        };
        let mut text = String::new();
        for entry in entries {
            let line = serde_json::to_string(entry).map_err(|err| {
                Error::local_from(format!("cannot record the journal entry: {err}"), err)
            })?;
            text.push_str(&checksum::seal(&line));
            text.push('\n');
        }
        lock.append(text.as_bytes(), durable)
            .map_err(|err| failed(&err))
    }

    /// Every entry, oldest first; a journal that does not exist yet is empty.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.entries_where(|_| true)
    }

    /// The entries of the lines `keep` takes, oldest first; the others are passed over unread
    /// (still counted, so that a damaged line is named by its number).
    pub fn entries_where(&self, mut keep: impl FnMut(&[u8]) -> bool) -> Result<Vec<Entry>> {
        let mut reader = Reader::new(&self.path);
        self.each_line(|number, line, unfinished| {
            if keep(line) {
                reader.line(number, line, unfinished)?;
            }
            Ok(())
        })?;
        Ok(reader.entries)
    }

    /// Each line of the journal in turn (see `lines_of`); one that does not exist yet has none.
    /// Streamed: only one line is held at a time, and a journal over `max_bytes` (or anything but
    /// a regular file) is refused before it is read.
    pub fn each_line(&self, visit: impl FnMut(usize, &[u8], bool) -> Result<()>) -> Result<()> {
        let cannot = |err: std::io::Error| cannot_read(&self.path, err);
        let Some(file) = private_file::open_existing(&self.path).map_err(cannot)? else {
            return Ok(());
        };
        let capped = crate::capped::file(file, self.max_bytes).map_err(cannot)?;
        lines_of(std::io::BufReader::new(capped), &self.path, visit)
    }

    /// The runs, in the order the journal recorded them.
    pub fn runs(&self) -> Result<Vec<Run>> {
        let mut runs: Vec<Run> = Vec::new();
        let mut index_of: HashMap<String, usize> = HashMap::new();
        // Per run, each dashboard's last line: an intent there was never answered.
        let mut last: HashMap<(String, String, String), EntryKind> = HashMap::new();
        for entry in self.entries()? {
            let dashboard = (
                entry.run_id.clone(),
                entry.profile.clone(),
                entry.dashboard.id.clone(),
            );
            let index = match index_of.get(&entry.run_id) {
                Some(&index) => index,
                None => {
                    index_of.insert(entry.run_id.clone(), runs.len());
                    runs.push(Run {
                        run_id: entry.run_id.clone(),
                        time: entry.time.clone(),
                        command: entry.command.clone(),
                        profiles: Vec::new(),
                        dashboards: 0,
                        unanswered: 0,
                        interrupted: false,
                    });
                    runs.len() - 1
                }
            };
            let run = &mut runs[index];
            if !run.profiles.contains(&entry.profile) {
                run.profiles.push(entry.profile.clone());
            }
            if last.insert(dashboard, entry.kind).is_none() {
                run.dashboards += 1;
            }
        }
        for ((run_id, _, _), kind) in last {
            if let (EntryKind::Intent, Some(&index)) = (kind, index_of.get(&run_id)) {
                runs[index].unanswered += 1;
            }
        }
        for run in &mut runs {
            run.interrupted = run.unanswered > 0;
        }
        Ok(runs)
    }

    /// The entries of one run, and every entry before it; an unknown id is bad input naming it.
    pub fn run(&self, run_id: &str) -> Result<(Vec<Entry>, Vec<Entry>)> {
        let mut earlier = self.entries()?;
        let start = earlier
            .iter()
            .position(|entry| entry.run_id == run_id)
            .unwrap_or(earlier.len());
        let entries: Vec<Entry> = earlier
            .split_off(start)
            .into_iter()
            .filter(|entry| entry.run_id == run_id)
            .collect();
        if entries.is_empty() {
            return Err(Error::not_found(
                Thing::Run,
                run_id,
                format!(
                    "the journal {} has no run '{run_id}'; `dashshare history` lists the runs",
                    self.path.display()
                ),
            ));
        }
        Ok((entries, earlier))
    }
}

/// The entries of the journal `path`, which holds `bytes`.
pub fn entries_in(bytes: &[u8], path: &Path) -> Result<Vec<Entry>> {
    let mut reader = Reader::new(path);
    lines_of(bytes, path, |number, line, unfinished| {
        reader.line(number, line, unfinished)
    })?;
    Ok(reader.entries)
}

/// Visits each line of `reader`: its number from 1, its bytes without the newline, and whether
/// it is unfinished (the last, with no newline after it). Bytes, not text: a crash can cut a
/// line inside a character, and that line alone is then unfinished.
fn lines_of(
    mut reader: impl std::io::BufRead,
    path: &Path,
    mut visit: impl FnMut(usize, &[u8], bool) -> Result<()>,
) -> Result<()> {
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        if reader
            .read_until(b'\n', &mut line)
            .map_err(|err| cannot_read(path, err))?
            == 0
        {
            break;
        }
        let finished = line.pop_if(|last| *last == b'\n').is_some();
        visit(number, &line, !finished)?;
    }
    Ok(())
}

fn cannot_read(path: &Path, err: std::io::Error) -> Error {
    let fix = if err.kind() == std::io::ErrorKind::FileTooLarge {
        ". Move it aside (the next writing run starts a new one; its runs stay readable with \
         --journal and a larger --journal-max-mib), or pass a larger --journal-max-mib"
    } else {
        ""
    };
    let message = format!("cannot read the journal {}: {err}{fix}", path.display());
    Error::invalid_from(message, err)
}

/// Reads lines into entries. Each line dashshare writes carries a checksum of its text
/// (`checksum.rs`): one that does not match was changed by hand, and is refused. Lines from before
/// checksums have none and are read as they are, but only up to the first line that has one: a
/// line without one after it was not written by this dashshare.
struct Reader<'p> {
    path: &'p Path,
    entries: Vec<Entry>,
    first_checked: Option<usize>,
    old: OldLines,
}

impl<'p> Reader<'p> {
    fn new(path: &'p Path) -> Reader<'p> {
        Reader {
            path,
            entries: Vec::new(),
            first_checked: None,
            old: OldLines::default(),
        }
    }

    fn line(&mut self, number: usize, line: &[u8], unfinished: bool) -> Result<()> {
        if line.trim_ascii().is_empty() {
            return Ok(());
        }
        let refused = |why: String| {
            Error::invalid(format!(
                "the journal {} line {number} {why}; dashshare reads no journal edited by hand: \
                 put the line back as dashshare wrote it (from a backup), or move the journal \
                 aside and let the next run start a new one",
                self.path.display()
            ))
        };
        let (text, checked) = match checksum::open(line) {
            Seal::Sealed(text) => (text, true),
            Seal::Mismatch => {
                return Err(refused(
                    "was changed after dashshare wrote it (its sha256 does not match)".into(),
                ));
            }
            Seal::Unsealed => (Cow::Borrowed(line), false),
        };
        match serde_json::from_slice::<Entry>(&text) {
            Ok(mut entry) => {
                match (checked, self.first_checked) {
                    (true, None) => self.first_checked = Some(number),
                    (false, Some(first)) => {
                        return Err(refused(format!(
                            "has no sha256, though line {first} before it has one: it was not \
                             written by this dashshare (nor by an older one running beside it, \
                             which must not share its journal)"
                        )));
                    }
                    _ => {}
                }
                self.old.convert(&mut entry);
                self.entries.push(entry);
            }
            // A crash or a full disk can cut an append short: the line just stops. What came
            // before stands, and so does what later runs appended after it.
            Err(err) if err.is_eof() || unfinished => {
                tracing::warn!(
                    "ignoring the unfinished line {number} of the journal {}: {err}",
                    self.path.display()
                );
            }
            Err(err) => {
                return Err(Error::invalid(format!(
                    "the journal {} is damaged at line {number}: {err}",
                    self.path.display()
                )));
            }
        }
        Ok(())
    }
}

/// Journal lines the unit tests of other modules are written in.
#[cfg(test)]
pub(crate) mod examples {
    use super::*;

    /// A line of run `r1` on dashboard `d` of a Sisense server.
    pub fn line(kind: EntryKind, before: ShareSet, after: ShareSet) -> Entry {
        Entry {
            run_id: "r1".into(),
            time: "2026-12-07T00:00:00Z".into(),
            command: "apply f.csv".into(),
            profile: "p".into(),
            vendor: Vendor::Sisense,
            url: "https://bi.example.com/".into(),
            dashboard: Dashboard {
                id: "d".into(),
                title: None,
            },
            before: Some(before),
            after,
            kind,
            error: None,
            ends: None,
            data_model: None,
            legacy: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Level, PrincipalKind, Share, ShareKey};

    fn entry(run: &str, dashboard: &str) -> Entry {
        let share = |id: &str| Share {
            key: ShareKey::new(PrincipalKind::User, id),
            level: Level::Access(Access::View),
        };
        Entry {
            run_id: run.into(),
            time: now(),
            command: format!("grant {dashboard}"),
            profile: "prod".into(),
            vendor: Vendor::Sisense,
            url: "https://bi.example.com/".into(),
            dashboard: Dashboard {
                id: dashboard.into(),
                title: None,
            },
            before: Some(ShareSet::new([share("a")])),
            after: ShareSet::new([share("a"), share("b")]),
            kind: EntryKind::Written,
            error: None,
            ends: Some(Ends::default()),
            data_model: None,
            legacy: Legacy::default(),
        }
    }

    /// The journal at `path`, locked for appending as a writing run locks it.
    fn locked(path: &Path) -> Journal {
        let journal = Journal::locate(Some(path)).unwrap();
        journal.check_writable().unwrap();
        let lock = RunLock::try_acquire(path, &Holder::this_run("test", "test"))
            .unwrap()
            .unwrap();
        journal.held.set(lock).unwrap();
        journal
    }

    #[test]
    fn a_line_from_before_write_ahead_reads_as_a_written_write() {
        let mut old = serde_json::to_value(entry("r1", "d1")).unwrap();
        let fields = old.as_object_mut().unwrap();
        fields.remove("kind");
        fields.remove("error");
        let read: Entry = serde_json::from_value(old).unwrap();
        assert_eq!(read.kind, EntryKind::Written);
    }

    #[test]
    fn a_run_with_an_unanswered_intent_is_listed_as_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let journal = locked(&dir.path().join("journal.jsonl"));
        let answered = entry("r1", "d1");
        let failed = entry("r1", "d2");
        journal
            .append(&[
                answered.clone().intent(),
                answered.written(),
                failed.clone().intent(),
                failed.failed(&Error::remote("timed out")),
                entry("r1", "d3").intent(),
            ])
            .unwrap();
        journal
            .append(&[entry("r2", "d1").intent(), entry("r2", "d1").written()])
            .unwrap();
        let runs = journal.runs().unwrap();
        assert_eq!(runs[0].dashboards, 3);
        assert_eq!(runs[0].unanswered, 1);
        assert!(runs[0].interrupted);
        assert_eq!(runs[1].dashboards, 1);
        assert!(!runs[1].interrupted);
        let (lines, _) = journal.run("r1").unwrap();
        assert_eq!(lines[3].error.as_deref(), Some("timed out"));
    }

    /// A journal that cannot be written is this machine's failure, named by its path, never a
    /// remote one (issue 25).
    #[test]
    fn a_journal_that_cannot_be_written_is_a_local_failure_naming_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Journal::locate(Some(&path)).unwrap();
        journal.check_writable().unwrap();
        let err = journal.append(&[entry("r1", "d1")]).unwrap_err();
        assert_eq!(err.kind(), "local");
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
    }

    #[test]
    fn entries_round_trip_and_group_into_runs() {
        let dir = tempfile::tempdir().unwrap();
        let journal = locked(&dir.path().join("j/journal.jsonl"));
        assert!(journal.entries().unwrap().is_empty());
        journal
            .append(&[entry("r1", "d1"), entry("r1", "d2")])
            .unwrap();
        journal.append(&[entry("r2", "d1")]).unwrap();
        let runs = journal.runs().unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].dashboards, 2);
        let (r1, before_r1) = journal.run("r1").unwrap();
        assert_eq!(r1[1].after.len(), 2);
        assert!(before_r1.is_empty());
        let (r2, before_r2) = journal.run("r2").unwrap();
        assert_eq!((r2.len(), before_r2.len()), (1, 2));
        let unknown = journal.run("nope").unwrap_err();
        assert!(unknown.to_string().contains("'nope'"), "{unknown}");
        assert!(
            unknown
                .about()
                .is_some_and(|about| about.is(Thing::Run, "nope")),
            "{unknown:?}"
        );
    }

    #[test]
    fn a_damaged_line_is_named_but_an_unfinished_last_one_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, "{not json}\n").unwrap();
        let journal = locked(&path);
        let err = journal.entries().unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");

        let good = serde_json::to_string(&entry("r1", "d1")).unwrap();
        std::fs::write(&path, format!("{good}\n{{\"run_id\": \"r2")).unwrap();
        assert_eq!(journal.entries().unwrap().len(), 1);
        // The next append starts on a line of its own, so the journal stays readable.
        journal.append(&[entry("r3", "d3")]).unwrap();
        let runs = run_ids(&journal);
        assert_eq!(runs, ["r1", "r3"]);
    }

    /// The run id of every entry the journal reads back, in order.
    fn run_ids(journal: &Journal) -> Vec<String> {
        journal
            .entries()
            .unwrap_or_else(|err| panic!("{err}"))
            .into_iter()
            .map(|e| e.run_id)
            .collect()
    }

    #[test]
    fn a_line_torn_inside_a_character_is_skipped_like_any_unfinished_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = locked(&path);
        let mut titled = entry("r1", "d1");
        titled.dashboard.title = Some("Café".into());
        let line = serde_json::to_string(&titled).unwrap();
        let cut = line.find('é').unwrap() + 1;
        std::fs::write(&path, &line.as_bytes()[..cut]).unwrap();
        journal.append(&[entry("r2", "d2")]).unwrap();
        let runs = run_ids(&journal);
        assert_eq!(runs, ["r2"]);
    }

    /// Issue 24: a journal line edited by hand was taken for what dashshare wrote.
    #[test]
    fn a_line_edited_by_hand_is_refused_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = locked(&path);
        journal
            .append(&[entry("r1", "d1"), entry("r1", "d2")])
            .unwrap();
        assert_eq!(run_ids(&journal), ["r1", "r1"]);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("\"d2\"", "\"d9\"", 1)).unwrap();
        let err = journal.entries().unwrap_err();
        assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
        let message = err.to_string();
        assert!(message.contains("line 2 was changed"), "{message}");
        assert!(message.contains(path.to_str().unwrap()), "{message}");
    }

    #[test]
    fn lines_from_before_checksums_are_read_until_the_first_line_with_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let old = serde_json::to_string(&entry("old", "d1")).unwrap();
        std::fs::write(&path, format!("{old}\n")).unwrap();
        let journal = locked(&path);
        journal.append(&[entry("new", "d1")]).unwrap();
        assert_eq!(run_ids(&journal), ["old", "new"]);
        // A line without one after that was not written by this dashshare.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        std::io::Write::write_all(&mut file, format!("{old}\n").as_bytes()).unwrap();
        let message = journal.entries().unwrap_err().to_string();
        assert!(message.contains("line 3 has no sha256"), "{message}");
        assert!(message.contains("line 2 before it"), "{message}");
    }

    /// Issue 24: `--journal /dev/zero` was read until 24 GB and an abort.
    #[cfg(unix)]
    #[test]
    fn a_journal_over_its_bound_or_no_regular_file_is_refused_unread() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        // Sparse: a bound's worth of size costs no disk.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(1024 * 1024 + 1).unwrap();
        let journal = Journal::locate(Some(&path)).unwrap().with_max_mib(1);
        let message = journal.entries().unwrap_err().to_string();
        assert!(message.contains("1048577 bytes"), "{message}");
        assert!(message.contains("--journal-max-mib"), "{message}");
        for device in ["/dev/zero", "/dev/null"] {
            let journal = Journal::locate(Some(Path::new(device))).unwrap();
            let err = journal.entries().unwrap_err();
            assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
            assert!(err.to_string().contains("character device"), "{err}");
            assert!(journal.check_writable().is_err());
        }
        let link = dir.path().join("link.jsonl");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let journal = Journal::locate(Some(&link)).unwrap();
        assert!(
            journal
                .entries()
                .unwrap_err()
                .to_string()
                .contains("symbolic link")
        );
        assert!(journal.check_writable().is_err());
    }

    #[test]
    fn only_a_run_holding_the_lock_appends() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::locate(Some(&dir.path().join("journal.jsonl"))).unwrap();
        let err = journal.append(&[entry("r1", "d1")]).unwrap_err();
        assert!(err.to_string().contains("does not hold its lock"), "{err}");
    }
}
