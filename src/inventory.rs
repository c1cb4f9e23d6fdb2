//! What `export` and `report` both read: every dashboard's shares on one profile, from the
//! vendor's listing where it carries them, else read many at a time; and each principal's name
//! as `apply` looks it up, once per run.

use std::collections::{BTreeMap, HashMap};

use futures::StreamExt;
use indicatif::ProgressBar;

use crate::error::{Error, Result};
use crate::model::{Level, PrincipalKind, ShareKey};
use crate::output;
use crate::providers::{self, Dashboard, ShareProvider, Snapshot};
use crate::vendor::{Support, Vendor};

/// Why a vendor's shares cannot be exported, if they cannot.
pub fn cannot_export(vendor: Vendor) -> Option<String> {
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
pub struct Read {
    pub snapshots: Vec<Snapshot>,
    pub failed: Vec<(String, Error)>,
}

/// Every dashboard's shares (those whose title contains `search`), `concurrency` reads at a time.
pub(crate) async fn read_all(
    provider: &dyn ShareProvider,
    search: Option<&str>,
    concurrency: u16,
    progress: &ProgressBar,
) -> Result<Read> {
    if let Some(snapshots) = provider.listed_shares(search).await? {
        return Ok(Read {
            snapshots,
            failed: Vec::new(),
        });
    }
    // What this account can see: a Sisense account that is not an admin lists its own and those
    // shared with it (the admin listing was refused above).
    let listed = provider.dashboards(search, false).await?;
    crate::terminal::grow(progress, listed.len() as u64);
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
        .buffered(usize::from(concurrency))
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
pub(crate) async fn principal_names(
    provider: &dyn ShareProvider,
    snapshots: &[Snapshot],
    quiet: bool,
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
        .map(|key| key.to_string())
        .collect();
    if !unnamed.is_empty() {
        note(
            quiet,
            &format!(
                "warning: {} gave no name for {}; written as ids",
                provider.vendor(),
                unnamed.join(", ")
            ),
        );
    }
    named
}

/// A line on stderr for people, unless `-q`.
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        output::print_diagnostic(text);
    }
}
