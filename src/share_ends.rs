//! When each share given for a time ends, as the journal tells it: the end the last timed grant
//! gave it, while no later line decided the share anew (changed it, kept it with no end, or gave
//! it another end) and no `expire` settled it. `list` and `report` show these ends; `grant` and
//! `apply` read them to keep a share with no end, or move its end, when they ask for it again.

use std::collections::{HashMap, HashSet};

use crate::error::Result;
use crate::journal::{Entry, EntryKind, Journal};
use crate::model::{Level, ShareKey};

/// One share's end: when, the level the grant gave, the level before it, and the grant's run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    /// RFC 3339, UTC.
    pub at: String,
    pub granted: Level,
    pub before: Option<Level>,
    pub run_id: String,
}

/// A dashboard's shares that have an end, by share.
pub type DashboardEnds = HashMap<ShareKey, End>;

/// Where a share lies: the server's URL and the dashboard's id.
type Place = (String, String);

#[derive(Debug, Default)]
pub struct ShareEnds {
    ends: HashMap<Place, DashboardEnds>,
    /// Why the journal could not be read, when it could not: the ends are unknown then, not
    /// absent.
    unread: Option<String>,
}

impl ShareEnds {
    /// The ends `journal` tells. A journal that never gave an end (most: timed grants are rare)
    /// is not parsed, so a grant's cost does not grow with the journal.
    pub fn read(journal: &Journal) -> Result<ShareEnds> {
        // Every line that gives an end has the key; an escaped one in a title cannot match.
        let gives_an_end = memchr::memmem::Finder::new(b"\"expires\"");
        let mut timed: HashSet<Vec<u8>> = HashSet::new();
        journal.each_line(|_, line, _| {
            if gives_an_end.find(line).is_some()
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
        let mut ends: HashMap<Place, DashboardEnds> = HashMap::new();
        for entry in entries {
            let place = (entry.url.clone(), entry.dashboard.id.clone());
            let settles = entry.marks.settles.as_deref();
            // A failed write decides nothing, but a timed grant that failed may still have been
            // made (a timeout cannot tell): its end holds, as `expire` reads it.
            if let Some(shares) = ends
                .get_mut(&place)
                .filter(|_| entry.kind != EntryKind::Failed)
            {
                shares.retain(|key, end| {
                    if settles == Some(end.run_id.as_str()) {
                        // An `expire` that never heard back leaves the end for the next one.
                        return entry.kind != EntryKind::Written;
                    }
                    end.run_id == entry.run_id || !entry.touches(key)
                });
            }
            if let Some(expiry) = &entry.marks.expires {
                let shares = ends.entry(place).or_default();
                for share in &expiry.shares {
                    shares.insert(
                        share.key.clone(),
                        End {
                            at: expiry.at.clone(),
                            granted: share.granted,
                            before: share.before,
                            run_id: entry.run_id.clone(),
                        },
                    );
                }
            }
        }
        ShareEnds { ends, unread: None }
    }

    /// The ends of a journal that could not be read (`why`): none known, and said so.
    pub fn unread(why: String) -> ShareEnds {
        ShareEnds {
            ends: HashMap::new(),
            unread: Some(why),
        }
    }

    /// Why the ends are unknown, when they are: the journal could not be read.
    pub fn unknown(&self) -> Option<&str> {
        self.unread.as_deref()
    }

    /// The shares of `dashboard` on the server at `url` that have an end.
    pub fn of_dashboard(&self, url: &str, dashboard: &str) -> Option<&DashboardEnds> {
        self.ends
            .get(&(url.to_string(), dashboard.to_string()))
            .filter(|shares| !shares.is_empty())
    }

    /// When the share `key` ends, while it is still at the level its timed grant gave (`level`).
    pub fn of_share(
        &self,
        url: &str,
        dashboard: &str,
        key: &ShareKey,
        level: Level,
    ) -> Option<&End> {
        self.of_dashboard(url, dashboard)?
            .get(key)
            .filter(|end| end.granted == level)
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
    use crate::journal::{Expiring, Expiry, Marks};
    use crate::model::{Access, Dashboard, PrincipalKind, Share, ShareSet};
    use crate::vendor::Vendor;

    const URL: &str = "https://bi.example.com/";

    fn alice() -> ShareKey {
        ShareKey::new(PrincipalKind::User, "alice".to_string())
    }

    fn view() -> Level {
        Level::Access(Access::View)
    }

    fn with_alice() -> ShareSet {
        ShareSet::new([Share {
            key: alice(),
            level: view(),
        }])
    }

    fn line(run: &str, before: ShareSet, after: ShareSet, marks: Marks) -> Entry {
        Entry {
            run_id: run.into(),
            time: "2026-11-30T00:00:00Z".into(),
            command: "apply shares.yaml".into(),
            profile: "p".into(),
            vendor: Vendor::Sisense,
            url: URL.into(),
            dashboard: Dashboard {
                id: "d".into(),
                title: None,
            },
            before: Some(before),
            after,
            kind: EntryKind::Written,
            error: None,
            marks,
        }
    }

    fn timed(at: &str) -> Marks {
        Marks {
            expires: Some(Expiry {
                at: at.into(),
                shares: vec![Expiring {
                    key: alice(),
                    granted: view(),
                    before: None,
                }],
            }),
            ..Marks::default()
        }
    }

    fn end_of_alice(entries: &[Entry]) -> Option<String> {
        ShareEnds::of(entries)
            .of_share(URL, "d", &alice(), view())
            .map(|end| end.at.clone())
    }

    #[test]
    fn a_timed_grant_ends_until_a_later_line_decides_the_share_anew() {
        let granted = line(
            "r1",
            ShareSet::default(),
            with_alice(),
            timed("2026-12-01T00:00:00Z"),
        );
        assert_eq!(
            end_of_alice(std::slice::from_ref(&granted)).as_deref(),
            Some("2026-12-01T00:00:00Z")
        );

        // Asked for again with no end: nothing written, but the end no longer holds.
        let kept = line(
            "r2",
            with_alice(),
            with_alice(),
            Marks {
                keeps: vec![alice()],
                ..Marks::default()
            },
        );
        assert_eq!(end_of_alice(&[granted.clone(), kept]), None);

        // Asked for again with another end: that end holds.
        let moved = line(
            "r3",
            with_alice(),
            with_alice(),
            timed("2027-01-01T00:00:00Z"),
        );
        assert_eq!(
            end_of_alice(&[granted.clone(), moved]).as_deref(),
            Some("2027-01-01T00:00:00Z")
        );

        // Another run's unrelated line leaves it.
        let other = line("r4", with_alice(), with_alice(), Marks::default());
        assert!(end_of_alice(&[granted.clone(), other]).is_some());

        // Revoked by hand: gone.
        let revoked = line("r5", with_alice(), ShareSet::default(), Marks::default());
        assert_eq!(end_of_alice(&[granted, revoked]), None);
    }

    /// Lines as the journal writes them, `entry` on dashboard `dashboard`.
    fn written(entries: &[(&str, Entry)]) -> String {
        entries
            .iter()
            .map(|(dashboard, entry)| {
                let mut entry = entry.clone();
                entry.dashboard.id = dashboard.to_string();
                serde_json::to_string(&entry).unwrap() + "\n"
            })
            .collect()
    }

    #[test]
    fn the_journal_is_read_whole_only_for_dashboards_given_an_end() {
        let granted = line(
            "r1",
            ShareSet::default(),
            with_alice(),
            timed("2026-12-01T00:00:00Z"),
        );
        let other = line("r2", ShareSet::default(), with_alice(), Marks::default());
        let serialized = serde_json::to_string(&granted).unwrap();
        assert_eq!(dashboard_of(serialized.as_bytes()), Some(&b"d"[..]));

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let journal = Journal::locate(Some(&path)).unwrap();
        let ends_of = |text: &str| {
            std::fs::write(&path, text).unwrap();
            ShareEnds::read(&journal).map(|ends| {
                ends.of_share(URL, "d", &alice(), view())
                    .map(|end| end.at.clone())
            })
        };
        // No end anywhere: nothing is parsed, so even a damaged line does not matter.
        assert_eq!(ends_of("{damaged\n").unwrap(), None);
        // Another dashboard's damaged line is not read; the timed dashboard's lines are.
        let damage = |text: &str, line: usize| -> String {
            text.lines()
                .enumerate()
                .map(|(at, text)| match at == line {
                    true => text.replace("\"after\":[", "\"after\":[oops") + "\n",
                    false => text.to_string() + "\n",
                })
                .collect()
        };
        let text = written(&[("d", granted.clone()), ("e", other.clone())]);
        let damaged_elsewhere = damage(&text, 1);
        assert!(damaged_elsewhere.contains("oops"));
        assert_eq!(
            ends_of(&damaged_elsewhere).unwrap().as_deref(),
            Some("2026-12-01T00:00:00Z")
        );
        // A damaged line of the timed dashboard is named by its own number.
        let revoked = line("r3", with_alice(), ShareSet::default(), Marks::default());
        let text = written(&[("e", other), ("d", granted), ("d", revoked)]);
        assert_eq!(ends_of(&text).unwrap(), None);
        let err = ends_of(&damage(&text, 2)).unwrap_err().to_string();
        assert!(err.contains("damaged at line 3"), "{err}");
    }

    #[test]
    fn a_failed_timed_grant_may_have_been_made_but_a_failed_write_decides_nothing() {
        let failed = |entry: Entry| Entry {
            kind: EntryKind::Failed,
            ..entry
        };
        let granted = failed(line(
            "r1",
            ShareSet::default(),
            with_alice(),
            timed("2026-12-01T00:00:00Z"),
        ));
        assert!(end_of_alice(std::slice::from_ref(&granted)).is_some());
        let revoking = failed(line(
            "r2",
            with_alice(),
            ShareSet::default(),
            Marks::default(),
        ));
        assert!(end_of_alice(&[granted, revoking]).is_some());
    }

    #[test]
    fn only_an_answered_expire_settles_an_end() {
        let granted = line(
            "r1",
            ShareSet::default(),
            with_alice(),
            timed("2026-12-01T00:00:00Z"),
        );
        let settling = |kind| Entry {
            kind,
            ..line(
                "r2",
                with_alice(),
                ShareSet::default(),
                Marks {
                    settles: Some("r1".into()),
                    ..Marks::default()
                },
            )
        };
        assert!(end_of_alice(&[granted.clone(), settling(EntryKind::Intent)]).is_some());
        assert_eq!(
            end_of_alice(&[
                granted,
                settling(EntryKind::Intent),
                settling(EntryKind::Written)
            ]),
            None
        );
    }
}
