//! `embed`: a ready `<iframe>` snippet, built from the embed URL the vendor returns (mindzie).

use clap::ValueEnum;

use crate::cli::{EmbedArgs, GlobalArgs, OutputFormat};
use crate::error::{Error, Result};
use crate::links::{self, EmbedOptions};
use crate::output;

pub async fn run(global: &GlobalArgs, args: &EmbedArgs) -> Result<()> {
    let (_profile, provider) = super::connect_links(global)?;
    let dashboard = provider.resolve_dashboard(&args.dashboard).await?;
    let urls = provider.urls(&dashboard, args.public).await?;
    let base = if args.public {
        urls.public_embed.ok_or_else(|| {
            Error::invalid(format!(
                "dashboard '{}' has no public embed URL; create a public link first: \
                 `dashshare link create {}`",
                dashboard.id, dashboard.id
            ))
        })?
    } else {
        urls.embed.ok_or_else(|| {
            Error::remote(format!(
                "mindzie returned no embed URL for dashboard '{}'",
                dashboard.id
            ))
        })?
    };
    let options = EmbedOptions {
        theme: args.theme.as_ref().map(value_name),
        toolbar: args.toolbar,
        filters: args.filters.as_ref().map(value_name),
        refresh: args.refresh.as_ref().map(value_name),
    };
    let src = links::embed_url(&base, &options)?;
    let html = iframe(&src);
    match global.output {
        OutputFormat::Json => output::print_json(&serde_json::json!({
            "dashboard": dashboard,
            "url": src,
            "html": html,
        })),
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&html),
    }
}

/// The value's name as the command line (and the vendor) spell it.
fn value_name(value: &impl ValueEnum) -> String {
    value
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

/// The snippet to paste into a page, as the vendor's documentation shows it, its source
/// HTML-escaped for the attribute.
fn iframe(src: &str) -> String {
    let src = output::escape::html(src);
    format!(
        "<iframe\n  src=\"{src}\"\n  width=\"100%\"\n  height=\"600\"\n  frameborder=\"0\"\n  allowfullscreen>\n</iframe>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_cannot_be_broken_out_of() {
        let html = iframe("https://e.example/x?a=\"><img src=x onerror=alert(1)>");
        assert!(!html.contains("\"><img"), "{html}");
        assert!(html.contains("&quot;&gt;&lt;img"), "{html}");
    }
}
