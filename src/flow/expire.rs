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
use crate::model::{Change, Intent, Level, Mode, ShareSet};
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
    let planned = match connection {
        Ok((profile, provider)) if profile.url.as_str() == held.url => plan(provider, held, &due)
            .await
            .map(|p| (profile, provider, p)),
        Ok((profile, _)) => Err(Error::invalid(format!(
            "granted on {}, but profile '{}' now reaches {}: left alone",
            held.url, profile.name, profile.url
        ))),
        Err(err) => Err(err.clone()),
    };
    let (profile, provider, mut taking) = match planned {
        Ok(planned) => planned,
        Err(err) => {
            let failed = |end: &&End| taken(held, end, end.key.to_string(), Outcome::Failed, &err);
            return (due.iter().map(failed).collect(), false);
        }
    };
    let Some(ahead) = ahead else {
        return (taking.rows, false);
    };
    let (error, written) = match taking.write {
        // Every share changed since: the ends are settled all the same, with no write; if that
        // fails, they are all still due.
        None => {
            let settled = ahead.settle(profile, &held.dashboard, taking.read, &taking.asked);
            if let Err(err) = settled {
                for row in taking.rows.iter_mut() {
                    (row.result, row.detail) = (Outcome::Failed, err.to_string());
                }
            }
            (None, false)
        }
        // Written and journaled, but not visible until published: cron must see it.
        Some(write) => match super::write(provider, &write, Some((ahead, profile))).await {
            Ok(written) => (written.publish_error, true),
            Err(halted) => (Some(halted.error), halted.partial.is_some()),
        },
    };
    let blind = provider.vendor().capabilities().list != Support::Yes;
    for row in taking.rows.iter_mut() {
        (row.result, row.detail) = match (&error, row.result) {
            (Some(err), Outcome::WouldWrite) => (Outcome::Failed, err.to_string()),
            (_, Outcome::WouldWrite) if blind => (Outcome::Sent, row.detail.clone()),
            (_, Outcome::WouldWrite) => (Outcome::Written, row.detail.clone()),
            (_, result) => (result, row.detail.clone()),
        };
    }
    (taking.rows, written)
}

fn taken(
    held: &Held,
    end: &End,
    who: String,
    result: Outcome,
    detail: impl ToString,
) -> OutcomeRow {
    OutcomeRow {
        profile: held.profile.clone(),
        dashboard: held.dashboard.id.clone(),
        principal: Some(who),
        ends: Some(when::rfc3339(end.at)),
        result,
        detail: detail.to_string(),
    }
}

/// Each due share's outcome as planned, the shares read (none at a vendor that cannot read), the
/// write (`None`: every share changed since) and what it asks of the ends.
struct Taking {
    rows: Vec<OutcomeRow>,
    read: Option<ShareSet>,
    write: Option<Write>,
    asked: AskedEnds,
}

/// The plan of taking back `due`: a revoke where the share is still at the level its grant gave
/// (or a grant back to the level before), through the plan every command shares; at a vendor
/// that cannot read, sent as asked.
async fn plan(provider: &dyn ShareProvider, held: &Held, due: &[&End]) -> Result<Taking> {
    if provider.vendor().capabilities().list != Support::Yes {
        return plan_blind(provider, held, due).await;
    }
    let snapshot = provider.read_shares(&held.dashboard).await?;
    let keys = due.iter().map(|end| &end.key);
    let names = providers::names_for(provider, snapshot.names.clone(), keys).await;
    let mut intents = Vec::new();
    let mut rows = Vec::new();
    for end in due {
        let name = names.get(&end.key).cloned().unwrap_or(end.key.to_string());
        let row = |result, detail: String| taken(held, end, name.clone(), result, detail);
        let current = snapshot.shares.get(&end.key);
        let change = match end.back_to {
            _ if current != Some(end.level) => {
                let now = current.map_or("no share".to_string(), |level| level.to_string());
                let detail = format!("changed since the grant (granted {}, now {now})", end.level);
                rows.push(row(Outcome::Left, format!("{detail}: left as it is")));
                continue;
            }
            None => Change::Revoke,
            Some(Level::Access(before)) => Change::Grant(before),
            // A level dashshare never writes (the owner's) cannot have been raised by a grant.
            Some(other) => {
                let detail = format!("it was {other} before the grant, which dashshare never sets");
                rows.push(row(Outcome::Left, detail));
                continue;
            }
        };
        intents.push(Intent {
            key: end.key.clone(),
            change,
        });
        rows.push(row(Outcome::WouldWrite, what_is_done(end)));
    }
    let plan = super::plan_shares(provider, &snapshot.shares, &intents, Mode::Merge, &[])?;
    // Every due end is asked to end: taken back, or settled where the share changed since.
    let asked: AskedEnds = due
        .iter()
        .map(|end| (end.key.clone(), ends::Asked::NoEnd))
        .collect();
    let write = plan.changes_anything().then(|| Write {
        dashboard: snapshot.dashboard.clone(),
        after: plan.after,
        send: Send::Merge {
            snapshot: snapshot.clone(),
            reread: false,
        },
        publish: true,
        asked: asked.clone(),
    });
    let read = Some(snapshot.shares);
    Ok(Taking {
        rows,
        read,
        write,
        asked,
    })
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
async fn plan_blind(provider: &dyn ShareProvider, held: &Held, due: &[&End]) -> Result<Taking> {
    let vendor = provider.vendor();
    let resolved: Vec<Resolved> = due
        .iter()
        .map(|end| Resolved {
            principal: end.key.principal(None),
            key: end.key.clone(),
        })
        .collect();
    let mut levels: Vec<Level> = due.iter().map(|end| end.level).collect();
    levels.dedup();
    let revoke_scope = match levels.as_slice() {
        [Level::Access(access)] if vendor.capabilities().scoped_revoke => Some(*access),
        _ => None,
    };
    let asked = resolved.iter().map(|resolved| Asked {
        resolved,
        change: Change::Revoke,
        line: None,
        end: None,
    });
    let ask = Ask {
        dashboard: &held.dashboard,
        asked: asked.collect(),
        mode: Mode::Merge,
        revoke_scope,
        additive: false,
        reread: false,
        publish: false,
        ends: &held.ends,
        listed: None,
    };
    let planned = super::plan(provider, &ask).await?;
    let rows = due
        .iter()
        .map(|end| {
            let detail = format!(
                "{}; {vendor} cannot read its shares, so it could not be verified",
                what_is_done(end)
            );
            taken(held, end, end.key.to_string(), Outcome::WouldWrite, detail)
        })
        .collect();
    Ok(Taking {
        rows,
        read: planned.before,
        write: planned.write,
        asked: planned.asked,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::examples::time;
    use crate::model::{Access, Dashboard, PrincipalKind, ShareKey};
    use crate::sandbox::{Sandbox, SandboxOptions, World};
    use crate::vendor::Vendor;

    /// Against the Sisense emulator, with nothing journaled: bob's edit, as granted, would be
    /// taken back; Marketing's end was given to edit, but it has view now; alice has no share;
    /// the fourth end is not due.
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
        let end = |kind, id: &str, access, at: &str| End {
            key: ShareKey::new(kind, id),
            at: time(at),
            level: Level::Access(access),
            back_to: None,
        };
        let (user, group) = (PrincipalKind::User, PrincipalKind::Group);
        let (view, edit, due, later) = (
            Access::View,
            Access::Edit,
            "2099-01-01T00:00:00Z",
            "2099-06-01T00:00:00Z",
        );
        let held = Held {
            url: profile.url.to_string(),
            profile: "sandbox".into(),
            dashboard: Dashboard {
                id: "5829b46bd009e91420000047".into(),
                title: None,
            },
            ends: [
                end(user, "5f0000000000000000000003", edit, due),
                end(group, "6a0000000000000000000001", edit, due),
                end(user, "5f0000000000000000000002", view, due),
                end(user, "5f0000000000000000000006", view, later),
            ]
            .into_iter()
            .collect(),
        };
        let by = time("2099-01-02T00:00:00Z");
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
        assert_eq!(taken[1].detail, "revoked: its time is over");
        let left = &taken[2].detail;
        assert!(left.contains("granted edit, now view"), "{left}");
    }
}
