//! The five vendors and what each can do, as data. This table drives `dashshare vendors` and every
//! "unsupported" error, so the two can never disagree.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::{Access, PrincipalKind};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Vendor {
    Sisense,
    Eci,
    Vizzly,
    Appviewx,
    Mindzie,
}

impl Vendor {
    pub const ALL: [Vendor; 5] = [
        Vendor::Sisense,
        Vendor::Eci,
        Vendor::Vizzly,
        Vendor::Appviewx,
        Vendor::Mindzie,
    ];

    /// Everything dashshare knows about the vendor, as data.
    pub fn description(self) -> &'static Description {
        match self {
            Vendor::Sisense => &SISENSE,
            Vendor::Eci => &ECI,
            Vendor::Vizzly => &VIZZLY,
            Vendor::Appviewx => &APPVIEWX,
            Vendor::Mindzie => &MINDZIE,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.description().name
    }

    /// Where the vendor's public API lives, for vendors that have one address for everybody.
    pub fn default_url(self) -> Option<&'static str> {
        self.description().default_url
    }

    /// Which credentials a profile of this vendor must provide.
    pub fn credentials(self) -> CredentialKind {
        self.description().credentials
    }

    pub fn capabilities(self) -> &'static Capabilities {
        &self.description().capabilities
    }

    /// Fails unless this version of dashshare ships a provider for the vendor.
    pub fn ensure_available(self) -> Result<()> {
        if self.capabilities().available {
            return Ok(());
        }
        Err(Error::NotSupported(format!(
            "the {self} provider has not landed in this version of dashshare; available now: {}",
            vendors_where(|caps| caps.available)
        )))
    }

    /// Fails before any request when the vendor cannot share with `kind` at `access`.
    pub fn ensure_principal(self, kind: PrincipalKind, access: Option<Access>) -> Result<()> {
        let caps = self.capabilities();
        if caps.links && caps.user.is_empty() && caps.group.is_empty() && !caps.everyone {
            return Err(Error::NotSupported(format!(
                "{self} has no dashboard-level sharing with people (access is project-level); share a \
                 public link instead: `dashshare link create DASHBOARD` (see `dashshare link --help`)"
            )));
        }
        let levels = caps.levels(kind);
        if levels.is_empty() {
            let flag = match kind {
                PrincipalKind::User => "--user",
                PrincipalKind::Group => "--group",
                PrincipalKind::Everyone => "--everyone",
            };
            return Err(Error::NotSupported(format!(
                "{self} dashboards cannot be shared with {kind} principals ({flag}); vendors that can: {}",
                vendors_where(|caps| !caps.levels(kind).is_empty())
            )));
        }
        if let Some(access) = access
            && !levels.contains(&access)
        {
            if levels == [Access::View] {
                return Err(Error::NotSupported(format!(
                    "{self} shares are view-only: it has no '{access}' access; use --access view (the default)"
                )));
            }
            let allowed: Vec<&str> = levels.iter().map(|level| level.as_str()).collect();
            return Err(Error::NotSupported(format!(
                "{self} has no '{access}' access for {kind} shares; use --access {}",
                allowed.join(" or --access ")
            )));
        }
        Ok(())
    }

    /// Fails before any request when the vendor has no API to read a dashboard's shares.
    pub fn ensure_can_list(self) -> Result<()> {
        match self.capabilities().list {
            Support::Yes => return Ok(()),
            Support::LinksOnly => {
                return Err(Error::NotSupported(format!(
                    "{self} has no dashboard-level shares with people (access is project-level); \
                     its public links are listed by `dashshare link list DASHBOARD`"
                )));
            }
            Support::ReplaceOnly | Support::No => {}
        }
        Err(Error::NotSupported(format!(
            "{self} has no API to read a dashboard's shares, so `list` cannot show them; vendors that can: {}",
            vendors_where(|caps| caps.list == Support::Yes)
        )))
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Vendor {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Vendor::ALL
            .into_iter()
            .find(|vendor| vendor.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "unknown vendor '{text}'; use one of: {}",
                    vendors_where(|_| true)
                ))
            })
    }
}

/// One vendor's facts: what a profile of it holds and what it can do. The provider that speaks
/// the vendor's API reads the profile keys named here (see `providers::connect`).
#[derive(Debug)]
pub struct Description {
    pub name: &'static str,
    pub credentials: CredentialKind,
    /// Where the vendor's public API lives, for vendors that have one address for everybody.
    pub default_url: Option<&'static str>,
    /// The profile keys only this vendor takes, beside the common ones.
    pub profile_keys: &'static [ProfileKey],
    pub capabilities: Capabilities,
    /// What `dashshare vendors` says below its table of this vendor, each a line.
    pub notes: &'static [&'static str],
}

/// A vendor-specific profile key, also settable as `DASHSHARE_<KEY>` for `--vendor` runs.
#[derive(Debug)]
pub struct ProfileKey {
    pub name: &'static str,
    pub required: bool,
    /// What the value looks like, for the message when a required key is missing.
    pub shape: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    UsernamePassword,
    /// A username and password, or an API token instead of both (Sisense: an account that signs
    /// in through SSO has no password to send, only a token made in the vendor's UI).
    PasswordOrToken,
    ApiKey,
    Token,
}

/// Whether a vendor offers a feature: fully, through a narrower path, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    Yes,
    /// Only public links can be listed or revoked (mindzie).
    LinksOnly,
    /// Only with `--replace`, since the vendor can neither read nor add to a share set (AppViewX).
    ReplaceOnly,
    No,
}

#[derive(Debug, Serialize)]
pub struct Capabilities {
    /// Whether this version of dashshare ships the vendor's provider.
    pub available: bool,
    pub user: &'static [Access],
    pub group: &'static [Access],
    pub everyone: bool,
    pub list: Support,
    /// Lists dashboards (`dashboards`) and finds one by title (`name:TITLE`).
    pub dashboards: bool,
    pub revoke: Support,
    pub publish: bool,
    pub links: bool,
    /// `grant --replace` can make the named principals the complete share set.
    pub replace: bool,
    /// The vendor can only write a complete share set: grant needs `--replace`, revoke is refused.
    pub replace_only: bool,
    /// A share with everyone must stand alone: no user or group list beside it (ECI).
    pub everyone_alone: bool,
    /// `revoke --access` narrows what is revoked to one access level (Vizzly keeps one permission
    /// per level).
    pub scoped_revoke: bool,
    /// How the vendor names our access levels, where it differs.
    pub access_names: &'static [(Access, &'static str)],
    /// A viewer also needs an entry on the dashboard's data model to query its data (Sisense):
    /// `grant --with-data` gives it; `revoke` keeps it.
    pub data_models: bool,
    /// The kinds of principal `users` and `groups` list: those the vendor has a listing of
    /// (AppViewX shares with groups only and searches them; Vizzly and mindzie list no one).
    pub principals: &'static [PrincipalKind],
    /// A dashboard can be given to another owner (Sisense `change_owner`): `offboard
    /// --transfer-to` writes a share set whose owner is another user.
    pub owner_transfer: bool,
}

impl Capabilities {
    pub fn levels(&self, kind: PrincipalKind) -> &'static [Access] {
        match kind {
            PrincipalKind::User => self.user,
            PrincipalKind::Group => self.group,
            PrincipalKind::Everyone if self.everyone => &[Access::View],
            PrincipalKind::Everyone => &[],
        }
    }
}

const BOTH: &[Access] = &[Access::View, Access::Edit];
const VIEW: &[Access] = &[Access::View];

static SISENSE: Description = Description {
    name: "sisense",
    credentials: CredentialKind::PasswordOrToken,
    default_url: None,
    profile_keys: &[],
    capabilities: Capabilities {
        available: true,
        user: BOTH,
        group: BOTH,
        // The built-in `Everyone` group's share.
        everyone: true,
        list: Support::Yes,
        dashboards: true,
        revoke: Support::Yes,
        publish: true,
        links: false,
        replace: true,
        replace_only: false,
        everyone_alone: false,
        scoped_revoke: false,
        access_names: &[],
        data_models: true,
        principals: &[PrincipalKind::User, PrincipalKind::Group],
        owner_transfer: true,
    },
    notes: &[
        "sisense: --everyone is the share of its built-in `Everyone` group; an SSO account signs in with an API token (token_env) instead of a password.",
    ],
};

static ECI: Description = Description {
    name: "eci",
    credentials: CredentialKind::ApiKey,
    default_url: None,
    profile_keys: &[],
    capabilities: Capabilities {
        available: true,
        user: VIEW,
        group: VIEW,
        everyone: true,
        list: Support::Yes,
        dashboards: true,
        revoke: Support::Yes,
        publish: false,
        links: false,
        replace: true,
        replace_only: false,
        everyone_alone: true,
        scoped_revoke: false,
        access_names: &[],
        data_models: false,
        principals: &[PrincipalKind::User, PrincipalKind::Group],
        owner_transfer: false,
    },
    notes: &["eci: a share with everyone cannot keep a user or group list beside it."],
};

static VIZZLY: Description = Description {
    name: "vizzly",
    credentials: CredentialKind::ApiKey,
    default_url: Some("https://api.vizzly.co"),
    profile_keys: &[],
    capabilities: Capabilities {
        available: true,
        user: BOTH,
        group: &[],
        everyone: false,
        list: Support::No,
        dashboards: false,
        revoke: Support::Yes,
        publish: false,
        links: false,
        replace: false,
        replace_only: false,
        everyone_alone: false,
        scoped_revoke: true,
        access_names: &[(Access::View, "read"), (Access::Edit, "read_write")],
        data_models: false,
        principals: &[],
        owner_transfer: false,
    },
    notes: &["vizzly: no API reads permissions, so grant and revoke report what was sent."],
};

static APPVIEWX: Description = Description {
    name: "appviewx",
    credentials: CredentialKind::UsernamePassword,
    default_url: None,
    profile_keys: &[
        ProfileKey {
            name: "gwsource",
            required: false,
            shape: "web or external",
        },
        ProfileKey {
            name: "gwkey",
            required: false,
            shape: "the tenant key",
        },
    ],
    capabilities: Capabilities {
        available: true,
        user: &[],
        group: BOTH,
        everyone: false,
        list: Support::No,
        dashboards: false,
        revoke: Support::ReplaceOnly,
        publish: false,
        links: false,
        replace: true,
        replace_only: true,
        everyone_alone: false,
        scoped_revoke: false,
        access_names: &[(Access::View, "read"), (Access::Edit, "read-write")],
        data_models: false,
        principals: &[PrincipalKind::Group],
        owner_transfer: false,
    },
    notes: &[
        "appviewx can neither read shares nor add to them: grant/revoke there need --replace.",
    ],
};

static MINDZIE: Description = Description {
    name: "mindzie",
    credentials: CredentialKind::Token,
    default_url: None,
    profile_keys: &[
        ProfileKey {
            name: "tenant_id",
            required: true,
            shape: "a GUID",
        },
        ProfileKey {
            name: "project_id",
            required: true,
            shape: "a GUID",
        },
    ],
    capabilities: Capabilities {
        available: true,
        user: &[],
        group: &[],
        everyone: false,
        list: Support::LinksOnly,
        dashboards: true,
        revoke: Support::LinksOnly,
        publish: false,
        links: true,
        replace: false,
        replace_only: false,
        everyone_alone: false,
        scoped_revoke: false,
        access_names: &[],
        data_models: false,
        principals: &[],
        owner_transfer: false,
    },
    notes: &[
        "mindzie: no sharing with people per dashboard; public links (`link`) and `embed` instead.",
    ],
};

fn vendors_where(test: impl Fn(&Capabilities) -> bool) -> String {
    let names: Vec<&str> = Vendor::ALL
        .into_iter()
        .filter(|vendor| test(vendor.capabilities()))
        .map(Vendor::as_str)
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_principal_names_the_vendors_that_can() {
        let err = Vendor::Vizzly
            .ensure_principal(PrincipalKind::Everyone, None)
            .unwrap_err();
        assert!(err.to_string().contains("--everyone"), "{err}");
        assert!(err.to_string().contains("eci"), "{err}");
        assert!(err.to_string().contains("sisense"), "{err}");
    }

    #[test]
    fn unsupported_access_names_the_allowed_one() {
        let err = Vendor::Eci
            .ensure_principal(PrincipalKind::User, Some(Access::Edit))
            .unwrap_err();
        assert!(err.to_string().contains("view-only"), "{err}");
        assert!(err.to_string().contains("--access view"), "{err}");
    }

    #[test]
    fn vendor_names_parse_case_insensitively() {
        assert_eq!("Sisense".parse::<Vendor>().unwrap(), Vendor::Sisense);
        // A name no vendor will take, so that adding one (say Tableau) leaves this test alone.
        assert!(
            "no-such-vendor"
                .parse::<Vendor>()
                .unwrap_err()
                .to_string()
                .contains("'no-such-vendor'")
        );
    }
}
