//! `users` and `groups`: the principals a profile can name, from the vendor's own listing; a
//! vendor without one is refused (exit 2, naming it) before any request.

use crate::cli::{GlobalArgs, OutputFormat, PrincipalsArgs};
use crate::error::{Error, Result};
use crate::model::PrincipalKind;
use crate::output;

pub async fn run(global: &GlobalArgs, kind: PrincipalKind, args: &PrincipalsArgs) -> Result<()> {
    let (profile, provider) = super::connect(global)?;
    if !profile.vendor.capabilities().principals.contains(&kind) {
        let (flag, instead) = match kind {
            PrincipalKind::User => ("--user", "the vendor's own user admin"),
            _ => ("--group", "the vendor's own group admin"),
        };
        return Err(Error::NotSupported(format!(
            "{} has no listing of {kind}s, so profile '{}' cannot list them: {flag} takes the \
             {kind} as the vendor names it (see {instead}); see `dashshare vendors`",
            profile.vendor, profile.name
        )));
    }
    let search = args
        .search
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let named = provider.principals(kind, search).await?;
    let plural = format!("{kind}s");
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({ plural: named })),
        OutputFormat::Table | OutputFormat::Markdown => {
            if named.is_empty() {
                let text = match search {
                    Some(search) => format!(
                        "No {kind} of profile '{}' matches '{search}'.",
                        profile.name
                    ),
                    None => format!("Profile '{}' can name no {kind}.", profile.name),
                };
                return output::print_text(&text);
            }
            let users = kind == PrincipalKind::User;
            let rows = named.iter().map(|n| {
                let mut row = vec![n.name.clone(), n.id.clone()];
                if users {
                    row.push(n.display_name.clone().unwrap_or_default());
                    let inactive = n.active == Some(false);
                    row.push(if inactive { "inactive" } else { "" }.to_string());
                }
                row
            });
            let headers: &[&str] = if users {
                &["name", "id", "display name", "status"]
            } else {
                &["name", "id"]
            };
            super::print_listing(global, &output::table(headers, rows))
        }
    }
}
