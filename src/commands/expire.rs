//! `expire`: takes back what timed grants (`grant --for/--until`, an apply file's `expires`)
//! gave, once their time has passed, and only where each share is still exactly as the grant left
//! it; anything else is left, with the reason. Each expiry is carried out once: its write is
//! journaled like any revoke (so `undo` works) and names the grant it settles.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::cli::{ExpireArgs, GlobalArgs, OutputFormat};
use crate::error::{Error, Result};
use crate::flow::{self, Ask, Asked, Send, Write};
use crate::journal::{self, Entry, Expiring, Marks};
use crate::model::{Change, Intent, Level, Mode, Principal, PrincipalKind, ShareKey, ShareSet};
use crate::output;
use crate::providers::{self, Resolved, ShareProvider};
use crate::vendor::Support;
use crate::write_ahead::WriteAhead;

#[derive(Debug, Serialize)]
struct Outcome {
    profile: String,
    dashboard: String,
    principal: String,
    /// When the share's time ends (RFC 3339, UTC).
    ends: String,
    /// `revoked`, `lowered` or `raised` (back to the level before the grant), `sent` (a vendor
    /// that cannot read: not verified), `left` (changed since the grant), `failed`; in a dry run
    /// `would …`.
    result: String,
    detail: String,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    run_id: Option<&'a str>,
    dry_run: bool,
    expired: &'a [Outcome],
}

pub async fn run(global: &GlobalArgs, args: &ExpireArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let by = match &args.at {
        None => Utc::now(),
        Some(text) => by_time(text, Utc::now())?,
    };
    let journal = if args.dry_run {
        super::journal(global)?
    } else {
        super::writable_journal(global)?
    };
    let run_id = journal::new_run_id();
    let command = "expire".to_string();
    if !args.dry_run {
        super::lock_journal(&journal, &args.lock, &run_id, &command).await?;
    }
    let entries = journal.entries()?;
    let due = due(&entries, by);
    let ahead = WriteAhead {
        journal: &journal,
        run_id: &run_id,
        command: &command,
    };
    let mut outcomes = Vec::new();
    let mut written = false;
    // One connection (one login) per profile, however many grants are due on it.
    let mut connections: HashMap<String, Result<Connection>> = HashMap::new();
    for grant in due {
        let connection = connections
            .entry(grant.profile.clone())
            .or_insert_with(|| super::connect_named(global, &grant.profile));
        let ahead = (!args.dry_run).then_some(&ahead);
        let done = take_back(connection.as_ref(), &entries, grant, ahead).await;
        written |= done.written;
        outcomes.extend(done.outcomes);
    }
    let run = written.then_some(run_id.as_str());
    match global.output {
        OutputFormat::Json => output::print_json(&JsonReport {
            run_id: run,
            dry_run: args.dry_run,
            expired: &outcomes,
        })?,
        OutputFormat::Table | OutputFormat::Markdown => {
            let by = args.at.is_some().then_some(by);
            output::print_text(&render(&outcomes, by, run, started.elapsed()))?
        }
    }
    let failed = outcomes.iter().filter(|o| o.result == "failed").count();
    if failed > 0 {
        return Err(Error::remote(format!(
            "{} could not be taken back; `dashshare expire` tries again",
            crate::wording::plural(failed, "expired share")
        )));
    }
    Ok(())
}

/// `--at`: what `--until` or `--for` takes, read as the time the ends are taken back by.
fn by_time(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    flow::timed::Ends::parse(text)
        .and_then(|ends| ends.from(now).map_err(|why| format!("'{text}' {why}")))
        .map_err(|why| Error::invalid(format!("--at {why}")))
}

/// The written grants whose time has passed and that no `expire` has settled yet.
fn due(entries: &[Entry], now: DateTime<Utc>) -> Vec<&Entry> {
    journal::pending_expiries(entries)
        .into_iter()
        .filter(|e| {
            e.marks.expires.as_ref().is_some_and(|expiry| {
                DateTime::parse_from_rfc3339(&expiry.at).is_ok_and(|at| at <= now)
            })
        })
        .collect()
}

struct Done {
    outcomes: Vec<Outcome>,
    written: bool,
}

type Connection = (crate::config::Profile, Box<dyn ShareProvider>);

/// Reads the dashboard, takes back each expired share still as granted, and writes once.
async fn take_back(
    connection: std::result::Result<&Connection, &Error>,
    entries: &[Entry],
    grant: &Entry,
    ahead: Option<&WriteAhead<'_>>,
) -> Done {
    let expiry = grant.marks.expires.as_ref();
    let expiring = expiry.map_or(&[][..], |e| e.shares.as_slice());
    let ends = expiry.map(|e| e.at.clone()).unwrap_or_default();
    let outcome = |principal: String, result: &str, detail: String| Outcome {
        profile: grant.profile.clone(),
        dashboard: grant.dashboard.id.clone(),
        principal,
        ends: ends.clone(),
        result: result.to_string(),
        detail,
    };
    let all_failed = |err: Error| Done {
        outcomes: expiring
            .iter()
            .map(|s| outcome(shown(&s.key), "failed", err.to_string()))
            .collect(),
        written: false,
    };
    let (profile, provider) = match connection {
        Ok(connected) => connected,
        Err(err) => return all_failed(err.clone()),
    };
    if profile.url.as_str() != grant.url {
        return all_failed(Error::invalid(format!(
            "granted on {}, but profile '{}' now reaches {}: left alone",
            grant.url, profile.name, profile.url
        )));
    }
    let planned = match plan(provider.as_ref(), entries, grant, expiring).await {
        Ok(planned) => planned,
        Err(err) => return all_failed(err),
    };
    let dry = ahead.is_none();
    let mut outcomes: Vec<Outcome> = planned
        .steps
        .iter()
        .map(|step| {
            let result = match (dry, step.result) {
                (true, "revoked") => "would revoke",
                (true, "lowered") => "would lower",
                (true, "raised") => "would raise",
                (true, "sent") => "would send",
                (_, result) => result,
            };
            outcome(step.principal.clone(), result, step.detail.clone())
        })
        .collect();
    let Some(ahead) = ahead else {
        return Done {
            outcomes,
            written: false,
        };
    };
    let Some(write) = planned.write else {
        // Everything changed since the grant: settled all the same, so that a later share at
        // the granted level is never taken for this grant's.
        let settles = Marks {
            settles: Some(grant.run_id.clone()),
            ..Marks::default()
        };
        if let Err(err) = ahead.unwritten(profile, &grant.dashboard, planned.read, &settles) {
            for o in outcomes.iter_mut() {
                o.result = "failed".into();
                o.detail = err.to_string();
            }
        }
        return Done {
            outcomes,
            written: false,
        };
    };
    match flow::write(provider.as_ref(), &write, Some((ahead, profile))).await {
        Ok(written) => {
            if let Some(err) = written.publish_error {
                // Written and journaled, but not visible until published: cron must see it.
                for o in outcomes.iter_mut().filter(|o| o.result != "left") {
                    o.result = "failed".into();
                    o.detail = err.to_string();
                }
            }
            Done {
                outcomes,
                written: true,
            }
        }
        Err(halted) => {
            for o in outcomes.iter_mut().filter(|o| o.result != "left") {
                o.result = "failed".into();
                o.detail = halted.error.to_string();
            }
            Done {
                outcomes,
                written: halted.partial.is_some(),
            }
        }
    }
}

struct Step {
    principal: String,
    /// `revoked`, `lowered`, `raised`, `sent` or `left`.
    result: &'static str,
    detail: String,
}

struct Planned {
    steps: Vec<Step>,
    write: Option<Write>,
    /// The shares read, where the vendor can read them.
    read: Option<ShareSet>,
}

async fn plan(
    provider: &dyn ShareProvider,
    entries: &[Entry],
    grant: &Entry,
    expiring: &[Expiring],
) -> Result<Planned> {
    let marks = Marks {
        settles: Some(grant.run_id.clone()),
        ..Marks::default()
    };
    let vendor = provider.vendor();
    if vendor.capabilities().list != Support::Yes {
        // Nothing to compare with: the revoke is sent as the vendor allows, through the plan
        // every command shares (it reads nothing here). One grant gives one access, so the
        // revoke is narrowed to it where the vendor keeps one permission per level. A share a
        // later run asked for anew (sent again, kept, or given another end) is left, as where
        // the shares can be read.
        let mut steps = Vec::new();
        let mut sent = Vec::new();
        for share in expiring {
            match journal::changed_since(entries, grant, &share.key) {
                Some(later) => steps.push(left_by(later, shown(&share.key), &share.key)),
                None => sent.push(share),
            }
        }
        if sent.is_empty() {
            return Ok(Planned {
                steps,
                read: None,
                write: None,
            });
        }
        let resolved: Vec<Resolved> = sent
            .iter()
            .map(|share| Resolved {
                principal: principal_of(&share.key),
                key: share.key.clone(),
            })
            .collect();
        let levels: HashSet<Level> = sent.iter().map(|share| share.granted).collect();
        let revoke_scope = match levels.into_iter().collect::<Vec<_>>().as_slice() {
            [Level::Access(access)] if vendor.capabilities().scoped_revoke => Some(*access),
            _ => None,
        };
        let ask = Ask {
            dashboard: &grant.dashboard,
            asked: resolved
                .iter()
                .map(|resolved| Asked {
                    resolved,
                    change: Change::Revoke,
                    line: None,
                })
                .collect(),
            mode: Mode::Merge,
            revoke_scope,
            additive: false,
            reread: false,
            publish: false,
        };
        let write = flow::plan(provider, &ask)
            .await?
            .write
            .map(|write| Write { marks, ..write });
        steps.extend(sent.iter().map(|share| Step {
            principal: shown(&share.key),
            result: "sent",
            detail: format!("{vendor} cannot read its shares: the revoke could not be verified"),
        }));
        return Ok(Planned {
            steps,
            read: None,
            write,
        });
    }
    let snapshot = provider.read_shares(&grant.dashboard).await?;
    let names = providers::names_for(
        provider,
        snapshot.names.clone(),
        expiring.iter().map(|share| &share.key),
    )
    .await;
    let mut intents = Vec::new();
    let mut steps = Vec::new();
    for share in expiring {
        let name = names
            .get(&share.key)
            .cloned()
            .unwrap_or_else(|| shown(&share.key));
        let current = snapshot.shares.get(&share.key);
        if let Some(later) = journal::changed_since(entries, grant, &share.key) {
            steps.push(left_by(later, name, &share.key));
            continue;
        }
        if current != Some(share.granted) {
            let now = current.map_or("no share".to_string(), |level| level.to_string());
            steps.push(Step {
                principal: name,
                result: "left",
                detail: format!(
                    "changed since the grant (granted {}, now {now}): left as it is",
                    share.granted
                ),
            });
            continue;
        }
        let change = match share.before {
            None => Change::Revoke,
            Some(Level::Access(access)) => Change::Grant(access),
            // A level dashshare never writes (the owner's) cannot have been raised by a grant.
            Some(other) => {
                steps.push(Step {
                    principal: name,
                    result: "left",
                    detail: format!("it was {other} before the grant, which dashshare never sets"),
                });
                continue;
            }
        };
        intents.push(Intent {
            key: share.key.clone(),
            change,
        });
        steps.push(Step {
            principal: name,
            result: match (share.before, share.granted) {
                (None, _) => "revoked",
                // A grant for a time that lowered a share (edit → view) gives it back.
                (Some(Level::Access(before)), Level::Access(granted)) if before > granted => {
                    "raised"
                }
                (Some(_), _) => "lowered",
            },
            detail: match share.before {
                Some(level) => format!("back to {level}, as before the grant"),
                None => String::new(),
            },
        });
    }
    // The same plan as any revoke or grant, with the vendor's own rules.
    let plan = flow::plan_shares(provider, &snapshot.shares, &intents, Mode::Merge, &[])?;
    let read = snapshot.shares.clone();
    Ok(Planned {
        steps,
        read: Some(read),
        write: plan.changes_anything().then(|| Write {
            dashboard: snapshot.dashboard.clone(),
            after: plan.after,
            send: Send::Merge {
                snapshot,
                reread: false,
            },
            publish: true,
            marks,
        }),
    })
}

/// The step for a share a later run decided anew: left, with what that run did.
fn left_by(later: &Entry, principal: String, key: &ShareKey) -> Step {
    Step {
        principal,
        result: "left",
        detail: format!(
            "{} by run {} ({}): left as it is",
            decided(later, key),
            later.run_id,
            later.command
        ),
    }
}

/// What a later run did to a share that makes it no longer a timed grant's to take back.
fn decided(later: &Entry, key: &ShareKey) -> &'static str {
    let given_an_end = later
        .marks
        .expires
        .as_ref()
        .is_some_and(|expiry| expiry.shares.iter().any(|share| &share.key == key));
    let unchanged = later
        .before
        .as_ref()
        .is_some_and(|before| before.get(key) == later.after.get(key));
    // A vendor that cannot read: the later run sent the share again.
    let sent_again = later.before.is_none() && later.after.get(key).is_some();
    match (unchanged, sent_again, given_an_end) {
        (true, _, true) => "given another end since the grant",
        (true, _, false) if later.marks.keeps.contains(key) => {
            "asked for with no end since the grant"
        }
        (_, true, true) => "sent again with another end since the grant",
        (_, true, false) => "sent again with no end since the grant",
        _ => "changed since the grant",
    }
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

fn render(
    outcomes: &[Outcome],
    by: Option<DateTime<Utc>>,
    run_id: Option<&str>,
    took: std::time::Duration,
) -> String {
    if outcomes.is_empty() {
        return match by {
            Some(by) => format!("Nothing ends by {}.", flow::timed::rfc3339(by)),
            None => "Nothing has expired.".to_string(),
        };
    }
    let rows = outcomes.iter().map(|o| {
        vec![
            o.profile.clone(),
            o.dashboard.clone(),
            o.principal.clone(),
            o.ends.clone(),
            o.result.clone(),
            o.detail.clone(),
        ]
    });
    let table = output::table(
        &[
            "profile",
            "dashboard",
            "principal",
            "ends",
            "result",
            "detail",
        ],
        rows,
    );
    match run_id {
        Some(run_id) => format!(
            "{table}\n\nRun {run_id} done in {} (undo with `dashshare undo {run_id}`)",
            crate::wording::elapsed(took)
        ),
        None => table,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{EntryKind, Expiry};
    use crate::model::{Access, PrincipalKind, ShareKey};
    use crate::providers::Dashboard;
    use crate::vendor::Vendor;

    fn grant(run: &str, at: &str) -> Entry {
        Entry {
            run_id: run.into(),
            time: "2026-11-30T00:00:00Z".into(),
            command: "grant d".into(),
            profile: "p".into(),
            vendor: Vendor::Sisense,
            url: "https://bi.example.com/".into(),
            dashboard: Dashboard {
                id: "d".into(),
                title: None,
            },
            before: Some(ShareSet::default()),
            after: ShareSet::default(),
            kind: EntryKind::Written,
            error: None,
            marks: Marks {
                expires: Some(Expiry {
                    at: at.into(),
                    shares: vec![Expiring {
                        key: ShareKey::new(PrincipalKind::User, "u1".to_string()),
                        granted: Level::Access(Access::View),
                        before: None,
                    }],
                }),
                ..Marks::default()
            },
        }
    }

    #[test]
    fn passed_unsettled_grants_are_due_once_answered_or_not() {
        let now = DateTime::parse_from_rfc3339("2026-12-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut intent = grant("r1", "2026-11-30T12:00:00Z");
        intent.kind = EntryKind::Intent;
        let passed = grant("r1", "2026-11-30T12:00:00Z");
        let ahead = grant("r2", "2026-12-02T00:00:00Z");
        // The server may have made a write that was never answered: expire reads it first.
        let mut unanswered = grant("r3", "2026-11-30T12:00:00Z");
        unanswered.kind = EntryKind::Intent;
        let settled = grant("r4", "2026-11-30T12:00:00Z");
        let mut settling = grant("r5", "2026-11-30T12:00:00Z");
        settling.marks = Marks {
            settles: Some("r4".into()),
            ..Marks::default()
        };
        let entries = [intent, passed, ahead, unanswered, settled, settling];
        let due: Vec<(&str, EntryKind)> = due(&entries, now)
            .iter()
            .map(|e| (e.run_id.as_str(), e.kind))
            .collect();
        assert_eq!(due, [("r1", EntryKind::Written), ("r3", EntryKind::Intent)]);
    }
}
