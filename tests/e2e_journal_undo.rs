//! End to end: the binary against the sandbox (`history`, `undo`).
//!
//! The journal, `history` and `undo`, through the binary against the sandbox.

mod common;

use common::*;
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;

async fn runs(home: &SandboxHome) -> Vec<Value> {
    let assert = home
        .run("sandbox-sisense", &["-o", "json", "history"])
        .await
        .success();
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    json["runs"].as_array().unwrap().clone()
}

fn sisense_shares(home: &SandboxHome) -> Vec<Value> {
    home.world().sisense.dashboards[0].shares.clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_write_is_recorded_and_only_writes() {
    let home = SandboxHome::start().await;
    home.run("sandbox-sisense", &["history"])
        .await
        .success()
        .stdout(predicate::str::contains("no runs recorded yet"));
    home.run(
        "sandbox-sisense",
        &[
            "grant",
            SISENSE_DASHBOARD,
            "--user",
            "alice@example.com",
            "--dry-run",
        ],
    )
    .await
    .success();
    home.run(
        "sandbox-sisense",
        &[
            "grant",
            SISENSE_DASHBOARD,
            "--user",
            "bob@example.com",
            "--access",
            "edit",
        ],
    )
    .await
    .success();
    assert!(
        runs(&home).await.is_empty(),
        "a dry run or an unchanged grant wrote nothing to record"
    );
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", "alice@example.com"],
    )
    .await
    .success();
    let recorded = runs(&home).await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0]["command"], format!("grant {SISENSE_DASHBOARD}"));
    assert_eq!(recorded[0]["profiles"][0], "sandbox-sisense");
    let journal =
        std::fs::read_to_string(home.home.path().join("xdg-state/dashshare/journal.jsonl"))
            .unwrap();
    let entry: Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!(entry["before"].as_array().unwrap().len(), 3);
    assert_eq!(entry["after"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_puts_a_sisense_dashboard_back_and_republishes() {
    let home = SandboxHome::start().await;
    let original = sisense_shares(&home);
    home.run(
        "sandbox-sisense",
        &[
            "grant",
            SISENSE_DASHBOARD,
            "--user",
            "alice@example.com",
            "--user",
            "bob@example.com",
        ],
    )
    .await
    .success();
    assert_ne!(sisense_shares(&home), original);
    let run_id = runs(&home).await[0]["run_id"].as_str().unwrap().to_string();
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success()
        .stdout(predicate::str::contains("restored"));
    assert_eq!(
        sisense_shares(&home),
        original,
        "the undo did not restore the shares exactly"
    );
    assert_eq!(home.world().sisense.published[SISENSE_DASHBOARD], 2);
    // The undo is a run of its own; undoing the same run again finds nothing to do.
    assert_eq!(runs(&home).await.len(), 2);
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"));
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_refuses_a_dashboard_changed_since_unless_forced() {
    let home = SandboxHome::start().await;
    let original = sisense_shares(&home);
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", "alice@example.com"],
    )
    .await
    .success();
    let run_id = runs(&home).await[0]["run_id"].as_str().unwrap().to_string();
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", "erin@example.com"],
    )
    .await
    .success();
    let changed = sisense_shares(&home);
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .code(1)
        .stdout(predicate::str::contains("refused"))
        .stdout(predicate::str::contains("--force"));
    assert_eq!(sisense_shares(&home), changed, "a refused undo wrote");
    home.run("sandbox-sisense", &["undo", &run_id, "--force"])
        .await
        .success();
    assert_eq!(sisense_shares(&home), original);
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_restores_eci_and_refuses_vendors_that_cannot_read() {
    let home = SandboxHome::start().await;
    home.run("sandbox-eci", &["grant", "7", "--everyone"])
        .await
        .success();
    home.run(
        "sandbox-vizzly",
        &["grant", "dsh_0f3a", "--user", "customer-42"],
    )
    .await
    .success();
    let recorded = runs(&home).await;
    let run_of = |command: &str| {
        let run = recorded
            .iter()
            .find(|run| run["command"] == command)
            .unwrap();
        run["run_id"].as_str().unwrap().to_string()
    };
    let (eci_run, vizzly_run) = (run_of("grant 7"), run_of("grant dsh_0f3a"));
    home.run("sandbox-eci", &["undo", &eci_run]).await.success();
    let world = home.world();
    let d = world
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == 7)
        .unwrap();
    assert_eq!(
        (
            d.shared_user_ids.len(),
            d.shared_user_group_ids.len(),
            d.shared_with_everyone
        ),
        (1, 1, false)
    );
    home.run("sandbox-vizzly", &["undo", &vizzly_run])
        .await
        .code(1)
        .stdout(predicate::str::contains("cannot read its shares"));
    assert_eq!(home.count(Vendor::Vizzly, "DELETE"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_run_is_named() {
    let home = SandboxHome::start().await;
    home.run("sandbox-sisense", &["undo", "20990101T000000Z-dead"])
        .await
        .code(2)
        .stderr(predicate::str::contains("'20990101T000000Z-dead'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn history_lists_the_newest_run_first() {
    let home = SandboxHome::start().await;
    home.run("sandbox-eci", &["grant", "7", "--user", "ALICE"])
        .await
        .success();
    home.run("sandbox-eci", &["grant", "8", "--user", "ALICE"])
        .await
        .success();
    let recorded = runs(&home).await;
    assert_eq!(recorded[0]["command"], "grant 8");
    assert_eq!(recorded[1]["command"], "grant 7");
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_refuses_a_profile_that_now_points_elsewhere() {
    let home = SandboxHome::start().await;
    home.run("sandbox-eci", &["grant", "7", "--user", "ALICE"])
        .await
        .success();
    let run_id = runs(&home).await[0]["run_id"].as_str().unwrap().to_string();
    let config = home.home.path().join("config.toml");
    let moved = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&home.sandbox.url(Vendor::Eci), "http://127.0.0.2:9");
    std::fs::write(&config, moved).unwrap();
    home.run("sandbox-eci", &["undo", &run_id])
        .await
        .code(1)
        .stdout(predicate::str::contains("now points at"));
    assert_eq!(home.count(Vendor::Eci, "PUT"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_with_a_journal_it_cannot_write_changes_nothing() {
    let home = SandboxHome::start().await;
    let blocker = home.home.path().join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    let before = sisense_shares(&home);
    home.run(
        "sandbox-sisense",
        &[
            "--journal",
            blocker.join("journal.jsonl").to_str().unwrap(),
            "grant",
            SISENSE_DASHBOARD,
            "--user",
            "alice@example.com",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("cannot write the journal"));
    assert_eq!(sisense_shares(&home), before);
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}
