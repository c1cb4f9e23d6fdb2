//! mindzieStudio wire types for share links and dashboard URLs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::links::{Link, Usage};

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

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareAnswer {
    pub share_id: Option<String>,
    pub public_url: Option<String>,
    pub embed_url: Option<String>,
    #[serde(default)]
    pub permissions: Value,
    #[serde(default)]
    pub expiration: Value,
    #[serde(default)]
    pub usage: Value,
    pub date_created: Option<String>,
}

impl ShareAnswer {
    pub fn into_link(self) -> Option<Link> {
        let flag = |name: &str| self.permissions.get(name).and_then(Value::as_bool);
        let enabled = self
            .expiration
            .get("enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let expires = self
            .expiration
            .get("expirationDate")
            .and_then(Value::as_str)
            .filter(|_| enabled)
            .map(str::to_string);
        let usage = self.usage.is_object().then(|| Usage {
            total_views: self.usage.get("totalViews").and_then(Value::as_u64),
            unique_visitors: self.usage.get("uniqueVisitors").and_then(Value::as_u64),
            last_accessed: self
                .usage
                .get("lastAccessed")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
        Some(Link {
            allow_embedding: flag("allowEmbedding"),
            allow_download: flag("allowDownload"),
            allow_print: flag("allowPrint"),
            share_id: self.share_id?,
            public_url: self.public_url,
            embed_url: self.embed_url,
            expires,
            usage,
            created: self.date_created,
        })
    }
}

#[derive(Debug, Deserialize)]
pub struct SharesAnswer {
    #[serde(default)]
    pub shares: Vec<ShareAnswer>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UrlsAnswer {
    #[serde(default)]
    pub urls: Urls,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Urls {
    pub embed: Option<String>,
    pub public_embed: Option<String>,
}

/// The items of a dashboard listing page: a bare array, or the first array under a usual key.
pub fn page_items(body: Value) -> Vec<Value> {
    match body {
        Value::Array(items) => items,
        Value::Object(mut object) => ["items", "dashboards", "data", "results"]
            .iter()
            .find_map(|key| match object.remove(*key) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

pub fn text(item: &Value, fields: &[&str]) -> Option<String> {
    fields
        .iter()
        .find_map(|field| item.get(*field).and_then(Value::as_str))
        .map(str::to_string)
}

pub const DASHBOARD_ID: &[&str] = &["dashboardId", "id"];
pub const DASHBOARD_NAME: &[&str] = &["dashboardName", "name", "title"];
