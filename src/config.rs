//! Profiles: where the config file is, which profile is chosen, and where its secrets come from.
//! Secrets are read from environment variables or files only, never from the file itself or argv.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use url::Url;

use crate::error::{Error, Result, Subject, Thing};
use crate::vendor::{CredentialKind, Vendor};

mod sources;
mod template;

pub use sources::{Listed, Listing, Origins, Shown, ShownValue, list_profiles, show_profile};
pub use template::init_text;

/// The name under which `--vendor/--url` settings appear in messages.
pub const ENV_PROFILE: &str = "(environment)";

/// Everything needed to talk to one server. Secrets are redacted in `Debug`.
#[derive(Debug)]
pub struct Profile {
    pub name: String,
    pub vendor: Vendor,
    pub url: Url,
    pub username: Option<String>,
    pub password: Option<SecretString>,
    pub api_key: Option<SecretString>,
    pub token: Option<SecretString>,
    /// The vendor's own keys (`vendor::Description::profile_keys`), read by its provider.
    pub settings: BTreeMap<String, String>,
    /// Requests per second to this server.
    pub rate_limit: Option<u32>,
    pub timeout: Option<Duration>,
}

impl Profile {
    /// The value of one of the vendor's own profile keys.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings.get(key).map(String::as_str)
    }
}

/// How the command line asked for a profile.
#[derive(Debug, Default, Clone)]
pub struct Selection {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub vendor: Option<Vendor>,
    pub url: Option<String>,
}

/// Reads environment variables; tests pass their own.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    default_profile: Option<String>,
    #[serde(default)]
    profiles: BTreeMap<String, ProfileEntry>,
}

/// A profile as written. Keys beyond the common ones land in `settings`, where the vendor's
/// description decides which it takes (`check_keys`).
#[derive(Debug, Deserialize)]
struct ProfileEntry {
    vendor: String,
    url: Option<String>,
    username: Option<String>,
    password_env: Option<String>,
    password_file: Option<PathBuf>,
    api_key_env: Option<String>,
    api_key_file: Option<PathBuf>,
    token_env: Option<String>,
    token_file: Option<PathBuf>,
    rate_limit: Option<u32>,
    timeout: Option<u64>,
    // Present only to be refused with a helpful message; the values are never read.
    password: Option<toml::Value>,
    api_key: Option<toml::Value>,
    token: Option<toml::Value>,
    #[serde(flatten)]
    settings: BTreeMap<String, toml::Value>,
}

/// The keys every profile may hold, whatever its vendor.
const COMMON_KEYS: &[&str] = &[
    "vendor",
    "url",
    "username",
    "password_env",
    "password_file",
    "api_key_env",
    "api_key_file",
    "token_env",
    "token_file",
    "rate_limit",
    "timeout",
];

/// Resolves the profile a command runs against.
pub fn load_profile(selection: &Selection, env: EnvLookup) -> Result<Profile> {
    if let Some(vendor) = selection.vendor {
        if selection.profile.is_some() || selection.config.is_some() {
            return Err(Error::invalid(
                "--vendor/--url and --profile/--config both choose a server; use one or the other",
            ));
        }
        vendor.ensure_available()?;
        return profile_from_env(vendor, selection.url.as_deref(), env);
    }
    if selection.url.is_some() {
        return Err(Error::invalid(
            "--url needs --vendor as well (for example --vendor sisense --url https://bi.example.com)",
        ));
    }

    let path = find_config(selection.config.as_deref(), env)?;
    let bytes = read_config_bytes(&path)?;
    let requested = selection
        .profile
        .clone()
        .or_else(|| env("DASHSHARE_PROFILE"));
    profile_from_config(&bytes, &path, requested.as_deref(), env)
}

/// The largest config file read; a real one is a few hundred bytes per profile.
pub const MAX_CONFIG_FILE: u64 = 1024 * 1024;

/// The bytes of the config file at `path`, read with the size cap.
fn read_config_bytes(path: &Path) -> Result<Vec<u8>> {
    crate::capped::read(path, MAX_CONFIG_FILE).map_err(|err| {
        let message = format!("cannot read config file {}: {err}", path.display());
        Error::invalid_from(message, err)
    })
}

/// `bytes`, of the config file `path`, as text; invalid UTF-8 is refused naming its line.
fn config_text<'b>(bytes: &'b [u8], path: &Path) -> Result<&'b str> {
    std::str::from_utf8(bytes).map_err(|err| {
        let before = bytes.get(..err.valid_up_to()).unwrap_or_default();
        let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
        Error::invalid(format!(
            "config file {} (line {line}) is not valid UTF-8: save it as UTF-8",
            path.display()
        ))
    })
}

/// The config file at `path`, read, checked as UTF-8 and parsed: its text and its contents.
fn read_config(path: &Path) -> Result<(String, ConfigFile)> {
    let bytes = read_config_bytes(path)?;
    let text = config_text(&bytes, path)?.to_string();
    let file = parse_config(&text, path)?;
    Ok((text, file))
}

/// The profile `requested` (or the default) of the config file `path`, which holds `bytes`.
pub fn profile_from_config(
    bytes: &[u8],
    path: &Path,
    requested: Option<&str>,
    env: EnvLookup,
) -> Result<Profile> {
    let text = config_text(bytes, path)?;
    let file = parse_config(text, path)?;
    check_keys(&file, text, path)?;
    let (name, entry) = choose_profile(&file, requested, path)?;
    let base = path.parent().unwrap_or(Path::new("."));
    resolve_entry(name, entry, base, env)
}

/// The config files looked at, in order, when no `--config` is given (`paths.rs` says where).
pub fn config_candidates() -> Vec<PathBuf> {
    crate::paths::Folders::of_this_user()
        .map(|folders| folders.config_files())
        .unwrap_or_default()
}

/// Where `config init` writes when no path is given: the file `find_config` reads first.
pub fn default_config_path(env: EnvLookup) -> Option<PathBuf> {
    env("DASHSHARE_CONFIG")
        .filter(|path| !path.is_empty())
        .map(PathBuf::from)
        .or_else(|| config_candidates().into_iter().next())
}

/// The profile names of the config file `env` points at ($DASHSHARE_CONFIG, else the XDG
/// path), for shell completion: no file, or one that does not parse, has none.
pub fn profile_names(env: EnvLookup) -> Vec<String> {
    find_config(None, env)
        .and_then(|path| read_config(&path))
        .map(|(_, file)| file.profiles.into_keys().collect())
        .unwrap_or_default()
}

fn find_config(explicit: Option<&Path>, env: EnvLookup) -> Result<PathBuf> {
    // clap fills --config from $DASHSHARE_CONFIG: the message names what the user set.
    let from_env = |path: &Path| env("DASHSHARE_CONFIG").is_some_and(|var| Path::new(&var) == path);
    let named = explicit
        .map(|path| {
            let source = if from_env(path) {
                "$DASHSHARE_CONFIG"
            } else {
                "--config"
            };
            (path.to_path_buf(), source)
        })
        .or_else(|| {
            env("DASHSHARE_CONFIG")
                .filter(|path| !path.is_empty())
                .map(|path| (PathBuf::from(path), "$DASHSHARE_CONFIG"))
        });
    if let Some((path, source)) = named {
        if path.is_file() {
            return Ok(path);
        }
        return Err(Error::invalid(format!(
            "config file {} (from {source}) does not exist; create it with `dashshare config init --path {}` or point {source} at an existing file",
            path.display(),
            path.display()
        )));
    }
    let candidates = config_candidates();
    if let Some(found) = candidates.iter().find(|path| path.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    Err(Error::invalid(format!(
        "no config file found (looked in: {}); create one with `dashshare config init [VENDOR]...`, pass --config PATH, \
         or use --vendor and --url with DASHSHARE_* environment variables",
        if looked.is_empty() {
            "nowhere: no home folder was found (is $HOME set?)".to_string()
        } else {
            looked.join(", ")
        }
    )))
}

fn parse_config(text: &str, path: &Path) -> Result<ConfigFile> {
    // The toml crate's own Display quotes the offending source line, which could hold a secret
    // under a misspelt key; report the position and the message only.
    toml::from_str(text).map_err(|err| {
        let position = err
            .span()
            .map(|span| {
                let line = text[..span.start].matches('\n').count() + 1;
                format!(" (line {line})")
            })
            .unwrap_or_default();
        Error::invalid(format!(
            "config file {}{position}: {}",
            path.display(),
            err.message().trim()
        ))
    })
}

/// Refuses, in every profile, a key that is neither common nor one of its vendor's own, naming
/// the key and its line (never the line itself, which may hold a secret).
fn check_keys(file: &ConfigFile, text: &str, path: &Path) -> Result<()> {
    for (name, entry) in &file.profiles {
        // A profile whose vendor is unknown is refused when it is chosen, with that message.
        let Ok(vendor) = entry.vendor.parse::<Vendor>() else {
            continue;
        };
        let own = vendor.description().profile_keys;
        for (key, value) in &entry.settings {
            let position = key_line(text, name, key)
                .map(|line| format!(" (line {line})"))
                .unwrap_or_default();
            if !own.iter().any(|known| known.name == key) {
                let takes: Vec<&str> = COMMON_KEYS
                    .iter()
                    .copied()
                    .chain(own.iter().map(|known| known.name))
                    .collect();
                return Err(bad_profile(
                    name,
                    format!(
                        "config file {}{position}: unknown key `{key}` in profile '{name}'; {vendor} profiles take: {}",
                        path.display(),
                        takes.join(", ")
                    ),
                ));
            }
            if !value.is_str() {
                return Err(bad_profile(
                    name,
                    format!(
                        "config file {}{position}: `{key}` in profile '{name}' must be a string, like {key} = \"…\"",
                        path.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The line where `key` of profile `profile` is written, if the file says it plainly.
fn key_line(text: &str, profile: &str, key: &str) -> Option<usize> {
    let root = toml::de::DeTable::parse(text).ok()?;
    let (_, profiles) = entry_of(root.get_ref(), "profiles")?;
    let (_, entry) = entry_of(profiles.get_ref().as_table()?, profile)?;
    let (name, _) = entry_of(entry.get_ref().as_table()?, key)?;
    Some(text.get(..name.span().start)?.matches('\n').count() + 1)
}

type DeEntry<'t, 'i> = (
    &'t toml::Spanned<std::borrow::Cow<'i, str>>,
    &'t toml::Spanned<toml::de::DeValue<'i>>,
);

fn entry_of<'t, 'i>(table: &'t toml::de::DeTable<'i>, wanted: &str) -> Option<DeEntry<'t, 'i>> {
    table.iter().find(|(name, _)| name.get_ref() == wanted)
}

/// Whether `name` may name a profile: letters, digits, `_`, `.` and `-`. Profile names end up in
/// the journal, in output and in apply files, so an empty one, a newline or a bidi override has
/// no place there.
fn valid_profile_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn choose_profile<'f>(
    file: &'f ConfigFile,
    requested: Option<&str>,
    path: &Path,
) -> Result<(&'f str, &'f ProfileEntry)> {
    if let Some(bad) = file.profiles.keys().find(|name| !valid_profile_name(name)) {
        return Err(Error::invalid(format!(
            "config file {}: the profile name {bad:?} is not allowed; profile names use letters, \
             digits, '_', '.' and '-' only",
            path.display()
        )));
    }
    let available = || {
        if file.profiles.is_empty() {
            "it defines none; add a [profiles.NAME] table".to_string()
        } else {
            let names: Vec<&str> = file.profiles.keys().map(String::as_str).collect();
            format!("profiles there: {}", names.join(", "))
        }
    };
    let name = match requested.or(file.default_profile.as_deref()) {
        Some(name) => name,
        None if file.profiles.len() == 1 => file
            .profiles
            .keys()
            .next()
            .map(String::as_str)
            .unwrap_or_default(),
        None => {
            return Err(Error::invalid(format!(
                "no profile chosen: pass --profile NAME, set $DASHSHARE_PROFILE, or set default_profile in {} ({})",
                path.display(),
                available()
            )));
        }
    };
    file.profiles
        .get_key_value(name)
        .map(|(name, entry)| (name.as_str(), entry))
        .ok_or_else(|| {
            Error::not_found(
                Thing::Profile,
                name,
                format!(
                    "profile '{name}' is not in {}{} ({})",
                    path.display(),
                    crate::suggest::did_you_mean(name, file.profiles.keys().map(String::as_str)),
                    available()
                ),
            )
        })
}

/// Bad input in the profile `name` (its message names it).
fn bad_profile(name: &str, message: impl std::fmt::Display) -> Error {
    Error::invalid_about(Subject::new(Thing::Profile, name), message)
}

fn resolve_entry(name: &str, entry: &ProfileEntry, base: &Path, env: EnvLookup) -> Result<Profile> {
    for (key, present) in [
        ("password", entry.password.is_some()),
        ("api_key", entry.api_key.is_some()),
        ("token", entry.token.is_some()),
    ] {
        if present {
            return Err(bad_profile(
                name,
                format!(
                    "profile '{name}': secrets are never written in the config file; replace `{key} = …` with \
                 `{key}_env = \"VARIABLE\"` (read from the environment) or `{key}_file = \"/path/to/file\"`"
                ),
            ));
        }
    }
    let vendor: Vendor = entry
        .vendor
        .parse()
        .map_err(|err| bad_profile(name, format!("profile '{name}': {err}")))?;
    vendor.ensure_available()?;
    let url = parse_url(name, vendor, entry.url.as_deref())?;
    let source = |secret: &str, var: &Option<String>, file: &Option<PathBuf>| {
        read_secret(name, secret, var.as_deref(), file.as_deref(), base, env)
    };
    let profile = Profile {
        name: name.to_string(),
        vendor,
        url,
        username: entry.username.clone(),
        password: source("password", &entry.password_env, &entry.password_file)?,
        api_key: source("api_key", &entry.api_key_env, &entry.api_key_file)?,
        token: source("token", &entry.token_env, &entry.token_file)?,
        settings: entry
            .settings
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_string())))
            .collect(),
        rate_limit: entry.rate_limit,
        timeout: entry.timeout.map(Duration::from_secs),
    };
    if profile
        .timeout
        .is_some_and(|timeout| timeout.is_zero() || timeout > Duration::from_secs(3600))
    {
        return Err(bad_profile(
            name,
            format!("profile '{name}': timeout must be between 1 and 3600 seconds"),
        ));
    }
    if profile.rate_limit == Some(0) {
        return Err(bad_profile(
            name,
            format!(
                "profile '{name}': rate_limit = 0 would never send a request; use a positive number of requests per second or remove it"
            ),
        ));
    }
    let given = |secret: &str| {
        let var = match secret {
            "password" => &entry.password_env,
            "api_key" => &entry.api_key_env,
            _ => &entry.token_env,
        };
        let key = if var.is_some() { "env" } else { "file" };
        format!("`{secret}_{key}`")
    };
    require_credentials(
        &profile,
        |secret| {
            format!(
                "`{secret}_env = \"VARIABLE\"` or `{secret}_file = \"/path\"` to profile '{name}'"
            )
        },
        given,
    )?;
    Ok(profile)
}

fn profile_from_env(vendor: Vendor, url: Option<&str>, env: EnvLookup) -> Result<Profile> {
    let url = parse_url(ENV_PROFILE, vendor, url)?;
    let var = |name: &str| env(name).filter(|value| !value.is_empty());
    let secret = |name: &str| var(name).map(loaded_secret);
    let profile = Profile {
        name: ENV_PROFILE.to_string(),
        vendor,
        url,
        username: var("DASHSHARE_USERNAME"),
        password: secret("DASHSHARE_PASSWORD"),
        api_key: secret("DASHSHARE_API_KEY"),
        token: secret("DASHSHARE_TOKEN"),
        settings: vendor
            .description()
            .profile_keys
            .iter()
            .filter_map(|key| {
                let value = var(&format!("DASHSHARE_{}", key.name.to_uppercase()))?;
                Some((key.name.to_string(), value))
            })
            .collect(),
        rate_limit: None,
        timeout: None,
    };
    let variable = |secret: &str| format!("DASHSHARE_{}", secret.to_uppercase());
    require_credentials(
        &profile,
        |secret| format!("the environment variable {}", variable(secret)),
        variable,
    )?;
    Ok(profile)
}

/// Checks that the vendor's credentials are all there; `how` says how to supply a missing one,
/// `given` names the key (or variable) a secret that is there came from.
fn require_credentials(
    profile: &Profile,
    how: impl Fn(&str) -> String,
    given: impl Fn(&str) -> String,
) -> Result<()> {
    let missing = |what: &str| {
        bad_profile(
            &profile.name,
            format!(
                "{} profile '{}' has no {what}; add {}",
                profile.vendor,
                profile.name,
                how(what)
            ),
        )
    };
    match profile.vendor.credentials() {
        // A token stands instead of the username and password: with both, which one the run
        // uses would be a guess.
        CredentialKind::PasswordOrToken
            if profile.token.is_some() && profile.password.is_some() =>
        {
            return Err(bad_profile(
                &profile.name,
                format!(
                    "{} profile '{}' has both a password ({}) and an API token ({}); keep \
                     one: the token for an account that signs in through SSO, else the \
                     username and password",
                    profile.vendor,
                    profile.name,
                    given("password"),
                    given("token")
                ),
            ));
        }
        CredentialKind::PasswordOrToken if profile.token.is_some() => {}
        kind @ (CredentialKind::UsernamePassword | CredentialKind::PasswordOrToken) => {
            let or_token = if kind == CredentialKind::PasswordOrToken {
                format!(
                    "; or, for an account that signs in through SSO, an API token instead: add {}",
                    how("token")
                )
            } else {
                String::new()
            };
            if profile.username.is_none() {
                return Err(bad_profile(
                    &profile.name,
                    format!(
                        "{} profile '{}' has no username; {}{or_token}",
                        profile.vendor,
                        profile.name,
                        if profile.name == ENV_PROFILE {
                            "set DASHSHARE_USERNAME"
                        } else {
                            "add `username = \"…\"` to the profile"
                        }
                    ),
                ));
            }
            if profile.password.is_none() {
                return Err(bad_profile(
                    &profile.name,
                    format!(
                        "{} profile '{}' has no password; add {}{or_token}",
                        profile.vendor,
                        profile.name,
                        how("password")
                    ),
                ));
            }
        }
        CredentialKind::ApiKey if profile.api_key.is_none() => return Err(missing("api_key")),
        CredentialKind::Token if profile.token.is_none() => return Err(missing("token")),
        _ => {}
    }
    let description = profile.vendor.description();
    if let Some(key) = description
        .profile_keys
        .iter()
        .find(|key| key.required && profile.setting(key.name).is_none())
    {
        return Err(bad_profile(
            &profile.name,
            format!(
                "{} profile '{}' has no {}; {}",
                profile.vendor,
                profile.name,
                key.name,
                if profile.name == ENV_PROFILE {
                    format!("set DASHSHARE_{}", key.name.to_uppercase())
                } else {
                    format!("add `{} = \"…\"` ({}) to the profile", key.name, key.shape)
                }
            ),
        ));
    }
    Ok(())
}

fn parse_url(profile: &str, vendor: Vendor, url: Option<&str>) -> Result<Url> {
    let text = url.or(vendor.default_url()).ok_or_else(|| {
        bad_profile(
            profile,
            if profile == ENV_PROFILE {
                format!("--vendor {vendor} needs --url (the server's base address)")
            } else {
                format!("profile '{profile}' has no url; add `url = \"https://…\"`")
            },
        )
    })?;
    let url = Url::parse(text).map_err(|err| {
        bad_profile(profile, format!(
            "profile '{profile}': '{text}' is not a valid URL ({err}); write it like https://bi.example.com"
        ))
    })?;
    match url.scheme() {
        "https" => {}
        // On this machine (the sandbox, a tunnel) nothing crosses a network.
        "http" if is_loopback(&url) => {}
        "http" => tracing::warn!(
            "profile '{profile}' uses plain http:// ({url}); credentials travel unencrypted"
        ),
        other => {
            return Err(bad_profile(
                profile,
                format!(
                    "profile '{profile}': URL scheme '{other}' is not supported; use https:// (or http:// on a trusted network)"
                ),
            ));
        }
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad_profile(
            profile,
            format!(
                "profile '{profile}': the URL must not carry credentials; use username and password_env instead"
            ),
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

fn read_secret(
    profile: &str,
    secret: &str,
    var: Option<&str>,
    file: Option<&Path>,
    base: &Path,
    env: EnvLookup,
) -> Result<Option<SecretString>> {
    match (var, file) {
        (Some(_), Some(_)) => Err(bad_profile(
            profile,
            format!("profile '{profile}': set either {secret}_env or {secret}_file, not both"),
        )),
        (Some(var), None) => match env(var).filter(|value| !value.is_empty()) {
            Some(value) => Ok(Some(loaded_secret(value))),
            None => Err(bad_profile(
                profile,
                format!(
                    "profile '{profile}': {secret}_env names the environment variable {var}, which is not set \
                 (or empty); export it, or use {secret}_file"
                ),
            )),
        },
        (None, Some(file)) => {
            let path = expand_path(file, base);
            let text = read_secret_file(&path).map_err(|why| {
                bad_profile(
                    profile,
                    format!(
                        "profile '{profile}': cannot read {secret}_file {}: {why}",
                        path.display()
                    ),
                )
            })?;
            // Secret files usually end with a newline that is not part of the secret.
            let value = text.trim_end_matches(['\n', '\r']);
            if value.is_empty() {
                return Err(bad_profile(
                    profile,
                    format!(
                        "profile '{profile}': {secret}_file {} is empty",
                        path.display()
                    ),
                ));
            }
            Ok(Some(loaded_secret(value.to_string())))
        }
        (None, None) => Ok(None),
    }
}

/// A secret as loaded: from here on no output of the run can show it.
fn loaded_secret(value: String) -> SecretString {
    crate::redact::register(&value);
    SecretString::from(value)
}

/// The longest secret file read: a key or password is a few hundred bytes at most.
const MAX_SECRET_FILE: u64 = 64 * 1024;

/// A secret file's text. Only a regular file is opened (a FIFO would block forever, `/dev/zero`
/// would never end), and no more than `MAX_SECRET_FILE` bytes are read.
fn read_secret_file(path: &Path) -> std::result::Result<String, String> {
    use std::io::Read;
    let metadata = std::fs::metadata(path).map_err(|err| err.to_string())?;
    if !metadata.is_file() {
        return Err(
            "it is not a regular file (a folder, pipe or device); point it at a file \
                    holding the secret"
                .into(),
        );
    }
    if metadata.len() > MAX_SECRET_FILE {
        return Err(format!(
            "it holds {} bytes, more than a secret's {} KiB; is it the right file?",
            metadata.len(),
            MAX_SECRET_FILE / 1024
        ));
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_SECRET_FILE).read_to_string(&mut text))
        .map_err(|err| err.to_string())?;
    Ok(text)
}

/// `~/x` is under the home folder; a relative path is relative to the config file's folder.
fn expand_path(path: &Path, base: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(home) = crate::paths::home()
    {
        return home.join(rest);
    }
    if path.is_relative() {
        base.join(path)
    } else {
        path.to_path_buf()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    fn select(path: &Path, profile: Option<&str>) -> Selection {
        Selection {
            config: Some(path.to_path_buf()),
            profile: profile.map(str::to_string),
            ..Selection::default()
        }
    }

    const SISENSE: &str = r#"
[profiles.prod]
vendor = "sisense"
url = "https://bi.example.com"
username = "admin@example.com"
password_env = "SISENSE_PASSWORD"
"#;

    #[test]
    fn loads_a_profile_with_its_secret_from_the_environment() {
        let (_dir, path) = write_config(SISENSE);
        let env = env_of(&[("SISENSE_PASSWORD", "p@ss+w&rd")]);
        let profile = load_profile(&select(&path, Some("prod")), &env).unwrap();
        assert_eq!(profile.vendor, Vendor::Sisense);
        assert_eq!(profile.password.unwrap().expose_secret(), "p@ss+w&rd");
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let (_dir, path) = write_config(SISENSE);
        let env = env_of(&[("SISENSE_PASSWORD", "hunter2-secret")]);
        let profile = load_profile(&select(&path, None), &env).unwrap();
        assert!(!format!("{profile:?}").contains("hunter2-secret"));
    }

    #[test]
    fn inline_secret_is_refused_without_echoing_it() {
        let (_dir, path) = write_config(
            "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://x\"\nusername = \"u\"\npassword = \"hunter2\"\n",
        );
        let err = load_profile(&select(&path, None), &env_of(&[])).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("password_env") && text.contains("password_file"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn misspelt_key_is_reported_without_quoting_the_line() {
        let (_dir, path) = write_config(
            "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://x\"\npasword = \"hunter2\"\n",
        );
        let text = load_profile(&select(&path, None), &env_of(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("pasword") && text.contains("line 4"),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn missing_environment_variable_is_named() {
        let (_dir, path) = write_config(SISENSE);
        let err = load_profile(&select(&path, None), &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("SISENSE_PASSWORD"), "{err}");
    }

    #[test]
    fn secret_file_is_read_relative_to_the_config_and_trimmed() {
        let (dir, path) = write_config(
            "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://x\"\nusername = \"u\"\npassword_file = \"pw.txt\"\n",
        );
        std::fs::write(dir.path().join("pw.txt"), "s3cret\n").unwrap();
        let profile = load_profile(&select(&path, None), &env_of(&[])).unwrap();
        assert_eq!(profile.password.unwrap().expose_secret(), "s3cret");
    }

    #[test]
    fn a_secret_file_must_be_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pw.fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        let big = dir.path().join("big.txt");
        std::fs::write(&big, vec![b'x'; 70 * 1024]).unwrap();
        let mut refused = vec![
            (PathBuf::from("/dev/zero"), "not a regular file"),
            (big, "bytes"),
        ];
        if made.is_ok_and(|status| status.success()) {
            refused.push((fifo, "not a regular file"));
        }
        for (file, why) in refused {
            let (_config_dir, path) = write_config(&format!(
                "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://x\"\nusername = \"u\"\npassword_file = \"{}\"\n",
                file.display()
            ));
            let err = load_profile(&select(&path, None), &env_of(&[])).unwrap_err();
            assert!(err.to_string().contains(why), "{}: {err}", file.display());
            assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
        }
    }

    #[test]
    fn profile_names_are_plain() {
        for bad in ["", "a b", "prod\\nx", "evil\\u202e", "a/b"] {
            let (_dir, path) = write_config(&format!(
                "[profiles.\"{bad}\"]\nvendor = \"sisense\"\nurl = \"https://x\"\nusername = \"u\"\npassword_env = \"P\"\n"
            ));
            let err = load_profile(&select(&path, None), &env_of(&[("P", "x")])).unwrap_err();
            assert!(err.to_string().contains("is not allowed"), "{bad:?}: {err}");
        }
        let (_dir, path) =
            write_config(&SISENSE.replace("[profiles.prod]", "[profiles.\"prod_eu-1.b\"]"));
        let env = env_of(&[("SISENSE_PASSWORD", "x")]);
        assert!(load_profile(&select(&path, None), &env).is_ok());
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let (_dir, path) = write_config(SISENSE);
        let env = env_of(&[("SISENSE_PASSWORD", "x")]);
        let err = load_profile(&select(&path, Some("staging")), &env).unwrap_err();
        assert!(err.to_string().contains("'staging'") && err.to_string().contains("prod"));
    }

    #[test]
    fn profile_comes_from_the_environment_variable() {
        let (_dir, path) = write_config(&format!(
            "{SISENSE}\n[profiles.other]\nvendor = \"sisense\"\nurl = \"https://other\"\nusername = \"o\"\npassword_env = \"K\"\n"
        ));
        let env = env_of(&[("DASHSHARE_PROFILE", "other"), ("K", "key")]);
        let profile = load_profile(&select(&path, None), &env).unwrap();
        assert_eq!(profile.name, "other");
        assert_eq!(profile.url.as_str(), "https://other/");
    }

    #[test]
    fn env_only_mode_reads_dashshare_variables() {
        let env = env_of(&[("DASHSHARE_USERNAME", "u"), ("DASHSHARE_PASSWORD", "pw")]);
        let selection = Selection {
            vendor: Some(Vendor::Sisense),
            url: Some("https://bi.example.com".into()),
            ..Selection::default()
        };
        let profile = load_profile(&selection, &env).unwrap();
        assert_eq!(profile.username.as_deref(), Some("u"));

        let err = load_profile(&selection, &env_of(&[("DASHSHARE_USERNAME", "u")])).unwrap_err();
        assert!(err.to_string().contains("DASHSHARE_PASSWORD"), "{err}");
    }

    #[test]
    fn a_vendor_reads_its_own_keys_and_refuses_another_vendors() {
        let text = |vendor: &str| {
            format!(
                "[profiles.p]\nvendor = \"{vendor}\"\nurl = \"https://x\"\nusername = \"u\"\npassword_env = \"P\"\ngwkey = \"k\"\n"
            )
        };
        let env = env_of(&[("P", "x")]);
        let (_dir, path) = write_config(&text("sisense"));
        let err = load_profile(&select(&path, None), &env).unwrap_err();
        assert!(
            err.to_string().contains("`gwkey`") && err.to_string().contains("line 6"),
            "{err}"
        );
        assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
        let (_dir, path) = write_config(&text("appviewx"));
        let profile = load_profile(&select(&path, None), &env).unwrap();
        assert_eq!(profile.setting("gwkey"), Some("k"));
    }

    #[test]
    fn a_sisense_profile_takes_an_api_token_instead_of_a_password_but_not_both() {
        let token = "[profiles.p]\nvendor = \"sisense\"\nurl = \"https://x\"\ntoken_env = \"T\"\n";
        let (_dir, path) = write_config(token);
        let profile = load_profile(&select(&path, None), &env_of(&[("T", "tok")])).unwrap();
        assert_eq!(profile.token.unwrap().expose_secret(), "tok");
        assert!(profile.password.is_none() && profile.username.is_none());

        let (_dir, path) = write_config(&format!(
            "{token}username = \"u\"\npassword_file = \"pw.txt\"\n"
        ));
        std::fs::write(path.parent().unwrap().join("pw.txt"), "pw").unwrap();
        let err = load_profile(&select(&path, None), &env_of(&[("T", "tok")])).unwrap_err();
        assert_eq!(err.exit_code(), crate::error::ExitCode::BadInput);
        assert!(
            err.to_string().contains("`password_file`") && err.to_string().contains("`token_env`"),
            "{err}"
        );

        let (_dir, path) =
            write_config("[profiles.p]\nvendor = \"sisense\"\nurl = \"https://x\"\n");
        let err = load_profile(&select(&path, None), &env_of(&[])).unwrap_err();
        assert!(err.to_string().contains("token_env"), "{err}");

        let selection = Selection {
            vendor: Some(Vendor::Sisense),
            url: Some("https://bi.example.com".into()),
            ..Selection::default()
        };
        let profile = load_profile(&selection, &env_of(&[("DASHSHARE_TOKEN", "tok")])).unwrap();
        assert!(profile.token.is_some());
        let both = env_of(&[
            ("DASHSHARE_USERNAME", "u"),
            ("DASHSHARE_PASSWORD", "pw"),
            ("DASHSHARE_TOKEN", "tok"),
        ]);
        let err = load_profile(&selection, &both).unwrap_err();
        assert!(
            err.to_string().contains("DASHSHARE_PASSWORD")
                && err.to_string().contains("DASHSHARE_TOKEN"),
            "{err}"
        );
    }

    #[test]
    fn env_only_mode_reads_the_vendor_keys() {
        let selection = Selection {
            vendor: Some(Vendor::Mindzie),
            url: Some("https://mindzie.example.com".into()),
            ..Selection::default()
        };
        let mut vars = vec![("DASHSHARE_TOKEN", "t"), ("DASHSHARE_TENANT_ID", "a")];
        let err = load_profile(&selection, &env_of(&vars)).unwrap_err();
        assert!(err.to_string().contains("DASHSHARE_PROJECT_ID"), "{err}");
        vars.push(("DASHSHARE_PROJECT_ID", "b"));
        let profile = load_profile(&selection, &env_of(&vars)).unwrap();
        assert_eq!(profile.setting("tenant_id"), Some("a"));
        assert_eq!(profile.setting("project_id"), Some("b"));
    }

    #[test]
    fn vizzly_has_a_default_url() {
        let url = parse_url("v", Vendor::Vizzly, None).unwrap();
        assert_eq!(url.as_str(), "https://api.vizzly.co/");
        assert!(parse_url("s", Vendor::Sisense, None).is_err());
    }

    #[test]
    fn the_example_config_is_valid() {
        let text = include_str!("../examples/config.toml");
        let file = parse_config(text, Path::new("examples/config.toml")).unwrap();
        assert_eq!(file.profiles.len(), 5);
        let env = env_of(&[("SISENSE_PASSWORD", "x")]);
        let (name, entry) = choose_profile(&file, None, Path::new(".")).unwrap();
        assert_eq!(name, "prod-sisense");
        let profile = resolve_entry(name, entry, Path::new("."), &env).unwrap();
        assert_eq!(profile.rate_limit, Some(8));
    }
}
