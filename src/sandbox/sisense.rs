//! Sisense, as sisense.txt, NOTES.md and Sisense's own SDK (pysisense 2.3.3) describe it:
//! form-encoded login that adds a token (other tokens stay valid), a Bearer token checked on every
//! call, users and groups filtered server-side, share writes that replace the whole list and fail
//! on a duplicate or unknown `shareId`, publish as a separate call, and dashboards the caller
//! neither owns nor is shared refused (403) unless an admin asks with `adminAccess=true`.
//! `World::sisense.reject_admin_access` plays a version that rejects that parameter (422).

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
use super::World;
use crate::vendor::Vendor;
use world::SisenseDashboard;

pub(super) static EMULATOR: super::Emulator = super::Emulator {
    router,
    secret,
    profile_keys,
    cast,
};

/// The admin's own shared dashboard (another owner's is a case of its own, e2e_sandbox.rs), a
/// user and a group it is not shared with.
fn cast(world: &super::World) -> Option<super::Cast> {
    let sisense = &world.sisense;
    let admin = sisense.admin_user().map(|user| user.id.as_str());
    let dashboard = sisense
        .dashboards
        .iter()
        .find(|d| Some(d.owner.as_str()) == admin && d.shares.len() > 1)?;
    let shared: Vec<&str> = dashboard
        .shares
        .iter()
        .filter_map(|share| share["shareId"].as_str())
        .collect();
    Some(super::Cast {
        dashboard: dashboard.oid.clone(),
        user: sisense
            .users
            .iter()
            .find(|user| !shared.contains(&user.id.as_str()) && Some(user.id.as_str()) != admin)
            .map(|user| user.email.clone()),
        group: sisense
            .groups
            .iter()
            .find(|group| !shared.contains(&group.id.as_str()))
            .map(|group| group.name.clone()),
    })
}

fn secret(world: &super::World) -> super::Secret {
    super::Secret {
        key: "password",
        var: "SANDBOX_SISENSE_PASSWORD",
        value: world.sisense.admin.password.clone(),
    }
}

fn profile_keys(world: &super::World) -> String {
    format!("username = \"{}\"\n", world.sisense.admin.username)
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v1/users", get(users))
        .route("/api/users/loggedin", get(logged_in))
        .route("/api/v1/users/{id}", get(user))
        .route("/api/v1/groups", get(groups))
        .route("/api/v1/groups/{id}", get(group))
        .route("/api/v1/dashboards", get(dashboards))
        .route("/api/v1/dashboards/admin", get(admin_dashboards))
        .route(
            "/api/v1/dashboards/{id}",
            get(dashboard).patch(patch_dashboard),
        )
        .route("/api/v1/dashboards/{id}/publish", post(publish))
        .route("/api/v1/dashboards/{id}/change_owner", post(change_owner))
        .route(
            "/api/shares/dashboard/{id}",
            get(read_shares).post(post_shares),
        )
        .route(
            "/api/elasticubes/{address}/{title}/permissions",
            get(extract_permissions).put(put_extract_permissions),
        )
        .route("/api/v2/datamodels/schema", get(model_schema))
        .route(
            "/api/v1/elasticubes/live/{oid}/permissions",
            get(live_permissions).patch(patch_live_permissions),
        )
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

/// `Authorization: Bearer <token>` on every call (sisense.txt; pysisense sends it on every request).
async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    // An API token made in Sisense's UI is good on every call with no login (pysisense
    // `sisenseclient.py`, `@sisense/sdk-rest-client` `bearer-authenticator.js`).
    let api_token = {
        let world = shared.world();
        !world.sisense.api_token.is_empty() && token == world.sisense.api_token
    };
    if !api_token && !shared.use_session(Vendor::Sisense, token) {
        return error(StatusCode::UNAUTHORIZED, "Invalid or expired token");
    }
    next.run(request).await
}

/// `POST /api/v1/authentication/login`, form-encoded `username` and `password`, answering
/// `access_token` (sisense.txt, step 1; Sisense's REST guide "Using the REST API").
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
        !world.sisense.sso_only
            && form.get("username") == Some(&world.sisense.admin.username)
            && form.get("password") == Some(&world.sisense.admin.password)
    };
    if !valid {
        return error(StatusCode::UNAUTHORIZED, "Invalid username or password");
    }
    // A login adds a token and leaves the account's others valid; only
    // `POST /api/v1/authentication/tokens/api/renew` (not emulated: dashshare never calls it)
    // invalidates them (NOTES.md Corrections; Sisense community, "API Bearer token lifecycle").
    let token = shared.open_session(Vendor::Sisense, false);
    // The answer carries the account's own user record under `profile` (Sisense, "Using the
    // REST API", Authentication).
    let profile = shared
        .world()
        .sisense
        .admin_user()
        .map_or(json!({}), |user| json!(user));
    Json(json!({"success": true, "message": "", "profile": profile, "access_token": token}))
        .into_response()
}

/// `GET /api/v1/users?email=…|userName=…|ids=a,b` (sisense.txt, step 2; the `ids` filter as REST
/// clients document it, NOTES.md Corrections 2026-12-07; pysisense `access_management/users.py`
/// reads `_id`, `email`, `userName`).
async fn users(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let found: Vec<&world::SisenseUser> = world
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
        .filter(|user| {
            query
                .get("ids")
                .is_none_or(|ids| ids.split(',').any(|id| id == user.id))
        })
        .collect();
    Json(one_page(found, &query)).into_response()
}

/// `GET /api/users/loggedin`: the caller's own user record (pysisense `access_management/users.py`,
/// `get_my_user`; the route is not under v1).
async fn logged_in(State(shared): State<Arc<Shared>>) -> Response {
    let world = shared.world();
    match world.sisense.admin_user() {
        Some(user) => Json(user).into_response(),
        None => {
            Json(json!({"_id": "admin", "email": world.sisense.admin.username})).into_response()
        }
    }
}

/// `GET /api/v1/users/{id}` (`sisense` 0.2.2 `sisense/admin/user.py`, `User.get(oid=…)`; pysisense
/// never reads a user this way).
async fn user(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let world = shared.world();
    match world.sisense.users.iter().find(|user| user.id == id) {
        Some(user) => Json(user).into_response(),
        None => error(StatusCode::NOT_FOUND, "User not found"),
    }
}

/// `GET /api/v1/groups?name=…` (pysisense `access_management/groups.py` reads `_id`, `name`).
async fn groups(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let found: Vec<&world::SisenseGroup> = world
        .sisense
        .groups
        .iter()
        .filter(|group| {
            query
                .get("name")
                .is_none_or(|name| group.name.eq_ignore_ascii_case(name))
        })
        .collect();
    Json(one_page(found, &query)).into_response()
}

/// `GET /api/v1/groups/{id}` (`sisense` 0.2.2 `sisense/admin/group.py`, `Group.get(oid=…)`;
/// pysisense never reads a group this way).
async fn group(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    let world = shared.world();
    match world.sisense.groups.iter().find(|group| group.id == id) {
        Some(group) => Json(group).into_response(),
        None => error(StatusCode::NOT_FOUND, "Group not found"),
    }
}

/// The most rows a listing answers at once, whatever `limit` asks: a server that caps its
/// answers, so that a client that reads one page and stops misses rows (NOTES.md, Corrections
/// 2026-12-07: pysisense pages the admin listing with `limit=50&skip=N`).
pub const PAGE_CAP: usize = 50;

/// The rows of one page: from `skip` on, at most `limit` of them and never more than `PAGE_CAP`
/// (pysensesdk documents `skip` "to be used with the limit parameter for paging" on dashboards,
/// users and groups).
fn one_page<T>(rows: Vec<T>, query: &HashMap<String, String>) -> Vec<T> {
    let number = |key: &str| query.get(key).and_then(|value| value.parse::<usize>().ok());
    let limit = number("limit").unwrap_or(PAGE_CAP).min(PAGE_CAP);
    rows.into_iter()
        .skip(number("skip").unwrap_or(0))
        .take(limit)
        .collect()
}

/// A refused request: its status and message (sent as `error` makes them).
type Refusal = (StatusCode, &'static str);

/// The caller: only the world's admin account can log in.
fn caller(world: &World) -> String {
    world
        .sisense
        .admin_user()
        .map(|user| user.id.clone())
        .unwrap_or_else(|| "admin".into())
}

/// Whether the request asked for admin access; a version that validates its query strictly
/// rejects the unknown parameter with 422 (pysisense `dashboard/shares.py`,
/// `get_dashboard_shares_v1`). The caller is always an admin here, so `true` is honoured.
fn admin_access(world: &World, query: &HashMap<String, String>) -> Result<bool, Refusal> {
    match query.get("adminAccess") {
        None => Ok(false),
        Some(_) if world.sisense.reject_admin_access => Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "Invalid query: adminAccess is not an allowed property",
        )),
        Some(value) => Ok(value == "true"),
    }
}

/// The dashboard `id` if the caller may use it: its owner, a user it is shared with, or an admin
/// asking with `adminAccess=true`; else 404 (no such dashboard) or 403 (NOTES.md Corrections).
fn usable<'w>(
    world: &'w mut World,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<&'w mut SisenseDashboard, Refusal> {
    let admin = admin_access(world, query)?;
    let me = caller(world);
    let Some(dashboard) = world.sisense.dashboards.iter_mut().find(|d| d.oid == id) else {
        return Err((StatusCode::NOT_FOUND, "Dashboard not found"));
    };
    let shared_with_me = dashboard
        .shares
        .iter()
        .any(|share| share.get("shareId").and_then(Value::as_str) == Some(me.as_str()));
    if admin || dashboard.owner == me || shared_with_me {
        Ok(dashboard)
    } else {
        Err((
            StatusCode::FORBIDDEN,
            "You do not have permission to access this dashboard",
        ))
    }
}

/// `GET /api/v1/dashboards` (sisense.txt; pysisense `dashboard/core.py`, `get_dashboards`): the
/// caller's own dashboards and those shared with it, filtered by `name`.
async fn dashboards(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let me = caller(&world);
    let found: Vec<Value> = world
        .sisense
        .dashboards
        .iter()
        .filter(|d| {
            d.owner == me
                || d.shares
                    .iter()
                    .any(|share| share.get("shareId").and_then(Value::as_str) == Some(&me))
        })
        .filter(|d| query.get("name").is_none_or(|name| &d.title == name))
        .map(|d| json!({"oid": d.oid, "title": d.title, "owner": d.owner}))
        .collect();
    Json(one_page(found, &query)).into_response()
}

/// `GET /api/v1/dashboards/admin?dashboardType=owner` (pysisense `dashboard/core.py`,
/// `get_all_dashboards`, `get_dashboard_by_id`, `get_dashboard_by_name`): every dashboard with its
/// owner and shares, filtered by `id` and `name`, trimmed to `fields` (`migration/dashboards.py`).
async fn admin_dashboards(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let fields: Option<Vec<&str>> = query.get("fields").map(|f| f.split(',').collect());
    let found: Vec<Value> = world
        .sisense
        .dashboards
        .iter()
        .filter(|d| query.get("id").is_none_or(|id| &d.oid == id))
        .filter(|d| query.get("name").is_none_or(|name| &d.title == name))
        .map(|d| {
            let mut row = json!({"oid": d.oid, "title": d.title, "owner": d.owner, "shares": d.shares, "datasource": d.datasource});
            if let (Some(fields), Some(object)) = (&fields, row.as_object_mut()) {
                object.retain(|key, _| fields.contains(&key.as_str()));
            }
            row
        })
        .collect();
    Json(one_page(found, &query)).into_response()
}

/// `GET /api/v1/dashboards/{id}` (sisense.txt: the page's example reads `shares` here).
async fn dashboard(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut world = shared.world();
    match usable(&mut world, &id, &query) {
        Ok(d) => Json(json!({"oid": d.oid, "title": d.title, "owner": d.owner, "shares": d.shares, "datasource": d.datasource}))
            .into_response(),
        Err((status, message)) => error(status, message),
    }
}

/// `GET /api/shares/dashboard/{id}[?adminAccess=true]` (pysisense `dashboard/shares.py`,
/// `add_dashboard_shares`; `migration/dashboards.py` reads `sharesTo` and `owner._id`/`userName`).
async fn read_shares(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut world = shared.world();
    let (owner, shares) = match usable(&mut world, &id, &query) {
        Ok(d) => (d.owner.clone(), d.shares.clone()),
        Err((status, message)) => return error(status, message),
    };
    let owner = match world.sisense.users.iter().find(|u| u.id == owner) {
        Some(user) => json!({"_id": user.id, "userName": user.user_name, "email": user.email}),
        None => json!({"_id": owner}),
    };
    let shares: Vec<Value> = shares
        .into_iter()
        .map(|share| named(&world, share))
        .collect();
    Json(json!({"sharesTo": shares, "owner": owner})).into_response()
}

/// The names this route adds to each entry: `userName` of a user's, `name` of a group's
/// (pysisense `migration/dashboards.py` reads both from `sharesTo`).
const ENTRY_NAMES: [&str; 2] = ["userName", "name"];

/// `share` with the name of its principal, as the shares route answers it.
fn named(world: &World, mut share: Value) -> Value {
    let id = share["shareId"].as_str().unwrap_or_default().to_string();
    let name = match share["type"].as_str() {
        Some("user") => world
            .sisense
            .users
            .iter()
            .find(|u| u.id == id)
            .map(|u| ("userName", u.user_name.clone())),
        Some("group") => world
            .sisense
            .groups
            .iter()
            .find(|g| g.id == id)
            .map(|g| ("name", g.name.clone())),
        _ => None,
    };
    if let (Some((key, name)), Some(entry)) = (name, share.as_object_mut()) {
        entry.insert(key.into(), Value::from(name));
    }
    share
}

/// `POST /api/shares/dashboard/{id}[?adminAccess=true]` with `{"sharesTo": [...]}` (pysisense
/// `dashboard/shares.py`): replaces the whole list.
async fn post_shares(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Option<Json<Value>>,
) -> Response {
    replace_shares(&shared, &id, &query, body, "sharesTo")
}

/// `PATCH /api/v1/dashboards/{id}` with `{"shares": [...]}` (sisense.txt): replaces the whole list.
async fn patch_dashboard(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Option<Json<Value>>,
) -> Response {
    replace_shares(&shared, &id, &query, body, "shares")
}

/// Replaces a dashboard's whole share list with `body[key]`: what is not sent is no longer
/// shared; a duplicate or unknown `shareId` fails the request and changes nothing.
fn replace_shares(
    shared: &Shared,
    id: &str,
    query: &HashMap<String, String>,
    body: Option<Json<Value>>,
    key: &str,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let Some(shares) = body.get(key).and_then(Value::as_array).cloned() else {
        return error(StatusCode::BAD_REQUEST, &format!("{key} must be a list"));
    };
    let mut world = shared.world();
    if let Err((status, message)) = usable(&mut world, id, query) {
        return error(status, message);
    }
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
    // The names an answer added are the server's, derived from the ids: not stored. A share for
    // an inactive user is accepted and dropped (pysisense `datamodel/shares.py`).
    let inactive: Vec<&str> = world
        .sisense
        .users
        .iter()
        .filter(|user| !user.active)
        .map(|user| user.id.as_str())
        .collect();
    let shares: Vec<Value> = shares
        .into_iter()
        .filter(|share| {
            !(share["type"] == "user"
                && inactive.contains(&share["shareId"].as_str().unwrap_or_default()))
        })
        .map(|mut share| {
            if let Some(entry) = share.as_object_mut() {
                entry.retain(|key, _| !ENTRY_NAMES.contains(&key.as_str()));
            }
            share
        })
        .collect();
    match usable(&mut world, id, query) {
        Ok(dashboard) => {
            dashboard.shares = shares;
            Json(json!({"oid": dashboard.oid, "title": dashboard.title, key: dashboard.shares}))
                .into_response()
        }
        Err((status, message)) => error(status, message),
    }
}

/// `POST /api/v1/dashboards/{id}/publish` (sisense.txt; pysisense `dashboard/core.py`,
/// `publish_dashboard`): the owner may publish, and an admin with `adminAccess=true`; a user it is
/// only shared with may not.
async fn publish(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let mut world = shared.world();
    let admin = match admin_access(&world, &query) {
        Ok(admin) => admin,
        Err((status, message)) => return error(status, message),
    };
    let me = caller(&world);
    match world.sisense.dashboards.iter().find(|d| d.oid == id) {
        None => return error(StatusCode::NOT_FOUND, "Dashboard not found"),
        Some(_) if world.sisense.refuse_publish => {
            return error(
                StatusCode::FORBIDDEN,
                "Only the dashboard owner can publish it",
            );
        }
        Some(d) if d.owner != me && !admin => {
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

/// `POST /api/v1/dashboards/{id}/change_owner[?adminAccess=true]` with `{"ownerId",
/// "originalOwnerRule"}` (pysisense `access_management/ownership.py`, NOTES.md Corrections): the
/// owner may hand a dashboard over, an admin with `adminAccess=true` too. The new owner's entry
/// becomes the owner's (no `rule`); the old owner keeps a share at `originalOwnerRule`. The
/// answer has no body: success is the status.
async fn change_owner(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let mut world = shared.world();
    let admin = match admin_access(&world, &query) {
        Ok(admin) => admin,
        Err((status, message)) => return error(status, message),
    };
    let (Some(new), Some(rule)) = (
        body["ownerId"].as_str().map(str::to_string),
        body["originalOwnerRule"]
            .as_str()
            .filter(|r| ["edit", "view"].contains(r)),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "ownerId and originalOwnerRule (edit or view) are required",
        );
    };
    if !world.sisense.users.iter().any(|u| u.id == new && u.active) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("unknown or inactive user '{new}'"),
        );
    }
    let me = caller(&world);
    let Some(dashboard) = world.sisense.dashboards.iter_mut().find(|d| d.oid == id) else {
        return error(StatusCode::NOT_FOUND, "Dashboard not found");
    };
    if dashboard.owner != me && !admin {
        return error(
            StatusCode::FORBIDDEN,
            "Only the dashboard owner can change its owner",
        );
    }
    let old = std::mem::replace(&mut dashboard.owner, new.clone());
    dashboard
        .shares
        .retain(|share| share["shareId"] != new.as_str());
    let old_entry = (dashboard.shares.iter_mut()).find(|share| share["shareId"] == old.as_str());
    match old_entry {
        Some(share) => share["rule"] = json!(rule),
        None => (dashboard.shares)
            .push(json!({"shareId": old, "type": "user", "rule": rule, "subscribe": false})),
    }
    dashboard.shares.insert(
        0,
        json!({"shareId": new, "type": "user", "subscribe": true}),
    );
    StatusCode::OK.into_response()
}

/// Checks a model's new entries as the share write does: each party known, users active (an
/// inactive user's entry is accepted and dropped, pysisense `datamodel/shares.py`).
fn model_entries(
    world: &World,
    body: Option<Json<Value>>,
) -> Result<Vec<Value>, (StatusCode, String)> {
    let Some(Json(Value::Array(entries))) = body else {
        return Err((
            StatusCode::BAD_REQUEST,
            "the body must be a list of permissions".into(),
        ));
    };
    let mut kept = Vec::with_capacity(entries.len());
    for entry in entries {
        let id = entry["partyId"].as_str().unwrap_or_default();
        let known = match entry["type"].as_str() {
            Some("user") => match world.sisense.users.iter().find(|u| u.id == id) {
                Some(user) if !user.active => continue,
                found => found.is_some(),
            },
            Some("group") => world.sisense.groups.iter().any(|g| g.id == id),
            _ => false,
        };
        if !known {
            return Err((StatusCode::BAD_REQUEST, format!("unknown partyId '{id}'")));
        }
        kept.push(entry);
    }
    Ok(kept)
}

/// `GET /api/elasticubes/{address}/{title}/permissions`: an ElastiCube's entries as
/// `{"shares": [...]}` (pysisense `datamodel/shares.py`, `get_datamodel_permissions_extract`).
async fn extract_permissions(
    State(shared): State<Arc<Shared>>,
    Path((_address, title)): Path<(String, String)>,
) -> Response {
    let world = shared.world();
    match world
        .sisense
        .models
        .iter()
        .find(|m| !m.live && m.title == title)
    {
        Some(model) => Json(json!({"shares": model.shares})).into_response(),
        None => error(StatusCode::NOT_FOUND, "ElastiCube not found"),
    }
}

/// `PUT` of the same: the whole list replaces the entries (`update_datamodel_permissions_extract`).
async fn put_extract_permissions(
    State(shared): State<Arc<Shared>>,
    Path((_address, title)): Path<(String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let mut world = shared.world();
    let entries = match model_entries(&world, body) {
        Ok(entries) => entries,
        Err((status, message)) => return error(status, &message),
    };
    match world
        .sisense
        .models
        .iter_mut()
        .find(|m| !m.live && m.title == title)
    {
        Some(model) => {
            model.shares = entries;
            Json(json!({"shares": model.shares})).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "ElastiCube not found"),
    }
}

/// `GET /api/v2/datamodels/schema?title=`: the model with its `oid`, `type` and `shares`
/// (pysisense `datamodel/core.py`, `get_datamodel`).
async fn model_schema(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let title = query.get("title").cloned().unwrap_or_default();
    match world.sisense.models.iter().find(|m| m.title == title) {
        Some(model) => Json(json!({
            "oid": model.oid,
            "title": model.title,
            "type": if model.live { "LIVE" } else { "EXTRACT" },
            "shares": model.shares,
        }))
        .into_response(),
        None => error(StatusCode::NOT_FOUND, "Data model not found"),
    }
}

/// `GET /api/v1/elasticubes/live/{oid}/permissions`: a live model's entries, a list
/// (`get_datamodel_permissions_live`).
async fn live_permissions(State(shared): State<Arc<Shared>>, Path(oid): Path<String>) -> Response {
    let world = shared.world();
    match world.sisense.models.iter().find(|m| m.live && m.oid == oid) {
        Some(model) => Json(model.shares.clone()).into_response(),
        None => error(StatusCode::NOT_FOUND, "Data model not found"),
    }
}

/// `PATCH` of the same: the whole list replaces the entries (`update_datamodel_permissions_live`).
async fn patch_live_permissions(
    State(shared): State<Arc<Shared>>,
    Path(oid): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let mut world = shared.world();
    let entries = match model_entries(&world, body) {
        Ok(entries) => entries,
        Err((status, message)) => return error(status, &message),
    };
    match world
        .sisense
        .models
        .iter_mut()
        .find(|m| m.live && m.oid == oid)
    {
        Some(model) => {
            model.shares = entries;
            Json(model.shares.clone()).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "Data model not found"),
    }
}

/// What this emulator holds: its part of the sandbox `World`.
pub mod world {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_json::{Value, json};

    use crate::sandbox::Account;

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default)]
    pub struct SisenseWorld {
        pub admin: Account,
        pub users: Vec<SisenseUser>,
        pub groups: Vec<SisenseGroup>,
        pub dashboards: Vec<SisenseDashboard>,
        /// How often each dashboard was published.
        pub published: BTreeMap<String, u64>,
        /// Plays a Sisense version that rejects the `adminAccess` query parameter (422).
        pub reject_admin_access: bool,
        /// An API token made in Sisense's UI (user menu → REST API token): good on every call
        /// without a login. Empty: none was made.
        pub api_token: String,
        /// Plays an account that signs in through SSO: the form login refuses it, and only the
        /// API token gets in.
        pub sso_only: bool,
        /// Plays a server that refuses every publish (403), as one would to an account that
        /// may write a dashboard's shares but neither owns it nor is an admin.
        pub refuse_publish: bool,
        /// The data models the dashboards read from.
        pub models: Vec<SisenseModel>,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct SisenseUser {
        #[serde(rename = "_id")]
        pub id: String,
        pub email: String,
        #[serde(rename = "userName")]
        pub user_name: String,
        /// A user that may not sign in; Sisense accepts shares for it and drops them (pysisense
        /// `datamodel/shares.py`, "live-verified").
        #[serde(default = "active")]
        pub active: bool,
        /// The ids of the groups the user belongs to (pysisense `access_management/users.py`
        /// reads a user's `groups`).
        #[serde(default)]
        pub groups: Vec<String>,
    }

    fn active() -> bool {
        true
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct SisenseGroup {
        #[serde(rename = "_id")]
        pub id: String,
        pub name: String,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct SisenseDashboard {
        pub oid: String,
        pub title: String,
        pub owner: String,
        /// Kept as the vendor sends them: `{shareId, type, rule?, subscribe}`.
        pub shares: Vec<Value>,
        /// The data model it reads from: `{title, fullname, address, live}` (pysisense
        /// `utils.py` `_datasource_title`, `_dashboard_admin_record`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub datasource: Option<Value>,
    }

    /// A data model: an ElastiCube (EXTRACT) or a live model, and its entries
    /// `{partyId, type, permission}` (pysisense `datamodel/shares.py`).
    #[derive(Debug, Clone, Serialize, Deserialize)]
    pub struct SisenseModel {
        pub oid: String,
        pub title: String,
        pub live: bool,
        pub shares: Vec<Value>,
    }

    impl SisenseModel {
        /// The `datasource` a dashboard reading from this model carries.
        pub fn datasource(&self) -> Value {
            if self.live {
                json!({"title": self.title, "fullname": format!("live:{}", self.title), "live": true})
            } else {
                json!({"title": self.title, "fullname": format!("LocalHost/{}", self.title), "address": "LocalHost", "live": false})
            }
        }
    }

    impl SisenseWorld {
        /// The sample data `World::seeded` starts from.
        pub fn seeded() -> Self {
            let sisense_user = |id: &str, email: &str, name: &str| SisenseUser {
                id: id.into(),
                email: email.into(),
                user_name: name.into(),
                active: true,
                groups: Vec::new(),
            };
            // An ElastiCube that Marketing queries (bob on his own), and a live model for the
            // Sales Team EMEA.
            let ecommerce = SisenseModel {
                oid: "5c0000000000000000000e01".into(),
                title: "Sample ECommerce".into(),
                live: false,
                shares: vec![
                    json!({"partyId": "6a0000000000000000000001", "type": "group", "permission": "r"}),
                    json!({"partyId": "5f0000000000000000000003", "type": "user", "permission": "a"}),
                ],
            };
            let live = SisenseModel {
                oid: "5c0000000000000000000f01".into(),
                title: "Sales Live".into(),
                live: true,
                shares: vec![
                    json!({"partyId": "6a0000000000000000000002", "type": "group", "permission": "r"}),
                ],
            };
            SisenseWorld {
                admin: Account {
                    username: "admin@sandbox.example".into(),
                    password: "Sandbox+pass&1%".into(),
                },
                users: vec![
                    sisense_user(
                        "5f0000000000000000000001",
                        "admin@sandbox.example",
                        "admin@sandbox.example",
                    ),
                    SisenseUser {
                        groups: vec!["6a0000000000000000000001".into()],
                        ..sisense_user("5f0000000000000000000002", "alice@example.com", "alice")
                    },
                    sisense_user("5f0000000000000000000003", "bob@example.com", "bob"),
                    sisense_user("5f0000000000000000000004", "carol+bi@example.com", "carol"),
                    sisense_user(
                        "5f0000000000000000000005",
                        "dan.o'brien@example.com",
                        "dan.obrien",
                    ),
                    sisense_user("5f0000000000000000000006", "erin@example.com", "erin"),
                    // Deactivated: Sisense accepts a share for him and drops it.
                    SisenseUser {
                        active: false,
                        ..sisense_user("5f0000000000000000000007", "dave@example.com", "dave")
                    },
                ],
                groups: vec![
                    SisenseGroup {
                        id: "6a0000000000000000000001".into(),
                        name: "Marketing".into(),
                    },
                    SisenseGroup {
                        id: "6a0000000000000000000002".into(),
                        name: "Sales Team EMEA".into(),
                    },
                    SisenseGroup {
                        id: "6a0000000000000000000003".into(),
                        name: "R&D + Ops".into(),
                    },
                    // Sisense fills these two with every user itself; the share dialog's
                    // "Everyone" is the first (pysisense `access_management/groups.py`
                    // `_UNIVERSAL_GROUPS`; documentation.sisense.com, "Sharing dashboards").
                    SisenseGroup {
                        id: "6a00000000000000000000e1".into(),
                        name: "Everyone".into(),
                    },
                    SisenseGroup {
                        id: "6a00000000000000000000e2".into(),
                        name: "All users in system".into(),
                    },
                ],
                dashboards: vec![
                    SisenseDashboard {
                        oid: "5829b46bd009e91420000047".into(),
                        title: "Sales KPIs".into(),
                        datasource: Some(ecommerce.datasource()),
                        owner: "5f0000000000000000000001".into(),
                        shares: vec![
                            json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true}),
                            json!({"shareId": "5f0000000000000000000003", "type": "user", "rule": "edit", "subscribe": true}),
                            json!({"shareId": "6a0000000000000000000001", "type": "group", "rule": "view", "subscribe": false}),
                        ],
                    },
                    SisenseDashboard {
                        oid: "5dc5c237832aeb53441186bb".into(),
                        title: "Quarterly Review".into(),
                        datasource: Some(live.datasource()),
                        owner: "5f0000000000000000000001".into(),
                        shares: vec![
                            json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true}),
                        ],
                    },
                    SisenseDashboard {
                        oid: "5dc5c237832aeb53441186bc".into(),
                        title: "Quarterly Review".into(),
                        datasource: Some(live.datasource()),
                        owner: "5f0000000000000000000001".into(),
                        shares: vec![
                            json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true}),
                        ],
                    },
                    // Owned by alice, not by the admin dashshare logs in as, and not shared with it:
                    // the usual case of a bulk-share service account (NOTES.md Corrections).
                    SisenseDashboard {
                        oid: "5e1d00000000000000000a01".into(),
                        title: "Regional Margins".into(),
                        datasource: Some(ecommerce.datasource()),
                        owner: "5f0000000000000000000002".into(),
                        shares: vec![
                            json!({"shareId": "5f0000000000000000000002", "type": "user", "subscribe": true}),
                            json!({"shareId": "5f0000000000000000000003", "type": "user", "rule": "view", "subscribe": false}),
                            json!({"shareId": "6a0000000000000000000002", "type": "group", "rule": "edit", "subscribe": true}),
                        ],
                    },
                ],
                models: vec![ecommerce, live],
                published: BTreeMap::new(),
                reject_admin_access: false,
                api_token: "sisense-api-token-Sandbox+tok&1".into(),
                sso_only: false,
                refuse_publish: false,
            }
        }

        /// The user record of the account that logs in, if the world has one.
        pub fn admin_user(&self) -> Option<&SisenseUser> {
            self.users.iter().find(|u| u.email == self.admin.username)
        }

        /// Adds `count` dashboards owned by the admin and shared with nobody else, for load tests.
        pub fn add_bulk_dashboards(&mut self, count: usize) {
            let owner = self.admin_user().map(|u| u.id.clone()).unwrap_or_default();
            for n in 0..count {
                self.dashboards.push(SisenseDashboard {
                    oid: format!("b{n:023x}"),
                    title: format!("Bulk {n:05}"),
                    owner: owner.clone(),
                    shares: vec![json!({"shareId": owner, "type": "user", "subscribe": true})],
                    datasource: None,
                });
            }
        }
    }
}
