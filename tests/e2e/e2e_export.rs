//! End to end: `export` through the real binary against the sandbox, and the round trip
//! `export` → `diff --prune --exit-code` → `apply --prune` that must find nothing to change.

use std::path::{Path, PathBuf};

use crate::common::*;
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

/// A node that is no regular file, in `dir`: a character device like /dev/null where this runs as
/// root (CI does), else a FIFO. Made in a temp folder, so that a regression replaces it, never
/// the machine's /dev/null.
#[cfg(unix)]
fn special_node(dir: &Path) -> PathBuf {
    let node = dir.join("node");
    let made = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .arg(&node)
            .args(args)
            .status()
            .is_ok_and(|status| status.success())
    };
    assert!(made("mknod", &["c", "1", "3"]) || made("mkfifo", &[]));
    node
}

/// Issue 24: `report --out` onto a device replaced the device with a regular file, and every
/// `--out` renamed over whatever was there (a link too). Now each output refuses anything but a
/// regular file or nothing, with exit 2, before it reads or writes anything.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn no_output_replaces_a_link_or_a_device_or_writes_through_one() {
    let home = SandboxHome::start().await;
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.csv");
    std::fs::write(&victim, "keep me\n").unwrap();
    let node = special_node(dir.path());
    let apply_file = path(&home, "shares.csv");
    std::fs::write(
        &apply_file,
        "profile,dashboard,principal\nsandbox-eci,8,user:BOB\n",
    )
    .unwrap();
    let apply_arg = apply_file.to_str().unwrap();
    for (n, target) in [node.clone(), victim.clone()].iter().enumerate() {
        let link = dir.path().join(format!("link{n}.csv"));
        std::os::unix::fs::symlink(target, &link).unwrap();
        for out in [&link, &node] {
            let out = out.to_str().unwrap();
            let runs: [&[&str]; 4] = [
                &["export", "--format", "csv", "--out", out],
                &["report", "--format", "csv", "--out", out],
                &["diff", apply_arg, "--out", out],
                &["apply", apply_arg, "--failed-out", out],
            ];
            for args in runs {
                let refused = home.run("sandbox-eci", args).await.code(2);
                let message = printed(&refused);
                let said = if out == node.to_str().unwrap() {
                    "not a regular file"
                } else {
                    "symbolic link"
                };
                assert!(
                    message.contains(said) && message.contains(out),
                    "{args:?}: {message}"
                );
            }
        }
        assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    }
    assert_eq!(text(&victim), "keep me\n");
    assert!(!node.symlink_metadata().unwrap().file_type().is_file());
    // Nothing was left beside them, and the server saw no request.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
    assert_eq!(home.sandbox.requests(Vendor::Eci), Vec::<String>::new());
}
