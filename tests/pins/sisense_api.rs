//! Request pins: the Sisense provider against wiremock and the SDK's answers.
//!
//! Pins every Sisense request dashshare makes (method, path, query, headers, body) and how many.
//! Shares are read and written on `/api/shares/dashboard/{oid}?adminAccess=true` with
//! `{"sharesTo": [...]}` and published with `adminAccess=true`, as Sisense's own SDK does
//! (pysisense 2.3.3 `dashboard/shares.py`, `dashboard/core.py`), not through the PATCH of the
//! vendor page sisense.txt (NOTES.md, Corrections).

use crate::common::*;
use dashshare::error::Error;
use dashshare::flow::{ShareRequest, change_shares};
use dashshare::model::{Access, Action, Change, Level, Mode, Principal, PrincipalKind, ShareKey};
use dashshare::providers::{self, Dashboard, ShareProvider};
use serde_json::{Value, json};
use wiremock::matchers::{
    body_json, body_string, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn provider(server: &MockServer) -> Box<dyn ShareProvider> {
    providers::connect(&sisense_profile(server), &fast_options()).unwrap()
}

fn by_id(id: &str) -> Dashboard {
    Dashboard {
        id: id.into(),
        title: None,
    }
}

fn request(dashboard: &str, principals: Vec<Principal>, change: Change) -> ShareRequest {
    ShareRequest {
        dashboard: dashboard.into(),
        principals,
        change,
        mode: Mode::Merge,
        revoke_scope: None,
        publish: true,
        dry_run: false,
        with_data: false,
        until: None,
    }
}

fn users(names: &[&str]) -> Vec<Principal> {
    names
        .iter()
        .map(|n| Principal::User(n.to_string()))
        .collect()
}

/// The share read's answer: `sharesTo` and the owner as an object (pysisense
/// `migration/dashboards.py` reads `owner._id`).
fn shares_answer(shares: serde_json::Value) -> serde_json::Value {
    json!({"sharesTo": shares, "owner": {"_id": "owner1", "userName": "owner@example.com"}})
}

async fn mount_read(server: &MockServer, body: serde_json::Value, times: u64) {
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param("adminAccess", "true"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .named("read dashboard")
        .mount(server)
        .await;
}

async fn mount_patch(server: &MockServer, shares: serde_json::Value, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param("adminAccess", "true"))
        .and(header("authorization", BEARER))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "sharesTo": shares })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"oid": "d1"})))
        .expect(times)
        .named("patch shares")
        .mount(server)
        .await;
}

async fn mount_publish(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .and(query_param("force", "false"))
        .and(query_param("adminAccess", "true"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(times)
        .named("publish")
        .mount(server)
        .await;
}

async fn any_write_forbidden(server: &MockServer) {
    for verb in ["PATCH", "POST", "PUT", "DELETE"] {
        Mock::given(method(verb))
            .and(path("/api/v1/dashboards/d1"))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .named(format!("no {verb}"))
            .mount(server)
            .await;
        Mock::given(method(verb))
            .and(path("/api/shares/dashboard/d1"))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .named(format!("no {verb} of shares"))
            .mount(server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .named("no publish")
        .mount(server)
        .await;
}

#[tokio::test]
async fn grant_of_three_users_takes_eight_requests_and_keeps_every_share() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    for (id, email) in [
        ("u1", "a@example.com"),
        ("u2", "b@example.com"),
        ("u3", "c@example.com"),
    ] {
        mount_user(&server, "email", email, json!([user(id, email)]), 1).await;
    }
    mount_read(
        &server,
        shares_answer(json!([owner_share(), bob_share(), group_share()])),
        1,
    )
    .await;
    mount_patch(
        &server,
        json!([
            owner_share(),
            bob_share(),
            group_share(),
            {"shareId": "u1", "type": "user", "rule": "view", "subscribe": false},
            {"shareId": "u2", "type": "user", "rule": "view", "subscribe": false},
            {"shareId": "u3", "type": "user", "rule": "view", "subscribe": false},
        ]),
        1,
    )
    .await;
    mount_publish(&server, 1).await;
    mount_no_data_model(&server).await;

    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["a@example.com", "b@example.com", "c@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();

    assert!(report.written && report.published);
    assert!(report.results.iter().all(|r| r.action == Action::Added));
    // login, 3 look-ups, read, the data model's row, write, publish.
    assert_eq!(server.received_requests().await.unwrap().len(), 8);
}

#[tokio::test]
async fn granting_what_is_there_writes_nothing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "bob@example.com", "bob1").await;
    mount_read(
        &server,
        shares_answer(json!([owner_share(), bob_share()])),
        1,
    )
    .await;
    any_write_forbidden(&server).await;

    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["bob@example.com"]),
            Change::Grant(Access::Edit),
        ),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Unchanged);
    assert!(!report.written && !report.published);
}

#[tokio::test]
async fn grant_lowers_edit_to_view_changing_only_the_rule() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "bob@example.com", "bob1").await;
    mount_read(
        &server,
        shares_answer(json!([owner_share(), bob_share()])),
        1,
    )
    .await;
    mount_patch(
        &server,
        json!([owner_share(), {"shareId": "bob1", "type": "user", "rule": "view", "subscribe": true}]),
        1,
    )
    .await;
    mount_publish(&server, 1).await;

    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["bob@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Updated);
}

#[tokio::test]
async fn unknown_user_is_named_and_nothing_is_read_or_written() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "a@example.com", "u1").await;
    mount_user(&server, "email", "ghost@example.com", json!([]), 1).await;
    mount_user(&server, "userName", "ghost@example.com", json!([]), 1).await;
    mount_read(&server, shares_answer(json!([])), 0).await;
    any_write_forbidden(&server).await;

    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["a@example.com", "ghost@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("ghost@example.com"), "{err}");
    assert!(!err.to_string().contains("'a@example.com'"), "{err}");
}

#[tokio::test]
async fn user_names_without_at_sign_are_looked_up_by_user_name_only() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("userName", "jdoe"))
        .and(query_param_is_missing("email"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "u9", "userName": "jdoe", "email": "john@example.com"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let resolved = provider(&server)
        .resolve_principal(&Principal::User("jdoe".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.key.id, "u9");
}

#[tokio::test]
async fn groups_are_found_by_name_filter_and_matched_exactly() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Sales Team"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "g1", "name": "Sales Team EMEA"},
            {"_id": "g2", "name": "Sales Team"},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let resolved = provider(&server)
        .resolve_principal(&Principal::Group("Sales Team".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resolved.key.id, "g2");
}

#[tokio::test]
async fn revoke_removes_only_that_share_and_republishes() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Marketing"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "grp1", "name": "Marketing"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_read(
        &server,
        shares_answer(json!([owner_share(), bob_share(), group_share()])),
        1,
    )
    .await;
    mount_patch(&server, json!([owner_share(), bob_share()]), 1).await;
    mount_publish(&server, 1).await;

    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            vec![Principal::Group("Marketing".into())],
            Change::Revoke,
        ),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Removed);
}

#[tokio::test]
async fn revoking_a_share_that_is_not_there_is_absent_and_writes_nothing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "a@example.com", "u1").await;
    mount_read(&server, shares_answer(json!([owner_share()])), 1).await;
    any_write_forbidden(&server).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("d1", users(&["a@example.com"]), Change::Revoke),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Absent);
}

#[tokio::test]
async fn dry_run_reads_but_writes_nothing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "a@example.com", "u1").await;
    mount_read(&server, shares_answer(json!([owner_share()])), 1).await;
    any_write_forbidden(&server).await;
    let mut dry = request("d1", users(&["a@example.com"]), Change::Grant(Access::View));
    dry.dry_run = true;
    let report = change_shares(provider(&server).as_ref(), &dry)
        .await
        .unwrap();
    assert_eq!(report.results[0].action, Action::Added);
    assert!(!report.written);
}

#[tokio::test]
async fn no_publish_writes_without_publishing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "a@example.com", "u1").await;
    mount_read(&server, shares_answer(json!([])), 1).await;
    mount_patch(
        &server,
        json!([{"shareId": "u1", "type": "user", "rule": "edit", "subscribe": false}]),
        1,
    )
    .await;
    mount_publish(&server, 0).await;
    let mut no_publish = request("d1", users(&["a@example.com"]), Change::Grant(Access::Edit));
    no_publish.publish = false;
    let report = change_shares(provider(&server).as_ref(), &no_publish)
        .await
        .unwrap();
    assert!(report.written && !report.published);
}

#[tokio::test]
async fn a_title_resolves_to_its_one_dashboard() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("dashboardType", "owner"))
        .and(query_param("name", "Sales KPIs"))
        .and(query_param("asObject", "false"))
        .and(query_param("limit", "50"))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": "d1", "title": "Sales KPIs"},
            {"oid": "d2", "title": "Sales KPIs (copy)"},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards/admin", 2).await;
    let dashboard = provider(&server)
        .resolve_dashboard("name:Sales KPIs")
        .await
        .unwrap();
    assert_eq!(dashboard.id, "d1");
}

#[tokio::test]
async fn an_ambiguous_title_lists_the_candidates() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("dashboardType", "owner"))
        .and(query_param("name", "Sales KPIs"))
        .and(query_param("asObject", "false"))
        .and(query_param("limit", "50"))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": "d1", "title": "Sales KPIs"},
            {"oid": "d7", "title": "Sales KPIs"},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards/admin", 2).await;
    let err = provider(&server)
        .resolve_dashboard("name:Sales KPIs")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Invalid { .. }));
    assert!(
        err.to_string().contains("d1") && err.to_string().contains("d7"),
        "{err}"
    );
}

#[tokio::test]
async fn a_missing_dashboard_is_bad_input() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/nope"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"code": 1002, "message": "not found"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .read_shares(&by_id("nope"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { .. }) && err.to_string().contains("'nope'"),
        "{err}"
    );
}

#[tokio::test]
async fn two_429s_with_retry_after_are_ridden_out() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_read(&server, shares_answer(json!([owner_share()])), 1).await;
    let started = std::time::Instant::now();
    let snapshot = provider(&server).read_shares(&by_id("d1")).await.unwrap();
    assert_eq!(snapshot.shares.len(), 1);
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(2),
        "Retry-After was not honoured"
    );
}

#[tokio::test]
async fn busy_answers_past_the_retry_budget_fail_as_remote() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(503))
        .expect(6)
        .mount(&server)
        .await;
    let err = provider(&server)
        .read_shares(&by_id("d1"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Remote { .. }) && err.to_string().contains("503"),
        "{err}"
    );
}

#[tokio::test]
async fn an_expired_token_leads_to_one_new_login() {
    let server = MockServer::start().await;
    mount_login(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "token expired"}})),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_read(&server, shares_answer(json!([])), 1).await;
    provider(&server).read_shares(&by_id("d1")).await.unwrap();
}

#[tokio::test]
async fn a_renewal_the_server_refuses_is_not_tried_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": TOKEN})))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    // Once the first token dies, the password no longer works either: one refusal, not one per
    // request.
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": 5001, "message": "bad credentials", "status": 401}
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(401))
        .expect(2)
        .mount(&server)
        .await;
    let provider = provider(&server);
    for _ in 0..2 {
        let err = provider.read_shares(&by_id("d1")).await.unwrap_err();
        assert!(matches!(err, Error::Auth(_)), "{err:?}");
    }
}

#[tokio::test]
async fn a_wrong_password_is_an_auth_error_without_the_password() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"code": 5001, "message": format!("bad credentials {PASSWORD}"), "status": 401}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server).check().await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains(PASSWORD), "{err}");
    assert!(err.to_string().contains(ADMIN), "{err}");
}

#[tokio::test]
async fn a_refused_publish_says_the_shares_were_written_and_how_to_publish() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "a@example.com", "u1").await;
    mount_read(&server, shares_answer(json!([owner_share()])), 1).await;
    mount_patch(
        &server,
        json!([owner_share(), {"shareId": "u1", "type": "user", "rule": "view", "subscribe": false}]),
        1,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"error": {"message": "only the owner can publish"}})),
        )
        // With adminAccess=true, then without: pysisense `dashboard/core.py` tries both.
        .expect(2)
        .mount(&server)
        .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("d1", users(&["a@example.com"]), Change::Grant(Access::View)),
    )
    .await
    .unwrap();
    // The write happened (and so can be journaled); the publish failure is reported after it.
    assert!(report.written && !report.published);
    let err = report.publish_error.unwrap();
    let text = err.to_string();
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
    assert!(text.contains("only the owner can publish"), "{text}");
    assert!(
        text.contains("were written") && text.contains("dashshare publish d1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_dashboard_without_a_shares_list_is_never_written() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "a@example.com", "u1").await;
    mount_read(&server, json!({"oid": "d1", "title": "Sales KPIs"}), 1).await;
    any_write_forbidden(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request("d1", users(&["a@example.com"]), Change::Grant(Access::View)),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(
        text.contains("`sharesTo`") && text.contains("the keys oid, title"),
        "{text}"
    );
}

#[tokio::test]
async fn the_owner_listed_with_a_rule_is_still_kept_and_cannot_be_revoked() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "owner@example.com", "owner1").await;
    mount_read(
        &server,
        shares_answer(json!([{"shareId": "owner1", "type": "user", "rule": "edit"}])),
        1,
    )
    .await;
    any_write_forbidden(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request("d1", users(&["owner@example.com"]), Change::Revoke),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("owns the dashboard"), "{err}");
}

#[tokio::test]
async fn a_redirect_is_reported_not_followed() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(
            ResponseTemplate::new(301)
                .insert_header("Location", "https://bi.example.com/api/shares/dashboard/d1"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .read_shares(&by_id("d1"))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("redirected to https://bi.example.com"),
        "{err}"
    );
}

/// `check` reads the caller's user where pysisense does (`access_management/users.py`,
/// `get_my_user`: `GET /api/users/loggedin`).
#[tokio::test]
async fn check_fails_when_the_session_cannot_read_its_user() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/users/loggedin"))
        .respond_with(ResponseTemplate::new(500))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server).check().await.unwrap_err();
    assert!(matches!(err, Error::Remote { .. }), "{err:?}");
}

/// Share ids become people through batched answers, never one request each: users through the
/// `ids=` filter of `GET /api/v1/users` (REST clients; NOTES.md Corrections 2026-12-07), up to 50
/// a request, groups through one paged `GET /api/v1/groups` (pysisense `access_management/
/// admin.py` `_get_user_email_and_group_name_maps`). 51 users and 2 groups: 2 + 2 requests.
#[tokio::test]
async fn naming_53_principals_takes_four_requests_after_the_login() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let user_ids: Vec<String> = (0..51)
        .map(|n| format!("5f00000000000000000001{n:02}"))
        .collect();
    for chunk in user_ids.chunks(50) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|id| user(id, &format!("{id}@example.com")))
            .collect();
        Mock::given(method("GET"))
            .and(path("/api/v1/users"))
            .and(query_param("ids", chunk.join(",")))
            .and(header("authorization", BEARER))
            .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(rows)))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("skip", "0"))
        .and(query_param("limit", "50"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "grp1", "name": "Marketing"}, {"_id": "grp2", "name": "Sales"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/groups", 2).await;
    let mut keys: Vec<ShareKey> = user_ids
        .iter()
        .map(|id| ShareKey::new(PrincipalKind::User, id))
        .collect();
    keys.push(ShareKey::new(PrincipalKind::Group, "grp1"));
    keys.push(ShareKey::new(PrincipalKind::Group, "grp2"));
    let names = provider(&server).describe(&keys).await;
    assert_eq!(names.len(), 53);
    assert_eq!(names[&keys[50]], format!("{}@example.com", user_ids[50]));
    assert_eq!(names[&keys[52]], "Sales");
    // login + 2 ids= look-ups + 2 group pages.
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}

/// A server that ignores `ids=` (it answers users not asked for) names them from one paged
/// listing of every user instead; an id nobody answers for is left unnamed.
#[tokio::test]
async fn a_server_that_ignores_ids_is_named_from_the_user_listing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let everyone = json!([user("u1", "a@example.com"), user("u2", "b@example.com")]);
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("ids", "u2,gone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(everyone.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("skip", "0"))
        .and(query_param_is_missing("ids"))
        .respond_with(ResponseTemplate::new(200).set_body_json(everyone))
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/users", 2).await;
    let keys = [
        ShareKey::new(PrincipalKind::User, "u2"),
        ShareKey::new(PrincipalKind::User, "gone"),
    ];
    let names = provider(&server).describe(&keys).await;
    assert_eq!(names[&keys[0]], "b@example.com");
    assert!(!names.contains_key(&keys[1]));
}

/// A server that honours `ids=` and has no such user answers none: nothing more is asked.
#[tokio::test]
async fn ids_no_user_answers_for_cost_no_listing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("ids", "u1,gone"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([user("u1", "a@example.com")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("ids", "gone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let keys = [
        ShareKey::new(PrincipalKind::User, "u1"),
        ShareKey::new(PrincipalKind::User, "gone"),
    ];
    let names = provider(&server).describe(&keys).await;
    assert_eq!(names.len(), 1);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn dashboards_are_filtered_by_title() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards"))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": "d1", "title": "Sales KPIs", "owner": "o"},
            {"oid": "d2", "title": "Finance"},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards", 2).await;
    let found = provider(&server)
        .dashboards(Some("sales"), false)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, "d1");
}

// ---- Answers from Sisense's own SDK and docs (tests/fixtures/sisense), one test per Sisense
// ---- bullet of NOTES.md "Corrections" and per fixture.

use wiremock::matchers::query_param_contains;

const ALICE: &str = "5f0000000000000000000002";
const OWNER: &str = "5f0000000000000000000009";

/// The login, answered with the documented login answer (its token is TOKEN).
async fn mount_fixture_login(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(LOGIN_BODY))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("sisense", "login.json")))
        .expect(times)
        .named("login")
        .mount(server)
        .await;
}

async fn mount_alice(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("email", "alice@example.com"))
        .and(header("authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("sisense", "users.json")),
        )
        .expect(times)
        .named("users?email=alice")
        .mount(server)
        .await;
}

/// `METHOD path` with (`admin`) or without `adminAccess=true`, answered `status` + `body`.
async fn mount_route(
    server: &MockServer,
    verb: &str,
    route: &str,
    admin: bool,
    status: u16,
    body: serde_json::Value,
    times: u64,
) {
    let mock = Mock::given(method(verb)).and(path(route));
    let mock = if admin {
        mock.and(query_param("adminAccess", "true"))
    } else {
        mock.and(query_param_is_missing("adminAccess"))
    };
    mock.and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .expect(times)
        .named(format!("{verb} {route} admin={admin} -> {status}"))
        .mount(server)
        .await;
}

fn alice_view() -> serde_json::Value {
    json!({"shareId": ALICE, "type": "user", "rule": "view", "subscribe": false})
}

/// Corrections, "Sisense, admins and dashboards they do not own": the admin reads, writes and
/// publishes another owner's dashboard with adminAccess=true, on the SDK's share route, writing
/// every entry back as read (the owner's, without a rule, and its extra keys included).
#[tokio::test]
async fn an_admin_shares_another_owners_dashboard_through_the_sdk_routes_with_admin_access() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_alice(&server, 1).await;
    let read = fixture_json("sisense", "shares.json");
    let mut written = read["sharesTo"].as_array().unwrap().clone();
    written.push(alice_view());
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        200,
        read.clone(),
        1,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param("adminAccess", "true"))
        .and(header("authorization", BEARER))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "sharesTo": written })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .named("write sharesTo")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .and(query_param("force", "false"))
        .and(query_param("adminAccess", "true"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .named("publish")
        .mount(&server)
        .await;

    mount_no_data_model(&server).await;
    let provider = provider(&server);
    let report = change_shares(
        provider.as_ref(),
        &request(
            "d1",
            users(&["alice@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert!(report.written && report.published);
    assert_eq!(report.results[0].action, Action::Added);
    // login, look-up, read, the data model's row, write, publish.
    assert_eq!(server.received_requests().await.unwrap().len(), 6);
}

/// The same fixture read: the owner is the owner (not revocable), the other entries are shares,
/// and the names the entries carry are kept for `list`.
#[tokio::test]
async fn the_share_read_fixture_is_understood() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    let read = fixture_json("sisense", "shares.json");
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        200,
        read,
        1,
    )
    .await;
    let snapshot = provider(&server).read_shares(&by_id("d1")).await.unwrap();
    let user = |id: &str| ShareKey::new(PrincipalKind::User, id);
    let marketing = ShareKey::new(PrincipalKind::Group, "6a0000000000000000000001");
    assert_eq!(snapshot.shares.get(&user(OWNER)), Some(Level::Owner));
    assert_eq!(
        snapshot.shares.get(&user("5f0000000000000000000003")),
        Some(Level::Access(Access::Edit))
    );
    assert_eq!(
        snapshot.shares.get(&marketing),
        Some(Level::Access(Access::View))
    );
    assert_eq!(snapshot.names[&marketing], "Marketing");
    // A user is named by email everywhere (what `export` writes is what was applied): an
    // entry's `userName` alone leaves the naming to the user listing.
    assert!(
        !snapshot
            .names
            .contains_key(&user("5f0000000000000000000003"))
    );
}

/// A version that rejects the unknown parameter (422, pysisense `get_dashboard_shares_v1`) costs
/// one extra request per route for the whole run: the second dashboard goes straight without it.
#[tokio::test]
async fn a_rejected_admin_access_parameter_falls_back_once_per_run_not_per_dashboard() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_alice(&server, 2).await;
    mount_no_data_model(&server).await;
    let read = fixture_json("sisense", "shares.json");
    let rejected = fixture_json("sisense", "error_validation.json");
    let mut written = read["sharesTo"].as_array().unwrap().clone();
    written.push(alice_view());
    for (d, first) in [("d1", true), ("d2", false)] {
        let shares = format!("/api/shares/dashboard/{d}");
        let publish = format!("/api/v1/dashboards/{d}/publish");
        let once = u64::from(first);
        mount_route(&server, "GET", &shares, true, 422, rejected.clone(), once).await;
        mount_route(&server, "GET", &shares, false, 200, read.clone(), 1).await;
        mount_route(&server, "POST", &shares, true, 500, json!({}), 0).await;
        mount_route(&server, "POST", &shares, false, 200, json!({}), 1).await;
        mount_route(&server, "POST", &publish, true, 422, rejected.clone(), once).await;
        mount_route(&server, "POST", &publish, false, 200, json!({}), 1).await;
    }
    let provider = provider(&server);
    for d in ["d1", "d2"] {
        let report = change_shares(
            provider.as_ref(),
            &request(
                d,
                users(&["alice@example.com"]),
                Change::Grant(Access::View),
            ),
        )
        .await
        .unwrap();
        assert!(report.written && report.published, "{d}");
    }
    // login + 2 look-ups + d1: 2 reads, 1 write, 2 publishes + d2: 1 read, 1 write, 1 publish,
    // and each dashboard's data-model row.
    assert_eq!(server.received_requests().await.unwrap().len(), 13);
}

/// A 403 to adminAccess=true that the plain request gets past (an account that is not an admin,
/// on its own dashboard) is remembered too; a 403 both ways is not (the dashboard was refused, not
/// the parameter), so the next dashboard still asks with adminAccess=true.
#[tokio::test]
async fn a_403_is_remembered_only_when_the_plain_request_gets_past_it() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    let read = fixture_json("sisense", "shares.json");
    let refused = fixture_json("sisense", "error.json");
    // d0: refused both ways; d1: refused with the parameter only; d2: straight without it.
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d0",
        true,
        403,
        refused.clone(),
        1,
    )
    .await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d0",
        false,
        403,
        refused.clone(),
        1,
    )
    .await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        403,
        refused.clone(),
        1,
    )
    .await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        false,
        200,
        read.clone(),
        1,
    )
    .await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d2",
        true,
        200,
        read.clone(),
        0,
    )
    .await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d2",
        false,
        200,
        read,
        1,
    )
    .await;
    let provider = provider(&server);
    let err = provider.read_shares(&by_id("d0")).await.unwrap_err();
    assert!(
        matches!(err, Error::PermissionDenied(_)) && err.to_string().contains("403"),
        "{err}"
    );
    provider.read_shares(&by_id("d1")).await.unwrap();
    provider.read_shares(&by_id("d2")).await.unwrap();
}

/// The error fixture (pysisense's own example of Sisense's error body) reaches the user. A 401
/// to adminAccess=true is first taken for an expired token (one new login), then for a refused
/// parameter (one plain request), and then reported as the authentication failure it is.
#[tokio::test]
async fn the_error_body_fixture_is_shown_and_a_401_costs_one_login_and_one_plain_request() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 2).await;
    let invalid = fixture_json("sisense", "error.json");
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        401,
        invalid.clone(),
        2,
    )
    .await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        false,
        401,
        invalid,
        1,
    )
    .await;
    let err = provider(&server)
        .read_shares(&by_id("d1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(err.to_string().contains("Invalid token."), "{err}");
}

/// A validation failure names its sub-error (pysisense `_extract_error_message` reads
/// `error.subErrors[].message`); a 400 is no refusal of the parameter, so nothing is resent.
#[tokio::test]
async fn a_validation_error_names_its_sub_error_and_is_not_resent() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_alice(&server, 1).await;
    let read = fixture_json("sisense", "shares.json");
    let invalid = fixture_json("sisense", "error_validation.json");
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        200,
        read,
        1,
    )
    .await;
    mount_route(
        &server,
        "POST",
        "/api/shares/dashboard/d1",
        true,
        400,
        invalid,
        1,
    )
    .await;
    mount_route(
        &server,
        "POST",
        "/api/shares/dashboard/d1",
        false,
        200,
        json!({}),
        0,
    )
    .await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["alice@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("Invalid query: must NOT have additional properties: adminAccess"),
        "{err}"
    );
}

/// A share entry without `shareId` (pysisense reads it on every entry) is not understood: the
/// command fails with exit 1 and writes nothing.
#[tokio::test]
async fn a_share_entry_without_a_share_id_is_not_understood_and_nothing_is_written() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_alice(&server, 1).await;
    let mut read = fixture_json("sisense", "shares.json");
    read["sharesTo"][1]
        .as_object_mut()
        .unwrap()
        .remove("shareId");
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        200,
        read,
        1,
    )
    .await;
    any_write_forbidden(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["alice@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(err.to_string().contains("sharesTo[].shareId"), "{err}");
}

/// `name:` looks in the admin listing (pysisense `get_dashboard_by_name`), which finds dashboards
/// the admin does not own.
#[tokio::test]
async fn a_title_is_found_in_the_admin_listing_fixture() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("dashboardType", "owner"))
        .and(query_param("name", "Regional Margins"))
        .and(query_param("skip", "0"))
        .and(header("authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("sisense", "admin_dashboards.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards/admin", 1).await;
    let dashboard = provider(&server)
        .resolve_dashboard("name:Regional Margins")
        .await
        .unwrap();
    assert_eq!(dashboard.id, "5e1d00000000000000000a01");
}

/// An account that is not an admin is refused the admin listing: `name:` then looks in its own
/// listing, and remembers that for the rest of the run.
#[tokio::test]
async fn a_refused_admin_listing_falls_back_to_the_callers_listing_once() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(fixture_json("sisense", "error.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    for (title, id) in [("Mine", "d1"), ("Also mine", "d2")] {
        Mock::given(method("GET"))
            .and(path("/api/v1/dashboards"))
            .and(query_param("name", title))
            .and(query_param("skip", "0"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(json!([{"oid": id, "title": title}])),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/v1/dashboards"))
            .and(query_param("name", title))
            .and(query_param("skip", "1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .expect(1)
            .mount(&server)
            .await;
    }
    let provider = provider(&server);
    assert_eq!(
        provider.resolve_dashboard("name:Mine").await.unwrap().id,
        "d1"
    );
    assert_eq!(
        provider
            .resolve_dashboard("name:Also mine")
            .await
            .unwrap()
            .id,
        "d2"
    );
}

/// `dashboards --all`: the admin listing (pysisense `get_all_dashboards`, fields as
/// `migration/dashboards.py` trims them), owners included.
#[tokio::test]
async fn dashboards_all_reads_the_admin_listing() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("dashboardType", "owner"))
        .and(query_param_contains("fields", "oid,title"))
        .and(query_param("skip", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("sisense", "admin_dashboards.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards/admin", 1).await;
    let found = provider(&server).dashboards(None, true).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].title, "Regional Margins");
    assert_eq!(found[0].owner.as_deref(), Some(OWNER));
}

/// A listing row without an id key dashshare knows is not understood, never "no such dashboard".
#[tokio::test]
async fn a_listing_row_without_a_known_id_is_not_understood() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!([{"dashboardRef": "5e1d00000000000000000a01", "title": "Regional Margins"}]),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_dashboard("name:Regional Margins")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(err.to_string().contains("`oid`"), "{err}");
}

/// The users and groups fixtures resolve to their `_id`; rows none of which has an id key
/// dashshare knows are not understood (exit 1), never "no such user" (exit 2).
#[tokio::test]
async fn user_and_group_fixtures_resolve_and_rows_without_ids_are_not_understood() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_alice(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Sales Team EMEA"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("sisense", "groups.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("email", "bob@example.com"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"userRef": "u2", "email": "bob@example.com"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server);
    let alice = provider
        .resolve_principal(&Principal::User("alice@example.com".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice.key.id, ALICE);
    let group = provider
        .resolve_principal(&Principal::Group("Sales Team EMEA".into()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(group.key.id, "6a0000000000000000000002");
    let err = provider
        .resolve_principal(&Principal::User("bob@example.com".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(err.to_string().contains("`_id`"), "{err}");
}

/// Corrections, "Sisense logins do not cancel other tokens": two runs of one account each log in
/// once and keep using their own token; neither logs in again because the other did.
#[tokio::test]
async fn two_runs_of_one_account_each_log_in_once_and_keep_their_tokens() {
    let server = MockServer::start().await;
    for token in ["tok-RUN-ONE", "tok-RUN-TWO"] {
        Mock::given(method("POST"))
            .and(path("/api/v1/authentication/login"))
            .and(body_string(LOGIN_BODY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": token})))
            .up_to_n_times(1)
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/api/shares/dashboard/d1"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(fixture_json("sisense", "shares.json")),
            )
            .expect(2)
            .mount(&server)
            .await;
    }
    let (one, two) = (provider(&server), provider(&server));
    one.read_shares(&by_id("d1")).await.unwrap();
    two.read_shares(&by_id("d1")).await.unwrap();
    one.read_shares(&by_id("d1")).await.unwrap();
    two.read_shares(&by_id("d1")).await.unwrap();
}

/// A 401 answered to adminAccess=true is about the parameter, not the token, once the plain
/// request gets past it: a token that really expires later in the run is still renewed.
#[tokio::test]
async fn a_401_to_admin_access_does_not_stop_later_renewals() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 3).await;
    let read = fixture_json("sisense", "shares.json");
    let refused = fixture_json("sisense", "error.json");
    let d1 = "/api/shares/dashboard/d1";
    let d2 = "/api/shares/dashboard/d2";
    mount_route(&server, "GET", d1, true, 401, refused.clone(), 2).await;
    mount_route(&server, "GET", d1, false, 200, read.clone(), 1).await;
    // By d2 the token has expired: one 401, then the read after a new login.
    Mock::given(method("GET"))
        .and(path(d2))
        .and(query_param_is_missing("adminAccess"))
        .respond_with(ResponseTemplate::new(401).set_body_json(refused))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_route(&server, "GET", d2, false, 200, read, 1).await;
    let provider = provider(&server);
    provider.read_shares(&by_id("d1")).await.unwrap();
    provider.read_shares(&by_id("d2")).await.unwrap();
}

/// A 422 may judge the request's body rather than the parameter: when the plain request is
/// refused too, the first answer is reported, and the next dashboard still asks as an admin.
#[tokio::test]
async fn a_422_the_plain_request_does_not_get_past_is_reported_and_not_remembered() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    let invalid = fixture_json("sisense", "error_validation.json");
    let denied = fixture_json("sisense", "error.json");
    let read = fixture_json("sisense", "shares.json");
    let d1 = "/api/shares/dashboard/d1";
    mount_route(&server, "GET", d1, true, 422, invalid.clone(), 1).await;
    mount_route(&server, "GET", d1, false, 403, denied, 1).await;
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d2",
        true,
        200,
        read,
        1,
    )
    .await;
    let provider = provider(&server);
    let err = provider.read_shares(&by_id("d1")).await.unwrap_err();
    assert!(err.to_string().contains("422"), "{err}");
    let sub_error = invalid
        .pointer("/error/subErrors/0/message")
        .and_then(|m| m.as_str())
        .expect("the fixture has a sub-error");
    assert!(err.to_string().contains(sub_error), "{err}");
    provider.read_shares(&by_id("d2")).await.unwrap();
}

/// A server that echoes a secret back: in a body past the 300-character cut (the cut comes after
/// the scrub, so no part of it shows), and in a redirect's `Location`.
#[tokio::test]
async fn echoed_secrets_are_scrubbed_across_the_cut_and_in_redirects() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let echo = format!("{}{TOKEN} and more", "x".repeat(295));
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(500).set_body_string(echo))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d2"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("https://elsewhere/?token={TOKEN}")),
        )
        .mount(&server)
        .await;
    let provider = provider(&server);
    for id in ["d1", "d2"] {
        let err = provider.read_shares(&by_id(id)).await.unwrap_err();
        let message = err.to_string();
        // The body's cut falls 5 characters into the token: not even those may show.
        assert!(!message.contains("xtok-S"), "{id}: {message}");
        assert!(!message.contains(TOKEN), "{id}: {message}");
    }
}

/// `export`: the admin listing carries every dashboard's shares (pysisense `utils.py`
/// `_dashboard_admin_record` reads `shares` from it), so its pages read them all; the owner's
/// entry (no rule) stays the owner's.
#[tokio::test]
async fn export_reads_every_dashboards_shares_from_the_admin_listing_fixture() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("dashboardType", "owner"))
        .and(query_param("fields", "oid,title,owner,shares,datasource"))
        .and(query_param("skip", "0"))
        .and(header("authorization", BEARER))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(fixture_json("sisense", "admin_dashboards.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards/admin", 1).await;
    let listed = provider(&server)
        .listed_shares(Some("margins"))
        .await
        .unwrap()
        .expect("an admin's listing carries the shares");
    assert_eq!(listed.len(), 1);
    let snapshot = &listed[0];
    assert_eq!(snapshot.dashboard.id, "5e1d00000000000000000a01");
    assert_eq!(
        snapshot.dashboard.title.as_deref(),
        Some("Regional Margins")
    );
    let owner = ShareKey::new(PrincipalKind::User, "5f0000000000000000000009");
    let editor = ShareKey::new(PrincipalKind::User, "5f0000000000000000000003");
    assert_eq!(snapshot.shares.get(&owner), Some(Level::Owner));
    assert_eq!(
        snapshot.shares.get(&editor),
        Some(Level::Access(Access::Edit))
    );
    assert_eq!(snapshot.shares.len(), 2);
}

/// pysisense `migration/dashboards.py` pages the admin listing: `dashboardType=owner`,
/// `asObject=false`, `limit=50`, `skip` growing until a page comes back empty. A server that
/// caps its answers below the limit loses no rows: the next page starts after the rows read.
#[tokio::test]
async fn the_admin_listing_is_read_page_by_page_until_an_empty_page() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    let row = |n: usize| json!({"oid": format!("d{n:03}"), "title": format!("Bulk {n:03}"), "owner": OWNER, "shares": []});
    // 50, then 50, then a cap of 30 rows, then the end.
    for (skip, rows) in [(0, 0..50), (50, 50..100), (100, 100..130)] {
        Mock::given(method("GET"))
            .and(path("/api/v1/dashboards/admin"))
            .and(query_param("dashboardType", "owner"))
            .and(query_param("asObject", "false"))
            .and(query_param("limit", "50"))
            .and(query_param("skip", skip.to_string()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(Value::Array(rows.map(row).collect())),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    mount_listing_end(&server, "/api/v1/dashboards/admin", 130).await;
    let listed = provider(&server)
        .listed_shares(None)
        .await
        .unwrap()
        .expect("an admin's listing");
    assert_eq!(listed.len(), 130);
}

/// A server that ignores `skip` answers the same page for ever: the listing stops with exit 1,
/// naming the endpoint, instead of looping.
#[tokio::test]
async fn a_listing_that_ignores_skip_stops_naming_the_endpoint() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"oid": "d1", "title": "Sales KPIs"}])),
        )
        .expect(2)
        .mount(&server)
        .await;
    let err = provider(&server).dashboards(None, false).await.unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::RemoteFailure);
    assert!(
        err.to_string()
            .contains("/api/v1/dashboards answered rows of an earlier page again"),
        "{err}"
    );
}

/// An account that is not an admin: no listing with shares, so `export` reads each dashboard.
#[tokio::test]
async fn export_without_admin_rights_has_no_listing_with_shares() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(fixture_json("sisense", "error.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server);
    assert!(provider.listed_shares(None).await.unwrap().is_none());
    // Remembered: the listing is not asked for again.
    assert!(provider.listed_shares(None).await.unwrap().is_none());
}

// ---- API tokens (NOTES.md, Corrections 2026-12-07 and round 3: pysisense `sisenseclient.py`,
// ---- `@sisense/sdk-rest-client` `bearer-authenticator.js` and `interceptors.js`).

const API_TOKEN: &str = "eyJhbGciOi.API-TOKEN-SECRET.sig";

fn token_provider(server: &MockServer) -> Box<dyn ShareProvider> {
    let mut profile = sisense_profile(server);
    profile.username = None;
    profile.password = None;
    profile.token = Some(secrecy::SecretString::from(API_TOKEN));
    providers::connect(&profile, &fast_options()).unwrap()
}

/// With a token, every request carries `Authorization: Bearer <token>` and nothing logs in.
#[tokio::test]
async fn an_api_token_is_sent_on_every_request_and_nothing_logs_in() {
    let server = MockServer::start().await;
    mount_login(&server, 0).await;
    let bearer = format!("Bearer {API_TOKEN}");
    Mock::given(method("GET"))
        .and(path("/api/users/loggedin"))
        .and(header("authorization", bearer.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "_id": "5f0000000000000000000001", "email": "sso@example.com"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let identity = token_provider(&server).check().await.unwrap();
    assert_eq!(identity.user, "sso@example.com");
}

/// A refused token is exit 3, said as the token's refusal (never the password's), and is not
/// "renewed" through a login that cannot exist: one request, one answer.
#[tokio::test]
async fn a_refused_token_is_an_auth_error_and_no_login_is_tried() {
    let server = MockServer::start().await;
    mount_login(&server, 0).await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"error": {"code": 5001, "message": "Invalid token", "status": 401}}),
        ))
        // With adminAccess=true, then without (pysisense falls back on 401): no login between.
        .expect(2)
        .mount(&server)
        .await;
    let err = token_provider(&server)
        .read_shares(&by_id("d1"))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::AuthFailure);
    let text = err.to_string();
    assert!(text.contains("API token was refused"), "{text}");
    assert!(!text.contains("password"), "{text}");
    assert!(!text.contains(API_TOKEN), "{text}");
}

// ---- Publish order (pysisense `dashboard/core.py` `publish_dashboard`, `access_management/
// ---- ownership.py`): as the caller first when the account owns the dashboard, adminAccess=true
// ---- after a 403; another owner's with adminAccess=true first.

/// The login answer's `profile._id` is the account's id (login.json); the read's owner is it.
#[tokio::test]
async fn the_owner_publishes_as_the_caller_first_and_as_an_admin_after_a_403() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_alice(&server, 1).await;
    let me = "5f0000000000000000000001";
    let read = json!({"sharesTo": [{"shareId": me, "type": "user", "subscribe": true}], "owner": {"_id": me}});
    mount_route(
        &server,
        "GET",
        "/api/shares/dashboard/d1",
        true,
        200,
        read,
        1,
    )
    .await;
    mount_route(
        &server,
        "POST",
        "/api/shares/dashboard/d1",
        true,
        200,
        json!({}),
        1,
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .and(query_param("force", "false"))
        .and(query_param_is_missing("adminAccess"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {"message": "no"}})))
        .expect(1)
        .named("publish as the caller")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .and(query_param("adminAccess", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .named("publish as an admin")
        .mount(&server)
        .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["alice@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert!(
        report.written && report.published,
        "{:?}",
        report.publish_error
    );
}

/// An API token logs in nowhere, so the account's id comes from `GET /api/users/loggedin`,
/// asked once per run: its own dashboards are then published as the caller.
#[tokio::test]
async fn with_a_token_the_account_is_asked_once_and_its_own_dashboards_publish_plainly() {
    let server = MockServer::start().await;
    let me = "5f0000000000000000000001";
    Mock::given(method("GET"))
        .and(path("/api/users/loggedin"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"_id": me})))
        .expect(1)
        .mount(&server)
        .await;
    for id in ["d1", "d2"] {
        let read = json!({"sharesTo": [], "owner": {"_id": me}});
        Mock::given(method("GET"))
            .and(path(format!("/api/shares/dashboard/{id}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(read))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(format!("/api/v1/dashboards/{id}/publish")))
            .and(query_param_is_missing("adminAccess"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let provider = token_provider(&server);
    for id in ["d1", "d2"] {
        let snapshot = provider.read_shares(&by_id(id)).await.unwrap();
        provider.publish(&snapshot.dashboard).await.unwrap();
    }
}

// ---- Everyone (NOTES.md Corrections 2026-12-07: pysisense `access_management/groups.py`
// ---- `_UNIVERSAL_GROUPS`; documentation.sisense.com, "Sharing dashboards").

/// `--everyone` is the group named exactly `Everyone`, looked up once (`GET /api/v1/groups?name=`,
/// pysisense `groups.py` `get_group`), written as that group's entry beside every other share.
#[tokio::test]
async fn everyone_is_the_everyone_group_looked_up_once() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Everyone"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "e1", "name": "Everyone"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_read(
        &server,
        shares_answer(json!([owner_share(), group_share()])),
        1,
    )
    .await;
    mount_patch(
        &server,
        json!([
            owner_share(),
            group_share(),
            {"shareId": "e1", "type": "group", "rule": "view", "subscribe": false},
        ]),
        1,
    )
    .await;
    mount_publish(&server, 1).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("d1", vec![Principal::Everyone], Change::Grant(Access::View)),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Added);
}

/// A server whose only near match is another case has no Everyone group: exit 2, said so.
#[tokio::test]
async fn a_server_without_an_everyone_group_refuses_everyone_by_name() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Everyone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "e2", "name": "everyone"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_principal(&Principal::Everyone)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::BadInput);
    assert!(
        err.to_string()
            .contains("no group named exactly 'Everyone'"),
        "{err}"
    );
}

/// A read whose group entries carry no names (some servers) asks once who Everyone is, so that
/// its share reads as everyone.
#[tokio::test]
async fn an_unnamed_everyone_entry_is_told_by_one_look_up() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Everyone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "e1", "name": "Everyone"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_read(
        &server,
        shares_answer(json!([
            owner_share(),
            {"shareId": "e1", "type": "group", "rule": "view"},
        ])),
        2,
    )
    .await;
    let provider = provider(&server);
    for _ in 0..2 {
        let snapshot = provider.read_shares(&by_id("d1")).await.unwrap();
        assert_eq!(
            snapshot.shares.get(&ShareKey::everyone()),
            Some(Level::Access(Access::View))
        );
    }
}

/// A write that puts a share with everyone back (undo does) on a dashboard whose read never
/// needed the Everyone group looks the group up then, and writes its entry beside the others.
#[tokio::test]
async fn a_share_with_everyone_written_after_a_read_without_it_looks_the_group_up() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Everyone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "e1", "name": "Everyone"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_read(
        &server,
        shares_answer(json!([owner_share(), group_share()])),
        1,
    )
    .await;
    mount_patch(
        &server,
        json!([
            owner_share(),
            group_share(),
            {"shareId": "e1", "type": "group", "rule": "view", "subscribe": false},
        ]),
        1,
    )
    .await;
    let provider = provider(&server);
    let before = provider.read_shares(&by_id("d1")).await.unwrap();
    let mut after: Vec<dashshare::model::Share> = before.shares.iter().cloned().collect();
    after.push(dashshare::model::Share {
        key: ShareKey::everyone(),
        level: Level::Access(Access::View),
    });
    provider
        .write_shares(&before, &dashshare::model::ShareSet::new(after))
        .await
        .unwrap();
}

/// With a token, a 401 on the admin listing is the token refused (exit 3), not "not an admin".
#[tokio::test]
async fn a_refused_token_on_the_admin_listing_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_json(json!({"error": {"message": "Invalid token"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = token_provider(&server)
        .dashboards(None, true)
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::AuthFailure);
    assert!(err.to_string().contains("API token was refused"), "{err}");
}

/// With a token, a 401 to `adminAccess=true` that the plain request answers with 403 is about
/// the parameter: the 403 is reported (the token works), never "token refused".
#[tokio::test]
async fn with_a_token_a_401_to_admin_access_and_a_plain_403_is_a_permission_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param("adminAccess", "true"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .and(query_param_is_missing("adminAccess"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"error": {"message": "no"}})))
        .expect(1)
        .mount(&server)
        .await;
    let err = token_provider(&server)
        .read_shares(&by_id("d1"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
}

/// A server that ignores `?name=Everyone` (it answers other groups) is read through the paged
/// group listing, so the Everyone group is found beyond the first 50.
#[tokio::test]
async fn an_ignored_name_filter_finds_everyone_in_the_group_listing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let groups: Vec<Value> = (0..50)
        .map(|n| json!({"_id": format!("g{n}"), "name": format!("Team {n}")}))
        .collect();
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Everyone"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(groups.clone())))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param_is_missing("name"))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(groups)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param_is_missing("name"))
        .and(query_param("skip", "50"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "e1", "name": "Everyone"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/groups", 51).await;
    let found = provider(&server)
        .resolve_principal(&Principal::Everyone)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.key, ShareKey::everyone());
}

/// A read whose unnamed group entry might be Everyone fails when the look-up fails (exit 1),
/// rather than reading a share with everyone as a plain group.
#[tokio::test]
async fn a_read_that_cannot_tell_everyone_fails_instead_of_guessing() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    mount_read(
        &server,
        shares_answer(json!([owner_share(), {"shareId": "g9", "type": "group", "rule": "view"}])),
        1,
    )
    .await;
    let err = provider(&server)
        .read_shares(&by_id("d1"))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::RemoteFailure);
}

/// A user answer with `"active": false` (pysisense `datamodel/shares.py`: Sisense drops shares for
/// inactive users) is refused at look-up: exit 2, named, nothing read or written.
#[tokio::test]
async fn an_inactive_user_is_refused_at_look_up() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let mut dave = user("u9", "dave@example.com");
    dave["active"] = json!(false);
    mount_user(&server, "email", "dave@example.com", json!([dave]), 1).await;
    any_write_forbidden(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["dave@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::BadInput);
    assert!(
        err.to_string().contains("dave@example.com is inactive"),
        "{err}"
    );
}

// ---- Data models (NOTES.md "Corrections, round 3"): pysisense 2.3.3 `utils.py`
// ---- `_dashboard_admin_record` (a dashboard's `datasource` from its admin-listing row),
// ---- `datamodel/shares.py` (the EXTRACT and LIVE permission routes), `datamodel/core.py`
// ---- (`get_datamodel`: the schema by title gives the oid), `access_management/users.py`
// ---- (a user's `groups` with `expand=groups`).

async fn mount_datasource(server: &MockServer, id: &str, datasource: Value) {
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("dashboardType", "owner"))
        .and(query_param("id", id))
        .and(query_param("fields", "oid,title,datasource"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": id, "title": "Revenue", "datasource": datasource}
        ])))
        .expect(1)
        .mount(server)
        .await;
}

/// A listing row that leaves `datasource` out says nothing of the model (one with `null` reads
/// from none): the dashboard's own row is read when its data reach is asked for, rather than
/// taking it to read from no model (issue 24 review).
#[tokio::test]
async fn a_listing_row_without_a_datasource_leaves_the_model_to_the_dashboards_own_row() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("fields", "oid,title,owner,shares,datasource"))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": "d1", "title": "Revenue", "owner": OWNER, "shares": []},
            {"oid": "d2", "title": "Costs", "owner": OWNER, "shares": [], "datasource": null},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards/admin", 2).await;
    let cube = json!({"title": "Sample ECommerce", "address": "LocalHost", "live": false});
    mount_datasource(&server, "d1", cube).await;
    Mock::given(method("GET"))
        .and(path(
            "/api/elasticubes/localhost/Sample%20ECommerce/permissions",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shares": [
            {"partyId": "u1", "type": "user", "permission": "r"},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server);
    provider.listed_shares(None).await.unwrap().unwrap();
    let keys = [ShareKey::new(PrincipalKind::User, "u1")];
    let access = provider.data_access(&by_id("d1"), &keys).await.unwrap();
    assert_eq!(access.model, "Sample ECommerce");
    assert_eq!(access.of(&keys[0]), dashshare::providers::Reach::Direct);
    assert!(provider.data_access(&by_id("d2"), &keys).await.is_none());
}

/// An ElastiCube's entries are read once per model per run, however many dashboards read from it;
/// a user with no entry of its own reaches it through a group its user answer names, or not at all.
#[tokio::test]
async fn an_extract_model_is_read_once_and_reach_goes_through_groups() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let cube = json!({"title": "Sample ECommerce", "fullname": "LocalHost/Sample ECommerce", "address": "LocalHost", "live": false});
    mount_datasource(&server, "d1", cube.clone()).await;
    mount_datasource(&server, "d2", cube).await;
    Mock::given(method("GET"))
        .and(path(
            "/api/elasticubes/localhost/Sample%20ECommerce/permissions",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shares": [
            {"partyId": "g1", "type": "group", "permission": "r"},
            {"partyId": "u1", "type": "user", "permission": "a"},
        ]})))
        .expect(1)
        .mount(&server)
        .await;
    mount_everyone(&server).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("ids", "u2,u3"))
        .and(query_param("expand", "groups"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"_id": "u2", "email": "b@x.com", "groups": [{"_id": "g1", "name": "Sales"}]},
            {"_id": "u3", "email": "c@x.com", "groups": ["g7"]},
        ])))
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server);
    let keys: Vec<ShareKey> = ["u1", "u2", "u3"]
        .iter()
        .map(|id| ShareKey::new(PrincipalKind::User, *id))
        .collect();
    for dashboard in ["d1", "d2"] {
        let access = provider
            .data_access(&by_id(dashboard), &keys)
            .await
            .unwrap();
        assert_eq!(access.model, "Sample ECommerce");
        assert_eq!(access.dashboard_title.as_deref(), Some("Revenue"));
        assert_eq!(access.of(&keys[0]), dashshare::providers::Reach::Direct);
        assert_eq!(access.of(&keys[1]), dashshare::providers::Reach::Group);
        assert_eq!(access.of(&keys[2]), dashshare::providers::Reach::None);
        assert_eq!(access.unreadable, None);
    }
}

/// A live model's entries: its oid from the schema by title, then its permission list; the
/// model's share with everyone reaches everybody.
#[tokio::test]
async fn a_live_model_is_read_through_its_schema_oid_and_everyone_reaches_all() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_datasource(
        &server,
        "d1",
        json!({"title": "Sales Live", "fullname": "live:Sales Live", "live": true}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v2/datamodels/schema"))
        .and(query_param("title", "Sales Live"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"oid": "m1", "title": "Sales Live", "type": "LIVE"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/elasticubes/live/m1/permissions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"partyId": "e1", "type": "group", "permission": "r"}
        ])))
        .expect(1)
        .mount(&server)
        .await;
    mount_everyone(&server).await;
    let keys = [
        ShareKey::new(PrincipalKind::User, "u9"),
        ShareKey::new(PrincipalKind::Group, "g9"),
    ];
    let access = provider(&server)
        .data_access(&by_id("d1"), &keys)
        .await
        .unwrap();
    assert_eq!(access.model, "Sales Live");
    assert_eq!(access.of(&keys[0]), dashshare::providers::Reach::Everyone);
    assert_eq!(access.of(&keys[1]), dashshare::providers::Reach::Everyone);
}

/// A model that cannot be read (403) is said, with the reach unknown, never "no access".
#[tokio::test]
async fn a_model_refused_is_unknown_not_none() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_datasource(
        &server,
        "d1",
        json!({"title": "Secret Cube", "live": false}),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/elasticubes/localhost/Secret%20Cube/permissions"))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({"error": {"message": "forbidden"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let key = ShareKey::new(PrincipalKind::User, "u1");
    let access = provider(&server)
        .data_access(&by_id("d1"), std::slice::from_ref(&key))
        .await
        .unwrap();
    assert_eq!(access.of(&key), dashshare::providers::Reach::Unknown);
    assert!(access.unreadable.unwrap().contains("403"));
}

/// `grant --with-data` on an ElastiCube: the entries read again just before the write, the USE
/// entry appended, every other kept, the whole list `PUT` once (pysisense `datamodel/shares.py`,
/// `update_datamodel_permissions_extract`).
#[tokio::test]
async fn giving_data_access_puts_the_whole_merged_list_once() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_datasource(&server, "d1", json!({"title": "Cube", "live": false})).await;
    let existing = json!([{"partyId": "g1", "type": "group", "permission": "w", "extra": 1}]);
    Mock::given(method("GET"))
        .and(path("/api/elasticubes/localhost/Cube/permissions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shares": existing})))
        // Once to plan, once again just before the write.
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/elasticubes/localhost/Cube/permissions"))
        .and(body_json(json!([
            {"partyId": "g1", "type": "group", "permission": "w", "extra": 1},
            {"partyId": "u1", "type": "user", "permission": "r"},
        ])))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "e1", "name": "Everyone"}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("expand", "groups"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "u1", "groups": []}])),
        )
        .mount(&server)
        .await;
    let provider = provider(&server);
    let keys = [ShareKey::new(PrincipalKind::User, "u1")];
    let change = provider
        .plan_data_grant(&by_id("d1"), &keys)
        .await
        .unwrap()
        .expect("u1 has no entry");
    assert_eq!(change.model.title, "Cube");
    provider.write_data_model(&change).await.unwrap();
}

/// On a live model the merged list is `PATCH`ed (`update_datamodel_permissions_live`), to the
/// oid the schema gives.
#[tokio::test]
async fn giving_data_access_on_a_live_model_patches_it() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_datasource(&server, "d1", json!({"title": "Live", "live": true})).await;
    Mock::given(method("GET"))
        .and(path("/api/v2/datamodels/schema"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"oid": "m1", "title": "Live"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/elasticubes/live/m1/permissions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/elasticubes/live/m1/permissions"))
        .and(body_json(
            json!([{"partyId": "g2", "type": "group", "permission": "r"}]),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server);
    let keys = [ShareKey::new(PrincipalKind::Group, "g2")];
    let change = provider
        .plan_data_grant(&by_id("d1"), &keys)
        .await
        .unwrap()
        .unwrap();
    provider.write_data_model(&change).await.unwrap();
}

/// What the model's write gave is what its fresh read still lacked: an entry another gave since
/// the plan is not written again, and not reported (nor journaled) as given.
#[tokio::test]
async fn an_entry_given_since_the_plan_is_neither_written_nor_called_given() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_datasource(&server, "d1", json!({"title": "Cube", "live": false})).await;
    Mock::given(method("GET"))
        .and(path("/api/elasticubes/localhost/Cube/permissions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shares": []})))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/elasticubes/localhost/Cube/permissions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shares": [
            {"partyId": "u1", "permission": "r"}
        ]})))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/api/elasticubes/localhost/Cube/permissions"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let provider = provider(&server);
    let keys = [ShareKey::new(PrincipalKind::User, "u1")];
    let change = provider
        .plan_data_grant(&by_id("d1"), &keys)
        .await
        .unwrap()
        .unwrap();
    let given = provider.write_data_model(&change).await.unwrap();
    assert!(given.entries.is_empty(), "{given:?}");
}

/// The built-in Everyone group (pysisense `access_management/groups.py` `_UNIVERSAL_GROUPS`), as
/// `GET /api/v1/groups?name=Everyone` answers it: looked up once.
async fn mount_everyone(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("name", "Everyone"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "e1", "name": "Everyone"}])),
        )
        .expect(1)
        .mount(server)
        .await;
}

/// A dashboard answer holding `sharesTo` twice is refused whole (issue 24): read last-wins it
/// dropped the owner and every share before the repeat. Nothing is written.
#[tokio::test]
async fn an_answer_with_a_repeated_key_is_not_understood_and_nothing_is_written() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "bob@example.com", "bob1").await;
    let repeated = r#"{"sharesTo": [{"shareId": "owner1", "type": "user"},
        {"shareId": "carol1", "type": "user", "rule": "edit"}],
        "owner": {"_id": "owner1"}, "sharesTo": []}"#;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(repeated.as_bytes(), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    any_write_forbidden(&server).await;

    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "d1",
            users(&["bob@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("/api/shares/dashboard/d1"), "{message}");
    assert!(message.contains("the key `sharesTo` twice"), "{message}");
}

/// An entry typed `User` (another case) is carol's share: granting her again writes nothing,
/// and granting bob keeps her entry once (issue 24: she was added a second time).
#[tokio::test]
async fn an_entry_typed_in_another_case_is_the_principal_it_names() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_email_user(&server, "carol@example.com", "carol1").await;
    mount_email_user(&server, "bob@example.com", "bob1").await;
    let carol = json!({"shareId": "carol1", "type": "User", "rule": "View", "subscribe": false});
    mount_read(&server, shares_answer(json!([owner_share(), carol])), 2).await;
    mount_patch(
        &server,
        json!([
            owner_share(),
            carol,
            {"shareId": "bob1", "type": "user", "rule": "view", "subscribe": false},
        ]),
        1,
    )
    .await;
    mount_publish(&server, 1).await;
    mount_no_data_model(&server).await;
    let provider = provider(&server);

    let again = change_shares(
        provider.as_ref(),
        &request(
            "d1",
            users(&["carol@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert_eq!(again.results[0].action, Action::Unchanged);
    assert!(!again.written);

    let bob = change_shares(
        provider.as_ref(),
        &request(
            "d1",
            users(&["bob@example.com"]),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert_eq!(bob.results[0].action, Action::Added);
    assert!(bob.written);
}

/// `users` reads every page of `GET /api/v1/users` (`limit=50`, `skip`, pysensesdk's paging
/// words) with no filter, since Sisense documents no text search; the search is made here, over
/// email, user name and `firstName lastName`, and `active: false` is kept.
#[tokio::test]
async fn users_page_the_user_listing_and_search_it_here() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let mut rows: Vec<Value> = (0..50)
        .map(|n| user(&format!("u{n}"), &format!("user{n}@example.com")))
        .collect();
    rows[7] = json!({"_id": "u7", "email": "zoe@example.com", "userName": "zoe",
                     "firstName": "Zoë", "lastName": "Alicante", "active": false});
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("skip", "0"))
        .and(query_param("limit", "50"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(Value::Array(rows)))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("skip", "50"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([user("u50", "alice@example.com")])),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/users", 51).await;
    let found = provider(&server)
        .principals(PrincipalKind::User, Some("ALIC"))
        .await
        .unwrap();
    let names: Vec<(&str, &str, Option<&str>, Option<bool>)> = found
        .iter()
        .map(|n| {
            (
                n.name.as_str(),
                n.id.as_str(),
                n.display_name.as_deref(),
                n.active,
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("alice@example.com", "u50", Some("F L"), None),
            ("zoe@example.com", "u7", Some("Zoë Alicante"), Some(false)),
        ]
    );
}

/// A listing row without a name is not understood, never left out of the list.
#[tokio::test]
async fn a_group_row_without_a_name_is_not_understood() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/groups"))
        .and(query_param("skip", "0"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "g1", "title": "?"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .principals(PrincipalKind::Group, None)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(err.to_string().contains("name"), "{err}");
}

// ---- Ownership (pysisense `access_management/ownership.py`, NOTES.md Corrections): a share set
// ---- whose owner is another user is written by `change_owner` first, then the list.

/// `POST /api/v1/dashboards/d1/change_owner` with `{"ownerId", "originalOwnerRule"}`, answered
/// `status` with no body, `times` times; with or without `adminAccess=true`.
async fn mount_change_owner(server: &MockServer, admin: bool, status: u16, times: u64) {
    let mock = Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/change_owner"))
        .and(header("authorization", BEARER))
        .and(body_json(
            json!({"ownerId": "heir1", "originalOwnerRule": "view"}),
        ));
    let mock = match admin {
        true => mock.and(query_param("adminAccess", "true")),
        false => mock.and(query_param_is_missing("adminAccess")),
    };
    mock.respond_with(ResponseTemplate::new(status))
        .expect(times)
        .named(format!("change_owner, adminAccess {admin}"))
        .mount(server)
        .await;
}

/// Gives d1 (read with `owner` and `entries`) to heir1 and drops the old owner's entry `old`.
async fn hand_over(server: &MockServer, owner: &str, entries: Value) {
    mount_everyone(server).await;
    mount_read(
        server,
        json!({"sharesTo": entries, "owner": {"_id": owner}}),
        1,
    )
    .await;
    mount_patch(
        server,
        json!([
            {"shareId": "heir1", "type": "user", "subscribe": true},
            {"shareId": "grp1", "type": "group", "rule": "view", "subscribe": false}
        ]),
        1,
    )
    .await;
    let provider = provider(server);
    let snapshot = provider.read_shares(&by_id("d1")).await.unwrap();
    let heir = ShareKey::new(PrincipalKind::User, "heir1");
    let after = dashshare::model::ShareSet::new(
        snapshot
            .shares
            .iter()
            .filter(|s| s.level != Level::Owner && s.key != heir)
            .cloned()
            .chain([dashshare::model::Share {
                key: heir.clone(),
                level: Level::Owner,
            }]),
    );
    provider.write_shares(&snapshot, &after).await.unwrap();
}

/// The account's own dashboard is handed over as the caller first, as an admin after a 403; the
/// heir's earlier entry gives way to the owner's, and the old owner's entry goes.
#[tokio::test]
async fn an_owner_hands_a_dashboard_over_as_the_caller_first_and_as_an_admin_after_a_403() {
    let server = MockServer::start().await;
    mount_fixture_login(&server, 1).await;
    mount_change_owner(&server, false, 403, 1).await;
    mount_change_owner(&server, true, 200, 1).await;
    let me = "5f0000000000000000000001";
    let entries = json!([
        {"shareId": me, "type": "user", "subscribe": true},
        {"shareId": "heir1", "type": "user", "rule": "edit", "subscribe": true},
        {"shareId": "grp1", "type": "group", "rule": "view", "subscribe": false}
    ]);
    hand_over(&server, me, entries).await;
}

/// Another owner's dashboard is handed over as an admin first, as the caller after a 403.
#[tokio::test]
async fn another_owners_dashboard_is_handed_over_as_an_admin_first_and_plainly_after_a_403() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_change_owner(&server, true, 403, 1).await;
    mount_change_owner(&server, false, 200, 1).await;
    let entries = json!([
        {"shareId": "owner1", "type": "user", "subscribe": true},
        {"shareId": "grp1", "type": "group", "rule": "view", "subscribe": false}
    ]);
    hand_over(&server, "owner1", entries).await;
}

/// A refused hand-over writes no list: the dashboard stays as it was.
#[tokio::test]
async fn a_refused_hand_over_changes_nothing_else() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_change_owner(&server, true, 403, 1).await;
    mount_change_owner(&server, false, 403, 1).await;
    mount_read(
        &server,
        shares_answer(json!([{"shareId": "owner1", "type": "user"}])),
        1,
    )
    .await;
    mount_patch(&server, json!([]), 0).await;
    let provider = provider(&server);
    let snapshot = provider.read_shares(&by_id("d1")).await.unwrap();
    let after = dashshare::model::ShareSet::new([dashshare::model::Share {
        key: ShareKey::new(PrincipalKind::User, "heir1"),
        level: Level::Owner,
    }]);
    let err = provider.write_shares(&snapshot, &after).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("giving dashboard 'd1' to user 'heir1'"),
        "{err}"
    );
}
