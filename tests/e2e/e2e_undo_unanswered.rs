//! End to end: the binary against the sandbox (write-ahead journal, `undo`).
//!
//! The write-ahead journal through the binary: a write's intent is journaled before it and its
//! outcome after; `undo` settles a write left without an outcome by reading the server, and
//! `undo --dry-run` shows that plan without writing or journaling.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;

fn journal_path(home: &SandboxHome) -> std::path::PathBuf {
    home.home.path().join("xdg-state/dashshare/journal.jsonl")
}

fn journal_lines(home: &SandboxHome) -> Vec<Value> {
    std::fs::read_to_string(journal_path(home))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

/// The journal as a run killed between its write and the answer leaves it: the run's outcome
/// lines are gone.
fn drop_outcomes(home: &SandboxHome, run_id: &str) {
    let kept: String = std::fs::read_to_string(journal_path(home))
        .unwrap()
        .lines()
        .filter(|line| {
            let entry: Value = serde_json::from_str(line).unwrap();
            entry["run_id"] != run_id || entry["kind"] == "intent"
        })
        .map(|line| format!("{line}\n"))
        .collect();
    std::fs::write(journal_path(home), kept).unwrap();
}

fn shares(home: &SandboxHome) -> Vec<Value> {
    home.world().sisense.dashboards[0].shares.clone()
}

fn set_shares(home: &SandboxHome, shares: Vec<Value>) {
    home.sandbox
        .edit_world(|world| world.sisense.dashboards[0].shares = shares);
}

/// Grants `user` on the Sisense dashboard; the run's id.
async fn grant(home: &SandboxHome, user: &str) -> String {
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", user],
    )
    .await
    .success();
    let last = journal_lines(home).pop().unwrap();
    last["run_id"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_is_journaled_as_intended_before_it_is_made() {
    let home = SandboxHome::start().await;
    let run_id = grant(&home, "alice@example.com").await;
    let lines = journal_lines(&home);
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["intent", "written"]);
    assert!(lines.iter().all(|l| l["run_id"] == run_id.as_str()));
    assert_eq!(lines[0]["before"], lines[1]["before"]);
    assert_eq!(lines[0]["after"], lines[1]["after"]);
    assert_eq!(lines[0]["after"].as_array().unwrap().len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_write_the_server_holds_is_undone_and_a_dry_run_only_shows_it() {
    let home = SandboxHome::start().await;
    let original = shares(&home);
    let run_id = grant(&home, "alice@example.com").await;
    drop_outcomes(&home, &run_id);
    let granted = shares(&home);

    home.run("sandbox-sisense", &["history"])
        .await
        .success()
        .stdout(predicate::str::contains(
            "interrupted: 1 of its writes unanswered",
        ));

    let before = std::fs::read(journal_path(&home)).unwrap();
    home.run("sandbox-sisense", &["undo", &run_id, "--dry-run"])
        .await
        .success()
        .stdout(predicate::str::contains("would write"))
        .stdout(predicate::str::contains("never confirmed"))
        .stdout(predicate::str::contains("dry run: nothing was written"));
    assert_eq!(shares(&home), granted, "a dry run wrote");
    assert_eq!(
        std::fs::read(journal_path(&home)).unwrap(),
        before,
        "a dry run journaled"
    );

    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success()
        .stdout(predicate::str::contains("1 of 1 dashboard put back"));
    assert_eq!(shares(&home), original);
    // The undo's own write was journaled ahead too.
    let undo: Vec<Value> = journal_lines(&home)
        .into_iter()
        .filter(|l| l["command"] == format!("undo {run_id}").as_str())
        .collect();
    let kinds: Vec<&str> = undo.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["intent", "written"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_write_that_never_landed_is_reported_unchanged() {
    let home = SandboxHome::start().await;
    let original = shares(&home);
    let run_id = grant(&home, "alice@example.com").await;
    drop_outcomes(&home, &run_id);
    // The request never reached the server.
    set_shares(&home, original.clone());
    home.run("sandbox-sisense", &["-o", "json", "undo", &run_id])
        .await
        .success()
        .stdout(predicate::str::contains("\"unchanged\""))
        .stdout(predicate::str::contains("never written"));
    assert_eq!(shares(&home), original);
    assert_eq!(
        home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unanswered_write_overtaken_by_another_change_is_refused_unless_forced() {
    let home = SandboxHome::start().await;
    let original = shares(&home);
    let run_id = grant(&home, "alice@example.com").await;
    drop_outcomes(&home, &run_id);
    grant(&home, "erin@example.com").await;
    let changed = shares(&home);
    home.run("sandbox-sisense", &["undo", &run_id, "--dry-run"])
        .await
        .code(1)
        .stdout(predicate::str::contains("refused"))
        .stdout(predicate::str::contains("--force"));
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .code(1)
        .stdout(predicate::str::contains("refused"));
    assert_eq!(shares(&home), changed, "a refused undo wrote");
    home.run("sandbox-sisense", &["undo", &run_id, "--force"])
        .await
        .success();
    assert_eq!(shares(&home), original);
}
