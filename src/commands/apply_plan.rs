//! `apply --plan PLAN`: exactly the writes a saved plan (`diff FILE --out PLAN`) holds, nothing
//! else. Each dashboard is read again first; one whose shares are no longer those the plan was
//! made over is refused with nothing written, the way Terraform refuses a stale plan. A plan
//! made for another server is refused whole, before any request.

use std::collections::HashMap;
use std::path::Path;

use futures::StreamExt;
use serde::Serialize;

use super::writing_run::WritingRun;
use crate::apply::saved_plan::{PlannedModel, PlannedWrite, SavedPlan};
use crate::cli::{ApplyArgs, GlobalArgs, OutputFormat};
use crate::config::Profile;
use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::flow;
use crate::interrupt::Interrupt;
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::output;
use crate::providers::{Connection, ShareProvider};
use crate::write_ahead::WriteAhead;

/// A dashboard of the plan, or a data model's planned entries (given after the dashboards).
#[derive(Debug, Serialize)]
struct Carried {
    #[serde(flatten)]
    row: OutcomeRow,
    /// A write (or part of one) reached the journal, so the run id undoes it.
    #[serde(skip)]
    journaled: bool,
}

/// A data model's planned entries in the JSON report.
#[derive(Debug, Serialize)]
struct ModelJson<'a> {
    profile: &'a str,
    model: &'a str,
    result: Outcome,
    detail: &'a str,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    run_id: Option<&'a str>,
    plan: String,
    dashboards: &'a [Carried],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    data_models: Vec<ModelJson<'a>>,
}

pub async fn run(global: &GlobalArgs, args: &ApplyArgs, path: &Path) -> Result<()> {
    let started = std::time::Instant::now();
    let plan = SavedPlan::load(path)?;
    // The same guard as `apply --prune FILE`: a plan made from a truncated file is refused.
    let removals: usize = plan.dashboards.iter().map(PlannedWrite::removals).sum();
    if removals > args.max_removals {
        return Err(Error::invalid(format!(
            "the plan removes {}, more than --max-removals {}; nothing was changed. Review it \
             (`dashshare diff FILE --prune`), then raise --max-removals if it is right",
            crate::wording::plural(removals, "share"),
            args.max_removals
        )));
    }
    let connections = connect(global, &plan)?;
    let command = format!("apply --plan {}", path.display());
    // The plan's writes decide their shares' ends over those in force now, read under the lock.
    let run = WritingRun::start(global, command, &args.lock, false).await?;
    let (interrupt, run_id) = (&run.interrupt, &run.id);
    let Some(ahead) = run.ahead() else {
        return Err(Error::local("a writing run has its journal"));
    };
    let width = usize::from(args.plan.concurrency);
    let outcomes: Vec<Carried> = futures::stream::iter(&plan.dashboards)
        .map(|planned| {
            let (profile, provider) = &connections[&planned.profile];
            let (ahead, interrupt) = (&ahead, &interrupt);
            async move {
                let (result, detail, journaled) = match interrupt.stopped() {
                    Some(signal) => not_started(signal),
                    None => carry_out(provider.as_ref(), profile, planned, ahead).await,
                };
                carried(
                    &planned.profile,
                    planned.dashboard.id.clone(),
                    result,
                    detail,
                    journaled,
                )
            }
        })
        .buffered(width.max(1))
        .collect()
        .await;
    // Each data model once, after its dashboards, as `apply --with-data` gives them: only the
    // entries of dashboards whose shares stand (written, or with nothing to write).
    let results: HashMap<(&str, &str), Outcome> = outcomes
        .iter()
        .map(|o| {
            (
                (o.row.profile.as_str(), o.row.dashboard.as_str()),
                o.row.result,
            )
        })
        .collect();
    let mut models = Vec::with_capacity(plan.data_models.len());
    for planned in &plan.data_models {
        let (profile, provider) = &connections[&planned.profile];
        let stands = |dashboard: &str| {
            results
                .get(&(planned.profile.as_str(), dashboard))
                .is_none_or(|result| result.wrote())
        };
        let (change, left_out) = planned.write.standing(stands);
        let left_out = (!left_out.is_empty()).then(|| {
            format!(
                "left out for {} not written: {}",
                if left_out.len() == 1 {
                    "the dashboard"
                } else {
                    "the dashboards"
                },
                left_out.join(", ")
            )
        });
        let (result, detail, journaled) = match (interrupt.stopped(), change) {
            (Some(signal), _) => not_started(signal),
            (None, None) => (
                Outcome::Skipped,
                left_out.clone().unwrap_or_default(),
                false,
            ),
            (None, Some(change)) => {
                give(provider.as_ref(), profile, planned, &change, &ahead).await
            }
        };
        let detail = match (result, left_out) {
            (Outcome::Skipped, _) | (_, None) => detail,
            (_, Some(left_out)) if detail.is_empty() => left_out,
            (_, Some(left_out)) => format!("{detail}; {left_out}"),
        };
        let model = format!("data model {}", planned.write.change.model.title);
        models.push(carried(&planned.profile, model, result, detail, journaled));
    }
    let written = outcomes
        .iter()
        .filter(|o| o.row.result == Outcome::Written)
        .count();
    let journaled = outcomes.iter().any(|o| o.journaled) || models.iter().any(|m| m.journaled);
    let run = journaled.then_some(run_id.as_str());
    match global.output {
        OutputFormat::Json => output::print_json(&JsonReport {
            run_id: run,
            plan: path.display().to_string(),
            dashboards: &outcomes,
            data_models: plan
                .data_models
                .iter()
                .zip(&models)
                .map(|(planned, m)| ModelJson {
                    profile: &m.row.profile,
                    model: &planned.write.change.model.title,
                    result: m.row.result,
                    detail: &m.row.detail,
                })
                .collect(),
        })?,
        format => {
            let summary = summary(&outcomes, &models, run, started.elapsed());
            let rows: Vec<OutcomeRow> = outcomes
                .iter()
                .chain(&models)
                .map(|o| o.row.clone())
                .collect();
            let markdown = format == OutputFormat::Markdown;
            output::print_text(&output::outcomes::report(&rows, markdown, "", &summary))?
        }
    }
    if let Some(signal) = interrupt.stopped() {
        return Err(Interrupt::error(
            signal,
            "the dashboards under way finished and were journaled; apply the plan again for the \
             rest (those written are refused as changed)",
        ));
    }
    let models_failed = models
        .iter()
        .filter(|m| m.row.result == Outcome::Failed)
        .count();
    if models_failed > 0 && outcomes.len() == written {
        return Err(Error::remote(format!(
            "the dashboards' shares stand, but {} not given (see the table): apply the plan \
             again once the cause is fixed (its entries merge with what is there)",
            crate::wording::plural(models_failed, "data model")
                + if models_failed == 1 { " was" } else { " were" }
        )));
    }
    let missed = outcomes.len() - written;
    if missed > 0 {
        return Err(Error::remote(format!(
            "{missed} of {} of the plan {} not done (see the table): one written but not \
             published needs `dashshare publish ID`; for the others make the plan again with \
             `dashshare diff FILE --out PLAN` and review it",
            crate::wording::plural(outcomes.len(), "dashboard"),
            if missed == 1 { "was" } else { "were" }
        )));
    }
    Ok(())
}

/// One provider per profile of the plan, each checked to reach the server the plan was made on.
fn connect(global: &GlobalArgs, plan: &SavedPlan) -> Result<HashMap<String, Connection>> {
    super::warn_if_insecure(global);
    let mut connections = HashMap::new();
    let profiles = plan.dashboards.iter().map(|planned| &planned.profile);
    let profiles = profiles.chain(plan.data_models.iter().map(|planned| &planned.profile));
    for name in profiles {
        if connections.contains_key(name) {
            continue;
        }
        let (profile, provider) = super::connect_named(global, name)?;
        let server = plan.servers.get(name).ok_or_else(|| {
            Error::invalid(format!(
                "the plan names no server for profile '{name}': make the plan again"
            ))
        })?;
        if profile.vendor != server.vendor || profile.url.as_str() != server.url {
            return Err(Error::invalid(format!(
                "the plan was made on {} ({}), but profile '{}' now reaches {} ({}): a plan is \
                 carried out only on the server it was made on; nothing was changed",
                server.url, server.vendor, profile.name, profile.url, profile.vendor
            )));
        }
        connections.insert(name.clone(), (profile, provider));
    }
    Ok(connections)
}

fn carried(
    profile: &str,
    dashboard: String,
    result: Outcome,
    detail: String,
    journaled: bool,
) -> Carried {
    Carried {
        row: OutcomeRow {
            profile: profile.to_string(),
            dashboard,
            principal: None,
            ends: None,
            result,
            detail,
        },
        journaled,
    }
}

/// What a signal kept from starting: (result, detail, journaled).
fn not_started(signal: crate::signal::Signal) -> (Outcome, String, bool) {
    (
        Outcome::NotStarted,
        format!("interrupted by {}", signal.name()),
        false,
    )
}

/// Reads the dashboard again (where the vendor can), refuses it if it changed since the plan,
/// and otherwise makes the planned write, journaled ahead: (result, detail, journaled).
async fn carry_out(
    provider: &dyn ShareProvider,
    profile: &Profile,
    planned: &PlannedWrite,
    ahead: &WriteAhead<'_>,
) -> (Outcome, String, bool) {
    let fresh = match &planned.before {
        None => None,
        Some(before) => match provider.read_shares(&planned.dashboard).await {
            Ok(fresh) if fresh.shares.same_as(before) => Some(fresh),
            Ok(_) => {
                return (
                    Outcome::Refused,
                    "changed since the plan: nothing was written to it".into(),
                    false,
                );
            }
            Err(err) => return (Outcome::Failed, err.to_string(), false),
        },
    };
    let write = match planned.write(fresh) {
        Ok(write) => write,
        Err(err) => return (Outcome::Failed, err.to_string(), false),
    };
    match flow::write(provider, &write, Some((ahead, profile))).await {
        Ok(written) => match written.publish_error {
            Some(err) => (Outcome::Unpublished, err.to_string(), true),
            None => (Outcome::Written, String::new(), true),
        },
        Err(halted) => (
            Outcome::Failed,
            halted.error.to_string(),
            halted.partial.is_some(),
        ),
    }
}

/// Gives a data model's planned entries, journaled ahead under its dashboard. The write merges
/// them into the model's entries as they are now, so a change since the plan is kept, never
/// refused: (result, detail, journaled).
async fn give(
    provider: &dyn ShareProvider,
    profile: &Profile,
    planned: &PlannedModel,
    change: &DataModelChange,
    ahead: &WriteAhead<'_>,
) -> (Outcome, String, bool) {
    let write = &planned.write;
    let journal = Some((ahead, profile));
    match flow::write_data_grant(provider, &write.dashboard, &write.shares, change, journal).await {
        Ok(given) if given.entries.is_empty() => (
            Outcome::Unchanged,
            "every entry was there already: nothing was written".into(),
            true,
        ),
        Ok(given) => (
            Outcome::Written,
            format!(
                "{} given USE",
                crate::wording::plural(given.entries.len(), "principal")
            ),
            true,
        ),
        Err(halted) => (
            Outcome::Failed,
            halted.error.to_string(),
            !halted.unjournaled,
        ),
    }
}

/// The counts below the table, and the run id that undoes what was written.
fn summary(
    outcomes: &[Carried],
    models: &[Carried],
    run_id: Option<&str>,
    took: std::time::Duration,
) -> String {
    let count = |result: Outcome| outcomes.iter().filter(|o| o.row.result == result).count();
    let mut summary = format!(
        "{} of {} written, {} written but not published, {} refused (changed since the \
         plan), {} failed in {}",
        count(Outcome::Written),
        crate::wording::plural(outcomes.len(), "dashboard"),
        count(Outcome::Unpublished),
        count(Outcome::Refused),
        count(Outcome::Failed),
        crate::wording::elapsed(took)
    );
    if !models.is_empty() {
        let given = models
            .iter()
            .filter(|m| m.row.result == Outcome::Written)
            .count();
        summary.push_str(&format!(
            "; {} of {} given entries",
            given,
            crate::wording::plural(models.len(), "data model")
        ));
    }
    if let Some(run_id) = run_id {
        summary.push_str(&format!(
            "; run {run_id} (undo with `dashshare undo {run_id}`)"
        ));
    }
    summary
}
