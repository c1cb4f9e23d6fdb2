//! How an apply that SIGINT or SIGTERM stopped ends: one error, exit 130 or 143, that says how
//! many dashboards were not started, what was written and how to undo it, and where the rows
//! still to apply are.

use std::path::Path;

use super::execute::{DashboardResult, Report};
use crate::error::Error;
use crate::interrupt::{Interrupt, Signal};

/// Whether the dashboard never started because of the signal (as opposed to having failed).
pub fn not_started(dashboard: &DashboardResult) -> bool {
    matches!(dashboard.error, Some(Error::Interrupted { .. }))
}

/// The error an interrupted apply ends with. `run_id` is set when something was written.
pub fn ending(
    report: &Report,
    signal: Signal,
    run_id: Option<&str>,
    failed_out: Option<&Path>,
    prune: bool,
) -> Error {
    let total = report.dashboards.len();
    let idle = report.dashboards.iter().filter(|d| not_started(d)).count();
    let failed = report
        .dashboards
        .iter()
        .filter(|d| d.error.is_some() && !not_started(d))
        .count();
    let written = report.dashboards.iter().filter(|d| d.written).count();
    let journaled = report.dashboards.iter().filter(|d| d.journaled).count();
    let written = if journaled == written {
        format!("{written} written and journaled")
    } else {
        format!("{written} written ({journaled} journaled)")
    };
    let mut message = format!(
        "{idle} of {} not started",
        crate::wording::plural(total, "dashboard")
    );
    if failed > 0 {
        message.push_str(&format!(", {failed} failed"));
    }
    match run_id {
        Some(run_id) => message.push_str(&format!(
            "; {written} written and journaled as run {run_id} (undo with `dashshare undo {run_id}`)"
        )),
        None => message.push_str("; nothing was written"),
    }
    let to_redo = report
        .dashboards
        .iter()
        .filter(|d| d.error.is_some() && !d.failed_after_write)
        .count();
    if to_redo > 0 {
        let prune = if prune { " --prune" } else { "" };
        match failed_out {
            Some(path) => message.push_str(&format!(
                "; the rows of the {to_redo} not done are in {0}: run `dashshare apply {0}{prune}` \
                 to finish",
                path.display()
            )),
            None => message.push_str(
                "; --failed-out FILE would have written the rows not done to a CSV to apply again",
            ),
        }
    }
    Interrupt::error(signal, message)
}
