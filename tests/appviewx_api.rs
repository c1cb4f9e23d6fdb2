//! Pins every AppViewX request dashshare makes, and how many.

mod common;

use common::*;
use dashshare::error::Error;
use dashshare::flow::{ShareRequest, change_shares};
use dashshare::model::{Access, Action, Change, Mode, Principal};
use dashshare::providers::{self, ShareProvider};
use serde_json::{Value, json};
use wiremock::matchers::{any, body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const UPDATE: &str = "/avxapi/dashboard-share-usergroupdetails-update";

fn provider(server: &MockServer) -> Box<dyn ShareProvider> {
    providers::connect(&appviewx_profile(server), &fast_options()).unwrap()
}

fn request(groups: &[&str], access: Access, mode: Mode) -> ShareRequest {
    ShareRequest {
        dashboard: "Ops Board".into(),
        principals: groups
            .iter()
            .map(|g| Principal::Group(g.to_string()))
            .collect(),
        change: Change::Grant(access),
        mode,
        revoke_scope: None,
        publish: true,
        dry_run: false,
    }
}

async fn mount_login(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/avxapi/login"))
        .and(query_param("gwsource", "external"))
        .and(header("username", AVX_USER))
        .and(header("password", AVX_PASSWORD))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "response": {"status": "SUCCESS", "sessionId": AVX_SESSION},
            "message": null, "appStatusCode": null
        })))
        .expect(times)
        .named("login")
        .mount(server)
        .await;
}

async fn mount_update(server: &MockServer, read: &[&str], read_write: &[&str], times: u64) {
    Mock::given(method("PUT"))
        .and(path(UPDATE))
        .and(query_param("name", "Ops Board"))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", AVX_SESSION))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({"payload": {"readUserGroups": read, "readWriteUserGroups": read_write}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "response": "Success", "message": null, "appStatusCode": null, "tags": null, "headers": null
        })))
        .expect(times)
        .named("update")
        .mount(server)
        .await;
}

/// The group search for `name`, answered with the groups whose names contain it.
async fn mount_group(server: &MockServer, name: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/avxapi/usergroup-search"))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", AVX_SESSION))
        .and(body_json(json!({"payload": {"startIndex": 0, "maxSize": 100, "filterValue": name}})))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "response": {"objects": [{"name": format!("{name} (old)")}, {"name": name}], "totalRecords": 2},
            "message": null, "appStatusCode": null
        })))
        .expect(times)
        .named(format!("search {name}"))
        .mount(server)
        .await;
}

fn vendor_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "response": null, "message": message, "appStatusCode": code, "tags": null
    }))
}

async fn no_request(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .expect(0)
        .mount(server)
        .await;
}

#[tokio::test]
async fn replace_sets_exactly_the_named_read_write_groups() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_group(&server, "UG1", 1).await;
    mount_group(&server, "UG2", 1).await;
    mount_update(&server, &[], &["UG1", "UG2"], 1).await;
    let report = change_shares(
        provider(&server).as_ref(),
        &request(&["UG1", "UG2"], Access::Edit, Mode::Replace),
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
async fn replace_at_view_fills_the_read_list() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_group(&server, "UG1", 1).await;
    mount_update(&server, &["UG1"], &[], 1).await;
    change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_grant_without_replace_is_refused_before_any_request() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Merge),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    assert!(err.to_string().contains("--replace"), "{err}");
}

#[tokio::test]
async fn a_revoke_is_refused_before_any_request() {
    let server = MockServer::start().await;
    no_request(&server).await;
    let mut revoke = request(&["UG1"], Access::View, Mode::Merge);
    revoke.change = Change::Revoke;
    let err = change_shares(provider(&server).as_ref(), &revoke)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("grant --replace"), "{err}");
}

#[tokio::test]
async fn users_and_everyone_are_refused_before_any_request() {
    let server = MockServer::start().await;
    no_request(&server).await;
    for principal in [Principal::User("alice".into()), Principal::Everyone] {
        let mut asked = request(&[], Access::View, Mode::Replace);
        asked.principals = vec![principal];
        let err = change_shares(provider(&server).as_ref(), &asked)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Unsupported(_)), "{err:?}");
    }
}

async fn update_failing_with(status: u16, code: &str, message: &str) -> Error {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_group(&server, "UG1", 1).await;
    Mock::given(method("PUT"))
        .and(path(UPDATE))
        .respond_with(vendor_error(status, code, message))
        .expect(1)
        .mount(&server)
        .await;
    change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap_err()
}

#[tokio::test]
async fn an_unknown_dashboard_shows_adc_dash_0045_and_exits_2() {
    let err = update_failing_with(
        404,
        "ADC_DASH_0045",
        "Dashboard not available for given name.",
    )
    .await;
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("ADC_DASH_0045") && text.contains("Dashboard not available"),
        "{text}"
    );
    assert!(text.contains("'Ops Board'"), "{text}");
}

#[tokio::test]
async fn an_invalid_name_shows_adc_dash_0051_and_exits_2() {
    let err = update_failing_with(400, "ADC_DASH_0051", "Invalid dashboard name.").await;
    assert!(
        matches!(err, Error::Invalid(_)) && err.to_string().contains("ADC_DASH_0051"),
        "{err}"
    );
}

#[tokio::test]
async fn no_permission_shows_adc_dash_0048_and_exits_1() {
    let err = update_failing_with(
        403,
        "ADC_DASH_0048",
        "Permission not available for dashboard.",
    )
    .await;
    assert!(matches!(err, Error::Remote(_)), "{err:?}");
    assert!(
        err.to_string().contains("ADC_DASH_0048") && err.to_string().contains("permission"),
        "{err}"
    );
}

#[tokio::test]
async fn an_expired_session_leads_to_one_new_login() {
    let server = MockServer::start().await;
    mount_login(&server, 2).await;
    mount_group(&server, "UG1", 1).await;
    Mock::given(method("PUT"))
        .and(path(UPDATE))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"message": "session expired"})),
        )
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_update(&server, &["UG1"], &[], 1).await;
    change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_refused_login_is_an_auth_error_without_the_password() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/avxapi/login"))
        .respond_with(vendor_error(401, "AUTH_001", "Invalid credentials"))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server).check().await.unwrap_err();
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(
        err.to_string().contains(AVX_USER) && !err.to_string().contains(AVX_PASSWORD),
        "{err}"
    );
}

#[tokio::test]
async fn the_profile_gwsource_is_used() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/avxapi/login"))
        .and(query_param("gwsource", "web"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"response": {"sessionId": "s"}})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let mut profile = appviewx_profile(&server);
    profile.gwsource = Some("web".into());
    let provider = providers::connect(&profile, &fast_options()).unwrap();
    let identity = provider.check().await.unwrap();
    assert_eq!(identity.user, AVX_USER);
}

#[tokio::test]
async fn a_success_status_with_an_error_code_is_still_an_error() {
    let err = update_failing_with(
        200,
        "ADC_DASH_0048",
        "Permission not available for dashboard.",
    )
    .await;
    assert!(matches!(err, Error::Remote(_)), "{err:?}");
    let _: Value = json!(null);
}

#[tokio::test]
async fn an_unknown_group_stops_before_the_update() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/avxapi/usergroup-search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "response": {"objects": [{"name": "UG1 Admins"}]}, "message": null, "appStatusCode": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    mount_update(&server, &["UG1"], &[], 0).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)) && err.to_string().contains("'UG1'"),
        "{err}"
    );
}
