//! Shares given for a time (`grant --for/--until`, an apply file's `expires`): when they end, and
//! the rules every timed grant follows, whichever command asks for it.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::ShareResult;
use super::admit::{Refusal, admit};
use crate::error::{Error, Result};
use crate::journal::{Expiring, Expiry, Marks};
use crate::model::{Action, Change, Mode, ShareKey, ShareSet};
use crate::share_ends::{DashboardEnds, ShareEnds};
use crate::vendor::Vendor;

/// The forms an end is written in, for messages.
pub const FORMS: &str = "a duration (30m, 8h, 7d), a date (2026-12-31: through that day, UTC) \
                         or an RFC 3339 time (2026-12-31T18:00:00Z)";

/// When a timed grant ends, as written: a length from the run's start, or a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ends {
    After(std::time::Duration),
    At(DateTime<Utc>),
}

impl Ends {
    /// Reads what an apply file's `expires` holds: whatever `--for` or `--until` takes.
    pub fn parse(text: &str) -> Result<Ends, String> {
        let text = text.trim();
        if let Ok(length) = humantime::parse_duration(text) {
            return Ok(Ends::After(length));
        }
        until(text)
            .map(Ends::At)
            .map_err(|_| format!("'{text}' is not an expiry: write {FORMS}"))
    }

    /// The time this stands for, counted from `start`.
    pub fn from(self, start: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        match self {
            Ends::After(length) => chrono::Duration::from_std(length)
                .ok()
                .and_then(|length| start.checked_add_signed(length))
                .ok_or_else(|| "is too long: give a duration under a few hundred years".into()),
            Ends::At(at) => Ok(at),
        }
    }

    /// The time this ends, for a run that started at `start`; it must lie ahead.
    pub fn at(self, start: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        let at = self.from(start)?;
        if at <= start {
            return Err(format!(
                "{} has already passed: give a later time",
                rfc3339(at)
            ));
        }
        Ok(at)
    }
}

/// `--until`: an RFC 3339 time, or a date meaning through that day, UTC.
pub fn until(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|date| date.succ_opt())
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .map(|midnight| midnight.and_utc())
        .ok_or_else(|| {
            format!(
                "'{text}' is neither a date (2026-12-31) nor an RFC 3339 time \
                 (2026-12-31T18:00:00Z)"
            )
        })
}

/// How an end is journaled and shown: RFC 3339, UTC, to the second.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A share given for a time must be taken back later: the vendor has to be able to revoke.
pub fn admit_timed(vendor: Vendor) -> Result<(), Refusal> {
    admit(vendor, &[], None, Change::Revoke, Mode::Merge)
}

/// Why a timed grant is refused at a vendor that cannot revoke, after the vendor's own reason.
pub const NEVER_TAKEN_BACK: &str = "so a grant for a time could never be taken back";

/// What a timed grant's plan removes (ECI's everyone drops the user and group lists) would not
/// come back when it expires: the shares it removes, named, if any.
pub fn removed_by(results: &[ShareResult]) -> Option<String> {
    let removed: Vec<String> = results
        .iter()
        .filter(|r| r.action == Action::Removed)
        .map(|r| format!("{} '{}'", r.kind, r.principal))
        .collect();
    (!removed.is_empty()).then(|| removed.join(", "))
}

/// A share asked for with no end, that an earlier timed grant gave one: kept, with no end.
pub const KEPT: &str = "an earlier grant gave it an end; asked for with none, it is kept and \
                        `dashshare expire` leaves it";

/// A share changed for a time from the level an earlier timed grant gave it: one end holds.
pub const OVER_AN_END: &str = "its level before this change was given for a time too: when this \
                               end comes, it goes back to what it had before both grants";

/// A share already there, asked for with another end than an earlier timed grant gave it.
pub const MOVED: &str = "an earlier grant gave it another end; the end asked for now holds";

/// Whether a row changes nothing on the server but the end of its share (kept with none, or
/// moved): shown beside the changes, since the journal records it.
pub fn end_changed(row: &ShareResult) -> bool {
    row.action == Action::Unchanged && matches!(row.note, Some(KEPT | MOVED))
}

/// The ends earlier timed grants gave the shares of `dashboard` (on the server at `url`), which
/// a change's rows ask for anew (`mark_ends`). Where the journal could not be read, a writing
/// change whose rows depend on them (`needs_ends`) is refused: once the journal is mended,
/// `expire` would take back a share asked for again here.
pub fn earlier_ends<'e>(
    ends: &'e ShareEnds,
    url: &str,
    dashboard: &str,
    results: &[ShareResult],
    timed: impl Fn(&ShareResult) -> bool,
    writing: bool,
) -> Result<Option<&'e DashboardEnds>> {
    if let Some(why) = ends.unknown()
        && writing
        && needs_ends(results, timed)
    {
        return Err(Error::invalid(format!(
            "{why}; the ends earlier timed grants gave these shares are unknown, and once the \
             journal is mended `dashshare expire` would take back a share asked for again here: \
             mend the journal and run again"
        )));
    }
    Ok(ends.of_dashboard(url, dashboard))
}

/// Whether the rows of a change depend on the ends earlier timed grants gave: a share already
/// there (kept with no end, or given a new one), or one raised for a time (it goes back to the
/// level before an earlier timed grant). A share added, or changed with no end, does not: its
/// write decides it anew whatever the journal said. A vendor that cannot read has neither.
fn needs_ends(results: &[ShareResult], timed: impl Fn(&ShareResult) -> bool) -> bool {
    results.iter().any(|row| {
        row.id.is_some()
            && (row.action == Action::Unchanged || (row.action == Action::Updated && timed(row)))
    })
}

/// A share asked for with an end that was already there with none: it is not given for a time.
pub const ALREADY_THERE: &str = "already there with no end, so it is not given for a time and \
                                 does not expire";

/// What a change asks of the ends of the shares it names, as journal marks, and each row's end
/// (`expires`) as it will hold. `timed` picks the rows asked for until `at` (all of a change's
/// timed rows share one end); `earlier` are the dashboard's ends from earlier timed grants.
///
/// - A share the change adds or raises for a time ends at `at`. Raised from the level an earlier
///   timed grant gave, it goes back to the level before that grant.
/// - A share already there at the level an earlier timed grant gave it takes the end asked for:
///   none (`keeps`: the earlier end no longer holds) or a new one.
/// - A share that was already there with no end is not given for a time, so it never expires.
pub fn mark_ends(
    results: &mut [ShareResult],
    at: Option<&str>,
    timed: impl Fn(&ShareResult) -> bool,
    earlier: Option<&DashboardEnds>,
) -> Marks {
    let mut shares = Vec::new();
    let mut keeps = Vec::new();
    for row in results.iter_mut() {
        let Some(id) = row.id.clone() else {
            continue;
        };
        let key = ShareKey::new(row.kind, id);
        let at = at.filter(|_| timed(row));
        // The end that holds on the share as it is now.
        let holding = earlier
            .and_then(|ends| ends.get(&key))
            .filter(|end| row.before == Some(end.granted));
        match (row.action, at, holding) {
            (Action::Added | Action::Updated, Some(at), _) => {
                if let Some(granted) = row.after {
                    shares.push(Expiring {
                        key,
                        granted,
                        before: holding.map_or(row.before, |end| end.before),
                    });
                    row.expires = Some(at.to_string());
                    if holding.is_some() {
                        row.note.get_or_insert(OVER_AN_END);
                    }
                }
            }
            (Action::Unchanged, Some(at), Some(end)) => {
                if end.at != at {
                    shares.push(Expiring {
                        key,
                        granted: end.granted,
                        before: end.before,
                    });
                    row.note.get_or_insert(MOVED);
                }
                row.expires = Some(at.to_string());
            }
            (Action::Unchanged, Some(_), None) => {
                row.note.get_or_insert(ALREADY_THERE);
            }
            (Action::Unchanged, None, Some(_)) => {
                keeps.push(key);
                row.note.get_or_insert(KEPT);
            }
            _ => {}
        }
    }
    Marks {
        expires: at.filter(|_| !shares.is_empty()).map(|at| Expiry {
            at: at.to_string(),
            shares,
        }),
        settles: None,
        keeps,
        data_model: None,
    }
}

/// The ends an undo gives back: of the shares it puts back (`restored`, changing `current`), those
/// an earlier timed grant had given at that very level (`ends`, as they held before the undone
/// run) end again. A write carries one end, so where they ended apart the soonest is kept and the
/// others are returned: they are put back with no end.
pub fn ends_put_back(
    ends: Option<&DashboardEnds>,
    restored: &ShareSet,
    current: &ShareSet,
) -> (Option<Expiry>, Vec<ShareKey>) {
    let mut timed: Vec<(&str, Expiring)> = restored
        .iter()
        .filter(|share| current.get(&share.key) != Some(share.level))
        .filter_map(|share| {
            let end = ends?
                .get(&share.key)
                .filter(|end| end.granted == share.level)?;
            Some((
                end.at.as_str(),
                Expiring {
                    key: share.key.clone(),
                    granted: end.granted,
                    before: end.before,
                },
            ))
        })
        .collect();
    // RFC 3339 in UTC to the second sorts as time does.
    timed.sort_by(|a, b| a.0.cmp(b.0));
    let Some(soonest) = timed.first().map(|(at, _)| at.to_string()) else {
        return (None, Vec::new());
    };
    let (ending, apart): (Vec<_>, Vec<_>) = timed.into_iter().partition(|(at, _)| *at == soonest);
    (
        Some(Expiry {
            at: soonest,
            shares: ending.into_iter().map(|(_, share)| share).collect(),
        }),
        apart.into_iter().map(|(_, share)| share.key).collect(),
    )
}

/// The note on a share an apply file gives for a time at a vendor that cannot read its shares.
pub const BLIND_TIMED: &str = "given for a time at a vendor that cannot read its shares: when it \
     ends, `dashshare expire` sends the revoke, and if the principal already had this access, the \
     revoke takes that away too";

/// What a timed grant at a vendor that cannot read its shares must say: the revoke, when it
/// comes, takes earlier access too.
pub fn blind_warning(at: &str) -> String {
    format!(
        "This grant ends at {at}: `dashshare expire` (from cron) sends the revoke then. This \
         vendor cannot read its shares, so if a principal already had this access, the revoke \
         takes that away too."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Level, PrincipalKind};
    use crate::share_ends::End;

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    fn row(id: &str, before: Option<Level>, after: Option<Level>, action: Action) -> ShareResult {
        ShareResult {
            principal: id.into(),
            kind: PrincipalKind::User,
            id: Some(id.into()),
            before,
            after,
            action,
            line: None,
            note: None,
            expires: None,
            data: None,
        }
    }

    fn key(id: &str) -> ShareKey {
        ShareKey::new(PrincipalKind::User, id.to_string())
    }

    /// alice and bob were given view until December by run r1 (bob had nothing before, alice
    /// nothing either); carol has view with no end.
    fn earlier() -> DashboardEnds {
        let end = |before| End {
            at: "2026-12-01T00:00:00Z".into(),
            granted: VIEW,
            before,
            run_id: "r1".into(),
        };
        [(key("alice"), end(None)), (key("bob"), end(None))].into()
    }

    #[test]
    fn asked_again_with_no_end_a_timed_share_is_kept() {
        let mut rows = [
            row("alice", Some(VIEW), Some(VIEW), Action::Unchanged),
            row("carol", Some(VIEW), Some(VIEW), Action::Unchanged),
            row("dave", None, Some(VIEW), Action::Added),
        ];
        let marks = mark_ends(&mut rows, None, |_| true, Some(&earlier()));
        assert_eq!(marks.keeps, [key("alice")]);
        assert_eq!(marks.expires, None);
        assert_eq!(rows[0].note, Some(KEPT));
        assert_eq!(rows[1].note, None);
        assert!(rows.iter().all(|r| r.expires.is_none()));
    }

    #[test]
    fn a_new_end_moves_an_earlier_one_and_a_share_without_one_never_expires() {
        let at = "2027-01-01T00:00:00Z";
        let mut rows = [
            row("alice", Some(VIEW), Some(VIEW), Action::Unchanged),
            // Raised from the level a timed grant gave: back to the level before that grant.
            row("bob", Some(VIEW), Some(EDIT), Action::Updated),
            row("carol", Some(VIEW), Some(VIEW), Action::Unchanged),
            row("dave", None, Some(VIEW), Action::Added),
        ];
        let marks = mark_ends(&mut rows, Some(at), |_| true, Some(&earlier()));
        let expiry = marks.expires.unwrap();
        assert_eq!(expiry.at, at);
        let given: Vec<(&str, Level, Option<Level>)> = expiry
            .shares
            .iter()
            .map(|s| (s.key.id.as_str(), s.granted, s.before))
            .collect();
        assert_eq!(
            given,
            [
                ("alice", VIEW, None),
                ("bob", EDIT, None),
                ("dave", VIEW, None)
            ]
        );
        assert!(marks.keeps.is_empty());
        let ends: Vec<Option<&str>> = rows.iter().map(|r| r.expires.as_deref()).collect();
        assert_eq!(ends, [Some(at), Some(at), None, Some(at)]);
        assert_eq!(rows[0].note, Some(MOVED));
        assert_eq!(rows[1].note, Some(OVER_AN_END));
        assert_eq!(rows[2].note, Some(ALREADY_THERE));
        let shown: Vec<bool> = rows.iter().map(end_changed).collect();
        assert_eq!(shown, [true, false, false, false]);
    }

    #[test]
    fn a_share_already_there_or_raised_for_a_time_needs_the_journal_s_ends() {
        let added = row("dave", None, Some(VIEW), Action::Added);
        let raised = row("bob", Some(VIEW), Some(EDIT), Action::Updated);
        let there = row("alice", Some(VIEW), Some(VIEW), Action::Unchanged);
        assert!(!needs_ends(std::slice::from_ref(&added), |_| true));
        assert!(!needs_ends(std::slice::from_ref(&raised), |_| false));
        assert!(needs_ends(std::slice::from_ref(&raised), |_| true));
        assert!(needs_ends(&[added, there], |_| false));
    }

    #[test]
    fn an_undo_gives_back_the_ends_of_the_shares_it_puts_back_at_their_level() {
        use crate::model::Share;
        let share = |id: &str, level| Share {
            key: key(id),
            level,
        };
        let mut ends = earlier();
        ends.get_mut(&key("bob")).unwrap().at = "2027-06-01T00:00:00Z".into();
        // alice and bob come back at view, as their timed grants gave; carol at edit, which no
        // end was given for; dave is there already.
        let restored = ShareSet::new([
            share("alice", VIEW),
            share("bob", VIEW),
            share("carol", EDIT),
            share("dave", VIEW),
        ]);
        let current = ShareSet::new([share("dave", VIEW)]);
        let (expiry, apart) = ends_put_back(Some(&ends), &restored, &current);
        let expiry = expiry.unwrap();
        assert_eq!(expiry.at, "2026-12-01T00:00:00Z");
        let given: Vec<&str> = expiry.shares.iter().map(|s| s.key.id.as_str()).collect();
        assert_eq!(given, ["alice"]);
        assert_eq!(apart, [key("bob")]);
        assert_eq!(ends_put_back(None, &restored, &current), (None, Vec::new()));
    }

    #[test]
    fn the_same_end_again_marks_nothing() {
        let at = "2026-12-01T00:00:00Z";
        let mut rows = [row("alice", Some(VIEW), Some(VIEW), Action::Unchanged)];
        let marks = mark_ends(&mut rows, Some(at), |_| true, Some(&earlier()));
        assert!(marks.is_empty(), "{marks:?}");
        assert_eq!(rows[0].expires.as_deref(), Some(at));
    }

    #[test]
    fn an_end_that_no_longer_matches_the_level_is_not_the_share_s() {
        // alice's timed view was raised to edit by hand since: her edit has no end.
        let mut rows = [row("alice", Some(EDIT), Some(EDIT), Action::Unchanged)];
        let marks = mark_ends(&mut rows, None, |_| true, Some(&earlier()));
        assert!(marks.is_empty(), "{marks:?}");
        assert_eq!(rows[0].note, None);
    }

    #[test]
    fn an_end_is_a_duration_a_date_or_a_time_and_lies_ahead() {
        let start = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let at = |text: &str| {
            Ends::parse(text)
                .and_then(|ends| ends.at(start))
                .map(rfc3339)
        };
        assert_eq!(at("7d").unwrap(), "2026-06-08T12:00:00Z");
        assert_eq!(at(" 2026-12-31 ").unwrap(), "2027-01-01T00:00:00Z");
        assert_eq!(
            at("2026-07-01T18:00:00+02:00").unwrap(),
            "2026-07-01T16:00:00Z"
        );
        assert!(at("2020-01-01").unwrap_err().contains("already passed"));
        let refused = at("next week").unwrap_err();
        assert!(refused.contains("'next week'"), "{refused}");
        assert!(refused.contains(FORMS), "{refused}");
    }
}
