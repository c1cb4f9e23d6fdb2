//! The commented config file `dashshare config init` writes: one profile per vendor, built from
//! the vendor table, with every secret named by an environment variable and never written.

use std::fmt::Write;

use crate::vendor::{CredentialKind, Vendor};

/// A config file with one profile per vendor of `vendors` (named after the vendor), the first
/// being the default. Placeholders (`CHANGE-ME`, example.com) load but fail `check` until filled.
pub fn init_text(vendors: &[Vendor]) -> String {
    let mut text = String::from(
        "# dashshare configuration, written by `dashshare config init`.\n\
         # Secrets are never written here: each profile names the environment variable (*_env)\n\
         # or the file (*_file) that holds its secret, read at every run.\n\
         # See the resolved values with `dashshare config show -p NAME`; test with `dashshare check --all`.\n\n",
    );
    if let Some(first) = vendors.first() {
        let _ = writeln!(
            text,
            "# The profile used when neither -p/--profile nor $DASHSHARE_PROFILE is given.\n\
             default_profile = \"{first}\"\n"
        );
    }
    for vendor in vendors {
        text.push_str(&profile_text(*vendor));
        text.push('\n');
    }
    text
}

fn profile_text(vendor: Vendor) -> String {
    let description = vendor.description();
    let name = description.name;
    let upper = name.to_uppercase();
    let mut text = format!(
        "[profiles.{name}]\n\
         # Which API this profile speaks.\n\
         vendor = \"{name}\"\n"
    );
    match vendor.default_url() {
        Some(url) => {
            let _ = writeln!(
                text,
                "# The server's base address (this is {name}'s public API).\nurl = \"{url}\""
            );
        }
        None => {
            let _ = writeln!(
                text,
                "# The server's base address: https:// (http:// only on a trusted network, with a warning).\n\
                 url = \"https://{name}.example.com\""
            );
        }
    }
    let (secret, what) = match vendor.credentials() {
        CredentialKind::UsernamePassword => {
            text.push_str(
                "# The account dashshare logs in as.\nusername = \"CHANGE-ME@example.com\"\n",
            );
            ("password", "password")
        }
        CredentialKind::PasswordOrToken => {
            text.push_str(
                "# The account dashshare logs in as, with its password (below), or an API token instead.\n\
                 username = \"CHANGE-ME@example.com\"\n",
            );
            ("password", "password")
        }
        CredentialKind::ApiKey => ("api_key", "API key"),
        CredentialKind::Token => ("token", "API token"),
    };
    let _ = writeln!(
        text,
        "# The environment variable holding the {what} (or {secret}_file = \"/path\": a file holding it).\n\
         {secret}_env = \"{upper}_{}\"",
        secret.to_uppercase()
    );
    if vendor.credentials() == CredentialKind::PasswordOrToken {
        let _ = writeln!(
            text,
            "# Or, for an account that signs in through SSO (no password): an API token, made in\n\
             # {name}'s UI (user menu → REST API token). Remove username and password_env then;\n\
             # token_file = \"/path\" reads it from a file.\n\
             # token_env = \"{upper}_TOKEN\""
        );
    }
    for key in description.profile_keys {
        if key.required {
            let _ = writeln!(
                text,
                "# Required: {} ({}).\n{} = \"CHANGE-ME\"",
                key.name, key.shape, key.name
            );
        } else {
            let _ = writeln!(
                text,
                "# Optional: {} ({}).\n# {} = \"\"",
                key.name, key.shape, key.name
            );
        }
    }
    text.push_str(
        "# Optional: requests per second to this server.\n# rate_limit = 8\n\
         # Optional: seconds to wait for each request (--timeout overrides; default 30).\n# timeout = 30\n",
    );
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn the_commented_token_way_loads_once_taken_instead_of_the_password() {
        let text = init_text(&[Vendor::Sisense]);
        let uncommented: String = text
            .lines()
            .filter(|line| !line.starts_with("username") && !line.starts_with("password_env"))
            .map(|line| {
                line.strip_prefix("# token_env")
                    .map_or(line.to_string(), |rest| format!("token_env{rest}"))
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            uncommented.contains("token_env = \"SISENSE_TOKEN\""),
            "{uncommented}"
        );
        let env = |name: &str| (name == "SISENSE_TOKEN").then(|| "tok".to_string());
        let profile =
            crate::config::profile_from_config(uncommented.as_bytes(), Path::new("c"), None, &env)
                .unwrap();
        assert!(profile.token.is_some() && profile.password.is_none());
    }

    #[test]
    fn every_profile_written_loads_once_its_variable_is_set() {
        let text = init_text(&Vendor::ALL);
        let env = |name: &str| {
            name.ends_with("_PASSWORD") || name.ends_with("_API_KEY") || name.ends_with("_TOKEN")
        };
        let env = move |name: &str| env(name).then(|| "value".to_string());
        for vendor in Vendor::ALL {
            let profile = crate::config::profile_from_config(
                text.as_bytes(),
                Path::new("config.toml"),
                Some(vendor.as_str()),
                &env,
            )
            .unwrap();
            assert_eq!(profile.vendor, vendor);
        }
        let default =
            crate::config::profile_from_config(text.as_bytes(), Path::new("c"), None, &env)
                .unwrap();
        assert_eq!(default.vendor, Vendor::ALL[0]);
    }

    #[test]
    fn no_secret_is_written_only_the_variable_that_holds_it() {
        let text = init_text(&[Vendor::ALL[0]]);
        assert!(!text.contains("password ="), "{text}");
        assert!(text.contains("password_env = \""), "{text}");
    }
}
