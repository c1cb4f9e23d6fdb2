//! A small stateful mindzieStudio for scenario tests of the real binary, as mindzie.txt describes
//! it: Bearer key checked, public share links created, listed, updated and revoked (204), and the
//! dashboard URL endpoint.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{MINDZIE_TOKEN, PROJECT, TENANT};

pub const DASHBOARD: &str = "550e8400-e29b-41d4-a716-446655440000";

#[derive(Default)]
pub struct State {
    /// share id → the link as created (and updated).
    pub links: BTreeMap<String, Value>,
    pub log: Vec<String>,
    created: usize,
}

#[derive(Clone, Default)]
pub struct FakeMindzie {
    pub state: Arc<Mutex<State>>,
}

impl FakeMindzie {
    pub async fn start(self) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(any()).respond_with(self).mount(&server).await;
        server
    }

    pub fn log(&self) -> Vec<String> {
        self.state.lock().unwrap().log.clone()
    }

    pub fn links(&self) -> BTreeMap<String, Value> {
        self.state.lock().unwrap().links.clone()
    }
}

fn error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"message": message}))
}

/// Merges `update` into `target` object by object, as a partial update does.
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

impl wiremock::Respond for FakeMindzie {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap();
        let path = request.url.path().to_string();
        state.log.push(format!("{} {path}", request.method));
        let expected = format!("Bearer {MINDZIE_TOKEN}");
        if request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            != Some(expected.as_str())
        {
            return error(401, "Unauthorized");
        }
        if path == "/api/Action/ping/authenticated" {
            return ResponseTemplate::new(200).set_body_json(json!("pong"));
        }
        let prefix = format!("/api/{TENANT}/{PROJECT}/dashboard");
        let Some(rest) = path.strip_prefix(&prefix) else {
            return error(404, "Not found");
        };
        let segments: Vec<&str> = rest
            .trim_start_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let host = "https://mindzie.example.com";
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", []) => ResponseTemplate::new(200).set_body_json(json!({
                "items": [{"dashboardId": DASHBOARD, "name": "Process Performance"}], "totalCount": 1
            })),
            (_, [id, ..]) if *id != DASHBOARD => error(404, "Dashboard not found"),
            ("POST", [_, "share"]) => {
                let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
                    return error(400, "invalid JSON");
                };
                state.created += 1;
                let share_id = format!("share{}", state.created);
                let mut link = json!({
                    "shareId": share_id,
                    "publicUrl": format!("{host}/public/dashboard/{DASHBOARD}?token={share_id}"),
                    "embedUrl": format!("{host}/public/embed/dashboard/{DASHBOARD}?token={share_id}"),
                    "dateCreated": "2026-11-23T10:30:00Z",
                    "usage": {"totalViews": 0, "uniqueVisitors": 0, "lastAccessed": null}
                });
                for key in ["permissions", "expiration", "accessControl"] {
                    link[key] = body[key].clone();
                }
                state.links.insert(share_id, link.clone());
                link.as_object_mut().map(|o| o.remove("accessControl"));
                ResponseTemplate::new(200).set_body_json(link)
            }
            ("GET", [_, "shares"]) => {
                let shares: Vec<Value> = state
                    .links
                    .values()
                    .map(|link| {
                        let mut shown = link.clone();
                        shown.as_object_mut().map(|o| o.remove("accessControl"));
                        shown
                    })
                    .collect();
                ResponseTemplate::new(200).set_body_json(json!({"dashboardId": DASHBOARD, "shares": shares}))
            }
            ("PUT", [_, "share", share_id]) => {
                let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
                    return error(400, "invalid JSON");
                };
                match state.links.get_mut(*share_id) {
                    Some(link) => {
                        merge(link, &body);
                        ResponseTemplate::new(200).set_body_json(link.clone())
                    }
                    None => error(404, "Share link not found"),
                }
            }
            ("DELETE", [_, "share", share_id]) => match state.links.remove(*share_id) {
                Some(_) => ResponseTemplate::new(204),
                None => error(404, "Share link not found"),
            },
            ("GET", [_, "url"]) => {
                let public = request.url.query_pairs().any(|(k, v)| k == "includePublic" && v == "true");
                let token = state.links.keys().next().cloned();
                let mut urls = json!({
                    "authenticated": format!("{host}/dashboard/{DASHBOARD}"),
                    "embed": format!("{host}/embed/dashboard/{DASHBOARD}"),
                });
                if let (true, Some(token)) = (public, token) {
                    urls["public"] = json!(format!("{host}/public/dashboard/{DASHBOARD}?token={token}"));
                    urls["publicEmbed"] = json!(format!("{host}/public/embed/dashboard/{DASHBOARD}?token={token}"));
                }
                ResponseTemplate::new(200).set_body_json(json!({
                    "dashboardId": DASHBOARD, "dashboardName": "Process Performance", "urls": urls
                }))
            }
            _ => error(404, "Not found"),
        }
    }
}
