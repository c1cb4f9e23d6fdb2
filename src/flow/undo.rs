//! Putting a run's dashboards back (`undo RUN_ID`): each to its share set before the run, but
//! only where it is still as the run left it, on the same server (unless `force`), so that later
//! changes are not lost unseen. A write the run sent but never heard back about (it was killed,
//! or the request failed) is settled by reading the server: if the dashboard holds what the write
//! meant to make it, it is undone like a written one. Each share put back gets the end it had
//! before the run. The command (`commands/undo.rs`) connects, asks and reports.

use std::collections::HashMap;

use futures::StreamExt;
use indicatif::ProgressBar;
use serde::Serialize;

use super::{Send, Write, timed};
use crate::config::Profile;
use crate::confirm::Removal;
use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::interrupt::Interrupt;
use crate::journal::{Entry, EntryKind};
use crate::model::ends::{Asked, AskedEnds, Ends};
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::model::{ShareKey, ShareSet};
use crate::providers::{Connection, ShareProvider, Snapshot};
use crate::share_ends::ShareEnds;
use crate::write_ahead::WriteAhead;

/// One dashboard of the run, and what became of it: undo's results are per dashboard.
#[derive(Debug, Serialize)]
pub struct Undone {
    #[serde(flatten)]
    pub row: OutcomeRow,
    /// In a plan: the shares putting the dashboard back removes, for the question on a terminal.
    #[serde(skip)]
    pub removing: Vec<Removal>,
}

/// Dashboards put back at once.
const CONCURRENCY: usize = 8;

/// Every dashboard of the run, a few at a time, in the run's order; none starts after a signal.
pub async fn undo_all(
    targets: &[Target],
    connections: &HashMap<String, Result<Connection>>,
    how: &How<'_>,
    interrupt: &Interrupt,
    progress: &ProgressBar,
) -> Vec<Undone> {
    futures::stream::iter(targets)
        .map(|target| {
            let connection = connections.get(&target.first.profile);
            async move {
                match interrupt.stopped() {
                    Some(signal) => undone(
                        target,
                        Outcome::NotStarted,
                        format!("interrupted by {}", signal.name()),
                    ),
                    None => {
                        let outcome = undo_one(connection, target, how).await;
                        progress.inc(1);
                        outcome
                    }
                }
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await
}

/// How the undo goes: `ahead` is `None` in a dry run, which writes and journals nothing.
pub struct How<'a> {
    pub force: bool,
    pub ahead: Option<&'a WriteAhead<'a>>,
    /// The ends shares had just before the undone run: those it puts back end again.
    pub ends: &'a ShareEnds,
}

/// One dashboard of the run, with the states the run may have left it in.
pub struct Target {
    /// The run's first line for the dashboard: where it is, and its share set before the run.
    pub first: Entry,
    /// What the run's last confirmed write left (`None`: no write was confirmed).
    written: Option<ShareSet>,
    /// What a last write that was never confirmed meant to leave: it may or may not be there.
    unanswered: Option<ShareSet>,
    /// Another writer changed the dashboard between two writes of the run (`apply --verify` wrote
    /// the run's shares again over that change): putting it back would drop that change.
    overwritten: bool,
    /// The entries the run gave on the dashboard's data model (`grant --with-data`), each taken
    /// back where it is still as the run left it.
    models: Vec<ModelWrite>,
    /// Whether the run wrote (or meant to write) the dashboard's shares: a target of data-model
    /// lines alone has none to put back.
    shares: bool,
}

/// One data model's write of the run: what it gave, as its outcome line says, or (no outcome:
/// the run stopped before the answer, or the request failed) what it meant to give.
struct ModelWrite {
    change: DataModelChange,
    answered: bool,
}

impl Target {
    /// Whether `current` is a state the run left (or may have left).
    fn left(&self, current: &ShareSet) -> bool {
        [&self.written, &self.unanswered]
            .into_iter()
            .flatten()
            .any(|state| current.same_as(state))
    }
}

/// Each dashboard of the run once, its lines in the journal's order.
pub fn targets(entries: Vec<Entry>) -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    let mut index_of: HashMap<(String, String), usize> = HashMap::new();
    for entry in entries {
        let key = (entry.profile.clone(), entry.dashboard.id.clone());
        let index = *index_of.entry(key).or_insert_with(|| {
            targets.push(Target {
                first: entry.clone(),
                written: None,
                unanswered: None,
                overwritten: false,
                models: Vec::new(),
                shares: false,
            });
            targets.len() - 1
        });
        let target = &mut targets[index];
        // A data model's write changed none of the dashboard's shares: it has no say in them.
        // Its outcome line says what it gave, over what its intent meant to.
        if let Some(change) = entry.data_model {
            let answered = entry.kind == EntryKind::Written;
            match target
                .models
                .iter_mut()
                .rfind(|write| !write.answered && write.change.model == change.model)
            {
                Some(write) if answered => *write = ModelWrite { change, answered },
                Some(_) if entry.kind == EntryKind::Failed => {}
                _ => target.models.push(ModelWrite { change, answered }),
            }
            continue;
        }
        // The run's first line for the dashboard's shares is where they stood before it.
        if !target.shares {
            target.first = entry.clone();
            target.shares = true;
        }
        // A new write (an intent, or a line of a journal from before intents) that did not start
        // from what the run's previous write left.
        let starts_a_write = entry.kind == EntryKind::Intent
            || (entry.kind == EntryKind::Written && target.unanswered.is_none());
        if let (true, Some(left), Some(before)) = (
            starts_a_write,
            target.written.as_ref().or(target.unanswered.as_ref()),
            entry.before.as_ref(),
        ) && !before.same_as(left)
        {
            target.overwritten = true;
        }
        match entry.kind {
            EntryKind::Written => {
                target.written = Some(entry.after);
                target.unanswered = None;
            }
            EntryKind::Intent | EntryKind::Failed => target.unanswered = Some(entry.after),
        }
    }
    targets
}

async fn undo_one(
    connection: Option<&Result<Connection>>,
    target: &Target,
    how: &How<'_>,
) -> Undone {
    let outcome = |result, detail| undone(target, result, detail);
    if !target.shares {
        let outcome = outcome(Outcome::Unchanged, "its shares: the run wrote none".into());
        return undo_models(connection, target, how, outcome).await;
    }
    let outcome = match restore(connection, target, how).await {
        Ok(Restore::Unchanged) if target.written.is_none() => outcome(
            Outcome::Unchanged,
            "never written: the run's write did not reach the server".into(),
        ),
        Ok(Restore::Unchanged) => outcome(Outcome::Unchanged, "already as before the run".into()),
        Ok(Restore::Planned { removing, ends }) => Undone {
            removing,
            ..outcome(Outcome::WouldWrite, restore_detail(target, &ends))
        },
        Ok(Restore::Written {
            publish_error: None,
            ends,
        }) => outcome(Outcome::Written, restore_detail(target, &ends)),
        Ok(Restore::Written {
            publish_error: Some(err),
            ..
        }) => outcome(Outcome::Unpublished, format!("put back: {err}")),
        Err(err) => outcome(Outcome::Refused, err.to_string()),
    };
    undo_models(connection, target, how, outcome).await
}

fn undone(target: &Target, result: Outcome, detail: String) -> Undone {
    Undone {
        row: OutcomeRow {
            profile: target.first.profile.clone(),
            dashboard: target.first.dashboard.id.clone(),
            principal: None,
            ends: None,
            result,
            detail,
        },
        removing: Vec::new(),
    }
}

/// Takes back the entries the run gave on data models, after the dashboard's own outcome, and
/// says so in it: on the server the run wrote to (as `restore` checks), and, for a write the run
/// never heard the answer to, only with `--force` (another may have given those entries since).
async fn undo_models(
    connection: Option<&Result<Connection>>,
    target: &Target,
    how: &How<'_>,
    mut outcome: Undone,
) -> Undone {
    if target.models.is_empty() {
        return outcome;
    }
    let (profile, provider) = match same_server(connection, &target.first, how) {
        Ok(found) => found,
        Err(err) => {
            outcome.row.result = Outcome::Refused;
            outcome.row.detail = format!("{}; data models: {err}", outcome.row.detail);
            return outcome;
        }
    };
    let dry_run = how.ahead.is_none();
    for write in &target.models {
        let model = &write.change.model.title;
        if !write.answered && !how.force {
            outcome.row.result = Outcome::Refused;
            outcome.row.detail = format!(
                "{}; data model {model}: the run never heard whether its write was made, and \
                 another may have given those entries since (--force takes them back anyway)",
                outcome.row.detail
            );
            continue;
        }
        let undone = match how.ahead {
            None => provider.undo_data_model(&write.change, true).await,
            Some(ahead) => undo_model(provider, profile, ahead, &target.first, &write.change).await,
        };
        // A person at a terminal sees the model entries the undo takes out, as it sees shares.
        if let Ok(undone) = &undone
            && dry_run
        {
            outcome.removing.extend(
                undone
                    .entries
                    .iter()
                    .filter(|entry| entry.after.is_none())
                    .map(|entry| Removal {
                        dashboard: format!("data model {model}"),
                        principal: entry.key.id.clone(),
                        kind: entry.key.kind,
                        level: None,
                    }),
            );
        }
        let said = match undone {
            Ok(undone) if !undone.entries.is_empty() => {
                if outcome.row.result == Outcome::Unchanged {
                    outcome.row.result = Outcome::write(dry_run);
                }
                if dry_run {
                    format!("data model {model}: the run's entries would be taken back")
                } else {
                    format!("data model {model}: the run's entries taken back")
                }
            }
            Ok(_) => format!("data model {model}: already as before the run"),
            Err(err) => {
                outcome.row.result = Outcome::Refused;
                format!("data model {model}: {err}")
            }
        };
        outcome.row.detail = format!("{}; {said}", outcome.row.detail);
    }
    outcome
}

/// Takes a model's entries back, journaled ahead (what a dry read says it would do) and after
/// (what it did) on a line of the undo's own run, so that undoing the undo gives them again.
async fn undo_model(
    provider: &dyn ShareProvider,
    profile: &Profile,
    ahead: &WriteAhead<'_>,
    first: &Entry,
    change: &DataModelChange,
) -> Result<DataModelChange> {
    let planned = provider.undo_data_model(change, true).await?;
    if planned.entries.is_empty() {
        return Ok(planned);
    }
    // The line changes none of the dashboard's shares: its sets are one set.
    let shares = first.before.clone().unwrap_or_default();
    let pending = ahead
        .intent(
            profile,
            &first.dashboard,
            Some(shares.clone()),
            shares,
            &AskedEnds::new(),
            Some(planned),
        )
        .await?;
    let undone = provider.undo_data_model(change, false).await;
    match &undone {
        Ok(undone) => pending.data_written(undone.clone()),
        Err(err) => pending.failed(err),
    }
    undone
}

fn restore_detail(target: &Target, ends: &EndsBack) -> String {
    let mut detail = match target.written {
        None => {
            "put back as before the run (its write was never confirmed, but the server holds it)"
                .to_string()
        }
        Some(_) => "put back as before the run".to_string(),
    };
    if let Some(at) = &ends.soonest {
        let (count, until) = (ends.timed, timed::rfc3339(*at));
        let when = match ends.apart {
            true => format!("the soonest until {until}"),
            false => format!("until {until}"),
        };
        detail.push_str(&format!(
            "; {} given for a time again, {when}",
            crate::wording::plural(count, "share")
        ));
    }
    detail
}

/// What an undo does to the ends of the shares it puts back: what it asks of them, and how many
/// end again, the soonest when.
struct EndsBack {
    asked: AskedEnds,
    timed: usize,
    soonest: Option<chrono::DateTime<chrono::Utc>>,
    /// Whether they end at different times.
    apart: bool,
}

impl EndsBack {
    /// Each share putting `before` back over `current` changes gets the end it had before the
    /// run (`earlier`), where it had one at that level.
    fn of(earlier: &Ends, before: &ShareSet, current: &ShareSet) -> EndsBack {
        let keys: std::collections::BTreeSet<&ShareKey> = before
            .iter()
            .chain(current.iter())
            .map(|share| &share.key)
            .filter(|key| before.get(key) != current.get(key))
            .collect();
        let asked: AskedEnds = keys
            .into_iter()
            .map(|key| {
                let end = earlier.holding(key, before.get(key)).cloned();
                (key.clone(), Asked::Back(end))
            })
            .collect();
        let ats: Vec<_> = asked
            .values()
            .filter_map(|asked| match asked {
                Asked::Back(Some(end)) => Some(end.at),
                _ => None,
            })
            .collect();
        EndsBack {
            timed: ats.len(),
            soonest: ats.iter().min().copied(),
            apart: ats.iter().any(|at| Some(at) != ats.first()),
            asked,
        }
    }
}

enum Restore {
    Unchanged,
    /// A dry run: the dashboard would be put back, removing these shares.
    Planned {
        removing: Vec<Removal>,
        ends: EndsBack,
    },
    Written {
        publish_error: Option<Error>,
        ends: EndsBack,
    },
}

/// The connection of the run's profile, if it still reaches the vendor and server the run
/// wrote to (`--force` allows another server).
fn same_server<'c>(
    connection: Option<&'c Result<Connection>>,
    entry: &Entry,
    how: &How<'_>,
) -> Result<(&'c Profile, &'c dyn ShareProvider)> {
    let Some(connection) = connection else {
        return Err(Error::NotSupported(format!(
            "{} cannot read its shares, so what was there before the run is unknown",
            entry.vendor
        )));
    };
    let (profile, provider) = connection.as_ref().map_err(Clone::clone)?;
    if profile.vendor != entry.vendor {
        return Err(Error::invalid(format!(
            "profile '{}' is now a {} profile, but the run wrote to {}",
            entry.profile, profile.vendor, entry.vendor
        )));
    }
    let url = profile.url.to_string();
    if !how.force && !entry.url.is_empty() && entry.url != url {
        return Err(Error::invalid(format!(
            "the run wrote to {}, but profile '{}' now points at {url}; pass the run's --config, \
             or --force to put the state there anyway",
            entry.url, entry.profile
        )));
    }
    Ok((profile, provider.as_ref()))
}

async fn restore(
    connection: Option<&Result<Connection>>,
    target: &Target,
    how: &How<'_>,
) -> Result<Restore> {
    let entry = &target.first;
    let Some(before) = &entry.before else {
        return Err(Error::NotSupported(format!(
            "{} cannot read its shares, so what was there before the run is unknown",
            entry.vendor
        )));
    };
    let (profile, provider) = same_server(connection, entry, how)?;
    let snapshot = provider.read_shares(&entry.dashboard).await?;
    if snapshot.shares.same_as(before) {
        return Ok(Restore::Unchanged);
    }
    if !how.force && target.overwritten {
        return Err(Error::invalid(
            "another writer changed its shares between two writes of the run (apply --verify \
             wrote the run's shares again over that change); putting it back would undo that \
             change too (--force does it anyway)",
        ));
    }
    if !how.force && !target.left(&snapshot.shares) {
        return Err(Error::invalid(
            "its shares changed after the run; putting it back would undo those changes too \
             (--force does it anyway)",
        ));
    }
    let earlier = how.ends.of_dashboard(&entry.url, &entry.dashboard.id);
    let ends = EndsBack::of(&earlier, before, &snapshot.shares);
    let Some(ahead) = how.ahead else {
        let removed: Vec<&ShareKey> = snapshot
            .shares
            .iter()
            .map(|share| &share.key)
            .filter(|key| before.get(key).is_none())
            .collect();
        let names = crate::providers::names_for(provider, snapshot.names.clone(), removed).await;
        return Ok(Restore::Planned {
            removing: removing(&snapshot, before, &names),
            ends,
        });
    };
    let restore = Write {
        dashboard: entry.dashboard.clone(),
        after: before.clone(),
        send: Send::Merge {
            snapshot,
            reread: false,
        },
        publish: true,
        asked: ends.asked.clone(),
    };
    let publish_error = super::write(provider, &restore, Some((ahead, profile)))
        .await
        .map_err(|halted| halted.error)?
        .publish_error;
    Ok(Restore::Written {
        publish_error,
        ends,
    })
}

/// The shares on the dashboard now that putting `before` back removes.
fn removing(
    snapshot: &Snapshot,
    before: &ShareSet,
    names: &HashMap<ShareKey, String>,
) -> Vec<Removal> {
    let dashboard = snapshot.dashboard.shown();
    snapshot
        .shares
        .iter()
        .filter(|share| before.get(&share.key).is_none())
        .map(|share| Removal {
            dashboard: dashboard.clone(),
            principal: names
                .get(&share.key)
                .cloned()
                .unwrap_or_else(|| share.key.id.clone()),
            kind: share.key.kind,
            level: Some(share.level),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ends::End;
    use crate::model::examples::{shares as set, user as key};
    use crate::model::{Access, Level};

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    fn line(kind: EntryKind, before: ShareSet, after: ShareSet) -> Entry {
        crate::journal::examples::line(kind, before, after)
    }

    #[test]
    fn a_run_s_lines_tell_what_it_left_and_whether_another_wrote_between() {
        let (none, alice, both) = (
            set(&[]),
            set(&[("alice", VIEW)]),
            set(&[("alice", VIEW), ("bob", VIEW)]),
        );
        // Written, then an intent never answered: either state may be there.
        let targets = targets(vec![
            line(EntryKind::Intent, none.clone(), alice.clone()),
            line(EntryKind::Written, none.clone(), alice.clone()),
            line(EntryKind::Intent, alice.clone(), both.clone()),
        ]);
        let [target] = targets.as_slice() else {
            panic!("one dashboard")
        };
        assert!(target.left(&alice) && target.left(&both) && !target.left(&none));
        assert!(!target.overwritten);
        assert_eq!(target.first.before.as_ref(), Some(&none));
        // A second write that did not start from what the first left: another wrote between.
        let carol = set(&[("carol", EDIT)]);
        let targets = targets_of(&none, &alice, &carol);
        assert!(targets[0].overwritten);
    }

    fn targets_of(none: &ShareSet, alice: &ShareSet, other: &ShareSet) -> Vec<Target> {
        targets(vec![
            line(EntryKind::Intent, none.clone(), alice.clone()),
            line(EntryKind::Written, none.clone(), alice.clone()),
            line(EntryKind::Intent, other.clone(), alice.clone()),
            line(EntryKind::Written, other.clone(), alice.clone()),
        ])
    }

    #[test]
    fn each_share_put_back_gets_the_end_it_had_at_that_level() {
        let at = |day: u32| {
            chrono::DateTime::parse_from_rfc3339(&format!("2099-01-{day:02}T00:00:00Z"))
                .unwrap()
                .with_timezone(&chrono::Utc)
        };
        let end = |id: &str, day, level| End {
            key: key(id),
            at: at(day),
            level,
            back_to: None,
        };
        // Before the run: alice at view until the 3rd, bob at view until the 5th, carol at edit
        // with an end given to view (not hers). The run removed all three; dave stays.
        let earlier: Ends = [
            end("alice", 3, VIEW),
            end("bob", 5, VIEW),
            end("carol", 1, VIEW),
        ]
        .into_iter()
        .collect();
        let before = set(&[
            ("alice", VIEW),
            ("bob", VIEW),
            ("carol", EDIT),
            ("dave", VIEW),
        ]);
        let current = set(&[("dave", VIEW)]);
        let back = EndsBack::of(&earlier, &before, &current);
        assert_eq!(
            (back.timed, back.soonest, back.apart),
            (2, Some(at(3)), true)
        );
        let asked: Vec<(&str, bool)> = back
            .asked
            .iter()
            .map(|(key, asked)| (key.id.as_str(), matches!(asked, Asked::Back(Some(_)))))
            .collect();
        assert_eq!(asked, [("alice", true), ("bob", true), ("carol", false)]);
    }
}
