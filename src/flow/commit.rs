//! The second half of a change: the intent journaled ahead, the write, its outcome journaled,
//! then the publish. Every writer (grant, revoke, apply, undo) sends through `write`.

use super::{Prepared, Send, ShareReport, Write};
use crate::config::Profile;
use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::model::ends::AskedEnds;
use crate::model::{Level, Share, ShareKey, ShareSet};
use crate::providers::{BlindChange, Dashboard, ShareProvider};
use crate::write_ahead::{Pending, WriteAhead};

/// Journals the intent (with `journal`), writes, journals the outcome, then publishes. An error
/// means nothing was written, or the write itself failed.
pub async fn commit(
    provider: &dyn ShareProvider,
    prepared: Prepared,
    journal: Option<(&WriteAhead<'_>, &Profile)>,
) -> Result<ShareReport> {
    let Prepared {
        report,
        write,
        asked,
        data_grant,
    } = prepared;
    let mut report = commit_shares(provider, report, write, &asked, journal).await?;
    if let Some(change) = data_grant {
        let written =
            write_data_grant(provider, &report.dashboard, &report.after, &change, journal)
                .await
                .map_err(|halted| halted.error);
        match written {
            Ok(given) => {
                report.data_written = !given.entries.is_empty();
                // Only what was given is reported given: another may have given the rest since.
                for result in &mut report.results {
                    if let (Some(mark), Some(id)) = (&mut result.data, &result.id) {
                        let key = ShareKey::new(result.kind, id.clone());
                        mark.given &= given.entries.iter().any(|entry| entry.key == key);
                    }
                }
            }
            Err(err) => {
                for mark in report.results.iter_mut().filter_map(|r| r.data.as_mut()) {
                    mark.given = false;
                }
                report.data_error = Some(err.and_then_say(format!(
                    "the dashboard's shares stand, but its data model {} was not given: run the \
                     grant again with --with-data once the cause is fixed",
                    change.model.title
                )));
            }
        }
    }
    Ok(report)
}

/// The dashboard's half of `commit`.
async fn commit_shares(
    provider: &dyn ShareProvider,
    mut report: ShareReport,
    write: Option<Write>,
    asked: &AskedEnds,
    journal: Option<(&WriteAhead<'_>, &Profile)>,
) -> Result<ShareReport> {
    let Some(write) = write else {
        // Nothing to write, but the journal must learn what the change asked of the ends.
        if let (Some((ahead, profile)), Some(shares)) = (journal, &report.before)
            && !report.dry_run
        {
            ahead
                .settle(profile, &report.dashboard, Some(shares.clone()), asked)
                .map_err(|err| {
                    err.and_then_say(
                        "the shares are as asked, but the ends earlier timed grants gave them \
                         still hold: fix the journal and run the command again",
                    )
                })?;
        }
        return Ok(report);
    };
    let written = self::write(provider, &write, journal)
        .await
        .map_err(|halted| halted.error)?;
    report.written = true;
    report.published = written.published;
    report.publish_error = written.publish_error;
    Ok(report)
}

/// Gives the entries `change` plans on `dashboard`'s data model, journaled ahead and after on a
/// line of its own (its share sets are the dashboard's `shares` as they now stand, so that
/// `undo` finds nothing to put back there but the model's entries); the outcome line carries
/// what was given, which `undo` takes back. What was given: none when the model already had
/// every entry (nothing was written).
pub async fn write_data_grant(
    provider: &dyn ShareProvider,
    dashboard: &Dashboard,
    shares: &ShareSet,
    change: &DataModelChange,
    journal: Option<(&WriteAhead<'_>, &Profile)>,
) -> std::result::Result<DataModelChange, Halted> {
    let pending = match journal {
        Some((ahead, profile)) => Some(
            ahead
                .intent(
                    profile,
                    dashboard,
                    Some(shares.clone()),
                    shares.clone(),
                    &AskedEnds::new(),
                    Some(change.clone()),
                )
                .await
                .map_err(|error| Halted {
                    partial: None,
                    error,
                    unjournaled: true,
                })?,
        ),
        None => None,
    };
    let written = provider.write_data_model(change).await;
    if let Some(pending) = pending {
        match &written {
            Ok(given) => pending.data_written(given.clone()),
            Err(err) => pending.failed(err),
        }
    }
    written.map_err(Halted::before_any_write)
}

/// A write made: whether the dashboard was then published, or why publishing failed (the
/// write stands, and is journaled).
#[derive(Debug)]
pub struct Written {
    pub published: bool,
    pub publish_error: Option<Error>,
}

/// A write that failed; `partial` is what had been sent before it did.
#[derive(Debug)]
pub struct Halted {
    pub partial: Option<ShareSet>,
    pub error: Error,
    /// The intent could not be journaled, so nothing was sent: a run should start no further
    /// write, since `undo` would not know it.
    pub unjournaled: bool,
}

impl Halted {
    fn before_any_write(error: Error) -> Self {
        Halted {
            partial: None,
            error,
            unjournaled: false,
        }
    }
}

/// Sends one dashboard's write, journaled ahead and after with `journal`, then publishes.
pub async fn write(
    provider: &dyn ShareProvider,
    write: &Write,
    journal: Option<(&WriteAhead<'_>, &Profile)>,
) -> std::result::Result<Written, Halted> {
    let fresh;
    let before = match &write.send {
        Send::Merge { snapshot, reread } => {
            let current = if *reread {
                fresh = provider
                    .read_shares(&snapshot.dashboard)
                    .await
                    .map_err(Halted::before_any_write)?;
                if !fresh.shares.same_as(&snapshot.shares) {
                    return Err(Halted::before_any_write(Error::remote(
                        "its shares changed after it was read, while the run read the other \
                         dashboards; nothing was written to it: apply again",
                    )));
                }
                &fresh
            } else {
                snapshot
            };
            Some(current)
        }
        Send::Blind(_) | Send::Replace => None,
    };
    let pending = match journal {
        Some((ahead, profile)) => Some(
            ahead
                .intent(
                    profile,
                    &write.dashboard,
                    before.map(|current| current.shares.clone()),
                    write.after.clone(),
                    &write.asked,
                    None,
                )
                .await
                .map_err(|error| Halted {
                    partial: None,
                    error,
                    unjournaled: true,
                })?,
        ),
        None => None,
    };
    let sent = match &write.send {
        // Over what was read last: the re-read, if there was one.
        Send::Merge { snapshot, .. } => provider
            .write_shares(before.unwrap_or(snapshot), &write.after)
            .await
            .map_err(Halted::before_any_write),
        Send::Blind(sends) => send_blind(provider, &write.dashboard, sends).await,
        Send::Replace => provider
            .replace_shares(&write.dashboard, &write.after)
            .await
            .map_err(Halted::before_any_write),
    };
    settle(pending, &sent);
    sent?;
    let mut written = Written {
        published: false,
        publish_error: None,
    };
    if write.publish {
        match publish_written(provider, &write.dashboard).await {
            Ok(published) => written.published = published,
            Err(err) => written.publish_error = Some(err),
        }
    }
    Ok(written)
}

/// Journals a write's outcome, when its intent was journaled; what was sent before a failure is
/// what is known to be there.
fn settle(pending: Option<Pending<'_>>, sent: &std::result::Result<(), Halted>) {
    let Some(pending) = pending else {
        return;
    };
    match sent {
        Ok(()) => pending.written(),
        Err(Halted {
            partial: Some(partial),
            ..
        }) => pending.written_as(partial.clone()),
        Err(halted) => pending.failed(&halted.error),
    }
}

/// Sends each batch in turn; a grant's keys are known to be there once its batch is answered.
async fn send_blind(
    provider: &dyn ShareProvider,
    dashboard: &Dashboard,
    sends: &[(BlindChange, Vec<ShareKey>)],
) -> std::result::Result<(), Halted> {
    let mut sent: Vec<Share> = Vec::new();
    for (change, keys) in sends {
        if let Err(error) = provider.send_blind(dashboard, keys, *change).await {
            return Err(Halted {
                partial: (!sent.is_empty()).then(|| ShareSet::new(sent)),
                error,
                unjournaled: false,
            });
        }
        if let BlindChange::Grant(access) = change {
            sent.extend(keys.iter().map(|key| Share {
                key: key.clone(),
                level: Level::Access(*access),
            }));
        }
    }
    Ok(())
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
