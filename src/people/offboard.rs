//! `offboard`: one plan, across every profile given, that takes a leaver's shares away and keeps
//! every other share. The plan is made from the reads `access` makes; each dashboard is read
//! again just before its write and changed by the same plan and write as a `revoke`, so what
//! someone changed meanwhile is kept. Dashboards the leaver owns are never planned as removals:
//! they are refused before any write, or kept as asked (`--keep-owned`).

use crate::flow::{self, Ask};
use crate::model::ends::{Asked, Ends};
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::model::{Change, Dashboard, Level, Mode, Share, ShareKey, ShareSet};
use crate::providers::{Resolved, ShareProvider, Snapshot};
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
    ahead: Option<&WriteAhead<'_>>,
) -> OutcomeRow {
    let name = leaver.principal.name();
    let heir_name = heir.principal.name();
    let snapshot = match provider.read_shares(&held.dashboard).await {
        Ok(snapshot) => snapshot,
        Err(err) => return held.row(name, Outcome::Failed, err.to_string()),
    };
    if snapshot.shares.get(&leaver.key) != Some(Level::Owner) {
        let detail = "no longer theirs (changed since the plan): left as it is".to_string();
        return held.row(name, Outcome::Left, detail);
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
