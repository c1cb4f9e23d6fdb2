//! `publish`: republish a dashboard whose shares were written but not published (after a refused
//! or failed publish, or `--no-publish`).

use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat, PublishArgs};
use crate::error::{Error, Result};
use crate::output;
use crate::providers::Dashboard;

#[derive(Serialize)]
struct Published {
    dashboard: Dashboard,
    published: bool,
}

pub async fn run(global: &GlobalArgs, args: &PublishArgs) -> Result<()> {
    let (_profile, provider) = super::connect(global)?;
    let vendor = provider.vendor();
    if !vendor.capabilities().publish {
        return Err(Error::NotSupported(format!(
            "{vendor} has no publish step: written shares take effect at once"
        )));
    }
    let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
    provider.publish(&dashboard).await?;
    match global.output {
        OutputFormat::Json => output::print_json(&Published {
            dashboard,
            published: true,
        }),
        OutputFormat::Table | OutputFormat::Markdown => {
            output::print_text(&format!("published dashboard {}", dashboard.id))
        }
    }
}
