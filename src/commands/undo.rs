//! `undo RUN_ID`: puts every dashboard of a run back to its share set before the run, as
//! `flow::undo` does it, asking first on a terminal where that removes shares. The undo is itself
//! a run in the journal, journaled ahead like any other; `--dry-run` only shows the plan.

use indicatif::ProgressBar;

use crate::cli::{GlobalArgs, OutputFormat, UndoArgs};
use crate::confirm;
use crate::error::{Error, Result};
use crate::flow::undo::{How, Settled, targets, undo_all};
use crate::interrupt::Interrupt;
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
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "undone_run": args.run_id,
            "run_id": (!args.dry_run).then_some(&undo_run),
            "dry_run": args.dry_run,
            "results": outcomes,
        }))?,
        OutputFormat::Table | OutputFormat::Markdown => {
            let rows = outcomes.iter().map(|o| {
                vec![
                    o.dashboard.clone(),
                    o.profile.clone(),
                    o.result.as_str().to_string(),
                    o.detail.clone(),
                ]
            });
            let table = output::table(&["dashboard", "profile", "result", "detail"], rows);
            if args.dry_run {
                output::print_text(&format!("{table}\n\ndry run: nothing was written"))?;
            } else {
                let restored = outcomes
                    .iter()
                    .filter(|o| o.result == Settled::Restored)
                    .count();
                output::print_text(&format!(
                    "{table}\n\n{restored} of {} put back in {}",
                    crate::wording::plural(outcomes.len(), "dashboard"),
                    crate::wording::elapsed(started.elapsed())
                ))?;
            }
        }
    }
    if let Some(signal) = interrupt.stopped() {
        let idle = outcomes
            .iter()
            .filter(|o| o.result == Settled::NotStarted)
            .count();
        return Err(Interrupt::error(
            signal,
            format!(
                "{idle} of {} not started; those put back are journaled as run {undo_run}. Run \
                 `dashshare undo {}` again to put back the rest",
                crate::wording::plural(outcomes.len(), "dashboard"),
                args.run_id
            ),
        ));
    }
    let failed = outcomes
        .iter()
        .filter(|o| {
            !matches!(
                o.result,
                Settled::Restored | Settled::Unchanged | Settled::WouldRestore
            )
        })
        .count();
    if failed > 0 {
        let would = if args.dry_run {
            "would not be"
        } else {
            "were not"
        };
        return Err(Error::remote(format!(
            "{failed} of {} of run {} {would} fully put back (see above)",
            crate::wording::plural(outcomes.len(), "dashboard"),
            args.run_id
        )));
    }
    Ok(())
}
