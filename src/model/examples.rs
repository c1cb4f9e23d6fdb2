//! Values the unit tests of shares and their ends are written in: a user by id, a share set from
//! (id, level) pairs, a time from RFC 3339.

use chrono::{DateTime, Utc};

use super::{Level, PrincipalKind, Share, ShareKey, ShareSet};

pub fn user(id: &str) -> ShareKey {
    ShareKey::new(PrincipalKind::User, id)
}

pub fn shares(of: &[(&str, Level)]) -> ShareSet {
    ShareSet::new(of.iter().map(|(id, level)| Share {
        key: user(id),
        level: *level,
    }))
}

pub fn time(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}
