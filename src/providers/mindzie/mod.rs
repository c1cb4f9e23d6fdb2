//! mindzieStudio: `Authorization: Bearer <API key>`, everything under
//! `/api/{tenantId}/{projectId}/dashboard/…`. No dashboard-level sharing with people (access to
//! people is project-level); public share links and embeds instead.

mod wire;

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::answers::VendorErrors;
use super::lookup::{dashboard_titled, narrowed};
use super::{Dashboard, DashboardSummary, Identity, LinkProvider, Resolved, ShareProvider};
use crate::config::Profile;
use crate::error::{Error, Result};
use crate::http::{HttpClient, HttpOptions, Reply, secret_header};
use crate::links::{DashboardUrls, Link, LinkSettings, iso_utc};
use crate::model::Principal;
use crate::session::{Credential, FixedCredential, Session};
use crate::vendor::Vendor;

use wire::{
    AccessControl, Expiration, Permissions, ShareAnswer, ShareBody, SharesAnswer, UrlsAnswer,
};

const PAGE_SIZE: usize = 100;
/// A bound on paging, so that a server that always fills its pages cannot keep us forever.
const MAX_PAGES: usize = 1000;

const ERRORS: VendorErrors = VendorErrors {
    vendor: "mindzie",
    unauthorized: "check the API key (token_env / token_file, or DASHSHARE_TOKEN; keys are made under \
                   Settings → API Keys)",
    message: |body| {
        ["message", "error", "title", "detail"]
            .iter()
            .find_map(|field| body.get(*field).and_then(Value::as_str))
            .filter(|message| !message.is_empty())
            .map(str::to_string)
    },
};

pub struct Mindzie {
    session: Session,
    tenant: String,
    project: String,
    /// The dashboard list, fetched once per run however many titles are looked up in it.
    listing: OnceCell<Vec<Value>>,
}

impl Mindzie {
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let (Some(token), Some(tenant), Some(project)) =
            (&profile.token, &profile.tenant_id, &profile.project_id)
        else {
            return Err(Error::invalid(format!(
                "mindzie profile '{}' needs token_env (or token_file), tenant_id and project_id",
                profile.name
            )));
        };
        let http = HttpClient::new(profile.url.clone(), options)?;
        http.register_secret(token);
        let credential = Credential {
            header: AUTHORIZATION,
            value: secret_header(&format!("Bearer {}", token.expose_secret()))?,
        };
        Ok(Mindzie {
            session: Session::new(http, Box::new(FixedCredential(credential))),
            tenant: tenant.clone(),
            project: project.clone(),
            listing: OnceCell::new(),
        })
    }

    fn http(&self) -> &HttpClient {
        self.session.http()
    }

    /// `api/{tenant}/{project}/dashboard` followed by `rest`.
    fn request(&self, method: Method, rest: &[&str]) -> reqwest::RequestBuilder {
        let mut segments = vec!["api", &self.tenant, &self.project, "dashboard"];
        segments.extend_from_slice(rest);
        self.http().request(method, &segments)
    }

    /// Every dashboard of the project, listed on first use.
    async fn all_dashboards(&self) -> Result<&[Value]> {
        self.listing
            .get_or_try_init(|| self.list_dashboards())
            .await
            .map(Vec::as_slice)
    }

    async fn list_dashboards(&self) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        for page in 1..=MAX_PAGES {
            let page = page.to_string();
            let size = PAGE_SIZE.to_string();
            let request = self
                .request(Method::GET, &[])
                .query(&[("page", page.as_str()), ("pageSize", size.as_str())]);
            let reply = self.session.send(request, true).await?;
            let reply = ERRORS.ensure_success(self.http(), reply, "listing dashboards")?;
            let items = wire::page_items(reply.json()?);
            let last = items.len() < PAGE_SIZE;
            all.extend(items);
            if last {
                break;
            }
        }
        Ok(all)
    }

    fn link_from(answer: ShareAnswer, doing: &str) -> Result<Link> {
        answer
            .into_link()
            .ok_or_else(|| Error::remote(format!("mindzie's answer to {doing} carries no shareId")))
    }

    fn body<'a>(
        settings: &'a LinkSettings,
        password: Option<&'a str>,
        creating: bool,
    ) -> ShareBody<'a> {
        let permissions = Permissions {
            // A public link is what `link create` makes; an update leaves it as it is.
            allow_public_access: creating.then_some(true),
            allow_embedding: settings.allow_embedding,
            allow_download: settings.allow_download,
            allow_print: settings.allow_print,
        };
        let has_permissions = creating
            || settings.allow_embedding.is_some()
            || settings.allow_download.is_some()
            || settings.allow_print.is_some();
        let expiration = match settings.expires {
            Some(at) => Some(Expiration {
                enabled: at.is_some(),
                expiration_date: at.map(iso_utc),
            }),
            None if creating => Some(Expiration {
                enabled: false,
                expiration_date: None,
            }),
            None => None,
        };
        let access_control = AccessControl {
            require_password: settings.password.as_ref().map(|p| p.is_some()),
            password: settings.password.as_ref().map(|_| password.unwrap_or("")),
            allowed_domains: settings.allowed_domains.as_deref(),
        };
        let has_access_control = creating
            || access_control.require_password.is_some()
            || access_control.allowed_domains.is_some();
        ShareBody {
            permissions: has_permissions.then_some(permissions),
            expiration,
            access_control: has_access_control.then_some(access_control),
        }
    }
}

fn secret_text(password: &Option<Option<SecretString>>) -> Option<&str> {
    password
        .as_ref()
        .and_then(|p| p.as_ref())
        .map(|p| p.expose_secret())
}

#[async_trait]
impl ShareProvider for Mindzie {
    fn vendor(&self) -> Vendor {
        Vendor::Mindzie
    }

    async fn check(&self) -> Result<Identity> {
        let request = self
            .http()
            .request(Method::GET, &["api", "Action", "ping", "authenticated"]);
        let reply = self.session.send(request, true).await?;
        ERRORS.ensure_success(self.http(), reply, "pinging with the API key")?;
        Ok(Identity {
            user: "the API key".into(),
            detail: Some(format!("tenant {}, project {}", self.tenant, self.project)),
        })
    }

    async fn dashboards(&self, search: Option<&str>, _all: bool) -> Result<Vec<DashboardSummary>> {
        let all = self.all_dashboards().await?;
        let summaries = all.iter().filter_map(|item| {
            Some(DashboardSummary {
                id: wire::text(item, wire::DASHBOARD_ID)?,
                title: wire::text(item, wire::DASHBOARD_NAME).unwrap_or_default(),
                owner: None,
            })
        });
        Ok(narrowed(summaries, search))
    }

    async fn resolve_dashboard(&self, reference: &str) -> Result<Dashboard> {
        let Some(title) = reference.strip_prefix("name:") else {
            if reference.trim().is_empty() {
                return Err(Error::invalid(
                    "the dashboard id is empty; pass its id or name:TITLE",
                ));
            }
            return Ok(Dashboard {
                id: reference.to_string(),
                title: None,
            });
        };
        let all = self.all_dashboards().await?;
        let candidates = all.iter().filter_map(|item| {
            Some((
                wire::text(item, wire::DASHBOARD_ID)?,
                wire::text(item, wire::DASHBOARD_NAME),
            ))
        });
        dashboard_titled(candidates, title, "mindzie")
    }

    async fn resolve_principal(&self, _principal: &Principal) -> Result<Option<Resolved>> {
        Err(self.unsupported("has no dashboard-level sharing with people; use `dashshare link`"))
    }
}

#[async_trait]
impl LinkProvider for Mindzie {
    async fn create_link(&self, dashboard: &Dashboard, settings: &LinkSettings) -> Result<Link> {
        if let Some(Some(password)) = &settings.password {
            self.http().register_secret(password);
        }
        let body = Self::body(settings, secret_text(&settings.password), true);
        let request = self
            .request(Method::POST, &[&dashboard.id, "share"])
            .json(&body);
        // Creating twice would make two links: never resent after a timeout.
        let reply = self.session.send(request, false).await?;
        let doing = format!("creating a link for dashboard '{}'", dashboard.id);
        let reply = self.not_found_is_bad_input(reply, dashboard, None).await?;
        let reply = ERRORS.ensure_success(self.http(), reply, &doing)?;
        Self::link_from(reply.json()?, &doing)
    }

    async fn list_links(&self, dashboard: &Dashboard) -> Result<Vec<Link>> {
        let request = self.request(Method::GET, &[&dashboard.id, "shares"]);
        let reply = self.session.send(request, true).await?;
        let reply = self.not_found_is_bad_input(reply, dashboard, None).await?;
        let doing = format!("listing the links of dashboard '{}'", dashboard.id);
        let reply = ERRORS.ensure_success(self.http(), reply, &doing)?;
        let answer: SharesAnswer = reply.json()?;
        answer
            .shares
            .into_iter()
            .map(|share| Self::link_from(share, &doing))
            .collect()
    }

    async fn update_link(
        &self,
        dashboard: &Dashboard,
        share_id: &str,
        settings: &LinkSettings,
    ) -> Result<Link> {
        if let Some(Some(password)) = &settings.password {
            self.http().register_secret(password);
        }
        let body = Self::body(settings, secret_text(&settings.password), false);
        let request = self
            .request(Method::PUT, &[&dashboard.id, "share", share_id])
            .json(&body);
        // Setting the same values twice leaves the same link.
        let reply = self.session.send(request, true).await?;
        let reply = self
            .not_found_is_bad_input(reply, dashboard, Some(share_id))
            .await?;
        let doing = format!("updating link '{share_id}'");
        let reply = ERRORS.ensure_success(self.http(), reply, &doing)?;
        match serde_json::from_slice::<ShareAnswer>(&reply.body) {
            Ok(answer) if answer.share_id.is_some() => Self::link_from(answer, &doing),
            // Some servers answer an update without the object: report what was asked.
            _ => Ok(Link {
                share_id: share_id.to_string(),
                public_url: None,
                embed_url: None,
                expires: settings.expires.flatten().map(iso_utc),
                allow_embedding: settings.allow_embedding,
                allow_download: settings.allow_download,
                allow_print: settings.allow_print,
                usage: None,
                created: None,
            }),
        }
    }

    async fn revoke_link(&self, dashboard: &Dashboard, share_id: &str) -> Result<()> {
        let request = self.request(Method::DELETE, &[&dashboard.id, "share", share_id]);
        // A resent revoke would answer 404 and be misreported as an unknown link.
        let reply = self.session.send(request, false).await?;
        let reply = self
            .not_found_is_bad_input(reply, dashboard, Some(share_id))
            .await?;
        ERRORS
            .ensure_success(self.http(), reply, &format!("revoking link '{share_id}'"))
            .map(|_| ())
    }

    async fn urls(&self, dashboard: &Dashboard, include_public: bool) -> Result<DashboardUrls> {
        let request = self
            .request(Method::GET, &[&dashboard.id, "url"])
            .query(&[("includePublic", include_public.to_string())]);
        let reply = self.session.send(request, true).await?;
        let reply = self.not_found_is_bad_input(reply, dashboard, None).await?;
        let reply = ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("reading the URLs of dashboard '{}'", dashboard.id),
        )?;
        let answer: UrlsAnswer = reply.json()?;
        Ok(DashboardUrls {
            embed: answer.urls.embed,
            public_embed: answer.urls.public_embed,
        })
    }
}

impl Mindzie {
    /// A 404 names the link (or the dashboard) the user asked for: bad input, exit 2.
    async fn not_found_is_bad_input(
        &self,
        reply: Reply,
        dashboard: &Dashboard,
        share_id: Option<&str>,
    ) -> Result<Reply> {
        if reply.status != StatusCode::NOT_FOUND {
            return Ok(reply);
        }
        Err(Error::invalid(match share_id {
            Some(id) => format!(
                "dashboard '{}' has no share link '{id}'; `dashshare link list {}` shows its links",
                dashboard.id, dashboard.id
            ),
            None => format!(
                "mindzie has no dashboard '{}' in this project; `dashshare dashboards` lists them",
                dashboard.id
            ),
        }))
    }
}
