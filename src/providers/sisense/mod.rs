//! Sisense: form-encoded login, Bearer tokens, server-side user and group filters, and the
//! read → write (replaces the whole list) → publish sequence on the routes Sisense's own SDK
//! (pysisense 2.3.3) uses, as an admin who need not own the dashboard (`adminAccess=true`).

mod models;
mod wire;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, RequestBuilder, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use tokio::sync::OnceCell;

use super::answers::{self, VendorErrors};
use super::lookup::{self, dashboard_titled, narrowed};
use super::paging::{self, Listing, Page};
use super::{
    Dashboard, DashboardSummary, DataAccess, Identity, Named, Resolved, ShareProvider, Snapshot,
};
use crate::config::Profile;
use crate::data_model::DataModelChange;
use crate::error::{Error, Result, Thing};
use crate::http::{HttpClient, HttpOptions, Reply, secret_header};
use crate::model::{Access, Level, Principal, PrincipalKind, ShareKey, ShareSet};
use crate::session::{Credential, FixedCredential, Login, Session};
use crate::shape;
use crate::vendor::Vendor;

use wire::{DASHBOARD_ID_KEYS, EVERYONE_GROUP, ID_KEYS, LIST_WRAPPERS, LoginAnswer, TITLE_KEYS};

/// Prefix of a dashboard argument that names a title instead of an id.
const BY_TITLE: &str = "name:";
/// How many user ids one `ids=` look-up carries: a page's worth, and a query well inside the
/// 2048 characters servers commonly take (24 hex digits and a comma each).
const IDS_PER_REQUEST: usize = PAGE_ROWS;

pub struct Sisense {
    session: Session,
    /// Who the credentials are, for `check` when the server does not say.
    account: String,
    /// How errors are worded: a refused token is never "check the password".
    errors: &'static VendorErrors,
    /// `GET`/`POST /api/shares/dashboard/{oid}`: reading and writing a dashboard's shares.
    shares_route: AdminAccess,
    /// `POST /api/v1/dashboards/{oid}/publish`.
    publish_route: AdminAccess,
    owner_route: AdminAccess,
    /// Set once the admin listing was refused (an account that is not an admin): `name:` then
    /// looks in the account's own listing for the rest of the run.
    admin_listing_refused: AtomicBool,
    /// The account's user id, once the login answer or `GET /api/users/loggedin` told it.
    me: Arc<OnceLock<String>>,
    asked_me: OnceCell<Option<String>>,
    /// Each dashboard's owner as its shares were read: who publishes it, and how.
    owners: Mutex<HashMap<String, String>>,
    /// The id of the `Everyone` group (`None`: the server has none), once a read's entries or a
    /// look-up told it.
    everyone: OnceCell<Option<String>>,
    /// The data models read this run, and the users' groups learnt.
    models: models::Models,
}

/// One route family that is sent `adminAccess=true` until the server refuses it. Remembered per
/// route, not per server: a version that validates the query of its v1 routes strictly (the
/// publish) may well accept the parameter on `/api/shares`.
struct AdminAccess {
    refused: AtomicBool,
    doing: &'static str,
}

impl AdminAccess {
    fn new(doing: &'static str) -> Self {
        AdminAccess {
            refused: AtomicBool::new(false),
            doing,
        }
    }
}

struct PasswordLogin {
    username: String,
    password: SecretString,
    /// The account's user id, from the login answer's `profile._id`.
    me: Arc<OnceLock<String>>,
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
                if let Some(id) = answer
                    .as_ref()
                    .and_then(|a| a.profile.as_ref())
                    .and_then(|profile| shape::id(profile, ID_KEYS))
                {
                    let _ = self.me.set(id);
                }
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
                    .or_else(|| ERRORS.message(http, &reply))
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

pub static CONSTRUCTORS: super::Constructors = super::Constructors {
    share: |profile, options| Ok(Box::new(Sisense::new(profile, options)?)),
    links: None,
};

impl Sisense {
    /// With a token (`token_env`/`token_file`), every request carries it and nothing logs in, as
    /// Sisense's own clients do (pysisense `sisenseclient.py`, `@sisense/sdk-rest-client`
    /// `bearer-authenticator.js`); else the username and password log in.
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let http = HttpClient::new(profile.url.clone(), options)?;
        let me = Arc::new(OnceLock::new());
        let (login, account, errors): (Box<dyn Login>, String, &'static VendorErrors) =
            match (&profile.token, &profile.username, &profile.password) {
                (Some(token), _, None) => {
                    http.register_secret(token);
                    let credential = Credential {
                        header: AUTHORIZATION,
                        value: secret_header(&format!("Bearer {}", token.expose_secret()))?,
                    };
                    let account = profile
                        .username
                        .clone()
                        .unwrap_or_else(|| "the API token's user".into());
                    (
                        Box::new(FixedCredential(credential)),
                        account,
                        &TOKEN_ERRORS,
                    )
                }
                (None, Some(username), Some(password)) => {
                    http.register_secret(password);
                    let login = PasswordLogin {
                        username: username.clone(),
                        password: password.clone(),
                        me: me.clone(),
                    };
                    (Box::new(login), username.clone(), &ERRORS)
                }
                _ => {
                    return Err(Error::invalid(format!(
                        "sisense profile '{}' needs an API token, or a username and a password",
                        profile.name
                    )));
                }
            };
        Ok(Sisense {
            session: Session::new(http, login),
            account,
            errors,
            shares_route: AdminAccess::new("reads and writes shares"),
            publish_route: AdminAccess::new("publishes"),
            owner_route: AdminAccess::new("changes owners"),
            admin_listing_refused: AtomicBool::new(false),
            me,
            asked_me: OnceCell::new(),
            owners: Mutex::new(HashMap::new()),
            everyone: OnceCell::new(),
            models: models::Models::default(),
        })
    }

    fn http(&self) -> &HttpClient {
        self.session.http()
    }

    /// A successful JSON answer of `GET segments?query`, with the request it answers.
    async fn get_value(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        doing: &str,
    ) -> Result<(String, Value)> {
        let reply = self.session.get(segments, query).await?;
        let reply = self.errors.ensure_success(self.http(), reply, doing)?;
        Ok((reply.target.clone(), reply.json()?))
    }

    /// Sends what `build(admin)` makes, with `adminAccess=true` first (an admin reads, writes and
    /// publishes a dashboard it does not own only so) unless `route` already knows this server
    /// refuses it. On 401, 403 or 422 (pysisense `dashboard/shares.py` falls back on exactly
    /// these; some versions reject the unknown parameter with 422) the request goes again without
    /// it. Only a refusal the plain request then gets past shows that the parameter itself was
    /// refused: the rest of the run leaves it off, so that costs one extra request per route and
    /// run, not per dashboard. When the plain request fails too, the first answer is the one
    /// reported (a 422 may judge the body, not the parameter) and nothing is remembered. Every
    /// request sent here carries a complete state, so may be resent.
    async fn send_as_admin(
        &self,
        route: &AdminAccess,
        build: impl Fn(bool) -> RequestBuilder,
    ) -> Result<Reply> {
        if route.refused.load(Ordering::Relaxed) {
            return self.session.send(build(false), true).await;
        }
        let reply = self.session.send(build(true), true).await?;
        if !matches!(
            reply.status,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
        ) {
            return Ok(reply);
        }
        let plain = self.session.send(build(false), true).await?;
        if !plain.is_success() {
            // A fixed token's 401 to `adminAccess=true` is about the parameter when the plain
            // request is let in (even to be refused): the token works.
            if reply.status == StatusCode::UNAUTHORIZED
                && plain.status != StatusCode::UNAUTHORIZED
                && self.session.fixed_credential()
            {
                return Ok(plain);
            }
            return Ok(reply);
        }
        if !route.refused.swap(true, Ordering::Relaxed) {
            tracing::info!(
                "{}: refused ({}); this server takes no adminAccess=true there, so dashshare {} \
                 without it for the rest of the run (as the dashboards' owner or a share holder)",
                reply.target,
                reply.status.as_u16(),
                route.doing
            );
        }
        Ok(plain)
    }

    /// Sends what `build(false)` makes, and `build(true)` (with `adminAccess=true`) only after a
    /// 403, as pysisense `dashboard/core.py` (`publish_dashboard`) publishes: the way for a
    /// dashboard the account owns. A 422 to the second says the server takes no such parameter:
    /// the 403 is the answer, and the rest of the run leaves the parameter off.
    async fn send_plain_first(
        &self,
        route: &AdminAccess,
        build: impl Fn(bool) -> RequestBuilder,
    ) -> Result<Reply> {
        let plain = self.session.send(build(false), true).await?;
        if plain.status != StatusCode::FORBIDDEN || route.refused.load(Ordering::Relaxed) {
            return Ok(plain);
        }
        let admin = self.session.send(build(true), true).await?;
        if admin.status == StatusCode::UNPROCESSABLE_ENTITY {
            route.refused.store(true, Ordering::Relaxed);
            return Ok(plain);
        }
        Ok(admin)
    }

    /// `POST /api/v1/dashboards/{id}/change_owner` with `{"ownerId", "originalOwnerRule"}`
    /// (pysisense `access_management/ownership.py`): as the caller where it owns the dashboard,
    /// else with `adminAccess=true`, and the other way after a 403, as pysisense tries both. The
    /// answer may have no body: success is the status.
    async fn change_owner(&self, id: &str, owner: &str, kept: Access) -> Result<()> {
        let body = json!({"ownerId": owner, "originalOwnerRule": kept.as_str()});
        let build = |admin: bool| {
            let segments = ["api", "v1", "dashboards", id, "change_owner"];
            let request = self.http().request(Method::POST, &segments).json(&body);
            match admin {
                true => request.query(&[("adminAccess", "true")]),
                false => request,
            }
        };
        let reply = self.send_on_dashboard(id, &self.owner_route, build).await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(no_such_dashboard(id));
        }
        if !reply.is_success() {
            return Err(self
                .errors
                .failure(
                    self.http(),
                    &reply,
                    &format!("giving dashboard '{id}' to user '{owner}'"),
                )
                .and_then_say("nothing else was changed on it"));
        }
        Ok(())
    }

    /// A call that acts on dashboard `id` (publish, change its owner) as pysisense orders them
    /// (`dashboard/core.py`, `access_management/ownership.py`): as the caller first where the
    /// account owns the dashboard, else with `adminAccess=true` first; the other way after a 403.
    async fn send_on_dashboard(
        &self,
        id: &str,
        route: &AdminAccess,
        build: impl Fn(bool) -> RequestBuilder,
    ) -> Result<Reply> {
        match self.owns(id).await {
            true => self.send_plain_first(route, build).await,
            false => self.send_as_admin(route, build).await,
        }
    }

    /// Whether the account owns dashboard `id`, as far as its last read tells; `false` when
    /// unknown (a dashboard published without a read, an account whose id no answer gave).
    async fn owns(&self, id: &str) -> bool {
        let owner = self
            .owners
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned();
        let Some(owner) = owner else {
            return false;
        };
        self.my_id().await.is_some_and(|me| me == owner)
    }

    /// The account's user id: from the login answer's `profile`, or, with an API token (which
    /// logs in nowhere), asked once per run of `GET /api/users/loggedin` (pysisense
    /// `access_management/users.py`, `get_my_user`). `None` when no answer says.
    async fn my_id(&self) -> Option<String> {
        if let Some(me) = self.me.get() {
            return Some(me.clone());
        }
        if !self.session.fixed_credential() {
            return None;
        }
        self.asked_me
            .get_or_init(|| async {
                let reply = self.session.get(&["api", "users", "loggedin"], &[]).await;
                let user: Value = reply.ok().filter(Reply::is_success)?.json().ok()?;
                shape::id(&user, ID_KEYS)
            })
            .await
            .clone()
    }

    /// The id of the group Sisense shares with everyone through (`Everyone`, matched exactly):
    /// `GET /api/v1/groups?name=Everyone` (pysisense `access_management/groups.py` `get_group`),
    /// or, where a server ignores the filter (it answers other groups), the paged group listing.
    /// Kept for the run once known; a look-up that fails is tried again when next needed.
    async fn everyone_group(&self) -> Result<Option<String>> {
        self.everyone
            .get_or_try_init(|| async {
                let doing = "looking up the Everyone group";
                let (target, body) = self
                    .get_value(&["api", "v1", "groups"], &[("name", EVERYONE_GROUP)], doing)
                    .await?;
                let mut rows = shape::require_items(&target, &body, &[])?.to_vec();
                let mut target = target;
                let ignored = rows.iter().any(|row| {
                    shape::text(row, &["name"])
                        .is_none_or(|name| !name.eq_ignore_ascii_case(EVERYONE_GROUP))
                });
                if ignored {
                    tracing::info!("{target} answered other groups; reading the group listing");
                    let listing = self
                        .paged(&["api", "v1", "groups"], &[], doing, |_, _| Ok(()))
                        .await?;
                    (target, rows) = (listing.target, listing.rows);
                }
                let found = lookup::candidates(&target, &rows, &["name"], ID_KEYS);
                let exact: Vec<(String, String)> = found
                    .pairs
                    .into_iter()
                    .filter(|(name, _)| name == EVERYONE_GROUP)
                    .collect();
                lookup::pick_unique(&exact, EVERYONE_GROUP, "group", "sisense")
            })
            .await
            .cloned()
    }

    /// The Everyone group's id where a read's `entries` need it: told by the entries' own group
    /// names when they carry them, else looked up. A look-up that fails fails the read: a share
    /// with everyone read as a plain group would be keyed otherwise than the journal keys it.
    async fn everyone_for<'e>(
        &self,
        entries: impl IntoIterator<Item = &'e Value>,
    ) -> Result<Option<String>> {
        if let Some(known) = self.everyone.get() {
            return Ok(known.clone());
        }
        match wire::everyone_among(entries) {
            wire::EveryoneAmong::Named(id) => {
                let _ = self.everyone.set(Some(id.clone()));
                Ok(Some(id))
            }
            wire::EveryoneAmong::Absent => Ok(None),
            wire::EveryoneAmong::Unknown => self.everyone_group().await,
        }
    }

    /// Emails (else user names) for user `ids`, from batched answers: the `ids=` filter of
    /// `GET /api/v1/users` (documented by REST clients, NOTES.md Corrections 2026-12-07), up to
    /// `IDS_PER_REQUEST` a request; where the server ignores or refuses it, one paged listing of
    /// every user (pysisense `access_management/admin.py` `_get_user_email_and_group_name_maps`
    /// names everyone from one `GET /api/v1/users`). Ids no answer names are left out.
    async fn user_names(&self, ids: &[&str]) -> HashMap<String, String> {
        let mut named = HashMap::new();
        let mut remaining: Vec<&str> = ids.to_vec();
        while !remaining.is_empty() {
            let chunk: Vec<&str> = remaining.iter().take(IDS_PER_REQUEST).copied().collect();
            let joined = chunk.join(",");
            let answer = self
                .get_value(
                    &["api", "v1", "users"],
                    // With their groups, which tell who reaches a data model through one.
                    &[
                        ("ids", joined.as_str()),
                        ("expand", "groups"),
                        ("limit", PAGE_LIMIT),
                    ],
                    "naming users",
                )
                .await;
            let rows = match &answer {
                Ok((target, body)) => {
                    shape::require_items(target, body, &[]).map(<[Value]>::to_vec)
                }
                Err(err) => Err(err.clone()),
            };
            let rows = match rows {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::info!("naming users by ids= failed ({err}); reading the user listing");
                    break;
                }
            };
            for row in &rows {
                self.remember_groups(row);
            }
            let answered: Vec<(String, Option<String>)> = rows
                .iter()
                .filter_map(|row| Some((shape::id(row, ID_KEYS)?, wire::user_display(row))))
                .collect();
            if answered.iter().any(|(id, _)| !chunk.contains(&id.as_str())) {
                tracing::info!(
                    "the server ignored the ids= filter of /api/v1/users; reading the user listing"
                );
                break;
            }
            let before = remaining.len();
            for (id, name) in answered {
                remaining.retain(|wanted| *wanted != id);
                if let Some(name) = name {
                    named.insert(id, name);
                }
            }
            // A chunk that named none of its ids: they are no users (deleted, say).
            if remaining.len() == before {
                remaining.retain(|wanted| !chunk.contains(wanted));
            }
        }
        if !remaining.is_empty() {
            named.extend(
                self.names_listed(&["api", "v1", "users"], "listing users", wire::user_display)
                    .await
                    .into_iter()
                    .filter(|(id, _)| remaining.contains(&id.as_str())),
            );
        }
        named
    }

    /// Every row of a paged listing by id, named by `name`; best effort (a listing that fails
    /// names nobody, said at `-v`).
    async fn names_listed(
        &self,
        segments: &[&str],
        doing: &str,
        name: fn(&Value) -> Option<String>,
    ) -> HashMap<String, String> {
        match self.paged(segments, &[], doing, |_, _| Ok(())).await {
            Ok(listing) => listing
                .rows
                .iter()
                .filter_map(|row| Some((shape::id(row, ID_KEYS)?, name(row)?)))
                .collect(),
            Err(err) => {
                tracing::info!("{doing} to name principals failed: {err}");
                HashMap::new()
            }
        }
    }

    /// Remembers who owns the dashboard whose shares answer is `body`.
    fn remember_owner(&self, id: &str, body: &Value) {
        if let Some(owner) = wire::owner_id(shape::field(body, &["owner"])) {
            self.owners
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .insert(id.to_string(), owner);
        }
    }

    /// `/api/shares/dashboard/{oid}`, the route pysisense `dashboard/shares.py`
    /// (`add_dashboard_shares`) reads and writes shares through.
    fn shares_request(&self, method: Method, id: &str, admin: bool) -> RequestBuilder {
        let request = self
            .http()
            .request(method, &["api", "shares", "dashboard", id]);
        if admin {
            request.query(&[("adminAccess", "true")])
        } else {
            request
        }
    }

    /// Dashboard rows of a listing: each needs an id and a title dashshare knows.
    fn summaries(listing: &Listing) -> Result<Vec<DashboardSummary>> {
        let target = listing.target.as_str();
        listing
            .rows
            .iter()
            .map(|row| {
                Ok(DashboardSummary {
                    id: shape::require_id(target, row, DASHBOARD_ID_KEYS)?,
                    title: shape::require_text(target, row, TITLE_KEYS)?,
                    owner: wire::owner_id(shape::field(row, &["owner"])),
                })
            })
            .collect()
    }

    /// Every row of `GET segments?query`, `PAGE_LIMIT` at a time with `limit` and `skip` (as
    /// pysisense `migration/dashboards.py` pages the admin listing; pysensesdk documents the two
    /// on dashboards, users and groups), until a page comes back empty. Each row must pass
    /// `row` on its page, so an answer of another shape is not understood at once, never read
    /// on as though it were a page.
    async fn paged(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        doing: &str,
        row: RowCheck,
    ) -> Result<Listing> {
        let listing = paging::by_offset(|skip| async move {
            let skip = skip.to_string();
            let reply = self.session.get(segments, &with_page(query, &skip)).await?;
            page_of(self.errors.ensure_success(self.http(), reply, doing)?, row)
        })
        .await?;
        Ok(listing)
    }

    /// `GET /api/v1/dashboards/admin?dashboardType=owner&asObject=false…`: every dashboard on
    /// the server, with its owner, as pysisense `migration/dashboards.py` pages it. `None` when
    /// the account may not (401/403: it is not an admin).
    async fn admin_listing(&self, filters: &[(&str, &str)]) -> Result<Option<Listing>> {
        let mut query = vec![("dashboardType", "owner"), ("asObject", "false")];
        query.extend_from_slice(filters);
        let query = &query;
        let segments = ["api", "v1", "dashboards", "admin"];
        let listing = paging::by_offset(|skip| async move {
            let skip = skip.to_string();
            let reply = self
                .session
                .get(&segments, &with_page(query, &skip))
                .await?;
            // A fixed token is not "renewed" by a login: its 401 is the token refused.
            let token_refused =
                reply.status == StatusCode::UNAUTHORIZED && self.session.fixed_credential();
            if !token_refused
                && matches!(
                    reply.status,
                    StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                )
            {
                tracing::info!(
                    "{}: refused ({}); this account is not an admin",
                    reply.target,
                    reply.status.as_u16()
                );
                return Err(NotAdmin::Refused);
            }
            let reply =
                self.errors
                    .ensure_success(self.http(), reply, "listing every dashboard")?;
            let body = reply.json_kept(&wire::keep_listed)?;
            Ok(page_from(reply.target, &body, dashboard_row)?)
        })
        .await;
        match listing {
            Ok(listing) => Ok(Some(listing)),
            Err(NotAdmin::Refused) => Ok(None),
            Err(NotAdmin::Failed(err)) => Err(err),
        }
    }

    async fn find_user(&self, name: &str) -> Result<Option<String>> {
        // Only a value with an @ can be an email; user names may look like emails too.
        let filters: &[&str] = if name.contains('@') {
            &["email", "userName"]
        } else {
            &["userName"]
        };
        for filter in filters {
            let (target, body) = self
                .get_value(
                    &["api", "v1", "users"],
                    &[(filter, name)],
                    &format!("looking up user '{name}'"),
                )
                .await?;
            let rows = shape::require_items(&target, &body, &[])?;
            for row in rows {
                self.remember_groups(row);
            }
            let found = lookup::candidates(&target, rows, &[filter], ID_KEYS);
            if let Some(id) = found.pick(name, "user", "sisense")? {
                return Ok(Some(id));
            }
        }
        self.find_by_id("users", name).await
    }

    /// A Sisense object id (24 hex digits) names a user or group directly, as `list` shows them:
    /// `GET /api/v1/users/{id}` or `/api/v1/groups/{id}` (`sisense` 0.2.2 `admin/user.py`,
    /// `admin/group.py`, `get(oid=…)`).
    async fn find_by_id(&self, resource: &str, name: &str) -> Result<Option<String>> {
        if !is_object_id(name) {
            return Ok(None);
        }
        let reply = self
            .session
            .get(&["api", "v1", resource, name], &[])
            .await?;
        match reply.status {
            // The record's `active` decides as it does for a user found by email.
            status if status.is_success() => {
                let record: Value = reply.json().unwrap_or(Value::Null);
                let found = lookup::candidates(&reply.target, &[record], ID_KEYS, ID_KEYS);
                let what = if resource == "users" { "user" } else { "group" };
                Ok(found
                    .pick(name, what, "sisense")?
                    .or(Some(name.to_string())))
            }
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(self.errors.failure(
                self.http(),
                &reply,
                &format!("looking up {resource} id '{name}'"),
            )),
        }
    }

    async fn find_group(&self, name: &str) -> Result<Option<String>> {
        let (target, body) = self
            .get_value(
                &["api", "v1", "groups"],
                &[("name", name)],
                &format!("looking up group '{name}'"),
            )
            .await?;
        let rows = shape::require_items(&target, &body, &[])?;
        let found = lookup::candidates(&target, rows, &["name"], ID_KEYS);
        match found.pick(name, "group", "sisense")? {
            Some(id) => Ok(Some(id)),
            None => self.find_by_id("groups", name).await,
        }
    }
}

#[async_trait]
impl ShareProvider for Sisense {
    fn vendor(&self) -> Vendor {
        Vendor::Sisense
    }

    async fn check(&self) -> Result<Identity> {
        // The read logs in first. The route is pysisense's (`access_management/users.py`,
        // `get_my_user`: `GET /api/users/loggedin`, not under v1).
        let reply = self.session.get(&["api", "users", "loggedin"], &[]).await?;
        // Versions without this endpoint answer 404: the login itself is then the check.
        let user: Option<Value> = match reply.status {
            status if status.is_success() => reply.json().ok(),
            StatusCode::NOT_FOUND => None,
            _ => {
                return Err(self
                    .errors
                    .failure(self.http(), &reply, "reading the logged-in user"));
            }
        };
        let user = user.as_ref();
        if let Some(id) = user.and_then(|user| shape::id(user, ID_KEYS)) {
            let _ = self.me.set(id);
        }
        Ok(Identity {
            user: user
                .and_then(wire::user_display)
                .unwrap_or_else(|| self.account.clone()),
            detail: user
                .and_then(|user| shape::id(user, ID_KEYS))
                .map(|id| format!("user id {id}")),
        })
    }

    async fn dashboards(&self, search: Option<&str>, all: bool) -> Result<Vec<DashboardSummary>> {
        let fields = [("fields", "oid,title,owner")];
        let listing = if all {
            self.admin_listing(&fields).await?.ok_or_else(|| {
                Error::PermissionDenied(
                    "Sisense refused the list of every dashboard (GET /api/v1/dashboards/admin): \
                     `dashboards --all` needs an admin account; `dashboards` lists this \
                     account's own and those shared with it"
                        .into(),
                )
            })?
        } else {
            self.paged(
                &["api", "v1", "dashboards"],
                &fields,
                "listing dashboards",
                dashboard_row,
            )
            .await?
        };
        Ok(narrowed(Self::summaries(&listing)?, search))
    }

    async fn find_dashboard(&self, reference: &str) -> Result<Dashboard> {
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
        let doing = format!("looking up dashboard '{title}'");
        let admin = if self.admin_listing_refused.load(Ordering::Relaxed) {
            None
        } else {
            self.admin_listing(&[("name", title)]).await?
        };
        let listing = match admin {
            Some(found) => found,
            None => {
                self.admin_listing_refused.store(true, Ordering::Relaxed);
                self.paged(
                    &["api", "v1", "dashboards"],
                    &[("name", title)],
                    &doing,
                    dashboard_row,
                )
                .await?
            }
        };
        dashboard_titled(
            Self::summaries(&listing)?
                .into_iter()
                .map(|summary| (summary.id, summary.title)),
            title,
            "sisense",
        )
    }

    /// `GET /api/v1/users` or `/api/v1/groups`, paged with `skip`/`limit` (pysensesdk documents
    /// both on users and groups; pysisense lists every user from `GET /api/v1/users`). Sisense
    /// documents no text search on either, so the rows are searched here. A row without an id
    /// or a name is not understood, never left out.
    async fn principals(&self, kind: PrincipalKind, search: Option<&str>) -> Result<Vec<Named>> {
        let (resource, row): (&str, RowCheck) = match kind {
            PrincipalKind::User => ("users", |target, row| {
                named_row(target, row, PrincipalKind::User)
            }),
            PrincipalKind::Group => ("groups", |target, row| {
                named_row(target, row, PrincipalKind::Group)
            }),
            PrincipalKind::Everyone => return Err(self.unsupported("lists no everyone")),
        };
        let doing = format!("listing {resource}");
        let listing = self
            .paged(&["api", "v1", resource], &[], &doing, row)
            .await?;
        let named = listing.rows.iter().filter_map(|row| wire::named(kind, row));
        Ok(super::searched(named.collect(), search))
    }

    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>> {
        let (kind, id) = match principal {
            Principal::User(name) => (PrincipalKind::User, self.find_user(name).await?),
            Principal::Group(name) => (PrincipalKind::Group, self.find_group(name).await?),
            Principal::Everyone => {
                return match self.everyone_group().await? {
                    Some(_) => Ok(Some(Resolved {
                        principal: principal.clone(),
                        key: ShareKey::everyone(),
                    })),
                    None => Err(Error::not_found(
                        Thing::Principal,
                        "everyone",
                        format!(
                            "this Sisense server has no group named exactly '{EVERYONE_GROUP}', \
                             which Sisense shares with everyone through; `--group NAME` shares \
                             with a group of your choice"
                        ),
                    )),
                };
            }
        };
        // The Everyone group, named as a group or by its id, is everyone: one entry either way.
        if kind == PrincipalKind::Group
            && let Some(found) = &id
            && (principal.name().eq_ignore_ascii_case(EVERYONE_GROUP)
                || is_object_id(principal.name()))
            && self.everyone_group().await?.as_ref() == Some(found)
        {
            return Ok(Some(Resolved {
                principal: principal.clone(),
                key: ShareKey::everyone(),
            }));
        }
        Ok(id.map(|id| Resolved {
            principal: principal.clone(),
            key: ShareKey::new(kind, id),
        }))
    }

    async fn read_shares(&self, dashboard: &Dashboard) -> Result<Snapshot> {
        let id = dashboard.id.as_str();
        let reply = self
            .send_as_admin(&self.shares_route, |admin| {
                self.shares_request(Method::GET, id, admin)
            })
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(no_such_dashboard(id));
        }
        let reply = self.errors.ensure_success(
            self.http(),
            reply,
            &format!("reading the shares of dashboard '{id}'"),
        )?;
        let body: Value = reply.json()?;
        self.remember_owner(id, &body);
        let everyone = self.everyone_for(entries_of(&body, "sharesTo")).await?;
        snapshot_of(
            &reply.target,
            dashboard,
            &body,
            "sharesTo",
            everyone.as_deref(),
        )
    }

    async fn listed_shares(&self, search: Option<&str>) -> Result<Option<Vec<Snapshot>>> {
        if self.admin_listing_refused.load(Ordering::Relaxed) {
            return Ok(None);
        }
        // The admin listing's rows carry `owner` and `shares` (pysisense `utils.py`
        // `_dashboard_admin_record`: "owner, shares, datasource, title"; `access_management/
        // admin.py` and `ownership.py` read each row's `shares`).
        let Some(mut listing) = self
            .admin_listing(&[("fields", "oid,title,owner,shares,datasource")])
            .await?
        else {
            self.admin_listing_refused.store(true, Ordering::Relaxed);
            return Ok(None);
        };
        let wanted: Vec<String> = narrowed(Self::summaries(&listing)?, search)
            .into_iter()
            .map(|summary| summary.id)
            .collect();
        let everyone = self
            .everyone_for(
                listing
                    .rows
                    .iter()
                    .flat_map(|row| entries_of(row, "shares")),
            )
            .await?;
        let wanted: HashSet<String> = wanted.into_iter().collect();
        let mut snapshots = Vec::with_capacity(wanted.len());
        // Each row is let go once its snapshot is made: the listing is held once, not twice.
        for row in std::mem::take(&mut listing.rows) {
            let id = shape::require_id(&listing.target, &row, DASHBOARD_ID_KEYS)?;
            if !wanted.contains(&id) {
                continue;
            }
            // The row names the dashboard's data model too: no read of its own is needed for it.
            self.remember_model(&id, &row);
            let dashboard = Dashboard { id, title: None };
            snapshots.push(snapshot_of(
                &listing.target,
                &dashboard,
                &row,
                "shares",
                everyone.as_deref(),
            )?);
        }
        Ok(Some(snapshots))
    }

    async fn write_shares(&self, before: &Snapshot, after: &ShareSet) -> Result<()> {
        if before.raw.get("listed").and_then(Value::as_bool) == Some(true) {
            return Err(Error::remote(format!(
                "the shares of dashboard '{}' were read from the admin listing, which carries \
                 only what is read: a write reads the dashboard again; nothing was changed",
                before.dashboard.id
            )));
        }
        let mut entries = entries_of(&before.raw, "sharesTo").to_vec();
        // A new owner is made with its own call first; the list then holds what that call left.
        let owner = |set: &ShareSet| {
            set.iter()
                .find(|share| share.level == Level::Owner)
                .map(|share| share.key.clone())
        };
        // (the new owner, the level the old one keeps until the list below says otherwise)
        let new_owner = match (owner(&before.shares), owner(after)) {
            (Some(old), Some(new)) if old != new => {
                let kept = match after.get(&old) {
                    Some(Level::Access(access)) => access,
                    _ => Access::View,
                };
                Some((old, new, kept))
            }
            _ => None,
        };
        if let Some((old, new, kept)) = &new_owner {
            entries.retain(|entry| shape::id(entry, &["shareId"]).as_deref() != Some(&new.id));
            for entry in entries.iter_mut() {
                if shape::id(entry, &["shareId"]).as_deref() == Some(&old.id) {
                    entry["rule"] = json!(kept.as_str());
                }
            }
            entries.insert(
                0,
                json!({"shareId": new.id, "type": "user", "subscribe": true}),
            );
        }
        let entries = entries.as_slice();
        // The entries are keyed as the read keyed them, with the Everyone group it knew. A share
        // with everyone to write on a dashboard whose read never needed the group (undo putting
        // one back, say) looks the group up now.
        let everyone = match before.raw.get("everyone").and_then(Value::as_str) {
            Some(id) => Some(id.to_string()),
            None if after.get(&ShareKey::everyone()).is_some() => self.everyone_group().await?,
            None => None,
        };
        let rebuilt = wire::rebuild_shares(entries, after, everyone.as_deref()).map_err(|why| {
            let message = format!(
                "cannot write the shares of dashboard '{}': {why}; nothing was changed",
                before.dashboard.id
            );
            match why {
                wire::UNKNOWN_ENTRY => Error::not_understood(message),
                _ => Error::remote(message),
            }
        })?;
        let body = json!({ "sharesTo": rebuilt });
        let id = before.dashboard.id.as_str();
        // Only once the list is known to be writable: a refused owner change leaves all as it was.
        if let Some((_, new, kept)) = &new_owner {
            self.change_owner(id, &new.id, *kept).await?;
            // The publish after the write goes as the new owner's dashboard's would.
            (self
                .owners
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()))
            .insert(id.to_string(), new.id.clone());
        }
        let reply = self
            .send_as_admin(&self.shares_route, |admin| {
                self.shares_request(Method::POST, id, admin).json(&body)
            })
            .await?;
        let written = self.errors.ensure_success(
            self.http(),
            reply,
            &format!("writing the shares of dashboard '{id}'"),
        );
        match (written, &new_owner) {
            (Ok(_), _) => Ok(()),
            (Err(err), Some((_, new, _))) => Err(err.and_then_say(format!(
                "its owner was already changed to user '{}' (`dashshare undo RUN --force` gives \
                 it back; the account must be an admin to change an owner's share list)",
                new.id
            ))),
            (Err(err), None) => Err(err),
        }
    }

    async fn publish(&self, dashboard: &Dashboard) -> Result<()> {
        let id = dashboard.id.as_str();
        // pysisense publishes as the caller first, and with `adminAccess=true` after a 403
        // (`dashboard/core.py`, `publish_dashboard`), the way for a dashboard the account owns;
        // another owner's (the bulk service account's usual case) is published as an admin first,
        // as `access_management/ownership.py` orders its calls. `force=false` as the vendor's
        // page sends it (sisense.txt): the recipients' own copies are not overridden.
        let build = |admin: bool| {
            let mut query = vec![("force", "false")];
            if admin {
                query.push(("adminAccess", "true"));
            }
            self.http()
                .request(Method::POST, &["api", "v1", "dashboards", id, "publish"])
                .query(&query)
        };
        let reply = self
            .send_on_dashboard(id, &self.publish_route, build)
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(no_such_dashboard(id));
        }
        if !reply.is_success() {
            return Err(self
                .errors
                .failure(self.http(), &reply, &format!("publishing dashboard '{id}'"))
                .and_then_say(
                    "only the dashboard's owner, or an admin where the server takes \
                     adminAccess=true, may publish it",
                ));
        }
        Ok(())
    }

    async fn data_access(&self, dashboard: &Dashboard, keys: &[ShareKey]) -> Option<DataAccess> {
        self.data_access_of(dashboard, keys).await
    }

    async fn memberships(&self, key: &ShareKey) -> Option<Vec<String>> {
        self.memberships_of(key).await
    }

    async fn plan_data_grant(
        &self,
        dashboard: &Dashboard,
        keys: &[ShareKey],
    ) -> Result<Option<DataModelChange>> {
        self.plan_data_grant_of(dashboard, keys).await
    }

    async fn write_data_model(&self, change: &DataModelChange) -> Result<DataModelChange> {
        self.write_data_model_of(change).await
    }

    async fn undo_data_model(
        &self,
        change: &DataModelChange,
        dry_run: bool,
    ) -> Result<DataModelChange> {
        self.undo_data_model_of(change, dry_run).await
    }

    /// Users from `user_names` (batched), groups from one paged `GET /api/v1/groups` (pysisense
    /// names groups so): a handful of requests however many principals there are.
    async fn describe(&self, keys: &[ShareKey]) -> HashMap<ShareKey, String> {
        let ids = |kind: PrincipalKind| -> Vec<&str> {
            keys.iter()
                .filter(|key| key.kind == kind)
                .map(|key| key.id.as_str())
                .collect()
        };
        let (users, groups) = (ids(PrincipalKind::User), ids(PrincipalKind::Group));
        let mut named = HashMap::new();
        if !users.is_empty() {
            for (id, name) in self.user_names(&users).await {
                named.insert(ShareKey::new(PrincipalKind::User, id), name);
            }
        }
        if !groups.is_empty() {
            let listed = self
                .names_listed(&["api", "v1", "groups"], "listing groups", |row| {
                    shape::text(row, &["name"])
                })
                .await;
            for id in groups {
                if let Some(name) = listed.get(id) {
                    named.insert(ShareKey::new(PrincipalKind::Group, id), name.clone());
                }
            }
        }
        named
    }
}

/// The admin listing's failure: refused to a non-admin (then the account's own listing is read),
/// or anything else.
enum NotAdmin {
    Refused,
    Failed(Error),
}

impl From<Error> for NotAdmin {
    fn from(err: Error) -> Self {
        NotAdmin::Failed(err)
    }
}

/// What every row of a listing must hold, checked page by page.
type RowCheck = fn(&str, &Value) -> Result<()>;

/// A dashboard row: an id and a title under keys dashshare knows.
fn dashboard_row(target: &str, row: &Value) -> Result<()> {
    shape::require_id(target, row, DASHBOARD_ID_KEYS)?;
    shape::require_text(target, row, TITLE_KEYS)?;
    Ok(())
}

/// A user or group row `wire::named` can read.
fn named_row(target: &str, row: &Value, kind: PrincipalKind) -> Result<()> {
    match wire::named(kind, row) {
        Some(_) => Ok(()),
        None => {
            let keys = wire::NAMED_KEYS[usize::from(kind == PrincipalKind::Group)];
            Err(shape::not_understood(target, keys, row))
        }
    }
}

/// One page of a listing from its answer; every row must pass `row`.
fn page_of(reply: Reply, row: RowCheck) -> Result<Page> {
    let body: Value = reply.json()?;
    page_from(reply.target, &body, row)
}

/// One page of a listing from its answer, as read.
fn page_from(target: String, body: &Value, row: RowCheck) -> Result<Page> {
    let rows = shape::require_items(&target, body, LIST_WRAPPERS)?.to_vec();
    for item in &rows {
        row(&target, item)?;
    }
    Ok(Page {
        target,
        rows,
        asked: PAGE_ROWS,
        ..Page::default()
    })
}

/// The entries under `key` of a shares answer or listing row (none when it has no such list).
fn entries_of<'b>(body: &'b Value, key: &str) -> &'b [Value] {
    shape::field(body, &[key])
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A Sisense object id: 24 hex digits.
fn is_object_id(name: &str) -> bool {
    name.len() == 24 && name.chars().all(|c| c.is_ascii_hexdigit())
}

/// How many rows a listing page asks for: pysisense `migration/dashboards.py`'s `limit = 50`.
const PAGE_LIMIT: &str = "50";
const PAGE_ROWS: usize = 50;

/// `query` with the page from `skip` on.
fn with_page<'q>(query: &[(&'q str, &'q str)], skip: &'q str) -> Vec<(&'q str, &'q str)> {
    let mut paged = query.to_vec();
    paged.extend([("limit", PAGE_LIMIT), ("skip", skip)]);
    paged
}

/// A dashboard's shares from an answer that holds them under `entries_key` (the shares route's
/// `sharesTo`, the admin listing's `shares`) with its `owner`.
fn snapshot_of(
    target: &str,
    dashboard: &Dashboard,
    body: &Value,
    entries_key: &str,
    everyone: Option<&str>,
) -> Result<Snapshot> {
    // Writing back a list we did not read would delete every share on the dashboard.
    let Some(entries) = shape::field(body, &[entries_key]).and_then(Value::as_array) else {
        return Err(shape::not_understood(target, &[entries_key], body));
    };
    // pysisense reads `shareId` and `type` of every entry: one without them is not understood.
    if let Some(entry) = entries.iter().find(|entry| {
        shape::id(entry, &["shareId"]).is_none() || shape::text(entry, &["type"]).is_none()
    }) {
        let (id, kind) = (
            format!("{entries_key}[].shareId"),
            format!("{entries_key}[].type"),
        );
        return Err(shape::not_understood(target, &[&id, &kind], entry));
    }
    let owner = wire::owner_id(shape::field(body, &["owner"]));
    Ok(Snapshot {
        dashboard: Dashboard {
            id: dashboard.id.clone(),
            title: shape::text(body, TITLE_KEYS).or_else(|| dashboard.title.clone()),
        },
        shares: wire::share_set(entries, owner.as_deref(), everyone),
        names: wire::entry_names(entries, everyone),
        // What the write needs: the entries as read, and the Everyone group they were keyed
        // with. A listing's rows are cut to what is read (`wire::keep_listed`) and never
        // written back, so they keep none.
        raw: if entries_key == "sharesTo" {
            json!({"sharesTo": entries, "everyone": everyone})
        } else {
            json!({"listed": true, "everyone": everyone})
        },
    })
}

fn is_refusal(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
    )
}

/// Sisense errors: `{"error": {"code": …, "message": "…", "status": …}}` (REST v1) or a flat
/// `{"message": "…"}`; read as pysisense `utils.py` (`_extract_error_message`) reads them.
static ERRORS: VendorErrors = VendorErrors {
    vendor: "Sisense",
    unauthorized: "check the profile's username and password source",
    message: error_message,
};

/// The same, for a profile with an API token: a 401 is the token refused (expired, revoked or
/// mistyped), and no login can cure it (Sisense's own client fails as "token auth failed",
/// `@sisense/sdk-rest-client` `interceptors.js`).
static TOKEN_ERRORS: VendorErrors = VendorErrors {
    vendor: "Sisense",
    unauthorized: "the API token was refused (expired, revoked or mistyped): make a new one in \
                   Sisense (user menu → REST API token) and point the profile's token_env or \
                   token_file at it",
    message: error_message,
};

/// The first of `detail`, `message`, `title`, `error` that is text, in the body or one level
/// inside its `error` object, with the first of `error.subErrors[].message` (validation failures
/// name the offending field there) and how many more there are.
fn error_message(body: &Value) -> Option<String> {
    let reason = answers::message_in(body, &["detail", "message", "title", "error"])?;
    let nested = shape::field(body, &["error"]).filter(|error| error.is_object());
    let details: Vec<&str> = nested
        .and_then(|error| error.get("subErrors"))
        .and_then(Value::as_array)
        .map(|subs| {
            subs.iter()
                .filter_map(|sub| sub.get("message").and_then(Value::as_str))
                .map(str::trim)
                .filter(|text| !text.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Some(match details.as_slice() {
        [] => reason.to_string(),
        [only] => format!("{reason}: {only}"),
        [first, rest @ ..] => format!("{reason}: {first} (+{} more)", rest.len()),
    })
}

/// A 404 about dashboard `id`: the same "does not exist" (exit 2) whether a read or a publish met it.
fn no_such_dashboard(id: &str) -> Error {
    Error::not_found(
        Thing::Dashboard,
        id,
        format!(
            "sisense dashboard '{id}' does not exist or is not visible to this account; \
             `dashshare dashboards --all` lists every dashboard (admins), `dashshare \
             dashboards` the ones this account owns or is shared"
        ),
    )
}
