//! End to end: the binary against a wiremock server that echoes secrets back.
//!
//! A server may echo a secret back in any encoding: whatever reaches stdout, stderr or the log
//! passes one filter that knows every secret the run loaded (issue 11).

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;
use common::{PASSWORD, dashshare, write_sisense_config};

/// PASSWORD (`p@ss+w&rd%20=é`) as an HTML page escapes it.
const HTML_ESCAPED: &str = "p@ss+w&amp;rd%20&#61;&eacute;";
const HTML_NUMERIC: &str = "p&#64;ss&#43;w&#x26;rd&#37;20&#x3D;&#233;";
/// As a JSON encoder that escapes HTML characters (Go's) writes it.
const JSON_ESCAPED: &str = "p@ss+w\\u0026rd%20=\\u00e9";

#[tokio::test(flavor = "multi_thread")]
async fn a_password_echoed_in_any_encoding_is_never_shown() {
    let server = MockServer::start().await;
    let page = format!(
        "<html><body>Login failed for password {HTML_ESCAPED} ({HTML_NUMERIC})</body></html>"
    );
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": {"message": format!("bad credentials {page} raw={JSON_ESCAPED}"), "status": 401}
        })))
        .mount(&server)
        .await;
    let home = tempfile::tempdir().unwrap();
    let config = write_sisense_config(home.path(), &server.uri());
    for output in ["table", "json"] {
        let assert = dashshare(home.path())
            .env("DASHSHARE_CONFIG", &config)
            .env("SISENSE_PASSWORD", PASSWORD)
            .args(["-vvv", "-o", output, "-p", "test", "list", "d1"])
            .assert()
            .code(3);
        let shown = common::printed(&assert);
        assert!(shown.contains("[redacted]"), "{shown}");
        for fragment in ["p@ss", "p&#64;ss", "rd%20", "w&amp;rd", "u0026rd"] {
            assert!(!shown.contains(fragment), "{fragment} shows in: {shown}");
        }
    }
}
