//! The first half of a grant or revoke: the capability check, the dashboard and every principal
//! looked up, then the one plan every command shares (`plan`). Nothing is written here.

use super::ShareResult;
use super::admit::admit;
use super::plan::{Ask, Asked, plan};
use super::{Prepared, ShareReport, ShareRequest};
use crate::error::{Error, Result, Thing};
use crate::model::{Action, Change, Principal, PrincipalKind, ShareKey};
use crate::providers::{Dashboard, DataAccess, DataMark, Resolved, ShareProvider};
use crate::share_ends::RunEnds;
use crate::vendor::Vendor;

/// How many principal look-ups run at once.
const LOOKUP_CONCURRENCY: usize = 8;

/// The first half of a change: checks, look-ups, the read and the plan; no write.
/// `known` are the journal's ends, of the server at `url`.
pub async fn prepare(
    provider: &dyn ShareProvider,
    request: &ShareRequest,
    known: &RunEnds,
    url: &str,
) -> Result<Prepared> {
    check_capabilities(provider, request)?;
    let dashboard = provider.resolve_dashboard(&request.dashboard).await?;
    let resolved = resolve_all(provider, &request.principals).await?;
    let ends = known.lock().of_dashboard(url, &dashboard.id);
    let ask = Ask {
        dashboard: &dashboard,
        asked: resolved
            .iter()
            .map(|resolved| Asked {
                resolved,
                change: request.change,
                line: None,
                end: request.until,
            })
            .collect(),
        mode: request.mode,
        revoke_scope: request.revoke_scope,
        additive: false,
        reread: false,
        publish: request.publish,
        ends: &ends,
        listed: None,
    };
    let planned = plan(provider, &ask).await?;
    let mut report = ShareReport {
        dashboard: planned.dashboard,
        dry_run: request.dry_run,
        written: false,
        published: false,
        results: planned.results,
        before: planned.before,
        after: planned.after,
        publish_error: None,
        data_unreadable: None,
        data_written: false,
        data_error: None,
    };
    let mut data_grant = None;
    if matches!(request.change, Change::Grant(_)) {
        mark_data_access(provider, &mut report).await;
        if request.with_data {
            data_grant =
                plan_data_grant(provider, &report.dashboard, &mut report.results, |_| true).await?;
        }
    }
    Ok(Prepared {
        data_grant: data_grant.filter(|_| !request.dry_run),
        report,
        write: planned.write.filter(|_| !request.dry_run),
        asked: planned.asked,
    })
}

/// Marks each principal a grant leaves shared with whether it can also query the dashboard's
/// data model (Sisense): one the model does not reach opens the dashboard and sees no data.
pub async fn mark_data_access(provider: &dyn ShareProvider, report: &mut ShareReport) {
    let Some(access) = mark_data(provider, &report.dashboard, &mut report.results, |_| true).await
    else {
        return;
    };
    report.data_unreadable = access.unreadable;
    if report.dashboard.title.is_none() {
        report.dashboard.title = access.dashboard_title;
    }
}

/// Marks the results `which` picks, of those left shared with, with how each reaches the
/// dashboard's data model; the model's answer (why it could not be read, the dashboard's
/// title) is returned for the caller to say. `None`: nothing to mark, or no data model.
pub async fn mark_data(
    provider: &dyn ShareProvider,
    dashboard: &Dashboard,
    results: &mut [ShareResult],
    which: impl Fn(&ShareResult) -> bool,
) -> Option<DataAccess> {
    let marked = |result: &ShareResult| shared(result.action) && which(result);
    let keys = shared_keys(results, &which);
    if keys.is_empty() {
        return None;
    }
    let access = provider.data_access(dashboard, &keys).await?;
    for result in results.iter_mut().filter(|result| marked(result)) {
        if let Some(id) = &result.id {
            result.data = Some(DataMark {
                model: access.model.clone(),
                reach: access.of(&ShareKey::new(result.kind, id.clone())),
                given: false,
            });
        }
    }
    Some(access)
}

/// `--with-data`: the entries the principals left shared with lack on the data model, marked
/// `given` on their results. A model that cannot be read fails the change before any write.
pub async fn plan_data_grant(
    provider: &dyn ShareProvider,
    dashboard: &Dashboard,
    results: &mut [ShareResult],
    asked: impl Fn(&ShareResult) -> bool,
) -> Result<Option<crate::data_model::DataModelChange>> {
    let keys = shared_keys(results, &asked);
    let Some(change) = provider.plan_data_grant(dashboard, &keys).await? else {
        return Ok(None);
    };
    for result in results.iter_mut() {
        let Some(id) = &result.id else { continue };
        let key = ShareKey::new(result.kind, id.clone());
        if change.entries.iter().any(|entry| entry.key == key) {
            match &mut result.data {
                Some(mark) => mark.given = true,
                None => {
                    result.data = Some(DataMark {
                        model: change.model.title.clone(),
                        reach: crate::providers::Reach::None,
                        given: true,
                    })
                }
            }
        }
    }
    Ok(Some(change))
}

/// The keys of the results `which` picks among those left shared with (and looked up).
fn shared_keys(results: &[ShareResult], which: &impl Fn(&ShareResult) -> bool) -> Vec<ShareKey> {
    results
        .iter()
        .filter(|result| shared(result.action) && which(result))
        .filter_map(|result| Some(ShareKey::new(result.kind, result.id.clone()?)))
        .collect()
}

/// The actions that leave a principal shared with.
fn shared(action: Action) -> bool {
    matches!(action, Action::Added | Action::Updated | Action::Unchanged)
}

/// Refuses, before any request, what the vendor cannot do.
fn check_capabilities(provider: &dyn ShareProvider, request: &ShareRequest) -> Result<()> {
    let vendor = provider.vendor();
    if request.principals.is_empty() {
        return Err(Error::invalid(
            "name at least one principal with --user, --group or --everyone",
        ));
    }
    if request.with_data && !vendor.capabilities().data_models {
        let can: Vec<&str> = Vendor::ALL
            .into_iter()
            .filter(|v| v.capabilities().data_models)
            .map(Vendor::as_str)
            .collect();
        return Err(Error::NotSupported(format!(
            "{vendor} keeps no data models apart from its dashboards, so --with-data has nothing \
             to give there; vendors that do: {}",
            can.join(", ")
        )));
    }
    let kinds: Vec<PrincipalKind> = request.principals.iter().map(Principal::kind).collect();
    admit(
        vendor,
        &kinds,
        request.revoke_scope,
        request.change,
        request.mode,
    )
    .map_err(|refusal| refusal.for_command(vendor))
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
        return Err(not_found(provider, &missing));
    }
    Ok(found
        .into_iter()
        .filter_map(|(_, resolved)| resolved)
        .collect())
}

/// The one report of principals a vendor does not know, each with the file line that named it,
/// if a file did: a file's run goes on with its other dashboards, a command's change stops whole.
/// Each is offered the closest names the look-ups already read (`ShareProvider::seen_names`:
/// a loose search's answers, a listing read instead of a filter); vendors that look principals up
/// with an exact filter read none, and no request is made to find some.
pub fn not_found(provider: &dyn ShareProvider, missing: &[(&Principal, Option<u64>)]) -> Error {
    let vendor = provider.vendor();
    let named: Vec<String> = missing
        .iter()
        .map(|(principal, line)| {
            let seen = provider.seen_names(principal.kind());
            let hint =
                crate::suggest::did_you_mean(principal.name(), seen.iter().map(String::as_str));
            let hint = hint.trim_start_matches("; ");
            let hint = match hint {
                "" => String::new(),
                hint => format!(" ({hint})"),
            };
            match line {
                Some(line) => format!(
                    "{} '{}' (line {line}){hint}",
                    principal.kind(),
                    principal.name()
                ),
                None => format!("{} '{}'{hint}", principal.kind(), principal.name()),
            }
        })
        .collect();
    let from_file = missing.iter().any(|(_, line)| line.is_some());
    let message = if from_file {
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
    };
    Error::not_found(Thing::Principal, named.join(", "), message)
}
