//! `offboard --user U`: every share of U removed on every profile given, as one journaled run.
//! Nothing is written until every profile is read and planned (`people::offboard::Plan`) and
//! every check has passed: U known (or `--skip-unknown`), nothing U owns left without an heir
//! unless `--keep-owned`, no dashboard left unread, `--max-removals`, and the question on a
//! terminal.

use crate::cli::{GlobalArgs, OffboardArgs, OutputFormat};
use crate::confirm::{self, Removal};
use crate::error::{Error, Result};
use crate::interrupt::Interrupt;
use crate::inventory::{cannot_export, note};
use crate::model::PrincipalKind;
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::output;
use crate::people::offboard::{self, Plan};
use crate::people::reach::Unanswered;

use super::writing_run::WritingRun;

pub async fn run(global: &GlobalArgs, args: &OffboardArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let user = args.user.trim();
    if user.is_empty() {
        return Err(Error::invalid("--user is empty: name the leaver"));
    }
    let command = format!("offboard {user}");
    let mut run = WritingRun::start(global, command, &args.lock, args.dry_run).await?;
    let names = super::profiles_named(global);
    super::warn_if_insecure(global);
    let progress = super::progress_bar(global);
    let mut plan = Plan::default();
    let mut servers: Vec<(String, String)> = Vec::new();
    for name in names {
        let profile = super::load_profile(global, name)?;
        // Two profiles of one server would plan each share twice, and write each dashboard twice.
        let url = profile.url.to_string();
        if let Some((other, _)) = servers.iter().find(|(_, seen)| *seen == url) {
            return Err(Error::invalid(format!(
                "profiles '{other}' and '{}' reach the same server ({url}); name it once",
                profile.name
            )));
        }
        servers.push((profile.name.clone(), url));
        if let Some(why) = cannot_export(profile.vendor) {
            let why = format!(
                "{why}, so offboard cannot tell what '{user}' has there: revoke there by name \
                 (`dashshare -p {} revoke DASHBOARD --user {user}`)",
                profile.name
            );
            note(global.quiet, &format!("{}: {why}", profile.name));
            plan.cannot_tell.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        }
        let (_, provider) = run
            .connection(global, &profile.name)
            .as_ref()
            .map_err(Clone::clone)?;
        let heir = args.transfer_to.as_deref();
        let connection = (&profile, provider.as_ref());
        plan.survey(connection, user, heir, args.concurrency, &progress)
            .await?;
    }
    progress.finish_and_clear();
    plan.refuse_unsafe(
        user,
        (args.keep_owned, args.skip_unknown),
        args.max_removals,
    )?;
    if args.dry_run {
        return print(global, args, &plan, None, &plan.rows(user), started);
    }
    let asked = (plan.removals().into_iter())
        .map(|h| Removal {
            dashboard: h.dashboard.shown(),
            principal: user.to_string(),
            kind: PrincipalKind::User,
            level: Some(h.level),
        })
        .collect();
    let interrupt = &run.interrupt;
    if confirm::on_terminal(asked, args.yes, interrupt).await? == confirm::Confirmed::Interrupted {
        let signal = interrupt
            .stopped()
            .unwrap_or(crate::signal::Signal::Interrupt);
        return Err(Interrupt::error(signal, "nothing was written"));
    }
    let ahead = run.ahead();
    let journal = (ahead.as_ref(), &run.ends);
    let rows = (plan.carry_out(run.connections(), journal, interrupt, args.concurrency)).await;
    print(global, args, &plan, Some(&run.id), &rows, started)?;
    if let Some(signal) = run.interrupt.stopped() {
        return Err(Interrupt::error(
            signal,
            format!(
                "the dashboards not started keep '{user}''s shares: run `dashshare undo {}` to \
                 put back what was removed, or offboard again to finish",
                run.id
            ),
        ));
    }
    let count = |result: Outcome| rows.iter().filter(|r| r.result == result).count();
    let unpublished = count(Outcome::Unpublished);
    let failed = rows.iter().filter(|r| !r.result.done()).count() - unpublished;
    if failed > 0 {
        return Err(Error::remote(format!(
            "{} could not be changed (see each detail); the others are journaled as run {}",
            crate::wording::plural(failed, "dashboard"),
            run.id
        )));
    }
    if unpublished > 0 {
        return Err(Error::remote(format!(
            "{} changed and journaled as run {}, but not published (see each detail): \
             `dashshare publish DASHBOARD` publishes one",
            crate::wording::plural(unpublished, "dashboard"),
            run.id
        )));
    }
    Ok(())
}

fn print(
    global: &GlobalArgs,
    args: &OffboardArgs,
    plan: &Plan,
    run_id: Option<&str>,
    rows: &[OutcomeRow],
    started: std::time::Instant,
) -> Result<()> {
    let user = args.user.trim();
    if global.output == OutputFormat::Json {
        return output::print_json(&serde_json::json!({
            "user": user,
            "dry_run": args.dry_run,
            "run_id": run_id,
            "results": rows,
            "cannot_tell": plan.cannot_tell,
            "unknown": plan.unknown,
        }));
    }
    let took = crate::wording::elapsed(started.elapsed());
    let summary = offboard::summary(plan, rows, run_id, user, &took);
    // With no rows, what could not be asked is said all the same.
    let empty = format!("'{user}' has no share on any dashboard read.");
    let markdown = global.output == OutputFormat::Markdown;
    let text = match rows.is_empty() {
        true => format!(
            "{empty}\n{}",
            summary.split_once('\n').map_or("", |(_, rest)| rest)
        ),
        false => output::outcomes::report(rows, markdown, &empty, &summary),
    };
    output::print_text(text.trim_end())
}
