//! `config init` writes a commented config file; `config show` prints the resolved profile with
//! where each value came from, secrets only as set or not.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{ConfigCommand, ConfigInitArgs, GlobalArgs, OutputFormat};
use crate::config::{self, Selection};
use crate::error::{Error, Result};
use crate::output;
use crate::vendor::Vendor;

pub fn run(global: &GlobalArgs, command: &ConfigCommand) -> Result<()> {
    match command {
        ConfigCommand::Init(args) => init(global, args),
        ConfigCommand::Show => show(global),
    }
}

#[derive(Serialize)]
struct Written<'a> {
    path: &'a Path,
    profiles: Vec<&'static str>,
    default_profile: &'static str,
}

fn init(global: &GlobalArgs, args: &ConfigInitArgs) -> Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let path = args
        .path
        .clone()
        .or_else(|| global.config.clone())
        .or_else(|| config::default_config_path(&env))
        .ok_or_else(|| {
            Error::invalid(
                "nowhere to write the config: neither $XDG_CONFIG_HOME nor $HOME is set; pass --path FILE",
            )
        })?;
    let mut vendors: Vec<Vendor> = Vec::new();
    for vendor in if args.vendors.is_empty() {
        &Vendor::ALL[..]
    } else {
        &args.vendors[..]
    } {
        if !vendors.contains(vendor) {
            vendors.push(*vendor);
        }
    }
    create_parent(&path)?;
    let text = config::init_text(&vendors);
    crate::private_file::create_new(&path, text.as_bytes()).map_err(|err| {
        if err.kind() == std::io::ErrorKind::AlreadyExists {
            Error::invalid(format!(
                "{} already exists; `config init` never replaces a config file: edit it, or write a \
                 new one with --path FILE",
                path.display()
            ))
        } else {
            let message = format!("cannot write the config file {}: {err}", path.display());
            Error::invalid_from(message, err)
        }
    })?;
    let written = Written {
        path: &path,
        profiles: vendors.iter().map(|vendor| vendor.as_str()).collect(),
        default_profile: vendors[0].as_str(),
    };
    match global.output {
        OutputFormat::Json => output::print_json(&written),
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&format!(
            "wrote {} (readable by you only) with the profiles {} (default: {}).\n\
             Next: fill in each url (and username) there, export the variables its *_env keys name, \
             then run `dashshare check --all`.",
            path.display(),
            written.profiles.join(", "),
            written.default_profile
        )),
    }
}

/// The config file's folder, made private to its owner when dashshare creates it.
fn create_parent(path: &Path) -> Result<()> {
    let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    else {
        return Ok(());
    };
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(parent).map_err(|err| {
        let message = format!("cannot create the folder {}: {err}", parent.display());
        Error::invalid_from(message, err)
    })
}

#[derive(Serialize)]
struct ShowReport<'a> {
    profile: &'a str,
    config_file: Option<&'a PathBuf>,
    values: &'a [config::ShownValue],
}

fn show(global: &GlobalArgs) -> Result<()> {
    let env = |name: &str| std::env::var(name).ok();
    let selection = Selection {
        config: global.config.clone(),
        profile: super::one_profile(global)?,
        vendor: global.vendor,
        url: global.url.clone(),
    };
    let origin = |flag: &str| origin(global, flag, &env);
    let shown = config::show_profile(
        &selection,
        global.timeout,
        super::DEFAULT_TIMEOUT.as_secs(),
        &origin,
        &env,
    )?;
    match global.output {
        OutputFormat::Json => output::print_json(&ShowReport {
            profile: &shown.profile,
            config_file: shown.config_file.as_ref(),
            values: &shown.values,
        }),
        OutputFormat::Table | OutputFormat::Markdown => output::print_text(&output::table(
            &["key", "value", "source"],
            shown
                .values
                .iter()
                .map(|v| vec![v.key.clone(), v.value.clone(), v.source.clone()]),
        )),
    }
}

/// How a global option got its value: clap fills it from the flag, else from its variable, so
/// a variable holding exactly the value is where it came from.
fn origin(global: &GlobalArgs, flag: &str, env: &dyn Fn(&str) -> Option<String>) -> String {
    let (var, value) = match flag {
        "--config" => (
            "DASHSHARE_CONFIG",
            global
                .config
                .as_ref()
                .map(|path| path.display().to_string()),
        ),
        "--profile" => ("DASHSHARE_PROFILE", global.profile.first().cloned()),
        "--vendor" => (
            "DASHSHARE_VENDOR",
            global.vendor.map(|vendor| vendor.as_str().to_string()),
        ),
        "--url" => ("DASHSHARE_URL", global.url.clone()),
        "--timeout" => ("DASHSHARE_TIMEOUT", global.timeout.map(|t| t.to_string())),
        _ => return format!("flag {flag}"),
    };
    match (env(var), value) {
        (Some(set), Some(value)) if set.trim() == value => format!("env ${var}"),
        _ => format!("flag {flag}"),
    }
}
