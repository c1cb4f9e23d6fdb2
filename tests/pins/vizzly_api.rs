//! Request pins: the Vizzly provider against wiremock and the documented answers.
//!
//! Pins every Vizzly request dashshare makes, and how many. The request follows vizzly.txt
//! (docs.vizzly.co/sharing) with the keys of Vizzly's own `RawDashboardPermission` type
//! (`@vizzly/dashboard` 0.4.16); the answers in tests/fixtures/vizzly name their sources.

use crate::common::*;
use dashshare::error::Error;
use dashshare::flow::{ShareRequest, change_shares};
use dashshare::model::{Access, Action, Change, Mode, Principal};
use dashshare::providers::{self, ShareProvider};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AUTH: &str = "Api-Key vizzly_project_api_key_SECRET:::rest";
const ENDPOINT: &str = "/api/v3/project/end-user/permissions";

fn provider(server: &MockServer) -> Box<dyn ShareProvider> {
    providers::connect(&vizzly_profile(server), &fast_options()).unwrap()
}

fn request(
    principals: Vec<Principal>,
    change: Change,
    revoke_scope: Option<Access>,
) -> ShareRequest {
    ShareRequest {
        dashboard: "dsh_0f3a".into(),
        principals,
        change,
        mode: Mode::Merge,
        revoke_scope,
        publish: true,
        dry_run: false,
        with_data: false,
        until: None,
    }
}

fn users(refs: &[&str]) -> Vec<Principal> {
    refs.iter()
        .map(|r| Principal::User(r.to_string()))
        .collect()
}

fn permission(user: &str, scope: &str) -> Value {
    json!({"dashboard_id": "dsh_0f3a", "scope": scope, "user_reference": user})
}

async fn expect_call(server: &MockServer, verb: &str, permissions: Vec<Value>) {
    Mock::given(method(verb))
        .and(path(ENDPOINT))
        .and(header("auth", AUTH))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({ "permissions": permissions })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .named(verb)
        .mount(server)
        .await;
}

async fn no_request(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_grant_is_one_put_for_every_user_with_edit_as_read_write() {
    let server = MockServer::start().await;
    expect_call(
        &server,
        "PUT",
        vec![
            permission("customer-42", "read_write"),
            permission("customer-7", "read_write"),
        ],
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(
            users(&["customer-42", "customer-7"]),
            Change::Grant(Access::Edit),
            None,
        ),
    )
    .await
    .unwrap();
    assert!(report.written);
    assert!(
        report
            .results
            .iter()
            .all(|r| r.action == Action::Added && r.note.is_some())
    );
}

#[tokio::test]
async fn view_is_read() {
    let server = MockServer::start().await;
    expect_call(&server, "PUT", vec![permission("customer-42", "read")]).await;
    change_shares(
        provider(&server).as_ref(),
        &request(users(&["customer-42"]), Change::Grant(Access::View), None),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_revoke_is_one_delete_at_every_scope() {
    let server = MockServer::start().await;
    expect_call(
        &server,
        "DELETE",
        vec![
            permission("customer-42", "read"),
            permission("customer-42", "read_write"),
        ],
    )
    .await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(users(&["customer-42"]), Change::Revoke, None),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Removed);
}

#[tokio::test]
async fn revoke_access_narrows_the_scope() {
    let server = MockServer::start().await;
    expect_call(
        &server,
        "DELETE",
        vec![permission("customer-42", "read_write")],
    )
    .await;
    change_shares(
        provider(&server).as_ref(),
        &request(users(&["customer-42"]), Change::Revoke, Some(Access::Edit)),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn groups_and_everyone_are_refused_before_any_request() {
    let server = MockServer::start().await;
    no_request(&server).await;
    for principal in [Principal::Group("Sales".into()), Principal::Everyone] {
        let err = change_shares(
            provider(&server).as_ref(),
            &request(vec![principal], Change::Grant(Access::View), None),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
    }
}

#[tokio::test]
async fn dry_run_sends_nothing() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let mut dry = request(users(&["customer-42"]), Change::Grant(Access::View), None);
    dry.dry_run = true;
    let report = change_shares(provider(&server).as_ref(), &dry)
        .await
        .unwrap();
    assert!(!report.written);
    assert_eq!(report.results[0].action, Action::Added);
}

#[tokio::test]
async fn titles_and_replace_are_refused() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let provider = provider(&server);
    let err = provider.resolve_dashboard("name:Sales").await.unwrap_err();
    assert!(err.to_string().contains("dsh_"), "{err}");
    let mut replace = request(users(&["customer-42"]), Change::Grant(Access::View), None);
    replace.mode = Mode::Replace;
    let err = change_shares(provider.as_ref(), &replace)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
}

#[tokio::test]
async fn a_bad_key_is_an_auth_error_without_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "invalid api key"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(users(&["customer-42"]), Change::Grant(Access::View), None),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("SECRET"));
}

// ---- the documented request, and the answers, through the provider ----

const DOC_DASHBOARD: &str = "dsh_42496c1c55e24bd985dc71bdc4a85f9d";
const DOC_USER: &str = "user 123456";

fn documented(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture("vizzly", name), "application/json")
}

fn documented_request(change: Change, revoke_scope: Option<Access>) -> ShareRequest {
    ShareRequest {
        dashboard: DOC_DASHBOARD.into(),
        ..request(users(&[DOC_USER]), change, revoke_scope)
    }
}

/// The body of fixtures/vizzly/permissions_request.json, exactly, on `verb`.
async fn expect_documented_body(server: &MockServer, verb: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(ENDPOINT))
        .and(header("auth", AUTH))
        .and(header("content-type", "application/json"))
        .and(body_json(fixture_json(
            "vizzly",
            "permissions_request.json",
        )))
        .respond_with(answer)
        .expect(1)
        .named(verb)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_grant_at_edit_sends_the_documented_body_and_reads_no_answer() {
    let server = MockServer::start().await;
    expect_documented_body(&server, "PUT", documented(200, "permissions_answer.json")).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &documented_request(Change::Grant(Access::Edit), None),
    )
    .await
    .unwrap();
    assert!(report.written);
    assert_eq!(report.results[0].action, Action::Added);
}

#[tokio::test]
async fn a_revoke_at_edit_sends_the_documented_body_as_a_delete() {
    let server = MockServer::start().await;
    // Nothing documents the answer: an empty one must do.
    expect_documented_body(&server, "DELETE", ResponseTemplate::new(204)).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &documented_request(Change::Revoke, Some(Access::Edit)),
    )
    .await
    .unwrap();
    assert_eq!(report.results[0].action, Action::Removed);
}

#[tokio::test]
async fn an_error_answer_shows_its_reason() {
    let server = MockServer::start().await;
    // A 500 is an answer, not a busy server: it is not sent again.
    Mock::given(method("PUT"))
        .and(path(ENDPOINT))
        .and(body_json(fixture_json(
            "vizzly",
            "permissions_request.json",
        )))
        .respond_with(documented(500, "error_reason.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = change_shares(
        provider(&server).as_ref(),
        &documented_request(Change::Grant(Access::Edit), None),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Remote { .. }), "{err:?}");
    assert!(err.to_string().contains("Aborted"), "{err}");
}

/// `*` is every end user in Vizzly's permission model (RawDashboardPermission.user_reference):
/// it is `--everyone`, which Vizzly does not offer in dashshare, so it is never sent.
#[tokio::test]
async fn the_every_user_reference_is_refused_before_any_request() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(users(&["*"]), Change::Grant(Access::View), None),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
    assert!(err.to_string().contains("every end user"), "{err}");
}

// ---- check ----

async fn check_answered(answer: ResponseTemplate) -> dashshare::error::Result<String> {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(ENDPOINT))
        .and(header("auth", AUTH))
        .and(body_json(json!({"permissions": []})))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .check()
        .await
        .map(|identity| identity.detail.unwrap_or_default())
}

#[tokio::test]
async fn check_sends_an_empty_list_and_does_not_depend_on_the_answer() {
    for answer in [
        documented(200, "permissions_answer.json"),
        ResponseTemplate::new(200).set_body_string("OK"),
        ResponseTemplate::new(204),
    ] {
        let detail = check_answered(answer).await.unwrap();
        assert!(detail.contains("nothing changed"), "{detail}");
        assert!(!detail.contains("SECRET"), "{detail}");
    }
}

#[tokio::test]
async fn check_reads_what_a_422_says_under_any_known_name() {
    let detail = check_answered(
        ResponseTemplate::new(422)
            .set_body_json(json!({"Error": {"Message": "permissions is empty"}})),
    )
    .await
    .unwrap();
    assert!(detail.contains("422: permissions is empty"), "{detail}");
}

#[tokio::test]
async fn check_with_a_refused_key_is_an_auth_error() {
    let err = check_answered(documented(401, "error_reason.json"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(!err.to_string().contains("SECRET"), "{err}");
}
