//! Pins every ECI (EnergyCAP v3) request dashshare makes, and how many.

mod common;

use common::*;
use dashshare::error::Error;
use dashshare::flow::{ShareRequest, change_shares};
use dashshare::model::{Access, Action, Change, Mode, Principal};
use dashshare::providers::{self, ShareProvider};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn provider(server: &MockServer) -> Box<dyn ShareProvider> {
    providers::connect(&eci_profile(server), &fast_options()).unwrap()
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
    }
}

fn share_answer(users: &[(i64, &str)], groups: &[(i64, &str)], everyone: bool) -> Value {
    json!({
        "sharedUsers": users.iter().map(|(id, code)| json!({"userId": id, "userCode": code, "fullName": format!("{code} Full")})).collect::<Vec<_>>(),
        "sharedUserGroups": groups.iter().map(|(id, name)| json!({"userGroupId": id, "userGroupName": name})).collect::<Vec<_>>(),
        "sharedWithEveryone": everyone,
    })
}

async fn mount_filter(server: &MockServer, resource: &str, filter: &str, body: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v3/{resource}")))
        .and(query_param("filter", filter))
        .and(header("ECI-ApiKey", ECI_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .named(format!("{resource} {filter}"))
        .mount(server)
        .await;
}

async fn mount_read(server: &MockServer, body: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path("/api/v3/dashboard/7/share"))
        .and(header("ECI-ApiKey", ECI_KEY))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .named("read share")
        .mount(server)
        .await;
}

async fn mount_put(server: &MockServer, body: Value, times: u64) {
    Mock::given(method("PUT"))
        .and(path("/api/v3/dashboard/7/share"))
        .and(header("ECI-ApiKey", ECI_KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(times)
        .named("put share")
        .mount(server)
        .await;
}

async fn no_put(server: &MockServer) {
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .named("no PUT")
        .mount(server)
        .await;
}

async fn alice_and_managers(server: &MockServer) {
    mount_filter(
        server,
        "user",
        "email equals 'alice@example.com'",
        json!([{"systemUserId": 11, "systemUserCode": "ALICE", "email": "alice@example.com"}]),
        1,
    )
    .await;
    mount_filter(
        server,
        "userGroup",
        "userGroupName equals 'Managers'",
        json!([{"userGroupId": 21, "userGroupName": "Managers"}]),
        1,
    )
    .await;
}

fn alice_and_managers_principals() -> Vec<Principal> {
    vec![
        Principal::User("alice@example.com".into()),
        Principal::Group("Managers".into()),
    ]
}

#[tokio::test]
async fn a_grant_keeps_the_existing_user_and_group_in_one_put() {
    let server = MockServer::start().await;
    alice_and_managers(&server).await;
    mount_read(
        &server,
        share_answer(&[(5, "BOB")], &[(3, "Ops")], false),
        1,
    )
    .await;
    mount_put(
        &server,
        json!({"sharedUserGroupIds": [3, 21], "sharedUserIds": [5, 11], "sharedWithEveryone": false}),
        1,
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            alice_and_managers_principals(),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert!(report.written && !report.published);
    assert!(report.results.iter().all(|r| r.action == Action::Added));
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn granting_again_writes_nothing() {
    let server = MockServer::start().await;
    alice_and_managers(&server).await;
    mount_read(
        &server,
        share_answer(&[(11, "ALICE")], &[(21, "Managers")], false),
        1,
    )
    .await;
    no_put(&server).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            alice_and_managers_principals(),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert!(report.results.iter().all(|r| r.action == Action::Unchanged));
    assert!(!report.written);
}

#[tokio::test]
async fn edit_access_is_refused_before_any_request() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            alice_and_managers_principals(),
            Change::Grant(Access::Edit),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("view-only"), "{err}");
}

#[tokio::test]
async fn revoking_one_user_leaves_the_rest() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'BOB'",
        json!([{"systemUserId": 5, "systemUserCode": "BOB"}]),
        1,
    )
    .await;
    mount_read(
        &server,
        share_answer(&[(5, "BOB"), (6, "EVE")], &[(3, "Ops")], false),
        1,
    )
    .await;
    mount_put(
        &server,
        json!({"sharedUserGroupIds": [3], "sharedUserIds": [6], "sharedWithEveryone": false}),
        1,
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("7", vec![Principal::User("BOB".into())], Change::Revoke),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Removed);
}

#[tokio::test]
async fn granting_everyone_empties_both_lists_and_says_so() {
    let server = MockServer::start().await;
    mount_read(
        &server,
        share_answer(&[(5, "BOB")], &[(3, "Ops")], false),
        1,
    )
    .await;
    mount_put(
        &server,
        json!({"sharedUserGroupIds": [], "sharedUserIds": [], "sharedWithEveryone": true}),
        1,
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("7", vec![Principal::Everyone], Change::Grant(Access::View)),
    )
    .await
    .unwrap();
    let actions: Vec<(&str, Action)> = report
        .results
        .iter()
        .map(|r| (r.principal.as_str(), r.action))
        .collect();
    assert_eq!(
        actions,
        [
            ("everyone", Action::Added),
            ("BOB", Action::Removed),
            ("Ops", Action::Removed)
        ]
    );
    assert!(report.results[1].note.unwrap().contains("will not bring"));
}

#[tokio::test]
async fn a_user_is_unchanged_while_the_dashboard_is_shared_with_everyone() {
    let server = MockServer::start().await;
    alice_and_managers(&server).await;
    mount_read(&server, share_answer(&[], &[], true), 1).await;
    no_put(&server).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            alice_and_managers_principals(),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    assert!(report.results.iter().all(|r| r.action == Action::Unchanged));
    assert!(!report.written);
}

#[tokio::test]
async fn revoking_everyone_clears_the_flag() {
    let server = MockServer::start().await;
    mount_read(&server, share_answer(&[], &[], true), 1).await;
    mount_put(
        &server,
        json!({"sharedUserGroupIds": [], "sharedUserIds": [], "sharedWithEveryone": false}),
        1,
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("7", vec![Principal::Everyone], Change::Revoke),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Removed);
}

#[tokio::test]
async fn everyone_and_named_principals_in_one_grant_are_refused() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            vec![Principal::Everyone, Principal::User("BOB".into())],
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("never both"), "{err}");
}

#[tokio::test]
async fn filter_values_double_their_quotes_and_numbers_are_ids() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'O''BRIEN'",
        json!([{"systemUserId": 8, "systemUserCode": "O'BRIEN"}]),
        1,
    )
    .await;
    mount_filter(&server, "user", "systemUserCode equals '42'", json!([]), 1).await;
    mount_filter(
        &server,
        "user",
        "systemUserID equals 42",
        json!([{"systemUserID": 42, "systemUserCode": "X"}]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName equals 'Sales ''A'' Team'",
        json!([{"userGroupId": 9, "userGroupName": "Sales 'A' Team"}]),
        1,
    )
    .await;
    let provider = provider(&server);
    for (principal, id) in [
        (Principal::User("O'BRIEN".into()), "8"),
        (Principal::User("42".into()), "42"),
        (Principal::Group("Sales 'A' Team".into()), "9"),
    ] {
        let resolved = provider
            .resolve_principal(&principal)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(resolved.key.id, id);
    }
}

#[tokio::test]
async fn an_unknown_user_is_named_and_nothing_is_read_or_written() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "email equals 'ghost@example.com'",
        json!([]),
        1,
    )
    .await;
    mount_read(&server, share_answer(&[], &[], false), 0).await;
    no_put(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            vec![Principal::User("ghost@example.com".into())],
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Invalid(_)) && err.to_string().contains("ghost@example.com"));
}

#[tokio::test]
async fn a_dashboard_id_must_be_a_number() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_dashboard("dsh_12")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)) && err.to_string().contains("'dsh_12'"),
        "{err}"
    );
}

#[tokio::test]
async fn titles_resolve_through_every_page_of_the_listing() {
    let server = MockServer::start().await;
    for (page, body) in [
        (
            "1",
            json!([{"dashboardId": 1, "dashboardDescription": "Energy"}]),
        ),
        (
            "2",
            json!([{"dashboardId": 7, "dashboardDescription": "Water Use"}]),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/v3/dashboard"))
            .and(query_param("pageNumber", page))
            .and(query_param("pageSize", "1000"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("TotalPages", "2")
                    .set_body_json(body),
            )
            .expect(1)
            .mount(&server)
            .await;
    }
    let dashboard = provider(&server)
        .resolve_dashboard("name:Water Use")
        .await
        .unwrap();
    assert_eq!(dashboard.id, "7");
}

#[tokio::test]
async fn an_unknown_title_is_bad_input() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/dashboard"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"dashboardId": 1, "dashboardDescription": "Energy"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_dashboard("name:Nope")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)) && err.to_string().contains("'Nope'"),
        "{err}"
    );
}

#[tokio::test]
async fn a_401_names_both_a_bad_key_and_a_missing_permission() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthorized"})))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .read_shares(&dashshare::providers::Dashboard {
            id: "7".into(),
            title: None,
        })
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(
        text.contains("API key is wrong") && text.contains("permission"),
        "{text}"
    );
    assert!(!text.contains(ECI_KEY));
}

#[tokio::test]
async fn shares_are_read_with_their_names() {
    let server = MockServer::start().await;
    mount_read(
        &server,
        share_answer(&[(5, "BOB")], &[(3, "Ops")], false),
        1,
    )
    .await;
    let snapshot = provider(&server)
        .read_shares(&dashshare::providers::Dashboard {
            id: "7".into(),
            title: None,
        })
        .await
        .unwrap();
    let names: Vec<&String> = snapshot
        .shares
        .iter()
        .map(|s| &snapshot.names[&s.key])
        .collect();
    assert_eq!(names, ["BOB", "Ops"]);
}

#[tokio::test]
async fn a_number_that_is_one_users_code_and_another_users_id_is_refused() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals '1001'",
        json!([{"systemUserId": 8, "systemUserCode": "1001"}]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "user",
        "systemUserID equals 1001",
        json!([{"systemUserId": 1001, "systemUserCode": "ZED"}]),
        1,
    )
    .await;
    let err = provider(&server)
        .resolve_principal(&Principal::User("1001".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)) && err.to_string().contains("ambiguous"),
        "{err}"
    );
}
