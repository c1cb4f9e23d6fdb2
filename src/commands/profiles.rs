//! `profile list`: the profiles of the config file, the default one marked.

use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat, ProfileCommand};
use crate::config;
use crate::error::Result;
use crate::output;

#[derive(Serialize)]
struct ListReport<'a> {
    #[serde(flatten)]
    listing: &'a config::Listing,
}

pub fn run(global: &GlobalArgs, command: &ProfileCommand) -> Result<()> {
    match command {
        ProfileCommand::List => list(global),
    }
}

fn list(global: &GlobalArgs) -> Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let listing = config::list_profiles(global.config.as_deref(), &env)?;
    match global.output {
        OutputFormat::Json => output::print_json(&ListReport { listing: &listing }),
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&output::table(
            &["default", "name", "vendor", "url"],
            listing.profiles.iter().map(|profile| {
                vec![
                    if profile.default { "*" } else { "" }.to_string(),
                    profile.name.clone(),
                    profile.vendor.clone(),
                    profile.url.clone().unwrap_or_default(),
                ]
            }),
        )),
    }
}
