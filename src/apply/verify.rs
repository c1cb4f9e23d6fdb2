//! `apply --verify`: the run lock keeps runs that share a journal from overwriting each other, but
//! not a run on another machine, with another journal, or another tool. Each of those reads a
//! dashboard's share list, merges, and writes the list back whole, so its write can drop a share
//! this run wrote a moment before. At the end of the run every dashboard it wrote is read back;
//! the shares the file asked for that are gone are written again (re-read, re-plan, one write,
//! journaled under the run's id), for a few rounds with jittered pauses so that two repairing runs
//! fall out of step. What is still missing then fails its dashboard.
//!
//! Vendors that cannot read their shares (Vizzly, AppViewX) cannot be verified.

use std::time::Duration;

use futures::StreamExt;

use super::execute::{Connected, DashboardResult, Report};
use crate::error::Error;
use crate::flow;
use crate::model::{Action, Change, Intent, Level, Mode, ShareKey};
use crate::providers::ShareProvider;
use crate::vendor::{Support, Vendor};
use crate::write_ahead::WriteAhead;

/// Repairs a dashboard gets before its missing shares count as lost.
pub const ROUNDS: usize = 3;

/// The pause before the first read-back; each later round waits about twice as long.
const FIRST_PAUSE: Duration = Duration::from_millis(200);

const REPAIRED: &str = "another writer removed this share after the run wrote it; --verify wrote \
     it again";

/// What the read-backs found, beyond what they changed in the report.
#[derive(Debug, Default)]
pub struct Verified {
    /// Dashboards written on vendors that cannot read their shares back, per vendor.
    pub unverifiable: Vec<(Vendor, usize)>,
}

/// Reads back every dashboard of `report` the run wrote and repairs what it no longer holds.
/// Rows that were written again become `repaired`; dashboards still missing shares after
/// `ROUNDS` repairs, or that could not be read or written, get an error (and go to --failed-out).
pub async fn verify(
    sites: &[Connected],
    report: &mut Report,
    recorder: Option<&WriteAhead<'_>>,
    concurrency: usize,
) -> Verified {
    let mut verified = Verified::default();
    let mut pending: Vec<usize> = Vec::new();
    for (index, dashboard) in report.dashboards.iter().enumerate() {
        if !dashboard.written || dashboard.error.is_some() {
            continue;
        }
        if dashboard.vendor.capabilities().list == Support::Yes {
            pending.push(index);
        } else {
            match verified
                .unverifiable
                .iter_mut()
                .find(|(vendor, _)| *vendor == dashboard.vendor)
            {
                Some((_, count)) => *count += 1,
                None => verified.unverifiable.push((dashboard.vendor, 1)),
            }
        }
    }
    for round in 0..=ROUNDS {
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(jittered(FIRST_PAUSE * (1 << round))).await;
        let dashboards = &report.dashboards;
        let checks: Vec<(usize, Check)> = futures::stream::iter(pending.iter().copied())
            .map(|index| async move {
                let check = check(sites, &dashboards[index], recorder, round < ROUNDS).await;
                (index, check)
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        pending.clear();
        for (index, check) in checks {
            let dashboard = &mut report.dashboards[index];
            match check {
                Check::Holds => {}
                Check::Repaired(keys) => {
                    mark(dashboard, &keys, Action::Repaired);
                    pending.push(index);
                }
                Check::Failed {
                    error,
                    after_write,
                    missing,
                } => {
                    mark(dashboard, &missing, Action::Failed);
                    dashboard.error = Some(error);
                    dashboard.failed_after_write = after_write;
                }
            }
        }
        // In the file's order, whatever order the read-backs finished in.
        pending.sort_unstable();
    }
    verified
}

/// What one read-back found and did.
enum Check {
    /// Every share the file asked for is there.
    Holds,
    /// These shares were missing and were written again; read back again next round.
    Repaired(Vec<ShareKey>),
    Failed {
        error: Error,
        /// A repair was written, and what failed came after it (the journal, the publish).
        after_write: bool,
        missing: Vec<ShareKey>,
    },
}

async fn check(
    sites: &[Connected],
    dashboard: &DashboardResult,
    recorder: Option<&WriteAhead<'_>>,
    may_repair: bool,
) -> Check {
    let provider = sites[dashboard.site].provider.as_ref();
    let failed = |error: Error, missing: Vec<ShareKey>| Check::Failed {
        error,
        after_write: false,
        missing,
    };
    let snapshot = match provider.read_shares(&dashboard.dashboard).await {
        Ok(snapshot) => snapshot,
        Err(err) => {
            return failed(
                err.and_then_say(
                    "it was written, but --verify could not read it back; apply the file again \
                     to make sure",
                ),
                Vec::new(),
            );
        }
    };
    let missing: Vec<(ShareKey, Level)> = wanted(dashboard)
        .filter(|(key, level)| snapshot.shares.get(key) != Some(*level))
        .collect();
    if missing.is_empty() {
        return Check::Holds;
    }
    let keys: Vec<ShareKey> = missing.iter().map(|(key, _)| key.clone()).collect();
    if !may_repair {
        return failed(
            Error::remote(format!(
                "--verify wrote it again {ROUNDS} times, and another writer removed {} of its \
                 shares each time ({}); apply the file again once the other writer is done",
                keys.len(),
                shown(dashboard, &keys)
            )),
            keys,
        );
    }
    match repair(provider, sites, dashboard, recorder, &snapshot, &missing).await {
        Ok(()) => Check::Repaired(keys),
        Err((error, after_write)) => Check::Failed {
            error,
            after_write,
            missing: keys,
        },
    }
}

/// Writes `missing` back onto the dashboard as just read, journals it, and publishes. The error
/// says whether it came after the write.
async fn repair(
    provider: &dyn ShareProvider,
    sites: &[Connected],
    dashboard: &DashboardResult,
    recorder: Option<&WriteAhead<'_>>,
    snapshot: &crate::providers::Snapshot,
    missing: &[(ShareKey, Level)],
) -> std::result::Result<(), (Error, bool)> {
    let before_write = |error: Error| (error, false);
    let intents: Vec<Intent> = missing
        .iter()
        .filter_map(|(key, level)| match level {
            Level::Access(access) => Some(Intent {
                key: key.clone(),
                change: Change::Grant(*access),
            }),
            Level::Owner => None,
        })
        .collect();
    // A repair only adds back: whatever the other writer added stays, even under --prune.
    let plan = flow::plan_shares(provider, &snapshot.shares, &intents, Mode::Merge, &[])
        .map_err(before_write)?;
    if plan.outcomes.iter().any(|o| o.action == Action::Removed) || !plan.changes_anything() {
        return Err(before_write(Error::remote(format!(
            "--verify found {} missing, and putting it back would change other shares; nothing \
             was written again. Apply the file again",
            shown(
                dashboard,
                &intents.iter().map(|i| i.key.clone()).collect::<Vec<_>>()
            )
        ))));
    }
    // Journaled ahead under the run's id, like the run's first write.
    let ahead = recorder.copied();
    let profile = &sites[dashboard.site].site.profile;
    let again = flow::Write {
        dashboard: dashboard.dashboard.clone(),
        after: plan.after,
        send: flow::Send::Merge {
            snapshot: snapshot.clone(),
            reread: false,
        },
        publish: true,
        // What the run asked of the shares' ends holds: they come back at the level it gave.
        asked: Default::default(),
    };
    let written = flow::write(
        provider,
        &again,
        ahead.as_ref().map(|ahead| (ahead, profile)),
    )
    .await
    .map_err(|halted| before_write(halted.error))?;
    match written.publish_error {
        Some(err) => Err((err, true)),
        None => Ok(()),
    }
}

/// The shares the file asked for on this dashboard, as the run planned them.
fn wanted(dashboard: &DashboardResult) -> impl Iterator<Item = (ShareKey, Level)> + '_ {
    dashboard.rows.iter().filter_map(|row| {
        let asked = row.line.is_some() && !matches!(row.action, Action::Failed | Action::Removed);
        match (asked, &row.id, row.after) {
            (true, Some(id), Some(level)) => Some((ShareKey::new(row.kind, id.clone()), level)),
            _ => None,
        }
    })
}

fn mark(dashboard: &mut DashboardResult, keys: &[ShareKey], action: Action) {
    for row in &mut dashboard.rows {
        let named = row
            .id
            .as_ref()
            .is_some_and(|id| keys.iter().any(|k| k.kind == row.kind && &k.id == id));
        if named {
            row.action = action;
            if action == Action::Repaired {
                row.note = Some(REPAIRED);
            }
        }
    }
}

/// The rows' names for `keys`, for messages.
fn shown(dashboard: &DashboardResult, keys: &[ShareKey]) -> String {
    keys.iter()
        .map(|key| {
            let name = dashboard
                .rows
                .iter()
                .find(|row| row.kind == key.kind && row.id.as_deref() == Some(key.id.as_str()))
                .map_or(key.id.as_str(), |row| row.principal.as_str());
            format!("{} '{name}'", key.kind)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `pause`, give or take half, so that runs repairing the same dashboards do not move in step.
fn jittered(pause: Duration) -> Duration {
    pause.mul_f64(0.5 + fastrand::f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_vary_around_their_base() {
        for _ in 0..100 {
            let pause = jittered(Duration::from_millis(200));
            assert!((100..=300).contains(&pause.as_millis()), "{pause:?}");
        }
    }
}
