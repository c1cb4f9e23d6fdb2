//! `apply FILE` and `diff FILE`: gather the file, connect each profile, plan (and for `apply`,
//! write), then report per share and per vendor (`apply::shown`). `diff` is `apply --dry-run`
//! with an exit code.

use std::path::Path;

use crate::apply::desired::{self, Desired};
use crate::apply::execute::{
    self, Connected, DashboardResult, DataModelOutcome, Options, Report, Stops,
};
use crate::apply::failed_rows;
use crate::apply::input;
use crate::apply::interrupted;
use crate::apply::saved_plan::SavedPlan;
use crate::apply::shown;
use crate::apply::verify;
use crate::cli::{ApplyArgs, DiffArgs, FileFormat, GlobalArgs, OutputFormat, PlanArgs};
use crate::error::{Error, Result};
use crate::interrupt::Interrupt;
use crate::model::Action;
use crate::output;
use crate::share_ends::RunEnds;
use crate::write_ahead::WriteAhead;

use super::writing_run::WritingRun;

pub async fn apply(global: &GlobalArgs, args: &ApplyArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let file = match (&args.file, &args.saved_plan) {
        (_, Some(plan)) => return super::apply_plan::run(global, args, plan).await,
        (Some(file), None) => file.as_path(),
        // clap requires one of the two.
        (None, None) => return Err(Error::invalid("name the file to apply, or --plan PLAN")),
    };
    if file == Path::new("-") && args.plan.prune && !args.dry_run && !args.yes {
        // The question before removals is read from stdin, which carries the file here.
        if crate::confirm::can_ask() {
            return Err(Error::invalid(
                "apply - --prune would ask before removing shares, but stdin carries the file: \
                 check the removals with `dashshare diff - --prune`, then add --yes",
            ));
        }
    }
    let command = format!(
        "apply {}{}",
        file.display(),
        if args.plan.prune { " --prune" } else { "" }
    );
    // From here on a signal stops the run between dashboards instead of killing it mid-write; the
    // ends are read under the lock, so that two runs at once never both decide one.
    let run = WritingRun::start(global, command, &args.lock, args.dry_run).await?;
    // Whatever happens next, a failed-rows file from an earlier run must not be mistaken for this
    // run's; unless it is this run's input (`apply failed.csv --failed-out failed.csv`).
    if let Some(path) = &args.failed_out {
        failed_rows::may_replace(path, args.force)?;
        if !failed_rows::same_file(path, file) {
            failed_rows::write(path, &[], None).map_err(|err| Error::invalid(err.to_string()))?;
        }
    }
    let options = Options {
        prune: args.plan.prune,
        dry_run: args.dry_run,
        max_removals: args.max_removals,
        concurrency: usize::from(args.plan.concurrency),
        keep_plan: false,
        with_data: args.plan.with_data,
    };
    let sites = connect(global, file, &args.plan)?;
    let recorder = run.ahead();
    let interrupt = &run.interrupt;
    let stops = Stops {
        interrupt,
        yes: args.yes,
    };
    let mut report = carry_out(
        global,
        &sites,
        &options,
        recorder.as_ref(),
        &stops,
        &run.ends,
    )
    .await?;
    // An interrupted run ends now: reading everything back is no part of stopping.
    if args.verify && interrupt.stopped().is_none() {
        let verified =
            verify::verify(&sites, &mut report, recorder.as_ref(), options.concurrency).await;
        note_unverifiable(global, &verified);
    }

    if let Some(path) = &args.failed_out {
        failed_rows::write(path, &sites, Some(&report))?;
    }
    let written =
        report.dashboards.iter().any(|d| d.written) || report.data_models.iter().any(|m| m.written);
    let run_id = written.then_some(run.id.as_str());
    match global.output {
        OutputFormat::Json => shown::json(&report, &options, run_id)?,
        OutputFormat::Table | OutputFormat::Markdown => {
            output::print_text(&shown::text(&report, &options, run_id, started.elapsed()))?
        }
    }
    if args.dry_run {
        warn_about_guard(global, &report, &options);
    }
    if let Some(signal) = interrupt.stopped() {
        let failed_out = args.failed_out.as_deref();
        let prune = args.plan.prune;
        return Err(interrupted::ending(
            &report, signal, run_id, failed_out, prune,
        ));
    }
    let redo = Redo::Apply {
        failed_out: args.failed_out.as_deref(),
        prune: args.plan.prune,
        dry_run: args.dry_run,
    };
    failures(&report, redo)
}

pub async fn diff(global: &GlobalArgs, args: &DiffArgs) -> Result<()> {
    let started = std::time::Instant::now();
    super::check_out("--out", args.out.as_deref())?;
    let options = Options {
        prune: args.plan.prune,
        dry_run: true,
        max_removals: usize::MAX,
        concurrency: usize::from(args.plan.concurrency),
        keep_plan: args.out.is_some(),
        with_data: args.plan.with_data,
    };
    let sites = connect(global, &args.file, &args.plan)?;
    let stops = Stops {
        interrupt: &Interrupt::none(),
        yes: true,
    };
    let ends = RunEnds::of(super::ends_shown(global));
    let report = carry_out(global, &sites, &options, None, &stops, &ends).await?;
    match global.output {
        OutputFormat::Json => shown::json(&report, &options, None)?,
        OutputFormat::Table => {
            output::print_text(&shown::text(&report, &options, None, started.elapsed()))?
        }
        OutputFormat::Markdown => output::print_text(&shown::markdown(&report))?,
    }
    let blind = shown::count(&report, |row| row.action == Action::Sent);
    if blind > 0 && !global.quiet {
        crate::output::print_diagnostic(&format!(
            "note: {} {} on vendors that cannot read their shares; they cannot be compared and \
             do not count as drift",
            crate::wording::plural(blind, "row"),
            crate::wording::is_are(blind)
        ));
    }
    // A plan with a dashboard that could not be planned would carry out part of the file.
    failures(&report, Redo::Diff)?;
    if let Some(path) = &args.out {
        let plan = SavedPlan::of(&report, &sites, &args.file, args.plan.prune);
        plan.save(path)?;
        // A plan carries writes: an end taken off or moved where nothing is written is not in
        // it, and `apply --plan` would leave the earlier end in force. Said even with --quiet.
        let left_out = report
            .dashboards
            .iter()
            .filter(|d| d.planned.is_none())
            .flat_map(|d| &d.rows)
            .filter(|row| crate::flow::timed::end_changed(row))
            .count();
        if left_out > 0 {
            crate::output::print_diagnostic(&format!(
                "warning: {} whose end the file takes off or moves, on dashboards with nothing \
                 to write, {} not in the plan: `dashshare apply {}` records {}, `apply --plan` \
                 does not, and their earlier end still holds",
                crate::wording::plural(left_out, "share"),
                crate::wording::is_are(left_out),
                args.file.display(),
                if left_out == 1 { "it" } else { "them" }
            ));
        }
        if !global.quiet {
            let models = match plan.data_models.len() {
                0 => String::new(),
                n => format!(" and {}", crate::wording::plural(n, "data model")),
            };
            crate::output::print_diagnostic(&format!(
                "plan saved to {}: {}{models} to write; carry it out with `dashshare apply --plan {}`",
                path.display(),
                crate::wording::plural(plan.dashboards.len(), "dashboard"),
                path.display()
            ));
        }
    }
    let drift = shown::count(&report, |row| row.action.is_change());
    if args.exit_code && drift > 0 {
        return Err(Error::Drift(format!(
            "{} from {}",
            match drift {
                1 => "1 share differs".to_string(),
                _ => format!("{drift} shares differ"),
            },
            input::Source::file(&args.file).name()
        )));
    }
    Ok(())
}

/// Gathers the file (`-`: stdin) and connects a provider for each of its profiles; no request
/// is made.
fn connect(global: &GlobalArgs, file: &Path, plan: &PlanArgs) -> Result<Vec<Connected>> {
    let source = input::Source {
        path: file,
        format: plan.format.map(|format| match format {
            FileFormat::Yaml => input::Format::Yaml,
            FileFormat::Csv => input::Format::Csv,
        }),
    };
    let Desired { sites, .. } = desired::gather(
        source,
        &mut |name| super::load_profile(global, name),
        plan.prune,
    )?;
    // Unsupported is an error, not a no-op: a file none of whose servers keeps data models.
    if plan.with_data
        && !sites
            .iter()
            .any(|site| site.profile.vendor.capabilities().data_models)
    {
        let can: Vec<&str> = crate::vendor::Vendor::ALL
            .into_iter()
            .filter(|vendor| vendor.capabilities().data_models)
            .map(crate::vendor::Vendor::as_str)
            .collect();
        return Err(Error::NotSupported(format!(
            "none of the file's servers keeps data models apart from its dashboards, so \
             --with-data has nothing to give there; vendors that do: {}",
            can.join(", ")
        )));
    }
    if plan.with_data
        && let Some(timed) = sites
            .iter()
            .flat_map(|site| &site.targets)
            .flat_map(|target| &target.wanted)
            .find(|wanted| wanted.expires.is_some())
    {
        return Err(Error::invalid(format!(
            "--with-data with expires (line {}): `expire` would take the share back and leave the \
             data model's entry; give one or the other",
            timed.line
        )));
    }
    super::warn_if_insecure(global);
    sites
        .into_iter()
        .map(|site| {
            let provider = super::provider_for(global, &site.profile)?;
            Ok(Connected { site, provider })
        })
        .collect()
}

async fn carry_out(
    global: &GlobalArgs,
    sites: &[Connected],
    options: &Options,
    recorder: Option<&WriteAhead<'_>>,
    stops: &Stops<'_>,
    ends: &RunEnds,
) -> Result<Report> {
    let progress = super::progress_bar(global);
    let report = execute::execute_until(sites, options, recorder, &progress, stops, ends).await;
    progress.finish_and_clear();
    report
}

/// What a failed dashboard's rows can be done with.
enum Redo<'a> {
    Apply {
        failed_out: Option<&'a Path>,
        prune: bool,
        dry_run: bool,
    },
    Diff,
}

/// Exit 1 when any dashboard failed (3 when every failure was a refused login).
fn failures(report: &Report, redo: Redo) -> Result<()> {
    let failed: Vec<&DashboardResult> = report
        .dashboards
        .iter()
        .filter(|d| d.error.is_some())
        .collect();
    let ungiven: Vec<&DataModelOutcome> = report
        .data_models
        .iter()
        .filter(|m| m.error.is_some())
        .collect();
    if failed.is_empty() && !ungiven.is_empty() {
        return Err(Error::remote(format!(
            "every dashboard was done, but {} of {} not given its entries (see above): the \
             shares stand; apply again with --with-data once the cause is fixed",
            ungiven.len(),
            crate::wording::plural(report.data_models.len(), "data model")
        )));
    }
    if failed.is_empty() {
        return Ok(());
    }
    let total = report.dashboards.len();
    let planned_only = matches!(redo, Redo::Diff | Redo::Apply { dry_run: true, .. });
    let mut message = if planned_only {
        format!(
            "{} of {} could not be planned",
            failed.len(),
            crate::wording::plural(total, "dashboard")
        )
    } else {
        format!(
            "{} of {} failed",
            failed.len(),
            crate::wording::plural(total, "dashboard")
        )
    };
    if !planned_only && failed.len() < total {
        message.push_str("; the others were done");
    }
    // Written in full and journaled, then the publish failed: their rows are in place.
    let unpublished: Vec<String> = failed
        .iter()
        .filter(|d| d.failed_after_write && d.journaled && d.vendor.capabilities().publish)
        .map(|d| format!("`dashshare -p {} publish {}`", d.profile, d.dashboard.id))
        .collect();
    if !unpublished.is_empty() {
        message.push_str(&format!(
            ". Written but not published (applying the file again changes nothing there): run {}",
            unpublished.join(", ")
        ));
    }
    let to_redo = failed.iter().filter(|d| !d.failed_after_write).count();
    if let Redo::Apply {
        failed_out,
        prune,
        dry_run: false,
    } = redo
        && to_redo > 0
    {
        let prune = if prune { " --prune" } else { "" };
        match failed_out {
            Some(path) => message.push_str(&format!(
                ". The rows of the {to_redo} to apply again are in {0}: once the cause is fixed, \
                 run `dashshare apply {0}{prune}`",
                path.display()
            )),
            None => message.push_str(
                ". --failed-out FILE writes the rows of the failed dashboards to a CSV to apply again",
            ),
        }
    }
    let all_auth = failed
        .iter()
        .all(|d| matches!(d.error, Some(Error::Auth(_))));
    Err(if all_auth {
        Error::Auth(message)
    } else {
        Error::remote(message)
    })
}

fn note_unverifiable(global: &GlobalArgs, verified: &verify::Verified) {
    if global.quiet {
        return;
    }
    for (vendor, count) in &verified.unverifiable {
        crate::output::print_diagnostic(&format!(
            "note: --verify cannot read back {vendor} dashboards ({vendor} cannot read its shares): \
             {count} written there were not verified"
        ));
    }
}

fn warn_about_guard(global: &GlobalArgs, report: &Report, options: &Options) {
    if options.prune && report.removals > options.max_removals && !global.quiet {
        crate::output::print_diagnostic(&format!(
            "warning: this plan removes {}, more than --max-removals {}: apply would refuse it \
             unless --max-removals is raised",
            crate::wording::plural(report.removals, "share"),
            options.max_removals
        ));
    }
}
