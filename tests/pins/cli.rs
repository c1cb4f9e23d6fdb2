//! Flags and exit codes only: usage, config and profile errors of the binary, no server.
//!
//! The binary as users and scripts drive it: hermetic (empty environment, temporary HOME), exit
//! codes from the contract, for what is refused before any server is asked. Scenarios against a
//! server go in the `e2e_*.rs` files.

use crate::common;

use crate::common::*;
use assert_cmd::assert::Assert;
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

// ---- default folders: XDG, else beside HOME (paths.rs); a user's files never move ----

#[test]
fn without_xdg_folders_the_config_is_looked_for_under_home() {
    let home = TempDir::new().unwrap();
    let beside_home = home.path().join(".config/dashshare/config.toml");
    dashshare(home.path())
        .env_remove("XDG_CONFIG_HOME")
        .args(["list", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(format!(
            "looked in: {})",
            beside_home.display()
        )));
}

#[test]
fn a_config_beside_home_is_still_found_when_xdg_config_home_is_set() {
    let home = TempDir::new().unwrap();
    let beside_home = home.path().join(".config/dashshare/config.toml");
    std::fs::create_dir_all(beside_home.parent().unwrap()).unwrap();
    // A key no profile takes: the refusal names the file that was read.
    std::fs::write(
        &beside_home,
        "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://bi.example.com\"\ncolour = \"red\"\n",
    )
    .unwrap();
    dashshare(home.path())
        .args(["list", "d1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(beside_home.display().to_string()))
        .stderr(predicate::str::contains("colour"));
}

#[test]
fn the_journal_lives_in_xdg_state_home_else_under_home() {
    let home = TempDir::new().unwrap();
    let journal_of = |assert: Assert| stdout_json(&assert)["journal"].clone();
    let in_xdg = dashshare(home.path())
        .args(["history", "-o", "json"])
        .assert()
        .success();
    assert_eq!(
        journal_of(in_xdg),
        home.path()
            .join("xdg-state/dashshare/journal.jsonl")
            .display()
            .to_string()
    );
    let under_home = dashshare(home.path())
        .env_remove("XDG_STATE_HOME")
        .args(["history", "-o", "json"])
        .assert()
        .success();
    assert_eq!(
        journal_of(under_home),
        home.path()
            .join(".local/state/dashshare/journal.jsonl")
            .display()
            .to_string()
    );
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
    assert_eq!(vendors.len(), dashshare::vendor::Vendor::ALL.len());
    assert_eq!(vendors[0]["name"], "sisense");
    assert_eq!(vendors[0]["available"], true);
    assert_eq!(vendors[1]["everyone"], true);
    // The vendors this test knows, in the table's order; a vendor added later needs no line here.
    let apply: Vec<&str> = vendors[..5]
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

// ---- refused flags of one command: exit 2, nothing sent ----

#[test]
fn verify_is_refused_with_dry_run() {
    let home = tempfile::tempdir().unwrap();
    let refused = dashshare(home.path())
        .args(["apply", "shares.csv", "--verify", "--dry-run"])
        .assert()
        .code(2);
    assert!(
        printed(&refused).contains("--dry-run"),
        "{}",
        printed(&refused)
    );
}

#[test]
fn probe_flags_need_deep() {
    let home = tempfile::TempDir::new().unwrap();
    dashshare(home.path())
        .args(["--vendor", "eci", "--url", "http://127.0.0.1:9"])
        .args(["check", "--user", "alice"])
        .assert()
        .code(2);
}

#[test]
fn wait_takes_a_duration_and_names_a_bad_one() {
    let dir = tempfile::tempdir().unwrap();
    let refused = common::dashshare(dir.path())
        .args(["grant", "8", "--user", "ALICE", "--wait", "soon"])
        .assert()
        .code(2);
    let message = printed(&refused);
    assert!(
        message.contains("--wait") && message.contains("soon"),
        "{message}"
    );
}

#[test]
fn write_config_never_replaces_a_config_it_did_not_write() {
    let dir = TempDir::new().unwrap();
    let mine = dir.path().join("config.toml");
    std::fs::write(&mine, "[profiles.prod]\nvendor = \"sisense\"\n").unwrap();
    assert_cmd::Command::cargo_bin("dashshare")
        .unwrap()
        .args(["sandbox", "--write-config"])
        .arg(&mine)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a config the sandbox wrote"));
    assert!(
        std::fs::read_to_string(&mine)
            .unwrap()
            .starts_with("[profiles.prod]")
    );
}

// ---- durations: too large is refused with exit 2 and the value, never a panic ----

#[test]
fn durations_too_large_exit_2_naming_the_value() {
    let home = TempDir::new().unwrap();
    for args in [
        &[
            "grant",
            "d1",
            "--user",
            "a@example.com",
            "--wait",
            "300000000000y",
        ][..],
        &[
            "grant",
            "d1",
            "--user",
            "a@example.com",
            "--for",
            "300000000000y",
        ],
        &["apply", "shares.csv", "--wait", "8days"],
        &["list", "d1", "--retry-budget", "300000000000y"],
        &["list", "d1", "--retry-budget", "2h"],
        &["list", "d1", "--retry-budget", "soon"],
    ] {
        let value = args.last().unwrap();
        dashshare(home.path())
            .args(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("'{value}'")))
            .stderr(predicate::str::contains("panicked").not());
    }
}
