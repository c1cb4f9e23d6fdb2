//! End to end: the binary against the sandbox, each scenario once on every vendor that can.
//!
//! The same scenarios, written once, run through the real binary against every vendor (in the
//! sandbox) whose capabilities allow them: a grant keeps what was there, an idempotent re-grant
//! writes nothing, a revoke removes only its principal, an unknown principal changes nothing, a
//! dry run writes nothing, `--replace` states the complete set, and what a vendor cannot do is
//! refused before any request.

use crate::common::*;
use dashshare::sandbox::World;
use dashshare::vendor::Vendor;
use predicates::prelude::*;

/// What a scenario needs to know about one vendor in the sandbox.
trait Subject: Sync {
    fn vendor(&self) -> Vendor;
    fn dashboard(&self) -> &'static str;
    /// A user who exists and is not shared yet.
    fn new_user(&self) -> &'static str;
    /// A user the dashboard is already shared with, at view.
    fn shared_user(&self) -> &'static str;
    /// A user the vendor does not know, where the vendor can tell.
    fn unknown_user(&self) -> Option<&'static str>;
    /// Whether the vendor can read shares (and so report `unchanged`).
    fn can_read(&self) -> bool;
    fn has(&self, world: &World, user: &str) -> bool;
    /// How many shares (or permissions) the dashboard has.
    fn size(&self, world: &World) -> usize;
    /// The request methods that write.
    fn writes(&self) -> &'static [&'static str];
    /// Brings the seeded world to the scenario's starting point.
    fn prepare(&self, _home: &SandboxHome) {}
}

struct Sisense;
struct Eci;
struct Vizzly;

fn sisense_id(world: &World, email: &str) -> Option<String> {
    world
        .sisense
        .users
        .iter()
        .find(|u| u.email == email)
        .map(|u| u.id.clone())
}

impl Subject for Sisense {
    fn vendor(&self) -> Vendor {
        Vendor::Sisense
    }
    fn dashboard(&self) -> &'static str {
        SISENSE_DASHBOARD
    }
    fn new_user(&self) -> &'static str {
        "alice@example.com"
    }
    fn shared_user(&self) -> &'static str {
        "carol+bi@example.com"
    }
    fn unknown_user(&self) -> Option<&'static str> {
        Some("ghost@example.com")
    }
    fn can_read(&self) -> bool {
        true
    }
    fn has(&self, world: &World, user: &str) -> bool {
        let id = sisense_id(world, user);
        world.sisense.dashboards[0]
            .shares
            .iter()
            .any(|s| s["shareId"].as_str() == id.as_deref())
    }
    fn size(&self, world: &World) -> usize {
        world.sisense.dashboards[0].shares.len()
    }
    fn writes(&self) -> &'static [&'static str] {
        &[SHARES_WRITE]
    }
    fn prepare(&self, home: &SandboxHome) {
        home.sandbox.edit_world(|world| {
            let carol = sisense_id(world, "carol+bi@example.com");
            world.sisense.dashboards[0].shares.push(
                serde_json::json!({"shareId": carol, "type": "user", "rule": "view", "subscribe": false}),
            );
        });
    }
}

impl Subject for Eci {
    fn vendor(&self) -> Vendor {
        Vendor::Eci
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
    fn has(&self, world: &World, user: &str) -> bool {
        let id = world
            .eci
            .users
            .iter()
            .find(|u| u.email == user || u.user_code == user)
            .map(|u| u.user_id);
        let dashboard = world
            .eci
            .dashboards
            .iter()
            .find(|d| d.dashboard_id == 7)
            .unwrap();
        id.is_some_and(|id| dashboard.shared_user_ids.contains(&id))
    }
    fn size(&self, world: &World) -> usize {
        let d = world
            .eci
            .dashboards
            .iter()
            .find(|d| d.dashboard_id == 7)
            .unwrap();
        d.shared_user_ids.len()
            + d.shared_user_group_ids.len()
            + usize::from(d.shared_with_everyone)
    }
    fn writes(&self) -> &'static [&'static str] {
        &["PUT"]
    }
}

impl Subject for Vizzly {
    fn vendor(&self) -> Vendor {
        Vendor::Vizzly
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
    fn has(&self, world: &World, user: &str) -> bool {
        world
            .vizzly
            .permissions
            .iter()
            .any(|p| p.user_reference == user)
    }
    fn size(&self, world: &World) -> usize {
        world.vizzly.permissions.len()
    }
    fn writes(&self) -> &'static [&'static str] {
        &["PUT", "DELETE"]
    }
}

async fn start(subject: &dyn Subject) -> SandboxHome {
    let home = SandboxHome::start().await;
    subject.prepare(&home);
    home
}

fn writes(home: &SandboxHome, subject: &dyn Subject) -> usize {
    subject
        .writes()
        .iter()
        .map(|verb| home.count(subject.vendor(), verb))
        .sum()
}

fn profile(subject: &dyn Subject) -> String {
    dashshare::sandbox::Sandbox::profile_name(subject.vendor())
}

async fn grant_adds_and_keeps_what_was_there(v: &dyn Subject) {
    let home = start(v).await;
    let before = v.size(&home.world());
    let granted = home
        .run(
            &profile(v),
            &["grant", v.dashboard(), "--user", v.new_user()],
        )
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    // A vendor that cannot read permissions says that its result is what was sent.
    assert_eq!(
        printed(&granted).contains("cannot read permissions"),
        !v.can_read()
    );
    let world = home.world();
    assert!(v.has(&world, v.new_user()));
    assert!(v.has(&world, v.shared_user()), "an existing share was lost");
    assert_eq!(v.size(&world), before + 1);
    assert_eq!(writes(&home, v), 1);
}

async fn regrant_is_unchanged_and_writes_nothing(v: &dyn Subject) {
    assert!(
        v.can_read(),
        "only a vendor that reads shares can tell what is unchanged"
    );
    let home = start(v).await;
    home.run(
        &profile(v),
        &["grant", v.dashboard(), "--user", v.shared_user()],
    )
    .await
    .success()
    .stdout(predicate::str::contains("unchanged"));
    assert_eq!(writes(&home, v), 0);
}

async fn revoke_removes_only_its_principal(v: &dyn Subject) {
    let home = start(v).await;
    home.run(
        &profile(v),
        &["grant", v.dashboard(), "--user", v.new_user()],
    )
    .await
    .success();
    let before = v.size(&home.world());
    home.run(
        &profile(v),
        &["revoke", v.dashboard(), "--user", v.shared_user()],
    )
    .await
    .success()
    .stdout(predicate::str::contains("removed"));
    let world = home.world();
    assert!(!v.has(&world, v.shared_user()));
    assert!(v.has(&world, v.new_user()), "revoke removed another share");
    assert_eq!(v.size(&world), before - 1);
}

async fn unknown_principal_changes_nothing(v: &dyn Subject) {
    let home = start(v).await;
    let unknown = v
        .unknown_user()
        .expect("scenario needs a vendor that resolves users");
    home.run(
        &profile(v),
        &[
            "grant",
            v.dashboard(),
            "--user",
            v.new_user(),
            "--user",
            unknown,
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains(unknown));
    assert_eq!(writes(&home, v), 0);
    assert!(!v.has(&home.world(), v.new_user()));
}

async fn dry_run_writes_nothing(v: &dyn Subject) {
    let home = start(v).await;
    home.run(
        &profile(v),
        &["grant", v.dashboard(), "--user", v.new_user(), "--dry-run"],
    )
    .await
    .success()
    .stdout(predicate::str::contains("dry run"));
    assert_eq!(writes(&home, v), 0);
    assert!(!v.has(&home.world(), v.new_user()));
}

macro_rules! scenario {
    ($name:ident: $scenario:ident on $($vendor:ident => $subject:expr),+) => {
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $vendor() {
                    $scenario(&$subject).await;
                }
            )+
        }
    };
}

scenario!(grant: grant_adds_and_keeps_what_was_there on sisense => Sisense, eci => Eci, vizzly => Vizzly);
scenario!(regrant: regrant_is_unchanged_and_writes_nothing on sisense => Sisense, eci => Eci);
scenario!(revoke: revoke_removes_only_its_principal on sisense => Sisense, eci => Eci, vizzly => Vizzly);
scenario!(unknown_principal: unknown_principal_changes_nothing on sisense => Sisense, eci => Eci);
scenario!(dry_run: dry_run_writes_nothing on sisense => Sisense, eci => Eci, vizzly => Vizzly);

/// `grant --replace`: the named groups become the complete share set (an owner, where the vendor
/// has one, stays).
mod replace {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn sisense() {
        let home = SandboxHome::start().await;
        home.run(
            "sandbox-sisense",
            &[
                "grant",
                SISENSE_DASHBOARD,
                "--group",
                "Marketing",
                "--access",
                "edit",
                "--replace",
            ],
        )
        .await
        .success();
        let shares = home.world().sisense.dashboards[0].shares.clone();
        let ids: Vec<&str> = shares
            .iter()
            .filter_map(|s| s["shareId"].as_str())
            .collect();
        assert_eq!(
            ids,
            ["5f0000000000000000000001", "6a0000000000000000000001"]
        );
        assert_eq!(shares[1]["rule"], "edit");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn eci() {
        let home = SandboxHome::start().await;
        home.run(
            "sandbox-eci",
            &["grant", "7", "--group", "Managers", "--replace"],
        )
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
        let world = home.world();
        let d = world
            .eci
            .dashboards
            .iter()
            .find(|d| d.dashboard_id == 7)
            .unwrap();
        assert!(d.shared_user_ids.is_empty());
        assert_eq!(
            d.shared_user_group_ids.iter().copied().collect::<Vec<_>>(),
            [21]
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn appviewx() {
        let home = SandboxHome::start().await;
        home.run(
            "sandbox-appviewx",
            &[
                "grant",
                "Ops Board",
                "--group",
                "SRE",
                "--group",
                "PKI Admins",
                "--access",
                "edit",
                "--replace",
            ],
        )
        .await
        .success();
        let shares = home.world().appviewx.dashboards["Ops Board"].clone();
        assert!(shares.read_user_groups.is_empty());
        assert_eq!(shares.read_write_user_groups, ["SRE", "PKI Admins"]);
    }
}

/// Asking a vendor for what it cannot do exits 2 before any request reaches it.
mod refused_before_any_request {
    use super::*;

    async fn refused(vendor: Vendor, commands: &[&[&str]], says: &str) {
        let home = SandboxHome::start().await;
        let profile = dashshare::sandbox::Sandbox::profile_name(vendor);
        for args in commands {
            home.run(&profile, args)
                .await
                .code(2)
                .stderr(predicate::str::contains(says));
        }
        assert!(
            home.sandbox.requests(vendor).is_empty(),
            "{:?}",
            home.sandbox.requests(vendor)
        );
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn sisense() {
        refused(
            Vendor::Sisense,
            &[&["link", "create", SISENSE_DASHBOARD]],
            "no public share links",
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn eci() {
        refused(
            Vendor::Eci,
            &[&["grant", "7", "--user", "BOB", "--access", "edit"]],
            "view-only",
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn vizzly() {
        refused(
            Vendor::Vizzly,
            &[
                &["grant", "dsh_0f3a", "--group", "Sales"],
                &["list", "dsh_0f3a"],
            ],
            "vizzly",
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn appviewx() {
        refused(
            Vendor::Appviewx,
            &[
                &["grant", "Ops Board", "--group", "SRE"],
                &["revoke", "Ops Board", "--group", "SRE"],
            ],
            "--replace",
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn mindzie() {
        refused(
            Vendor::Mindzie,
            &[
                &["grant", MINDZIE_DASHBOARD, "--user", "alice"],
                &["revoke", MINDZIE_DASHBOARD, "--group", "Sales"],
                &["list", MINDZIE_DASHBOARD],
            ],
            "dashshare link",
        )
        .await;
    }
}
