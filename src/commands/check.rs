//! `check`: log in once and say whether the profile works.

use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::error::Result;
use crate::output;
use crate::vendor::Vendor;

#[derive(Serialize)]
struct CheckReport<'a> {
    ok: bool,
    profile: &'a str,
    vendor: Vendor,
    url: &'a str,
    user: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

pub async fn run(global: &GlobalArgs) -> Result<()> {
    let (profile, provider) = super::connect(global)?;
    let identity = provider.check().await?;
    let report = CheckReport {
        ok: true,
        profile: &profile.name,
        vendor: profile.vendor,
        url: profile.url.as_str(),
        user: &identity.user,
        detail: identity.detail.as_deref(),
    };
    match global.output {
        OutputFormat::Json => output::print_json(&report),
        OutputFormat::Table => output::print_text(&format!(
            "ok: profile '{}' reaches {} at {} as {}{}",
            report.profile,
            report.vendor,
            report.url,
            report.user,
            report.detail.map(|d| format!(" ({d})")).unwrap_or_default()
        )),
    }
}
