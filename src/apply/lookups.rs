//! Apply's look-ups, all before any write: each distinct principal once per profile, and each
//! dashboard reference, with references to one dashboard merged so that it is written once.

use std::collections::{BTreeSet, HashMap};

use futures::StreamExt;

use super::connected::Connected;
use super::desired::Wanted;
use crate::error::{Error, Result};
use crate::flow;
use crate::model::Principal;
use crate::providers::{Dashboard, Resolved};

/// One dashboard to work on: the file's targets that turned out to name it.
pub(super) struct Unit {
    pub site: usize,
    pub dashboard: Result<Dashboard>,
    pub targets: Vec<usize>,
}

pub(super) type Lookups<'s> = HashMap<&'s Principal, Result<Option<Resolved>>>;

/// Each distinct principal of each profile, looked up once; a profile's principals go to its
/// provider together, so that a vendor can look many up in one request.
pub(super) async fn resolve_principals(sites: &[Connected], width: usize) -> Vec<Lookups<'_>> {
    futures::future::join_all(sites.iter().map(|connected| async move {
        let distinct: Vec<&Principal> = connected
            .site
            .targets
            .iter()
            .flat_map(|t| &t.wanted)
            .map(|w| &w.principal)
            .collect::<BTreeSet<&Principal>>()
            .into_iter()
            .collect();
        let asked: Vec<Principal> = distinct.iter().map(|p| (*p).clone()).collect();
        let answers = connected.provider.resolve_principals(&asked, width).await;
        // One answer per principal, in order; a principal a provider left unanswered is absent
        // from the look-ups, so its rows fail as never looked up.
        distinct.into_iter().zip(answers).collect::<Lookups>()
    }))
    .await
}

/// Every target's dashboard; targets that name the same dashboard (by id and by title) become one
/// unit, so that it is read and written once.
pub(super) async fn resolve_dashboards(sites: &[Connected], width: usize) -> Vec<Unit> {
    let references: Vec<(usize, usize)> = sites
        .iter()
        .enumerate()
        .flat_map(|(site, c)| (0..c.site.targets.len()).map(move |target| (site, target)))
        .collect();
    let mut found: Vec<(usize, usize, Result<Dashboard>)> = futures::stream::iter(references)
        .map(|(site, target)| async move {
            let reference = &sites[site].site.targets[target].dashboard;
            let dashboard = sites[site].provider.resolve_dashboard(reference).await;
            (site, target, dashboard)
        })
        .buffer_unordered(width)
        .collect()
        .await;
    found.sort_by_key(|(site, target, _)| (*site, *target));
    let mut units: Vec<Unit> = Vec::new();
    let mut by_id: HashMap<(usize, String), usize> = HashMap::new();
    for (site, target, dashboard) in found {
        if let Ok(resolved) = &dashboard {
            if let Some(&at) = by_id.get(&(site, resolved.id.clone())) {
                units[at].targets.push(target);
                continue;
            }
            by_id.insert((site, resolved.id.clone()), units.len());
        }
        units.push(Unit {
            site,
            dashboard,
            targets: vec![target],
        });
    }
    units
}

/// The looked-up principals, in the order of `wanted`; fails naming every one not found.
pub(super) fn looked_up(
    lookups: &Lookups<'_>,
    provider: &dyn crate::providers::ShareProvider,
    wanted: &[Wanted],
) -> Result<Vec<Resolved>> {
    let mut resolved = Vec::with_capacity(wanted.len());
    let mut missing = Vec::new();
    for w in wanted {
        match lookups.get(&w.principal) {
            Some(Ok(Some(found))) => resolved.push(found.clone()),
            Some(Ok(None)) => missing.push((&w.principal, Some(w.line))),
            Some(Err(err)) => return Err(err.clone()),
            None => {
                return Err(Error::remote(format!(
                    "{} was never looked up",
                    w.principal
                )));
            }
        }
    }
    if !missing.is_empty() {
        return Err(flow::not_found(provider, &missing));
    }
    Ok(resolved)
}
