//! The command line, in one place: every command, flag and help text.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::Access;
use crate::vendor::Vendor;

/// `--version`: the package version, the git commit and the build date (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("DASHSHARE_COMMIT"),
    " ",
    env!("DASHSHARE_BUILD_DATE"),
    ")"
);

#[derive(Debug, Parser)]
#[command(
    name = "dashshare",
    version = VERSION,
    about = "Grant, revoke and list dashboard shares on BI servers (`dashshare vendors` lists the vendors)",
    long_about = "Grant, revoke and list dashboard shares through each vendor's REST API: one safe, idempotent \
command with the same words on every vendor. Existing shares are never lost, every principal is resolved \
before anything is written, and granting what is already there changes nothing.",
    after_help = "Configuration: --config PATH, $DASHSHARE_CONFIG, $XDG_CONFIG_HOME/dashshare/config.toml or \
~/.config/dashshare/config.toml (on Windows %APPDATA%\\dashshare\\config.toml; `dashshare config init` writes \
one); choose a profile with -p/--profile or \
$DASHSHARE_PROFILE. Without a config file use --vendor and --url with DASHSHARE_USERNAME, DASHSHARE_PASSWORD, \
DASHSHARE_API_KEY, DASHSHARE_TOKEN. Every global option also reads the variable its help names; the command \
line wins over it.\n\
Exit codes: 0 done (also when nothing changed), 1 a remote operation failed (or some rows of an apply, or the \
journal could not be written), 2 bad \
invocation, configuration or input, or the journal in use by another run (nothing was changed), 3 authentication \
failed, 4 `diff --exit-code` found drift, 130 interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: what was being \
written finished and was journaled."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Config file to read (default: the XDG config folder; `dashshare config init` writes one)
    #[arg(long, global = true, value_name = "PATH", env = "DASHSHARE_CONFIG")]
    pub config: Option<PathBuf>,

    /// Profile of the config file to use (default: default_profile); `export` and `report` take
    /// it more than once (the environment variable names one)
    #[arg(short = 'p', long, global = true, value_name = "NAME", action = clap::ArgAction::Append,
        env = "DASHSHARE_PROFILE", add = clap_complete::ArgValueCompleter::new(complete_profile))]
    pub profile: Vec<String>,

    /// Use no config file: talk to this vendor, with credentials from DASHSHARE_* variables
    #[arg(long, global = true, value_enum, env = "DASHSHARE_VENDOR")]
    pub vendor: Option<Vendor>,

    /// The server's base URL, with --vendor
    #[arg(long, global = true, value_name = "URL", env = "DASHSHARE_URL")]
    pub url: Option<String>,

    /// Output format: human tables, one JSON document on stdout, or (diff only) a Markdown
    /// table for pull-request comments
    #[arg(short = 'o', long, global = true, value_enum, default_value_t = OutputFormat::Table, env = "DASHSHARE_OUTPUT")]
    pub output: OutputFormat,

    /// With -o json: print what this jq expression selects from the JSON document, one result
    /// a line, strings raw (like gh's --jq), e.g. --jq '.shares[].principal'
    #[arg(long, global = true, value_name = "EXPR")]
    pub jq: Option<String>,

    /// More detail on stderr: -v requests, -vv retries and decisions, -vvv headers (secrets
    /// redacted); RUST_LOG, when set, replaces these levels [env: DASHSHARE_VERBOSE=1, 2 or 3,
    /// when neither -v nor -q is given]
    #[arg(short = 'v', long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print only errors on stderr [env: DASHSHARE_QUIET=1, when neither -v nor -q is given]
    #[arg(short = 'q', long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Also append the log to this file, with timestamps and without colour, created readable
    /// by you only; at the -v level, at least -v's (secrets redacted)
    #[arg(long, global = true, value_name = "PATH", env = "DASHSHARE_LOG_FILE")]
    pub log_file: Option<PathBuf>,

    /// Seconds to wait for each request [default: the profile's timeout, else 30]
    #[arg(long, global = true, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600), env = "DASHSHARE_TIMEOUT")]
    pub timeout: Option<u64>,

    /// How long one request keeps being retried, sleeps included, while the server is busy (429,
    /// 503) or failing (0s: never retried); a run waits at most ten times this on `Retry-After`
    #[arg(long, global = true, value_name = "DURATION", default_value = "60s", value_parser = duration_up_to(MAX_RETRY_BUDGET), env = "DASHSHARE_RETRY_BUDGET")]
    pub retry_budget: Duration,

    /// Also trust the CA certificates in this PEM file
    #[arg(long, global = true, value_name = "PEM", env = "DASHSHARE_CA_CERT")]
    pub ca_cert: Option<PathBuf>,

    /// Do not verify TLS certificates (dangerous: anyone on the path can read the credentials)
    #[arg(long, global = true, env = "DASHSHARE_INSECURE", value_parser = clap::builder::BoolishValueParser::new())]
    pub insecure: bool,

    /// Journal of writes [default: $XDG_STATE_HOME/dashshare/journal.jsonl, else
    /// ~/.local/state/dashshare/journal.jsonl; on Windows %APPDATA%\dashshare\journal.jsonl]
    #[arg(long, global = true, value_name = "PATH", env = "DASHSHARE_JOURNAL")]
    pub journal: Option<PathBuf>,

    /// Refuse a journal larger than this many MiB rather than read it (history, undo, expire
    /// and timed grants read it through)
    #[arg(long, global = true, value_name = "MIB", default_value_t = crate::journal::DEFAULT_MAX_MIB,
        value_parser = clap::value_parser!(u64).range(1..=1_048_576), env = "DASHSHARE_JOURNAL_MAX_MIB")]
    pub journal_max_mib: u64,

    /// Print long listings straight to the terminal, not through $PAGER (also: DASHSHARE_PAGER=cat)
    #[arg(long, global = true)]
    pub no_pager: bool,
}

/// Shell completion of `-p`: the profiles of the config file that $DASHSHARE_CONFIG or the XDG
/// path names (a `--config` earlier on the line being completed is not seen).
/// The longest `--wait` for the journal's lock: past it, a run is stuck, not queued.
const MAX_LOCK_WAIT: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest `--retry-budget`.
const MAX_RETRY_BUDGET: Duration = Duration::from_secs(3600);
/// The longest `grant --for` (a hundred years): a longer grant is meant to have no end.
pub const MAX_GRANT_TIME: Duration = Duration::from_secs(100 * 31_557_600);

/// A duration flag's parser (`30s`, `5m`), refusing one longer than `max`: a huge value would
/// overflow the clock instead of waiting.
fn duration_up_to(max: Duration) -> impl Fn(&str) -> Result<Duration, String> + Clone {
    move |text| {
        let duration = humantime::parse_duration(text)
            .map_err(|err| format!("{err}: write a duration like 30s, 5m or 2h"))?;
        if duration > max {
            return Err(format!(
                "longer than the longest allowed, {}: give a shorter duration",
                humantime::format_duration(max)
            ));
        }
        Ok(duration)
    }
}

fn complete_profile(typed: &std::ffi::OsStr) -> Vec<clap_complete::CompletionCandidate> {
    let typed = typed.to_string_lossy();
    crate::config::profile_names(&|name| std::env::var(name).ok())
        .into_iter()
        .filter(|name| name.starts_with(typed.as_ref()))
        .map(clap_complete::CompletionCandidate::new)
        .collect()
}

impl GlobalArgs {
    /// Takes -v/-q from DASHSHARE_VERBOSE / DASHSHARE_QUIET when the command line gives neither.
    /// clap's `env` cannot do it: a count takes no value, and `-v` on the command line would
    /// clash with DASHSHARE_QUIET instead of winning over it.
    pub fn noise_from_env(
        &mut self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> std::result::Result<(), String> {
        if self.verbose > 0 || self.quiet {
            return Ok(());
        }
        let var = |name: &str| env(name).filter(|value| !value.trim().is_empty());
        if let Some(value) = var("DASHSHARE_VERBOSE") {
            self.verbose = match value.trim().parse::<u8>() {
                Ok(count @ 0..=3) => count,
                _ => {
                    return Err(format!(
                        "DASHSHARE_VERBOSE={value:?} is not a level; use 1, 2 or 3 (as -v, -vv, -vvv) or 0"
                    ));
                }
            };
        }
        if let Some(value) = var("DASHSHARE_QUIET") {
            let command = <Cli as clap::CommandFactory>::command();
            let parsed = clap::builder::TypedValueParser::parse_ref(
                &clap::builder::BoolishValueParser::new(),
                &command,
                None,
                std::ffi::OsStr::new(value.trim()),
            );
            self.quiet = parsed.map_err(|_| {
                format!("DASHSHARE_QUIET={value:?} is not a yes or no; use 1 or 0 (true/false, yes/no, on/off)")
            })?;
        }
        if self.quiet && self.verbose > 0 {
            return Err(
                "DASHSHARE_VERBOSE and DASHSHARE_QUIET are both set; keep one (-q or -v on the command line wins over both)"
                    .into(),
            );
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Share a dashboard; every named principal ends with exactly --access
    Grant(GrantArgs),
    /// Remove principals' shares from a dashboard
    Revoke(RevokeArgs),
    /// Show who a dashboard is shared with
    List(ListArgs),
    /// List the dashboards the profile can see
    Dashboards(DashboardsArgs),
    /// List the users a profile can name with --user (Sisense, ECI)
    #[command(after_help = PRINCIPALS_HELP)]
    Users(PrincipalsArgs),
    /// List the groups a profile can name with --group (Sisense, ECI, AppViewX)
    #[command(after_help = PRINCIPALS_HELP)]
    Groups(PrincipalsArgs),
    /// Every dashboard a user or group has a share on, on each profile given (-p more than once)
    #[command(after_help = ACCESS_HELP)]
    Access(AccessArgs),
    /// Take every share of a leaver away, on every profile given, in one journaled run (undo reverses it)
    #[command(after_help = OFFBOARD_HELP)]
    Offboard(OffboardArgs),
    /// Write every dashboard's current shares as an apply file (-p more than once: several profiles)
    Export(ExportArgs),
    /// Who can see what: a dashboards × principals matrix with flags (html, md or csv)
    Report(ReportArgs),
    /// Republish a dashboard, making its written shares visible (Sisense; grant and revoke do this themselves)
    Publish(PublishArgs),
    /// Public share links of a dashboard (mindzie)
    #[command(subcommand)]
    Link(LinkCommand),
    /// Print a ready <iframe> snippet that embeds a dashboard (mindzie)
    Embed(EmbedArgs),
    /// Make dashboards' shares match a YAML or CSV file (adds what is missing; --prune also removes)
    Apply(ApplyArgs),
    /// Show what `apply FILE` would change, without writing (--exit-code: exit 4 on drift)
    Diff(DiffArgs),
    /// List the runs recorded in the journal (every apply, grant, revoke and undo that wrote)
    History,
    /// Put every dashboard of a run back as it was before the run (--dry-run shows the plan)
    Undo(UndoArgs),
    /// Take back timed grants (grant --for/--until, an apply file's expires) whose time has passed, where still as granted
    Expire(ExpireArgs),
    /// Show what each vendor supports
    Vendors,
    /// Log in (or call the API once) and report whether the profile works; --deep probes every read,
    /// --all checks every profile
    Check(CheckArgs),
    /// Write a commented config file, or show a profile's values and where each came from
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The profiles of the config file
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Print a shell completion script (it completes profile names for -p too)
    Completions(CompletionsArgs),
    /// Print the man page (roff) on stdout, or one page per command with --out DIR
    Man(ManArgs),
    /// Run local, stateful emulators of every vendor's API (stop with Ctrl-C)
    Sandbox(SandboxArgs),
    /// A short tour of every vendor against the embedded sandbox; no set-up needed
    Demo,
}

#[derive(Debug, Clone, Args)]
pub struct SandboxArgs {
    /// First of consecutive ports, one per vendor in `dashshare vendors` order [default: free ports]
    #[arg(long, value_name = "P", default_value_t = 0)]
    pub port: u16,
    /// Delay every answer by this many milliseconds
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub latency_ms: u64,
    /// Answer this share of requests (0 to 1) with 503 before handling them
    #[arg(long, value_name = "F", default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Accept this many requests per second per vendor; answer the rest 429 with Retry-After
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// A Sisense token or AppViewX session dies after this many uses (401, then a new login)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub token_ttl: Option<u64>,
    /// Start from this data (JSON, as --state writes it) instead of the built-in sample
    #[arg(long, value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Add this many bulk dashboards to every vendor that lists dashboards (load tests)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub dashboards: usize,
    /// Write the ready dashshare config here instead of printing it
    #[arg(long, value_name = "PATH")]
    pub write_config: Option<PathBuf>,
    /// Load the data from this file if it exists, and save it there on Ctrl-C
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
}

/// Who to share with or revoke. At least one is required.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = true)]
pub struct PrincipalArgs {
    /// A user: email, user name or id, as the vendor knows people (repeatable)
    #[arg(long = "user", value_name = "USER")]
    pub users: Vec<String>,

    /// A group: its name or id (repeatable)
    #[arg(long = "group", value_name = "GROUP")]
    pub groups: Vec<String>,

    /// Everyone (vendors that support it: see `dashshare vendors`)
    #[arg(long)]
    pub everyone: bool,
}

/// How a writing run meets another run that holds the journal.
#[derive(Debug, Clone, Args)]
pub struct WaitArgs {
    /// If another run holds the journal, wait up to this long for it (30s, 5m) [default: exit 2 at once]
    #[arg(long, value_name = "DURATION", value_parser = duration_up_to(MAX_LOCK_WAIT))]
    pub wait: Option<Duration>,
}

#[derive(Debug, Clone, Args)]
pub struct GrantArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
    #[command(flatten)]
    pub principals: PrincipalArgs,
    /// Access level the named principals end with (a higher one is lowered)
    #[arg(long, value_enum, default_value_t = Access::View)]
    pub access: Access,
    /// The named principals become the complete share set: every other share except the owner's is removed
    #[arg(long)]
    pub replace: bool,
    /// Write the shares but do not republish the dashboard (Sisense)
    #[arg(long)]
    pub no_publish: bool,
    /// Also give each principal the USE entry it lacks on the dashboard's data model, so that it
    /// can query the data (Sisense); other entries are kept, none is lowered. Not with --for or
    /// --until: `expire` would take the share back and leave the model's entry
    #[arg(long, conflicts_with_all = ["for_time", "until"])]
    pub with_data: bool,
    /// Read and show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// With --replace on a terminal: remove the other shares without asking first
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub lock: WaitArgs,
    /// Grant for a time (30m, 8h, 7d): `dashshare expire`, run from cron, takes back what this
    /// grant added or raised once it has passed; a share an earlier timed grant gave takes this
    /// end instead. Without --for/--until, such a share is kept with no end
    #[arg(long = "for", value_name = "DURATION", value_parser = duration_up_to(MAX_GRANT_TIME), conflicts_with_all = ["until", "replace"])]
    pub for_time: Option<Duration>,
    /// Grant until a time: an RFC 3339 time, or a date (2026-12-31: through that day, UTC)
    #[arg(long, value_name = "DATE", conflicts_with = "replace")]
    pub until: Option<String>,
}

/// `expire`: take back what timed grants gave, once their time has passed.
#[derive(Debug, Clone, Args)]
pub struct ExpireArgs {
    /// Show what would be taken back, and why some are left; write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Take back what will have ended by TIME rather than by now (with --dry-run: what will have
    /// ended by then, say before a holiday): a date (through that day, UTC), an RFC 3339 time, or
    /// a duration from now (3d)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    #[command(flatten)]
    pub lock: WaitArgs,
}

#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
    #[command(flatten)]
    pub principals: PrincipalArgs,
    /// Revoke only this access level (Vizzly, which keeps one permission per level; default: all)
    #[arg(long, value_enum)]
    pub access: Option<Access>,
    /// Write the shares but do not republish the dashboard (Sisense)
    #[arg(long)]
    pub no_publish: bool,
    /// Read and show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub lock: WaitArgs,
}

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "--deep calls each read endpoint dashshare uses (log-in or key check, a look-up of the account or of \
--user/--group, the first dashboard listing, and the shares of --dashboard) and prints one row per request: status, \
time, and whether the answer's shape was understood, with the keys seen when it was not. It never writes. Exit 1 when \
any answer was not understood: paste its output into a bug report."
)]
pub struct CheckArgs {
    /// Probe every read endpoint dashshare uses, one row per request (read-only)
    #[arg(long, conflicts_with = "all")]
    pub deep: bool,
    /// Check every profile of the config file at once, one row each; exit with the worst failure's
    /// code (3 authentication, 2 configuration, 1 server), 0 when all pass
    #[arg(long)]
    pub all: bool,
    /// With --deep: look this user up (as grant --user would)
    #[arg(long, value_name = "USER", requires = "deep")]
    pub user: Option<String>,
    /// With --deep: look this group up (as grant --group would)
    #[arg(long, value_name = "GROUP", requires = "deep")]
    pub group: Option<String>,
    /// With --deep: read this dashboard's shares (an id, or name:TITLE)
    #[arg(long, value_name = "DASHBOARD", requires = "deep")]
    pub dashboard: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a commented config file with one profile per VENDOR (none: all of them); secrets are
    /// named by environment variables (*_env), never written. Refuses to replace a file.
    Init(ConfigInitArgs),
    /// The resolved profile: each value and where it came from (file, env, flag, default);
    /// secrets only as "set (from $VAR)" or "not set"
    Show,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigInitArgs {
    /// Vendors to write a profile for, the first being the default [default: every vendor]
    #[arg(value_enum, value_name = "VENDOR")]
    pub vendors: Vec<Vendor>,
    /// Where to write [default: --config, $DASHSHARE_CONFIG, else the XDG config path]
    #[arg(long, value_name = "FILE")]
    pub path: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Name, vendor and URL of every profile; `*` marks the default
    List,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
}

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "The file is YAML (.yaml/.yml: `shares:` entries with profile, dashboard, users, groups, \
everyone, access, expires, with_data) or CSV (.csv: columns profile,dashboard,principal,access and optionally \
expires and with_data; principal is user:NAME, group:NAME or everyone). with_data: true also gives the row's \
principal the entry it lacks on the dashboard's data model, as --with-data does for every row. expires gives a share for a time, as grant --until: a date \
(2026-12-31, through that day, UTC) or an RFC 3339 time, never a duration (a file is applied again and again); \
`dashshare expire` takes it back. Taking expires off a row keeps the share with no end, and a new expires moves \
the end, even where the share is already there. A row without a profile uses the one chosen by -p/--profile, default_profile or --vendor/--url. Every \
row is checked before any request; each principal is looked up once per profile, and each dashboard is read once \
and written at most once. With --prune on a terminal, the shares it would remove are shown and confirmed first \
(--yes skips the question). SIGINT or SIGTERM (Ctrl-C) starts no more dashboards: those being written finish and \
are journaled, the summary names the run to undo, the rows not done go to --failed-out, and the exit code is 130 \
(143 for SIGTERM); a second Ctrl-C stops at once. Exit codes: 0 done, 1 some dashboards failed (see \
--failed-out), 2 bad file or invocation (nothing was changed), 3 authentication failed, 130/143 interrupted."
)]
pub struct ApplyArgs {
    /// YAML (.yaml, .yml) or CSV (.csv) file of the shares dashboards should have; - reads it
    /// from stdin (with --format)
    #[arg(required_unless_present = "saved_plan")]
    pub file: Option<PathBuf>,
    /// Carry out exactly the writes of a plan saved by `diff FILE --out PLAN`, nothing else; a
    /// dashboard whose shares changed since the plan is refused, with nothing written to it
    /// (data-model entries the plan carries are merged into the model as it is then)
    #[arg(long = "plan", value_name = "PLAN", conflicts_with_all = ["file", "dry_run", "prune", "verify", "failed_out", "format", "with_data"])]
    pub saved_plan: Option<PathBuf>,
    /// Read and plan everything, print the plan, write nothing
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// With --prune: refuse the run, before any write, if it would remove more than N shares
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_removals: usize,
    /// Write the rows of dashboards that failed to this CSV, ready to pass to `apply` again
    #[arg(long, value_name = "CSV", conflicts_with = "dry_run")]
    pub failed_out: Option<PathBuf>,
    /// Let --failed-out replace an existing file that is not a failed-rows file dashshare wrote
    #[arg(long, requires = "failed_out")]
    pub force: bool,
    /// With --prune on a terminal: remove shares without showing them and asking first
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// At the end, read back every dashboard written and write again the shares of the file that
    /// another writer removed since (a few rounds); what stays missing fails. Not on vizzly and
    /// appviewx, which cannot read their shares
    #[arg(long, conflicts_with = "dry_run")]
    pub verify: bool,
    #[command(flatten)]
    pub lock: WaitArgs,
}

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Prints what `dashshare apply FILE` would add, update and (with --prune) remove, reading \
every dashboard once and writing nothing. Exit codes: 0 in sync (or drift without --exit-code), 4 with \
--exit-code when anything differs, 1 a dashboard could not be read, 2 bad file or invocation, 3 authentication \
failed. Vendors that cannot read their shares (vizzly, appviewx) cannot be compared: their rows show as `sent`."
)]
pub struct DiffArgs {
    /// YAML (.yaml, .yml) or CSV (.csv) file of the shares dashboards should have; - reads it
    /// from stdin (with --format)
    pub file: PathBuf,
    #[command(flatten)]
    pub plan: PlanArgs,
    /// Exit 4 when the servers differ from the file (for cron and CI alerts)
    #[arg(long)]
    pub exit_code: bool,
    /// Save the exact plan (the shares read, the writes intended, with --with-data the data
    /// models' entries) as JSON, for `apply --plan`
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,
}

/// What `apply` and `diff` share.
#[derive(Debug, Clone, Args)]
pub struct PlanArgs {
    /// The file's format: needed for - (stdin); for a path it overrides the ending
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Make the file authoritative for the dashboards it names: remove their other shares (never the owner)
    #[arg(long)]
    pub prune: bool,
    /// Dashboards worked on at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Also give every principal of the file the USE entry it lacks on each dashboard's data
    /// model, one write per model (Sisense)
    #[arg(long)]
    pub with_data: bool,
}

#[derive(Debug, Clone, Args)]
pub struct UndoArgs {
    /// The run to undo (see `dashshare history`)
    pub run_id: String,
    /// Put dashboards back even where they changed since the run (those later changes are lost)
    #[arg(long)]
    pub force: bool,
    /// Show the restore plan (what would be put back, what is already as before the run, what
    /// is refused and why) and change nothing, journal nothing
    #[arg(long)]
    pub dry_run: bool,
    /// On a terminal: remove the shares the run added without asking first
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[command(flatten)]
    pub lock: WaitArgs,
}

#[derive(Debug, Clone, Args)]
pub struct PublishArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
}

const PRINCIPALS_HELP: &str = "Every page of the vendor's listing is read. NAME is what --user or --group \
takes (a user by email, else user name or code); ID is what `list` shows for a share. Where the vendor \
has no text search, --search is applied to the listing here. A vendor with no listing of people exits 2 \
(`dashshare vendors` shows which list users and groups).";

const ACCESS_HELP: &str = "Each dashboard is listed with the level of the share, `owner` for the dashboard's \
owner, and the end of a share given for a time (EXPIRES). With --via-groups, shares that reach the user \
through a group (where the vendor's user answer tells its groups) or through everyone are listed too, \
VIA naming the group. Where the vendor's listing carries shares (an admin's, on some vendors), one paged listing is \
read; elsewhere each dashboard is read, many at once. Profiles whose vendor cannot read shares are named \
and skipped. A principal no profile knows exits 2; one unknown on some profiles is said per profile.";

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("who").required(true).args(["user", "group"])))]
pub struct AccessArgs {
    /// The user, as --user takes it (email, user name, code or id)
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,
    /// The group, as --group takes it
    #[arg(long, value_name = "GROUP")]
    pub group: Option<String>,
    /// Also the shares that reach the user through their groups or everyone
    #[arg(long, conflicts_with = "group")]
    pub via_groups: bool,
    /// csv: the rows as CSV on stdout, for audits (default: as -o says)
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<AccessFormat>,
    /// Dashboards read at once, where each is read on its own
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

const OFFBOARD_HELP: &str = "Everything is read and planned before the first write: the user is looked up \
on every profile, every dashboard with a share of theirs is found (as `access` finds them), and the \
plan is shown; on a terminal it is confirmed first (--yes skips the question). Each dashboard is then \
read again just before its write, and only the user's share is removed: every other share stays. \
Dashboards the user owns are given to --transfer-to first (where the vendor can change an owner), \
else refused before any write (exit 2, naming them) unless --keep-owned leaves them as they are. A user unknown on a profile stops the run (exit 2) unless --skip-unknown \
lets the other profiles go ahead. Profiles whose vendor cannot read shares are named: offboard \
cannot tell what the user has there. The run is journaled like any other: `dashshare undo RUN` puts \
every share back and gives each dashboard back to its owner. Ctrl-C starts no more dashboards.";

#[derive(Debug, Clone, Args)]
pub struct OffboardArgs {
    /// The leaver, as --user takes it (email, user name, code or id)
    #[arg(long, value_name = "USER")]
    pub user: String,
    /// Give the dashboards the user owns to this user first (Sisense `change_owner`), then remove
    /// the leaver's entry there too
    #[arg(long, value_name = "USER")]
    pub transfer_to: Option<String>,
    /// Leave the dashboards the user owns as they are (said in the summary)
    #[arg(long, conflicts_with = "transfer_to")]
    pub keep_owned: bool,
    /// Go ahead on the profiles that know the user where some do not
    #[arg(long)]
    pub skip_unknown: bool,
    /// Read and plan everything, print the plan, write nothing
    #[arg(long)]
    pub dry_run: bool,
    /// On a terminal: remove the shares without showing them and asking first
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Refuse the run, before any write, if it would remove more than N shares
    #[arg(long, value_name = "N")]
    pub max_removals: Option<usize>,
    /// Dashboards read (where each is read on its own) and written at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    #[command(flatten)]
    pub lock: WaitArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessFormat {
    Csv,
}

#[derive(Debug, Clone, Args)]
pub struct PrincipalsArgs {
    /// Only those whose name, id or display name contains this text (ignoring case)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct DashboardsArgs {
    /// Only dashboards whose title contains this text (ignoring case)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Every dashboard on the server, not only the account's own and those shared with it
    /// (Sisense admins: the admin listing; other vendors always list all the credentials can see)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// Only dashboards whose title contains this text (ignoring case)
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// The apply file format [default: from --out's ending, else yaml]
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Write to this file (created new, mode 0600) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Dashboards read at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Reads every dashboard's shares as `export` does (the owner's implicit share left out) and \
writes a matrix of dashboards × principals with the access level, one group per profile, with counts per \
dashboard and per principal. Flags: `everyone` (shared with everyone), `many-edits` (the principal has edit on \
--many dashboards or more of that profile), `not-in-file` (with --against: no row of the apply file names the \
share; a row matches by profile (or none), dashboard id or name:TITLE, and principal name ignoring case; access \
is not compared, `diff` does that). HTML is one self-contained page (no network), sortable and filterable, \
printable."
)]
pub struct ReportArgs {
    /// html, md or csv [default: from --out's ending, else md]
    #[arg(long, value_enum)]
    pub format: Option<ReportFormat>,
    /// Write to this file (mode 0600) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Flag the shares that no row of this apply file (YAML or CSV) names
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    /// Flag principals with edit on this many dashboards or more
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub many: u64,
    /// Dashboards read at once
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// The formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Html,
    Md,
    Csv,
}

/// The formats of an apply file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    Yaml,
    Csv,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Create a public link; prints its share id, public URL and embed URL
    Create(LinkCreateArgs),
    /// List a dashboard's links with their settings and usage
    List(LinkListArgs),
    /// Change a link's expiry, domains, password or permissions
    Update(LinkUpdateArgs),
    /// Disable a link for good
    Revoke(LinkRevokeArgs),
}

/// When a link expires.
#[derive(Debug, Clone, Args)]
pub struct ExpiryArgs {
    /// Expiry: a date (through that day, UTC) or a full RFC 3339 instant
    #[arg(long, value_name = "DATE", conflicts_with = "expires_in")]
    pub expires: Option<String>,
    /// Expiry counted from now: 30d, 12h, 2w
    #[arg(long, value_name = "DURATION")]
    pub expires_in: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct LinkCreateArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Only pages on this domain may embed the link (repeatable)
    #[arg(long = "allow-domain", value_name = "DOMAIN")]
    pub allow_domains: Vec<String>,
    /// Require a password, read from this environment variable (never from the command line)
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
    /// Do not allow the link to be embedded
    #[arg(long)]
    pub no_embed: bool,
    /// Allow downloads through the link
    #[arg(long)]
    pub allow_download: bool,
    /// Do not allow printing through the link
    #[arg(long)]
    pub no_print: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LinkListArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
}

#[derive(Debug, Clone, Args)]
pub struct LinkUpdateArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
    /// The link's share id (see `link list`)
    pub share_id: String,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Make the link never expire
    #[arg(long, conflicts_with_all = ["expires", "expires_in"])]
    pub no_expiry: bool,
    /// Replace the allowed domains with these (repeatable)
    #[arg(long = "allow-domain", value_name = "DOMAIN")]
    pub allow_domains: Vec<String>,
    /// Remove every domain restriction
    #[arg(long, conflicts_with = "allow_domains")]
    pub no_domain_limit: bool,
    /// Require a password, read from this environment variable
    #[arg(long, value_name = "VAR", conflicts_with = "no_password")]
    pub password_env: Option<String>,
    /// Remove the password
    #[arg(long)]
    pub no_password: bool,
    /// Allow embedding
    #[arg(long, conflicts_with = "no_embed")]
    pub embed: bool,
    /// Forbid embedding
    #[arg(long)]
    pub no_embed: bool,
    /// Allow downloads
    #[arg(long, conflicts_with = "no_download")]
    pub allow_download: bool,
    /// Forbid downloads
    #[arg(long)]
    pub no_download: bool,
    /// Allow printing
    #[arg(long, conflicts_with = "no_print")]
    pub print: bool,
    /// Forbid printing
    #[arg(long)]
    pub no_print: bool,
}

#[derive(Debug, Clone, Args)]
pub struct LinkRevokeArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
    /// The link's share id (see `link list`)
    pub share_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Theme {
    Light,
    Dark,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FilterDisplay {
    Visible,
    Hidden,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Refresh {
    Auto,
    Manual,
}

#[derive(Debug, Clone, Args)]
pub struct EmbedArgs {
    /// Dashboard id, or name:TITLE
    pub dashboard: String,
    /// Colour theme
    #[arg(long, value_enum)]
    pub theme: Option<Theme>,
    /// Show the toolbar
    #[arg(long, value_name = "true|false", action = clap::ArgAction::Set)]
    pub toolbar: Option<bool>,
    /// Show the filter controls
    #[arg(long, value_enum)]
    pub filters: Option<FilterDisplay>,
    /// Data refresh
    #[arg(long, value_enum)]
    pub refresh: Option<Refresh>,
    /// Embed through the public link (viewers need no mindzie account)
    #[arg(long)]
    pub public: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct ManArgs {
    /// Write dashshare.1 and one page per command (dashshare-grant.1, …) into this folder
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_clap_tree_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn grant_needs_a_principal_and_defaults_to_view() {
        assert!(Cli::try_parse_from(["dashshare", "grant", "d1"]).is_err());
        let cli = Cli::try_parse_from(["dashshare", "grant", "d1", "--user", "a", "--user", "b"])
            .unwrap();
        let Command::Grant(args) = cli.command else {
            panic!("not a grant")
        };
        assert_eq!(args.access, Access::View);
        assert_eq!(args.principals.users, ["a", "b"]);
    }

    #[test]
    fn global_flags_work_after_the_command() {
        let cli =
            Cli::try_parse_from(["dashshare", "list", "d1", "-o", "json", "-p", "prod", "-vv"])
                .unwrap();
        assert_eq!(cli.global.output, OutputFormat::Json);
        assert_eq!(cli.global.profile, ["prod"]);
        assert_eq!(cli.global.verbose, 2);
    }

    #[test]
    fn verbose_and_quiet_come_from_the_environment_unless_given() {
        let parse = |args: &[&str], vars: &[(&str, &str)]| {
            let mut cli = Cli::try_parse_from(args).unwrap();
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let env =
                move |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            cli.global.noise_from_env(&env).map(|()| cli.global)
        };
        let global = parse(&["dashshare", "vendors"], &[("DASHSHARE_VERBOSE", "2")]).unwrap();
        assert_eq!((global.verbose, global.quiet), (2, false));
        let global = parse(&["dashshare", "vendors"], &[("DASHSHARE_QUIET", "yes")]).unwrap();
        assert_eq!((global.verbose, global.quiet), (0, true));
        let global = parse(&["dashshare", "-v", "vendors"], &[("DASHSHARE_QUIET", "1")]).unwrap();
        assert_eq!((global.verbose, global.quiet), (1, false), "the flag wins");
        let global = parse(
            &["dashshare", "-q", "vendors"],
            &[("DASHSHARE_VERBOSE", "3")],
        )
        .unwrap();
        assert_eq!((global.verbose, global.quiet), (0, true), "the flag wins");
        let global = parse(&["dashshare", "vendors"], &[("DASHSHARE_QUIET", "off")]).unwrap();
        assert!(!global.quiet);
        for bad in [
            &[("DASHSHARE_VERBOSE", "loud")][..],
            &[("DASHSHARE_QUIET", "maybe")],
            &[("DASHSHARE_VERBOSE", "1"), ("DASHSHARE_QUIET", "1")],
        ] {
            let err = parse(&["dashshare", "vendors"], bad).unwrap_err();
            assert!(err.contains(bad[0].0), "{err}");
        }
    }
}
