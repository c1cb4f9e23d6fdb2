//! `demo`: starts the sandbox in-process and walks through the main job on every vendor,
//! printing each command and what it did. Every step runs the real command code.

use clap::Parser;

use crate::cli::Cli;
use crate::error::{Error, Result};
use crate::output;
use crate::sandbox::{Sandbox, SandboxOptions, World};

const SISENSE_DASHBOARD: &str = "5829b46bd009e91420000047";
const MINDZIE_DASHBOARD: &str = "550e8400-e29b-41d4-a716-446655440000";
/// The file the bulk steps apply; steps name it as `SHARES_FILE` and run it from the tour's folder.
const SHARES_FILE: &str = "shares.csv";
const SHARES_CSV: &str = "profile,dashboard,principal,access
sandbox-sisense,name:Sales KPIs,user:alice@example.com,view
sandbox-sisense,5dc5c237832aeb53441186bb,user:alice@example.com,view
sandbox-sisense,5dc5c237832aeb53441186bb,group:Marketing,edit
sandbox-eci,8,user:alice@example.com,view
";

/// Shown twice: the second time it writes nothing.
const SISENSE_GRANT: &[&str] = &[
    "grant",
    SISENSE_DASHBOARD,
    "--user",
    "alice@example.com",
    "--group",
    "Sales Team EMEA",
];

/// (what the step shows, the profile, the command's arguments)
const STEPS: &[(&str, &str, &[&str])] = &[
    ("What each vendor can do", "", &["vendors"]),
    (
        "Sisense: the first command against a new server probes every read, writing nothing",
        "sandbox-sisense",
        &[
            "check",
            "--deep",
            "--group",
            "Sales Team EMEA",
            "--dashboard",
            SISENSE_DASHBOARD,
        ],
    ),
    (
        "Sisense: grant a user and a group; the owner's and every other share stay",
        "sandbox-sisense",
        SISENSE_GRANT,
    ),
    (
        "Sisense: the group can open the dashboard but not query its data model; --with-data gives that too",
        "sandbox-sisense",
        &[
            "grant",
            SISENSE_DASHBOARD,
            "--group",
            "Sales Team EMEA",
            "--with-data",
        ],
    ),
    (
        "Sisense: who can see it now",
        "sandbox-sisense",
        &["list", SISENSE_DASHBOARD],
    ),
    (
        "Sisense: the same grant again writes nothing",
        "sandbox-sisense",
        SISENSE_GRANT,
    ),
    (
        "Sisense: revoke one user; only that share goes",
        "sandbox-sisense",
        &["revoke", SISENSE_DASHBOARD, "--user", "alice@example.com"],
    ),
    (
        "ECI: a user and a group, one PUT with the complete set",
        "sandbox-eci",
        &[
            "grant",
            "7",
            "--user",
            "alice@example.com",
            "--group",
            "Managers",
        ],
    ),
    (
        "Vizzly: edit lands as read_write",
        "sandbox-vizzly",
        &[
            "grant",
            "dsh_0f3a",
            "--user",
            "customer-42",
            "--access",
            "edit",
        ],
    ),
    (
        "AppViewX: --replace states the complete group list",
        "sandbox-appviewx",
        &[
            "grant",
            "Ops Board",
            "--group",
            "NOC Team",
            "--group",
            "SRE",
            "--access",
            "edit",
            "--replace",
        ],
    ),
    (
        "apply: a file of shares across vendors; each dashboard is read, written and published once",
        "",
        &["apply", SHARES_FILE],
    ),
    (
        "apply again: everything is in place, nothing is written",
        "",
        &["apply", SHARES_FILE],
    ),
    (
        "diff --prune: what making the file authoritative would remove (the owner always stays)",
        "",
        &["diff", SHARES_FILE, "--prune"],
    ),
    (
        "access: every dashboard alice can reach on Sisense and ECI, through her groups too",
        "sandbox-sisense",
        &[
            "-p",
            "sandbox-eci",
            "access",
            "--user",
            "alice@example.com",
            "--via-groups",
        ],
    ),
    (
        "offboard --dry-run: alice leaves; her shares would go everywhere, her own dashboard to carol",
        "sandbox-sisense",
        &[
            "-p",
            "sandbox-eci",
            "offboard",
            "--user",
            "alice@example.com",
            "--transfer-to",
            "carol+bi@example.com",
            "--dry-run",
        ],
    ),
    (
        "mindzie: a public link that expires in 30 days, embeddable on company.com",
        "sandbox-mindzie",
        &[
            "link",
            "create",
            MINDZIE_DASHBOARD,
            "--expires-in",
            "30d",
            "--allow-domain",
            "company.com",
        ],
    ),
    (
        "mindzie: the snippet that embeds it",
        "sandbox-mindzie",
        &[
            "embed",
            MINDZIE_DASHBOARD,
            "--public",
            "--theme",
            "dark",
            "--toolbar",
            "false",
        ],
    ),
];

pub async fn run() -> Result<()> {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default()).await?;
    let result = tour(&sandbox).await;
    sandbox.stop().await;
    result
}

async fn tour(sandbox: &Sandbox) -> Result<()> {
    let dir = tempfile::tempdir()
        .map_err(|err| Error::local(format!("cannot create a temporary folder: {err}")))?;
    let dir = dir.path();
    let config = sandbox.write_config(dir).map_err(|err| {
        Error::local(format!(
            "cannot write the tour's config in {}: {err}",
            dir.display()
        ))
    })?;
    let shares = dir.join(SHARES_FILE);
    write(&shares, SHARES_CSV)?;
    let mut shown_file = false;
    output::print_text("dashshare demo: every vendor's emulator is running on 127.0.0.1.\n")?;
    for (what, profile, args) in STEPS {
        let mut argv = vec!["dashshare".to_string()];
        if !profile.is_empty() {
            argv.extend(["-p".to_string(), profile.to_string()]);
        }
        argv.extend(args.iter().map(|a| a.to_string()));
        let shown: Vec<String> = argv.iter().map(|a| quote(a)).collect();
        if args.contains(&SHARES_FILE) && !shown_file {
            shown_file = true;
            output::print_text(&format!("── The file\n$ cat {SHARES_FILE}\n{SHARES_CSV}"))?;
        }
        output::print_text(&format!("── {what}\n$ {}", shown.join(" ")))?;
        for arg in argv.iter_mut().filter(|arg| arg.as_str() == SHARES_FILE) {
            *arg = shares.display().to_string();
        }
        // The tour's writes go to a journal of its own, not the user's.
        argv.extend([
            "--config".to_string(),
            config.display().to_string(),
            "--journal".to_string(),
            dir.join("journal.jsonl").display().to_string(),
        ]);
        let cli = Cli::try_parse_from(&argv)
            .map_err(|err| Error::invalid(format!("demo step `{}`: {err}", shown.join(" "))))?;
        Box::pin(super::run(cli)).await?;
        output::print_text("")?;
    }
    output::print_text(
        "Try it yourself: `dashshare sandbox` keeps the emulators running and prints a ready config.",
    )
}

fn write(path: &std::path::Path, text: &str) -> Result<()> {
    std::fs::write(path, text)
        .map_err(|err| Error::local(format!("cannot write {}: {err}", path.display())))
}

fn quote(arg: &str) -> String {
    if arg.contains(' ') {
        format!("\"{arg}\"")
    } else {
        arg.to_string()
    }
}
