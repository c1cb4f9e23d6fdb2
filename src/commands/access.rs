//! `access --user U | --group G`: every dashboard the principal has a share on, per profile,
//! with the level (`owner` for the owner's entry) and any end. The shares come from the same
//! reads as `export` (`inventory::read_all`: the vendor's listing where it carries them, else each
//! dashboard); profiles whose vendor cannot read shares are named and skipped.

use serde::Serialize;

use super::inventory::{cannot_export, note, read_all};
use crate::cli::{AccessArgs, AccessFormat, GlobalArgs, OutputFormat};
use crate::error::{Error, Result, Thing};
use crate::model::{Level, Principal, PrincipalKind, ShareKey};
use crate::output::{self, escape};
use crate::providers::{self, ShareProvider, Snapshot};
use crate::share_ends::ShareEnds;

/// One share that reaches the principal.
#[derive(Debug, Serialize)]
struct Reach {
    profile: String,
    dashboard: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    /// `view`, `edit`, or `owner`.
    access: String,
    owner: bool,
    /// The group (or `everyone`) the share is on, where it reaches a user through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

/// A profile whose answer is not in the rows, and why.
#[derive(Debug, Serialize)]
struct Unanswered {
    profile: String,
    why: String,
}

pub async fn run(global: &GlobalArgs, args: &AccessArgs) -> Result<()> {
    let principal = match (&args.user, &args.group) {
        (Some(user), _) => Principal::User(named("--user", user)?),
        (None, Some(group)) => Principal::Group(named("--group", group)?),
        (None, None) => return Err(Error::invalid("name --user U or --group G")),
    };
    let who = format!("{} '{}'", principal.kind(), principal.name());
    let profiles: Vec<Option<&str>> = match global.profile.as_slice() {
        [] => vec![None],
        names => names.iter().map(|name| Some(name.as_str())).collect(),
    };
    let ends = super::ends_shown(global);
    let progress = super::progress_bar(global);
    let (mut reaches, mut skipped, mut unknown, mut unread) = (vec![], vec![], vec![], vec![]);
    super::warn_if_insecure(global);
    for name in &profiles {
        let profile = super::load_profile(global, *name)?;
        if let Some(why) = cannot_export(profile.vendor) {
            let why = format!(
                "{why}, so it cannot tell what {who} has there: check the vendor's own \
                 admin, or revoke there by name (`dashshare revoke DASHBOARD`)"
            );
            note(global, &format!("{}: skipped: {why}", profile.name));
            skipped.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        }
        let provider = super::provider_for(global, &profile)?;
        let Some(resolved) = provider.resolve_principal(&principal).await? else {
            let why = format!("{} knows no {who}", profile.vendor);
            note(global, &format!("{}: {why}", profile.name));
            unknown.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        };
        let groups = match args.via_groups {
            true => through(provider.as_ref(), &resolved.key, global, &profile.name).await,
            false => Vec::new(),
        };
        let read = read_all(provider.as_ref(), None, args.concurrency, &progress).await?;
        unread.extend(read.failed.into_iter().map(|(id, err)| Unanswered {
            profile: profile.name.clone(),
            why: format!("dashboard {id}: {err}"),
        }));
        let found = reaching(&read.snapshots, &resolved.key, &groups);
        let keys = found.iter().filter_map(|(_, _, via)| via.as_ref());
        let known = read
            .snapshots
            .iter()
            .flat_map(|s| s.names.clone())
            .collect();
        let names = providers::names_for(provider.as_ref(), known, keys).await;
        let url = profile.url.as_str();
        reaches.extend(found.into_iter().map(|(snapshot, level, via)| {
            let key = via.as_ref().unwrap_or(&resolved.key);
            Reach {
                profile: profile.name.clone(),
                dashboard: snapshot.dashboard.id.clone(),
                title: snapshot.dashboard.title.clone(),
                access: level.to_string(),
                owner: level == Level::Owner,
                via: via.as_ref().map(|via| shown(via, &names)),
                expires: ShareEnds::shown_end(&ends, url, &snapshot.dashboard.id, key, level),
            }
        }));
    }
    progress.finish_and_clear();
    for u in &unread {
        note(global, &format!("{}: not read: {}", u.profile, u.why));
    }
    if unknown.len() == profiles.len() {
        return Err(Error::not_found(
            Thing::Principal,
            principal.name(),
            format!(
                "{who} is not known on {}: check the spelling (`dashshare {}s --search …` \
                 lists who can be named)",
                match profiles.len() {
                    1 => "this profile".to_string(),
                    n => format!("any of the {n} profiles"),
                },
                principal.kind()
            ),
        ));
    }
    print(
        global,
        args,
        &principal,
        &reaches,
        [&skipped, &unknown, &unread],
    )?;
    if !unread.is_empty() {
        return Err(Error::remote(format!(
            "{} could not be read, so the list may lack shares there (see above)",
            crate::wording::plural(unread.len(), "dashboard")
        )));
    }
    Ok(())
}

fn named(flag: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(Error::invalid(format!("{flag} is empty: name a principal")));
    }
    Ok(value.to_string())
}

/// The shares through which a user reaches dashboards besides their own: their groups (where
/// the vendor's user answer tells them) and everyone.
async fn through(
    provider: &dyn ShareProvider,
    user: &ShareKey,
    global: &GlobalArgs,
    profile: &str,
) -> Vec<ShareKey> {
    if user.kind != PrincipalKind::User {
        return Vec::new();
    }
    let mut keys = vec![ShareKey::everyone()];
    match provider.memberships(user).await {
        Some(groups) => keys.extend(
            groups
                .into_iter()
                .map(|id| ShareKey::new(PrincipalKind::Group, id)),
        ),
        None => note(
            global,
            &format!(
                "{profile}: {} does not say which groups a user is in: only their own shares and \
                 those with everyone are listed",
                provider.vendor()
            ),
        ),
    }
    keys
}

/// Each share of `snapshots` that is `key`'s own (`via` none) or one of `through`'s.
fn reaching<'s>(
    snapshots: &'s [Snapshot],
    key: &ShareKey,
    through: &[ShareKey],
) -> Vec<(&'s Snapshot, Level, Option<ShareKey>)> {
    let mut found = Vec::new();
    for snapshot in snapshots {
        for share in snapshot.shares.iter() {
            if share.key == *key {
                found.push((snapshot, share.level, None));
            } else if through.contains(&share.key) {
                found.push((snapshot, share.level, Some(share.key.clone())));
            }
        }
    }
    found
}

fn shown(key: &ShareKey, names: &std::collections::HashMap<ShareKey, String>) -> String {
    match key.kind {
        PrincipalKind::Everyone => "everyone".to_string(),
        _ => format!("group {}", names.get(key).unwrap_or(&key.id)),
    }
}

fn print(
    global: &GlobalArgs,
    args: &AccessArgs,
    principal: &Principal,
    reaches: &[Reach],
    [skipped, unknown, unread]: [&[Unanswered]; 3],
) -> Result<()> {
    if args.format == Some(AccessFormat::Csv) {
        return output::print_text(&csv(reaches)?);
    }
    let timed = reaches.iter().any(|r| r.expires.is_some());
    let via = reaches.iter().any(|r| r.via.is_some());
    let mut headers = vec!["profile", "dashboard", "title", "access"];
    headers.extend(via.then_some("via"));
    headers.extend(timed.then_some("expires"));
    let cells = |r: &Reach| {
        let mut row = vec![
            r.profile.clone(),
            r.dashboard.clone(),
            r.title.clone().unwrap_or_default(),
            r.access.clone(),
        ];
        if via {
            row.push(r.via.clone().unwrap_or_default());
        }
        if timed {
            row.push(r.expires.clone().unwrap_or_default());
        }
        row
    };
    let said: Vec<String> = [
        (skipped, "skipped"),
        (unknown, "unknown"),
        (unread, "unread"),
    ]
    .iter()
    .flat_map(|(list, what)| {
        list.iter()
            .map(move |u| format!("{what}: {}: {}", u.profile, u.why))
    })
    .collect();
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "principal": principal.name(),
            "kind": principal.kind(),
            "shares": reaches,
            "skipped": skipped,
            "unknown": unknown,
            "unread": unread,
        })),
        OutputFormat::Markdown => {
            let rows = reaches
                .iter()
                .map(|r| cells(r).iter().map(|c| escape::markdown(c)).collect());
            let mut text = format!(
                "### {} {}: {}\n\n",
                principal.kind(),
                escape::markdown(principal.name()),
                crate::wording::plural(reaches.len(), "share")
            );
            if !reaches.is_empty() {
                text.push_str(&output::markdown_table(&headers, rows));
            }
            for line in &said {
                text.push_str(&format!("\n- {}", escape::markdown(line)));
            }
            output::print_text(text.trim_end())
        }
        OutputFormat::Table if reaches.is_empty() => output::print_text(&format!(
            "{} '{}' has no share on any dashboard read.",
            principal.kind(),
            principal.name()
        )),
        OutputFormat::Table => {
            let table = output::table(&headers, reaches.iter().map(cells));
            super::print_listing(global, &table)
        }
    }
}

/// The rows for a spreadsheet: every column, each cell made safe from formulas.
fn csv(reaches: &[Reach]) -> Result<String> {
    let failed = |err: &dyn std::fmt::Display| Error::local(format!("cannot write the CSV: {err}"));
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    let header = [
        "profile",
        "dashboard",
        "title",
        "access",
        "owner",
        "via",
        "expires",
    ];
    writer.write_record(header).map_err(|err| failed(&err))?;
    for r in reaches {
        let owner = if r.owner { "yes" } else { "" };
        let record = [
            r.profile.as_str(),
            &r.dashboard,
            r.title.as_deref().unwrap_or_default(),
            &r.access,
            owner,
            r.via.as_deref().unwrap_or_default(),
            r.expires.as_deref().unwrap_or_default(),
        ];
        let record = record.map(escape::formula_safe);
        writer
            .write_record(record.iter().map(|c| c.as_ref()))
            .map_err(|err| failed(&err))?;
    }
    let bytes = writer.into_inner().map_err(|err| failed(&err))?;
    String::from_utf8(bytes).map_err(|err| failed(&err))
}
