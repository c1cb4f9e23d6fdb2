//! End to end: the binary against the sandbox, killed mid-run, then `undo`.
//!
//! A run killed (kill -9) in the middle of an apply, against a server that answers each write
//! well after committing it: the journal's intents still tell `undo` every dashboard that may
//! have changed, and `undo` puts back every one that did.

use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::*;
use dashshare::sandbox::{SandboxOptions, World};
use predicates::prelude::*;
use serde_json::Value;

const DASHBOARDS: usize = 40;
const ALICE: &str = "alice@example.com";

fn bulk(n: usize) -> String {
    format!("b{n:023x}")
}

/// Each bulk dashboard's share set, in order.
fn bulk_shares(world: &World) -> Vec<Vec<Value>> {
    (0..DASHBOARDS)
        .map(|n| {
            world
                .sisense
                .dashboards
                .iter()
                .find(|d| d.oid == bulk(n))
                .map(|d| d.shares.clone())
                .unwrap_or_default()
        })
        .collect()
}

/// `dashshare -p sandbox-sisense ARGS…` as a child process, so that it can be killed.
fn spawn(home: &SandboxHome, args: &[&str]) -> Child {
    home.spawn_sisense(args, false)
}

fn journal_lines(home: &SandboxHome) -> usize {
    std::fs::read_to_string(home.home.path().join("xdg-state/dashshare/journal.jsonl"))
        .map(|text| text.lines().count())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_restores_every_dashboard_a_killed_apply_changed() {
    // Each write (the share write and the publish) is answered three seconds after it is
    // committed: a kill in that window leaves a change the run never heard back about. The
    // window is wide so that a loaded machine still kills inside it.
    let home = SandboxHome::with(SandboxOptions {
        commit_delay: Duration::from_secs(3),
        ..SandboxOptions::default()
    })
    .await;
    home.sandbox
        .edit_world(|world| world.add_bulk_dashboards(DASHBOARDS));
    let original = bulk_shares(&home.world());
    let mut file = String::from("profile,dashboard,principal,access\n");
    for n in 0..DASHBOARDS {
        file.push_str(&format!("sandbox-sisense,{},user:{ALICE},view\n", bulk(n)));
    }
    let path = home.home.path().join("shares.csv");
    std::fs::write(&path, file).unwrap();

    let mut child = spawn(
        &home,
        &["apply", path.to_str().unwrap(), "--concurrency", "4"],
    );
    // Past the first round of four (answered and journaled as written), into the second, whose
    // writes are committed but not yet answered.
    let give_up = Instant::now() + Duration::from_secs(120);
    let changed = loop {
        let now = bulk_shares(&home.world());
        let changed: Vec<usize> = (0..DASHBOARDS).filter(|&n| now[n] != original[n]).collect();
        if changed.len() > 4 {
            break changed;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the apply ended before it could be killed"
        );
        assert!(Instant::now() < give_up, "the apply wrote nothing");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(
        child.try_wait().unwrap().is_none(),
        "the apply must still be running when it is killed"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(changed.len() < DASHBOARDS, "the kill came after the run");

    // The run is in the history, marked as interrupted.
    let listed = home
        .run("sandbox-sisense", &["-o", "json", "history"])
        .await
        .success();
    let history: Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    let run = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|run| run["command"].as_str().unwrap().starts_with("apply"))
        .expect("the killed apply is in the history")
        .clone();
    assert_eq!(run["interrupted"], true, "{run}");
    assert!(run["unanswered"].as_u64().unwrap() >= 1, "{run}");
    let run_id = run["run_id"].as_str().unwrap();

    // What every dashboard looks like now, since writes under way at the kill may still land.
    let killed = bulk_shares(&home.world());
    let changed: Vec<usize> = (0..DASHBOARDS)
        .filter(|&n| killed[n] != original[n])
        .collect();

    // The dry run shows the plan and writes nothing, journals nothing.
    let lines = journal_lines(&home);
    let planned = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "undo", run_id, "--dry-run"],
        )
        .await
        .success();
    let plan: Value = serde_json::from_slice(&planned.get_output().stdout).unwrap();
    let would: Vec<&str> = plan["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] == "would write")
        .map(|r| r["dashboard"].as_str().unwrap())
        .collect();
    assert_eq!(would.len(), changed.len(), "{plan}");
    for n in &changed {
        assert!(would.contains(&bulk(*n).as_str()), "{} in {plan}", bulk(*n));
    }
    assert_eq!(bulk_shares(&home.world()), killed);
    assert_eq!(journal_lines(&home), lines);

    home.run("sandbox-sisense", &["undo", run_id])
        .await
        .success()
        .stdout(predicate::str::contains("put back as before the run"));
    assert_eq!(
        bulk_shares(&home.world()),
        original,
        "every dashboard the killed run changed is back"
    );
}
