//! The `ShareProvider` trait every vendor implements, and the factory that picks one for a profile.
//! A provider only knows its vendor's calls; the order of operations lives in `flow.rs`.

mod answers;
mod appviewx;
mod data_access;
mod eci;
mod lookup;
mod mindzie;
mod paging;
mod sisense;
mod vizzly;

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;
use serde::Serialize;

use crate::config::Profile;
use crate::data_model::DataModelChange;
use crate::error::{Error, Result};
use crate::http::HttpOptions;
use crate::links::{DashboardUrls, Link, LinkSettings};
use crate::model::{Access, Principal, PrincipalKind, ShareKey, ShareSet};
use crate::vendor::Vendor;

pub use crate::model::Dashboard;
pub use data_access::{DataAccess, DataMark, Reach};

/// One row of `dashboards`.
#[derive(Debug, Clone, Serialize)]
pub struct DashboardSummary {
    pub id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}

/// A principal the vendor knows, with the id its shares use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub principal: Principal,
    pub key: ShareKey,
}

/// A dashboard's shares as read. `raw` is the vendor's own representation, handed back at write
/// time so that anything dashshare does not manage is written back exactly as it was.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub dashboard: Dashboard,
    pub shares: ShareSet,
    pub raw: serde_json::Value,
    /// Readable names the read answer already carried (ECI sends them with the shares).
    pub names: HashMap<ShareKey, String>,
}

/// A change sent to a vendor that cannot read a dashboard's shares (Vizzly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlindChange {
    Grant(Access),
    /// Revoke at one access level, or at every level with `None`.
    Revoke(Option<Access>),
}

/// A principal a profile can name (`users`, `groups`): what `--user`/`--group` takes, the id its
/// shares use, and where the vendor keeps them, a display name and whether it may sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Named {
    pub name: String,
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `false`: the vendor says the user is inactive (Sisense drops shares for them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// The principals whose name, id or display name holds `search` (ignoring case), sorted by name.
/// Applied to every listing, also where the server searched itself: servers search loosely.
pub fn searched(mut named: Vec<Named>, search: Option<&str>) -> Vec<Named> {
    if let Some(search) = search.map(str::to_lowercase) {
        named.retain(|n| {
            let holds = |text: &str| text.to_lowercase().contains(&search);
            holds(&n.name) || holds(&n.id) || n.display_name.as_deref().is_some_and(holds)
        });
    }
    named.sort_by(|a, b| (a.name.to_lowercase(), &a.id).cmp(&(b.name.to_lowercase(), &b.id)));
    named
}

/// Who the credentials belong to, for `check`.
#[derive(Debug, Clone, Serialize)]
pub struct Identity {
    pub user: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[async_trait]
pub trait ShareProvider: Send + Sync {
    fn vendor(&self) -> Vendor;

    /// Authenticates and reports who we are.
    async fn check(&self) -> Result<Identity>;

    /// The dashboards the credentials see, narrowed by title; `all` asks for every dashboard on the
    /// server where the vendor separates the account's own from an admin's view of all (Sisense).
    async fn dashboards(&self, _search: Option<&str>, _all: bool) -> Result<Vec<DashboardSummary>> {
        Err(self.unsupported("has no API to list dashboards"))
    }

    /// Turns a dashboard argument (an id, or `name:TITLE`) into a dashboard; a title must match
    /// exactly one dashboard. A value that cannot be sent as written is refused first (exit 2).
    async fn resolve_dashboard(&self, reference: &str) -> Result<Dashboard> {
        crate::model::check_reference("dashboard", reference).map_err(Error::invalid)?;
        self.find_dashboard(reference).await
    }

    /// The vendor's part of `resolve_dashboard`.
    async fn find_dashboard(&self, reference: &str) -> Result<Dashboard>;

    /// Every principal of `kind` the account can name, whose names hold `search` (see
    /// `searched`), all pages read; only for the kinds `Capabilities::principals` lists.
    async fn principals(&self, kind: PrincipalKind, _search: Option<&str>) -> Result<Vec<Named>> {
        Err(self.unsupported(&format!("has no API to list {kind}s")))
    }

    /// The names of `kind` this run's look-ups have already read (a loose search's answers, a
    /// listing read instead of a filter): what a name that was not found is compared with for a
    /// "did you mean", at no request of its own.
    fn seen_names(&self, _kind: PrincipalKind) -> Vec<String> {
        Vec::new()
    }

    /// `Ok(None)` when the vendor has no such principal.
    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>>;

    /// Resolves many principals, at most `width` requests at a time: one answer per principal, in
    /// the order given, so that one unknown or ambiguous name fails only itself. Vendors whose
    /// look-ups take many values per request (ECI's `one of`) override this.
    async fn resolve_principals(
        &self,
        principals: &[Principal],
        width: usize,
    ) -> Vec<Result<Option<Resolved>>> {
        let lookups: Vec<_> = principals
            .iter()
            .map(|principal| self.resolve_principal(principal))
            .collect();
        futures::stream::iter(lookups)
            .buffered(width.max(1))
            .collect()
            .await
    }

    /// Every dashboard the account can see (narrowed by title, as `dashboards` is), each with
    /// its shares, where the vendor's listing carries them: one request instead of a read per
    /// dashboard. `None`: it does not, and each dashboard is read on its own.
    async fn listed_shares(&self, _search: Option<&str>) -> Result<Option<Vec<Snapshot>>> {
        Ok(None)
    }

    async fn read_shares(&self, _dashboard: &Dashboard) -> Result<Snapshot> {
        Err(self.unsupported("has no API to read a dashboard's shares"))
    }

    /// Makes `after` the dashboard's share set, in one write.
    async fn write_shares(&self, _before: &Snapshot, _after: &ShareSet) -> Result<()> {
        Err(self.unsupported("cannot write a complete share set"))
    }

    /// Makes written shares visible, for vendors with a publish step.
    async fn publish(&self, _dashboard: &Dashboard) -> Result<()> {
        Err(self.unsupported("has no publish step"))
    }

    /// For vendors that cannot read shares: sends `change` for every key in one call.
    async fn send_blind(
        &self,
        _dashboard: &Dashboard,
        _keys: &[ShareKey],
        _change: BlindChange,
    ) -> Result<()> {
        Err(self.unsupported("needs the current shares read before a change"))
    }

    /// For vendors whose only write is a complete one and that cannot read (AppViewX): makes
    /// `shares` the dashboard's complete share set.
    async fn replace_shares(&self, _dashboard: &Dashboard, _shares: &ShareSet) -> Result<()> {
        Err(self.unsupported("cannot replace a whole share set"))
    }

    /// What `keys` can do with the data `dashboard` reads from, where the vendor keeps that apart
    /// from the dashboard's shares (Sisense's data models). `None`: it does not, or the dashboard
    /// names no data model. Never an error: a model that cannot be read is said in the answer.
    async fn data_access(&self, _dashboard: &Dashboard, _keys: &[ShareKey]) -> Option<DataAccess> {
        None
    }

    /// The ids of the groups user `key` belongs to, where the vendor's user answers tell them
    /// (Sisense); `None` when they cannot be told.
    async fn memberships(&self, _key: &ShareKey) -> Option<Vec<String>> {
        None
    }

    /// The entries `keys` need on `dashboard`'s data model to query its data (those the model
    /// reaches already are left out), read now: `None` when the vendor keeps no data models or
    /// none is needed. An error when the model cannot be read: nothing may be written then.
    async fn plan_data_grant(
        &self,
        _dashboard: &Dashboard,
        _keys: &[ShareKey],
    ) -> Result<Option<DataModelChange>> {
        Ok(None)
    }

    /// Gives `change`'s entries on its model in one write, merged into the entries as they are
    /// now: none is duplicated, none lowered, every other kept. What it gave: the planned entries
    /// the model still lacked (none: nothing was written).
    async fn write_data_model(&self, _change: &DataModelChange) -> Result<DataModelChange> {
        Err(self.unsupported("keeps no data models"))
    }

    /// Takes `change`'s entries back where they are still as it left them (another's change
    /// since is kept), in one write unless `dry_run`: what was (or would be) done, as a change
    /// of its own (no entries: nothing).
    async fn undo_data_model(
        &self,
        _change: &DataModelChange,
        _dry_run: bool,
    ) -> Result<DataModelChange> {
        Err(self.unsupported("keeps no data models"))
    }

    /// Best-effort readable names (emails, group names) for share ids; ids it cannot name are left out.
    async fn describe(&self, _keys: &[ShareKey]) -> HashMap<ShareKey, String> {
        HashMap::new()
    }

    fn unsupported(&self, what: &str) -> Error {
        Error::NotSupported(format!("{} {what}; see `dashshare vendors`", self.vendor()))
    }
}

/// Readable names for `keys`: those in `known` (what the read carried), the rest from `describe`.
pub async fn names_for<'k>(
    provider: &dyn ShareProvider,
    mut known: HashMap<ShareKey, String>,
    keys: impl IntoIterator<Item = &'k ShareKey>,
) -> HashMap<ShareKey, String> {
    let unnamed: Vec<ShareKey> = keys
        .into_iter()
        .filter(|key| !known.contains_key(*key))
        .cloned()
        .collect();
    if !unnamed.is_empty() {
        known.extend(provider.describe(&unnamed).await);
    }
    known
}

/// Public share links and embeds, for vendors that have them (mindzie).
#[async_trait]
pub trait LinkProvider: ShareProvider {
    async fn create_link(&self, dashboard: &Dashboard, settings: &LinkSettings) -> Result<Link>;
    async fn list_links(&self, dashboard: &Dashboard) -> Result<Vec<Link>>;
    async fn update_link(
        &self,
        dashboard: &Dashboard,
        share_id: &str,
        settings: &LinkSettings,
    ) -> Result<Link>;
    /// Fails with `Error::NotFound` about `share_id` when there is no such link.
    async fn revoke_link(&self, dashboard: &Dashboard, share_id: &str) -> Result<()>;
    async fn urls(&self, dashboard: &Dashboard, include_public: bool) -> Result<DashboardUrls>;
}

/// How a vendor's provider is built from a profile. Each provider exports one, and `constructors`
/// is the table of them.
pub struct Constructors {
    pub share: Constructor<dyn ShareProvider>,
    /// For vendors with public links and embeds (mindzie).
    pub links: Option<Constructor<dyn LinkProvider>>,
}

pub type Constructor<P> = fn(&Profile, &HttpOptions) -> Result<Box<P>>;

/// The one place that maps a vendor to the code that speaks its API.
fn constructors(vendor: Vendor) -> &'static Constructors {
    match vendor {
        Vendor::Sisense => &sisense::CONSTRUCTORS,
        Vendor::Eci => &eci::CONSTRUCTORS,
        Vendor::Vizzly => &vizzly::CONSTRUCTORS,
        Vendor::Appviewx => &appviewx::CONSTRUCTORS,
        Vendor::Mindzie => &mindzie::CONSTRUCTORS,
    }
}

/// The link provider for a profile's vendor, or an error naming the vendors that have links.
pub fn connect_links(profile: &Profile, options: &HttpOptions) -> Result<Box<dyn LinkProvider>> {
    match constructors(profile.vendor).links {
        Some(links) => links(profile, options),
        None => Err(Error::NotSupported(format!(
            "{} has no public share links or embeds; vendors that do: {}",
            profile.vendor,
            Vendor::ALL
                .into_iter()
                .filter(|v| v.capabilities().links)
                .map(Vendor::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// A profile and the provider connected with it: what a run keeps per profile.
pub type Connection = (Profile, Box<dyn ShareProvider>);

/// The provider for a profile's vendor.
pub fn connect(profile: &Profile, options: &HttpOptions) -> Result<Box<dyn ShareProvider>> {
    profile.vendor.ensure_available()?;
    (constructors(profile.vendor).share)(profile, options)
}
