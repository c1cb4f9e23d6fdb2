//! The command line as people see it: `cli`'s clap tree with two or three examples ending each
//! command's `--help`, and the global flags a command ignores left out of its help. They are
//! hidden, not removed: a script that passes `--journal` to every command keeps working.

use clap::{CommandFactory, FromArgMatches};

use crate::cli::Cli;

/// The examples that end each command's `--help`, by command path. Each is a real invocation:
/// a unit test parses every one (up to a shell redirection or `#` comment).
pub const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "grant",
        &[
            "dashshare grant 5829b46bd009e91420000047 --user alice@example.com",
            "dashshare grant name:\"Sales KPIs\" --group analysts --access edit -p prod",
            "dashshare grant 5829b46bd009e91420000047 --user bob@example.com --for 7d",
        ],
    ),
    (
        "revoke",
        &[
            "dashshare revoke 5829b46bd009e91420000047 --user alice@example.com",
            "dashshare revoke name:\"Sales KPIs\" --group analysts --dry-run",
        ],
    ),
    (
        "list",
        &[
            "dashshare list 5829b46bd009e91420000047",
            "dashshare list name:\"Sales KPIs\" -p prod -o json",
        ],
    ),
    (
        "dashboards",
        &[
            "dashshare dashboards --search sales",
            "dashshare dashboards --all -o json",
        ],
    ),
    (
        "users",
        &[
            "dashshare users --search alice",
            "dashshare -o json users --jq '.users[].name'",
        ],
    ),
    (
        "groups",
        &[
            "dashshare -p prod-eci groups",
            "dashshare -p avx groups --search ops",
        ],
    ),
    (
        "access",
        &[
            "dashshare access --user alice@example.com -p prod -p prod-eci",
            "dashshare access --user alice@example.com --via-groups -o markdown",
            "dashshare access --group Marketing --format csv > marketing.csv",
        ],
    ),
    (
        "offboard",
        &[
            "dashshare offboard --user bob@example.com -p prod -p prod-eci --dry-run",
            "dashshare offboard --user bob@example.com -p prod --keep-owned --max-removals 200 --yes",
        ],
    ),
    (
        "export",
        &[
            "dashshare export -p prod --out shares.yaml",
            "dashshare export -p prod -p finance --format csv > shares.csv",
            "dashshare diff shares.yaml --prune --exit-code   # right after an export: exit 0",
        ],
    ),
    (
        "report",
        &[
            "dashshare report -p prod -p finance --out access.html",
            "dashshare report -p prod --against shares.yaml --many 5   # Markdown on stdout",
            "dashshare report -p finance --format csv --out access.csv",
        ],
    ),
    (
        "publish",
        &[
            "dashshare publish 5829b46bd009e91420000047",
            "dashshare publish name:\"Sales KPIs\" -p prod",
        ],
    ),
    (
        "link",
        &[
            "dashshare link create name:\"Sales KPIs\" --expires-in 30d",
            "dashshare link list name:\"Sales KPIs\" -o json",
        ],
    ),
    (
        "link create",
        &[
            "dashshare link create name:\"Sales KPIs\" --expires-in 30d --allow-domain intranet.example.com",
            "dashshare link create name:\"Sales KPIs\" --password-env LINK_PASSWORD --no-embed",
        ],
    ),
    (
        "link list",
        &[
            "dashshare link list name:\"Sales KPIs\"",
            "dashshare link list name:\"Sales KPIs\" -o json",
        ],
    ),
    (
        "link update",
        &[
            "dashshare link update name:\"Sales KPIs\" SHARE_ID --expires 2026-12-31",
            "dashshare link update name:\"Sales KPIs\" SHARE_ID --no-expiry --no-domain-limit",
        ],
    ),
    (
        "link revoke",
        &[
            "dashshare link revoke name:\"Sales KPIs\" SHARE_ID",
            "dashshare link revoke name:\"Sales KPIs\" SHARE_ID -o json",
        ],
    ),
    (
        "embed",
        &[
            "dashshare embed name:\"Sales KPIs\" --theme dark --toolbar false",
            "dashshare embed name:\"Sales KPIs\" --public",
        ],
    ),
    (
        "apply",
        &[
            "dashshare apply shares.yaml",
            "dashshare apply shares.csv --prune --max-removals 5 --failed-out failed.csv",
            "dashshare apply --plan plan.json   # exactly what `diff --out plan.json` showed",
        ],
    ),
    (
        "diff",
        &[
            "dashshare diff shares.yaml --exit-code   # exit 4 on drift",
            "dashshare diff shares.yaml --prune --out plan.json",
            "dashshare diff shares.yaml -o markdown   # a pull-request comment",
        ],
    ),
    (
        "history",
        &["dashshare history", "dashshare history -o json"],
    ),
    (
        "undo",
        &[
            "dashshare undo RUN_ID --dry-run   # the run id from `dashshare history`",
            "dashshare undo RUN_ID",
        ],
    ),
    (
        "expire",
        &[
            "dashshare grant 5829b46bd009e91420000047 --user alice@example.com --for 7d",
            "dashshare expire --dry-run",
            "dashshare expire   # from cron, e.g. hourly",
        ],
    ),
    (
        "vendors",
        &["dashshare vendors", "dashshare vendors -o json"],
    ),
    (
        "check",
        &[
            "dashshare check -p prod",
            "dashshare check --all   # every profile, one row each",
            "dashshare check -p prod --deep --user alice@example.com --dashboard name:\"Sales KPIs\"",
        ],
    ),
    (
        "config",
        &[
            "dashshare config init sisense eci",
            "dashshare config show -p prod",
        ],
    ),
    (
        "config init",
        &[
            "dashshare config init sisense",
            "dashshare config init sisense eci --path ./dashshare.toml",
        ],
    ),
    (
        "config show",
        &[
            "dashshare config show",
            "dashshare config show -p prod -o json",
            "DASHSHARE_TIMEOUT=60 dashshare config show   # timeout 60, from env $DASHSHARE_TIMEOUT",
        ],
    ),
    (
        "profile",
        &["dashshare profile list", "dashshare profile list -o json"],
    ),
    (
        "profile list",
        &[
            "dashshare profile list",
            "dashshare profile list -o json",
            "dashshare check --all   # log in with each",
        ],
    ),
    (
        "completions",
        &[
            "dashshare completions bash > ~/.local/share/bash-completion/completions/dashshare",
            "dashshare completions zsh > ~/.zfunc/_dashshare",
            "dashshare completions fish > ~/.config/fish/completions/dashshare.fish",
        ],
    ),
    (
        "man",
        &[
            "dashshare man > dashshare.1",
            "dashshare man --out /usr/local/share/man/man1",
        ],
    ),
    (
        "sandbox",
        &[
            "dashshare sandbox --write-config sandbox.toml",
            "dashshare sandbox --latency-ms 200 --fail-rate 0.1 --rate-limit 5",
        ],
    ),
    ("demo", &["dashshare demo", "dashshare demo -v"]),
];

/// The global flags (by clap id) that say where and how to reach a server.
const CONNECTION: &[&str] = &[
    "config",
    "profile",
    "vendor",
    "url",
    "timeout",
    "retry_budget",
    "ca_cert",
    "insecure",
];

/// The commands whose listings may go through $PAGER (`--no-pager`).
const PAGED: &[&str] = &["dashboards", "list", "history", "users", "groups", "access"];

/// The global flags `command` (a top-level command) ignores: hidden from its help.
fn ignored(command: &str) -> Vec<&'static str> {
    let mut hidden: Vec<&str> = match command {
        "completions" | "man" => [
            CONNECTION,
            &[
                "output",
                "jq",
                "verbose",
                "quiet",
                "log_file",
                "journal",
                "journal_max_mib",
            ],
        ]
        .concat(),
        "demo" | "sandbox" => {
            [CONNECTION, &["output", "jq", "journal", "journal_max_mib"]].concat()
        }
        "vendors" => [CONNECTION, &["journal", "journal_max_mib"]].concat(),
        "history" => CONNECTION.to_vec(),
        _ => Vec::new(),
    };
    if !PAGED.contains(&command) {
        hidden.push("no_pager");
    }
    hidden
}

/// The clap command of `Cli`, with the examples and the hidden flags.
pub fn command() -> clap::Command {
    let mut root = Cli::command();
    for (path, examples) in EXAMPLES {
        let names: Vec<&str> = path.split(' ').collect();
        root = with_subcommand(root, &names, &|command| with_examples(command, examples));
    }
    let globals: Vec<clap::Arg> = root
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    let names: Vec<String> = root
        .get_subcommands()
        .map(|command| command.get_name().to_string())
        .collect();
    for name in names {
        let hidden = ignored(&name);
        root = root.mut_subcommand(name, |mut command| {
            // clap copies a global flag into a command only when it has none of that id: a
            // hidden copy stays hidden, and parses as the original.
            for arg in globals
                .iter()
                .filter(|arg| hidden.contains(&arg.get_id().as_str()))
            {
                command = command.arg(arg.clone().hide(true));
            }
            command
        });
    }
    root
}

fn with_subcommand(
    command: clap::Command,
    path: &[&str],
    change: &dyn Fn(clap::Command) -> clap::Command,
) -> clap::Command {
    match path {
        [] => change(command),
        [first, rest @ ..] => {
            command.mut_subcommand(*first, |sub| with_subcommand(sub, rest, change))
        }
    }
}

fn with_examples(command: clap::Command, examples: &[&str]) -> clap::Command {
    let before = command
        .get_after_help()
        .map(|text| format!("{text}\n\n"))
        .unwrap_or_default();
    let lines: Vec<String> = examples.iter().map(|line| format!("  {line}")).collect();
    command.after_help(format!("{before}Examples:\n{}", lines.join("\n")))
}

/// The command line of this process; on bad usage, clap's message and exit code 2.
pub fn parse() -> Cli {
    parse_from(std::env::args_os()).unwrap_or_else(|err| err.exit())
}

/// `args` (the program name first) parsed as `parse` does.
pub fn parse_from(
    args: impl IntoIterator<Item = impl Into<std::ffi::OsString> + Clone>,
) -> Result<Cli, clap::Error> {
    let mut command = command();
    let matches = command.try_get_matches_from_mut(args)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(|err| err.format(&mut command))?;
    prefer_the_command_line(&mut cli, &matches);
    Ok(cli)
}

/// `--config`/`-p` and `--vendor`/`--url` each choose a server. When one pair is on the command
/// line, the other pair's environment variables (a CI job's `DASHSHARE_CONFIG`) give way to it:
/// the command line wins over the environment, as everywhere else.
fn prefer_the_command_line(cli: &mut Cli, matches: &clap::ArgMatches) {
    let typed = |id: &str| {
        matches!(
            matches.value_source(id),
            Some(clap::parser::ValueSource::CommandLine)
        )
    };
    let global = &mut cli.global;
    if typed("config") || typed("profile") {
        if !typed("vendor") && !typed("url") {
            global.vendor = None;
            global.url = None;
        }
    } else if typed("vendor") || typed("url") {
        global.config = None;
        global.profile.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command's path, `link create` for nested ones (clap's own `help` left out).
    fn paths(command: &clap::Command, prefix: &str) -> Vec<String> {
        let mut found = Vec::new();
        for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
            let path = format!("{prefix}{}", sub.get_name());
            found.extend(paths(sub, &format!("{path} ")));
            found.push(path);
        }
        found
    }

    /// The arguments of an example: after the variables it sets (`NAME=value`) and `dashshare`,
    /// up to a redirection or a comment.
    fn arguments(example: &str) -> Vec<String> {
        let command = example.split("  #").next().unwrap_or_default();
        let words = shlex::split(command).expect("an example is valid shell");
        words
            .into_iter()
            .skip_while(|word| word.contains('=') && !word.starts_with('-'))
            .take_while(|word| !word.starts_with('>') && word != "|")
            .collect()
    }

    /// The tree as a run sees it: built, the global flags copied into every command.
    fn built() -> clap::Command {
        let mut root = command();
        root.build();
        root
    }

    #[test]
    fn every_command_ends_its_help_with_two_or_three_examples() {
        let root = built();
        for path in paths(&root, "") {
            let examples = EXAMPLES.iter().find(|(p, _)| *p == path);
            let Some((_, examples)) = examples else {
                panic!("`{path}` has no examples in usage::EXAMPLES");
            };
            assert!((2..=3).contains(&examples.len()), "`{path}`: {examples:?}");
            let mut command = root.clone();
            for name in path.split(' ') {
                command = command.find_subcommand(name).unwrap().clone();
            }
            let help = command.render_help().to_string();
            assert!(
                help.trim_end().ends_with(examples[examples.len() - 1]),
                "{help}"
            );
        }
        assert_eq!(
            EXAMPLES.len(),
            paths(&root, "").len(),
            "examples of no command"
        );
    }

    #[test]
    fn every_example_parses() {
        for (path, examples) in EXAMPLES {
            for example in *examples {
                let args = arguments(example);
                assert_eq!(args[0], "dashshare", "{example}");
                if let Err(err) = parse_from(&args) {
                    panic!("`{path}` example does not parse: {example}\n{err}");
                }
            }
        }
    }

    #[test]
    fn ignored_global_flags_are_hidden_from_help_but_still_parse() {
        let root = built();
        let help = |name: &str| {
            root.find_subcommand(name)
                .unwrap()
                .clone()
                .render_help()
                .to_string()
        };
        for name in ["vendors", "completions", "man", "demo", "sandbox"] {
            let text = help(name);
            for flag in [
                "--journal",
                "--timeout",
                "--ca-cert",
                "--insecure",
                "--profile",
            ] {
                assert!(
                    !text.contains(flag),
                    "`{name} --help` shows {flag}:\n{text}"
                );
            }
        }
        assert!(!help("man").contains("--output"));
        assert!(help("vendors").contains("--output"));
        assert!(help("grant").contains("--journal"));
        assert!(help("grant").contains("--ca-cert"));
        assert!(help("list").contains("--no-pager"));
        assert!(!help("grant").contains("--no-pager"));
        // Hidden is not removed: scripts passing them everywhere still parse.
        let cli = parse_from([
            "dashshare",
            "vendors",
            "--journal",
            "j.jsonl",
            "--timeout",
            "5",
        ])
        .unwrap();
        assert_eq!(cli.global.timeout, Some(5));
        assert_eq!(
            cli.global.journal.as_deref(),
            Some(std::path::Path::new("j.jsonl"))
        );
        let cli = parse_from(["dashshare", "--insecure", "demo"]).unwrap();
        assert!(cli.global.insecure);
    }

    #[test]
    fn the_version_names_the_commit_and_the_build_date() {
        let version = command().render_version();
        let pattern = regex::Regex::new(
            r"^dashshare \d+\.\d+\.\d+ \(([0-9a-f]{7,}|unknown) \d{4}-\d{2}-\d{2}\)\n?$",
        )
        .unwrap();
        assert!(pattern.is_match(&version), "{version:?}");
    }
}
