//! One writing run at a time per journal. `grant`, `revoke`, `apply` and `undo` each read a share
//! list, merge, and write it back whole; two runs doing that to one dashboard at once lose each
//! other's change. So a writing run takes an exclusive lock on the journal file itself before its
//! first read, holds it until it ends, and appends its lines through that same open file. The lock
//! is the operating system's (flock), released when the process ends however it ends, kill -9
//! included: there is never a stale lock to clean.
//!
//! Before each append the run checks that the journal's path still names the file it holds: once
//! the journal is deleted, moved or replaced, a second run could lock a new file there, so this
//! run stops writing (its intents fail, and no write is sent without one).
//!
//! Beside the journal, `journal.jsonl.lock` says who holds it, for the message of a run that finds
//! it taken. It is locked too, so that a dashshare from before the lock moved to the journal
//! (which locks only that file) still takes turns with this one; deleting it unlocks nothing.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::private_file;

/// How often a waiting run looks again (with jitter, so that waiting runs do not move in step).
const POLL: Duration = Duration::from_millis(100);
/// How many times a journal replaced between its opening and its locking is opened again.
const REOPENS: usize = 3;

/// The run holding a journal, as written into its lock file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub run_id: String,
    /// RFC 3339, UTC.
    pub started: String,
    /// The command's verb and argument, e.g. `apply shares.csv`.
    pub command: String,
}

impl Holder {
    /// This process, starting run `run_id` now.
    pub fn this_run(run_id: &str, command: &str) -> Holder {
        Holder {
            pid: std::process::id(),
            run_id: run_id.to_string(),
            started: crate::links::iso_utc(chrono::Utc::now()),
            command: command.to_string(),
        }
    }
}

/// A held journal: its file, locked and open for appending. Dropping it (or the process ending)
/// releases it.
#[derive(Debug)]
pub struct RunLock {
    path: PathBuf,
    journal: File,
    note: File,
    /// One append at a time between the tasks of the run, so that a line is never split by
    /// another's; the fsync after it is outside, so that appends still overlap their fsyncs.
    /// It counts the appends made.
    appending: Mutex<u64>,
    /// How many appends `synced`'s fsyncs have covered; held while one runs (group commit).
    covered: tokio::sync::Mutex<u64>,
    /// fsyncs made, for `-vv` (the tests count them there).
    fsyncs: AtomicU64,
}

/// The holder's note beside the journal `journal`: `journal.jsonl` → `journal.jsonl.lock`.
pub fn lock_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

impl RunLock {
    /// Takes the lock of `journal` for `holder`, waiting up to `wait` (none: not at all) while
    /// another run holds it. Still held: bad invocation (exit 2) naming the holder and the fix.
    pub async fn acquire(
        journal: &Path,
        holder: &Holder,
        wait: Option<Duration>,
    ) -> Result<RunLock> {
        let deadline = wait.map(|wait| Instant::now() + wait);
        let mut announced = false;
        loop {
            if let Some(lock) = Self::try_acquire(journal, holder)? {
                return Ok(lock);
            }
            let now = Instant::now();
            match deadline {
                Some(deadline) if now < deadline => {
                    if !announced {
                        announced = true;
                        tracing::info!(
                            "the journal {} is in use ({}); waiting for it",
                            journal.display(),
                            describe(read_holder(&lock_path(journal)).as_ref())
                        );
                    }
                    let pause = POLL.mul_f64(0.5 + fastrand::f64());
                    tokio::time::sleep(pause.min(deadline - now)).await;
                }
                _ => return Err(held(journal, wait)),
            }
        }
    }

    /// The lock of `journal` if it is free now, with `holder` written into its note; `None`
    /// while another run holds it.
    pub fn try_acquire(journal: &Path, holder: &Holder) -> Result<Option<RunLock>> {
        let refused = |path: &Path, err: &dyn std::fmt::Display| {
            Error::invalid(format!(
                "cannot lock the journal through {}: {err}; nothing was changed (fix the folder, \
                 or pass --journal PATH)",
                path.display()
            ))
        };
        for _ in 0..REOPENS {
            let file = private_file::open_append(journal).map_err(|err| refused(journal, &err))?;
            if !take(&file).map_err(|err| refused(journal, &err))? {
                return Ok(None);
            }
            // Replaced between the opening and the locking: the file there now is the journal.
            if names(journal, &file).is_err() {
                continue;
            }
            let note_path = lock_path(journal);
            // Never truncated on open: the details belong to whoever holds the note.
            let mut note =
                private_file::open_update(&note_path).map_err(|err| refused(&note_path, &err))?;
            if !take(&note).map_err(|err| refused(&note_path, &err))? {
                return Ok(None);
            }
            let details = serde_json::to_string(holder).map_err(|err| refused(&note_path, &err))?;
            note.set_len(0)
                .and_then(|()| note.seek(SeekFrom::Start(0)))
                .and_then(|_| note.write_all(format!("{details}\n").as_bytes()))
                .map_err(|err| refused(&note_path, &err))?;
            return Ok(Some(RunLock {
                path: journal.to_path_buf(),
                journal: file,
                note,
                appending: Mutex::new(0),
                covered: tokio::sync::Mutex::new(0),
                fsyncs: AtomicU64::new(0),
            }));
        }
        Err(refused(journal, &"it was replaced each time it was locked"))
    }

    /// Appends `lines` (whole lines, each ending in a newline) to the journal in one write and,
    /// when `durable`, flushes them to disk before it returns; refused once the journal's path
    /// no longer names the file held. Without `durable`, `synced` (or the next durable append,
    /// or the end of the run) puts them on disk.
    pub fn append(&self, lines: &[u8], durable: bool) -> io::Result<()> {
        {
            let mut turn = self
                .appending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            names(&self.path, &self.journal)?;
            let mut file = &self.journal;
            // A crash can leave the last line unfinished; gluing the next entry onto it would
            // damage both, and from then on every read of the journal would fail.
            let mut text = Vec::with_capacity(lines.len() + 1);
            if ends_unfinished(file)? {
                text.push(b'\n');
            }
            text.extend_from_slice(lines);
            file.write_all(&text)?;
            *turn += 1;
        }
        match durable {
            true => self.fsync(),
            false => Ok(()),
        }
    }

    /// Returns once every line appended so far is on disk. Group commit: the writers of a run
    /// take turns, and one fsync covers every line appended before it started, so writers that
    /// append while another's fsync runs share the next one instead of each making their own.
    /// The fsync runs off the async threads, so the run's other writers append meanwhile.
    pub async fn synced(&self) -> io::Result<()> {
        let mine = *self
            .appending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut covered = self.covered.lock().await;
        if *covered >= mine {
            return Ok(());
        }
        // Every line appended by now is covered by this fsync.
        let written = *self
            .appending
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let file = self.journal.try_clone()?;
        tokio::task::spawn_blocking(move || file.sync_data())
            .await
            .map_err(io::Error::other)??;
        *covered = written;
        let count = self.fsyncs.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(
            target: "dashshare::journal",
            "journal fsync {count} covers the lines appended through {written}"
        );
        Ok(())
    }

    /// One fsync, for a line that must be on disk before the caller goes on.
    fn fsync(&self) -> io::Result<()> {
        self.journal.sync_data()?;
        let count = self.fsyncs.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::debug!(target: "dashshare::journal", "journal fsync {count}");
        Ok(())
    }
}

/// Takes `file`'s exclusive lock if it is free: false while another holds it.
fn take(file: &File) -> io::Result<bool> {
    match file.try_lock() {
        Ok(()) => Ok(true),
        Err(std::fs::TryLockError::WouldBlock) => Ok(false),
        Err(std::fs::TryLockError::Error(err)) => Err(err),
    }
}

/// Whether `path` still names `file` (the same device and inode; a link there does not count).
fn names(path: &Path, file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let held = file.metadata()?;
        let gone = |what: &str| {
            io::Error::other(format!(
                "it was {what} since this run locked it, and another run may now lock a new \
                 journal there, so this run writes nothing more (where the journal was moved to, \
                 `dashshare --journal PATH history` still lists this run)"
            ))
        };
        match std::fs::symlink_metadata(path) {
            Ok(named) if named.dev() == held.dev() && named.ino() == held.ino() => Ok(()),
            Ok(_) => Err(gone("replaced")),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Err(gone("deleted or moved")),
            Err(err) => Err(err),
        }
    }
    #[cfg(not(unix))]
    {
        // Windows keeps an open file from being deleted or replaced.
        let _ = (path, file);
        Ok(())
    }
}

/// Whether `file` ends in the middle of a line (a torn last append).
fn ends_unfinished(mut file: &File) -> io::Result<bool> {
    if file.metadata()?.len() == 0 {
        return Ok(false);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    Ok(last[0] != b'\n')
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // The outcome lines no fsync has covered yet go to disk before the run ends.
        let written = *self
            .appending
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        if written > *self.covered.get_mut() {
            let _ = self.journal.sync_data();
        }
        // Still held here: the next run finds an empty note rather than this run's details. The
        // locks themselves go with the file handles.
        let _ = self.note.set_len(0);
    }
}

/// The holder's details, as far as they can be read (a holder may be writing them this instant).
fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    private_file::open_existing(path)
        .ok()??
        .take(64 * 1024)
        .read_to_string(&mut text)
        .ok()?;
    serde_json::from_str(text.trim()).ok()
}

fn describe(holder: Option<&Holder>) -> String {
    match holder {
        Some(h) => format!(
            "pid {}, run {}, started {}, `{}`",
            h.pid, h.run_id, h.started, h.command
        ),
        None => "a dashshare run that has not written its details yet".to_string(),
    }
}

fn held(journal: &Path, wait: Option<Duration>) -> Error {
    let holder = describe(read_holder(&lock_path(journal)).as_ref());
    let waited = match wait {
        Some(wait) => format!(
            ", and still was after waiting {}",
            humantime::format_duration(wait)
        ),
        None => String::new(),
    };
    Error::invalid(format!(
        "the journal {} is in use by another run ({holder}){waited}; nothing was changed. Let \
         that run end and run again, or pass --wait 5m to wait for it",
        journal.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(run: &str) -> Holder {
        Holder::this_run(run, "apply shares.csv")
    }

    #[test]
    fn the_lock_file_sits_beside_the_journal() {
        assert_eq!(
            lock_path(Path::new("/state/dashshare/journal.jsonl")),
            Path::new("/state/dashshare/journal.jsonl.lock")
        );
    }

    #[test]
    fn a_held_lock_is_refused_naming_its_holder_until_it_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let note = lock_path(&journal);
        let first = RunLock::try_acquire(&journal, &holder("run-1"))
            .unwrap()
            .expect("a free lock is taken");
        let written = read_holder(&note).expect("the holder's details are written");
        assert_eq!(
            (
                written.pid,
                written.run_id.as_str(),
                written.command.as_str()
            ),
            (std::process::id(), "run-1", "apply shares.csv")
        );
        // A second handle, even in this process, is another holder to flock.
        assert!(
            RunLock::try_acquire(&journal, &holder("run-2"))
                .unwrap()
                .is_none()
        );
        assert_eq!(read_holder(&note).unwrap().run_id, "run-1");
        drop(first);
        let second = RunLock::try_acquire(&journal, &holder("run-2")).unwrap();
        assert!(second.is_some());
        assert_eq!(read_holder(&note).unwrap().run_id, "run-2");
    }

    #[cfg(unix)]
    #[test]
    fn the_journal_and_its_note_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let _lock = RunLock::try_acquire(&journal, &holder("run-1")).unwrap();
        for path in [journal.clone(), lock_path(&journal)] {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{}", path.display());
        }
    }

    /// Issue 24: a deleted lock file let a second run lock a new one and race the first.
    #[cfg(unix)]
    #[test]
    fn a_deleted_note_unlocks_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let first = RunLock::try_acquire(&journal, &holder("run-1"))
            .unwrap()
            .unwrap();
        std::fs::remove_file(lock_path(&journal)).unwrap();
        assert!(
            RunLock::try_acquire(&journal, &holder("run-2"))
                .unwrap()
                .is_none()
        );
        first.append(b"{}\n", true).unwrap();
    }

    /// Issue 24: a journal deleted or replaced mid-run let a second run lock a new one.
    #[cfg(unix)]
    #[test]
    fn a_journal_deleted_or_replaced_mid_run_takes_no_more_lines() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let lock = RunLock::try_acquire(&journal, &holder("run-1"))
            .unwrap()
            .unwrap();
        lock.append(b"{\"n\":1}\n", true).unwrap();
        let kept = dir.path().join("kept.jsonl");
        std::fs::hard_link(&journal, &kept).unwrap();
        std::fs::remove_file(&journal).unwrap();
        let err = lock.append(b"{\"n\":2}\n", true).unwrap_err();
        assert!(err.to_string().contains("deleted or moved"), "{err}");
        std::fs::write(&journal, "").unwrap();
        let err = lock.append(b"{\"n\":3}\n", true).unwrap_err();
        assert!(err.to_string().contains("replaced"), "{err}");
        assert_eq!(std::fs::read_to_string(&kept).unwrap(), "{\"n\":1}\n");
        assert_eq!(std::fs::read_to_string(&journal).unwrap(), "");
        // The note stays locked until the run ends: only then does the next run take the journal.
        assert!(
            RunLock::try_acquire(&journal, &holder("run-2"))
                .unwrap()
                .is_none()
        );
        drop(lock);
        assert!(
            RunLock::try_acquire(&journal, &holder("run-2"))
                .unwrap()
                .is_some()
        );
    }

    /// Issue 24: a lock path that was a link had its target truncated.
    #[cfg(unix)]
    #[test]
    fn a_link_at_the_journal_or_its_note_is_refused_and_its_target_kept() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("precious");
        std::fs::write(&target, "keep").unwrap();
        let journal = dir.path().join("journal.jsonl");
        std::os::unix::fs::symlink(&target, lock_path(&journal)).unwrap();
        let err = RunLock::try_acquire(&journal, &holder("run-1")).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
        assert!(err.to_string().contains("symbolic link"), "{err}");
        std::fs::remove_file(lock_path(&journal)).unwrap();
        std::fs::remove_file(&journal).unwrap();
        std::os::unix::fs::symlink(&target, &journal).unwrap();
        let err = RunLock::try_acquire(&journal, &holder("run-1")).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
    }

    #[test]
    fn an_append_after_a_torn_line_starts_a_line_of_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        std::fs::write(&journal, "{\"torn").unwrap();
        let lock = RunLock::try_acquire(&journal, &holder("run-1"))
            .unwrap()
            .unwrap();
        lock.append(b"{}\n", true).unwrap();
        lock.append(b"{}\n", true).unwrap();
        assert_eq!(
            std::fs::read_to_string(&journal).unwrap(),
            "{\"torn\n{}\n{}\n"
        );
    }

    #[tokio::test]
    async fn without_wait_a_held_journal_is_exit_2_naming_pid_run_and_start() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let _held = RunLock::acquire(&journal, &holder("run-1"), None)
            .await
            .unwrap();
        let err = RunLock::acquire(&journal, &holder("run-2"), None)
            .await
            .unwrap_err();
        assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
        let message = err.to_string();
        let started = read_holder(&lock_path(&journal)).unwrap().started;
        for expected in [
            format!("pid {}", std::process::id()),
            "run run-1".to_string(),
            started,
            journal.display().to_string(),
            "--wait".to_string(),
        ] {
            assert!(message.contains(&expected), "{expected} missing: {message}");
        }
    }

    #[tokio::test]
    async fn wait_takes_the_lock_once_the_holder_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let held = RunLock::acquire(&journal, &holder("run-1"), None)
            .await
            .unwrap();
        let releaser = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            drop(held);
        });
        let lock = RunLock::acquire(&journal, &holder("run-2"), Some(Duration::from_secs(30)))
            .await
            .unwrap();
        releaser.await.unwrap();
        assert_eq!(read_holder(&lock_path(&journal)).unwrap().run_id, "run-2");
        drop(lock);
    }

    #[tokio::test]
    async fn a_wait_that_runs_out_says_how_long_it_waited() {
        let dir = tempfile::tempdir().unwrap();
        let journal = dir.path().join("journal.jsonl");
        let _held = RunLock::acquire(&journal, &holder("run-1"), None)
            .await
            .unwrap();
        let err = RunLock::acquire(&journal, &holder("run-2"), Some(Duration::from_millis(250)))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("after waiting 250ms"), "{err}");
        assert!(err.to_string().contains("run run-1"), "{err}");
    }
}
