//! `link create|list|update|revoke`: public share links (mindzie).

use chrono::Utc;
use secrecy::SecretString;

use crate::cli::{ExpiryArgs, GlobalArgs, LinkCommand, OutputFormat};
use crate::error::{Error, Result};
use crate::links::{self, Link, LinkSettings};
use crate::output;

pub async fn run(global: &GlobalArgs, command: &LinkCommand) -> Result<()> {
    // Every check of the input comes before the first request.
    match command {
        LinkCommand::Create(args) => {
            let settings = LinkSettings {
                allow_embedding: Some(!args.no_embed),
                allow_download: Some(args.allow_download),
                allow_print: Some(!args.no_print),
                expires: Some(expiry(&args.expiry)?),
                allowed_domains: Some(domains(&args.allow_domains)?),
                password: Some(password(args.password_env.as_deref())?),
            };
            let (_profile, provider) = super::connect_links(global)?;
            let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
            let link = provider.create_link(&dashboard, &settings).await?;
            show_link(global, &link)
        }
        LinkCommand::List(args) => {
            let (_profile, provider) = super::connect_links(global)?;
            let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
            let links = provider.list_links(&dashboard).await?;
            match global.output {
                OutputFormat::Json => output::print_json(&serde_json::json!({
                    "dashboard": dashboard,
                    "links": links,
                })),
                OutputFormat::Table | OutputFormat::Markdown => {
                    output::print_text(&links_table(&links))
                }
            }
        }
        LinkCommand::Update(args) => {
            let expires = if args.no_expiry {
                Some(None)
            } else {
                expiry(&args.expiry)?.map(Some)
            };
            let settings = LinkSettings {
                allow_embedding: either(args.embed, args.no_embed),
                allow_download: either(args.allow_download, args.no_download),
                allow_print: either(args.print, args.no_print),
                expires,
                allowed_domains: if args.no_domain_limit {
                    Some(Vec::new())
                } else if args.allow_domains.is_empty() {
                    None
                } else {
                    Some(domains(&args.allow_domains)?)
                },
                password: if args.no_password {
                    Some(None)
                } else {
                    args.password_env
                        .as_deref()
                        .map(|var| password(Some(var)))
                        .transpose()?
                },
            };
            if settings.is_empty() {
                return Err(Error::invalid(
                    "nothing to update: pass --expires/--expires-in/--no-expiry, --allow-domain/--no-domain-limit, \
                     --password-env/--no-password, or --embed/--no-embed, --allow-download/--no-download, \
                     --print/--no-print",
                ));
            }
            let (_profile, provider) = super::connect_links(global)?;
            let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
            let link = provider
                .update_link(&dashboard, &args.share_id, &settings)
                .await?;
            show_link(global, &link)
        }
        LinkCommand::Revoke(args) => {
            let (_profile, provider) = super::connect_links(global)?;
            let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
            provider.revoke_link(&dashboard, &args.share_id).await?;
            match global.output {
                OutputFormat::Json => output::print_json(&serde_json::json!({
                    "dashboard": dashboard,
                    "share_id": args.share_id,
                    "revoked": true,
                })),
                OutputFormat::Table | OutputFormat::Markdown => {
                    output::print_text(&format!("revoked link {}", args.share_id))
                }
            }
        }
    }
}

fn expiry(args: &ExpiryArgs) -> Result<Option<chrono::DateTime<Utc>>> {
    links::expiry(
        args.expires.as_deref(),
        args.expires_in.as_deref(),
        Utc::now(),
    )
}

fn domains(given: &[String]) -> Result<Vec<String>> {
    given.iter().map(|d| links::allowed_domain(d)).collect()
}

/// The password named by `--password-env`; it never travels through argv.
fn password(var: Option<&str>) -> Result<Option<SecretString>> {
    let Some(var) = var else {
        return Ok(None);
    };
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Ok(Some(SecretString::from(value))),
        _ => Err(Error::invalid(format!(
            "--password-env names the environment variable {var}, which is not set (or empty); export it first"
        ))),
    }
}

/// `--x` → Some(true), `--no-x` → Some(false), neither → None (clap refuses both).
fn either(yes: bool, no: bool) -> Option<bool> {
    match (yes, no) {
        (true, _) => Some(true),
        (_, true) => Some(false),
        _ => None,
    }
}

fn show_link(global: &GlobalArgs, link: &Link) -> Result<()> {
    match global.output {
        OutputFormat::Json => output::print_json(link),
        OutputFormat::Table | OutputFormat::Markdown => {
            let line =
                |label: &str, value: Option<&str>| format!("{label:<12}{}", value.unwrap_or("-"));
            let text = [
                line("share id:", Some(&link.share_id)),
                line("public url:", link.public_url.as_deref()),
                line("embed url:", link.embed_url.as_deref()),
                line("expires:", Some(link.expires.as_deref().unwrap_or("never"))),
            ]
            .join("\n");
            output::print_text(&text)
        }
    }
}

fn links_table(links: &[Link]) -> String {
    let flag = |value: Option<bool>| match value {
        Some(true) => "yes",
        Some(false) => "no",
        None => "-",
    };
    let rows = links.iter().map(|link| {
        let usage = link.usage.as_ref();
        let count = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
        vec![
            link.share_id.clone(),
            link.expires.clone().unwrap_or_else(|| "never".into()),
            flag(link.allow_embedding).into(),
            flag(link.allow_download).into(),
            count(usage.and_then(|u| u.total_views)),
            count(usage.and_then(|u| u.unique_visitors)),
            usage
                .and_then(|u| u.last_accessed.clone())
                .unwrap_or_else(|| "-".into()),
            link.public_url.clone().unwrap_or_default(),
        ]
    });
    output::table(
        &[
            "share id",
            "expires",
            "embed",
            "download",
            "views",
            "visitors",
            "last accessed",
            "public url",
        ],
        rows,
    )
}
