//! What `apply` reports per dashboard of a file, and for the whole run.

use super::desired::Wanted;
use super::execute::Connected;
use crate::error::Error;
use crate::flow::{self, ShareResult};
use crate::providers::Dashboard;
use crate::vendor::Vendor;

#[derive(Debug)]
pub struct DashboardResult {
    pub profile: String,
    pub vendor: Vendor,
    pub dashboard: Dashboard,
    pub written: bool,
    pub published: bool,
    pub rows: Vec<ShareResult>,
    pub error: Option<Error>,
    /// The error came after the shares were written in full (the publish, or the journal): the
    /// file's rows are in place, so applying them again would change nothing.
    pub failed_after_write: bool,
    /// The write is in the journal.
    pub journaled: bool,
    /// The write a dry run planned, kept with `Options::keep_plan`.
    pub planned: Option<Box<flow::Write>>,
    /// The site and its targets (the file's entries) this dashboard came from.
    pub site: usize,
    pub targets: Vec<usize>,
}

impl DashboardResult {
    /// What the file asked for on this dashboard.
    pub fn wanted<'s>(&self, sites: &'s [Connected]) -> impl Iterator<Item = &'s Wanted> {
        wanted_of(sites, self.site, &self.targets)
    }
}

pub(super) fn wanted_of<'s>(
    sites: &'s [Connected],
    site: usize,
    targets: &[usize],
) -> impl Iterator<Item = &'s Wanted> {
    let targets = targets.to_vec();
    targets
        .into_iter()
        .flat_map(move |t| sites[site].site.targets[t].wanted.iter())
}

#[derive(Debug)]
pub struct Report {
    pub dashboards: Vec<DashboardResult>,
    /// Shares the run removes (or, in a dry run, would remove).
    pub removals: usize,
}
