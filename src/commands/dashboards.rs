//! `dashboards`: what the profile can see, optionally narrowed by title.

use serde::Serialize;

use crate::cli::{DashboardsArgs, GlobalArgs, OutputFormat};
use crate::error::Result;
use crate::output;
use crate::providers::DashboardSummary;

#[derive(Serialize)]
struct Listing {
    dashboards: Vec<DashboardSummary>,
}

pub async fn run(global: &GlobalArgs, args: &DashboardsArgs) -> Result<()> {
    let (_profile, provider) = super::connect(global)?;
    let dashboards = provider
        .dashboards(args.search.as_deref(), args.all)
        .await?;
    match global.output {
        OutputFormat::Json => output::print_json(&Listing { dashboards }),
        OutputFormat::Table | OutputFormat::Markdown => {
            let rows = dashboards.iter().map(|d| {
                vec![
                    d.id.clone(),
                    d.title.clone(),
                    d.owner.clone().unwrap_or_default(),
                ]
            });
            super::print_listing(global, &output::table(&["id", "title", "owner"], rows))
        }
    }
}
