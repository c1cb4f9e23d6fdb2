//! End to end: the binary against the sandbox and a wiremock writer from elsewhere.
//!
//! `apply --verify` (issue 11, "no lost update between runs"): a run on another machine, or
//! another tool, can write a dashboard's whole share list over this run's write. At the end of
//! the run every written dashboard is read back, and what the file wants but the server no longer
//! holds is written again, journaled under the run's id; what stays missing fails (exit 1).

use crate::common::*;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The share read's answer (pysisense `migration/dashboards.py` reads `sharesTo` and `owner._id`).
fn shares_answer(shares: Value) -> Value {
    json!({"sharesTo": shares, "owner": {"_id": "owner1", "userName": "owner@example.com"}})
}

fn viewer(id: &str) -> Value {
    json!({"shareId": id, "type": "user", "rule": "view", "subscribe": false})
}

/// Reads of d1 answered `shares`, at `priority` (lower wins), for the first `times` reads that
/// reach it (`None`: every one), expected `expected` times.
async fn mount_read(
    server: &MockServer,
    shares: Value,
    priority: u8,
    times: Option<u64>,
    expected: u64,
) {
    let mock = Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param("adminAccess", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(shares_answer(shares)))
        .with_priority(priority);
    let mock = match times {
        Some(times) => mock.up_to_n_times(times),
        None => mock,
    };
    mock.expect(expected)
        .named(format!("read d1 (priority {priority})"))
        .mount(server)
        .await;
}

/// Writes of exactly `shares` to d1, expected `times` times.
async fn mount_write(server: &MockServer, shares: Value, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param("adminAccess", "true"))
        .and(body_json(json!({ "sharesTo": shares })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oid": "d1"})))
        .expect(times)
        .named(format!("write d1 {shares}"))
        .mount(server)
        .await;
}

async fn mount_publish(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(times)
        .named("publish d1")
        .mount(server)
        .await;
}

/// `dashshare -p test -o json apply FILE --verify --failed-out failed.csv` against `server`,
/// the file asking for alice at view on d1.
async fn apply_verify(server: &MockServer, home: &std::path::Path) -> assert_cmd::assert::Assert {
    let config = write_sisense_config(home, &server.uri());
    let file = home.join("shares.csv");
    std::fs::write(
        &file,
        "profile,dashboard,principal,access\ntest,d1,user:alice@example.com,view\n",
    )
    .unwrap();
    let mut command = dashshare(home);
    command
        .env("SISENSE_PASSWORD", PASSWORD)
        .arg("--config")
        .arg(&config)
        .args(["-p", "test", "-o", "json", "--timeout", "5", "apply"])
        .arg(&file)
        .args(["--verify", "--failed-out"])
        .arg(home.join("failed.csv"));
    tokio::task::spawn_blocking(move || command.assert())
        .await
        .unwrap()
}

/// The journal's confirmed writes (each also has its intent line before it).
fn journal(home: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(home.join("xdg-state/dashshare/journal.jsonl"))
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|entry| entry["kind"] == "written")
        .collect()
}

#[tokio::test]
async fn a_share_another_writer_removed_after_the_write_is_written_again_and_journaled() {
    let server = MockServer::start().await;
    let home = tempfile::tempdir().unwrap();
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    // Read to plan; then, read back, another writer's list (it added bob and lost alice); then
    // the repaired list.
    mount_read(
        &server,
        json!([owner_share(), group_share()]),
        1,
        Some(1),
        1,
    )
    .await;
    mount_read(
        &server,
        json!([owner_share(), group_share(), viewer("bob1")]),
        2,
        Some(1),
        1,
    )
    .await;
    mount_read(
        &server,
        json!([
            owner_share(),
            group_share(),
            viewer("bob1"),
            viewer("alice1")
        ]),
        3,
        None,
        1,
    )
    .await;
    // The run's write, then the repair: bob, whom the other writer added, stays.
    mount_write(
        &server,
        json!([owner_share(), group_share(), viewer("alice1")]),
        1,
    )
    .await;
    mount_write(
        &server,
        json!([
            owner_share(),
            group_share(),
            viewer("bob1"),
            viewer("alice1")
        ]),
        1,
    )
    .await;
    mount_publish(&server, 2).await;

    let done = apply_verify(&server, home.path()).await.success();
    let report: Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    let row = &report["results"][0];
    assert_eq!(row["action"], "repaired", "{report}");
    assert!(row["note"].as_str().unwrap().contains("--verify"), "{row}");
    assert_eq!(report["summary"][0]["repaired"], 1, "{report}");
    // Both writes under the run's id, so that `undo` of the run puts back the state before it.
    let run_id = report["run_id"].as_str().unwrap();
    let entries = journal(home.path());
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|entry| entry["run_id"] == run_id));
    assert_eq!(
        entries[1]["before"].as_array().unwrap().len(),
        3,
        "{}",
        entries[1]
    );
    assert_eq!(
        entries[1]["after"].as_array().unwrap().len(),
        4,
        "{}",
        entries[1]
    );
}

#[tokio::test]
async fn a_share_removed_again_after_every_repair_fails_its_dashboard_with_exit_1() {
    let server = MockServer::start().await;
    let home = tempfile::tempdir().unwrap();
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    // Every read lacks alice: the plan's, then the four read-backs (one per repair, one more).
    mount_read(&server, json!([owner_share(), group_share()]), 1, None, 5).await;
    // The run's write and three repairs.
    mount_write(
        &server,
        json!([owner_share(), group_share(), viewer("alice1")]),
        4,
    )
    .await;
    mount_publish(&server, 4).await;

    let failed = apply_verify(&server, home.path()).await.code(1);
    let report: Value = serde_json::from_slice(&failed.get_output().stdout).unwrap();
    assert_eq!(report["results"][0]["action"], "failed", "{report}");
    let error = report["dashboards"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("--verify wrote it again 3 times")
            && error.contains("user 'alice@example.com'"),
        "{error}"
    );
    // Ready to apply again once the other writer is done.
    let rows = std::fs::read_to_string(home.path().join("failed.csv")).unwrap();
    assert!(
        rows.contains("test,d1,user:alice@example.com,view"),
        "{rows}"
    );
    assert_eq!(journal(home.path()).len(), 4);
}

#[tokio::test]
async fn dashboards_that_hold_their_shares_are_read_back_once_and_blind_vendors_are_named() {
    let home = SandboxHome::start().await;
    let file = home.home.path().join("mixed.csv");
    std::fs::write(
        &file,
        "profile,dashboard,principal\nsandbox-eci,8,user:ALICE\nsandbox-vizzly,dsh_0f3a,user:customer-42\n",
    )
    .unwrap();
    let done = home
        .run(
            "sandbox-eci",
            &["apply", file.to_str().unwrap(), "--verify"],
        )
        .await
        .success();
    let text = printed(&done);
    assert!(
        text.contains("--verify cannot read back vizzly dashboards")
            && text.contains("1 written there"),
        "{text}"
    );
    assert!(!text.contains("repaired"), "{text}");
    let eci = home.sandbox.requests(dashshare::vendor::Vendor::Eci);
    let reads = eci
        .iter()
        .filter(|r| r.starts_with("GET /api/v3/dashboard/8/share"))
        .count();
    let writes = eci.iter().filter(|r| r.starts_with("PUT")).count();
    assert_eq!((reads, writes), (2, 1), "{eci:?}");
}

/// A run whose journal shows another writer's change between two of its writes to a dashboard
/// (what a `--verify` repair records) is not undone over that change unless `--force`.
#[tokio::test(flavor = "multi_thread")]
async fn undo_refuses_a_dashboard_another_writer_changed_between_the_runs_writes() {
    let home = SandboxHome::start().await;
    let file = home.home.path().join("alice.csv");
    std::fs::write(
        &file,
        "profile,dashboard,principal\nsandbox-eci,8,user:ALICE\n",
    )
    .unwrap();
    let done = home
        .run(
            "sandbox-eci",
            &["-o", "json", "apply", file.to_str().unwrap()],
        )
        .await
        .success();
    let report: Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    // Another writer adds BOB (5) and drops ALICE; the run writes ALICE again over it, as
    // --verify does, and journals that second write under its id.
    let journal_path = home.home.path().join("xdg-state/dashshare/journal.jsonl");
    let written = std::fs::read_to_string(&journal_path).unwrap();
    let first: Value = serde_json::from_str(written.lines().last().unwrap()).unwrap();
    let alice = first["after"][0].clone();
    let mut bob = alice.clone();
    bob["id"] = json!("5");
    let mut second = first.clone();
    second["before"] = json!([bob.clone()]);
    second["after"] = json!([bob, alice]);
    // As dashshare writes a line: with the checksum of its text.
    second.as_object_mut().unwrap().remove("sha256");
    let mut journal = std::fs::read_to_string(&journal_path).unwrap();
    let line = dashshare::checksum::seal(&second.to_string());
    journal.push_str(&format!("{line}\n"));
    std::fs::write(&journal_path, journal).unwrap();
    home.sandbox.edit_world(|world| {
        let dashboard = world
            .eci
            .dashboards
            .iter_mut()
            .find(|d| d.dashboard_id == 8);
        dashboard.unwrap().shared_user_ids = [5, 11].into();
    });
    let shared = |home: &SandboxHome| {
        let world = home.world();
        let dashboard = world.eci.dashboards.iter().find(|d| d.dashboard_id == 8);
        dashboard.unwrap().shared_user_ids.clone()
    };

    let refused = home.run("sandbox-eci", &["undo", &run_id]).await.code(1);
    assert!(
        printed(&refused).contains("another writer changed"),
        "{}",
        printed(&refused)
    );
    assert_eq!(shared(&home), [5, 11].into());
    home.run("sandbox-eci", &["undo", &run_id, "--force"])
        .await
        .success();
    assert!(shared(&home).is_empty());
}
