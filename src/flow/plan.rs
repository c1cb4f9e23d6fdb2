//! The planning half of one dashboard's change, for every command: from principals already
//! looked up, it reads the shares (or, where the vendor cannot read, takes what is asked as what
//! is sent, or as the complete set) and plans, returning the results to report and the one write
//! `commit` will send. Nothing is written here.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

use chrono::{DateTime, Utc};

use super::{Send, Write, blind_note, shown_name, timed};
use crate::error::{Error, Result};
use crate::model::ends::{self, AskedEnds, Ends};
use crate::model::{
    self, Access, Action, Change, Intent, Level, Mode, Outcome, Plan, PlanError, PrincipalKind,
    Share, ShareKey, ShareSet,
};
use crate::providers::{self, BlindChange, Dashboard, DataMark, Resolved, ShareProvider, Snapshot};
use crate::vendor::{Support, Vendor};

/// One change asked for on a dashboard, its principal looked up.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    pub resolved: &'a Resolved,
    pub change: Change,
    /// The file line that asked for it; none for a command's flags.
    pub line: Option<u64>,
    /// With a grant: when it ends (`--for/--until`, a row's `expires`); `None`: no end.
    pub end: Option<DateTime<Utc>>,
}

/// What one dashboard's change is, for `plan`.
pub struct Ask<'a> {
    pub dashboard: &'a Dashboard,
    pub asked: Vec<Asked<'a>>,
    pub mode: Mode,
    /// With a revoke at a vendor that keeps one permission per level: the level to revoke.
    pub revoke_scope: Option<Access>,
    /// Refuse a plan that removes a share nobody asked to remove (an apply file without
    /// `--prune`, where ECI's everyone rule would drop the user and group lists).
    pub additive: bool,
    /// Read the dashboard again just before the write, and leave it alone if it changed (apply
    /// `--prune` reads every dashboard before the first write).
    pub reread: bool,
    pub publish: bool,
    /// The dashboard's ends in force before the change (`share_ends`).
    pub ends: &'a Ends,
    /// The dashboard's shares as a listing already read them (a Sisense admin's): planned from
    /// without a read of its own, where that plan writes nothing. A plan that writes is made
    /// again from a fresh read, so the write never starts from a listing's copy.
    pub listed: Option<&'a Snapshot>,
}

/// What happens (or happened) to one share, in every command's report.
#[derive(Debug, Clone, Serialize)]
pub struct ShareResult {
    /// As the user or file named it, or the vendor's name for a share removed on dashshare's own
    /// account.
    pub principal: String,
    #[serde(rename = "type")]
    pub kind: PrincipalKind,
    /// The vendor's id; none for a row that failed before it was looked up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub before: Option<Level>,
    pub after: Option<Level>,
    pub action: Action,
    /// The file line that asked for it; none for a command's flags and for a removed share.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Why the action is not the obvious one, when a vendor rule decided it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
    /// When a share given for a time ends (an apply file's `expires`), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// Whether the principal can also query the dashboard's data model, where the vendor keeps
    /// one (Sisense): a share without it opens the dashboard empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<DataMark>,
}

/// One dashboard planned: what is there, what will be, and the write that makes it so.
#[derive(Debug)]
pub struct Planned {
    /// As the read found it (for a vendor that cannot read, as resolved).
    pub dashboard: Dashboard,
    /// `None` where the vendor cannot read its shares.
    pub before: Option<ShareSet>,
    /// The set written; for a vendor that cannot read, what is sent.
    pub after: ShareSet,
    pub results: Vec<ShareResult>,
    /// `None`: the plan changes nothing.
    pub write: Option<Write>,
    /// What the change asks of each named share's end, for the journal.
    pub asked: AskedEnds,
}

/// Reads (or goes blind, or states the complete set) and plans one dashboard's change.
pub async fn plan(provider: &dyn ShareProvider, ask: &Ask<'_>) -> Result<Planned> {
    let asked = distinct_by_id(&ask.asked)?;
    if provider.vendor().capabilities().list != Support::Yes {
        return Ok(plan_blind(provider, ask, &asked));
    }
    if let Some(listed) = ask.listed {
        let planned = plan_from(provider, ask, &asked, listed.clone()).await?;
        if planned.write.is_none() {
            return Ok(planned);
        }
    }
    let snapshot = provider.read_shares(ask.dashboard).await?;
    plan_from(provider, ask, &asked, snapshot).await
}

/// The plan of `ask` over the shares `snapshot` holds.
async fn plan_from(
    provider: &dyn ShareProvider,
    ask: &Ask<'_>,
    asked: &[Asked<'_>],
    snapshot: Snapshot,
) -> Result<Planned> {
    let intents: Vec<Intent> = asked
        .iter()
        .map(|a| Intent {
            key: a.resolved.key.clone(),
            change: a.change,
        })
        .collect();
    let resolved: Vec<&Resolved> = asked.iter().map(|a| a.resolved).collect();
    let plan = plan_shares(provider, &snapshot.shares, &intents, ask.mode, &resolved)?;
    let names = names_of_others(provider, snapshot.names.clone(), &plan, &resolved).await;
    if ask.additive {
        refuse_removals(provider.vendor(), &plan, |key| {
            shown_name(key, None, &names)
        })?;
    }
    let changes = plan.changes_anything();
    let mut results = results(plan.outcomes, asked, &names);
    let asked_ends = asked_ends(asked);
    let after_ends = ends::after_change(ask.ends, Some(&snapshot.shares), &plan.after, &asked_ends);
    timed::annotate(&mut results, ask.ends, &after_ends, &asked_ends);
    let write = changes.then(|| Write {
        dashboard: snapshot.dashboard.clone(),
        after: plan.after.clone(),
        send: Send::Merge {
            snapshot: snapshot.clone(),
            reread: ask.reread,
        },
        publish: ask.publish,
        asked: asked_ends.clone(),
    });
    Ok(Planned {
        dashboard: snapshot.dashboard,
        before: Some(snapshot.shares),
        after: plan.after,
        results,
        write,
        asked: asked_ends,
    })
}

/// The plan for `intents` against `current`, with the vendor's own rules applied.
pub fn plan_shares(
    provider: &dyn ShareProvider,
    current: &ShareSet,
    intents: &[Intent],
    mode: Mode,
    resolved: &[&Resolved],
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
async fn names_of_others(
    provider: &dyn ShareProvider,
    known: HashMap<ShareKey, String>,
    plan: &Plan,
    resolved: &[&Resolved],
) -> HashMap<ShareKey, String> {
    let named: HashSet<&ShareKey> = resolved.iter().map(|r| &r.key).collect();
    let others = plan
        .outcomes
        .iter()
        .map(|o| &o.key)
        .filter(|key| !named.contains(key));
    providers::names_for(provider, known, others).await
}

/// For vendors that cannot read shares: what was asked is sent, one call per change, or as the
/// complete set where that is the vendor's only write; each result is what was sent.
fn plan_blind(provider: &dyn ShareProvider, ask: &Ask<'_>, asked: &[Asked<'_>]) -> Planned {
    let level = |change: Change| match change {
        Change::Grant(access) => Some(Level::Access(access)),
        Change::Revoke => None,
    };
    let outcomes = asked
        .iter()
        .map(|a| Outcome {
            key: a.resolved.key.clone(),
            before: None,
            after: level(a.change),
            action: match a.change {
                Change::Grant(_) => Action::Added,
                Change::Revoke => Action::Removed,
            },
            note: Some(blind_note(provider, a.change, ask.mode)),
        })
        .collect();
    let sent = ShareSet::new(asked.iter().filter_map(|a| {
        level(a.change).map(|level| Share {
            key: a.resolved.key.clone(),
            level,
        })
    }));
    let send = match ask.mode {
        Mode::Replace => Send::Replace,
        Mode::Merge => {
            let mut sends: Vec<(BlindChange, Vec<ShareKey>)> = Vec::new();
            for a in asked {
                let change = match a.change {
                    Change::Grant(access) => BlindChange::Grant(access),
                    Change::Revoke => BlindChange::Revoke(ask.revoke_scope),
                };
                match sends.iter_mut().find(|(sent, _)| *sent == change) {
                    Some((_, keys)) => keys.push(a.resolved.key.clone()),
                    None => sends.push((change, vec![a.resolved.key.clone()])),
                }
            }
            Send::Blind(sends)
        }
    };
    let mut results = results(outcomes, asked, &HashMap::new());
    let asked_ends = asked_ends(asked);
    let after_ends = ends::after_change(ask.ends, None, &sent, &asked_ends);
    timed::annotate(&mut results, ask.ends, &after_ends, &asked_ends);
    Planned {
        dashboard: ask.dashboard.clone(),
        before: None,
        after: sent.clone(),
        results,
        write: Some(Write {
            dashboard: ask.dashboard.clone(),
            after: sent,
            send,
            // Blind vendors have no publish step.
            publish: false,
            asked: asked_ends.clone(),
        }),
        asked: asked_ends,
    }
}

/// What the change asks of each share's end: until its end for a grant given one, else none
/// (a plain grant keeps a share with no end; a revoke leaves none).
fn asked_ends(asked: &[Asked<'_>]) -> AskedEnds {
    asked
        .iter()
        .map(|a| {
            let end = match (a.change, a.end) {
                (Change::Grant(_), Some(at)) => ends::Asked::Until(at),
                _ => ends::Asked::NoEnd,
            };
            (a.resolved.key.clone(), end)
        })
        .collect()
}

fn results(
    outcomes: Vec<Outcome>,
    asked: &[Asked<'_>],
    names: &HashMap<ShareKey, String>,
) -> Vec<ShareResult> {
    let by_key: HashMap<&ShareKey, &Asked> = asked.iter().map(|a| (&a.resolved.key, a)).collect();
    outcomes
        .into_iter()
        .map(|outcome| {
            let asked_for = by_key.get(&outcome.key);
            ShareResult {
                principal: shown_name(&outcome.key, asked_for.map(|a| a.resolved), names),
                kind: outcome.key.kind,
                id: Some(outcome.key.id),
                before: outcome.before,
                after: outcome.after,
                action: outcome.action,
                line: asked_for.and_then(|a| a.line),
                note: outcome.note,
                expires: None,
                data: None,
            }
        })
        .collect()
}

/// Each change asked for once, by the id it resolved to: two spellings (or an id and a `name:`)
/// of one principal asked for the same change are one; asked for different ones, a conflict.
fn distinct_by_id<'a>(asked: &[Asked<'a>]) -> Result<Vec<Asked<'a>>> {
    let mut distinct: Vec<Asked> = Vec::with_capacity(asked.len());
    let mut seen: HashMap<&ShareKey, usize> = HashMap::with_capacity(asked.len());
    for a in asked {
        let Some(&first) = seen.get(&a.resolved.key) else {
            seen.insert(&a.resolved.key, distinct.len());
            distinct.push(*a);
            continue;
        };
        let earlier = distinct[first];
        if earlier.change != a.change {
            return Err(conflict(&earlier, a));
        }
    }
    Ok(distinct)
}

fn conflict(earlier: &Asked, later: &Asked) -> Error {
    let key = &later.resolved.key;
    let at = |a: &Asked| match a.line {
        Some(line) => format!("{} (line {line})", a.resolved.principal),
        None => a.resolved.principal.to_string(),
    };
    let change = |a: &Asked| match a.change {
        Change::Grant(access) => access.to_string(),
        Change::Revoke => "revoke".to_string(),
    };
    Error::invalid(format!(
        "{} and {} are the same {} ({}), asked for at {} and at {}: list it once; nothing was \
         changed on this dashboard",
        at(earlier),
        at(later),
        key.kind,
        key.id,
        change(earlier),
        change(later)
    ))
}

fn plan_error(err: PlanError, resolved: &[&Resolved]) -> Error {
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

/// An additive apply never removes a share; a vendor rule that would (ECI drops its user and
/// group lists for everyone) makes the dashboard fail instead, pointing at `--prune`.
fn refuse_removals(
    vendor: Vendor,
    plan: &Plan,
    name_of: impl Fn(&ShareKey) -> String,
) -> Result<()> {
    let removed: Vec<String> = plan
        .outcomes
        .iter()
        .filter(|o| o.action == Action::Removed)
        .map(|o| format!("{} '{}'", o.key.kind, name_of(&o.key)))
        .collect();
    if removed.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "on {vendor}, sharing with everyone drops the dashboard's user and group shares ({}), and \
         apply without --prune never removes a share; nothing was changed on this dashboard. Apply \
         with --prune if that is intended",
        removed.join(", ")
    )))
}
