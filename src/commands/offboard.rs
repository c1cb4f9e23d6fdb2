//! `offboard --user U`: every share of U removed on every profile given, as one journaled run.
//! Nothing is written until every profile is read and planned (`people::offboard`) and every
//! check has passed: U known (or `--skip-unknown`), nothing U owns unless `--keep-owned`, no
//! dashboard left unread, `--max-removals`, and the question on a terminal.

use futures::StreamExt;

use crate::cli::{GlobalArgs, OffboardArgs, OutputFormat};
use crate::confirm::{self, Removal};
use crate::error::{Error, Result, Thing};
use crate::interrupt::Interrupt;
use crate::inventory::{cannot_export, note, read_all};
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::model::{Principal, PrincipalKind};
use crate::output;
use crate::people::offboard::{Held, hand_over, held, take_away};
use crate::people::reach::Unanswered;
use crate::providers::Resolved;

use super::writing_run::WritingRun;

pub async fn run(global: &GlobalArgs, args: &OffboardArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let user = args.user.trim();
    if user.is_empty() {
        return Err(Error::invalid("--user is empty: name the leaver"));
    }
    let principal = Principal::User(user.to_string());
    let command = format!("offboard {user}");
    let mut run = WritingRun::start(global, command, &args.lock, args.dry_run).await?;
    let names: Vec<Option<&str>> = match global.profile.as_slice() {
        [] => vec![None],
        names => names.iter().map(|name| Some(name.as_str())).collect(),
    };
    super::warn_if_insecure(global);
    let progress = super::progress_bar(global);
    let (mut plan, mut leavers, mut heirs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut cannot_tell, mut unknown, mut unread) = (Vec::new(), Vec::new(), Vec::new());
    for name in names {
        let profile = super::load_profile(global, name)?;
        if let Some(why) = cannot_export(profile.vendor) {
            let why = format!(
                "{why}, so offboard cannot tell what '{user}' has there: revoke there by name \
                 (`dashshare -p {} revoke DASHBOARD --user {user}`)",
                profile.name
            );
            note(global.quiet, &format!("{}: {why}", profile.name));
            cannot_tell.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        }
        let (_, provider) = match run.connection(global, &profile.name) {
            Ok(connection) => connection,
            Err(err) => return Err(err.clone()),
        };
        let Some(resolved) = provider.resolve_principal(&principal).await? else {
            let why = format!("{} knows no user '{user}'", profile.vendor);
            unknown.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        };
        let read = read_all(provider.as_ref(), None, args.concurrency, &progress).await?;
        unread.extend(read.failed.into_iter().map(|(id, err)| Unanswered {
            profile: profile.name.clone(),
            why: format!("dashboard {id}: {err}"),
        }));
        let found = held(&profile.name, &read.snapshots, &resolved.key);
        if let Some(heir) = &args.transfer_to
            && found.iter().any(Held::owned)
        {
            heirs.push((
                profile.name.clone(),
                find_heir(provider.as_ref(), &profile, heir, &resolved).await?,
            ));
        }
        plan.extend(found);
        leavers.push((profile.name, resolved));
    }
    progress.finish_and_clear();
    let heir_of = |profile: &str| {
        (heirs.iter())
            .find(|(p, _)| p == profile)
            .map(|(_, heir): &ByProfile| heir)
    };
    let kept: Vec<&Held> = (plan.iter())
        .filter(|h| h.owned() && heir_of(&h.profile).is_none())
        .collect();
    refuse_unsafe(args, user, &kept, &unknown, &unread, leavers.is_empty())?;
    let removals: Vec<&Held> = (plan.iter())
        .filter(|h| !h.owned() || heir_of(&h.profile).is_some())
        .collect();
    if let Some(most) = args.max_removals
        && removals.len() > most
    {
        return Err(Error::invalid(format!(
            "the plan removes {}, more than --max-removals {most}; nothing was written (run with \
             --dry-run to see them, then raise --max-removals)",
            crate::wording::plural(removals.len(), "share")
        )));
    }
    let heir_name = |h: &Held| heir_of(&h.profile).map(|heir| heir.principal.name());
    let planned: Vec<OutcomeRow> = plan.iter().map(|h| h.planned(user, heir_name(h))).collect();
    if args.dry_run {
        return print(
            global,
            args,
            None,
            &planned,
            [&cannot_tell, &unknown],
            started,
        );
    }
    let asked = removals
        .iter()
        .map(|h| Removal {
            dashboard: h.dashboard.shown(),
            principal: user.to_string(),
            kind: PrincipalKind::User,
            level: Some(h.level),
        })
        .collect();
    let interrupt = &run.interrupt;
    if confirm::on_terminal(asked, args.yes, interrupt).await? == confirm::Confirmed::Interrupted {
        return Err(Interrupt::error(
            interrupt
                .stopped()
                .unwrap_or(crate::signal::Signal::Interrupt),
            "nothing was written",
        ));
    }
    let rows = carry_out(&run, &plan, (&leavers, &heirs), args.concurrency).await;
    print(
        global,
        args,
        Some(&run.id),
        &rows,
        [&cannot_tell, &unknown],
        started,
    )?;
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
    let failed = rows.iter().filter(|r| !r.result.done()).count();
    if failed > 0 {
        return Err(Error::remote(format!(
            "{} could not be changed (see each detail); the others are journaled as run {}",
            crate::wording::plural(failed, "dashboard"),
            run.id
        )));
    }
    Ok(())
}

/// A principal as one profile knows it: the leaver, or who is given their dashboards.
type ByProfile = (String, Resolved);

/// Who is given the leaver's dashboards on a profile: `heir` as the vendor knows it, a user
/// other than the leaver, where the vendor can change an owner; else the run is refused.
async fn find_heir(
    provider: &dyn crate::providers::ShareProvider,
    profile: &crate::config::Profile,
    heir: &str,
    leaver: &Resolved,
) -> Result<Resolved> {
    if !profile.vendor.capabilities().owner_transfer {
        return Err(Error::NotSupported(format!(
            "{} cannot give a dashboard to another owner, so --transfer-to cannot be done on \
             profile '{}'; nothing was written (--keep-owned leaves the dashboards as they are)",
            profile.vendor, profile.name
        )));
    }
    let heir = heir.trim();
    let found = provider
        .resolve_principal(&Principal::User(heir.to_string()))
        .await?;
    match found {
        Some(found) if found.key == leaver.key => Err(Error::invalid(format!(
            "--transfer-to '{heir}' is the leaver; name another user"
        ))),
        Some(found) => Ok(found),
        None => Err(Error::not_found(
            Thing::Principal,
            heir,
            format!(
                "--transfer-to: {} knows no user '{heir}' on profile '{}'; nothing was written",
                profile.vendor, profile.name
            ),
        )),
    }
}

/// The refusals before any write: a user nobody knows, a user unknown somewhere (without
/// `--skip-unknown`), dashboards the user owns that nobody is given (without `--keep-owned`),
/// dashboards not read.
fn refuse_unsafe(
    args: &OffboardArgs,
    user: &str,
    owned: &[&Held],
    unknown: &[Unanswered],
    unread: &[Unanswered],
    nobody_knows: bool,
) -> Result<()> {
    let listed = |list: &[Unanswered]| {
        (list.iter())
            .map(|u| format!("{}: {}", u.profile, u.why))
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    if nobody_knows && !unknown.is_empty() {
        return Err(Error::not_found(
            Thing::Principal,
            user,
            format!(
                "no profile knows user '{user}'; nothing was written (`dashshare users --search …` \
                 lists who can be named):\n  {}",
                listed(unknown)
            ),
        ));
    }
    if !unknown.is_empty() && !args.skip_unknown {
        return Err(Error::not_found(
            Thing::Principal,
            user,
            format!(
                "user '{user}' is unknown on {}; nothing was written (--skip-unknown goes ahead \
                 on the others):\n  {}",
                crate::wording::plural(unknown.len(), "profile"),
                listed(unknown)
            ),
        ));
    }
    let owned: Vec<String> = (owned.iter())
        .map(|h| format!("{}: {}", h.profile, h.dashboard.shown()))
        .collect();
    if !owned.is_empty() && !args.keep_owned {
        return Err(Error::invalid(format!(
            "'{user}' owns {}; nothing was written. An owner's entry cannot be removed: pass \
             --transfer-to USER to give them to someone, or --keep-owned to leave them:\n  {}",
            crate::wording::plural(owned.len(), "dashboard"),
            owned.join("\n  ")
        )));
    }
    if !unread.is_empty() {
        return Err(Error::remote(format!(
            "{} could not be read, so what '{user}' has there is unknown; nothing was written:\n  {}",
            crate::wording::plural(unread.len(), "dashboard"),
            listed(unread)
        )));
    }
    Ok(())
}

/// Each planned removal, a few dashboards at a time, each read again just before its write and
/// journaled; owned dashboards kept (`--keep-owned`) are reported as left.
async fn carry_out(
    run: &WritingRun,
    plan: &[Held],
    (leavers, heirs): (&[ByProfile], &[ByProfile]),
    concurrency: u16,
) -> Vec<OutcomeRow> {
    let ahead = run.ahead();
    let connections = run.connections();
    let steps = plan.iter().map(|held| {
        let ahead = ahead.as_ref();
        async move {
            let leaver = &leavers.iter().find(|(p, _)| *p == held.profile)?.1;
            let heir = heirs
                .iter()
                .find(|(p, _)| *p == held.profile)
                .map(|(_, h)| h);
            let name = leaver.principal.name();
            if held.owned() && heir.is_none() {
                return Some(held.planned(name, None));
            }
            // A signal starts no more dashboards; those under way finish and are journaled.
            if run.interrupt.stopped().is_some() {
                let detail = "not started: the run was interrupted".to_string();
                return Some(held.row(name, Outcome::NotStarted, detail));
            }
            let Ok((profile, provider)) = &connections[&held.profile] else {
                return None;
            };
            let ends = run
                .ends
                .lock()
                .of_dashboard(profile.url.as_str(), &held.dashboard.id);
            let connection = (profile, held);
            Some(match heir.filter(|_| held.owned()) {
                Some(heir) => hand_over(provider.as_ref(), connection, (leaver, heir), ahead).await,
                None => take_away(provider.as_ref(), connection, leaver, &ends, ahead).await,
            })
        }
    });
    futures::stream::iter(steps)
        .buffered(usize::from(concurrency))
        .filter_map(|row| async move { row })
        .collect()
        .await
}

fn print(
    global: &GlobalArgs,
    args: &OffboardArgs,
    run_id: Option<&str>,
    rows: &[OutcomeRow],
    [cannot_tell, unknown]: [&[Unanswered]; 2],
    started: std::time::Instant,
) -> Result<()> {
    if global.output == OutputFormat::Json {
        return output::print_json(&serde_json::json!({
            "user": args.user.trim(),
            "dry_run": args.dry_run,
            "run_id": run_id,
            "results": rows,
            "cannot_tell": cannot_tell,
            "unknown": unknown,
        }));
    }
    let removed = rows.iter().filter(|r| r.result.wrote()).count();
    let kept = rows.iter().filter(|r| r.result == Outcome::Left).count();
    let mut summary = match run_id {
        None => format!(
            "dry run: {} would be removed; nothing was written",
            crate::wording::plural(
                rows.iter()
                    .filter(|r| r.result == Outcome::WouldWrite)
                    .count(),
                "share"
            )
        ),
        Some(id) => format!(
            "{removed} of {} removed in {}; this is run {id} (undo with `dashshare undo {id}`)",
            crate::wording::plural(rows.len() - kept, "share"),
            crate::wording::elapsed(started.elapsed())
        ),
    };
    if kept > 0 {
        summary.push_str(&format!(
            "\n{} owned by '{}' kept as they are (--keep-owned)",
            crate::wording::plural(kept, "dashboard"),
            args.user.trim()
        ));
    }
    for u in cannot_tell.iter().chain(unknown) {
        summary.push_str(&format!("\n{}: {}", u.profile, u.why));
    }
    let empty = format!("'{}' has no share on any dashboard read.", args.user.trim());
    let markdown = global.output == OutputFormat::Markdown;
    let text = output::outcomes::report(rows, markdown, &empty, &summary);
    output::print_text(&text)
}
