//! End to end: what a run writes besides its answer: colour on a terminal only (a pseudo-terminal
//! from util-linux `script`) and never under NO_COLOR or TERM=dumb, RUST_LOG, the `--log-file`,
//! and the summaries' elapsed time and plurals.

use crate::common::*;

const P: &str = "sandbox-sisense";
const D: &str = SISENSE_DASHBOARD;

/// `dashshare -v -p sandbox-sisense ARGS…` on a terminal, with `env` set; what the terminal showed.
async fn on_terminal(home: &SandboxHome, env: &[(&str, &str)], args: &[&str]) -> String {
    let line = std::iter::once(env!("CARGO_BIN_EXE_dashshare"))
        .chain(["-v", "-p", P])
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = home.process("script");
    command
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .env("PATH", "/usr/bin:/bin")
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = command
        .spawn()
        .expect("these tests need util-linux `script` for a terminal");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn colour_on_a_terminal_unless_no_color_or_a_dumb_terminal() {
    let home = SandboxHome::start().await;
    let grant = ["grant", D, "--user", "alice@example.com"];
    let shown = on_terminal(&home, &[("TERM", "xterm")], &grant).await;
    assert!(shown.contains("\u{1b}[32madded\u{1b}[0m"), "{shown:?}");
    assert!(shown.contains("\u{1b}[32m INFO"), "coloured log: {shown:?}");

    let revoke = ["revoke", D, "--user", "alice@example.com"];
    let shown = on_terminal(&home, &[("TERM", "xterm"), ("NO_COLOR", "1")], &revoke).await;
    assert!(
        shown.contains("INFO") && shown.contains("removed"),
        "{shown:?}"
    );
    assert!(!shown.contains('\u{1b}'), "NO_COLOR: {shown:?}");

    let shown = on_terminal(&home, &[("TERM", "dumb")], &grant).await;
    assert!(
        shown.contains("INFO") && shown.contains("added"),
        "{shown:?}"
    );
    assert!(!shown.contains('\u{1b}'), "TERM=dumb: {shown:?}");
}

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
        .run_with(
            P,
            &[("RUST_LOG", "dashshare=[[[")],
            &["--log-file", log_file, "list", D],
        )
        .await
        .success();
    let warned = stderr(&refused);
    assert_eq!(
        warned.matches("warning: RUST_LOG").count(),
        1,
        "said once: {warned}"
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

#[tokio::test(flavor = "multi_thread")]
async fn undo_shows_a_bar_that_log_lines_lift_out_of_the_way() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success();
    let history = home.run(P, &["-o", "json", "history"]).await.success();
    let runs: serde_json::Value = serde_json::from_slice(&history.get_output().stdout).unwrap();
    let run_id = runs["runs"][0]["run_id"].as_str().unwrap();
    let shown = on_terminal(&home, &[("TERM", "xterm")], &["undo", "--yes", run_id]).await;
    assert!(shown.contains("putting back ["), "{shown:?}");
    assert!(shown.contains("/1 dashboards"), "{shown:?}");
    assert!(!shown.contains("0/0"), "{shown:?}");
    // What stays on screen of each line is what follows its last carriage return.
    for line in shown.lines() {
        let visible = line.rsplit('\r').next().unwrap_or_default();
        assert!(
            !(visible.contains("INFO") && visible.contains("dashboards (")),
            "a log line shares the bar's line: {line:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_in_the_pager_leaves_dashshare_waiting_for_it_and_an_empty_pager_is_none() {
    use std::os::unix::fs::PermissionsExt;
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success();
    // A pager that sends SIGINT to its process group (Ctrl-C at a terminal), as less sees it.
    let pager = home.home.path().join("pager.sh");
    std::fs::write(
        &pager,
        "#!/bin/sh\ntrap '' INT\nkill -INT 0\ncat > /dev/null\necho PAGER-DONE\n",
    )
    .unwrap();
    std::fs::set_permissions(&pager, std::fs::Permissions::from_mode(0o755)).unwrap();
    let pager = pager.to_str().unwrap();
    // bash runs the one command in its own place (dash would wait, and die of the SIGINT).
    let env = [("SHELL", "/bin/bash"), ("DASHSHARE_PAGER", pager)];
    let shown = on_terminal(&home, &env, &["history"]).await;
    assert!(shown.contains("PAGER-DONE"), "{shown:?}");

    // DASHSHARE_PAGER set to nothing: no pager, even with PAGER set.
    let env = [("DASHSHARE_PAGER", ""), ("PAGER", pager)];
    let shown = on_terminal(&home, &env, &["history"]).await;
    assert!(!shown.contains("PAGER-DONE"), "{shown:?}");
    assert!(shown.contains(D), "{shown:?}");
}
