//! The one capability check: whether a vendor can make a change for a kind of principal, before
//! any request. It takes plain values, so that grant, revoke and apply (and whatever comes next)
//! ask the same question; each surface words the refusal for its own remedy.

use crate::error::Error;
use crate::model::{Access, Change, Mode, PrincipalKind};
use crate::vendor::{Support, Vendor};

/// What a vendor cannot do, found before any request.
#[derive(Debug)]
pub enum Refusal {
    /// A grant that would add to a share set at a vendor that only writes complete ones.
    NeedsComplete,
    /// A revoke at a vendor that only writes complete share sets.
    RevokeNeedsComplete,
    /// A revoke at a vendor whose only shares with people are public links.
    RevokeLinksOnly,
    /// A revoke at a vendor that has none.
    NoRevoke,
    /// `revoke --access` at a vendor whose revoke removes a share whatever its access.
    NoScopedRevoke,
    /// The principal's kind, or the access, is not one the vendor shares with.
    Principal(Error),
    /// A complete share set at a vendor that can neither replace one nor read one.
    NoComplete,
    /// Everyone together with users or groups, at a vendor whose everyone share stands alone.
    EveryoneAlone,
}

/// Whether `vendor` can make `change` for principals of `kinds`; `mode` says whether the change
/// is the complete share set. With a revoke, `access` is the one level it narrows to. The first
/// refusal is given: the change's own, then each kind's in turn, then the mode's.
pub fn admit(
    vendor: Vendor,
    kinds: &[PrincipalKind],
    access: Option<Access>,
    change: Change,
    mode: Mode,
) -> Result<(), Refusal> {
    admit_change(vendor, access, change, mode)?;
    for &kind in kinds {
        admit_principal(vendor, kind, access, change)?;
    }
    admit_mode(vendor, mode)?;
    admit_together(vendor, kinds, change)
}

/// Whether the principals of one dashboard's grant can stand together: a vendor whose everyone
/// share stands alone takes everyone, or users and groups, never both.
pub fn admit_together(
    vendor: Vendor,
    kinds: &[PrincipalKind],
    change: Change,
) -> Result<(), Refusal> {
    let everyone = kinds.contains(&PrincipalKind::Everyone);
    if vendor.capabilities().everyone_alone
        && everyone
        && kinds.len() > 1
        && matches!(change, Change::Grant(_))
    {
        return Err(Refusal::EveryoneAlone);
    }
    Ok(())
}

/// What does not depend on the principal: the change itself.
fn admit_change(
    vendor: Vendor,
    access: Option<Access>,
    change: Change,
    mode: Mode,
) -> Result<(), Refusal> {
    let caps = vendor.capabilities();
    if caps.replace_only {
        match (change, mode) {
            (Change::Grant(_), Mode::Replace) => {}
            (Change::Grant(_), Mode::Merge) => return Err(Refusal::NeedsComplete),
            (Change::Revoke, _) => return Err(Refusal::RevokeNeedsComplete),
        }
    }
    if change == Change::Revoke {
        match caps.revoke {
            Support::Yes => {}
            Support::LinksOnly => return Err(Refusal::RevokeLinksOnly),
            Support::ReplaceOnly | Support::No => return Err(Refusal::NoRevoke),
        }
        if access.is_some() && !caps.scoped_revoke {
            return Err(Refusal::NoScopedRevoke);
        }
    }
    Ok(())
}

fn admit_principal(
    vendor: Vendor,
    kind: PrincipalKind,
    access: Option<Access>,
    change: Change,
) -> Result<(), Refusal> {
    let access = match change {
        Change::Grant(access) => Some(access),
        Change::Revoke => access,
    };
    vendor
        .ensure_principal(kind, access)
        .map_err(Refusal::Principal)
}

fn admit_mode(vendor: Vendor, mode: Mode) -> Result<(), Refusal> {
    let caps = vendor.capabilities();
    // Only a vendor that can read knows what a complete set removes; a replace-only one is
    // told the complete set outright.
    if mode == Mode::Replace && !caps.replace && !caps.replace_only {
        return Err(Refusal::NoComplete);
    }
    Ok(())
}

impl Refusal {
    /// Worded for `grant` and `revoke`, whose remedies are flags.
    pub fn for_command(self, vendor: Vendor) -> Error {
        Error::NotSupported(match self {
            Refusal::Principal(err) => return err,
            Refusal::NeedsComplete => format!(
                "{vendor} can neither read a dashboard's shares nor add one group to them: its update \
                 sets the complete read and read-write group lists, so a grant without --replace would \
                 silently remove every group you did not name. Pass --replace to make the named \
                 groups (at --access) the dashboard's complete share set, or list every group \
                 with its access in a file for `dashshare apply FILE --prune`"
            ),
            Refusal::RevokeNeedsComplete => format!(
                "{vendor} cannot remove one group: its update sets the complete group lists and \
                 there is no way to read them. Restate the groups that keep access with \
                 `grant --replace --group …` (one access level) or `apply FILE --prune` (both)"
            ),
            Refusal::RevokeLinksOnly => format!(
                "{vendor} has no dashboard-level shares with people to revoke; public links are \
                 revoked with `dashshare link revoke DASHBOARD SHARE_ID` (`dashshare link list` \
                 shows them)"
            ),
            Refusal::NoRevoke => {
                format!("{vendor} shares cannot be revoked with `revoke`; see `dashshare vendors`")
            }
            Refusal::NoScopedRevoke => format!(
                "revoke --access narrows a revoke to one access level on vizzly only; on {vendor} \
                 a revoke removes the share whatever its access (leave --access out)"
            ),
            Refusal::NoComplete => format!(
                "{vendor} cannot replace a whole share set (grant --replace); see `dashshare vendors`"
            ),
            Refusal::EveryoneAlone => format!(
                "{vendor} shares a dashboard either with everyone or with users and groups, never \
                 both; grant --everyone on its own"
            ),
        })
    }

    /// Worded for an `apply` file, whose remedies are `--prune` or leaving a row out. `subject`
    /// is the row's principal, or for a refusal of a dashboard's whole set, the dashboard.
    pub fn for_file(self, vendor: Vendor, subject: &impl std::fmt::Display) -> String {
        match self {
            Refusal::Principal(err) => format!("{subject}: {err}"),
            Refusal::EveryoneAlone => format!(
                "{vendor} shares a dashboard either with everyone or with users and groups, never \
                 both: dashboard '{subject}' lists both"
            ),
            Refusal::NeedsComplete | Refusal::RevokeNeedsComplete => format!(
                "{vendor} can only set a dashboard's complete group lists, and cannot read them: use \
                 --prune, so that the file states each dashboard's complete set"
            ),
            Refusal::NoComplete => format!(
                "{vendor} cannot read a dashboard's shares, so --prune cannot know what to remove; \
                 apply its rows without --prune"
            ),
            // A file only grants.
            other => other.for_command(vendor).to_string(),
        }
    }
}
