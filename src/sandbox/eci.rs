//! ECI (EnergyCAP v3), as eci.txt and NOTES.md describe it: the `ECI-ApiKey` header on every call,
//! `filter=field equals 'value'` look-ups with paging headers, and a share PUT that replaces all
//! three fields and refuses user or group lists beside `sharedWithEveryone: true`.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;
use super::world::EciDashboard;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v3/user", get(users))
        .route("/api/v3/userGroup", get(groups))
        .route("/api/v3/dashboard", get(dashboards))
        .route(
            "/api/v3/dashboard/{id}/share",
            get(read_share).put(write_share),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("ECI-ApiKey")
        .and_then(|v| v.to_str().ok());
    let valid = key.is_some_and(|key| key == shared.world().eci.api_key);
    if !valid {
        // The API does not say whether the key or a permission is missing.
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    next.run(request).await
}

/// `field equals 'value'` (a quote inside doubled) or `field equals 42`, field names compared
/// without regard to case.
fn parse_filter(filter: &str) -> Option<(String, String)> {
    let (field, value) = filter.split_once(" equals ")?;
    let value = value.trim();
    let value = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(quoted) => quoted.replace("''", "'"),
        None => value.to_string(),
    };
    Some((field.trim().to_lowercase(), value))
}

fn field_matches(item: &Value, field: &str, wanted: &str) -> bool {
    item.as_object().is_some_and(|object| {
        object.iter().any(|(key, value)| {
            key.to_lowercase() == field
                && match value {
                    Value::String(text) => text.eq_ignore_ascii_case(wanted),
                    Value::Number(number) => number.to_string() == wanted,
                    _ => false,
                }
        })
    })
}

/// One page of `items`, filtered, with the paging headers the API sends.
fn page(items: Vec<Value>, query: &HashMap<String, String>) -> Response {
    let items: Vec<Value> = match query.get("filter") {
        None => items,
        Some(filter) => match parse_filter(filter) {
            Some((field, value)) => items
                .into_iter()
                .filter(|i| field_matches(i, &field, &value))
                .collect(),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("cannot parse filter '{filter}'"),
                );
            }
        },
    };
    let size: usize = query
        .get("pageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(100)
        .clamp(1, 1000);
    let number: usize = query
        .get("pageNumber")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let pages = total.div_ceil(size).max(1);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((number - 1) * size)
        .take(size)
        .collect();
    (
        [
            ("TotalPages", pages.to_string()),
            ("TotalNumberOfRecords", total.to_string()),
        ],
        Json(shown),
    )
        .into_response()
}

fn as_values<T: serde::Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .filter_map(|item| serde_json::to_value(item).ok())
        .collect()
}

async fn users(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items = as_values(&shared.world().eci.users);
    page(items, &query)
}

async fn groups(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items = as_values(&shared.world().eci.groups);
    page(items, &query)
}

async fn dashboards(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items = shared
        .world()
        .eci
        .dashboards
        .iter()
        .map(|d| json!({"dashboardId": d.dashboard_id, "dashboardDescription": d.dashboard_description}))
        .collect();
    page(items, &query)
}

fn share_response(shared: &Shared, dashboard: &EciDashboard) -> Value {
    let world = shared.world();
    let users: Vec<Value> = world
        .eci
        .users
        .iter()
        .filter(|u| dashboard.shared_user_ids.contains(&u.system_user_id))
        .map(|u| json!({"userId": u.system_user_id, "userCode": u.system_user_code, "fullName": u.full_name}))
        .collect();
    let groups: Vec<Value> = world
        .eci
        .groups
        .iter()
        .filter(|g| dashboard.shared_user_group_ids.contains(&g.user_group_id))
        .map(|g| json!({"userGroupId": g.user_group_id, "userGroupName": g.user_group_name}))
        .collect();
    json!({"sharedUserGroups": groups, "sharedUsers": users, "sharedWithEveryone": dashboard.shared_with_everyone})
}

const NOT_AN_ID: &str = "dashboardId must be an integer";

async fn read_share(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::BAD_REQUEST, NOT_AN_ID);
    };
    let dashboard = shared
        .world()
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == id)
        .cloned();
    match dashboard {
        Some(dashboard) => Json(share_response(&shared, &dashboard)).into_response(),
        None => error(StatusCode::NOT_FOUND, "Dashboard not found"),
    }
}

/// The PUT replaces all three fields.
async fn write_share(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let Ok(id) = id.parse::<i64>() else {
        return error(StatusCode::BAD_REQUEST, NOT_AN_ID);
    };
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let ids = |field: &str| -> Option<BTreeSet<i64>> {
        body.get(field)?
            .as_array()?
            .iter()
            .map(Value::as_i64)
            .collect()
    };
    let (Some(users), Some(groups), Some(everyone)) = (
        ids("sharedUserIds"),
        ids("sharedUserGroupIds"),
        body.get("sharedWithEveryone").and_then(Value::as_bool),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "sharedUserIds, sharedUserGroupIds and sharedWithEveryone are required",
        );
    };
    if everyone && (!users.is_empty() || !groups.is_empty()) {
        return error(
            StatusCode::BAD_REQUEST,
            "SharedUserIds and SharedUserGroupIds must be empty when SharedWithEveryone is true",
        );
    }
    let updated = {
        let mut world = shared.world();
        let eci = &mut world.eci;
        if !users
            .iter()
            .all(|u| eci.users.iter().any(|x| x.system_user_id == *u))
            || !groups
                .iter()
                .all(|g| eci.groups.iter().any(|x| x.user_group_id == *g))
        {
            return error(StatusCode::BAD_REQUEST, "unknown user or user group id");
        }
        match eci.dashboards.iter_mut().find(|d| d.dashboard_id == id) {
            Some(dashboard) => {
                dashboard.shared_user_ids = users;
                dashboard.shared_user_group_ids = groups;
                dashboard.shared_with_everyone = everyone;
                dashboard.clone()
            }
            None => return error(StatusCode::NOT_FOUND, "Dashboard not found"),
        }
    };
    Json(share_response(&shared, &updated)).into_response()
}
