//! Choosing the one principal or dashboard a name refers to, among what a server-side filter
//! returned. Servers may filter loosely (or not at all), so the match is checked here.

use crate::error::{Error, Result};

/// The id of the one candidate whose value is `name`: an exact match wins, else one that differs
/// only in case. Several equally good candidates are an error rather than a guess.
/// `candidates` are (value, id) pairs; `what` names the kind of thing ("user", "group").
pub fn pick_unique(
    candidates: &[(String, String)],
    name: &str,
    what: &str,
    vendor: &str,
) -> Result<Option<String>> {
    let exact: Vec<&String> = candidates
        .iter()
        .filter(|(value, _)| value == name)
        .map(|(_, id)| id)
        .collect();
    let mut chosen = if exact.is_empty() {
        candidates
            .iter()
            .filter(|(value, _)| value.eq_ignore_ascii_case(name))
            .map(|(_, id)| id)
            .collect()
    } else {
        exact
    };
    chosen.sort();
    chosen.dedup();
    match chosen.as_slice() {
        [] => Ok(None),
        [only] => Ok(Some((*only).clone())),
        several => Err(Error::invalid(format!(
            "{what} '{name}' matches {} {vendor} {what}s (ids {}); name it exactly, or use its id",
            several.len(),
            several
                .iter()
                .map(|id| id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(v, id)| (v.to_string(), id.to_string()))
            .collect()
    }

    #[test]
    fn exact_beats_case_insensitive() {
        let candidates = pairs(&[("Sales", "1"), ("sales", "2")]);
        assert_eq!(
            pick_unique(&candidates, "sales", "group", "x").unwrap(),
            Some("2".into())
        );
        let err = pick_unique(&candidates, "SALES", "group", "x").unwrap_err();
        assert!(err.to_string().contains("ids 1, 2"), "{err}");
    }

    #[test]
    fn no_match_is_none() {
        let candidates = pairs(&[("Sales EMEA", "1")]);
        assert_eq!(
            pick_unique(&candidates, "Sales", "group", "x").unwrap(),
            None
        );
    }
}
