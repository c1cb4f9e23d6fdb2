//! The ends of shares given for a time in force, as the journal records them: for each server
//! and dashboard, those its last line carries (`Entry::ends`).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::journal::{Entry, Journal};
use crate::model::ShareKey;
use crate::model::ends::{End, Ends};
use crate::model::{Dashboard, Level};

/// Where a share lies: the server's URL and the dashboard's id.
type Place = (String, String);

/// One dashboard's ends, and where its last line was written from.
#[derive(Debug, Clone)]
pub struct Held {
    pub url: String,
    pub profile: String,
    pub dashboard: Dashboard,
    pub ends: Ends,
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

    /// The ends to show (`list`, `report`, a dry run): a journal that cannot say them shows none,
    /// and says why at `-v`.
    pub fn shown(journal: &Journal) -> ShareEnds {
        ShareEnds::read(journal).unwrap_or_else(|err| {
            tracing::warn!("the ends of shares given for a time are unknown: {err}");
            ShareEnds::default()
        })
    }

    /// When `key` on `dashboard` ends while at `level`, as shown: RFC 3339, UTC.
    pub fn shown_end(
        &self,
        url: &str,
        dashboard: &str,
        key: &ShareKey,
        level: Level,
    ) -> Option<String> {
        self.of_share(url, dashboard, key, level)
            .map(|end| crate::model::when::rfc3339(end.at))
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
            dashboard: entry.dashboard.clone(),
            ends: Ends::default(),
        });
        held.profile.clone_from(&entry.profile);
        held.dashboard.clone_from(&entry.dashboard);
        // Every line read from the journal has its ends (`journal::old_lines` gives old ones
        // theirs); a line with none has none in force.
        held.ends = entry.ends.clone().unwrap_or_default();
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

    /// The ends a run decides over: a writing run's must be known (`read`); a dry run shows
    /// what it can (`ShareEnds::shown`).
    pub fn for_run(journal: &Journal, dry_run: bool) -> Result<RunEnds> {
        match dry_run {
            true => Ok(RunEnds::of(ShareEnds::shown(journal))),
            false => RunEnds::read(journal),
        }
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
    use crate::model::Access;
    use crate::model::examples::{time, user};

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    #[test]
    fn the_last_line_of_a_dashboard_holds_its_ends() {
        let line = |ends: Ends| Entry {
            run_id: "r1".into(),
            time: "2026-12-07T00:00:00Z".into(),
            command: "grant d".into(),
            profile: "p".into(),
            vendor: crate::vendor::Vendor::Sisense,
            url: "https://bi.example.com/".into(),
            dashboard: Dashboard {
                id: "d".into(),
                title: None,
            },
            before: Some(Default::default()),
            after: Default::default(),
            kind: crate::journal::EntryKind::Written,
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
