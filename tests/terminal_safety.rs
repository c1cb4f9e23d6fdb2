//! Vendor text reaches the terminal with its control characters written out: a dashboard title
//! or an error message cannot clear the screen, move the cursor or reverse the text.

use common::*;
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

mod common;

#[tokio::test(flavor = "multi_thread")]
async fn control_characters_in_titles_and_errors_are_escaped() {
    let server = MockServer::start().await;
    mount_login(&server, 2).await;
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards"))
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
    assert!(shown.contains("Sales\\u{1b}[2J\\u{202e}KPIs"), "{shown}");
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
