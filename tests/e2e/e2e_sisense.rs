//! End to end: the binary against the sandbox's Sisense emulator.
//!
//! Sisense through the real binary against the sandbox: a grant keeps every share and writes and
//! publishes once, the request count of a grant, unknown users, revokes, titles, dry runs, secrets
//! at the highest verbosity, logins and token renewal, env-only mode, JSON output, lists.

use crate::common::*;
use assert_cmd::assert::Assert;
use dashshare::sandbox::SandboxOptions;
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;

fn stdout_json(assert: &Assert) -> Value {
    serde_json::from_slice(&assert.get_output().stdout).expect("stdout is one JSON document")
}

const P: &str = "sandbox-sisense";
const D: &str = SISENSE_DASHBOARD;

fn shares(home: &SandboxHome) -> Vec<Value> {
    home.world().sisense.dashboards[0].shares.clone()
}

fn published(home: &SandboxHome) -> u64 {
    home.world().sisense.published.get(D).copied().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_grant_keeps_every_share_writes_once_and_publishes_once() {
    let home = SandboxHome::start().await;
    let before = shares(&home);
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("alice@example.com"))
        .stdout(predicate::str::contains("added"));
    let after = shares(&home);
    assert_eq!(&after[..3], &before[..], "existing shares changed");
    assert_eq!(after[3]["shareId"], "5f0000000000000000000002");
    assert_eq!(after[3]["rule"], "view");
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 1);
    assert_eq!(published(&home), 1);

    // Again: nothing written, nothing published, and the output says so.
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"))
        .stdout(predicate::str::contains("nothing to change"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 1);
    assert_eq!(published(&home), 1);
}

/// Login, three look-ups, the read, the dashboard's data model (its `datasource`, the model's
/// permissions and, since two of the three have no entry there, whether the model's groups hold
/// Everyone), the write and the publish.
#[tokio::test(flavor = "multi_thread")]
async fn three_users_take_ten_requests() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            D,
            "--user",
            "alice@example.com",
            "--user",
            "carol+bi@example.com",
            "--user",
            "erin@example.com",
            "--access",
            "edit",
        ],
    )
    .await
    .success();
    let requests = home.sandbox.requests(Vendor::Sisense);
    assert_eq!(requests.len(), 10, "{requests:#?}");
    assert_eq!(shares(&home).len(), 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_user_exits_2_naming_it_with_nothing_written() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            D,
            "--user",
            "alice@example.com",
            "--user",
            "ghost@example.com",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("ghost@example.com"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
    assert_eq!(home.count(Vendor::Sisense, "POST /api/v1/dashboards"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_removes_only_that_share_and_republishes() {
    let home = SandboxHome::start().await;
    home.run(P, &["revoke", D, "--user", "bob@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    let after = shares(&home);
    assert_eq!(after.len(), 2);
    assert!(
        after
            .iter()
            .all(|share| share["shareId"] != "5f0000000000000000000003")
    );
    assert_eq!(published(&home), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn revoking_the_owner_is_refused() {
    let home = SandboxHome::start().await;
    home.run(P, &["revoke", D, "--user", "admin@sandbox.example"])
        .await
        .code(2)
        .stderr(predicate::str::contains("owns the dashboard"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn titles_resolve_and_an_ambiguous_one_lists_both_ids() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            "name:Sales KPIs",
            "--group",
            "Marketing",
            "--access",
            "edit",
        ],
    )
    .await
    .success()
    .stdout(predicate::str::contains("updated"));
    home.run(
        P,
        &[
            "grant",
            "name:Quarterly Review",
            "--user",
            "alice@example.com",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("5dc5c237832aeb53441186bb"))
    .stderr(predicate::str::contains("5dc5c237832aeb53441186bc"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_writes_nothing() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "alice@example.com", "--dry-run"])
        .await
        .success()
        .stdout(predicate::str::contains("added"))
        .stdout(predicate::str::contains("dry run"));
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
    assert_eq!(published(&home), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_secret_appears_at_the_highest_verbosity() {
    let home = SandboxHome::with(SandboxOptions {
        token_ttl: Some(2),
        ..SandboxOptions::default()
    })
    .await;
    let assert = home
        .run(P, &["-vvv", "grant", D, "--user", "alice@example.com"])
        .await
        .success();
    let text = printed(&assert);
    assert!(
        text.contains("/api/shares/dashboard/"),
        "-vvv shows requests: {text}"
    );
    let password = home.world().sisense.admin.password;
    let encoded: String = url::form_urlencoded::byte_serialize(password.as_bytes()).collect();
    for secret in [password.as_str(), encoded.as_str()] {
        assert!(!text.contains(secret), "{secret} leaked:\n{text}");
    }
    assert!(
        !predicate::str::is_match("sisense-[0-9a-f]{32}")
            .unwrap()
            .eval(&text),
        "a token leaked:\n{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_exits_3() {
    let home = SandboxHome::start().await;
    let assert = home
        .run_with(
            P,
            &[("SANDBOX_SISENSE_PASSWORD", "wrong+password&x")],
            &["-vvv", "check"],
        )
        .await
        .code(3);
    assert!(!printed(&assert).contains("wrong+password"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_token_leads_to_one_new_login() {
    // A token good for four requests: the look-up, the read and the data model's two; the write
    // finds it expired.
    let home = SandboxHome::with(SandboxOptions {
        token_ttl: Some(4),
        ..SandboxOptions::default()
    })
    .await;
    home.run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .success();
    assert_eq!(
        home.count(Vendor::Sisense, "POST /api/v1/authentication/login"),
        2
    );
    assert_eq!(shares(&home).len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn env_only_mode_needs_no_config_file() {
    let home = SandboxHome::start().await;
    let world = home.world();
    let mut cmd = dashshare(home.home.path());
    cmd.env("DASHSHARE_USERNAME", &world.sisense.admin.username)
        .env("DASHSHARE_PASSWORD", &world.sisense.admin.password)
        .args([
            "--vendor",
            "sisense",
            "--url",
            &home.sandbox.url(Vendor::Sisense),
            "check",
        ]);
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
        .success()
        .stdout(predicate::str::contains("ok:"))
        .stdout(predicate::str::contains("admin@sandbox.example"));
}

#[tokio::test(flavor = "multi_thread")]
async fn json_output_is_one_document_with_actions() {
    let home = SandboxHome::start().await;
    let assert = home
        .run(
            P,
            &[
                "-o",
                "json",
                "grant",
                D,
                "--user",
                "alice@example.com",
                "--user",
                "bob@example.com",
            ],
        )
        .await
        .success();
    let json = stdout_json(&assert);
    assert_eq!(json["vendor"], "sisense");
    assert_eq!(json["dashboard"]["id"], D);
    assert_eq!(json["results"][0]["action"], "added");
    assert_eq!(json["results"][1]["action"], "updated");
    assert_eq!(json["results"][1]["before"], "edit");
    assert_eq!(json["results"][1]["after"], "view");
    assert_eq!(json["published"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn list_shows_emails_and_group_names() {
    let home = SandboxHome::start().await;
    let json = stdout_json(&home.run(P, &["-o", "json", "list", D]).await.success());
    let names: Vec<&str> = json["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|share| share["principal"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["admin@sandbox.example", "bob@example.com", "Marketing"]
    );
    assert_eq!(json["shares"][0]["access"], "owner");
    home.run(P, &["list", D])
        .await
        .success()
        .stdout(predicate::str::contains("Marketing"));
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboards_search_filters_titles() {
    let home = SandboxHome::start().await;
    home.run(P, &["dashboards", "--search", "quarterly"])
        .await
        .success()
        .stdout(predicate::str::contains("5dc5c237832aeb53441186bb"))
        .stdout(predicate::str::contains("5dc5c237832aeb53441186bc"))
        .stdout(predicate::str::contains("Sales KPIs").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn publish_republishes_without_writing() {
    let home = SandboxHome::start().await;
    home.run(P, &["publish", D])
        .await
        .success()
        .stdout(predicate::str::contains("published"));
    assert_eq!(published(&home), 1);
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_principal_can_be_named_by_its_sisense_id() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "5f0000000000000000000006"])
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    assert!(
        shares(&home)
            .iter()
            .any(|share| share["shareId"] == "5f0000000000000000000006")
    );
}

/// An account that signs in through SSO has no password: its API token (Sisense's UI, user menu →
/// REST API token) is sent as `Authorization: Bearer` on every call, and nothing logs in
/// (pysisense `sisenseclient.py`; `@sisense/sdk-rest-client` `bearer-authenticator.js`). The
/// emulator plays such an account: its form login refuses every password.
#[tokio::test(flavor = "multi_thread")]
async fn an_sso_account_grants_lists_and_checks_with_its_token_and_never_logs_in() {
    let mut world = dashshare::sandbox::World::seeded();
    world.sisense.sso_only = true;
    let token = world.sisense.api_token.clone();
    let home = SandboxHome::with_world(world, SandboxOptions::default()).await;
    let config = home.home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profiles.sso]\nvendor = \"sisense\"\nurl = \"{}\"\ntoken_env = \"SSO_TOKEN\"\n",
        home.sandbox.url(Vendor::Sisense)
    ));
    std::fs::write(&config, text).unwrap();
    let env = [("SSO_TOKEN", token.as_str())];
    let mut shown = String::new();
    for args in [
        &["-vvv", "grant", D, "--user", "alice@example.com"][..],
        &["-vvv", "list", D],
        &["-vvv", "check"],
        &["-vvv", "check", "--deep", "--user", "bob@example.com"],
        &["dashboards", "--all"],
    ] {
        let run = home.run_with("sso", &env, args).await.success();
        shown.push_str(&printed(&run));
    }
    assert!(
        shares(&home)
            .iter()
            .any(|s| s["shareId"] == "5f0000000000000000000002")
    );
    assert!(shown.contains("alice@example.com"), "{shown}");
    assert!(!shown.contains(&token), "the token showed: {shown}");
    let requests = home.sandbox.requests(Vendor::Sisense);
    assert!(
        !requests.iter().any(|r| r.contains("/authentication/login")),
        "{requests:#?}"
    );

    // A token the server refuses: exit 3, said as the token's refusal, with no login tried.
    let refused = home
        .run_with(
            "sso",
            &[("SSO_TOKEN", "sisense-api-token-revoked")],
            &["list", D],
        )
        .await
        .code(3);
    let said = printed(&refused);
    assert!(said.contains("API token was refused"), "{said}");
    assert!(!said.contains("password"), "{said}");
    assert!(
        !home
            .sandbox
            .requests(Vendor::Sisense)
            .iter()
            .any(|r| r.contains("/authentication/login"))
    );
}

/// A password and a token in one profile are refused before any request, naming both keys.
#[tokio::test(flavor = "multi_thread")]
async fn a_password_and_a_token_in_one_profile_are_refused_naming_both() {
    let home = SandboxHome::start().await;
    let config = home.home.path().join("config.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[profiles.both]\nvendor = \"sisense\"\nurl = \"{}\"\nusername = \"u\"\npassword_env = \"BOTH_PASSWORD\"\ntoken_file = \"token.txt\"\n",
        home.sandbox.url(Vendor::Sisense)
    ));
    std::fs::write(&config, text).unwrap();
    std::fs::write(home.home.path().join("token.txt"), "t0ken\n").unwrap();
    let refused = home
        .run_with("both", &[("BOTH_PASSWORD", "pw")], &["list", D])
        .await
        .code(2);
    let said = printed(&refused);
    assert!(
        said.contains("`password_env`") && said.contains("`token_file`"),
        "{said}"
    );
    assert!(home.sandbox.requests(Vendor::Sisense).is_empty());

    // The same with --vendor: the two variables are named.
    let mut command = dashshare(home.home.path());
    command
        .env("DASHSHARE_USERNAME", "u")
        .env("DASHSHARE_PASSWORD", "pw")
        .env("DASHSHARE_TOKEN", "t0ken")
        .args([
            "--vendor",
            "sisense",
            "--url",
            &home.sandbox.url(Vendor::Sisense),
        ])
        .args(["list", D]);
    let refused = tokio::task::spawn_blocking(move || command.assert().code(2))
        .await
        .unwrap();
    let said = printed(&refused);
    assert!(
        said.contains("DASHSHARE_PASSWORD") && said.contains("DASHSHARE_TOKEN"),
        "{said}"
    );
}

/// A publish refused after the shares were written: the grant reports what it wrote, with its
/// run id, as "written, not published" and the `dashshare publish` that finishes it; exit 1.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_publish_after_a_write_is_reported_written_not_published() {
    let home = SandboxHome::start().await;
    home.sandbox
        .edit_world(|world| world.sisense.refuse_publish = true);
    let run = home
        .run(P, &["grant", D, "--user", "alice@example.com"])
        .await
        .code(1);
    let out = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(out.contains("added"), "{out}");
    assert!(out.contains("not published"), "{out}");
    assert!(out.contains(&format!("`dashshare publish {D}`")), "{out}");
    assert!(out.contains("dashshare undo "), "{out}");
    assert!(
        shares(&home)
            .iter()
            .any(|s| s["shareId"] == "5f0000000000000000000002")
    );
    assert_eq!(published(&home), 0);
}

/// `--everyone` on Sisense is the share of the built-in `Everyone` group (pysisense
/// `access_management/groups.py` `_UNIVERSAL_GROUPS`): granted beside every other share, listed
/// as `everyone`, revoked alone.
#[tokio::test(flavor = "multi_thread")]
async fn everyone_is_the_everyone_groups_share_and_keeps_every_other() {
    let home = SandboxHome::start().await;
    let before = shares(&home);
    home.run(P, &["grant", D, "--everyone"])
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    let after = shares(&home);
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "existing shares changed"
    );
    assert_eq!(after.len(), before.len() + 1);
    assert_eq!(after[before.len()]["shareId"], "6a00000000000000000000e1");
    assert_eq!(after[before.len()]["type"], "group");
    assert_eq!(after[before.len()]["rule"], "view");

    let listed = home.run(P, &["-o", "json", "list", D]).await.success();
    let listed = stdout_json(&listed);
    let everyone: Vec<&Value> = listed["shares"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|share| share["type"] == "everyone")
        .collect();
    assert_eq!(everyone.len(), 1, "{listed}");

    // Granting it again, as --everyone or as the group, changes nothing.
    home.run(P, &["grant", D, "--everyone"])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"));
    home.run(P, &["grant", D, "--group", "Everyone"])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"));
    home.run(P, &["revoke", D, "--everyone"])
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    assert_eq!(shares(&home), before);
}

/// A server that caps its answers at 50 rows (the emulator does): every listing is read page by
/// page, so an export and `dashboards --all` of 130 dashboards have all 130, and a dashboard shared
/// with 51 people is listed with every one named in a handful of requests, not one each.
#[tokio::test(flavor = "multi_thread")]
async fn listings_past_the_cap_are_whole_and_51_people_are_named_in_a_few_requests() {
    let mut world = dashshare::sandbox::World::seeded();
    let seeded = world.sisense.dashboards.len();
    world.sisense.add_bulk_dashboards(130 - seeded);
    // An export lists dashboards shared with someone beside the owner: share each with alice.
    for dashboard in &mut world.sisense.dashboards[seeded..] {
        dashboard.shares.push(
            serde_json::json!({"shareId": "5f0000000000000000000002", "type": "user", "rule": "view", "subscribe": false}),
        );
    }
    let people: Vec<(String, String)> = (0..51)
        .map(|n| {
            (
                format!("5f00000000000000000009{n:02}"),
                format!("person{n:02}@example.com"),
            )
        })
        .collect();
    for (id, email) in &people {
        world
            .sisense
            .users
            .push(dashshare::sandbox::world::SisenseUser {
                id: id.clone(),
                email: email.clone(),
                user_name: email.clone(),
                active: true,
                groups: Vec::new(),
            });
        world.sisense.dashboards[0].shares.push(
            serde_json::json!({"shareId": id, "type": "user", "rule": "view", "subscribe": false}),
        );
    }
    let home = SandboxHome::with_world(world, SandboxOptions::default()).await;

    let listed = home
        .run(P, &["-o", "json", "dashboards", "--all"])
        .await
        .success();
    assert_eq!(
        stdout_json(&listed)["dashboards"].as_array().unwrap().len(),
        130
    );
    let out = home.home.path().join("export.yaml");
    home.run(P, &["export", "--out", out.to_str().unwrap()])
        .await
        .success();
    let export = std::fs::read_to_string(&out).unwrap();
    assert_eq!(export.matches("dashboard: ").count(), 130, "{export}");

    let before = home.sandbox.requests(Vendor::Sisense).len();
    let shown = home.run(P, &["list", D]).await.success();
    let shown = printed(&shown);
    for (_, email) in &people {
        assert!(shown.contains(email.as_str()), "{email} unnamed: {shown}");
    }
    let made: Vec<String> = home.sandbox.requests(Vendor::Sisense)[before..].to_vec();
    // login, the read, and the naming: two ids= look-ups (the groups are named by the entries).
    assert!(made.len() <= 8, "{} requests: {made:#?}", made.len());
    assert!(
        !made.iter().any(|r| r.starts_with("GET /api/v1/users/")),
        "{made:#?}"
    );
}

/// Sisense accepts a share for an inactive user with HTTP 200 and drops it (pysisense
/// `datamodel/shares.py`): dashshare refuses such a grant before any write, exit 2, named.
#[tokio::test(flavor = "multi_thread")]
async fn a_grant_to_an_inactive_user_is_refused_before_any_write() {
    let home = SandboxHome::start().await;
    let before = shares(&home);
    let refused = home
        .run(
            P,
            &[
                "grant",
                D,
                "--user",
                "alice@example.com",
                "--user",
                "dave@example.com",
            ],
        )
        .await
        .code(2);
    let said = printed(&refused);
    assert!(said.contains("dave@example.com is inactive"), "{said}");
    assert_eq!(shares(&home), before);
    assert_eq!(home.count(Vendor::Sisense, SHARES_WRITE), 0);
}

/// A Sisense viewer needs an entry on the dashboard's data model too, or the dashboard opens
/// empty (pysensesdk `add_share(share_cube=True)`): a grant says who cannot query it, exit 0; one
/// who reaches the model through a group is not marked; JSON carries each principal's reach.
#[tokio::test(flavor = "multi_thread")]
async fn a_grant_names_who_can_open_the_dashboard_but_not_query_its_data_model() {
    let home = SandboxHome::start().await;
    let granted = home
        .run(
            P,
            &[
                "grant",
                D,
                "--user",
                "carol+bi@example.com",
                "--user",
                "alice@example.com",
            ],
        )
        .await
        .success();
    let out = String::from_utf8_lossy(&granted.get_output().stdout).to_string();
    assert!(
        out.contains(
            "carol+bi@example.com can open Sales KPIs but not query its data model Sample ECommerce"
        ),
        "{out}"
    );
    assert!(!out.contains("alice@example.com can open"), "{out}");

    // A live model: erin has no entry; the Sales Team EMEA group has one of its own.
    let live = "5dc5c237832aeb53441186bb";
    let json = home
        .run(
            P,
            &[
                "-o",
                "json",
                "grant",
                live,
                "--user",
                "erin@example.com",
                "--group",
                "Sales Team EMEA",
            ],
        )
        .await
        .success();
    let report = stdout_json(&json);
    let reach: Vec<(String, String)> = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["principal"].as_str().unwrap().to_string(),
                r["data"]["reach"].as_str().unwrap_or("-").to_string(),
            )
        })
        .collect();
    assert!(
        reach.contains(&("erin@example.com".into(), "none".into())),
        "{report}"
    );
    assert!(
        reach.contains(&("Sales Team EMEA".into(), "direct".into())),
        "{report}"
    );
    assert_eq!(report["results"][0]["data"]["model"], "Sales Live");
}

/// A data model that cannot be read is said once, never hidden, and the grant stands.
#[tokio::test(flavor = "multi_thread")]
async fn a_data_model_that_cannot_be_read_is_said() {
    let home = SandboxHome::start().await;
    home.sandbox
        .edit_world(|world| world.sisense.models.clear());
    let granted = home
        .run(P, &["grant", D, "--user", "carol+bi@example.com"])
        .await
        .success();
    let out = String::from_utf8_lossy(&granted.get_output().stdout).to_string();
    assert_eq!(out.matches("could not be read").count(), 1, "{out}");
    assert!(
        out.contains("Sample ECommerce of Sales KPIs could not be read"),
        "{out}"
    );
    assert!(
        shares(&home)
            .iter()
            .any(|s| s["shareId"] == "5f0000000000000000000004")
    );
}

/// `list` marks the same people, so an access review finds them: a column where someone cannot
/// query the model, and each share's reach in JSON.
#[tokio::test(flavor = "multi_thread")]
async fn list_marks_who_cannot_query_the_data_model() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "carol+bi@example.com"])
        .await
        .success();
    let listed = home.run(P, &["list", D]).await.success();
    let out = String::from_utf8_lossy(&listed.get_output().stdout).to_string();
    assert!(
        out.contains("DATA (SAMPLE ECOMMERCE)") || out.contains("data (Sample ECommerce)"),
        "{out}"
    );
    let carol = out
        .lines()
        .find(|line| line.contains("carol+bi@example.com"))
        .unwrap();
    assert!(carol.contains("no access"), "{out}");
    let bob = out
        .lines()
        .find(|line| line.contains("bob@example.com"))
        .unwrap();
    assert!(!bob.contains("no access"), "{out}");

    let json = stdout_json(&home.run(P, &["-o", "json", "list", D]).await.success());
    let reach = |principal: &str| {
        json["shares"]
            .as_array()
            .unwrap()
            .iter()
            .find(|row| row["principal"] == principal)
            .map(|row| row["data"]["reach"].clone())
    };
    assert_eq!(reach("carol+bi@example.com"), Some("none".into()));
    assert_eq!(reach("bob@example.com"), Some("direct".into()));
    assert_eq!(reach("Marketing"), Some("direct".into()));
}

/// `grant --with-data` also gives each principal the USE entry it lacks on the dashboard's data
/// model: one PUT for an ElastiCube, one PATCH for a live model, every other entry kept; again,
/// nothing is written; `--dry-run` names the model and writes nothing; `undo` takes back both the
/// dashboard's share and the model's entry.
#[tokio::test(flavor = "multi_thread")]
async fn grant_with_data_gives_the_model_entry_once_and_undo_takes_it_back() {
    let home = SandboxHome::start().await;
    let cube = model_shares(&home, "Sample ECommerce");
    let live_before = model_shares(&home, "Sales Live");
    let live = "5dc5c237832aeb53441186bb";

    let planned = home
        .run(
            P,
            &[
                "grant",
                D,
                "--user",
                "carol+bi@example.com",
                "--with-data",
                "--dry-run",
            ],
        )
        .await
        .success();
    let out = String::from_utf8_lossy(&planned.get_output().stdout).to_string();
    assert!(
        out.contains("carol+bi@example.com would get USE on the data model Sample ECommerce"),
        "{out}"
    );
    assert_eq!(model_shares(&home, "Sample ECommerce"), cube);

    let granted = home
        .run(
            P,
            &[
                "-o",
                "json",
                "grant",
                D,
                "--user",
                "carol+bi@example.com",
                "--user",
                "alice@example.com",
                "--with-data",
            ],
        )
        .await
        .success();
    let report = stdout_json(&granted);
    let run_id = report["run_id"].as_str().unwrap().to_string();
    assert_eq!(report["data_written"], true, "{report}");
    let after = model_shares(&home, "Sample ECommerce");
    assert_eq!(&after[..cube.len()], &cube[..], "other entries kept");
    assert_eq!(
        after[cube.len()..],
        [
            serde_json::json!({"partyId": "5f0000000000000000000004", "type": "user", "permission": "r"})
        ],
        "only carol, who had no reach (alice reaches through Marketing)"
    );
    home.run(
        P,
        &["grant", live, "--user", "erin@example.com", "--with-data"],
    )
    .await
    .success();
    assert_eq!(
        model_shares(&home, "Sales Live").len(),
        live_before.len() + 1
    );
    let writes = |home: &SandboxHome| {
        (
            home.count(Vendor::Sisense, "PUT /api/elasticubes/"),
            home.count(Vendor::Sisense, "PATCH /api/v1/elasticubes/live/"),
        )
    };
    assert_eq!(writes(&home), (1, 1));

    // Again: the share and the entry are there, nothing is written.
    home.run(
        P,
        &["grant", D, "--user", "carol+bi@example.com", "--with-data"],
    )
    .await
    .success()
    .stdout(predicate::str::contains("unchanged"));
    assert_eq!(writes(&home), (1, 1));

    home.run(P, &["undo", &run_id, "--yes"]).await.success();
    assert_eq!(model_shares(&home, "Sample ECommerce"), cube);
    assert!(
        !shares(&home)
            .iter()
            .any(|s| s["shareId"] == "5f0000000000000000000004")
    );
}

/// `--with-data` where the vendor keeps no data models is refused before any request.
#[tokio::test(flavor = "multi_thread")]
async fn with_data_elsewhere_is_refused() {
    let home = SandboxHome::start().await;
    home.run(
        "sandbox-eci",
        &["grant", "7", "--user", "ALICE", "--with-data"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("--with-data"));
    assert!(home.sandbox.requests(Vendor::Eci).is_empty());
}

/// `revoke` never takes model entries away (other dashboards may read from the model), and says so.
#[tokio::test(flavor = "multi_thread")]
async fn revoke_keeps_the_data_model_entries_and_says_so() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &["grant", D, "--user", "carol+bi@example.com", "--with-data"],
    )
    .await
    .success();
    let cube = model_shares(&home, "Sample ECommerce");
    home.run(P, &["revoke", D, "--user", "carol+bi@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains(
            "entries on the dashboard's data model are kept",
        ));
    assert_eq!(model_shares(&home, "Sample ECommerce"), cube);
}

/// `check --deep --user U --dashboard D` says whether U can open D and query its data, and how.
#[tokio::test(flavor = "multi_thread")]
async fn check_deep_says_whether_a_user_can_open_a_dashboard_and_query_its_data() {
    let home = SandboxHome::start().await;
    let probe = |user: &'static str| {
        let home = &home;
        async move {
            let run = home
                .run(
                    P,
                    &[
                        "-o",
                        "json",
                        "check",
                        "--deep",
                        "--user",
                        user,
                        "--dashboard",
                        D,
                    ],
                )
                .await
                .success();
            let report = stdout_json(&run);
            report["probes"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["step"].as_str().unwrap_or("").starts_with("can "))
                .filter_map(|p| p["note"].as_str())
                .next_back()
                .unwrap_or_default()
                .to_string()
        }
    };
    // bob has a share and an entry of his own; alice neither share nor entry, but Marketing has
    // both; carol nothing.
    let bob = probe("bob@example.com").await;
    assert!(
        bob.contains("opens it directly (edit)") && bob.contains("Sample ECommerce directly"),
        "{bob}"
    );
    let alice = probe("alice@example.com").await;
    assert!(
        alice.contains("opens it through group Marketing") && alice.contains("through a group"),
        "{alice}"
    );
    let carol = probe("carol+bi@example.com").await;
    assert!(
        carol.contains("cannot open it") && carol.contains("cannot query"),
        "{carol}"
    );
}

/// A run that wrote only the data model (the share was already there) has no shares to put
/// back: `undo` takes the model's entry back even after another writer changed the dashboard's
/// shares, and leaves those shares alone.
#[tokio::test(flavor = "multi_thread")]
async fn undo_of_a_model_only_run_leaves_the_dashboards_shares_alone() {
    let home = SandboxHome::start().await;
    home.run(P, &["grant", D, "--user", "carol+bi@example.com"])
        .await
        .success();
    let cube = model_shares(&home, "Sample ECommerce");
    let run = home
        .run(
            P,
            &[
                "-o",
                "json",
                "grant",
                D,
                "--user",
                "carol+bi@example.com",
                "--with-data",
            ],
        )
        .await
        .success();
    let run_id = stdout_json(&run)["run_id"].as_str().unwrap().to_string();
    // Another writer adds erin to the dashboard meanwhile.
    home.run(P, &["grant", D, "--user", "erin@example.com"])
        .await
        .success();
    let shared = shares(&home);
    home.run(P, &["undo", &run_id, "--yes"]).await.success();
    assert_eq!(model_shares(&home, "Sample ECommerce"), cube);
    assert_eq!(
        shares(&home),
        shared,
        "the dashboard's shares are untouched"
    );
}

/// A timed grant cannot also give model access: `expire` would leave the model's entry.
#[tokio::test(flavor = "multi_thread")]
async fn with_data_and_a_timed_grant_are_refused_together() {
    let home = SandboxHome::start().await;
    home.run(
        P,
        &[
            "grant",
            D,
            "--user",
            "carol+bi@example.com",
            "--with-data",
            "--for",
            "7d",
        ],
    )
    .await
    .code(2);
    assert!(home.sandbox.requests(Vendor::Sisense).is_empty());
}

/// `undo` journals what it takes back of a data model under its own run: undoing the undo gives
/// the entry again.
#[tokio::test(flavor = "multi_thread")]
async fn undoing_the_undo_gives_the_model_entry_again() {
    let home = SandboxHome::start().await;
    let cube = model_shares(&home, "Sample ECommerce");
    let run = home
        .run(
            P,
            &[
                "-o",
                "json",
                "grant",
                D,
                "--user",
                "carol+bi@example.com",
                "--with-data",
            ],
        )
        .await
        .success();
    let run_id = stdout_json(&run)["run_id"].as_str().unwrap().to_string();
    let given = model_shares(&home, "Sample ECommerce");
    assert_eq!(given.len(), cube.len() + 1);
    let undone = home
        .run(P, &["-o", "json", "undo", &run_id, "--yes"])
        .await
        .success();
    let undo_run = stdout_json(&undone)["run_id"].as_str().unwrap().to_string();
    assert_eq!(model_shares(&home, "Sample ECommerce"), cube);
    home.run(P, &["undo", &undo_run, "--yes"]).await.success();
    assert_eq!(model_shares(&home, "Sample ECommerce"), given);
    assert!(
        shares(&home)
            .iter()
            .any(|s| s["shareId"] == "5f0000000000000000000004")
    );
}
