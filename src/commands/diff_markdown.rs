//! `diff -o markdown`: the plan as a Markdown table, to paste into a pull-request comment.

use super::report_formats::escape_markdown;
use crate::apply::execute::Report;
use crate::flow::ShareResult;
use crate::flow::timed::{KEPT, end_changed};
use crate::model::{Action, Level};

/// Whether a row is shown: it changes the server's shares, or only its share's end (kept with no
/// end, or given another), which the journal records and a reviewer must see too.
fn shown(row: &ShareResult) -> bool {
    row.action != Action::Unchanged || end_changed(row)
}

/// The changes (rows that stay as they are are left out), then the dashboards that could not be
/// planned. Every value is escaped, so a title cannot break the table.
pub fn plan(report: &Report) -> String {
    let level = |level: Option<Level>| level.map_or("-".to_string(), |l| l.to_string());
    // Only files that give shares for a time (`expires`) get the column.
    let timed = report
        .dashboards
        .iter()
        .any(|d| d.rows.iter().any(|row| row.expires.is_some()));
    let mut rows = Vec::new();
    for d in &report.dashboards {
        for row in d.rows.iter().filter(|row| shown(row)) {
            let action = match (end_changed(row), row.note) {
                (true, Some(KEPT)) => "unchanged, end taken off".to_string(),
                (true, _) => "unchanged, end moved".to_string(),
                (false, _) => row.action.as_str().to_string(),
            };
            let mut cells = vec![
                escape_markdown(&d.profile),
                escape_markdown(&d.dashboard.shown()),
                escape_markdown(&row.principal),
                row.kind.to_string(),
                level(row.before),
                level(row.after),
                format!("**{action}**"),
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
        .filter(|d| d.rows.iter().any(shown))
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
