//! Emulator fidelity: the sandbox's emulators, spoken to directly, behave as their vendors do.
//!
//! The emulators' own sharp edges, checked with plain HTTP requests and no dashshare code between:
//! a Sisense PATCH replaces the whole list and refuses duplicates and empty ids, ECI refuses a
//! user list beside everyone and a wrong key (and, when its world says so, refuses or ignores the
//! identity filters), sessions die after their uses, AppViewX refuses calls without `gwsource`.

use crate::common::{SISENSE_DASHBOARD, sisense_share_ids, sisense_token};
use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn sisense_patch_replaces_and_refuses_duplicates_and_unknown_ids() {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
        .await
        .unwrap();
    let url = sandbox.url(dashshare::vendor::Vendor::Sisense);
    let client = reqwest::Client::new();
    let token = sisense_token(&client, &url, &sandbox.world()).await;
    let patch = |shares: Value| {
        client
            .patch(format!("{url}/api/v1/dashboards/{SISENSE_DASHBOARD}"))
            .bearer_auth(&token)
            .json(&json!({ "shares": shares }))
            .send()
    };
    let owner = json!({"shareId": "5f0000000000000000000001", "type": "user", "subscribe": true});
    assert_eq!(patch(json!([owner, owner])).await.unwrap().status(), 400);
    assert_eq!(
        patch(json!([{"shareId": "", "type": "user", "rule": "view"}]))
            .await
            .unwrap()
            .status(),
        400
    );
    assert_eq!(patch(json!([owner])).await.unwrap().status(), 200);
    assert_eq!(
        sisense_share_ids(&sandbox.world()).len(),
        1,
        "PATCH replaces the whole list"
    );
    let unauthorised = client
        .get(format!("{url}/api/v1/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorised.status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_refuses_lists_beside_everyone_and_bad_keys() {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
        .await
        .unwrap();
    let url = sandbox.url(dashshare::vendor::Vendor::Eci);
    let client = reqwest::Client::new();
    let put = |key: &str, body: Value| {
        client
            .put(format!("{url}/api/v3/dashboard/7/share"))
            .header("ECI-ApiKey", key)
            .json(&body)
            .send()
    };
    let key = sandbox.world().eci.api_key;
    let mixed = json!({"sharedUserGroupIds": [], "sharedUserIds": [5], "sharedWithEveryone": true});
    assert_eq!(put(&key, mixed.clone()).await.unwrap().status(), 400);
    assert_eq!(put("wrong", mixed).await.unwrap().status(), 401);
}

/// NOTES.md, Corrections 2026-12-07, "EnergyCAP filter fields are undocumented … A server may
/// refuse them (400) or ignore them (answer unfiltered)": the two world switches make the ECI
/// emulator such a server, on users and groups alike, and its listing still pages.
#[tokio::test(flavor = "multi_thread")]
async fn eci_can_refuse_or_ignore_the_identity_filters_and_still_pages() {
    for (refuse, ignore) in [(true, false), (false, true)] {
        let mut world = World::seeded();
        world.eci.refuse_identity_filters = refuse;
        world.eci.ignore_identity_filters = ignore;
        let sandbox = Sandbox::start(world, &SandboxOptions::default())
            .await
            .unwrap();
        let url = sandbox.url(dashshare::vendor::Vendor::Eci);
        let key = sandbox.world().eci.api_key;
        let client = reqwest::Client::new();
        let get = |resource: &str, query: Vec<(&str, &str)>| {
            client
                .get(format!("{url}/api/v3/{resource}"))
                .query(&query)
                .header("ECI-ApiKey", &key)
                .header("Content-Type", "application/json")
                .send()
        };
        for (resource, filter, all) in [
            ("user", "email equals 'bob@example.com'", 3),
            ("user", "systemUserCode equals 'BOB'", 3),
            ("user", "systemUserID equals '5'", 3),
            ("userGroup", "userGroupName equals 'Managers'", 2),
            ("userGroup", "userGroupID equals '21'", 2),
        ] {
            let answer = get(resource, vec![("filter", filter)]).await.unwrap();
            if refuse {
                assert_eq!(answer.status(), 400, "{filter}");
                let body: Value = answer.json().await.unwrap();
                let field = filter.split(' ').next().unwrap();
                assert!(
                    body["message"].as_str().unwrap().contains(field),
                    "{filter}: {body}"
                );
            } else {
                assert_eq!(answer.status(), 200, "{filter}");
                let rows: Vec<Value> = answer.json().await.unwrap();
                assert_eq!(rows.len(), all, "{filter} answered unfiltered");
            }
        }
        // The listing pages as before: 3 users, 2 a page.
        let page =
            |number: &'static str| get("user", vec![("pageSize", "2"), ("pageNumber", number)]);
        let first = page("1").await.unwrap();
        assert_eq!(first.headers()["TotalPages"], "2");
        assert_eq!(first.headers()["TotalNumberOfRecords"], "3");
        let second: Vec<Value> = page("2").await.unwrap().json().await.unwrap();
        assert_eq!(second.len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_die_after_their_uses() {
    let options = SandboxOptions {
        token_ttl: Some(1),
        ..SandboxOptions::default()
    };
    let sandbox = Sandbox::start(World::seeded(), &options).await.unwrap();
    let url = sandbox.url(dashshare::vendor::Vendor::Sisense);
    let client = reqwest::Client::new();
    let token = sisense_token(&client, &url, &sandbox.world()).await;
    let get = || {
        client
            .get(format!("{url}/api/v1/users"))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(get().await.unwrap().status(), 200);
    assert_eq!(get().await.unwrap().status(), 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_calls_without_gwsource_are_refused() {
    let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
        .await
        .unwrap();
    let url = sandbox.url(dashshare::vendor::Vendor::Appviewx);
    let client = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::POST, "/avxapi/login"),
        (reqwest::Method::POST, "/avxapi/usergroup-search"),
        (
            reqwest::Method::PUT,
            "/avxapi/dashboard-share-usergroupdetails-update?name=Ops%20Board",
        ),
    ] {
        let answer = client
            .request(method, format!("{url}{path}"))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 400, "{path}");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["appStatusCode"], "ADC_GW_0001", "{path}");
    }
}
