//! End to end: the binary against the sandbox, its stdout or stderr closed.
//!
//! A closed stderr (`dashshare -v apply f.csv 2>&1 | head -3`) must never panic the run (exit 101)
//! nor cut it between a write and its journal entry: diagnostics are dropped, the work goes on.

use std::process::{Command, Stdio};

use crate::common::{SISENSE_DASHBOARD, SandboxHome};

/// Runs `command` with its stderr a pipe whose reading end is already closed.
fn with_closed_stderr(mut command: Command) -> std::process::Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    drop(child.stderr.take());
    child.wait_with_output().expect("the binary ends")
}

fn hermetic(home: &std::path::Path) -> Command {
    let mut command = Command::new(assert_cmd::cargo::cargo_bin("dashshare"));
    command
        .env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg-config"))
        .env("XDG_STATE_HOME", home.join("xdg-state"));
    command
}

#[test]
fn an_error_message_to_a_closed_stderr_keeps_the_exit_code() {
    let home = tempfile::TempDir::new().unwrap();
    let mut command = hermetic(home.path());
    command.env("DASHSHARE_API_KEY", "k").args([
        "--vendor",
        "eci",
        "--url",
        "http://127.0.0.1:9",
        "list",
        "x",
    ]);
    let output = with_closed_stderr(command);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_verbose_grant_with_a_closed_stderr_writes_journals_and_succeeds() {
    let run = SandboxHome::start().await;
    let home = run.home.path().to_path_buf();
    let mut command = hermetic(&home);
    command.env("DASHSHARE_CONFIG", home.join("config.toml"));
    for (name, value) in run.sandbox.secrets() {
        command.env(name, value);
    }
    command.args([
        "-vvv",
        "-p",
        "sandbox-sisense",
        "grant",
        SISENSE_DASHBOARD,
        "--user",
        "alice@example.com",
    ]);
    let output = tokio::task::spawn_blocking(move || with_closed_stderr(command))
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let journal = std::fs::read_to_string(home.join("xdg-state/dashshare/journal.jsonl"))
        .expect("the write was journaled");
    // The intent before the write, the outcome after it.
    let kinds: Vec<String> = journal
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap()["kind"].to_string())
        .collect();
    assert_eq!(kinds, ["\"intent\"", "\"written\""], "{journal}");
}
