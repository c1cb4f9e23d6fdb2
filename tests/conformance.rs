//! The same scenarios, written once, run through the real binary against every vendor that
//! supports them: grant keeps what was there, an idempotent re-grant writes nothing, a revoke
//! removes only its principal, an unknown principal changes nothing, and a dry run writes nothing.

mod common;

use std::path::Path;

use assert_cmd::assert::Assert;
use common::fake_eci::FakeEci;
use common::fake_sisense::FakeSisense;
use common::fake_vizzly::FakeVizzly;
use common::*;
use predicates::prelude::*;
use tempfile::TempDir;
use wiremock::MockServer;

/// What a scenario needs to know about one vendor's fake.
trait Vendor: Send + Sync {
    fn profile(&self, url: &str) -> String;
    fn env(&self) -> Vec<(&'static str, &'static str)>;
    fn dashboard(&self) -> &'static str;
    /// A user who exists and is not shared yet.
    fn new_user(&self) -> &'static str;
    /// A user the dashboard is already shared with (at view).
    fn shared_user(&self) -> &'static str;
    /// A user the vendor does not know, where the vendor can tell.
    fn unknown_user(&self) -> Option<&'static str>;
    /// Whether the vendor can read shares (and so report `unchanged`).
    fn can_read(&self) -> bool;
    fn has(&self, user: &str) -> bool;
    /// How many shares (or permissions) the dashboard has.
    fn size(&self) -> usize;
    fn writes(&self) -> usize;
}

struct Sisense(FakeSisense);
struct Eci(FakeEci);
struct Vizzly(FakeVizzly);

impl Vendor for Sisense {
    fn profile(&self, url: &str) -> String {
        format!(
            "vendor = \"sisense\"\nurl = \"{url}\"\nusername = \"{ADMIN}\"\npassword_env = \"SISENSE_PASSWORD\"\n"
        )
    }
    fn env(&self) -> Vec<(&'static str, &'static str)> {
        vec![("SISENSE_PASSWORD", PASSWORD)]
    }
    fn dashboard(&self) -> &'static str {
        "d1"
    }
    fn new_user(&self) -> &'static str {
        "alice@example.com"
    }
    fn shared_user(&self) -> &'static str {
        "carol@example.com"
    }
    fn unknown_user(&self) -> Option<&'static str> {
        Some("ghost@example.com")
    }
    fn can_read(&self) -> bool {
        true
    }
    fn has(&self, user: &str) -> bool {
        let id = format!("u-{}", user.split('@').next().unwrap_or_default());
        self.0
            .shares("d1")
            .iter()
            .any(|share| share["shareId"] == id.as_str())
    }
    fn size(&self) -> usize {
        self.0.shares("d1").len()
    }
    fn writes(&self) -> usize {
        self.0.count("PATCH")
    }
}

impl Vendor for Eci {
    fn profile(&self, url: &str) -> String {
        format!("vendor = \"eci\"\nurl = \"{url}\"\napi_key_env = \"ECI_API_KEY\"\n")
    }
    fn env(&self) -> Vec<(&'static str, &'static str)> {
        vec![("ECI_API_KEY", ECI_KEY)]
    }
    fn dashboard(&self) -> &'static str {
        "7"
    }
    fn new_user(&self) -> &'static str {
        "alice@example.com"
    }
    fn shared_user(&self) -> &'static str {
        "BOB"
    }
    fn unknown_user(&self) -> Option<&'static str> {
        Some("ghost@example.com")
    }
    fn can_read(&self) -> bool {
        true
    }
    fn has(&self, user: &str) -> bool {
        let id = match user {
            "alice@example.com" => 11,
            "BOB" => 5,
            _ => return false,
        };
        self.0.share(7).0.contains(&id)
    }
    fn size(&self) -> usize {
        let (users, groups, everyone) = self.0.share(7);
        users.len() + groups.len() + usize::from(everyone)
    }
    fn writes(&self) -> usize {
        self.0.count("PUT")
    }
}

impl Vendor for Vizzly {
    fn profile(&self, url: &str) -> String {
        format!("vendor = \"vizzly\"\nurl = \"{url}\"\napi_key_env = \"VIZZLY_API_KEY\"\n")
    }
    fn env(&self) -> Vec<(&'static str, &'static str)> {
        vec![("VIZZLY_API_KEY", VIZZLY_KEY)]
    }
    fn dashboard(&self) -> &'static str {
        "dsh_0f3a"
    }
    fn new_user(&self) -> &'static str {
        "customer-42"
    }
    fn shared_user(&self) -> &'static str {
        "customer-1"
    }
    fn unknown_user(&self) -> Option<&'static str> {
        None
    }
    fn can_read(&self) -> bool {
        false
    }
    fn has(&self, user: &str) -> bool {
        self.0.permissions().iter().any(|(_, _, u)| u == user)
    }
    fn size(&self) -> usize {
        self.0.permissions().len()
    }
    fn writes(&self) -> usize {
        self.0
            .log()
            .iter()
            .filter(|l| l.starts_with("PUT") || l.starts_with("DELETE"))
            .count()
    }
}

struct Run {
    home: TempDir,
    vendor: Box<dyn Vendor>,
    _server: MockServer,
}

impl Run {
    fn new(vendor: Box<dyn Vendor>, server: MockServer) -> Self {
        let home = TempDir::new().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            format!("[profiles.t]\n{}", vendor.profile(&server.uri())),
        )
        .unwrap();
        Run {
            home,
            vendor,
            _server: server,
        }
    }

    async fn dashshare(&self, args: &[&str]) -> Assert {
        let mut cmd = dashshare(self.home.path());
        cmd.args(["--config", config(self.home.path()).as_str()])
            .args(args);
        for (name, value) in self.vendor.env() {
            cmd.env(name, value);
        }
        tokio::task::spawn_blocking(move || cmd.assert())
            .await
            .unwrap()
    }
}

fn config(home: &Path) -> String {
    home.join("config.toml").display().to_string()
}

async fn sisense() -> Run {
    let fake = FakeSisense::seeded();
    // carol starts with a view share, so that the seeded set has a plain viewer to revoke.
    fake.state.lock().unwrap().dashboards[0]["shares"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"shareId": "u-carol", "type": "user", "rule": "view", "subscribe": false}));
    let server = fake.clone().start().await;
    Run::new(Box::new(Sisense(fake)), server)
}

async fn eci() -> Run {
    let fake = FakeEci::seeded();
    let server = fake.clone().start().await;
    Run::new(Box::new(Eci(fake)), server)
}

async fn vizzly() -> Run {
    let fake = FakeVizzly::seeded();
    let server = fake.clone().start().await;
    Run::new(Box::new(Vizzly(fake)), server)
}

async fn grant_adds_and_keeps_what_was_there(run: Run) {
    let v = &run.vendor;
    let before = v.size();
    let granted = run
        .dashshare(&["grant", v.dashboard(), "--user", v.new_user()])
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    // A vendor that cannot read permissions says that its result is what was sent.
    let said =
        String::from_utf8_lossy(&granted.get_output().stdout).contains("cannot read permissions");
    assert_eq!(said, !v.can_read());
    assert!(v.has(v.new_user()));
    assert!(v.has(v.shared_user()), "an existing share was lost");
    assert_eq!(v.size(), before + 1);
    assert_eq!(v.writes(), 1);
}

async fn regrant_is_unchanged_and_writes_nothing(run: Run) {
    let v = &run.vendor;
    assert!(
        v.can_read(),
        "only a vendor that reads shares can tell what is unchanged"
    );
    run.dashshare(&["grant", v.dashboard(), "--user", v.shared_user()])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"));
    assert_eq!(v.writes(), 0);
}

async fn revoke_removes_only_its_principal(run: Run) {
    let v = &run.vendor;
    run.dashshare(&["grant", v.dashboard(), "--user", v.new_user()])
        .await
        .success();
    let before = v.size();
    run.dashshare(&["revoke", v.dashboard(), "--user", v.shared_user()])
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    assert!(!v.has(v.shared_user()));
    assert!(v.has(v.new_user()), "revoke removed another share");
    assert_eq!(v.size(), before - 1);
}

async fn unknown_principal_changes_nothing(run: Run) {
    let v = &run.vendor;
    let unknown = v
        .unknown_user()
        .expect("scenario needs a vendor that resolves users");
    run.dashshare(&[
        "grant",
        v.dashboard(),
        "--user",
        v.new_user(),
        "--user",
        unknown,
    ])
    .await
    .code(2)
    .stderr(predicate::str::contains(unknown));
    assert_eq!(v.writes(), 0);
    assert!(!v.has(v.new_user()));
}

async fn dry_run_writes_nothing(run: Run) {
    let v = &run.vendor;
    run.dashshare(&["grant", v.dashboard(), "--user", v.new_user(), "--dry-run"])
        .await
        .success()
        .stdout(predicate::str::contains("dry run"));
    assert_eq!(v.writes(), 0);
    assert!(!v.has(v.new_user()));
}

macro_rules! scenario {
    ($name:ident: $scenario:ident on $($vendor:ident),+) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $vendor() {
                    $scenario(super::$vendor().await).await;
                }
            )+
        }
    };
}

scenario!(grant: grant_adds_and_keeps_what_was_there on sisense, eci, vizzly);
scenario!(regrant: regrant_is_unchanged_and_writes_nothing on sisense, eci);
scenario!(revoke: revoke_removes_only_its_principal on sisense, eci, vizzly);
scenario!(unknown_principal: unknown_principal_changes_nothing on sisense, eci);
scenario!(dry_run: dry_run_writes_nothing on sisense, eci, vizzly);

/// Runs the binary with a one-profile config for `profile` and the given environment.
async fn run_with(home: &Path, profile: &str, env: &[(&str, &str)], args: &[&str]) -> Assert {
    std::fs::write(home.join("config.toml"), format!("[profiles.t]\n{profile}")).unwrap();
    let mut cmd = dashshare(home);
    cmd.args(["--config", config(home).as_str()]).args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    tokio::task::spawn_blocking(move || cmd.assert())
        .await
        .unwrap()
}

fn sisense_profile(url: &str) -> String {
    format!(
        "vendor = \"sisense\"\nurl = \"{url}\"\nusername = \"{ADMIN}\"\npassword_env = \"SISENSE_PASSWORD\"\n"
    )
}

fn eci_profile(url: &str) -> String {
    format!("vendor = \"eci\"\nurl = \"{url}\"\napi_key_env = \"ECI_API_KEY\"\n")
}

fn vizzly_profile(url: &str) -> String {
    format!("vendor = \"vizzly\"\nurl = \"{url}\"\napi_key_env = \"VIZZLY_API_KEY\"\n")
}

fn appviewx_profile(url: &str) -> String {
    format!(
        "vendor = \"appviewx\"\nurl = \"{url}\"\nusername = \"{AVX_USER}\"\npassword_env = \"AVX_PASSWORD\"\n"
    )
}

/// `grant --replace`: the named groups become the complete share set (an owner, where the vendor has
/// one, stays).
mod replace {
    use super::*;
    use common::fake_appviewx::FakeAppViewX;

    #[tokio::test(flavor = "multi_thread")]
    async fn sisense() {
        let fake = FakeSisense::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &sisense_profile(&server.uri()),
            &[("SISENSE_PASSWORD", PASSWORD)],
            &[
                "grant",
                "d1",
                "--group",
                "Marketing",
                "--access",
                "edit",
                "--replace",
            ],
        )
        .await
        .success();
        let ids: Vec<String> = fake
            .shares("d1")
            .iter()
            .map(|s| s["shareId"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(ids, ["owner1", "g-mkt"]);
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn eci() {
        let fake = FakeEci::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &eci_profile(&server.uri()),
            &[("ECI_API_KEY", ECI_KEY)],
            &["grant", "7", "--group", "Managers", "--replace"],
        )
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
        assert_eq!(fake.share(7), (vec![], vec![21], false));
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn appviewx() {
        let fake = FakeAppViewX::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &appviewx_profile(&server.uri()),
            &[("AVX_PASSWORD", AVX_PASSWORD)],
            &[
                "grant",
                "Ops Board",
                "--group",
                "UG1",
                "--group",
                "UG2",
                "--access",
                "edit",
                "--replace",
            ],
        )
        .await
        .success();
        assert_eq!(
            fake.lists("Ops Board"),
            (vec![], vec!["UG1".to_string(), "UG2".to_string()])
        );
    }
}

/// Asking a vendor for what it cannot do exits 2 before any request reaches it.
mod refused_before_any_request {
    use super::*;
    use common::fake_appviewx::FakeAppViewX;

    #[tokio::test(flavor = "multi_thread")]
    async fn sisense() {
        let fake = FakeSisense::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &sisense_profile(&server.uri()),
            &[("SISENSE_PASSWORD", PASSWORD)],
            &["grant", "d1", "--everyone"],
        )
        .await
        .code(2);
        assert!(fake.log().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn eci() {
        let fake = FakeEci::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &eci_profile(&server.uri()),
            &[("ECI_API_KEY", ECI_KEY)],
            &["grant", "7", "--user", "BOB", "--access", "edit"],
        )
        .await
        .code(2);
        assert!(fake.log().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn vizzly() {
        let fake = FakeVizzly::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &vizzly_profile(&server.uri()),
            &[("VIZZLY_API_KEY", VIZZLY_KEY)],
            &["grant", "dsh_0f3a", "--group", "Sales"],
        )
        .await
        .code(2);
        run_with(
            home.path(),
            &vizzly_profile(&server.uri()),
            &[("VIZZLY_API_KEY", VIZZLY_KEY)],
            &["list", "dsh_0f3a"],
        )
        .await
        .code(2);
        assert!(fake.log().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn appviewx() {
        let fake = FakeAppViewX::seeded();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        run_with(
            home.path(),
            &appviewx_profile(&server.uri()),
            &[("AVX_PASSWORD", AVX_PASSWORD)],
            &["grant", "Ops Board", "--group", "UG1"],
        )
        .await
        .code(2)
        .stderr(predicate::str::contains("--replace"));
        run_with(
            home.path(),
            &appviewx_profile(&server.uri()),
            &[("AVX_PASSWORD", AVX_PASSWORD)],
            &["list", "Ops Board"],
        )
        .await
        .code(2);
        assert!(fake.log().is_empty());
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn mindzie() {
        let fake = common::fake_mindzie::FakeMindzie::default();
        let server = fake.clone().start().await;
        let home = TempDir::new().unwrap();
        let profile = format!(
            "vendor = \"mindzie\"\nurl = \"{}\"\ntenant_id = \"{TENANT}\"\nproject_id = \"{PROJECT}\"\ntoken_env = \"MINDZIE_TOKEN\"\n",
            server.uri()
        );
        for args in [
            ["grant", "d1", "--user", "alice"],
            ["revoke", "d1", "--group", "Sales"],
        ] {
            run_with(
                home.path(),
                &profile,
                &[("MINDZIE_TOKEN", MINDZIE_TOKEN)],
                &args,
            )
            .await
            .code(2)
            .stderr(predicate::str::contains("dashshare link"));
        }
        assert!(fake.log().is_empty());
    }
}

#[test]
fn every_available_vendor_is_in_the_suite() {
    // A vendor that lands must join the scenarios above where its capabilities allow.
    let covered = ["sisense", "eci", "vizzly", "appviewx", "mindzie"];
    for vendor in dashshare::vendor::Vendor::ALL {
        if vendor.capabilities().available {
            assert!(
                covered.contains(&vendor.as_str()),
                "{vendor} has no conformance run"
            );
        }
    }
}
