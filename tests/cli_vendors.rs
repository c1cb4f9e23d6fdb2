//! ECI and Vizzly through the binary: capability errors before any request, the everyone rule said
//! plainly, JSON listings, and API keys kept out of every output.

mod common;

use assert_cmd::assert::Assert;
use common::fake_eci::FakeEci;
use common::fake_vizzly::FakeVizzly;
use common::*;
use predicates::prelude::*;
use serde_json::Value;
use tempfile::TempDir;

struct Home {
    dir: TempDir,
}

impl Home {
    fn new(profile: &str) -> Self {
        let dir = TempDir::new().unwrap();
        std::fs::write(
            dir.path().join("config.toml"),
            format!("[profiles.t]\n{profile}"),
        )
        .unwrap();
        Home { dir }
    }

    async fn run(&self, env: (&str, &str), args: &[&str]) -> Assert {
        let mut cmd = dashshare(self.dir.path());
        cmd.env(env.0, env.1)
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .args(args);
        tokio::task::spawn_blocking(move || cmd.assert())
            .await
            .unwrap()
    }
}

fn text(assert: &Assert) -> String {
    let output = assert.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn eci() -> (FakeEci, wiremock::MockServer, Home) {
    let fake = FakeEci::seeded();
    let server = fake.clone().start().await;
    let home = Home::new(&format!(
        "vendor = \"eci\"\nurl = \"{}\"\napi_key_env = \"ECI_API_KEY\"\n",
        server.uri()
    ));
    (fake, server, home)
}

async fn vizzly() -> (FakeVizzly, wiremock::MockServer, Home) {
    let fake = FakeVizzly::seeded();
    let server = fake.clone().start().await;
    let home = Home::new(&format!(
        "vendor = \"vizzly\"\nurl = \"{}\"\napi_key_env = \"VIZZLY_API_KEY\"\n",
        server.uri()
    ));
    (fake, server, home)
}

const ECI_ENV: (&str, &str) = ("ECI_API_KEY", ECI_KEY);
const VIZZLY_ENV: (&str, &str) = ("VIZZLY_API_KEY", VIZZLY_KEY);

#[tokio::test(flavor = "multi_thread")]
async fn eci_grant_of_a_user_and_a_group_keeps_the_others_in_one_put() {
    let (fake, _server, home) = eci().await;
    let assert = home
        .run(
            ECI_ENV,
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
    assert_eq!(fake.share(7), (vec![5, 11], vec![3, 21], false));
    assert_eq!(fake.count("PUT"), 1);
    assert!(!text(&assert).contains(ECI_KEY), "the API key leaked");
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_edit_access_exits_2_with_no_request() {
    let (fake, _server, home) = eci().await;
    home.run(
        ECI_ENV,
        &["grant", "7", "--user", "BOB", "--access", "edit"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("view-only"));
    assert!(fake.log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_a_non_integer_dashboard_exits_2_with_no_request() {
    let (fake, _server, home) = eci().await;
    home.run(ECI_ENV, &["grant", "seven", "--user", "BOB"])
        .await
        .code(2)
        .stderr(predicate::str::contains("'seven'"));
    assert!(fake.log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_everyone_drops_the_lists_and_says_so_also_in_a_dry_run() {
    let (fake, _server, home) = eci().await;
    for dry in [true, false] {
        let mut args = vec!["grant", "7", "--everyone"];
        if dry {
            args.push("--dry-run");
        }
        home.run(ECI_ENV, &args)
            .await
            .success()
            .stdout(predicate::str::contains("will not bring"))
            .stdout(predicate::str::contains("BOB"))
            .stdout(predicate::str::contains("Ops"));
    }
    assert_eq!(fake.share(7), (vec![], vec![], true));
    assert_eq!(fake.count("PUT"), 1);
    home.run(ECI_ENV, &["grant", "7", "--user", "alice@example.com"])
        .await
        .success()
        .stdout(predicate::str::contains("already shared with everyone"));
    assert_eq!(fake.count("PUT"), 1);
    home.run(ECI_ENV, &["revoke", "7", "--everyone"])
        .await
        .success();
    assert_eq!(fake.share(7), (vec![], vec![], false));
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_json_list_shows_the_shares_by_name() {
    let (_fake, _server, home) = eci().await;
    let assert = home
        .run(ECI_ENV, &["-o", "json", "list", "name:Energy Use"])
        .await
        .success();
    let json: Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(json["dashboard"]["id"], "7");
    let rows: Vec<(String, String)> = json["shares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["principal"].as_str().unwrap().into(),
                s["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("BOB".into(), "user".into()),
            ("Ops".into(), "group".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eci_a_wrong_key_exits_3_and_explains_both_causes() {
    let (_fake, _server, home) = eci().await;
    home.run(("ECI_API_KEY", "wrong-key"), &["list", "7"])
        .await
        .code(3)
        .stderr(predicate::str::contains("permission"))
        .stderr(predicate::str::contains("wrong-key").not());
}

#[tokio::test(flavor = "multi_thread")]
async fn vizzly_edit_lands_as_read_write_and_revoke_removes_the_user() {
    let (fake, _server, home) = vizzly().await;
    let assert = home
        .run(
            VIZZLY_ENV,
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
    assert!(!text(&assert).contains("SECRET"), "the API key leaked");
    assert!(fake.permissions().contains(&(
        "dsh_0f3a".into(),
        "read_write".into(),
        "customer-42".into()
    )));
    home.run(VIZZLY_ENV, &["revoke", "dsh_0f3a", "--user", "customer-42"])
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    assert!(
        !fake
            .permissions()
            .iter()
            .any(|(_, _, user)| user == "customer-42")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vizzly_group_list_and_dashboards_exit_2_before_any_request() {
    let (fake, _server, home) = vizzly().await;
    home.run(VIZZLY_ENV, &["grant", "dsh_0f3a", "--group", "Sales"])
        .await
        .code(2)
        .stderr(predicate::str::contains("--group"));
    home.run(VIZZLY_ENV, &["list", "dsh_0f3a"])
        .await
        .code(2)
        .stderr(predicate::str::contains("no API to read"));
    home.run(VIZZLY_ENV, &["dashboards"]).await.code(2);
    assert!(fake.log().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn env_only_mode_works_for_api_key_vendors() {
    let (fake, server, home) = eci().await;
    let mut cmd = dashshare(home.dir.path());
    cmd.env("DASHSHARE_API_KEY", ECI_KEY).args([
        "--vendor",
        "eci",
        "--url",
        &server.uri(),
        "check",
    ]);
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
        .success()
        .stdout(predicate::str::contains("ok:"));
    assert_eq!(fake.log().len(), 1);
}

async fn appviewx() -> (
    common::fake_appviewx::FakeAppViewX,
    wiremock::MockServer,
    Home,
) {
    let fake = common::fake_appviewx::FakeAppViewX::seeded();
    let server = fake.clone().start().await;
    let home = Home::new(&format!(
        "vendor = \"appviewx\"\nurl = \"{}\"\nusername = \"{AVX_USER}\"\npassword_env = \"AVX_PASSWORD\"\n",
        server.uri()
    ));
    (fake, server, home)
}

const AVX_ENV: (&str, &str) = ("AVX_PASSWORD", AVX_PASSWORD);

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_replace_sets_the_groups_and_no_secret_shows() {
    let (fake, _server, home) = appviewx().await;
    let assert = home
        .run(
            AVX_ENV,
            &[
                "-vvv",
                "grant",
                "Ops Board",
                "--group",
                "UG1",
                "--access",
                "edit",
                "--replace",
            ],
        )
        .await
        .success()
        .stdout(predicate::str::contains("complete share set"));
    let all = text(&assert);
    assert!(
        all.contains("dashboard-share-usergroupdetails-update"),
        "{all}"
    );
    for secret in [AVX_PASSWORD, "SESSION-SECRET"] {
        assert!(!all.contains(secret), "{secret} leaked:\n{all}");
    }
    assert_eq!(fake.lists("Ops Board"), (vec![], vec!["UG1".to_string()]));
}

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_vendor_codes_reach_the_user_with_the_contract_exit_codes() {
    let (_fake, _server, home) = appviewx().await;
    home.run(
        AVX_ENV,
        &["grant", "No Such Board", "--group", "UG1", "--replace"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("ADC_DASH_0045"))
    .stderr(predicate::str::contains("'No Such Board'"));
    home.run(AVX_ENV, &["grant", "Locked", "--group", "UG1", "--replace"])
        .await
        .code(1)
        .stderr(predicate::str::contains("ADC_DASH_0048"));
    home.run(AVX_ENV, &["grant", "a/b", "--group", "UG1", "--replace"])
        .await
        .code(2)
        .stderr(predicate::str::contains("ADC_DASH_0051"));
}

#[tokio::test(flavor = "multi_thread")]
async fn appviewx_check_logs_in_and_a_wrong_password_exits_3() {
    let (_fake, _server, home) = appviewx().await;
    home.run(AVX_ENV, &["check"])
        .await
        .success()
        .stdout(predicate::str::contains(AVX_USER));
    home.run(("AVX_PASSWORD", "wrong&pw"), &["check"])
        .await
        .code(3)
        .stderr(predicate::str::contains("wrong&pw").not());
}

async fn mindzie() -> (
    common::fake_mindzie::FakeMindzie,
    wiremock::MockServer,
    Home,
) {
    let fake = common::fake_mindzie::FakeMindzie::default();
    let server = fake.clone().start().await;
    let home = Home::new(&format!(
        "vendor = \"mindzie\"\nurl = \"{}\"\ntenant_id = \"{TENANT}\"\nproject_id = \"{PROJECT}\"\ntoken_env = \"MINDZIE_TOKEN\"\n",
        server.uri()
    ));
    (fake, server, home)
}

const MINDZIE_ENV: (&str, &str) = ("MINDZIE_TOKEN", MINDZIE_TOKEN);
const MZ_DASHBOARD: &str = common::fake_mindzie::DASHBOARD;

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_link_is_created_listed_and_revoked() {
    let (fake, _server, home) = mindzie().await;
    let assert = home
        .run(
            MINDZIE_ENV,
            &[
                "-vvv",
                "link",
                "create",
                MZ_DASHBOARD,
                "--expires",
                "2030-12-31",
                "--allow-domain",
                "company.com",
            ],
        )
        .await
        .success()
        .stdout(predicate::str::contains("share1"))
        .stdout(predicate::str::contains("/public/embed/dashboard/"))
        .stdout(predicate::str::contains("2030-12-31T23:59:59Z"));
    assert!(!text(&assert).contains(MINDZIE_TOKEN), "the token leaked");
    let link = &fake.links()["share1"];
    assert_eq!(link["expiration"]["expirationDate"], "2030-12-31T23:59:59Z");
    assert_eq!(
        link["accessControl"]["allowedDomains"],
        serde_json::json!(["company.com"])
    );

    let listed = home
        .run(MINDZIE_ENV, &["-o", "json", "link", "list", MZ_DASHBOARD])
        .await
        .success();
    let json: Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    assert_eq!(json["links"][0]["share_id"], "share1");
    assert_eq!(json["links"][0]["usage"]["total_views"], 0);

    home.run(MINDZIE_ENV, &["link", "revoke", MZ_DASHBOARD, "share1"])
        .await
        .success()
        .stdout(predicate::str::contains("revoked"));
    assert!(fake.links().is_empty());
    home.run(MINDZIE_ENV, &["link", "revoke", MZ_DASHBOARD, "share1"])
        .await
        .code(2)
        .stderr(predicate::str::contains("'share1'"));
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_embed_prints_an_iframe_with_the_chosen_parameters() {
    let (_fake, _server, home) = mindzie().await;
    home.run(
        MINDZIE_ENV,
        &[
            "embed",
            MZ_DASHBOARD,
            "--theme",
            "dark",
            "--toolbar",
            "false",
        ],
    )
    .await
    .success()
    .stdout(predicate::str::contains("<iframe"))
    .stdout(predicate::str::contains(
        "/embed/dashboard/550e8400-e29b-41d4-a716-446655440000?theme=dark&toolbar=false\"",
    ));
    home.run(MINDZIE_ENV, &["embed", MZ_DASHBOARD, "--public"])
        .await
        .code(2)
        .stderr(predicate::str::contains("link create"));
    home.run(MINDZIE_ENV, &["link", "create", MZ_DASHBOARD])
        .await
        .success();
    home.run(
        MINDZIE_ENV,
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
    .stdout(predicate::str::contains("?token=share1&filters=hidden"));
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_bad_dates_and_domains_exit_2_before_any_request() {
    let (fake, _server, home) = mindzie().await;
    for args in [
        vec!["link", "create", MZ_DASHBOARD, "--expires", "2020-01-01"],
        vec!["link", "create", MZ_DASHBOARD, "--expires", "next tuesday"],
        vec!["link", "create", MZ_DASHBOARD, "--expires-in", "soon"],
        vec![
            "link",
            "create",
            MZ_DASHBOARD,
            "--allow-domain",
            "https://company.com",
        ],
        vec![
            "link",
            "create",
            MZ_DASHBOARD,
            "--password-env",
            "UNSET_VARIABLE",
        ],
        vec!["link", "update", MZ_DASHBOARD, "share1"],
        vec!["grant", MZ_DASHBOARD, "--user", "alice"],
        vec!["list", MZ_DASHBOARD],
    ] {
        home.run(MINDZIE_ENV, &args).await.code(2);
    }
    assert!(fake.log().is_empty(), "{:?}", fake.log());
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_a_password_protected_link_never_shows_its_password() {
    let (fake, _server, home) = mindzie().await;
    let mut cmd = dashshare(home.dir.path());
    cmd.env("MINDZIE_TOKEN", MINDZIE_TOKEN)
        .env("LINK_PASSWORD", "pw-SECRET-77")
        .arg("--config")
        .arg(home.dir.path().join("config.toml"))
        .args([
            "-vvv",
            "link",
            "create",
            MZ_DASHBOARD,
            "--password-env",
            "LINK_PASSWORD",
            "-o",
            "json",
        ]);
    let assert = tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
        .success();
    assert!(!text(&assert).contains("pw-SECRET-77"));
    assert_eq!(
        fake.links()["share1"]["accessControl"]["password"],
        "pw-SECRET-77"
    );
    assert_eq!(
        fake.links()["share1"]["accessControl"]["requirePassword"],
        true
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mindzie_link_update_changes_only_what_is_asked() {
    let (fake, _server, home) = mindzie().await;
    home.run(
        MINDZIE_ENV,
        &["link", "create", MZ_DASHBOARD, "--expires-in", "30d"],
    )
    .await
    .success();
    home.run(
        MINDZIE_ENV,
        &[
            "link",
            "update",
            MZ_DASHBOARD,
            "share1",
            "--no-embed",
            "--expires",
            "2031-01-31",
        ],
    )
    .await
    .success();
    let link = &fake.links()["share1"];
    assert_eq!(link["permissions"]["allowEmbedding"], false);
    assert_eq!(link["permissions"]["allowPrint"], true);
    assert_eq!(link["expiration"]["expirationDate"], "2031-01-31T23:59:59Z");
}

#[tokio::test(flavor = "multi_thread")]
async fn vizzly_check_tries_the_key_without_changing_anything() {
    let (fake, _server, home) = vizzly().await;
    let before = fake.permissions();
    home.run(VIZZLY_ENV, &["check"])
        .await
        .success()
        .stdout(predicate::str::contains("accepted"));
    assert_eq!(fake.permissions(), before);
    home.run(("VIZZLY_API_KEY", "wrong"), &["check"])
        .await
        .code(3);
}
