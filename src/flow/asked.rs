//! The first half of one dashboard of a file (`apply`): its principals were looked up once for
//! the whole file, so this prepare starts from them; it reads (or goes blind, or sends a complete
//! set) and plans, and returns the rows apply reports with the write `commit` will send.

use std::collections::HashMap;

use serde::Serialize;

use super::{Send, Write, blind_note, names_of_others, plan_shares, shown_name};
use crate::error::{Error, Result};
use crate::model::{
    Access, Action, Change, Intent, Level, Mode, Plan, Principal, PrincipalKind, Share, ShareKey,
    ShareSet,
};
use crate::providers::{BlindChange, Dashboard, Resolved, ShareProvider};
use crate::vendor::{Support, Vendor};

/// One share a file asks for on a dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub principal: Principal,
    pub access: Access,
    pub line: u64,
}

/// What happens (or happened) to one share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RowAction {
    Added,
    Updated,
    Unchanged,
    Removed,
    /// Sent to a vendor that cannot read shares: whether it changed anything is unknown.
    Sent,
    Failed,
    /// Written, removed by another writer, and written again by `--verify`.
    Repaired,
}

impl RowAction {
    pub fn as_str(self) -> &'static str {
        match self {
            RowAction::Added => "added",
            RowAction::Updated => "updated",
            RowAction::Unchanged => "unchanged",
            RowAction::Removed => "removed",
            RowAction::Sent => "sent",
            RowAction::Failed => "failed",
            RowAction::Repaired => "repaired",
        }
    }

    /// A difference between the server and the file that a read could see.
    pub fn is_drift(self) -> bool {
        matches!(
            self,
            RowAction::Added | RowAction::Updated | RowAction::Removed
        )
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RowResult {
    /// As the file names it, or the vendor's name for a share that `--prune` removes.
    pub principal: String,
    #[serde(rename = "type")]
    pub kind: PrincipalKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub before: Option<Level>,
    pub after: Option<Level>,
    pub action: RowAction,
    /// The file line that asked for it; none for a share that `--prune` removes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

/// Reads (or, where the vendor cannot read, takes the file's shares as what is sent) and plans
/// one dashboard of a file. `mode` is `Replace` under `--prune`; without it, a plan that would
/// remove a share is refused.
pub async fn prepare_asked(
    provider: &dyn ShareProvider,
    dashboard: &Dashboard,
    resolved: &[Resolved],
    wanted: &[Wanted],
    mode: Mode,
) -> Result<(Vec<RowResult>, Option<Write>)> {
    let prune = mode == Mode::Replace;
    let asked = distinct_by_id(resolved, wanted)?;
    let caps = provider.vendor().capabilities();
    if caps.list == Support::Yes {
        let snapshot = provider.read_shares(dashboard).await?;
        let intents: Vec<Intent> = asked
            .iter()
            .map(|(r, w)| Intent {
                key: r.key.clone(),
                change: Change::Grant(w.access),
            })
            .collect();
        let plan = plan_shares(provider, &snapshot.shares, &intents, mode, resolved)?;
        let names = names_of_others(provider, snapshot.names.clone(), &plan, resolved).await;
        if !prune {
            refuse_removals(provider.vendor(), &plan, |key| {
                shown_name(key, None, &names)
            })?;
        }
        let by_key: HashMap<&ShareKey, &(&Resolved, &Wanted)> =
            asked.iter().map(|pair| (&pair.0.key, pair)).collect();
        let rows = plan
            .outcomes
            .iter()
            .map(|outcome| {
                let asked_for = by_key.get(&outcome.key);
                RowResult {
                    principal: shown_name(&outcome.key, asked_for.map(|(r, _)| *r), &names),
                    kind: outcome.key.kind,
                    id: Some(outcome.key.id.clone()),
                    before: outcome.before,
                    after: outcome.after,
                    action: row_action(outcome.action),
                    line: asked_for.map(|(_, w)| w.line),
                    note: outcome.note,
                }
            })
            .collect();
        let write = plan.changes_anything().then(|| Write {
            dashboard: snapshot.dashboard.clone(),
            after: plan.after,
            send: Send::Merge {
                snapshot,
                reread: prune,
            },
            publish: true,
        });
        return Ok((rows, write));
    }
    // Without a read, a complete-set vendor takes the file's shares as the whole set.
    let blind_mode = if caps.replace_only {
        Mode::Replace
    } else {
        Mode::Merge
    };
    let rows = asked
        .iter()
        .map(|(r, w)| RowResult {
            principal: r.principal.name().to_string(),
            kind: r.key.kind,
            id: Some(r.key.id.clone()),
            before: None,
            after: Some(Level::Access(w.access)),
            action: RowAction::Sent,
            line: Some(w.line),
            note: Some(blind_note(provider, Change::Grant(w.access), blind_mode)),
        })
        .collect();
    if caps.replace_only {
        let shares = ShareSet::new(asked.iter().map(|(r, w)| Share {
            key: r.key.clone(),
            level: Level::Access(w.access),
        }));
        return Ok((rows, Some(unread_write(dashboard, shares, Send::Replace))));
    }
    // One send per access level.
    let mut sends: Vec<(BlindChange, Vec<ShareKey>)> = Vec::new();
    for (r, w) in &asked {
        let change = BlindChange::Grant(w.access);
        match sends.iter_mut().find(|(sent, _)| *sent == change) {
            Some((_, keys)) => keys.push(r.key.clone()),
            None => sends.push((change, vec![r.key.clone()])),
        }
    }
    let all = ShareSet::new(asked.iter().map(|(r, w)| Share {
        key: r.key.clone(),
        level: Level::Access(w.access),
    }));
    Ok((rows, Some(unread_write(dashboard, all, Send::Blind(sends)))))
}

/// Each share the file asks for once, by the id it resolved to: two spellings (or an id and a
/// `name:`) of one principal at the same access are one share; at different accesses, a conflict.
fn distinct_by_id<'a>(
    resolved: &'a [Resolved],
    wanted: &'a [Wanted],
) -> Result<Vec<(&'a Resolved, &'a Wanted)>> {
    let mut asked: Vec<(&Resolved, &Wanted)> = Vec::with_capacity(wanted.len());
    let mut seen: HashMap<&ShareKey, usize> = HashMap::with_capacity(wanted.len());
    for (r, w) in resolved.iter().zip(wanted) {
        let Some(&first) = seen.get(&r.key) else {
            seen.insert(&r.key, asked.len());
            asked.push((r, w));
            continue;
        };
        let (_, earlier) = asked[first];
        if earlier.access != w.access {
            return Err(Error::invalid(format!(
                "{} (line {}) and {} (line {}) are the same {} ({}), asked for at {} and at {}: \
                 list it once; nothing was changed on this dashboard",
                earlier.principal,
                earlier.line,
                w.principal,
                w.line,
                r.key.kind,
                r.key.id,
                earlier.access,
                w.access
            )));
        }
    }
    Ok(asked)
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

fn row_action(action: Action) -> RowAction {
    match action {
        Action::Added => RowAction::Added,
        Action::Updated => RowAction::Updated,
        Action::Unchanged | Action::Absent => RowAction::Unchanged,
        Action::Removed => RowAction::Removed,
    }
}

/// The write for a vendor that cannot read: what is sent is what is journaled as after.
fn unread_write(dashboard: &Dashboard, after: ShareSet, send: Send) -> Write {
    Write {
        dashboard: dashboard.clone(),
        after,
        send,
        publish: true,
    }
}
