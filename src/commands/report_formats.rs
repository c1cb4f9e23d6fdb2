//! A `report` written out: one self-contained HTML page (no external asset, a few lines of inline
//! script to sort and filter, printable), Markdown for a pull-request comment, or CSV with one
//! row per share. Titles and names are user data: every value is escaped for its format. A share
//! given for a time shows when it ends, next to its access.

use super::report_rows::{DashboardRow, Flag, Group, Report, ShareCell};
use crate::error::{Error, Result};
use crate::model::Principal;
use crate::output::escape::{self, html as escape_html, markdown as escape_markdown};

fn principal_label(principal: &Principal) -> String {
    principal.to_string()
}

fn flags_text(flags: &[Flag]) -> String {
    flags
        .iter()
        .map(|f| f.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// The dashboard's own flags: everyone, and those of its shares.
fn dashboard_flags(dashboard: &DashboardRow) -> Vec<Flag> {
    let mut flags: Vec<Flag> = dashboard
        .shares
        .iter()
        .flat_map(|s| s.flags.iter().copied())
        .collect();
    flags.sort();
    flags.dedup();
    flags
}

fn access_of<'a>(dashboard: &'a DashboardRow, principal: &Principal) -> Option<&'a ShareCell> {
    dashboard.shares.iter().find(|s| &s.principal == principal)
}

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em}table{border-collapse:collapse;font-size:13px}\
th,td{border:1px solid #ccc;padding:3px 6px;text-align:left;vertical-align:top}\
thead th{background:#f0f0f0;cursor:pointer;position:sticky;top:0}\
tr.group th{background:#dde6f3;text-align:left;cursor:default}\
td.edit{background:#fde2c8}td.view{background:#e3f1e3}.expires{color:#555;font-size:11px}\
.flag{color:#a00;font-weight:bold}td.not-in-file{outline:2px dashed #a00}td.no-data{background:#fff3cd}\
#filter{margin:0 0 1em;padding:4px;width:24em}\
@media print{#filter,.hint{display:none}body{margin:0}thead th{position:static}\
table{font-size:9px}tr{break-inside:avoid}}";

/// Sorts a group's rows by the clicked column (numbers as numbers), and hides rows whose text
/// does not contain the filter.
const SCRIPT: &str = "const t=document.querySelector('table');\
document.getElementById('filter').addEventListener('input',e=>{const q=e.target.value.toLowerCase();\
t.querySelectorAll('tr[data-dashboard]').forEach(r=>{r.hidden=q&&!r.textContent.toLowerCase().includes(q)})});\
t.querySelectorAll('thead th').forEach((h,i)=>h.addEventListener('click',()=>{const up=h.dataset.dir!=='up';\
h.dataset.dir=up?'up':'down';t.querySelectorAll('tbody').forEach(b=>{\
const rows=[...b.querySelectorAll('tr[data-dashboard]')];const k=r=>{const c=r.children[i];return c?c.textContent:''};\
rows.sort((a,c)=>{const x=k(a),y=k(c),n=parseFloat(x)-parseFloat(y);const d=isNaN(n)?x.localeCompare(y):n;return up?d:-d});\
rows.forEach(r=>b.appendChild(r))})}));";

/// One page: a single table whose columns are every principal of every profile, one `<tbody>`
/// per profile headed by its name, one row per dashboard.
pub fn html(report: &Report) -> String {
    let mut columns: Vec<Principal> = report
        .groups
        .iter()
        .flat_map(|g| g.principals().into_iter().map(|c| c.principal))
        .collect();
    columns.sort();
    columns.dedup();
    let mut page = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <title>dashshare report</title>\n",
    );
    page.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    page.push_str("<h1>Who can see what</h1>\n");
    page.push_str(&format!("<p>{}</p>\n", escape_html(&summary(report))));
    page.push_str(
        "<input id=\"filter\" type=\"search\" placeholder=\"Filter dashboards, titles, names…\">\n\
         <p class=\"hint\">Click a column heading to sort.</p>\n<table>\n<thead>\n<tr>\
         <th>dashboard</th><th>title</th><th>shares</th><th>flags</th>",
    );
    for principal in &columns {
        let (dashboards, edits): (usize, usize) = report
            .groups
            .iter()
            .flat_map(|g| g.principals())
            .filter(|c| &c.principal == principal)
            .fold((0, 0), |(d, e), c| (d + c.dashboards, e + c.edits));
        page.push_str(&format!(
            "<th title=\"{}, edit on {edits}\">{} ({dashboards})</th>",
            crate::wording::plural(dashboards, "dashboard"),
            escape_html(&principal_label(principal))
        ));
    }
    page.push_str("</tr>\n</thead>\n");
    for group in &report.groups {
        page.push_str(&format!(
            "<tbody>\n<tr class=\"group\"><th colspan=\"{}\">{} ({}): {}</th></tr>\n",
            columns.len() + 4,
            escape_html(&group.profile),
            group.vendor,
            crate::wording::plural(group.dashboards.len(), "dashboard")
        ));
        for dashboard in &group.dashboards {
            page.push_str(&html_row(group, dashboard, &columns));
        }
        page.push_str("</tbody>\n");
    }
    page.push_str("</table>\n");
    for skipped in &report.skipped {
        page.push_str(&format!("<p>skipped: {}</p>\n", escape_html(skipped)));
    }
    page.push_str(&format!("<script>{SCRIPT}</script>\n</body>\n</html>\n"));
    page
}

fn html_row(group: &Group, dashboard: &DashboardRow, columns: &[Principal]) -> String {
    let mut row = format!(
        "<tr data-dashboard=\"{}\" data-profile=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td class=\"flag\">{}</td>",
        escape_html(&dashboard.id),
        escape_html(&group.profile),
        escape_html(&dashboard.id),
        escape_html(&dashboard.title),
        dashboard.shares.len(),
        escape_html(&flags_text(&dashboard_flags(dashboard)).replace(';', " ")),
    );
    for principal in columns {
        match access_of(dashboard, principal) {
            Some(share) => {
                let mut classes = vec![share.access.as_str()];
                classes.extend(share.flags.iter().map(|f| f.as_str()));
                let flags = if share.flags.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"flag\">{}</span>", flags_text(&share.flags))
                };
                let until = share.expires.as_deref().map_or(String::new(), |at| {
                    format!(" <span class=\"expires\">until {}</span>", escape_html(at))
                });
                row.push_str(&format!(
                    "<td class=\"{}\">{}{flags}{until}</td>",
                    classes.join(" "),
                    share.access
                ));
            }
            None => row.push_str("<td></td>"),
        }
    }
    row.push_str("</tr>\n");
    row
}

fn summary(report: &Report) -> String {
    let dashboards: usize = report.groups.iter().map(|g| g.dashboards.len()).sum();
    let shares: usize = report
        .groups
        .iter()
        .flat_map(|g| &g.dashboards)
        .map(|d| d.shares.len())
        .sum();
    let mut text = format!(
        "{}, {} (owners not counted). Flags: everyone = shared with everyone; many-edits = the \
         principal has edit on {} or more; no-data = it can open the dashboard but not query its \
         data model",
        crate::wording::plural(dashboards, "dashboard"),
        crate::wording::plural(shares, "share"),
        crate::wording::plural(report.many, "dashboard")
    );
    match &report.against {
        Some(file) => text.push_str(&format!(
            "; not-in-file = no row of {file} names the share."
        )),
        None => text.push('.'),
    }
    text
}

/// Per profile: a matrix of dashboards × principals, then each principal's counts.
pub fn markdown(report: &Report) -> String {
    let mut text = format!(
        "## Who can see what\n\n{}\n",
        escape_markdown(&summary(report))
    );
    for group in &report.groups {
        let principals = group.principals();
        text.push_str(&format!(
            "\n### {} ({}): {}\n\n",
            escape_markdown(&group.profile),
            group.vendor,
            crate::wording::plural(group.dashboards.len(), "dashboard")
        ));
        let mut header = vec![
            "dashboard".to_string(),
            "title".into(),
            "shares".into(),
            "flags".into(),
        ];
        header.extend(
            principals
                .iter()
                .map(|c| escape_markdown(&principal_label(&c.principal))),
        );
        text.push_str(&format!("| {} |\n", header.join(" | ")));
        text.push_str(&format!("|{}\n", "---|".repeat(header.len())));
        for dashboard in &group.dashboards {
            let mut cells = vec![
                escape_markdown(&dashboard.id),
                escape_markdown(&dashboard.title),
                dashboard.shares.len().to_string(),
                flags_text(&dashboard_flags(dashboard)).replace(';', " "),
            ];
            cells.extend(principals.iter().map(|c| {
                access_of(dashboard, &c.principal).map_or(String::new(), |share| {
                    let access = if share.flags.is_empty() {
                        share.access.to_string()
                    } else {
                        format!("**{}** ({})", share.access, flags_text(&share.flags))
                    };
                    match &share.expires {
                        Some(at) => format!("{access} until {}", escape_markdown(at)),
                        None => access,
                    }
                })
            }));
            text.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        text.push_str("\n| principal | dashboards | edit | flags |\n|---|---|---|---|\n");
        for count in &principals {
            let flag = if count.edits as u64 >= report.many {
                Flag::ManyEdits.as_str()
            } else {
                ""
            };
            text.push_str(&format!(
                "| {} | {} | {} | {flag} |\n",
                escape_markdown(&principal_label(&count.principal)),
                count.dashboards,
                count.edits
            ));
        }
    }
    for skipped in &report.skipped {
        text.push_str(&format!("\nskipped: {}\n", escape_markdown(skipped)));
    }
    text
}

/// One row per share (a dashboard with none gets one row with an empty principal, so that it
/// is counted): profile, vendor, dashboard, title, principal, type, access, flags, expires (when
/// a share given for a time ends).
pub fn csv(report: &Report) -> Result<String> {
    let failed = |err: &dyn std::fmt::Display| Error::local(format!("cannot write the CSV: {err}"));
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "profile",
            "vendor",
            "dashboard",
            "title",
            "principal",
            "type",
            "access",
            "flags",
            "expires",
        ])
        .map_err(|e| failed(&e))?;
    for group in &report.groups {
        for dashboard in &group.dashboards {
            let fixed = [
                escape::csv(&group.profile),
                group.vendor.to_string(),
                escape::csv(&dashboard.id),
                escape::csv(&dashboard.title),
            ];
            if dashboard.shares.is_empty() {
                let mut record = fixed.to_vec();
                record.extend(std::iter::repeat_n(String::new(), 5));
                writer.write_record(&record).map_err(|e| failed(&e))?;
            }
            for share in &dashboard.shares {
                let name = match &share.principal {
                    Principal::User(name) | Principal::Group(name) => name.as_str(),
                    Principal::Everyone => "",
                };
                let mut record = fixed.to_vec();
                record.extend([
                    escape::csv(name),
                    share.principal.kind().to_string(),
                    share.access.to_string(),
                    flags_text(&share.flags),
                    escape::csv(share.expires.as_deref().unwrap_or_default()),
                ]);
                writer.write_record(&record).map_err(|e| failed(&e))?;
            }
        }
    }
    let bytes = writer.into_inner().map_err(|e| failed(&e))?;
    String::from_utf8(bytes).map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::report::{flag, tests::sample};

    #[test]
    fn the_page_is_one_table_with_a_row_per_dashboard_and_no_live_title() {
        let mut report = sample();
        flag(&mut report, None);
        let page = html(&report);
        assert_eq!(page.matches("<table>").count(), 1);
        assert_eq!(page.matches("<tr data-dashboard=").count(), 2);
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(page.contains("@media print"));
        assert!(page.contains("view <span class=\"expires\">until 2026-12-31T18:00:00Z</span>"));
    }

    #[test]
    fn markdown_and_csv_carry_the_flags() {
        let mut report = sample();
        flag(&mut report, None);
        let md = markdown(&report);
        assert!(
            md.contains("&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| sales"),
            "{md}"
        );
        assert!(md.contains("**view** (everyone)"), "{md}");
        assert!(
            md.contains("| user:ann@x.com | 2 | 2 | many-edits |"),
            "{md}"
        );
        let csv = csv(&report).unwrap();
        let vendor = report.groups[0].vendor;
        assert!(
            csv.contains(&format!(
                "prod,{vendor},1,<script>alert(1)</script> | sales,,everyone,view,everyone,\n"
            )),
            "{csv}"
        );
        assert!(
            csv.contains(&format!(
                "prod,{vendor},2,Costs,ann@x.com,user,edit,many-edits,\n"
            )),
            "{csv}"
        );
        assert!(md.contains("| view until 2026-12-31T18:00:00Z |"), "{md}");
        assert!(
            csv.contains(&format!(
                "prod,{vendor},2,Costs,Ops,group,view,,2026-12-31T18:00:00Z\n"
            )),
            "{csv}"
        );
    }
}
