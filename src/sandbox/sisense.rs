//! Sisense REST v1, as sisense.txt describes it: form-encoded login, a Bearer token checked on
//! every call, users and groups filtered server-side, a PATCH that replaces the whole share list
//! and fails on a duplicate or unknown `shareId`, and publish as a separate call.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;
use crate::vendor::Vendor;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/users", get(users))
        .route("/api/v1/users/loggedin", get(logged_in))
        .route("/api/v1/users/{id}", get(user))
        .route("/api/v1/groups", get(groups))
        .route("/api/v1/groups/{id}", get(group))
        .route("/api/v1/dashboards", get(dashboards))
        .route(
            "/api/v1/dashboards/{id}",
            get(dashboard).patch(write_shares),
        )
        .route("/api/v1/dashboards/{id}/publish", post(publish))
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .route("/api/v1/authentication/login", post(login))
        .with_state(shared)
}

/// REST v1's error body.
fn error(status: StatusCode, message: &str) -> Response {
    let code = status.as_u16();
    (
        status,
        Json(json!({"error": {"code": code, "message": message, "status": code}})),
    )
        .into_response()
}

async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !shared.use_session(Vendor::Sisense, token) {
        return error(StatusCode::UNAUTHORIZED, "Invalid or expired token");
    }
    next.run(request).await
}

async fn login(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form_encoded {
        return error(
            StatusCode::BAD_REQUEST,
            "login takes application/x-www-form-urlencoded",
        );
    }
    let valid = {
        let world = shared.world();
        form.get("username") == Some(&world.sisense.admin.username)
            && form.get("password") == Some(&world.sisense.admin.password)
    };
    if !valid {
        return error(StatusCode::UNAUTHORIZED, "Invalid username or password");
    }
    // Renewing invalidates the user's other tokens (NOTES.md).
    let token = shared.open_session(Vendor::Sisense, true);
    Json(json!({"success": true, "message": "", "profile": {}, "access_token": token}))
        .into_response()
}

async fn users(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let found: Vec<&super::world::SisenseUser> = world
        .sisense
        .users
        .iter()
        .filter(|user| {
            query
                .get("email")
                .is_none_or(|email| user.email.eq_ignore_ascii_case(email))
        })
        .filter(|user| {
            query
                .get("userName")
                .is_none_or(|name| user.user_name.eq_ignore_ascii_case(name))
        })
        .collect();
    Json(found).into_response()
}

async fn logged_in(State(shared): State<Arc<Shared>>) -> Response {
    let world = shared.world();
    match world.sisense.admin_user() {
        Some(user) => Json(user).into_response(),
        None => {
            Json(json!({"_id": "admin", "email": world.sisense.admin.username})).into_response()
        }
    }
}

async fn user(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let world = shared.world();
    match world.sisense.users.iter().find(|user| user.id == id) {
        Some(user) => Json(user).into_response(),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

async fn groups(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let found: Vec<&super::world::SisenseGroup> = world
        .sisense
        .groups
        .iter()
        .filter(|group| {
            query
                .get("name")
                .is_none_or(|name| group.name.eq_ignore_ascii_case(name))
        })
        .collect();
    Json(found).into_response()
}

async fn group(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let world = shared.world();
    match world.sisense.groups.iter().find(|group| group.id == id) {
        Some(group) => Json(group).into_response(),
        None => error(StatusCode::NOT_FOUND, "Group not found"),
    }
}

async fn dashboards(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let found: Vec<Value> = world
        .sisense
        .dashboards
        .iter()
        .filter(|d| query.get("name").is_none_or(|name| &d.title == name))
        .map(|d| json!({"oid": d.oid, "title": d.title, "owner": d.owner}))
        .collect();
    Json(found).into_response()
}

async fn dashboard(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let world = shared.world();
    match world.sisense.dashboards.iter().find(|d| d.oid == id) {
        Some(d) => {
            Json(json!({"oid": d.oid, "title": d.title, "owner": d.owner, "shares": d.shares}))
                .into_response()
        }
        None => error(StatusCode::NOT_FOUND, "Dashboard not found"),
    }
}

/// PATCH replaces the whole list: what is not sent is no longer shared.
async fn write_shares(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let Some(shares) = body.get("shares").and_then(Value::as_array).cloned() else {
        return error(StatusCode::BAD_REQUEST, "shares must be a list");
    };
    let mut world = shared.world();
    let mut seen = Vec::new();
    for share in &shares {
        let share_id = share
            .get("shareId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if seen.contains(&share_id) {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("duplicate shareId {share_id}"),
            );
        }
        let known = match share.get("type").and_then(Value::as_str) {
            Some("user") => world.sisense.users.iter().any(|u| u.id == share_id),
            Some("group") => world.sisense.groups.iter().any(|g| g.id == share_id),
            _ => false,
        };
        if !known {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("unknown shareId '{share_id}'"),
            );
        }
        seen.push(share_id);
    }
    match world.sisense.dashboards.iter_mut().find(|d| d.oid == id) {
        Some(dashboard) => {
            dashboard.shares = shares;
            Json(
                json!({"oid": dashboard.oid, "title": dashboard.title, "shares": dashboard.shares}),
            )
            .into_response()
        }
        None => error(StatusCode::NOT_FOUND, "Dashboard not found"),
    }
}

/// Only the dashboard's owner may publish it.
async fn publish(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let mut world = shared.world();
    let admin = world.sisense.admin_user().map(|u| u.id.clone());
    match world.sisense.dashboards.iter().find(|d| d.oid == id) {
        None => return error(StatusCode::NOT_FOUND, "Dashboard not found"),
        Some(d) if Some(&d.owner) != admin.as_ref() => {
            return error(
                StatusCode::FORBIDDEN,
                "Only the dashboard owner can publish it",
            );
        }
        Some(_) => {}
    }
    *world.sisense.published.entry(id).or_default() += 1;
    Json(json!({})).into_response()
}
