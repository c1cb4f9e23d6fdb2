//! `access --user U | --group G`: every dashboard the principal has a share on, per profile,
//! with the level (`owner` for the owner's entry) and any end. The shares come from the same
//! reads as `export` (`inventory::read_all`: the vendor's listing where it carries them, else each
//! dashboard); profiles whose vendor cannot read shares are named and skipped.

use crate::cli::{AccessArgs, AccessFormat, GlobalArgs, OutputFormat};
use crate::error::{Error, Result, Thing};
use crate::inventory::{cannot_export, note, read_all};
use crate::model::{Level, Principal};
use crate::output;
use crate::people::reach::{self, Reach, Unanswered};
use crate::providers;
use crate::share_ends::ShareEnds;

pub async fn run(global: &GlobalArgs, args: &AccessArgs) -> Result<()> {
    let principal = match (&args.user, &args.group) {
        (Some(user), _) => Principal::User(named("--user", user)?),
        (None, Some(group)) => Principal::Group(named("--group", group)?),
        (None, None) => return Err(Error::invalid("name --user U or --group G")),
    };
    let who = format!("{} '{}'", principal.kind(), principal.name());
    let profiles = super::profiles_named(global);
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
            note(global.quiet, &format!("{}: skipped: {why}", profile.name));
            skipped.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        }
        let provider = super::provider_for(global, &profile)?;
        let Some(resolved) = provider.resolve_principal(&principal).await? else {
            let why = format!("{} knows no {who}", profile.vendor);
            note(global.quiet, &format!("{}: {why}", profile.name));
            unknown.push(Unanswered {
                profile: profile.name,
                why,
            });
            continue;
        };
        let groups = match args.via_groups {
            true => {
                reach::through(
                    provider.as_ref(),
                    &resolved.key,
                    global.quiet,
                    &profile.name,
                )
                .await
            }
            false => Vec::new(),
        };
        let read = read_all(provider.as_ref(), None, args.concurrency, &progress).await?;
        unread.extend(read.failed.into_iter().map(|(id, err)| Unanswered {
            profile: profile.name.clone(),
            why: format!("dashboard {id}: {err}"),
        }));
        let found = reach::reaching(&read.snapshots, &resolved.key, &groups);
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
                via: via.as_ref().map(|via| reach::via(via, &names)),
                expires: ShareEnds::shown_end(&ends, url, &snapshot.dashboard.id, key, level),
            }
        }));
    }
    progress.finish_and_clear();
    for u in &unread {
        note(global.quiet, &format!("{}: not read: {}", u.profile, u.why));
    }
    // Profiles that could be asked, and none knows the principal.
    if !unknown.is_empty() && unknown.len() == profiles.len() - skipped.len() {
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

fn print(
    global: &GlobalArgs,
    args: &AccessArgs,
    principal: &Principal,
    reaches: &[Reach],
    [skipped, unknown, unread]: [&[Unanswered]; 3],
) -> Result<()> {
    if args.format == Some(AccessFormat::Csv) {
        return output::print_text(&reach::csv(reaches)?);
    }
    let who = format!("{} {}", principal.kind(), principal.name());
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
            let lists = [
                (skipped, "skipped"),
                (unknown, "unknown"),
                (unread, "unread"),
            ];
            let said: Vec<String> = (lists.iter())
                .flat_map(|(list, what)| {
                    (list.iter()).map(move |u| format!("{what}: {}: {}", u.profile, u.why))
                })
                .collect();
            output::print_text(&reach::markdown(&who, reaches, &said))
        }
        OutputFormat::Table if reaches.is_empty() => {
            output::print_text(&format!("{who} has no share on any dashboard read."))
        }
        OutputFormat::Table => {
            let (headers, cells) = reach::columns(reaches);
            super::print_listing(global, &output::table(&headers, cells))
        }
    }
}
