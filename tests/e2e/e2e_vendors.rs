//! End to end: the binary against the sandbox, vendor by vendor (ECI, Vizzly, AppViewX, mindzie).
//!
//! ECI, Vizzly, AppViewX and mindzie through the binary against the sandbox: capability errors
//! before any request, the everyone rule said plainly, vendor codes with the contract's exit codes,
//! links and embeds, and no credential in any output.

use crate::common::*;
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;

fn json(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).expect("stdout is one JSON document")
}

fn eci_share(home: &SandboxHome, id: i64) -> (Vec<i64>, Vec<i64>, bool) {
    let world = home.world();
    let d = world
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id == id)
        .unwrap();
    (
        d.shared_user_ids.iter().copied().collect(),
        d.shared_user_group_ids.iter().copied().collect(),
        d.shared_with_everyone,
    )
}

// ---- ECI ----

#[tokio::test(flavor = "multi_thread")]
async fn eci_grant_of_a_user_and_a_group_keeps_the_others_in_one_put() {
    let home = SandboxHome::start().await;
    let assert = home
        .run(
            "sandbox-eci",
            &[
                "-vvv",
                "grant",
                "7",
                "--user",
                "alice@example.com",
                "--group",
                "Managers",
            ],
        )
        .await
        .success();
    assert_eq!(eci_share(&home, 7), (vec![5, 11], vec![3, 21], false));
    assert_eq!(home.count(Vendor::Eci, "PUT"), 1);
    assert!(
        !printed(&assert).contains(&home.world().eci.api_key),
        "the API key leaked"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_a_non_integer_dashboard_exits_2_with_no_request() {
    let home = SandboxHome::start().await;
    home.run("sandbox-eci", &["grant", "seven", "--user", "BOB"])
        .await
        .code(2)
        .stderr(predicate::str::contains("'seven'"));
    assert!(home.sandbox.requests(Vendor::Eci).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_everyone_drops_the_lists_and_says_so_also_in_a_dry_run() {
    let home = SandboxHome::start().await;
    for dry in [true, false] {
        let mut args = vec!["grant", "7", "--everyone"];
        if dry {
            args.push("--dry-run");
        }
        home.run("sandbox-eci", &args)
            .await
            .success()
            .stdout(predicate::str::contains("will not bring"))
            .stdout(predicate::str::contains("BOB"))
            .stdout(predicate::str::contains("Facility Ops"));
    }
    assert_eq!(eci_share(&home, 7), (vec![], vec![], true));
    assert_eq!(home.count(Vendor::Eci, "PUT"), 1);
    home.run(
        "sandbox-eci",
        &["grant", "7", "--user", "alice@example.com"],
    )
    .await
    .success()
    .stdout(predicate::str::contains("already shared with everyone"));
    assert_eq!(home.count(Vendor::Eci, "PUT"), 1);
    home.run("sandbox-eci", &["revoke", "7", "--everyone"])
        .await
        .success();
    assert_eq!(eci_share(&home, 7), (vec![], vec![], false));
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_json_list_shows_the_shares_by_name() {
    let home = SandboxHome::start().await;
    let listing = json(
        &home
            .run("sandbox-eci", &["-o", "json", "list", "name:Energy Use"])
            .await
            .success(),
    );
    assert_eq!(listing["dashboard"]["id"], "7");
    let rows: Vec<(&str, &str)> = listing["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["principal"].as_str().unwrap(),
                s["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(rows, [("BOB", "user"), ("Facility Ops", "group")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_a_wrong_key_exits_3_and_explains_both_causes() {
    let home = SandboxHome::start().await;
    home.run_with(
        "sandbox-eci",
        &[("SANDBOX_ECI_API_KEY", "wrong-key")],
        &["list", "7"],
    )
    .await
    .code(3)
    .stderr(predicate::str::contains("permission"))
    .stderr(predicate::str::contains("wrong-key").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn env_only_mode_works_for_api_key_vendors() {
    let home = SandboxHome::start().await;
    let mut cmd = dashshare(home.home.path());
    cmd.env("DASHSHARE_API_KEY", home.world().eci.api_key)
        .args([
            "--vendor",
            "eci",
            "--url",
            &home.sandbox.url(Vendor::Eci),
            "check",
        ]);
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
        .success()
        .stdout(predicate::str::contains("ok:"));
    assert_eq!(home.sandbox.requests(Vendor::Eci).len(), 1);
}

// ---- Vizzly ----

#[tokio::test(flavor = "multi_thread")]
async fn vizzly_edit_lands_as_read_write_and_revoke_removes_the_user() {
    let home = SandboxHome::start().await;
    let assert = home
        .run(
            "sandbox-vizzly",
            &[
                "-vvv",
                "grant",
                "dsh_0f3a",
                "--user",
                "customer-42",
                "--access",
                "edit",
            ],
        )
        .await
        .success();
    assert!(
        !printed(&assert).contains(&home.world().vizzly.api_key),
        "the API key leaked"
    );
    let has = |scope: &str| {
        home.world()
            .vizzly
            .permissions
            .iter()
            .any(|p| p.user_reference == "customer-42" && p.scope == scope)
    };
    assert!(has("read_write"));
    home.run(
        "sandbox-vizzly",
        &["revoke", "dsh_0f3a", "--user", "customer-42"],
    )
    .await
    .success()
    .stdout(predicate::str::contains("removed"));
    assert!(!has("read_write") && !has("read"));
}

#[tokio::test(flavor = "multi_thread")]
async fn vizzly_check_tries_the_key_without_changing_anything() {
    let home = SandboxHome::start().await;
    let before = home.world().vizzly.permissions;
    home.run("sandbox-vizzly", &["check"])
        .await
        .success()
        .stdout(predicate::str::contains("accepted"));
    assert_eq!(home.world().vizzly.permissions, before);
    home.run_with(
        "sandbox-vizzly",
        &[("SANDBOX_VIZZLY_API_KEY", "wrong")],
        &["check"],
    )
    .await
    .code(3);
}

#[tokio::test(flavor = "multi_thread")]
async fn vizzly_list_and_dashboards_exit_2_before_any_request() {
    let home = SandboxHome::start().await;
    home.run("sandbox-vizzly", &["list", "dsh_0f3a"])
        .await
        .code(2)
        .stderr(predicate::str::contains("no API to read"));
    home.run("sandbox-vizzly", &["dashboards"]).await.code(2);
    assert!(home.sandbox.requests(Vendor::Vizzly).is_empty());
}

// ---- AppViewX ----

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_replace_sets_the_groups_and_no_secret_shows() {
    let home = SandboxHome::start().await;
    let assert = home
        .run(
            "sandbox-appviewx",
            &[
                "-vvv",
                "grant",
                "Ops Board",
                "--group",
                "SRE",
                "--access",
                "edit",
                "--replace",
            ],
        )
        .await
        .success()
        .stdout(predicate::str::contains("complete share set"));
    let all = printed(&assert);
    assert!(
        all.contains("dashboard-share-usergroupdetails-update"),
        "{all}"
    );
    assert!(
        !all.contains(&home.world().appviewx.account.password),
        "the password leaked"
    );
    assert!(
        !predicate::str::is_match("appviewx-[0-9a-f]{32}")
            .unwrap()
            .eval(&all),
        "a session id leaked"
    );
    let shares = home.world().appviewx.dashboards["Ops Board"].clone();
    assert_eq!(
        (shares.read_user_groups.len(), shares.read_write_user_groups),
        (0, vec!["SRE".to_string()])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_vendor_codes_reach_the_user_with_the_contract_exit_codes() {
    let home = SandboxHome::start().await;
    // (dashboard, exit code, what stderr says), one row per vendor code.
    let cases: &[(&str, i32, &[&str])] = &[
        ("No Such Board", 2, &["ADC_DASH_0045", "'No Such Board'"]),
        ("Locked Board", 1, &["ADC_DASH_0048"]),
        ("a/b", 2, &["ADC_DASH_0051"]),
    ];
    for (dashboard, code, says) in cases {
        let mut run = home
            .run(
                "sandbox-appviewx",
                &["grant", dashboard, "--group", "SRE", "--replace"],
            )
            .await
            .try_code(*code)
            .unwrap_or_else(|err| panic!("grant {dashboard:?}: {err}"));
        for fragment in *says {
            run = run
                .try_stderr(predicate::str::contains(*fragment))
                .unwrap_or_else(|err| panic!("grant {dashboard:?}: {err}"));
        }
    }
}

/// The group search answers 404 when no group matches (API Guide, Search_User_Group): the run
/// names the group, exits 2, and sends no update.
#[tokio::test(flavor = "multi_thread")]
async fn appviewx_an_unknown_group_exits_2_and_nothing_is_written() {
    let home = SandboxHome::start().await;
    let before = home.world().appviewx.dashboards["Ops Board"].clone();
    home.run(
        "sandbox-appviewx",
        &[
            "grant",
            "Ops Board",
            "--group",
            "SRE",
            "--group",
            "No Such Group",
            "--replace",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("No Such Group"));
    assert!(
        home.count(Vendor::Appviewx, "POST /avxapi/usergroup-search") >= 1,
        "{:?}",
        home.sandbox.requests(Vendor::Appviewx)
    );
    assert_eq!(home.count(Vendor::Appviewx, "PUT"), 0);
    let after = home.world().appviewx.dashboards["Ops Board"].clone();
    assert_eq!(
        (after.read_user_groups, after.read_write_user_groups),
        (before.read_user_groups, before.read_write_user_groups)
    );
}

/// A profile's gwkey reaches the server on every call, next to gwsource.
#[tokio::test(flavor = "multi_thread")]
async fn appviewx_the_profile_gwkey_is_sent_on_every_call() {
    let home = SandboxHome::start().await;
    let config = home.home.path().join("config.toml");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        "[profiles.sandbox-appviewx]\n",
        "[profiles.sandbox-appviewx]\ngwkey = \"f000ca01\"\n",
    );
    std::fs::write(&config, text).unwrap();
    home.run(
        "sandbox-appviewx",
        &["grant", "Ops Board", "--group", "SRE", "--replace"],
    )
    .await
    .success();
    let requests = home.sandbox.requests(Vendor::Appviewx);
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(
        requests
            .iter()
            .all(|r| r.contains("gwkey=f000ca01") && r.contains("gwsource=external")),
        "{requests:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_check_logs_in_and_a_wrong_password_exits_3() {
    let home = SandboxHome::start().await;
    home.run("sandbox-appviewx", &["check"])
        .await
        .success()
        .stdout(predicate::str::contains("svc-dashshare"));
    home.run_with(
        "sandbox-appviewx",
        &[("SANDBOX_AVX_PASSWORD", "wrong&pw")],
        &["check"],
    )
    .await
    .code(3)
    .stderr(predicate::str::contains("wrong&pw").not());
}

// ---- mindzie ----

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_link_is_created_listed_and_revoked() {
    let home = SandboxHome::start().await;
    let p = "sandbox-mindzie";
    let created = home
        .run(
            p,
            &[
                "-vvv",
                "-o",
                "json",
                "link",
                "create",
                MINDZIE_DASHBOARD,
                "--expires",
                "2030-12-31",
                "--allow-domain",
                "company.com",
            ],
        )
        .await
        .success();
    assert!(
        !printed(&created).contains(&home.world().mindzie.token),
        "the token leaked"
    );
    let link = json(&created);
    assert_eq!(link["expires"], "2031-01-01T00:00:00Z");
    let share_id = link["share_id"].as_str().unwrap().to_string();
    let stored = home.world().mindzie.links[&share_id].clone();
    assert_eq!(
        stored["accessControl"]["allowedDomains"],
        serde_json::json!(["company.com"])
    );

    let listed = json(
        &home
            .run(p, &["-o", "json", "link", "list", MINDZIE_DASHBOARD])
            .await
            .success(),
    );
    assert_eq!(listed["links"][0]["share_id"], share_id.as_str());
    assert_eq!(listed["links"][0]["usage"]["total_views"], 0);

    home.run(p, &["link", "revoke", MINDZIE_DASHBOARD, &share_id])
        .await
        .success()
        .stdout(predicate::str::contains("revoked"));
    assert!(home.world().mindzie.links.is_empty());
    home.run(p, &["link", "revoke", MINDZIE_DASHBOARD, &share_id])
        .await
        .code(2)
        .stderr(predicate::str::contains(format!("'{share_id}'")));
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_embed_prints_an_iframe_with_the_chosen_parameters() {
    let home = SandboxHome::start().await;
    let p = "sandbox-mindzie";
    home.run(
        p,
        &[
            "embed",
            MINDZIE_DASHBOARD,
            "--theme",
            "dark",
            "--toolbar",
            "false",
        ],
    )
    .await
    .success()
    .stdout(predicate::str::contains("<iframe"))
    .stdout(predicate::str::contains(format!(
        "/embed/dashboard/{MINDZIE_DASHBOARD}?theme=dark&amp;toolbar=false\""
    )));
    home.run(p, &["embed", MINDZIE_DASHBOARD, "--public"])
        .await
        .code(2)
        .stderr(predicate::str::contains("link create"));
    let link = json(
        &home
            .run(p, &["-o", "json", "link", "create", MINDZIE_DASHBOARD])
            .await
            .success(),
    );
    let token = link["share_id"].as_str().unwrap().to_string();
    home.run(
        p,
        &[
            "embed",
            "name:Process Performance",
            "--public",
            "--filters",
            "hidden",
        ],
    )
    .await
    .success()
    .stdout(predicate::str::contains("/public/embed/dashboard/"))
    .stdout(predicate::str::contains(format!(
        "?token={token}&amp;filters=hidden"
    )));
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_bad_dates_and_domains_exit_2_before_any_request() {
    let home = SandboxHome::start().await;
    for args in [
        vec![
            "link",
            "create",
            MINDZIE_DASHBOARD,
            "--expires",
            "2020-01-01",
        ],
        vec![
            "link",
            "create",
            MINDZIE_DASHBOARD,
            "--expires",
            "next tuesday",
        ],
        vec!["link", "create", MINDZIE_DASHBOARD, "--expires-in", "soon"],
        vec![
            "link",
            "create",
            MINDZIE_DASHBOARD,
            "--allow-domain",
            "https://company.com",
        ],
        vec![
            "link",
            "create",
            MINDZIE_DASHBOARD,
            "--password-env",
            "UNSET_VARIABLE",
        ],
        vec!["link", "update", MINDZIE_DASHBOARD, "share1"],
    ] {
        home.run("sandbox-mindzie", &args).await.code(2);
    }
    assert!(home.sandbox.requests(Vendor::Mindzie).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_a_password_protected_link_never_shows_its_password() {
    let home = SandboxHome::start().await;
    let created = home
        .run_with(
            "sandbox-mindzie",
            &[("LINK_PASSWORD", "pw-SECRET-77")],
            &[
                "-vvv",
                "-o",
                "json",
                "link",
                "create",
                MINDZIE_DASHBOARD,
                "--password-env",
                "LINK_PASSWORD",
            ],
        )
        .await
        .success();
    assert!(!printed(&created).contains("pw-SECRET-77"));
    let share_id = json(&created)["share_id"].as_str().unwrap().to_string();
    let stored = home.world().mindzie.links[&share_id].clone();
    assert_eq!(stored["accessControl"]["password"], "pw-SECRET-77");
    assert_eq!(stored["accessControl"]["requirePassword"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_link_update_changes_only_what_is_asked() {
    let home = SandboxHome::start().await;
    let p = "sandbox-mindzie";
    let link = json(
        &home
            .run(
                p,
                &[
                    "-o",
                    "json",
                    "link",
                    "create",
                    MINDZIE_DASHBOARD,
                    "--expires-in",
                    "30d",
                ],
            )
            .await
            .success(),
    );
    let share_id = link["share_id"].as_str().unwrap().to_string();
    home.run(
        p,
        &[
            "link",
            "update",
            MINDZIE_DASHBOARD,
            &share_id,
            "--no-embed",
            "--expires",
            "2031-01-31",
        ],
    )
    .await
    .success();
    let stored = home.world().mindzie.links[&share_id].clone();
    assert_eq!(stored["permissions"]["allowEmbedding"], false);
    assert_eq!(stored["permissions"]["allowPrint"], true);
    assert_eq!(
        stored["expiration"]["expirationDate"],
        "2031-02-01T00:00:00Z"
    );
}

// Today's mindzie (the official client mindzie-api 2.0.0 and the current docs): the key check at
// `…/dashboard/ping` and the flat `{dashboardId, url, embedUrl}` answer, through the binary.
#[tokio::test(flavor = "multi_thread")]
async fn mindzie_check_and_embed_speak_todays_api() {
    let home = SandboxHome::start().await;
    let p = "sandbox-mindzie";
    let world = home.world();
    let base = format!(
        "/api/{}/{}/dashboard",
        world.mindzie.tenant_id, world.mindzie.project_id
    );
    home.run(p, &["check"])
        .await
        .success()
        .stdout(predicate::str::contains("ok:"));
    assert_eq!(
        home.sandbox.requests(Vendor::Mindzie),
        [format!("GET {base}/ping")]
    );
    home.run(p, &["embed", MINDZIE_DASHBOARD, "--theme", "dark"])
        .await
        .success()
        .stdout(predicate::str::contains(format!(
            "/embed/dashboard/{MINDZIE_DASHBOARD}?theme=dark\""
        )));
    // No query: the client's get_url and the current docs send none.
    assert_eq!(
        home.sandbox.requests(Vendor::Mindzie).last().unwrap(),
        &format!("GET {base}/{MINDZIE_DASHBOARD}/url")
    );
    let listed = json(
        &home
            .run(p, &["-o", "json", "dashboards", "--search", "conformance"])
            .await
            .success(),
    );
    assert_eq!(
        listed.to_string().matches("Conformance Overview").count(),
        1
    );
}

/// `dashshare --vendor mindzie --url URL ARGS…`, the ids and token from the environment.
async fn mindzie_at(url: &str, args: &[&str]) -> assert_cmd::assert::Assert {
    let home = tempfile::TempDir::new().unwrap();
    let mut cmd = dashshare(home.path());
    cmd.env("DASHSHARE_TOKEN", MINDZIE_TOKEN)
        .env("DASHSHARE_TENANT_ID", TENANT)
        .env("DASHSHARE_PROJECT_ID", PROJECT)
        .args(["--vendor", "mindzie", "--url", url])
        .args(args);
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
}

// Corrections, mindzie: a server without the older page's link routes answers 404 there; the
// binary says it offers no public links, with exit 2 (an unsupported capability), and so does a
// public embed when the URL answer is today's flat one.
#[tokio::test(flavor = "multi_thread")]
async fn mindzie_a_server_without_link_routes_exits_2_saying_so() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    let base = format!("/api/{TENANT}/{PROJECT}/dashboard/{MINDZIE_DASHBOARD}");
    Mock::given(method("POST"))
        .and(path(format!("{base}/share")))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("{base}/url")))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(fixture("mindzie", "url_flat.json")),
        )
        .expect(2)
        .mount(&server)
        .await;
    mindzie_at(&server.uri(), &["link", "create", MINDZIE_DASHBOARD])
        .await
        .code(2)
        .stderr(predicate::str::contains(
            "this mindzie server does not offer public links",
        ))
        .stderr(predicate::str::contains(MINDZIE_TOKEN).not());
    mindzie_at(&server.uri(), &["embed", MINDZIE_DASHBOARD, "--public"])
        .await
        .code(2)
        .stderr(predicate::str::contains("does not offer public links"));
}
