//! End to end: the binary's terminal manners (completions, man, --version, did-you-mean, pager,
//! publish of a missing dashboard), against the sandbox where a server is needed.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::common::{SandboxHome, dashshare, printed};

/// Runs `command` with its stdout a pipe whose reading end is already closed, as
/// `dashshare completions bash | head -1` leaves it once head has its line.
fn with_closed_stdout(mut command: Command) -> std::process::Output {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    drop(child.stdout.take());
    let mut stderr = String::new();
    let status = {
        let mut pipe = child.stderr.take().unwrap();
        pipe.read_to_string(&mut stderr).unwrap();
        child.wait().unwrap()
    };
    std::process::Output {
        status,
        stdout: Vec::new(),
        stderr: stderr.into_bytes(),
    }
}

fn binary(home: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dashshare"));
    command.env_clear().env("HOME", home).env("NO_COLOR", "1");
    command
}

#[test]
fn completions_into_a_closed_pipe_do_not_panic() {
    let home = tempfile::TempDir::new().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let mut command = binary(home.path());
        command.args(["completions", shell]);
        let output = with_closed_stdout(command);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{shell}: {stderr}");
        assert!(!stderr.contains("panicked"), "{shell}: {stderr}");
    }
}

#[test]
fn the_completion_script_calls_dashshare_back() {
    let home = tempfile::TempDir::new().unwrap();
    let assert = dashshare(home.path())
        .args(["completions", "bash"])
        .assert()
        .success();
    let script = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(script.contains("DASHSHARE_COMPLETE=\"bash\""), "{script}");
    assert!(script.contains("complete -o nospace"), "{script}");
}

/// What bash's completion function asks the binary for the word at `index` of `words`.
fn bash_completes(home: &std::path::Path, config: &std::path::Path, words: &[&str]) -> Vec<String> {
    let assert = dashshare(home)
        .env("DASHSHARE_CONFIG", config)
        .env("DASHSHARE_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .arg("--")
        .args(words)
        .assert()
        .success();
    String::from_utf8_lossy(&assert.get_output().stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn profile_names_complete_from_the_config_file() {
    let home = tempfile::TempDir::new().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[profiles.prod-sisense]\nvendor = \"sisense\"\nurl = \"https://bi.example.com\"\n\n\
         [profiles.prod-eci]\nvendor = \"eci\"\nurl = \"https://eci.example.com\"\n\n\
         [profiles.staging]\nvendor = \"eci\"\nurl = \"https://eci.example.com\"\n",
    )
    .unwrap();
    let all = bash_completes(home.path(), &config, &["dashshare", "list", "-p", ""]);
    assert_eq!(all, ["prod-eci", "prod-sisense", "staging"]);
    let prod = bash_completes(
        home.path(),
        &config,
        &["dashshare", "-p", "prod", "list"][..3],
    );
    assert_eq!(prod, ["prod-eci", "prod-sisense"]);
    // No config file: nothing to offer, and no error.
    let missing = home.path().join("none.toml");
    assert!(bash_completes(home.path(), &missing, &["dashshare", "list", "-p", ""]).is_empty());
}

#[test]
fn the_man_page_renders_and_names_the_commands() {
    let home = tempfile::TempDir::new().unwrap();
    let assert = dashshare(home.path()).arg("man").assert().success();
    let page = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(page.starts_with(".ie"), "{}", &page[..200.min(page.len())]);
    assert!(page.contains(".TH dashshare 1"), "{page}");
    for command in ["grant", "revoke", "apply", "undo", "completions", "man"] {
        assert!(page.contains(command), "no {command} in the page");
    }

    let dir = home.path().join("man1");
    dashshare(home.path())
        .args(["man", "--out"])
        .arg(&dir)
        .assert()
        .success();
    for page in [
        "dashshare.1",
        "dashshare-grant.1",
        "dashshare-link-create.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".TH"), "{page}");
    }
}

#[test]
fn the_version_names_the_commit_and_the_build_date() {
    let home = tempfile::TempDir::new().unwrap();
    let assert = dashshare(home.path()).arg("--version").assert().success();
    let version = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    let pattern = regex::Regex::new(
        r"^dashshare \d+\.\d+\.\d+ \(([0-9a-f]{7,}|unknown) \d{4}-\d{2}-\d{2}\)\n$",
    )
    .unwrap();
    assert!(pattern.is_match(&version), "{version:?}");
}

#[test]
fn an_unknown_profile_suggests_the_closest() {
    let home = tempfile::TempDir::new().unwrap();
    let config = home.path().join("config.toml");
    std::fs::write(
        &config,
        "[profiles.production]\nvendor = \"eci\"\nurl = \"https://eci.example.com\"\n\n\
         [profiles.staging]\nvendor = \"eci\"\nurl = \"https://eci.example.com\"\n",
    )
    .unwrap();
    let assert = dashshare(home.path())
        .env("DASHSHARE_CONFIG", &config)
        .args(["-p", "prodution", "list", "d1"])
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).to_string();
    assert!(stderr.contains("did you mean 'production'?"), "{stderr}");
    assert!(!stderr.contains("'staging'?"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_dashboard_title_suggests_the_closest() {
    let run = SandboxHome::start().await;
    let assert = run
        .run("sandbox-eci", &["list", "name:Water & Gas"])
        .await
        .code(2);
    let said = printed(&assert);
    assert!(said.contains("did you mean 'Water + Gas'?"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_of_a_missing_dashboard_says_it_does_not_exist() {
    let run = SandboxHome::start().await;
    let assert = run
        .run("sandbox-sisense", &["publish", "5829b46bd009e914200000ff"])
        .await
        .code(2);
    let said = printed(&assert);
    assert!(said.contains("does not exist"), "{said}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_piped_listing_does_not_go_through_the_pager() {
    let run = SandboxHome::start().await;
    // A pager that would leave a mark, were it run: stdout is a pipe here, so it is not.
    let env = [("PAGER", "sed s/^/PAGED:/")];
    let paged = run
        .run_with("sandbox-eci", &env, &["dashboards"])
        .await
        .success();
    let plain = run
        .run("sandbox-eci", &["dashboards", "--no-pager"])
        .await
        .success();
    let paged = String::from_utf8_lossy(&paged.get_output().stdout).to_string();
    let plain = String::from_utf8_lossy(&plain.get_output().stdout).to_string();
    assert!(paged.contains("Water + Gas"), "{paged}");
    assert_eq!(paged, plain);
}
