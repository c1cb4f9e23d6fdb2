//! Shares given for a time (`grant --for/--until`, an apply file's `expires`): when they end, and
//! the rules every timed grant follows, whichever command asks for it.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::ShareResult;
use super::admit::{Refusal, admit};
use crate::model::ends::{Asked, AskedEnds, Ends};
use crate::model::{Action, Change, Mode, ShareKey};
use crate::vendor::Vendor;

/// The forms an end is written in, for messages.
pub const FORMS: &str = "a duration (30m, 8h, 7d), a date (2026-12-31: through that day, UTC) \
                         or an RFC 3339 time (2026-12-31T18:00:00Z)";

/// When a timed grant ends, as written: a length from the run's start, or a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    After(std::time::Duration),
    At(DateTime<Utc>),
}

impl When {
    /// Reads what an apply file's `expires` holds: whatever `--for` or `--until` takes.
    pub fn parse(text: &str) -> Result<When, String> {
        let text = text.trim();
        if let Ok(length) = humantime::parse_duration(text) {
            return Ok(When::After(length));
        }
        until(text)
            .map(When::At)
            .map_err(|_| format!("'{text}' is not an expiry: write {FORMS}"))
    }

    /// The time this stands for, counted from `start`.
    pub fn from(self, start: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        match self {
            When::After(length) => chrono::Duration::from_std(length)
                .ok()
                .and_then(|length| start.checked_add_signed(length))
                .ok_or_else(|| "is too long: give a duration under a few hundred years".into()),
            When::At(at) => Ok(at),
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

/// A share asked for with an end that was already there with none: it is not given for a time.
pub const ALREADY_THERE: &str = "already there with no end, so it is not given for a time and \
                                 does not expire";

/// Marks each row with its share's end after the change (`after`, from `model::ends`), and why
/// where the end is not the obvious one: kept with none (`KEPT`), moved (`MOVED`), over an
/// earlier end (`OVER_AN_END`), or not given (`ALREADY_THERE`). `before` are the ends in force
/// before the change.
pub fn annotate(results: &mut [ShareResult], before: &Ends, after: &Ends, asked: &AskedEnds) {
    for row in results.iter_mut() {
        let Some(id) = row.id.clone() else {
            continue;
        };
        let key = ShareKey::new(row.kind, id);
        let end = after.get(&key);
        row.expires = end.map(|end| rfc3339(end.at));
        let earlier = before.holding(&key, row.before);
        let note = match (row.action, asked.get(&key), end, earlier) {
            (Action::Added | Action::Updated, Some(Asked::Until(_)), Some(_), Some(_)) => {
                Some(OVER_AN_END)
            }
            (Action::Unchanged, Some(Asked::Until(_)), Some(end), Some(earlier))
                if end.at != earlier.at =>
            {
                Some(MOVED)
            }
            (Action::Unchanged, Some(Asked::Until(_)), None, _) => Some(ALREADY_THERE),
            (Action::Unchanged, Some(Asked::NoEnd), None, Some(_)) => Some(KEPT),
            _ => None,
        };
        if let Some(note) = note {
            row.note.get_or_insert(note);
        }
    }
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
    use crate::model::ends::End;
    use crate::model::{Access, Level, PrincipalKind};

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

    fn time(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn end(id: &str, at: &str) -> End {
        End {
            key: key(id),
            at: time(at),
            level: VIEW,
            back_to: None,
        }
    }

    #[test]
    fn each_row_says_its_end_and_why_it_is_not_the_obvious_one() {
        let before: Ends = [
            end("alice", "2026-12-01T00:00:00Z"),
            end("bob", "2026-12-01T00:00:00Z"),
            end("erin", "2026-12-01T00:00:00Z"),
        ]
        .into_iter()
        .collect();
        let later = time("2027-01-01T00:00:00Z");
        let mut rows = [
            row("alice", Some(VIEW), Some(VIEW), Action::Unchanged),
            row("bob", Some(VIEW), Some(EDIT), Action::Updated),
            row("carol", Some(VIEW), Some(VIEW), Action::Unchanged),
            row("dave", None, Some(VIEW), Action::Added),
            row("erin", Some(VIEW), Some(VIEW), Action::Unchanged),
        ];
        let asked: AskedEnds = [
            (key("alice"), Asked::Until(later)),
            (key("bob"), Asked::Until(later)),
            (key("carol"), Asked::Until(later)),
            (key("dave"), Asked::Until(later)),
            (key("erin"), Asked::NoEnd),
        ]
        .into_iter()
        .collect();
        let shares = |rows: &[ShareResult], pick: fn(&ShareResult) -> Option<Level>| {
            crate::model::ShareSet::new(rows.iter().filter_map(|r| {
                pick(r).map(|level| crate::model::Share {
                    key: key(&r.principal),
                    level,
                })
            }))
        };
        let after = crate::model::ends::after_change(
            &before,
            Some(&shares(&rows, |r| r.before)),
            &shares(&rows, |r| r.after),
            &asked,
        );
        annotate(&mut rows, &before, &after, &asked);
        let notes: Vec<Option<&str>> = rows.iter().map(|r| r.note).collect();
        assert_eq!(
            notes,
            [
                Some(MOVED),
                Some(OVER_AN_END),
                Some(ALREADY_THERE),
                None,
                Some(KEPT)
            ]
        );
        let ends: Vec<Option<&str>> = rows.iter().map(|r| r.expires.as_deref()).collect();
        let at = Some("2027-01-01T00:00:00Z");
        assert_eq!(ends, [at, at, None, at, None]);
        let shown: Vec<bool> = rows.iter().map(end_changed).collect();
        assert_eq!(shown, [true, false, false, false, true]);
    }

    #[test]
    fn an_end_is_a_duration_a_date_or_a_time_and_lies_ahead() {
        let start = time("2026-06-01T12:00:00Z");
        let at = |text: &str| {
            When::parse(text)
                .and_then(|when| when.at(start))
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
