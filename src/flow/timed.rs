//! Shares given for a time (`grant --for/--until`, an apply file's `expires`): when they end, and
//! the rules every timed grant follows, whichever command asks for it.

use super::ShareResult;
use super::admit::{Refusal, admit};
use crate::model::ends::{Asked, AskedEnds, Ends};
pub use crate::model::when::{FORMS, When, rfc3339, until};
use crate::model::{Action, Change, Mode, ShareKey};
use crate::vendor::Vendor;

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
    use crate::model::examples::{time, user as key};
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
}
