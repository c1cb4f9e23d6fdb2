//! `export`: every dashboard's current shares, written as the apply file that states them. Where
//! a vendor's listing carries the shares (a Sisense admin's), one request reads them all;
//! elsewhere the dashboards are read many at a time. Principals are named as `apply` looks them
//! up (emails, user names, group names), each looked up once.

use std::collections::HashMap;
use std::path::Path;

use crate::apply::exported::{self, Exported};
use crate::cli::{ExportArgs, FileFormat, GlobalArgs};
use crate::config::{ENV_PROFILE, Profile};
use crate::error::{Error, Result};
use crate::inventory::{cannot_export, note, principal_names, read_all};
use crate::model::{Level, Principal, ShareKey};
use crate::output;
use crate::providers::Snapshot;

pub async fn run(global: &GlobalArgs, args: &ExportArgs) -> Result<()> {
    let format = file_format(args)?;
    super::check_out("--out", args.out.as_deref())?;
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
            note(global.quiet, &format!("{}: skipped: {why}", profile.name));
            continue;
        }
        let provider = super::provider_for(global, &profile)?;
        let read = read_all(
            provider.as_ref(),
            args.search.as_deref(),
            args.concurrency,
            &progress,
        )
        .await?;
        unread.extend(
            read.failed
                .into_iter()
                .map(|(id, err)| format!("{} {id}: {err}", profile.name)),
        );
        let named = principal_names(provider.as_ref(), &read.snapshots, global.quiet).await;
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
        "{} could not be read and {} not in the file:\n  {}",
        crate::wording::plural(unread.len(), "dashboard"),
        crate::wording::is_are(unread.len()),
        unread.join("\n  ")
    )))
}

/// `--format`, else what `--out` ends in, else YAML; an ending that says otherwise is refused
/// rather than written in a format `apply` would not expect from the name.
fn file_format(args: &ExportArgs) -> Result<FileFormat> {
    super::out_format(
        args.format,
        args.out.as_deref(),
        |ending| match ending {
            "csv" => Some(FileFormat::Csv),
            "yaml" | "yml" => Some(FileFormat::Yaml),
            _ => None,
        },
        FileFormat::Yaml,
        (
            "`apply` picks the format by the ending, so make them agree",
            "an apply file ends in .yaml, .yml or .csv (the ending picks the format)",
        ),
    )
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
            Some((share.key.principal(named.get(&share.key)), access))
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
pub(super) fn write_file(path: &Path, text: &str) -> Result<()> {
    crate::private_file::write(path, text.as_bytes())
        .map_err(|err| Error::local_from(format!("cannot write {}: {err}", path.display()), err))
}
