//! The journal: JSON lines about dashboard writes (run id, time, profile, vendor, dashboard, and
//! the share set before and after). Each write is journaled ahead: an intent line before the
//! request, an outcome line (written or failed) after the answer, so that a run killed between
//! the two still tells `undo` which dashboards it may have changed. `history` lists its runs and
//! `undo` puts a run's dashboards back. Lines are only ever appended.

use std::collections::HashMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::Utc;
use serde::{Deserialize, Serialize};

use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::model::{Dashboard, ShareSet};
use crate::vendor::Vendor;

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
    /// What else the write carries: a grant's expiry, or the expiry it settles.
    #[serde(flatten)]
    pub marks: Marks,
}

/// What a write carries besides the share sets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marks {
    /// Shares granted for a time (`grant --for/--until`): `expire` takes them back once it has
    /// passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Expiry>,
    /// On an `expire` write: the run whose expiry it carries out, so that it is done once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settles: Option<String>,
    /// Shares the run asked for with no end that an earlier timed grant had given one, left as
    /// they were: that end no longer holds, so `expire` leaves them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keeps: Vec<crate::model::ShareKey>,
    /// A write of the dashboard's data model (`grant --with-data`), not of its shares (a line
    /// of its own, whose share sets are the dashboard's as they stand): `undo` takes the entries
    /// back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_model: Option<crate::data_model::DataModelChange>,
}

impl Marks {
    /// Nothing besides the share sets: a line with these marks says nothing a write does not.
    pub fn is_empty(&self) -> bool {
        self.expires.is_none()
            && self.settles.is_none()
            && self.keeps.is_empty()
            && self.data_model.is_none()
    }
}

/// When a grant's shares end, and what each was before it.
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
    /// Whether this line decides the share `key` anew: it changed it, asked for it with no end
    /// (`keeps`), or gave it an end (`expires`). An earlier timed grant's end no longer holds then.
    pub fn touches(&self, key: &crate::model::ShareKey) -> bool {
        let changed = match &self.before {
            Some(before) => before.get(key) != self.after.get(key),
            // A vendor that cannot read: what the write sent.
            None => self.after.get(key).is_some(),
        };
        changed
            || self.marks.keeps.contains(key)
            || self
                .marks
                .expires
                .as_ref()
                .is_some_and(|expiry| expiry.shares.iter().any(|share| &share.key == key))
    }

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
            marks: Marks::default(),
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

/// The timed grants (`grant --for/--until`) that no `expire` has settled yet, each once (its last
/// line). A grant whose write was never answered, or failed, counts too: the server may have
/// made it, and `expire` reads the server before taking anything back.
pub fn pending_expiries(entries: &[Entry]) -> Vec<&Entry> {
    let settled: std::collections::HashSet<(&str, &str, &str)> = entries
        .iter()
        .filter(|e| e.kind == EntryKind::Written)
        .filter_map(|e| {
            let grant = e.marks.settles.as_deref()?;
            Some((grant, e.profile.as_str(), e.dashboard.id.as_str()))
        })
        .collect();
    let mut last: HashMap<(&str, &str, &str), &Entry> = HashMap::new();
    let mut order = Vec::new();
    for entry in entries.iter().filter(|e| e.marks.expires.is_some()) {
        let key = (
            entry.run_id.as_str(),
            entry.profile.as_str(),
            entry.dashboard.id.as_str(),
        );
        if settled.contains(&key) {
            continue;
        }
        if last.insert(key, entry).is_none() {
            order.push(key);
        }
    }
    order
        .into_iter()
        .filter_map(|key| last.get(&key).copied())
        .collect()
}

/// Whether a line after `grant` (another run's, on the same server and dashboard) decided the
/// share `key` anew (`Entry::touches`): then it is no longer the timed grant's to take back. An
/// `expire` that settles this very grant does not count: one that never heard back leaves the
/// grant pending, and the next `expire` reads the server again.
pub fn changed_since<'e>(
    entries: &'e [Entry],
    grant: &Entry,
    key: &crate::model::ShareKey,
) -> Option<&'e Entry> {
    let start = entries
        .iter()
        .position(|e| e.run_id == grant.run_id && e.dashboard.id == grant.dashboard.id)?;
    entries[start..].iter().find(|e| {
        e.run_id != grant.run_id
            && e.url == grant.url
            && e.dashboard.id == grant.dashboard.id
            && e.kind != EntryKind::Failed
            && e.marks.settles.as_deref() != Some(grant.run_id.as_str())
            && e.touches(key)
    })
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
}

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
        Ok(Journal { path })
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
        private_append(&self.path).map(drop).map_err(refused)
    }

    /// Appends `entries` and flushes them to disk.
    pub fn append(&self, entries: &[Entry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let failed = |err: std::io::Error| {
            let message = format!(
                "the journal {} could not be written: {err}",
                self.path.display()
            );
            Error::remote_from(message, err)
        };
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        // A crash can leave the last line unfinished; gluing the next entry onto it would damage
        // both, and from then on every read of the journal would fail.
        let mut text = if ends_unfinished(&self.path) {
            String::from("\n")
        } else {
            String::new()
        };
        for entry in entries {
            let line = serde_json::to_string(entry).map_err(|err| {
                Error::remote_from(format!("cannot record the journal entry: {err}"), err)
            })?;
            text.push_str(&line);
            text.push('\n');
        }
        let mut file = private_append(&self.path).map_err(failed)?;
        file.write_all(text.as_bytes()).map_err(failed)?;
        file.sync_data().map_err(failed)
    }

    /// Every entry, oldest first; a journal that does not exist yet is empty.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        entries_in(&self.bytes()?, &self.path)
    }

    /// The journal as it is on disk; one that does not exist yet is empty. Bytes, not text: a
    /// crash can cut a line inside a character, and that line alone is then unfinished, not the
    /// whole file unreadable.
    pub fn bytes(&self) -> Result<Vec<u8>> {
        match std::fs::read(&self.path) {
            Ok(bytes) => Ok(bytes),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(err) => {
                let message = format!("cannot read the journal {}: {err}", self.path.display());
                Err(Error::invalid_from(message, err))
            }
        }
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
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|&byte| byte == b'\n')
        .enumerate()
        .filter(|(_, line)| !line.trim_ascii().is_empty())
        .collect();
    let mut entries = Vec::with_capacity(lines.len());
    for (position, (number, line)) in lines.iter().enumerate() {
        match serde_json::from_slice(line) {
            Ok(entry) => entries.push(entry),
            // A crash or a full disk can cut an append short: the line just stops. What came
            // before stands, and so does what later runs appended after it.
            Err(err)
                if err.is_eof() || (position + 1 == lines.len() && !bytes.ends_with(b"\n")) =>
            {
                tracing::warn!(
                    "ignoring the unfinished line {} of the journal {}: {err}",
                    number + 1,
                    path.display()
                );
            }
            Err(err) => {
                return Err(Error::invalid(format!(
                    "the journal {} is damaged at line {}: {err}",
                    path.display(),
                    number + 1
                )));
            }
        }
    }
    Ok(entries)
}

/// Whether the file ends in the middle of a line (a torn last append).
fn ends_unfinished(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let mut last = [0u8; 1];
    std::fs::File::open(path)
        .and_then(|mut file| {
            file.seek(SeekFrom::End(-1))?;
            file.read_exact(&mut last)
        })
        .is_ok_and(|()| last[0] != b'\n')
}

/// Opens `path` for appending, creating it readable by its owner only: entries name people.
pub(crate) fn private_append(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
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
            marks: Marks::default(),
        }
    }

    /// A grant of b (run g), then what later lines did to b.
    #[test]
    fn a_later_line_that_decides_a_share_anew_makes_it_no_longer_the_grant_s() {
        let b = ShareKey::new(PrincipalKind::User, "b");
        let grant = entry("g", "d1");
        let unchanged = |run: &str, marks: Marks| Entry {
            before: Some(grant.after.clone()),
            marks,
            ..entry(run, "d1")
        };
        let since = |later: Entry| {
            changed_since(&[grant.clone(), later], &grant, &b).map(|e| e.run_id.clone())
        };
        // Another dashboard's write, and a line that leaves b as it is, do not count.
        assert_eq!(since(entry("w", "d2")), None);
        assert_eq!(since(unchanged("u", Marks::default())), None);
        // Kept with no end, or given another end: no longer the grant's.
        let kept = Marks {
            keeps: vec![b.clone()],
            ..Marks::default()
        };
        assert_eq!(since(unchanged("k", kept)).as_deref(), Some("k"));
        let moved = Marks {
            expires: Some(Expiry {
                at: "2099-01-01T00:00:00Z".into(),
                shares: vec![Expiring {
                    key: b.clone(),
                    granted: Level::Access(Access::View),
                    before: None,
                }],
            }),
            ..Marks::default()
        };
        assert_eq!(since(unchanged("m", moved)).as_deref(), Some("m"));
        // An `expire` of this very grant that never heard back: the next one tries again.
        let taking_back = Entry {
            before: Some(grant.after.clone()),
            after: grant.before.clone().unwrap(),
            kind: EntryKind::Intent,
            marks: Marks {
                settles: Some("g".into()),
                ..Marks::default()
            },
            ..entry("x", "d1")
        };
        assert_eq!(since(taking_back), None);
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
        let journal = Journal::locate(Some(&dir.path().join("journal.jsonl"))).unwrap();
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

    #[test]
    fn entries_round_trip_and_group_into_runs() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::locate(Some(&dir.path().join("j/journal.jsonl"))).unwrap();
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
        let journal = Journal::locate(Some(&path)).unwrap();
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
        let journal = Journal::locate(Some(&path)).unwrap();
        let mut titled = entry("r1", "d1");
        titled.dashboard.title = Some("Café".into());
        let line = serde_json::to_string(&titled).unwrap();
        let cut = line.find('é').unwrap() + 1;
        std::fs::write(&path, &line.as_bytes()[..cut]).unwrap();
        journal.append(&[entry("r2", "d2")]).unwrap();
        let runs = run_ids(&journal);
        assert_eq!(runs, ["r2"]);
    }
}
