//! ECI (EnergyCAP v3): a fixed `ECI-ApiKey` header and `Content-Type: application/json` on every
//! request; principals looked up many at a time with quoted `filter`s (`email one of 'a'|'b'`),
//! or, where a server refuses or ignores those undocumented filters, matched in the endpoint's
//! paged listing; read → PUT (replaces the users, the groups and the everyone flag at once).
//! One access level only. Answers are read under the keys of EnergyCAP's SDK models (see `wire.rs`).

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
use super::{Dashboard, DashboardSummary, Identity, Named, Resolved, ShareProvider, Snapshot};
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

/// The list endpoints principals are looked up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Endpoint {
    User,
    UserGroup,
}

impl Endpoint {
    const ALL: [Endpoint; 2] = [Endpoint::User, Endpoint::UserGroup];

    fn resource(self) -> &'static str {
        match self {
            Endpoint::User => "user",
            Endpoint::UserGroup => "userGroup",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Endpoint::User => "user",
            Endpoint::UserGroup => "group",
        }
    }
}

/// One way of looking a principal up: the list endpoint, the filter field it is sent as, and the
/// answer key the value is compared with (they differ: `systemUserCode` filters `userCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Search {
    endpoint: Endpoint,
    filter: &'static str,
    answer: &'static [&'static str],
    id: &'static [&'static str],
    by: &'static str,
}

impl Search {
    fn what(self) -> &'static str {
        self.endpoint.what()
    }

    /// The (value, id) pairs of `rows` (answered by `target`) for this search.
    fn candidates(self, target: &str, rows: &[Value]) -> Candidates {
        let mut found = lookup::candidates(target, rows, self.answer, self.id);
        if self.endpoint == Endpoint::User {
            found.misread = found.misread.map(|err| err.and_then_say(RESTRICTED_USERS));
        }
        found
    }
}

const BY_EMAIL: Search = Search {
    endpoint: Endpoint::User,
    filter: wire::FILTER_EMAIL,
    answer: wire::USER_EMAIL,
    id: wire::USER_ID,
    by: "email",
};
const BY_USER_CODE: Search = Search {
    endpoint: Endpoint::User,
    filter: wire::FILTER_USER_CODE,
    answer: wire::USER_CODE,
    id: wire::USER_ID,
    by: "user code",
};
const BY_USER_ID: Search = Search {
    endpoint: Endpoint::User,
    filter: wire::FILTER_USER_ID,
    answer: wire::USER_ID,
    id: wire::USER_ID,
    by: "id",
};
const BY_GROUP_NAME: Search = Search {
    endpoint: Endpoint::UserGroup,
    filter: wire::FILTER_GROUP_NAME,
    answer: wire::GROUP_NAME,
    id: wire::GROUP_ID,
    by: "name",
};
const BY_GROUP_ID: Search = Search {
    endpoint: Endpoint::UserGroup,
    filter: wire::FILTER_GROUP_ID,
    answer: wire::GROUP_ID,
    id: wire::GROUP_ID,
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

impl<'a> Chunk<'a> {
    /// Each (search, value) the chunk asks for.
    fn asked(&self) -> impl Iterator<Item = (Search, &'a str)> + '_ {
        self.values.iter().map(|value| (self.search, *value))
    }

    /// Whether every row of an answer is one the filter asked for, compared without regard to
    /// case as the server's own filter would. A server that ignores a filter answers rows it
    /// excludes; a row without the compared key cannot tell, and `lookup::candidates` reports it.
    fn covers(&self, rows: &[Value]) -> bool {
        rows.iter().all(|row| {
            let value =
                shape::text(row, self.search.answer).or_else(|| shape::id(row, self.search.answer));
            value.is_none_or(|value| {
                self.values
                    .iter()
                    .any(|asked| same_ignoring_case(asked, &value))
            })
        })
    }
}

fn same_ignoring_case(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b) || a.to_lowercase() == b.to_lowercase()
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

/// Why a filtered look-up's answer cannot be used. EnergyCAP documents no identity filter field
/// (NOTES.md, Corrections 2026-12-07: "EnergyCAP filter fields are undocumented"), so a server
/// may refuse the filter or ignore it; either way the endpoint's listing still answers.
#[derive(Debug)]
enum Failed {
    /// The server refused the filter (400 or 422), most likely a field it does not take.
    Refused {
        target: String,
        status: u16,
        said: Option<String>,
    },
    /// The server answered rows the filter excludes: it ignored the filter.
    Ignored { target: String },
    /// The look-up failed otherwise, and so do the principals it carried.
    Error(Error),
}

impl From<Error> for Failed {
    fn from(error: Error) -> Self {
        Failed::Error(error)
    }
}

impl Failed {
    /// Why the endpoint's filters are given up on, and the request that showed it; `None` for a
    /// failure that a listing would not get past.
    fn given_up(&self, search: Search) -> Option<(String, &str)> {
        let field = search.filter;
        match self {
            Failed::Refused {
                target,
                status,
                said,
            } => Some((
                format!(
                    "the server refused the {field} filter ({status}{})",
                    said.as_deref()
                        .map(|said| format!(": {said}"))
                        .unwrap_or_default()
                ),
                target,
            )),
            Failed::Ignored { target } => Some((
                format!(
                    "the server ignored the {field} filter (its answer held {}s not asked for)",
                    search.what()
                ),
                target,
            )),
            Failed::Error(_) => None,
        }
    }

    /// The error of a listing that carried no filter, which only `Failed::Error` can be.
    fn into_error(self) -> Error {
        match self {
            Failed::Error(error) => error,
            Failed::Refused { target, status, .. } => {
                Error::remote(format!("{target} was refused ({status})"))
            }
            Failed::Ignored { target } => {
                Error::remote(format!("{target} answered rows that were not asked for"))
            }
        }
    }
}

/// What one look-up request answered.
type Answer = std::result::Result<Candidates, Failed>;

/// What each (search, value) names: an id, nobody, or why that cannot be said.
type Found<'a> = HashMap<(Search, &'a str), Result<Option<String>>>;

/// An endpoint whose filters were refused or ignored: why (said once), and its whole listing,
/// read once and matched for every later look-up there in the run, no filter sent there again.
#[derive(Default)]
struct Fallback {
    why: std::sync::OnceLock<String>,
    listing: OnceCell<Result<paging::Listing>>,
}

/// A listing's candidates for one search, by value without regard to ASCII case, so that each
/// name is matched against its few namesakes rather than against every row.
struct Index {
    by_value: HashMap<String, Vec<(String, String)>>,
    misread: Option<Error>,
    inactive: std::collections::HashSet<String>,
}

impl Index {
    fn of(listing: &paging::Listing, search: Search) -> Self {
        let found = search.candidates(&listing.target, &listing.rows);
        let mut by_value: HashMap<String, Vec<(String, String)>> = HashMap::new();
        for pair in found.pairs {
            by_value
                .entry(pair.0.to_ascii_lowercase())
                .or_default()
                .push(pair);
        }
        Index {
            by_value,
            misread: found.misread,
            inactive: found.inactive,
        }
    }

    /// The one row `name` names exactly (`Candidates::pick`: ambiguity is an error, and a row not
    /// understood makes "nobody" not understood).
    fn pick(&self, name: &str, search: Search) -> Result<Option<String>> {
        let namesakes = Candidates {
            pairs: self
                .by_value
                .get(&name.to_ascii_lowercase())
                .cloned()
                .unwrap_or_default(),
            misread: self.misread.clone(),
            inactive: self.inactive.clone(),
        };
        namesakes.pick(name, search.what(), "eci")
    }
}

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
    users: Fallback,
    groups: Fallback,
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
            users: Fallback::default(),
            groups: Fallback::default(),
        })
    }

    fn http(&self) -> &HttpClient {
        self.session.http()
    }

    fn fallback(&self, endpoint: Endpoint) -> &Fallback {
        match endpoint {
            Endpoint::User => &self.users,
            Endpoint::UserGroup => &self.groups,
        }
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
    /// has told, the rest are asked for a few at a time). With `asked`, the query carries its
    /// filter: a 400 or 422 is that filter refused, and a page holding a row it excludes is the
    /// filter ignored; both stop the paging at once.
    async fn all_pages(
        &self,
        segments: &[&str],
        query: &[(&str, &str)],
        doing: &str,
        asked: Option<&Chunk<'_>>,
    ) -> std::result::Result<paging::Listing, Failed> {
        paging::by_number(
            |page| async move {
                let number = page.to_string();
                let mut paged = query.to_vec();
                paged.extend([("pageSize", PAGE_SIZE), ("pageNumber", number.as_str())]);
                let reply = self.get(segments, &paged).await?;
                let refused = matches!(
                    reply.status,
                    StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
                );
                if asked.is_some() && refused {
                    return Err(Failed::Refused {
                        status: reply.status.as_u16(),
                        said: ERRORS.message(self.http(), &reply),
                        target: reply.target,
                    });
                }
                let reply = ERRORS.ensure_success(self.http(), reply, doing)?;
                let body: Value = reply.json()?;
                let rows = shape::require_items(&reply.target, &body, &[])?.to_vec();
                if asked.is_some_and(|chunk| !chunk.covers(&rows)) {
                    return Err(Failed::Ignored {
                        target: reply.target,
                    });
                }
                let total = total_of(&reply);
                Ok::<_, Failed>(Page::numbered(reply.target, rows, total, PAGE_ROWS))
            },
            paging::PAGE_WIDTH,
        )
        .await
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
        let listing = self
            .all_pages(&["api", "v3", "dashboard"], &[], "listing dashboards", None)
            .await
            .map_err(Failed::into_error)?;
        listing
            .rows
            .iter()
            .map(|row| {
                Ok(Listed {
                    id: shape::require_id(&listing.target, row, wire::DASHBOARD_ID)?,
                    title: shape::require_text(&listing.target, row, wire::DASHBOARD_TITLE)?,
                })
            })
            .collect()
    }

    /// One look-up request: the (value, id) pairs of the rows it answered. A row without an id key,
    /// or without the key the values are compared with, was found but not understood.
    async fn look_up(&self, chunk: &Chunk<'_>) -> Answer {
        let search = chunk.search;
        let doing = match chunk.values.as_slice() {
            [only] => format!("looking up {} '{only}'", search.what()),
            several => format!(
                "looking up {} {}s by {}",
                several.len(),
                search.what(),
                search.by
            ),
        };
        let filter = wire::one_of(search.filter, &chunk.values);
        let listing = self
            .all_pages(
                &["api", "v3", search.endpoint.resource()],
                &[("filter", filter.as_str())],
                &doing,
                Some(chunk),
            )
            .await?;
        Ok(search.candidates(&listing.target, &listing.rows))
    }

    /// What each wanted (search, value) names. Each endpoint's first chunk goes alone, as a
    /// probe, and the others follow together only once it was honoured, so a server that
    /// refuses or ignores the filters costs one request before its listing is read rather than
    /// one per chunk. A chunk refused or ignored is answered from the listing, as is every
    /// look-up of an endpoint that fell back earlier in the run.
    async fn found<'a>(&self, wanted: &[(Search, Vec<&'a str>)], width: usize) -> Found<'a> {
        let mut found = Found::new();
        let mut unfiltered: Vec<(Search, &'a str)> = Vec::new();
        let mut probes = Vec::new();
        let mut rest = Vec::new();
        for endpoint in Endpoint::ALL {
            let theirs: Vec<(Search, Vec<&'a str>)> = wanted
                .iter()
                .filter(|(search, _)| search.endpoint == endpoint)
                .cloned()
                .collect();
            if theirs.is_empty() {
                continue;
            }
            if let Some(why) = self.fallback(endpoint).why.get() {
                tracing::debug!(
                    "{} look-ups: matching the listing read earlier in this run ({why})",
                    endpoint.what()
                );
                for (search, values) in &theirs {
                    unfiltered.extend(values.iter().map(|value| (*search, *value)));
                }
                continue;
            }
            let mut chunks = chunks(&theirs).into_iter();
            probes.extend(chunks.next());
            let others: Vec<Chunk<'a>> = chunks.collect();
            tracing::debug!(
                "{} look-ups: by filter, in {} request(s), the first alone to see whether the \
                 server honours the filter",
                endpoint.what(),
                others.len() + 1
            );
            rest.push((endpoint, others));
        }
        let probed = self.answer_all(probes, width).await;
        self.settle(probed, &mut found, &mut unfiltered);
        let mut next = Vec::new();
        for (endpoint, others) in rest {
            if self.fallback(endpoint).why.get().is_some() {
                unfiltered.extend(others.iter().flat_map(Chunk::asked));
            } else {
                next.extend(others);
            }
        }
        let answered = self.answer_all(next, width).await;
        self.settle(answered, &mut found, &mut unfiltered);
        self.match_listings(&unfiltered, &mut found).await;
        found
    }

    /// Records what each chunk answered; a chunk refused or ignored gives its endpoint up to its
    /// listing, and its values join `unfiltered`.
    fn settle<'a>(
        &self,
        answers: Vec<(Chunk<'a>, Answer)>,
        found: &mut Found<'a>,
        unfiltered: &mut Vec<(Search, &'a str)>,
    ) {
        for (chunk, answer) in answers {
            let search = chunk.search;
            match answer {
                Ok(candidates) => {
                    for (search, value) in chunk.asked() {
                        found.insert(
                            (search, value),
                            candidates.pick(value, search.what(), "eci"),
                        );
                    }
                }
                Err(Failed::Error(error)) => {
                    for asked in chunk.asked() {
                        found.insert(asked, Err(error.clone()));
                    }
                }
                Err(failed) => {
                    if let Some((why, target)) = failed.given_up(search) {
                        self.give_up(search.endpoint, why, target);
                    }
                    unfiltered.extend(chunk.asked());
                }
            }
        }
    }

    /// Stops filtering on `endpoint` for the rest of the run, saying why once.
    fn give_up(&self, endpoint: Endpoint, why: String, target: &str) {
        let what = endpoint.what();
        self.http().note_exchange(
            target,
            &format!("filter not used: the {what} listing is matched instead"),
        );
        if self.fallback(endpoint).why.set(why.clone()).is_ok() {
            tracing::info!(
                "{what} look-ups: {why}; matching every row of the {what} listing instead"
            );
        }
    }

    /// Answers the `unfiltered` look-ups from their endpoints' listings, each read once per run.
    async fn match_listings<'a>(&self, unfiltered: &[(Search, &'a str)], found: &mut Found<'a>) {
        let needed = |endpoint: Endpoint| unfiltered.iter().any(|(s, _)| s.endpoint == endpoint);
        let listed = |endpoint: Endpoint| async move {
            match needed(endpoint) {
                true => Some(self.listed(endpoint).await),
                false => None,
            }
        };
        let (users, groups) = futures::join!(listed(Endpoint::User), listed(Endpoint::UserGroup));
        let mut indexes: HashMap<Search, Index> = HashMap::new();
        for (search, value) in unfiltered {
            let listing = match search.endpoint {
                Endpoint::User => &users,
                Endpoint::UserGroup => &groups,
            };
            let answer = match listing {
                Some(Ok(listing)) => indexes
                    .entry(*search)
                    .or_insert_with(|| Index::of(listing, *search))
                    .pick(value, *search),
                Some(Err(error)) => Err(error.clone()),
                None => Err(Error::remote(format!(
                    "{} '{value}' was never looked up",
                    search.what()
                ))),
            };
            found.insert((*search, *value), answer);
        }
    }

    /// Every row of `endpoint`, read on first use (no filter, `pageSize` 1000) and kept for the
    /// run; a listing that failed fails every look-up there in the same words.
    async fn listed(&self, endpoint: Endpoint) -> Result<&paging::Listing> {
        let fallback = self.fallback(endpoint);
        let listing = fallback
            .listing
            .get_or_init(|| async {
                let what = endpoint.what();
                let listing = self
                    .all_pages(
                        &["api", "v3", endpoint.resource()],
                        &[],
                        &format!("listing {what}s"),
                        None,
                    )
                    .await
                    .map_err(Failed::into_error)?;
                let why = fallback
                    .why
                    .get()
                    .map_or("its filters were not used", String::as_str);
                self.http().note_exchange(
                    &listing.target,
                    &format!("the {what} listing, matched row by row instead: {why}"),
                );
                tracing::debug!("{what} listing: {} rows", listing.rows.len());
                Ok(listing)
            })
            .await;
        listing.as_ref().map_err(Clone::clone)
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
/// Where a kind's principals are listed, the keys that name a row (the first found), and the
/// key of its id: a user by email, else user code; a group by name.
type PeopleListing = (
    Endpoint,
    &'static [&'static [&'static str]],
    &'static [&'static str],
);

fn listing_of(kind: PrincipalKind) -> Option<PeopleListing> {
    match kind {
        PrincipalKind::User => Some((
            Endpoint::User,
            &[wire::USER_EMAIL, wire::USER_CODE],
            wire::USER_ID,
        )),
        PrincipalKind::Group => Some((Endpoint::UserGroup, &[wire::GROUP_NAME], wire::GROUP_ID)),
        PrincipalKind::Everyone => None,
    }
}

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

    /// The names of the endpoint's listing, where a look-up read it instead of a filter.
    fn seen_names(&self, kind: PrincipalKind) -> Vec<String> {
        let Some((endpoint, keys, _)) = listing_of(kind) else {
            return Vec::new();
        };
        let Some(Ok(listing)) = self.fallback(endpoint).listing.get() else {
            return Vec::new();
        };
        (listing.rows.iter())
            .flat_map(|row| keys.iter().filter_map(|key| shape::text(row, key)))
            .collect()
    }

    /// Every row of `GET /api/v3/user` or `/api/v3/userGroup` (SDK `get_users`,
    /// `get_user_groups`), paged and kept for the run like the listing look-ups fall back to; the
    /// rows are searched here, since EnergyCAP documents no text filter on either (NOTES.md). A
    /// user is named by email, else user code (`fullName` beside it); a row without an id or a
    /// name is not understood, never left out.
    async fn principals(&self, kind: PrincipalKind, search: Option<&str>) -> Result<Vec<Named>> {
        let Some((endpoint, names, id_keys)) = listing_of(kind) else {
            return Err(self.unsupported("lists no everyone"));
        };
        let listing = self.listed(endpoint).await?;
        let mut named = Vec::new();
        for row in &listing.rows {
            let name = names.iter().find_map(|keys| shape::text(row, keys));
            let (Some(id), Some(name)) = (shape::id(row, id_keys), name) else {
                let looked_for: Vec<&str> = [&[id_keys][..], names].concat().concat();
                let err = shape::not_understood(&listing.target, &looked_for, row);
                return Err(match kind {
                    PrincipalKind::User => err.and_then_say(RESTRICTED_USERS),
                    _ => err,
                });
            };
            named.push(Named {
                name,
                id,
                display_name: shape::text(row, wire::USER_FULL_NAME),
                active: shape::flag(row, &["active"]),
            });
        }
        Ok(super::searched(named, search))
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
    /// `email one of 'a@x.com'|'b@x.com'`), or from the endpoint's listing where the server
    /// refuses or ignores the filter (see `found`). Each value is still matched exactly here, and
    /// a look-up that fails or finds two principals fails only the principals it concerns.
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
        let found = self.found(&wanted, width).await;
        let find = |search: Search, name: &str| -> Result<Option<String>> {
            found.get(&(search, name)).cloned().unwrap_or_else(|| {
                Err(Error::remote(format!(
                    "{} '{name}' was never looked up",
                    search.what()
                )))
            })
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
                let id = one_of(name, by_name.what(), named, numbered)?;
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

    /// An answer holding a row whose compared value is none of those asked for (in any case)
    /// was not filtered; a row without the compared key cannot tell either way.
    #[test]
    fn a_chunk_covers_only_rows_it_asked_for() {
        let chunk = Chunk {
            search: BY_EMAIL,
            values: vec!["a@x.com", "b@x.com"],
        };
        let asked = [
            json!({"userId": 1, "email": "A@X.com"}),
            json!({"userId": 9}),
        ];
        assert!(chunk.covers(&asked));
        assert!(!chunk.covers(&[json!({"userId": 3, "email": "c@x.com"})]));
        let ids = Chunk {
            search: BY_USER_ID,
            values: vec!["42"],
        };
        assert!(ids.covers(&[json!({"userId": 42})]));
        assert!(!ids.covers(&[json!({"userId": 42}), json!({"userId": 43})]));
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
