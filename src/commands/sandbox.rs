//! `sandbox`: the vendor emulators in the foreground, with a ready config, until Ctrl-C.

use std::path::Path;
use std::time::Duration;

use crate::cli::SandboxArgs;
use crate::error::{Error, Result};
use crate::output;
use crate::sandbox::{Sandbox, SandboxOptions, World};

pub async fn run(args: &SandboxArgs) -> Result<()> {
    let world = initial_world(args)?;
    let options = SandboxOptions {
        port: args.port,
        latency: Duration::from_millis(args.latency_ms),
        fail_rate: args.fail_rate,
        rate_limit: args.rate_limit,
        token_ttl: args.token_ttl,
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
    eprintln!(
        "sandbox running: sisense, eci, vizzly, appviewx and mindzie on 127.0.0.1; Ctrl-C stops it"
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|err| Error::remote(format!("cannot wait for Ctrl-C: {err}")))?;
    let world = sandbox.world();
    sandbox.stop().await;
    if let Some(path) = &args.state {
        save(path, &world)?;
        eprintln!("state saved to {}", path.display());
    }
    Ok(())
}

fn initial_world(args: &SandboxArgs) -> Result<World> {
    if let Some(path) = args.state.as_deref().filter(|p| p.exists()) {
        return load(path, "--state");
    }
    let mut world = match &args.seed {
        Some(path) => load(path, "--seed")?,
        None => World::seeded(),
    };
    world.add_bulk_dashboards(args.dashboards);
    Ok(world)
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

fn save(path: &Path, world: &World) -> Result<()> {
    let text = serde_json::to_string_pretty(world)
        .map_err(|err| Error::remote(format!("cannot serialise the sandbox state: {err}")))?;
    std::fs::write(path, text)
        .map_err(|err| Error::remote(format!("cannot write --state {}: {err}", path.display())))
}

/// Single-quoted for POSIX shells.
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}
