//! A small stateful AppViewX for scenario tests of the real binary, as appviewx.txt and NOTES.md
//! describe it: login with the credentials in headers, the session checked on every call, and an
//! update that replaces a dashboard's read and read-write group lists and answers `ADC_DASH_*`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{AVX_PASSWORD, AVX_USER};

/// (read groups, read-write groups)
pub type Lists = (Vec<String>, Vec<String>);

pub struct State {
    pub dashboards: HashMap<String, Lists>,
    /// Dashboards the account may not share.
    pub locked: Vec<String>,
    sessions: Vec<String>,
    pub log: Vec<String>,
}

#[derive(Clone)]
pub struct FakeAppViewX {
    pub state: Arc<Mutex<State>>,
}

impl FakeAppViewX {
    pub fn seeded() -> Self {
        let mut dashboards = HashMap::new();
        dashboards.insert(
            "Ops Board".to_string(),
            (
                vec!["Old Readers".to_string()],
                vec!["Old Writers".to_string()],
            ),
        );
        dashboards.insert("Locked".to_string(), (vec![], vec![]));
        FakeAppViewX {
            state: Arc::new(Mutex::new(State {
                dashboards,
                locked: vec!["Locked".into()],
                sessions: Vec::new(),
                log: Vec::new(),
            })),
        }
    }

    pub async fn start(self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(self).mount(&server).await;
        server
    }

    pub fn lists(&self, dashboard: &str) -> Lists {
        self.state.lock().unwrap().dashboards[dashboard].clone()
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }
}

fn answer(
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
    response: Value,
) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "response": response, "message": message, "appStatusCode": code, "tags": null, "headers": null
    }))
}

impl wiremock::Respond for FakeAppViewX {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path().to_string();
        let query: HashMap<String, String> = request.url.query_pairs().into_owned().collect();
        state.log.push(format!("{} {path}", request.method));
        let header = |name: &str| {
            request
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        if !query.contains_key("gwsource") {
            return answer(
                400,
                Some("ADC_GW_0001"),
                Some("gwsource is mandatory"),
                Value::Null,
            );
        }
        match (request.method.as_str(), path.as_str()) {
            ("POST", "/avxapi/login") => {
                let (Some(user), Some(password)) = (header("username"), header("password")) else {
                    return answer(
                        400,
                        Some("AUTH_0001"),
                        Some("Username and password are required"),
                        Value::Null,
                    );
                };
                if user != AVX_USER || password != AVX_PASSWORD {
                    return answer(
                        401,
                        Some("AUTH_0002"),
                        Some("Invalid credentials"),
                        Value::Null,
                    );
                }
                let session = format!("ce7f1a14-SESSION-SECRET-{}", state.sessions.len() + 1);
                state.sessions.push(session.clone());
                answer(
                    200,
                    None,
                    None,
                    json!({"status": "SUCCESS", "sessionId": session}),
                )
            }
            ("POST", "/avxapi/usergroup-search") => {
                let session = header("sessionId").unwrap_or_default();
                if !state.sessions.contains(&session) {
                    return answer(401, Some("AUTH_0003"), Some("Invalid session"), Value::Null);
                }
                let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                let filter = body
                    .pointer("/payload/filterValue")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_lowercase();
                let objects: Vec<Value> = ["Old Readers", "Old Writers", "UG1", "UG2", "NOC Team"]
                    .iter()
                    .filter(|g| g.to_lowercase().contains(&filter))
                    .map(|g| json!({"name": g}))
                    .collect();
                answer(200, None, None, json!({"objects": objects}))
            }
            ("PUT", "/avxapi/dashboard-share-usergroupdetails-update") => {
                let session = header("sessionId").unwrap_or_default();
                if !state.sessions.contains(&session) {
                    return answer(401, Some("AUTH_0003"), Some("Invalid session"), Value::Null);
                }
                let name = query.get("name").cloned().unwrap_or_default();
                if name.trim().is_empty() || name.contains('/') {
                    return answer(
                        400,
                        Some("ADC_DASH_0051"),
                        Some("Invalid dashboard name."),
                        Value::Null,
                    );
                }
                if !state.dashboards.contains_key(&name) {
                    return answer(
                        404,
                        Some("ADC_DASH_0045"),
                        Some("Dashboard not available for given name."),
                        Value::Null,
                    );
                }
                if state.locked.contains(&name) {
                    return answer(
                        403,
                        Some("ADC_DASH_0048"),
                        Some("Permission not available for dashboard."),
                        Value::Null,
                    );
                }
                let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
                let list = |field: &str| -> Vec<String> {
                    body.pointer(&format!("/payload/{field}"))
                        .and_then(Value::as_array)
                        .map(|items| {
                            items
                                .iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default()
                };
                let lists = (list("readUserGroups"), list("readWriteUserGroups"));
                state.dashboards.insert(name, lists);
                answer(200, None, None, json!("Success"))
            }
            _ => answer(404, Some("ADC_0404"), Some("Not found"), Value::Null),
        }
    }
}
