//! End to end: the binary against the sandbox, several runs on one journal.
//!
//! Runs that share a journal take turns (issue 11, "no lost update between runs"): `grant`,
//! `revoke`, `apply` and `undo` hold an exclusive lock on the journal from before their first read
//! until they end; a second run waits with `--wait`, or exits 2 naming the holder. Issue 24: a
//! journal or lock file deleted or swapped for a link lets no second run in and redirects no write.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::{SandboxHome, printed};
use dashshare::run_lock::{Holder, RunLock, lock_path};
use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use dashshare::vendor::Vendor;

const DASHBOARDS: i64 = 100;
const FIRST_BULK: i64 = 100_000;

/// The four principals the overlapping runs add, one each.
const PRINCIPALS: [&str; 4] = [
    "user:BOB",
    "user:ALICE",
    "group:Managers",
    "group:Facility Ops",
];

/// A sandbox with 100 unshared ECI dashboards, answering every request after `latency`, so that
/// runs at once overlap their reads and writes.
async fn bulk_sandbox(latency: Duration) -> SandboxHome {
    let mut world = World::seeded();
    world.add_bulk_dashboards(DASHBOARDS as usize);
    let options = SandboxOptions {
        latency,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(world, &options).await.unwrap();
    let home = tempfile::TempDir::new().unwrap();
    std::fs::write(home.path().join("config.toml"), sandbox.config_toml(None)).unwrap();
    SandboxHome { sandbox, home }
}

/// The binary as `common::dashshare` runs it (cleared environment, the home's own XDG folders, so
/// one journal), with the sandbox's config and secrets; as a plain process, to start several.
fn process(home: &SandboxHome, args: &[&str]) -> Command {
    let mut command = home.process(env!("CARGO_BIN_EXE_dashshare"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn journal_of(home: &SandboxHome) -> PathBuf {
    home.home.path().join("xdg-state/dashshare/journal.jsonl")
}

fn apply_file(home: &SandboxHome, principal: &str, n: usize) -> PathBuf {
    let mut csv = String::from("profile,dashboard,principal\n");
    for id in FIRST_BULK..FIRST_BULK + DASHBOARDS {
        csv.push_str(&format!("sandbox-eci,{id},{principal}\n"));
    }
    let path = home.home.path().join(format!("run{n}.csv"));
    std::fs::write(&path, csv).unwrap();
    path
}

/// How many of the bulk dashboards' shares (users and groups) the sandbox holds.
fn bulk_shares(home: &SandboxHome) -> usize {
    home.world()
        .eci
        .dashboards
        .iter()
        .filter(|d| d.dashboard_id >= FIRST_BULK)
        .map(|d| d.shared_user_ids.len() + d.shared_user_group_ids.len())
        .sum()
}

/// Starts one process per argument list at once and waits for them all, off the runtime the
/// sandbox answers on.
async fn run_at_once(commands: Vec<Command>) -> Vec<Output> {
    tokio::task::spawn_blocking(move || {
        let children: Vec<_> = commands
            .into_iter()
            .map(|mut command| command.spawn().unwrap())
            .collect();
        children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect()
    })
    .await
    .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The red-team case of issue 11: four applies at once on the same 100 dashboards, each adding
/// another principal, used to exit 0 with 96 of the 400 shares gone. Sharing a journal, they now
/// take turns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_overlapping_applies_on_one_journal_keep_all_400_shares() {
    let home = bulk_sandbox(Duration::from_millis(15)).await;
    let files: Vec<PathBuf> = PRINCIPALS
        .iter()
        .enumerate()
        .map(|(n, principal)| apply_file(&home, principal, n))
        .collect();
    let commands = files
        .iter()
        .map(|file| {
            process(
                &home,
                &[
                    "apply",
                    file.to_str().unwrap(),
                    "--wait",
                    "120s",
                    "--concurrency",
                    "16",
                ],
            )
        })
        .collect();
    let outputs = run_at_once(commands).await;
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", text(output));
        assert!(
            text(output).contains("100 dashboards written"),
            "{}",
            text(output)
        );
    }
    assert_eq!(bulk_shares(&home), 400);
    // Every run is in the one journal, whole: each write's intent, then its outcome.
    let journal = std::fs::read_to_string(journal_of(&home)).unwrap();
    let written = journal
        .lines()
        .filter(|line| line.contains(r#""kind":"written""#))
        .count();
    assert_eq!((journal.lines().count(), written), (800, 400));
}

fn hold(journal: &Path, run_id: &str) -> RunLock {
    std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
    let holder = Holder {
        pid: 4242,
        run_id: run_id.into(),
        started: "2026-11-30T08:00:00Z".into(),
        command: "apply nightly.csv".into(),
    };
    RunLock::try_acquire(journal, &holder)
        .unwrap()
        .expect("the lock is free")
}

#[tokio::test]
async fn a_run_that_finds_the_journal_locked_exits_2_naming_the_holder_before_any_request() {
    let home = SandboxHome::start().await;
    let journal = journal_of(&home);
    let lock = hold(&journal, "20261130T080000Z-00000000000000aa");
    let file = home.home.path().join("shares.csv");
    std::fs::write(
        &file,
        "profile,dashboard,principal\nsandbox-eci,8,user:BOB\n",
    )
    .unwrap();
    let commands: [&[&str]; 4] = [
        &["grant", "8", "--user", "ALICE"],
        &["revoke", "7", "--user", "BOB"],
        &["apply", file.to_str().unwrap()],
        &["undo", "20261130T080000Z-00000000000000aa"],
    ];
    for args in commands {
        let refused = home.run("sandbox-eci", args).await.code(2);
        let message = printed(&refused);
        for expected in [
            "pid 4242",
            "run 20261130T080000Z-00000000000000aa",
            "started 2026-11-30T08:00:00Z",
            "`apply nightly.csv`",
            journal.to_str().unwrap(),
            "--wait 5m",
        ] {
            assert!(
                message.contains(expected),
                "{args:?}: no {expected}: {message}"
            );
        }
    }
    assert_eq!(home.sandbox.requests(Vendor::Eci), Vec::<String>::new());
    // Reading runs never lock.
    home.run(
        "sandbox-eci",
        &["grant", "8", "--user", "ALICE", "--dry-run"],
    )
    .await
    .success();
    home.run("sandbox-eci", &["diff", file.to_str().unwrap()])
        .await
        .success();
    home.run("sandbox-eci", &["list", "7"]).await.success();
    home.run("sandbox-eci", &["history"]).await.success();
    home.run(
        "sandbox-eci",
        &["apply", file.to_str().unwrap(), "--dry-run"],
    )
    .await
    .success();
    drop(lock);
    home.run("sandbox-eci", &["grant", "8", "--user", "ALICE"])
        .await
        .success();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_wait_a_run_goes_ahead_once_the_holder_ends() {
    let home = SandboxHome::start().await;
    let journal = journal_of(&home);
    let lock = hold(&journal, "20261130T080000Z-00000000000000bb");
    let waiting = process(
        &home,
        &[
            "-p",
            "sandbox-eci",
            "grant",
            "8",
            "--user",
            "ALICE",
            "--wait",
            "2m",
        ],
    );
    let started = run_at_once(vec![waiting]);
    let release = async {
        // The waiting run has found the lock held long before this (it polls every 100 ms).
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert!(home.sandbox.requests(Vendor::Eci).is_empty());
        drop(lock);
    };
    let (outputs, ()) = tokio::join!(started, release);
    assert_eq!(outputs[0].status.code(), Some(0), "{}", text(&outputs[0]));
    let world = home.world();
    let shared = &world
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == 8)
        .unwrap()
        .shared_user_ids;
    assert!(shared.contains(&11), "{shared:?}");
}

/// The share writes ECI's emulator received (every request but a read).
fn writes(home: &SandboxHome) -> usize {
    home.sandbox
        .requests(Vendor::Eci)
        .iter()
        .filter(|request| !request.starts_with("GET"))
        .count()
}

/// Issue 24: a journal deleted mid-run left `undo` incomplete (the run went on writing to a file
/// no one could read), and let a second run lock a new journal there. The run now checks before
/// each intent that the journal's path still names the file it locked, and writes nothing more.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journal_deleted_mid_run_stops_the_run_before_its_next_write() {
    let home = bulk_sandbox(Duration::from_millis(40)).await;
    let file = apply_file(&home, "user:BOB", 0);
    let journal = journal_of(&home);
    let mut child = process(
        &home,
        &[
            "-p",
            "sandbox-eci",
            "apply",
            file.to_str().unwrap(),
            "--concurrency",
            "1",
        ],
    )
    .spawn()
    .unwrap();
    let give_up = std::time::Instant::now() + Duration::from_secs(120);
    while writes(&home) < 2 {
        assert!(child.try_wait().unwrap().is_none(), "the apply ended first");
        assert!(
            std::time::Instant::now() < give_up,
            "the apply wrote nothing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Kept under another name, to count what the run journaled.
    let kept = home.home.path().join("kept.jsonl");
    std::fs::hard_link(&journal, &kept).unwrap();
    std::fs::remove_file(&journal).unwrap();
    let at_deletion = writes(&home);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("deleted or moved"),
        "{}",
        text(&output)
    );
    // At most the write whose intent was on disk just before the deletion went out after it.
    let written = writes(&home);
    assert!(written <= at_deletion + 1, "{at_deletion} then {written}");
    assert!(written < DASHBOARDS as usize);
    // Every write sent has its intent in the journal the run locked; nothing new was made.
    let intents = std::fs::read_to_string(&kept)
        .unwrap()
        .lines()
        .filter(|line| line.contains(r#""kind":"intent""#))
        .count();
    assert_eq!(intents, written);
    assert!(!journal.exists());
}

/// Issue 24: with the lock file deleted, a second run locked a new one and raced the first. The
/// lock is the journal's own now; the file beside it only names the holder.
#[tokio::test]
async fn a_deleted_lock_file_lets_no_second_run_in() {
    let home = SandboxHome::start().await;
    let journal = journal_of(&home);
    let lock = hold(&journal, "20261130T080000Z-00000000000000cc");
    std::fs::remove_file(lock_path(&journal)).unwrap();
    let refused = home
        .run("sandbox-eci", &["grant", "8", "--user", "ALICE"])
        .await
        .code(2);
    assert!(printed(&refused).contains("is in use by another run"));
    assert_eq!(home.sandbox.requests(Vendor::Eci), Vec::<String>::new());
    drop(lock);
    home.run("sandbox-eci", &["grant", "8", "--user", "ALICE"])
        .await
        .success();
}

/// Issue 24: a lock path that was a link had its target truncated, and a journal reached
/// through a link got a lock of its own and kept its 0644. Both are refused now, exit 2, before
/// any request, their targets as they were.
#[cfg(unix)]
#[tokio::test]
async fn a_link_at_the_journal_or_its_lock_is_refused_and_its_target_kept() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let home = SandboxHome::start().await;
    let journal = journal_of(&home);
    std::fs::create_dir_all(journal.parent().unwrap()).unwrap();
    let precious = home.home.path().join("precious.txt");
    std::fs::write(&precious, "keep me\n").unwrap();
    std::fs::set_permissions(&precious, std::fs::Permissions::from_mode(0o644)).unwrap();
    let elsewhere = home.home.path().join("elsewhere.jsonl");
    symlink(&precious, lock_path(&journal)).unwrap();
    symlink(&precious, &elsewhere).unwrap();
    let grant = ["grant", "8", "--user", "ALICE"];
    let through_link = [&["--journal", elsewhere.to_str().unwrap()][..], &grant].concat();
    for args in [&grant[..], &through_link] {
        let refused = home.run("sandbox-eci", args).await.code(2);
        assert!(printed(&refused).contains("symbolic link"), "{args:?}");
    }
    home.run(
        "sandbox-eci",
        &["--journal", elsewhere.to_str().unwrap(), "history"],
    )
    .await
    .code(2);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
    let mode = std::fs::metadata(&precious).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o644);
    assert_eq!(home.sandbox.requests(Vendor::Eci), Vec::<String>::new());
}
