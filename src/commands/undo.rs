//! `undo RUN_ID`: puts every dashboard of a run back to its share set before the run, but only
//! where it is still as the run left it (unless `--force`), so that later changes are not lost
//! unseen. The undo is itself a run in the journal.

use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat, UndoArgs};
use crate::error::{Error, Result};
use crate::journal::{self, Entry};
use crate::output;

#[derive(Debug, Serialize)]
struct Outcome {
    profile: String,
    dashboard: String,
    /// `restored`, `unchanged` (already as before the run) or `refused`.
    result: &'static str,
    detail: String,
}

pub async fn run(global: &GlobalArgs, args: &UndoArgs) -> Result<()> {
    let journal = super::journal(global)?;
    let entries = journal.run(&args.run_id)?;
    let undo_run = journal::new_run_id();
    let mut outcomes = Vec::new();
    for target in targets(entries) {
        let (outcome, record) =
            undo_one(global, &target, args.force, &undo_run, &args.run_id).await;
        if let Some(record) = record {
            journal.append(std::slice::from_ref(&record))?;
        }
        outcomes.push(outcome);
    }
    let refused = outcomes.iter().filter(|o| o.result == "refused").count();
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "undone_run": args.run_id,
            "run_id": undo_run,
            "results": outcomes,
        }))?,
        OutputFormat::Table => {
            let rows = outcomes.iter().map(|o| {
                vec![
                    o.dashboard.clone(),
                    o.profile.clone(),
                    o.result.to_string(),
                    o.detail.clone(),
                ]
            });
            output::print_text(&output::table(
                &["dashboard", "profile", "result", "detail"],
                rows,
            ))?;
        }
    }
    if refused > 0 {
        return Err(Error::remote(format!(
            "{refused} of {} dashboards of run {} were not put back (see above)",
            outcomes.len(),
            args.run_id
        )));
    }
    Ok(())
}

/// Each dashboard of the run once: as it was before the run's first write to it, and after its last.
fn targets(entries: Vec<Entry>) -> Vec<Entry> {
    let mut targets: Vec<Entry> = Vec::new();
    for entry in entries {
        match targets
            .iter_mut()
            .find(|t| t.profile == entry.profile && t.dashboard.id == entry.dashboard.id)
        {
            Some(target) => target.after = entry.after,
            None => targets.push(entry),
        }
    }
    targets
}

async fn undo_one(
    global: &GlobalArgs,
    target: &Entry,
    force: bool,
    undo_run: &str,
    undone: &str,
) -> (Outcome, Option<Entry>) {
    let outcome = |result: &'static str, detail: String| Outcome {
        profile: target.profile.clone(),
        dashboard: target.dashboard.id.clone(),
        result,
        detail,
    };
    match restore(global, target, force).await {
        Ok(Restore::Unchanged) => (
            outcome("unchanged", "already as before the run".into()),
            None,
        ),
        Ok(Restore::Written { current }) => {
            let record = Entry {
                run_id: undo_run.to_string(),
                time: journal::now(),
                command: format!("undo {undone}"),
                profile: target.profile.clone(),
                vendor: target.vendor,
                dashboard: target.dashboard.clone(),
                before: Some(current),
                after: target.before.clone().unwrap_or_default(),
            };
            (
                outcome("restored", "put back as before the run".into()),
                Some(record),
            )
        }
        Err(err) => (outcome("refused", err.to_string()), None),
    }
}

enum Restore {
    Unchanged,
    Written { current: crate::model::ShareSet },
}

async fn restore(global: &GlobalArgs, target: &Entry, force: bool) -> Result<Restore> {
    let Some(before) = &target.before else {
        return Err(Error::Unsupported(format!(
            "{} cannot read its shares, so what was there before the run is unknown",
            target.vendor
        )));
    };
    let (profile, provider) = super::connect_named(global, &target.profile)?;
    if profile.vendor != target.vendor {
        return Err(Error::invalid(format!(
            "profile '{}' is now a {} profile, but the run wrote to {}",
            target.profile, profile.vendor, target.vendor
        )));
    }
    let snapshot = provider.read_shares(&target.dashboard).await?;
    if snapshot.shares.same_as(before) {
        return Ok(Restore::Unchanged);
    }
    if !force && !snapshot.shares.same_as(&target.after) {
        return Err(Error::invalid(
            "its shares changed after the run; putting it back would undo those changes too \
             (--force does it anyway)",
        ));
    }
    provider.write_shares(&snapshot, before).await?;
    if provider.vendor().capabilities().publish {
        provider.publish(&snapshot.dashboard).await?;
    }
    Ok(Restore::Written {
        current: snapshot.shares,
    })
}
