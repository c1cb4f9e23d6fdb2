//! A small stateful Vizzly for scenario tests of the real binary: `auth: Api-Key …` checked, and
//! one permissions endpoint where PUT grants and DELETE revokes. Like the real API it offers no
//! way to read permissions; tests inspect the state directly.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::VIZZLY_KEY;

/// (dashboard_id, scope, user_reference)
pub type Permission = (String, String, String);

#[derive(Default)]
pub struct State {
    pub permissions: BTreeSet<Permission>,
    pub log: Vec<String>,
}

#[derive(Clone, Default)]
pub struct FakeVizzly {
    pub state: Arc<Mutex<State>>,
}

impl FakeVizzly {
    pub fn seeded() -> Self {
        let fake = FakeVizzly::default();
        fake.state.lock().unwrap().permissions.insert((
            "dsh_0f3a".into(),
            "read".into(),
            "customer-1".into(),
        ));
        fake
    }

    pub async fn start(self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(self).mount(&server).await;
        server
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn permissions(&self) -> BTreeSet<Permission> {
        self.state.lock().unwrap().permissions.clone()
    }
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"message": message}))
}

impl wiremock::Respond for FakeVizzly {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path().to_string();
        state.log.push(format!("{} {path}", request.method));
        let expected = format!("Api-Key {VIZZLY_KEY}");
        if request.headers.get("auth").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
            return error(401, "invalid API key");
        }
        if path != "/api/v3/project/end-user/permissions" {
            return error(404, "not found");
        }
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return error(400, "invalid JSON");
        };
        let Some(items) = body.get("permissions").and_then(Value::as_array) else {
            return error(400, "permissions is required");
        };
        let mut parsed = Vec::new();
        for item in items {
            let field = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_string);
            match (
                field("dashboard_id"),
                field("scope"),
                field("user_reference"),
            ) {
                (Some(d), Some(s), Some(u)) if s == "read" || s == "read_write" => {
                    parsed.push((d, s, u))
                }
                _ => {
                    return error(
                        400,
                        "each permission needs dashboard_id, scope (read|read_write), user_reference",
                    );
                }
            }
        }
        match request.method.as_str() {
            "PUT" => state.permissions.extend(parsed),
            "DELETE" => {
                for permission in &parsed {
                    state.permissions.remove(permission);
                }
            }
            _ => return error(405, "method not allowed"),
        }
        ResponseTemplate::new(200).set_body_json(json!({}))
    }
}
