//! End to end: what a run writes besides its answer: logs that obey NO_COLOR and RUST_LOG, the
//! `--log-file`, and output with no escape codes when no terminal reads it.

mod common;
use common::*;

const P: &str = "sandbox-sisense";
const D: &str = SISENSE_DASHBOARD;

fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn no_color_logs_have_no_escape_codes() {
    let home = SandboxHome::start().await;
    let assert = home
        .run_with(P, &[("NO_COLOR", "1")], &["-v", "list", D])
        .await
        .success();
    let logged = stderr(&assert);
    assert!(logged.contains("INFO GET"), "-v logs requests: {logged}");
    assert!(!printed(&assert).contains('\u{1b}'), "{logged}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_log_replaces_the_verbosity_but_never_shows_the_http_stack() {
    let home = SandboxHome::start().await;
    let assert = home
        .run_with(P, &[("RUST_LOG", "dashshare=debug")], &["list", D])
        .await
        .success();
    let logged = stderr(&assert);
    assert!(logged.contains("DEBUG GET"), "RUST_LOG applies: {logged}");
    assert!(!logged.contains("TRACE"), "{logged}");

    let log = home.home.path().join("everything.log");
    let log_file = log.to_str().unwrap();
    home.run_with(
        P,
        &[("RUST_LOG", "trace")],
        &["--log-file", log_file, "list", D],
    )
    .await
    .success();
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.contains("TRACE dashshare::"), "{written}");
    for line in written.lines() {
        let target = line.split_whitespace().nth(2).unwrap_or_default();
        assert!(target.starts_with("dashshare"), "not ours: {line}");
    }

    let refused = home
        .run_with(P, &[("RUST_LOG", "dashshare=[[[")], &["list", D])
        .await
        .success();
    assert!(
        stderr(&refused).contains("RUST_LOG"),
        "{}",
        stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_log_file_is_timestamped_private_appended_and_has_no_secret() {
    let home = SandboxHome::start().await;
    let log = home.home.path().join("runs.log");
    let log_file = log.to_str().unwrap();
    // Without -v the file still gets the requests; -q quiets stderr only.
    let quiet = home
        .run(P, &["-q", "--log-file", log_file, "list", D])
        .await
        .success();
    assert_eq!(stderr(&quiet), "");
    let first = std::fs::read_to_string(&log).unwrap();
    assert!(first.contains("INFO dashshare::http: GET"), "{first}");
    home.run(
        P,
        &[
            "-vvv",
            "--log-file",
            log_file,
            "grant",
            D,
            "--user",
            "alice@example.com",
        ],
    )
    .await
    .success();
    let written = std::fs::read_to_string(&log).unwrap();
    assert!(written.starts_with(&first), "appended");
    assert!(
        written.contains("TRACE"),
        "-vvv reaches the file: {written}"
    );
    let rfc3339 = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z ").unwrap();
    for line in written.lines() {
        assert!(rfc3339.is_match(line), "no timestamp: {line}");
    }
    assert!(!written.contains('\u{1b}'), "no colour in a file");
    let password = home.world().sisense.admin.password;
    let encoded: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
    for secret in [password.as_str(), encoded.as_str()] {
        assert!(!written.contains(secret), "{secret} leaked:\n{written}");
    }
    let token = regex::Regex::new("sisense-[0-9a-f]{32}").unwrap();
    assert!(!token.is_match(&written), "a token leaked:\n{written}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&log).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_log_file_that_cannot_be_opened_stops_the_run_before_it_starts() {
    let home = SandboxHome::start().await;
    let log = home.home.path().join("no-such-folder/run.log");
    let assert = home
        .run(
            P,
            &[
                "--log-file",
                log.to_str().unwrap(),
                "grant",
                D,
                "--user",
                "alice@example.com",
            ],
        )
        .await
        .code(2);
    assert!(
        stderr(&assert).contains("--log-file"),
        "{}",
        stderr(&assert)
    );
    assert_eq!(home.count(dashshare::vendor::Vendor::Sisense, "POST"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn summaries_give_the_elapsed_time_and_count_one_in_the_singular() {
    let home = SandboxHome::start().await;
    let took = r"in \d+(ms|\.\ds)";
    let grant = home
        .run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success();
    let shown = printed(&grant);
    let written = regex::Regex::new(&format!("1 added — written and published {took}")).unwrap();
    assert!(written.is_match(&shown), "{shown}");

    let history = home.run(P, &["-o", "json", "history"]).await.success();
    let runs: serde_json::Value = serde_json::from_slice(&history.get_output().stdout).unwrap();
    let run_id = runs["runs"][0]["run_id"].as_str().unwrap();
    let undo = home.run(P, &["undo", "--yes", run_id]).await.success();
    let shown = printed(&undo);
    let put_back = regex::Regex::new(&format!("1 of 1 dashboard put back {took}")).unwrap();
    assert!(put_back.is_match(&shown), "{shown}");
    assert!(!shown.contains('\u{1b}'), "piped output is plain: {shown}");
}
