//! Request pins: how many requests `apply` sends, counted on wiremock.
//!
//! Pins the requests `apply` makes on Sisense: one login, one look-up per distinct principal for
//! the whole run, and per dashboard one read, one write and one publish; none for a dashboard
//! that already matches. A dashboard that fails leaves the others written.

use crate::common::*;
use dashshare::apply::desired::{Site, Target, Wanted};
use dashshare::apply::execute::{self, Connected, Options};

use dashshare::model::{Access, Action, Principal};
use dashshare::providers;
use indicatif::ProgressBar;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn wanted(email: &str, access: Access, line: u64) -> Wanted {
    Wanted {
        with_data: false,
        principal: Principal::User(email.into()),
        access,
        line,
        expires: None,
    }
}

fn sites(server: &MockServer, targets: Vec<Target>) -> Vec<Connected> {
    let profile = sisense_profile(server);
    let provider = providers::connect(&profile, &fast_options()).unwrap();
    vec![Connected {
        site: Site { profile, targets },
        provider,
    }]
}

fn options(prune: bool) -> Options {
    Options {
        prune,
        dry_run: false,
        max_removals: 20,
        concurrency: 4,
        keep_plan: false,
        with_data: false,
    }
}

/// `reads`: 1, or 2 under `--prune` (read to plan, and again just before the write).
async fn mount_dashboard(
    server: &MockServer,
    id: &str,
    shares: Value,
    written: Option<Value>,
    reads: u64,
) {
    // The routes and parameters of pysisense 2.3.3 `dashboard/shares.py` and `dashboard/core.py`.
    Mock::given(method("GET"))
        .and(path(format!("/api/shares/dashboard/{id}")))
        .and(query_param("adminAccess", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(shares_answer(shares)))
        .expect(reads)
        .named(format!("read {id}"))
        .mount(server)
        .await;
    let times = u64::from(written.is_some());
    let patch = Mock::given(method("POST"))
        .and(path(format!("/api/shares/dashboard/{id}")))
        .and(query_param("adminAccess", "true"));
    let patch = match written {
        Some(shares) => patch.and(body_json(json!({ "sharesTo": shares }))),
        None => patch,
    };
    patch
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oid": id})))
        .expect(times)
        .named(format!("write {id}"))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/api/v1/dashboards/{id}/publish")))
        .and(query_param("force", "false"))
        .and(query_param("adminAccess", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(times)
        .named(format!("publish {id}"))
        .mount(server)
        .await;
}

/// Applies one row, alice@example.com at view on d1.
async fn alice_views_d1(server: &MockServer, prune: bool) -> execute::Report {
    let sites = sites(
        server,
        vec![Target {
            dashboard: "d1".into(),
            wanted: vec![wanted("alice@example.com", Access::View, 2)],
        }],
    );
    execute::execute(&sites, &options(prune), None, &ProgressBar::hidden())
        .await
        .unwrap()
}

/// The share read's answer (pysisense `migration/dashboards.py` reads `sharesTo` and `owner._id`).
fn shares_answer(shares: Value) -> Value {
    json!({"sharesTo": shares, "owner": {"_id": "owner1", "userName": "owner@example.com"}})
}

fn viewer(id: &str) -> Value {
    json!({"shareId": id, "type": "user", "rule": "view", "subscribe": false})
}

#[tokio::test]
async fn each_principal_is_looked_up_once_and_each_dashboard_read_written_and_published_once() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    mount_email_user(&server, "bob@example.com", "bob1").await;
    // d1 gains both; d2 has alice already and gains bob at edit; d3 already matches.
    mount_dashboard(
        &server,
        "d1",
        json!([owner_share(), group_share()]),
        Some(json!([
            owner_share(),
            group_share(),
            viewer("alice1"),
            viewer("bob1")
        ])),
        1,
    )
    .await;
    mount_dashboard(
        &server,
        "d2",
        json!([owner_share(), viewer("alice1")]),
        Some(json!([
            owner_share(),
            viewer("alice1"),
            {"shareId": "bob1", "type": "user", "rule": "edit", "subscribe": false}
        ])),
        1,
    )
    .await;
    mount_dashboard(
        &server,
        "d3",
        json!([owner_share(), viewer("alice1")]),
        None,
        1,
    )
    .await;

    let sites = sites(
        &server,
        vec![
            Target {
                dashboard: "d1".into(),
                wanted: vec![
                    wanted("alice@example.com", Access::View, 2),
                    wanted("bob@example.com", Access::View, 3),
                ],
            },
            Target {
                dashboard: "d2".into(),
                wanted: vec![
                    wanted("alice@example.com", Access::View, 4),
                    wanted("bob@example.com", Access::Edit, 5),
                ],
            },
            Target {
                dashboard: "d3".into(),
                wanted: vec![wanted("alice@example.com", Access::View, 6)],
            },
        ],
    );
    let report = execute::execute(&sites, &options(false), None, &ProgressBar::hidden())
        .await
        .unwrap();
    let actions: Vec<Vec<Action>> = report
        .dashboards
        .iter()
        .map(|d| d.rows.iter().map(|r| r.action).collect())
        .collect();
    assert_eq!(
        actions,
        vec![
            vec![Action::Added, Action::Added],
            vec![Action::Unchanged, Action::Added],
            vec![Action::Unchanged],
        ]
    );
    assert_eq!(
        report
            .dashboards
            .iter()
            .map(|d| (d.written, d.published))
            .collect::<Vec<_>>(),
        vec![(true, true), (true, true), (false, false)]
    );
}

#[tokio::test]
async fn prune_writes_the_listed_set_and_keeps_the_owner() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    mount_dashboard(
        &server,
        "d1",
        json!([owner_share(), bob_share(), group_share()]),
        Some(json!([owner_share(), viewer("alice1")])),
        2,
    )
    .await;
    let report = alice_views_d1(&server, true).await;
    assert_eq!(report.removals, 2);
    let removed: Vec<&str> = report.dashboards[0]
        .rows
        .iter()
        .filter(|r| r.action == Action::Removed)
        .map(|r| r.id.as_deref().unwrap())
        .collect();
    assert_eq!(removed, vec!["bob1", "grp1"]);
}

#[tokio::test]
async fn a_failed_write_stops_only_its_own_dashboard() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    mount_dashboard(
        &server,
        "d1",
        json!([owner_share()]),
        Some(json!([owner_share(), viewer("alice1")])),
        1,
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d2"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(shares_answer(json!([owner_share()]))),
        )
        .expect(1)
        .mount(&server)
        .await;
    // A 400 is not retried, and the dashboard is not published.
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d2"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({"error": {"message": "no"}})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d2/publish"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let sites = sites(
        &server,
        vec![
            Target {
                dashboard: "d2".into(),
                wanted: vec![wanted("alice@example.com", Access::View, 2)],
            },
            Target {
                dashboard: "d1".into(),
                wanted: vec![wanted("alice@example.com", Access::View, 3)],
            },
        ],
    );
    let report = execute::execute(&sites, &options(false), None, &ProgressBar::hidden())
        .await
        .unwrap();
    let d2 = &report.dashboards[0];
    assert!(d2.error.is_some() && !d2.written);
    assert_eq!(d2.rows[0].action, Action::Failed);
    let d1 = &report.dashboards[1];
    assert!(d1.error.is_none() && d1.written && d1.published);
}

#[tokio::test]
async fn under_prune_a_dashboard_that_changed_since_it_was_read_is_left_alone() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    let read = |shares: Value| ResponseTemplate::new(200).set_body_json(shares_answer(shares));
    // The first read plans; by the second, someone has shared it with bob.
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(read(json!([owner_share(), group_share()])))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(read(json!([owner_share(), group_share(), bob_share()])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let report = alice_views_d1(&server, true).await;
    let d1 = &report.dashboards[0];
    assert!(!d1.written);
    let error = d1.error.as_ref().unwrap().to_string();
    assert!(error.contains("changed after it was read"), "{error}");
}

#[tokio::test]
async fn a_refused_publish_leaves_the_dashboard_written_and_says_so() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "alice@example.com", "alice1").await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(shares_answer(json!([owner_share()]))),
        )
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
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"error": {"message": "owner only"}})),
        )
        // With adminAccess=true, then without (pysisense falls back on 403).
        .expect(2)
        .mount(&server)
        .await;
    let report = alice_views_d1(&server, false).await;
    let d1 = &report.dashboards[0];
    assert!(d1.written && !d1.published && d1.failed_after_write);
    assert!(
        d1.error
            .as_ref()
            .unwrap()
            .to_string()
            .contains("dashshare publish d1")
    );
    assert_eq!(d1.rows[0].action, Action::Added);
}
