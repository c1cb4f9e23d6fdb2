//! Flags and exit codes only: usage, config and profile errors of the binary, no server.
//!
//! The binary as users and scripts drive it: hermetic (empty environment, temporary HOME), exit
//! codes from the contract, and Sisense scenarios against the sandbox.

mod common;

use assert_cmd::assert::Assert;
use common::*;
use dashshare::sandbox::SandboxOptions;
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

fn stdout_json(assert: &Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).expect("stdout is one JSON document")
}

// ---- configuration and invocation errors: exit 2, nothing sent ----

#[test]
fn no_config_file_exits_2_and_says_where_it_looked() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .args(["list", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no config file found"))
        .stderr(predicate::str::contains("xdg-config/dashshare/config.toml"));
}

#[test]
fn an_inline_password_is_refused_and_not_echoed() {
    let home = TempDir::new().unwrap();
    let config = home.path().join("c.toml");
    std::fs::write(
        &config,
        "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://bi.example.com\"\nusername = \"u\"\npassword = \"hunter2\"\n",
    )
    .unwrap();
    dashshare(home.path())
        .arg("--config")
        .arg(&config)
        .args(["list", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("password_env"))
        .stderr(predicate::str::contains("password_file"))
        .stderr(predicate::str::contains("hunter2").not());
}

#[test]
fn the_xdg_config_is_found_and_an_unknown_profile_is_named() {
    let home = TempDir::new().unwrap();
    let dir = home.path().join("xdg-config/dashshare");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        "[profiles.prod]\nvendor = \"sisense\"\nurl = \"https://bi.example.com\"\nusername = \"u\"\npassword_env = \"P\"\n",
    )
    .unwrap();
    dashshare(home.path())
        .args(["-p", "staging", "list", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("'staging'"))
        .stderr(predicate::str::contains("prod"));
}

#[test]
fn a_missing_secret_variable_is_named() {
    let home = TempDir::new().unwrap();
    let config = write_sisense_config(home.path(), "https://bi.example.com");
    dashshare(home.path())
        .arg("--config")
        .arg(&config)
        .args(["list", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("SISENSE_PASSWORD"));
}

#[test]
fn link_commands_on_a_vendor_without_links_exit_2_naming_mindzie() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .env("DASHSHARE_USERNAME", "u")
        .env("DASHSHARE_PASSWORD", "p")
        .args([
            "--vendor",
            "sisense",
            "--url",
            "https://127.0.0.1:9",
            "link",
            "create",
            "d1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("mindzie"));
}

#[test]
fn a_mindzie_profile_without_its_ids_is_named() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .env("DASHSHARE_TOKEN", "t")
        .args([
            "--vendor",
            "mindzie",
            "--url",
            "https://127.0.0.1:9",
            "link",
            "list",
            "d1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("DASHSHARE_TENANT_ID"));
}

#[test]
fn vendor_and_profile_together_are_refused() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .args([
            "--vendor",
            "sisense",
            "--url",
            "https://x",
            "-p",
            "prod",
            "list",
            "d1",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("one or the other"));
}

#[test]
fn grant_without_a_principal_is_a_usage_error() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .args(["grant", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--user"));
}

#[test]
fn vendors_prints_the_matrix_and_its_json() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .arg("vendors")
        .assert()
        .success()
        .stdout(predicate::str::contains("publish step"))
        .stdout(predicate::str::contains("not yet").not());
    let assert = dashshare(home.path())
        .args(["vendors", "-o", "json"])
        .assert()
        .success();
    let json = stdout_json(&assert);
    let vendors = json["vendors"].as_array().unwrap();
    assert_eq!(vendors.len(), 5);
    assert_eq!(vendors[0]["name"], "sisense");
    assert_eq!(vendors[0]["available"], true);
    assert_eq!(vendors[1]["everyone"], true);
    let apply: Vec<&str> = vendors
        .iter()
        .map(|v| v["apply"].as_str().unwrap())
        .collect();
    assert_eq!(
        apply,
        [
            "yes, --prune",
            "yes, --prune",
            "without --prune",
            "--prune only",
            "-"
        ]
    );
}

#[test]
fn completions_are_generated() {
    let home = TempDir::new().unwrap();
    dashshare(home.path())
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("dashshare"));
}

// ---- Sisense scenarios against the sandbox ----

const P: &str = "sandbox-sisense";
const D: &str = SISENSE_DASHBOARD;

fn shares(home: &SandboxHome) -> Vec<Value> {
    home.world().sisense.dashboards[0].shares.clone()
}

fn published(home: &SandboxHome) -> u64 {
    home.world().sisense.published.get(D).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_keeps_every_share_writes_once_and_publishes_once() {
    let home = SandboxHome::start().await;
    let before = shares(&home);
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("alice@example.com"))
        .stdout(predicate::str::contains("added"));
    let after = shares(&home);
    assert_eq!(&after[..3], &before[..], "existing shares changed");
    assert_eq!(after[3]["shareId"], "5f0000000000000000000002");
    assert_eq!(after[3]["rule"], "view");
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 1);
    assert_eq!(published(&home), 1);

    // Again: nothing written, nothing published, and the output says so.
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"))
        .stdout(predicate::str::contains("nothing to change"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 1);
    assert_eq!(published(&home), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_users_take_seven_requests() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            D,
            "--user",
            "alice@example.com",
            "--user",
            "carol+bi@example.com",
            "--user",
            "erin@example.com",
            "--access",
            "edit",
        ],
    )
    .await
    .success();
    let requests = home.sandbox.requests(Vendor::Sisense);
    assert_eq!(requests.len(), 7, "{requests:#?}");
    assert_eq!(shares(&home).len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_user_exits_2_naming_it_with_nothing_written() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            D,
            "--user",
            "alice@example.com",
            "--user",
            "ghost@example.com",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("ghost@example.com"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
    assert_eq!(home.count(Vendor::Sisense, "POST /api/v1/dashboards"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_removes_only_that_share_and_republishes() {
    let home = SandboxHome::start().await;
    home.run(P, &["revoke", D, "--user", "bob@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    let after = shares(&home);
    assert_eq!(after.len(), 2);
    assert!(
        after
            .iter()
            .all(|share| share["shareId"] != "5f0000000000000000000003")
    );
    assert_eq!(published(&home), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_the_owner_is_refused() {
    let home = SandboxHome::start().await;
    home.run(P, &["revoke", D, "--user", "admin@sandbox.example"])
        .await
        .code(2)
        .stderr(predicate::str::contains("owns the dashboard"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_resolve_and_an_ambiguous_one_lists_both_ids() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            "name:Sales KPIs",
            "--group",
            "Marketing",
            "--access",
            "edit",
        ],
    )
    .await
    .success()
    .stdout(predicate::str::contains("updated"));
    home.run(
        P,
        &[
            "grant",
            "name:Quarterly Review",
            "--user",
            "alice@example.com",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("5dc5c237832aeb53441186bb"))
    .stderr(predicate::str::contains("5dc5c237832aeb53441186bc"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "alice@example.com", "--dry-run"])
        .await
        .success()
        .stdout(predicate::str::contains("added"))
        .stdout(predicate::str::contains("dry run"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
    assert_eq!(published(&home), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_secret_appears_at_the_highest_verbosity() {
    let home = SandboxHome::with(SandboxOptions {
        token_ttl: Some(2),
        ..SandboxOptions::default()
    })
    .await;
    let assert = home
        .run(P, &["-vvv", "grant", D, "--user", "alice@example.com"])
        .await
        .success();
    let text = printed(&assert);
    assert!(
        text.contains("/api/shares/dashboard/"),
        "-vvv shows requests: {text}"
    );
    let password = home.world().sisense.admin.password;
    let encoded: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
    for secret in [password.as_str(), encoded.as_str()] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
    assert!(
        !predicate::str::is_match("sisense-[0-9a-f]{32}")
            .unwrap()
            .eval(&text),
        "a token leaked:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_exits_3() {
    let home = SandboxHome::start().await;
    let assert = home
        .run_with(
            P,
            &[("SANDBOX_SISENSE_PASSWORD", "wrong+password&x")],
            &["-vvv", "check"],
        )
        .await
        .code(3);
    assert!(!printed(&assert).contains("wrong+password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_leads_to_one_new_login() {
    let home = SandboxHome::with(SandboxOptions {
        token_ttl: Some(2),
        ..SandboxOptions::default()
    })
    .await;
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success();
    assert_eq!(
        home.count(Vendor::Sisense, "POST /api/v1/authentication/login"),
        2
    );
    assert_eq!(shares(&home).len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn env_only_mode_needs_no_config_file() {
    let home = SandboxHome::start().await;
    let world = home.world();
    let mut cmd = dashshare(home.home.path());
    cmd.env("DASHSHARE_USERNAME", &world.sisense.admin.username)
        .env("DASHSHARE_PASSWORD", &world.sisense.admin.password)
        .args([
            "--vendor",
            "sisense",
            "--url",
            &home.sandbox.url(Vendor::Sisense),
            "check",
        ]);
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
        .success()
        .stdout(predicate::str::contains("ok:"))
        .stdout(predicate::str::contains("admin@sandbox.example"));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_document_with_actions() {
    let home = SandboxHome::start().await;
    let assert = home
        .run(
            P,
            &[
                "-o",
                "json",
                "grant",
                D,
                "--user",
                "alice@example.com",
                "--user",
                "bob@example.com",
            ],
        )
        .await
        .success();
    let json = stdout_json(&assert);
    assert_eq!(json["vendor"], "sisense");
    assert_eq!(json["dashboard"]["id"], D);
    assert_eq!(json["results"][0]["action"], "added");
    assert_eq!(json["results"][1]["action"], "updated");
    assert_eq!(json["results"][1]["before"], "edit");
    assert_eq!(json["results"][1]["after"], "view");
    assert_eq!(json["published"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_emails_and_group_names() {
    let home = SandboxHome::start().await;
    let json = stdout_json(&home.run(P, &["-o", "json", "list", D]).await.success());
    let names: Vec<&str> = json["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|share| share["principal"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["admin@sandbox.example", "bob@example.com", "Marketing"]
    );
    assert_eq!(json["shares"][0]["access"], "owner");
    home.run(P, &["list", D])
        .await
        .success()
        .stdout(predicate::str::contains("Marketing"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_search_filters_titles() {
    let home = SandboxHome::start().await;
    home.run(P, &["dashboards", "--search", "quarterly"])
        .await
        .success()
        .stdout(predicate::str::contains("5dc5c237832aeb53441186bb"))
        .stdout(predicate::str::contains("5dc5c237832aeb53441186bc"))
        .stdout(predicate::str::contains("Sales KPIs").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_republishes_without_writing() {
    let home = SandboxHome::start().await;
    home.run(P, &["publish", D])
        .await
        .success()
        .stdout(predicate::str::contains("published"));
    assert_eq!(published(&home), 1);
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_principal_can_be_named_by_its_sisense_id() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "5f0000000000000000000006"])
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    assert!(
        shares(&home)
            .iter()
            .any(|share| share["shareId"] == "5f0000000000000000000006")
    );
}

// ---- the demo ----

#[test]
fn the_demo_tours_every_vendor_and_leaves_the_users_journal_alone() {
    let home = TempDir::new().unwrap();
    let assert = dashshare(home.path()).arg("demo").assert().success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for expected in [
        "What each vendor can do",
        "written and published",
        "3 dashboards written (2 published)",
        "Nothing to change: every dashboard already matches the file.",
        "Plan: 0 to add, 0 to update, 3 to remove. Nothing was written.",
        "<iframe",
    ] {
        assert!(out.contains(expected), "missing «{expected}» in:\n{out}");
    }
    assert!(
        !home
            .path()
            .join("xdg-state/dashshare/journal.jsonl")
            .exists(),
        "the demo's writes go to a journal of its own"
    );
}
