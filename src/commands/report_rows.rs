//! What a report states, whatever its format: rows of dashboards × principals, grouped by
//! profile, each share with its flags. `report` builds them; `report_formats` writes them.

use std::collections::BTreeMap;

use crate::model::{Access, Principal};
use crate::vendor::Vendor;

/// What a report states, whatever its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub groups: Vec<Group>,
    /// `--many`: edit on this many dashboards or more flags a principal.
    pub many: u64,
    /// `--against` was given, so `Flag::NotInFile` means something.
    pub against: Option<String>,
    /// Profiles skipped, with why.
    pub skipped: Vec<String>,
}

/// One profile's dashboards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub profile: String,
    pub vendor: Vendor,
    pub dashboards: Vec<DashboardRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardRow {
    pub id: String,
    pub title: String,
    pub shares: Vec<ShareCell>,
}

/// One share: the principal as `apply` names it, its access, and its flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareCell {
    pub principal: Principal,
    pub access: Access,
    pub flags: Vec<Flag>,
    /// When a timed grant of this share ends (RFC 3339), while it is as the grant left it.
    pub expires: Option<String>,
    /// The principal can open the dashboard but not query its data model (Sisense).
    pub no_data: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Flag {
    /// Shared with everyone.
    Everyone,
    /// The principal has edit on `--many` dashboards or more of this profile.
    ManyEdits,
    /// No row of the `--against` file names this share.
    NotInFile,
    /// The principal can open the dashboard but not query its data model: it opens empty.
    NoData,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Everyone => "everyone",
            Flag::ManyEdits => "many-edits",
            Flag::NotInFile => "not-in-file",
            Flag::NoData => "no-data",
        }
    }
}

/// A principal's column: its shares counted, edits apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalCount {
    pub principal: Principal,
    pub dashboards: usize,
    pub edits: usize,
}

impl Group {
    /// Every principal shared with in this group, by name, with its counts.
    pub fn principals(&self) -> Vec<PrincipalCount> {
        let mut counts: BTreeMap<&Principal, (usize, usize)> = BTreeMap::new();
        for share in self.dashboards.iter().flat_map(|d| &d.shares) {
            let count = counts.entry(&share.principal).or_default();
            count.0 += 1;
            if share.access == Access::Edit {
                count.1 += 1;
            }
        }
        counts
            .into_iter()
            .map(|(principal, (dashboards, edits))| PrincipalCount {
                principal: principal.clone(),
                dashboards,
                edits,
            })
            .collect()
    }
}
