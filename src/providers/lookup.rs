//! Choosing the one principal or dashboard a name refers to, among what a server-side filter
//! returned. Servers may filter loosely (or not at all), so the match is checked here.

use super::{Dashboard, DashboardSummary};
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

/// The one dashboard titled exactly `title` among `(id, title)` pairs; none, or several (listed
/// by id), is bad input that says what to do.
pub fn dashboard_titled(
    candidates: impl IntoIterator<Item = (String, Option<String>)>,
    title: &str,
    vendor: &str,
) -> Result<Dashboard> {
    let ids: Vec<String> = candidates
        .into_iter()
        .filter(|(_, candidate)| candidate.as_deref() == Some(title))
        .map(|(id, _)| id)
        .collect();
    match ids.as_slice() {
        [only] => Ok(Dashboard {
            id: only.clone(),
            title: Some(title.to_string()),
        }),
        [] => Err(Error::invalid(format!(
            "no {vendor} dashboard is titled '{title}'; `dashshare dashboards --search` lists the titles"
        ))),
        several => Err(Error::invalid(format!(
            "the title '{title}' matches {} dashboards: {}; pass one of these ids instead",
            several.len(),
            several.join(", ")
        ))),
    }
}

/// The dashboards whose title contains `search` (ignoring case), by title, then id.
pub fn narrowed(
    dashboards: impl IntoIterator<Item = DashboardSummary>,
    search: Option<&str>,
) -> Vec<DashboardSummary> {
    let needle = search.map(str::to_lowercase);
    let mut found: Vec<DashboardSummary> = dashboards
        .into_iter()
        .filter(|d| {
            needle
                .as_deref()
                .is_none_or(|needle| d.title.to_lowercase().contains(needle))
        })
        .collect();
    found.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
    found
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
    fn a_title_must_name_exactly_one_dashboard() {
        let candidates = || {
            vec![
                ("1".to_string(), Some("Sales".to_string())),
                ("2".to_string(), Some("Twin".to_string())),
                ("3".to_string(), Some("Twin".to_string())),
            ]
        };
        assert_eq!(
            dashboard_titled(candidates(), "Sales", "x").unwrap().id,
            "1"
        );
        let twins = dashboard_titled(candidates(), "Twin", "x").unwrap_err();
        assert!(twins.to_string().contains("2, 3"), "{twins}");
        assert!(dashboard_titled(candidates(), "None", "x").is_err());
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
