//! End to end: the binary against the sandbox, sent SIGINT or SIGTERM mid-run.
//!
//! SIGINT and SIGTERM in the middle of an apply, through the real binary against a slow sandbox:
//! the writes under way finish and are journaled, the summary names the run to undo, the rows not
//! done (and only those) go to --failed-out, the exit code is the signal's, and `undo` puts back
//! what was written. A second SIGINT stops at once and leaves the journal readable. Against a
//! wiremock Sisense that stops answering, a signal also ends the waits: a retry's sleep and a
//! request under way.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output};
use std::time::Duration;

use crate::common::*;
use dashshare::sandbox::{SandboxOptions, World};
use dashshare::vendor::Vendor;

const ALICE: &str = "5f0000000000000000000002";
const DASHBOARDS: usize = 30;

fn bulk(n: usize) -> String {
    format!("b{n:023x}")
}

/// A sandbox slow enough (each request waits `latency`) that a run can be stopped half way.
async fn slow_home(latency: Duration) -> SandboxHome {
    let home = SandboxHome::with(SandboxOptions {
        latency,
        ..Default::default()
    })
    .await;
    home.sandbox
        .edit_world(|world| world.add_bulk_dashboards(DASHBOARDS));
    home
}

/// A file giving alice view on every bulk dashboard.
fn write_file(home: &SandboxHome) -> String {
    let mut text = String::from("profile,dashboard,principal,access\n");
    for n in 0..DASHBOARDS {
        text.push_str(&format!(
            "sandbox-sisense,{},user:alice@example.com,view\n",
            bulk(n)
        ));
    }
    let path = home.home.path().join("shares.csv");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// The binary in the background, its output captured.
fn spawn(home: &SandboxHome, args: &[&str]) -> Child {
    home.spawn_sisense(args, true)
}

fn send(child: &Child, signal: &str) {
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success(), "kill {signal} failed");
}

/// Waits until the sandbox has received `writes` share writes (while the run goes on).
async fn wait_for_writes(home: &SandboxHome, child: &mut Child, writes: usize) {
    while home.count(Vendor::Sisense, SHARES_WRITE) < writes {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before {writes} writes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn finish(child: Child) -> Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

fn has_alice(world: &World, oid: &str) -> bool {
    let dashboard = world
        .sisense
        .dashboards
        .iter()
        .find(|d| d.oid == oid)
        .unwrap();
    dashboard.shares.iter().any(|s| s["shareId"] == ALICE)
}

/// The dashboards a failed-rows file holds rows for.
fn failed_dashboards(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let (mark, rows) = text.split_once('\n').unwrap();
    assert_eq!(mark, dashshare::apply::FAILED_ROWS_MARK);
    csv::Reader::from_reader(rows.as_bytes())
        .records()
        .map(|record| record.unwrap()[1].to_string())
        .collect()
}

/// Stops an apply with `signal` after a few writes and checks everything a stopped run promises.
async fn an_apply_stopped_by(signal: &str, status: i32) {
    let home = slow_home(Duration::from_millis(150)).await;
    let file = write_file(&home);
    let failed = home.home.path().join("failed.csv");
    let failed_arg = failed.to_str().unwrap();
    let mut child = spawn(
        &home,
        &[
            "apply",
            &file,
            "--concurrency",
            "2",
            "--failed-out",
            failed_arg,
        ],
    );
    wait_for_writes(&home, &mut child, 3).await;
    send(&child, signal);
    let output = finish(child).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(status),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );

    // Every dashboard is either written or in the failed rows, never both, and some of each.
    let world = home.world();
    let done: BTreeSet<String> = (0..DASHBOARDS)
        .map(bulk)
        .filter(|oid| has_alice(&world, oid))
        .collect();
    let not_done: BTreeSet<String> = (0..DASHBOARDS)
        .map(bulk)
        .filter(|oid| !done.contains(oid))
        .collect();
    assert!(done.len() >= 3, "the writes under way finished: {done:?}");
    assert!(!not_done.is_empty(), "the run went on to the end");
    assert_eq!(failed_dashboards(&failed), not_done);

    // The summary names the run and how to undo it; the error says what was not started.
    let run_id = stdout
        .split("dashshare undo ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no undo command in:\n{stdout}"))
        .to_string();
    assert!(stdout.contains(&format!("Run {run_id}: {} dashboards written", done.len())));
    let idle = dashshare::wording::plural(not_done.len(), "dashboard");
    assert!(stdout.contains(&format!("not started: {idle}")));
    assert!(
        stderr.contains(&format!(
            "{} of {DASHBOARDS} dashboards not started",
            not_done.len()
        )),
        "{stderr}"
    );
    assert!(stderr.contains(failed_arg), "{stderr}");

    // Every write is journaled: history reads it and undo puts every dashboard back.
    home.run("sandbox-sisense", &["history"])
        .await
        .success()
        .stdout(predicates::str::contains(run_id.as_str()));
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success();
    let world = home.world();
    for n in 0..DASHBOARDS {
        assert!(!has_alice(&world, &bulk(n)), "{} not put back", bulk(n));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_finishes_the_writes_under_way_and_exits_130() {
    an_apply_stopped_by("-INT", 130).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_finishes_the_writes_under_way_and_exits_143() {
    an_apply_stopped_by("-TERM", 143).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sigint_stops_at_once_and_the_journal_stays_readable() {
    // Slow enough that the writes under way are still waiting when the second signal comes.
    let home = slow_home(Duration::from_millis(1500)).await;
    let file = write_file(&home);
    let mut child = spawn(&home, &["apply", &file, "--concurrency", "4"]);
    wait_for_writes(&home, &mut child, 1).await;
    send(&child, "-INT");
    // The second signal only after the first was taken (signals that arrive together are one).
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let first = tokio::task::spawn_blocking(move || {
        let taken = lines
            .by_ref()
            .map_while(Result::ok)
            .find(|line| line.contains("SIGINT: starting nothing more"));
        (taken, lines)
    });
    let (taken, lines) = first.await.unwrap();
    assert!(taken.is_some(), "the first SIGINT was not taken");
    send(&child, "-INT");
    let output = finish(child).await;
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert_eq!(output.status.code(), Some(130), "stderr: {rest:?}");
    assert!(
        rest.iter()
            .any(|line| line.contains("SIGINT: stopped at once")),
        "{rest:?}"
    );
    assert!(
        output.stdout.is_empty(),
        "no summary: the run did not wait for its writes: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    home.run("sandbox-sisense", &["history"]).await.success();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_undo_puts_back_what_it_started_and_a_second_undo_the_rest() {
    let home = slow_home(Duration::from_millis(150)).await;
    let file = write_file(&home);
    let applied = home
        .run("sandbox-sisense", &["apply", &file])
        .await
        .success();
    let stdout = String::from_utf8_lossy(&applied.get_output().stdout).to_string();
    let run_id = stdout
        .split("dashshare undo ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap()
        .to_string();
    let writes = home.count(Vendor::Sisense, SHARES_WRITE);

    let mut child = spawn(&home, &["undo", &run_id]);
    wait_for_writes(&home, &mut child, writes + 1).await;
    send(&child, "-INT");
    let output = finish(child).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("not started"), "{stdout}");
    assert!(
        stderr.contains(&format!("Run `dashshare undo {run_id}` again")),
        "{stderr}"
    );
    let world = home.world();
    let still_shared = (0..DASHBOARDS)
        .filter(|n| has_alice(&world, &bulk(*n)))
        .count();
    assert!(
        still_shared > 0 && still_shared < DASHBOARDS,
        "{still_shared} of {DASHBOARDS} still shared"
    );

    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success();
    let world = home.world();
    for n in 0..DASHBOARDS {
        assert!(!has_alice(&world, &bulk(n)), "{} not put back", bulk(n));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_grant_finishes_its_write_journals_it_and_exits_130() {
    let home = slow_home(Duration::from_millis(300)).await;
    let dashboard = bulk(0);
    let mut child = spawn(&home, &["grant", &dashboard, "--user", "alice@example.com"]);
    wait_for_writes(&home, &mut child, 1).await;
    send(&child, "-INT");
    let output = finish(child).await;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stdout}\n{stderr}");
    assert!(stdout.contains("added"), "the summary: {stdout}");
    let run_id = stderr
        .split("dashshare undo ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("no undo command in:\n{stderr}"))
        .to_string();
    assert!(has_alice(&home.world(), &dashboard));
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success();
    assert!(!has_alice(&home.world(), &dashboard));
}

/// SIGTERM while a `--jq` filter runs on a finished grant's document ends the process within
/// 2 s, exit 143, with the write journaled (issue 24: it ran on, ignoring the signal).
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_stops_a_jq_filter_at_once() {
    let home = SandboxHome::start().await;
    let dashboard = SISENSE_DASHBOARD;
    let child = spawn(
        &home,
        &[
            "-o",
            "json",
            "--jq",
            "last(range(1e15))",
            "grant",
            dashboard,
            "--user",
            "erin@example.com",
        ],
    );
    // The write lands first; the filter then spins.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while home.count(Vendor::Sisense, "POST /api/shares/dashboard") == 0 {
        assert!(std::time::Instant::now() < deadline, "no write");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    send(&child, "-TERM");
    let sent = std::time::Instant::now();
    let output = finish(child).await;
    assert!(
        sent.elapsed() < Duration::from_secs(2),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(output.status.code(), Some(143), "{output:?}");
    let history = home.run("sandbox-sisense", &["history"]).await.success();
    assert!(printed(&history).contains("grant"), "journaled");
}

/// A Sisense where d1 takes alice and d2's read is answered by `d2` (which says when it is
/// asked); the apply gives alice view on d1, then on d2.
async fn half_answering_sisense(
    home: &Path,
    d2: wiremock::ResponseTemplate,
) -> (
    wiremock::MockServer,
    std::sync::Arc<tokio::sync::Notify>,
    std::path::PathBuf,
) {
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    mount_no_data_model(&server).await;
    let owner = json!({"sharesTo": [owner_share()], "owner": {"_id": "owner1"}});
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(owner))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oid": "d1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    let asked = std::sync::Arc::new(tokio::sync::Notify::new());
    let tell = asked.clone();
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d2"))
        .respond_with(move |_: &wiremock::Request| {
            tell.notify_one();
            d2.clone()
        })
        .expect(1)
        .mount(&server)
        .await;
    let config = write_sisense_config(home, &server.uri());
    (server, asked, config)
}

/// SIGTERM while the run waits on a server ends it within 2 s, whatever it waits for: a
/// retry's sleep (a 503 asking for 30 s) or an answer 30 s away. The summary names the run
/// (d1 was written), d2's row goes to --failed-out, and the exit code is 143.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_retry_or_mid_request_ends_the_run_within_2_s() {
    use wiremock::ResponseTemplate;
    let waits = [
        (
            "mid-retry",
            ResponseTemplate::new(503).insert_header("Retry-After", "30"),
        ),
        (
            "mid-request",
            ResponseTemplate::new(200).set_delay(Duration::from_secs(30)),
        ),
    ];
    for (case, d2) in waits {
        let home = tempfile::tempdir().unwrap();
        let (_server, asked, config) = half_answering_sisense(home.path(), d2).await;
        let file = home.path().join("shares.csv");
        std::fs::write(
            &file,
            "profile,dashboard,principal,access\ntest,d1,user:alice@example.com,view\n\
             test,d2,user:alice@example.com,view\n",
        )
        .unwrap();
        let failed = home.path().join("failed.csv");
        let root = home.path();
        let child = Command::new(env!("CARGO_BIN_EXE_dashshare"))
            .env_clear()
            .env("HOME", root)
            .env("XDG_CONFIG_HOME", root.join("xdg-config"))
            .env("XDG_STATE_HOME", root.join("xdg-state"))
            .env("NO_COLOR", "1")
            .env("SISENSE_PASSWORD", PASSWORD)
            .arg("--config")
            .arg(&config)
            .args(["-p", "test", "--timeout", "60", "apply"])
            .arg(&file)
            .args(["--concurrency", "1", "--failed-out"])
            .arg(&failed)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(60), asked.notified())
            .await
            .unwrap_or_else(|_| panic!("{case}: d2 was never read"));
        send(&child, "-TERM");
        let sent = std::time::Instant::now();
        let output = finish(child).await;
        let took = sent.elapsed();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(143),
            "{case}:\n{stdout}\n{stderr}"
        );
        assert!(
            took < Duration::from_secs(2),
            "{case}: ended {took:?} after SIGTERM"
        );
        assert!(
            stdout.contains("dashshare undo "),
            "{case}: no run id in:\n{stdout}"
        );
        assert_eq!(
            failed_dashboards(&failed),
            BTreeSet::from(["d2".to_string()]),
            "{case}"
        );
    }
}
