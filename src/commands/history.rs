//! `history`: the runs the journal recorded.

use crate::cli::{GlobalArgs, OutputFormat};
use crate::error::Result;
use crate::output;

pub fn run(global: &GlobalArgs) -> Result<()> {
    let journal = super::journal(global)?;
    // Newest first, as `git log` and `gh` list.
    let mut runs = journal.runs()?;
    runs.reverse();
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "journal": journal.path(),
            "runs": runs,
        })),
        OutputFormat::Table if runs.is_empty() => output::print_text(&format!(
            "no runs recorded yet in {}",
            journal.path().display()
        )),
        OutputFormat::Table => {
            let rows = runs.iter().map(|run| {
                vec![
                    run.run_id.clone(),
                    run.time.clone(),
                    run.command.clone(),
                    run.profiles.join(", "),
                    run.dashboards.to_string(),
                ]
            });
            output::print_text(&output::table(
                &["run id", "time", "command", "profiles", "dashboards"],
                rows,
            ))
        }
    }
}
