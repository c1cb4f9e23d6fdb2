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
    use crate::model::ends::{End, after_change};
    use crate::model::examples::{shares, time, user as key};
    use crate::model::{Access, Level, PrincipalKind};

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    #[test]
    fn each_row_says_its_end_and_why_it_is_not_the_obvious_one() {
        let (later, end_before) = (time("2027-01-01T00:00:00Z"), time("2026-12-01T00:00:00Z"));
        let at = Some("2027-01-01T00:00:00Z");
        let until = || Asked::Until(later);
        // (principal, level before, after, action, end asked, had an end; note, end after, shown)
        #[rustfmt::skip]
        let cases = [
            ("alice", VIEW, VIEW, Action::Unchanged, until(), true, Some(MOVED), at, true),
            ("bob", VIEW, EDIT, Action::Updated, until(), true, Some(OVER_AN_END), at, false),
            ("carol", VIEW, VIEW, Action::Unchanged, until(), false, Some(ALREADY_THERE), None, false),
            ("dave", VIEW, VIEW, Action::Added, until(), false, None, at, false),
            ("erin", VIEW, VIEW, Action::Unchanged, Asked::NoEnd, true, Some(KEPT), None, true),
        ];
        let before: Ends = (cases.iter().filter(|c| c.5))
            .map(|c| End {
                key: key(c.0),
                at: end_before,
                level: VIEW,
                back_to: None,
            })
            .collect();
        let asked: AskedEnds = cases.iter().map(|c| (key(c.0), c.4.clone())).collect();
        let mut rows: Vec<ShareResult> = (cases.iter())
            .map(|c| ShareResult {
                principal: c.0.into(),
                kind: PrincipalKind::User,
                id: Some(c.0.into()),
                before: (c.3 != Action::Added).then_some(c.1),
                after: Some(c.2),
                action: c.3,
                line: None,
                note: None,
                expires: None,
                data: None,
            })
            .collect();
        let levels = |pick: fn(&ShareResult) -> Option<Level>| {
            let set: Vec<(&str, Level)> = (rows.iter())
                .filter_map(|r| Some((r.principal.as_str(), pick(r)?)))
                .collect();
            shares(&set)
        };
        let after = after_change(
            &before,
            Some(&levels(|r| r.before)),
            &levels(|r| r.after),
            &asked,
        );
        annotate(&mut rows, &before, &after, &asked);
        for (row, case) in rows.iter().zip(&cases) {
            let seen = (row.note, row.expires.as_deref(), end_changed(row));
            assert_eq!(seen, (case.6, case.7, case.8), "{}", case.0);
        }
    }
}
