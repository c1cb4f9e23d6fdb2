//! One file per command; this one dispatches and holds what several commands share: choosing the
//! profile and building its provider.

mod access;
mod apply;
mod apply_plan;
mod check;
mod check_all;
pub mod completions;
mod configure;
mod dashboards;
mod demo;
mod embed;
mod expire;
mod export;
mod history;
mod link;
mod list;
mod man;
mod offboard;
mod principals;
mod profiles;
mod publish;
mod report;
mod report_formats;
mod report_rows;
mod sandbox;
mod share;
mod undo;
mod vendors;
mod writing_run;

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::ProgressBar;

use crate::cli::{Cli, Command, GlobalArgs, OutputFormat, PrincipalArgs};
use crate::config::{self, Profile, Selection};
use crate::error::Result;
use crate::http::{HttpOptions, RetryAfterBudget, RetryPolicy};
use crate::model::{Principal, PrincipalKind};
use crate::providers::{self, LinkProvider, ShareProvider};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn run(cli: Cli) -> Result<()> {
    let global = &cli.global;
    // Markdown is a plan for a pull-request comment; `report` has its own --format.
    if global.output == OutputFormat::Markdown
        && !matches!(
            cli.command,
            Command::Diff(_) | Command::Access(_) | Command::Offboard(_)
        )
    {
        return Err(crate::error::Error::invalid(
            "-o markdown is for `diff`, `access` and `offboard` only (a table for a pull-request comment); use \
             -o table or -o json here (`report --format md` writes a Markdown report)",
        ));
    }
    match &cli.command {
        Command::Grant(args) => share::grant(global, args).await,
        Command::Revoke(args) => share::revoke(global, args).await,
        Command::List(args) => list::run(global, args).await,
        Command::Dashboards(args) => dashboards::run(global, args).await,
        Command::Users(args) => principals::run(global, PrincipalKind::User, args).await,
        Command::Groups(args) => principals::run(global, PrincipalKind::Group, args).await,
        Command::Access(args) => access::run(global, args).await,
        Command::Offboard(args) => offboard::run(global, args).await,
        Command::Export(args) => export::run(global, args).await,
        Command::Report(args) => report::run(global, args).await,
        Command::Publish(args) => publish::run(global, args).await,
        Command::Link(command) => link::run(global, command).await,
        Command::Embed(args) => embed::run(global, args).await,
        Command::Apply(args) => apply::apply(global, args).await,
        Command::Diff(args) => apply::diff(global, args).await,
        Command::History => history::run(global),
        Command::Undo(args) => undo::run(global, args).await,
        Command::Expire(args) => expire::run(global, args).await,
        Command::Vendors => vendors::run(global),
        Command::Check(args) => check::run(global, args).await,
        Command::Config(command) => configure::run(global, command),
        Command::Profile(command) => profiles::run(global, command),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args),
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Demo => demo::run().await,
    }
}

/// The profiles `-p` names, each once, in order; none named: the default profile (`None`).
pub(crate) fn profiles_named(global: &GlobalArgs) -> Vec<Option<&str>> {
    let mut names: Vec<Option<&str>> = Vec::new();
    for name in &global.profile {
        if !names.contains(&Some(name.as_str())) {
            names.push(Some(name.as_str()));
        }
    }
    if names.is_empty() {
        names.push(None);
    }
    names
}

/// The chosen profile and a provider connected to it (no request is made yet).
pub(crate) fn connect(global: &GlobalArgs) -> Result<providers::Connection> {
    let profile = load_profile(global, None)?;
    warn_if_insecure(global);
    let provider = provider_for(global, &profile)?;
    Ok((profile, provider))
}

/// The profile a journal entry was written with (or, for `--vendor` runs, the one given now).
/// The caller warns about `--insecure`, once however many profiles it connects.
pub(crate) fn connect_named(global: &GlobalArgs, profile: &str) -> Result<providers::Connection> {
    let mut named = global.clone();
    if profile != config::ENV_PROFILE {
        named.profile = vec![profile.to_string()];
        named.vendor = None;
        named.url = None;
    }
    let profile = load_profile(&named, None)?;
    let provider = provider_for(global, &profile)?;
    Ok((profile, provider))
}

/// A provider for a loaded profile, with the command line's network options.
pub(crate) fn provider_for(
    global: &GlobalArgs,
    profile: &Profile,
) -> Result<Box<dyn ShareProvider>> {
    providers::connect(profile, &http_options(global, profile))
}

/// The journal named by `--journal`, or the default one.
pub(crate) fn journal(global: &GlobalArgs) -> Result<crate::journal::Journal> {
    let journal = crate::journal::Journal::locate(global.journal.as_deref())?;
    Ok(journal.with_max_mib(global.journal_max_mib))
}

/// The ends of shares given for a time to show (`list`, `report`, a dry run): the journal only
/// adds to what is shown, so one that cannot be located or read shows none.
pub(crate) fn ends_shown(global: &GlobalArgs) -> crate::share_ends::ShareEnds {
    journal(global)
        .map(|journal| crate::share_ends::ShareEnds::shown(&journal))
        .unwrap_or_default()
}

/// The journal, for a command about to write: one that cannot take entries stops it before any
/// change is made, since `undo` would not know the change.
pub(crate) fn writable_journal(global: &GlobalArgs) -> Result<crate::journal::Journal> {
    let journal = journal(global)?;
    journal.check_writable()?;
    Ok(journal)
}

/// The journal's run lock, taken before a writing command's first read of a share list and held
/// until the journal is dropped, so that runs sharing the journal never interleave their read-merge-writes.
pub(crate) async fn lock_journal(
    journal: &crate::journal::Journal,
    wait: &crate::cli::WaitArgs,
    run_id: &str,
    command: &str,
) -> Result<()> {
    let holder = crate::run_lock::Holder::this_run(run_id, command);
    journal.lock(&holder, wait.wait).await
}

/// Like `connect`, for the vendors with public links and embeds.
pub(crate) fn connect_links(global: &GlobalArgs) -> Result<(Profile, Box<dyn LinkProvider>)> {
    let (profile, options) = profile_and_options(global)?;
    let provider = providers::connect_links(&profile, &options)?;
    Ok((profile, provider))
}

fn profile_and_options(global: &GlobalArgs) -> Result<(Profile, HttpOptions)> {
    let profile = load_profile(global, None)?;
    warn_if_insecure(global);
    let options = http_options(global, &profile);
    Ok((profile, options))
}

/// The profile a name from a file stands for; `None` is the command line's choice.
pub(crate) fn load_profile(global: &GlobalArgs, named: Option<&str>) -> Result<Profile> {
    let selection = match named {
        None => Selection {
            config: global.config.clone(),
            profile: one_profile(global)?,
            vendor: global.vendor,
            url: global.url.clone(),
        },
        Some(name) if global.vendor.is_some() => {
            return Err(crate::error::Error::invalid_about(
                crate::error::Subject::new(crate::error::Thing::Profile, name),
                format!(
                    "it names profile '{name}', but --vendor/--url work without a config file; \
                     leave the profile out, or choose the config with --config"
                ),
            ));
        }
        Some(name) => Selection {
            config: global.config.clone(),
            profile: Some(name.to_string()),
            vendor: None,
            url: None,
        },
    };
    config::load_profile(&selection, &|name| std::env::var(name).ok())
}

/// The one profile `-p` names, for every command but `export`, which takes several.
fn one_profile(global: &GlobalArgs) -> Result<Option<String>> {
    match global.profile.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one.clone())),
        several => Err(crate::error::Error::invalid(format!(
            "-p/--profile is given {} times ({}), but this command works on one profile: give              one (`export` takes several)",
            several.len(),
            several.join(", ")
        ))),
    }
}

/// A long listing (a table for people) on stdout: through $PAGER when stdout is a terminal.
pub(crate) fn print_listing(global: &GlobalArgs, text: &str) -> Result<()> {
    let pager = crate::pager::choose(
        std::io::stdout().is_terminal(),
        global.output != OutputFormat::Json,
        global.no_pager,
        &|name| std::env::var(name).ok(),
    );
    crate::pager::print(text, pager.as_deref())
}

/// A bar over dashboards on stderr for people watching a terminal; hidden for scripts, CI, `-q`
/// and `-o json`. `terminal::grow` gives it its total.
pub(crate) fn progress_bar(global: &GlobalArgs) -> ProgressBar {
    let shown =
        !global.quiet && global.output != OutputFormat::Json && std::io::stderr().is_terminal();
    crate::terminal::progress_bar(shown, "dashboards")
}

/// Refuses, before anything is read, an output path that names anything but a regular file or
/// nothing (`private_file`): the file is only written at the end.
pub(crate) fn check_out(flag: &str, path: Option<&std::path::Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    crate::private_file::check_replaceable(path).map_err(|err| {
        crate::error::Error::invalid(format!(
            "{flag} {}: {err}; nothing was read or written",
            path.display()
        ))
    })
}

/// A file format: `--format`, else what `--out` ends in (`by_ending` reads a lower-case ending),
/// else `default`. An ending that says otherwise than `--format` is refused, and so is an `--out`
/// whose ending names no format (`endings` says which do).
pub(crate) fn out_format<F: Copy + PartialEq>(
    format: Option<F>,
    out: Option<&std::path::Path>,
    by_ending: impl Fn(&str) -> Option<F>,
    default: F,
    (disagree, endings): (&str, &str),
) -> Result<F> {
    let ending = out
        .and_then(std::path::Path::extension)
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let found = ending.as_deref().and_then(by_ending);
    match (format, found, out) {
        (Some(format), Some(ending), Some(path)) if format != ending => {
            Err(crate::error::Error::invalid(format!(
                "--out {} ends in a different format than --format: {disagree}",
                path.display()
            )))
        }
        (Some(format), _, _) => Ok(format),
        (None, Some(ending), _) => Ok(ending),
        (None, None, Some(path)) => Err(crate::error::Error::invalid(format!(
            "--out {}: {endings}",
            path.display()
        ))),
        (None, None, None) => Ok(default),
    }
}

pub(crate) fn warn_if_insecure(global: &GlobalArgs) {
    if global.insecure {
        crate::output::print_diagnostic(
            "WARNING: --insecure: TLS certificates are NOT verified. Anyone on the network path can read \
             the credentials and the answers. Use --ca-cert PEM instead.",
        );
    }
}

pub(crate) fn http_options(global: &GlobalArgs, profile: &Profile) -> HttpOptions {
    // One budget for the whole run's `Retry-After` waits, whichever profiles it reaches.
    static RUN_WAITS: std::sync::OnceLock<std::sync::Arc<RetryAfterBudget>> =
        std::sync::OnceLock::new();
    let run_waits = RUN_WAITS.get_or_init(|| {
        std::sync::Arc::new(RetryAfterBudget::new(
            global.retry_budget * crate::http::RUN_WAITS_PER_BUDGET,
        ))
    });
    HttpOptions {
        timeout: global
            .timeout
            .map(Duration::from_secs)
            .or(profile.timeout)
            .unwrap_or(DEFAULT_TIMEOUT),
        ca_cert: global.ca_cert.clone(),
        insecure: global.insecure,
        rate_limit: profile.rate_limit,
        retry: RetryPolicy {
            budget: global.retry_budget,
            ..RetryPolicy::default()
        },
        retry_after_budget: run_waits.clone(),
        stop: crate::interrupt::Interrupt::process(),
        ..HttpOptions::default()
    }
}

/// The principals named by `--user`, `--group` and `--everyone`, in that order, trimmed; an
/// empty name is refused (sent on, it would name nobody, or wipe a complete-set vendor's shares).
pub(crate) fn principals(args: &PrincipalArgs) -> Result<Vec<Principal>> {
    let named = |flag: &str, name: &String| {
        let name = name.trim();
        if name.is_empty() {
            return Err(crate::error::Error::invalid(format!(
                "{flag} was given an empty name; pass the {} to share with",
                &flag[2..]
            )));
        }
        crate::model::check_reference(&flag[2..], name).map_err(crate::error::Error::invalid)?;
        Ok(name.to_string())
    };
    let mut principals = Vec::new();
    for user in &args.users {
        principals.push(Principal::User(named("--user", user)?));
    }
    for group in &args.groups {
        principals.push(Principal::Group(named("--group", group)?));
    }
    if args.everyone {
        principals.push(Principal::Everyone);
    }
    Ok(principals)
}
