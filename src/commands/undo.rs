//! `undo RUN_ID`: puts every dashboard of a run back to its share set before the run, as
//! `flow::undo` does it, asking first on a terminal where that removes shares. The undo is itself
//! a run in the journal, journaled ahead like any other; `--dry-run` only shows the plan.

use indicatif::ProgressBar;

use crate::cli::{GlobalArgs, OutputFormat, UndoArgs};
use crate::confirm;
use crate::error::{Error, Result};
use crate::flow::undo::{How, targets, undo_all};
use crate::interrupt::Interrupt;
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::output;
use crate::share_ends::ShareEnds;

use super::writing_run::WritingRun;

pub async fn run(global: &GlobalArgs, args: &UndoArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let command = format!("undo {}", args.run_id);
    let mut run = WritingRun::start(global, command, &args.lock, args.dry_run).await?;
    let (entries, earlier) = run.journal()?.run(&args.run_id)?;
    // The ends shares given for a time had just before the run: those it puts back end again.
    let ends = ShareEnds::of(&earlier);
    drop(earlier);
    let targets = targets(entries);
    // One connection (and login) per profile, however many dashboards the run wrote there.
    super::warn_if_insecure(global);
    for target in targets
        .iter()
        .filter(|target| target.first.before.is_some())
    {
        run.connection(global, &target.first.profile);
    }
    let ahead = run.ahead();
    let how = How {
        force: args.force,
        ahead: ahead.as_ref(),
        ends: &ends,
    };
    let (connections, interrupt, undo_run) = (run.connections(), &run.interrupt, &run.id);
    // A person at a terminal sees what the undo removes before anything is written: a plan
    // first (one more read per dashboard), then the question.
    if !args.dry_run && !args.yes && confirm::can_ask() {
        let plan = How {
            force: args.force,
            ahead: None,
            ends: &ends,
        };
        let hidden = ProgressBar::hidden();
        let planned = undo_all(&targets, connections, &plan, interrupt, &hidden).await;
        let removals = planned.into_iter().flat_map(|o| o.removing).collect();
        // A signal while the question is open leaves every dashboard below not started.
        confirm::on_terminal(removals, false, interrupt).await?;
    }
    // Shown only now: a bar must not draw over the question.
    let progress = super::progress_bar(global);
    crate::terminal::grow(&progress, targets.len() as u64);
    progress.set_message("putting back");
    let outcomes = undo_all(&targets, connections, &how, interrupt, &progress).await;
    progress.finish_and_clear();
    let rows: Vec<OutcomeRow> = outcomes.into_iter().map(|o| o.row).collect();
    let summary = if args.dry_run {
        "dry run: nothing was written".to_string()
    } else {
        let written = rows.iter().filter(|o| o.result.wrote()).count();
        format!(
            "{written} of {} put back in {}; this undo is run {undo_run}",
            crate::wording::plural(rows.len(), "dashboard"),
            crate::wording::elapsed(started.elapsed())
        )
    };
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "undone_run": args.run_id,
            "run_id": (!args.dry_run).then_some(&undo_run),
            "dry_run": args.dry_run,
            "results": rows,
        }))?,
        format => output::print_text(&output::outcomes::report(
            &rows,
            format == OutputFormat::Markdown,
            "",
            &summary,
        ))?,
    }
    if let Some(signal) = interrupt.stopped() {
        let idle = rows
            .iter()
            .filter(|o| o.result == Outcome::NotStarted)
            .count();
        return Err(Interrupt::error(
            signal,
            format!(
                "{idle} of {} not started; those put back are journaled as run {undo_run}. Run \
                 `dashshare undo {}` again to put back the rest",
                crate::wording::plural(rows.len(), "dashboard"),
                args.run_id
            ),
        ));
    }
    let failed = rows.iter().filter(|o| !o.result.done()).count();
    if failed > 0 {
        let would = if args.dry_run {
            "would not be"
        } else {
            "were not"
        };
        return Err(Error::remote(format!(
            "{failed} of {} of run {} {would} fully put back (see above)",
            crate::wording::plural(rows.len(), "dashboard"),
            args.run_id
        )));
    }
    Ok(())
}
