//! `undo RUN_ID`: puts every dashboard of a run back to its share set before the run, but only
//! where it is still as the run left it, on the same server (unless `--force`), so that later
//! changes are not lost unseen. The undo is itself a run in the journal.

use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat, UndoArgs};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::journal::{self, Entry, Journal};
use crate::model::ShareSet;
use crate::output;
use crate::providers::ShareProvider;

#[derive(Debug, Serialize)]
struct Outcome {
    profile: String,
    dashboard: String,
    /// `restored`, `unchanged` (already as before the run) or `refused`.
    result: &'static str,
    detail: String,
}

/// Dashboards put back at once.
const CONCURRENCY: usize = 8;

pub async fn run(global: &GlobalArgs, args: &UndoArgs) -> Result<()> {
    let journal = super::writable_journal(global)?;
    let undo_run = journal::new_run_id();
    let command = format!("undo {}", args.run_id);
    let _lock = super::lock_journal(&journal, &args.lock, &undo_run, &command).await?;
    let entries = journal.run(&args.run_id)?;
    let (targets, overwritten) = targets(entries);
    // One connection (and login) per profile, however many dashboards the run wrote there.
    super::warn_if_insecure(global);
    let mut connections: HashMap<String, Result<Connection>> = HashMap::new();
    for target in &targets {
        if target.before.is_some() && !connections.contains_key(&target.profile) {
            let connected = super::connect_named(global, &target.profile);
            connections.insert(target.profile.clone(), connected);
        }
    }
    let outcomes: Vec<Outcome> = futures::stream::iter(&targets)
        .map(|target| {
            let key = (target.profile.clone(), target.dashboard.id.clone());
            undo_one(
                connections.get(&target.profile),
                &journal,
                target,
                args.force,
                overwritten.contains(&key),
                &undo_run,
                &args.run_id,
            )
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
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
    let failed = outcomes
        .iter()
        .filter(|o| o.result != "restored" && o.result != "unchanged")
        .count();
    if failed > 0 {
        return Err(Error::remote(format!(
            "{failed} of {} dashboards of run {} were not fully put back (see above)",
            outcomes.len(),
            args.run_id
        )));
    }
    Ok(())
}

/// Each dashboard of the run once: as it was before the run's first write to it, and after its last.
/// Also the dashboards another writer changed between two of the run's writes (`apply --verify`
/// wrote the run's shares again over such a change): putting them back would drop that change.
fn targets(entries: Vec<Entry>) -> (Vec<Entry>, HashSet<(String, String)>) {
    let mut targets: Vec<Entry> = Vec::new();
    let mut overwritten = HashSet::new();
    let mut index_of: HashMap<(String, String), usize> = HashMap::new();
    for entry in entries {
        let key = (entry.profile.clone(), entry.dashboard.id.clone());
        match index_of.get(&key) {
            Some(&index) => {
                let continues = entry
                    .before
                    .as_ref()
                    .is_none_or(|before| before.same_as(&targets[index].after));
                if !continues {
                    overwritten.insert(key);
                }
                targets[index].after = entry.after;
            }
            None => {
                index_of.insert(key, targets.len());
                targets.push(entry);
            }
        }
    }
    (targets, overwritten)
}

type Connection = (Profile, Box<dyn ShareProvider>);

async fn undo_one(
    connection: Option<&Result<Connection>>,
    journal: &Journal,
    target: &Entry,
    force: bool,
    overwritten: bool,
    undo_run: &str,
    undone: &str,
) -> Outcome {
    let outcome = |result: &'static str, detail: String| Outcome {
        profile: target.profile.clone(),
        dashboard: target.dashboard.id.clone(),
        result,
        detail,
    };
    let (profile, current, publish_error) = match restore(connection, target, force, overwritten)
        .await
    {
        Ok(Restore::Unchanged) => return outcome("unchanged", "already as before the run".into()),
        Ok(Restore::Written {
            profile,
            current,
            publish_error,
        }) => (profile, current, publish_error),
        Err(err) => return outcome("refused", err.to_string()),
    };
    // The write happened: it is journaled whatever comes after it.
    let record = Entry::new(
        undo_run,
        &format!("undo {undone}"),
        profile,
        &target.dashboard,
        Some(current),
        target.before.clone().unwrap_or_default(),
    );
    if let Err(err) = journal.append(std::slice::from_ref(&record)) {
        return outcome("unjournaled", format!("put back, but {err}"));
    }
    match publish_error {
        None => outcome("restored", "put back as before the run".into()),
        Some(err) => outcome("unpublished", format!("put back: {err}")),
    }
}

enum Restore<'c> {
    Unchanged,
    Written {
        /// The profile written through.
        profile: &'c Profile,
        current: ShareSet,
        publish_error: Option<Error>,
    },
}

async fn restore<'c>(
    connection: Option<&'c Result<Connection>>,
    target: &Entry,
    force: bool,
    overwritten: bool,
) -> Result<Restore<'c>> {
    let (Some(before), Some(connection)) = (&target.before, connection) else {
        return Err(Error::Unsupported(format!(
            "{} cannot read its shares, so what was there before the run is unknown",
            target.vendor
        )));
    };
    let (profile, provider) = connection.as_ref().map_err(Clone::clone)?;
    if profile.vendor != target.vendor {
        return Err(Error::invalid(format!(
            "profile '{}' is now a {} profile, but the run wrote to {}",
            target.profile, profile.vendor, target.vendor
        )));
    }
    let url = profile.url.to_string();
    if !force && !target.url.is_empty() && target.url != url {
        return Err(Error::invalid(format!(
            "the run wrote to {}, but profile '{}' now points at {url}; pass the run's --config, \
             or --force to put the state there anyway",
            target.url, target.profile
        )));
    }
    let snapshot = provider.read_shares(&target.dashboard).await?;
    if snapshot.shares.same_as(before) {
        return Ok(Restore::Unchanged);
    }
    if !force && overwritten {
        return Err(Error::invalid(
            "another writer changed its shares between two writes of the run (apply --verify \
             wrote the run's shares again over that change); putting it back would undo that \
             change too (--force does it anyway)",
        ));
    }
    if !force && !snapshot.shares.same_as(&target.after) {
        return Err(Error::invalid(
            "its shares changed after the run; putting it back would undo those changes too \
             (--force does it anyway)",
        ));
    }
    provider.write_shares(&snapshot, before).await?;
    let publish_error = crate::flow::publish_written(provider.as_ref(), &snapshot.dashboard)
        .await
        .err();
    Ok(Restore::Written {
        profile,
        current: snapshot.shares,
        publish_error,
    })
}
