//! The binary as users and scripts drive it: hermetic (empty environment, temporary HOME), exit
//! codes from the contract, and scenarios against a stateful Sisense fake.

mod common;

use assert_cmd::assert::Assert;
use common::fake_sisense::FakeSisense;
use common::*;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;
use wiremock::MockServer;

struct Setup {
    home: TempDir,
    fake: FakeSisense,
    server: MockServer,
}

impl Setup {
    async fn new() -> Self {
        let fake = FakeSisense::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        write_sisense_config(home.path(), &server.uri());
        Setup { home, fake, server }
    }

    fn cmd(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = dashshare(self.home.path());
        cmd.env("SISENSE_PASSWORD", PASSWORD)
            .arg("--config")
            .arg(self.home.path().join("config.toml"))
            .args(args);
        cmd
    }
}

/// Runs the binary off the async runtime so that the mock server keeps answering.
async fn run(mut cmd: assert_cmd::Command) -> Assert {
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
}

fn stdout_json(assert: &Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).expect("stdout is one JSON document")
}

fn all_output(assert: &Assert) -> String {
    let output = assert.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
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

// ---- scenarios against the stateful fake ----

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_keeps_every_share_writes_once_and_publishes_once() {
    let s = Setup::new().await;
    let before = s.fake.shares("d1");
    run(s.cmd(&["grant", "d1", "--user", "alice@example.com"]))
        .await
        .success()
        .stdout(predicate::str::contains("alice@example.com"))
        .stdout(predicate::str::contains("added"));
    let after = s.fake.shares("d1");
    assert_eq!(&after[..3], &before[..], "existing shares changed");
    assert_eq!(after[3]["shareId"], "u-alice");
    assert_eq!(after[3]["rule"], "view");
    assert_eq!(s.fake.count("PATCH"), 1);
    assert_eq!(s.fake.count("POST /api/v1/dashboards/d1/publish"), 1);

    // Again: nothing written, nothing published, and the output says so.
    run(s.cmd(&["grant", "d1", "--user", "alice@example.com"]))
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"))
        .stdout(predicate::str::contains("nothing to change"));
    assert_eq!(s.fake.count("PATCH"), 1);
    assert_eq!(s.fake.count("POST /api/v1/dashboards/d1/publish"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_users_take_seven_requests() {
    let s = Setup::new().await;
    run(s.cmd(&[
        "grant",
        "d1",
        "--user",
        "alice@example.com",
        "--user",
        "carol@example.com",
        "--user",
        "dave@example.com",
        "--access",
        "edit",
    ]))
    .await
    .success();
    let log = s.fake.log();
    assert_eq!(log.len(), 7, "{log:#?}");
    assert_eq!(s.fake.shares("d1").len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_user_exits_2_naming_it_with_nothing_written() {
    let s = Setup::new().await;
    run(s.cmd(&[
        "grant",
        "d1",
        "--user",
        "alice@example.com",
        "--user",
        "ghost@example.com",
    ]))
    .await
    .code(2)
    .stderr(predicate::str::contains("ghost@example.com"));
    assert_eq!(s.fake.count("PATCH"), 0);
    assert_eq!(s.fake.count("POST /api/v1/dashboards"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_removes_only_that_share_and_republishes() {
    let s = Setup::new().await;
    run(s.cmd(&["revoke", "d1", "--user", "bob@example.com"]))
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    let after = s.fake.shares("d1");
    assert_eq!(after.len(), 2);
    assert!(after.iter().all(|share| share["shareId"] != "u-bob"));
    assert_eq!(s.fake.count("POST /api/v1/dashboards/d1/publish"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_the_owner_is_refused() {
    let s = Setup::new().await;
    run(s.cmd(&["revoke", "d1", "--user", "owner@example.com"]))
        .await
        .code(2)
        .stderr(predicate::str::contains("owns the dashboard"));
    assert_eq!(s.fake.count("PATCH"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_resolve_and_an_ambiguous_one_lists_both_ids() {
    let s = Setup::new().await;
    run(s.cmd(&[
        "grant",
        "name:Sales KPIs",
        "--group",
        "Marketing",
        "--access",
        "edit",
    ]))
    .await
    .success()
    .stdout(predicate::str::contains("updated"));
    run(s.cmd(&["grant", "name:Twin", "--user", "alice@example.com"]))
        .await
        .code(2)
        .stderr(predicate::str::contains("d2"))
        .stderr(predicate::str::contains("d3"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing() {
    let s = Setup::new().await;
    run(s.cmd(&["grant", "d1", "--user", "alice@example.com", "--dry-run"]))
        .await
        .success()
        .stdout(predicate::str::contains("added"))
        .stdout(predicate::str::contains("dry run"));
    assert_eq!(s.fake.count("PATCH"), 0);
    assert_eq!(s.fake.count("POST /api/v1/dashboards"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_secret_appears_at_the_highest_verbosity() {
    let s = Setup::new().await;
    let assert = run(s.cmd(&["-vvv", "grant", "d1", "--user", "alice@example.com"]))
        .await
        .success();
    let text = all_output(&assert);
    assert!(text.contains("PATCH"), "-vvv shows requests: {text}");
    for secret in [PASSWORD, "p%40ss", "tok-SECRET"] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_exits_3() {
    let s = Setup::new().await;
    let mut cmd = s.cmd(&["-vvv", "check"]);
    cmd.env("SISENSE_PASSWORD", "wrong+password&x");
    let assert = run(cmd).await.code(3);
    assert!(!all_output(&assert).contains("wrong+password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limiting_answers_are_ridden_out() {
    let s = Setup::new().await;
    s.fake.state.lock().unwrap().throttle_next = 2;
    run(s.cmd(&["grant", "d1", "--user", "alice@example.com"]))
        .await
        .success();
    assert_eq!(s.fake.shares("d1").len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_leads_to_one_new_login() {
    let s = Setup::new().await;
    s.fake.state.lock().unwrap().token_ttl = 2;
    run(s.cmd(&["grant", "d1", "--user", "alice@example.com"]))
        .await
        .success();
    assert_eq!(s.fake.count("POST /api/v1/authentication/login"), 2);
    assert_eq!(s.fake.shares("d1").len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn env_only_mode_needs_no_config_file() {
    let s = Setup::new().await;
    let mut cmd = dashshare(s.home.path());
    cmd.env("DASHSHARE_USERNAME", ADMIN)
        .env("DASHSHARE_PASSWORD", PASSWORD)
        .args(["--vendor", "sisense", "--url", &s.server.uri(), "check"]);
    run(cmd)
        .await
        .success()
        .stdout(predicate::str::contains("ok:"))
        .stdout(predicate::str::contains(ADMIN));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_document_with_actions() {
    let s = Setup::new().await;
    let assert = run(s.cmd(&[
        "-o",
        "json",
        "grant",
        "d1",
        "--user",
        "alice@example.com",
        "--user",
        "bob@example.com",
    ]))
    .await
    .success();
    let json = stdout_json(&assert);
    assert_eq!(json["vendor"], "sisense");
    assert_eq!(json["dashboard"]["id"], "d1");
    assert_eq!(json["results"][0]["action"], "added");
    assert_eq!(json["results"][1]["action"], "updated");
    assert_eq!(json["results"][1]["before"], "edit");
    assert_eq!(json["results"][1]["after"], "view");
    assert_eq!(json["published"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_emails_and_group_names() {
    let s = Setup::new().await;
    let assert = run(s.cmd(&["-o", "json", "list", "d1"])).await.success();
    let json = stdout_json(&assert);
    let names: Vec<&str> = json["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|share| share["principal"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["owner@example.com", "bob@example.com", "Marketing"]);
    assert_eq!(json["shares"][0]["access"], "owner");
    run(s.cmd(&["list", "d1"]))
        .await
        .success()
        .stdout(predicate::str::contains("Marketing"));
}

#[tokio::test(flavor = "multi_thread")]
async fn everyone_is_refused_on_sisense_before_any_request() {
    let s = Setup::new().await;
    run(s.cmd(&["grant", "d1", "--everyone"]))
        .await
        .code(2)
        .stderr(predicate::str::contains("eci"));
    assert!(s.fake.log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_search_filters_titles() {
    let s = Setup::new().await;
    run(s.cmd(&["dashboards", "--search", "twin"]))
        .await
        .success()
        .stdout(predicate::str::contains("d2"))
        .stdout(predicate::str::contains("d3"))
        .stdout(predicate::str::contains("Sales KPIs").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn replace_makes_the_named_principals_the_whole_set_but_keeps_the_owner() {
    let s = Setup::new().await;
    run(s.cmd(&["grant", "d1", "--user", "alice@example.com", "--replace"]))
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    let ids: Vec<String> = s
        .fake
        .shares("d1")
        .iter()
        .map(|share| share["shareId"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["owner1", "u-alice"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_republishes_without_writing() {
    let s = Setup::new().await;
    run(s.cmd(&["publish", "d1"]))
        .await
        .success()
        .stdout(predicate::str::contains("published"));
    assert_eq!(s.fake.count("POST /api/v1/dashboards/d1/publish"), 1);
    assert_eq!(s.fake.count("PATCH"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_principal_can_be_named_by_its_sisense_id() {
    let s = Setup::new().await;
    s.fake.state.lock().unwrap().users.push(serde_json::json!(
        {"_id": "5f1e0c2ab1a2b3c4d5e6f701", "email": "gone@example.com", "userName": "gone"}
    ));
    run(s.cmd(&["grant", "d1", "--user", "5f1e0c2ab1a2b3c4d5e6f701"]))
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    assert!(
        s.fake
            .shares("d1")
            .iter()
            .any(|share| share["shareId"] == "5f1e0c2ab1a2b3c4d5e6f701")
    );
}
