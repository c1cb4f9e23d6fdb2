//! End to end: the binary against the sandbox's ECI emulator alone.
//!
//! ECI end to end: the binary against the ECI emulator, which answers as EnergyCAP's SDK models
//! do and refuses (400) any filter value that is not single-quoted — so every run here that
//! succeeds also proves that no look-up sent an unquoted value.

mod common;

use std::collections::BTreeSet;

use common::*;
use dashshare::sandbox::world::{EciDashboard, EciUser};
use dashshare::vendor::Vendor;
use predicates::prelude::*;

fn share_of(home: &SandboxHome, id: i64) -> (Vec<i64>, Vec<i64>) {
    let world = home.world();
    let dashboard = world
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == id)
        .unwrap();
    (
        dashboard.shared_user_ids.iter().copied().collect(),
        dashboard.shared_user_group_ids.iter().copied().collect(),
    )
}

/// Every look-up the run sent, as the emulator logged it.
fn look_ups(home: &SandboxHome) -> Vec<String> {
    home.sandbox
        .requests(Vendor::Eci)
        .into_iter()
        .filter(|r| r.starts_with("GET /api/v3/user"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_and_numeric_user_and_group_references_resolve() {
    let home = SandboxHome::start().await;
    // 11 is ALICE's id (no user has the code "11"); 21 is the Managers group's id.
    home.run(
        "sandbox-eci",
        &[
            "grant",
            "name:Water + Gas",
            "--user",
            "11",
            "--user",
            "O'BRIEN",
            "--group",
            "21",
        ],
    )
    .await
    .success();
    assert_eq!(share_of(&home, 8), (vec![11, 12], vec![21]));
    // Name, code and id of each were looked up: 2 user requests (codes, then ids), 2 group ones.
    assert_eq!(look_ups(&home).len(), 4, "{:?}", look_ups(&home));
    assert_eq!(home.count(Vendor::Eci, "GET /api/v3/dashboard?"), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_search_matches_the_dashboard_info_titles() {
    let home = SandboxHome::start().await;
    home.run("sandbox-eci", &["dashboards", "--search", "water"])
        .await
        .success()
        .stdout(predicate::str::contains("Water + Gas"))
        .stdout(predicate::str::contains("Energy Use").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_emulator_refuses_an_unquoted_filter_value() {
    let home = SandboxHome::start().await;
    let url = home.sandbox.url(Vendor::Eci);
    let key = home.world().eci.api_key;
    let client = reqwest::Client::new();
    for (filter, status) in [
        ("systemUserID equals 11", 400),
        ("systemUserID equals '11'", 200),
        ("email one of 'bob@example.com'|alice@example.com", 400),
        ("email one of 'bob@example.com'|'alice@example.com'", 200),
    ] {
        let answer = client
            .get(format!("{url}/api/v3/user"))
            .query(&[("filter", filter)])
            .header("ECI-ApiKey", &key)
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), status, "{filter}");
    }
}

/// 500 users over ten dashboards, one of them unknown: the users are looked up in a few `one of`
/// requests (not 500), and the unknown one fails only its own dashboard's rows.
#[tokio::test(flavor = "multi_thread")]
async fn an_apply_naming_500_users_looks_them_up_in_few_requests() {
    let home = SandboxHome::start().await;
    let email = |n: usize| format!("bulk{n:03}@example.com");
    home.sandbox.edit_world(|world| {
        for n in 0..500 {
            world.eci.users.push(EciUser {
                user_id: 1000 + n as i64,
                user_code: format!("BULK{n:03}"),
                full_name: format!("Bulk User {n}"),
                email: email(n),
            });
        }
        for d in 0..10 {
            world.eci.dashboards.push(EciDashboard {
                dashboard_id: 900 + d,
                dashboard_info: format!("Team {d}"),
                shared_user_ids: BTreeSet::new(),
                shared_user_group_ids: BTreeSet::new(),
                shared_with_everyone: false,
            });
        }
    });
    let mut csv = String::from("profile,dashboard,principal\n");
    for n in 0..500 {
        csv.push_str(&format!("sandbox-eci,{},user:{}\n", 900 + n / 50, email(n)));
    }
    csv.push_str("sandbox-eci,905,user:ghost@example.com\n");
    let file = home.home.path().join("bulk.csv");
    std::fs::write(&file, csv).unwrap();
    home.run("sandbox-eci", &["apply", file.to_str().unwrap()])
        .await
        .code(1)
        .stdout(predicate::str::contains("ghost@example.com"));
    let requests = look_ups(&home);
    // 501 emails, at most 40 to a request: 13.
    assert!(
        (13..=15).contains(&requests.len()),
        "{} user look-ups: {requests:?}",
        requests.len()
    );
    assert!(
        requests
            .iter()
            .all(|r| r.contains("one+of") || r.contains("one%20of")),
        "{requests:?}"
    );
    for d in 0..10 {
        let (users, _) = share_of(&home, 900 + d);
        if d == 5 {
            assert!(users.is_empty(), "dashboard 905 was written: {users:?}");
        } else {
            let expected: Vec<i64> = (0..50).map(|n| 1000 + d * 50 + n).collect();
            assert_eq!(users, expected, "dashboard {}", 900 + d);
        }
    }
    assert_eq!(home.count(Vendor::Eci, "PUT"), 9);
}
