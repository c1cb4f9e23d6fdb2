//! mindzieStudio, as its official client and docs describe it: `Authorization: Bearer <API key>`,
//! today's authenticated pings, a paged dashboard list, the dashboard URL endpoint, and the older
//! page's public share links (created, listed with usage, updated, revoked with 204, and gone once
//! expired). Errors are `{"Error": …}`, as the current docs show them.
//!
//! Sources: mindzie-api 2.0.0 (PyPI; `controllers/dashboard.py`, `controllers/project.py`),
//! docs.mindziestudio.com/mindzie_api/dashboard/management and …/dashboard/sharing ("the current
//! docs"), and vendor-docs/mindzie.txt ("the older page"). Neither the client nor the current docs
//! have the share-link routes; this emulator keeps them, as a server that still offers them would.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::World;

pub(super) static EMULATOR: super::Emulator = super::Emulator {
    router,
    secret,
    profile_keys,
    cast,
};

/// The first dashboard; mindzie shares with people only through public links.
fn cast(world: &super::World) -> Option<super::Cast> {
    Some(super::Cast {
        dashboard: world.mindzie.dashboards.first()?.dashboard_id.clone(),
        user: None,
        group: None,
    })
}

fn secret(world: &super::World) -> super::Secret {
    super::Secret {
        key: "token",
        var: "SANDBOX_MINDZIE_TOKEN",
        value: world.mindzie.token.clone(),
    }
}

fn profile_keys(world: &super::World) -> String {
    format!(
        "tenant_id = \"{}\"\nproject_id = \"{}\"\n",
        world.mindzie.tenant_id, world.mindzie.project_id
    )
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        // The client's ProjectController.ping; current docs, project/management.
        .route("/api/{tenant}/project/ping", get(project_ping))
        // The client's DashboardController.ping; current docs, dashboard/management.
        .route(
            "/api/{tenant}/{project}/dashboard/ping",
            get(dashboard_ping),
        )
        // The client's DashboardController.get_all; current docs, dashboard/management.
        .route("/api/{tenant}/{project}/dashboard", get(dashboards))
        // The client's DashboardController.get_url; current docs, dashboard/sharing (flat
        // answer); the older page for `includePublic` and its `urls` answer.
        .route("/api/{tenant}/{project}/dashboard/{id}/url", get(urls))
        // The older page only (mindzie.txt, "List Share Links").
        .route(
            "/api/{tenant}/{project}/dashboard/{id}/shares",
            get(list_links),
        )
        // The older page only (mindzie.txt, "Create Public Share Link").
        .route(
            "/api/{tenant}/{project}/dashboard/{id}/share",
            axum::routing::post(create_link),
        )
        // The older page only (mindzie.txt, "Update Share Settings", "Revoke Share Link").
        .route(
            "/api/{tenant}/{project}/dashboard/{id}/share/{share}",
            put(update_link).delete(revoke_link),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

/// The current docs' error body (dashboard/sharing, "Not Found (404)"); the client reads the
/// same key in lower case, which servers may also send.
fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"Error": message}))).into_response()
}

/// Where the emulated instance says its dashboards live.
const HOST: &str = "https://mindzie.sandbox.example";

async fn authorize(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let expected = format!("Bearer {}", shared.world().mindzie.token);
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if given != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "Unauthorized");
    }
    next.run(request).await
}

/// The current docs answer the pings with plain text, "Ping Successful (tenant id: …)". An
/// unknown tenant or project answering 404 is this emulator's assumption: the docs do not say.
async fn dashboard_ping(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project)): Path<(String, String)>,
) -> Response {
    let world = shared.world();
    if tenant != world.mindzie.tenant_id || project != world.mindzie.project_id {
        return error(StatusCode::NOT_FOUND, "Tenant or project not found");
    }
    format!("Ping Successful (tenant id: {tenant})").into_response()
}

async fn project_ping(State(shared): State<Arc<Shared>>, Path(tenant): Path<String>) -> Response {
    if tenant != shared.world().mindzie.tenant_id {
        return error(StatusCode::NOT_FOUND, "Tenant not found");
    }
    format!("Ping Successful (tenant id: {tenant})").into_response()
}

/// The dashboard's name, if the path names this sandbox's tenant, project and one of its
/// dashboards; else what the 404 says.
fn find_dashboard(
    world: &World,
    tenant: &str,
    project: &str,
    id: &str,
) -> Result<String, &'static str> {
    if tenant != world.mindzie.tenant_id || project != world.mindzie.project_id {
        return Err("Tenant or project not found");
    }
    world
        .mindzie
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == id)
        .map(|d| d.name.clone())
        .ok_or("Dashboard not found")
}

fn expired(link: &Value, now: DateTime<Utc>) -> bool {
    let enabled = link
        .pointer("/expiration/enabled")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let at = link
        .pointer("/expiration/expirationDate")
        .and_then(Value::as_str)
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok());
    enabled && at.is_some_and(|at| at <= now)
}

/// A link as the API shows it: never with its access control (the password lives there).
fn shown(link: &Value) -> Value {
    let mut link = link.clone();
    if let Some(object) = link.as_object_mut() {
        object.remove("accessControl");
        object.remove("dashboardId");
    }
    link
}

async fn dashboards(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    if tenant != world.mindzie.tenant_id || project != world.mindzie.project_id {
        return error(StatusCode::NOT_FOUND, "Tenant or project not found");
    }
    let size: usize = query
        .get("pageSize")
        .and_then(|s| s.parse().ok())
        .unwrap_or(50)
        .clamp(1, 500);
    let page: usize = query
        .get("page")
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    let items: Vec<Value> = world
        .mindzie
        .dashboards
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|d| {
            json!({
                "dashboardId": d.dashboard_id,
                "projectId": world.mindzie.project_id,
                "name": d.name,
                "description": Value::Null,
                "panelCount": 0,
                "url": format!("{HOST}/dashboard/{}", d.dashboard_id),
            })
        })
        .collect();
    // The current docs' listing: `{dashboards, totalCount, page, pageSize}`.
    Json(json!({"dashboards": items, "totalCount": world.mindzie.dashboards.len(), "page": page, "pageSize": size})).into_response()
}

/// Today's answer is the current docs' flat `{dashboardId, url, embedUrl}`. `includePublic=true`
/// is the older page's parameter, so it gets the older page's answer, with `urls.public` and
/// `urls.publicEmbed` when the dashboard has a live link.
async fn urls(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project, id)): Path<(String, String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let world = shared.world();
    let name = match find_dashboard(&world, &tenant, &project, &id) {
        Ok(name) => name,
        Err(message) => {
            return (
                StatusCode::NOT_FOUND,
                Json(json!({"Error": message, "DashboardId": id})),
            )
                .into_response();
        }
    };
    if query.get("includePublic").map(String::as_str) != Some("true") {
        return Json(json!({
            "dashboardId": id,
            "url": format!("{HOST}/dashboard/{id}"),
            "embedUrl": format!("{HOST}/embed/dashboard/{id}"),
        }))
        .into_response();
    }
    let mut urls = json!({
        "authenticated": format!("{HOST}/dashboard/{id}"),
        "embed": format!("{HOST}/embed/dashboard/{id}"),
    });
    let now = Utc::now();
    let public = world
        .mindzie
        .links
        .iter()
        .find(|(_, link)| link["dashboardId"] == id.as_str() && !expired(link, now));
    if let Some((token, _)) = public {
        urls["public"] = json!(format!("{HOST}/public/dashboard/{id}?token={token}"));
        urls["publicEmbed"] = json!(format!("{HOST}/public/embed/dashboard/{id}?token={token}"));
    }
    let embedding = public
        .is_some_and(|(_, l)| l.pointer("/permissions/allowEmbedding") != Some(&json!(false)));
    Json(json!({
        "dashboardId": id,
        "dashboardName": name,
        "urls": urls,
        "permissions": {"publicAccess": public.is_some(), "embeddingEnabled": embedding, "expirationDate": Value::Null}
    }))
    .into_response()
}

async fn list_links(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project, id)): Path<(String, String, String)>,
) -> Response {
    let world = shared.world();
    if let Err(message) = find_dashboard(&world, &tenant, &project, &id) {
        return error(StatusCode::NOT_FOUND, message);
    }
    let now = Utc::now();
    let shares: Vec<Value> = world
        .mindzie
        .links
        .values()
        .filter(|link| link["dashboardId"] == id.as_str() && !expired(link, now))
        .map(shown)
        .collect();
    Json(json!({"dashboardId": id, "shares": shares})).into_response()
}

async fn create_link(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project, id)): Path<(String, String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let mut world = shared.world();
    if let Err(message) = find_dashboard(&world, &tenant, &project, &id) {
        return error(StatusCode::NOT_FOUND, message);
    }
    if let Some(at) = body
        .pointer("/expiration/expirationDate")
        .and_then(Value::as_str)
    {
        match DateTime::parse_from_rfc3339(at) {
            Ok(at) if at > Utc::now() => {}
            Ok(_) => return error(StatusCode::BAD_REQUEST, "expirationDate is in the past"),
            Err(_) => return error(StatusCode::BAD_REQUEST, "expirationDate must be ISO-8601"),
        }
    }
    let number = world.mindzie.next_link;
    world.mindzie.next_link += 1;
    let share_id = format!("sbx{number:09x}");
    let link = json!({
        "shareId": share_id,
        "dashboardId": id,
        "publicUrl": format!("{HOST}/public/dashboard/{id}?token={share_id}"),
        "embedUrl": format!("{HOST}/public/embed/dashboard/{id}?token={share_id}"),
        "permissions": body.get("permissions").cloned().unwrap_or(json!({})),
        "expiration": body.get("expiration").cloned().unwrap_or(json!({"enabled": false})),
        "accessControl": body.get("accessControl").cloned().unwrap_or(json!({})),
        "usage": {"totalViews": 0, "uniqueVisitors": 0, "lastAccessed": null},
        "dateCreated": crate::links::iso_utc(Utc::now()),
    });
    world.mindzie.links.insert(share_id, link.clone());
    Json(shown(&link)).into_response()
}

/// Merges an update into a link, section by section, as a partial update does.
fn merge(target: &mut Value, update: &Value) {
    match (target, update) {
        (Value::Object(target), Value::Object(update)) => {
            for (key, value) in update {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (target, update) => *target = update.clone(),
    }
}

async fn update_link(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project, id, share)): Path<(String, String, String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let Some(Json(body)) = body else {
        return error(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let mut world = shared.world();
    if let Err(message) = find_dashboard(&world, &tenant, &project, &id) {
        return error(StatusCode::NOT_FOUND, message);
    }
    let mut body = body;
    if let Some(object) = body.as_object_mut() {
        // A link's identity is not the update's to change.
        for key in [
            "shareId",
            "dashboardId",
            "publicUrl",
            "embedUrl",
            "usage",
            "dateCreated",
        ] {
            object.remove(key);
        }
    }
    let now = Utc::now();
    match world.mindzie.links.get_mut(&share) {
        Some(link) if link["dashboardId"] == id.as_str() && !expired(link, now) => {
            merge(link, &body);
            Json(shown(link)).into_response()
        }
        _ => error(StatusCode::NOT_FOUND, "Share link not found"),
    }
}

async fn revoke_link(
    State(shared): State<Arc<Shared>>,
    Path((tenant, project, id, share)): Path<(String, String, String, String)>,
) -> Response {
    let mut world = shared.world();
    if let Err(message) = find_dashboard(&world, &tenant, &project, &id) {
        return error(StatusCode::NOT_FOUND, message);
    }
    let belongs = world
        .mindzie
        .links
        .get(&share)
        .is_some_and(|l| l["dashboardId"] == id.as_str() && !expired(l, Utc::now()));
    if !belongs {
        return error(StatusCode::NOT_FOUND, "Share link not found");
    }
    world.mindzie.links.remove(&share);
    StatusCode::NO_CONTENT.into_response()
}

/// What this emulator holds: its part of the sandbox `World`.
pub mod world {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};
    use serde_json::Value;

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default)]
    pub struct MindzieWorld {
        pub token: String,
        pub tenant_id: String,
        pub project_id: String,
        pub dashboards: Vec<MindzieDashboard>,
        /// Share id → the link, as the vendor answers it (with `accessControl`, which it never shows).
        pub links: BTreeMap<String, Value>,
        pub next_link: u64,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct MindzieDashboard {
        pub dashboard_id: String,
        pub name: String,
    }

    impl MindzieWorld {
        /// The sample data `World::seeded` starts from.
        pub fn seeded() -> Self {
            MindzieWorld {
                token: "mindzie-sandbox-token".into(),
                tenant_id: "11111111-1111-4111-8111-111111111111".into(),
                project_id: "22222222-2222-4222-8222-222222222222".into(),
                dashboards: vec![
                    MindzieDashboard {
                        dashboard_id: "550e8400-e29b-41d4-a716-446655440000".into(),
                        name: "Process Performance".into(),
                    },
                    MindzieDashboard {
                        dashboard_id: "550e8400-e29b-41d4-a716-446655440001".into(),
                        name: "Conformance Overview".into(),
                    },
                ],
                links: BTreeMap::new(),
                next_link: 1,
            }
        }

        /// Adds `count` dashboards, for load tests.
        pub fn add_bulk_dashboards(&mut self, count: usize) {
            for n in 0..count {
                self.dashboards.push(MindzieDashboard {
                    dashboard_id: format!("00000000-0000-4000-8000-{n:012x}"),
                    name: format!("Bulk {n:05}"),
                });
            }
        }
    }
}
