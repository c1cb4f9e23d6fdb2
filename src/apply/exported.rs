//! An apply file written from the shares a server has (`export`): the same YAML or CSV that
//! `apply` reads, so that `diff --prune` right after an export finds nothing to change.

use serde::Serialize;

use super::columns::{CSV_COLUMNS, TITLE_COLUMN};
use crate::error::{Error, Result};
use crate::model::{Access, Principal};

/// One dashboard's shares as an apply file states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exported {
    /// `None`: the file names no profile, so that it applies to whichever `-p` is given.
    pub profile: Option<String>,
    pub dashboard: String,
    pub title: Option<String>,
    /// Each principal once, with its access.
    pub shares: Vec<(Principal, Access)>,
}

/// One entry of the YAML file's `shares:` list.
#[derive(Serialize)]
struct Entry<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    profile: Option<&'a str>,
    dashboard: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    users: Vec<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    groups: Vec<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    everyone: bool,
    access: Access,
}

/// The YAML file: one entry per dashboard and access level (an entry has one access), each
/// dashboard's title above it as a comment. A dashboard with no shares is named in a comment
/// only, since an entry must list some.
pub fn yaml(dashboards: &[Exported]) -> Result<String> {
    let mut text = String::from("shares:\n");
    for exported in dashboards {
        text.push_str(&format!("  # {}\n", comment(exported)));
        if exported.shares.is_empty() {
            continue;
        }
        for access in [Access::View, Access::Edit] {
            let mut entry = Entry {
                profile: exported.profile.as_deref(),
                dashboard: &exported.dashboard,
                users: Vec::new(),
                groups: Vec::new(),
                everyone: false,
                access,
            };
            for (principal, _) in exported.shares.iter().filter(|(_, a)| *a == access) {
                match principal {
                    Principal::User(name) => entry.users.push(name),
                    Principal::Group(name) => entry.groups.push(name),
                    Principal::Everyone => entry.everyone = true,
                }
            }
            if entry.users.is_empty() && entry.groups.is_empty() && !entry.everyone {
                continue;
            }
            let item = serde_saphyr::to_string(&[entry])
                .map_err(|err| Error::local(format!("cannot write the YAML file: {err}")))?;
            for line in item.lines() {
                text.push_str("  ");
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    Ok(text)
}

/// The CSV file: one row per share, in `apply`'s columns and a title column it ignores.
pub fn csv(dashboards: &[Exported]) -> Result<String> {
    let failed = |err: &dyn std::fmt::Display| Error::local(format!("cannot write the CSV: {err}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<&str> = CSV_COLUMNS.to_vec();
    header.push(TITLE_COLUMN);
    writer.write_record(&header).map_err(|err| failed(&err))?;
    for exported in dashboards {
        let title = exported.title.as_deref().unwrap_or_default();
        for (principal, access) in &exported.shares {
            let principal = principal.to_string();
            let cells = [
                exported.profile.as_deref().unwrap_or_default(),
                exported.dashboard.as_str(),
                principal.as_str(),
                access.as_str(),
                title,
            ];
            writer
                .write_record(cells.map(crate::output::escape::csv))
                .map_err(|err| failed(&err))?;
        }
    }
    let bytes = writer.into_inner().map_err(|err| failed(&err))?;
    String::from_utf8(bytes).map_err(|err| failed(&err))
}

/// The comment above a dashboard's entries: its title (on one line), or a note that it has none
/// to list.
fn comment(exported: &Exported) -> String {
    let title = exported
        .title
        .as_deref()
        .map(|title| crate::output::escape::controls(title).into_owned())
        .unwrap_or_else(|| exported.dashboard.clone());
    if exported.shares.is_empty() {
        format!("{title}: no shares besides the owner's")
    } else {
        title
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::input::{self, Row};

    fn sample() -> Vec<Exported> {
        vec![
            Exported {
                profile: None,
                dashboard: "5829".into(),
                title: Some("Sales: KPIs\n# not a key".into()),
                shares: vec![
                    (Principal::User("alice@example.com".into()), Access::View),
                    (Principal::Group("Marketing, EU".into()), Access::Edit),
                    (Principal::User("=cmd|' /C calc'!A0".into()), Access::View),
                ],
            },
            Exported {
                profile: None,
                dashboard: "007".into(),
                title: None,
                shares: vec![(Principal::Everyone, Access::View)],
            },
            Exported {
                profile: None,
                dashboard: "empty".into(),
                title: Some("Nobody".into()),
                shares: vec![],
            },
        ]
    }

    /// The rows `apply` reads back from `text`, saved as `name`.
    fn read_back(name: &str, text: &str) -> Vec<(String, Principal, Access)> {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut rows: Vec<Row> = Vec::new();
        let mut problems = Vec::new();
        input::read(&path, &mut |row| rows.push(row), &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}\n{text}");
        let mut read: Vec<(String, Principal, Access)> = rows
            .into_iter()
            .map(|row| (row.dashboard, row.principal, row.access))
            .collect();
        read.sort();
        read
    }

    fn expected() -> Vec<(String, Principal, Access)> {
        let mut all: Vec<(String, Principal, Access)> = sample()
            .into_iter()
            .flat_map(|e| {
                let dashboard = e.dashboard.clone();
                e.shares
                    .into_iter()
                    .map(move |(p, a)| (dashboard.clone(), p, a))
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn apply_reads_the_yaml_back_exactly() {
        let text = yaml(&sample()).unwrap();
        assert!(text.contains("  # Sales: KPIs\\n# not a key\n"), "{text}");
        assert!(text.contains("# Nobody: no shares"), "{text}");
        assert_eq!(read_back("shares.yaml", &text), expected());
    }

    #[test]
    fn apply_reads_the_csv_back_exactly_and_ignores_the_title() {
        let text = csv(&sample()).unwrap();
        assert!(
            text.starts_with("profile,dashboard,principal,access,title\n"),
            "{text}"
        );
        assert_eq!(read_back("shares.csv", &text), expected());
    }

    #[test]
    fn a_profile_is_written_only_where_one_is_named() {
        let mut named = sample();
        named[0].profile = Some("prod".into());
        let text = yaml(&named).unwrap();
        assert_eq!(text.matches("profile: prod").count(), 2, "{text}");
        assert!(csv(&named).unwrap().contains("\nprod,5829,"));
    }
}
