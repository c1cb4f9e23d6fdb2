//! Sisense (REST v1): form-encoded login, Bearer tokens, server-side user and group filters, and
//! the read → PATCH (replaces the whole list) → publish sequence.

mod wire;

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::answers::VendorErrors;
use super::lookup::{dashboard_titled, narrowed, pick_unique};
use super::{Dashboard, DashboardSummary, Identity, Resolved, ShareProvider, Snapshot};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::http::{HttpClient, HttpOptions, secret_header};
use crate::model::{Principal, PrincipalKind, ShareKey, ShareSet};
use crate::session::{Credential, Login, Session};
use crate::vendor::Vendor;

use wire::{DashboardEntry, Group, LoginAnswer, User};

/// Prefix of a dashboard argument that names a title instead of an id.
const BY_TITLE: &str = "name:";
const DESCRIBE_CONCURRENCY: usize = 8;

pub struct Sisense {
    session: Session,
    username: String,
}

struct PasswordLogin {
    username: String,
    password: SecretString,
}

#[async_trait]
impl Login for PasswordLogin {
    async fn login(&self, http: &HttpClient) -> Result<Credential> {
        let request = http
            .request(Method::POST, &["api", "v1", "authentication", "login"])
            .form(&[
                ("username", self.username.as_str()),
                ("password", self.password.expose_secret()),
            ])
            .build()
            .map_err(|err| Error::invalid(format!("cannot build the login request: {err}")))?;
        // Logging in twice only issues a second token, so a timed-out login may be retried.
        let reply = http.execute(request, true).await?;
        let answer: Option<LoginAnswer> = serde_json::from_slice(&reply.body).ok();
        let token = answer.as_ref().and_then(|a| a.access_token.clone());
        match (reply.status, token) {
            (status, Some(token)) if status.is_success() => {
                let token = SecretString::from(token);
                http.register_secret(&token);
                Ok(Credential {
                    header: AUTHORIZATION,
                    value: secret_header(&format!("Bearer {}", token.expose_secret()))?,
                })
            }
            (status, _) if status.is_success() || is_refusal(status) => {
                let said = answer
                    .and_then(|a| a.message)
                    .filter(|m| !m.is_empty())
                    .or_else(|| ERRORS.message(&reply))
                    .map(|m| format!(" (Sisense said: {})", http.scrub(&m)))
                    .unwrap_or_default();
                Err(Error::Auth(format!(
                    "Sisense refused the login of '{}'{said}; check the username and the password source of the profile",
                    self.username
                )))
            }
            _ => Err(ERRORS.failure(http, &reply, "logging in")),
        }
    }

    fn renewable(&self) -> bool {
        true
    }
}

impl Sisense {
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let (Some(username), Some(password)) = (&profile.username, &profile.password) else {
            return Err(Error::invalid(format!(
                "sisense profile '{}' needs a username and a password",
                profile.name
            )));
        };
        let http = HttpClient::new(profile.url.clone(), options)?;
        http.register_secret(password);
        let login = PasswordLogin {
            username: username.clone(),
            password: password.clone(),
        };
        Ok(Sisense {
            session: Session::new(http, Box::new(login)),
            username: username.clone(),
        })
    }

    fn http(&self) -> &HttpClient {
        self.session.http()
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        doing: &str,
    ) -> Result<T> {
        let reply = self.session.get(segments, query).await?;
        let reply = ERRORS.ensure_success(self.http(), reply, doing)?;
        reply.json()
    }

    async fn find_user(&self, name: &str) -> Result<Option<String>> {
        // Only a value with an @ can be an email; user names may look like emails too.
        let filters: &[&str] = if name.contains('@') {
            &["email", "userName"]
        } else {
            &["userName"]
        };
        for filter in filters {
            let users: Vec<User> = self
                .get_json(
                    &["api", "v1", "users"],
                    &[(filter, name)],
                    &format!("looking up user '{name}'"),
                )
                .await?;
            let field = |user: &User| match *filter {
                "email" => user.email.clone(),
                _ => user.user_name.clone(),
            };
            let candidates: Vec<(String, String)> = users
                .iter()
                .filter_map(|user| field(user).map(|value| (value, user.id.clone())))
                .collect();
            if let Some(id) = pick_unique(&candidates, name, "user", "sisense")? {
                return Ok(Some(id));
            }
        }
        self.find_by_id("users", name).await
    }

    /// A Sisense object id (24 hex digits) names a user or group directly, as `list` shows them.
    async fn find_by_id(&self, resource: &str, name: &str) -> Result<Option<String>> {
        if name.len() != 24 || !name.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let reply = self
            .session
            .get(&["api", "v1", resource, name], &[])
            .await?;
        match reply.status {
            status if status.is_success() => Ok(Some(name.to_string())),
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(ERRORS.failure(
                self.http(),
                &reply,
                &format!("looking up {resource} id '{name}'"),
            )),
        }
    }

    async fn find_group(&self, name: &str) -> Result<Option<String>> {
        let groups: Vec<Group> = self
            .get_json(
                &["api", "v1", "groups"],
                &[("name", name)],
                &format!("looking up group '{name}'"),
            )
            .await?;
        let candidates: Vec<(String, String)> = groups
            .into_iter()
            .filter_map(|group| group.name.map(|n| (n, group.id)))
            .collect();
        match pick_unique(&candidates, name, "group", "sisense")? {
            Some(id) => Ok(Some(id)),
            None => self.find_by_id("groups", name).await,
        }
    }

    async fn describe_one(&self, key: &ShareKey) -> Option<String> {
        let segments = match key.kind {
            PrincipalKind::User => ["api", "v1", "users", key.id.as_str()],
            PrincipalKind::Group => ["api", "v1", "groups", key.id.as_str()],
            PrincipalKind::Everyone => return None,
        };
        let reply = match self.session.get(&segments, &[]).await {
            Ok(reply) if reply.is_success() => reply,
            Ok(reply) => {
                tracing::debug!(
                    "no name for {} {}: status {}",
                    key.kind,
                    key.id,
                    reply.status
                );
                return None;
            }
            Err(err) => {
                tracing::debug!("no name for {} {}: {err}", key.kind, key.id);
                return None;
            }
        };
        match key.kind {
            PrincipalKind::User => reply.json::<User>().ok().map(|user| user.display()),
            _ => reply.json::<Group>().ok().and_then(|group| group.name),
        }
    }
}

#[async_trait]
impl ShareProvider for Sisense {
    fn vendor(&self) -> Vendor {
        Vendor::Sisense
    }

    async fn check(&self) -> Result<Identity> {
        // The read logs in first.
        let reply = self
            .session
            .get(&["api", "v1", "users", "loggedin"], &[])
            .await?;
        // Versions without this endpoint answer 404: the login itself is then the check.
        let user = match reply.status {
            status if status.is_success() => reply.json::<User>().ok(),
            StatusCode::NOT_FOUND => None,
            _ => return Err(ERRORS.failure(self.http(), &reply, "reading the logged-in user")),
        };
        Ok(match user {
            Some(user) => Identity {
                detail: Some(format!("user id {}", user.id)),
                user: user.display(),
            },
            None => Identity {
                user: self.username.clone(),
                detail: None,
            },
        })
    }

    async fn dashboards(&self, search: Option<&str>, _all: bool) -> Result<Vec<DashboardSummary>> {
        let entries: Vec<DashboardEntry> = self
            .get_json(
                &["api", "v1", "dashboards"],
                &[("fields", "oid,title,owner")],
                "listing dashboards",
            )
            .await?;
        let all = entries.into_iter().map(|entry| DashboardSummary {
            title: entry.title.unwrap_or_default(),
            id: entry.oid,
            owner: entry.owner,
        });
        Ok(narrowed(all, search))
    }

    async fn resolve_dashboard(&self, reference: &str) -> Result<Dashboard> {
        let Some(title) = reference.strip_prefix(BY_TITLE) else {
            if reference.trim().is_empty() {
                return Err(Error::invalid(
                    "the dashboard id is empty; pass an id or name:TITLE",
                ));
            }
            return Ok(Dashboard {
                id: reference.to_string(),
                title: None,
            });
        };
        let entries: Vec<DashboardEntry> = self
            .get_json(
                &["api", "v1", "dashboards"],
                &[("name", title)],
                &format!("looking up dashboard '{title}'"),
            )
            .await?;
        dashboard_titled(
            entries.into_iter().map(|entry| (entry.oid, entry.title)),
            title,
            "sisense",
        )
    }

    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>> {
        let (kind, id) = match principal {
            Principal::User(name) => (PrincipalKind::User, self.find_user(name).await?),
            Principal::Group(name) => (PrincipalKind::Group, self.find_group(name).await?),
            Principal::Everyone => {
                return Err(Error::Unsupported(
                    "sisense dashboards cannot be shared with everyone".into(),
                ));
            }
        };
        Ok(id.map(|id| Resolved {
            principal: principal.clone(),
            key: ShareKey::new(kind, id),
        }))
    }

    async fn read_shares(&self, dashboard: &Dashboard) -> Result<Snapshot> {
        let reply = self
            .session
            .get(&["api", "v1", "dashboards", dashboard.id.as_str()], &[])
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(Error::invalid(format!(
                "sisense dashboard '{}' does not exist or is not visible to this account; \
                 `dashshare dashboards` lists the ones it can see",
                dashboard.id
            )));
        }
        let reply = ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("reading dashboard '{}'", dashboard.id),
        )?;
        let body: Value = reply.json()?;
        // Writing back a list we did not read would delete every share on the dashboard.
        let Some(entries) = body.get("shares").and_then(Value::as_array) else {
            return Err(Error::remote(format!(
                "dashboard '{}': the server's answer has no `shares` list, so its current shares are \
                 unknown; nothing was changed",
                dashboard.id
            )));
        };
        let owner = body.get("owner").and_then(Value::as_str);
        let raw = Value::Array(entries.clone());
        Ok(Snapshot {
            dashboard: Dashboard {
                id: dashboard.id.clone(),
                title: body
                    .get("title")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .or_else(|| dashboard.title.clone()),
            },
            shares: wire::share_set(entries, owner),
            raw,
            names: HashMap::new(),
        })
    }

    async fn write_shares(&self, before: &Snapshot, after: &ShareSet) -> Result<()> {
        let entries = before.raw.as_array().map(Vec::as_slice).unwrap_or_default();
        let body = json!({ "shares": wire::rebuild_shares(entries, after) });
        let id = before.dashboard.id.as_str();
        let request = self
            .http()
            .request(Method::PATCH, &["api", "v1", "dashboards", id])
            .json(&body);
        // The PATCH carries the complete list, so sending it again gives the same result.
        let reply = self.session.send(request, true).await?;
        ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("writing the shares of dashboard '{id}'"),
        )?;
        Ok(())
    }

    async fn publish(&self, dashboard: &Dashboard) -> Result<()> {
        let id = dashboard.id.as_str();
        let request = self
            .http()
            .request(Method::POST, &["api", "v1", "dashboards", id, "publish"])
            .query(&[("force", "false")]);
        // Publishing the same shares twice has the effect of publishing them once.
        let reply = self.session.send(request, true).await?;
        if !reply.is_success() {
            return Err(ERRORS
                .failure(self.http(), &reply, &format!("publishing dashboard '{id}'"))
                .and_then_say("only the dashboard's owner may publish it"));
        }
        Ok(())
    }

    async fn describe(&self, keys: &[ShareKey]) -> HashMap<ShareKey, String> {
        let lookups = keys.iter().cloned().map(|key| async move {
            let name = self.describe_one(&key).await;
            name.map(|name| (key, name))
        });
        let named: Vec<Option<(ShareKey, String)>> = futures::stream::iter(lookups)
            .buffer_unordered(DESCRIBE_CONCURRENCY)
            .collect()
            .await;
        named.into_iter().flatten().collect()
    }
}

fn is_refusal(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    )
}

/// Sisense REST v1 errors: `{"error": {"code": …, "message": "…", "status": …}}`, or a bare
/// `{"message": "…"}` from some endpoints.
const ERRORS: VendorErrors = VendorErrors {
    vendor: "Sisense",
    unauthorized: "check the profile's username and password source",
    message: |body| {
        body.pointer("/error/message")
            .or_else(|| body.get("message"))
            .and_then(Value::as_str)
            .filter(|message| !message.is_empty())
            .map(str::to_string)
    },
};
