//! Choosing the one principal or dashboard a name refers to, among what a server-side filter
//! returned. Servers may filter loosely (or not at all), so the match is checked here.

use serde_json::Value;

use super::{Dashboard, DashboardSummary};
use std::collections::HashSet;

use crate::error::{Error, Result, Subject, Thing};
use crate::shape;

/// What one look-up answered: the (value, id) pairs of the rows dashshare understood, the
/// error for the first row that lacked the value or the id under every key dashshare knows, and
/// the ids of rows that say `"active": false`.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    pub pairs: Vec<(String, String)>,
    pub misread: Option<Error>,
    pub inactive: HashSet<String>,
}

/// The candidates among `rows` (from `target`): each row's value under `value_keys` (text, or a
/// number as text) and its id under `id_keys`.
pub fn candidates(
    target: &str,
    rows: &[Value],
    value_keys: &[&str],
    id_keys: &[&str],
) -> Candidates {
    let mut found = Candidates::default();
    for row in rows {
        let value = shape::text(row, value_keys).or_else(|| shape::id(row, value_keys));
        match (value, shape::id(row, id_keys)) {
            (Some(value), Some(id)) => {
                // Sisense's user answers carry `active` (pysisense `datamodel/shares.py`), as
                // EnergyCAP's UserResponse does.
                if shape::flag(row, &["active"]) == Some(false) {
                    found.inactive.insert(id.clone());
                }
                found.pairs.push((value, id));
            }
            (value, id) if found.misread.is_none() => {
                let mut looked_for: Vec<&str> = Vec::new();
                if value.is_none() {
                    looked_for.extend(value_keys);
                }
                if id.is_none() {
                    looked_for.extend(id_keys);
                }
                found.misread = Some(shape::not_understood(target, &looked_for, row));
            }
            _ => {}
        }
    }
    found
}

impl Candidates {
    /// The id of the one candidate `name` names (see `pick_unique`). When none does while a row
    /// was not understood, that row may be the one sought: the answer was not understood, which
    /// is never "no such user".
    /// An inactive principal is refused: Sisense accepts a share for an inactive user with HTTP
    /// 200 and drops it ("live-verified", pysisense `datamodel/shares.py`), so the grant would
    /// report a share that never lands.
    pub fn pick(&self, name: &str, what: &str, vendor: &str) -> Result<Option<String>> {
        match pick_unique(&self.pairs, name, what, vendor)? {
            Some(id) if self.inactive.contains(&id) => Err(Error::invalid_about(
                Subject::new(Thing::Principal, name),
                format!(
                    "{name} is inactive: {vendor} would accept the share and drop it (a share for \
                     an inactive {what} never lands); reactivate the {what} first, or leave them out"
                ),
            )),
            Some(id) => Ok(Some(id)),
            None => match &self.misread {
                Some(err) => Err(err.clone()),
                None => Ok(None),
            },
        }
    }
}

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
    candidates: impl IntoIterator<Item = (String, String)>,
    title: &str,
    vendor: &str,
) -> Result<Dashboard> {
    let candidates: Vec<(String, String)> = candidates.into_iter().collect();
    let ids: Vec<String> = candidates
        .iter()
        .filter(|(_, candidate)| candidate == title)
        .map(|(id, _)| id.clone())
        .collect();
    match ids.as_slice() {
        [only] => Ok(Dashboard {
            id: only.clone(),
            title: Some(title.to_string()),
        }),
        [] => Err(Error::not_found(
            Thing::Dashboard,
            title,
            format!(
                "no {vendor} dashboard is titled '{title}'{}; `dashshare dashboards --search` lists \
                 the titles",
                crate::suggest::did_you_mean(title, candidates.iter().map(|(_, t)| t.as_str()))
            ),
        )),
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
                ("1".to_string(), "Sales".to_string()),
                ("2".to_string(), "Twin".to_string()),
                ("3".to_string(), "Twin".to_string()),
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
    fn a_name_no_understood_row_matches_is_not_understood_if_some_row_was_not() {
        let rows = [
            serde_json::json!({"userId": 1, "email": "a@x.com"}),
            serde_json::json!({"systemUserId": 2, "email": "b@x.com"}),
        ];
        let found = candidates("GET x", &rows, &["email"], &["userId"]);
        assert_eq!(
            found.pick("a@x.com", "user", "x").unwrap(),
            Some("1".into())
        );
        let err = found.pick("b@x.com", "user", "x").unwrap_err();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err}");
        assert!(err.to_string().contains("systemUserId"), "{err}");
        let clean = candidates("GET x", &rows[..1], &["email"], &["userId"]);
        assert_eq!(clean.pick("b@x.com", "user", "x").unwrap(), None);
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
