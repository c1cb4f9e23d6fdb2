//! The ends of shares given for a time in force, as the journal records them: for each server
//! and dashboard, those its last line carries (`Entry::ends`).

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::journal::{Entry, Journal};
use crate::model::ShareKey;
use crate::model::ends::Ends;
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

    /// When `key` on `dashboard` ends, while it is still at the level its timed grant gave
    /// (`level`), as shown: RFC 3339, UTC.
    pub fn shown_end(
        &self,
        url: &str,
        dashboard: &str,
        key: &ShareKey,
        level: Level,
    ) -> Option<String> {
        let end = self
            .of_dashboard(url, dashboard)
            .holding(key, Some(level))
            .cloned()?;
        Some(crate::model::when::rfc3339(end.at))
    }

    /// Reads the journal's lines in order.
    pub fn of(entries: &[Entry]) -> ShareEnds {
        let mut ends = ShareEnds::default();
        for entry in entries {
            ends.record(entry);
        }
        ends
    }

    /// Takes in the next line: its ends are those in force for its dashboard now. Every line read
    /// from the journal has its ends (`journal::old_lines` gives old ones theirs); a line with
    /// none has none in force.
    pub fn record(&mut self, entry: &Entry) {
        let held = Held {
            url: entry.url.clone(),
            profile: entry.profile.clone(),
            dashboard: entry.dashboard.clone(),
            ends: entry.ends.clone().unwrap_or_default(),
        };
        let place = (entry.url.clone(), entry.dashboard.id.clone());
        self.places.insert(place, held);
    }

    /// The ends of `dashboard` on the server at `url`.
    pub fn of_dashboard(&self, url: &str, dashboard: &str) -> Ends {
        self.places
            .get(&(url.to_string(), dashboard.to_string()))
            .map(|held| held.ends.clone())
            .unwrap_or_default()
    }

    /// Every dashboard with an end by `by`, its ends all told, soonest first.
    pub fn due_by(&self, by: DateTime<Utc>) -> Vec<&Held> {
        let mut due: Vec<&Held> = self
            .places
            .values()
            .filter(|held| held.ends.iter().any(|end| end.at <= by))
            .collect();
        due.sort_by_cached_key(|held| {
            let soonest = held.ends.iter().map(|end| end.at).min();
            (soonest, held.profile.clone(), held.dashboard.id.clone())
        });
        due
    }
}

/// The ends a writing run keeps up to date as it journals: read under its lock, each line it
/// appends taken in (`WriteAhead`).
#[derive(Debug)]
pub struct RunEnds(Mutex<ShareEnds>);

impl RunEnds {
    /// The ends a run holding the journal's lock decides over. A dry run shows what it can
    /// (`ShareEnds::shown`); a journal that cannot say them refuses a writing run: every line it
    /// writes carries its dashboard's ends, so one written over ends unknown would lose them once
    /// the journal is mended.
    pub fn for_run(journal: &Journal, dry_run: bool) -> Result<RunEnds> {
        if dry_run {
            return Ok(RunEnds::of(ShareEnds::shown(journal)));
        }
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
    use crate::model::ends::End;
    use crate::model::examples::{time, user};

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    #[test]
    fn the_last_line_of_a_dashboard_holds_its_ends() {
        let line = |ends: Ends| Entry {
            ends: Some(ends),
            ..crate::journal::examples::line(
                Default::default(),
                Default::default(),
                Default::default(),
            )
        };
        let end = End {
            key: user("alice"),
            at: time("2099-01-01T00:00:00Z"),
            level: VIEW,
            back_to: None,
        };
        let first = line([end].into_iter().collect());
        let url = first.url.clone();
        let ends = ShareEnds::of(std::slice::from_ref(&first));
        let at = Some("2099-01-01T00:00:00Z".to_string());
        assert_eq!(ends.shown_end(&url, "d", &user("alice"), VIEW), at);
        assert_eq!(ends.shown_end(&url, "d", &user("alice"), EDIT), None);
        let ends = ShareEnds::of(&[first, line(Ends::default())]);
        assert!(ends.of_dashboard(&url, "d").is_empty());
    }

    #[test]
    fn the_journal_is_read_whole_only_for_dashboards_given_an_end() {
        let fixture = include_str!("../tests/fixtures/journal/before_recorded_ends.jsonl");
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
        assert!(read(&format!("{other}\n{first}\n")).is_ok());
        // One that cannot be placed is read, and named by its number.
        let err = read(&format!("not a line\n{first}\n")).unwrap_err();
        assert!(err.to_string().contains("damaged at line 1"), "{err}");
    }
}
