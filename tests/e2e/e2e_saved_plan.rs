//! End to end: saved plans through the binary against the sandbox: `diff FILE --out PLAN` saves
//! exactly the writes, `apply --plan PLAN` makes exactly those, and refuses a dashboard that
//! changed since (nothing written to it) and a plan for another server (nothing at all).

use std::path::PathBuf;

use crate::common::*;
use dashshare::sandbox::{SandboxOptions, World};
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;

fn bulk(n: usize) -> String {
    format!("b{n:023x}")
}

/// A sandbox with three bulk dashboards, and a file sharing the first two with alice.
async fn start() -> (SandboxHome, PathBuf) {
    let mut world = World::seeded();
    world.add_bulk_dashboards(3);
    let home = SandboxHome::with_world(world, SandboxOptions::default()).await;
    let file = home.home.path().join("shares.csv");
    std::fs::write(
        &file,
        format!(
            "dashboard,principal,access\n{},user:alice@example.com,view\n{},user:alice@example.com,edit\n",
            bulk(0),
            bulk(1)
        ),
    )
    .unwrap();
    (home, file)
}

fn plan_path(home: &SandboxHome) -> PathBuf {
    home.home.path().join("plan.json")
}

async fn save_plan(home: &SandboxHome, file: &std::path::Path) -> PathBuf {
    let plan = plan_path(home);
    home.run(
        "sandbox-sisense",
        &[
            "diff",
            file.to_str().unwrap(),
            "--out",
            plan.to_str().unwrap(),
        ],
    )
    .await
    .success()
    .stderr(predicate::str::contains("2 dashboards to write"));
    plan
}

fn shares_of(home: &SandboxHome, oid: &str) -> usize {
    home.world()
        .sisense
        .dashboards
        .iter()
        .find(|d| d.oid == oid)
        .map_or(0, |d| d.shares.len())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_carried_out_exactly_and_once() {
    let (home, file) = start().await;
    let plan = save_plan(&home, &file).await;
    let text = std::fs::read_to_string(&plan).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["kind"], "dashshare-plan");
    assert_eq!(json["dashboards"].as_array().unwrap().len(), 2);
    assert!(json["servers"]["sandbox-sisense"]["url"].is_string());
    // Profile names and server URLs, never a secret.
    for (_, secret) in home.sandbox.secrets() {
        assert!(!text.contains(&secret), "the plan holds a secret");
    }
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0, "diff wrote");

    let plan_arg = plan.to_str().unwrap();
    home.run("sandbox-sisense", &["apply", "--plan", plan_arg])
        .await
        .success()
        .stdout(predicate::str::contains("2 of 2 dashboards written"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 2);
    assert_eq!(shares_of(&home, &bulk(0)), 2);
    assert_eq!(shares_of(&home, &bulk(1)), 2);
    assert_eq!(shares_of(&home, &bulk(2)), 1, "a dashboard not in the plan");

    // The same plan again is stale everywhere: refused, nothing written.
    home.run("sandbox-sisense", &["apply", "--plan", plan_arg])
        .await
        .code(1)
        .stdout(predicate::str::contains("changed since the plan"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dashboard_changed_since_the_plan_is_refused_and_the_rest_is_written() {
    let (home, file) = start().await;
    let plan = save_plan(&home, &file).await;
    home.run(
        "sandbox-sisense",
        &["grant", &bulk(1), "--user", "bob@example.com"],
    )
    .await
    .success();
    let writes = home.count(Vendor::Sisense, SHARES_WRITE);
    let applied = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "apply", "--plan", plan.to_str().unwrap()],
        )
        .await
        .code(1);
    let json: Value = serde_json::from_slice(&applied.get_output().stdout).unwrap();
    let results: Vec<(&str, &str)> = json["dashboards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["dashboard"].as_str().unwrap(),
                d["result"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        results,
        [(bulk(0).as_str(), "written"), (bulk(1).as_str(), "refused")]
    );
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), writes + 1);
    // bob's share stays, and alice was not added over it.
    assert_eq!(shares_of(&home, &bulk(1)), 2);
    let run_id = json["run_id"].as_str().unwrap().to_string();
    home.run("sandbox-sisense", &["undo", &run_id, "--yes"])
        .await
        .success();
    assert_eq!(shares_of(&home, &bulk(0)), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_for_another_server_is_refused_before_any_request() {
    let (home, file) = start().await;
    let plan = save_plan(&home, &file).await;
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    json["servers"]["sandbox-sisense"]["url"] = "https://bi.example.com/".into();
    // A plan made against that server, not one edited: its checksum is of its text.
    json.as_object_mut().unwrap().remove("sha256");
    let text = serde_json::to_string_pretty(&json).unwrap();
    std::fs::write(&plan, dashshare::checksum::seal(&text)).unwrap();
    let before = home.sandbox.requests(Vendor::Sisense).len();
    home.run(
        "sandbox-sisense",
        &["apply", "--plan", plan.to_str().unwrap()],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("https://bi.example.com/"));
    assert_eq!(home.sandbox.requests(Vendor::Sisense).len(), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_goes_alone_and_a_file_that_is_no_plan_is_named() {
    let (home, file) = start().await;
    let plan = save_plan(&home, &file).await;
    home.run(
        "sandbox-sisense",
        &["apply", "--plan", plan.to_str().unwrap(), "--prune"],
    )
    .await
    .code(2);
    home.run("sandbox-sisense", &["apply"]).await.code(2);
    home.run(
        "sandbox-sisense",
        &["apply", "--plan", file.to_str().unwrap()],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("is not a plan"));
}

/// `apply --plan` keeps `apply --prune`'s guard: a plan removing more than --max-removals is
/// refused before any request.
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_that_removes_too_much_is_refused() {
    let (home, _) = start().await;
    let file = home.home.path().join("only-alice.csv");
    std::fs::write(
        &file,
        format!("dashboard,principal\n{SISENSE_DASHBOARD},user:alice@example.com\n"),
    )
    .unwrap();
    let plan = plan_path(&home);
    home.run(
        "sandbox-sisense",
        &[
            "diff",
            file.to_str().unwrap(),
            "--prune",
            "--out",
            plan.to_str().unwrap(),
        ],
    )
    .await
    .success();
    let before = home.sandbox.requests(Vendor::Sisense).len();
    home.run(
        "sandbox-sisense",
        &[
            "apply",
            "--plan",
            plan.to_str().unwrap(),
            "--max-removals",
            "0",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("--max-removals 0"));
    assert_eq!(home.sandbox.requests(Vendor::Sisense).len(), before);
}

/// A saved plan carries the file's `expires`: the write it makes is journaled as timed.
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_keeps_the_expiry_of_the_file() {
    let (home, _) = start().await;
    let file = home.home.path().join("timed.csv");
    std::fs::write(
        &file,
        format!(
            "dashboard,principal,expires\n{},user:alice@example.com,2099-12-31\n",
            bulk(0)
        ),
    )
    .unwrap();
    let plan = plan_path(&home);
    let plan = plan.to_str().unwrap();
    home.run(
        "sandbox-sisense",
        &["diff", file.to_str().unwrap(), "--out", plan],
    )
    .await
    .success();
    home.run("sandbox-sisense", &["apply", "--plan", plan])
        .await
        .success();
    let listed = home
        .run("sandbox-sisense", &["-o", "json", "list", &bulk(0)])
        .await
        .success();
    let listing: Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    let alice = listing["shares"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["principal"] == "alice@example.com")
        .cloned()
        .unwrap();
    assert_eq!(alice["expires"], "2100-01-01T00:00:00Z", "{listing}");
}

/// `diff --with-data --out PLAN` carries the data models' entries; `apply --plan` gives them once,
/// after the dashboards, and journals them, so `undo` takes them back; carried out again, the
/// model has them already and nothing is written (issue 23).
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_carries_the_data_model_entries() {
    let home = SandboxHome::start().await;
    let entries = || model_shares(&home, "Sample ECommerce");
    let before = entries();
    let file = home.home.path().join("shares.csv");
    std::fs::write(
        &file,
        format!("dashboard,principal,access\n{SISENSE_DASHBOARD},user:erin@example.com,view\n"),
    )
    .unwrap();
    let plan = plan_path(&home);
    let plan = plan.to_str().unwrap();
    home.run(
        "sandbox-sisense",
        &["diff", file.to_str().unwrap(), "--with-data", "--out", plan],
    )
    .await
    .success()
    .stderr(predicate::str::contains(
        "1 dashboard and 1 data model to write",
    ));
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap();
    assert_eq!(saved["schema_version"], 2);
    assert_eq!(
        saved["data_models"][0]["change"]["model"]["title"],
        "Sample ECommerce"
    );
    assert_eq!(entries(), before, "a diff writes nothing");

    let applied = home
        .run("sandbox-sisense", &["-o", "json", "apply", "--plan", plan])
        .await
        .success();
    let report: Value = serde_json::from_slice(&applied.get_output().stdout).unwrap();
    assert_eq!(report["data_models"][0]["result"], "written", "{report}");
    assert_eq!(entries().len(), before.len() + 1, "erin's entry");
    assert_eq!(home.count(Vendor::Sisense, "PUT /api/elasticubes/"), 1);

    // Carried out again: the dashboard changed since (refused), so its entries are not given.
    let again = home
        .run("sandbox-sisense", &["-o", "json", "apply", "--plan", plan])
        .await
        .code(1);
    let again: Value = serde_json::from_slice(&again.get_output().stdout).unwrap();
    assert_eq!(again["data_models"][0]["result"], "skipped", "{again}");
    assert_eq!(home.count(Vendor::Sisense, "PUT /api/elasticubes/"), 1);

    let run_id = report["run_id"].as_str().unwrap();
    home.run("sandbox-sisense", &["undo", run_id, "--yes"])
        .await
        .success();
    assert_eq!(entries(), before, "undo takes the entry back");
}

/// A data model's entries come with its dashboard's shares: a dashboard refused by `apply --plan`
/// (changed since the plan) gives no entry on its model either, and nothing is journaled for it
/// (issue 24: the entries were given beside shares never written).
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_dashboard_gives_no_data_model_entry() {
    let home = SandboxHome::start().await;
    let entries = || model_shares(&home, "Sample ECommerce");
    let before = entries();
    let file = home.home.path().join("shares.csv");
    std::fs::write(
        &file,
        format!("dashboard,principal,access\n{SISENSE_DASHBOARD},user:erin@example.com,view\n"),
    )
    .unwrap();
    let plan = plan_path(&home);
    let plan = plan.to_str().unwrap();
    home.run(
        "sandbox-sisense",
        &["diff", file.to_str().unwrap(), "--with-data", "--out", plan],
    )
    .await
    .success();
    // Someone else shares the dashboard after the plan was made.
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", "bob@example.com"],
    )
    .await
    .success();
    let applied = home
        .run("sandbox-sisense", &["-o", "json", "apply", "--plan", plan])
        .await
        .code(1);
    let report: Value = serde_json::from_slice(&applied.get_output().stdout).unwrap();
    assert_eq!(report["dashboards"][0]["result"], "refused", "{report}");
    let model = &report["data_models"][0];
    assert_eq!(model["result"], "skipped", "{report}");
    assert!(
        model["detail"]
            .as_str()
            .unwrap()
            .contains(SISENSE_DASHBOARD),
        "{report}"
    );
    assert_eq!(report["run_id"], Value::Null, "nothing journaled: {report}");
    assert_eq!(entries(), before, "erin was given no entry");
}

/// Issue 24: a saved plan edited by hand was carried out as if dashshare had made it. Its
/// checksum is refused now, and so is a plan without one (from before plans carried one), both
/// with exit 2 before any request and the way to make the plan again; a plan reached through a
/// link is refused too.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_plan_edited_by_hand_or_without_its_checksum_is_refused() {
    let (home, file) = start().await;
    let plan = save_plan(&home, &file).await;
    let text = std::fs::read_to_string(&plan).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["sha256"].as_str().map(str::len), Some(64), "{text}");
    // alice's view raised to edit in the shares the plan writes.
    let edited = text.replacen("\"view\"", "\"edit\"", 1);
    assert_ne!(edited, text);
    let mut old = json.clone();
    old.as_object_mut().unwrap().remove("sha256");
    let link = home.home.path().join("link.json");
    std::os::unix::fs::symlink(&plan, &link).unwrap();
    let before = home.sandbox.requests(Vendor::Sisense).len();
    for (content, path, said) in [
        (edited, &plan, "changed after dashshare wrote it"),
        (
            serde_json::to_string_pretty(&old).unwrap(),
            &plan,
            "has no sha256",
        ),
        (text, &link, "symbolic link"),
    ] {
        std::fs::write(&plan, content).unwrap();
        home.run(
            "sandbox-sisense",
            &["apply", "--plan", path.to_str().unwrap()],
        )
        .await
        .code(2)
        .stderr(predicate::str::contains(said));
    }
    assert_eq!(home.sandbox.requests(Vendor::Sisense).len(), before);
}
