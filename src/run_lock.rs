//! One writing run at a time per journal. `grant`, `revoke`, `apply` and `undo` each read a share
//! list, merge, and write it back whole; two runs doing that to one dashboard at once lose each
//! other's change. So a writing run takes an exclusive lock on a file beside the journal before
//! its first read and holds it until it ends. The lock is the operating system's (flock), released
//! when the process ends however it ends, kill -9 included: there is never a stale lock to clean.
//! The file also says who holds it, for the message of a run that finds it taken.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// How often a waiting run looks again (with jitter, so that waiting runs do not move in step).
const POLL: Duration = Duration::from_millis(100);

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
            started: crate::journal::now(),
            command: command.to_string(),
        }
    }
}

/// A held journal lock; dropping it (or the process ending) releases it.
#[derive(Debug)]
pub struct RunLock {
    file: File,
}

/// The lock file of the journal at `journal`: `journal.jsonl` → `journal.jsonl.lock`.
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
        let path = lock_path(journal);
        let deadline = wait.map(|wait| Instant::now() + wait);
        let mut announced = false;
        loop {
            if let Some(lock) = Self::try_acquire(&path, holder)? {
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
                            describe(read_holder(&path).as_ref())
                        );
                    }
                    let pause = POLL.mul_f64(0.5 + fastrand::f64());
                    tokio::time::sleep(pause.min(deadline - now)).await;
                }
                _ => return Err(held(journal, &path, wait)),
            }
        }
    }

    /// The lock if it is free now, with `holder` written into it; `None` while another run holds it.
    pub fn try_acquire(path: &Path, holder: &Holder) -> Result<Option<RunLock>> {
        let refused = |err: &dyn std::fmt::Display| {
            Error::invalid(format!(
                "cannot lock the journal through {}: {err}; nothing was changed (fix the folder, \
                 or pass --journal PATH)",
                path.display()
            ))
        };
        let mut options = OpenOptions::new();
        // Never truncated on open: the holder's details belong to the holder.
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(|err| refused(&err))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
            Err(std::fs::TryLockError::Error(err)) => return Err(refused(&err)),
        }
        let details = serde_json::to_string(holder).map_err(|err| refused(&err))?;
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(format!("{details}\n").as_bytes()))
            .map_err(|err| refused(&err))?;
        Ok(Some(RunLock { file }))
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        // Still held here: the next run finds an empty file rather than this run's details. The
        // lock itself goes with the file handle.
        let _ = self.file.set_len(0);
    }
}

/// The holder's details, as far as they can be read (a holder may be writing them this instant).
fn read_holder(path: &Path) -> Option<Holder> {
    let mut text = String::new();
    File::open(path)
        .and_then(|file| file.take(64 * 1024).read_to_string(&mut text))
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

fn held(journal: &Path, path: &Path, wait: Option<Duration>) -> Error {
    let holder = describe(read_holder(path).as_ref());
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
        let path = dir.path().join("journal.jsonl.lock");
        let first = RunLock::try_acquire(&path, &holder("run-1"))
            .unwrap()
            .expect("a free lock is taken");
        let written = read_holder(&path).expect("the holder's details are written");
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
            RunLock::try_acquire(&path, &holder("run-2"))
                .unwrap()
                .is_none()
        );
        assert_eq!(read_holder(&path).unwrap().run_id, "run-1");
        drop(first);
        let second = RunLock::try_acquire(&path, &holder("run-2")).unwrap();
        assert!(second.is_some());
        assert_eq!(read_holder(&path).unwrap().run_id, "run-2");
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl.lock");
        let _lock = RunLock::try_acquire(&path, &holder("run-1")).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
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
