//! Request pins: the ECI provider against wiremock and the SDK's answers.
//!
//! Pins every ECI (EnergyCAP v3) request dashshare makes, and how many. The answers are written
//! from EnergyCAP's own SDK models (EnergyCapSdk 8.2309.4878, `models/*_response_py3.py`) and the
//! fixtures in `tests/fixtures/eci/`; filters follow developer.energycap.com's Filters page (every
//! value single-quoted, numbers too) and every GET carries `Content-Type: application/json`
//! (Getting Started: "Required for all requests").

use crate::common::*;
use dashshare::error::{Error, ExitCode};
use dashshare::flow::{ShareRequest, change_shares};
use dashshare::model::{Access, Action, Change, Mode, Principal, PrincipalKind};
use dashshare::providers::{self, Dashboard, ShareProvider};
use serde_json::{Value, json};
use wiremock::matchers::{
    any, body_json, header, method, path, query_param, query_param_is_missing,
};
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
        with_data: false,
        until: None,
    }
}

/// A ShareResponse (SDK `share_response_py3.py`, `user_child_py3.py`, `user_group_child_py3.py`).
fn share_answer(users: &[(i64, &str)], groups: &[(i64, &str)], everyone: bool) -> Value {
    json!({
        "sharedUsers": users.iter().map(|(id, code)| json!({"userId": id, "userCode": code, "fullName": format!("{code} Full")})).collect::<Vec<_>>(),
        "sharedUserGroups": groups.iter().map(|(id, name)| json!({"userGroupId": id, "userGroupName": name})).collect::<Vec<_>>(),
        "sharedWithEveryone": everyone,
    })
}

/// A UserResponse row (SDK `user_response_py3.py`) with the keys dashshare reads.
fn user_row(id: i64, code: &str, email: &str) -> Value {
    json!({"userId": id, "userCode": code, "fullName": format!("{code} Full"), "email": email, "active": true})
}

/// A UserGroupResponse row (SDK `user_group_response_py3.py`).
fn group_row(id: i64, name: &str) -> Value {
    json!({"userGroupId": id, "userGroupName": name, "description": null, "memberCount": 1})
}

/// One filtered look-up: a GET with the exact filter, a page big enough for it, the key, and
/// `Content-Type: application/json`.
async fn mount_filter(server: &MockServer, resource: &str, filter: &str, body: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v3/{resource}")))
        .and(query_param("filter", filter))
        .and(query_param("pageSize", "1000"))
        .and(header("ECI-ApiKey", ECI_KEY))
        .and(header("content-type", "application/json"))
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
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .named("read share")
        .mount(server)
        .await;
}

/// The PUT, answered with the ShareResponse it produced (SDK `edit_dashboard_share` answers one).
async fn mount_put(server: &MockServer, body: Value, times: u64) {
    mount_put_answering(server, body, json!({}), times).await;
}

async fn mount_put_answering(server: &MockServer, body: Value, answer: Value, times: u64) {
    Mock::given(method("PUT"))
        .and(path("/api/v3/dashboard/7/share"))
        .and(header("ECI-ApiKey", ECI_KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(body))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
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
        json!([user_row(11, "ALICE", "alice@example.com")]),
        1,
    )
    .await;
    mount_filter(
        server,
        "userGroup",
        "userGroupName equals 'Managers'",
        json!([group_row(21, "Managers")]),
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
    assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
    assert!(err.to_string().contains("view-only"), "{err}");
}

#[tokio::test]
async fn revoking_one_user_leaves_the_rest() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'BOB'",
        json!([user_row(5, "BOB", "bob@example.com")]),
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

/// Filters page: "Every value must be single-quoted, even numbers and booleans"; a number is
/// also tried as an id (`systemUserID`, `userGroupID`), quoted like any other value.
#[tokio::test]
async fn filter_values_double_their_quotes_and_numbers_are_quoted_too() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'O''BRIEN'",
        json!([user_row(8, "O'BRIEN", "dan@example.com")]),
        1,
    )
    .await;
    mount_filter(&server, "user", "systemUserCode equals '42'", json!([]), 1).await;
    mount_filter(
        &server,
        "user",
        "systemUserID equals '42'",
        json!([user_row(42, "X", "x@example.com")]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName equals 'Sales ''A'' Team'",
        json!([group_row(9, "Sales 'A' Team")]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName equals '21'",
        json!([]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupID equals '21'",
        json!([group_row(21, "Managers")]),
        1,
    )
    .await;
    let provider = provider(&server);
    for (principal, id) in [
        (Principal::User("O'BRIEN".into()), "8"),
        (Principal::User("42".into()), "42"),
        (Principal::Group("Sales 'A' Team".into()), "9"),
        (Principal::Group("21".into()), "21"),
    ] {
        let resolved = provider
            .resolve_principal(&principal)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(resolved.key.id, id, "{principal}");
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
    assert!(matches!(err, Error::NotFound { .. }) && err.to_string().contains("ghost@example.com"));
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
        matches!(err, Error::Invalid { .. }) && err.to_string().contains("'dsh_12'"),
        "{err}"
    );
}

#[tokio::test]
async fn titles_resolve_through_every_page_of_the_listing() {
    let server = MockServer::start().await;
    for (page, body) in [
        ("1", json!([{"dashboardId": 1, "dashboardInfo": "Energy"}])),
        (
            "2",
            json!([{"dashboardId": 7, "dashboardInfo": "Water Use"}]),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path("/api/v3/dashboard"))
            .and(query_param("pageNumber", page))
            .and(query_param("pageSize", "1000"))
            .and(header("content-type", "application/json"))
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
                .set_body_json(json!([{"dashboardId": 1, "dashboardInfo": "Energy"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_dashboard("name:Nope")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { .. }) && err.to_string().contains("'Nope'"),
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
        .read_shares(&Dashboard {
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

/// The documented ShareResponse sample (fixture `share.json`) read as it comes.
#[tokio::test]
async fn the_documented_share_answer_is_read_with_its_names() {
    let server = MockServer::start().await;
    mount_read(&server, fixture_json("eci", "share.json"), 1).await;
    let snapshot = provider(&server)
        .read_shares(&Dashboard {
            id: "7".into(),
            title: None,
        })
        .await
        .unwrap();
    let shares: Vec<(String, &String)> = snapshot
        .shares
        .iter()
        .map(|s| {
            (
                format!("{}:{}", s.key.kind, s.key.id),
                &snapshot.names[&s.key],
            )
        })
        .collect();
    assert_eq!(
        shares,
        [
            ("user:5".to_string(), &"BOB".to_string()),
            ("group:3".to_string(), &"Facility Ops".to_string())
        ]
    );
}

#[tokio::test]
async fn a_number_that_is_one_users_code_and_another_users_id_is_refused() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals '1001'",
        json!([user_row(8, "1001", "n@example.com")]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "user",
        "systemUserID equals '1001'",
        json!([user_row(1001, "ZED", "zed@example.com")]),
        1,
    )
    .await;
    let err = provider(&server)
        .resolve_principal(&Principal::User("1001".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid { .. }) && err.to_string().contains("ambiguous"),
        "{err}"
    );
}

// ---- NOTES.md Corrections, EnergyCAP bullets ----

/// Corrections, "EnergyCAP user answers": users answer `userId`, `userCode`, `email` (UserResponse,
/// fixture `users.json`), groups `userGroupId`, `userGroupName` (fixture `user_groups.json`),
/// while the filters name `email`, `systemUserCode` and `userGroupName`.
#[tokio::test]
async fn users_and_groups_are_read_under_the_sdk_keys_and_found_under_the_filter_names() {
    let server = MockServer::start().await;
    // A filter answers only the rows it asks for (an answer holding others is a filter ignored).
    let users = fixture_json("eci", "users.json");
    mount_filter(
        &server,
        "user",
        "email equals 'alice@example.com'",
        json!([users[0]]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'O''BRIEN'",
        json!([users[1]]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName equals 'Managers'",
        fixture_json("eci", "user_groups.json"),
        1,
    )
    .await;
    let provider = provider(&server);
    for (principal, id) in [
        (Principal::User("alice@example.com".into()), "11"),
        (Principal::User("O'BRIEN".into()), "12"),
        (Principal::Group("Managers".into()), "21"),
    ] {
        let resolved = provider.resolve_principal(&principal).await.unwrap();
        assert_eq!(resolved.unwrap().key.id, id, "{principal}");
    }
}

/// Corrections, "EnergyCAP user answers": there are no `systemUser*` keys in an answer. Rows
/// under keys dashshare does not know are not understood (exit 1), never "not found".
#[tokio::test]
async fn user_rows_without_a_known_key_are_not_understood_rather_than_missing() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'BOB'",
        json!([{"systemUserId": 5, "systemUserCode": "BOB"}]),
        1,
    )
    .await;
    // An id but no email: what a key without Users & Roles View permission may get.
    mount_filter(
        &server,
        "user",
        "email equals 'bob@example.com'",
        json!([{"userId": 5, "userCode": "BOB"}]),
        1,
    )
    .await;
    no_put(&server).await;
    let provider = provider(&server);
    let err = provider
        .resolve_principal(&Principal::User("BOB".into()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(text.contains("/api/v3/user"), "{text}");
    assert!(text.contains("`userId`"), "{text}");
    assert!(text.contains("systemUserCode, systemUserId"), "{text}");
    let err = change_shares(
        provider.as_ref(),
        &request(
            "7",
            vec![Principal::User("bob@example.com".into())],
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(
        text.contains("`email`") && text.contains("Users & Roles"),
        "{text}"
    );
}

/// Corrections, "filter values are always single-quoted … Every request, GETs too, should carry
/// `Content-Type: application/json`": a whole grant (title listing, look-ups, read, write) and
/// `check` send it on every request.
#[tokio::test]
async fn every_request_carries_content_type_json() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/dashboard"))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("eci", "dashboards.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    alice_and_managers(&server).await;
    mount_read(&server, fixture_json("eci", "share.json"), 1).await;
    mount_put(
        &server,
        json!({"sharedUserGroupIds": [3, 21], "sharedUserIds": [5, 11], "sharedWithEveryone": false}),
        1,
    )
    .await;
    let provider = provider(&server);
    provider.check().await.unwrap();
    change_shares(
        provider.as_ref(),
        &request(
            "name:Energy Use",
            alice_and_managers_principals(),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 6);
    for request in &received {
        assert_eq!(
            request
                .headers
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            Some("application/json"),
            "{} {}",
            request.method,
            request.url
        );
    }
}

fn email(n: usize) -> String {
    format!("u{n:03}@example.com")
}

/// `email one of '…'|'…'` as the Filters page spells it, written out here on its own.
fn email_chunk(range: std::ops::Range<usize>) -> String {
    let values: Vec<String> = range.map(|n| format!("'{}'", email(n))).collect();
    format!("email one of {}", values.join("|"))
}

/// Corrections, "`one of` takes several values at once … one request can resolve many
/// principals": 100 emails go in three requests of at most 40; each value is still matched on its
/// own, so an unknown or ambiguous one fails only itself.
#[tokio::test]
async fn many_principals_are_looked_up_with_one_of_in_chunks() {
    let server = MockServer::start().await;
    // u003 is unknown; u004 is the email of two users.
    let rows = |range: std::ops::Range<usize>| -> Value {
        let range_holds_4 = range.contains(&4);
        let mut rows: Vec<Value> = range
            .filter(|n| *n != 3)
            .map(|n| user_row(1000 + n as i64, &format!("U{n}"), &email(n)))
            .collect();
        if range_holds_4 {
            rows.push(user_row(2004, "U4B", &email(4)));
        }
        Value::Array(rows)
    };
    mount_filter(&server, "user", &email_chunk(0..40), rows(0..40), 1).await;
    mount_filter(&server, "user", &email_chunk(40..80), rows(40..80), 1).await;
    mount_filter(&server, "user", &email_chunk(80..100), rows(80..100), 1).await;
    mount_filter(
        &server,
        "user",
        "systemUserCode one of 'CODE''S'|'77'",
        json!([user_row(5, "CODE'S", "c@example.com")]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "user",
        "systemUserID equals '77'",
        json!([user_row(77, "SEVENTY", "s@example.com")]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName equals 'Managers'",
        json!([group_row(21, "Managers")]),
        1,
    )
    .await;
    let mut principals: Vec<Principal> = (0..100).map(|n| Principal::User(email(n))).collect();
    principals.push(Principal::User("CODE'S".into()));
    principals.push(Principal::User("77".into()));
    principals.push(Principal::Group("Managers".into()));
    principals.push(Principal::Everyone);
    let answers = provider(&server).resolve_principals(&principals, 4).await;
    assert_eq!(answers.len(), principals.len());
    for (n, answer) in answers.iter().enumerate().take(100) {
        match n {
            3 => assert!(matches!(answer, Ok(None)), "{answer:?}"),
            4 => {
                let err = answer.as_ref().unwrap_err();
                assert!(err.to_string().contains("ids 1004, 2004"), "{err}");
            }
            n => assert_eq!(
                answer.as_ref().unwrap().as_ref().unwrap().key.id,
                (1000 + n).to_string()
            ),
        }
    }
    let ids: Vec<String> = answers[100..]
        .iter()
        .map(|a| a.as_ref().unwrap().as_ref().unwrap().key.id.clone())
        .collect();
    assert_eq!(ids, ["5", "77", "21", "everyone"]);
}

/// Corrections: a failed look-up fails only the principals it carried; the vendor's message (in
/// the assumed error body's shape, fixture `error.json`) is shown, the key never. (A refused
/// filter, 400 or 422, is no failure of its principals: the listing answers them, below.)
#[tokio::test]
async fn a_failed_look_up_fails_only_its_own_principals_and_shows_the_message() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "email equals 'a@example.com'",
        json!([user_row(1, "A", "a@example.com")]),
        1,
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/user"))
        .and(query_param("filter", "systemUserCode equals 'B'"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"message": "The user 'B' could not be read."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let answers = provider(&server)
        .resolve_principals(
            &[
                Principal::User("a@example.com".into()),
                Principal::User("B".into()),
            ],
            2,
        )
        .await;
    assert_eq!(answers[0].as_ref().unwrap().as_ref().unwrap().key.id, "1");
    let err = answers[1].as_ref().unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::Remote { .. }), "{err:?}");
    assert!(
        text.contains("500") && text.contains("could not be read") && text.contains("'B'"),
        "{text}"
    );
    assert!(!text.contains(ECI_KEY));
}

/// The docs do not say whether `|` inside a quoted value splits it: such a value is sent alone.
#[tokio::test]
async fn a_value_with_a_pipe_is_looked_up_on_its_own() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName equals 'Ops|Night'",
        json!([group_row(4, "Ops|Night")]),
        1,
    )
    .await;
    mount_filter(
        &server,
        "userGroup",
        "userGroupName one of 'Day'|'Managers'",
        json!([group_row(5, "Day"), group_row(21, "Managers")]),
        1,
    )
    .await;
    let answers = provider(&server)
        .resolve_principals(
            &[
                Principal::Group("Day".into()),
                Principal::Group("Ops|Night".into()),
                Principal::Group("Managers".into()),
            ],
            2,
        )
        .await;
    let ids: Vec<String> = answers
        .into_iter()
        .map(|a| a.unwrap().unwrap().key.id)
        .collect();
    assert_eq!(ids, ["5", "4", "21"]);
}

/// Corrections, "EnergyCAP dashboard listing": the title is `dashboardInfo` (fixture
/// `dashboards.json`, DashboardResponse), not `description` — dashboard 8's description is
/// "Energy Use", and only 7 is titled so.
#[tokio::test]
async fn dashboard_titles_are_dashboard_info() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/dashboard"))
        .and(query_param("pageSize", "1000"))
        .and(query_param("pageNumber", "1"))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(fixture_json("eci", "dashboards.json")),
        )
        .expect(1)
        .mount(&server)
        .await;
    let provider = provider(&server);
    let dashboard = provider.resolve_dashboard("name:Energy Use").await.unwrap();
    assert_eq!(dashboard.id, "7");
    let found = provider.dashboards(Some("water"), false).await.unwrap();
    let found: Vec<(&str, &str)> = found
        .iter()
        .map(|d| (d.id.as_str(), d.title.as_str()))
        .collect();
    assert_eq!(found, [("8", "Water + Gas")]);
}

/// Corrections, "EnergyCAP dashboard listing": a listing without `dashboardInfo` cannot be
/// matched on titles; that is not understood (exit 1), not "no dashboard is titled".
#[tokio::test]
async fn a_listing_without_titles_or_ids_is_not_understood() {
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
    let eci = provider(&server);
    // A plain listing too: every vendor's listing rows need an id and a title dashshare knows.
    for err in [
        eci.resolve_dashboard("name:Energy").await.unwrap_err(),
        eci.dashboards(Some("Energy"), false).await.unwrap_err(),
        eci.dashboards(None, false).await.unwrap_err(),
    ] {
        let text = err.to_string();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
        assert!(
            text.contains("/api/v3/dashboard")
                && text.contains("`dashboardInfo`")
                && text.contains("dashboardDescription, dashboardId"),
            "{text}"
        );
    }

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/dashboard"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"id": 1, "dashboardInfo": "Energy"}])),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_dashboard("name:Energy")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotUnderstood { .. }) && err.to_string().contains("`dashboardId`"),
        "{err}"
    );
}

/// The documented ShareResponse answers the PUT too (SDK `edit_dashboard_share`); the revoke
/// goes through with it.
#[tokio::test]
async fn the_put_is_answered_with_the_documented_share_answer() {
    let server = MockServer::start().await;
    mount_filter(
        &server,
        "user",
        "systemUserCode equals 'EVE'",
        json!([user_row(6, "EVE", "eve@example.com")]),
        1,
    )
    .await;
    mount_read(
        &server,
        share_answer(&[(5, "BOB"), (6, "EVE")], &[(3, "Facility Ops")], false),
        1,
    )
    .await;
    mount_put_answering(
        &server,
        json!({"sharedUserGroupIds": [3], "sharedUserIds": [5], "sharedWithEveryone": false}),
        fixture_json("eci", "share.json"),
        1,
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request("7", vec![Principal::User("EVE".into())], Change::Revoke),
    )
    .await
    .unwrap();
    assert!(report.written);
    assert_eq!(report.results[0].action, Action::Removed);
}

/// A share answer that lacks one of its lists cannot be merged into: taking it as empty would
/// erase shares on the PUT. Nothing is written.
#[tokio::test]
async fn a_share_answer_missing_a_list_writes_nothing() {
    let server = MockServer::start().await;
    alice_and_managers(&server).await;
    mount_read(
        &server,
        json!({"sharedUserGroups": [], "sharedWithEveryone": false}),
        1,
    )
    .await;
    no_put(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(
            "7",
            alice_and_managers_principals(),
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::NotUnderstood { .. }) && err.to_string().contains("`sharedUsers`"),
        "{err}"
    );
}

// ---- NOTES.md Corrections (2026-12-07), "EnergyCAP filter fields are undocumented" ----
//
// "The only GetUsersV3 filter in the public reference is `canManageFlags`; `email`,
// `systemUserCode`, `systemUserID`, `userGroupName`, `userGroupID` are the team's reading … A
// server may refuse them (400) or ignore them (answer unfiltered). Either way the listing, paged
// with `pageSize` (≤ 1000) / `pageNumber` and the `TotalPages` header, still resolves people:
// match every row exactly, never take the first row of an answer on trust."

/// Any request to `/api/v3/{resource}` that carries a `filter`.
fn filtered(resource: &'static str) -> impl Fn(&wiremock::Request) -> bool {
    move |request: &wiremock::Request| {
        request.url.path() == format!("/api/v3/{resource}")
            && request.url.query_pairs().any(|(key, _)| key == "filter")
    }
}

/// A server that refuses every filter on `resource` with `status` and the assumed error body
/// (fixture `error.json`, a refused filter's message), `times` times.
async fn refuse_filters(server: &MockServer, resource: &'static str, status: u16, times: u64) {
    Mock::given(method("GET"))
        .and(filtered(resource))
        .respond_with(ResponseTemplate::new(status).set_body_string(fixture("eci", "error.json")))
        .expect(times)
        .named(format!("{resource} filter refused"))
        .mount(server)
        .await;
}

/// A server that ignores every filter on `resource`: it answers `rows`, unfiltered.
async fn ignore_filters(server: &MockServer, resource: &'static str, rows: Value, times: u64) {
    Mock::given(method("GET"))
        .and(filtered(resource))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("TotalPages", "1")
                .set_body_json(rows),
        )
        .expect(times)
        .named(format!("{resource} filter ignored"))
        .mount(server)
        .await;
}

/// Page `number` of `pages` of the unfiltered listing of `resource`: `pageSize=1000`,
/// `pageNumber`, no `filter`, the key and `Content-Type: application/json`.
async fn mount_listing(
    server: &MockServer,
    resource: &str,
    (number, pages): (u32, u32),
    rows: Value,
    times: u64,
) {
    Mock::given(method("GET"))
        .and(path(format!("/api/v3/{resource}")))
        .and(query_param("pageSize", "1000"))
        .and(query_param("pageNumber", number.to_string()))
        .and(query_param_is_missing("filter"))
        .and(header("ECI-ApiKey", ECI_KEY))
        .and(header("content-type", "application/json"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("TotalPages", pages.to_string())
                .set_body_json(rows),
        )
        .expect(times)
        .named(format!("{resource} listing page {number}"))
        .mount(server)
        .await;
}

fn listed_users() -> Value {
    json!([
        user_row(5, "BOB", "bob@example.com"),
        user_row(11, "ALICE", "alice@example.com"),
        user_row(12, "O'BRIEN", "dan.o'brien@example.com"),
    ])
}

fn listed_groups() -> Value {
    json!([group_row(3, "Facility Ops"), group_row(21, "Managers")])
}

/// The ids `resolve_principals` answered, in order; `None` for nobody.
async fn resolved_ids(
    provider: &dyn ShareProvider,
    principals: &[Principal],
) -> Vec<Option<String>> {
    provider
        .resolve_principals(principals, 4)
        .await
        .into_iter()
        .zip(principals)
        .map(|(answer, principal)| {
            answer
                .unwrap_or_else(|err| panic!("{principal}: {err}"))
                .map(|resolved| resolved.key.id)
        })
        .collect()
}

fn ids(ids: &[&str]) -> Vec<Option<String>> {
    ids.iter().map(|id| Some(id.to_string())).collect()
}

/// The requests `server` received on `/api/v3/{resource}`.
async fn requests_to(server: &MockServer, resource: &str) -> Vec<wiremock::Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|request| request.url.path() == format!("/api/v3/{resource}"))
        .collect()
}

/// A refused filter (400, or 422) sends the endpoint to its listing once: one request of exactly
/// `pageSize=1000&pageNumber=1`, matched for every later look-up there in the run, by email,
/// user code and id alike, with no filter sent there again. Groups fall back on their own.
#[tokio::test]
async fn a_refused_filter_falls_back_once_to_the_listing_which_serves_the_rest_of_the_run() {
    for status in [400, 422] {
        let server = MockServer::start().await;
        refuse_filters(&server, "user", status, 1).await;
        refuse_filters(&server, "userGroup", status, 1).await;
        mount_listing(&server, "user", (1, 1), listed_users(), 1).await;
        mount_listing(&server, "userGroup", (1, 1), listed_groups(), 1).await;
        let provider = provider(&server);
        let alice = [Principal::User("alice@example.com".into())];
        assert_eq!(resolved_ids(provider.as_ref(), &alice).await, ids(&["11"]));
        let later = [
            Principal::User("BOB".into()),
            Principal::User("12".into()),
            Principal::User("Bob@Example.com".into()),
            Principal::Group("Managers".into()),
            Principal::Group("3".into()),
        ];
        assert_eq!(
            resolved_ids(provider.as_ref(), &later).await,
            ids(&["5", "12", "5", "21", "3"]),
            "{status}"
        );
        let again = [Principal::Group("Facility Ops".into())];
        assert_eq!(resolved_ids(provider.as_ref(), &again).await, ids(&["3"]));

        let users = requests_to(&server, "user").await;
        assert_eq!(
            users.len(),
            2,
            "{status}: one refused filter, one listing page"
        );
        assert_eq!(users[1].url.query(), Some("pageSize=1000&pageNumber=1"));
        assert_eq!(requests_to(&server, "userGroup").await.len(), 2);
    }
}

/// A filter answered with rows it excludes was ignored: the answer is not trusted (its first row
/// is not alice), and the listing is matched instead, once for the run.
#[tokio::test]
async fn an_ignored_filter_falls_back_to_the_listing() {
    let server = MockServer::start().await;
    // The SDK's own UserResponse rows (fixture `users.json`: alice and O'BRIEN), unfiltered.
    let unfiltered = fixture_json("eci", "users.json");
    let mut reordered = unfiltered.as_array().unwrap().clone();
    reordered.reverse();
    ignore_filters(&server, "user", Value::Array(reordered), 1).await;
    mount_listing(&server, "user", (1, 1), unfiltered, 1).await;
    let provider = provider(&server);
    let principals = [
        Principal::User("alice@example.com".into()),
        Principal::User("O'BRIEN".into()),
    ];
    assert_eq!(
        resolved_ids(provider.as_ref(), &principals).await,
        ids(&["11", "12"])
    );
    let again = [Principal::User("dan.o'brien@example.com".into())];
    assert_eq!(resolved_ids(provider.as_ref(), &again).await, ids(&["12"]));
    assert_eq!(requests_to(&server, "user").await.len(), 2);
}

/// A listing of two pages (`TotalPages: 2`) is read to its end, each page once.
#[tokio::test]
async fn a_listing_over_two_pages_is_read_fully() {
    let server = MockServer::start().await;
    refuse_filters(&server, "user", 400, 1).await;
    let first: Vec<Value> = (0..1000)
        .map(|n| user_row(1000 + n, &format!("U{n}"), &email(n as usize)))
        .collect();
    mount_listing(&server, "user", (1, 2), Value::Array(first), 1).await;
    let second = json!([user_row(5, "BOB", "bob@example.com")]);
    mount_listing(&server, "user", (2, 2), second, 1).await;
    let principals = [
        Principal::User("bob@example.com".into()),
        Principal::User(email(999)),
        Principal::User("U0".into()),
    ];
    assert_eq!(
        resolved_ids(provider(&server).as_ref(), &principals).await,
        ids(&["5", "1999", "1000"])
    );
}

/// The target of issue 22, item 5: 200 users on a server that refuses the identity filters, or
/// ignores them, take at most 4 user requests: the first chunk alone as a probe, then the
/// listing (here one page); the other four chunks of 40 are never sent.
#[tokio::test]
async fn two_hundred_users_take_at_most_four_user_requests_where_filters_are_refused_or_ignored() {
    let listing: Vec<Value> = (0..250)
        .map(|n| user_row(1000 + n, &format!("U{n}"), &email(n as usize)))
        .collect();
    for refusing in [true, false] {
        let server = MockServer::start().await;
        if refusing {
            refuse_filters(&server, "user", 400, 1).await;
        } else {
            ignore_filters(&server, "user", Value::Array(listing.clone()), 1).await;
        }
        mount_listing(&server, "user", (1, 1), Value::Array(listing.clone()), 1).await;
        let principals: Vec<Principal> = (0..200).map(|n| Principal::User(email(n))).collect();
        let expected: Vec<Option<String>> =
            (0..200).map(|n| Some((1000 + n).to_string())).collect();
        assert_eq!(
            resolved_ids(provider(&server).as_ref(), &principals).await,
            expected
        );
        let sent = requests_to(&server, "user").await.len();
        assert!(sent <= 4, "refusing {refusing}: {sent} user requests");
        assert_eq!(
            sent, 2,
            "refusing {refusing}: the probe and one listing page"
        );
    }
}

/// After the fallback, a name no row matches is nobody (`Ok(None)`), and a grant naming it fails
/// as bad input, named, before any share is read or written.
#[tokio::test]
async fn an_unknown_user_after_the_fallback_is_nobody_and_nothing_is_written() {
    let server = MockServer::start().await;
    refuse_filters(&server, "user", 400, 1).await;
    mount_listing(&server, "user", (1, 1), listed_users(), 1).await;
    mount_read(&server, share_answer(&[], &[], false), 0).await;
    no_put(&server).await;
    let provider = provider(&server);
    let ghost = Principal::User("ghost@example.com".into());
    assert!(matches!(provider.resolve_principal(&ghost).await, Ok(None)));
    let err = change_shares(
        provider.as_ref(),
        &request(
            "7",
            vec![Principal::User("alice@example.com".into()), ghost],
            Change::Grant(Access::View),
        ),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("ghost@example.com"), "{err}");
    assert_eq!(err.exit_code(), ExitCode::BadInput);
}

/// Two listed users with one email: choosing one would be a guess (exit 2, both ids named). A
/// listed row without the compared key may be the one sought: an email no other row matches is
/// then not understood (exit 1), never "nobody".
#[tokio::test]
async fn two_listed_rows_with_one_email_are_ambiguous_and_a_row_without_one_is_not_understood() {
    let server = MockServer::start().await;
    refuse_filters(&server, "user", 400, 1).await;
    let rows = json!([
        user_row(5, "BOB", "bob@example.com"),
        user_row(6, "BOB2", "bob@example.com"),
        {"userId": 9, "userCode": "NOMAIL"},
        user_row(11, "ALICE", "alice@example.com"),
    ]);
    mount_listing(&server, "user", (1, 1), rows, 1).await;
    let provider = provider(&server);
    let answers = provider
        .resolve_principals(
            &[
                Principal::User("bob@example.com".into()),
                Principal::User("alice@example.com".into()),
                Principal::User("ghost@example.com".into()),
                Principal::User("NOMAIL".into()),
            ],
            4,
        )
        .await;
    let ambiguous = answers[0].as_ref().unwrap_err();
    assert!(matches!(ambiguous, Error::Invalid { .. }), "{ambiguous:?}");
    assert!(
        ambiguous.to_string().contains("ids 5, 6")
            && ambiguous.to_string().contains("bob@example.com"),
        "{ambiguous}"
    );
    assert_eq!(ambiguous.exit_code(), ExitCode::BadInput);
    assert_eq!(answers[1].as_ref().unwrap().as_ref().unwrap().key.id, "11");
    let misread = answers[2].as_ref().unwrap_err();
    assert!(
        matches!(misread, Error::NotUnderstood { .. }),
        "{misread:?}"
    );
    assert!(misread.to_string().contains("`email`"), "{misread}");
    // By user code, every row is understood.
    assert_eq!(answers[3].as_ref().unwrap().as_ref().unwrap().key.id, "9");
}

/// A UserResponse with `"active": false` (EnergyCapSdk `user_response.py` carries `active`) is
/// refused at look-up as on Sisense: exit 2, named, nothing read or written.
#[tokio::test]
async fn an_inactive_user_is_refused_at_look_up() {
    let server = MockServer::start().await;
    let mut dave = user_row(14, "DAVE", "dave@example.com");
    dave["active"] = json!(false);
    mount_filter(
        &server,
        "user",
        "email equals 'dave@example.com'",
        json!([dave]),
        1,
    )
    .await;
    no_put(&server).await;
    let err = provider(&server)
        .resolve_principal(&Principal::User("dave@example.com".into()))
        .await
        .unwrap_err();
    assert_eq!(err.exit_code(), dashshare::error::ExitCode::BadInput);
    assert!(
        err.to_string().contains("dave@example.com is inactive"),
        "{err}"
    );
}

/// `users` and `groups` read every page of the unfiltered listing (SDK `get_users`,
/// `get_user_groups`; EnergyCAP documents no text filter) and search it here: a user by email,
/// with `fullName` beside it.
#[tokio::test]
async fn users_and_groups_read_the_listing_and_search_it_here() {
    let server = MockServer::start().await;
    mount_listing(&server, "user", (1, 1), listed_users(), 1).await;
    mount_listing(&server, "userGroup", (1, 1), listed_groups(), 1).await;
    let provider = provider(&server);
    let users = provider
        .principals(PrincipalKind::User, Some("brien"))
        .await
        .unwrap();
    let users: Vec<(&str, &str)> = users
        .iter()
        .map(|n| (n.name.as_str(), n.id.as_str()))
        .collect();
    assert_eq!(users, [("dan.o'brien@example.com", "12")]);
    let groups = provider
        .principals(PrincipalKind::Group, None)
        .await
        .unwrap();
    let groups: Vec<(&str, &str)> = groups
        .iter()
        .map(|n| (n.name.as_str(), n.id.as_str()))
        .collect();
    assert_eq!(groups, [("Facility Ops", "3"), ("Managers", "21")]);
}
