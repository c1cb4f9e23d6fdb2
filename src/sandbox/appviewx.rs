//! AppViewX, as appviewx.txt and NOTES.md describe it: login with the credentials in headers, the
//! session checked on every call, and a share update that replaces the dashboard's read and
//! read-write group lists and answers `ADC_DASH_*` codes.

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
use super::world::AppViewXShares;
use crate::vendor::Vendor;

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

/// AppViewX's envelope: `{response, message, appStatusCode, tags, headers}`.
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

/// Every AppViewX call names its source (`gwsource`, "web" or "external").
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
            Some("Username and password are required"),
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
            Some("Invalid credentials"),
            Value::Null,
        );
    }
    let session = shared.open_session(Vendor::Appviewx, false);
    answer(
        StatusCode::OK,
        None,
        None,
        json!({"status": "SUCCESS", "sessionId": session, "availableApps": []}),
    )
}

/// Groups whose name contains `filterValue` (ignoring case), a page at a time.
async fn search_groups(State(shared): State<Arc<Shared>>, body: Option<Json<Value>>) -> Response {
    let payload = body.map(|Json(b)| b["payload"].clone()).unwrap_or_default();
    let filter = payload["filterValue"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    let start = payload["startIndex"].as_u64().unwrap_or(0) as usize;
    let size = payload["maxSize"].as_u64().unwrap_or(10) as usize;
    let world = shared.world();
    let matching: Vec<&String> = world
        .appviewx
        .groups
        .iter()
        .filter(|g| g.to_lowercase().contains(&filter))
        .collect();
    let objects: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(size)
        .map(|name| json!({"name": name, "description": ""}))
        .collect();
    answer(
        StatusCode::OK,
        None,
        None,
        json!({"objects": objects, "totalRecords": matching.len()}),
    )
}

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
