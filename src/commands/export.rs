//! `export`: every dashboard's current shares, written as the apply file that states them. Where
//! a vendor's listing carries the shares (a Sisense admin's), one request reads them all;
//! elsewhere the dashboards are read many at a time. Principals are named as `apply` looks them
//! up (emails, user names, group names), each looked up once.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use futures::StreamExt;
use indicatif::ProgressBar;

use crate::apply::exported::{self, Exported};
use crate::cli::{ExportArgs, FileFormat, GlobalArgs};
use crate::config::{ENV_PROFILE, Profile};
use crate::error::{Error, Result};
use crate::model::{Level, Principal, PrincipalKind, ShareKey};
use crate::output;
use crate::providers::{self, Dashboard, ShareProvider, Snapshot};
use crate::vendor::{Support, Vendor};

pub async fn run(global: &GlobalArgs, args: &ExportArgs) -> Result<()> {
    let format = file_format(args)?;
    let names: Vec<Option<&str>> = if global.profile.is_empty() {
        vec![None]
    } else {
        global
            .profile
            .iter()
            .map(|name| Some(name.as_str()))
            .collect()
    };
    // A file for one profile names none, so that it applies with any `-p` (another server
    // with the same people); several profiles are told apart by name.
    let several = names.len() > 1;
    let progress = super::progress_bar(global);
    let mut dashboards = Vec::new();
    let mut unread = Vec::new();
    let mut warned_insecure = false;
    for name in names {
        let profile = super::load_profile(global, name)?;
        if !warned_insecure {
            super::warn_if_insecure(global);
            warned_insecure = true;
        }
        if let Some(why) = cannot_export(profile.vendor) {
            note(global, &format!("{}: skipped: {why}", profile.name));
            continue;
        }
        let provider = super::provider_for(global, &profile)?;
        let read = read_all(provider.as_ref(), args, &progress).await?;
        unread.extend(
            read.failed
                .into_iter()
                .map(|(id, err)| format!("{} {id}: {err}", profile.name)),
        );
        let named = principal_names(provider.as_ref(), &read.snapshots, global).await;
        let written_profile = (several && profile.name != ENV_PROFILE).then_some(&profile);
        dashboards.extend(
            read.snapshots
                .iter()
                .map(|snapshot| exported(snapshot, &named, written_profile)),
        );
    }
    progress.finish_and_clear();
    let text = match format {
        FileFormat::Yaml => exported::yaml(&dashboards)?,
        FileFormat::Csv => exported::csv(&dashboards)?,
    };
    match &args.out {
        Some(path) => write_file(path, &text)?,
        None => output::print_text(text.trim_end())?,
    }
    if unread.is_empty() {
        return Ok(());
    }
    Err(Error::remote(format!(
        "{} dashboards could not be read and are not in the file:\n  {}",
        unread.len(),
        unread.join("\n  ")
    )))
}

/// `--format`, else what `--out` ends in, else YAML; an ending that says otherwise is refused
/// rather than written in a format `apply` would not expect from the name.
fn file_format(args: &ExportArgs) -> Result<FileFormat> {
    let ending = args
        .out
        .as_deref()
        .and_then(Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let by_ending = match ending.as_deref() {
        Some("csv") => Some(FileFormat::Csv),
        Some("yaml" | "yml") => Some(FileFormat::Yaml),
        _ => None,
    };
    match (args.format, by_ending, &args.out) {
        (Some(format), Some(ending), Some(path)) if format != ending => {
            Err(Error::invalid(format!(
                "--out {} ends in a different format than --format: `apply` picks the format by \
                 the ending, so make them agree",
                path.display()
            )))
        }
        (Some(format), _, _) => Ok(format),
        (None, Some(ending), _) => Ok(ending),
        (None, None, Some(path)) => Err(Error::invalid(format!(
            "--out {}: an apply file ends in .yaml, .yml or .csv (the ending picks the format)",
            path.display()
        ))),
        (None, None, None) => Ok(FileFormat::Yaml),
    }
}

/// Why a vendor's shares cannot be exported, if they cannot.
fn cannot_export(vendor: Vendor) -> Option<String> {
    match vendor.capabilities().list {
        Support::Yes => None,
        Support::LinksOnly => Some(format!(
            "{vendor} has no per-person shares, only public links (`dashshare link list`)"
        )),
        Support::No | Support::ReplaceOnly => {
            Some(format!("{vendor} cannot read a dashboard's shares"))
        }
    }
}

/// The dashboards read, and those that could not be.
struct Read {
    snapshots: Vec<Snapshot>,
    failed: Vec<(String, Error)>,
}

async fn read_all(
    provider: &dyn ShareProvider,
    args: &ExportArgs,
    progress: &ProgressBar,
) -> Result<Read> {
    let search = args.search.as_deref();
    if let Some(snapshots) = provider.listed_shares(search).await? {
        return Ok(Read {
            snapshots,
            failed: Vec::new(),
        });
    }
    // What this account can see: a Sisense account that is not an admin lists its own and those
    // shared with it (the admin listing was refused above).
    let listed = provider.dashboards(search, false).await?;
    progress.inc_length(listed.len() as u64);
    progress.set_message(format!("{}: reading", provider.vendor()));
    let answers: Vec<(String, Result<Snapshot>)> = futures::stream::iter(listed)
        .map(|summary| async move {
            let dashboard = Dashboard {
                id: summary.id.clone(),
                title: Some(summary.title),
            };
            let read = provider.read_shares(&dashboard).await;
            progress.inc(1);
            (summary.id, read)
        })
        .buffered(usize::from(args.concurrency))
        .collect()
        .await;
    let mut read = Read {
        snapshots: Vec::with_capacity(answers.len()),
        failed: Vec::new(),
    };
    for (id, answer) in answers {
        match answer {
            Ok(snapshot) => read.snapshots.push(snapshot),
            Err(err) => read.failed.push((id, err)),
        }
    }
    Ok(read)
}

/// How `apply` names each principal shared with: the vendor's email or user name, or group
/// name, looked up once per principal for the whole export where the shares did not carry it.
/// One the vendor cannot name is written as its id (which `apply` looks up too), with a warning.
async fn principal_names(
    provider: &dyn ShareProvider,
    snapshots: &[Snapshot],
    global: &GlobalArgs,
) -> HashMap<ShareKey, String> {
    let mut known = HashMap::new();
    let mut keys: BTreeMap<&ShareKey, ()> = BTreeMap::new();
    for snapshot in snapshots {
        for share in snapshot.shares.iter() {
            if share.key.kind != PrincipalKind::Everyone && share.level != Level::Owner {
                keys.insert(&share.key, ());
            }
        }
        known.extend(snapshot.names.clone());
    }
    let named = providers::names_for(provider, known, keys.keys().copied()).await;
    let unnamed: Vec<String> = keys
        .keys()
        .filter(|key| !named.contains_key(**key))
        .map(|key| format!("{} {}", key.kind, key.id))
        .collect();
    if !unnamed.is_empty() {
        note(
            global,
            &format!(
                "warning: {} gave no name for {}; written as ids",
                provider.vendor(),
                unnamed.join(", ")
            ),
        );
    }
    named
}

/// One dashboard's entry: every share but the owner's, by name.
fn exported(
    snapshot: &Snapshot,
    named: &HashMap<ShareKey, String>,
    profile: Option<&Profile>,
) -> Exported {
    let mut shares: Vec<(Principal, crate::model::Access)> = snapshot
        .shares
        .iter()
        .filter_map(|share| {
            let Level::Access(access) = share.level else {
                return None;
            };
            let name = || {
                named
                    .get(&share.key)
                    .cloned()
                    .unwrap_or(share.key.id.clone())
            };
            let principal = match share.key.kind {
                PrincipalKind::User => Principal::User(name()),
                PrincipalKind::Group => Principal::Group(name()),
                PrincipalKind::Everyone => Principal::Everyone,
            };
            Some((principal, access))
        })
        .collect();
    shares.sort();
    Exported {
        profile: profile.map(|p| p.name.clone()),
        dashboard: snapshot.dashboard.id.clone(),
        title: snapshot.dashboard.title.clone(),
        shares,
    }
}

/// Whole or not at all, readable by its owner only (it names people).
fn write_file(path: &Path, text: &str) -> Result<()> {
    crate::private_file::write(path, text.as_bytes())
        .map_err(|err| Error::invalid(format!("cannot write {}: {err}", path.display())))
}

fn note(global: &GlobalArgs, text: &str) {
    if !global.quiet {
        output::print_diagnostic(text);
    }
}
