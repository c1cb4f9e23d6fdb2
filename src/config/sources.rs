//! What `config show` and `profile list` print: the profiles of the config file, and one profile
//! resolved with where each value came from. Secrets are never read here, only whether they are
//! set, so nothing here can leak one.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    ENV_PROFILE, EnvLookup, Selection, check_keys, choose_profile, expand_path, find_config,
    read_config,
};
use crate::error::{Error, Result};
use crate::vendor::{CredentialKind, Vendor};

/// How the command line's own values were given: `origin("--timeout")` is "flag --timeout" or
/// "env $DASHSHARE_TIMEOUT". The caller knows; config only reports it.
pub type Origins<'a> = &'a dyn Fn(&str) -> String;

/// One value of a resolved profile.
#[derive(Debug, Serialize)]
pub struct ShownValue {
    pub key: String,
    /// For a secret: "set (from $VAR)", "set (from file PATH)" or "not set", never the secret.
    pub value: String,
    /// "file PATH", "env $VAR", "flag --x" or "default".
    pub source: String,
}

/// A profile as `config show` prints it.
#[derive(Debug, Serialize)]
pub struct Shown {
    pub profile: String,
    pub config_file: Option<PathBuf>,
    pub values: Vec<ShownValue>,
}

/// The profile `selection` chooses, every value with its source. `timeout` is the command line's
/// (`--timeout`), which wins over the profile's; `default_timeout` applies when neither is set.
pub fn show_profile(
    selection: &Selection,
    timeout: Option<u64>,
    default_timeout: u64,
    origin: Origins,
    env: EnvLookup,
) -> Result<Shown> {
    let mut shown = match selection.vendor {
        Some(vendor) => show_env_profile(vendor, selection, origin, env)?,
        None => show_file_profile(selection, origin, env)?,
    };
    let (value, source) = match (
        timeout,
        shown.values.iter().position(|v| v.key == "timeout"),
    ) {
        (Some(secs), _) => (secs.to_string(), origin("--timeout")),
        (None, Some(at)) => {
            let written = shown.values.remove(at);
            (written.value, written.source)
        }
        (None, None) => (default_timeout.to_string(), "default".to_string()),
    };
    shown.values.retain(|v| v.key != "timeout");
    shown.values.push(ShownValue {
        key: "timeout".into(),
        value,
        source,
    });
    Ok(shown)
}

fn show_file_profile(selection: &Selection, origin: Origins, env: EnvLookup) -> Result<Shown> {
    if selection.url.is_some() {
        return Err(Error::invalid(
            "--url needs --vendor as well: give both (no config file), or neither",
        ));
    }
    let (path, path_source) = located(selection, origin, env)?;
    let (text, file) = read_config(&path)?;
    check_keys(&file, &text, &path)?;
    let requested = selection.profile.clone();
    let (name, entry) = choose_profile(&file, requested.as_deref(), &path)?;
    let name_source = if requested.is_some() {
        origin("--profile")
    } else if file.default_profile.is_some() {
        format!("file {} (default_profile)", path.display())
    } else {
        format!("file {} (its only profile)", path.display())
    };
    let from_file = format!("file {}", path.display());
    let vendor: Vendor = entry
        .vendor
        .parse()
        .map_err(|err| Error::invalid(format!("profile '{name}': {err}")))?;
    let mut values = vec![
        shown("config_file", path.display(), path_source),
        shown("profile", name, name_source),
        shown("vendor", vendor, &from_file),
    ];
    values.push(match (&entry.url, vendor.default_url()) {
        (Some(url), _) => shown("url", url, &from_file),
        (None, Some(url)) => shown("url", url, "default"),
        (None, None) => shown("url", "not set", &from_file),
    });
    if let Some(username) = &entry.username {
        values.push(shown("username", username, &from_file));
    }
    let base = path.parent().unwrap_or(Path::new("."));
    for (secret, var, secret_file) in [
        ("password", &entry.password_env, &entry.password_file),
        ("api_key", &entry.api_key_env, &entry.api_key_file),
        ("token", &entry.token_env, &entry.token_file),
    ] {
        let needed = needs(vendor, secret);
        let value = match (var, secret_file) {
            (Some(var), _) => secret_from_env(secret, var, env),
            (None, Some(file)) => secret_from_file(secret, &expand_path(file, base)),
            (None, None) if needed => shown(secret, "not set", &from_file),
            (None, None) => continue,
        };
        values.push(value);
    }
    for (key, value) in &entry.settings {
        values.push(shown(key, value.as_str().unwrap_or_default(), &from_file));
    }
    if let Some(rate) = entry.rate_limit {
        values.push(shown("rate_limit", rate, &from_file));
    }
    if let Some(timeout) = entry.timeout {
        values.push(shown("timeout", timeout, &from_file));
    }
    Ok(Shown {
        profile: name.to_string(),
        config_file: Some(path),
        values,
    })
}

fn show_env_profile(
    vendor: Vendor,
    selection: &Selection,
    origin: Origins,
    env: EnvLookup,
) -> Result<Shown> {
    if selection.profile.is_some() || selection.config.is_some() {
        return Err(Error::invalid(
            "--vendor/--url and --profile/--config both choose a server; use one or the other",
        ));
    }
    let var = |name: &str| env(name).filter(|value| !value.is_empty());
    let mut values = vec![
        shown("profile", ENV_PROFILE, origin("--vendor")),
        shown("vendor", vendor, origin("--vendor")),
    ];
    values.push(match (&selection.url, vendor.default_url()) {
        (Some(url), _) => shown("url", url, origin("--url")),
        (None, Some(url)) => shown("url", url, "default"),
        (None, None) => shown("url", "not set", "default"),
    });
    if let Some(username) = var("DASHSHARE_USERNAME") {
        values.push(shown("username", username, "env $DASHSHARE_USERNAME"));
    }
    for secret in ["password", "api_key", "token"] {
        let name = format!("DASHSHARE_{}", secret.to_uppercase());
        if needs(vendor, secret) || var(&name).is_some() {
            values.push(secret_from_env(secret, &name, env));
        }
    }
    for key in vendor.description().profile_keys {
        let name = format!("DASHSHARE_{}", key.name.to_uppercase());
        if let Some(value) = var(&name) {
            values.push(shown(key.name, value, format!("env ${name}")));
        }
    }
    Ok(Shown {
        profile: ENV_PROFILE.to_string(),
        config_file: None,
        values,
    })
}

/// The profiles of the config file, as `profile list` prints them.
#[derive(Debug, Serialize)]
pub struct Listing {
    pub config_file: PathBuf,
    pub profiles: Vec<Listed>,
}

#[derive(Debug, Serialize)]
pub struct Listed {
    pub name: String,
    /// As written: a profile naming an unknown vendor is listed, and refused when used.
    pub vendor: String,
    pub url: Option<String>,
    /// The profile used when none is named.
    pub default: bool,
}

/// Every profile of the config file `config` (or the one found as usual), in name order.
pub fn list_profiles(config: Option<&Path>, env: EnvLookup) -> Result<Listing> {
    let path = find_config(config, env)?;
    let (_, file) = read_config(&path)?;
    let default = file
        .default_profile
        .clone()
        .or_else(|| (file.profiles.len() == 1).then(|| file.profiles.keys().next().cloned())?);
    let profiles = file
        .profiles
        .iter()
        .map(|(name, entry)| Listed {
            name: name.clone(),
            vendor: entry.vendor.clone(),
            url: entry.url.clone().or_else(|| {
                let vendor: Vendor = entry.vendor.parse().ok()?;
                vendor.default_url().map(str::to_string)
            }),
            default: default.as_deref() == Some(name),
        })
        .collect();
    Ok(Listing {
        config_file: path,
        profiles,
    })
}

/// The config file to read and how it was chosen.
fn located(selection: &Selection, origin: Origins, env: EnvLookup) -> Result<(PathBuf, String)> {
    let path = find_config(selection.config.as_deref(), env)?;
    let source = if selection.config.is_some() {
        origin("--config")
    } else if env("DASHSHARE_CONFIG").is_some_and(|var| !var.is_empty()) {
        "env $DASHSHARE_CONFIG".to_string()
    } else {
        "default".to_string()
    };
    Ok((path, source))
}

/// Whether the vendor logs in with this secret (where it takes one of two, neither is shown as
/// missing: the one set is shown).
fn needs(vendor: Vendor, secret: &str) -> bool {
    matches!(
        (vendor.credentials(), secret),
        (CredentialKind::UsernamePassword, "password")
            | (CredentialKind::ApiKey, "api_key")
            | (CredentialKind::Token, "token")
    )
}

fn secret_from_env(secret: &str, var: &str, env: EnvLookup) -> ShownValue {
    let set = env(var).is_some_and(|value| !value.is_empty());
    ShownValue {
        key: secret.to_string(),
        value: if set {
            format!("set (from ${var})")
        } else {
            format!("not set (${var} is empty or unset)")
        },
        source: format!("env ${var}"),
    }
}

fn secret_from_file(secret: &str, path: &Path) -> ShownValue {
    let set = std::fs::metadata(path).is_ok_and(|meta| meta.is_file() && meta.len() > 0);
    ShownValue {
        key: secret.to_string(),
        value: if set {
            format!("set (from file {})", path.display())
        } else {
            format!("not set ({} is missing or empty)", path.display())
        },
        source: format!("file {}", path.display()),
    }
}

fn shown(key: &str, value: impl std::fmt::Display, source: impl Into<String>) -> ShownValue {
    ShownValue {
        key: key.to_string(),
        value: value.to_string(),
        source: source.into(),
    }
}
