//! mindzieStudio: `Authorization: Bearer <API key>`, everything under
//! `/api/{tenantId}/{projectId}/dashboard/…`. No dashboard-level sharing with people (access to
//! people is project-level); public share links and embeds instead.
//!
//! Sources: the official client mindzie-api 2.0.0 (`controllers/dashboard.py`: `dashboard/ping`,
//! the listing, `dashboard/{id}/url`; `models/dashboard.py`: PascalCase keys; `client.py`: errors
//! read from `error`), the current docs (docs.mindziestudio.com/mindzie_api/dashboard/management
//! and …/dashboard/sharing: the flat url answer, `{"Error": …}` 404 bodies) and the older page
//! (vendor-docs/mindzie.txt): the share-link routes, which neither the client nor the current
//! docs have. A server without them answers 404 there; see `link_route_not_found`.

mod wire;

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use tokio::sync::OnceCell;

use super::answers::VendorErrors;
use super::lookup::{dashboard_titled, narrowed};
use super::paging;
use super::{Dashboard, DashboardSummary, Identity, LinkProvider, Resolved, ShareProvider};
use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::http::{HttpClient, HttpOptions, Reply, secret_header};
use crate::links::{DashboardUrls, Link, LinkSettings, iso_utc};
use crate::model::Principal;
use crate::session::{Credential, FixedCredential, Session};
use crate::shape;
use crate::vendor::Vendor;

use wire::{AccessControl, Expiration, Permissions, ShareBody};

/// The page size the current docs recommend as the most (100).
const PAGE_SIZE: usize = 100;

const ERRORS: VendorErrors = VendorErrors {
    vendor: "mindzie",
    unauthorized: "check the API key (token_env / token_file, or DASHSHARE_TOKEN; keys are made under \
                   Settings → API Keys)",
    message: wire::error_message,
};

pub struct Mindzie {
    session: Session,
    tenant: String,
    project: String,
    /// The dashboard list as (id, title), fetched once per run however many titles are looked
    /// up in it; a listing that failed fails every look-up of the run without asking again.
    listing: OnceCell<Result<Vec<(String, String)>>>,
}

pub static CONSTRUCTORS: super::Constructors = super::Constructors {
    share: |profile, options| Ok(Box::new(Mindzie::new(profile, options)?)),
    links: Some(|profile, options| Ok(Box::new(Mindzie::new(profile, options)?))),
};

impl Mindzie {
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let (Some(token), Some(tenant), Some(project)) = (
            &profile.token,
            profile.setting("tenant_id"),
            profile.setting("project_id"),
        ) else {
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
            tenant: tenant.to_string(),
            project: project.to_string(),
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
    async fn all_dashboards(&self) -> Result<&[(String, String)]> {
        match self.listing.get_or_init(|| self.list_dashboards()).await {
            Ok(listed) => Ok(listed),
            Err(err) => Err(err.clone()),
        }
    }

    async fn list_dashboards(&self) -> Result<Vec<(String, String)>> {
        let size = PAGE_SIZE.to_string();
        let listing = paging::by_number(
            |page| {
                let size = size.clone();
                async move {
                    let page = page.to_string();
                    let request = self
                        .request(Method::GET, &[])
                        .query(&[("page", page.as_str()), ("pageSize", size.as_str())]);
                    let reply = self.session.send(request, true).await?;
                    let reply = ERRORS.ensure_success(self.http(), reply, "listing dashboards")?;
                    wire::listing_page(&reply.target, &reply.json()?, PAGE_SIZE)
                }
            },
            paging::PAGE_WIDTH,
        )
        .await?;
        listing
            .rows
            .iter()
            .map(|row| wire::dashboard_row(&listing.target, row))
            .collect()
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
        // The official client's authenticated ping (mindzie-api 2.0.0, DashboardController.ping),
        // which the current docs also give. Its answer ("Ping Successful (tenant id: …)", as text
        // or `{"data": …}`) is not read: any success will do, as the client's does. There is no
        // fallback to the older page's `/api/Action/ping/authenticated`: the client never calls
        // it, and having neither tenant nor project in its path it would pass with wrong ids.
        let request = self.request(Method::GET, &["ping"]);
        let reply = self.session.send(request, true).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(Error::remote(format!(
                "mindzie answered 404 to {}: the profile's tenant_id or project_id may be wrong, \
                 or this server predates the `dashboard/ping` route of mindzie's current API",
                reply.target
            )));
        }
        ERRORS.ensure_success(self.http(), reply, "pinging with the API key")?;
        Ok(Identity {
            user: "the API key".into(),
            detail: Some(format!("tenant {}, project {}", self.tenant, self.project)),
        })
    }

    async fn dashboards(&self, search: Option<&str>, _all: bool) -> Result<Vec<DashboardSummary>> {
        let all = self.all_dashboards().await?;
        let summaries = all.iter().map(|(id, title)| DashboardSummary {
            id: id.clone(),
            title: title.clone(),
            owner: None,
        });
        Ok(narrowed(summaries, search))
    }

    async fn find_dashboard(&self, reference: &str) -> Result<Dashboard> {
        let Some(title) = reference.strip_prefix("name:") else {
            if reference.trim().is_empty() {
                return Err(Error::invalid(
                    "the dashboard id is empty; pass its id or name:TITLE",
                ));
            }
            // mindzie ids are GUIDs (mindzie-api `models/dashboard.py`, the docs' samples): any
            // other value could only be answered 404, after a request.
            if uuid::Uuid::try_parse(reference.trim()).is_err() {
                return Err(Error::invalid(format!(
                    "'{reference}' is not a mindzie dashboard id: mindzie ids are GUIDs \
                     (550e8400-e29b-41d4-a716-446655440000); pass the id, or name:TITLE"
                )));
            }
            return Ok(Dashboard {
                id: reference.to_string(),
                title: None,
            });
        };
        let all = self.all_dashboards().await?;
        dashboard_titled(all.iter().cloned(), title, "mindzie")
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
        let reply = self.link_route_not_found(reply, dashboard, None).await?;
        let reply = ERRORS.ensure_success(self.http(), reply, &doing)?;
        let body: Value = reply.json()?;
        wire::link(&body).ok_or_else(|| {
            // The link may well exist now: say so instead of "nothing was changed".
            Error::not_understood_from(
                &reply.target,
                format!(
                    "the answer from {} was not understood: dashshare looked for `shareId` and \
                     saw {}; the link may have been created: `dashshare link list {}` shows it",
                    reply.target,
                    shape::keys_seen(&body),
                    dashboard.id
                ),
            )
        })
    }

    async fn list_links(&self, dashboard: &Dashboard) -> Result<Vec<Link>> {
        let request = self.request(Method::GET, &[&dashboard.id, "shares"]);
        let reply = self.session.send(request, true).await?;
        let reply = self.link_route_not_found(reply, dashboard, None).await?;
        let doing = format!("listing the links of dashboard '{}'", dashboard.id);
        let reply = ERRORS.ensure_success(self.http(), reply, &doing)?;
        let body: Value = reply.json()?;
        wire::links(&reply.target, &body)
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
            .link_route_not_found(reply, dashboard, Some(share_id))
            .await?;
        let doing = format!("updating link '{share_id}'");
        let reply = ERRORS.ensure_success(self.http(), reply, &doing)?;
        // Read like every answer (secrets masked); one not understood reports what was asked.
        let answered = reply.json().ok().and_then(|body| wire::link(&body));
        match answered {
            Some(link) => Ok(link),
            // Some servers answer an update without the object: report what was asked.
            None => Ok(Link {
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
            .link_route_not_found(reply, dashboard, Some(share_id))
            .await?;
        ERRORS
            .ensure_success(self.http(), reply, &format!("revoking link '{share_id}'"))
            .map(|_| ())
    }

    async fn urls(&self, dashboard: &Dashboard, include_public: bool) -> Result<DashboardUrls> {
        // The client (DashboardController.get_url) and the current docs send no query;
        // `includePublic` is the older page's, so it is sent only when public URLs are wanted.
        let mut request = self.request(Method::GET, &[&dashboard.id, "url"]);
        if include_public {
            request = request.query(&[("includePublic", "true")]);
        }
        let reply = self.session.send(request, true).await?;
        if reply.status == StatusCode::NOT_FOUND {
            // This route is in the client and in both pages: its 404 is an unknown dashboard.
            return Err(self.no_such_dashboard(dashboard, &reply));
        }
        let reply = ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("reading the URLs of dashboard '{}'", dashboard.id),
        )?;
        let body: Value = reply.json()?;
        wire::urls(&reply.target, &body, include_public)
    }
}

impl Mindzie {
    /// The error for a dashboard this project does not have, with mindzie's own words
    /// (`{"Error": "Dashboard not found"}` in the current docs).
    fn no_such_dashboard(&self, dashboard: &Dashboard, reply: &Reply) -> Error {
        let said = ERRORS
            .message(self.http(), reply)
            .map(|message| format!(" (mindzie said: {message})"))
            .unwrap_or_default();
        Error::not_found(
            Thing::Dashboard,
            &dashboard.id,
            format!(
                "mindzie has no dashboard '{}' in this project{said}; `dashshare dashboards` lists them",
                dashboard.id
            ),
        )
    }

    /// A 404 from a share-link route (mindzie.txt) means an unknown dashboard or link there, but
    /// also a server without those routes: neither the official client nor the current docs have
    /// them. One more read, on this path only, tells which; every outcome is exit 2 and nothing
    /// was changed.
    /// - create, list: `GET …/{id}/url` (in the client and in both pages). 404: no such
    ///   dashboard; success: the dashboard exists, so the link routes are what is missing.
    /// - update, revoke: `GET …/{id}/shares` (the older page's listing). Success: the routes are
    ///   there, so the link is unknown; 404: no such dashboard, or no link routes at all.
    async fn link_route_not_found(
        &self,
        reply: Reply,
        dashboard: &Dashboard,
        share_id: Option<&str>,
    ) -> Result<Reply> {
        if reply.status != StatusCode::NOT_FOUND {
            return Ok(reply);
        }
        let probe = match share_id {
            None => &[dashboard.id.as_str(), "url"],
            Some(_) => &[dashboard.id.as_str(), "shares"],
        };
        let answer = self
            .session
            .send(self.request(Method::GET, probe), true)
            .await?;
        let found = match answer.status {
            StatusCode::NOT_FOUND => false,
            status if status.is_success() => true,
            _ => {
                let doing = format!("checking what the 404 of {} meant", reply.target);
                return Err(ERRORS.failure(self.http(), &answer, &doing));
            }
        };
        let d = &dashboard.id;
        Err(match (share_id, found) {
            (None, false) => self.no_such_dashboard(dashboard, &answer),
            (None, true) => Error::NotSupported(format!(
                "this mindzie server does not offer public links (the share-link routes of the \
                 older API answered 404: {}, while dashboard '{d}' exists); nothing was changed",
                reply.target
            )),
            (Some(id), true) => Error::not_found(
                Thing::Link,
                id,
                format!(
                    "dashboard '{d}' has no share link '{id}'; `dashshare link list {d}` shows its links"
                ),
            ),
            (Some(id), false) => Error::invalid(format!(
                "mindzie has no dashboard '{d}' in this project, or this server does not offer \
                 public links (the share-link routes of the older API answered 404 for link \
                 '{id}' and for the dashboard's link list); `dashshare dashboards` lists the \
                 dashboards; nothing was changed"
            )),
        })
    }
}
