//! Request pins: the AppViewX provider against wiremock and the documented answers.
//!
//! Pins every AppViewX request dashshare makes, and how many, and runs the documented answers
//! (tests/fixtures/appviewx, each naming its helpcenter.appviewx.com page or appviewx.txt section)
//! through the provider.
//!
//! Requests follow: Login (credentials in headers, body `{}`), Search_User_Group (`startIndex`
//! from 1, `sortColumn`/`sortOrder` as in its sample, 404 when nothing matches), appviewx.txt's
//! share update (plural arrays, as its sample), and Prerequisites (`gwkey` on every call of a
//! multi-tenant install, never otherwise).

use crate::common::*;
use dashshare::error::Error;
use dashshare::flow::{ShareRequest, change_shares};
use dashshare::model::{Access, Action, Change, Mode, Principal, PrincipalKind};
use dashshare::providers::{self, ShareProvider};
use serde_json::{Value, json};
use wiremock::matchers::{
    any, body_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

const UPDATE: &str = "/avxapi/dashboard-share-usergroupdetails-update";
const SEARCH: &str = "/avxapi/usergroup-search";
/// The session id of the documented login answer (fixtures/appviewx/login.json).
const SESSION: &str = "ce7f1a14-2bf9-4e4a-89a8-bc780a255813";
/// The tenant key of the API Guide's samples.
const GWKEY: &str = "f000ca01";

/// A fixture as the answer, with the status the documentation gives it.
fn documented(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture("appviewx", name), "application/json")
}

/// Without a gwkey in the profile, no call may carry one.
fn no_gwkey(mock: MockBuilder) -> MockBuilder {
    mock.and(query_param_is_missing("gwkey"))
}

/// The search payload dashshare sends for `name`, from `start` (1-based, as the API Guide's).
fn search_payload(name: &str, start: u32) -> Value {
    json!({"payload": {
        "startIndex": start, "maxSize": 100, "sortColumn": "name", "sortOrder": "asc", "filterValue": name
    }})
}

/// A search answer in the documented shape (Search_User_Group) with these group names.
fn search_answer(names: &[String], total: usize) -> ResponseTemplate {
    let data: Vec<Value> = names
        .iter()
        .map(|name| json!({"name": name, "description": "", "state": "A", "_id": name}))
        .collect();
    ResponseTemplate::new(200).set_body_json(json!({
        "response": {"data": data, "totalRecords": total, "obtainedRecords": names.len()},
        "message": "Matching results found for the given input.",
        "appStatusCode": null, "tags": null, "headers": null
    }))
}

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
        with_data: false,
        until: None,
    }
}

/// The login, answered with the documented sample (fixtures/appviewx/login.json).
async fn mount_login(server: &MockServer, times: u64) {
    no_gwkey(Mock::given(method("POST")))
        .and(path("/avxapi/login"))
        .and(query_param("gwsource", "external"))
        .and(header("username", AVX_USER))
        .and(header("password", AVX_PASSWORD))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({})))
        .respond_with(documented(200, "login.json"))
        .expect(times)
        .named("login")
        .mount(server)
        .await;
}

/// The update, answered with appviewx.txt's sample (fixtures/appviewx/update_success.json).
async fn mount_update(server: &MockServer, read: &[&str], read_write: &[&str], times: u64) {
    no_gwkey(Mock::given(method("PUT")))
        .and(path(UPDATE))
        .and(query_param("name", "Ops Board"))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", SESSION))
        .and(header("content-type", "application/json"))
        .and(body_json(
            json!({"payload": {"readUserGroups": read, "readWriteUserGroups": read_write}}),
        ))
        .respond_with(documented(200, "update_success.json"))
        .expect(times)
        .named("update")
        .mount(server)
        .await;
}

/// The group search for `name`, answered with the groups whose names contain it.
async fn mount_group(server: &MockServer, name: &str, times: u64) {
    no_gwkey(Mock::given(method("POST")))
        .and(path(SEARCH))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", SESSION))
        .and(header("content-type", "application/json"))
        .and(body_json(search_payload(name, 1)))
        .respond_with(search_answer(
            &[format!("{name} (old)"), name.to_string()],
            2,
        ))
        .expect(times)
        .named(format!("search {name}"))
        .mount(server)
        .await;
}

fn vendor_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "response": null, "message": message, "appStatusCode": code, "tags": null, "headers": null
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
    assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
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
        assert!(matches!(err, Error::NotSupported(_)), "{err:?}");
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
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
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
        matches!(err, Error::Invalid { .. }) && err.to_string().contains("ADC_DASH_0051"),
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
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
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
    profile.settings.insert("gwsource".into(), "web".into());
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
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
    let _: Value = json!(null);
}

#[tokio::test]
async fn groups_that_only_contain_the_name_are_not_the_group() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(search_answer(&["UG1 Admins".to_string()], 1))
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
        matches!(err, Error::NotFound { .. }) && err.to_string().contains("'UG1'"),
        "{err}"
    );
}

// ---- the documented answers, through the provider ----

#[tokio::test]
async fn the_documented_search_answer_finds_its_group() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    no_gwkey(Mock::given(method("POST")))
        .and(path(SEARCH))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", SESSION))
        .and(body_json(search_payload("super access", 1)))
        .respond_with(documented(200, "usergroup_search.json"))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .resolve_principal(&Principal::Group("super access".into()))
        .await
        .unwrap()
        .expect("the documented answer names the group");
    assert_eq!(found.key.id, "super access");
}

/// Search_User_Group answers 404 "No matching records found." when nothing matches: that is "no
/// such group" (exit 2, named), and nothing is written.
#[tokio::test]
async fn a_404_from_the_search_is_no_such_group_and_nothing_is_written() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    no_gwkey(Mock::given(method("POST")))
        .and(path(SEARCH))
        .and(body_json(search_payload("Night Shift", 1)))
        .respond_with(documented(404, "usergroup_search_no_match.json"))
        .expect(2)
        .mount(&server)
        .await;
    mount_update(&server, &["Night Shift"], &[], 0).await;
    let provider = provider(&server);
    let none = provider
        .resolve_principal(&Principal::Group("Night Shift".into()))
        .await
        .unwrap();
    assert!(none.is_none());
    let err = change_shares(
        provider.as_ref(),
        &request(&["Night Shift"], Access::View, Mode::Replace),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("'Night Shift'"), "{err}");
}

/// Found but not understood is never "not found": rows without a `name` fail with exit 1.
#[tokio::test]
async fn search_rows_without_a_name_are_not_understood_and_nothing_is_written() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "response": {"data": [{"groupLabel": "UG1", "state": "A"}], "totalRecords": 1},
            "message": "Matching results found for the given input.", "appStatusCode": null
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
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("usergroup-search"), "{text}");
    assert!(
        text.contains("`name`") && text.contains("groupLabel"),
        "{text}"
    );
}

/// A success answer with no list where the documentation has one is not understood either.
#[tokio::test]
async fn a_search_answer_without_its_list_is_not_understood() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "response": {"groups": []}, "message": null, "appStatusCode": null
        })))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_principal(&Principal::Group("UG1".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert!(err.to_string().contains("`data`"), "{err}");
}

/// Only a 404 means "no such group"; any other refusal of the search is a remote failure (a 403:
/// the permission the account lacks, exit 1).
#[tokio::test]
async fn other_search_failures_stay_remote_failures() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(vendor_error(403, "ADC_UG_0001", "Permission denied"))
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
    assert!(matches!(err, Error::PermissionDenied(_)), "{err:?}");
    assert!(err.to_string().contains("ADC_UG_0001"), "{err}");
}

/// The search filters loosely: when a full page holds no exact match, the next page (from
/// `startIndex` 101) is read.
#[tokio::test]
async fn a_full_page_without_the_name_leads_to_the_next_page() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let first: Vec<String> = (0..100).map(|n| format!("UG1-{n:03}")).collect();
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(body_json(search_payload("UG1", 1)))
        .respond_with(search_answer(&first, 101))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(body_json(search_payload("UG1", 101)))
        .respond_with(search_answer(&["UG1".to_string()], 101))
        .expect(1)
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
async fn the_documented_adc_dash_0045_answer_names_the_dashboard() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    mount_group(&server, "UG1", 1).await;
    Mock::given(method("PUT"))
        .and(path(UPDATE))
        .respond_with(documented(404, "update_adc_dash_0045.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("ADC_DASH_0045: Dashboard not available for given name."),
        "{err}"
    );
}

// ---- gwkey ----

/// With a gwkey in the profile, the login, the search and the update all carry it (API Guide,
/// Prerequisites and each page's parameter table), next to gwsource.
#[tokio::test]
async fn the_profile_gwkey_goes_on_every_call() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/avxapi/login"))
        .and(query_param("gwkey", GWKEY))
        .and(query_param("gwsource", "external"))
        .and(header("username", AVX_USER))
        .respond_with(documented(200, "login.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .and(query_param("gwkey", GWKEY))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", SESSION))
        .and(body_json(search_payload("UG1", 1)))
        .respond_with(search_answer(&["UG1".to_string()], 1))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(UPDATE))
        .and(query_param("name", "Ops Board"))
        .and(query_param("gwkey", GWKEY))
        .and(query_param("gwsource", "external"))
        .and(header("sessionId", SESSION))
        .and(body_json(
            json!({"payload": {"readUserGroups": ["UG1"], "readWriteUserGroups": []}}),
        ))
        .respond_with(documented(200, "update_success.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut profile = appviewx_profile(&server);
    profile.settings.insert("gwkey".into(), GWKEY.into());
    let provider = providers::connect(&profile, &fast_options()).unwrap();
    change_shares(
        provider.as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap();
}

// ---- the login answer ----

async fn login_answering(body: Value) -> Error {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/avxapi/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server).check().await.unwrap_err()
}

/// A 200 without a session that says it failed is a refused login (exit 3).
#[tokio::test]
async fn a_200_login_that_says_failure_is_refused() {
    let err = login_answering(json!({
        "response": {"status": "FAILURE", "sessionId": null},
        "message": "Login failed. Invalid Credentials", "appStatusCode": null
    }))
    .await;
    assert!(matches!(err, Error::Auth(_)), "{err:?}");
    assert!(err.to_string().contains("Invalid Credentials"), "{err}");
}

/// A 200 "SUCCESS" that carries no session id where the Login page has it is not understood
/// (exit 1), not a wrong password.
#[tokio::test]
async fn a_200_login_without_a_session_id_is_not_understood() {
    let err = login_answering(json!({
        "response": {"status": "SUCCESS", "authToken": "tok-SECRET"},
        "message": null, "appStatusCode": null
    }))
    .await;
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("response.sessionId") && text.contains("authToken"),
        "{text}"
    );
    assert!(!text.contains("tok-SECRET"), "{text}");
}

/// A 404 that is not AppViewX's JSON envelope (a proxy's page, a server without the route) says
/// nothing about the group: not understood (exit 1), never "no such group" (exit 2).
#[tokio::test]
async fn a_bare_404_from_the_group_search_is_not_taken_for_no_such_group() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(SEARCH))
        .respond_with(ResponseTemplate::new(404).set_body_string("<html>Not Found</html>"))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .resolve_principal(&Principal::Group("NOC Team".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    assert_eq!(err.exit_code(), dashshare::ExitCode::RemoteFailure);
}

/// One page of the search for `name` from `start`, answered with `names` of `total` matches.
async fn mount_search_page(
    server: &MockServer,
    name: &str,
    start: u32,
    answer: ResponseTemplate,
    times: u64,
) {
    no_gwkey(Mock::given(method("POST")))
        .and(path(SEARCH))
        .and(header("sessionId", SESSION))
        .and(body_json(search_payload(name, start)))
        .respond_with(answer)
        .expect(times)
        .named(format!("search {name} from {start}"))
        .mount(server)
        .await;
}

/// Search_User_Group filters loosely (`filterValue` matches inside names) and pages from
/// `startIndex` 1 with `totalRecords` (NOTES.md, "AppViewX group search"): 250 matches sorted by
/// name, the exact one on the second page. Pages from 1 and 101 are read, each once, and the
/// search stops there: the page from 201 is never asked for.
#[tokio::test]
async fn the_group_search_pages_by_start_index_until_the_exact_name_turns_up() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let mut names: Vec<String> = (0..150).map(|n| format!("AUG1-{n:03}")).collect();
    names.push("UG1".into());
    names.extend((0..99).map(|n| format!("UG1-{n:03}")));
    mount_search_page(&server, "UG1", 1, search_answer(&names[..100], 250), 1).await;
    mount_search_page(&server, "UG1", 101, search_answer(&names[100..200], 250), 1).await;
    mount_search_page(&server, "UG1", 201, search_answer(&names[200..], 250), 0).await;
    mount_update(&server, &["UG1"], &[], 1).await;
    change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap();
}

/// When no page holds the exact name, the search ends once `totalRecords` matches are read
/// (150: pages from 1 and 101), and the group is not found: bad input, nothing written.
#[tokio::test]
async fn the_group_search_ends_at_total_records_when_no_name_matches_exactly() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let names: Vec<String> = (0..150).map(|n| format!("AUG1-{n:03}")).collect();
    mount_search_page(&server, "UG1", 1, search_answer(&names[..100], 150), 1).await;
    mount_search_page(&server, "UG1", 101, search_answer(&names[100..], 150), 1).await;
    mount_search_page(&server, "UG1", 201, search_answer(&[], 150), 0).await;
    mount_update(&server, &["UG1"], &[], 0).await;
    let err = change_shares(
        provider(&server).as_ref(),
        &request(&["UG1"], Access::View, Mode::Replace),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { .. }) && err.to_string().contains("'UG1'"),
        "{err}"
    );
}

/// `groups --search` is the group search with the text as `filterValue`, every page read
/// (`totalRecords` says how many); the loose matches the server adds are searched out here.
#[tokio::test]
async fn groups_are_the_group_search_read_to_its_end() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let first: Vec<String> = (0..100).map(|n| format!("Ops {n:03}")).collect();
    no_gwkey(Mock::given(method("POST")))
        .and(path(SEARCH))
        .and(header("sessionId", SESSION))
        .and(body_json(search_payload("ops", 1)))
        .respond_with(search_answer(&first, 102))
        .expect(1)
        .mount(&server)
        .await;
    let loose = ["DevOps".to_string(), "Shop floor".to_string()];
    no_gwkey(Mock::given(method("POST")))
        .and(path(SEARCH))
        .and(body_json(search_payload("ops", 101)))
        .respond_with(search_answer(&loose, 102))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .principals(PrincipalKind::Group, Some("ops"))
        .await
        .unwrap();
    let names: Vec<&str> = found.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names.len(), 101, "{names:?}");
    assert_eq!(names[..2], ["DevOps", "Ops 000"]);
    assert!(!names.contains(&"Shop floor"));
    assert!(found.iter().all(|n| n.id == n.name));
}
