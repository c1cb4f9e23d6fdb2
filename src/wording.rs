//! Counts and durations as a person reads them: "1 dashboard", "2 dashboards", "1.2s". One place,
//! so that no message says "1 dashboards".

use std::time::Duration;

/// `n` and `noun`, plural unless `n` is one: `plural(1, "dashboard")` is "1 dashboard". Every
/// noun dashshare counts takes an "s".
pub fn plural<N: std::fmt::Display + PartialEq + From<u8>>(n: N, noun: &str) -> String {
    if n == N::from(1) {
        format!("{n} {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The verb for a count: "is" for one, "are" for any other.
pub fn is_are(n: usize) -> &'static str {
    if n == 1 { "is" } else { "are" }
}

/// How long a run took, short: "850ms" under a second, else seconds to a tenth ("1.2s", "61.0s").
pub fn elapsed(took: Duration) -> String {
    if took < Duration::from_secs(1) {
        format!("{}ms", took.as_millis())
    } else {
        format!("{:.1}s", took.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(plural(1, "dashboard"), "1 dashboard");
        assert_eq!(plural(0, "dashboard"), "0 dashboards");
        assert_eq!(plural(2, "share"), "2 shares");
        assert_eq!(is_are(1), "is");
        assert_eq!(is_are(3), "are");
    }

    #[test]
    fn durations_read_short() {
        assert_eq!(elapsed(Duration::from_millis(850)), "850ms");
        assert_eq!(elapsed(Duration::from_millis(1234)), "1.2s");
        assert_eq!(elapsed(Duration::from_secs(61)), "61.0s");
    }
}
