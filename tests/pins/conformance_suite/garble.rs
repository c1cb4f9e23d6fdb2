//! Conformance (helper): a proxy in front of an emulator that, once told to, renames every key of
//! every JSON answer, so that a provider meets answers of a shape it does not know.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::Response;
use serde_json::Value;
use tokio::task::JoinHandle;

/// The running proxy; it stops when dropped.
pub struct Proxy {
    pub url: String,
    garbling: Arc<AtomicBool>,
    server: JoinHandle<()>,
}

impl Proxy {
    /// From now on, answers arrive garbled (`true`) or as the emulator sent them.
    pub fn garble(&self, on: bool) {
        self.garbling.store(on, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Forwards every request to `target` unchanged; answers pass unchanged until `garble(true)`.
pub async fn start(target: String) -> Proxy {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port for the proxy");
    let url = format!("http://{}", listener.local_addr().expect("its address"));
    let client = reqwest::Client::new();
    let garbling = Arc::new(AtomicBool::new(false));
    let garbled = garbling.clone();
    let app = Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let garble = garbled.load(Ordering::SeqCst);
            forward(
                client.clone(),
                target.clone(),
                garble,
                (method, uri, headers, body),
            )
        },
    );
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Proxy {
        url,
        garbling,
        server,
    }
}

async fn forward(
    client: reqwest::Client,
    target: String,
    garble: bool,
    (method, uri, headers, body): (Method, Uri, HeaderMap, Bytes),
) -> Response {
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut request = client.request(method, format!("{target}{path}")).body(body);
    for (name, value) in &headers {
        if name != header::HOST && name != header::CONTENT_LENGTH {
            request = request.header(name, value);
        }
    }
    let answer = request.send().await.expect("the emulator answers");
    let status = answer.status();
    let answer_headers = answer.headers().clone();
    let bytes = answer.bytes().await.expect("the emulator's answer arrives");
    let body = match serde_json::from_slice::<Value>(&bytes) {
        Ok(json) if garble => serde_json::to_vec(&renamed(json)).expect("JSON serialises"),
        _ => bytes.to_vec(),
    };
    let mut response = Response::builder().status(status);
    for (name, value) in &answer_headers {
        if name != header::CONTENT_LENGTH && name != header::TRANSFER_ENCODING {
            response = response.header(name, value);
        }
    }
    response
        .body(Body::from(body))
        .expect("a response of parts that came from one")
}

/// The same document with `_v2` after every key, at every depth: what a vendor's next API
/// version that renamed its fields would send.
fn renamed(json: Value) -> Value {
    match json {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (format!("{key}_v2"), renamed(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(renamed).collect()),
        other => other,
    }
}
