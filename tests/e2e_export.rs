//! End to end: `export` through the real binary against the sandbox, and the round trip
//! `export` → `diff --prune --exit-code` → `apply --prune` that must find nothing to change.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use dashshare::sandbox::{SandboxOptions, World};
use dashshare::vendor::Vendor;
use predicates::prelude::*;

fn path(home: &SandboxHome, name: &str) -> PathBuf {
    home.home.path().join(name)
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Exports `profile` to `name`, then checks the round trip: the file states exactly what the
/// server has, so `diff --prune --exit-code` exits 0 and `apply --prune` writes nothing.
async fn round_trip(home: &SandboxHome, profile: &str, vendor: Vendor, name: &str) -> String {
    let file = path(home, name);
    let file_arg = file.to_str().unwrap();
    home.run(profile, &["export", "--out", file_arg])
        .await
        .success();
    let before = home.sandbox.requests(vendor).len();
    home.run(profile, &["diff", file_arg, "--prune", "--exit-code"])
        .await
        .success();
    home.run(profile, &["apply", file_arg, "--prune", "--yes"])
        .await
        .success();
    let writes = home.sandbox.requests(vendor)[before..]
        .iter()
        .filter(|r| !r.starts_with("GET"))
        .filter(|r| !r.contains("/authentication/login") && !r.contains("/login"))
        .count();
    assert_eq!(writes, 0, "{:#?}", &home.sandbox.requests(vendor)[before..]);
    text(&file)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sisense_export_applies_back_with_nothing_to_change() {
    let home = SandboxHome::start().await;
    let yaml = round_trip(&home, "sandbox-sisense", Vendor::Sisense, "s.yaml").await;
    // Names, never raw ids; the owner's implicit share is left out; the title is a comment.
    assert!(
        yaml.contains("- dashboard: 5829b46bd009e91420000047"),
        "{yaml}"
    );
    assert!(yaml.contains("@example.com"), "{yaml}");
    let admin_id = home.world().sisense.admin_user().unwrap().id.clone();
    assert!(!yaml.contains(&admin_id), "{yaml}");
    let csv = round_trip(&home, "sandbox-sisense", Vendor::Sisense, "s.csv").await;
    assert!(
        csv.starts_with("profile,dashboard,principal,access,title\n"),
        "{csv}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_eci_export_applies_back_with_nothing_to_change() {
    let home = SandboxHome::start().await;
    let water = home
        .world()
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_info == "Water + Gas")
        .unwrap()
        .dashboard_id
        .to_string();
    home.run("sandbox-eci", &["grant", &water, "--everyone"])
        .await
        .success();
    let yaml = round_trip(&home, "sandbox-eci", Vendor::Eci, "e.yaml").await;
    assert!(yaml.contains("everyone: true"), "{yaml}");
    round_trip(&home, "sandbox-eci", Vendor::Eci, "e.csv").await;
}

/// 500 dashboards per vendor, shared by a file first; Sisense's admin listing carries every
/// dashboard's shares, so the export reads them page by page from it (50 a page, as the
/// emulator caps them), not one request per dashboard.
#[tokio::test(flavor = "multi_thread")]
async fn five_hundred_dashboards_round_trip_and_sisense_reads_them_from_the_paged_listing() {
    let mut world = World::seeded();
    world.add_bulk_dashboards(500);
    let home = SandboxHome::with_world(world, SandboxOptions::default()).await;
    let mut csv = String::from("profile,dashboard,principal,access\n");
    for n in 0..500 {
        let (access, principal) = if n % 3 == 0 {
            ("edit", "group:Marketing")
        } else {
            ("view", "user:alice@example.com")
        };
        csv.push_str(&format!("sandbox-sisense,b{n:023x},{principal},{access}\n"));
        csv.push_str(&format!("sandbox-eci,{},user:ALICE,view\n", 100_000 + n));
    }
    let file = path(&home, "bulk.csv");
    std::fs::write(&file, csv).unwrap();
    home.run("sandbox-sisense", &["apply", file.to_str().unwrap()])
        .await
        .success();

    let before = home.sandbox.requests(Vendor::Sisense).len();
    let out = path(&home, "sisense.yaml");
    home.run(
        "sandbox-sisense",
        &["export", "--out", out.to_str().unwrap()],
    )
    .await
    .success();
    let export: Vec<String> = home.sandbox.requests(Vendor::Sisense)[before..].to_vec();
    let listings = export
        .iter()
        .filter(|r| r.starts_with("GET /api/v1/dashboards/admin"))
        .count();
    let reads = export.iter().filter(|r| r.starts_with(SHARES_READ)).count();
    // 504 dashboards: ten full pages, one of 4, and the empty page that ends the listing.
    assert_eq!((listings, reads), (12, 0), "{export:#?}");
    assert!(export.len() < 30, "{} requests: {export:#?}", export.len());

    round_trip(&home, "sandbox-sisense", Vendor::Sisense, "s.yaml").await;
    let eci = round_trip(&home, "sandbox-eci", Vendor::Eci, "e.csv").await;
    assert!(eci.lines().count() > 500, "{eci}");
}

#[tokio::test(flavor = "multi_thread")]
async fn several_profiles_name_theirs_and_vendors_that_cannot_read_are_skipped() {
    let home = SandboxHome::start().await;
    let out = path(&home, "all.yaml");
    let exported = home
        .run(
            "sandbox-sisense",
            &[
                "-p",
                "sandbox-eci",
                "-p",
                "sandbox-vizzly",
                "-p",
                "sandbox-mindzie",
                "export",
                "--out",
                out.to_str().unwrap(),
            ],
        )
        .await
        .success()
        .stderr(predicate::str::contains(
            "sandbox-vizzly: skipped: vizzly cannot read a dashboard's shares",
        ))
        .stderr(predicate::str::contains("only public links"));
    let yaml = text(&out);
    assert!(yaml.contains("profile: sandbox-sisense"), "{yaml}");
    assert!(yaml.contains("profile: sandbox-eci"), "{yaml}");
    assert!(!yaml.contains("sandbox-vizzly"), "{yaml}");
    drop(exported);
    // The file applies to both servers at once.
    home.run(
        "sandbox-sisense",
        &["diff", out.to_str().unwrap(), "--prune", "--exit-code"],
    )
    .await
    .success();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_ending_that_contradicts_the_format_is_refused_before_any_request() {
    let home = SandboxHome::start().await;
    let out = path(&home, "shares.csv");
    home.run(
        "sandbox-sisense",
        &["export", "--format", "yaml", "--out", out.to_str().unwrap()],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("shares.csv"));
    assert!(home.sandbox.requests(Vendor::Sisense).is_empty());
    assert!(!out.exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_single_profile_command_refuses_two_profiles() {
    let home = SandboxHome::start().await;
    home.run("sandbox-sisense", &["-p", "sandbox-eci", "list", "7"])
        .await
        .code(2)
        .stderr(predicate::str::contains("sandbox-sisense, sandbox-eci"));
}

/// Titles are vendor text: one holding ESC, CR and LF, Markdown that would show an image or
/// mention someone, and a formula after a space (issue 24) is written escaped in every format
/// and file, and the export still reads back through `diff` unchanged.
#[tokio::test(flavor = "multi_thread")]
async fn hostile_titles_are_written_inert_and_read_back_unchanged() {
    let home = SandboxHome::start().await;
    let hostile = "Sales\u{1b}[31m\r\n# forged: line ![x](https://evil.example/p.png) @octocat `rm` [a](b) | c";
    home.sandbox.edit_world(|world| {
        for dashboard in &mut world.sisense.dashboards {
            dashboard.title = hostile.into();
        }
    });
    for name in ["t.yaml", "t.csv"] {
        let exported = round_trip(&home, "sandbox-sisense", Vendor::Sisense, name).await;
        assert!(!exported.contains('\u{1b}'), "{exported}");
        assert!(!exported.contains("\n# forged"), "{exported}");
    }
    let report = path(&home, "r.md");
    home.run(
        "sandbox-sisense",
        &[
            "report",
            "--format",
            "md",
            "--out",
            report.to_str().unwrap(),
        ],
    )
    .await
    .success();
    let markdown = text(&report);
    for raw in [
        "![x]",
        "](https",
        " @octocat",
        " `rm`",
        "[a](b)",
        "\n# forged",
        "\u{1b}",
    ] {
        assert!(!markdown.contains(raw), "{raw} in {markdown}");
    }
    assert!(markdown.contains("\\!\\[x\\]"), "{markdown}");
    let csv = path(&home, "r.csv");
    let report_csv = home
        .run(
            "sandbox-sisense",
            &["report", "--format", "csv", "--out", csv.to_str().unwrap()],
        )
        .await;
    report_csv.success();
    let csv = text(&csv);
    assert!(!csv.contains('\u{1b}') && !csv.contains("\r\n#"), "{csv}");
    let listed = home.run("sandbox-sisense", &["dashboards"]).await.success();
    let shown = printed(&listed);
    assert!(!shown.contains("\n# forged"), "{shown}");
}
