//! Emulator fidelity: the sandbox's emulators, spoken to directly, behave as their vendors do.
//!
//! The emulators' own sharp edges, checked with plain HTTP requests and no dashshare code between:
//! a Sisense PATCH replaces the whole list and refuses duplicates and empty ids, ECI refuses a
//! user list beside everyone and a wrong key, sessions die after their uses, AppViewX refuses calls
//! without `gwsource`.

use common::{SISENSE_DASHBOARD, sisense_share_ids, sisense_token};
use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use serde_json::{Value, json};

mod common;

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
