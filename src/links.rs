//! Public share links and embeds (mindzie): their settings, the checks made before any request
//! (expiry in the future, well-formed domains), and the `<iframe>` snippet. No I/O here.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Serialize;
use url::Url;

use crate::error::{Error, Result};
use crate::model::when::{self, When};

/// What a link create or update asks for; `None` leaves a setting as it is (update) or at the
/// vendor's default (create).
#[derive(Debug, Default)]
pub struct LinkSettings {
    pub allow_embedding: Option<bool>,
    pub allow_download: Option<bool>,
    pub allow_print: Option<bool>,
    /// `Some(None)`: never expires.
    pub expires: Option<Option<DateTime<Utc>>>,
    pub allowed_domains: Option<Vec<String>>,
    /// `Some(None)`: no password.
    pub password: Option<Option<SecretString>>,
}

impl LinkSettings {
    pub fn is_empty(&self) -> bool {
        self.allow_embedding.is_none()
            && self.allow_download.is_none()
            && self.allow_print.is_none()
            && self.expires.is_none()
            && self.allowed_domains.is_none()
            && self.password.is_none()
    }
}

/// A share link as dashshare reports it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Link {
    pub share_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_url: Option<String>,
    /// ISO-8601 UTC, or `None` when the link does not expire.
    pub expires: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_embedding: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_download: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allow_print: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Usage {
    pub total_views: Option<u64>,
    pub unique_visitors: Option<u64>,
    pub last_accessed: Option<String>,
}

/// The addresses a dashboard can be reached at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DashboardUrls {
    pub embed: Option<String>,
    pub public_embed: Option<String>,
}

/// ISO-8601 UTC as the vendor takes it: `2024-12-31T23:59:59Z`.
pub fn iso_utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `--expires` (a date, through that day in UTC, or a full RFC 3339 instant) or `--expires-in`
/// (`30d`, `12h`, `2w`), read as a timed grant's end is (`model::when`), checked to lie ahead.
pub fn expiry(
    expires: Option<&str>,
    expires_in: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let at = match (expires, expires_in) {
        (Some(_), Some(_)) => {
            return Err(Error::invalid(
                "give either --expires or --expires-in, not both",
            ));
        }
        (Some(text), None) => when::until(text.trim()).map_err(|_| {
            Error::invalid(format!(
                "--expires '{text}' is not a date; write 2026-12-31 (through that day, UTC) or a \
                 full instant such as 2026-12-31T18:00:00+01:00"
            ))
        })?,
        (None, Some(text)) => {
            let span = humantime::parse_duration(text.trim()).map_err(|err| {
                Error::invalid(format!(
                    "--expires-in '{text}' is not a duration ({err}); write it like 30d, 12h or 2w"
                ))
            })?;
            When::After(span)
                .from(now)
                .map_err(|why| Error::invalid(format!("--expires-in '{text}' {why}")))?
        }
        (None, None) => return Ok(None),
    };
    if at <= now {
        return Err(Error::invalid(format!(
            "the link would expire at {}, which is not in the future (now: {}); pick a later date",
            iso_utc(at),
            iso_utc(now)
        )));
    }
    Ok(Some(at))
}

/// A domain a link may be embedded on: a bare host name such as `company.com`.
pub fn allowed_domain(text: &str) -> Result<String> {
    let domain = text.trim().trim_end_matches('.').to_lowercase();
    if domain.contains("://") {
        return Err(Error::invalid(format!(
            "--allow-domain '{text}' is a URL; write the bare domain, like company.com"
        )));
    }
    let valid = !domain.is_empty()
        && domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && matches!(url::Host::parse(&domain), Ok(url::Host::Domain(_)));
    if !valid {
        return Err(Error::invalid(format!(
            "--allow-domain '{text}' is not a domain name; write it like company.com (no scheme, port, path or wildcard)"
        )));
    }
    Ok(domain)
}

/// How an embedded dashboard looks; `None` keeps the dashboard's default.
#[derive(Debug, Default, Clone)]
pub struct EmbedOptions {
    pub theme: Option<String>,
    pub toolbar: Option<bool>,
    pub filters: Option<String>,
    pub refresh: Option<String>,
}

/// The embed URL with the chosen parameters added to whatever query it already has (a public
/// embed URL carries its token there).
pub fn embed_url(base: &str, options: &EmbedOptions) -> Result<String> {
    let mut url = Url::parse(base).map_err(|err| {
        Error::remote(format!(
            "the embed URL '{base}' from the server is not a URL: {err}"
        ))
    })?;
    // The snippet goes into someone's page: only a web address may be its source.
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        scheme => {
            return Err(Error::not_understood(format!(
                "the embed URL from the server has the scheme '{scheme}:': dashshare writes an \
                 embed snippet only for https: (or http: on localhost) addresses; nothing was \
                 written"
            )));
        }
    }
    let toolbar = options.toolbar.map(|shown| shown.to_string());
    let parameters = [
        ("theme", options.theme.as_deref()),
        ("toolbar", toolbar.as_deref()),
        ("filters", options.filters.as_deref()),
        ("refresh", options.refresh.as_deref()),
    ];
    for (name, value) in parameters {
        if let Some(value) = value {
            url.query_pairs_mut().append_pair(name, value);
        }
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap()
    }

    #[test]
    fn an_embed_url_must_be_a_web_address() {
        let options = EmbedOptions::default();
        for hostile in [
            "javascript:alert(document.cookie)",
            "data:text/html,<script>alert(1)</script>",
            "http://evil.example/embed",
            "file:///etc/passwd",
        ] {
            let err = embed_url(hostile, &options).unwrap_err();
            let scheme = hostile.split(':').next().unwrap();
            assert!(err.to_string().contains(&format!("'{scheme}:'")), "{err}");
        }
        for fine in ["https://app.mindzie.com/e/1", "http://localhost:8080/e/1"] {
            assert!(embed_url(fine, &options).is_ok(), "{fine}");
        }
    }

    #[test]
    fn a_date_means_through_that_day_in_utc() {
        let at = expiry(Some("2026-12-31"), None, now()).unwrap().unwrap();
        assert_eq!(iso_utc(at), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn an_instant_with_an_offset_is_converted_to_utc() {
        let at = expiry(Some("2026-12-31T18:00:00+02:00"), None, now())
            .unwrap()
            .unwrap();
        assert_eq!(iso_utc(at), "2026-12-31T16:00:00Z");
    }

    #[test]
    fn a_duration_counts_from_now() {
        let at = expiry(None, Some("30d"), now()).unwrap().unwrap();
        assert_eq!(iso_utc(at), "2026-12-23T12:00:00Z");
    }

    #[test]
    fn past_and_malformed_dates_are_refused_naming_the_value() {
        let past = expiry(Some("2020-01-01"), None, now()).unwrap_err();
        assert!(past.to_string().contains("not in the future"), "{past}");
        let bad = expiry(Some("31/12/2026"), None, now()).unwrap_err();
        assert!(bad.to_string().contains("'31/12/2026'"), "{bad}");
        let bad = expiry(None, Some("a month"), now()).unwrap_err();
        assert!(bad.to_string().contains("'a month'"), "{bad}");
        assert!(expiry(Some("2027-01-01"), Some("1d"), now()).is_err());
    }

    #[test]
    fn domains_are_bare_host_names() {
        assert_eq!(allowed_domain("Company.COM").unwrap(), "company.com");
        for bad in [
            "https://company.com",
            "company",
            "*.company.com",
            "company.com:443",
            "a b.com",
            "company.com/x",
            "",
        ] {
            assert!(allowed_domain(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn embed_parameters_are_appended_after_an_existing_token() {
        let options = EmbedOptions {
            theme: Some("dark".into()),
            toolbar: Some(false),
            ..EmbedOptions::default()
        };
        assert_eq!(
            embed_url(
                "https://m.example.com/public/embed/dashboard/d?token=abc",
                &options
            )
            .unwrap(),
            "https://m.example.com/public/embed/dashboard/d?token=abc&theme=dark&toolbar=false"
        );
        assert_eq!(
            embed_url(
                "https://m.example.com/embed/dashboard/d",
                &EmbedOptions::default()
            )
            .unwrap(),
            "https://m.example.com/embed/dashboard/d"
        );
    }
}
