//! End to end: the binary against the sandbox (`apply`, `diff`).
//!
//! `apply` and `diff` through the binary against the sandbox: the file lands whole, a rerun writes
//! nothing, `--prune` removes exactly the unlisted shares, one failure leaves the rest done, and
//! `undo` puts an apply back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::*;
use dashshare::apply::FAILED_ROWS_MARK;
use dashshare::sandbox::World;
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;

const ALICE: &str = "5f0000000000000000000002";
const BOB: &str = "5f0000000000000000000003";
const CAROL: &str = "5f0000000000000000000004";
const ERIN: &str = "5f0000000000000000000006";
const OWNER: &str = "5f0000000000000000000001";
const MARKETING: &str = "6a0000000000000000000001";

fn bulk(n: usize) -> String {
    format!("b{n:023x}")
}

fn write_file(home: &SandboxHome, name: &str, text: &str) -> PathBuf {
    let path = home.home.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Every row of `dashboards` × `users` at view, for the Sisense profile.
fn csv_for(dashboards: &[String], users: &[&str]) -> String {
    let mut text = String::from("profile,dashboard,principal,access\n");
    for dashboard in dashboards {
        for user in users {
            text.push_str(&format!("sandbox-sisense,{dashboard},user:{user},view\n"));
        }
    }
    text
}

/// (share id, rule) of a Sisense dashboard, sorted; the owner's entry has no rule.
fn shares_of(world: &World, oid: &str) -> Vec<(String, Option<String>)> {
    let dashboard = world
        .sisense
        .dashboards
        .iter()
        .find(|d| d.oid == oid)
        .unwrap();
    let mut shares: Vec<(String, Option<String>)> = dashboard
        .shares
        .iter()
        .map(|s| {
            (
                s["shareId"].as_str().unwrap().to_string(),
                s["rule"].as_str().map(str::to_string),
            )
        })
        .collect();
    shares.sort();
    shares
}

/// `apply FILE --failed-out FAILED` on the Sisense profile.
async fn apply_with_failed_out(
    home: &SandboxHome,
    file: &Path,
    failed: &Path,
) -> assert_cmd::assert::Assert {
    let (file, failed) = (file.to_str().unwrap(), failed.to_str().unwrap());
    home.run("sandbox-sisense", &["apply", file, "--failed-out", failed])
        .await
}

async fn bulk_home(dashboards: usize) -> SandboxHome {
    let home = SandboxHome::start().await;
    home.sandbox
        .edit_world(|world| world.add_bulk_dashboards(dashboards));
    home
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_lands_with_the_fewest_requests_and_a_rerun_writes_nothing() {
    let home = bulk_home(4).await;
    let dashboards: Vec<String> = (0..4).map(bulk).collect();
    let file = write_file(
        &home,
        "shares.csv",
        &csv_for(
            &dashboards,
            &[
                "alice@example.com",
                "carol+bi@example.com",
                "erin@example.com",
            ],
        ),
    );
    let file = file.to_str().unwrap();
    home.run("sandbox-sisense", &["apply", file])
        .await
        .success()
        .stdout(predicate::str::contains(
            "4 dashboards written (4 published)",
        ));

    // login + one look-up per user + read, data model (issue 23: a share given is told whether it
    // can query its data), write and publish per dashboard
    assert_eq!(
        home.count(Vendor::Sisense, "POST /api/v1/authentication"),
        1
    );
    assert_eq!(home.count(Vendor::Sisense, "GET /api/v1/users"), 3);
    assert_eq!(home.count(Vendor::Sisense, SHARES_READ), 4);
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 4);
    assert_eq!(home.count(Vendor::Sisense, "POST /api/v1/dashboards/"), 4);
    assert_eq!(
        home.count(Vendor::Sisense, "GET /api/v1/dashboards/admin"),
        4
    );
    assert_eq!(home.sandbox.requests(Vendor::Sisense).len(), 1 + 3 + 4 * 4);
    let world = home.world();
    for dashboard in &dashboards {
        assert_eq!(
            shares_of(&world, dashboard),
            vec![
                (OWNER.into(), None),
                (ALICE.into(), Some("view".into())),
                (CAROL.into(), Some("view".into())),
                (ERIN.into(), Some("view".into())),
            ]
        );
    }

    home.run("sandbox-sisense", &["apply", file])
        .await
        .success()
        .stdout(predicate::str::contains("Nothing to change"));
    assert_eq!(
        home.count(Vendor::Sisense, SHARES_WRITE),
        4,
        "a rerun writes nothing"
    );
    assert_eq!(home.count(Vendor::Sisense, "POST /api/v1/dashboards/"), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn prune_removes_exactly_the_unlisted_shares_and_keeps_the_owner() {
    let home = SandboxHome::start().await;
    // The seed has the owner, bob at edit and Marketing at view; the file keeps Marketing and adds
    // alice.
    let file = write_file(
        &home,
        "shares.yaml",
        &format!(
            "shares:\n  - profile: sandbox-sisense\n    dashboard: {SISENSE_DASHBOARD}\n    users: [alice@example.com]\n    groups: [Marketing]\n"
        ),
    );
    let file = file.to_str().unwrap();
    let assert = home
        .run("sandbox-sisense", &["apply", file, "--prune"])
        .await
        .success();
    let out = printed(&assert);
    assert!(out.contains("bob@example.com"), "{out}");
    assert!(out.contains("removed"), "{out}");
    assert_eq!(
        shares_of(&home.world(), SISENSE_DASHBOARD),
        vec![
            (OWNER.into(), None),
            (ALICE.into(), Some("view".into())),
            (MARKETING.into(), Some("view".into())),
        ]
    );
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_removal_guard_refuses_before_any_write() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!("dashboard,principal\n{SISENSE_DASHBOARD},user:alice@example.com\n"),
    );
    let file = file.to_str().unwrap();
    home.run(
        "sandbox-sisense",
        &["apply", file, "--prune", "--max-removals", "1"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains(
        "--prune would remove 2 shares, more than --max-removals 1",
    ));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
    // The dry run shows the plan and warns.
    home.run(
        "sandbox-sisense",
        &["apply", file, "--prune", "--max-removals", "1", "--dry-run"],
    )
    .await
    .success()
    .stderr(predicate::str::contains("apply would refuse"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn one_failing_dashboard_leaves_the_others_done_and_its_rows_can_be_fed_back() {
    let home = bulk_home(3).await;
    let mut text = csv_for(&[bulk(0), bulk(2)], &["alice@example.com"]);
    text.push_str(&format!(
        "sandbox-sisense,{},user:zed@example.com,edit\nsandbox-sisense,{},user:alice@example.com,view\n",
        bulk(1),
        bulk(1)
    ));
    let file = write_file(&home, "shares.csv", &text);
    let failed = home.home.path().join("failed.csv");
    let assert = apply_with_failed_out(&home, &file, &failed).await.code(1);
    let out = printed(&assert);
    assert!(
        out.contains("1 of 3 dashboards failed; the others were done"),
        "{out}"
    );
    assert!(
        out.contains("The rows of the 1 to apply again are in"),
        "{out}"
    );
    assert!(out.contains("zed@example.com"), "{out}");
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 2);
    let world = home.world();
    assert!(shares_of(&world, &bulk(0)).contains(&(ALICE.into(), Some("view".into()))));
    assert!(shares_of(&world, &bulk(2)).contains(&(ALICE.into(), Some("view".into()))));
    assert_eq!(shares_of(&world, &bulk(1)), vec![(OWNER.into(), None)]);
    assert_eq!(
        std::fs::read_to_string(&failed).unwrap(),
        format!(
            "{FAILED_ROWS_MARK}\nprofile,dashboard,principal,access\n\
             sandbox-sisense,{0},user:alice@example.com,view\n\
             sandbox-sisense,{0},user:zed@example.com,edit\n",
            bulk(1)
        )
    );

    // Once zed exists, the failed rows go straight back in.
    home.sandbox.edit_world(|world| {
        let mut zed = world.sisense.users[1].clone();
        zed.id = "5f0000000000000000000099".into();
        zed.email = "zed@example.com".into();
        zed.user_name = "zed".into();
        world.sisense.users.push(zed);
    });
    apply_with_failed_out(&home, &failed, &failed)
        .await
        .success();
    assert_eq!(
        shares_of(&home.world(), &bulk(1)),
        vec![
            (OWNER.into(), None),
            (ALICE.into(), Some("view".into())),
            ("5f0000000000000000000099".into(), Some("edit".into())),
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&failed).unwrap(),
        format!("{FAILED_ROWS_MARK}\nprofile,dashboard,principal,access\n"),
        "no failures leave only the header"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn undo_puts_an_apply_back() {
    let home = bulk_home(2).await;
    let before_seeded = shares_of(&home.world(), SISENSE_DASHBOARD);
    let mut text = csv_for(&[bulk(0), bulk(1)], &["bob@example.com"]);
    text.push_str(&format!(
        "sandbox-sisense,{SISENSE_DASHBOARD},user:erin@example.com,edit\n"
    ));
    let file = write_file(&home, "shares.csv", &text);
    let assert = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "apply", file.to_str().unwrap(), "--prune"],
        )
        .await
        .success();
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        shares_of(&home.world(), SISENSE_DASHBOARD),
        vec![(OWNER.into(), None), (ERIN.into(), Some("edit".into()))]
    );

    let logins = home.count(Vendor::Sisense, "POST /api/v1/authentication");
    home.run("sandbox-sisense", &["undo", &run_id])
        .await
        .success();
    assert_eq!(
        home.count(Vendor::Sisense, "POST /api/v1/authentication"),
        logins + 1,
        "one login for the three dashboards"
    );
    let world = home.world();
    assert_eq!(shares_of(&world, SISENSE_DASHBOARD), before_seeded);
    for n in 0..2 {
        assert_eq!(shares_of(&world, &bulk(n)), vec![(OWNER.into(), None)]);
    }
    assert!(before_seeded.contains(&(BOB.into(), Some("edit".into()))));
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_exit_code_is_4_on_drift_and_0_in_sync() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "dashboard,principal,access\n{SISENSE_DASHBOARD},user:alice@example.com,view\n{SISENSE_DASHBOARD},group:Marketing,view\n"
        ),
    );
    let file = file.to_str().unwrap();
    home.run("sandbox-sisense", &["diff", file, "--exit-code"])
        .await
        .code(4)
        .stdout(predicate::str::contains(
            "Plan: 1 to add, 0 to update, 0 to remove",
        ))
        .stderr(predicate::str::contains("1 share differs"));
    home.run("sandbox-sisense", &["diff", file]).await.success();
    home.run("sandbox-sisense", &["diff", file, "--exit-code", "--prune"])
        .await
        .code(4)
        .stdout(predicate::str::contains("1 to remove"));
    assert_eq!(
        home.count(Vendor::Sisense, SHARES_WRITE),
        0,
        "diff never writes"
    );

    home.run("sandbox-sisense", &["apply", file])
        .await
        .success();
    home.run("sandbox-sisense", &["diff", file, "--exit-code"])
        .await
        .success()
        .stdout(predicate::str::contains(
            "Plan: 0 to add, 0 to update, 0 to remove",
        ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_file_is_refused_whole_before_any_request() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        "profile,dashboard,principal,access\n\
         sandbox-sisense,d1,user:alice@example.com,view\n\
         nope,d1,user:alice@example.com,view\n\
         sandbox-sisense,d1,user:bob@example.com,admin\n\
         sandbox-sisense,d1,bob,view\n\
         sandbox-vizzly,dsh_0f3a,group:Marketing,view\n\
         sandbox-eci,7,user:BOB,edit\n\
         sandbox-sisense,d1,user:alice@example.com,edit\n\
         sandbox-appviewx,Ops Board,group:Auditors,view\n",
    );
    let assert = home
        .run("sandbox-sisense", &["apply", file.to_str().unwrap()])
        .await
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    for expected in [
        "has 7 problems; nothing was changed",
        "line 3: profile 'nope' is not in",
        "line 4: unknown access 'admin'",
        "line 5: 'bob' is not a principal",
        "line 6: group:Marketing: vizzly dashboards cannot be shared with group",
        "line 7: user:BOB: eci shares are view-only",
        "line 8: user:alice@example.com is asked for at edit here and at view on line 2",
        "line 9: appviewx can only set a dashboard's complete group lists",
    ] {
        assert!(err.contains(expected), "missing «{expected}» in:\n{err}");
    }
    for vendor in Vendor::ALL {
        assert!(
            home.sandbox.requests(vendor).is_empty(),
            "{vendor} was called"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn json_is_one_document_with_results_and_a_summary_per_vendor() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.yaml",
        &format!(
            "shares:\n  - profile: sandbox-sisense\n    dashboard: {SISENSE_DASHBOARD}\n    users: [alice@example.com, bob@example.com]\n    access: edit\n  - profile: sandbox-eci\n    dashboard: 8\n    users: [ALICE]\n  - profile: sandbox-vizzly\n    dashboard: dsh_0f3a\n    users: [customer-42]\n"
        ),
    );
    let assert = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "apply", file.to_str().unwrap()],
        )
        .await
        .success();
    let report: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    let actions: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| {
            (
                r["vendor"].as_str().unwrap(),
                r["principal"].as_str().unwrap(),
                r["action"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        vec![
            ("sisense", "alice@example.com", "added"),
            ("sisense", "bob@example.com", "unchanged"),
            ("eci", "ALICE", "added"),
            ("vizzly", "customer-42", "sent"),
        ]
    );
    assert_eq!(results[0]["line"], 4);
    let summary = report["summary"].as_array().unwrap();
    assert_eq!(summary.len(), 3);
    assert_eq!(summary[0]["vendor"], "eci");
    assert_eq!(summary[1]["added"], 1);
    assert_eq!(summary[1]["unchanged"], 1);
    assert!(report["run_id"].as_str().is_some());
    assert!(
        assert.get_output().stderr.is_empty(),
        "with -o json, stdout holds everything: no notes or summaries on stderr"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_takes_its_complete_group_lists_with_prune() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "avx.csv",
        "profile,dashboard,principal,access\n\
         sandbox-appviewx,Ops Board,group:SRE,view\n\
         sandbox-appviewx,Ops Board,group:Auditors,view\n\
         sandbox-appviewx,Ops Board,group:PKI Admins,edit\n",
    );
    home.run(
        "sandbox-appviewx",
        &["apply", file.to_str().unwrap(), "--prune"],
    )
    .await
    .success()
    .stdout(predicate::str::is_match(r"1 dashboard written in \d+(ms|\.\ds)\.").unwrap())
    // Nothing was read before the write, so there is nothing to put back.
    .stdout(predicate::str::contains("Undo with").not());
    let world = home.world();
    let shares = &world.appviewx.dashboards["Ops Board"];
    let mut read = shares.read_user_groups.clone();
    read.sort();
    assert_eq!(read, vec!["Auditors".to_string(), "SRE".to_string()]);
    assert_eq!(
        shares.read_write_user_groups,
        vec!["PKI Admins".to_string()]
    );
    assert_eq!(home.count(Vendor::Appviewx, "PUT"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn no_secret_reaches_the_output_of_an_apply_even_at_full_verbosity() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "profile,dashboard,principal\nsandbox-sisense,{SISENSE_DASHBOARD},user:alice@example.com\nsandbox-eci,8,user:ALICE\nsandbox-appviewx,Ops Board,group:SRE\n"
        ),
    );
    let assert = home
        .run(
            "sandbox-sisense",
            &[
                "-vvv",
                "apply",
                file.to_str().unwrap(),
                "--prune",
                "--max-removals",
                "5",
            ],
        )
        .await
        .success();
    let out = printed(&assert);
    for (_, secret) in home.sandbox.secrets() {
        assert!(!out.contains(&secret), "a secret leaked:\n{out}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_server_slows_the_run_down_and_every_dashboard_lands() {
    // 30 dashboards at 16 at once against 20 requests a second: far more than the server takes.
    let home = SandboxHome::with(dashshare::sandbox::SandboxOptions {
        rate_limit: Some(20),
        ..Default::default()
    })
    .await;
    home.sandbox
        .edit_world(|world| world.add_bulk_dashboards(30));
    let dashboards: Vec<String> = (0..30).map(bulk).collect();
    let file = write_file(
        &home,
        "shares.csv",
        &csv_for(&dashboards, &["alice@example.com", "erin@example.com"]),
    );
    home.run(
        "sandbox-sisense",
        &["apply", file.to_str().unwrap(), "--concurrency", "16"],
    )
    .await
    .success()
    .stdout(predicate::str::contains(
        "30 dashboards written (30 published)",
    ));
    let needed = 1 + 2 + 30 * 3;
    let sent = home.sandbox.requests(Vendor::Sisense).len();
    assert!(
        sent > needed,
        "the server refused some ({sent} sent, {needed} needed)"
    );
    let world = home.world();
    for dashboard in &dashboards {
        assert_eq!(
            shares_of(&world, dashboard),
            vec![
                (OWNER.into(), None),
                (ALICE.into(), Some("view".into())),
                (ERIN.into(), Some("view".into())),
            ]
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_written_but_unpublished_dashboard_is_named_and_kept_out_of_the_failed_rows() {
    let home = bulk_home(2).await;
    // Bob owns b…01 and it is shared with the admin, on a server that takes no adminAccess=true:
    // the write is allowed, the publish (owner only, then) is not.
    home.sandbox.edit_world(|world| {
        world.sisense.reject_admin_access = true;
        world.sisense.dashboards.last_mut().unwrap().owner = BOB.into();
    });
    let file = write_file(
        &home,
        "shares.csv",
        &csv_for(&[bulk(0), bulk(1)], &["alice@example.com"]),
    );
    let failed = home.home.path().join("failed.csv");
    let assert = apply_with_failed_out(&home, &file, &failed).await.code(1);
    let out = printed(&assert);
    assert!(
        out.contains(&format!(
            "Written but not published (applying the file again changes nothing there): run \
             `dashshare -p sandbox-sisense publish {}`",
            bulk(1)
        )),
        "{out}"
    );
    assert!(shares_of(&home.world(), &bulk(1)).contains(&(ALICE.into(), Some("view".into()))));
    assert_eq!(
        std::fs::read_to_string(&failed).unwrap(),
        format!("{FAILED_ROWS_MARK}\nprofile,dashboard,principal,access\n"),
        "its rows are in place: applying them again would change nothing"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_old_failed_rows_file_never_outlives_a_refused_run() {
    let home = SandboxHome::start().await;
    let failed = home.home.path().join("failed.csv");
    std::fs::write(
        &failed,
        format!("{FAILED_ROWS_MARK}\nprofile,dashboard,principal,access\nsandbox-sisense,old,user:old@example.com,view\n"),
    )
    .unwrap();
    let file = write_file(&home, "bad.csv", "dashboard,principal\nd1,nobody\n");
    apply_with_failed_out(&home, &file, &failed).await.code(2);
    assert_eq!(
        std::fs::read_to_string(&failed).unwrap(),
        format!("{FAILED_ROWS_MARK}\nprofile,dashboard,principal,access\n")
    );
}

/// `--failed-out` replaces only a failed-rows file it wrote: a config (or the input under
/// another name) is refused before anything happens and kept as it was, unless --force.
#[tokio::test(flavor = "multi_thread")]
async fn failed_out_never_replaces_a_file_it_did_not_write_without_force() {
    let home = SandboxHome::start().await;
    let precious = home.home.path().join("config.toml");
    let before = std::fs::read_to_string(&precious).unwrap();
    let file = write_file(
        &home,
        "shares.csv",
        &format!("dashboard,principal\n{SISENSE_DASHBOARD},user:alice@example.com\n"),
    );
    let refused = apply_with_failed_out(&home, &file, &precious).await.code(2);
    assert!(
        printed(&refused).contains("--force"),
        "{}",
        printed(&refused)
    );
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), before);
    assert_eq!(home.count(Vendor::Sisense, "POST"), 0, "nothing was sent");
    let input = home.home.path().join("shares.csv");
    let refused = apply_with_failed_out(&home, &input, &input).await.code(2);
    assert!(printed(&refused).contains("not a failed-rows file"));
    let notes = home.home.path().join("notes.csv");
    std::fs::write(&notes, "mine\n").unwrap();
    let (file, notes) = (file.to_str().unwrap(), notes.to_str().unwrap());
    home.run(
        "sandbox-sisense",
        &["apply", file, "--failed-out", notes, "--force"],
    )
    .await
    .success();
    assert_eq!(
        std::fs::read_to_string(notes).unwrap(),
        format!("{FAILED_ROWS_MARK}\nprofile,dashboard,principal,access\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_that_cannot_be_written_stops_the_run_before_any_request() {
    let home = SandboxHome::start().await;
    let blocker = home.home.path().join("not-a-folder");
    std::fs::write(&blocker, "").unwrap();
    let file = write_file(
        &home,
        "shares.csv",
        &format!("dashboard,principal\n{SISENSE_DASHBOARD},user:alice@example.com\n"),
    );
    home.run(
        "sandbox-sisense",
        &[
            "--journal",
            blocker.join("journal.jsonl").to_str().unwrap(),
            "apply",
            file.to_str().unwrap(),
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("cannot write the journal"));
    assert!(home.sandbox.requests(Vendor::Sisense).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_with_everyone_on_eci_removes_nothing_without_prune() {
    let home = SandboxHome::start().await;
    // Dashboard 7 has a user and a group; everyone would empty both lists.
    let file = write_file(
        &home,
        "eci.csv",
        "profile,dashboard,principal\nsandbox-eci,7,everyone\n",
    );
    let file = file.to_str().unwrap();
    home.run("sandbox-eci", &["apply", file])
        .await
        .code(1)
        .stdout(predicate::str::contains("sharing with everyone drops"))
        .stdout(predicate::str::contains(
            "Apply with --prune if that is intended",
        ));
    assert_eq!(home.count(Vendor::Eci, "PUT"), 0);
    home.run("sandbox-eci", &["apply", file, "--prune"])
        .await
        .success();
    let world = home.world();
    let seven = world
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == 7)
        .unwrap();
    assert!(seven.shared_with_everyone);
    assert!(seven.shared_user_ids.is_empty() && seven.shared_user_group_ids.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn one_dashboard_named_twice_with_different_access_is_refused_naming_both_lines() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "dashboard,principal,access\n{SISENSE_DASHBOARD},user:alice@example.com,view\nname:Sales KPIs,user:alice@example.com,edit\n"
        ),
    );
    home.run("sandbox-sisense", &["apply", file.to_str().unwrap()])
        .await
        .code(1)
        .stdout(predicate::str::contains(
            "user:alice@example.com (line 2) and user:alice@example.com (line 3) are the same user",
        ));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_out_belongs_to_real_runs_only() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!("dashboard,principal\n{SISENSE_DASHBOARD},user:alice@example.com\n"),
    );
    let file = file.to_str().unwrap();
    home.run(
        "sandbox-sisense",
        &["apply", file, "--dry-run", "--failed-out", file],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("cannot be used with"));
    assert!(std::fs::read_to_string(file).unwrap().contains("alice"));
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_on_eci_are_found_in_one_listing_of_its_dashboards() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "eci.csv",
        "profile,dashboard,principal\nsandbox-eci,name:Energy Use,user:ALICE\nsandbox-eci,name:Water + Gas,user:ALICE\n",
    );
    home.run("sandbox-eci", &["apply", file.to_str().unwrap()])
        .await
        .success()
        .stdout(predicate::str::contains("2 dashboards written"));
    assert_eq!(home.count(Vendor::Eci, "GET /api/v3/dashboard?"), 1);
}

/// The journal and the failed-rows file name people, so only their owner may read them; a failed
/// row whose cell a spreadsheet would run as a formula is written escaped, and reads back as it was.
#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_journal_and_failed_rows_are_private_and_formula_safe() {
    use std::os::unix::fs::PermissionsExt;
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "profile,dashboard,principal,access\nsandbox-sisense,{SISENSE_DASHBOARD},user:alice@example.com,view\nsandbox-sisense,=cmd|calc,user:alice@example.com,view\n"
        ),
    );
    let failed = home.home.path().join("failed.csv");
    apply_with_failed_out(&home, &file, &failed).await.code(1);
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&failed), 0o600);
    let journal = home.home.path().join("xdg-state/dashshare/journal.jsonl");
    assert_eq!(mode(&journal), 0o600);
    let rows = std::fs::read_to_string(&failed).unwrap();
    assert!(rows.contains("'=cmd|calc"), "{rows}");
    assert!(!rows.contains(",=cmd"), "{rows}");
    // Fed back in, the escaped cell names the same dashboard again (and fails the same way).
    let again = home.home.path().join("failed-again.csv");
    apply_with_failed_out(&home, &failed, &again).await.code(1);
    assert_eq!(std::fs::read_to_string(&again).unwrap(), rows);
}

/// `apply --with-data`: every data model the file's dashboards read from is written once, with
/// the entries of all its dashboards' principals that lack one (pysisense `datamodel/shares.py`:
/// PUT for an ElastiCube, PATCH for a live model); again, nothing is written; `undo` takes the
/// entries back with the shares.
#[tokio::test(flavor = "multi_thread")]
async fn apply_with_data_writes_each_model_once_for_all_its_dashboards() {
    let home = SandboxHome::start().await;
    let model = |title: &str| model_shares(&home, title);
    let cube = model("Sample ECommerce");
    let live = model("Sales Live");
    // Sales KPIs and Regional Margins read the ElastiCube, Quarterly Review the live model.
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "dashboard,principal,access\n\
             {SISENSE_DASHBOARD},user:carol+bi@example.com,view\n\
             {SISENSE_DASHBOARD},user:erin@example.com,view\n\
             5e1d00000000000000000a01,user:carol+bi@example.com,view\n\
             5dc5c237832aeb53441186bb,user:erin@example.com,view\n"
        ),
    );
    let file = file.to_str().unwrap();
    let planned = home
        .run("sandbox-sisense", &["diff", file, "--with-data"])
        .await
        .success();
    let out = printed(&planned);
    assert!(
        out.contains("Data model Sample ECommerce (sandbox-sisense): 2 principals would get USE"),
        "{out}"
    );
    assert_eq!(model("Sample ECommerce"), cube);

    let applied = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "apply", file, "--with-data"],
        )
        .await
        .success();
    let report: serde_json::Value = serde_json::from_slice(&applied.get_output().stdout).unwrap();
    let run_id = report["run_id"].as_str().unwrap().to_string();
    assert_eq!(
        model("Sample ECommerce").len(),
        cube.len() + 2,
        "carol and erin"
    );
    assert_eq!(model("Sales Live").len(), live.len() + 1, "erin");
    let writes = || {
        (
            home.count(Vendor::Sisense, "PUT /api/elasticubes/"),
            home.count(Vendor::Sisense, "PATCH /api/v1/elasticubes/live/"),
        )
    };
    assert_eq!(writes(), (1, 1), "one write per model");

    home.run("sandbox-sisense", &["apply", file, "--with-data"])
        .await
        .success();
    assert_eq!(writes(), (1, 1), "again, nothing to give");

    home.run("sandbox-sisense", &["undo", &run_id, "--yes"])
        .await
        .success();
    assert_eq!(model("Sample ECommerce"), cube);
    assert_eq!(model("Sales Live"), live);
}

/// The `with_data` column (CSV) or key (YAML) asks for the data model's entry on its rows only.
#[tokio::test(flavor = "multi_thread")]
async fn the_with_data_column_asks_for_the_model_entry_on_its_rows_only() {
    let home = SandboxHome::start().await;
    let entries = || {
        model_shares(&home, "Sample ECommerce")
            .iter()
            .filter_map(|entry| entry["partyId"].as_str().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "dashboard,principal,with_data\n\
             {SISENSE_DASHBOARD},user:carol+bi@example.com,yes\n\
             {SISENSE_DASHBOARD},user:erin@example.com,\n"
        ),
    );
    let applied = home
        .run("sandbox-sisense", &["apply", file.to_str().unwrap()])
        .await
        .success();
    // Erin is shared the dashboard without the model's entry, and told so; carol is given it.
    let out = printed(&applied);
    assert!(
        out.contains(
            "note: erin@example.com can open the dashboard but not query its data model \
             Sample ECommerce (sandbox-sisense): apply with --with-data"
        ),
        "{out}"
    );
    assert!(!out.contains("carol+bi@example.com can open"), "{out}");
    let after = entries();
    assert!(
        after.contains(&"5f0000000000000000000004".to_string()),
        "carol: {after:?}"
    );
    assert!(
        !after.contains(&"5f0000000000000000000006".to_string()),
        "not erin: {after:?}"
    );

    let yaml = write_file(
        &home,
        "shares.yaml",
        &format!(
            "shares:\n  - dashboard: {SISENSE_DASHBOARD}\n    users: [erin@example.com]\n    with_data: true\n"
        ),
    );
    home.run("sandbox-sisense", &["apply", yaml.to_str().unwrap()])
        .await
        .success();
    assert!(entries().contains(&"5f0000000000000000000006".to_string()));

    let bad = write_file(
        &home,
        "bad.csv",
        "dashboard,principal,with_data\n7,user:ALICE,maybe\n",
    );
    home.run("sandbox-eci", &["apply", bad.to_str().unwrap()])
        .await
        .code(2)
        .stderr(predicate::str::contains("with_data 'maybe'"));
}

/// The shares an apply gives carry how each principal reaches the dashboard's data model, in JSON
/// as in text: through a group (alice, in Marketing), on its own entry (bob), or not at all
/// (erin), exit 0 (issue 23).
#[tokio::test(flavor = "multi_thread")]
async fn an_apply_marks_the_shares_it_gives_with_their_data_model_reach() {
    let home = SandboxHome::start().await;
    let file = write_file(
        &home,
        "shares.csv",
        &format!(
            "dashboard,principal,access\n\
             {SISENSE_DASHBOARD},user:alice@example.com,view\n\
             {SISENSE_DASHBOARD},user:bob@example.com,view\n\
             {SISENSE_DASHBOARD},user:erin@example.com,view\n"
        ),
    );
    let applied = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "apply", file.to_str().unwrap()],
        )
        .await
        .success();
    let report: serde_json::Value = serde_json::from_slice(&applied.get_output().stdout).unwrap();
    let reach = |who: &str| {
        let row = report["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["principal"] == who)
            .unwrap_or_else(|| panic!("{who}: {report}"));
        assert_eq!(row["data"]["model"], "Sample ECommerce", "{row}");
        row["data"]["reach"].as_str().unwrap().to_string()
    };
    assert_eq!(reach("alice@example.com"), "group");
    assert_eq!(reach("bob@example.com"), "direct");
    assert_eq!(reach("erin@example.com"), "none");
}

// ---- a server that never takes a request: every wait is bounded ----

/// The rows of a failed-rows file.
fn failed_rows(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(FAILED_ROWS_MARK));
    lines.skip(1).map(str::to_string).collect()
}

/// A Sisense that logs in and finds alice (`lookups` times), then answers 429 to everything,
/// forever.
async fn refusing_sisense(home: &Path, lookups: u64) -> (wiremock::MockServer, PathBuf) {
    let server = wiremock::MockServer::start().await;
    mount_login(&server, 1).await;
    mount_user(
        &server,
        "email",
        "alice@example.com",
        serde_json::json!([user("alice1", "alice@example.com")]),
        lookups,
    )
    .await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(wiremock::ResponseTemplate::new(429))
        .mount(&server)
        .await;
    let config = write_sisense_config(home, &server.uri());
    (server, config)
}

/// `dashshare --config CONFIG -p test ARGS…`, and how long it took.
async fn timed_run(home: &Path, config: &Path, args: &[&str]) -> (std::process::Output, Duration) {
    let mut command = dashshare(home);
    command
        .env("SISENSE_PASSWORD", PASSWORD)
        .arg("--config")
        .arg(config)
        .args(["-p", "test"])
        .args(args);
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (output, started.elapsed())
}

/// 429 forever: `list` ends once its request spent its retry budget, a bound that scales with
/// `--retry-budget`, and at the default budget (60 s) within 75 s.
#[tokio::test(flavor = "multi_thread")]
async fn a_list_against_429_forever_ends_within_its_retry_budget() {
    for (budget, bound) in [("1s", 6), ("4s", 9), ("60s", 75)] {
        let home = tempfile::tempdir().unwrap();
        let (_server, config) = refusing_sisense(home.path(), 0).await;
        let (output, took) = timed_run(
            home.path(),
            &config,
            &["list", "d1", "--retry-budget", budget],
        )
        .await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{budget}: {stderr}");
        assert!(stderr.contains("429"), "{budget}: {stderr}");
        assert!(
            took < Duration::from_secs(bound),
            "{budget}: took {took:?}, bound {bound} s"
        );
    }
}

/// 429 forever for a 50-row apply: once the server refused many requests in a row (or one for
/// a whole budget), everything queued fails at once with that cause, every row in --failed-out.
#[tokio::test(flavor = "multi_thread")]
async fn a_50_row_apply_against_429_forever_fails_every_row_within_its_retry_budget() {
    let home = tempfile::tempdir().unwrap();
    let (_server, config) = refusing_sisense(home.path(), 1).await;
    let mut text = String::from("profile,dashboard,principal,access\n");
    for n in 0..50 {
        text.push_str(&format!("test,{},user:alice@example.com,view\n", bulk(n)));
    }
    let file = home.path().join("shares.csv");
    std::fs::write(&file, text).unwrap();
    let failed = home.path().join("failed.csv");
    let (output, took) = timed_run(
        home.path(),
        &config,
        &[
            "apply",
            file.to_str().unwrap(),
            "--retry-budget",
            "2s",
            "--failed-out",
            failed.to_str().unwrap(),
        ],
    )
    .await;
    let printed = String::from_utf8_lossy(&output.stdout).to_string()
        + &String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{printed}");
    assert!(took < Duration::from_secs(20), "took {took:?}");
    assert!(
        printed.contains("429") && printed.contains("earlier in this run"),
        "the cause: {printed}"
    );
    assert_eq!(failed_rows(&failed).len(), 50);
}

/// 503 forever (the sandbox failing every request), at the default budgets: a 50-row apply
/// ends within 2 minutes, every row in --failed-out.
#[tokio::test(flavor = "multi_thread")]
async fn a_50_row_apply_against_503_forever_ends_within_2_minutes_at_the_defaults() {
    let home = SandboxHome::with(dashshare::sandbox::SandboxOptions {
        fail_rate: 1.0,
        ..Default::default()
    })
    .await;
    home.sandbox
        .edit_world(|world| world.add_bulk_dashboards(50));
    let dashboards: Vec<String> = (0..50).map(bulk).collect();
    let file = write_file(
        &home,
        "shares.csv",
        &csv_for(&dashboards, &["alice@example.com"]),
    );
    let failed = home.home.path().join("failed.csv");
    let started = std::time::Instant::now();
    let assert = apply_with_failed_out(&home, &file, &failed).await.code(1);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(120), "took {took:?}");
    assert!(printed(&assert).contains("503"), "{}", printed(&assert));
    assert_eq!(failed_rows(&failed).len(), 50);
}

/// A server that accepts connections and never answers, with `--timeout 2`: three timeouts
/// and it is taken for dead, so `list` and a 50-row apply each end within 20 s.
#[tokio::test(flavor = "multi_thread")]
async fn a_silent_server_ends_a_list_and_an_apply_within_20_s_at_timeout_2() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = listener.incoming().collect();
        drop(held);
    });
    let home = tempfile::tempdir().unwrap();
    let config = write_sisense_config(home.path(), &url);
    let mut text = String::from("profile,dashboard,principal,access\n");
    for n in 0..50 {
        text.push_str(&format!("test,{},user:alice@example.com,view\n", bulk(n)));
    }
    let file = home.path().join("shares.csv");
    std::fs::write(&file, text).unwrap();
    let failed = home.path().join("failed.csv");
    let (file, failed_arg) = (file.to_str().unwrap(), failed.to_str().unwrap());
    for args in [
        &["--timeout", "2", "list", "d1"][..],
        &["--timeout", "2", "apply", file, "--failed-out", failed_arg],
    ] {
        let (output, took) = timed_run(home.path(), &config, args).await;
        let printed = String::from_utf8_lossy(&output.stdout).to_string()
            + &String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {printed}");
        assert!(printed.contains("timed out"), "{args:?}: {printed}");
        assert!(took < Duration::from_secs(20), "{args:?}: took {took:?}");
    }
    assert_eq!(failed_rows(&failed).len(), 50);
}

/// Group commit (issue 27): every intent is on disk before its request goes out, but the
/// writers of one run share fsyncs: a 200-dashboard apply at concurrency 8 (400 journal lines:
/// an intent and an outcome per dashboard) makes far fewer than 200 of them.
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_writers_share_the_journals_fsyncs() {
    const DASHBOARDS: usize = 200;
    let home = SandboxHome::with(dashshare::sandbox::SandboxOptions {
        latency: std::time::Duration::from_millis(0),
        ..Default::default()
    })
    .await;
    home.sandbox
        .edit_world(|world| world.add_bulk_dashboards(DASHBOARDS));
    let mut file = String::from("profile,dashboard,principal,access\n");
    for n in 0..DASHBOARDS {
        file.push_str(&format!(
            "sandbox-sisense,b{n:023x},user:alice@example.com,view\n"
        ));
    }
    let path = home.home.path().join("shares.csv");
    std::fs::write(&path, file).unwrap();
    let applied = home
        .run(
            "sandbox-sisense",
            &["-vv", "apply", path.to_str().unwrap(), "--concurrency", "8"],
        )
        .await
        .success();
    let log = String::from_utf8_lossy(&applied.get_output().stderr).to_string();
    let fsyncs = log.matches("journal fsync").count();
    let journal = home.home.path().join("xdg-state/dashshare/journal.jsonl");
    let lines = std::fs::read_to_string(journal).unwrap().lines().count();
    assert_eq!(
        lines,
        2 * DASHBOARDS,
        "an intent and an outcome per dashboard"
    );
    assert!(fsyncs > 0, "the log names each fsync");
    assert!(fsyncs < DASHBOARDS / 2, "{fsyncs} fsyncs for {lines} lines");
}

/// Issue 27: a drift check of 600 Sisense dashboards right after an export reads the admin
/// listing (paged) instead of each dashboard; three changed by hand make it exit 4 naming
/// exactly those; `apply --prune` then writes those three, reading only those three again.
#[tokio::test(flavor = "multi_thread")]
async fn a_drift_check_of_600_dashboards_reads_the_listing_and_rereads_only_what_it_writes() {
    const DASHBOARDS: usize = 600;
    let home = SandboxHome::start().await;
    let bob = sisense_id(&home.world(), "bob@example.com").unwrap();
    home.sandbox.edit_world(|world| {
        world.add_bulk_dashboards(DASHBOARDS);
        for d in world.sisense.dashboards.iter_mut().rev().take(DASHBOARDS) {
            d.shares.push(serde_json::json!({"shareId": bob, "type": "user", "rule": "view", "subscribe": false}));
        }
    });
    let file = home.home.path().join("shares.yaml");
    home.run(
        "sandbox-sisense",
        &["export", "--out", file.to_str().unwrap()],
    )
    .await
    .success();
    let file = file.to_str().unwrap();
    let requests = || {
        home.sandbox
            .requests(dashshare::vendor::Vendor::Sisense)
            .len()
    };
    let before = requests();
    home.run("sandbox-sisense", &["diff", file, "--prune", "--exit-code"])
        .await
        .success();
    let made = requests() - before;
    assert!(
        made <= 80,
        "{made} requests for a drift check of {DASHBOARDS}"
    );

    let changed = [
        "b00000000000000000000000",
        "b00000000000000000000007",
        "b0000000000000000000012b",
    ];
    home.sandbox.edit_world(|world| {
        for d in world
            .sisense
            .dashboards
            .iter_mut()
            .filter(|d| changed.contains(&d.oid.as_str()))
        {
            d.shares.retain(|s| s["shareId"] != bob.as_str());
        }
    });
    let drift = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "diff", file, "--prune", "--exit-code"],
        )
        .await
        .code(4);
    let json: Value = serde_json::from_slice(&drift.get_output().stdout).unwrap();
    let mut drifted: Vec<&str> = (json["results"].as_array().unwrap().iter())
        .filter(|r| r["action"] != "unchanged")
        .map(|r| r["dashboard"].as_str().unwrap())
        .collect();
    drifted.sort();
    assert_eq!(drifted, changed, "{json}");

    let reads = || home.count(dashshare::vendor::Vendor::Sisense, SHARES_READ);
    let writes = || home.count(dashshare::vendor::Vendor::Sisense, SHARES_WRITE);
    let (reads_before, writes_before) = (reads(), writes());
    home.run("sandbox-sisense", &["apply", file, "--prune", "--yes"])
        .await
        .success();
    assert_eq!(writes() - writes_before, 3);
    // Each of the three: read to plan, and read again just before its write (--prune).
    assert_eq!(reads() - reads_before, 6);
}
