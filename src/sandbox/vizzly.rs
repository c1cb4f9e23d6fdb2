//! Vizzly, as vizzly.txt describes it: `auth: Api-Key …`, and one permissions endpoint where PUT
//! grants and DELETE revokes. Like the real API it offers no way to read permissions back.
//! Vizzly documents none of this route's answers: the bodies below (`{"success": true}`,
//! `{"message": …}`) are ours, and dashshare reads no success body.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::put;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::Shared;
use world::VizzlyPermission;

pub(super) static EMULATOR: super::Emulator = super::Emulator {
    router,
    secret,
    profile_keys,
    cast,
};

/// The first permission's dashboard, and a user reference without a permission.
fn cast(world: &super::World) -> Option<super::Cast> {
    let permissions = &world.vizzly.permissions;
    let dashboard = permissions.first()?.dashboard_id.clone();
    // Vizzly keeps no users: a reference is whatever the customer's identity logic issued, so
    // any reference without a permission is a user the dashboard is not shared with.
    let user = (1..)
        .map(|n| format!("conformance-user-{n}"))
        .find(|reference| !permissions.iter().any(|p| &p.user_reference == reference));
    Some(super::Cast {
        dashboard,
        user,
        group: None,
    })
}

fn secret(world: &super::World) -> super::Secret {
    super::Secret {
        key: "api_key",
        var: "SANDBOX_VIZZLY_API_KEY",
        value: world.vizzly.api_key.clone(),
    }
}

fn profile_keys(_world: &super::World) -> String {
    String::new()
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/api/v3/project/end-user/permissions",
            put(permissions).delete(permissions),
        )
        .with_state(shared)
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"message": message}))).into_response()
}

/// vizzly.txt (docs.vizzly.co/sharing): PUT and DELETE on `/api/v3/project/end-user/permissions`
/// with `auth: Api-Key <project API key>` and `{"permissions": [{dashboard_id, scope,
/// user_reference}]}`; `scope` is `read` or `read_write` as `@vizzly/dashboard` 0.4.16 types it
/// (`RawDashboardPermission`). There a `user_reference` of `*` means every end user; this
/// emulator stores it like any other reference, and dashshare never sends it.
async fn permissions(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Response {
    let expected = format!("Api-Key {}", shared.world().vizzly.api_key);
    if headers.get("auth").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return error(StatusCode::UNAUTHORIZED, "invalid project API key");
    }
    let Some(items) = body
        .as_ref()
        .and_then(|Json(b)| b.get("permissions"))
        .and_then(Value::as_array)
    else {
        return error(StatusCode::BAD_REQUEST, "permissions is required");
    };
    let mut parsed = Vec::new();
    for item in items {
        let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
        match (
            field("dashboard_id"),
            field("scope"),
            field("user_reference"),
        ) {
            (Some(dashboard_id), Some(scope), Some(user_reference))
                if scope == "read" || scope == "read_write" =>
            {
                parsed.push(VizzlyPermission {
                    dashboard_id,
                    scope,
                    user_reference,
                })
            }
            _ => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "each permission needs dashboard_id, scope (read | read_write) and user_reference",
                );
            }
        }
    }
    let mut world = shared.world();
    if method == Method::PUT {
        world.vizzly.permissions.extend(parsed);
    } else {
        for permission in &parsed {
            world.vizzly.permissions.remove(permission);
        }
    }
    Json(json!({"success": true})).into_response()
}

/// What this emulator holds: its part of the sandbox `World`.
pub mod world {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default)]
    pub struct VizzlyWorld {
        pub api_key: String,
        pub permissions: BTreeSet<VizzlyPermission>,
    }

    #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
    pub struct VizzlyPermission {
        pub dashboard_id: String,
        pub scope: String,
        pub user_reference: String,
    }

    impl VizzlyWorld {
        /// The sample data `World::seeded` starts from.
        pub fn seeded() -> Self {
            VizzlyWorld {
                api_key: "vizzly_project_api_key_sandbox:::key".into(),
                permissions: BTreeSet::from([VizzlyPermission {
                    dashboard_id: "dsh_0f3a".into(),
                    scope: "read".into(),
                    user_reference: "customer-1".into(),
                }]),
            }
        }
    }
}
