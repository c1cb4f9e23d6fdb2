//! `report`: who can see what. Every dashboard's shares of the profiles (read as `export` reads
//! them), as a matrix of dashboards × principals with the access level, grouped by profile, with
//! counts and flags: shared with everyone, principals with edit on many dashboards, and shares in
//! no apply file given with `--against`; and when each share given for a time ends.

use std::collections::HashSet;
use std::path::Path;

use super::report_formats;
use super::report_rows::{DashboardRow, Flag, Group, Report, ShareCell};
use crate::apply::input;
use crate::cli::{GlobalArgs, OutputFormat, ReportArgs, ReportFormat};
use crate::error::{Error, Result};
use crate::inventory::{cannot_export, note, principal_names, read_all};
use futures::StreamExt;

use crate::model::{Access, Level, Principal, ShareKey};
use crate::output;
use crate::providers::{DataAccess, Reach, ShareProvider, Snapshot};

pub async fn run(global: &GlobalArgs, args: &ReportArgs) -> Result<()> {
    if global.output != OutputFormat::Table {
        return Err(Error::invalid(
            "report does not take -o/--output: choose its format with --format html|md|csv",
        ));
    }
    let format = report_format(args)?;
    super::check_out("--out", args.out.as_deref())?;
    let against = match &args.against {
        Some(path) => Some(Against::read(path)?),
        None => None,
    };
    let names: Vec<Option<&str>> = if global.profile.is_empty() {
        vec![None]
    } else {
        global.profile.iter().map(|n| Some(n.as_str())).collect()
    };
    let progress = super::progress_bar(global);
    let mut report = Report {
        groups: Vec::new(),
        many: args.many,
        against: args.against.as_ref().map(|p| p.display().to_string()),
        skipped: Vec::new(),
    };
    let mut unread = Vec::new();
    let expiries = super::ends_shown(global);
    for (n, name) in names.into_iter().enumerate() {
        let profile = super::load_profile(global, name)?;
        if n == 0 {
            super::warn_if_insecure(global);
        }
        if let Some(why) = cannot_export(profile.vendor) {
            note(global.quiet, &format!("{}: skipped: {why}", profile.name));
            report.skipped.push(format!("{}: {why}", profile.name));
            continue;
        }
        let provider = super::provider_for(global, &profile)?;
        let read = read_all(provider.as_ref(), None, args.concurrency, &progress).await?;
        unread.extend(
            read.failed
                .into_iter()
                .map(|(id, err)| format!("{} {id}: {err}", profile.name)),
        );
        let named = principal_names(provider.as_ref(), &read.snapshots, global.quiet).await;
        let data = data_access(provider.as_ref(), &read.snapshots, args.concurrency, global).await;
        let dashboards = read
            .snapshots
            .iter()
            .zip(data)
            .map(|(snapshot, data)| {
                let mut shares: Vec<ShareCell> = snapshot
                    .shares
                    .iter()
                    .filter_map(|share| {
                        let Level::Access(access) = share.level else {
                            return None;
                        };
                        Some(ShareCell {
                            principal: share.key.principal(named.get(&share.key)),
                            access,
                            no_data: data
                                .as_ref()
                                .is_some_and(|data| data.of(&share.key) == Reach::None),
                            flags: Vec::new(),
                            expires: expiries.shown_end(
                                profile.url.as_str(),
                                &snapshot.dashboard.id,
                                &share.key,
                                share.level,
                            ),
                        })
                    })
                    .collect();
                shares.sort_by(|a, b| a.principal.cmp(&b.principal));
                DashboardRow {
                    id: snapshot.dashboard.id.clone(),
                    title: snapshot.dashboard.title.clone().unwrap_or_default(),
                    shares,
                }
            })
            .collect();
        report.groups.push(Group {
            profile: profile.name.clone(),
            vendor: profile.vendor,
            dashboards,
        });
    }
    progress.finish_and_clear();
    flag(&mut report, against.as_ref());
    let text = match format {
        ReportFormat::Html => report_formats::html(&report),
        ReportFormat::Md => report_formats::markdown(&report),
        ReportFormat::Csv => report_formats::csv(&report)?,
    };
    match &args.out {
        Some(path) => super::export::write_file(path, &text)?,
        None => output::print_text(text.trim_end())?,
    }
    if unread.is_empty() {
        return Ok(());
    }
    Err(Error::remote(format!(
        "{} could not be read and {} not in the report:\n  {}",
        crate::wording::plural(unread.len(), "dashboard"),
        crate::wording::is_are(unread.len()),
        unread.join("\n  ")
    )))
}

/// Each dashboard's data-model access for its shares, a few dashboards at a time (the models
/// themselves are read once per run); a model that cannot be read is said once.
async fn data_access(
    provider: &dyn ShareProvider,
    snapshots: &[Snapshot],
    concurrency: u16,
    global: &GlobalArgs,
) -> Vec<Option<DataAccess>> {
    let answers: Vec<Option<DataAccess>> = futures::stream::iter(snapshots)
        .map(|snapshot| {
            let keys: Vec<ShareKey> = snapshot
                .shares
                .iter()
                .filter(|share| share.level != Level::Owner)
                .map(|share| share.key.clone())
                .collect();
            async move { provider.data_access(&snapshot.dashboard, &keys).await }
        })
        .buffered(usize::from(concurrency.max(1)))
        .collect()
        .await;
    let mut said = HashSet::new();
    for access in answers.iter().flatten() {
        if let Some(why) = &access.unreadable
            && said.insert(access.model.clone())
        {
            note(
                global.quiet,
                &format!(
                    "warning: the data model {} could not be read ({why}): who can query it is unknown",
                    access.model
                ),
            );
        }
    }
    answers
}

/// Sets every share's flags.
pub fn flag(report: &mut Report, against: Option<&Against>) {
    let many = report.many;
    for group in &mut report.groups {
        let heavy: HashSet<Principal> = group
            .principals()
            .into_iter()
            .filter(|count| count.edits as u64 >= many)
            .map(|count| count.principal)
            .collect();
        for dashboard in &mut group.dashboards {
            for share in &mut dashboard.shares {
                share.flags.clear();
                if share.principal == Principal::Everyone {
                    share.flags.push(Flag::Everyone);
                }
                if share.access == Access::Edit && heavy.contains(&share.principal) {
                    share.flags.push(Flag::ManyEdits);
                }
                if let Some(against) = against
                    && !against.names(&group.profile, &dashboard.id, &dashboard.title, share)
                {
                    share.flags.push(Flag::NotInFile);
                }
                if share.no_data {
                    share.flags.push(Flag::NoData);
                }
            }
        }
    }
}

/// `--format`, else what `--out` ends in, else Markdown on stdout (ready for a comment); an
/// ending that says otherwise is refused.
fn report_format(args: &ReportArgs) -> Result<ReportFormat> {
    super::out_format(
        args.format,
        args.out.as_deref(),
        |ending| match ending {
            "html" | "htm" => Some(ReportFormat::Html),
            "md" | "markdown" => Some(ReportFormat::Md),
            "csv" => Some(ReportFormat::Csv),
            _ => None,
        },
        ReportFormat::Md,
        (
            "make them agree",
            "end the name in .html, .md or .csv, or give --format",
        ),
    )
}

/// The shares an apply file names, as written: a row matches a share when its profile is the
/// share's (or it names none), its dashboard is the id or `name:` the exact title, and its
/// principal is the same kind with the same name, ignoring case (emails). Access is not
/// compared: a share at another access is in the file, and `diff` shows the difference.
pub struct Against {
    rows: Vec<input::Row>,
}

impl Against {
    pub fn read(path: &Path) -> Result<Against> {
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        input::read(path, &mut |row| rows.push(row), &mut problems)?;
        if !problems.is_empty() {
            let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(Error::invalid(format!(
                "--against {}: fix these and run again:\n  {}",
                path.display(),
                listed.join("\n  ")
            )));
        }
        Ok(Against { rows })
    }

    #[cfg(test)]
    pub fn of(rows: Vec<input::Row>) -> Against {
        Against { rows }
    }

    fn names(&self, profile: &str, id: &str, title: &str, share: &ShareCell) -> bool {
        self.rows.iter().any(|row| {
            row.profile.as_deref().is_none_or(|p| p == profile)
                && (row.dashboard == id || row.dashboard.strip_prefix("name:") == Some(title))
                && same_principal(&row.principal, &share.principal)
        })
    }
}

fn same_principal(a: &Principal, b: &Principal) -> bool {
    match (a, b) {
        (Principal::User(a), Principal::User(b)) | (Principal::Group(a), Principal::Group(b)) => {
            a.eq_ignore_ascii_case(b)
        }
        (Principal::Everyone, Principal::Everyone) => true,
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::vendor::Vendor;

    pub(crate) fn sample() -> Report {
        let cell = |principal: Principal, access| ShareCell {
            principal,
            access,
            flags: Vec::new(),
            expires: None,
            no_data: false,
        };
        Report {
            groups: vec![Group {
                profile: "prod".into(),
                // Whichever vendor: the report does not depend on it.
                vendor: *<Vendor as clap::ValueEnum>::value_variants()
                    .first()
                    .unwrap(),
                dashboards: vec![
                    DashboardRow {
                        id: "1".into(),
                        title: "<script>alert(1)</script> | sales".into(),
                        shares: vec![
                            cell(Principal::User("ann@x.com".into()), Access::Edit),
                            cell(Principal::Everyone, Access::View),
                        ],
                    },
                    DashboardRow {
                        id: "2".into(),
                        title: "Costs".into(),
                        shares: vec![
                            cell(Principal::User("ann@x.com".into()), Access::Edit),
                            ShareCell {
                                expires: Some("2026-12-31T18:00:00Z".into()),
                                ..cell(Principal::Group("Ops".into()), Access::View)
                            },
                        ],
                    },
                ],
            }],
            many: 2,
            against: None,
            skipped: Vec::new(),
        }
    }

    #[test]
    fn flags_everyone_many_edits_and_shares_missing_from_the_file() {
        let mut report = sample();
        let row = |dashboard: &str, principal| input::Row {
            line: 1,
            profile: None,
            dashboard: dashboard.into(),
            principal,
            access: Access::View,
            expires: None,
            with_data: false,
        };
        let against = Against::of(vec![
            row("1", Principal::User("ANN@x.com".into())),
            row("name:Costs", Principal::Group("Ops".into())),
            row("2", Principal::User("bob@x.com".into())),
        ]);
        flag(&mut report, Some(&against));
        let flags: Vec<Vec<Flag>> = report.groups[0]
            .dashboards
            .iter()
            .flat_map(|d| d.shares.iter().map(|s| s.flags.clone()))
            .collect();
        assert_eq!(
            flags,
            [
                vec![Flag::ManyEdits],
                vec![Flag::Everyone, Flag::NotInFile],
                vec![Flag::ManyEdits, Flag::NotInFile],
                vec![],
            ]
        );
        report.many = 3;
        flag(&mut report, None);
        assert!(report.groups[0].dashboards[0].shares[0].flags.is_empty());
    }

    #[test]
    fn counts_each_principal_once_per_dashboard() {
        let counts = sample().groups[0].principals();
        let ann = counts
            .iter()
            .find(|c| c.principal == Principal::User("ann@x.com".into()))
            .unwrap();
        assert_eq!((ann.dashboards, ann.edits), (2, 2));
        assert_eq!(counts.len(), 3);
    }
}
