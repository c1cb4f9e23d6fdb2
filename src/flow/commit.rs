//! The second half of a change: the intent journaled ahead, the write, its outcome journaled,
//! then the publish. An error means nothing was written, or the write itself failed.

use super::{PlannedWrite, Prepared, ShareReport};
use crate::config::Profile;
use crate::error::Result;
use crate::providers::{Dashboard, ShareProvider};
use crate::write_ahead::WriteAhead;

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
