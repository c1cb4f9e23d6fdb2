//! The one sequence every share change follows, whatever the vendor:
//! check capabilities → resolve the dashboard → resolve every principal → read → plan (`prepare`),
//! then journal the intent → write → journal the outcome → publish (`commit`). Nothing is written
//! unless every step before the write succeeded. Vendors that cannot
//! read shares (Vizzly) skip the read and the plan and send the change as it was asked.

use std::collections::HashMap;

use serde::Serialize;

use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::model::ends::AskedEnds;
use crate::model::{Access, Action, Change, Mode, Principal, ShareKey, ShareSet};
use crate::providers::{BlindChange, Dashboard, Resolved, ShareProvider, Snapshot};
use crate::share_ends::{RunEnds, ShareEnds};

pub mod admit;
mod commit;
pub mod expire;
mod plan;
mod prepare;
pub mod timed;
pub mod undo;

pub use commit::{Halted, Written, commit, publish_written, write, write_data_grant};
pub use plan::{Ask, Asked, Planned, ShareResult, plan, plan_shares};
pub use prepare::{mark_data, not_found, plan_data_grant, prepare, resolve_all};

// Worded to hold both for a change made and for a dry run's plan.
/// Why a write-only vendor's result is what is sent, not what was found.
const SENT_BLIND: &str = "this vendor cannot read permissions: the change is sent as asked, and \
     earlier access is unknown";
/// Why a write-only grant at view may leave more than view in place.
const SENT_BLIND_VIEW: &str = "this vendor cannot read permissions and keeps one permission per \
     level: the grant is sent as asked, and an existing edit (read_write) stays; `revoke --access \
     edit` removes it";
/// Why a complete-set write reports no removals.
const REPLACED_BLIND: &str = "the named groups are sent as the complete share set: every group not \
     named loses its access, and this vendor cannot say which had it";

/// The note on a principal's result at a vendor that cannot read shares (`Mode::Replace`: the
/// change is a complete share set).
pub fn blind_note(provider: &dyn ShareProvider, change: Change, mode: Mode) -> &'static str {
    match (change, mode) {
        (Change::Grant(_), Mode::Replace) => REPLACED_BLIND,
        (Change::Grant(Access::View), Mode::Merge)
            if provider.vendor().capabilities().scoped_revoke =>
        {
            SENT_BLIND_VIEW
        }
        (Change::Grant(_), Mode::Merge) | (Change::Revoke, _) => SENT_BLIND,
    }
}

#[derive(Debug, Clone)]
pub struct ShareRequest {
    pub dashboard: String,
    pub principals: Vec<Principal>,
    pub change: Change,
    pub mode: Mode,
    /// With `Change::Revoke`: revoke only this access level (vendors with `scoped_revoke`).
    pub revoke_scope: Option<Access>,
    pub publish: bool,
    pub dry_run: bool,
    /// With a grant: also give each principal the entry it lacks on the dashboard's data model
    /// (Sisense), so that it can query the data.
    pub with_data: bool,
    /// With a grant: when what it gives ends (`--for/--until`); `None`: no end.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Serialize)]
pub struct ShareReport {
    pub dashboard: Dashboard,
    pub dry_run: bool,
    /// Whether the share set was written.
    pub written: bool,
    pub published: bool,
    pub results: Vec<ShareResult>,
    /// The share set read before the write (`None` where the vendor cannot read it).
    #[serde(skip)]
    pub before: Option<ShareSet>,
    /// The share set written (for a write-only vendor: what was sent).
    #[serde(skip)]
    pub after: ShareSet,
    /// Why the publish after a successful write failed: the write must still be journaled.
    #[serde(skip)]
    pub publish_error: Option<Error>,
    /// Why the dashboard's data model could not be read, where the vendor keeps one: whether the
    /// principals can query its data is unknown (said once, never hidden).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_unreadable: Option<String>,
    /// Whether the data model's entries were written (`grant --with-data`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub data_written: bool,
    /// Why the data model's write failed after the shares were written: reported after them.
    #[serde(skip)]
    pub data_error: Option<Error>,
}

impl ShareReport {
    pub fn count(&self, action: Action) -> usize {
        self.results.iter().filter(|r| r.action == action).count()
    }
}

/// Grants or revokes `request.principals` on one dashboard, journaling nothing.
pub async fn change_shares(
    provider: &dyn ShareProvider,
    request: &ShareRequest,
) -> Result<ShareReport> {
    let prepared = prepare(provider, request, &RunEnds::of(ShareEnds::default()), "").await?;
    commit(provider, prepared, None).await
}

/// A change resolved, read and planned, with nothing written yet.
pub struct Prepared {
    /// The report as it stands before the write.
    report: ShareReport,
    /// `None`: nothing to write (a dry run, or the plan changes nothing).
    write: Option<Write>,
    /// What the change asks of each share's end: journaled with the write, or, with nothing to
    /// write, on a line of its own where it changes an end (`WriteAhead::settle`).
    asked: AskedEnds,
    /// The entries to give on the dashboard's data model (`grant --with-data`), written after
    /// the dashboard's shares; `None` in a dry run, or when none is missing.
    data_grant: Option<DataModelChange>,
}

/// One dashboard's write, ready to send: what `commit` journals ahead, sends and publishes.
#[derive(Debug)]
pub struct Write {
    /// The dashboard as journaled; where a blind or complete set is sent, and what is
    /// published.
    pub dashboard: Dashboard,
    /// The set written; for a vendor that cannot read, what is sent.
    pub after: ShareSet,
    pub send: Send,
    /// Publish after the write, on vendors with a publish step.
    pub publish: bool,
    /// What the write asks of each share's end (`model::ends`), journaled with it.
    pub asked: AskedEnds,
}

/// How a write reaches the vendor.
#[derive(Debug)]
pub enum Send {
    /// The planned set written over the snapshot that was read. With `reread`, the dashboard is
    /// read again first and left alone if its shares changed since (apply --prune reads every
    /// dashboard before the first write).
    Merge { snapshot: Snapshot, reread: bool },
    /// Sent as asked, in turn, to a vendor that cannot read.
    Blind(Vec<(BlindChange, Vec<ShareKey>)>),
    /// The complete set (`after`) to a vendor whose only write is a complete one.
    Replace,
}

impl Prepared {
    /// The change as planned, before anything is written.
    pub fn report(&self) -> &ShareReport {
        &self.report
    }
}

/// How a share is shown: as the user named it, else by the vendor's name for it, else by its id.
pub fn shown_name(
    key: &ShareKey,
    named: Option<&Resolved>,
    names: &HashMap<ShareKey, String>,
) -> String {
    named
        .map(|r| r.principal.name().to_string())
        .or_else(|| names.get(key).cloned())
        .unwrap_or_else(|| key.id.clone())
}
