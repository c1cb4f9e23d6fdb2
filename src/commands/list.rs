//! `list`: who a dashboard is shared with, by readable name.

use serde::Serialize;

use crate::cli::{GlobalArgs, ListArgs, OutputFormat};
use crate::error::Result;
use crate::model::{Level, PrincipalKind, ShareKey};
use crate::output;
use crate::providers::{self, Dashboard, DataMark, Reach, Snapshot};

#[derive(Serialize)]
struct Listing {
    dashboard: Dashboard,
    shares: Vec<ShareRow>,
    /// Why the dashboard's data model could not be read: who can query it is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    data_unreadable: Option<String>,
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
    /// Whether the principal can also query the dashboard's data model (Sisense).
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<DataMark>,
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
    let expiries = super::ends_shown(global);
    // The owner built the dashboard on its model: only shares are asked about.
    let keys: Vec<ShareKey> = shares
        .iter()
        .filter(|share| share.level != Level::Owner)
        .map(|share| share.key.clone())
        .collect();
    let access = provider.data_access(&dashboard, &keys).await;
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
            expires: expiries.shown_end(
                profile.url.as_str(),
                &dashboard.id,
                &share.key,
                share.level,
            ),
            data: access
                .as_ref()
                .filter(|_| share.level != Level::Owner)
                .map(|access| DataMark {
                    model: access.model.clone(),
                    reach: access.of(&share.key),
                    given: false,
                }),
        })
        .collect();
    let listing = Listing {
        dashboard,
        shares,
        data_unreadable: access.and_then(|access| access.unreadable),
    };
    match global.output {
        OutputFormat::Json => output::print_json(&listing),
        OutputFormat::Table | OutputFormat::Markdown => {
            let timed = listing.shares.iter().any(|row| row.expires.is_some());
            // The data column shows only where someone cannot query the model (or it is not
            // known): the rows an access review must find.
            let marked = listing
                .shares
                .iter()
                .any(|row| row.data.as_ref().is_some_and(DataMark::wants_attention));
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
                if marked {
                    cells.push(data_cell(row.data.as_ref()));
                }
                cells
            });
            let mut headers = vec!["principal", "type", "access", "id"];
            if timed {
                headers.push("expires");
            }
            let model = listing.shares.iter().find_map(|row| row.data.as_ref());
            let data_header = model.map(|mark| format!("data ({})", mark.model));
            if marked && let Some(header) = &data_header {
                headers.push(header);
            }
            let mut text = output::table(&headers, rows);
            if let Some(why) = &listing.data_unreadable {
                text.push_str(&format!(
                    "\nnote: the data model could not be read ({why}): who can query it is unknown"
                ));
            }
            super::print_listing(global, &text)
        }
    }
}

/// How a principal reaches the data model, for the table: blank where it does.
fn data_cell(mark: Option<&DataMark>) -> String {
    match mark.map(|mark| mark.reach) {
        Some(Reach::None) => "no access".into(),
        Some(Reach::Unknown) => "unknown".into(),
        _ => String::new(),
    }
}
