//! Taking back what shares given for a time gave, once their end has come: per dashboard, the
//! ends due (`share_ends`) become an ordinary revoke plan (or a grant back to the level before)
//! and one `write`, where each share is still at the level its grant gave; a share changed since
//! is left, with the reason. Either way its end is settled by the same journal line.

use chrono::{DateTime, Utc};

use super::{Ask, Asked, Send, Write};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::model::ends::{self, AskedEnds, End};
use crate::model::outcome::{Outcome, OutcomeRow};
use crate::model::when;
use crate::model::{Change, Intent, Level, Mode, Principal, PrincipalKind, ShareKey};
use crate::providers::{self, Resolved, ShareProvider};
use crate::share_ends::Held;
use crate::vendor::Support;
use crate::write_ahead::WriteAhead;

/// Takes back the ends of `held` due by `by`, over the connection to its profile; journaled with
/// `ahead`, or only planned without it (`would write`). Each share's outcome, and whether
/// anything was written.
pub async fn take_back(
    connection: std::result::Result<(&Profile, &dyn ShareProvider), &Error>,
    held: &Held,
    by: DateTime<Utc>,
    ahead: Option<&WriteAhead<'_>>,
) -> (Vec<OutcomeRow>, bool) {
    let due: Vec<&End> = held.ends.iter().filter(|end| end.at <= by).collect();
    let failed = |err: &Error| -> Vec<OutcomeRow> {
        due.iter()
            .map(|end| taken(held, end, shown(&end.key), Outcome::Failed, err.to_string()))
            .collect()
    };
    let (profile, provider) = match connection {
        Ok(connected) => connected,
        Err(err) => return (failed(err), false),
    };
    if profile.url.as_str() != held.url {
        let err = Error::invalid(format!(
            "granted on {}, but profile '{}' now reaches {}: left alone",
            held.url, profile.name, profile.url
        ));
        return (failed(&err), false);
    }
    let (mut outcomes, write, blind) = match plan(provider, held, &due).await {
        Ok(planned) => planned,
        Err(err) => return (failed(&err), false),
    };
    let Some(ahead) = ahead else {
        return (outcomes, false);
    };
    let mut settle_all = |err: Option<&Error>| {
        for o in outcomes
            .iter_mut()
            .filter(|o| o.result == Outcome::WouldWrite)
        {
            (o.result, o.detail) = match err {
                Some(err) => (Outcome::Failed, err.to_string()),
                None if blind => (Outcome::Sent, o.detail.clone()),
                None => (Outcome::Written, o.detail.clone()),
            };
        }
    };
    let written = match write {
        Planned::Settle(read, asked) => {
            // Every share changed since: the ends are settled all the same, with no write.
            if let Err(err) = ahead.settle(profile, &held.dashboard, read, &asked) {
                for o in outcomes.iter_mut() {
                    o.result = Outcome::Failed;
                    o.detail = err.to_string();
                }
            }
            false
        }
        Planned::Write(write) => {
            match super::write(provider, write.as_ref(), Some((ahead, profile))).await {
                Ok(written) => {
                    // Written and journaled, but not visible until published: cron must see it.
                    settle_all(written.publish_error.as_ref());
                    true
                }
                Err(halted) => {
                    settle_all(Some(&halted.error));
                    halted.partial.is_some()
                }
            }
        }
    };
    (outcomes, written)
}

enum Planned {
    Write(Box<Write>),
    /// Nothing to write: the shares read (none at a vendor that cannot read) and the ends asked.
    Settle(Option<crate::model::ShareSet>, AskedEnds),
}

fn taken(held: &Held, end: &End, principal: String, result: Outcome, detail: String) -> OutcomeRow {
    OutcomeRow {
        profile: held.profile.clone(),
        dashboard: held.dashboard.id.clone(),
        principal: Some(principal),
        ends: Some(when::rfc3339(end.at)),
        result,
        detail,
    }
}

/// Every due end is asked to end: taken back, or settled where the share changed since.
fn asked_of(due: &[&End]) -> AskedEnds {
    due.iter()
        .map(|end| (end.key.clone(), ends::Asked::NoEnd))
        .collect()
}

async fn plan(
    provider: &dyn ShareProvider,
    held: &Held,
    due: &[&End],
) -> Result<(Vec<OutcomeRow>, Planned, bool)> {
    let vendor = provider.vendor();
    if vendor.capabilities().list != Support::Yes {
        let (outcomes, planned) = plan_blind(provider, held, due).await?;
        return Ok((outcomes, planned, true));
    }
    let snapshot = provider.read_shares(&held.dashboard).await?;
    let keys = due.iter().map(|end| &end.key);
    let names = providers::names_for(provider, snapshot.names.clone(), keys).await;
    let mut intents = Vec::new();
    let mut outcomes = Vec::new();
    for end in due {
        let name = names
            .get(&end.key)
            .cloned()
            .unwrap_or_else(|| shown(&end.key));
        let current = snapshot.shares.get(&end.key);
        if current != Some(end.level) {
            let now = current.map_or("no share".to_string(), |level| level.to_string());
            let detail = format!(
                "changed since the grant (granted {}, now {now}): left as it is",
                end.level
            );
            outcomes.push(taken(held, end, name, Outcome::Left, detail));
            continue;
        }
        let change = match end.back_to {
            None => Change::Revoke,
            Some(Level::Access(before)) => Change::Grant(before),
            // A level dashshare never writes (the owner's) cannot have been raised by a grant.
            Some(other) => {
                let detail = format!("it was {other} before the grant, which dashshare never sets");
                outcomes.push(taken(held, end, name, Outcome::Left, detail));
                continue;
            }
        };
        intents.push(Intent {
            key: end.key.clone(),
            change,
        });
        outcomes.push(taken(
            held,
            end,
            name,
            Outcome::WouldWrite,
            what_is_done(end),
        ));
    }
    // The same plan as any revoke or grant, with the vendor's own rules.
    let plan = super::plan_shares(provider, &snapshot.shares, &intents, Mode::Merge, &[])?;
    let asked = asked_of(due);
    if !plan.changes_anything() {
        return Ok((
            outcomes,
            Planned::Settle(Some(snapshot.shares), asked),
            false,
        ));
    }
    let write = Write {
        dashboard: snapshot.dashboard.clone(),
        after: plan.after,
        send: Send::Merge {
            snapshot,
            reread: false,
        },
        publish: true,
        asked,
    };
    Ok((outcomes, Planned::Write(Box::new(write)), false))
}

/// What taking the share back does: revokes it, or gives back the level it had before.
fn what_is_done(end: &End) -> String {
    match (end.back_to, end.level) {
        (None, _) => "revoked: its time is over".into(),
        (Some(Level::Access(before)), Level::Access(granted)) if before > granted => {
            format!("raised back to {before}, as before the grant")
        }
        (Some(before), _) => format!("lowered back to {before}, as before the grant"),
    }
}

/// At a vendor that cannot read, there is nothing to compare with: the revoke is sent through
/// the plan every command shares, narrowed to the granted access where the vendor keeps one
/// permission per level.
async fn plan_blind(
    provider: &dyn ShareProvider,
    held: &Held,
    due: &[&End],
) -> Result<(Vec<OutcomeRow>, Planned)> {
    let vendor = provider.vendor();
    let resolved: Vec<Resolved> = due
        .iter()
        .map(|end| Resolved {
            principal: principal_of(&end.key),
            key: end.key.clone(),
        })
        .collect();
    let mut levels: Vec<Level> = due.iter().map(|end| end.level).collect();
    levels.dedup();
    let revoke_scope = match levels.as_slice() {
        [Level::Access(access)] if vendor.capabilities().scoped_revoke => Some(*access),
        _ => None,
    };
    let ask = Ask {
        dashboard: &held.dashboard,
        asked: resolved
            .iter()
            .map(|resolved| Asked {
                resolved,
                change: Change::Revoke,
                line: None,
                end: None,
            })
            .collect(),
        mode: Mode::Merge,
        revoke_scope,
        additive: false,
        reread: false,
        publish: false,
        ends: &held.ends,
    };
    let planned = super::plan(provider, &ask).await?;
    let outcomes = due
        .iter()
        .map(|end| {
            let detail = format!(
                "{}; {vendor} cannot read its shares, so it could not be verified",
                what_is_done(end)
            );
            taken(held, end, shown(&end.key), Outcome::WouldWrite, detail)
        })
        .collect();
    let planned = match planned.write {
        Some(write) => Planned::Write(Box::new(write)),
        None => Planned::Settle(None, planned.asked),
    };
    Ok((outcomes, planned))
}

/// The principal a share key stands for, by id (a vendor that cannot read names none).
fn principal_of(key: &ShareKey) -> Principal {
    match key.kind {
        PrincipalKind::User => Principal::User(key.id.clone()),
        PrincipalKind::Group => Principal::Group(key.id.clone()),
        PrincipalKind::Everyone => Principal::Everyone,
    }
}

/// A share's principal where no name is known: its kind and id.
fn shown(key: &ShareKey) -> String {
    format!("{} {}", key.kind, key.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Access, Dashboard};
    use crate::sandbox::{Sandbox, SandboxOptions, World};
    use crate::vendor::Vendor;

    const VIEW: Level = Level::Access(Access::View);
    const EDIT: Level = Level::Access(Access::Edit);

    /// Against the Sisense emulator, with nothing journaled: bob's edit, as granted, would be
    /// taken back; Marketing's end was given to edit, but it has view now; alice has no share.
    #[tokio::test]
    async fn due_ends_become_a_revoke_plan_where_each_share_is_still_as_granted() {
        let world = World::seeded();
        let account = world.sisense.admin.clone();
        let sandbox = Sandbox::start(world, &SandboxOptions::default())
            .await
            .unwrap();
        let profile = Profile {
            name: "sandbox".into(),
            vendor: Vendor::Sisense,
            url: sandbox.url(Vendor::Sisense).parse().unwrap(),
            username: Some(account.username),
            password: Some(account.password.into()),
            api_key: None,
            token: None,
            settings: Default::default(),
            rate_limit: None,
            timeout: None,
        };
        let provider = providers::connect(&profile, &Default::default()).unwrap();
        let by = DateTime::parse_from_rfc3339("2099-01-02T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let end = |kind, id: &str, level, day: &str| End {
            key: ShareKey::new(kind, id),
            at: DateTime::parse_from_rfc3339(day)
                .unwrap()
                .with_timezone(&Utc),
            level,
            back_to: None,
        };
        let held = Held {
            url: profile.url.to_string(),
            profile: "sandbox".into(),
            dashboard: Dashboard {
                id: "5829b46bd009e91420000047".into(),
                title: None,
            },
            ends: [
                end(
                    PrincipalKind::User,
                    "5f0000000000000000000003",
                    EDIT,
                    "2099-01-01T00:00:00Z",
                ),
                end(
                    PrincipalKind::Group,
                    "6a0000000000000000000001",
                    EDIT,
                    "2099-01-01T00:00:00Z",
                ),
                end(
                    PrincipalKind::User,
                    "5f0000000000000000000002",
                    VIEW,
                    "2099-01-01T00:00:00Z",
                ),
                // Not due by then.
                end(
                    PrincipalKind::User,
                    "5f0000000000000000000006",
                    VIEW,
                    "2099-06-01T00:00:00Z",
                ),
            ]
            .into_iter()
            .collect(),
        };
        let (taken, written) = take_back(Ok((&profile, provider.as_ref())), &held, by, None).await;
        assert!(!written);
        let shown: Vec<(&str, &str)> = taken
            .iter()
            .map(|t| (t.principal.as_deref().unwrap(), t.result.as_str()))
            .collect();
        assert_eq!(
            shown,
            [
                ("alice@example.com", "left"),
                ("bob@example.com", "would write"),
                ("Marketing", "left"),
            ]
        );
        assert!(
            taken[2].detail.contains("granted edit, now view"),
            "{}",
            taken[2].detail
        );
    }
}
