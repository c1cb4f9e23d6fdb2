//! The one sequence every share change follows, whatever the vendor:
//! check capabilities → resolve the dashboard → resolve every principal → read → plan (`prepare`),
//! then journal the intent → write → journal the outcome → publish (`commit`). Nothing is written
//! unless every step before the write succeeded. Vendors that cannot
//! read shares (Vizzly) skip the read and the plan and send the change as it was asked.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use crate::config::Profile;
use crate::error::{Error, Result};
use crate::model::{
    self, Access, Action, Change, Intent, Level, Mode, Outcome, Plan, PlanError, Principal,
    PrincipalKind, Share, ShareKey, ShareSet,
};
use crate::providers::{self, BlindChange, Dashboard, Resolved, ShareProvider, Snapshot};
use crate::vendor::Support;
use crate::write_ahead::WriteAhead;

/// How many principal look-ups run at once.
const LOOKUP_CONCURRENCY: usize = 8;

// Worded to hold both for a change made and for a dry run's plan.
/// Why a write-only vendor's result is what is sent, not what was found.
const SENT_BLIND: &str = "this vendor cannot read permissions: the change is sent as asked, and \
     earlier access is unknown";
/// Why a write-only grant at view may leave more than view in place.
const SENT_BLIND_VIEW: &str = "this vendor cannot read permissions and keeps one permission per \
     level: the grant is sent as asked, and an existing edit (read_write) stays; `revoke --access \
     edit` removes it";
/// Why a complete-set write reports no removals.
const REPLACED_BLIND: &str = "the named groups are sent as the complete share set: every group not \
     named loses its access, and this vendor cannot say which had it";

/// The note on a principal's result at a vendor that cannot read shares (`Mode::Replace`: the
/// change is a complete share set).
pub fn blind_note(provider: &dyn ShareProvider, change: Change, mode: Mode) -> &'static str {
    match (change, mode) {
        (Change::Grant(_), Mode::Replace) => REPLACED_BLIND,
        (Change::Grant(Access::View), Mode::Merge)
            if provider.vendor().capabilities().scoped_revoke =>
        {
            SENT_BLIND_VIEW
        }
        (Change::Grant(_), Mode::Merge) | (Change::Revoke, _) => SENT_BLIND,
    }
}

#[derive(Debug, Clone)]
pub struct ShareRequest {
    pub dashboard: String,
    pub principals: Vec<Principal>,
    pub change: Change,
    pub mode: Mode,
    /// With `Change::Revoke`: revoke only this access level (vendors with `scoped_revoke`).
    pub revoke_scope: Option<Access>,
    pub publish: bool,
    pub dry_run: bool,
}

#[derive(Debug, Serialize)]
pub struct ShareReport {
    pub dashboard: Dashboard,
    pub dry_run: bool,
    /// Whether the share set was written.
    pub written: bool,
    pub published: bool,
    pub results: Vec<PrincipalResult>,
    /// The share set read before the write (`None` where the vendor cannot read it).
    #[serde(skip)]
    pub before: Option<ShareSet>,
    /// The share set written (for a write-only vendor: what was sent).
    #[serde(skip)]
    pub after: ShareSet,
    /// Why the publish after a successful write failed: the write must still be journaled.
    #[serde(skip)]
    pub publish_error: Option<Error>,
}

#[derive(Debug, Serialize)]
pub struct PrincipalResult {
    /// As the user named it, or the vendor's name for a share dashshare removed on its own account.
    pub principal: String,
    #[serde(rename = "type")]
    pub kind: PrincipalKind,
    pub id: String,
    pub before: Option<Level>,
    pub after: Option<Level>,
    pub action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

impl ShareReport {
    pub fn count(&self, action: Action) -> usize {
        self.results.iter().filter(|r| r.action == action).count()
    }
}

/// Grants or revokes `request.principals` on one dashboard, journaling nothing.
pub async fn change_shares(
    provider: &dyn ShareProvider,
    request: &ShareRequest,
) -> Result<ShareReport> {
    let prepared = prepare(provider, request).await?;
    commit(provider, prepared, None).await
}

/// A change resolved, read and planned, with nothing written yet.
pub struct Prepared {
    /// The report as it stands before the write.
    report: ShareReport,
    /// `None`: nothing to write (a dry run, or the plan changes nothing).
    write: Option<PlannedWrite>,
    publish: bool,
}

enum PlannedWrite {
    /// The planned set written over the snapshot that was read.
    Merge(Snapshot),
    /// Sent as asked to a vendor that cannot read.
    Blind(BlindChange, Vec<ShareKey>),
    /// The complete set (`report.after`) to a vendor that cannot read.
    Replace,
}

impl Prepared {
    /// The change as planned, before anything is written.
    pub fn report(&self) -> &ShareReport {
        &self.report
    }
}

/// The first half of a change: checks, look-ups, the read and the plan; no write.
pub async fn prepare(provider: &dyn ShareProvider, request: &ShareRequest) -> Result<Prepared> {
    check_capabilities(provider, request)?;
    let dashboard = provider.resolve_dashboard(&request.dashboard).await?;
    let resolved = resolve_all(provider, &request.principals).await?;
    if provider.vendor().capabilities().list != Support::Yes {
        return Ok(prepare_blind(provider, request, dashboard, &resolved));
    }
    let snapshot = provider.read_shares(&dashboard).await?;

    let intents: Vec<Intent> = resolved
        .iter()
        .map(|r| Intent {
            key: r.key.clone(),
            change: request.change,
        })
        .collect();
    let plan = plan_shares(
        provider,
        &snapshot.shares,
        &intents,
        request.mode,
        &resolved,
    )?;
    let names = names_of_others(provider, snapshot.names.clone(), &plan, &resolved).await;
    let write = plan.changes_anything() && !request.dry_run;
    Ok(Prepared {
        report: ShareReport {
            dashboard: snapshot.dashboard.clone(),
            dry_run: request.dry_run,
            written: false,
            published: false,
            results: results(plan.outcomes, &resolved, &names),
            before: Some(snapshot.shares.clone()),
            after: plan.after,
            publish_error: None,
        },
        write: write.then_some(PlannedWrite::Merge(snapshot)),
        publish: request.publish,
    })
}

/// The second half: journals the intent (with `journal`), writes, journals the outcome, then
/// publishes. An error means nothing was written, or the write itself failed.
pub async fn commit(
    provider: &dyn ShareProvider,
    prepared: Prepared,
    journal: Option<(&WriteAhead<'_>, &Profile)>,
) -> Result<ShareReport> {
    let Prepared {
        mut report,
        write,
        publish,
    } = prepared;
    let Some(write) = write else {
        return Ok(report);
    };
    let pending = match journal {
        Some((ahead, profile)) => Some(ahead.intent(
            profile,
            &report.dashboard,
            report.before.clone(),
            report.after.clone(),
        )?),
        None => None,
    };
    let written = match &write {
        PlannedWrite::Merge(snapshot) => provider.write_shares(snapshot, &report.after).await,
        PlannedWrite::Blind(change, keys) => {
            provider.send_blind(&report.dashboard, keys, *change).await
        }
        PlannedWrite::Replace => {
            provider
                .replace_shares(&report.dashboard, &report.after)
                .await
        }
    };
    match (written, pending) {
        (Ok(()), Some(pending)) => pending.written(),
        (Ok(()), None) => {}
        (Err(err), pending) => {
            if let Some(pending) = pending {
                pending.failed(&err);
            }
            return Err(err);
        }
    }
    report.written = true;
    // Only a read-and-planned write publishes, as before the split: blind vendors have no
    // publish step.
    if publish && matches!(write, PlannedWrite::Merge(_)) {
        match publish_written(provider, &report.dashboard).await {
            Ok(published) => report.published = published,
            Err(err) => report.publish_error = Some(err),
        }
    }
    Ok(report)
}

/// The plan for `intents` against `current`, with the vendor's own rules applied.
pub fn plan_shares(
    provider: &dyn ShareProvider,
    current: &ShareSet,
    intents: &[Intent],
    mode: Mode,
    resolved: &[Resolved],
) -> Result<Plan> {
    let plan = model::plan(current, intents, mode).map_err(|err| plan_error(err, resolved))?;
    Ok(if provider.vendor().capabilities().everyone_alone {
        model::everyone_stands_alone(plan)
    } else {
        plan
    })
}

/// Publishes a dashboard whose shares were just written, on vendors with a publish step:
/// whether it was published (`false`: the vendor has no such step). The error says how to finish
/// the job, since the write itself stands.
pub async fn publish_written(provider: &dyn ShareProvider, dashboard: &Dashboard) -> Result<bool> {
    if !provider.vendor().capabilities().publish {
        return Ok(false);
    }
    provider.publish(dashboard).await.map_err(|err| {
        err.and_then_say(format!(
            "the shares were written but the dashboard was not published: run \
             `dashshare publish {}` (as its owner) once the cause is fixed",
            dashboard.id
        ))
    })?;
    Ok(true)
}

/// Readable names for the shares in `plan` that no named principal stands for (named ones show
/// as the user wrote them).
pub async fn names_of_others(
    provider: &dyn ShareProvider,
    known: HashMap<ShareKey, String>,
    plan: &Plan,
    resolved: &[Resolved],
) -> HashMap<ShareKey, String> {
    let named: HashSet<&ShareKey> = resolved.iter().map(|r| &r.key).collect();
    let others = plan
        .outcomes
        .iter()
        .map(|o| &o.key)
        .filter(|key| !named.contains(key));
    providers::names_for(provider, known, others).await
}

/// How a share is shown: as the user named it, else by the vendor's name for it, else by its id.
pub fn shown_name(
    key: &ShareKey,
    named: Option<&Resolved>,
    names: &HashMap<ShareKey, String>,
) -> String {
    named
        .map(|r| r.principal.name().to_string())
        .or_else(|| names.get(key).cloned())
        .unwrap_or_else(|| key.id.clone())
}

/// For vendors that cannot read shares: what was asked is sent in one call, and reported as sent.
fn prepare_blind(
    provider: &dyn ShareProvider,
    request: &ShareRequest,
    dashboard: Dashboard,
    resolved: &[Resolved],
) -> Prepared {
    let (change, action, level) = match (request.change, request.mode) {
        (Change::Grant(access), Mode::Replace) => {
            (None, Action::Added, Some(Level::Access(access)))
        }
        (Change::Grant(access), Mode::Merge) => (
            Some(BlindChange::Grant(access)),
            Action::Added,
            Some(Level::Access(access)),
        ),
        (Change::Revoke, _) => (
            Some(BlindChange::Revoke(request.revoke_scope)),
            Action::Removed,
            None,
        ),
    };
    let note = blind_note(provider, request.change, request.mode);
    let keys: Vec<ShareKey> = resolved.iter().map(|r| r.key.clone()).collect();
    let sent = ShareSet::new(keys.iter().filter_map(|key| {
        level.map(|level| Share {
            key: key.clone(),
            level,
        })
    }));
    let outcomes = keys
        .iter()
        .map(|key| Outcome {
            key: key.clone(),
            before: None,
            after: level,
            action,
            note: Some(note),
        })
        .collect();
    let write = match change {
        Some(change) => PlannedWrite::Blind(change, keys),
        None => PlannedWrite::Replace,
    };
    Prepared {
        report: ShareReport {
            dashboard,
            dry_run: request.dry_run,
            written: false,
            published: false,
            results: results(outcomes, resolved, &HashMap::new()),
            before: None,
            after: sent,
            publish_error: None,
        },
        write: (!request.dry_run).then_some(write),
        publish: false,
    }
}

fn results(
    outcomes: Vec<Outcome>,
    resolved: &[Resolved],
    names: &HashMap<ShareKey, String>,
) -> Vec<PrincipalResult> {
    let by_key: HashMap<&ShareKey, &Resolved> = resolved.iter().map(|r| (&r.key, r)).collect();
    outcomes
        .into_iter()
        .map(|outcome| {
            let principal = shown_name(&outcome.key, by_key.get(&outcome.key).copied(), names);
            PrincipalResult {
                principal,
                kind: outcome.key.kind,
                id: outcome.key.id,
                before: outcome.before,
                after: outcome.after,
                action: outcome.action,
                note: outcome.note,
            }
        })
        .collect()
}

/// Refuses, before any request, what the vendor cannot do.
fn check_capabilities(provider: &dyn ShareProvider, request: &ShareRequest) -> Result<()> {
    let vendor = provider.vendor();
    let caps = vendor.capabilities();
    if request.principals.is_empty() {
        return Err(Error::invalid(
            "name at least one principal with --user, --group or --everyone",
        ));
    }
    if caps.replace_only {
        match (request.change, request.mode) {
            (Change::Grant(_), Mode::Replace) => {}
            (Change::Grant(_), Mode::Merge) => {
                return Err(Error::Unsupported(format!(
                    "{vendor} can neither read a dashboard's shares nor add one group to them: its update \
                     sets the complete read and read-write group lists, so a grant without --replace would \
                     silently remove every group you did not name. Pass --replace to make the named \
                     groups (at --access) the dashboard's complete share set, or list every group \
                     with its access in a file for `dashshare apply FILE --prune`"
                )));
            }
            (Change::Revoke, _) => {
                return Err(Error::Unsupported(format!(
                    "{vendor} cannot remove one group: its update sets the complete group lists and \
                     there is no way to read them. Restate the groups that keep access with \
                     `grant --replace --group …` (one access level) or `apply FILE --prune` (both)"
                )));
            }
        }
    }
    let access: Option<Access> = match request.change {
        Change::Grant(access) => Some(access),
        Change::Revoke => {
            match caps.revoke {
                Support::Yes => {}
                Support::LinksOnly => {
                    return Err(Error::Unsupported(format!(
                        "{vendor} has no dashboard-level shares with people to revoke; public links are \
                         revoked with `dashshare link revoke DASHBOARD SHARE_ID` (`dashshare link list` \
                         shows them)"
                    )));
                }
                Support::ReplaceOnly | Support::No => {
                    return Err(Error::Unsupported(format!(
                        "{vendor} shares cannot be revoked with `revoke`; see `dashshare vendors`"
                    )));
                }
            }
            if request.revoke_scope.is_some() && !caps.scoped_revoke {
                return Err(Error::Unsupported(format!(
                    "revoke --access narrows a revoke to one access level on vizzly only; on {vendor} \
                     a revoke removes the share whatever its access (leave --access out)"
                )));
            }
            request.revoke_scope
        }
    };
    for principal in &request.principals {
        vendor.ensure_principal(principal.kind(), access)?;
    }
    if request.mode == Mode::Replace && !caps.replace {
        return Err(Error::Unsupported(format!(
            "{vendor} cannot replace a whole share set (grant --replace); see `dashshare vendors`"
        )));
    }
    let everyone = request.principals.contains(&Principal::Everyone);
    if caps.everyone_alone
        && everyone
        && request.principals.len() > 1
        && matches!(request.change, Change::Grant(_))
    {
        return Err(Error::invalid(format!(
            "{vendor} shares a dashboard either with everyone or with users and groups, never both; \
             grant --everyone on its own"
        )));
    }
    Ok(())
}

/// Resolves every principal; if any is unknown, fails naming all of them. A look-up that failed
/// (an ambiguous name, an answer not understood) fails the whole change: the first such error in
/// the order the principals were named.
pub async fn resolve_all(
    provider: &dyn ShareProvider,
    principals: &[Principal],
) -> Result<Vec<Resolved>> {
    let mut unique: Vec<Principal> = Vec::with_capacity(principals.len());
    for principal in principals {
        if !unique.contains(principal) {
            unique.push(principal.clone());
        }
    }
    let answers = provider
        .resolve_principals(&unique, LOOKUP_CONCURRENCY)
        .await;
    if answers.len() != unique.len() {
        return Err(Error::remote(format!(
            "{} answered {} of {} principal look-ups",
            provider.vendor(),
            answers.len(),
            unique.len()
        )));
    }
    let mut found: Vec<(&Principal, Option<Resolved>)> = Vec::with_capacity(unique.len());
    for (principal, answer) in unique.iter().zip(answers) {
        found.push((principal, answer?));
    }
    let missing: Vec<String> = found
        .iter()
        .filter(|(_, resolved)| resolved.is_none())
        .map(|(principal, _)| format!("{} '{}'", principal.kind(), principal.name()))
        .collect();
    if !missing.is_empty() {
        return Err(Error::invalid(format!(
            "not found on {}: {}; nothing was changed (check the spelling, or that the {} exists there)",
            provider.vendor(),
            missing.join(", "),
            if missing.len() == 1 {
                "principal"
            } else {
                "principals"
            }
        )));
    }
    Ok(found
        .into_iter()
        .filter_map(|(_, resolved)| resolved)
        .collect())
}

fn plan_error(err: PlanError, resolved: &[Resolved]) -> Error {
    let (PlanError::OwnerRevoke(key) | PlanError::Conflict(key)) = &err;
    let named: Vec<String> = resolved
        .iter()
        .filter(|r| &r.key == key)
        .map(|r| r.principal.to_string())
        .collect();
    let who = if named.is_empty() {
        key.id.clone()
    } else {
        named.join(" and ")
    };
    match err {
        PlanError::OwnerRevoke(_) => Error::invalid(format!(
            "{who} owns the dashboard; the owner's share cannot be revoked. Nothing was changed"
        )),
        PlanError::Conflict(_) => Error::invalid(format!(
            "{who} is asked for twice with different changes (they name the same {}); name it once",
            key.kind
        )),
    }
}
