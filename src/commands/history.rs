//! `history`: the runs the journal recorded.

use crate::cli::{GlobalArgs, OutputFormat};
use crate::error::Result;
use crate::journal::Run;
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
        OutputFormat::Table | OutputFormat::Markdown if runs.is_empty() => output::print_text(
            &format!("no runs recorded yet in {}", journal.path().display()),
        ),
        OutputFormat::Table | OutputFormat::Markdown => {
            let rows = runs.iter().map(|run| {
                vec![
                    run.run_id.clone(),
                    run.time.clone(),
                    command_shown(run),
                    run.profiles.join(", "),
                    run.dashboards.to_string(),
                ]
            });
            super::print_listing(
                global,
                &output::table(
                    &["run id", "time", "command", "profiles", "dashboards"],
                    rows,
                ),
            )
        }
    }
}

/// The command, and for a run that stopped between sending a write and hearing back, that it
/// was interrupted: `undo` settles those writes by reading the server.
fn command_shown(run: &Run) -> String {
    if run.interrupted {
        format!(
            "{} (interrupted: {} of its writes unanswered)",
            run.command, run.unanswered
        )
    } else {
        run.command.clone()
    }
}
