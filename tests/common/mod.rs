//! Helpers for every file here, no tests: the sandbox home, the hermetic binary, mocks.
//!
//! Helpers shared by the integration tests: vendor profiles pointed at a mock server, the Sisense
//! login mock, a hermetic way to run the binary, and the binary against an in-process sandbox.
#![allow(dead_code)]

use std::path::Path;

use dashshare::config::Profile;
use dashshare::http::{HttpOptions, RetryPolicy};
use dashshare::vendor::Vendor;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::Duration;
use wiremock::matchers::{body_string, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const ADMIN: &str = "admin@example.com";
/// Every character that hand-written form bodies get wrong.
pub const PASSWORD: &str = "p@ss+w&rd%20=é";
/// PASSWORD as `application/x-www-form-urlencoded` must carry it.
pub const LOGIN_BODY: &str = "username=admin%40example.com&password=p%40ss%2Bw%26rd%2520%3D%C3%A9";
pub const TOKEN: &str = "tok-SECRET-1";
pub const BEARER: &str = "Bearer tok-SECRET-1";

pub fn sisense_profile(server: &MockServer) -> Profile {
    Profile {
        name: "test".into(),
        vendor: Vendor::Sisense,
        url: server.uri().parse().unwrap(),
        username: Some(ADMIN.into()),
        password: Some(SecretString::from(PASSWORD)),
        api_key: None,
        token: None,
        settings: Default::default(),
        rate_limit: None,
        timeout: None,
    }
}

pub const ECI_KEY: &str = "eci-KEY-SECRET-42";

pub fn eci_profile(server: &MockServer) -> Profile {
    Profile {
        name: "eci-test".into(),
        vendor: Vendor::Eci,
        url: server.uri().parse().unwrap(),
        username: None,
        password: None,
        api_key: Some(SecretString::from(ECI_KEY)),
        token: None,
        settings: Default::default(),
        rate_limit: None,
        timeout: None,
    }
}

pub const VIZZLY_KEY: &str = "vizzly_project_api_key_SECRET:::rest";

pub fn vizzly_profile(server: &MockServer) -> Profile {
    Profile {
        vendor: Vendor::Vizzly,
        name: "vizzly-test".into(),
        api_key: Some(SecretString::from(VIZZLY_KEY)),
        ..eci_profile(server)
    }
}

pub const AVX_USER: &str = "svc-dashshare";
pub const AVX_PASSWORD: &str = "avx+P&ss=1%";
pub const AVX_SESSION: &str = "ce7f1a14-SESSION-SECRET";

pub fn appviewx_profile(server: &MockServer) -> Profile {
    Profile {
        vendor: Vendor::Appviewx,
        name: "avx-test".into(),
        username: Some(AVX_USER.into()),
        password: Some(SecretString::from(AVX_PASSWORD)),
        api_key: None,
        ..eci_profile(server)
    }
}

pub const MINDZIE_TOKEN: &str = "mz-TOKEN-SECRET-9";
pub const TENANT: &str = "11111111-1111-1111-1111-111111111111";
pub const PROJECT: &str = "22222222-2222-2222-2222-222222222222";

pub fn mindzie_profile(server: &MockServer) -> Profile {
    Profile {
        vendor: Vendor::Mindzie,
        name: "mindzie-test".into(),
        api_key: None,
        token: Some(SecretString::from(MINDZIE_TOKEN)),
        settings: [("tenant_id", TENANT), ("project_id", PROJECT)]
            .into_iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect(),
        ..eci_profile(server)
    }
}

/// Short backoff so retry tests stay fast; `Retry-After` still applies as the server says.
pub fn fast_options() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        ..HttpOptions::default()
    }
}

/// The login: exactly this form body, answered with TOKEN, `times` times.
pub async fn mount_login(server: &MockServer, times: u64) {
    Mock::given(method("POST"))
        .and(path("/api/v1/authentication/login"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(LOGIN_BODY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "message": "", "profile": {}, "access_token": TOKEN
        })))
        .expect(times)
        .named("login")
        .mount(server)
        .await;
}

/// The empty page that ends a Sisense listing read with `limit=50` and `skip`: asked for once,
/// after the `skip` rows already read (pysisense `migration/dashboards.py` pages until a page
/// comes back empty). The page before it is pinned with `skip=0` by its own test.
pub async fn mount_listing_end(server: &MockServer, route: &str, skip: usize) {
    Mock::given(method("GET"))
        .and(path(route))
        .and(query_param("limit", "50"))
        .and(query_param("skip", skip.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .named(format!("{route}: the empty page after {skip} rows"))
        .mount(server)
        .await;
}

/// A grant reads the dashboard's data model from its admin-listing row (pysisense `utils.py`
/// `_dashboard_admin_record`: `dashboardType=owner&id=…`); this answers a row without a
/// `datasource`, so no model is read: one request per dashboard granted.
pub async fn mount_no_data_model(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/api/v1/dashboards/admin"))
        .and(query_param("fields", "oid,title,datasource"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .named("the dashboard's data model")
        .mount(server)
        .await;
}

/// A Sisense user look-up with `filter` = `value`, answered with `body`, `times` times.
pub async fn mount_user(server: &MockServer, filter: &str, value: &str, body: Value, times: u64) {
    Mock::given(method("GET"))
        .and(path("/api/v1/users"))
        .and(query_param(filter, value))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(times)
        .named(format!("users?{filter}={value}"))
        .mount(server)
        .await;
}

/// One Sisense user, found once by `email`.
pub async fn mount_email_user(server: &MockServer, email: &str, id: &str) {
    mount_user(server, "email", email, json!([user(id, email)]), 1).await;
}

/// A dashboard with its owner (no rule), a viewer with extra fields, and a group.
pub fn dashboard(shares: Value) -> Value {
    json!({
        "oid": "d1",
        "title": "Sales KPIs",
        "owner": "owner1",
        "shares": shares,
    })
}

pub fn owner_share() -> Value {
    json!({"shareId": "owner1", "type": "user", "subscribe": true})
}

pub fn bob_share() -> Value {
    json!({"shareId": "bob1", "type": "user", "rule": "edit", "subscribe": true})
}

/// A group's entry carries the group's `name` (pysisense `migration/dashboards.py` reads it).
pub fn group_share() -> Value {
    json!({"shareId": "grp1", "type": "group", "rule": "view", "subscribe": false, "name": "Marketing"})
}

pub fn user(id: &str, email: &str) -> Value {
    json!({"_id": id, "email": email, "userName": email, "firstName": "F", "lastName": "L"})
}

/// The binary with an empty environment: no HOME config, no XDG dirs, no inherited secrets.
pub fn dashshare(home: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("dashshare").unwrap();
    cmd.env_clear()
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("xdg-config"))
        .env("XDG_STATE_HOME", home.join("xdg-state"))
        .env("NO_COLOR", "1");
    cmd
}

/// A config file with one Sisense profile `test` pointed at `url`, password from SISENSE_PASSWORD.
pub fn write_sisense_config(home: &Path, url: &str) -> std::path::PathBuf {
    let path = home.join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[profiles.test]\nvendor = \"sisense\"\nurl = \"{url}\"\nusername = \"{ADMIN}\"\npassword_env = \"SISENSE_PASSWORD\"\n"
        ),
    )
    .unwrap();
    path
}

/// The real binary against an in-process sandbox, with a hermetic home and the sandbox's config.
pub struct SandboxHome {
    pub sandbox: dashshare::sandbox::Sandbox,
    pub home: tempfile::TempDir,
}

impl SandboxHome {
    pub async fn start() -> Self {
        Self::with(dashshare::sandbox::SandboxOptions::default()).await
    }

    pub async fn with(options: dashshare::sandbox::SandboxOptions) -> Self {
        Self::with_world(dashshare::sandbox::World::seeded(), options).await
    }

    pub async fn with_world(
        world: dashshare::sandbox::World,
        options: dashshare::sandbox::SandboxOptions,
    ) -> Self {
        let sandbox = dashshare::sandbox::Sandbox::start(world, &options)
            .await
            .unwrap();
        let home = tempfile::TempDir::new().unwrap();
        std::fs::write(home.path().join("config.toml"), sandbox.config_toml(None)).unwrap();
        SandboxHome { sandbox, home }
    }

    /// `dashshare -p PROFILE ARGS…` with the sandbox's secrets in the environment.
    pub async fn run(&self, profile: &str, args: &[&str]) -> assert_cmd::assert::Assert {
        self.run_with(profile, &[], args).await
    }

    /// Like `run`, with `env` set after (and so over) the sandbox's secrets.
    pub async fn run_with(
        &self,
        profile: &str,
        env: &[(&str, &str)],
        args: &[&str],
    ) -> assert_cmd::assert::Assert {
        let mut cmd = dashshare(self.home.path());
        cmd.env("DASHSHARE_CONFIG", self.home.path().join("config.toml"));
        for (name, value) in self.sandbox.secrets() {
            cmd.env(name, value);
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        cmd.args(["-p", profile]).args(args);
        tokio::task::spawn_blocking(move || cmd.assert())
            .await
            .unwrap()
    }

    /// `program` as a plain process (to start several, signal or kill), with the environment of
    /// `run`: cleared, this home's own XDG folders (so one journal), the sandbox's config and
    /// secrets.
    pub fn process(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let root = self.home.path();
        let mut command = std::process::Command::new(program);
        command
            .env_clear()
            .env("HOME", root)
            .env("XDG_CONFIG_HOME", root.join("xdg-config"))
            .env("XDG_STATE_HOME", root.join("xdg-state"))
            .env("NO_COLOR", "1")
            .env("DASHSHARE_CONFIG", root.join("config.toml"))
            .envs(self.sandbox.secrets());
        command
    }

    /// `dashshare -p sandbox-sisense ARGS…` started in the background (to signal or kill it), its
    /// output captured when `capture`, else dropped.
    pub fn spawn_sisense(&self, args: &[&str], capture: bool) -> std::process::Child {
        let output = || {
            if capture {
                std::process::Stdio::piped()
            } else {
                std::process::Stdio::null()
            }
        };
        self.process(env!("CARGO_BIN_EXE_dashshare"))
            .args(["-p", "sandbox-sisense"])
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(output())
            .stderr(output())
            .spawn()
            .unwrap()
    }

    pub fn world(&self) -> dashshare::sandbox::World {
        self.sandbox.world()
    }

    /// How many requests to `vendor` started with `prefix` ("PATCH", "POST /api/v1/dashboards").
    pub fn count(&self, vendor: Vendor, prefix: &str) -> usize {
        self.sandbox
            .requests(vendor)
            .iter()
            .filter(|request| request.starts_with(prefix))
            .count()
    }
}

/// Everything a run printed, stdout then stderr.
/// The entries of the sandbox's Sisense data model `title`, as the emulator holds them.
pub fn model_shares(home: &SandboxHome, title: &str) -> Vec<Value> {
    home.world()
        .sisense
        .models
        .iter()
        .find(|model| model.title == title)
        .unwrap()
        .shares
        .clone()
}

pub fn printed(assert: &assert_cmd::assert::Assert) -> String {
    let output = assert.get_output();
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

pub const SISENSE_DASHBOARD: &str = "5829b46bd009e91420000047";
pub const MINDZIE_DASHBOARD: &str = "550e8400-e29b-41d4-a716-446655440000";

/// An answer body from `tests/fixtures/<vendor>/<name>`, written from the vendor's own SDK models
/// or documented samples (not from our emulators). The file's first line must name that source
/// (`# source: …`); the rest is the body, returned as sent.
pub fn fixture(vendor: &str, name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(vendor)
        .join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read fixture {}: {err}", path.display()));
    let (first, body) = text.split_once('\n').unwrap_or((&text, ""));
    assert!(
        first.starts_with("# source: ") && first.len() > "# source: ".len() + 5,
        "fixture {} must start with a `# source: …` line naming where its body comes from",
        path.display()
    );
    body.to_string()
}

/// A fixture's body as JSON.
pub fn fixture_json(vendor: &str, name: &str) -> Value {
    serde_json::from_str(&fixture(vendor, name))
        .unwrap_or_else(|err| panic!("fixture {vendor}/{name} is not JSON: {err}"))
}

/// Sisense's share read and write (pysisense 2.3.3 `dashboard/shares.py`), as the sandbox records
/// them: prefixes for `SandboxHome::count`.
pub const SHARES_READ: &str = "GET /api/shares/dashboard/";
pub const SHARES_WRITE: &str = "POST /api/shares/dashboard/";

/// The share ids of the first Sisense dashboard, in the emulator's order.
pub fn sisense_share_ids(world: &dashshare::sandbox::World) -> Vec<String> {
    world.sisense.dashboards[0]
        .shares
        .iter()
        .filter_map(|s| s["shareId"].as_str().map(str::to_string))
        .collect()
}

/// A Sisense token from the emulator, logged in as the world's admin.
pub async fn sisense_token(
    client: &reqwest::Client,
    url: &str,
    world: &dashshare::sandbox::World,
) -> String {
    let answer: Value = client
        .post(format!("{url}/api/v1/authentication/login"))
        .form(&[
            ("username", world.sisense.admin.username.as_str()),
            ("password", world.sisense.admin.password.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().unwrap().to_string()
}

/// The Sisense emulator's id of the user with `email`.
pub fn sisense_id(world: &dashshare::sandbox::World, email: &str) -> Option<String> {
    world
        .sisense
        .users
        .iter()
        .find(|u| u.email == email)
        .map(|u| u.id.clone())
}
