//! `offboard`: one plan, across every profile given, that takes a leaver's shares away and keeps
//! every other share. The plan is made from the reads `access` makes; each dashboard is read
//! again just before its write and changed by the same plan and write as a `revoke`, so what
//! someone changed meanwhile is kept. A dashboard the leaver owns is given to an heir first
//! (`--transfer-to`, `hand_over`), or kept as asked (`--keep-owned`), or the run is refused
//! before any write.

use std::collections::HashMap;

use futures::StreamExt;
use indicatif::ProgressBar;

use super::reach::Unanswered;
use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::flow::{self, Ask};
use crate::interrupt::Interrupt;
use crate::inventory::read_all;
use crate::model::Principal;
use crate::model::ends::{Asked, Ends};
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::model::{Change, Dashboard, Level, Mode, Share, ShareKey, ShareSet};
use crate::providers::{Connection, Resolved, ShareProvider, Snapshot};
use crate::share_ends::RunEnds;
use crate::write_ahead::WriteAhead;

/// One of the leaver's shares, as the plan found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub profile: String,
    pub dashboard: Dashboard,
    pub level: Level,
}

impl Held {
    pub fn owned(&self) -> bool {
        self.level == Level::Owner
    }

    /// The row that says what the plan does with it: `would write` (its share removed, or the
    /// dashboard given to `heir` and then their entry removed), or `left` for a dashboard the
    /// leaver owns and is kept as asked.
    pub fn planned(&self, principal: &str, heir: Option<&str>) -> OutcomeRow {
        let (result, detail) = match (self.owned(), heir) {
            (true, Some(heir)) => (
                Outcome::WouldWrite,
                format!("give it to {heir}, then remove them"),
            ),
            (true, None) => (
                Outcome::Left,
                "owned by them: kept (--keep-owned)".to_string(),
            ),
            (false, _) => (
                Outcome::WouldWrite,
                format!("remove their {} share", self.level),
            ),
        };
        self.row(principal, result, detail)
    }

    pub fn row(&self, principal: &str, result: Outcome, detail: String) -> OutcomeRow {
        OutcomeRow {
            profile: self.profile.clone(),
            dashboard: self.dashboard.shown(),
            principal: Some(principal.to_string()),
            ends: None,
            result,
            detail,
        }
    }
}

/// Each dashboard of `snapshots` on which `key` has a share (the owner's entry too).
pub fn held(profile: &str, snapshots: &[Snapshot], key: &ShareKey) -> Vec<Held> {
    snapshots
        .iter()
        .filter_map(|snapshot| {
            Some(Held {
                profile: profile.to_string(),
                dashboard: snapshot.dashboard.clone(),
                level: snapshot.shares.get(key)?,
            })
        })
        .collect()
}

/// Takes the leaver's share off one dashboard: read again, planned and written as `revoke`
/// would (journaled with `ahead`; without it, only planned). `ends` are the dashboard's ends.
pub async fn take_away(
    provider: &dyn ShareProvider,
    connection: (&crate::config::Profile, &Held),
    leaver: &Resolved,
    ends: &Ends,
    ahead: Option<&WriteAhead<'_>>,
) -> OutcomeRow {
    let (profile, held) = connection;
    let name = leaver.principal.name();
    let ask = Ask {
        dashboard: &held.dashboard,
        asked: vec![flow::Asked {
            resolved: leaver,
            change: Change::Revoke,
            line: None,
            end: None,
        }],
        mode: Mode::Merge,
        revoke_scope: None,
        additive: false,
        reread: false,
        publish: true,
        ends,
        listed: None,
    };
    let planned = match flow::plan(provider, &ask).await {
        Ok(planned) => planned,
        Err(err) => return held.row(name, Outcome::Failed, err.to_string()),
    };
    let Some(write) = planned.write else {
        let detail = "already without a share (removed since the plan)".to_string();
        return held.row(name, Outcome::Unchanged, detail);
    };
    let Some(ahead) = ahead else {
        return held.planned(name, None);
    };
    match flow::write(provider, &write, Some((ahead, profile))).await {
        Ok(written) => match written.publish_error {
            Some(err) => held.row(name, Outcome::Unpublished, format!("removed: {err}")),
            None => held.row(
                name,
                Outcome::Written,
                format!("removed their {} share", held.level),
            ),
        },
        Err(halted) => held.row(name, Outcome::Failed, halted.error.to_string()),
    }
}

/// Gives a dashboard the leaver owns to `heir` and removes the leaver's entry, in one write of
/// the share set read again just now: its owner is the heir (the vendor's own call makes the
/// owner, in `ShareProvider::write_shares`), the leaver has no entry, every other share stays.
/// The journal holds the set before, so `undo` gives the dashboard back to the leaver.
pub async fn hand_over(
    provider: &dyn ShareProvider,
    (profile, held): (&crate::config::Profile, &Held),
    (leaver, heir): (&Resolved, &Resolved),
    (ends, ahead): (&Ends, Option<&WriteAhead<'_>>),
) -> OutcomeRow {
    let name = leaver.principal.name();
    let heir_name = heir.principal.name();
    let snapshot = match provider.read_shares(&held.dashboard).await {
        Ok(snapshot) => snapshot,
        Err(err) => return held.row(name, Outcome::Failed, err.to_string()),
    };
    match snapshot.shares.get(&leaver.key) {
        Some(Level::Owner) => {}
        // No longer theirs: their share (if any) goes as any other would.
        Some(_) => return take_away(provider, (profile, held), leaver, ends, ahead).await,
        None => {
            let detail = "already without a share (changed since the plan)".to_string();
            return held.row(name, Outcome::Unchanged, detail);
        }
    }
    let Some(ahead) = ahead else {
        return held.planned(name, Some(heir_name));
    };
    let kept = snapshot
        .shares
        .iter()
        .filter(|share| share.key != leaver.key && share.key != heir.key)
        .cloned();
    let owner = Share {
        key: heir.key.clone(),
        level: Level::Owner,
    };
    let write = flow::Write {
        dashboard: snapshot.dashboard.clone(),
        after: ShareSet::new(kept.chain([owner])),
        send: flow::Send::Merge {
            snapshot,
            reread: false,
        },
        publish: true,
        asked: [(leaver.key.clone(), Asked::NoEnd)].into_iter().collect(),
    };
    match flow::write(provider, &write, Some((ahead, profile))).await {
        Ok(written) => match written.publish_error {
            Some(err) => held.row(
                name,
                Outcome::Unpublished,
                format!("given to {heir_name}: {err}"),
            ),
            None => held.row(
                name,
                Outcome::Written,
                format!("given to {heir_name}; their entry removed"),
            ),
        },
        Err(halted) => held.row(name, Outcome::Failed, halted.error.to_string()),
    }
}

/// A principal as one profile knows it: the leaver, or who is given their dashboards.
pub type ByProfile = (String, Resolved);

/// The plan across every profile, made before any write: the leaver's shares found, the leaver
/// and the heir as each profile knows them, and the profiles that could not answer.
#[derive(Default)]
pub struct Plan {
    pub held: Vec<Held>,
    pub leavers: Vec<ByProfile>,
    pub heirs: Vec<ByProfile>,
    /// Profiles whose vendor cannot read shares.
    pub cannot_tell: Vec<Unanswered>,
    /// Profiles that know no such user.
    pub unknown: Vec<Unanswered>,
    /// Dashboards that could not be read.
    pub unread: Vec<Unanswered>,
}

impl Plan {
    /// Adds one profile: the leaver looked up, every dashboard read (as `access` reads them),
    /// the leaver's shares, and, where they own some and `heir` is given, the heir looked up.
    pub async fn survey(
        &mut self,
        (profile, provider): (&Profile, &dyn ShareProvider),
        user: &str,
        heir: Option<&str>,
        concurrency: u16,
        progress: &ProgressBar,
    ) -> Result<()> {
        let principal = Principal::User(user.to_string());
        let Some(leaver) = provider.resolve_principal(&principal).await? else {
            let why = format!("{} knows no user '{user}'", profile.vendor);
            self.unknown.push(unanswered(profile, why));
            return Ok(());
        };
        let read = read_all(provider, None, concurrency, progress).await?;
        (self.unread).extend(
            read.failed
                .into_iter()
                .map(|(id, err)| unanswered(profile, format!("dashboard {id}: {err}"))),
        );
        let found = held(&profile.name, &read.snapshots, &leaver.key);
        if let Some(heir) = heir
            && found.iter().any(Held::owned)
        {
            let heir = find_heir(provider, profile, heir, &leaver).await?;
            self.heirs.push((profile.name.clone(), heir));
        }
        self.held.extend(found);
        self.leavers.push((profile.name.clone(), leaver));
        Ok(())
    }

    fn heir_of(&self, profile: &str) -> Option<&Resolved> {
        (self.heirs.iter())
            .find(|(p, _)| p == profile)
            .map(|(_, heir)| heir)
    }

    /// The shares the run removes: every one of the leaver's but those of dashboards they own
    /// that nobody is given.
    pub fn removals(&self) -> Vec<&Held> {
        (self.held.iter())
            .filter(|h| !h.owned() || self.heir_of(&h.profile).is_some())
            .collect()
    }

    /// What the plan does with each share, as a dry run shows it.
    pub fn rows(&self, user: &str) -> Vec<OutcomeRow> {
        (self.held.iter())
            .map(|h| {
                h.planned(
                    user,
                    self.heir_of(&h.profile).map(|heir| heir.principal.name()),
                )
            })
            .collect()
    }

    /// The refusals before any write: a user nobody knows, a user unknown somewhere (without
    /// `skip_unknown`), dashboards the user owns that nobody is given (without `keep_owned`),
    /// dashboards not read, more removals than `most`.
    pub fn refuse_unsafe(
        &self,
        user: &str,
        (keep_owned, skip_unknown): (bool, bool),
        most: Option<usize>,
    ) -> Result<()> {
        let listed = |list: &[Unanswered]| {
            (list.iter())
                .map(|u| format!("{}: {}", u.profile, u.why))
                .collect::<Vec<_>>()
                .join("\n  ")
        };
        if self.leavers.is_empty() && !self.unknown.is_empty() {
            return Err(Error::not_found(
                Thing::Principal,
                user,
                format!(
                    "no profile knows user '{user}'; nothing was written (`dashshare users \
                     --search …` lists who can be named):\n  {}",
                    listed(&self.unknown)
                ),
            ));
        }
        if !self.unknown.is_empty() && !skip_unknown {
            return Err(Error::not_found(
                Thing::Principal,
                user,
                format!(
                    "user '{user}' is unknown on {}; nothing was written (--skip-unknown goes \
                     ahead on the others):\n  {}",
                    crate::wording::plural(self.unknown.len(), "profile"),
                    listed(&self.unknown)
                ),
            ));
        }
        let owned: Vec<String> = (self.held.iter())
            .filter(|h| h.owned() && self.heir_of(&h.profile).is_none())
            .map(|h| format!("{}: {}", h.profile, h.dashboard.shown()))
            .collect();
        if !owned.is_empty() && !keep_owned {
            return Err(Error::invalid(format!(
                "'{user}' owns {}; nothing was written. An owner's entry cannot be removed: pass \
                 --transfer-to USER to give them to someone, or --keep-owned to leave them:\n  {}",
                crate::wording::plural(owned.len(), "dashboard"),
                owned.join("\n  ")
            )));
        }
        if !self.unread.is_empty() {
            return Err(Error::remote(format!(
                "{} could not be read, so what '{user}' has there is unknown; nothing was \
                 written:\n  {}",
                crate::wording::plural(self.unread.len(), "dashboard"),
                listed(&self.unread)
            )));
        }
        let removals = self.removals().len();
        if let Some(most) = most
            && removals > most
        {
            return Err(Error::invalid(format!(
                "the plan removes {}, more than --max-removals {most}; nothing was written (run \
                 with --dry-run to see them, then raise --max-removals)",
                crate::wording::plural(removals, "share")
            )));
        }
        Ok(())
    }

    /// Each planned change, `concurrency` dashboards at a time, each read again just before its
    /// write and journaled with `ahead`; dashboards kept (`--keep-owned`) are reported as left.
    /// A signal starts no more dashboards; those under way finish and are journaled.
    pub async fn carry_out(
        &self,
        connections: &HashMap<String, Result<Connection>>,
        (ahead, ends): (Option<&WriteAhead<'_>>, &RunEnds),
        interrupt: &Interrupt,
        concurrency: u16,
    ) -> Vec<OutcomeRow> {
        let steps = self.held.iter().map(|held| async move {
            let Some((_, leaver)) = self.leavers.iter().find(|(p, _)| *p == held.profile) else {
                let detail = "the leaver was not looked up on this profile".to_string();
                return held.row("", Outcome::Failed, detail);
            };
            let heir = self.heir_of(&held.profile);
            let name = leaver.principal.name();
            if held.owned() && heir.is_none() {
                return held.planned(name, None);
            }
            if interrupt.stopped().is_some() {
                let detail = "not started: the run was interrupted".to_string();
                return held.row(name, Outcome::NotStarted, detail);
            }
            let (profile, provider) = match connections.get(&held.profile) {
                Some(Ok(connection)) => connection,
                Some(Err(err)) => return held.row(name, Outcome::Failed, err.to_string()),
                None => {
                    let detail = "the profile was never connected".to_string();
                    return held.row(name, Outcome::Failed, detail);
                }
            };
            let url = profile.url.as_str();
            let ends = ends.lock().of_dashboard(url, &held.dashboard.id);
            let connection = (profile, held);
            match heir.filter(|_| held.owned()) {
                Some(heir) => {
                    let journal = (&ends, ahead);
                    hand_over(provider.as_ref(), connection, (leaver, heir), journal).await
                }
                None => take_away(provider.as_ref(), connection, leaver, &ends, ahead).await,
            }
        });
        futures::stream::iter(steps)
            .buffered(usize::from(concurrency))
            .collect()
            .await
    }
}

fn unanswered(profile: &Profile, why: String) -> Unanswered {
    Unanswered {
        profile: profile.name.clone(),
        why,
    }
}

/// Who is given the leaver's dashboards on a profile: `heir` as the vendor knows it, a user
/// other than the leaver, where the vendor can change an owner; else the run is refused.
async fn find_heir(
    provider: &dyn ShareProvider,
    profile: &Profile,
    heir: &str,
    leaver: &Resolved,
) -> Result<Resolved> {
    if !profile.vendor.capabilities().owner_transfer {
        return Err(Error::NotSupported(format!(
            "{} cannot give a dashboard to another owner, so --transfer-to cannot be done on \
             profile '{}'; nothing was written (without --transfer-to, --keep-owned leaves the \
             dashboards as they are)",
            profile.vendor, profile.name
        )));
    }
    let heir = heir.trim();
    let found = provider
        .resolve_principal(&Principal::User(heir.to_string()))
        .await?;
    match found {
        Some(found) if found.key == leaver.key => Err(Error::invalid(format!(
            "--transfer-to '{heir}' is the leaver; name another user"
        ))),
        Some(found) => Ok(found),
        None => Err(Error::not_found(
            Thing::Principal,
            heir,
            format!(
                "--transfer-to: {} knows no user '{heir}' on profile '{}'; nothing was written",
                profile.vendor, profile.name
            ),
        )),
    }
}

/// The line under the rows: what was (or would be) removed, the run to undo, what was kept, and
/// the profiles that could not answer.
pub fn summary(
    plan: &Plan,
    rows: &[OutcomeRow],
    run_id: Option<&str>,
    user: &str,
    took: &str,
) -> String {
    let count = |result: Outcome| rows.iter().filter(|r| r.result == result).count();
    let kept = count(Outcome::Left);
    let mut summary = match run_id {
        None => format!(
            "dry run: {} would be removed; nothing was written",
            crate::wording::plural(count(Outcome::WouldWrite), "share")
        ),
        Some(id) => format!(
            "{} of {} removed in {took}; this is run {id} (undo with `dashshare undo {id}`)",
            rows.iter().filter(|r| r.result.wrote()).count(),
            crate::wording::plural(rows.len() - kept, "share"),
        ),
    };
    if kept > 0 {
        summary.push_str(&format!(
            "\n{} owned by '{user}' kept as they are (--keep-owned)",
            crate::wording::plural(kept, "dashboard"),
        ));
    }
    for u in plan.cannot_tell.iter().chain(&plan.unknown) {
        summary.push_str(&format!("\n{}: {}", u.profile, u.why));
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Access;
    use crate::model::examples::{shares, user};

    #[test]
    fn the_plan_holds_each_dashboard_with_a_share_of_the_leaver_and_marks_what_they_own() {
        let view = Level::Access(Access::View);
        let snapshot = |id: &str, set| Snapshot {
            dashboard: Dashboard {
                id: id.into(),
                title: Some(format!("T{id}")),
            },
            shares: set,
            raw: serde_json::Value::Null,
            names: Default::default(),
        };
        let snapshots = [
            snapshot("d1", shares(&[("bob", view), ("alice", Level::Owner)])),
            snapshot("d2", shares(&[("alice", view)])),
            snapshot("d3", shares(&[("bob", Level::Owner)])),
        ];
        let found = held("p", &snapshots, &user("bob"));
        let seen: Vec<(&str, bool)> = found
            .iter()
            .map(|h| (h.dashboard.id.as_str(), h.owned()))
            .collect();
        assert_eq!(seen, [("d1", false), ("d3", true)]);
        let rows: Vec<Outcome> = found
            .iter()
            .map(|h| h.planned("bob", None).result)
            .collect();
        assert_eq!(rows, [Outcome::WouldWrite, Outcome::Left]);
        assert_eq!(
            found[0].planned("bob", None).detail,
            "remove their view share"
        );
        let given = found[1].planned("bob", Some("carol"));
        assert_eq!(given.result, Outcome::WouldWrite);
        assert_eq!(given.detail, "give it to carol, then remove them");
    }
}
