//! `check --all`: every profile of the config file checked at once, one row each. The exit code
//! is the highest of the failures' (3 credentials refused, 2 configuration, 1 server), 0 when
//! every profile passes.

use futures::StreamExt;
use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::config;
use crate::error::{Error, Result};
use crate::output;

/// Profiles checked at once: enough to hide the latency of a few slow logins, few enough not to
/// look like a flood to any one server.
const AT_ONCE: usize = 4;

#[derive(Serialize)]
struct Row {
    profile: String,
    vendor: String,
    url: Option<String>,
    ok: bool,
    /// The account the credentials log in as, when the check passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<RowError>,
}

#[derive(Serialize)]
struct RowError {
    exit_code: u8,
    kind: &'static str,
    message: String,
}

#[derive(Serialize)]
struct AllReport<'a> {
    ok: bool,
    profiles: &'a [Row],
}

pub async fn run(global: &GlobalArgs) -> Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    // $DASHSHARE_PROFILE fills -p too; only a profile named on the command line contradicts --all.
    let named_here = global
        .profile
        .iter()
        .any(|name| env("DASHSHARE_PROFILE").as_deref() != Some(name.as_str()));
    if global.vendor.is_some() || named_here {
        return Err(Error::invalid(
            "check --all checks every profile of the config file; leave out -p/--profile and \
             --vendor (or run `check` on one profile)",
        ));
    }
    let listing = config::list_profiles(global.config.as_deref(), &env)?;
    super::warn_if_insecure(global);
    let checks = listing.profiles.iter().map(|listed| async move {
        let outcome = async {
            let profile = super::load_profile(global, Some(&listed.name))?;
            let provider = super::provider_for(global, &profile)?;
            provider.check().await
        }
        .await;
        (listed, outcome)
    });
    let outcomes: Vec<_> = futures::stream::iter(checks)
        .buffered(AT_ONCE)
        .collect()
        .await;
    let mut worst: Option<Error> = None;
    let mut failed = 0;
    let rows: Vec<Row> = outcomes
        .into_iter()
        .map(|(listed, outcome)| {
            let mut row = Row {
                profile: listed.name.clone(),
                vendor: listed.vendor.clone(),
                url: listed.url.clone(),
                ok: outcome.is_ok(),
                user: None,
                error: None,
            };
            match outcome {
                Ok(identity) => row.user = Some(identity.user),
                Err(err) => {
                    failed += 1;
                    row.error = Some(RowError {
                        exit_code: err.exit_code() as u8,
                        kind: err.kind(),
                        message: err.to_string(),
                    });
                    if worst
                        .as_ref()
                        .is_none_or(|worst| (err.exit_code() as u8) > (worst.exit_code() as u8))
                    {
                        worst = Some(err);
                    }
                }
            }
            row
        })
        .collect();
    match global.output {
        OutputFormat::Json => output::print_json(&AllReport {
            ok: worst.is_none(),
            profiles: &rows,
        })?,
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&output::table(
            &["profile", "vendor", "url", "result"],
            rows.iter().map(|row| {
                vec![
                    row.profile.clone(),
                    row.vendor.clone(),
                    row.url.clone().unwrap_or_default(),
                    match (&row.user, &row.error) {
                        (_, Some(error)) => format!("error: {}", error.message),
                        (Some(user), None) => format!("ok (as {user})"),
                        (None, None) => "ok".to_string(),
                    },
                ]
            }),
        ))?,
    }
    match worst {
        None => Ok(()),
        Some(worst) => Err(worst.and_then_say(format!(
            "{failed} of {} profiles failed the check (the worst is shown; every row is above)",
            rows.len()
        ))),
    }
}
