//! Sisense data models: which model a dashboard reads from (its `datasource`), who has an entry
//! on that model, and so whether the people shared with the dashboard can query its data.
//!
//! Sources (NOTES.md, "Corrections, round 3"): pysisense 2.3.3 `utils.py`
//! (`_dashboard_admin_record`: the admin listing's row carries `datasource`; `_datasource_title`:
//! `title`, else the end of `fullname`), `datamodel/shares.py` (EXTRACT permissions at
//! `GET /api/elasticubes/localhost/{title}/permissions`, answered `{"shares": [...]}`; LIVE at
//! `GET /api/v1/elasticubes/live/{oid}/permissions`, a list; entries `{partyId, type,
//! permission}`), `datamodel/core.py` (`get_datamodel`: `GET /api/v2/datamodels/schema?title=`
//! gives the model's `oid`), `access_management/users.py` (a user's `groups`, with
//! `expand=groups`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::Sisense;
use super::wire::{DASHBOARD_ID_KEYS, ID_KEYS};
use crate::data_model::{DataModelChange, DataModelEntry, DataModelRef};
use crate::error::{Error, Result};
use crate::model::{PrincipalKind, ShareKey};
use crate::providers::{Dashboard, DataAccess, Reach};
use crate::shape;

/// A dashboard's data model, as its `datasource` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Model {
    pub title: String,
    /// A live model (queried at its source) rather than an ElastiCube (EXTRACT).
    pub live: bool,
    /// The ElastiCube's server (`LocalHost` on a single server).
    pub address: String,
}

impl Model {
    /// As the journal carries it: `id` is this model, serialised, so that `undo` finds it again.
    pub fn to_ref(&self) -> DataModelRef {
        DataModelRef {
            id: serde_json::to_string(self).unwrap_or_default(),
            title: self.title.clone(),
        }
    }

    pub fn from_ref(model: &DataModelRef) -> Result<Model> {
        serde_json::from_str(&model.id).map_err(|_| {
            Error::invalid(format!(
                "the journal names the data model '{}' in a form this version does not read",
                model.title
            ))
        })
    }

    /// The model a `datasource` object names, if it names one.
    pub fn of(datasource: &Value) -> Option<Model> {
        // `fullname` is `LocalHost/name` or `live:name`; a title may hold ':' or '/' itself.
        let title = shape::text(datasource, &["title"]).or_else(|| {
            shape::text(datasource, &["fullname"]).map(|full| match full.strip_prefix("live:") {
                Some(name) => name.to_string(),
                None => full
                    .split_once('/')
                    .map_or(full.clone(), |(_, name)| name.to_string()),
            })
        })?;
        let title = title.trim().to_string();
        if title.is_empty() {
            return None;
        }
        let fullname = shape::text(datasource, &["fullname"]).unwrap_or_default();
        Some(Model {
            live: shape::flag(datasource, &["live"])
                .unwrap_or_else(|| fullname.to_ascii_lowercase().starts_with("live:")),
            address: shape::text(datasource, &["address"])
                .filter(|address| !address.eq_ignore_ascii_case("localhost"))
                // pysisense writes the single server's address as `localhost`.
                .unwrap_or_else(|| "localhost".into()),
            title,
        })
    }
}

/// The level a viewer needs on a model: USE (pysisense `datamodel/shares.py`: `r`).
const USE: &str = "r";

/// A dashboard's model, if it names one, and its title, as its row told them.
type Found = (Option<Model>, Option<String>);

/// The model entries, read once per model per run.
pub type Entries = Arc<OnceCell<std::result::Result<Vec<Value>, String>>>;

/// Each read model's entries, by model.
#[derive(Default)]
pub struct Models {
    entries: std::sync::Mutex<HashMap<Model, Entries>>,
    /// Each user's groups, as a user answer with `expand=groups` told them.
    groups: std::sync::Mutex<HashMap<String, Vec<String>>>,
    /// Each dashboard's model (and title), as its row told them.
    dashboards: std::sync::Mutex<HashMap<String, Found>>,
    /// Where each model's entries are read and written (a live model's oid is asked once).
    routes: std::sync::Mutex<HashMap<Model, Vec<String>>>,
}

impl Models {
    fn cell(&self, model: &Model) -> Entries {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .entry(model.clone())
            .or_default()
            .clone()
    }
}

/// The ids of the groups a user row belongs to: `groups` as ids, or as objects with `_id`.
pub fn group_ids(user: &Value) -> Vec<String> {
    shape::field(user, &["groups"])
        .and_then(Value::as_array)
        .map(|groups| {
            groups
                .iter()
                .filter_map(|group| match group {
                    Value::String(id) => Some(id.clone()),
                    object => shape::id(object, ID_KEYS),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The entry keys of a model: (type, partyId) pairs.
fn parties(entries: &[Value]) -> HashSet<(String, String)> {
    entries
        .iter()
        .filter_map(|entry| {
            Some((
                shape::text(entry, &["type"])?.to_ascii_lowercase(),
                shape::id(entry, &["partyId"])?,
            ))
        })
        .collect()
}

impl Sisense {
    /// The data model `dashboard` reads from: its row of the admin listing filtered by `id`
    /// (pysisense `_dashboard_admin_record`), or, for an account that is not an admin, the
    /// dashboard itself (`GET /api/v1/dashboards/{oid}?fields=…`).
    pub(super) async fn model_of(&self, dashboard: &Dashboard) -> Result<Found> {
        let known = self
            .models
            .dashboards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&dashboard.id)
            .cloned();
        if let Some(known) = known {
            return Ok(known);
        }
        let found = self.read_model_of(dashboard).await?;
        self.models
            .dashboards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(dashboard.id.clone(), found.clone());
        Ok(found)
    }

    async fn read_model_of(&self, dashboard: &Dashboard) -> Result<Found> {
        let id = dashboard.id.as_str();
        let fields = ("fields", "oid,title,datasource");
        let doing = format!("reading the data model of dashboard '{id}'");
        let admin = !self
            .admin_listing_refused
            .load(std::sync::atomic::Ordering::Relaxed);
        let reply = if admin {
            let reply = self
                .session
                .get(
                    &["api", "v1", "dashboards", "admin"],
                    &[("dashboardType", "owner"), ("id", id), fields],
                )
                .await?;
            // A fixed token's 401 is the token refused (said by the next read); anything else
            // refused is an account that is not an admin.
            let token_refused =
                reply.status == StatusCode::UNAUTHORIZED && self.session.fixed_credential();
            if !token_refused
                && matches!(
                    reply.status,
                    StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
                )
            {
                self.admin_listing_refused
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                None
            } else {
                Some(reply)
            }
        } else {
            None
        };
        let reply = match reply {
            Some(reply) => reply,
            None => {
                self.session
                    .get(&["api", "v1", "dashboards", id], &[fields])
                    .await?
            }
        };
        let reply = self.errors.ensure_success(self.http(), reply, &doing)?;
        let body: Value = reply.json()?;
        let row = match &body {
            Value::Array(rows) => rows
                .iter()
                .find(|row| shape::id(row, DASHBOARD_ID_KEYS).as_deref() == Some(id)),
            object => Some(object),
        };
        // No row for the dashboard is no answer about its model: never "it has none".
        if row.is_none() {
            return Err(Error::remote(format!(
                "{} answered no row for dashboard '{id}' while {doing}",
                reply.target
            )));
        }
        Ok((
            row.and_then(|row| shape::field(row, &["datasource"]))
                .and_then(Model::of),
            row.and_then(|row| shape::text(row, &["title"])),
        ))
    }

    /// The entries of `model`, read once per run: EXTRACT through
    /// `GET /api/elasticubes/{address}/{title}/permissions` (`{"shares": [...]}`), LIVE through
    /// the model's oid (`GET /api/v2/datamodels/schema?title=`) and
    /// `GET /api/v1/elasticubes/live/{oid}/permissions` (a list).
    pub(super) async fn model_entries(
        &self,
        model: &Model,
    ) -> std::result::Result<Vec<Value>, String> {
        self.models
            .cell(model)
            .get_or_init(|| async {
                self.read_model_entries(model)
                    .await
                    .map_err(|err| err.to_string())
            })
            .await
            .clone()
    }

    async fn read_model_entries(&self, model: &Model) -> Result<Vec<Value>> {
        let doing = format!("reading the permissions of data model '{}'", model.title);
        let segments = self.permissions_route(model).await?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let reply = self.session.get(&segments, &[]).await?;
        let reply = self.errors.ensure_success(self.http(), reply, &doing)?;
        let body: Value = reply.json()?;
        Ok(shape::require_items(&reply.target, &body, &["shares"])?.to_vec())
    }

    /// Where `model`'s entries are read and written: an ElastiCube by its server and title, a
    /// live model by the oid its schema gives (`GET /api/v2/datamodels/schema?title=`).
    async fn permissions_route(&self, model: &Model) -> Result<Vec<String>> {
        let known = self
            .models
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(model)
            .cloned();
        if let Some(known) = known {
            return Ok(known);
        }
        let route = self.find_permissions_route(model).await?;
        self.models
            .routes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(model.clone(), route.clone());
        Ok(route)
    }

    async fn find_permissions_route(&self, model: &Model) -> Result<Vec<String>> {
        if !model.live {
            return Ok([
                "api",
                "elasticubes",
                &model.address,
                &model.title,
                "permissions",
            ]
            .map(String::from)
            .to_vec());
        }
        let reply = self
            .session
            .get(
                &["api", "v2", "datamodels", "schema"],
                &[("title", &model.title)],
            )
            .await?;
        let reply = self.errors.ensure_success(
            self.http(),
            reply,
            &format!("looking up data model '{}'", model.title),
        )?;
        let body: Value = reply.json()?;
        let schema = match &body {
            Value::Array(rows) => rows
                .iter()
                .find(|row| shape::text(row, &["title"]).as_deref() == Some(model.title.as_str())),
            object => Some(object),
        };
        let Some(oid) = schema.and_then(|schema| shape::id(schema, &["oid", "_id"])) else {
            return Err(shape::not_understood(&reply.target, &["oid"], &body));
        };
        Ok(["api", "v1", "elasticubes", "live", &oid, "permissions"]
            .map(String::from)
            .to_vec())
    }

    /// Makes `entries` the model's whole list, in one write: `PUT` for an ElastiCube, `PATCH`
    /// for a live model (pysisense `update_datamodel_permissions_extract` / `_live`). The list
    /// carries the complete state, so it may be sent again.
    async fn write_model_entries(&self, model: &Model, entries: &[Value]) -> Result<()> {
        let segments = self.permissions_route(model).await?;
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = if model.live {
            reqwest::Method::PATCH
        } else {
            reqwest::Method::PUT
        };
        let request = self.http().request(method, &segments).json(&entries);
        let reply = self.session.send(request, true).await?;
        self.errors.ensure_success(
            self.http(),
            reply,
            &format!("writing the permissions of data model '{}'", model.title),
        )?;
        // What the run reads of the model from now on is what it wrote.
        let cell = Arc::new(OnceCell::new());
        let _ = cell.set(Ok(entries.to_vec()));
        self.models
            .entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(model.clone(), cell);
        Ok(())
    }

    /// The party an entry of `key` names: a user or group by its id, everyone as the Everyone
    /// group.
    async fn party(&self, key: &ShareKey) -> Result<(String, &'static str)> {
        match key.kind {
            PrincipalKind::User => Ok((key.id.clone(), "user")),
            PrincipalKind::Group => Ok((key.id.clone(), "group")),
            PrincipalKind::Everyone => match self.everyone_group().await? {
                Some(id) => Ok((id, "group")),
                None => Err(Error::invalid(
                    "this Sisense server has no group named 'Everyone' to give data-model access to",
                )),
            },
        }
    }

    /// The groups of each user of `ids` not yet known: `GET /api/v1/users?ids=…&expand=groups`,
    /// 50 a request. Users no answer names are left out.
    async fn learn_groups(&self, ids: &[&str]) -> Result<()> {
        let unknown: Vec<&str> = {
            let known = self
                .models
                .groups
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            ids.iter()
                .copied()
                .filter(|id| !known.contains_key(*id))
                .collect()
        };
        for chunk in unknown.chunks(super::IDS_PER_REQUEST) {
            let joined = chunk.join(",");
            let (target, body) = self
                .get_value(
                    &["api", "v1", "users"],
                    &[
                        ("ids", joined.as_str()),
                        ("expand", "groups"),
                        ("limit", super::PAGE_LIMIT),
                    ],
                    "reading users' groups",
                )
                .await?;
            let rows = shape::require_items(&target, &body, &[])?;
            let mut known = self
                .models
                .groups
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for row in rows {
                if let Some(id) = shape::id(row, ID_KEYS)
                    && chunk.contains(&id.as_str())
                {
                    known.insert(id, group_ids(row));
                }
            }
        }
        Ok(())
    }

    /// The groups of user `key`, told by its user answer (asked for if not yet known).
    pub(super) async fn memberships_of(&self, key: &ShareKey) -> Option<Vec<String>> {
        if key.kind != PrincipalKind::User {
            return None;
        }
        if let Err(err) = self.learn_groups(&[key.id.as_str()]).await {
            tracing::debug!("the groups of user {} are not known: {err}", key.id);
            return None;
        }
        self.models
            .groups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&key.id)
            .cloned()
    }

    /// Remembers the model (and title) a listing row of dashboard `id` names: a `datasource`
    /// of null reads from no model. A row without the key says nothing (a server that leaves
    /// it out of listings): the dashboard's own row is read when its model is asked for.
    pub(super) fn remember_model(&self, id: &str, row: &Value) {
        let named = row.as_object().is_some_and(|object| {
            object
                .keys()
                .any(|key| key.eq_ignore_ascii_case("datasource"))
        });
        if !named {
            return;
        }
        let model = shape::field(row, &["datasource"]).and_then(Model::of);
        self.models
            .dashboards
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id.to_string(), (model, shape::text(row, &["title"])));
    }

    /// Remembers the groups a user answer told (a look-up by email that carried them).
    pub(super) fn remember_groups(&self, user: &Value) {
        if shape::field(user, &["groups"]).is_none() {
            return;
        }
        if let Some(id) = shape::id(user, ID_KEYS) {
            self.models
                .groups
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(id, group_ids(user));
        }
    }

    pub(super) async fn data_access_of(
        &self,
        dashboard: &Dashboard,
        keys: &[ShareKey],
    ) -> Option<DataAccess> {
        if keys.is_empty() {
            return None;
        }
        let (model, dashboard_title) = match self.model_of(dashboard).await {
            Ok((Some(model), title)) => (model, title),
            Ok((None, _)) => return None,
            Err(err) => {
                return Some(DataAccess {
                    model: "its data model".into(),
                    reach: HashMap::new(),
                    unreadable: Some(err.to_string()),
                    dashboard_title: None,
                });
            }
        };
        let (reach, unreadable) = match self.model_entries(&model).await {
            Ok(entries) => self.reach(&entries, keys).await,
            Err(why) => (HashMap::new(), Some(why)),
        };
        Some(DataAccess {
            model: model.title,
            reach,
            unreadable,
            dashboard_title,
        })
    }

    /// How each of `keys` reaches a model with `entries`: directly, through Everyone, or
    /// through a group of the user's; and why that could not all be told, if it could not.
    async fn reach(
        &self,
        entries: &[Value],
        keys: &[ShareKey],
    ) -> (HashMap<ShareKey, Reach>, Option<String>) {
        let parties = parties(entries);
        let has_groups = parties.iter().any(|(kind, _)| kind == "group");
        let mut unreadable = None;
        // Whether "no entry reaches it" can be said: not when Everyone, or a user's groups,
        // could not be told.
        let mut everyone_known = true;
        let everyone = if has_groups {
            match self.everyone_group().await {
                Ok(everyone) => everyone,
                Err(err) => {
                    unreadable = Some(err.to_string());
                    everyone_known = false;
                    None
                }
            }
        } else {
            None
        };
        let through_everyone = everyone
            .as_ref()
            .is_some_and(|id| parties.contains(&("group".into(), id.clone())));
        let direct = |key: &ShareKey| match key.kind {
            PrincipalKind::Everyone => through_everyone,
            kind => parties.contains(&(kind.as_str().to_string(), key.id.clone())),
        };
        // Only users with no entry of their own need their groups told.
        let users: Vec<&str> = keys
            .iter()
            .filter(|key| key.kind == PrincipalKind::User && !direct(key))
            .map(|key| key.id.as_str())
            .collect();
        if has_groups
            && !through_everyone
            && !users.is_empty()
            && let Err(err) = self.learn_groups(&users).await
        {
            unreadable = Some(err.to_string());
        }
        let known = self
            .models
            .groups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let reach = keys
            .iter()
            .map(|key| {
                let nobody = if everyone_known {
                    Reach::None
                } else {
                    Reach::Unknown
                };
                let reach = if direct(key) {
                    Reach::Direct
                } else if through_everyone {
                    Reach::Everyone
                } else if key.kind != PrincipalKind::User || !has_groups {
                    nobody
                } else if let Some(groups) = known.get(&key.id) {
                    if groups
                        .iter()
                        .any(|group| parties.contains(&("group".into(), group.clone())))
                    {
                        Reach::Group
                    } else {
                        nobody
                    }
                } else {
                    // No answer told its groups (a server that ignores `ids=`, a failed read).
                    Reach::Unknown
                };
                (key.clone(), reach)
            })
            .collect();
        (reach, unreadable)
    }

    /// `grant --with-data`: a USE (`r`) entry for each of `keys` the model does not reach.
    pub(super) async fn plan_data_grant_of(
        &self,
        dashboard: &Dashboard,
        keys: &[ShareKey],
    ) -> Result<Option<DataModelChange>> {
        let nothing_written = |why: String| {
            Error::remote(format!(
                "the data model of dashboard '{}' could not be read ({why}), so its entries \
                 cannot be given; nothing was written",
                dashboard.id
            ))
        };
        let (model, _) = self.model_of(dashboard).await?;
        let Some(model) = model else {
            return Ok(None);
        };
        let entries = self.model_entries(&model).await.map_err(nothing_written)?;
        let (reach, unreadable) = self.reach(&entries, keys).await;
        let mut given = Vec::new();
        for key in keys {
            match reach.get(key).copied().unwrap_or(Reach::Unknown) {
                Reach::None => given.push(DataModelEntry {
                    key: key.clone(),
                    before: None,
                    after: Some(USE.into()),
                }),
                Reach::Unknown => {
                    return Err(nothing_written(
                        unreadable.unwrap_or_else(|| format!("the reach of {key}")),
                    ));
                }
                _ => {}
            }
        }
        Ok((!given.is_empty()).then(|| DataModelChange {
            model: model.to_ref(),
            entries: given,
        }))
    }

    /// Merges `change`'s entries into the model's entries as they are now (read again, just
    /// before the write): a party that has an entry keeps it, whatever its level (USE is the
    /// least); the others are appended. One write, none when nothing is missing.
    pub(super) async fn write_data_model_of(
        &self,
        change: &DataModelChange,
    ) -> Result<DataModelChange> {
        let model = Model::from_ref(&change.model)?;
        let mut entries = self.read_model_entries(&model).await?;
        // A party is present by its id alone, whatever its entry's type says (or lacks).
        let mut present: HashSet<String> = entries
            .iter()
            .filter_map(|entry| shape::id(entry, &["partyId"]))
            .collect();
        let mut given = Vec::new();
        for entry in &change.entries {
            let (party, kind) = self.party(&entry.key).await?;
            // A grant only adds: an entry to take out is undo's.
            let Some(level) = &entry.after else {
                continue;
            };
            if !present.insert(party.clone()) {
                continue;
            }
            entries.push(serde_json::json!({"partyId": party, "type": kind, "permission": level}));
            given.push(entry.clone());
        }
        if !given.is_empty() {
            self.write_model_entries(&model, &entries).await?;
        }
        Ok(DataModelChange {
            model: change.model.clone(),
            entries: given,
        })
    }

    /// Takes `change`'s entries back where they are still as it left them (at the level it
    /// gave, or, where it took one out, absent): to the level before, or out; another's change
    /// since is kept. What it did (or, in a dry run, would do), as a change of its own.
    pub(super) async fn undo_data_model_of(
        &self,
        change: &DataModelChange,
        dry_run: bool,
    ) -> Result<DataModelChange> {
        let model = Model::from_ref(&change.model)?;
        let mut entries = self.read_model_entries(&model).await?;
        let mut undone = Vec::new();
        for given in &change.entries {
            let (party, kind) = self.party(&given.key).await?;
            let at = entries.iter().position(|entry| {
                shape::id(entry, &["partyId"]).as_deref() == Some(party.as_str())
            });
            let now = at.and_then(|at| shape::text(&entries[at], &["permission"]));
            if now != given.after {
                continue;
            }
            match (at, &given.before) {
                (Some(at), None) => {
                    entries.remove(at);
                }
                (Some(at), Some(level)) => entries[at]["permission"] = Value::from(level.clone()),
                (None, Some(level)) => entries
                    .push(serde_json::json!({"partyId": party, "type": kind, "permission": level})),
                (None, None) => continue,
            }
            undone.push(DataModelEntry {
                key: given.key.clone(),
                before: given.after.clone(),
                after: given.before.clone(),
            });
        }
        if !undone.is_empty() && !dry_run {
            self.write_model_entries(&model, &entries).await?;
        }
        Ok(DataModelChange {
            model: change.model.clone(),
            entries: undone,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_datasource_names_its_model_by_title_or_fullname() {
        let extract = Model::of(&json!({"title": "Sample ECommerce", "fullname": "LocalHost/Sample ECommerce", "address": "LocalHost", "live": false})).unwrap();
        assert_eq!(extract.title, "Sample ECommerce");
        assert!(!extract.live);
        assert_eq!(extract.address, "localhost");
        let live = Model::of(&json!({"fullname": "live:Sales Live"})).unwrap();
        assert_eq!(live.title, "Sales Live");
        assert!(live.live);
        assert_eq!(Model::of(&json!({"title": " "})), None);
    }

    #[test]
    fn a_users_groups_come_as_ids_or_objects() {
        assert_eq!(
            group_ids(&json!({"groups": ["g1", {"_id": "g2", "name": "x"}]})),
            ["g1", "g2"]
        );
        assert!(group_ids(&json!({})).is_empty());
    }
}
