//! When something ends, as a person writes it: a length from a start (`7d`), a date (through
//! that day, UTC) or an RFC 3339 time. Timed grants (`--for/--until`, an apply file's
//! `expires`), `expire --at` and share links (`--expires`) all read it here.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

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

/// `--until`: an RFC 3339 time, or a date meaning through that day, UTC (until the next midnight).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::examples::time;

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
        // A date is through that day: its end is the next midnight.
        assert_eq!(
            rfc3339(until("2026-12-31").unwrap()),
            "2027-01-01T00:00:00Z"
        );
        let refused = at("next week").unwrap_err();
        assert!(refused.contains("'next week'"), "{refused}");
        assert!(refused.contains(FORMS), "{refused}");
    }
}
