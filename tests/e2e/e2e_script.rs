//! End to end: the binary against the sandbox, as a script uses it (`-o json`, `--jq`, stdin).
//!
//! The JSON contract: every document carries `schema_version`, an error is one document on
//! stdout too, grant and revoke name their run, `--jq` selects, `apply -` reads stdin.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;

/// The one JSON document a run printed on stdout.
fn document(assert: &assert_cmd::assert::Assert) -> Value {
    let stdout = &assert.get_output().stdout;
    // serde_json keeps the last of two equal keys: count them in the text.
    let versions = String::from_utf8_lossy(stdout)
        .matches("\"schema_version\"")
        .count();
    assert_eq!(versions, 1, "schema_version once: {}", printed(assert));
    serde_json::from_slice(stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not one JSON document ({err}): {}",
            printed(assert)
        )
    })
}

fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

const APPLY_FILE: &str = "shares:\n  - profile: sandbox-sisense\n    dashboard: \
5829b46bd009e91420000047\n    users: [alice@example.com]\n    access: view\n";

#[tokio::test(flavor = "multi_thread")]
async fn every_command_with_json_output_carries_the_schema_version() {
    let home = SandboxHome::start().await;
    let file = home.home.path().join("shares.yaml");
    std::fs::write(&file, APPLY_FILE).unwrap();
    let file = file.to_str().unwrap().to_string();
    let (s, m) = ("sandbox-sisense", "sandbox-mindzie");
    let d = SISENSE_DASHBOARD;
    let mut link = String::new();
    // In order: a link is created before it is listed, updated and revoked.
    let steps: Vec<(&str, Vec<String>)> = vec![
        (s, vec!["vendors".into()]),
        (s, vec!["config".into(), "show".into()]),
        (s, vec!["profile".into(), "list".into()]),
        (s, vec!["check".into()]),
        (s, vec!["check".into(), "--deep".into()]),
        (s, vec!["dashboards".into()]),
        (s, vec!["list".into(), d.into()]),
        (
            s,
            vec![
                "grant".into(),
                d.into(),
                "--user".into(),
                "alice@example.com".into(),
            ],
        ),
        (
            s,
            vec![
                "revoke".into(),
                d.into(),
                "--user".into(),
                "alice@example.com".into(),
            ],
        ),
        (s, vec!["publish".into(), d.into()]),
        (s, vec!["diff".into(), file.clone()]),
        (s, vec!["apply".into(), file.clone()]),
        (s, vec!["history".into()]),
        (s, vec!["expire".into()]),
        (
            m,
            vec!["link".into(), "create".into(), MINDZIE_DASHBOARD.into()],
        ),
        (
            m,
            vec!["link".into(), "list".into(), MINDZIE_DASHBOARD.into()],
        ),
        (
            m,
            vec![
                "link".into(),
                "update".into(),
                MINDZIE_DASHBOARD.into(),
                "LINK".into(),
                "--no-print".into(),
            ],
        ),
        (m, vec!["embed".into(), MINDZIE_DASHBOARD.into()]),
        (
            m,
            vec![
                "link".into(),
                "revoke".into(),
                MINDZIE_DASHBOARD.into(),
                "LINK".into(),
            ],
        ),
    ];
    let mut runs = Vec::new();
    for (profile, args) in steps {
        let args: Vec<String> = args
            .into_iter()
            .map(|arg| if arg == "LINK" { link.clone() } else { arg })
            .collect();
        let mut argv = vec!["-o", "json"];
        argv.extend(args.iter().map(String::as_str));
        let assert = home.run(profile, &argv).await.success();
        let json = document(&assert);
        assert_eq!(json["schema_version"], 1, "{args:?}: {json}");
        assert!(json.get("error").is_none(), "{args:?}: {json}");
        if args.starts_with(&["link".to_string(), "create".to_string()]) {
            link = json["share_id"].as_str().unwrap().to_string();
        }
        if let Some(run) = json["run_id"].as_str() {
            runs.push(run.to_string());
        }
    }
    assert_eq!(runs.len(), 3, "grant, revoke and apply each wrote a run");
    let assert = home
        .run(s, &["-o", "json", "undo", &runs[2], "--yes"])
        .await
        .success();
    assert_eq!(document(&assert)["schema_version"], 1);

    // `check --all` takes no -p: every profile of the config.
    let mut all = dashshare(home.home.path());
    all.env("DASHSHARE_CONFIG", home.home.path().join("config.toml"))
        .envs(home.sandbox.secrets())
        .args(["-o", "json", "check", "--all"]);
    let assert = tokio::task::spawn_blocking(move || all.assert())
        .await
        .unwrap()
        .success();
    assert_eq!(document(&assert)["schema_version"], 1);
}

/// A run that fails: profile, environment, arguments, exit code, error kind.
type Failing<'a> = (
    &'a str,
    &'a [(&'a str, &'a str)],
    &'a [&'a str],
    i32,
    &'a str,
);

#[tokio::test(flavor = "multi_thread")]
async fn errors_under_json_are_one_document_on_stdout_and_a_line_on_stderr() {
    let home = SandboxHome::start().await;
    let s = "sandbox-sisense";
    let cases: [Failing; 4] = [
        (s, &[], &["list", "no-such-dashboard"], 2, "not_found"),
        (
            "sandbox-eci",
            &[("SANDBOX_ECI_API_KEY", "wrong-key")],
            &["list", "7"],
            3,
            "auth",
        ),
        (
            s,
            &[],
            &["grant", SISENSE_DASHBOARD, "--user", " "],
            2,
            "invalid",
        ),
        // clap's own refusal, before any command runs.
        (s, &[], &["list", "--no-such-flag"], 2, "invalid"),
    ];
    for (profile, env, args, code, kind) in cases {
        let mut argv = vec!["-o", "json"];
        argv.extend(args);
        let assert = home.run_with(profile, env, &argv).await.code(code);
        let json = document(&assert);
        assert_eq!(json["schema_version"], 1, "{args:?}: {json}");
        assert_eq!(json["error"]["exit_code"], code, "{args:?}: {json}");
        assert_eq!(json["error"]["kind"], kind, "{args:?}: {json}");
        let message = json["error"]["message"].as_str().unwrap();
        assert!(
            !message.is_empty() && !message.contains("wrong-key"),
            "{message}"
        );
        let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
        assert!(
            stderr.contains("error:"),
            "the human line stays on stderr: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_that_ends_in_a_failure_code_is_still_the_only_document() {
    let home = SandboxHome::start().await;
    let file = home.home.path().join("shares.yaml");
    std::fs::write(&file, APPLY_FILE).unwrap();
    let file = file.to_str().unwrap();
    let assert = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "diff", file, "--exit-code"],
        )
        .await
        .code(4);
    let json = document(&assert);
    assert!(json.get("error").is_none(), "{json}");
    assert!(json["results"].is_array(), "{json}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_names_its_run_and_undo_takes_it_back() {
    let home = SandboxHome::start().await;
    let s = "sandbox-sisense";
    let before = home.world().sisense.dashboards[0].shares.clone();
    let grant = ["grant", SISENSE_DASHBOARD, "--user", "alice@example.com"];
    let mut argv = vec!["-o", "json"];
    argv.extend(grant);
    let json = document(&home.run(s, &argv).await.success());
    let run_id = json["run_id"].as_str().unwrap().to_string();
    assert_ne!(home.world().sisense.dashboards[0].shares, before);
    home.run(s, &["undo", &run_id, "--yes"]).await.success();
    assert_eq!(home.world().sisense.dashboards[0].shares, before);

    // The table names the run too; a grant that changes nothing has none.
    let shown = stdout(&home.run(s, &grant).await.success());
    let line = shown
        .lines()
        .find(|line| line.starts_with("run "))
        .unwrap_or_else(|| panic!("no run line: {shown}"));
    assert!(line.contains("dashshare undo"), "{line}");
    let again = document(&home.run(s, &argv).await.success());
    assert_eq!(again["run_id"], Value::Null, "{again}");
}

#[tokio::test(flavor = "multi_thread")]
async fn jq_selects_from_the_document_one_result_a_line() {
    let home = SandboxHome::start().await;
    let s = "sandbox-sisense";
    let assert = home
        .run(s, &["-o", "json", "--jq", ".vendors[].name", "vendors"])
        .await
        .success();
    assert_eq!(
        stdout(&assert),
        "sisense\neci\nvizzly\nappviewx\nmindzie\n",
        "strings are printed raw"
    );
    let assert = home
        .run(
            s,
            &[
                "-o",
                "json",
                "--jq",
                "{v: .schema_version, n: (.vendors | length)}",
                "vendors",
            ],
        )
        .await
        .success();
    assert_eq!(stdout(&assert), "{\"v\":1,\"n\":5}\n");

    // A bad expression is refused before the command runs; --jq needs -o json, like gh's --json.
    home.run(s, &["-o", "json", "--jq", ".vendors[", "vendors"])
        .await
        .code(2)
        .stderr(predicate::str::contains("--jq '.vendors['"));
    home.run(s, &["--jq", ".vendors", "vendors"])
        .await
        .code(2)
        .stderr(predicate::str::contains("add -o json"));
    // A filter that fails on the document of a grant that wrote: the whole document (with the
    // run id that undo needs), not "nothing was changed", and exit 2 (issue 24).
    let assert = home
        .run(
            s,
            &[
                "-o",
                "json",
                "--jq",
                ".run_id.x",
                "grant",
                SISENSE_DASHBOARD,
                "--user",
                "alice@example.com",
            ],
        )
        .await
        .code(2)
        .stderr(predicate::str::contains("warning: --jq '.run_id.x'"));
    assert!(document(&assert)["run_id"].is_string());
    // An error under --jq stays on stderr: stdout carries only what the filter selects.
    home.run(
        s,
        &["-o", "json", "--jq", ".shares", "list", "no-such-dashboard"],
    )
    .await
    .code(2)
    .stdout(predicate::str::is_empty());
}

/// `dashshare -p sandbox-sisense ARGS…` with `input` on stdin.
async fn with_stdin(home: &SandboxHome, args: &[&str], input: &str) -> assert_cmd::assert::Assert {
    let mut command = home.process(env!("CARGO_BIN_EXE_dashshare"));
    command.args(["-p", "sandbox-sisense"]).args(args);
    let mut command = assert_cmd::Command::from_std(command);
    command.write_stdin(input.to_string());
    tokio::task::spawn_blocking(move || command.assert())
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_and_diff_read_the_file_from_stdin_with_its_format() {
    let home = SandboxHome::start().await;
    let csv = format!(
        "profile,dashboard,principal,access\nsandbox-sisense,{SISENSE_DASHBOARD},user:alice@example.com,view\n"
    );
    let plan = document(
        &with_stdin(&home, &["-o", "json", "diff", "-", "--format", "csv"], &csv)
            .await
            .success(),
    );
    assert_eq!(plan["results"][0]["action"], "added", "{plan}");
    let before = home.world().sisense.dashboards[0].shares.len();
    let applied = document(
        &with_stdin(
            &home,
            &["-o", "json", "apply", "-", "--format", "yaml"],
            APPLY_FILE,
        )
        .await
        .success(),
    );
    assert_eq!(applied["results"][0]["action"], "added", "{applied}");
    assert_eq!(home.world().sisense.dashboards[0].shares.len(), before + 1);
    with_stdin(
        &home,
        &["diff", "-", "--format", "yaml", "--exit-code"],
        APPLY_FILE,
    )
    .await
    .success();

    // stdin has no ending: its format must be said; its problems are named at their line.
    with_stdin(&home, &["diff", "-"], APPLY_FILE)
        .await
        .code(2)
        .stderr(predicate::str::contains("--format yaml or --format csv"));
    let broken = format!("{APPLY_FILE}    acess: edit\n");
    with_stdin(&home, &["apply", "-", "--format", "yaml"], &broken)
        .await
        .code(2)
        .stderr(predicate::str::contains("<stdin> has 1 problem"))
        .stderr(predicate::str::contains("line 6: unknown field `acess`"));
}

/// A `--jq` expression that recurses without end, allocates without end, or fails runs bounded
/// in a process of its own (issue 24): the grant's write stands and is journaled, its whole
/// document is printed, and the exit is 2, never a crash.
#[tokio::test(flavor = "multi_thread")]
async fn a_hostile_jq_expression_is_bounded_and_the_write_stands() {
    let home = SandboxHome::start().await;
    let users = [
        "alice@example.com",
        "carol+bi@example.com",
        "erin@example.com",
    ];
    for (expr, user) in [
        ("def f: [f]; f", users[0]),
        ("[range(1e10)]", users[1]),
        (".run_id | tonumber", users[2]),
    ] {
        let started = std::time::Instant::now();
        let assert = home
            .run(
                "sandbox-sisense",
                &[
                    "-o",
                    "json",
                    "--jq",
                    expr,
                    "grant",
                    SISENSE_DASHBOARD,
                    "--user",
                    user,
                ],
            )
            .await
            .code(2);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{expr}"
        );
        let out = String::from_utf8(assert.get_output().stdout.clone()).unwrap();
        let document: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|err| panic!("{expr}: {err}: {out}"));
        let run_id = document["run_id"].as_str().unwrap();
        let err = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
        assert!(err.contains(&format!("--jq '{expr}'")), "{err}");
        let history = home.run("sandbox-sisense", &["history"]).await.success();
        assert!(printed(&history).contains(run_id), "journaled: {expr}");
    }
}
