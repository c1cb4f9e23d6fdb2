//! ECI (EnergyCAP v3): a fixed `ECI-ApiKey` header and `Content-Type: application/json` on every
//! request; principals looked up many at a time with quoted `filter`s (`email one of 'a'|'b'`);
//! read → PUT (replaces the users, the groups and the everyone flag at once). One access level
//! only. Answers are read under the keys of EnergyCAP's SDK models (see `wire.rs`).

mod wire;

use std::collections::HashMap;

use async_trait::async_trait;
use futures::StreamExt;
use reqwest::header::{CONTENT_TYPE, HeaderName};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tokio::sync::OnceCell;

use super::answers::{self, VendorErrors};
use super::lookup::{self, Candidates, dashboard_titled, narrowed};
use super::paging::{self, Page, Total};
use super::{Dashboard, DashboardSummary, Identity, Resolved, ShareProvider, Snapshot};
use crate::config::Profile;
use crate::error::{Error, Result, Thing};
use crate::http::{HttpClient, HttpOptions, Reply, secret_header};
use crate::model::{Access, Level, Principal, PrincipalKind, Share, ShareKey, ShareSet};
use crate::session::{Credential, FixedCredential, Session};
use crate::shape;
use crate::vendor::Vendor;

use wire::{ShareAnswer, ShareRequest};

const BY_TITLE: &str = "name:";
/// The largest page the API serves (developer.energycap.com, Paging: `pageSize` at most 1000).
const PAGE_SIZE: &str = "1000";
const PAGE_ROWS: usize = 1000;
/// The most values one `one of` look-up carries…
const CHUNK_VALUES: usize = 40;
/// …and the most characters its filter takes once URL-encoded, so that the whole query stays
/// well inside IIS's default 2048-character query-string limit.
const CHUNK_ENCODED: usize = 1500;
/// What EnergyCAP says of GetUsersV3 (SDK `get_users`): without that permission, users come with
/// fewer fields, which is the likely reason a user answer lacks one dashshare needs.
const RESTRICTED_USERS: &str = "EnergyCAP answers with a restricted set of user fields when the API \
     key's user lacks View permission for Users & Roles";

const ERRORS: VendorErrors = VendorErrors {
    vendor: "ECI",
    unauthorized: "the API key is wrong, or the user who created it lacks the permission this call \
                   needs (sharing needs SharedDashboardsOrMaps Create or DashboardAdministrator Manage)",
    message: |body| answers::message_in(body, &["message", "error", "title"]),
};

/// One way of looking a principal up: the list endpoint, the filter field it is sent as, and the
/// answer key the value is compared with (they differ: `systemUserCode` filters `userCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Search {
    resource: &'static str,
    filter: &'static str,
    answer: &'static [&'static str],
    id: &'static [&'static str],
    what: &'static str,
    by: &'static str,
}

const BY_EMAIL: Search = Search {
    resource: "user",
    filter: wire::FILTER_EMAIL,
    answer: wire::USER_EMAIL,
    id: wire::USER_ID,
    what: "user",
    by: "email",
};
const BY_USER_CODE: Search = Search {
    resource: "user",
    filter: wire::FILTER_USER_CODE,
    answer: wire::USER_CODE,
    id: wire::USER_ID,
    what: "user",
    by: "user code",
};
const BY_USER_ID: Search = Search {
    resource: "user",
    filter: wire::FILTER_USER_ID,
    answer: wire::USER_ID,
    id: wire::USER_ID,
    what: "user",
    by: "id",
};
const BY_GROUP_NAME: Search = Search {
    resource: "userGroup",
    filter: wire::FILTER_GROUP_NAME,
    answer: wire::GROUP_NAME,
    id: wire::GROUP_ID,
    what: "group",
    by: "name",
};
const BY_GROUP_ID: Search = Search {
    resource: "userGroup",
    filter: wire::FILTER_GROUP_ID,
    answer: wire::GROUP_ID,
    id: wire::GROUP_ID,
    what: "group",
    by: "id",
};

/// The searches a principal takes: by name (email, user code or group name), and by id too when
/// the name is a number.
fn searches(principal: &Principal) -> Option<(Search, Option<Search>)> {
    let (by_name, by_id) = match principal {
        Principal::User(name) if name.contains('@') => (BY_EMAIL, BY_USER_ID),
        Principal::User(_) => (BY_USER_CODE, BY_USER_ID),
        Principal::Group(_) => (BY_GROUP_NAME, BY_GROUP_ID),
        Principal::Everyone => return None,
    };
    let numeric = principal.name().parse::<i64>().is_ok();
    Some((by_name, numeric.then_some(by_id)))
}

/// One look-up request: a search and the values it carries.
struct Chunk<'a> {
    search: Search,
    values: Vec<&'a str>,
}

/// Splits each search's values into requests small enough for a URL.
fn chunks<'a>(wanted: &[(Search, Vec<&'a str>)]) -> Vec<Chunk<'a>> {
    let mut chunks = Vec::new();
    for (search, values) in wanted {
        let mut current: Vec<&str> = Vec::new();
        for value in values {
            if wire::needs_own_request(value) {
                chunks.push(Chunk {
                    search: *search,
                    values: vec![value],
                });
                continue;
            }
            let mut grown = current.clone();
            grown.push(value);
            let fits = grown.len() <= CHUNK_VALUES
                && encoded_len(&wire::one_of(search.filter, &grown)) <= CHUNK_ENCODED;
            if !fits && !current.is_empty() {
                chunks.push(Chunk {
                    search: *search,
                    values: std::mem::take(&mut current),
                });
                grown = vec![value];
            }
            current = grown;
        }
        if !current.is_empty() {
            chunks.push(Chunk {
                search: *search,
                values: current,
            });
        }
    }
    chunks
}

fn encoded_len(filter: &str) -> usize {
    url::form_urlencoded::byte_serialize(filter.as_bytes())
        .map(str::len)
        .sum()
}

/// A look-up that failed, and whether the server refused the request itself (400 or 422: a value
/// it would not take), which asking for each value on its own can narrow down to that value.
#[derive(Clone)]
struct Failed {
    error: Error,
    rejected: bool,
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed {
            error,
            rejected: false,
        }
    }
}

/// What one look-up request answered.
type Answer = std::result::Result<Candidates, Failed>;

/// A dashboard as the listing gives it.
struct Listed {
    id: String,
    title: String,
}

pub struct Eci {
    session: Session,
    /// The dashboard list, fetched once per run however many titles are looked up in it; a
    /// listing that failed fails every look-up of the run in the same words, without asking again.
    listing: OnceCell<Result<Vec<Listed>>>,
}

pub static CONSTRUCTORS: super::Constructors = super::Constructors {
    share: |profile, options| Ok(Box::new(Eci::new(profile, options)?)),
    links: None,
};

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

    /// A GET. EnergyCAP wants `Content-Type: application/json` on every request, GETs included
    /// (developer.energycap.com, Getting Started: "Required for all requests").
    async fn get(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<Reply> {
        let request = self
            .http()
            .request(Method::GET, segments)
            .header(CONTENT_TYPE, "application/json")
            .query(query);
        self.session.send(request, true).await
    }

    /// Every row of a list endpoint, page by page (`pageSize`, `pageNumber`; the answer headers
    /// `TotalNumberOfRecords` and `TotalPages` say how many there are, and once the first page
    /// has told, the rest are asked for a few at a time), and the first page's target.
    async fn all_pages(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        doing: &str,
    ) -> std::result::Result<(String, Vec<Value>), Failed> {
        let listing = paging::by_number(
            |page| async move {
                let number = page.to_string();
                let mut paged = query.to_vec();
                paged.extend([("pageSize", PAGE_SIZE), ("pageNumber", number.as_str())]);
                let reply = self.get(segments, &paged).await?;
                let rejected = matches!(
                    reply.status,
                    StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
                );
                let reply = ERRORS
                    .ensure_success(self.http(), reply, doing)
                    .map_err(|error| Failed { error, rejected })?;
                let body: Value = reply.json()?;
                let rows = shape::require_items(&reply.target, &body, &[])?.to_vec();
                let total = total_of(&reply);
                Ok::<_, Failed>(Page {
                    // Without the headers, a page short of the largest the API serves is the last.
                    last: total.is_none() && rows.len() < PAGE_ROWS,
                    total,
                    target: reply.target,
                    rows,
                })
            },
            paging::PAGE_WIDTH,
        )
        .await?;
        Ok((listing.target, listing.rows))
    }

    /// Every dashboard the key can see, listed on first use.
    async fn listing(&self) -> Result<&[Listed]> {
        match self.listing.get_or_init(|| self.list_dashboards()).await {
            Ok(listed) => Ok(listed),
            Err(err) => Err(err.clone()),
        }
    }

    /// Every row needs an id and a title (`dashboardInfo`) under a key dashshare knows: a row
    /// without one could be the dashboard a title names, so it is not understood, never skipped.
    async fn list_dashboards(&self) -> Result<Vec<Listed>> {
        let (target, rows) = self
            .all_pages(&["api", "v3", "dashboard"], &[], "listing dashboards")
            .await
            .map_err(|failed| failed.error)?;
        rows.iter()
            .map(|row| {
                Ok(Listed {
                    id: shape::require_id(&target, row, wire::DASHBOARD_ID)?,
                    title: shape::require_text(&target, row, wire::DASHBOARD_TITLE)?,
                })
            })
            .collect()
    }

    /// One look-up request: the (value, id) pairs of the rows it answered. A row without an id key,
    /// or without the key the values are compared with, was found but not understood.
    async fn look_up(&self, chunk: &Chunk<'_>) -> Answer {
        let search = chunk.search;
        let doing = match chunk.values.as_slice() {
            [only] => format!("looking up {} '{only}'", search.what),
            several => format!(
                "looking up {} {}s by {}",
                several.len(),
                search.what,
                search.by
            ),
        };
        let filter = wire::one_of(search.filter, &chunk.values);
        let (target, rows) = self
            .all_pages(
                &["api", "v3", search.resource],
                &[("filter", filter.as_str())],
                &doing,
            )
            .await?;
        let mut found = lookup::candidates(&target, &rows, search.answer, search.id);
        if search.resource == "user" {
            found.misread = found.misread.map(|err| err.and_then_say(RESTRICTED_USERS));
        }
        Ok(found)
    }

    /// Every chunk's answer; a chunk of several values that the server refused (400 or 422) is
    /// asked again one value at a time, so that only the value it would not take fails.
    async fn answers<'a>(&self, chunks: Vec<Chunk<'a>>, width: usize) -> Vec<(Chunk<'a>, Answer)> {
        let first = self.answer_all(chunks, width).await;
        let mut settled = Vec::with_capacity(first.len());
        let mut split = Vec::new();
        for (chunk, answer) in first {
            match answer {
                Err(failed) if failed.rejected && chunk.values.len() > 1 => {
                    tracing::info!(
                        "{}; asking for each of its {} values alone",
                        failed.error,
                        chunk.values.len()
                    );
                    split.extend(chunk.values.into_iter().map(|value| Chunk {
                        search: chunk.search,
                        values: vec![value],
                    }));
                }
                answer => settled.push((chunk, answer)),
            }
        }
        settled.extend(self.answer_all(split, width).await);
        settled
    }

    async fn answer_all<'a>(
        &self,
        chunks: Vec<Chunk<'a>>,
        width: usize,
    ) -> Vec<(Chunk<'a>, Answer)> {
        let lookups: Vec<_> = chunks
            .into_iter()
            .map(|chunk| self.chunk_answer(chunk))
            .collect();
        futures::stream::iter(lookups)
            .buffered(width.max(1))
            .collect()
            .await
    }

    async fn chunk_answer<'a>(&self, chunk: Chunk<'a>) -> (Chunk<'a>, Answer) {
        let answer = self.look_up(&chunk).await;
        (chunk, answer)
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

/// What a page's headers say of the whole listing: `TotalNumberOfRecords` (rows) where given,
/// else `TotalPages` (developer.energycap.com, Paging: "returned in the response headers").
fn total_of(reply: &Reply) -> Option<Total> {
    let header = |name: &str| {
        reply
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok())
    };
    header("TotalNumberOfRecords")
        .map(Total::Rows)
        .or_else(|| header("TotalPages").map(Total::Pages))
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
        let summaries = self.listing().await?.iter().map(|d| DashboardSummary {
            id: d.id.clone(),
            title: d.title.clone(),
            owner: None,
        });
        Ok(narrowed(summaries, search))
    }

    async fn find_dashboard(&self, reference: &str) -> Result<Dashboard> {
        let Some(title) = reference.strip_prefix(BY_TITLE) else {
            return Ok(Dashboard {
                id: dashboard_id(reference)?.to_string(),
                title: None,
            });
        };
        let candidates = self
            .listing()
            .await?
            .iter()
            .map(|d| (d.id.clone(), d.title.clone()));
        dashboard_titled(candidates, title, "eci")
    }

    async fn resolve_principal(&self, principal: &Principal) -> Result<Option<Resolved>> {
        let mut answers = self
            .resolve_principals(std::slice::from_ref(principal), 1)
            .await;
        answers
            .pop()
            .unwrap_or_else(|| Err(Error::remote(format!("{principal} was never looked up"))))
    }

    /// Looks every principal up with `one of` filters, many values per request (Filters page:
    /// `email one of 'a@x.com'|'b@x.com'`). Each value is still matched exactly here, and a look-up
    /// that fails or finds two principals fails only the principals it concerns.
    async fn resolve_principals(
        &self,
        principals: &[Principal],
        width: usize,
    ) -> Vec<Result<Option<Resolved>>> {
        let mut wanted: Vec<(Search, Vec<&str>)> = Vec::new();
        for principal in principals {
            let Some((by_name, by_id)) = searches(principal) else {
                continue;
            };
            for search in std::iter::once(by_name).chain(by_id) {
                let value = principal.name();
                match wanted.iter_mut().find(|(s, _)| *s == search) {
                    Some((_, values)) if values.contains(&value) => {}
                    Some((_, values)) => values.push(value),
                    None => wanted.push((search, vec![value])),
                }
            }
        }
        let answers = self.answers(chunks(&wanted), width).await;
        // Which answer holds each (search, value).
        let mut answer_of: HashMap<(Search, &str), &Answer> = HashMap::new();
        for (chunk, answer) in &answers {
            for value in &chunk.values {
                answer_of.insert((chunk.search, value), answer);
            }
        }
        let find = |search: Search, name: &str| -> Result<Option<String>> {
            match answer_of.get(&(search, name)) {
                Some(Ok(candidates)) => candidates.pick(name, search.what, "eci"),
                Some(Err(failed)) => Err(failed.error.clone()),
                None => Err(Error::remote(format!(
                    "{} '{name}' was never looked up",
                    search.what
                ))),
            }
        };
        principals
            .iter()
            .map(|principal| {
                let Some((by_name, by_id)) = searches(principal) else {
                    return Ok(Some(Resolved {
                        principal: principal.clone(),
                        key: ShareKey::everyone(),
                    }));
                };
                let name = principal.name();
                let named = find(by_name, name)?;
                let numbered = by_id
                    .map(|search| find(search, name))
                    .transpose()?
                    .flatten();
                let id = one_of(name, by_name.what, named, numbered)?;
                Ok(id.map(|id| Resolved {
                    principal: principal.clone(),
                    key: ShareKey::new(principal.kind(), id),
                }))
            })
            .collect()
    }

    async fn read_shares(&self, dashboard: &Dashboard) -> Result<Snapshot> {
        let id = dashboard.id.as_str();
        let reply = self
            .get(&["api", "v3", "dashboard", id, "share"], &[])
            .await?;
        if reply.status == StatusCode::NOT_FOUND {
            return Err(Error::not_found(
                Thing::Dashboard,
                id,
                format!(
                    "eci dashboard '{id}' does not exist or is not visible to this API key; \
                 `dashshare dashboards` lists the ones it can see"
                ),
            ));
        }
        let reply = ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("reading the shares of dashboard '{id}'"),
        )?;
        let answer = ShareAnswer::read(&reply.target, &reply.json()?)?;
        let view = Level::Access(Access::View);
        let mut shares = Vec::new();
        let mut names = HashMap::new();
        let listed = answer
            .users
            .into_iter()
            .map(|user| (PrincipalKind::User, user))
            .chain(
                answer
                    .groups
                    .into_iter()
                    .map(|group| (PrincipalKind::Group, group)),
            );
        for (kind, (id, name)) in listed {
            let key = ShareKey::new(kind, id);
            if let Some(name) = name {
                names.insert(key.clone(), name);
            }
            shares.push(Share { key, level: view });
        }
        if answer.everyone {
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
        // `.json` sets `Content-Type: application/json`, as the docs require.
        let request = self
            .http()
            .request(Method::PUT, &["api", "v3", "dashboard", id, "share"])
            .json(&body);
        // The PUT carries the complete share, so sending it again gives the same result.
        let reply = self.session.send(request, true).await?;
        let reply = ERRORS.ensure_success(
            self.http(),
            reply,
            &format!("writing the shares of dashboard '{id}'"),
        )?;
        // The write is made: what its answer says can only be reported, never fail the run.
        if let Some(kept) = kept_apart(&reply, &body) {
            tracing::warn!("eci dashboard '{id}': {kept}");
        }
        Ok(())
    }
}

/// What the PUT's answer (a ShareResponse, per the SDK's `edit_dashboard_share`) shows the server
/// did not keep of what was sent, if anything; an answer that cannot be read says nothing.
fn kept_apart(reply: &Reply, sent: &ShareRequest) -> Option<String> {
    let body: Value = reply.json().ok()?;
    let answer = ShareAnswer::read(&reply.target, &body).ok()?;
    let missing = |sent: &[i64], kept: &[(String, Option<String>)]| -> Vec<String> {
        sent.iter()
            .map(i64::to_string)
            .filter(|id| !kept.iter().any(|(kept, _)| kept == id))
            .collect()
    };
    let users = missing(&sent.shared_user_ids, &answer.users);
    let groups = missing(&sent.shared_user_group_ids, &answer.groups);
    let everyone = sent.shared_with_everyone && !answer.everyone;
    if users.is_empty() && groups.is_empty() && !everyone {
        return None;
    }
    let mut dropped = Vec::new();
    if !users.is_empty() {
        dropped.push(format!("user ids {}", users.join(", ")));
    }
    if !groups.is_empty() {
        dropped.push(format!("group ids {}", groups.join(", ")));
    }
    if everyone {
        dropped.push("everyone".to_string());
    }
    Some(format!(
        "the server's answer to the share update does not list {} that were sent; \
         `dashshare list` shows what it kept",
        dropped.join(" and ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn reply(body: Value) -> Reply {
        Reply {
            status: StatusCode::OK,
            headers: reqwest::header::HeaderMap::new(),
            body: serde_json::to_vec(&body).unwrap().into(),
            target: "PUT http://eci/api/v3/dashboard/7/share".into(),
        }
    }

    #[test]
    fn a_put_answer_that_drops_a_sent_id_is_reported() {
        let sent = ShareRequest {
            shared_user_group_ids: vec![3],
            shared_user_ids: vec![5, 11],
            shared_with_everyone: false,
        };
        let kept = json!({
            "sharedUsers": [{"userId": 5, "userCode": "BOB", "fullName": "Bob"}],
            "sharedUserGroups": [{"userGroupId": 3, "userGroupName": "Ops"}],
            "sharedWithEveryone": false
        });
        let said = kept_apart(&reply(kept), &sent).unwrap();
        assert!(
            said.contains("user ids 11") && !said.contains("group"),
            "{said}"
        );
        let all = json!({
            "sharedUsers": [{"userId": 5}, {"userId": 11}],
            "sharedUserGroups": [{"userGroupId": 3}],
            "sharedWithEveryone": false
        });
        assert_eq!(kept_apart(&reply(all), &sent), None);
        // An answer that cannot be read says nothing either way.
        assert_eq!(kept_apart(&reply(json!({})), &sent), None);
    }

    #[test]
    fn chunks_hold_at_most_40_values_and_stay_short_enough_for_a_url() {
        let short: Vec<String> = (0..85).map(|n| format!("u{n}@x.com")).collect();
        let long: Vec<String> = (0..10).map(|n| format!("{n}{}", "y".repeat(400))).collect();
        let wanted = vec![
            (BY_EMAIL, short.iter().map(String::as_str).collect()),
            (BY_USER_CODE, long.iter().map(String::as_str).collect()),
            (BY_GROUP_NAME, vec!["a", "b|c", "d"]),
        ];
        let sizes: Vec<(&str, usize)> = chunks(&wanted)
            .iter()
            .map(|c| (c.search.filter, c.values.len()))
            .collect();
        assert_eq!(
            sizes,
            [
                ("email", 40),
                ("email", 40),
                ("email", 5),
                ("systemUserCode", 3),
                ("systemUserCode", 3),
                ("systemUserCode", 3),
                ("systemUserCode", 1),
                ("userGroupName", 1),
                ("userGroupName", 2),
            ]
        );
        for chunk in chunks(&wanted) {
            assert!(
                encoded_len(&wire::one_of(chunk.search.filter, &chunk.values)) <= CHUNK_ENCODED
            );
        }
    }
}
