//! Lines written before ends were recorded carry marks instead (`expires`, `keeps`, `settles`):
//! read in order, each gets the ends in force after it, as that version worked them out, so
//! every reader sees recorded ends only.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Entry, EntryKind};
use crate::model::ShareKey;
use crate::model::ends::{End, Ends};

/// The ends so far of each server and dashboard, with the run that gave each (old lines name
/// the grant an `expire` settles by its run).
#[derive(Default)]
pub(super) struct OldLines {
    places: HashMap<(String, String), (Ends, HashMap<ShareKey, String>)>,
}

impl OldLines {
    /// Gives an old line its ends; a recorded line's ends are taken as they are.
    pub(super) fn convert(&mut self, entry: &mut Entry) {
        let place = (entry.url.clone(), entry.dashboard.id.clone());
        let (ends, runs) = self.places.entry(place).or_default();
        if let Some(recorded) = &entry.ends {
            *ends = recorded.clone();
            runs.clear();
            return;
        }
        // A timed grant's end held while no later line of another run decided the share anew
        // and no answered `expire` settled it; a failed write decided nothing.
        let settles = entry.legacy.settles.as_deref();
        if entry.kind != EntryKind::Failed {
            *ends = ends
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
        }
        if let Some(expiry) = &entry.legacy.expires {
            match DateTime::parse_from_rfc3339(&expiry.at) {
                Ok(at) => {
                    let given = expiry.shares.iter().map(|share| End {
                        key: share.key.clone(),
                        at: at.with_timezone(&Utc),
                        level: share.granted,
                        back_to: share.before,
                    });
                    *ends = ends.iter().cloned().chain(given).collect();
                    for share in &expiry.shares {
                        runs.insert(share.key.clone(), entry.run_id.clone());
                    }
                }
                Err(_) => tracing::warn!(
                    "the journal's run {} gave an end that is no time ('{}'): left out",
                    entry.run_id,
                    expiry.at
                ),
            }
        }
        entry.ends = Some(ends.clone());
    }
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    /// A journal the previous version wrote before ends were recorded (grants for a time, a
    /// keep, an `expire` that took one back and settled a kept one, a lowering, a Vizzly grant),
    /// read as the ends it stands for: each dashboard's last line's.
    #[test]
    fn a_journal_from_before_recorded_ends_reads_as_its_ends() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/journal/before_recorded_ends.jsonl");
        let journal = super::super::Journal::locate(Some(&path)).unwrap();
        let mut last: HashMap<(String, String), Vec<String>> = HashMap::new();
        for entry in journal.entries().unwrap() {
            let ends = entry.ends.expect("every line read has its ends");
            let shown = ends
                .iter()
                .map(|end| {
                    let back = end.back_to.map_or("none".to_string(), |l| l.to_string());
                    format!("{} {} {} back to {back}", end.key.id, end.at, end.level)
                })
                .collect();
            last.insert((entry.url, entry.dashboard.id), shown);
        }
        let of =
            |url: &str, dashboard: &str| last[&(url.to_string(), dashboard.to_string())].clone();
        let sisense = "http://127.0.0.1:42689/";
        // alice until the end of 2099; bob lowered from edit until mid-2099; erin's end was
        // taken back by `expire`.
        assert_eq!(
            of(sisense, "5829b46bd009e91420000047"),
            [
                "5f0000000000000000000002 2100-01-01 00:00:00 UTC view back to none",
                "5f0000000000000000000003 2099-07-01 00:00:00 UTC view back to edit",
            ]
        );
        // alice's end was taken off by a plain grant, then settled by `expire`.
        assert!(of(sisense, "5dc5c237832aeb53441186bb").is_empty());
        // erin's edit for a second was taken back; her view until March stands.
        assert_eq!(
            of(sisense, "5dc5c237832aeb53441186bc"),
            ["5f0000000000000000000006 2099-03-02 00:00:00 UTC view back to none"]
        );
        assert_eq!(
            of("http://127.0.0.1:39573/", "dsh_0f3a"),
            ["timed-user 2099-01-02 00:00:00 UTC view back to none"]
        );
    }
}
