//! AppViewX, as appviewx.txt, NOTES.md and helpcenter.appviewx.com's API Guide describe it: login
//! with the credentials in headers, the session checked on every call, a group search that pages
//! from 1 and answers 404 when nothing matches, and a share update that replaces the dashboard's
//! read and read-write group lists and answers `ADC_DASH_*` codes. `gwkey` (the tenant key of
//! multi-tenant installs) is accepted on every route and, as a server with one tenant does, not
//! required (API Guide, Prerequisites: "If the gwkey is not provided the system will automatically
//! assign the default gwkey").

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;
use crate::vendor::Vendor;
use world::AppViewXShares;

pub(super) static EMULATOR: super::Emulator = super::Emulator {
    router,
    secret,
    profile_keys,
    cast,
};

/// A shared dashboard the account may share, and a group it is not shared with.
fn cast(world: &super::World) -> Option<super::Cast> {
    let appviewx = &world.appviewx;
    let (name, shares) = appviewx.dashboards.iter().find(|(name, shares)| {
        let shared =
            !shares.read_user_groups.is_empty() || !shares.read_write_user_groups.is_empty();
        shared && !appviewx.locked.contains(*name)
    })?;
    Some(super::Cast {
        dashboard: name.clone(),
        user: None,
        group: appviewx
            .groups
            .iter()
            .find(|group| {
                !shares.read_user_groups.contains(group)
                    && !shares.read_write_user_groups.contains(group)
            })
            .cloned(),
    })
}

fn secret(world: &super::World) -> super::Secret {
    super::Secret {
        key: "password",
        var: "SANDBOX_AVX_PASSWORD",
        value: world.appviewx.account.password.clone(),
    }
}

fn profile_keys(world: &super::World) -> String {
    format!("username = \"{}\"\n", world.appviewx.account.username)
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/avxapi/dashboard-share-usergroupdetails-update",
            put(update),
        )
        .route("/avxapi/usergroup-search", post(search_groups))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .route("/avxapi/login", post(login))
        .route_layer(middleware::from_fn(require_gwsource))
        .with_state(shared)
}

/// AppViewX's envelope, as every documented sample has it: `{response, message, appStatusCode,
/// tags, headers}`.
fn answer(
    status: StatusCode,
    code: Option<&str>,
    message: Option<&str>,
    response: Value,
) -> Response {
    (
        status,
        Json(json!({"response": response, "message": message, "appStatusCode": code, "tags": null, "headers": null})),
    )
        .into_response()
}

/// Every AppViewX call names its source (`gwsource`, "web" or "external": mandatory in every page
/// of the API Guide). What the real server answers without it is not documented; the code is ours.
async fn require_gwsource(request: Request, next: Next) -> Response {
    let named = request.uri().query().is_some_and(|query| {
        url::form_urlencoded::parse(query.as_bytes()).any(|(key, _)| key == "gwsource")
    });
    if !named {
        return answer(
            StatusCode::BAD_REQUEST,
            Some("ADC_GW_0001"),
            Some("gwsource is mandatory"),
            Value::Null,
        );
    }
    next.run(request).await
}

/// The session from the login goes in the `sessionId` header (API Guide: "Use either Session Id or
/// Token received after login"). The 401 body's code is ours: the pages document none.
async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let session = request
        .headers()
        .get("sessionId")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !shared.use_session(Vendor::Appviewx, session) {
        return answer(
            StatusCode::UNAUTHORIZED,
            Some("ADC_AUTH_0003"),
            Some("Invalid or expired session"),
            Value::Null,
        );
    }
    next.run(request).await
}

/// API Guide, Login (and "Retrieve the Session ID"): the credentials in headers, 400 for an empty
/// one, 401 for wrong ones, and the session id in `response.sessionId`. The error messages are the
/// documented ones; their `appStatusCode`s are not documented and are ours.
async fn login(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let (username, password) = (header("username"), header("password"));
    if username.is_empty() || password.is_empty() {
        return answer(
            StatusCode::BAD_REQUEST,
            Some("ADC_AUTH_0001"),
            Some("Username or password cannot be null or empty"),
            Value::Null,
        );
    }
    let valid = {
        let world = shared.world();
        username == world.appviewx.account.username && password == world.appviewx.account.password
    };
    if !valid {
        return answer(
            StatusCode::UNAUTHORIZED,
            Some("ADC_AUTH_0002"),
            Some("Login failed. Invalid Credentials"),
            Value::Null,
        );
    }
    let session = shared.open_session(Vendor::Appviewx, false);
    answer(
        StatusCode::OK,
        None,
        None,
        json!({
            "status": "SUCCESS",
            "appStatusCode": null,
            "statusDescription": null,
            "sessionId": session,
            "availableLoginAttemptCount": 10
        }),
    )
}

/// API Guide, Search_User_Group: groups whose name contains `filterValue` (ignoring case), sorted
/// by name, `maxSize` of them from the 1-based `startIndex`, under `response.data` with
/// `totalRecords`, `obtainedRecords` and `obtainedRecordRange`; HTTP 404 "No matching records
/// found." when nothing matches (the page gives that message but no body: the envelope is the
/// one every documented answer has).
async fn search_groups(State(shared): State<Arc<Shared>>, body: Option<Json<Value>>) -> Response {
    let payload = body.map(|Json(b)| b["payload"].clone()).unwrap_or_default();
    let filter = payload["filterValue"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    let start = payload["startIndex"].as_u64().unwrap_or(1).max(1) as usize;
    let size = payload["maxSize"].as_u64().unwrap_or(10) as usize;
    let world = shared.world();
    let matching: Vec<&String> = world
        .appviewx
        .groups
        .iter()
        .filter(|g| g.to_lowercase().contains(&filter))
        .collect();
    let data: Vec<Value> = matching
        .iter()
        .skip(start - 1)
        .take(size)
        .map(|name| json!({"name": name, "description": "", "state": "A", "_id": name}))
        .collect();
    if data.is_empty() {
        return answer(
            StatusCode::NOT_FOUND,
            None,
            Some("No matching records found."),
            Value::Null,
        );
    }
    answer(
        StatusCode::OK,
        None,
        Some("Matching results found for the given input."),
        json!({
            "data": data,
            "totalRecords": matching.len(),
            "obtainedRecords": data.len(),
            "obtainedRecordRange": {"start": start, "end": start + data.len() - 1}
        }),
    )
}

/// appviewx.txt, "Share Dashboard to User Group": PUT with `name` in the query and
/// `{"payload": {"readUserGroups": […], "readWriteUserGroups": […]}}` (the sample's plural arrays),
/// answered `{"response": "Success", …}` or the documented `ADC_DASH_0045/0051/0048` codes.
/// `ADC_DASH_0050` for a payload without either list is ours.
async fn update(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    body: Option<Json<Value>>,
) -> Response {
    let name = query.get("name").cloned().unwrap_or_default();
    if name.trim().is_empty() || name.contains(['/', '\\']) {
        return answer(
            StatusCode::BAD_REQUEST,
            Some("ADC_DASH_0051"),
            Some("Invalid dashboard name."),
            Value::Null,
        );
    }
    let mut world = shared.world();
    if !world.appviewx.dashboards.contains_key(&name) {
        return answer(
            StatusCode::NOT_FOUND,
            Some("ADC_DASH_0045"),
            Some("Dashboard not available for given name."),
            Value::Null,
        );
    }
    if world.appviewx.locked.contains(&name) {
        return answer(
            StatusCode::FORBIDDEN,
            Some("ADC_DASH_0048"),
            Some("Permission not available for dashboard."),
            Value::Null,
        );
    }
    let list = |field: &str| -> Option<Vec<String>> {
        body.as_ref()
            .and_then(|Json(b)| b.pointer(&format!("/payload/{field}")))
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
    };
    let (read, read_write) = (list("readUserGroups"), list("readWriteUserGroups"));
    if read.is_none() && read_write.is_none() {
        return answer(
            StatusCode::BAD_REQUEST,
            Some("ADC_DASH_0050"),
            Some("payload needs readUserGroups or readWriteUserGroups"),
            Value::Null,
        );
    }
    // The update replaces both lists: a group not sent loses its access.
    let shares = AppViewXShares {
        read_user_groups: read.unwrap_or_default(),
        read_write_user_groups: read_write.unwrap_or_default(),
    };
    world.appviewx.dashboards.insert(name, shares);
    answer(StatusCode::OK, None, None, json!("Success"))
}

/// What this emulator holds: its part of the sandbox `World`.
pub mod world {
    use std::collections::{BTreeMap, BTreeSet};

    use serde::{Deserialize, Serialize};

    use crate::sandbox::Account;

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default)]
    pub struct AppViewXWorld {
        pub account: Account,
        /// Dashboard name → its group lists.
        pub dashboards: BTreeMap<String, AppViewXShares>,
        /// Dashboards the account may not share (answered ADC_DASH_0048).
        pub locked: BTreeSet<String>,
        pub groups: BTreeSet<String>,
    }

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default, rename_all = "camelCase")]
    pub struct AppViewXShares {
        pub read_user_groups: Vec<String>,
        pub read_write_user_groups: Vec<String>,
    }

    impl AppViewXWorld {
        /// The sample data `World::seeded` starts from.
        pub fn seeded() -> Self {
            AppViewXWorld {
                account: Account {
                    username: "svc-dashshare".into(),
                    password: "Avx&Sandbox+1".into(),
                },
                dashboards: BTreeMap::from([
                    (
                        "Ops Board".to_string(),
                        AppViewXShares {
                            read_user_groups: vec!["Auditors".into()],
                            read_write_user_groups: vec!["NOC Team".into()],
                        },
                    ),
                    ("Cert Expiry".to_string(), AppViewXShares::default()),
                    ("Locked Board".to_string(), AppViewXShares::default()),
                ]),
                locked: BTreeSet::from(["Locked Board".to_string()]),
                groups: ["Auditors", "NOC Team", "SRE", "PKI Admins", "Cert Owners"]
                    .into_iter()
                    .map(str::to_string)
                    .collect(),
            }
        }

        /// Adds `count` dashboards shared with nobody, for load tests.
        pub fn add_bulk_dashboards(&mut self, count: usize) {
            for n in 0..count {
                self.dashboards
                    .insert(format!("Bulk {n:05}"), AppViewXShares::default());
            }
        }
    }
}
