//! `list`: who a dashboard is shared with, by readable name.

use serde::Serialize;

use super::expiries::Expiries;
use crate::cli::{GlobalArgs, ListArgs, OutputFormat};
use crate::error::Result;
use crate::model::{Level, PrincipalKind};
use crate::output;
use crate::providers::{self, Dashboard, Snapshot};

#[derive(Serialize)]
struct Listing {
    dashboard: Dashboard,
    shares: Vec<ShareRow>,
}

#[derive(Serialize)]
struct ShareRow {
    principal: String,
    #[serde(rename = "type")]
    kind: PrincipalKind,
    id: String,
    access: Level,
    /// When a timed grant of this share ends (`grant --for/--until`), until `expire` runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    expires: Option<String>,
}

pub async fn run(global: &GlobalArgs, args: &ListArgs) -> Result<()> {
    let (profile, provider) = super::connect(global)?;
    provider.vendor().ensure_can_list()?;
    let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
    let Snapshot {
        dashboard,
        shares,
        names,
        ..
    } = provider.read_shares(&dashboard).await?;
    let names = providers::names_for(provider.as_ref(), names, shares.iter().map(|s| &s.key)).await;
    let expiries = Expiries::load(global);
    let shares: Vec<ShareRow> = shares
        .iter()
        .map(|share| ShareRow {
            principal: names
                .get(&share.key)
                .cloned()
                .unwrap_or_else(|| share.key.id.clone()),
            kind: share.key.kind,
            id: share.key.id.clone(),
            access: share.level,
            // Only while the share is still as the timed grant left it.
            expires: expiries.of_share(&profile, &dashboard.id, &share.key, share.level),
        })
        .collect();
    let listing = Listing { dashboard, shares };
    match global.output {
        OutputFormat::Json => output::print_json(&listing),
        OutputFormat::Table | OutputFormat::Markdown => {
            let timed = listing.shares.iter().any(|row| row.expires.is_some());
            let rows = listing.shares.iter().map(|row| {
                let mut cells = vec![
                    row.principal.clone(),
                    row.kind.to_string(),
                    row.access.to_string(),
                    row.id.clone(),
                ];
                if timed {
                    cells.push(row.expires.clone().unwrap_or_default());
                }
                cells
            });
            let headers: &[&str] = if timed {
                &["principal", "type", "access", "id", "expires"]
            } else {
                &["principal", "type", "access", "id"]
            };
            super::print_listing(global, &output::table(headers, rows))
        }
    }
}
