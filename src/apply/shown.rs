//! How an apply or diff report is shown: the table of changes with a summary per vendor (`text`),
//! the JSON document (`json`), and the plan as Markdown for a pull request (`markdown`).

use std::time::Duration;

use serde::Serialize;

use super::execute::{DashboardResult, DataModelOutcome, Options, Report};
use super::interrupted;
use crate::error::Result;
use crate::flow::ShareResult;
use crate::model::outcome::Outcome;
use crate::model::{Action, Level};
use crate::output;
use crate::output::escape::markdown as escape_markdown;
use crate::providers::Reach;
use crate::vendor::{Support, Vendor};

/// How many of the report's rows pass `test`.
pub fn count(report: &Report, test: impl Fn(&ShareResult) -> bool) -> usize {
    report
        .dashboards
        .iter()
        .flat_map(|d| &d.rows)
        .filter(|row| test(row))
        .count()
}

/// Counts of one vendor's rows, by action.
#[derive(Debug, Default, Serialize)]
struct Summary {
    vendor: String,
    dashboards: usize,
    added: usize,
    updated: usize,
    unchanged: usize,
    removed: usize,
    sent: usize,
    failed: usize,
    /// Written again by `--verify` after another writer removed them.
    repaired: usize,
}

impl Summary {
    fn add(&mut self, action: Action) {
        let slot = match action {
            Action::Added => &mut self.added,
            Action::Updated => &mut self.updated,
            // A file only grants, so nothing it asks for is absent: what is there is unchanged.
            Action::Unchanged | Action::Absent => &mut self.unchanged,
            Action::Removed => &mut self.removed,
            Action::Sent => &mut self.sent,
            Action::Failed => &mut self.failed,
            Action::Repaired => &mut self.repaired,
        };
        *slot += 1;
    }
}

fn summaries(report: &Report) -> Vec<Summary> {
    let mut summaries: Vec<(Vendor, Summary)> = Vec::new();
    for dashboard in &report.dashboards {
        let index = match summaries.iter().position(|(v, _)| *v == dashboard.vendor) {
            Some(index) => index,
            None => {
                summaries.push((
                    dashboard.vendor,
                    Summary {
                        vendor: dashboard.vendor.to_string(),
                        ..Summary::default()
                    },
                ));
                summaries.len() - 1
            }
        };
        let summary = &mut summaries[index].1;
        summary.dashboards += 1;
        for row in &dashboard.rows {
            summary.add(row.action);
        }
    }
    summaries.sort_by_key(|(vendor, _)| vendor.as_str());
    summaries.into_iter().map(|(_, s)| s).collect()
}

#[derive(Serialize)]
struct JsonRow<'a> {
    profile: &'a str,
    vendor: Vendor,
    dashboard: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(flatten)]
    row: &'a ShareResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonDashboard<'a> {
    profile: &'a str,
    vendor: Vendor,
    dashboard: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    result: Outcome,
    written: bool,
    published: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    /// The journal's id for this run (what `undo` takes); null when nothing was written.
    run_id: Option<&'a str>,
    dry_run: bool,
    prune: bool,
    results: Vec<JsonRow<'a>>,
    dashboards: Vec<JsonDashboard<'a>>,
    summary: Vec<Summary>,
    /// `--with-data`: each data model given entries.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    data_models: &'a [DataModelOutcome],
    /// Each data model that could not be read, and why.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    data_unreadable: &'a [String],
}

pub fn json(report: &Report, options: &Options, run_id: Option<&str>) -> Result<()> {
    let results = report
        .dashboards
        .iter()
        .flat_map(|d| {
            d.rows.iter().map(move |row| JsonRow {
                profile: &d.profile,
                vendor: d.vendor,
                dashboard: &d.dashboard.id,
                title: d.dashboard.title.as_deref(),
                row,
                error: (row.action == Action::Failed)
                    .then(|| d.error.as_ref().map(ToString::to_string))
                    .flatten(),
            })
        })
        .collect();
    let dashboards = report
        .dashboards
        .iter()
        .map(|d| JsonDashboard {
            profile: &d.profile,
            vendor: d.vendor,
            dashboard: &d.dashboard.id,
            title: d.dashboard.title.as_deref(),
            result: d.outcome(options.dry_run),
            written: d.written,
            published: d.published,
            error: d.error.as_ref().map(ToString::to_string),
        })
        .collect();
    output::print_json(&JsonReport {
        run_id,
        dry_run: options.dry_run,
        prune: options.prune,
        results,
        dashboards,
        summary: summaries(report),
        data_models: &report.data_models,
        data_unreadable: &report.data_unreadable,
    })
}

/// The changed and failed shares, the failures' reasons, a summary per vendor, and the outcome.
/// The report of a run that took `took`.
pub fn text(report: &Report, options: &Options, run_id: Option<&str>, took: Duration) -> String {
    let level = |level: Option<Level>| level.map_or("-".to_string(), |l| l.to_string());
    let dashboard_name = |d: &DashboardResult| d.dashboard.shown();
    let mut text = String::new();
    // Only files that give shares for a time (`expires`) show when they end.
    let timed = report
        .dashboards
        .iter()
        .any(|d| d.rows.iter().any(|row| row.expires.is_some()));
    let changed: Vec<Vec<String>> = report
        .dashboards
        .iter()
        .flat_map(|d| {
            d.rows
                .iter()
                .filter(|row| {
                    row.action != Action::Unchanged || crate::flow::timed::end_changed(row)
                })
                .map(move |row| {
                    let mut cells = vec![
                        d.profile.clone(),
                        dashboard_name(d),
                        row.principal.clone(),
                        row.kind.to_string(),
                        level(row.before),
                        level(row.after),
                        row.action.as_str().to_string(),
                    ];
                    if timed {
                        cells.push(row.expires.clone().unwrap_or_default());
                    }
                    cells
                })
        })
        .collect();
    if !changed.is_empty() {
        let mut headers = vec![
            "profile",
            "dashboard",
            "principal",
            "type",
            "before",
            "after",
            "action",
        ];
        if timed {
            headers.push("expires");
        }
        text.push_str(&output::table(&headers, changed));
        text.push_str("\n\n");
    }
    // Those a signal kept from starting are counted, not listed one by one.
    let idle = report
        .dashboards
        .iter()
        .filter(|d| interrupted::not_started(d))
        .count();
    for d in report
        .dashboards
        .iter()
        .filter(|d| !interrupted::not_started(d))
    {
        if let Some(err) = &d.error {
            text.push_str(&format!(
                "failed: {} {}: {err}\n",
                d.profile,
                dashboard_name(d)
            ));
        }
    }
    if idle > 0 {
        text.push_str(&format!(
            "not started: {} (the run was interrupted)\n",
            crate::wording::plural(idle, "dashboard")
        ));
    }
    let mut notes: Vec<&str> = report
        .dashboards
        .iter()
        .flat_map(|d| d.rows.iter().filter_map(|row| row.note))
        .collect();
    notes.sort_unstable();
    notes.dedup();
    for note in notes {
        text.push_str(&format!("note: {note}\n"));
    }
    text.push_str(&data_notes(report));
    // Only runs that repaired anything (with --verify) show the column.
    let repaired = count(report, |row| row.action == Action::Repaired) > 0;
    let rows = summaries(report).into_iter().map(|s| {
        let mut row: Vec<String> = [
            s.vendor,
            s.dashboards.to_string(),
            s.added.to_string(),
            s.updated.to_string(),
            s.unchanged.to_string(),
            s.removed.to_string(),
            s.sent.to_string(),
            s.failed.to_string(),
        ]
        .into();
        if repaired {
            row.push(s.repaired.to_string());
        }
        row
    });
    let mut headers = vec![
        "vendor",
        "dashboards",
        "added",
        "updated",
        "unchanged",
        "removed",
        "sent",
        "failed",
    ];
    if repaired {
        headers.push("repaired");
    }
    text.push_str(&output::table(&headers, rows));
    text.push_str("\n\n");
    for model in &report.data_models {
        let given = crate::wording::plural(model.entries, "principal");
        text.push_str(&match (&model.error, options.dry_run) {
            (_, true) => format!(
                "Data model {} ({}): {given} would get USE.\n",
                model.model, model.profile
            ),
            (None, false) if model.entries == 0 => format!(
                "Data model {} ({}): already has every entry; nothing written.\n",
                model.model, model.profile
            ),
            (None, false) => format!(
                "Data model {} ({}): {given} given USE, in one write.\n",
                model.model, model.profile
            ),
            (Some(err), false) => format!(
                "Data model {} ({}): not given: {err}\n",
                model.model, model.profile
            ),
        });
    }
    text.push_str(&outcome(report, options, run_id, took));
    text
}

/// The principals the run shared a dashboard with who cannot query its data model, a line per
/// model, and each model that could not be read, once.
fn data_notes(report: &Report) -> String {
    /// Names shown per model; the JSON report carries every row.
    const SHOWN: usize = 10;
    let mut models: Vec<(&str, &str, Vec<&str>)> = Vec::new();
    for d in &report.dashboards {
        for row in &d.rows {
            let Some(mark) = row.data.as_ref().filter(|mark| !mark.given) else {
                continue;
            };
            if mark.reach != Reach::None {
                continue;
            }
            let key = (d.profile.as_str(), mark.model.as_str());
            let names = match models.iter_mut().find(|(p, m, _)| (*p, *m) == key) {
                Some((_, _, names)) => names,
                None => {
                    models.push((key.0, key.1, Vec::new()));
                    &mut models.last_mut().expect("just pushed").2
                }
            };
            if !names.contains(&row.principal.as_str()) {
                names.push(&row.principal);
            }
        }
    }
    let mut text = String::new();
    for (profile, model, names) in models {
        let more = names.len().saturating_sub(SHOWN);
        let mut shown = names[..names.len().min(SHOWN)].join(", ");
        if more > 0 {
            shown.push_str(&format!(" and {more} more"));
        }
        text.push_str(&format!(
            "note: {shown} can open the dashboard but not query its data model {model} ({profile}): \
             apply with --with-data, or set with_data on their rows\n"
        ));
    }
    for said in &report.data_unreadable {
        text.push_str(&format!(
            "note: data model {said}: whether the principals given its dashboards can query its \
             data is unknown\n"
        ));
    }
    text
}

fn outcome(report: &Report, options: &Options, run_id: Option<&str>, took: Duration) -> String {
    let count = |action: Action| count(report, |row| row.action == action);
    if options.dry_run {
        return format!(
            "Plan: {} to add, {} to update, {} to remove. Nothing was written.",
            count(Action::Added),
            count(Action::Updated),
            count(Action::Removed)
        );
    }
    let written = report.dashboards.iter().filter(|d| d.written).count();
    let published = report.dashboards.iter().filter(|d| d.published).count();
    let failed = report.dashboards.iter().any(|d| d.error.is_some());
    match run_id {
        Some(run_id) => {
            let mut line = format!(
                "Run {run_id}: {} written",
                crate::wording::plural(written, "dashboard")
            );
            if published > 0 {
                line.push_str(&format!(" ({published} published)"));
            }
            line.push_str(&format!(" in {}.", crate::wording::elapsed(took)));
            // `undo` can put back only what the journal holds with the state before it.
            let undoable = report
                .dashboards
                .iter()
                .any(|d| d.journaled && d.vendor.capabilities().list == Support::Yes);
            if undoable {
                line.push_str(&format!(" Undo with `dashshare undo {run_id}`."));
            }
            line
        }
        None if failed => "Nothing was written.".to_string(),
        None => "Nothing to change: every dashboard already matches the file.".to_string(),
    }
}

/// The changes (rows that stay as they are are left out), then the dashboards that could not be
/// planned. Every value is escaped, so a title cannot break the table.
pub fn markdown(report: &Report) -> String {
    let level = |level: Option<Level>| level.map_or("-".to_string(), |l| l.to_string());
    // Only files that give shares for a time (`expires`) get the column.
    let timed = report
        .dashboards
        .iter()
        .any(|d| d.rows.iter().any(|row| row.expires.is_some()));
    let mut rows = Vec::new();
    for d in &report.dashboards {
        for row in d.rows.iter().filter(|row| row.action != Action::Unchanged) {
            let mut cells = vec![
                escape_markdown(&d.profile),
                escape_markdown(&d.dashboard.shown()),
                escape_markdown(&row.principal),
                row.kind.to_string(),
                level(row.before),
                level(row.after),
                format!("**{}**", row.action.as_str()),
            ];
            if timed {
                cells.push(escape_markdown(row.expires.as_deref().unwrap_or_default()));
            }
            rows.push(format!("| {} |", cells.join(" | ")));
        }
    }
    let dashboards = report
        .dashboards
        .iter()
        .filter(|d| d.rows.iter().any(|row| row.action != Action::Unchanged))
        .count();
    let mut text = if rows.is_empty() {
        String::from("### dashshare diff: no changes\n\nThe servers match the file.\n")
    } else {
        let (expires, rule) = if timed {
            (" expires |", "---|")
        } else {
            ("", "")
        };
        format!(
            "### dashshare diff: {} on {}\n\n\
             | profile | dashboard | principal | type | before | after | action |{expires}\n\
             |---|---|---|---|---|---|---|{rule}\n{}\n",
            crate::wording::plural(rows.len(), "change"),
            crate::wording::plural(dashboards, "dashboard"),
            rows.join("\n")
        )
    };
    // Shares the server already has as asked, whose end the file decides anew: the journal
    // records it, and `expire` follows it.
    let ends: Vec<String> = report
        .dashboards
        .iter()
        .flat_map(|d| {
            d.rows
                .iter()
                .filter(|row| crate::flow::timed::end_changed(row))
                .map(move |row| {
                    let end = match &row.expires {
                        Some(at) => format!("ends at {}", escape_markdown(at)),
                        None => "kept with no end".to_string(),
                    };
                    format!(
                        "- {} {}: {} ({}): {end}",
                        escape_markdown(&d.profile),
                        escape_markdown(&d.dashboard.shown()),
                        escape_markdown(&row.principal),
                        row.kind
                    )
                })
        })
        .collect();
    if !ends.is_empty() {
        text.push_str(&format!(
            "\n**Ends decided anew** (already shared as asked; nothing is written to the server):\n\n{}\n",
            ends.join("\n")
        ));
    }
    let failed: Vec<String> = report
        .dashboards
        .iter()
        .filter_map(|d| {
            d.error.as_ref().map(|err| {
                format!(
                    "- {} {}: {}",
                    escape_markdown(&d.profile),
                    escape_markdown(&d.dashboard.shown()),
                    escape_markdown(&err.to_string())
                )
            })
        })
        .collect();
    if !failed.is_empty() {
        text.push_str(&format!(
            "\n**Could not be planned:**\n\n{}\n",
            failed.join("\n")
        ));
    }
    text
}
