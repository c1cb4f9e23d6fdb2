//! A small stateful Sisense for scenario tests of the real binary. It behaves as the vendor docs
//! say, sharp edges included: PATCH replaces the whole list and refuses duplicate or unknown
//! `shareId`s, publish is a separate call, login is form-encoded, tokens are checked on every call
//! and can be made to expire, and the first calls can be answered 429.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{ADMIN, PASSWORD};

#[derive(Default)]
pub struct State {
    pub users: Vec<Value>,
    pub groups: Vec<Value>,
    pub dashboards: Vec<Value>,
    /// Every request as "METHOD /path?query".
    pub log: Vec<String>,
    pub published: HashMap<String, usize>,
    tokens: HashMap<String, usize>,
    logins: usize,
    /// Uses a token survives; 0 means forever.
    pub token_ttl: usize,
    /// How many of the next requests are answered 429 with Retry-After: 1.
    pub throttle_next: usize,
}

#[derive(Clone)]
pub struct FakeSisense {
    pub state: Arc<Mutex<State>>,
}

impl FakeSisense {
    pub fn seeded() -> Self {
        let state = State {
            users: vec![
                json!({"_id": "owner1", "email": "owner@example.com", "userName": "owner"}),
                json!({"_id": "u-alice", "email": "alice@example.com", "userName": "alice"}),
                json!({"_id": "u-bob", "email": "bob@example.com", "userName": "bob"}),
                json!({"_id": "u-carol", "email": "carol@example.com", "userName": "carol"}),
                json!({"_id": "u-dave", "email": "dave@example.com", "userName": "dave"}),
            ],
            groups: vec![json!({"_id": "g-mkt", "name": "Marketing"})],
            dashboards: vec![
                json!({"oid": "d1", "title": "Sales KPIs", "owner": "owner1", "shares": [
                    {"shareId": "owner1", "type": "user", "subscribe": true},
                    {"shareId": "u-bob", "type": "user", "rule": "edit", "subscribe": true},
                    {"shareId": "g-mkt", "type": "group", "rule": "view", "subscribe": false},
                ]}),
                json!({"oid": "d2", "title": "Twin", "owner": "owner1", "shares": []}),
                json!({"oid": "d3", "title": "Twin", "owner": "owner1", "shares": []}),
            ],
            ..State::default()
        };
        FakeSisense {
            state: Arc::new(Mutex::new(state)),
        }
    }

    pub async fn start(self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(self).mount(&server).await;
        server
    }

    pub fn shares(&self, oid: &str) -> Vec<Value> {
        let state = self.state.lock().unwrap();
        let dashboard = state.dashboards.iter().find(|d| d["oid"] == oid).unwrap();
        dashboard["shares"].as_array().unwrap().clone()
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn count(&self, prefix: &str) -> usize {
        self.log()
            .iter()
            .filter(|line| line.starts_with(prefix))
            .count()
    }
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"code": status, "message": message, "status": status}}))
}

impl wiremock::Respond for FakeSisense {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path().to_string();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        let line = match request.url.query() {
            Some(q) => format!("{} {path}?{q}", request.method),
            None => format!("{} {path}", request.method),
        };
        state.log.push(line);
        if state.throttle_next > 0 {
            state.throttle_next -= 1;
            return ResponseTemplate::new(429).insert_header("Retry-After", "1");
        }
        let method = request.method.as_str();
        if method == "POST" && path == "/api/v1/authentication/login" {
            let form: HashMap<String, String> = url::form_urlencoded::parse(&request.body)
                .into_owned()
                .collect();
            if form.get("username").map(String::as_str) != Some(ADMIN)
                || form.get("password").map(String::as_str) != Some(PASSWORD)
            {
                return error(401, "Invalid username or password");
            }
            state.logins += 1;
            let token = format!("tok-SECRET-{}", state.logins);
            state.tokens.insert(token.clone(), 0);
            return ResponseTemplate::new(200).set_body_json(json!({"access_token": token}));
        }

        let bearer = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        let ttl = state.token_ttl;
        match state.tokens.get_mut(&bearer) {
            Some(uses) if ttl == 0 || *uses < ttl => *uses += 1,
            _ => return error(401, "Unauthorized"),
        }

        let segments: Vec<&str> = path.trim_start_matches("/api/v1/").split('/').collect();
        match (method, segments.as_slice()) {
            ("GET", ["users"]) => {
                let found: Vec<Value> = state
                    .users
                    .iter()
                    .filter(|u| {
                        query.iter().all(|(k, v)| match k.as_str() {
                            "email" | "userName" => u[k] == v.as_str(),
                            _ => true,
                        })
                    })
                    .cloned()
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("GET", ["users", "loggedin"]) => {
                let admin = json!({"_id": "admin1", "email": ADMIN, "userName": ADMIN});
                ResponseTemplate::new(200).set_body_json(admin)
            }
            ("GET", ["users", id]) => match state.users.iter().find(|u| u["_id"] == *id) {
                Some(user) => ResponseTemplate::new(200).set_body_json(user),
                None => error(404, "user not found"),
            },
            ("GET", ["groups"]) => {
                let name = query.get("name").cloned().unwrap_or_default();
                let found: Vec<&Value> = state
                    .groups
                    .iter()
                    .filter(|g| g["name"] == name.as_str())
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("GET", ["groups", id]) => match state.groups.iter().find(|g| g["_id"] == *id) {
                Some(group) => ResponseTemplate::new(200).set_body_json(group),
                None => error(404, "group not found"),
            },
            ("GET", ["dashboards"]) => {
                let found: Vec<Value> = state
                    .dashboards
                    .iter()
                    .filter(|d| query.get("name").is_none_or(|n| d["title"] == n.as_str()))
                    .map(|d| json!({"oid": d["oid"], "title": d["title"], "owner": d["owner"]}))
                    .collect();
                ResponseTemplate::new(200).set_body_json(found)
            }
            ("GET", ["dashboards", id]) => {
                match state.dashboards.iter().find(|d| d["oid"] == *id) {
                    Some(dashboard) => ResponseTemplate::new(200).set_body_json(dashboard),
                    None => error(404, "dashboard not found"),
                }
            }
            ("PATCH", ["dashboards", id]) => {
                let body: Value = match serde_json::from_slice(&request.body) {
                    Ok(body) => body,
                    Err(_) => return error(400, "invalid JSON"),
                };
                let Some(shares) = body["shares"].as_array().cloned() else {
                    return error(400, "shares must be a list");
                };
                let mut seen = Vec::new();
                for share in &shares {
                    let id = share["shareId"].as_str().unwrap_or_default().to_string();
                    if seen.contains(&id) {
                        return error(400, "duplicate shareId");
                    }
                    let known = state
                        .users
                        .iter()
                        .chain(state.groups.iter())
                        .any(|p| p["_id"] == id.as_str());
                    if !known {
                        return error(400, "unknown shareId");
                    }
                    seen.push(id);
                }
                match state.dashboards.iter_mut().find(|d| d["oid"] == *id) {
                    Some(dashboard) => {
                        dashboard["shares"] = Value::Array(shares);
                        ResponseTemplate::new(200).set_body_json(dashboard.clone())
                    }
                    None => error(404, "dashboard not found"),
                }
            }
            ("POST", ["dashboards", id, "publish"]) => {
                *state.published.entry(id.to_string()).or_default() += 1;
                ResponseTemplate::new(200).set_body_json(json!({}))
            }
            _ => error(404, "no such endpoint"),
        }
    }
}
