//! `grant` and `revoke`: one change to one dashboard's shares, through the common flow.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{GlobalArgs, GrantArgs, OutputFormat, RevokeArgs, WaitArgs};
use crate::confirm::{self, Removal};

use super::writing_run::WritingRun;
use crate::error::{Error, Result};
use crate::flow::timed::{self, When};
use crate::flow::{self, ShareReport, ShareRequest};
use crate::interrupt::Interrupt;
use crate::model::{Action, Change, Level, Mode};
use crate::output;
use crate::providers::Reach;
use crate::vendor::Vendor;

pub async fn grant(global: &GlobalArgs, args: &GrantArgs) -> Result<()> {
    let request = ShareRequest {
        dashboard: args.dashboard.clone(),
        principals: super::principals(&args.principals)?,
        change: Change::Grant(args.access),
        mode: if args.replace {
            Mode::Replace
        } else {
            Mode::Merge
        },
        revoke_scope: None,
        publish: !args.no_publish,
        dry_run: args.dry_run,
        with_data: args.with_data,
        until: expiry(args)?,
    };
    run(global, request, &args.lock, args.yes, "grant").await
}

/// When a timed grant ends (`--for`, `--until`); it must lie ahead.
fn expiry(args: &GrantArgs) -> Result<Option<DateTime<Utc>>> {
    let when = match (&args.for_time, &args.until) {
        (Some(length), _) => When::After(*length),
        (None, Some(until)) => {
            When::At(timed::until(until).map_err(|m| Error::invalid(format!("--until {m}")))?)
        }
        (None, None) => return Ok(None),
    };
    let flag = if args.for_time.is_some() {
        "--for"
    } else {
        "--until"
    };
    when.at(Utc::now())
        .map(Some)
        .map_err(|m| Error::invalid(format!("{flag} {m}")))
}

pub async fn revoke(global: &GlobalArgs, args: &RevokeArgs) -> Result<()> {
    let request = ShareRequest {
        dashboard: args.dashboard.clone(),
        principals: super::principals(&args.principals)?,
        change: Change::Revoke,
        mode: Mode::Merge,
        revoke_scope: args.access,
        publish: !args.no_publish,
        dry_run: args.dry_run,
        with_data: false,
        until: None,
    };
    run(global, request, &args.lock, false, "revoke").await
}

#[derive(Serialize)]
struct JsonReport<'a> {
    profile: &'a str,
    vendor: Vendor,
    #[serde(flatten)]
    report: &'a ShareReport,
    /// The journal's name for this change, for `undo`; null when nothing was written.
    run_id: Option<&'a str>,
    /// When what this grant added or raised ends (`--for`, `--until`).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<&'a str>,
}

async fn run(
    global: &GlobalArgs,
    request: ShareRequest,
    wait: &WaitArgs,
    yes: bool,
    verb: &str,
) -> Result<()> {
    let started = std::time::Instant::now();
    let command = format!("{verb} {}", request.dashboard);
    let expires = request.until.map(timed::rfc3339);
    // One dashboard: once its change has started it runs to its end (each request bounded by the
    // timeout) and is journaled; a signal before then stops the command with nothing changed.
    let run = WritingRun::start(global, command, wait, request.dry_run).await?;
    let (ends, interrupt, run_id) = (&run.ends, &run.interrupt, run.id.as_str());
    let (profile, provider) = super::connect(global)?;
    if expires.is_some() {
        // A share given for a time must be taken back later: the vendor has to be able to.
        timed::admit_timed(profile.vendor).map_err(|refusal| {
            refusal
                .for_command(profile.vendor)
                .and_then_say(timed::NEVER_TAKEN_BACK)
        })?;
    }
    let prepared = flow::prepare(provider.as_ref(), &request, ends, profile.url.as_str()).await?;
    if expires.is_some() {
        // What a timed grant removes (ECI's everyone drops the user and group lists) would not
        // come back when it expires.
        if let Some(removed) = timed::removed_by(&prepared.report().results) {
            return Err(Error::invalid(format!(
                "this grant would remove {removed} and an expiry could not give them back: grant \
                 it without --for/--until, or change the shares so that nothing is removed"
            )));
        }
    }
    // `grant --replace` removes every share not named: a person at a terminal sees them first.
    let removals = if request.mode == Mode::Replace && !request.dry_run {
        removals(prepared.report())
    } else {
        Vec::new()
    };
    // A signal while the question is open is seen by `interrupt` too.
    confirm::on_terminal(removals, yes, interrupt).await?;
    if let Some(signal) = interrupt.stopped() {
        return Err(Interrupt::error(signal, "nothing was changed"));
    }
    // Journaled ahead of the write, so that `undo` knows it even if this process dies mid-way.
    let ahead = run.ahead();
    let journal = ahead.as_ref().map(|ahead| (ahead, &profile));
    let mut report = flow::commit(provider.as_ref(), prepared, journal).await?;
    // The write stands and is journaled: it is reported (run id and all) before the refused
    // publish fails the command.
    let unpublished = report.publish_error.take();
    let ungiven = report.data_error.take();
    let written_run = (report.written || report.data_written).then_some(run_id);
    match global.output {
        OutputFormat::Json => output::print_json(&JsonReport {
            profile: &profile.name,
            vendor: profile.vendor,
            report: &report,
            run_id: written_run,
            expires: expires.as_deref(),
        })?,
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&render(
            &report,
            written_run,
            expires.as_deref(),
            started.elapsed(),
            unpublished.is_some(),
            provider.vendor().capabilities().data_models,
        ))?,
    }
    match (unpublished, ungiven) {
        (Some(unpublished), Some(ungiven)) => return Err(unpublished.and_then_say(ungiven)),
        (Some(err), None) | (None, Some(err)) => return Err(err),
        (None, None) => {}
    }
    match interrupt.stopped() {
        Some(signal) if report.written || report.data_written => Err(Interrupt::error(
            signal,
            format!(
                "the change under way was finished and journaled as run {run_id}; undo it with \
                 `dashshare undo {run_id}`"
            ),
        )),
        Some(signal) => Err(Interrupt::error(
            signal,
            "the change under way finished with nothing to write",
        )),
        None => Ok(()),
    }
}

/// The shares a planned change removes (for a vendor that cannot read its shares, none are known).
fn removals(report: &ShareReport) -> Vec<Removal> {
    let dashboard = report.dashboard.shown();
    report
        .results
        .iter()
        .filter(|r| r.action == Action::Removed)
        .map(|r| Removal {
            dashboard: dashboard.clone(),
            principal: r.principal.clone(),
            kind: r.kind,
            level: r.before,
        })
        .collect()
}

fn render(
    report: &ShareReport,
    run_id: Option<&str>,
    expires: Option<&str>,
    took: std::time::Duration,
    unpublished: bool,
    keeps_models: bool,
) -> String {
    let level = |level: Option<Level>| level.map_or("-".to_string(), |l| l.to_string());
    let rows = report.results.iter().map(|r| {
        vec![
            r.principal.clone(),
            r.kind.to_string(),
            level(r.before),
            level(r.after),
            r.action.to_string(),
        ]
    });
    let table = output::table(&["principal", "type", "before", "after", "action"], rows);
    let dashboard = match &report.dashboard.title {
        Some(title) if title != &report.dashboard.id => {
            format!("'{title}' ({})", report.dashboard.id)
        }
        _ => format!("'{}'", report.dashboard.id),
    };
    let counts: Vec<String> = [
        Action::Added,
        Action::Updated,
        Action::Removed,
        Action::Unchanged,
        Action::Absent,
    ]
    .into_iter()
    .filter_map(|action| {
        let n = report.count(action);
        (n > 0).then(|| format!("{n} {action}"))
    })
    .collect();
    let changes = report.results.iter().any(|r| r.action.is_change());
    let outcome = if report.dry_run && changes {
        "dry run: nothing was written".to_string()
    } else if report.dry_run {
        "dry run: nothing to change".to_string()
    } else if report.published {
        format!("written and published in {}", crate::wording::elapsed(took))
    } else if report.written && unpublished {
        format!(
            "written in {}, not published (`dashshare publish {}` finishes it)",
            crate::wording::elapsed(took),
            report.dashboard.id
        )
    } else if report.written {
        format!("written in {}", crate::wording::elapsed(took))
    } else if report.data_written {
        format!(
            "its shares as asked; data model written in {}",
            crate::wording::elapsed(took)
        )
    } else {
        "nothing to change".to_string()
    };
    let notes: String = report
        .results
        .iter()
        .filter_map(|r| {
            r.note
                .map(|note| format!("note: {} ({}): {note}\n", r.principal, r.kind))
        })
        .collect();
    let notes = format!("{notes}{}", data_notes(report, keeps_models));
    let timed = report.results.iter().any(|r| r.expires.is_some());
    let until = match expires {
        Some(at) if report.before.is_none() => format!("\n{}", timed::blind_warning(at)),
        Some(at) if timed => format!(
            "\nWhat this grant gave for a time ends at {at}: `dashshare expire` (from cron) takes \
             it back then; shares that were already there with no end stay."
        ),
        _ => String::new(),
    };
    let run = run_id
        .map(|id| format!("\nrun {id} (`dashshare undo {id}` puts the dashboard back)"))
        .unwrap_or_default();
    format!(
        "{table}\n\n{notes}Dashboard {dashboard}: {} — {outcome}{run}{until}",
        counts.join(", ")
    )
}

/// The principals a grant leaves shared with who cannot query the dashboard's data model, each
/// named, and a model that could not be read, once.
fn data_notes(report: &ShareReport, keeps_models: bool) -> String {
    let title = report
        .dashboard
        .title
        .clone()
        .unwrap_or_else(|| report.dashboard.id.clone());
    let mut notes: String = report
        .results
        .iter()
        .filter_map(|r| {
            let mark = r.data.as_ref()?;
            if mark.given {
                let gets = if report.dry_run { "would get" } else { "gets" };
                return Some(format!(
                    "note: {} {gets} USE on the data model {} of {title}, so that it can query it\n",
                    r.principal, mark.model
                ));
            }
            (mark.reach == Reach::None).then(|| {
                format!(
                    "note: {} can open {title} but not query its data model {} (add --with-data)\n",
                    r.principal, mark.model
                )
            })
        })
        .collect();
    let revoked = report.results.iter().any(|r| r.action == Action::Removed);
    if revoked && keeps_models {
        notes.push_str(
            "note: entries on the dashboard's data model are kept: other dashboards may read from it\n",
        );
    }
    if let Some(why) = &report.data_unreadable {
        let model = report
            .results
            .iter()
            .find_map(|r| r.data.as_ref().map(|mark| mark.model.clone()))
            .unwrap_or_else(|| "its data model".into());
        notes.push_str(&format!(
            "note: {model} of {title} could not be read ({why}): whether these principals can \
             query its data is unknown\n"
        ));
    }
    notes
}
