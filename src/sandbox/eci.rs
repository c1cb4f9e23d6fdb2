//! ECI (EnergyCAP v3), as eci.txt, NOTES.md and EnergyCAP's own SDK (EnergyCapSdk 8.2309.4878,
//! `energy_cap_api.py` and `models/*.py`) describe it: the `ECI-ApiKey` header on every call,
//! `filter=field equals 'value'` / `field one of 'a'|'b'` look-ups (values always quoted) with paging
//! headers, answers under the SDK models' keys, and a share PUT that replaces all three fields and
//! refuses user or group lists beside `sharedWithEveryone: true`.

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
use world::EciDashboard;

pub(super) static EMULATOR: super::Emulator = super::Emulator {
    router,
    secret,
    profile_keys,
    cast,
};

/// A shared dashboard, a user and a group it is not shared with.
fn cast(world: &super::World) -> Option<super::Cast> {
    let eci = &world.eci;
    let dashboard = eci
        .dashboards
        .iter()
        .find(|d| !d.shared_user_ids.is_empty())?;
    Some(super::Cast {
        dashboard: dashboard.dashboard_id.to_string(),
        user: eci
            .users
            .iter()
            .find(|user| !dashboard.shared_user_ids.contains(&user.user_id))
            .map(|user| user.email.clone()),
        group: eci
            .groups
            .iter()
            .find(|group| {
                !dashboard
                    .shared_user_group_ids
                    .contains(&group.user_group_id)
            })
            .map(|group| group.user_group_name.clone()),
    })
}

fn secret(world: &super::World) -> super::Secret {
    super::Secret {
        key: "api_key",
        var: "SANDBOX_ECI_API_KEY",
        value: world.eci.api_key.clone(),
    }
}

fn profile_keys(_world: &super::World) -> String {
    String::new()
}

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        // GetUsersV3: SDK `get_users`, url '/api/v3/user', answers [UserResponse].
        .route("/api/v3/user", get(users))
        // SDK `get_user_groups`, url '/api/v3/userGroup', answers [UserGroupResponse].
        .route("/api/v3/userGroup", get(groups))
        // SDK `get_dashboards`, url '/api/v3/dashboard', answers [DashboardResponse].
        .route("/api/v3/dashboard", get(dashboards))
        // SDK `get_dashboard_share` / `edit_dashboard_share` (eci.txt: EditDashboardShareV3),
        // both answering ShareResponse.
        .route(
            "/api/v3/dashboard/{id}/share",
            get(read_share).put(write_share),
        )
        .route_layer(middleware::from_fn_with_state(shared.clone(), authorize))
        .with_state(shared)
}

/// EnergyCAP does not document its error body (Getting Started lists the statuses only);
/// `{"message": …}` is assumed, and the client reads it without relying on it.
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

/// One statement of a filter: a field (compared without regard to case) and the values it accepts.
#[derive(Debug, PartialEq, Eq)]
struct Statement {
    field: String,
    values: Vec<String>,
}

/// Parses `field equals 'v'` and `field one of 'a'|'b'`, statements joined by ` and ` (Filters
/// page). Every value must be single-quoted, numbers too, with a quote inside doubled; anything
/// else is a malformed filter and `Err` says why.
fn parse_filter(filter: &str) -> Result<Vec<Statement>, String> {
    let mut statements = Vec::new();
    let mut rest = filter.trim();
    while !rest.is_empty() {
        let (field, after) = rest
            .split_once(' ')
            .ok_or_else(|| format!("'{rest}' has no operator"))?;
        let after = after.trim_start();
        let (many, after) = if let Some(after) = after.strip_prefix("one of ") {
            (true, after)
        } else if let Some(after) = after.strip_prefix("equals ") {
            (false, after)
        } else {
            return Err(format!("unsupported operator after '{field}'"));
        };
        let (values, after) = quoted_values(after.trim_start(), many)
            .ok_or_else(|| format!("the value of '{field}' must be single-quoted"))?;
        statements.push(Statement {
            field: field.to_lowercase(),
            values,
        });
        rest = after.trim_start();
        if !rest.is_empty() {
            rest = rest
                .strip_prefix("and ")
                .ok_or_else(|| format!("expected 'and' before '{rest}'"))?;
        }
    }
    if statements.is_empty() {
        return Err("the filter is empty".into());
    }
    Ok(statements)
}

/// The quoted value(s) at the start of `text` (`'a'` or, with `many`, `'a'|'b'`) and what follows.
fn quoted_values(text: &str, many: bool) -> Option<(Vec<String>, &str)> {
    let mut values = Vec::new();
    let mut rest = text;
    loop {
        let (value, after) = one_quoted(rest)?;
        values.push(value);
        rest = after;
        match rest.strip_prefix('|') {
            Some(next) if many => rest = next,
            _ => return Some((values, rest)),
        }
    }
}

/// `'…'` with `''` for a quote inside.
fn one_quoted(text: &str) -> Option<(String, &str)> {
    let mut chars = text.strip_prefix('\'')?.char_indices().peekable();
    let mut value = String::new();
    while let Some((at, c)) = chars.next() {
        if c != '\'' {
            value.push(c);
            continue;
        }
        if chars.peek().is_some_and(|(_, next)| *next == '\'') {
            chars.next();
            value.push('\'');
            continue;
        }
        return Some((value, &text[at + 2..]));
    }
    None
}

/// Whether `item` passes every statement. `fields` maps a filter field to the answer key it
/// filters (GetUsersV3 filters `systemUserCode` but answers `userCode`); strings compare without
/// regard to case, like the SQL Server behind EnergyCAP usually does.
fn passes(item: &Value, statements: &[Statement], fields: &[(&str, &str)]) -> bool {
    statements.iter().all(|statement| {
        let key = fields
            .iter()
            .find(|(filter, _)| filter.eq_ignore_ascii_case(&statement.field))
            .map(|(_, key)| *key);
        let value = key.and_then(|key| item.get(key));
        statement.values.iter().any(|wanted| match value {
            Some(Value::String(text)) => text.eq_ignore_ascii_case(wanted),
            Some(Value::Number(number)) => number.to_string() == *wanted,
            Some(Value::Bool(flag)) => flag.to_string().eq_ignore_ascii_case(wanted),
            _ => false,
        })
    })
}

/// The filter fields dashshare finds people and groups by. EnergyCAP documents none of them (its
/// public GetUsersV3 reference lists `canManageFlags` only): NOTES.md, Corrections 2026-12-07,
/// "EnergyCAP filter fields are undocumented … A server may refuse them (400) or ignore them
/// (answer unfiltered)". The world's switches make this emulator one of those servers.
const IDENTITY_FILTERS: &[&str] = &[
    "email",
    "systemUserCode",
    "systemUserID",
    "userGroupName",
    "userGroupID",
];

/// How this server treats the identity filter fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IdentityFilters {
    Honoured,
    /// 400, naming the field, for any filter on one of them.
    Refused,
    /// Statements on them are dropped: the answer is the listing, unfiltered by them.
    Ignored,
}

impl IdentityFilters {
    fn of(eci: &world::EciWorld) -> Self {
        if eci.refuse_identity_filters {
            IdentityFilters::Refused
        } else if eci.ignore_identity_filters {
            IdentityFilters::Ignored
        } else {
            IdentityFilters::Honoured
        }
    }
}

/// The identity field a statement filters on, as the API spells it.
fn identity_field(statement: &Statement) -> Option<&'static str> {
    IDENTITY_FILTERS
        .iter()
        .find(|field| field.eq_ignore_ascii_case(&statement.field))
        .copied()
}

/// One page of `items`, filtered, with the paging headers the API sends (Paging page:
/// `pageSize` up to 1000, `pageNumber`; `TotalPages`, `TotalNumberOfRecords`).
fn page(
    items: Vec<Value>,
    query: &HashMap<String, String>,
    fields: &[(&str, &str)],
    identity: IdentityFilters,
) -> Response {
    let items: Vec<Value> = match query.get("filter") {
        None => items,
        Some(filter) => {
            let mut statements = match parse_filter(filter) {
                Ok(statements) => statements,
                Err(why) => {
                    return error(StatusCode::BAD_REQUEST, &format!("malformed filter: {why}"));
                }
            };
            match identity {
                IdentityFilters::Honoured => {}
                IdentityFilters::Refused => {
                    if let Some(field) = statements.iter().find_map(identity_field) {
                        return error(
                            StatusCode::BAD_REQUEST,
                            &format!("'{field}' is not a valid filter field for this list"),
                        );
                    }
                }
                IdentityFilters::Ignored => statements.retain(|s| identity_field(s).is_none()),
            }
            if let Some(unknown) = statements.iter().find(|s| {
                !fields
                    .iter()
                    .any(|(filter, _)| filter.eq_ignore_ascii_case(&s.field))
            }) {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("'{}' is not a filter field of this list", unknown.field),
                );
            }
            items
                .into_iter()
                .filter(|item| passes(item, &statements, fields))
                .collect()
        }
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

/// GetUsersV3 filter fields (developer.energycap.com) and the UserResponse keys they filter.
const USER_FILTERS: &[(&str, &str)] = &[
    ("email", "email"),
    ("fullName", "fullName"),
    ("systemUserCode", "userCode"),
    ("systemUserID", "userId"),
    ("active", "active"),
];
/// Group filters: `userGroupName` as eci.txt's notes give it; `userGroupID` by analogy (unverified).
const GROUP_FILTERS: &[(&str, &str)] = &[
    ("userGroupName", "userGroupName"),
    ("userGroupID", "userGroupId"),
];
/// Dashboard filter fields are not documented; `dashboardInfo` is assumed.
const DASHBOARD_FILTERS: &[(&str, &str)] = &[("dashboardInfo", "dashboardInfo")];

/// UserResponse (SDK `models/user_response.py`), with the fields dashshare reads.
async fn users(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items = shared
        .world()
        .eci
        .users
        .iter()
        .map(|u| {
            json!({
                "userId": u.user_id,
                "userCode": u.user_code,
                "fullName": u.full_name,
                "email": u.email,
                "active": true,
            })
        })
        .collect();
    let identity = IdentityFilters::of(&shared.world().eci);
    page(items, &query, USER_FILTERS, identity)
}

/// UserGroupResponse (SDK `models/user_group_response.py`).
async fn groups(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items = shared
        .world()
        .eci
        .groups
        .iter()
        .map(|g| {
            json!({
                "userGroupId": g.user_group_id,
                "userGroupName": g.user_group_name,
                "description": null,
                "memberCount": 0,
            })
        })
        .collect();
    let identity = IdentityFilters::of(&shared.world().eci);
    page(items, &query, GROUP_FILTERS, identity)
}

/// DashboardResponse (SDK `models/dashboard_response.py`): the title is `dashboardInfo`.
async fn dashboards(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let items = shared
        .world()
        .eci
        .dashboards
        .iter()
        .map(|d| {
            json!({
                "dashboardId": d.dashboard_id,
                "dashboardInfo": d.dashboard_info,
                "description": null,
                "shared": d.shared_with_everyone
                    || !d.shared_user_ids.is_empty()
                    || !d.shared_user_group_ids.is_empty(),
                "public": false,
            })
        })
        .collect();
    page(items, &query, DASHBOARD_FILTERS, IdentityFilters::Honoured)
}

fn share_response(shared: &Shared, dashboard: &EciDashboard) -> Value {
    let world = shared.world();
    let users: Vec<Value> = world
        .eci
        .users
        .iter()
        // UserChild (SDK `models/user_child.py`).
        .filter(|u| dashboard.shared_user_ids.contains(&u.user_id))
        .map(|u| json!({"userId": u.user_id, "userCode": u.user_code, "fullName": u.full_name}))
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
            .all(|u| eci.users.iter().any(|x| x.user_id == *u))
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

/// What this emulator holds: its part of the sandbox `World`.
pub mod world {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Serialize};

    #[derive(Debug, Clone, Default, Serialize, Deserialize)]
    #[serde(default)]
    pub struct EciWorld {
        pub api_key: String,
        pub users: Vec<EciUser>,
        pub groups: Vec<EciGroup>,
        pub dashboards: Vec<EciDashboard>,
        /// A server that refuses the identity filters (400 naming the field) or ignores them
        /// (answers unfiltered): NOTES.md, Corrections 2026-12-07, "EnergyCAP filter fields are
        /// undocumented". Both off by default, and left out of a saved world while off.
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pub refuse_identity_filters: bool,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        pub ignore_identity_filters: bool,
    }

    /// Named as EnergyCAP's UserResponse names them (EnergyCapSdk `models/user_response.py`); seeds
    /// written with the earlier `systemUser…` names still load.
    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct EciUser {
        #[serde(alias = "systemUserId")]
        pub user_id: i64,
        #[serde(alias = "systemUserCode")]
        pub user_code: String,
        pub full_name: String,
        pub email: String,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct EciGroup {
        pub user_group_id: i64,
        pub user_group_name: String,
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    pub struct EciDashboard {
        pub dashboard_id: i64,
        /// The title, as DashboardResponse names it (EnergyCapSdk `models/dashboard_response.py`).
        #[serde(alias = "dashboardDescription")]
        pub dashboard_info: String,
        #[serde(default)]
        pub shared_user_ids: BTreeSet<i64>,
        #[serde(default)]
        pub shared_user_group_ids: BTreeSet<i64>,
        #[serde(default)]
        pub shared_with_everyone: bool,
    }

    impl EciWorld {
        /// The sample data `World::seeded` starts from.
        pub fn seeded() -> Self {
            let eci_user = |id: i64, code: &str, name: &str, email: &str| EciUser {
                user_id: id,
                user_code: code.into(),
                full_name: name.into(),
                email: email.into(),
            };
            EciWorld {
                api_key: "sandbox-eci-key".into(),
                users: vec![
                    eci_user(5, "BOB", "Bob Baker", "bob@example.com"),
                    eci_user(11, "ALICE", "Alice Adams", "alice@example.com"),
                    eci_user(12, "O'BRIEN", "Dan O'Brien", "dan.o'brien@example.com"),
                ],
                groups: vec![
                    EciGroup {
                        user_group_id: 3,
                        user_group_name: "Facility Ops".into(),
                    },
                    EciGroup {
                        user_group_id: 21,
                        user_group_name: "Managers".into(),
                    },
                ],
                dashboards: vec![
                    EciDashboard {
                        dashboard_id: 7,
                        dashboard_info: "Energy Use".into(),
                        shared_user_ids: BTreeSet::from([5]),
                        shared_user_group_ids: BTreeSet::from([3]),
                        shared_with_everyone: false,
                    },
                    EciDashboard {
                        dashboard_id: 8,
                        dashboard_info: "Water + Gas".into(),
                        shared_user_ids: BTreeSet::new(),
                        shared_user_group_ids: BTreeSet::new(),
                        shared_with_everyone: false,
                    },
                ],
                refuse_identity_filters: false,
                ignore_identity_filters: false,
            }
        }

        /// Adds `count` dashboards shared with nobody, for load tests.
        pub fn add_bulk_dashboards(&mut self, count: usize) {
            for n in 0..count {
                self.dashboards.push(EciDashboard {
                    dashboard_id: 100_000 + n as i64,
                    dashboard_info: format!("Bulk {n:05}"),
                    shared_user_ids: BTreeSet::new(),
                    shared_user_group_ids: BTreeSet::new(),
                    shared_with_everyone: false,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_quoted_values_only() {
        assert_eq!(
            parse_filter("email one of 'a@x.com'|'o''b@x.com' and active equals 'true'").unwrap(),
            [
                Statement {
                    field: "email".into(),
                    values: vec!["a@x.com".into(), "o'b@x.com".into()],
                },
                Statement {
                    field: "active".into(),
                    values: vec!["true".into()],
                },
            ]
        );
        assert!(parse_filter("systemUserID equals 42").is_err());
        assert!(parse_filter("systemUserID equals '42").is_err());
        assert!(parse_filter("email one of 'a'|b").is_err());
        assert!(parse_filter("email like 'a'").is_err());
    }
}
