//! End to end: the binary against the sandbox's ECI emulator alone.
//!
//! ECI end to end: the binary against the ECI emulator, which answers as EnergyCAP's SDK models
//! do and refuses (400) any filter value that is not single-quoted — so every run here that
//! succeeds also proves that no look-up sent an unquoted value.

use std::collections::BTreeSet;

use crate::common::*;
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
    home.sandbox
        .edit_world(|world| add_people(world, "bulk", 500, 1000, (900, 10)));
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

/// Which way a server treats the identity filters (NOTES.md, Corrections 2026-12-07, "EnergyCAP
/// filter fields are undocumented … A server may refuse them (400) or ignore them").
#[derive(Debug, Clone, Copy)]
enum Filters {
    Refused,
    Ignored,
}

impl Filters {
    const BOTH: [Filters; 2] = [Filters::Refused, Filters::Ignored];

    async fn home(self) -> SandboxHome {
        let mut world = dashshare::sandbox::World::seeded();
        match self {
            Filters::Refused => world.eci.refuse_identity_filters = true,
            Filters::Ignored => world.eci.ignore_identity_filters = true,
        }
        SandboxHome::with_world(world, dashshare::sandbox::SandboxOptions::default()).await
    }

    /// What `-vv` says of the way taken.
    fn said(self) -> &'static str {
        match self {
            Filters::Refused => "the server refused the email filter (400",
            Filters::Ignored => "the server ignored the email filter",
        }
    }
}

/// Requests to one endpoint alone (`GET /api/v3/user?` is not `GET /api/v3/userGroup?`).
fn requests_to(home: &SandboxHome, resource: &str) -> Vec<String> {
    let prefix = format!("GET /api/v3/{resource}?");
    home.sandbox
        .requests(Vendor::Eci)
        .into_iter()
        .filter(|r| r.starts_with(&prefix))
        .collect()
}

/// A grant by email, by user code and by group lands on a server that refuses or ignores those
/// filters: each endpoint is asked once with a filter, then listed once, and `-vv` says why.
#[tokio::test(flavor = "multi_thread")]
async fn grants_by_email_user_code_and_group_land_where_filters_are_refused_or_ignored() {
    for filters in Filters::BOTH {
        let home = filters.home().await;
        let assert = home
            .run(
                "sandbox-eci",
                &[
                    "-vv",
                    "grant",
                    "8",
                    "--user",
                    "alice@example.com",
                    "--user",
                    "O'BRIEN",
                    "--group",
                    "Managers",
                ],
            )
            .await;
        let shown = printed(&assert);
        assert.success();
        assert_eq!(share_of(&home, 8), (vec![11, 12], vec![21]), "{filters:?}");
        for said in [
            filters.said(),
            "matching every row of the user listing instead",
            "matching every row of the group listing instead",
        ] {
            assert!(
                shown.contains(said),
                "{filters:?}: missing {said:?}: {shown}"
            );
        }
        let users = requests_to(&home, "user");
        assert_eq!(users.len(), 2, "{filters:?}: {users:?}");
        assert_eq!(users[1], "GET /api/v3/user?pageSize=1000&pageNumber=1");
        assert_eq!(requests_to(&home, "userGroup").len(), 2, "{filters:?}");
    }
}

/// On a server that honours the filters, `-vv` says the filter way was taken, and no listing is
/// read.
#[tokio::test(flavor = "multi_thread")]
async fn where_filters_are_honoured_vv_says_so_and_no_listing_is_read() {
    let home = SandboxHome::start().await;
    let assert = home
        .run(
            "sandbox-eci",
            &["-vv", "grant", "8", "--user", "alice@example.com"],
        )
        .await;
    let shown = printed(&assert);
    assert.success();
    assert!(shown.contains("user look-ups: by filter"), "{shown}");
    assert!(!shown.contains("listing instead"), "{shown}");
    assert!(
        requests_to(&home, "user")
            .iter()
            .all(|r| r.contains("filter=")),
        "{:?}",
        requests_to(&home, "user")
    );
}

/// An apply naming 200 users (and one nobody is) on a server that refuses or ignores the filters:
/// at most 4 user requests (the probe and the listing), every share lands but the unknown
/// user's dashboard, which is named and not written.
#[tokio::test(flavor = "multi_thread")]
async fn an_apply_naming_200_users_takes_at_most_4_user_requests_where_filters_fail() {
    let email = |n: usize| format!("many{n:03}@example.com");
    for filters in Filters::BOTH {
        let home = filters.home().await;
        home.sandbox
            .edit_world(|world| add_people(world, "many", 1200, 2000, (800, 5)));
        let mut csv = String::from("profile,dashboard,principal\n");
        for n in 0..200 {
            csv.push_str(&format!("sandbox-eci,{},user:{}\n", 800 + n / 50, email(n)));
        }
        csv.push_str("sandbox-eci,804,user:ghost@example.com\n");
        let file = home.home.path().join("many.csv");
        std::fs::write(&file, csv).unwrap();
        home.run("sandbox-eci", &["apply", file.to_str().unwrap()])
            .await
            .code(1)
            .stdout(predicate::str::contains("ghost@example.com"));
        // 1203 users: the listing takes two pages of 1000.
        let users = requests_to(&home, "user");
        assert!(
            users.len() <= 4,
            "{filters:?}: {} user requests: {users:?}",
            users.len()
        );
        assert_eq!(
            users.len(),
            3,
            "{filters:?}: the probe and two listing pages"
        );
        for d in 0..4 {
            let (shared, _) = share_of(&home, 800 + d);
            let expected: Vec<i64> = (0..50).map(|n| 2000 + d * 50 + n).collect();
            assert_eq!(shared, expected, "{filters:?}: dashboard {}", 800 + d);
        }
        assert!(share_of(&home, 804).0.is_empty(), "{filters:?}");
        assert_eq!(home.count(Vendor::Eci, "PUT"), 4, "{filters:?}");
    }
}

/// `count` users `{prefix}NNN@example.com` (ids from `first_id`, codes `{PREFIX}NNNN`) and
/// `dashboards.1` unshared dashboards from id `dashboards.0`.
fn add_people(
    world: &mut dashshare::sandbox::World,
    prefix: &str,
    count: usize,
    first_id: i64,
    dashboards: (i64, i64),
) {
    for n in 0..count {
        world.eci.users.push(EciUser {
            user_id: first_id + n as i64,
            user_code: format!("{}{n:04}", prefix.to_uppercase()),
            full_name: format!("{prefix} user {n}"),
            email: format!("{prefix}{n:03}@example.com"),
        });
    }
    let (first, many) = dashboards;
    for d in 0..many {
        world.eci.dashboards.push(EciDashboard {
            dashboard_id: first + d,
            dashboard_info: format!("{prefix} board {d}"),
            shared_user_ids: BTreeSet::new(),
            shared_user_group_ids: BTreeSet::new(),
            shared_with_everyone: false,
        });
    }
}
