//! A small stateful ECI (EnergyCAP v3) for scenario tests of the real binary, as eci.txt and
//! NOTES.md describe it: `ECI-ApiKey` checked on every call, `filter=field equals 'value'`
//! look-ups, a share read and a PUT that replaces all three fields and refuses lists beside
//! `sharedWithEveryone: true`.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::ECI_KEY;

#[derive(Default)]
pub struct Share {
    pub users: BTreeSet<i64>,
    pub groups: BTreeSet<i64>,
    pub everyone: bool,
}

pub struct State {
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
    pub dashboards: Vec<Value>,
    pub shares: HashMap<i64, Share>,
    pub log: Vec<String>,
}

#[derive(Clone)]
pub struct FakeEci {
    pub state: Arc<Mutex<State>>,
}

impl FakeEci {
    pub fn seeded() -> Self {
        let mut shares = HashMap::new();
        shares.insert(
            7,
            Share {
                users: BTreeSet::from([5]),
                groups: BTreeSet::from([3]),
                everyone: false,
            },
        );
        let state = State {
            users: vec![
                json!({"systemUserId": 5, "systemUserCode": "BOB", "fullName": "Bob B", "email": "bob@example.com"}),
                json!({"systemUserId": 11, "systemUserCode": "ALICE", "fullName": "Alice A", "email": "alice@example.com"}),
                json!({"systemUserId": 12, "systemUserCode": "O'BRIEN", "fullName": "Pat O'Brien", "email": "pat@example.com"}),
            ],
            groups: vec![
                json!({"userGroupId": 3, "userGroupName": "Ops"}),
                json!({"userGroupId": 21, "userGroupName": "Managers"}),
            ],
            dashboards: vec![
                json!({"dashboardId": 7, "dashboardDescription": "Energy Use"}),
                json!({"dashboardId": 8, "dashboardDescription": "Water"}),
            ],
            shares,
            log: Vec::new(),
        };
        FakeEci {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub async fn start(self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(self).mount(&server).await;
        server
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.log().iter().filter(|l| l.starts_with(prefix)).count()
    }

    /// (users, groups, everyone) of a dashboard.
    pub fn share(&self, dashboard: i64) -> (Vec<i64>, Vec<i64>, bool) {
        let state = self.state.lock().unwrap();
        let share = &state.shares[&dashboard];
        (
            share.users.iter().copied().collect(),
            share.groups.iter().copied().collect(),
            share.everyone,
        )
    }
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"message": message}))
}

/// `field equals 'value'` (quotes doubled inside) or `field equals 42`.
fn parse_filter(filter: &str) -> Option<(String, String)> {
    let (field, value) = filter.split_once(" equals ")?;
    let value = match value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        Some(quoted) => quoted.replace("''", "'"),
        None => value.to_string(),
    };
    Some((field.to_lowercase(), value))
}

fn matches(item: &Value, field: &str, value: &str) -> bool {
    item.as_object().is_some_and(|object| {
        object.iter().any(|(k, v)| {
            k.to_lowercase() == field
                && match v {
                    Value::String(s) => s.eq_ignore_ascii_case(value),
                    Value::Number(n) => n.to_string() == value,
                    _ => false,
                }
        })
    })
}

impl wiremock::Respond for FakeEci {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path().to_string();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        state.log.push(format!("{} {path}", request.method));
        let key = request
            .headers
            .get("ECI-ApiKey")
            .and_then(|v| v.to_str().ok());
        if key != Some(ECI_KEY) {
            return error(401, "Unauthorized");
        }
        let segments: Vec<&str> = path.trim_start_matches("/api/v3/").split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", [resource @ ("user" | "userGroup")]) => {
                let items = if *resource == "user" {
                    &state.users
                } else {
                    &state.groups
                };
                let Some((field, value)) = query.get("filter").and_then(|f| parse_filter(f)) else {
                    return ResponseTemplate::new(200).set_body_json(items);
                };
                let found: Vec<&Value> = items
                    .iter()
                    .filter(|i| matches(i, &field, &value))
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("GET", ["dashboard"]) => ResponseTemplate::new(200)
                .insert_header("TotalPages", "1")
                .set_body_json(&state.dashboards),
            ("GET", ["dashboard", id, "share"]) => {
                let Ok(id) = id.parse::<i64>() else {
                    return error(400, "dashboardId must be an integer");
                };
                let Some(share) = state.shares.get(&id) else {
                    return error(404, "Dashboard not found");
                };
                let users: Vec<Value> = state
                    .users
                    .iter()
                    .filter(|u| share.users.contains(&u["systemUserId"].as_i64().unwrap_or(-1)))
                    .map(|u| json!({"userId": u["systemUserId"], "userCode": u["systemUserCode"], "fullName": u["fullName"]}))
                    .collect();
                let groups: Vec<Value> = state
                    .groups
                    .iter()
                    .filter(|g| {
                        share
                            .groups
                            .contains(&g["userGroupId"].as_i64().unwrap_or(-1))
                    })
                    .cloned()
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({
                    "sharedUsers": users, "sharedUserGroups": groups, "sharedWithEveryone": share.everyone
                }))
            }
            ("PUT", ["dashboard", id, "share"]) => {
                let Ok(id) = id.parse::<i64>() else {
                    return error(400, "dashboardId must be an integer");
                };
                let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
                    return error(400, "invalid JSON");
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
                        400,
                        "sharedUserIds, sharedUserGroupIds and sharedWithEveryone are required",
                    );
                };
                if everyone && (!users.is_empty() || !groups.is_empty()) {
                    return error(400, "lists must be empty when SharedWithEveryone is true");
                }
                let known = |items: &[Value], field: &str, id: &i64| {
                    items.iter().any(|i| i[field].as_i64() == Some(*id))
                };
                if !users.iter().all(|u| known(&state.users, "systemUserId", u))
                    || !groups
                        .iter()
                        .all(|g| known(&state.groups, "userGroupId", g))
                {
                    return error(400, "unknown user or user group id");
                }
                state.shares.insert(
                    id,
                    Share {
                        users,
                        groups,
                        everyone,
                    },
                );
                ResponseTemplate::new(200).set_body_json(body)
            }
            _ => error(404, "no such endpoint"),
        }
    }
}
