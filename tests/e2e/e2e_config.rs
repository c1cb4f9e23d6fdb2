//! End to end: `config init`, `config show`, `profile list`, `check --all` and the DASHSHARE_*
//! variables of the global flags, with the real binary against the sandbox.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::common::*;
use dashshare::sandbox::Sandbox;
use dashshare::vendor::Vendor;
use serde_json::Value;

/// The binary in a hermetic home, with `env` set, run off the async runtime.
async fn run_in(
    home: &Path,
    env: &[(String, String)],
    args: &[&str],
) -> assert_cmd::assert::Assert {
    let mut cmd = dashshare(home);
    cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args);
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
}

fn json_of(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).expect("stdout is one JSON document")
}

/// Fills a file `config init` wrote with the sandbox's addresses and account keys (the sandbox's
/// own config holds them), and returns the variables its `*_env` keys name, set to the sandbox's
/// secrets: what a user does after `init` by hand.
fn fill_in(sandbox: &Sandbox, path: &Path) -> Vec<(String, String)> {
    let ours: toml::Table = toml::from_str(&sandbox.config_toml(None)).unwrap();
    let secrets: BTreeMap<String, String> = sandbox.secrets().into_iter().collect();
    let mut section = String::new();
    let mut lines = Vec::new();
    let mut env = Vec::new();
    for line in std::fs::read_to_string(path).unwrap().lines() {
        if let Some(name) = line.strip_prefix("[profiles.") {
            section = name.trim_end_matches(']').to_string();
        }
        let theirs = ours["profiles"].get(format!("sandbox-{section}"));
        let key = line.split(" = ").next().unwrap_or_default();
        match theirs.and_then(|theirs| theirs.get(key)) {
            Some(toml::Value::String(value))
                if !key.ends_with("_env") && !line.starts_with('#') =>
            {
                lines.push(format!("{key} = \"{value}\""));
                continue;
            }
            Some(toml::Value::String(sandbox_var)) => {
                let ours_var = line.split('"').nth(1).unwrap().to_string();
                env.push((ours_var, secrets[sandbox_var].clone()));
            }
            _ => {}
        }
        lines.push(line.to_string());
    }
    std::fs::write(path, lines.join("\n")).unwrap();
    env
}

#[tokio::test]
async fn init_show_list_and_check_all_against_the_sandbox() {
    let sandbox = SandboxHome::start().await;
    let home = sandbox.home.path();
    // No --path: the file goes where it is read from, its folder created.
    let init = run_in(home, &[], &["config", "init"]).await.success();
    let path = home.join("xdg-config/dashshare/config.toml");
    assert!(
        printed(&init).contains(&path.display().to_string()),
        "{}",
        printed(&init)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let written = std::fs::read_to_string(&path).unwrap();
    for var in ["SISENSE_PASSWORD", "ECI_API_KEY", "MINDZIE_TOKEN"] {
        assert!(written.contains(&format!("_env = \"{var}\"")), "{written}");
    }
    let env = fill_in(&sandbox.sandbox, &path);
    assert_eq!(env.len(), 5, "one secret per vendor: {env:?}");

    let list = run_in(home, &env, &["profile", "list", "-o", "json"])
        .await
        .success();
    let list = json_of(&list);
    assert_eq!(list["schema_version"], 1);
    let names: Vec<&str> = list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{list}");
    let default: Vec<&Value> = list["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .collect();
    assert_eq!(default.len(), 1);
    assert_eq!(default[0]["vendor"], Vendor::ALL[0].as_str());
    let table = run_in(home, &env, &["profile", "list"]).await.success();
    assert!(printed(&table).contains("DEFAULT"), "{}", printed(&table));

    let eci = Vendor::Eci.as_str();
    let show = run_in(home, &env, &["config", "show", "-p", eci])
        .await
        .success();
    let show_text = printed(&show);
    assert!(show_text.contains("set (from $ECI_API_KEY)"), "{show_text}");
    assert!(
        show_text.contains(&sandbox.sandbox.url(Vendor::Eci)),
        "{show_text}"
    );
    let show = json_of(
        &run_in(home, &env, &["config", "show", "-p", eci, "-o", "json"])
            .await
            .success(),
    );
    let source_of = |key: &str| {
        show["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == key)
            .map(|v| v["source"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(source_of("profile"), "flag --profile");
    assert_eq!(source_of("url"), format!("file {}", path.display()));
    assert_eq!(source_of("api_key"), "env $ECI_API_KEY");
    assert_eq!(source_of("timeout"), "default");

    let all = run_in(home, &env, &["check", "--all"]).await.success();
    let all_text = printed(&all);
    assert_eq!(all_text.matches(" ok (as ").count(), 5, "{all_text}");
    let all = json_of(
        &run_in(home, &env, &["check", "--all", "-o", "json"])
            .await
            .success(),
    );
    assert_eq!(all["ok"], true);
    assert_eq!(all["profiles"].as_array().unwrap().len(), 5);

    // Writing again refuses, names the file, and leaves it as it was.
    let filled = std::fs::read_to_string(&path).unwrap();
    let again = run_in(home, &env, &["config", "init", Vendor::Eci.as_str()])
        .await
        .code(2);
    assert!(
        printed(&again).contains(&path.display().to_string()),
        "{}",
        printed(&again)
    );
    assert!(
        printed(&again).contains("already exists"),
        "{}",
        printed(&again)
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), filled);
}

#[tokio::test]
async fn check_all_shows_every_row_and_exits_with_the_worst_failure() {
    let sandbox = SandboxHome::start().await;
    let home = sandbox.home.path();
    let path = home.join("init.toml");
    let path_text = path.display().to_string();
    run_in(home, &[], &["config", "init", "--path", &path_text])
        .await
        .success();
    let mut env = fill_in(&sandbox.sandbox, &path);
    let missing = "MINDZIE_TOKEN";
    env.retain(|(name, _)| name != missing);
    let configured = run_in(
        home,
        &env,
        &["--config", &path_text, "check", "--all", "-o", "json"],
    )
    .await
    .code(2);
    let report = json_of(&configured);
    let rows = report["profiles"].as_array().unwrap();
    assert_eq!(
        rows.iter().filter(|row| row["ok"] == true).count(),
        4,
        "{report}"
    );
    assert!(
        printed(&configured).contains(missing),
        "{}",
        printed(&configured)
    );

    // A refused password (exit 3) is worse than the missing variable (exit 2).
    for (name, value) in env.iter_mut() {
        if name == "SISENSE_PASSWORD" {
            *value = "wrong-password".into();
        }
    }
    let refused = run_in(home, &env, &["--config", &path_text, "check", "--all"])
        .await
        .code(3);
    let text = printed(&refused);
    assert_eq!(text.matches(" ok (as ").count(), 3, "{text}");
    assert!(text.contains("2 of 5 profiles failed"), "{text}");
}

#[tokio::test]
async fn config_show_never_prints_a_secret_even_at_vvv() {
    let sandbox = SandboxHome::start().await;
    let home = sandbox.home.path();
    let config = home.join("config.toml").display().to_string();
    let secret = "hunter2-SHOW-SECRET";
    let env = vec![
        ("SANDBOX_SISENSE_PASSWORD".to_string(), secret.to_string()),
        ("DASHSHARE_CONFIG".to_string(), config),
    ];
    for output in ["table", "json"] {
        let shown = run_in(
            home,
            &env,
            &[
                "config",
                "show",
                "-p",
                "sandbox-sisense",
                "-vvv",
                "-o",
                output,
            ],
        )
        .await
        .success();
        let text = printed(&shown);
        assert!(!text.contains(secret), "{text}");
        assert!(
            text.contains("set (from $SANDBOX_SISENSE_PASSWORD)"),
            "{text}"
        );
    }
    let unset = run_in(
        home,
        &env[1..],
        &["config", "show", "-p", "sandbox-sisense"],
    )
    .await
    .success();
    assert!(
        printed(&unset).contains("not set ($SANDBOX_SISENSE_PASSWORD"),
        "{}",
        printed(&unset)
    );
}

/// One test per kind of global flag given by its variable: a path, a profile name, an enum, a
/// number, a count, booleans, and --vendor/--url; a flag on the command line wins.
#[tokio::test]
async fn every_kind_of_global_flag_comes_from_its_variable() {
    let sandbox = SandboxHome::start().await;
    let home = sandbox.home.path();
    let mut env: Vec<(String, String)> = sandbox.sandbox.secrets();
    env.push((
        "DASHSHARE_CONFIG".into(),
        home.join("config.toml").display().to_string(),
    ));
    let with = |more: &[(&str, &str)]| {
        let mut all = env.clone();
        all.extend(more.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        all
    };

    // A profile name, and -p winning over it.
    let eci = with(&[("DASHSHARE_PROFILE", "sandbox-eci")]);
    let checked = run_in(home, &eci, &["check"]).await.success();
    assert!(
        printed(&checked).contains("'sandbox-eci'"),
        "{}",
        printed(&checked)
    );
    let flagged = run_in(home, &eci, &["-p", "sandbox-vizzly", "check"])
        .await
        .success();
    assert!(
        printed(&flagged).contains("'sandbox-vizzly'"),
        "{}",
        printed(&flagged)
    );

    // An enum.
    let json = run_in(home, &with(&[("DASHSHARE_OUTPUT", "json")]), &["check"])
        .await
        .success();
    assert_eq!(json_of(&json)["ok"], true);

    // A number, shown with its source; the flag wins.
    let timeout = with(&[("DASHSHARE_TIMEOUT", "7")]);
    let shown = json_of(
        &run_in(home, &timeout, &["config", "show", "-o", "json"])
            .await
            .success(),
    );
    let row = |shown: &Value| {
        shown["values"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["key"] == "timeout")
            .cloned()
            .unwrap()
    };
    assert_eq!(row(&shown)["value"], "7");
    assert_eq!(row(&shown)["source"], "env $DASHSHARE_TIMEOUT");
    let shown = json_of(
        &run_in(
            home,
            &timeout,
            &["config", "show", "-o", "json", "--timeout", "9"],
        )
        .await
        .success(),
    );
    assert_eq!(row(&shown)["source"], "flag --timeout");
    run_in(home, &with(&[("DASHSHARE_TIMEOUT", "0")]), &["check"])
        .await
        .code(2);

    // A path: the journal of a grant.
    let journal = home.join("elsewhere/journal.jsonl");
    let granted = with(&[
        ("DASHSHARE_JOURNAL", journal.to_str().unwrap()),
        ("DASHSHARE_PROFILE", "sandbox-sisense"),
    ]);
    run_in(
        home,
        &granted,
        &["grant", SISENSE_DASHBOARD, "--user", "alice@example.com"],
    )
    .await
    .success();
    assert!(journal.is_file(), "DASHSHARE_JOURNAL was not used");

    // A count: DASHSHARE_VERBOSE=1 logs the requests as -v does.
    let quiet_run = printed(&run_in(home, &env, &["check"]).await.success());
    let verbose_run = printed(
        &run_in(home, &with(&[("DASHSHARE_VERBOSE", "1")]), &["check"])
            .await
            .success(),
    );
    assert!(verbose_run.len() > quiet_run.len(), "{verbose_run}");

    // Booleans: set, and set to false.
    let insecure = printed(
        &run_in(home, &with(&[("DASHSHARE_INSECURE", "1")]), &["check"])
            .await
            .success(),
    );
    assert!(insecure.contains("--insecure"), "{insecure}");
    let secure = printed(
        &run_in(home, &with(&[("DASHSHARE_INSECURE", "false")]), &["check"])
            .await
            .success(),
    );
    assert!(!secure.contains("--insecure"), "{secure}");
    // -v on the command line wins over DASHSHARE_QUIET (no clash), and both variables at
    // once are refused.
    let flag_wins = printed(
        &run_in(home, &with(&[("DASHSHARE_QUIET", "yes")]), &["-v", "check"])
            .await
            .success(),
    );
    assert!(flag_wins.len() > quiet_run.len(), "{flag_wins}");
    let both = run_in(
        home,
        &with(&[("DASHSHARE_QUIET", "1"), ("DASHSHARE_VERBOSE", "2")]),
        &["check"],
    )
    .await
    .code(2);
    assert!(
        printed(&both).contains("DASHSHARE_QUIET"),
        "{}",
        printed(&both)
    );

    // A file path that must exist: the CA certificate.
    let missing_ca = home.join("no-such-ca.pem");
    let refused = run_in(
        home,
        &with(&[("DASHSHARE_CA_CERT", missing_ca.to_str().unwrap())]),
        &["check"],
    )
    .await
    .failure();
    assert!(
        printed(&refused).contains("no-such-ca.pem"),
        "{}",
        printed(&refused)
    );

    // --vendor and --url, without a config file.
    let url = sandbox.sandbox.url(Vendor::Eci);
    let eci_key = env_value(&sandbox.sandbox, "api_key");
    let bare = vec![
        (
            "DASHSHARE_VENDOR".to_string(),
            Vendor::Eci.as_str().to_string(),
        ),
        ("DASHSHARE_URL".to_string(), url),
        ("DASHSHARE_API_KEY".to_string(), eci_key),
    ];
    let checked = run_in(home, &bare, &["check"]).await.success();
    assert!(
        printed(&checked).contains("(environment)"),
        "{}",
        printed(&checked)
    );
    let shown = printed(&run_in(home, &bare, &["config", "show"]).await.success());
    assert!(
        shown.contains("env $DASHSHARE_VENDOR") && shown.contains("env $DASHSHARE_URL"),
        "{shown}"
    );

    // The command line wins over the other pair's variables: --config/-p over a job's
    // DASHSHARE_VENDOR/DASHSHARE_URL, and --vendor/--url over its DASHSHARE_CONFIG.
    let config = home.join("sandbox.toml");
    std::fs::write(&config, sandbox.sandbox.config_toml(None)).unwrap();
    let config = config.to_str().unwrap();
    let mut both = bare.clone();
    both.extend(sandbox.sandbox.secrets());
    let by_profile = ["--config", config, "-p", "sandbox-eci", "check"];
    run_in(home, &both, &by_profile).await.success();
    both.push(("DASHSHARE_CONFIG".to_string(), config.to_string()));
    let url = sandbox.sandbox.url(Vendor::Eci);
    let by_vendor = ["check", "--vendor", "eci", "--url", url.as_str()];
    let checked = run_in(home, &both, &by_vendor).await.success();
    assert!(
        printed(&checked).contains("(environment)"),
        "{}",
        printed(&checked)
    );
}

/// The secret of the sandbox profile whose secret is a `key` (api_key, password, token) and
/// whose vendor is ECI.
fn env_value(sandbox: &Sandbox, key: &str) -> String {
    let config: toml::Table = toml::from_str(&sandbox.config_toml(None)).unwrap();
    let profile = &config["profiles"][&format!("sandbox-{}", Vendor::Eci.as_str())];
    let var = profile[&format!("{key}_env")].as_str().unwrap();
    sandbox
        .secrets()
        .into_iter()
        .find(|(name, _)| name == var)
        .map(|(_, value)| value)
        .unwrap()
}

/// Where `config init` writes when told: the path given, never over a file.
#[tokio::test]
async fn init_writes_the_named_vendors_to_the_given_path() {
    let home = tempfile::tempdir().unwrap();
    let path: PathBuf = home.path().join("deep/er/dashshare.toml");
    let written = run_in(
        home.path(),
        &[],
        &[
            "config",
            "init",
            Vendor::Mindzie.as_str(),
            Vendor::Eci.as_str(),
            "--path",
            path.to_str().unwrap(),
            "-o",
            "json",
        ],
    )
    .await
    .success();
    let report = json_of(&written);
    assert_eq!(report["default_profile"], Vendor::Mindzie.as_str());
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.matches("[profiles.").count(), 2, "{text}");
    assert!(text.contains(&format!(
        "default_profile = \"{}\"",
        Vendor::Mindzie.as_str()
    )));
}

/// `common::dashshare` runs the binary with an empty environment, so no developer's setting of
/// a flag's variable can change a test. Checked generically: this test runs itself again with
/// every variable the command line reads (clap's `env`, and -v/-q's) set to a value the binary
/// would refuse, and the binary must not see one.
#[test]
fn the_hermetic_command_keeps_every_flag_variable_out() {
    const AGAIN: &str = "DASHSHARE_TEST_HERMETIC_AGAIN";
    if std::env::var_os(AGAIN).is_none() {
        let mut names: Vec<String> = <dashshare::cli::Cli as clap::CommandFactory>::command()
            .get_arguments()
            .filter_map(|arg| arg.get_env()?.to_str().map(str::to_string))
            .collect();
        assert!(names.len() >= 9, "the flags' variables: {names:?}");
        names.extend(["DASHSHARE_VERBOSE".into(), "DASHSHARE_QUIET".into()]);
        let mut rerun = std::process::Command::new(std::env::current_exe().unwrap());
        rerun
            .args([
                "--exact",
                "the_hermetic_command_keeps_every_flag_variable_out",
            ])
            .env(AGAIN, "1");
        for name in &names {
            rerun.env(name, "not-a-valid-value");
        }
        let output = rerun.output().unwrap();
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("config.toml");
    let path = path.to_str().unwrap();
    dashshare(home.path())
        .args(["config", "init", "--path", path])
        .assert()
        .success();
    let listed = dashshare(home.path())
        .args(["--config", path, "profile", "list"])
        .assert()
        .success();
    assert!(
        printed(&listed).starts_with("DEFAULT"),
        "{}",
        printed(&listed)
    );
}
