//! mindzieStudio wire types for share links, and the readers of its answers.
//!
//! Bodies are written camelCase, as mindzie.txt gives them. Answers are read through
//! `crate::shape`, without regard to case: mindzie's official client (mindzie-api 2.0.0,
//! `models/dashboard.py`) and some of its pages spell keys in PascalCase (`Dashboards`,
//! `DashboardId`) and errors as `{"Error": …}`.

use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::links::{DashboardUrls, Link, Usage};
use crate::providers::paging::{Page, Total};
use crate::shape;

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Permissions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_public_access: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_embedding: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_download: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_print: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Expiration {
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<String>,
}

/// `Debug` is written by hand below: this carries a link's password.
#[derive(Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessControl<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub require_password: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_domains: Option<&'a [String]>,
}

impl std::fmt::Debug for AccessControl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessControl")
            .field("require_password", &self.require_password)
            .field("password", &self.password.map(|_| "[redacted]"))
            .field("allowed_domains", &self.allowed_domains)
            .finish()
    }
}

/// A create or update body; an update carries only what changes.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration: Option<Expiration>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_control: Option<AccessControl<'a>>,
}

/// A dashboard row's id: `dashboardId` (current docs; `DashboardId` in the client's model), or `id`.
pub const DASHBOARD_ID: &[&str] = &["dashboardId", "id"];
/// Its title: `name` (current docs and the client's `NamedResource`), `dashboardName` (mindzie.txt).
pub const DASHBOARD_NAME: &[&str] = &["name", "dashboardName", "title"];
/// Where a listing page keeps its rows: `dashboards` (current docs; `Dashboards` in the client).
const LISTING: &[&str] = &["dashboards", "items", "results", "data"];
const SHARE_ID: &[&str] = &["shareId"];

/// One dashboard listing page: its rows, and `totalCount` (current docs: page "until
/// `totalCount` rows are read"; `TotalCount` in the client). A page without a list was not
/// understood: never "no such dashboard".
pub fn listing_page(target: &str, body: &Value, page_size: usize) -> Result<Page> {
    // The response-formats page wraps answers in `data`; the dashboard pages do not.
    let inner = shape::field(body, &["data"])
        .filter(|data| data.is_object())
        .unwrap_or(body);
    let rows = shape::require_items(target, inner, LISTING)?.to_vec();
    let total = shape::integer(inner, &["totalCount"])
        .and_then(|total| u64::try_from(total).ok())
        .map(Total::Rows);
    Ok(Page::numbered(target.to_string(), rows, total, page_size))
}

/// A listed dashboard as (id, title). A row without an id or title key dashshare knows was not
/// understood: it could be the dashboard a title names.
pub fn dashboard_row(target: &str, row: &Value) -> Result<(String, String)> {
    Ok((
        shape::require_id(target, row, DASHBOARD_ID)?,
        shape::require_text(target, row, DASHBOARD_NAME)?,
    ))
}

/// A share link from a create, update or list answer (mindzie.txt's link object).
pub fn link(item: &Value) -> Option<Link> {
    let share_id = shape::id(item, SHARE_ID)?;
    let section = |name: &str| shape::field(item, &[name]).cloned().unwrap_or(Value::Null);
    let permissions = section("permissions");
    let expiration = section("expiration");
    let usage = section("usage");
    let enabled = shape::flag(&expiration, &["enabled"]).unwrap_or(true);
    let expires = shape::text(&expiration, &["expirationDate"]).filter(|_| enabled);
    let count = |name: &str| shape::integer(&usage, &[name]).and_then(|n| u64::try_from(n).ok());
    Some(Link {
        share_id,
        public_url: shape::text(item, &["publicUrl"]),
        embed_url: shape::text(item, &["embedUrl"]),
        expires,
        allow_embedding: shape::flag(&permissions, &["allowEmbedding"]),
        allow_download: shape::flag(&permissions, &["allowDownload"]),
        allow_print: shape::flag(&permissions, &["allowPrint"]),
        usage: usage.is_object().then(|| Usage {
            total_views: count("totalViews"),
            unique_visitors: count("uniqueVisitors"),
            last_accessed: shape::text(&usage, &["lastAccessed"]),
        }),
        created: shape::text(item, &["dateCreated"]),
    })
}

/// The links of a `GET …/shares` answer (`{dashboardId, shares: […]}`, or a bare list).
pub fn links(target: &str, body: &Value) -> Result<Vec<Link>> {
    shape::require_items(target, body, &["shares", "items", "data"])?
        .iter()
        .map(|item| link(item).ok_or_else(|| shape::not_understood(target, SHARE_ID, item)))
        .collect()
}

/// The embed URLs of a `GET …/dashboard/{id}/url` answer, in either shape: today's flat
/// `{dashboardId, url, embedUrl}` (docs.mindziestudio.com, dashboard/sharing) or mindzie.txt's
/// `{urls: {authenticated, embed, public, publicEmbed}}`. Only the latter has public URLs.
pub fn urls(target: &str, body: &Value, include_public: bool) -> Result<DashboardUrls> {
    let nested = shape::field(body, &["urls"]).filter(|urls| urls.is_object());
    let embed = shape::text(body, &["embedUrl"])
        .or_else(|| nested.and_then(|urls| shape::text(urls, &["embed"])));
    let public_embed = nested.and_then(|urls| shape::text(urls, &["publicEmbed"]));
    if embed.is_none() && public_embed.is_none() {
        return Err(shape::not_understood(
            target,
            &["embedUrl", "urls.embed", "urls.publicEmbed"],
            body,
        ));
    }
    if include_public && nested.is_none() {
        return Err(Error::NotSupported(format!(
            "this mindzie server does not offer public links: its answer to {target} is the \
             current API's ({}), which has no public URLs, only the signed-in `url` and \
             `embedUrl`; `dashshare embed` without --public gives the latter; nothing was changed",
            shape::keys_seen(body)
        )));
    }
    Ok(DashboardUrls {
        embed,
        public_embed,
    })
}

/// The human message of an error body: `Error` (the current docs' 404 body), `error` (what the
/// official client reads, a string or `{code, message}`), `message`, `title`, `detail`.
pub fn error_message(body: &Value) -> Option<String> {
    crate::providers::answers::message_in(body, &["error", "message", "title", "detail"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn error_messages_are_found_in_any_case_and_nested() {
        let pascal = json!({"Error": "Dashboard not found", "DashboardId": "d"});
        assert_eq!(
            error_message(&pascal).as_deref(),
            Some("Dashboard not found")
        );
        let nested = json!({"error": {"code": "validation_failed", "message": "Bad GUID"}});
        assert_eq!(error_message(&nested).as_deref(), Some("Bad GUID"));
        assert_eq!(
            error_message(&json!({"title": "Not Found", "status": 404})).as_deref(),
            Some("Not Found")
        );
        assert_eq!(error_message(&json!({"status": 404})), None);
    }

    fn rows_of(body: &Value) -> Result<Vec<(String, String)>> {
        listing_page("GET x", body, 100)?
            .rows
            .iter()
            .map(|row| dashboard_row("GET x", row))
            .collect()
    }

    #[test]
    fn a_listing_row_without_an_id_or_a_title_is_not_understood() {
        let err = rows_of(&json!({"Dashboards": [{"Name": "Sales"}]})).unwrap_err();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err}");
        assert!(err.to_string().contains("the keys Name"), "{err}");
        let untitled = json!({"Dashboards": [{"DashboardId": "d1", "DisplayName": "Sales"}]});
        let err = rows_of(&untitled).unwrap_err();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err}");
        assert!(err.to_string().contains("DisplayName"), "{err}");
        let rows =
            rows_of(&json!({"data": {"dashboards": [{"id": "d1", "name": "Sales"}]}})).unwrap();
        assert_eq!(rows, vec![("d1".to_string(), "Sales".to_string())]);
    }

    #[test]
    fn a_listing_page_carries_its_total_in_either_case() {
        let page =
            listing_page("GET x", &json!({"Dashboards": [], "TotalCount": 130}), 100).unwrap();
        assert_eq!(page.total, Some(Total::Rows(130)));
        let page = listing_page("GET x", &json!({"dashboards": []}), 100).unwrap();
        assert_eq!(page.total, None);
    }
}
