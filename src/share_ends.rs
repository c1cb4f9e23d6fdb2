//! The ends of shares given for a time in force, as the journal records them: for each server
//! and dashboard, those its last line carries (`Entry::ends`). Lines from before ends were
//! recorded carry marks instead, converted here as they are read, in order.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::journal::{Entry, EntryKind, Journal};
use crate::model::ShareKey;
use crate::model::ends::{End, Ends};
use crate::model::{Dashboard, Level};
use crate::vendor::Vendor;

/// Where a share lies: the server's URL and the dashboard's id.
type Place = (String, String);

/// One dashboard's ends, and where its last line was written from.
#[derive(Debug, Clone)]
pub struct Held {
    pub url: String,
    pub profile: String,
    pub vendor: Vendor,
    pub dashboard: Dashboard,
    pub ends: Ends,
    /// For lines from before ends were recorded: the run that gave each end.
    legacy_runs: HashMap<ShareKey, String>,
}

#[derive(Debug, Default)]
pub struct ShareEnds {
    places: HashMap<Place, Held>,
}

impl ShareEnds {
    /// The ends `journal` records. A journal that never gave an end (most: timed grants are
    /// rare) is not parsed, so a run's cost does not grow with the journal.
    pub fn read(journal: &Journal) -> Result<ShareEnds> {
        // A line that gives an end has one of these keys; an escaped one in a title cannot match.
        let recorded = memchr::memmem::Finder::new(b"\"ends\":[{");
        let legacy = memchr::memmem::Finder::new(b"\"expires\"");
        let mut timed: HashSet<Vec<u8>> = HashSet::new();
        journal.each_line(|_, line, _| {
            if (recorded.find(line).is_some() || legacy.find(line).is_some())
                && let Some(dashboard) = dashboard_of(line)
            {
                timed.insert(dashboard.to_vec());
            }
            Ok(())
        })?;
        if timed.is_empty() {
            return Ok(ShareEnds::default());
        }
        // Only the lines of dashboards that were ever given an end are read whole.
        let entries = journal.entries_where(|line| {
            dashboard_of(line).is_none_or(|dashboard| timed.contains(dashboard))
        })?;
        Ok(ShareEnds::of(&entries))
    }

    /// Reads the journal's lines in order.
    pub fn of(entries: &[Entry]) -> ShareEnds {
        let mut ends = ShareEnds::default();
        for entry in entries {
            ends.record(entry);
        }
        ends
    }

    /// Takes in the next line: its ends are those in force for its dashboard now.
    pub fn record(&mut self, entry: &Entry) {
        let place = (entry.url.clone(), entry.dashboard.id.clone());
        let held = self.places.entry(place).or_insert_with(|| Held {
            url: entry.url.clone(),
            profile: String::new(),
            vendor: entry.vendor,
            dashboard: entry.dashboard.clone(),
            ends: Ends::default(),
            legacy_runs: HashMap::new(),
        });
        held.profile.clone_from(&entry.profile);
        held.vendor = entry.vendor;
        held.dashboard.clone_from(&entry.dashboard);
        match &entry.ends {
            Some(ends) => {
                held.ends = ends.clone();
                held.legacy_runs.clear();
            }
            None => convert(held, entry),
        }
    }

    /// The ends of `dashboard` on the server at `url`.
    pub fn of_dashboard(&self, url: &str, dashboard: &str) -> Ends {
        self.places
            .get(&(url.to_string(), dashboard.to_string()))
            .map(|held| held.ends.clone())
            .unwrap_or_default()
    }

    /// When the share `key` ends, while it is still at the level its timed grant gave (`level`).
    pub fn of_share(
        &self,
        url: &str,
        dashboard: &str,
        key: &ShareKey,
        level: Level,
    ) -> Option<End> {
        self.places
            .get(&(url.to_string(), dashboard.to_string()))?
            .ends
            .holding(key, Some(level))
            .cloned()
    }

    /// Every dashboard with an end by `by`, its ends all told, soonest first.
    pub fn due_by(&self, by: DateTime<Utc>) -> Vec<&Held> {
        let mut due: Vec<&Held> = self
            .places
            .values()
            .filter(|held| held.ends.iter().any(|end| end.at <= by))
            .collect();
        let soonest = |held: &Held| held.ends.iter().map(|end| end.at).min();
        due.sort_by(|a, b| {
            (soonest(a), &a.profile, &a.dashboard.id).cmp(&(
                soonest(b),
                &b.profile,
                &b.dashboard.id,
            ))
        });
        due
    }
}

/// The ends a writing run keeps up to date as it journals: read under its lock, each line it
/// appends taken in (`WriteAhead`).
#[derive(Debug)]
pub struct RunEnds(Mutex<ShareEnds>);

impl RunEnds {
    /// The journal's ends, for a run holding its lock. A journal that cannot say them refuses the
    /// run: every line a run writes carries its dashboard's ends, so one written over ends unknown
    /// would lose them once the journal is mended.
    pub fn read(journal: &Journal) -> Result<RunEnds> {
        ShareEnds::read(journal).map(RunEnds::of).map_err(|err| {
            Error::invalid(format!(
                "{err}; the ends of shares given for a time are unknown, and every write records \
                 its dashboard's: mend the journal and run again"
            ))
        })
    }

    pub fn of(ends: ShareEnds) -> RunEnds {
        RunEnds(Mutex::new(ends))
    }

    pub fn lock(&self) -> MutexGuard<'_, ShareEnds> {
        // A panic elsewhere while it was held leaves the ends as the last whole line left them.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The ends in force after a line from before ends were recorded, as that version read them: a
/// timed grant's end holds while no later line of another run decided the share anew (changed
/// it, kept it with no end, or gave it another end) and no answered `expire` settled it. A
/// failed write decides nothing.
fn convert(held: &mut Held, entry: &Entry) {
    let settles = entry.legacy.settles.as_deref();
    if entry.kind != EntryKind::Failed {
        let runs = &held.legacy_runs;
        let kept: Ends = held
            .ends
            .iter()
            .filter(|end| {
                let run = runs.get(&end.key).map(String::as_str).unwrap_or_default();
                if settles == Some(run) {
                    // An `expire` that never heard back left the end for the next one.
                    return entry.kind != EntryKind::Written;
                }
                run == entry.run_id || !decides_anew(entry, &end.key)
            })
            .cloned()
            .collect();
        held.ends = kept;
    }
    let Some(expiry) = &entry.legacy.expires else {
        return;
    };
    let Ok(at) = DateTime::parse_from_rfc3339(&expiry.at) else {
        tracing::warn!(
            "the journal's run {} gave an end that is no time ('{}'): left out",
            entry.run_id,
            expiry.at
        );
        return;
    };
    let mut ends: Vec<End> = held.ends.iter().cloned().collect();
    for share in &expiry.shares {
        ends.retain(|end| end.key != share.key);
        ends.push(End {
            key: share.key.clone(),
            at: at.with_timezone(&Utc),
            level: share.granted,
            back_to: share.before,
        });
        held.legacy_runs
            .insert(share.key.clone(), entry.run_id.clone());
    }
    held.ends = ends.into_iter().collect();
}

/// Whether an old line decided the share `key` anew: changed it, kept it with no end, or gave
/// it an end.
fn decides_anew(entry: &Entry, key: &ShareKey) -> bool {
    let changed = match &entry.before {
        Some(before) => before.get(key) != entry.after.get(key),
        // A vendor that cannot read: what the write sent.
        None => entry.after.get(key).is_some(),
    };
    let legacy = &entry.legacy;
    changed
        || legacy.keeps.contains(key)
        || legacy
            .expires
            .as_ref()
            .is_some_and(|expiry| expiry.shares.iter().any(|share| &share.key == key))
}

/// A journal line's dashboard id as written, found without parsing the line: `dashboard` is
/// serialized before any share set, and a quote inside a string is escaped, so the first match is
/// the field. `None` (an escape in the id, or no such field): the line is read whole.
fn dashboard_of(line: &[u8]) -> Option<&[u8]> {
    const FIELD: &[u8] = b"\"dashboard\":{\"id\":\"";
    let start = memchr::memmem::find(line, FIELD)? + FIELD.len();
    let length = memchr::memchr2(b'"', b'\\', &line[start..])?;
    (line[start + length] == b'"').then(|| &line[start..start + length])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, PrincipalKind};

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    fn user(id: &str) -> ShareKey {
        ShareKey::new(PrincipalKind::User, id)
    }

    fn time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// A journal today's version wrote before ends were recorded (grants for a time, a keep, an
    /// expire that took one back and settled a kept one, a raise, a Vizzly grant), read as the
    /// ends it stands for.
    #[test]
    fn a_journal_from_before_recorded_ends_reads_as_its_ends() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/journal/before_recorded_ends.jsonl");
        let journal = Journal::locate(Some(&path)).unwrap();
        let ends = ShareEnds::read(&journal).unwrap();
        let sisense = "http://127.0.0.1:42689/";
        let of =
            |url: &str, dashboard: &str| -> Vec<(String, DateTime<Utc>, Level, Option<Level>)> {
                ends.of_dashboard(url, dashboard)
                    .iter()
                    .map(|end| (end.key.id.clone(), end.at, end.level, end.back_to))
                    .collect()
            };
        // alice until the end of 2099; bob lowered from edit until mid-2099; erin's end was
        // taken back by `expire`.
        assert_eq!(
            of(sisense, "5829b46bd009e91420000047"),
            [
                (
                    "5f0000000000000000000002".into(),
                    time("2100-01-01T00:00:00Z"),
                    VIEW,
                    None
                ),
                (
                    "5f0000000000000000000003".into(),
                    time("2099-07-01T00:00:00Z"),
                    VIEW,
                    Some(EDIT)
                ),
            ]
        );
        // alice's end was taken off by a plain grant, then settled by `expire`.
        assert_eq!(of(sisense, "5dc5c237832aeb53441186bb"), []);
        // erin's edit for a second was taken back; her view until March stands.
        assert_eq!(
            of(sisense, "5dc5c237832aeb53441186bc"),
            [(
                "5f0000000000000000000006".into(),
                time("2099-03-02T00:00:00Z"),
                VIEW,
                None
            )]
        );
        assert_eq!(
            of("http://127.0.0.1:39573/", "dsh_0f3a"),
            [(
                "timed-user".into(),
                time("2099-01-02T00:00:00Z"),
                VIEW,
                None
            )]
        );
        let due: Vec<&str> = ends
            .due_by(time("2099-12-31T00:00:00Z"))
            .iter()
            .map(|held| held.dashboard.id.as_str())
            .collect();
        assert_eq!(
            due,
            [
                "dsh_0f3a",
                "5dc5c237832aeb53441186bc",
                "5829b46bd009e91420000047"
            ]
        );
    }

    #[test]
    fn the_last_line_of_a_dashboard_holds_its_ends() {
        let line = |ends: Ends| Entry {
            run_id: "r1".into(),
            time: "2026-12-07T00:00:00Z".into(),
            command: "grant d".into(),
            profile: "p".into(),
            vendor: Vendor::Sisense,
            url: "https://bi.example.com/".into(),
            dashboard: Dashboard {
                id: "d".into(),
                title: None,
            },
            before: Some(Default::default()),
            after: Default::default(),
            kind: EntryKind::Written,
            error: None,
            ends: Some(ends),
            data_model: None,
            legacy: Default::default(),
        };
        let end = End {
            key: user("alice"),
            at: time("2099-01-01T00:00:00Z"),
            level: VIEW,
            back_to: None,
        };
        let first = line([end.clone()].into_iter().collect());
        let url = first.url.clone();
        let ends = ShareEnds::of(std::slice::from_ref(&first));
        assert_eq!(ends.of_share(&url, "d", &user("alice"), VIEW), Some(end));
        assert_eq!(ends.of_share(&url, "d", &user("alice"), EDIT), None);
        let ends = ShareEnds::of(&[first, line(Ends::default())]);
        assert!(ends.of_dashboard(&url, "d").is_empty());
    }

    /// Lines as the journal writes them.
    fn written(lines: &[&str]) -> String {
        lines.iter().map(|line| format!("{line}\n")).collect()
    }

    #[test]
    fn the_journal_is_read_whole_only_for_dashboards_given_an_end() {
        let fixture = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/journal/before_recorded_ends.jsonl"),
        )
        .unwrap();
        let first = fixture.lines().next().unwrap();
        assert_eq!(
            dashboard_of(first.as_bytes()),
            Some(&b"5829b46bd009e91420000047"[..])
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Journal::locate(Some(&path)).unwrap();
        let read = |text: &str| {
            std::fs::write(&path, text).unwrap();
            ShareEnds::read(&journal)
        };
        // No end anywhere: nothing is parsed, so even a damaged line does not matter.
        assert!(read("{damaged\n").unwrap().places.is_empty());
        // A damaged line of a dashboard that never had an end is not read.
        let other = r#"{"run_id":"x","dashboard":{"id":"other"},"after":[oops"#;
        assert!(read(&written(&[other, first])).is_ok());
        // One that cannot be placed is read, and named by its number.
        let err = read(&written(&["not a line", first]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("damaged at line 1"), "{err}");
    }
}
