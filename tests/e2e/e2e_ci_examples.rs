//! End to end: every pipeline under examples/ci/ runs its own steps against the sandbox, so the
//! examples keep working. The scheduled drift check fails before the file is applied, the
//! pull-request step shows the change, the merge (or timer) step applies it with the journal on the
//! pipeline's persistent path, and the drift check passes afterwards.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::*;
use serde_json::Value;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ci");

/// How a pipeline runs one of its steps.
#[derive(Debug, Clone)]
enum Step {
    /// A shell script, run as CI runners do (`bash -eo pipefail`).
    Shell(String),
    /// A program and its arguments, without a shell (Kubernetes, systemd).
    Exec(Vec<String>),
}

/// What one example does, read from its own file.
#[derive(Debug, Default)]
struct Pipeline {
    /// Shows the change a pull or merge request makes; must pass while the change is pending.
    plan: Vec<Step>,
    /// Runs on merge or on the timer.
    apply: Vec<Step>,
    /// A scheduled check that fails while the servers differ from the file.
    drift: Vec<Step>,
    /// The variables the example sets itself (secret references left out).
    env: BTreeMap<String, String>,
    /// The journal the apply steps write, where the pipeline keeps it between runs.
    journal: PathBuf,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(EXAMPLES).join(path)).unwrap()
}

fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

fn plain_env(map: &Value) -> BTreeMap<String, String> {
    map.as_object()
        .into_iter()
        .flatten()
        // `${{ secrets.X }}` comes from the pipeline's secret store; the sandbox's are set instead.
        .filter_map(|(name, value)| value.as_str().map(|value| (name, value)))
        .filter(|(_, value)| !value.contains("${{"))
        .map(|(name, value)| (name.clone(), value.to_string()))
        .collect()
}

fn github_actions() -> Pipeline {
    let workflow = yaml(&read("github-actions.yml"));
    let steps = |job: &str| -> Vec<Step> {
        let steps = workflow["jobs"][job]["steps"].as_array().unwrap();
        let installs = steps.iter().filter(|step| step["id"] == "install").count();
        assert_eq!(installs, 1, "job {job} installs dashshare in one step");
        steps
            .iter()
            .filter(|step| step["id"] != "install")
            .filter_map(|step| step["run"].as_str())
            .map(|script| Step::Shell(script.to_string()))
            .collect()
    };
    Pipeline {
        plan: steps("plan"),
        apply: steps("apply"),
        drift: steps("drift"),
        env: plain_env(&workflow["env"]),
        journal: ".dashshare-state/journal.jsonl".into(),
    }
}

fn gitlab_ci() -> Pipeline {
    let config = yaml(&read("gitlab-ci.yml"));
    let install = config["default"]["before_script"].as_array().unwrap();
    assert!(
        install
            .iter()
            .all(|line| line.as_str().unwrap().starts_with("cargo install")),
        "before_script only installs dashshare: {install:?}"
    );
    // Every line of a job's script runs in one shell, one after another.
    let script = |job: &str| {
        let lines: Vec<&str> = config[job]["script"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| line.as_str().unwrap())
            .collect();
        vec![Step::Shell(lines.join("\n"))]
    };
    Pipeline {
        plan: script("plan"),
        apply: script("apply"),
        drift: script("drift"),
        env: plain_env(&config["variables"]),
        journal: ".dashshare-state/journal.jsonl".into(),
    }
}

/// Where the examples' absolute paths land in the test's workspace.
const MOUNTS: [(&str, &str); 3] = [
    ("/usr/local/bin/dashshare", env!("CARGO_BIN_EXE_dashshare")),
    ("/etc/dashshare", "dashshare"),
    ("/var/lib/dashshare", "state"),
];

fn mapped(text: &str) -> String {
    MOUNTS
        .iter()
        .fold(text.to_string(), |text, (from, to)| text.replace(from, to))
}

fn kubernetes_cronjob() -> Pipeline {
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&read("kubernetes-cronjob.yaml")).unwrap();
    let cron_job = documents
        .iter()
        .find(|document| document["kind"] == "CronJob")
        .unwrap();
    assert_eq!(cron_job["spec"]["concurrencyPolicy"], "Forbid");
    let container = &cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let mounts: Vec<&str> = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|mount| mount["mountPath"].as_str().unwrap())
        .collect();
    assert_eq!(mounts, ["/etc/dashshare", "/var/lib/dashshare"]);
    // The image's entrypoint is dashshare: the container gives only its arguments.
    let mut command = vec![env!("CARGO_BIN_EXE_dashshare").to_string()];
    command.extend(
        container["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|arg| mapped(arg.as_str().unwrap())),
    );
    let env = container["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|var| {
            let value = var["value"].as_str().unwrap();
            (var["name"].as_str().unwrap().to_string(), mapped(value))
        })
        .collect();
    Pipeline {
        apply: vec![Step::Exec(command)],
        env,
        journal: "state/journal.jsonl".into(),
        ..Pipeline::default()
    }
}

fn systemd_service() -> Pipeline {
    let unit = read("systemd/dashshare-apply.service");
    let timer = read("systemd/dashshare-apply.timer");
    assert!(timer.contains("OnCalendar="), "the timer has a schedule");
    let mut pipeline = Pipeline {
        journal: "state/journal.jsonl".into(),
        ..Pipeline::default()
    };
    assert!(unit.contains("StateDirectory=dashshare"));
    for line in unit.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key {
            "Environment" => {
                let (name, value) = value.split_once('=').unwrap();
                pipeline.env.insert(name.to_string(), mapped(value));
            }
            "ExecStartPre" | "ExecStart" => {
                assert!(
                    !value.contains('"'),
                    "quoting is not modelled here: {value}"
                );
                let command = mapped(value).split_whitespace().map(String::from).collect();
                pipeline.apply.push(Step::Exec(command));
            }
            _ => {}
        }
    }
    pipeline
}

/// The example's own config and shares, the config pointed at the sandbox: each example profile
/// takes the connection of the sandbox profile of its vendor.
fn workspace(home: &SandboxHome) -> tempfile::TempDir {
    let workspace = tempfile::TempDir::new().unwrap();
    let folder = workspace.path().join("dashshare");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::create_dir_all(workspace.path().join("state")).unwrap();
    std::fs::write(folder.join("shares.yaml"), read("dashshare/shares.yaml")).unwrap();
    let mut config: toml::Table = read("dashshare/config.toml").parse().unwrap();
    let sandbox: toml::Table = home.sandbox.config_toml(None).parse().unwrap();
    let sandbox_profiles = sandbox["profiles"].as_table().unwrap();
    for (_, profile) in config["profiles"].as_table_mut().unwrap().iter_mut() {
        let vendor = profile["vendor"].clone();
        *profile = sandbox_profiles
            .values()
            .find(|candidate| candidate["vendor"] == vendor)
            .unwrap()
            .clone();
    }
    std::fs::write(folder.join("config.toml"), config.to_string()).unwrap();
    workspace
}

/// Runs `steps` in the workspace as the pipeline would; the exit code of the first that fails.
fn run(home: &SandboxHome, workspace: &Path, pipeline: &Pipeline, steps: &[Step]) -> i32 {
    let bin = Path::new(env!("CARGO_BIN_EXE_dashshare")).parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    for step in steps {
        let mut command = match step {
            Step::Shell(script) => {
                let mut command = Command::new("bash");
                command.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script]);
                command
            }
            Step::Exec(argv) => {
                let mut command = Command::new(&argv[0]);
                command.args(&argv[1..]);
                command
            }
        };
        command
            .current_dir(workspace)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", workspace.join("home"))
            .env("NO_COLOR", "1")
            .env("GITHUB_STEP_SUMMARY", workspace.join("summary.md"))
            .envs(home.sandbox.secrets())
            .envs(&pipeline.env);
        // The sandbox answers on this runtime: wait for the step without holding up its workers.
        let output = tokio::task::block_in_place(|| command.output()).unwrap();
        let code = output.status.code().unwrap();
        if code != 0 {
            eprintln!(
                "step {step:?} exited {code}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return code;
        }
    }
    0
}

fn alice_can_see_the_dashboard(home: &SandboxHome) -> bool {
    let world = home.world();
    let alice = world
        .sisense
        .users
        .iter()
        .find(|user| user.email == "alice@example.com")
        .unwrap();
    world
        .sisense
        .dashboards
        .iter()
        .find(|dashboard| dashboard.oid == SISENSE_DASHBOARD)
        .unwrap()
        .shares
        .iter()
        .any(|share| share["shareId"] == alice.id.as_str())
}

async fn exercise(pipeline: Pipeline) {
    let home = SandboxHome::start().await;
    let workspace = workspace(&home);
    let root = workspace.path();
    assert!(!alice_can_see_the_dashboard(&home));

    if !pipeline.drift.is_empty() {
        assert_eq!(
            run(&home, root, &pipeline, &pipeline.drift),
            4,
            "drift before apply"
        );
    }
    if !pipeline.plan.is_empty() {
        assert_eq!(run(&home, root, &pipeline, &pipeline.plan), 0, "plan");
        let plan = std::fs::read_to_string(root.join("plan.md")).unwrap();
        assert!(plan.contains("alice@example.com"), "{plan}");
        assert!(
            !alice_can_see_the_dashboard(&home),
            "the plan wrote nothing"
        );
    }

    assert_eq!(run(&home, root, &pipeline, &pipeline.apply), 0, "apply");
    assert!(alice_can_see_the_dashboard(&home));
    let journal = std::fs::read_to_string(root.join(&pipeline.journal)).unwrap();
    assert!(journal.contains("5829b46bd009e91420000047"), "{journal}");

    // The next run (a later merge, the next tick of the timer) finds nothing to change.
    assert_eq!(
        run(&home, root, &pipeline, &pipeline.apply),
        0,
        "second apply"
    );
    if !pipeline.drift.is_empty() {
        assert_eq!(
            run(&home, root, &pipeline, &pipeline.drift),
            0,
            "drift after apply"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn github_actions_workflow_plans_applies_and_checks_drift() {
    exercise(github_actions()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gitlab_pipeline_plans_applies_and_checks_drift() {
    exercise(gitlab_ci()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kubernetes_cron_job_applies_with_the_journal_on_its_volume() {
    exercise(kubernetes_cronjob()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn systemd_timer_applies_with_the_journal_in_its_state_directory() {
    exercise(systemd_service()).await;
}
