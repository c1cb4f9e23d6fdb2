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
use crate::error::Result;
use crate::model::{PrincipalKind, ShareKey};
use crate::providers::{Dashboard, DataAccess, Reach};
use crate::shape;

/// A dashboard's data model, as its `datasource` names it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Model {
    pub title: String,
    /// A live model (queried at its source) rather than an ElastiCube (EXTRACT).
    pub live: bool,
    /// The ElastiCube's server (`LocalHost` on a single server).
    pub address: String,
}

impl Model {
    /// The model a `datasource` object names, if it names one.
    pub fn of(datasource: &Value) -> Option<Model> {
        let title = shape::text(datasource, &["title"]).or_else(|| {
            shape::text(datasource, &["fullname"]).map(|full| {
                full.replace('/', ":")
                    .rsplit(':')
                    .next()
                    .unwrap_or("")
                    .to_string()
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

/// The model entries, read once per model per run.
pub type Entries = Arc<OnceCell<std::result::Result<Vec<Value>, String>>>;

/// Each read model's entries, by model.
#[derive(Default)]
pub struct Models {
    entries: std::sync::Mutex<HashMap<Model, Entries>>,
    /// Each user's groups, as a user answer with `expand=groups` told them.
    groups: std::sync::Mutex<HashMap<String, Vec<String>>>,
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
    pub(super) async fn model_of(
        &self,
        dashboard: &Dashboard,
    ) -> Result<(Option<Model>, Option<String>)> {
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
            if matches!(
                reply.status,
                StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED
            ) && !self.session.fixed_credential()
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
        if !model.live {
            let reply = self
                .session
                .get(
                    &[
                        "api",
                        "elasticubes",
                        &model.address,
                        &model.title,
                        "permissions",
                    ],
                    &[],
                )
                .await?;
            let reply = self.errors.ensure_success(self.http(), reply, &doing)?;
            let body: Value = reply.json()?;
            return Ok(shape::require_items(&reply.target, &body, &["shares"])?.to_vec());
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
        let reply = self
            .session
            .get(
                &["api", "v1", "elasticubes", "live", &oid, "permissions"],
                &[],
            )
            .await?;
        let reply = self.errors.ensure_success(self.http(), reply, &doing)?;
        let body: Value = reply.json()?;
        Ok(shape::require_items(&reply.target, &body, &["shares"])?.to_vec())
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
        let entries = match self.model_entries(&model).await {
            Ok(entries) => entries,
            Err(why) => {
                return Some(DataAccess {
                    model: model.title,
                    reach: HashMap::new(),
                    unreadable: Some(why),
                    dashboard_title,
                });
            }
        };
        let parties = parties(&entries);
        let has_groups = parties.iter().any(|(kind, _)| kind == "group");
        let mut unreadable = None;
        let everyone = if has_groups {
            match self.everyone_group().await {
                Ok(everyone) => everyone,
                Err(err) => {
                    unreadable = Some(err.to_string());
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
        let groups_known = if has_groups && !through_everyone && !users.is_empty() {
            match self.learn_groups(&users).await {
                Ok(()) => true,
                Err(err) => {
                    unreadable = Some(err.to_string());
                    false
                }
            }
        } else {
            true
        };
        let known = self
            .models
            .groups
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let reach = keys
            .iter()
            .map(|key| {
                let reach = if direct(key) {
                    Reach::Direct
                } else if through_everyone {
                    Reach::Everyone
                } else if key.kind != PrincipalKind::User || !has_groups {
                    Reach::None
                } else if let Some(groups) = known.get(&key.id) {
                    if groups
                        .iter()
                        .any(|group| parties.contains(&("group".into(), group.clone())))
                    {
                        Reach::Group
                    } else {
                        Reach::None
                    }
                } else if groups_known {
                    // A user no answer named: no groups are known for it.
                    Reach::None
                } else {
                    Reach::Unknown
                };
                (key.clone(), reach)
            })
            .collect();
        Some(DataAccess {
            model: model.title,
            reach,
            unreadable,
            dashboard_title,
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
