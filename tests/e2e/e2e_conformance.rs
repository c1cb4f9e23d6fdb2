//! End to end: the binary against the sandbox, each scenario once on every vendor that can.
//!
//! The same scenarios, written once, run through the real binary against every vendor (in the
//! sandbox) whose capabilities allow them: a grant keeps what was there, an idempotent re-grant
//! writes nothing, a revoke removes only its principal, an unknown principal changes nothing, a
//! dry run writes nothing, `--replace` states the complete set, and what a vendor cannot do is
//! refused before any request.
//!
//! Which vendors a scenario runs on comes from `Vendor::ALL` and their capabilities; the names it
//! uses come from the emulator's `sandbox::Cast`. Each scenario's `covers_every_vendor_that_can`
//! fails when a vendor that can is missing from its `scenario!` line, so a new vendor is never
//! skipped silently.

use crate::common::*;
use dashshare::model::Access;
use dashshare::sandbox::{Cast, World};
use dashshare::vendor::{Support, Vendor};
use predicates::prelude::*;

/// What Cast and capabilities cannot say about a vendor: how to read its emulator's world.
struct Facts {
    vendor: Vendor,
    /// A user the dashboard is already shared with, at view (after `prepare`).
    shared_user: &'static str,
    /// A user the vendor does not know, where the vendor can tell.
    unknown_user: Option<&'static str>,
    /// The requests that write, as prefixes for `SandboxHome::count`.
    writes: &'static [&'static str],
    has: fn(&World, dashboard: &str, user: &str) -> bool,
    /// How many shares (or permissions) the dashboard has.
    size: fn(&World, dashboard: &str) -> usize,
    /// Brings the seeded world to the scenarios' starting point.
    prepare: fn(&mut World),
}

const FACTS: &[Facts] = &[
    Facts {
        vendor: Vendor::Sisense,
        shared_user: SISENSE_SHARED,
        unknown_user: Some("ghost@example.com"),
        writes: &[SHARES_WRITE],
        has: |world, dashboard, user| {
            let id = sisense_id(world, user);
            sisense_dashboard(world, dashboard)
                .shares
                .iter()
                .any(|s| s["shareId"].as_str() == id.as_deref())
        },
        size: |world, dashboard| sisense_dashboard(world, dashboard).shares.len(),
        // The seeded dashboard has no user at view: carol becomes one.
        prepare: |world| {
            let dashboard = cast(Vendor::Sisense, world).dashboard;
            let carol = sisense_id(world, SISENSE_SHARED);
            world
                .sisense
                .dashboards
                .iter_mut()
                .find(|d| d.oid == dashboard)
                .unwrap()
                .shares
                .push(serde_json::json!({"shareId": carol, "type": "user", "rule": "view", "subscribe": false}));
        },
    },
    Facts {
        vendor: Vendor::Eci,
        // By user code, where the new user is named by email.
        shared_user: "BOB",
        unknown_user: Some("ghost@example.com"),
        writes: &["PUT"],
        has: |world, dashboard, user| {
            let id = world
                .eci
                .users
                .iter()
                .find(|u| u.email == user || u.user_code == user)
                .map(|u| u.user_id);
            id.is_some_and(|id| {
                eci_dashboard(world, dashboard)
                    .shared_user_ids
                    .contains(&id)
            })
        },
        size: |world, dashboard| {
            let d = eci_dashboard(world, dashboard);
            d.shared_user_ids.len()
                + d.shared_user_group_ids.len()
                + usize::from(d.shared_with_everyone)
        },
        prepare: |_| {},
    },
    Facts {
        vendor: Vendor::Vizzly,
        shared_user: "customer-1",
        // Vizzly keeps no users: any reference is one the customer's identity logic may issue.
        unknown_user: None,
        writes: &["PUT", "DELETE"],
        has: |world, dashboard, user| {
            world
                .vizzly
                .permissions
                .iter()
                .any(|p| p.dashboard_id == dashboard && p.user_reference == user)
        },
        size: |world, dashboard| {
            world
                .vizzly
                .permissions
                .iter()
                .filter(|p| p.dashboard_id == dashboard)
                .count()
        },
        prepare: |_| {},
    },
];

const SISENSE_SHARED: &str = "carol+bi@example.com";

fn facts(vendor: Vendor) -> &'static Facts {
    FACTS
        .iter()
        .find(|facts| facts.vendor == vendor)
        .unwrap_or_else(|| panic!("describe how to read {vendor}'s emulator in FACTS"))
}

fn cast(vendor: Vendor, world: &World) -> Cast {
    Cast::of(vendor, world).unwrap_or_else(|| panic!("the seeded {vendor} world has no cast"))
}

fn sisense_dashboard<'w>(
    world: &'w World,
    oid: &str,
) -> &'w dashshare::sandbox::world::SisenseDashboard {
    world
        .sisense
        .dashboards
        .iter()
        .find(|d| d.oid == oid)
        .unwrap()
}

fn eci_dashboard<'w>(world: &'w World, id: &str) -> &'w dashshare::sandbox::world::EciDashboard {
    world
        .eci
        .dashboards
        .iter()
        .find(|d| d.dashboard_id.to_string() == id)
        .unwrap()
}

/// A vendor's name as a test's name spells it.
fn vendor(name: &str) -> Vendor {
    name.parse()
        .unwrap_or_else(|err| panic!("{name} is no vendor: {err}"))
}

/// Grants users without `--replace`.
fn grants_users(vendor: Vendor) -> bool {
    let caps = vendor.capabilities();
    caps.available && !caps.user.is_empty() && !caps.replace_only
}

/// Reads shares, and so can report `unchanged`.
fn reads_shares(vendor: Vendor) -> bool {
    vendor.capabilities().list == Support::Yes
}

/// Fails unless `listed` are exactly the vendors of `Vendor::ALL` that `can` run `scenario`.
fn covers(scenario: &str, listed: &[&str], can: fn(Vendor) -> bool) {
    let expected: Vec<&str> = Vendor::ALL
        .into_iter()
        .filter(|vendor| can(*vendor))
        .map(Vendor::as_str)
        .collect();
    let mut listed = listed.to_vec();
    listed.sort_by_key(|name| Vendor::ALL.iter().position(|v| v.as_str() == *name));
    assert_eq!(
        listed, expected,
        "scenario {scenario} runs on {listed:?} but the vendors that can are {expected:?}: \
         list each in its scenario! line"
    );
}

/// One vendor's sandbox at the scenarios' starting point, with the names it works with.
struct Bench {
    home: SandboxHome,
    vendor: Vendor,
    facts: &'static Facts,
    dashboard: String,
    /// A user who exists and is not shared yet.
    new_user: String,
}

impl Bench {
    async fn start(vendor: Vendor) -> Bench {
        let facts = facts(vendor);
        let home = SandboxHome::start().await;
        home.sandbox.edit_world(facts.prepare);
        let cast = cast(vendor, &home.world());
        let new_user = cast
            .user
            .unwrap_or_else(|| panic!("{vendor}'s cast has no user"));
        Bench {
            home,
            vendor,
            facts,
            dashboard: cast.dashboard,
            new_user,
        }
    }

    async fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        let profile = dashshare::sandbox::Sandbox::profile_name(self.vendor);
        self.home.run(&profile, args).await
    }

    fn has(&self, world: &World, user: &str) -> bool {
        (self.facts.has)(world, &self.dashboard, user)
    }

    fn size(&self, world: &World) -> usize {
        (self.facts.size)(world, &self.dashboard)
    }

    fn writes(&self) -> usize {
        self.facts
            .writes
            .iter()
            .map(|verb| self.home.count(self.vendor, verb))
            .sum()
    }
}

async fn grant_adds_and_keeps_what_was_there(vendor: Vendor) {
    let b = Bench::start(vendor).await;
    let before = b.size(&b.home.world());
    let granted = b
        .run(&["grant", &b.dashboard, "--user", &b.new_user])
        .await
        .success()
        .stdout(predicate::str::contains("added"));
    // A vendor that cannot read permissions says that its result is what was sent.
    assert_eq!(
        printed(&granted).contains("cannot read permissions"),
        !reads_shares(vendor),
        "{vendor}"
    );
    let world = b.home.world();
    assert!(b.has(&world, &b.new_user), "{vendor}");
    assert!(
        b.has(&world, b.facts.shared_user),
        "{vendor}: an existing share was lost"
    );
    assert_eq!(b.size(&world), before + 1, "{vendor}");
    assert_eq!(b.writes(), 1, "{vendor}");
}

async fn regrant_is_unchanged_and_writes_nothing(vendor: Vendor) {
    let b = Bench::start(vendor).await;
    b.run(&["grant", &b.dashboard, "--user", b.facts.shared_user])
        .await
        .success()
        .stdout(predicate::str::contains("unchanged"));
    assert_eq!(b.writes(), 0, "{vendor}");
}

async fn revoke_removes_only_its_principal(vendor: Vendor) {
    let b = Bench::start(vendor).await;
    b.run(&["grant", &b.dashboard, "--user", &b.new_user])
        .await
        .success();
    let before = b.size(&b.home.world());
    b.run(&["revoke", &b.dashboard, "--user", b.facts.shared_user])
        .await
        .success()
        .stdout(predicate::str::contains("removed"));
    let world = b.home.world();
    assert!(!b.has(&world, b.facts.shared_user), "{vendor}");
    assert!(
        b.has(&world, &b.new_user),
        "{vendor}: revoke removed another share"
    );
    assert_eq!(b.size(&world), before - 1, "{vendor}");
}

fn resolves_users(vendor: Vendor) -> bool {
    grants_users(vendor) && facts(vendor).unknown_user.is_some()
}

async fn unknown_principal_changes_nothing(vendor: Vendor) {
    let b = Bench::start(vendor).await;
    let unknown = b.facts.unknown_user.unwrap();
    b.run(&[
        "grant",
        &b.dashboard,
        "--user",
        &b.new_user,
        "--user",
        unknown,
    ])
    .await
    .code(2)
    .stderr(predicate::str::contains(unknown));
    assert_eq!(b.writes(), 0, "{vendor}");
    assert!(!b.has(&b.home.world(), &b.new_user), "{vendor}");
}

async fn dry_run_writes_nothing(vendor: Vendor) {
    let b = Bench::start(vendor).await;
    b.run(&["grant", &b.dashboard, "--user", &b.new_user, "--dry-run"])
        .await
        .success()
        .stdout(predicate::str::contains("dry run"));
    assert_eq!(b.writes(), 0, "{vendor}");
    assert!(!b.has(&b.home.world(), &b.new_user), "{vendor}");
}

/// One test per listed vendor, and one that the list is every vendor that `$can`.
macro_rules! scenario {
    ($(#[$doc:meta])* $name:ident: $scenario:ident where $can:expr; on $($vendor:ident),+) => {
        $(#[$doc])*
        mod $name {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread")]
                async fn $vendor() {
                    $scenario(vendor(stringify!($vendor))).await;
                }
            )+

            #[test]
            fn covers_every_vendor_that_can() {
                covers(stringify!($name), &[$(stringify!($vendor)),+], $can);
            }
        }
    };
}

scenario!(grant: grant_adds_and_keeps_what_was_there where grants_users; on sisense, eci, vizzly);
scenario!(regrant: regrant_is_unchanged_and_writes_nothing
    where |v| grants_users(v) && reads_shares(v); on sisense, eci);
scenario!(revoke: revoke_removes_only_its_principal
    where |v| grants_users(v) && v.capabilities().revoke == Support::Yes; on sisense, eci, vizzly);
scenario!(unknown_principal: unknown_principal_changes_nothing where resolves_users; on sisense, eci);
scenario!(dry_run: dry_run_writes_nothing where grants_users; on sisense, eci, vizzly);

scenario!(
    /// `grant --replace`: the named groups become the complete share set (an owner, where the
    /// vendor has one, stays).
    replace: replace_states_the_complete_set
    where |v| v.capabilities().available && v.capabilities().replace;
    on sisense, eci, appviewx
);

/// What is left after a replace is each vendor's own shape, so each has its own check.
async fn replace_states_the_complete_set(vendor: Vendor) {
    let home = SandboxHome::start().await;
    let cast = cast(vendor, &home.world());
    let profile = dashshare::sandbox::Sandbox::profile_name(vendor);
    let dashboard = cast.dashboard.as_str();
    match vendor {
        Vendor::Sisense => {
            // Already shared at view: the replace also changes a kept group's rule.
            let group = "Marketing";
            home.run(
                &profile,
                &[
                    "grant",
                    dashboard,
                    "--group",
                    group,
                    "--access",
                    "edit",
                    "--replace",
                ],
            )
            .await
            .success();
            let world = home.world();
            let d = sisense_dashboard(&world, dashboard);
            let group_id = world.sisense.groups.iter().find(|g| g.name == group);
            let ids: Vec<&str> = d
                .shares
                .iter()
                .filter_map(|s| s["shareId"].as_str())
                .collect();
            assert_eq!(
                ids,
                [d.owner.as_str(), group_id.unwrap().id.as_str()],
                "{vendor}"
            );
            assert_eq!(d.shares[1]["rule"], "edit", "{vendor}");
        }
        Vendor::Eci => {
            let group = cast.group.expect("eci's cast has a group");
            home.run(
                &profile,
                &["grant", dashboard, "--group", &group, "--replace"],
            )
            .await
            .success()
            .stdout(predicate::str::contains("removed"));
            let world = home.world();
            let group_id = world
                .eci
                .groups
                .iter()
                .find(|g| g.user_group_name == group)
                .unwrap()
                .user_group_id;
            let d = eci_dashboard(&world, dashboard);
            assert!(d.shared_user_ids.is_empty(), "{vendor}");
            assert_eq!(
                d.shared_user_group_ids.iter().copied().collect::<Vec<_>>(),
                [group_id],
                "{vendor}"
            );
        }
        Vendor::Appviewx => {
            assert!(
                vendor.capabilities().group.contains(&Access::Edit),
                "{vendor}"
            );
            // Two groups, to see their order kept.
            home.run(
                &profile,
                &[
                    "grant",
                    dashboard,
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
            let shares = home.world().appviewx.dashboards[dashboard].clone();
            assert!(shares.read_user_groups.is_empty(), "{vendor}");
            assert_eq!(
                shares.read_write_user_groups,
                ["SRE", "PKI Admins"],
                "{vendor}"
            );
        }
        other => panic!("describe what {other} keeps after grant --replace"),
    }
}

scenario!(
    /// Asking a vendor for what it cannot do exits 2 before any request reaches it.
    refused_before_any_request: refused where |v| v.capabilities().available;
    on sisense, eci, vizzly, appviewx, mindzie
);

/// What each vendor cannot do, and what its refusal says. `{dashboard}`, `{user}` and `{group}`
/// are the vendor's cast.
const REFUSALS: &[(Vendor, &[&[&str]], &str)] = &[
    (
        Vendor::Sisense,
        &[&["link", "create", "{dashboard}"]],
        "no public share links",
    ),
    (
        Vendor::Eci,
        &[&[
            "grant",
            "{dashboard}",
            "--user",
            "{user}",
            "--access",
            "edit",
        ]],
        "view-only",
    ),
    (
        Vendor::Vizzly,
        &[
            &["grant", "{dashboard}", "--group", "Sales"],
            &["list", "{dashboard}"],
        ],
        "vizzly",
    ),
    (
        Vendor::Appviewx,
        &[
            &["grant", "{dashboard}", "--group", "{group}"],
            &["revoke", "{dashboard}", "--group", "{group}"],
        ],
        "--replace",
    ),
    // mindzie's cast has no user or group: it shares with nobody.
    (
        Vendor::Mindzie,
        &[
            &["grant", "{dashboard}", "--user", "alice"],
            &["revoke", "{dashboard}", "--group", "Sales"],
            &["list", "{dashboard}"],
        ],
        "dashshare link",
    ),
];

async fn refused(vendor: Vendor) {
    let (_, commands, says) = REFUSALS
        .iter()
        .find(|(v, _, _)| *v == vendor)
        .unwrap_or_else(|| panic!("describe what {vendor} refuses in REFUSALS"));
    let home = SandboxHome::start().await;
    let cast = cast(vendor, &home.world());
    let fill = |arg: &str| -> String {
        let name = match arg {
            "{dashboard}" => Some(&cast.dashboard),
            "{user}" => cast.user.as_ref(),
            "{group}" => cast.group.as_ref(),
            _ => return arg.to_string(),
        };
        name.unwrap_or_else(|| panic!("{vendor}'s cast has no {arg}"))
            .clone()
    };
    let profile = dashshare::sandbox::Sandbox::profile_name(vendor);
    for command in *commands {
        let args: Vec<String> = command.iter().map(|arg| fill(arg)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let row = format!("{vendor} `{}`", args.join(" "));
        home.run(&profile, &args)
            .await
            .try_code(2)
            .unwrap_or_else(|err| panic!("{row}: {err}"))
            .try_stderr(predicate::str::contains(*says))
            .unwrap_or_else(|err| panic!("{row}: {err}"));
    }
    assert!(
        home.sandbox.requests(vendor).is_empty(),
        "{vendor}: {:?}",
        home.sandbox.requests(vendor)
    );
}
