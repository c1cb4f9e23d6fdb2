//! Shares given for a time (`grant --for/--until`, an apply file's `expires`): when they end, and
//! the rules every timed grant follows, whichever command asks for it.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use super::ShareResult;
use super::admit::{Refusal, admit};
use crate::journal::{Expiring, Expiry};
use crate::model::{Action, Change, Mode, ShareKey};
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

    /// The time this ends, for a run that started at `start`; it must lie ahead.
    pub fn at(self, start: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
        let at = match self {
            Ends::After(length) => chrono::Duration::from_std(length)
                .ok()
                .and_then(|length| start.checked_add_signed(length))
                .ok_or("is too long: give a duration under a few hundred years")?,
            Ends::At(at) => at,
        };
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

/// What a change gives for a time, ending at `at`: each share it adds or raises that `timed`
/// picks. A share already there as asked is not given for a time, so it never expires. `None`:
/// nothing is.
pub fn expiry(
    at: String,
    results: &[ShareResult],
    timed: impl Fn(&ShareResult) -> bool,
) -> Option<Expiry> {
    let shares: Vec<Expiring> = results
        .iter()
        .filter(|r| matches!(r.action, Action::Added | Action::Updated) && timed(r))
        .filter_map(|r| {
            Some(Expiring {
                key: ShareKey::new(r.kind, r.id.clone()?),
                granted: r.after?,
                before: r.before,
            })
        })
        .collect();
    (!shares.is_empty()).then_some(Expiry { at, shares })
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
