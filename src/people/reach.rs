//! The shares that reach one principal on a profile: its own, and with `through` those of its
//! groups and everyone; and how `access` shows them (table, Markdown, CSV).

use std::collections::HashMap;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::inventory::note;
use crate::model::{Level, PrincipalKind, ShareKey};
use crate::output::{self, escape};
use crate::providers::{ShareProvider, Snapshot};

/// One share that reaches the principal.
#[derive(Debug, Serialize)]
pub struct Reach {
    pub profile: String,
    pub dashboard: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `view`, `edit`, or `owner`.
    pub access: String,
    pub owner: bool,
    /// The group (or `everyone`) the share is on, where it reaches a user through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// A profile (or dashboard) whose answer is not in the rows, and why.
#[derive(Debug, Serialize)]
pub struct Unanswered {
    pub profile: String,
    pub why: String,
}

/// The shares through which a user reaches dashboards besides their own: their groups (where
/// the vendor's user answer tells them) and everyone.
pub async fn through(
    provider: &dyn ShareProvider,
    user: &ShareKey,
    quiet: bool,
    profile: &str,
) -> Vec<ShareKey> {
    if user.kind != PrincipalKind::User {
        return Vec::new();
    }
    let mut keys = vec![ShareKey::everyone()];
    match provider.memberships(user).await {
        Some(groups) => keys.extend(
            groups
                .into_iter()
                .map(|id| ShareKey::new(PrincipalKind::Group, id)),
        ),
        None => note(
            quiet,
            &format!(
                "{profile}: {} does not say which groups a user is in: only their own shares and \
                 those with everyone are listed",
                provider.vendor()
            ),
        ),
    }
    keys
}

/// Each share of `snapshots` that is `key`'s own (`via` none) or one of `through`'s.
pub fn reaching<'s>(
    snapshots: &'s [Snapshot],
    key: &ShareKey,
    through: &[ShareKey],
) -> Vec<(&'s Snapshot, Level, Option<ShareKey>)> {
    let mut found = Vec::new();
    for snapshot in snapshots {
        for share in snapshot.shares.iter() {
            if share.key == *key {
                found.push((snapshot, share.level, None));
            } else if through.contains(&share.key) {
                found.push((snapshot, share.level, Some(share.key.clone())));
            }
        }
    }
    found
}

/// How a share reaches a user: `group NAME`, or `everyone`.
pub fn via(key: &ShareKey, names: &HashMap<ShareKey, String>) -> String {
    match key.kind {
        PrincipalKind::Everyone => "everyone".to_string(),
        _ => format!("group {}", names.get(key).unwrap_or(&key.id)),
    }
}

/// The columns the rows fill (`via` and `expires` only where one has them), and each row's cells.
pub fn columns(reaches: &[Reach]) -> (Vec<&'static str>, Vec<Vec<String>>) {
    let timed = reaches.iter().any(|r| r.expires.is_some());
    let via = reaches.iter().any(|r| r.via.is_some());
    let mut headers = vec!["profile", "dashboard", "title", "access"];
    headers.extend(via.then_some("via"));
    headers.extend(timed.then_some("expires"));
    let cells = reaches
        .iter()
        .map(|r| {
            let mut row = vec![
                r.profile.clone(),
                r.dashboard.clone(),
                r.title.clone().unwrap_or_default(),
                r.access.clone(),
            ];
            if via {
                row.push(r.via.clone().unwrap_or_default());
            }
            if timed {
                row.push(r.expires.clone().unwrap_or_default());
            }
            row
        })
        .collect();
    (headers, cells)
}

/// A heading, the rows as a Markdown table, and what was not answered as a list; every value
/// escaped.
pub fn markdown(who: &str, reaches: &[Reach], said: &[String]) -> String {
    let (headers, cells) = columns(reaches);
    let mut text = format!(
        "### {}: {}\n\n",
        escape::markdown(who),
        crate::wording::plural(reaches.len(), "share")
    );
    if !reaches.is_empty() {
        let rows = cells
            .into_iter()
            .map(|row| row.iter().map(|c| escape::markdown(c)).collect());
        text.push_str(&output::markdown_table(&headers, rows));
    }
    for line in said {
        text.push_str(&format!("\n- {}", escape::markdown(line)));
    }
    text.trim_end().to_string()
}

/// The rows for a spreadsheet: every column, each cell made safe from formulas.
pub fn csv(reaches: &[Reach]) -> Result<String> {
    let failed = |err: &dyn std::fmt::Display| Error::local(format!("cannot write the CSV: {err}"));
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "profile",
        "dashboard",
        "title",
        "access",
        "owner",
        "via",
        "expires",
    ];
    writer.write_record(header).map_err(|err| failed(&err))?;
    for r in reaches {
        let owner = if r.owner { "yes" } else { "" };
        let record = [
            r.profile.as_str(),
            &r.dashboard,
            r.title.as_deref().unwrap_or_default(),
            &r.access,
            owner,
            r.via.as_deref().unwrap_or_default(),
            r.expires.as_deref().unwrap_or_default(),
        ];
        let record = record.map(escape::formula_safe);
        writer
            .write_record(record.iter().map(|c| c.as_ref()))
            .map_err(|err| failed(&err))?;
    }
    let bytes = writer.into_inner().map_err(|err| failed(&err))?;
    String::from_utf8(bytes).map_err(|err| failed(&err))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::examples::{shares, user};
    use crate::model::{Access, Dashboard};

    #[test]
    fn a_users_own_shares_and_those_through_its_groups_are_told_apart() {
        let view = Level::Access(Access::View);
        let snapshot = |id: &str, set| Snapshot {
            dashboard: Dashboard {
                id: id.into(),
                title: None,
            },
            shares: set,
            raw: serde_json::Value::Null,
            names: HashMap::new(),
        };
        let group = ShareKey::new(PrincipalKind::Group, "g1");
        let with_group = crate::model::ShareSet::new([
            crate::model::Share {
                key: user("bob"),
                level: Level::Owner,
            },
            crate::model::Share {
                key: group.clone(),
                level: view,
            },
        ]);
        let snapshots = [
            snapshot("d1", shares(&[("alice", view)])),
            snapshot("d2", with_group),
            snapshot("d3", shares(&[("carol", view)])),
        ];
        let found = reaching(&snapshots, &user("bob"), std::slice::from_ref(&group));
        let seen: Vec<(&str, Level, Option<&ShareKey>)> = found
            .iter()
            .map(|(s, level, via)| (s.dashboard.id.as_str(), *level, via.as_ref()))
            .collect();
        assert_eq!(
            seen,
            [("d2", Level::Owner, None), ("d2", view, Some(&group))]
        );
        let names = HashMap::from([(group.clone(), "Marketing".to_string())]);
        assert_eq!(via(&group, &names), "group Marketing");
        assert_eq!(via(&ShareKey::everyone(), &names), "everyone");
    }

    #[test]
    fn a_csv_cell_cannot_start_a_formula() {
        let reach = Reach {
            profile: "p".into(),
            dashboard: "d".into(),
            title: Some("=HYPERLINK(\"x\")".into()),
            access: "view".into(),
            owner: false,
            via: None,
            expires: None,
        };
        let text = csv(&[reach]).unwrap();
        assert!(text.contains("'=HYPERLINK"), "{text}");
    }
}
