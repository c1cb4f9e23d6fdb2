//! The one sequence every share change follows, whatever the vendor:
//! check capabilities → resolve the dashboard → resolve every principal → read → plan → write →
//! publish. Nothing is written unless every step before the write succeeded.

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{self, Access, Action, Change, Intent, Level, Mode, PlanError, Principal};
use crate::providers::{Dashboard, Resolved, ShareProvider};
use crate::vendor::Support;

/// How many principal look-ups run at once.
const LOOKUP_CONCURRENCY: usize = 8;

#[derive(Debug, Clone)]
pub struct ShareRequest {
    pub dashboard: String,
    pub principals: Vec<Principal>,
    pub change: Change,
    pub mode: Mode,
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
}

#[derive(Debug, Serialize)]
pub struct PrincipalResult {
    /// As the user named it, or the vendor's name for a share removed by `--replace`.
    pub principal: String,
    #[serde(rename = "type")]
    pub kind: model::PrincipalKind,
    pub id: String,
    pub before: Option<Level>,
    pub after: Option<Level>,
    pub action: Action,
}

impl ShareReport {
    pub fn count(&self, action: Action) -> usize {
        self.results.iter().filter(|r| r.action == action).count()
    }
}

/// Grants or revokes `request.principals` on one dashboard.
pub async fn change_shares(
    provider: &dyn ShareProvider,
    request: &ShareRequest,
) -> Result<ShareReport> {
    check_capabilities(provider, request)?;
    let dashboard = provider.resolve_dashboard(&request.dashboard).await?;
    let resolved = resolve_all(provider, &request.principals).await?;
    let snapshot = provider.read_shares(&dashboard).await?;

    let intents: Vec<Intent> = resolved
        .iter()
        .map(|r| Intent {
            key: r.key.clone(),
            change: request.change,
        })
        .collect();
    let plan = model::plan(&snapshot.shares, &intents, request.mode)
        .map_err(|err| plan_error(err, &resolved))?;

    let write = plan.changes_anything() && !request.dry_run;
    if write {
        provider.write_shares(&snapshot, &plan.after).await?;
    }
    let publish = write && request.publish && provider.vendor().capabilities().publish;
    if publish {
        provider.publish(&snapshot.dashboard).await?;
    }

    let unnamed: Vec<_> = plan
        .outcomes
        .iter()
        .filter(|o| !resolved.iter().any(|r| r.key == o.key))
        .map(|o| o.key.clone())
        .collect();
    let names = if unnamed.is_empty() {
        Default::default()
    } else {
        provider.describe(&unnamed).await
    };
    let results = plan
        .outcomes
        .into_iter()
        .map(|outcome| {
            let principal = resolved
                .iter()
                .find(|r| r.key == outcome.key)
                .map(|r| r.principal.name().to_string())
                .or_else(|| names.get(&outcome.key).cloned())
                .unwrap_or_else(|| outcome.key.id.clone());
            PrincipalResult {
                principal,
                kind: outcome.key.kind,
                id: outcome.key.id,
                before: outcome.before,
                after: outcome.after,
                action: outcome.action,
            }
        })
        .collect();
    Ok(ShareReport {
        dashboard: snapshot.dashboard,
        dry_run: request.dry_run,
        written: write,
        published: publish,
        results,
    })
}

/// Refuses, before any request, what the vendor cannot do.
fn check_capabilities(provider: &dyn ShareProvider, request: &ShareRequest) -> Result<()> {
    let vendor = provider.vendor();
    if request.principals.is_empty() {
        return Err(Error::invalid(
            "name at least one principal with --user, --group or --everyone",
        ));
    }
    let access: Option<Access> = match request.change {
        Change::Grant(access) => Some(access),
        Change::Revoke => {
            if vendor.capabilities().revoke != Support::Yes {
                return Err(Error::Unsupported(format!(
                    "{vendor} shares cannot be revoked with `revoke`; see `dashshare vendors`"
                )));
            }
            None
        }
    };
    for principal in &request.principals {
        vendor.ensure_principal(principal.kind(), access)?;
    }
    Ok(())
}

/// Resolves every principal; if any is unknown, fails naming all of them.
pub async fn resolve_all(
    provider: &dyn ShareProvider,
    principals: &[Principal],
) -> Result<Vec<Resolved>> {
    let mut unique: Vec<&Principal> = Vec::with_capacity(principals.len());
    for principal in principals {
        if !unique.contains(&principal) {
            unique.push(principal);
        }
    }
    let found: Vec<(&Principal, Option<Resolved>)> = futures::stream::iter(unique)
        .map(|principal| async move {
            provider
                .resolve_principal(principal)
                .await
                .map(|resolved| (principal, resolved))
        })
        .buffered(LOOKUP_CONCURRENCY)
        .try_collect()
        .await?;
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
