//! AppViewX: log in with the credentials in headers, send the session as `sessionId`, and set a
//! dashboard's complete read and read-write group lists in one update. Nothing can be read back,
//! so the only safe write is a complete one (`grant --replace`).
//!
//! Sources: appviewx.txt (the share update) and helpcenter.appviewx.com's API Guide pages Login,
//! Search_User_Group and Prerequisites (gwkey). Every call names its source (`gwsource`) and, on
//! multi-tenant installs, its tenant (`gwkey`).

use async_trait::async_trait;
use reqwest::header::HeaderName;
use reqwest::{Method, StatusCode};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::{Value, json};

use super::lookup::pick_unique;
use super::paging;
use super::{Dashboard, Identity, Named, Resolved, ShareProvider};
use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::http::{HttpClient, HttpOptions, Reply, secret_header};
use crate::model::{Access, Level, Principal, PrincipalKind, ShareKey, ShareSet};
use crate::session::{Credential, Login, Session};
use crate::shape;
use crate::vendor::Vendor;

const DEFAULT_GWSOURCE: &str = "external";

pub struct AppViewX {
    session: Session,
    username: String,
    gateway: Gateway,
    /// Every group name the searches of this run answered: the search matches loosely, so these
    /// are the near names of one that was not found.
    seen: std::sync::Mutex<Vec<String>>,
}

/// The query parameters every AppViewX call carries: `gwsource` always, `gwkey` (the tenant key
/// of multi-tenant installs, API Guide "Prerequisites") only when the profile sets one, since
/// single-tenant servers are documented without it.
#[derive(Clone)]
struct Gateway {
    source: String,
    key: Option<String>,
}

impl Gateway {
    fn query(&self) -> Vec<(&'static str, &str)> {
        let mut query = vec![("gwsource", self.source.as_str())];
        if let Some(key) = &self.key {
            query.push(("gwkey", key.as_str()));
        }
        query
    }
}

struct HeaderLogin {
    username: String,
    password: SecretString,
    gateway: Gateway,
}

#[async_trait]
impl Login for HeaderLogin {
    async fn login(&self, http: &HttpClient) -> Result<Credential> {
        let request = http
            .request(Method::POST, &["avxapi", "login"])
            .query(&self.gateway.query())
            .header("username", secret_header(&self.username)?)
            .header("password", secret_header(self.password.expose_secret())?)
            .json(&json!({}))
            .build()
            .map_err(|err| Error::invalid(format!("cannot build the login request: {err}")))?;
        // Logging in twice only opens a second session, so a timed-out login may be retried.
        let reply = http.execute(request, true).await?;
        // Login page sample: `{"response": {"status": "SUCCESS", "sessionId": …, …}, …}`.
        let body: Option<Value> = serde_json::from_slice(&reply.body).ok();
        let response = body.as_ref().and_then(|b| shape::field(b, &["response"]));
        let session_id = response
            .and_then(|r| shape::text(r, &["sessionId"]))
            .filter(|id| !id.is_empty());
        let refused = || {
            Error::Auth(format!(
                "AppViewX refused the login of '{}'{}; check the username and the password source of the profile",
                self.username,
                said(http, &reply)
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ))
        };
        match (reply.status, session_id) {
            (status, Some(id)) if status.is_success() => {
                let id = SecretString::from(id);
                http.register_secret(&id);
                Ok(Credential {
                    header: HeaderName::from_static("sessionid"),
                    value: secret_header(id.expose_secret())?,
                })
            }
            (StatusCode::BAD_REQUEST | StatusCode::UNAUTHORIZED, _) => Err(refused()),
            // A success status without a session: a refusal when the answer says so (a failure
            // code, or a status other than SUCCESS), else an answer dashshare does not understand.
            (status, None) if status.is_success() => {
                let failed = app_status(&reply).is_some()
                    || response.is_some_and(|r| {
                        shape::text(r, &["appStatusCode"]).is_some()
                            || shape::text(r, &["status"])
                                .is_some_and(|s| !s.eq_ignore_ascii_case("SUCCESS"))
                    });
                if failed {
                    Err(refused())
                } else {
                    Err(shape::not_understood(
                        &reply.target,
                        &["response.sessionId"],
                        response.or(body.as_ref()).unwrap_or(&Value::Null),
                    ))
                }
            }
            _ => Err(failure(http, &reply, "logging in", "")),
        }
    }

    fn renewable(&self) -> bool {
        true
    }
}

/// The update's body: the complete read and read-write lists, as the documentation's sample has it.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
struct GroupLists<'a> {
    read_user_groups: Vec<&'a str>,
    read_write_user_groups: Vec<&'a str>,
}

pub static CONSTRUCTORS: super::Constructors = super::Constructors {
    share: |profile, options| Ok(Box::new(AppViewX::new(profile, options)?)),
    links: None,
};

impl AppViewX {
    pub fn new(profile: &Profile, options: &HttpOptions) -> Result<Self> {
        let (Some(username), Some(password)) = (&profile.username, &profile.password) else {
            return Err(Error::invalid(format!(
                "appviewx profile '{}' needs a username and a password",
                profile.name
            )));
        };
        let gateway = Gateway {
            source: profile
                .setting("gwsource")
                .unwrap_or(DEFAULT_GWSOURCE)
                .to_string(),
            key: profile
                .setting("gwkey")
                .filter(|key| !key.trim().is_empty())
                .map(str::to_string),
        };
        let http = HttpClient::new(profile.url.clone(), options)?;
        http.register_secret(password);
        let login = HeaderLogin {
            username: username.clone(),
            password: password.clone(),
            gateway: gateway.clone(),
        };
        Ok(AppViewX {
            session: Session::new(http, Box::new(login)),
            username: username.clone(),
            gateway,
            seen: std::sync::Mutex::new(Vec::new()),
        })
    }
}

impl AppViewX {
    /// The group's name as AppViewX spells it, if a group of that name exists.
    ///
    /// The search (API Guide, Search_User_Group) filters loosely and pages from `startIndex` 1;
    /// it answers `{"response": {"data": [{"name": …}, …], "totalRecords": N, …}}`, and HTTP 404
    /// ("No matching records found.") when nothing (more) matches. Pages are read until the exact
    /// name turns up or `totalRecords` matches are read.
    async fn find_group(&self, name: &str) -> Result<Option<String>> {
        let mut progress = paging::Progress::new();
        loop {
            let start = u32::try_from(progress.read() + 1).unwrap_or(u32::MAX);
            let page = self.search_groups(name, start).await?;
            let more = progress.take(page)?;
            if !more || names_of(progress.rows()).iter().any(|found| found == name) {
                break;
            }
        }
        let names = names_of(progress.rows());
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend(names.iter().cloned());
        let candidates: Vec<(String, String)> = names.into_iter().map(|n| (n.clone(), n)).collect();
        pick_unique(&candidates, name, "group", "appviewx")
    }

    /// One page of the group search from `start` (1-based); an empty page when the server says
    /// nothing (more) matches (404). Every row has a `name`.
    async fn search_groups(&self, name: &str, start: u32) -> Result<paging::Page> {
        let request = self
            .session
            .http()
            .request(Method::POST, &["avxapi", "usergroup-search"])
            .query(&self.gateway.query())
            .json(&json!({"payload": {
                "startIndex": start,
                "maxSize": GROUP_SEARCH_SIZE,
                "sortColumn": "name",
                "sortOrder": "asc",
                "filterValue": name,
            }}));
        // A search changes nothing, so it may be sent again.
        let reply = self.session.send(request, true).await?;
        if reply.status == StatusCode::NOT_FOUND {
            // The documented no-match answer comes in AppViewX's JSON envelope; a bare 404 (a
            // proxy's page, a server without this route) says nothing about the group.
            let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
            let enveloped = body.as_object().is_some_and(|object| {
                object.keys().any(|key| {
                    ["response", "message", "appStatusCode"]
                        .iter()
                        .any(|name| key.eq_ignore_ascii_case(name))
                })
            });
            if enveloped {
                return Ok(paging::Page {
                    target: reply.target,
                    ..paging::Page::default()
                });
            }
            return Err(shape::not_understood(
                &reply.target,
                &["a 404 in AppViewX's answer envelope (`response`, `message`, `appStatusCode`)"],
                &body,
            ));
        }
        if !reply.is_success() || app_status(&reply).is_some() {
            return Err(failure(
                self.session.http(),
                &reply,
                &format!("looking up group '{name}'"),
                "",
            ));
        }
        let body: Value = reply.json()?;
        let found = shape::field(&body, &["response"]).unwrap_or(&body);
        let items = shape::require_items(&reply.target, found, &["data"])?;
        for item in items {
            shape::require_text(&reply.target, item, &["name"])?;
        }
        let total = shape::integer(found, &["totalRecords"])
            .and_then(|n| u64::try_from(n).ok())
            .map(paging::Total::Rows);
        Ok(paging::Page::numbered(
            reply.target,
            items.to_vec(),
            total,
            GROUP_SEARCH_SIZE as usize,
        ))
    }
}

/// The `name` of each group row (`search_groups` checked that every row has one).
fn names_of(rows: &[Value]) -> Vec<String> {
    rows.iter()
        .filter_map(|row| shape::text(row, &["name"]))
        .collect()
}

/// How many groups one search page may return; the exact name is picked from them.
const GROUP_SEARCH_SIZE: u32 = 100;

/// `{"message": "…", "appStatusCode": "ADC_DASH_0045", …}` as "ADC_DASH_0045: …".
fn said(http: &HttpClient, reply: &Reply) -> Option<String> {
    let body: Value = serde_json::from_slice(&reply.body).ok()?;
    let code = body.get("appStatusCode").and_then(Value::as_str);
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty());
    let text = match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code.to_string(),
        (None, Some(message)) => message.to_string(),
        (None, None) => return None,
    };
    Some(http.scrub(&text))
}

fn app_status(reply: &Reply) -> Option<String> {
    serde_json::from_slice::<Value>(&reply.body)
        .ok()?
        .get("appStatusCode")?
        .as_str()
        .map(str::to_string)
}

/// An error naming AppViewX's code and message, with what it means for the user; `dashboard` is
/// the dashboard the call was about, if any.
fn failure(http: &HttpClient, reply: &Reply, doing: &str, dashboard: &str) -> Error {
    let vendor_said = said(http, reply)
        .map(|m| format!(" (AppViewX said {m})"))
        .unwrap_or_default();
    match app_status(reply).as_deref() {
        Some("ADC_DASH_0045") => Error::not_found(
            Thing::Dashboard,
            dashboard,
            format!(
                "AppViewX has no dashboard named '{dashboard}'{vendor_said}; names are matched exactly, \
             so check the spelling and case. Nothing was changed"
            ),
        ),
        Some("ADC_DASH_0051") => Error::invalid(format!(
            "'{dashboard}' is not a valid AppViewX dashboard name{vendor_said}. Nothing was changed"
        )),
        Some("ADC_DASH_0048") => Error::PermissionDenied(format!(
            "the AppViewX account has no permission on dashboard '{dashboard}'{vendor_said}; ask an \
             AppViewX administrator to grant it. Nothing was changed"
        )),
        _ if reply.status == StatusCode::UNAUTHORIZED => Error::Auth(format!(
            "AppViewX refused the session while {doing} (401){vendor_said}; check the profile's credentials"
        )),
        _ => {
            let message = format!(
                "AppViewX answered {} while {doing}{vendor_said}",
                reply.status.as_u16()
            );
            if reply.status == StatusCode::FORBIDDEN {
                Error::PermissionDenied(message)
            } else {
                Error::remote(message)
            }
        }
    }
}

#[async_trait]
impl ShareProvider for AppViewX {
    fn vendor(&self) -> Vendor {
        Vendor::Appviewx
    }

    async fn check(&self) -> Result<Identity> {
        self.session.ensure_logged_in().await?;
        Ok(Identity {
            user: self.username.clone(),
            detail: Some(format!(
                "session opened with gwsource={}{}",
                self.gateway.source,
                if self.gateway.key.is_some() {
                    " and the profile's gwkey"
                } else {
                    ""
                }
            )),
        })
    }

    /// AppViewX addresses dashboards by name: any value is a name, taken as written.
    async fn find_dashboard(&self, reference: &str) -> Result<Dashboard> {
        let name = reference.trim();
        if name.is_empty() {
            return Err(Error::invalid("the dashboard name is empty"));
        }
        Ok(Dashboard {
            id: name.to_string(),
            title: Some(name.to_string()),
        })
    }

    fn seen_names(&self, kind: PrincipalKind) -> Vec<String> {
        match kind {
            PrincipalKind::Group => self
                .seen
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
            _ => Vec::new(),
        }
    }

    /// The group search (`find_group`'s) with `search` as its `filterValue`, every page read;
    /// an empty one for no search, which AppViewX documents no meaning for (README lists it).
    /// Groups travel by name: the name is the id.
    async fn principals(&self, kind: PrincipalKind, search: Option<&str>) -> Result<Vec<Named>> {
        if kind != PrincipalKind::Group {
            return Err(self.unsupported(&format!(
                "shares with user groups only, and lists no {kind}s"
            )));
        }
        let mut progress = paging::Progress::new();
        loop {
            let start = u32::try_from(progress.read() + 1).unwrap_or(u32::MAX);
            let page = self.search_groups(search.unwrap_or(""), start).await?;
            if !progress.take(page)? {
                break;
            }
        }
        let named = names_of(progress.rows()).into_iter().map(|name| Named {
            id: name.clone(),
            name,
            display_name: None,
            active: None,
        });
        Ok(super::searched(named.collect(), search))
    }

    /// Groups travel by name, but each is first found with the group search: the update replaces
    /// the complete lists, so a misspelt group would silently take every other group's access.
    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>> {
        match principal {
            Principal::Group(name) => Ok(self.find_group(name).await?.map(|found| Resolved {
                principal: principal.clone(),
                key: ShareKey::new(PrincipalKind::Group, found),
            })),
            _ => Err(Error::NotSupported(format!(
                "appviewx dashboards are shared with user groups only, not with {}",
                principal.kind()
            ))),
        }
    }

    async fn replace_shares(&self, dashboard: &Dashboard, shares: &ShareSet) -> Result<()> {
        let mut lists = GroupLists {
            read_user_groups: Vec::new(),
            read_write_user_groups: Vec::new(),
        };
        for share in shares.iter() {
            match (share.key.kind, share.level) {
                (PrincipalKind::Group, Level::Access(Access::View)) => {
                    lists.read_user_groups.push(share.key.id.as_str());
                }
                (PrincipalKind::Group, Level::Access(Access::Edit)) => {
                    lists.read_write_user_groups.push(share.key.id.as_str());
                }
                _ => {
                    return Err(self.unsupported(&format!(
                        "shares dashboards only with groups at view or edit, not {} '{}' at {}",
                        share.key.kind, share.key.id, share.level
                    )));
                }
            }
        }
        let http = self.session.http();
        let request = http
            .request(
                Method::PUT,
                &["avxapi", "dashboard-share-usergroupdetails-update"],
            )
            .query(&[("name", dashboard.id.as_str())])
            .query(&self.gateway.query())
            .json(&json!({ "payload": lists }));
        // The update carries the complete lists, so sending it again gives the same result.
        let reply = self.session.send(request, true).await?;
        if !reply.is_success() || app_status(&reply).is_some() {
            return Err(failure(
                http,
                &reply,
                &format!("sharing dashboard '{}'", dashboard.id),
                &dashboard.id,
            ));
        }
        Ok(())
    }
}
