//! "Did you mean": the names closest to one that was not found, for the error message.

/// How alike two names must be (Jaro-Winkler, ignoring case) to be offered: close enough to
/// catch a typo or a dropped word, far enough not to offer every name of a long list.
const THRESHOLD: f64 = 0.8;

/// At most this many names are offered.
const MAX: usize = 3;

/// Up to three of `candidates` closest to `wanted`, closest first (ties in the given order);
/// none when nothing is close.
pub fn closest<'c>(wanted: &str, candidates: impl IntoIterator<Item = &'c str>) -> Vec<&'c str> {
    let wanted = wanted.to_lowercase();
    let mut scored: Vec<(f64, &str)> = Vec::new();
    for candidate in candidates {
        if scored.iter().any(|(_, seen)| *seen == candidate) {
            continue;
        }
        let score = strsim::jaro_winkler(&wanted, &candidate.to_lowercase());
        if score >= THRESHOLD {
            scored.push((score, candidate));
        }
    }
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(MAX).map(|(_, name)| name).collect()
}

/// `; did you mean 'a' or 'b'?` to end a message with, or nothing when no candidate is close.
pub fn did_you_mean<'c>(wanted: &str, candidates: impl IntoIterator<Item = &'c str>) -> String {
    let quoted: Vec<String> = closest(wanted, candidates)
        .into_iter()
        .map(|name| format!("'{name}'"))
        .collect();
    match quoted.as_slice() {
        [] => String::new(),
        [one] => format!("; did you mean {one}?"),
        [first @ .., last] => format!("; did you mean {} or {last}?", first.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_typo_finds_the_name_and_a_stranger_finds_nothing() {
        let names = ["production", "staging", "sandbox-sisense"];
        assert_eq!(closest("prodution", names), ["production"]);
        assert_eq!(closest("STAGING", names), ["staging"]);
        assert!(closest("zzz", names).is_empty());
    }

    #[test]
    fn the_closest_come_first_and_at_most_three() {
        let names = ["sales-q1", "sales-q2", "sales-q3", "sales-q4", "hr"];
        let found = closest("sales-q3", names);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0], "sales-q3");
        assert!(!found.contains(&"hr"));
    }

    #[test]
    fn the_message_lists_the_names_quoted() {
        assert_eq!(did_you_mean("x", ["a"]), "");
        assert_eq!(
            did_you_mean("Sales KPI", ["Sales KPIs"]),
            "; did you mean 'Sales KPIs'?"
        );
        assert_eq!(
            did_you_mean("prod", ["prod1", "prod2"]),
            "; did you mean 'prod1' or 'prod2'?"
        );
    }
}
