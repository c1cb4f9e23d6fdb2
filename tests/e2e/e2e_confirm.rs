//! End to end: the binary against the sandbox, under a pseudo-terminal.
//!
//! `apply --prune` on a terminal shows the shares it will remove and asks first; `--yes` skips the
//! question. The terminal is a pseudo-terminal from util-linux `script`, fed the answer on stdin.

use std::io::Write;
use std::process::{Output, Stdio};

use crate::common::*;

const ALICE: &str = "5f0000000000000000000002";

fn bulk(n: usize) -> String {
    format!("b{n:023x}")
}

/// A sandbox where bulk dashboard 0 is shared with alice, and a file that names only erin there.
async fn home_and_file() -> (SandboxHome, String) {
    let home = SandboxHome::start().await;
    home.sandbox.edit_world(|world| {
        world.add_bulk_dashboards(1);
        let dashboard = world.sisense.dashboards.last_mut().unwrap();
        dashboard.shares.push(
            serde_json::json!({"shareId": ALICE, "type": "user", "rule": "edit", "subscribe": false}),
        );
    });
    let path = home.home.path().join("shares.csv");
    std::fs::write(
        &path,
        format!(
            "profile,dashboard,principal,access\nsandbox-sisense,{},user:erin@example.com,view\n",
            bulk(0)
        ),
    )
    .unwrap();
    (home, path.to_str().unwrap().to_string())
}

/// `dashshare -p sandbox-sisense ARGS…` on a terminal, typing `typed`.
async fn on_terminal(home: &SandboxHome, args: &[&str], typed: &str) -> Output {
    let line = std::iter::once(env!("CARGO_BIN_EXE_dashshare"))
        .chain(["-q", "-p", "sandbox-sisense"])
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut child = home
        .process("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env("PATH", "/usr/bin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("these tests need util-linux `script` for a terminal");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

fn alice_has_it(home: &SandboxHome) -> bool {
    home.world()
        .sisense
        .dashboards
        .iter()
        .any(|d| d.oid == bulk(0) && d.shares.iter().any(|s| s["shareId"] == ALICE))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prune_on_a_terminal_shows_the_removals_and_stops_unless_confirmed() {
    let (home, file) = home_and_file().await;
    let output = on_terminal(&home, &["apply", &file, "--prune"], "n\n").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("This removes 1 share:"), "{shown}");
    assert!(shown.contains("alice@example.com"), "{shown}");
    assert!(shown.contains("Remove 1 share? [y/N]"), "{shown}");
    assert!(
        shown.contains("not confirmed, so nothing was changed"),
        "{shown}"
    );
    assert!(alice_has_it(&home), "alice was removed without a yes");
    assert_eq!(
        home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE),
        0
    );

    let output = on_terminal(&home, &["apply", &file, "--prune"], "y\n").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Remove 1 share? [y/N]"), "{shown}");
    assert!(!alice_has_it(&home));
}

#[tokio::test(flavor = "multi_thread")]
async fn yes_removes_without_the_question() {
    let (home, file) = home_and_file().await;
    let output = on_terminal(&home, &["apply", &file, "--prune", "--yes"], "").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert!(!alice_has_it(&home));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replacing_grant_on_a_terminal_asks_before_it_removes() {
    let (home, _) = home_and_file().await;
    let dashboard = bulk(0);
    let grant = [
        "grant",
        dashboard.as_str(),
        "--user",
        "erin@example.com",
        "--replace",
    ];
    let output = on_terminal(&home, &grant, "no\n").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("alice@example.com"), "{shown}");
    assert!(shown.contains("Remove 1 share? [y/N]"), "{shown}");
    assert!(alice_has_it(&home), "alice was removed without a yes");
    assert_eq!(
        home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE),
        0
    );

    let mut yes = grant.to_vec();
    yes.push("--yes");
    let output = on_terminal(&home, &yes, "").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(!shown.contains("[y/N]"), "{shown}");
    assert!(!alice_has_it(&home));
}

fn erin_has_it(home: &SandboxHome) -> bool {
    let world = home.world();
    let erin = world
        .sisense
        .users
        .iter()
        .find(|u| u.email == "erin@example.com")
        .map(|u| u.id.clone())
        .unwrap();
    world
        .sisense
        .dashboards
        .iter()
        .any(|d| d.oid == bulk(0) && d.shares.iter().any(|s| s["shareId"] == erin.as_str()))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undo_on_a_terminal_shows_what_it_removes_and_asks() {
    let (home, file) = home_and_file().await;
    home.run("sandbox-sisense", &["apply", &file])
        .await
        .success();
    assert!(erin_has_it(&home));
    let history = home
        .run("sandbox-sisense", &["-o", "json", "history"])
        .await
        .success();
    let runs: serde_json::Value = serde_json::from_slice(&history.get_output().stdout).unwrap();
    let run_id = runs["runs"][0]["run_id"].as_str().unwrap().to_string();
    let writes = home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE);

    let output = on_terminal(&home, &["undo", &run_id], "n\n").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("erin"), "{shown}");
    assert!(shown.contains("Remove 1 share? [y/N]"), "{shown}");
    assert!(erin_has_it(&home), "erin was removed without a yes");
    assert_eq!(
        home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE),
        writes
    );

    let output = on_terminal(&home, &["undo", &run_id], "y\n").await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(!erin_has_it(&home), "{shown}");
    assert!(
        alice_has_it(&home),
        "the undo kept what was there before the run"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_from_stdin_on_a_terminal_needs_yes_to_prune() {
    let (home, file) = home_and_file().await;
    let typed = std::fs::read_to_string(&file).unwrap();
    // The question would be read from the stdin that carries the file: refused before reading.
    let output = on_terminal(&home, &["apply", "-", "--format", "csv", "--prune"], &typed).await;
    let shown = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{shown}");
    assert!(shown.contains("add --yes"), "{shown}");
    assert!(alice_has_it(&home), "alice was removed without a yes");
    assert_eq!(
        home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE),
        0
    );
}
