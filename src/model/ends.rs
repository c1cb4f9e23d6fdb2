//! The ends of shares given for a time, as each journal line records them: per share, when it
//! ends and the level it goes back to then. `after_change` decides a dashboard's ends after a
//! change from its ends before, the shares before and after, and what was asked of each share;
//! every writer journals what it returns, so no later reader has to work it out again.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Level, ShareKey, ShareSet};

/// One share's end: at `at` the share, while still at `level` (what its timed grant gave), goes
/// back to `back_to` (`None`: it is taken away).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct End {
    pub key: ShareKey,
    pub at: DateTime<Utc>,
    pub level: Level,
    pub back_to: Option<Level>,
}

/// A dashboard's ends: at most one per share.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Vec<End>", into = "Vec<End>")]
pub struct Ends(BTreeMap<ShareKey, End>);

impl From<Vec<End>> for Ends {
    fn from(ends: Vec<End>) -> Ends {
        Ends(ends.into_iter().map(|end| (end.key.clone(), end)).collect())
    }
}

impl From<Ends> for Vec<End> {
    fn from(ends: Ends) -> Vec<End> {
        ends.0.into_values().collect()
    }
}

impl FromIterator<End> for Ends {
    fn from_iter<I: IntoIterator<Item = End>>(ends: I) -> Ends {
        Ends::from(ends.into_iter().collect::<Vec<_>>())
    }
}

impl Ends {
    pub fn get(&self, key: &ShareKey) -> Option<&End> {
        self.0.get(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = &End> {
        self.0.values()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// These ends, and `other`'s for shares these have none for: what may hold after a write
    /// whose answer never came (or failed), since the server may or may not have made it.
    pub fn or(&self, other: &Ends) -> Ends {
        let mut both = self.clone();
        for end in other.iter() {
            both.0.entry(end.key.clone()).or_insert_with(|| end.clone());
        }
        both
    }

    /// The end of `key` while the share is at `level`: one given to another level is not its.
    pub fn holding(&self, key: &ShareKey, level: Option<Level>) -> Option<&End> {
        self.get(key).filter(|end| Some(end.level) == level)
    }
}

/// What a change asks of one share's end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// Asked for with no end (a plain grant, a revoke): any end it had no longer holds.
    NoEnd,
    /// Given until this time; at the end it goes back to what it was before.
    Until(DateTime<Utc>),
    /// Put back (undo) with the end it had then, if any.
    Back(Option<End>),
}

/// What a change asks of each share it names; shares it does not name keep their ends.
pub type AskedEnds = BTreeMap<ShareKey, Asked>;

/// The ends after a change of a dashboard from `before` (`None`: the vendor cannot read, and
/// `after` is what was sent) to `after`, over the ends `old` in force before it:
///
/// - a share asked for with no end has none; one removed has none;
/// - a share asked for until a time, that the change adds or moves to another level, ends then
///   and goes back to its level before (or, over an earlier end of that level, to what that end
///   went back to); one already at that level keeps an earlier end's level to go back to, with
///   the new time, and one already there with no end is not given one;
/// - a share put back (undo) has the end it had then, if it is at that end's level;
/// - a share not asked about keeps its end while it is at the end's level.
pub fn after_change(
    old: &Ends,
    before: Option<&ShareSet>,
    after: &ShareSet,
    asked: &AskedEnds,
) -> Ends {
    let keys: BTreeSet<&ShareKey> = old.0.keys().chain(asked.keys()).collect();
    keys.into_iter()
        .filter_map(|key| {
            let now = after.get(key);
            let blind = before.is_none();
            let was = before.and_then(|before| before.get(key));
            match asked.get(key) {
                None if blind => old.get(key).cloned(),
                None => old.holding(key, now).cloned(),
                Some(Asked::NoEnd) => None,
                Some(Asked::Back(end)) => end.clone().filter(|end| Some(end.level) == now),
                Some(Asked::Until(at)) => {
                    let level = now?;
                    let earlier = old.holding(key, if blind { Some(level) } else { was });
                    let back_to = match earlier {
                        Some(end) => end.back_to,
                        // Already there with no end: it is not given for a time.
                        None if was == Some(level) => return None,
                        None => was,
                    };
                    Some(End {
                        key: key.clone(),
                        at: *at,
                        level,
                        back_to,
                    })
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::examples::{shares as set, user as key};
    use crate::model::{Access, Share};
    use proptest::prelude::*;

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    fn at(day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2099-01-{day:02}T00:00:00Z"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn end(id: &str, day: u32, level: Level, back_to: Option<Level>) -> End {
        End {
            key: key(id),
            at: at(day),
            level,
            back_to,
        }
    }

    fn asked(of: &[(&str, Asked)]) -> AskedEnds {
        of.iter().map(|(id, a)| (key(id), a.clone())).collect()
    }

    #[test]
    fn a_timed_grant_ends_and_goes_back_to_what_was_there() {
        let before = set(&[("bob", EDIT)]);
        let after = set(&[("alice", VIEW), ("bob", VIEW)]);
        let ends = after_change(
            &Ends::default(),
            Some(&before),
            &after,
            &asked(&[("alice", Asked::Until(at(1))), ("bob", Asked::Until(at(2)))]),
        );
        let expected: Ends = [end("alice", 1, VIEW, None), end("bob", 2, VIEW, Some(EDIT))]
            .into_iter()
            .collect();
        assert_eq!(ends, expected);
    }

    #[test]
    fn asked_again_an_end_is_kept_moved_or_not_given() {
        let old: Ends = [end("alice", 1, VIEW, None), end("bob", 1, VIEW, Some(EDIT))]
            .into_iter()
            .collect();
        let shares = set(&[("alice", VIEW), ("bob", VIEW), ("carol", VIEW)]);
        let ends = after_change(
            &old,
            Some(&shares),
            &shares,
            &asked(&[
                ("alice", Asked::NoEnd),
                ("bob", Asked::Until(at(9))),
                ("carol", Asked::Until(at(9))),
            ]),
        );
        // alice kept with no end; bob's end moved, still back to edit; carol was there with none.
        assert_eq!(
            ends,
            [end("bob", 9, VIEW, Some(EDIT))].into_iter().collect()
        );
    }

    #[test]
    fn a_raise_over_an_end_goes_back_to_the_level_before_both() {
        let old: Ends = [end("alice", 1, VIEW, None)].into_iter().collect();
        let ends = after_change(
            &old,
            Some(&set(&[("alice", VIEW)])),
            &set(&[("alice", EDIT)]),
            &asked(&[("alice", Asked::Until(at(5)))]),
        );
        assert_eq!(ends, [end("alice", 5, EDIT, None)].into_iter().collect());
    }

    #[test]
    fn a_blind_vendor_keeps_what_it_cannot_see() {
        let old: Ends = [end("alice", 1, VIEW, None), end("bob", 1, VIEW, None)]
            .into_iter()
            .collect();
        let sent = set(&[("bob", VIEW)]);
        let ends = after_change(&old, None, &sent, &asked(&[("bob", Asked::Until(at(7)))]));
        let expected: Ends = [end("alice", 1, VIEW, None), end("bob", 7, VIEW, None)]
            .into_iter()
            .collect();
        assert_eq!(ends, expected);
    }

    #[test]
    fn an_undo_puts_back_the_end_of_the_level_it_restores() {
        let current = Ends::default();
        let restored = set(&[("alice", VIEW), ("bob", EDIT)]);
        let ends = after_change(
            &current,
            Some(&ShareSet::default()),
            &restored,
            &asked(&[
                ("alice", Asked::Back(Some(end("alice", 3, VIEW, None)))),
                ("bob", Asked::Back(Some(end("bob", 3, VIEW, None)))),
            ]),
        );
        assert_eq!(ends, [end("alice", 3, VIEW, None)].into_iter().collect());
    }

    #[test]
    fn journaled_as_a_list_one_per_share() {
        let ends: Ends = [end("alice", 1, VIEW, Some(EDIT))].into_iter().collect();
        let text = serde_json::to_string(&ends).unwrap();
        assert_eq!(
            text,
            r#"[{"key":{"type":"user","id":"alice"},"at":"2099-01-01T00:00:00Z","level":"view","back_to":"edit"}]"#
        );
        assert_eq!(serde_json::from_str::<Ends>(&text).unwrap(), ends);
    }

    fn level() -> impl Strategy<Value = Option<Level>> {
        prop_oneof![Just(None), Just(Some(VIEW)), Just(Some(EDIT))]
    }

    fn ask() -> impl Strategy<Value = Option<Asked>> {
        prop_oneof![
            Just(None),
            Just(Some(Asked::NoEnd)),
            (1u32..28).prop_map(|day| Some(Asked::Until(at(day)))),
        ]
    }

    /// One principal's case: its level before and after, an old end (day, level) or none, and
    /// what is asked of its end, if anything.
    type Case = (
        Option<Level>,
        Option<Level>,
        Option<(u32, Level)>,
        Option<Asked>,
    );

    /// Three principals' cases.
    fn case() -> impl Strategy<Value = Vec<Case>> {
        let old = prop_oneof![
            Just(None),
            (1u32..28, prop_oneof![Just(VIEW), Just(EDIT)]).prop_map(Some)
        ];
        proptest::collection::vec((level(), level(), old, ask()), 3)
    }

    proptest! {
        #[test]
        fn every_end_follows_the_rules(rows in case()) {
            let ids = ["a", "b", "c"];
            let pick = |f: &dyn Fn(&Case) -> Option<Level>| {
                ShareSet::new(ids.iter().zip(&rows).filter_map(|(id, row)| {
                    f(row).map(|level| Share { key: key(id), level })
                }))
            };
            let before = pick(&|row| row.0);
            let after = pick(&|row| row.1);
            let old: Ends = ids.iter().zip(&rows)
                .filter_map(|(id, row)| row.2.map(|(day, level)| end(id, day, level, None)))
                .collect();
            let asks: AskedEnds = ids.iter().zip(&rows)
                .filter_map(|(id, row)| row.3.clone().map(|a| (key(id), a)))
                .collect();
            let ends = after_change(&old, Some(&before), &after, &asks);
            for (id, (was, now, _, ask)) in ids.iter().zip(&rows) {
                let got = ends.get(&key(id));
                // Every end is of the level the share is left at: none on a share removed.
                if let Some(got) = got {
                    prop_assert_eq!(Some(got.level), *now);
                }
                match ask {
                    Some(Asked::NoEnd) => prop_assert!(got.is_none()),
                    Some(Asked::Until(when)) if now.is_some() && was != now => {
                        // A new end replaces the old.
                        prop_assert_eq!(got.map(|e| e.at), Some(*when));
                    }
                    None => prop_assert_eq!(got, old.holding(&key(id), *now)),
                    _ => {}
                }
            }
        }
    }
}
