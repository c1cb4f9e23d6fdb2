//! `diff -o markdown`: the plan as a Markdown table, to paste into a pull-request comment.

use crate::apply::execute::Report;
use crate::model::{Action, Level};
use crate::output::escape::markdown as escape_markdown;

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
