//! `vendors`: the capability matrix, straight from the vendor table.

use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::error::Result;
use crate::model::{Access, PrincipalKind};
use crate::output;
use crate::vendor::{Capabilities, Support, Vendor};

#[derive(Serialize)]
struct VendorRow {
    name: Vendor,
    #[serde(flatten)]
    capabilities: &'static Capabilities,
    /// How `apply` works there (it follows from the capabilities above).
    apply: &'static str,
}

pub fn run(global: &GlobalArgs) -> Result<()> {
    match global.output {
        OutputFormat::Json => {
            let vendors: Vec<VendorRow> = Vendor::ALL
                .into_iter()
                .map(|name| VendorRow {
                    name,
                    capabilities: name.capabilities(),
                    apply: apply(name.capabilities()),
                })
                .collect();
            output::print_json(&serde_json::json!({ "vendors": vendors }))
        }
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&matrix()),
    }
}

/// `apply` needs a read to merge or prune; without one it can only send (additively) or, where
/// the only write is a complete one, state the complete set (`--prune`).
fn apply(caps: &Capabilities) -> &'static str {
    let shares_with_people = [
        PrincipalKind::User,
        PrincipalKind::Group,
        PrincipalKind::Everyone,
    ]
    .into_iter()
    .any(|kind| !caps.levels(kind).is_empty());
    match (shares_with_people, caps.list, caps.replace_only) {
        (false, _, _) => "-",
        (true, Support::Yes, _) => "yes, --prune",
        (true, _, true) => "--prune only",
        (true, _, false) => "without --prune",
    }
}

fn matrix() -> String {
    let mut headers = vec![""];
    headers.extend(Vendor::ALL.iter().map(|v| v.as_str()));
    let row = |label: &str, cell: &dyn Fn(Vendor, &Capabilities) -> String| {
        let mut cells = vec![label.to_string()];
        cells.extend(Vendor::ALL.iter().map(|&v| cell(v, v.capabilities())));
        cells
    };
    let rows = vec![
        row("status", &|_, c| {
            if c.available { "available" } else { "not yet" }.to_string()
        }),
        row("--user", &|_, c| levels(c, PrincipalKind::User)),
        row("--group", &|_, c| levels(c, PrincipalKind::Group)),
        row("--everyone", &|_, c| yes_no(c.everyone)),
        row("list", &|_, c| support(c.list)),
        row("dashboards, name:", &|_, c| yes_no(c.dashboards)),
        row("users, groups", &|_, c| {
            let kinds: Vec<String> = c.principals.iter().map(|k| format!("{k}s")).collect();
            if kinds.is_empty() {
                "-".into()
            } else {
                kinds.join(", ")
            }
        }),
        row("revoke", &|_, c| support(c.revoke)),
        row("publish step", &|_, c| yes_no(c.publish)),
        row("link, embed", &|_, c| yes_no(c.links)),
        row("apply", &|_, c| apply(c).to_string()),
    ];
    let table = output::table(&headers, rows);
    let mut notes = Vec::new();
    if Vendor::ALL.iter().any(|v| !v.capabilities().available) {
        notes.push(
            "not yet: the vendor's provider has not landed in this version; using it exits 2.",
        );
    }
    notes.extend(
        Vendor::ALL
            .iter()
            .flat_map(|vendor| vendor.description().notes.iter().copied()),
    );
    format!("{table}\n\n{}", notes.join("\n"))
}

fn levels(caps: &Capabilities, kind: PrincipalKind) -> String {
    let levels = caps.levels(kind);
    if levels.is_empty() {
        return "-".into();
    }
    levels
        .iter()
        .map(
            |level: &Access| match caps.access_names.iter().find(|(access, _)| access == level) {
                Some((_, name)) => format!("{level} ({name})"),
                None => level.to_string(),
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "-" }.into()
}

fn support(value: Support) -> String {
    match value {
        Support::Yes => "yes",
        Support::LinksOnly => "links",
        Support::ReplaceOnly => "--replace",
        Support::No => "-",
    }
    .into()
}
