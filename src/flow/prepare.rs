//! The first half of a change: checks, look-ups, the read (or, where the vendor cannot read,
//! the change as it will be sent) and the plan. Nothing is written here.

use std::collections::{HashMap, HashSet};

use super::admit::admit;
use super::{
    Prepared, PrincipalResult, Send, ShareReport, ShareRequest, Write, blind_note, shown_name,
};
use crate::error::{Error, Result};
use crate::model::{
    self, Action, Change, Intent, Level, Mode, Outcome, Plan, PlanError, Principal, PrincipalKind,
    Share, ShareKey, ShareSet,
};
use crate::providers::{self, BlindChange, Dashboard, Resolved, ShareProvider};
use crate::vendor::{Support, Vendor};

/// How many principal look-ups run at once.
const LOOKUP_CONCURRENCY: usize = 8;

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
            after: plan.after.clone(),
            publish_error: None,
        },
        write: write.then(|| Write {
            dashboard: snapshot.dashboard.clone(),
            after: plan.after,
            send: Send::Merge {
                snapshot,
                reread: false,
            },
            publish: request.publish,
        }),
    })
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
    let write = Write {
        dashboard: dashboard.clone(),
        after: sent.clone(),
        send: match change {
            Some(change) => Send::Blind(vec![(change, keys)]),
            None => Send::Replace,
        },
        // Blind vendors have no publish step.
        publish: false,
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
    if request.principals.is_empty() {
        return Err(Error::invalid(
            "name at least one principal with --user, --group or --everyone",
        ));
    }
    let kinds: Vec<PrincipalKind> = request.principals.iter().map(Principal::kind).collect();
    admit(
        vendor,
        &kinds,
        request.revoke_scope,
        request.change,
        request.mode,
    )
    .map_err(|refusal| refusal.for_command(vendor))?;
    let everyone = request.principals.contains(&Principal::Everyone);
    if vendor.capabilities().everyone_alone
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
    let missing: Vec<(&Principal, Option<u64>)> = found
        .iter()
        .filter(|(_, resolved)| resolved.is_none())
        .map(|(principal, _)| (*principal, None))
        .collect();
    if !missing.is_empty() {
        return Err(not_found(provider.vendor(), &missing));
    }
    Ok(found
        .into_iter()
        .filter_map(|(_, resolved)| resolved)
        .collect())
}

/// The one report of principals a vendor does not know, each with the file line that named it,
/// if a file did: a file's run goes on with its other dashboards, a command's change stops whole.
pub fn not_found(vendor: Vendor, missing: &[(&Principal, Option<u64>)]) -> Error {
    let named: Vec<String> = missing
        .iter()
        .map(|(principal, line)| match line {
            Some(line) => format!("{} '{}' (line {line})", principal.kind(), principal.name()),
            None => format!("{} '{}'", principal.kind(), principal.name()),
        })
        .collect();
    let from_file = missing.iter().any(|(_, line)| line.is_some());
    Error::invalid(if from_file {
        format!(
            "not found on {vendor}: {}; nothing was changed on this dashboard",
            named.join(", ")
        )
    } else {
        format!(
            "not found on {vendor}: {}; nothing was changed (check the spelling, or that the {} \
             exists there)",
            named.join(", "),
            if named.len() == 1 {
                "principal"
            } else {
                "principals"
            }
        )
    })
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
