//! Pins every mindzie request dashshare makes (links and embeds), and how many.

mod common;

use chrono::{TimeZone, Utc};
use common::*;
use dashshare::error::Error;
use dashshare::links::LinkSettings;
use dashshare::providers::{self, Dashboard, LinkProvider};
use secrecy::SecretString;
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const DASH: &str = "550e8400-e29b-41d4-a716-446655440000";

fn provider(server: &MockServer) -> Box<dyn LinkProvider> {
    providers::connect_links(&mindzie_profile(server), &fast_options()).unwrap()
}

fn base() -> String {
    format!("/api/{TENANT}/{PROJECT}/dashboard/{DASH}")
}

fn dashboard() -> Dashboard {
    Dashboard {
        id: DASH.into(),
        title: None,
    }
}

fn created(share_id: &str) -> serde_json::Value {
    json!({
        "shareId": share_id,
        "publicUrl": format!("https://m.example.com/public/dashboard/{DASH}?token={share_id}"),
        "embedUrl": format!("https://m.example.com/public/embed/dashboard/{DASH}?token={share_id}"),
        "permissions": {"allowPublicAccess": true, "allowEmbedding": true, "allowDownload": false, "allowPrint": true},
        "expiration": {"enabled": true, "expirationDate": "2030-12-31T23:59:59Z"},
        "dateCreated": "2026-11-23T10:30:00Z"
    })
}

#[tokio::test]
async fn a_link_is_created_with_its_expiry_domains_and_password() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{}/share", base())))
        .and(header("authorization", format!("Bearer {MINDZIE_TOKEN}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "permissions": {"allowPublicAccess": true, "allowEmbedding": true, "allowDownload": false, "allowPrint": true},
            "expiration": {"enabled": true, "expirationDate": "2030-12-31T23:59:59Z"},
            "accessControl": {"requirePassword": true, "password": "link-pw&1", "allowedDomains": ["company.com", "partner.org"]}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(created("abc123")))
        .expect(1)
        .mount(&server)
        .await;
    let settings = LinkSettings {
        allow_embedding: Some(true),
        allow_download: Some(false),
        allow_print: Some(true),
        expires: Some(Some(
            Utc.with_ymd_and_hms(2030, 12, 31, 23, 59, 59).unwrap(),
        )),
        allowed_domains: Some(vec!["company.com".into(), "partner.org".into()]),
        password: Some(Some(SecretString::from("link-pw&1"))),
    };
    let link = provider(&server)
        .create_link(&dashboard(), &settings)
        .await
        .unwrap();
    assert_eq!(link.share_id, "abc123");
    assert_eq!(link.expires.as_deref(), Some("2030-12-31T23:59:59Z"));
    assert!(link.embed_url.unwrap().contains("/public/embed/"));
}

#[tokio::test]
async fn a_link_without_expiry_or_password_says_so() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("{}/share", base())))
        .and(body_json(json!({
            "permissions": {"allowPublicAccess": true, "allowEmbedding": false, "allowDownload": true, "allowPrint": false},
            "expiration": {"enabled": false},
            "accessControl": {"allowedDomains": []}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(created("x1")))
        .expect(1)
        .mount(&server)
        .await;
    let settings = LinkSettings {
        allow_embedding: Some(false),
        allow_download: Some(true),
        allow_print: Some(false),
        expires: Some(None),
        allowed_domains: Some(vec![]),
        password: None,
    };
    provider(&server)
        .create_link(&dashboard(), &settings)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_timed_out_create_is_not_sent_twice() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(504))
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .create_link(&dashboard(), &LinkSettings::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Remote(_)), "{err:?}");
}

#[tokio::test]
async fn links_are_listed_with_usage() {
    let server = MockServer::start().await;
    let mut share = created("abc123");
    share["usage"] =
        json!({"totalViews": 247, "uniqueVisitors": 89, "lastAccessed": "2026-11-20T14:30:00Z"});
    Mock::given(method("GET"))
        .and(path(format!("{}/shares", base())))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"dashboardId": DASH, "shares": [share]})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let links = provider(&server).list_links(&dashboard()).await.unwrap();
    assert_eq!(links.len(), 1);
    let usage = links[0].usage.as_ref().unwrap();
    assert_eq!(
        (usage.total_views, usage.unique_visitors),
        (Some(247), Some(89))
    );
}

#[tokio::test]
async fn an_update_sends_only_what_changes() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("{}/share/abc123", base())))
        .and(body_json(json!({
            "permissions": {"allowEmbedding": false, "allowDownload": true},
            "expiration": {"enabled": true, "expirationDate": "2031-06-30T23:59:59Z"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(created("abc123")))
        .expect(1)
        .mount(&server)
        .await;
    let settings = LinkSettings {
        allow_embedding: Some(false),
        allow_download: Some(true),
        expires: Some(Some(Utc.with_ymd_and_hms(2031, 6, 30, 23, 59, 59).unwrap())),
        ..LinkSettings::default()
    };
    provider(&server)
        .update_link(&dashboard(), "abc123", &settings)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_revoke_answered_204_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("{}/share/abc123", base())))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server)
        .revoke_link(&dashboard(), "abc123")
        .await
        .unwrap();
}

#[tokio::test]
async fn revoking_an_unknown_link_names_it() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "Share link not found"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = provider(&server)
        .revoke_link(&dashboard(), "nope42")
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Invalid(_)) && err.to_string().contains("'nope42'"),
        "{err}"
    );
}

#[tokio::test]
async fn embed_urls_come_from_the_url_endpoint() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("{}/url", base())))
        .and(query_param("includePublic", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "dashboardId": DASH,
            "urls": {
                "authenticated": "https://m.example.com/dashboard/d",
                "embed": "https://m.example.com/embed/dashboard/d",
                "public": "https://m.example.com/public/dashboard/d?token=t",
                "publicEmbed": "https://m.example.com/public/embed/dashboard/d?token=t"
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let urls = provider(&server).urls(&dashboard(), true).await.unwrap();
    assert_eq!(
        urls.public_embed.as_deref(),
        Some("https://m.example.com/public/embed/dashboard/d?token=t")
    );
}

#[tokio::test]
async fn check_pings_with_the_token_and_a_bad_one_is_an_auth_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/Action/ping/authenticated"))
        .and(header(
            "authorization",
            format!("Bearer {MINDZIE_TOKEN}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!("pong")))
        .expect(1)
        .mount(&server)
        .await;
    provider(&server).check().await.unwrap();

    let refusing = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&refusing)
        .await;
    let err = provider(&refusing).check().await.unwrap_err();
    assert!(
        matches!(err, Error::Auth(_)) && !err.to_string().contains(MINDZIE_TOKEN),
        "{err}"
    );
}

#[tokio::test]
async fn titles_resolve_through_the_paged_listing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/{TENANT}/{PROJECT}/dashboard")))
        .and(query_param("page", "1"))
        .and(query_param("pageSize", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [{"dashboardId": DASH, "name": "Process Performance"}], "totalCount": 1
        })))
        .expect(1)
        .mount(&server)
        .await;
    let found = provider(&server)
        .resolve_dashboard("name:Process Performance")
        .await
        .unwrap();
    assert_eq!(found.id, DASH);
}
