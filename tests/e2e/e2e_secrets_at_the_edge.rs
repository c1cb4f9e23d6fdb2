//! End to end: the binary against a wiremock server that echoes secrets back.
//!
//! A server may echo a secret back in any encoding: whatever reaches stdout, stderr or the log
//! passes one filter that knows every secret the run loaded (issue 11).

use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common;
use crate::common::{PASSWORD, dashshare, write_sisense_config};

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

/// Mocks a Sisense server that takes any login (answering with `token`) and lets bob be granted
/// dashboard d1, whose title echoes `echo`.
async fn grantable_server(token: &str, echo: &str) -> MockServer {
    grantable_server_for("bob@example.com", token, echo).await
}

/// As `grantable_server`, granting `email` (whose id is `bob1`).
async fn grantable_server_for(email: &str, token: &str, echo: &str) -> MockServer {
    use wiremock::matchers::query_param;
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "profile": {}, "access_token": token
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param("email", email))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!([{"_id": "bob1", "email": email}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "sharesTo": [{"shareId": "owner1", "type": "user"}],
            "owner": {"_id": "owner1"},
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/shares/dashboard/d1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/dashboards/d1/publish"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": "d1", "title": format!("Sales {echo}"), "datasource": {"title": "Cube", "live": false}}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/elasticubes/localhost/Cube/permissions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"shares": []})))
        .mount(&server)
        .await;
    server
}

/// Redaction masks what came from outside, never dashshare's own values (issue 24): a password
/// that is the year (`2026`) leaves the run id and its undo command whole, a token `true` leaves
/// the JSON document valid, and a secret the server echoes in a title is masked, also past a
/// `--jq` that reshapes it.
#[tokio::test(flavor = "multi_thread")]
async fn redaction_masks_outside_text_and_never_dashshares_own_values() {
    let year = chrono::Utc::now().format("%Y").to_string();
    let long = "Long-Echoed-Secret-77";
    let cases = [(year.as_str(), "true"), (long, "tok-long-enough-1")];
    for (password, token) in cases {
        let server = grantable_server(token, long).await;
        let home = tempfile::tempdir().unwrap();
        let config = write_sisense_config(home.path(), &server.uri());
        let run = |args: &[&str]| {
            dashshare(home.path())
                .env("DASHSHARE_CONFIG", &config)
                .env("SISENSE_PASSWORD", password)
                .args(args)
                .assert()
        };
        let granted = run(&[
            "-o",
            "json",
            "-p",
            "test",
            "grant",
            "d1",
            "--user",
            "bob@example.com",
        ])
        .success();
        let out = String::from_utf8(granted.get_output().stdout.clone()).unwrap();
        let report: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|err| panic!("{err}: {out}"));
        let run_id = report["run_id"].as_str().unwrap();
        assert!(run_id.starts_with(&year), "{run_id}");
        assert_eq!(run_id.len(), "20261207T120000Z-".len() + 16, "{run_id}");

        let text = run(&["-p", "test", "grant", "d1", "--user", "bob@example.com"]).success();
        let shown = common::printed(&text);
        assert!(!shown.contains("[redacted]1"), "{shown}");

        if password == long {
            assert!(out.contains("Sales [redacted]"), "{out}");
            let filtered = run(&[
                "-o",
                "json",
                "--jq",
                ".. | strings | ascii_downcase",
                "-p",
                "test",
                "grant",
                "d1",
                "--user",
                "bob@example.com",
            ])
            .success();
            let shown = common::printed(&filtered);
            assert!(shown.contains("sales [redacted]"), "{shown}");
            assert!(!shown.contains(&long.to_lowercase()), "{shown}");
        } else {
            assert!(
                out.contains(&format!("Sales {long}")),
                "not a secret here: {out}"
            );
        }
    }
}

/// A short password is masked where a server quotes it, never in the data the run compares and
/// writes back (issue 24): with the password `admin`, the user `admin@example.com` is still
/// found, granted and shown by name.
#[tokio::test(flavor = "multi_thread")]
async fn a_short_password_inside_a_users_email_leaves_the_email_whole() {
    let server = grantable_server_for("admin@example.com", "tok-long-enough-2", "Q4").await;
    let home = tempfile::tempdir().unwrap();
    let config = write_sisense_config(home.path(), &server.uri());
    let granted = dashshare(home.path())
        .env("DASHSHARE_CONFIG", &config)
        .env("SISENSE_PASSWORD", "admin")
        .args(["-p", "test", "grant", "d1", "--user", "admin@example.com"])
        .assert()
        .success();
    let shown = common::printed(&granted);
    assert!(shown.contains("admin@example.com"), "{shown}");
    assert!(!shown.contains("[redacted]"), "{shown}");
    let written = server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|request| request.method == wiremock::http::Method::POST)
        .any(|request| String::from_utf8_lossy(&request.body).contains("bob1"));
    assert!(written, "the grant wrote bob1's entry");
}
