//! End to end: the binary against the sandbox and servers on wiremock (`check --deep`).
//!
//! `check --deep`: the read-only probe of a server. Against the sandbox every vendor's answers are
//! understood and nothing is written; against a server that renamed its keys it says which
//! answer it did not understand, with the keys it saw, and exits 1.

use crate::common::{ECI_KEY, SISENSE_DASHBOARD, SandboxHome, dashshare, printed};
use dashshare::vendor::Vendor;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn json_out(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).expect("one JSON document on stdout")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_sandbox_vendor_is_understood_and_nothing_is_written() {
    let run = SandboxHome::start().await;
    for vendor in Vendor::ALL {
        let profile = dashshare::sandbox::Sandbox::profile_name(vendor);
        let mut args = vec!["-o", "json", "check", "--deep"];
        if vendor == Vendor::Sisense {
            args.extend(["--group", "Marketing", "--dashboard", SISENSE_DASHBOARD]);
        }
        let before = run.sandbox.requests(vendor).len();
        let assert = run.run(&profile, &args).await;
        let shown = printed(&assert);
        let assert = assert.success();
        let report = json_out(&assert);
        assert_eq!(report["schema_version"], 1, "{shown}");
        assert_eq!(report["understood"], true, "{vendor}: {shown}");
        let probes = report["probes"].as_array().expect("probes");
        assert!(
            probes.iter().any(|p| p["status"].is_u64()),
            "{vendor}: no request was probed: {shown}"
        );
        for (_, secret) in run.sandbox.secrets() {
            assert!(
                !shown.contains(&secret),
                "{vendor} showed a secret: {shown}"
            );
        }
        // Reads and log-ins only (Vizzly has no read: its key check is an empty PUT).
        let writes: Vec<String> = run.sandbox.requests(vendor)[before..]
            .iter()
            .filter(|r| {
                !r.starts_with("GET")
                    && !r.contains("login")
                    && !r.contains("usergroup-search")
                    && vendor != Vendor::Vizzly
            })
            .cloned()
            .collect();
        assert!(writes.is_empty(), "{vendor} wrote: {writes:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_table_shows_one_row_per_request() {
    let run = SandboxHome::start().await;
    let assert = run
        .run(
            "sandbox-sisense",
            &["check", "--deep", "--dashboard", SISENSE_DASHBOARD],
        )
        .await
        .success();
    let shown = printed(&assert);
    for expected in [
        "UNDERSTOOD",
        "POST /api/v1/authentication/login",
        "GET /api/v1/dashboards",
        &format!("GET /api/shares/dashboard/{SISENSE_DASHBOARD}?adminAccess=true"),
        "every answer was understood",
    ] {
        assert!(shown.contains(expected), "missing {expected:?}: {shown}");
    }
    let rows = shown.lines().filter(|line| line.contains(" yes")).count();
    assert!(rows >= 4, "one row per request: {shown}");
}

/// An ECI server whose user and dashboard rows carry other key names than EnergyCAP's models.
async fn renamed_eci_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/dashboard"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("TotalPages", "1")
                .set_body_json(json!([{"Identifier": 1, "Caption": "Energy"}])),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v3/user"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            {"uid": 7, "mail": "alice@example.com", "login": "ALICE"}
        ])))
        .mount(&server)
        .await;
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn renamed_keys_are_reported_as_not_understood_with_the_keys_seen() {
    let server = renamed_eci_server().await;
    let home = tempfile::TempDir::new().unwrap();
    let assert = dashshare(home.path())
        .env("DASHSHARE_API_KEY", ECI_KEY)
        .args(["--vendor", "eci", "--url", &server.uri()])
        .args([
            "-o",
            "json",
            "check",
            "--deep",
            "--user",
            "alice@example.com",
        ])
        .assert()
        .code(1);
    let shown = printed(&assert);
    assert!(!shown.contains(ECI_KEY), "{shown}");
    let report = json_out(&assert);
    assert_eq!(report["understood"], false, "{shown}");
    let user_probe = report["probes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["url"]
                .as_str()
                .is_some_and(|u| u.contains("/api/v3/user"))
        })
        .unwrap_or_else(|| panic!("no user look-up probed: {shown}"));
    assert_eq!(user_probe["understood"], false, "{shown}");
    let note = user_probe["note"].as_str().unwrap_or_default();
    assert!(note.contains("userId"), "names the key it sought: {note}");
    assert!(note.contains("uid"), "names the keys it saw: {note}");
    assert!(!note.contains("ALICE"), "shows keys, not values: {note}");
    assert!(shown.contains("not understood"), "{shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_key_stops_the_probe_with_the_auth_exit_code() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "bad key"})))
        .expect(1)
        .mount(&server)
        .await;
    let home = tempfile::TempDir::new().unwrap();
    let assert = dashshare(home.path())
        .env("DASHSHARE_API_KEY", ECI_KEY)
        .args(["--vendor", "eci", "--url", &server.uri()])
        .args(["check", "--deep", "--user", "alice@example.com"])
        .assert()
        .code(3);
    let shown = printed(&assert);
    assert!(shown.contains("401"), "{shown}");
    assert!(!shown.contains(ECI_KEY), "{shown}");
}

/// NOTES.md, Corrections 2026-12-07, "EnergyCAP filter fields are undocumented": on a server that
/// refuses or ignores the identity filters, `check --deep` shows the look-up's filter request and,
/// as a row of its own, the listing request matched instead, with a note saying why; both
/// look-ups still succeed.
#[tokio::test(flavor = "multi_thread")]
async fn a_look_up_that_falls_back_to_the_listing_shows_the_listing_as_its_own_row() {
    for (refuse, said) in [(true, "refused"), (false, "ignored")] {
        let mut world = dashshare::sandbox::World::seeded();
        world.eci.refuse_identity_filters = refuse;
        world.eci.ignore_identity_filters = !refuse;
        let run =
            SandboxHome::with_world(world, dashshare::sandbox::SandboxOptions::default()).await;
        let args = [
            "-o",
            "json",
            "check",
            "--deep",
            "--user",
            "alice@example.com",
            "--group",
            "Managers",
        ];
        let assert = run.run("sandbox-eci", &args).await;
        let shown = printed(&assert);
        let report = json_out(&assert.success());
        assert_eq!(report["understood"], true, "{shown}");
        let probes = report["probes"].as_array().unwrap();
        for (resource, field, found) in [
            ("user", "email", "found: id 11"),
            ("userGroup", "userGroupName", "found: id 21"),
        ] {
            let on = |p: &&Value| {
                p["url"]
                    .as_str()
                    .is_some_and(|u| u.contains(&format!("/api/v3/{resource}?")))
            };
            let rows: Vec<&Value> = probes.iter().filter(on).collect();
            assert_eq!(
                rows.len(),
                2,
                "{resource}: the filter, then the listing: {shown}"
            );
            let (filter, listing) = (rows[0], rows[1]);
            assert!(
                filter["url"].as_str().unwrap().contains("filter="),
                "{shown}"
            );
            assert_eq!(filter["status"], if refuse { 400 } else { 200 }, "{shown}");
            assert!(
                listing["url"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("/api/v3/{resource}?pageSize=1000&pageNumber=1")),
                "{shown}"
            );
            assert_eq!(listing["status"], 200, "{shown}");
            assert_eq!(listing["understood"], true, "{shown}");
            let note = listing["note"].as_str().unwrap_or_default();
            assert!(
                note.contains(&format!("the server {said} the {field} filter"))
                    && note.contains("listing, matched row by row instead")
                    && note.contains(found),
                "{resource}: {note}"
            );
        }
    }
}
