//! What `apply` reports per dashboard of a file, and for the whole run.

use super::connected::Connected;
use super::desired::Wanted;
use crate::error::Error;
use crate::flow::{self, ShareResult};
use crate::model::Action;
use crate::model::outcome::Outcome;
use crate::providers::Dashboard;
use crate::vendor::{Support, Vendor};

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
    /// The dashboard's outcome, in the words every writing run uses.
    pub fn outcome(&self, dry_run: bool) -> Outcome {
        let changes = self
            .rows
            .iter()
            .any(|row| row.action.is_change() || row.action == Action::Sent);
        match &self.error {
            Some(Error::Interrupted { .. }) => Outcome::NotStarted,
            Some(_) if self.written && self.failed_after_write && !self.published => {
                Outcome::Unpublished
            }
            Some(_) => Outcome::Failed,
            None if dry_run && changes => Outcome::WouldWrite,
            None if self.written && self.vendor.capabilities().list != Support::Yes => {
                Outcome::Sent
            }
            None if self.written => Outcome::Written,
            None => Outcome::Unchanged,
        }
    }

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
    /// `--with-data`: each data model given entries (or, in a dry run, that would be).
    pub data_models: Vec<DataModelOutcome>,
    /// Each data model whose entries could not be read, and why: whether the shares the run
    /// gave can query its data is unknown.
    pub data_unreadable: Vec<String>,
}

/// One data model's entries given by the run, in one write.
#[derive(Debug, serde::Serialize)]
pub struct DataModelOutcome {
    pub profile: String,
    pub model: String,
    /// Principals given an entry.
    pub entries: usize,
    pub written: bool,
    /// Why the write failed: the dashboards' shares stand.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::apply::results::error_text"
    )]
    pub error: Option<crate::error::Error>,
    /// The write a dry run planned, kept with `Options::keep_plan` for a saved plan.
    #[serde(skip)]
    pub planned: Option<Box<DataModelWrite>>,
}

/// One data model's write: its entries, and the dashboard (with its shares) whose journal line
/// it goes on, so that `undo` of the run takes the entries back.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct DataModelWrite {
    pub dashboard: Dashboard,
    pub shares: crate::model::ShareSet,
    pub change: crate::data_model::DataModelChange,
    /// Which dashboard's shares asked for which entries: a saved plan gives an entry only when
    /// one of its dashboards was written (or had nothing to write). Empty in plans saved before
    /// it was kept: every entry is given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<ModelSource>,
}

/// One dashboard's part of a data model's entries.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ModelSource {
    pub dashboard: String,
    pub keys: Vec<crate::model::ShareKey>,
}

impl DataModelWrite {
    /// The entries asked for by a dashboard `stands` says holds its shares (`None` when none is
    /// left), and the dashboards whose entries were left out.
    pub fn standing(
        &self,
        stands: impl Fn(&str) -> bool,
    ) -> (Option<crate::data_model::DataModelChange>, Vec<&str>) {
        if self.sources.is_empty() {
            return (Some(self.change.clone()), Vec::new());
        }
        let (kept, left): (Vec<&ModelSource>, Vec<&ModelSource>) = self
            .sources
            .iter()
            .partition(|source| stands(&source.dashboard));
        let entries: Vec<_> = self
            .change
            .entries
            .iter()
            .filter(|entry| kept.iter().any(|source| source.keys.contains(&entry.key)))
            .cloned()
            .collect();
        let left = left
            .iter()
            .map(|source| source.dashboard.as_str())
            .collect();
        if entries.is_empty() {
            return (None, left);
        }
        let change = crate::data_model::DataModelChange {
            model: self.change.model.clone(),
            entries,
        };
        (Some(change), left)
    }
}

pub fn error_text<S: serde::Serializer>(
    error: &Option<crate::error::Error>,
    serializer: S,
) -> std::result::Result<S::Ok, S::Error> {
    match error {
        Some(error) => serializer.serialize_str(&error.to_string()),
        None => serializer.serialize_none(),
    }
}
