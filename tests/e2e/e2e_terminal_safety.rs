//! End to end: the binary against a wiremock server sending terminal control characters.
//!
//! Vendor text reaches the terminal with its control characters written out: a dashboard title
//! or an error message cannot clear the screen, move the cursor or reverse the text.

use crate::common::*;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_titles_and_errors_are_escaped() {
    let server = MockServer::start().await;
    mount_login(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards"))
        .and(query_param("skip", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"oid": "d1", "title": "Sales\u{1b}[2J\u{202e}KPIs", "owner": "o1"}
        ])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/shares/dashboard/d2"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_json(json!({"error": {"message": "boom\u{1b}]0;owned\u{7}"}})),
        )
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards", 1).await;
    let home = tempfile::TempDir::new().unwrap();
    let run = |args: &'static [&'static str]| {
        let mut command = dashshare(home.path());
        command
            .env("DASHSHARE_USERNAME", ADMIN)
            .env("DASHSHARE_PASSWORD", PASSWORD)
            .args(["--vendor", "sisense", "--url", &server.uri()])
            .args(args);
        command
    };
    let listed = tokio::task::spawn_blocking({
        let mut command = run(&["dashboards"]);
        move || command.assert().success()
    })
    .await
    .unwrap();
    let shown = printed(&listed);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
    assert!(shown.contains("Sales\\u001b[2J\\u202eKPIs"), "{shown}");
    let failed = tokio::task::spawn_blocking({
        let mut command = run(&["list", "d2"]);
        move || command.assert().code(1)
    })
    .await
    .unwrap();
    let shown = printed(&failed);
    assert!(
        !shown.contains('\u{1b}') && !shown.contains('\u{7}'),
        "{shown:?}"
    );
    assert!(shown.contains("boom\\u{1b}]0;owned\\u{7}"), "{shown}");
}

/// Values that cannot be sent as written are refused before any request, never rewritten: a
/// dashboard id that is a path step (a URL would resolve it away) or a value with a control
/// character.
#[test]
fn path_steps_and_control_characters_are_refused_before_any_request() {
    let home = tempfile::TempDir::new().unwrap();
    // Port 9 (discard) is never asked: the values are refused first.
    for args in [
        vec!["grant", "..", "--user", "alice@example.com"],
        vec!["grant", ".", "--user", "alice@example.com"],
        vec!["list", "d1\tx"],
        vec![
            "grant",
            "d1",
            "--user",
            "alice@example.com\nbob@example.com",
        ],
        vec!["grant", "d1", "--group", "Sa\rles"],
    ] {
        let assert = dashshare(home.path())
            .env("DASHSHARE_USERNAME", ADMIN)
            .env("DASHSHARE_PASSWORD", PASSWORD)
            .args(["--vendor", "sisense", "--url", "http://127.0.0.1:9"])
            .args(&args)
            .assert()
            .code(2);
        let shown = printed(&assert);
        assert!(
            shown.contains("path step") || shown.contains("control character"),
            "{args:?}: {shown}"
        );
    }
}

/// JSON output stays valid JSON whatever the vendor text holds: its own escapes apply, not the
/// terminal's.
#[tokio::test(flavor = "multi_thread")]
async fn json_output_keeps_vendor_text_valid_json() {
    let server = MockServer::start().await;
    mount_login(&server, 1).await;
    let title = "Sales\u{1b}[2J\u{202e}KPIs";
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards"))
        .and(query_param("skip", "0"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{"oid": "d1", "title": title, "owner": "o1"}])),
        )
        .mount(&server)
        .await;
    mount_listing_end(&server, "/api/v1/dashboards", 1).await;
    let home = tempfile::TempDir::new().unwrap();
    let mut command = dashshare(home.path());
    command
        .env("DASHSHARE_USERNAME", ADMIN)
        .env("DASHSHARE_PASSWORD", PASSWORD)
        .args(["--vendor", "sisense", "--url", &server.uri()])
        .args(["-o", "json", "dashboards"]);
    let assert = tokio::task::spawn_blocking(move || command.assert().success())
        .await
        .unwrap();
    let listed: serde_json::Value =
        serde_json::from_slice(&assert.get_output().stdout).expect("valid JSON");
    assert_eq!(listed["dashboards"][0]["title"], title);
}
