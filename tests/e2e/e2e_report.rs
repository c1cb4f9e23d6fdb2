//! End to end: `report` through the real binary against the sandbox in HTML, Markdown and CSV
//! (one offline page, escaped titles, the everyone and --against flags, when timed shares end),
//! and `diff -o markdown`.

use std::path::PathBuf;

use crate::common::*;
use dashshare::sandbox::{SandboxOptions, World};

const HOSTILE: &str = "<script>alert('x')</script> | <img src=x onerror=alert(1)>";

/// The seeded world with one Sisense dashboard's title made hostile.
async fn start() -> SandboxHome {
    let mut world = World::seeded();
    world.sisense.dashboards[0].title = HOSTILE.to_string();
    SandboxHome::with_world(world, SandboxOptions::default()).await
}

fn path(home: &SandboxHome, name: &str) -> PathBuf {
    home.home.path().join(name)
}

fn eci_water(home: &SandboxHome) -> String {
    home.world()
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_info == "Water + Gas")
        .unwrap()
        .dashboard_id
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_html_report_is_one_offline_table_with_a_row_per_dashboard_and_inert_titles() {
    let home = start().await;
    home.run("sandbox-eci", &["grant", &eci_water(&home), "--everyone"])
        .await
        .success();
    let file = path(&home, "access.html");
    home.run(
        "sandbox-sisense",
        &[
            "-p",
            "sandbox-eci",
            "report",
            "--out",
            file.to_str().unwrap(),
        ],
    )
    .await
    .success();
    let page = std::fs::read_to_string(&file).unwrap();
    let world = home.world();
    let dashboards = world.sisense.dashboards.len() + world.eci.dashboards.len();
    assert_eq!(page.matches("<table").count(), 1, "{page}");
    assert_eq!(page.matches("<tr data-dashboard=").count(), dashboards);
    // Nothing is fetched: no link, no script or image from anywhere.
    for external in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script src",
        "url(",
        "@import",
    ] {
        assert!(!page.contains(external), "{external} in {page}");
    }
    assert_eq!(page.matches("<script").count(), 1);
    assert!(!page.contains(HOSTILE) && !page.contains("<img"), "{page}");
    assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(page.contains("@media print"));
    // ECI's everyone share is flagged on its row.
    let water = page
        .lines()
        .find(|line| line.contains(&format!("data-dashboard=\"{}\"", eci_water(&home))))
        .unwrap();
    assert!(water.contains("everyone"), "{water}");
}

#[tokio::test(flavor = "multi_thread")]
async fn markdown_and_csv_flag_shares_missing_from_the_apply_file() {
    let home = start().await;
    let exported = path(&home, "shares.csv");
    home.run(
        "sandbox-sisense",
        &["export", "--out", exported.to_str().unwrap()],
    )
    .await
    .success();
    // Straight after an export every share is in the file.
    let md = printed(
        &home
            .run(
                "sandbox-sisense",
                &["report", "--against", exported.to_str().unwrap()],
            )
            .await
            .success(),
    );
    assert!(md.starts_with("## Who can see what"), "{md}");
    assert!(!md.contains("not-in-file)"), "{md}");
    assert!(md.contains("\\| &lt;img src=x"), "{md}");
    // Drop one row: that share, and only it, is flagged.
    let csv = std::fs::read_to_string(&exported).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    let dropped = lines.remove(1).to_string();
    std::fs::write(&exported, lines.join("\n") + "\n").unwrap();
    let report = printed(
        &home
            .run(
                "sandbox-sisense",
                &[
                    "report",
                    "--format",
                    "csv",
                    "--against",
                    exported.to_str().unwrap(),
                ],
            )
            .await
            .success(),
    );
    assert!(
        report.starts_with("profile,vendor,dashboard,title,principal,type,access,flags,expires\n"),
        "{report}"
    );
    let flagged: Vec<&str> = report
        .lines()
        .filter(|line| line.contains("not-in-file"))
        .collect();
    assert_eq!(flagged.len(), 1, "{report}");
    let fields: Vec<&str> = dropped.split(',').collect();
    let (dashboard, principal) = (fields[1], fields[2].split_once(':').unwrap().1);
    assert!(
        flagged[0].contains(dashboard) && flagged[0].contains(principal),
        "{dropped} vs {}",
        flagged[0]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_format_that_contradicts_the_file_ending_is_refused() {
    let home = start().await;
    let file = path(&home, "access.html");
    home.run(
        "sandbox-sisense",
        &["report", "--format", "csv", "--out", file.to_str().unwrap()],
    )
    .await
    .code(2);
    assert!(!file.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_prints_the_plan_as_a_markdown_table_and_other_commands_refuse_markdown() {
    let home = start().await;
    let file = path(&home, "wanted.csv");
    let sales = home.world().sisense.dashboards[1].oid.clone();
    std::fs::write(
        &file,
        format!("dashboard,principal,access\n{sales},user:alice@example.com,edit\n"),
    )
    .unwrap();
    let md = printed(
        &home
            .run(
                "sandbox-sisense",
                &["-o", "markdown", "diff", file.to_str().unwrap()],
            )
            .await
            .success(),
    );
    assert!(
        md.starts_with("### dashshare diff: 1 change on 1 dashboard\n"),
        "{md}"
    );
    assert!(
        md.contains("| profile | dashboard | principal | type | before | after | action |\n|---|"),
        "{md}"
    );
    let row = md
        .lines()
        .find(|l| l.contains("alice@example.com"))
        .unwrap();
    assert!(row.contains("| - | edit | **added** |"), "{row}");
    let refused = home
        .run("sandbox-sisense", &["-o", "markdown", "list", &sales])
        .await
        .code(2);
    assert!(printed(&refused).contains("-o markdown is for `diff`, `access` and `offboard` only"));
}

/// A share given for a time shows when it ends, in every format; one given with no end does not.
#[tokio::test(flavor = "multi_thread")]
async fn every_format_shows_when_a_timed_share_ends() {
    let home = start().await;
    let grant = |user: &'static str, timed: bool| {
        let mut args = vec!["grant", SISENSE_DASHBOARD, "--user", user];
        if timed {
            args.extend(["--until", "2099-12-31"]);
        }
        args
    };
    home.run("sandbox-sisense", &grant("alice@example.com", true))
        .await
        .success();
    home.run("sandbox-sisense", &grant("erin@example.com", false))
        .await
        .success();
    let report = |format: &'static str| {
        let home = &home;
        async move {
            printed(
                &home
                    .run("sandbox-sisense", &["report", "--format", format])
                    .await
                    .success(),
            )
        }
    };
    let at = "2100-01-01T00:00:00Z";
    let csv = report("csv").await;
    let line_of = |name: &str| {
        csv.lines()
            .find(|l| l.contains(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line_of("alice@example.com").ends_with(&format!(",{at}")),
        "{csv}"
    );
    assert!(line_of("erin@example.com").ends_with(','), "{csv}");
    let md = report("md").await;
    assert_eq!(md.matches(&format!("view until {at}")).count(), 1, "{md}");
    let html = report("html").await;
    assert_eq!(
        html.matches(&format!("<span class=\"expires\">until {at}</span>"))
            .count(),
        1,
        "{html}"
    );
}

/// A share whose principal can open the dashboard but not query its data model is flagged
/// `no-data`, so an access review finds it; the models are read once each, from the admin
/// listing's `datasource` (no read per dashboard for it).
#[tokio::test(flavor = "multi_thread")]
async fn a_report_flags_who_cannot_query_the_data_model() {
    let home = SandboxHome::start().await;
    home.run(
        "sandbox-sisense",
        &[
            "grant",
            SISENSE_DASHBOARD,
            "--user",
            "carol+bi@example.com",
            "--user",
            "alice@example.com",
        ],
    )
    .await
    .success();
    let before = home
        .sandbox
        .requests(dashshare::vendor::Vendor::Sisense)
        .len();
    let out = path(&home, "report.csv");
    home.run(
        "sandbox-sisense",
        &["report", "--out", out.to_str().unwrap()],
    )
    .await
    .success();
    let csv = std::fs::read_to_string(&out).unwrap();
    let carol = csv
        .lines()
        .find(|l| l.contains("carol+bi@example.com"))
        .unwrap();
    assert!(carol.contains("no-data"), "{csv}");
    let alice = csv
        .lines()
        .find(|l| l.contains("alice@example.com"))
        .unwrap();
    assert!(!alice.contains("no-data"), "{csv}");
    let made = &home.sandbox.requests(dashshare::vendor::Vendor::Sisense)[before..];
    assert!(
        !made.iter().any(|r| r.contains("&id=")),
        "no dashboard read on its own for its model: {made:#?}"
    );
    // Sales KPIs and Regional Margins read the ElastiCube; the live model's dashboards are
    // shared with their owner alone, so nobody is asked about it.
    assert_eq!(
        made.iter().filter(|r| r.contains("/permissions")).count(),
        1,
        "the one model shared dashboards read from, once: {made:#?}"
    );
}
