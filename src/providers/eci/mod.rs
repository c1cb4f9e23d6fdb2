//! ECI (EnergyCAP v3): a fixed `ECI-ApiKey` header, `filter` look-ups, and read → PUT (replaces the
//! users, the groups and the everyone flag at once). One access level only.

mod wire;

use std::collections::HashMap;

use async_trait::async_trait;
use reqwest::header::HeaderName;
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::answers::VendorErrors;
use super::lookup::{dashboard_titled, narrowed, pick_unique};
use super::{Dashboard, DashboardSummary, Identity, Resolved, ShareProvider, Snapshot};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::http::{HttpClient, HttpOptions, secret_header};
use crate::model::{Access, Level, Principal, PrincipalKind, Share, ShareKey, ShareSet};
use crate::session::{Credential, FixedCredential, Session};
use crate::vendor::Vendor;

use wire::{ShareRequest, ShareResponse};

const BY_TITLE: &str = "name:";
/// The largest page the API serves.
const PAGE_SIZE: &str = "1000";
/// A bound on paging, so that a server that always reports more pages cannot keep us forever.
const MAX_PAGES: u32 = 1000;

const ERRORS: VendorErrors = VendorErrors {
    vendor: "ECI",
    unauthorized: "the API key is wrong, or the user who created it lacks the permission this call \
                   needs (sharing needs SharedDashboardsOrMaps Create or DashboardAdministrator Manage)",
    message: |body| {
        ["message", "Message", "error", "title"]
            .iter()
            .find_map(|field| body.get(*field).and_then(Value::as_str))
            .filter(|message| !message.is_empty())
            .map(str::to_string)
    },
};

pub struct Eci {
    session: Session,
    /// The dashboard list, fetched once per run however many titles are looked up in it.
    listing: OnceCell<Vec<Value>>,
}

impl Eci {
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let Some(key) = &profile.api_key else {
            return Err(Error::invalid(format!(
                "eci profile '{}' needs an API key (api_key_env or api_key_file)",
                profile.name
            )));
        };
        let http = HttpClient::new(profile.url.clone(), options)?;
        http.register_secret(key);
        let credential = Credential {
            header: HeaderName::from_static("eci-apikey"),
            value: secret_header(key.expose_secret())?,
        };
        Ok(Eci {
            session: Session::new(http, Box::new(FixedCredential(credential))),
            listing: OnceCell::new(),
        })
    }

    fn http(&self) -> &HttpClient {
        self.session.http()
    }

    /// A list endpoint narrowed by one `filter` expression.
    async fn find(&self, resource: &str, filter: &str, doing: &str) -> Result<Vec<Value>> {
        let reply = self
            .session
            .get(&["api", "v3", resource], &[("filter", filter)])
            .await?;
        let reply = ERRORS.ensure_success(self.http(), reply, doing)?;
        reply.json()
    }

    /// Every dashboard the key can see, listed on first use.
    async fn all_dashboards(&self) -> Result<&[Value]> {
        self.listing
            .get_or_try_init(|| self.list_dashboards())
            .await
            .map(Vec::as_slice)
    }

    /// Every dashboard the key can see, page by page.
    async fn list_dashboards(&self) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        let mut page: u32 = 1;
        loop {
            let number = page.to_string();
            let reply = self
                .session
                .get(
                    &["api", "v3", "dashboard"],
                    &[("pageSize", PAGE_SIZE), ("pageNumber", &number)],
                )
                .await?;
            let reply = ERRORS.ensure_success(self.http(), reply, "listing dashboards")?;
            let items: Vec<Value> = reply.json()?;
            let total_pages = reply
                .headers
                .get("TotalPages")
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u32>().ok())
                .unwrap_or(1);
            let empty = items.is_empty();
            all.extend(items);
            if empty || page >= total_pages || page >= MAX_PAGES {
                return Ok(all);
            }
            page += 1;
        }
    }

    async fn find_user(&self, name: &str) -> Result<Option<String>> {
        let by_name = if name.contains('@') {
            self.lookup(
                "user",
                &wire::equals("email", name),
                wire::USER_EMAIL,
                wire::USER_ID,
                name,
                "user",
            )
            .await?
        } else {
            self.lookup(
                "user",
                &wire::equals("systemUserCode", name),
                wire::USER_CODE,
                wire::USER_ID,
                name,
                "user",
            )
            .await?
        };
        let by_id = match name.parse::<i64>() {
            Ok(id) => {
                self.lookup(
                    "user",
                    &wire::equals_number("systemUserID", id),
                    wire::USER_ID,
                    wire::USER_ID,
                    name,
                    "user",
                )
                .await?
            }
            Err(_) => None,
        };
        one_of(name, "user", by_name, by_id)
    }

    async fn find_group(&self, name: &str) -> Result<Option<String>> {
        let by_name = self
            .lookup(
                "userGroup",
                &wire::equals("userGroupName", name),
                wire::GROUP_NAME,
                wire::GROUP_ID,
                name,
                "group",
            )
            .await?;
        let by_id = match name.parse::<i64>() {
            Ok(id) => {
                self.lookup(
                    "userGroup",
                    &wire::equals_number("userGroupID", id),
                    wire::GROUP_ID,
                    wire::GROUP_ID,
                    name,
                    "group",
                )
                .await?
            }
            Err(_) => None,
        };
        one_of(name, "group", by_name, by_id)
    }

    /// The id of the one `resource` item the filter finds whose `fields` equal `name`.
    async fn lookup(
        &self,
        resource: &str,
        filter: &str,
        fields: &[&str],
        id_fields: &[&str],
        name: &str,
        what: &str,
    ) -> Result<Option<String>> {
        let items = self
            .find(resource, filter, &format!("looking up {what} '{name}'"))
            .await?;
        pick(&items, name, fields, id_fields, what)
    }
}

/// A number may be a code or name as well as an id: if it names two different principals,
/// choosing one would be a guess.
fn one_of(
    name: &str,
    what: &str,
    by_name: Option<String>,
    by_id: Option<String>,
) -> Result<Option<String>> {
    match (by_name, by_id) {
        (Some(named), Some(numbered)) if named != numbered => Err(Error::invalid(format!(
            "{what} '{name}' is ambiguous on eci: it is the name or code of the {what} with id {named} and \
             also the id of another {what}; use an unambiguous name, code or email"
        ))),
        (Some(found), _) | (None, Some(found)) => Ok(Some(found)),
        (None, None) => Ok(None),
    }
}

/// The id of the one item whose `fields` equal `name`.
fn pick(
    items: &[Value],
    name: &str,
    fields: &[&str],
    id_fields: &[&str],
    what: &str,
) -> Result<Option<String>> {
    let value_of = |item: &Value| {
        wire::text(item, fields).or_else(|| wire::number(item, fields).map(|n| n.to_string()))
    };
    let candidates: Vec<(String, String)> = items
        .iter()
        .filter_map(|item| Some((value_of(item)?, wire::number(item, id_fields)?.to_string())))
        .collect();
    pick_unique(&candidates, name, what, "eci")
}

fn dashboard_id(reference: &str) -> Result<i64> {
    reference
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            Error::invalid(format!(
                "'{reference}' is not an ECI dashboard id: ECI ids are whole numbers; pass the number, or name:TITLE"
            ))
        })
}

/// Ids in an ECI share are integers; the keys dashshare resolved always are.
fn numeric_ids(after: &ShareSet, kind: PrincipalKind) -> Result<Vec<i64>> {
    after
        .iter()
        .filter(|share| share.key.kind == kind)
        .map(|share| {
            share.key.id.parse::<i64>().map_err(|_| {
                Error::invalid(format!("'{}' is not a numeric ECI {kind} id", share.key.id))
            })
        })
        .collect()
}

#[async_trait]
impl ShareProvider for Eci {
    fn vendor(&self) -> Vendor {
        Vendor::Eci
    }

    async fn check(&self) -> Result<Identity> {
        let reply = self
            .session
            .get(
                &["api", "v3", "dashboard"],
                &[("pageSize", "1"), ("pageNumber", "1")],
            )
            .await?;
        ERRORS.ensure_success(self.http(), reply, "listing dashboards")?;
        Ok(Identity {
            user: "the API key's user".into(),
            detail: Some("the key was accepted".into()),
        })
    }

    async fn dashboards(&self, search: Option<&str>, _all: bool) -> Result<Vec<DashboardSummary>> {
        let all = self.all_dashboards().await?;
        let summaries = all.iter().filter_map(|item| {
            Some(DashboardSummary {
                id: wire::number(item, wire::DASHBOARD_ID)?.to_string(),
                title: wire::text(item, wire::DASHBOARD_TITLE).unwrap_or_default(),
                owner: None,
            })
        });
        Ok(narrowed(summaries, search))
    }

    async fn resolve_dashboard(&self, reference: &str) -> Result<Dashboard> {
        let Some(title) = reference.strip_prefix(BY_TITLE) else {
            return Ok(Dashboard {
                id: dashboard_id(reference)?.to_string(),
                title: None,
            });
        };
        let all = self.all_dashboards().await?;
        let candidates = all.iter().filter_map(|item| {
            let id = wire::number(item, wire::DASHBOARD_ID)?.to_string();
            Some((id, wire::text(item, wire::DASHBOARD_TITLE)))
        });
        dashboard_titled(candidates, title, "eci")
    }

    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>> {
        let key = match principal {
            Principal::User(name) => self
                .find_user(name)
                .await?
                .map(|id| ShareKey::new(PrincipalKind::User, id)),
            Principal::Group(name) => self
                .find_group(name)
                .await?
                .map(|id| ShareKey::new(PrincipalKind::Group, id)),
            Principal::Everyone => Some(ShareKey::everyone()),
        };
        Ok(key.map(|key| Resolved {
            principal: principal.clone(),
            key,
        }))
    }

    async fn read_shares(&self, dashboard: &Dashboard) -> Result<Snapshot> {
        let id = dashboard.id.as_str();
        let reply = self
            .session
            .get(&["api", "v3", "dashboard", id, "share"], &[])
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(Error::invalid(format!(
                "eci dashboard '{id}' does not exist or is not visible to this API key; \
                 `dashshare dashboards` lists the ones it can see"
            )));
        }
        let reply = ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("reading the shares of dashboard '{id}'"),
        )?;
        let answer: ShareResponse = reply.json()?;
        let view = Level::Access(Access::View);
        let mut shares = Vec::new();
        let mut names = HashMap::new();
        for user in &answer.shared_users {
            let key = ShareKey::new(PrincipalKind::User, user.user_id.to_string());
            if let Some(name) = user.display() {
                names.insert(key.clone(), name);
            }
            shares.push(Share { key, level: view });
        }
        for group in &answer.shared_user_groups {
            let key = ShareKey::new(PrincipalKind::Group, group.user_group_id.to_string());
            if let Some(name) = &group.user_group_name {
                names.insert(key.clone(), name.clone());
            }
            shares.push(Share { key, level: view });
        }
        if answer.shared_with_everyone {
            shares.push(Share {
                key: ShareKey::everyone(),
                level: view,
            });
        }
        Ok(Snapshot {
            dashboard: dashboard.clone(),
            shares: ShareSet::new(shares),
            // The write is built from the share set alone.
            raw: Value::Null,
            names,
        })
    }

    async fn write_shares(&self, before: &Snapshot, after: &ShareSet) -> Result<()> {
        let everyone = after.get(&ShareKey::everyone()).is_some();
        // The API requires both lists to be empty when the dashboard is shared with everyone.
        let body = if everyone {
            ShareRequest {
                shared_user_group_ids: Vec::new(),
                shared_user_ids: Vec::new(),
                shared_with_everyone: true,
            }
        } else {
            ShareRequest {
                shared_user_group_ids: numeric_ids(after, PrincipalKind::Group)?,
                shared_user_ids: numeric_ids(after, PrincipalKind::User)?,
                shared_with_everyone: false,
            }
        };
        let id = before.dashboard.id.as_str();
        let request = self
            .http()
            .request(Method::PUT, &["api", "v3", "dashboard", id, "share"])
            .json(&body);
        // The PUT carries the complete share, so sending it again gives the same result.
        let reply = self.session.send(request, true).await?;
        ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("writing the shares of dashboard '{id}'"),
        )?;
        Ok(())
    }
}
