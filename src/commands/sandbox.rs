//! `sandbox`: the vendor emulators in the foreground, with a ready config, until Ctrl-C or SIGTERM.

use std::path::Path;
use std::time::Duration;

use crate::cli::SandboxArgs;
use crate::error::{Error, Result};
use crate::output;
use crate::sandbox::{Sandbox, SandboxOptions, World};
use crate::vendor::Vendor;

/// The first line of every config the sandbox writes: only such files are overwritten.
const CONFIG_MARK: &str = "# dashshare sandbox";

pub async fn run(args: &SandboxArgs) -> Result<()> {
    let world = initial_world(args)?;
    if let Some(path) = &args.state {
        // Saved at once, so that a path that cannot be written shows now, not at the end.
        save(path, &world)?;
    }
    if let Some(path) = &args.write_config {
        refuse_foreign_config(path)?;
    }
    let options = SandboxOptions {
        port: args.port,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        rate_limit: args.rate_limit,
        token_ttl: args.token_ttl,
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(world, &options).await?;
    let exports: Vec<String> = sandbox
        .secrets()
        .into_iter()
        .map(|(name, value)| format!("export {name}={}", shell_quote(&value)))
        .collect();
    match &args.write_config {
        Some(path) => {
            std::fs::write(path, sandbox.config_toml(None)).map_err(|err| {
                Error::invalid(format!(
                    "cannot write the config to {}: {err}",
                    path.display()
                ))
            })?;
            output::print_text(&format!(
                "# config written to {}\n{}\n# then: DASHSHARE_CONFIG={} dashshare check",
                path.display(),
                exports.join("\n"),
                path.display()
            ))?;
        }
        None => output::print_text(&format!(
            "{}\n# secrets for the profiles above:\n{}",
            sandbox.config_toml(None),
            exports.join("\n")
        ))?,
    }
    crate::output::print_diagnostic(&format!(
        "sandbox running: {} on 127.0.0.1; Ctrl-C stops it",
        emulators()
    ));
    stopped().await?;
    let world = sandbox.stop().await;
    if let Some(path) = &args.state {
        save(path, &world)?;
        crate::output::print_diagnostic(&format!("state saved to {}", path.display()));
    }
    Ok(())
}

/// The emulators' vendors, as "a, b and c", from the vendor table so that a new vendor needs no
/// change here.
fn emulators() -> String {
    let names: Vec<&str> = Vendor::ALL.iter().map(|vendor| vendor.as_str()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Waits for Ctrl-C, or SIGTERM (what `kill`, `timeout` and CI teardown send).
async fn stopped() -> Result<()> {
    let failed =
        |err: std::io::Error| Error::remote(format!("cannot wait for a stop signal: {err}"));
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .map_err(failed)?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.map_err(failed),
            _ = terminate.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.map_err(failed)
    }
}

fn initial_world(args: &SandboxArgs) -> Result<World> {
    if let Some(path) = args.state.as_deref().filter(|p| p.exists()) {
        if args.seed.is_some() || args.dashboards > 0 {
            tracing::warn!(
                "--state {} exists, so --seed and --dashboards are not used (delete it to start afresh)",
                path.display()
            );
        }
        return load(path, "--state");
    }
    let mut world = match &args.seed {
        Some(path) => load(path, "--seed")?,
        None => World::seeded(),
    };
    world.add_bulk_dashboards(args.dashboards);
    Ok(world)
}

/// `--write-config` replaces a config the sandbox wrote before, never someone's own.
fn refuse_foreign_config(path: &Path) -> Result<()> {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.starts_with(CONFIG_MARK) => Err(Error::invalid(format!(
            "{} exists and is not a config the sandbox wrote; pick another --write-config path",
            path.display()
        ))),
        _ => Ok(()),
    }
}

fn load(path: &Path, flag: &str) -> Result<World> {
    let text = std::fs::read_to_string(path)
        .map_err(|err| Error::invalid(format!("cannot read {flag} {}: {err}", path.display())))?;
    serde_json::from_str(&text).map_err(|err| {
        Error::invalid(format!(
            "{flag} {} is not sandbox data ({err}); it takes the JSON that --state writes",
            path.display()
        ))
    })
}

/// Written beside the target and renamed over it, so that a crash never leaves half a file.
fn save(path: &Path, world: &World) -> Result<()> {
    let failed = |err: std::io::Error| {
        Error::local_from(
            format!("cannot write --state {}: {err}", path.display()),
            err,
        )
    };
    let text = serde_json::to_string_pretty(world)
        .map_err(|err| Error::local(format!("cannot serialise the sandbox state: {err}")))?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(failed)?;
    file.persist(path).map_err(|err| failed(err.error))?;
    Ok(())
}

/// Single-quoted for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}
