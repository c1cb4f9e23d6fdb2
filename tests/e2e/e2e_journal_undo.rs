//! End to end: the binary against the sandbox (`history`, `undo`).
//!
//! The journal, `history` and `undo`, through the binary against the sandbox.

use crate::common::*;
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
        .stdout(predicate::str::contains("put back as before the run"));
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

fn journal_path(home: &SandboxHome) -> std::path::PathBuf {
    home.home.path().join("xdg-state/dashshare/journal.jsonl")
}

/// The Sisense requests that were not reads.
fn sisense_writes(home: &SandboxHome) -> usize {
    home.sandbox
        .requests(Vendor::Sisense)
        .iter()
        .filter(|r| !r.starts_with("GET") && !r.contains("/authentication/login"))
        .count()
}

async fn grant_alice(home: &SandboxHome) -> String {
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", "alice@example.com"],
    )
    .await
    .success();
    runs(home).await[0]["run_id"].as_str().unwrap().to_string()
}

/// Issue 24: a journal line edited by hand was carried out as if dashshare had written it: here
/// the dashboard of the grant's lines is changed, so that `undo` would write another one.
#[tokio::test(flavor = "multi_thread")]
async fn a_journal_line_edited_by_hand_is_refused_naming_the_line() {
    let home = SandboxHome::start().await;
    let run_id = grant_alice(&home).await;
    let other = home.world().sisense.dashboards[1].oid.clone();
    let path = journal_path(&home);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    std::fs::write(
        &path,
        format!(
            "{}\n{}\n",
            lines[0],
            lines[1].replace(SISENSE_DASHBOARD, &other)
        ),
    )
    .unwrap();
    let before = sisense_writes(&home);
    for args in [&["undo", run_id.as_str()][..], &["history"]] {
        let refused = home.run("sandbox-sisense", args).await.code(2);
        let message = printed(&refused);
        assert!(
            message.contains("line 2 was changed after dashshare wrote it"),
            "{args:?}: {message}"
        );
    }
    assert_eq!(sisense_writes(&home), before);
}

/// Journals of the versions before checksums (lines without one) are still read and undone.
#[tokio::test(flavor = "multi_thread")]
async fn a_journal_from_before_checksums_is_still_undone() {
    let home = SandboxHome::start().await;
    let original = sisense_shares(&home);
    let run_id = grant_alice(&home).await;
    let path = journal_path(&home);
    let checksum = regex::Regex::new(r#","sha256":"[0-9a-f]{64}"\}$"#).unwrap();
    let old: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| {
            assert!(checksum.is_match(line), "{line}");
            format!("{}\n", checksum.replace(line, "}"))
        })
        .collect();
    std::fs::write(&path, old).unwrap();
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success()
        .stdout(predicate::str::contains("put back as before the run"));
    assert_eq!(sisense_shares(&home), original);
    // The undo's own lines carry checksums, after the old ones.
    assert_eq!(runs(&home).await.len(), 2);
}

/// Issue 24: `--journal /dev/zero` was read until 24 GB and an abort. A journal that is not a
/// regular file is refused at once, exit 2, and a writing run makes no request.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn a_device_as_journal_is_refused_at_once() {
    let home = SandboxHome::start().await;
    let started = std::time::Instant::now();
    for args in [
        &["--journal", "/dev/zero", "history"][..],
        &[
            "--journal",
            "/dev/zero",
            "undo",
            "20261130T080000Z-00000000000000aa",
        ],
        &[
            "--journal",
            "/dev/zero",
            "grant",
            SISENSE_DASHBOARD,
            "--user",
            "alice@example.com",
        ],
    ] {
        let refused = home.run("sandbox-sisense", args).await.code(2);
        let message = printed(&refused);
        assert!(message.contains("/dev/zero"), "{args:?}: {message}");
        assert!(message.contains("character device"), "{args:?}: {message}");
    }
    assert_eq!(sisense_writes(&home), 0);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
    // A regular journal over the bound is refused with its size, unread (sparse: no disk used).
    let big = home.home.path().join("big.jsonl");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 * 1024 * 1024)
        .unwrap();
    let journal = ["--journal", big.to_str().unwrap()];
    let bounded = [&journal[..], &["--journal-max-mib", "1", "history"]].concat();
    let refused = home.run("sandbox-sisense", &bounded).await.code(2);
    assert!(
        printed(&refused).contains("2097152 bytes"),
        "{}",
        printed(&refused)
    );
    let raised = [&journal[..], &["--journal-max-mib", "2", "history"]].concat();
    // Within the bound it is read: with no newline it is one unfinished line, skipped.
    home.run("sandbox-sisense", &raised).await.success();
}
