//! End to end: the commands that start from a person (`users`, `groups`), the binary against
//! the sandbox, on every vendor: those whose capabilities list the kind find the emulator's
//! `Cast` principals by search; the others exit 2 naming the vendor, before any request.

use crate::common::*;
use dashshare::model::PrincipalKind;
use dashshare::sandbox::{Cast, Sandbox};
use dashshare::vendor::Vendor;
use predicates::prelude::*;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn users_and_groups_list_and_search_where_the_vendor_can_and_are_refused_elsewhere() {
    let home = SandboxHome::start().await;
    let world = home.world();
    let mut listed = 0;
    for vendor in Vendor::ALL {
        let profile = Sandbox::profile_name(vendor);
        let cast = Cast::of(vendor, &world).unwrap();
        for (kind, command, name) in [
            (PrincipalKind::User, "users", cast.user.clone()),
            (PrincipalKind::Group, "groups", cast.group.clone()),
        ] {
            if !vendor.capabilities().principals.contains(&kind) {
                home.run(&profile, &[command])
                    .await
                    .code(2)
                    .stderr(predicate::str::contains(vendor.as_str()))
                    .stderr(predicate::str::contains(format!("no listing of {kind}s")));
                continue;
            }
            listed += 1;
            let name = name.unwrap_or_else(|| panic!("{vendor} casts a {kind}"));
            let all = home.run(&profile, &["-o", "json", command]).await.success();
            let all: Value = serde_json::from_slice(&all.get_output().stdout).unwrap();
            let rows = all[command].as_array().unwrap();
            assert!(rows.len() > 1, "{vendor} {command}: {all}");
            assert!(rows.iter().all(|r| r["id"].is_string()), "{all}");
            // A search by part of the name, in another case, finds it.
            let part: String = name.chars().take(4).collect::<String>().to_uppercase();
            let found = home
                .run(&profile, &["-o", "json", command, "--search", &part])
                .await
                .success();
            let found: Value = serde_json::from_slice(&found.get_output().stdout).unwrap();
            let names: Vec<&str> = found[command]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap())
                .collect();
            assert!(names.contains(&name.as_str()), "{vendor} '{part}': {found}");
            let holds = |r: &Value| {
                ["name", "id", "display_name"].iter().any(|k| {
                    r[*k]
                        .as_str()
                        .is_some_and(|t| t.to_uppercase().contains(&part))
                })
            };
            assert!(
                found[command].as_array().unwrap().iter().all(holds),
                "{found}"
            );
            home.run(&profile, &[command, "--search", &name])
                .await
                .success()
                .stdout(predicate::str::contains(name.as_str()))
                .stdout(predicate::str::contains("NAME"));
            home.run(&profile, &[command, "--search", "no-such-principal-xyz"])
                .await
                .success()
                .stdout(predicate::str::contains("matches 'no-such-principal-xyz'"));
        }
    }
    // Sisense and ECI list both kinds, AppViewX groups.
    assert_eq!(listed, 5);
}

/// Sisense says which users are inactive: shares for them never land.
#[tokio::test(flavor = "multi_thread")]
async fn an_inactive_sisense_user_is_marked() {
    let home = SandboxHome::start().await;
    home.run("sandbox-sisense", &["users", "--search", "dave"])
        .await
        .success()
        .stdout(predicate::str::contains("dave@example.com"))
        .stdout(predicate::str::contains("inactive"));
}

/// The dashboards `user` (by Sisense id) has a share on in the emulator's world, with the level.
fn sisense_shares_of(world: &dashshare::sandbox::World, id: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = world
        .sisense
        .dashboards
        .iter()
        .filter_map(|d| {
            let share = d.shares.iter().find(|s| s["shareId"] == id)?;
            let level = share["rule"].as_str().unwrap_or("owner").to_string();
            Some((d.oid.clone(), level))
        })
        .collect();
    found.sort();
    found
}

fn shares_listed(json: &Value, profile: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = json["shares"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["profile"] == profile && r["via"].is_null())
        .map(|r| {
            let dashboard = r["dashboard"].as_str().unwrap().to_string();
            (dashboard, r["access"].as_str().unwrap().to_string())
        })
        .collect();
    found.sort();
    found
}

/// `access` across a Sisense and an ECI profile lists exactly the dashboards the user has a
/// share on, Sisense's read from the admin listing (no dashboard read on its own).
#[tokio::test(flavor = "multi_thread")]
async fn access_lists_exactly_the_dashboards_a_user_has_on_every_profile() {
    let home = SandboxHome::start().await;
    let world = home.world();
    let bob = sisense_id(&world, "bob@example.com").unwrap();
    let reads = || home.count(Vendor::Sisense, SHARES_READ);
    let before = reads();
    let args = [
        "-p",
        "sandbox-eci",
        "-o",
        "json",
        "access",
        "--user",
        "bob@example.com",
    ];
    let listed = home.run("sandbox-sisense", &args).await.success();
    let json: Value = serde_json::from_slice(&listed.get_output().stdout).unwrap();
    let sisense = sisense_shares_of(&world, &bob);
    assert_eq!(
        sisense.len(),
        2,
        "the seeded world shares two dashboards with bob"
    );
    assert_eq!(shares_listed(&json, "sandbox-sisense"), sisense, "{json}");
    let eci_bob = world
        .eci
        .users
        .iter()
        .find(|u| u.email == "bob@example.com")
        .unwrap();
    let eci: Vec<(String, String)> = (world.eci.dashboards.iter())
        .filter(|d| d.shared_user_ids.contains(&eci_bob.user_id))
        .map(|d| (d.dashboard_id.to_string(), "view".to_string()))
        .collect();
    assert_eq!(shares_listed(&json, "sandbox-eci"), eci, "{json}");
    assert_eq!(reads(), before, "read from the admin listing");

    // CSV for audits, and Markdown for a pull request.
    let csv = home
        .run(
            "sandbox-sisense",
            &["access", "--user", "bob@example.com", "--format", "csv"],
        )
        .await
        .success();
    let csv = printed(&csv);
    assert!(
        csv.starts_with("profile,dashboard,title,access,owner,via,expires"),
        "{csv}"
    );
    assert_eq!(csv.trim_end().lines().count(), 3, "{csv}");
    home.run(
        "sandbox-sisense",
        &["-o", "markdown", "access", "--user", "bob@example.com"],
    )
    .await
    .success()
    .stdout(predicate::str::contains(
        "| profile | dashboard | title | access |",
    ));
}

/// The owner's entry shows as `owner`; with `--via-groups` a group's share reaches its members.
#[tokio::test(flavor = "multi_thread")]
async fn access_marks_the_owner_and_shares_through_groups() {
    let home = SandboxHome::start().await;
    let direct = home
        .run(
            "sandbox-sisense",
            &["-o", "json", "access", "--user", "alice@example.com"],
        )
        .await
        .success();
    let direct: Value = serde_json::from_slice(&direct.get_output().stdout).unwrap();
    let owned: Vec<&Value> = (direct["shares"].as_array().unwrap().iter())
        .filter(|r| r["owner"] == true)
        .collect();
    assert_eq!(owned.len(), 1, "{direct}");
    assert_eq!(owned[0]["access"], "owner");
    assert!(
        direct["shares"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["via"].is_null())
    );
    let through = home
        .run(
            "sandbox-sisense",
            &[
                "-o",
                "json",
                "access",
                "--user",
                "alice@example.com",
                "--via-groups",
            ],
        )
        .await
        .success();
    let through: Value = serde_json::from_slice(&through.get_output().stdout).unwrap();
    let via: Vec<(&str, &str)> = (through["shares"].as_array().unwrap().iter())
        .filter_map(|r| Some((r["dashboard"].as_str()?, r["via"].as_str()?)))
        .collect();
    assert_eq!(via, [(SISENSE_DASHBOARD, "group Marketing")], "{through}");
}

/// A vendor that cannot read shares is named and skipped; a user no profile knows exits 2.
#[tokio::test(flavor = "multi_thread")]
async fn access_skips_what_cannot_be_read_and_refuses_an_unknown_user() {
    let home = SandboxHome::start().await;
    home.run(
        "sandbox-sisense",
        &[
            "-p",
            "sandbox-vizzly",
            "access",
            "--user",
            "bob@example.com",
        ],
    )
    .await
    .success()
    .stderr(predicate::str::contains("sandbox-vizzly: skipped"))
    .stdout(predicate::str::contains("Sales KPIs"));
    home.run(
        "sandbox-sisense",
        &[
            "-p",
            "sandbox-vizzly",
            "access",
            "--user",
            "ghost@example.com",
        ],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("'ghost@example.com' is not known"));
    home.run(
        "sandbox-sisense",
        &["access", "--group", "Marketing", "--via-groups"],
    )
    .await
    .code(2);
}

/// Every share of every Sisense and ECI dashboard, with `drop` (a Sisense id, an ECI id) left out.
fn every_share(world: &dashshare::sandbox::World, drop: (&str, i64)) -> Vec<String> {
    let mut all = Vec::new();
    for d in &world.sisense.dashboards {
        for s in d.shares.iter().filter(|s| s["shareId"] != drop.0) {
            all.push(format!("sisense {} {} {}", d.oid, s["shareId"], s["rule"]));
        }
    }
    for d in &world.eci.dashboards {
        for id in d.shared_user_ids.iter().filter(|id| **id != drop.1) {
            all.push(format!("eci {} user {id}", d.dashboard_id));
        }
        for id in &d.shared_user_group_ids {
            all.push(format!("eci {} group {id}", d.dashboard_id));
        }
    }
    all.sort();
    all
}

/// `offboard` across a Sisense and an ECI profile: a dry run writes nothing; the run leaves the
/// user no share anywhere and every other share as it was, as one journaled run that `undo`
/// reverses entirely; `--max-removals` refuses before any write.
#[tokio::test(flavor = "multi_thread")]
async fn offboard_takes_a_leavers_shares_away_everywhere_and_undo_gives_them_back() {
    let home = SandboxHome::start().await;
    let original = home.world();
    let bob = sisense_id(&original, "bob@example.com").unwrap();
    let eci_bob = (original.eci.users.iter())
        .find(|u| u.email == "bob@example.com")
        .unwrap()
        .user_id;
    let others = every_share(&original, (&bob, eci_bob));
    let both = ["-p", "sandbox-eci", "offboard", "--user", "bob@example.com"];
    let with = |more: &[&'static str]| [&both[..], more].concat();

    let planned = home
        .run(
            "sandbox-sisense",
            &[&["-o", "json"][..], &with(&["--dry-run"])].concat(),
        )
        .await
        .success();
    let plan: Value = serde_json::from_slice(&planned.get_output().stdout).unwrap();
    let would: Vec<&Value> = (plan["results"].as_array().unwrap().iter())
        .filter(|r| r["result"] == "would write")
        .collect();
    assert_eq!(would.len(), 3, "two Sisense dashboards and one ECI: {plan}");
    assert_eq!(
        every_share(&home.world(), ("", 0)),
        every_share(&original, ("", 0)),
        "a dry run wrote"
    );

    // A profile named twice is planned once.
    let args = [
        "-p",
        "sandbox-sisense",
        "-o",
        "json",
        "offboard",
        "--user",
        "bob@example.com",
        "--dry-run",
    ];
    let twice = home.run("sandbox-sisense", &args).await.success();
    let twice: Value = serde_json::from_slice(&twice.get_output().stdout).unwrap();
    assert_eq!(twice["results"].as_array().unwrap().len(), 2, "{twice}");

    home.run("sandbox-sisense", &with(&["--max-removals", "2"]))
        .await
        .code(2)
        .stderr(predicate::str::contains("more than --max-removals 2"));

    let done = home
        .run(
            "sandbox-sisense",
            &[&["-o", "json"][..], &with(&["--yes"])].concat(),
        )
        .await
        .success();
    let done: Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    let run_id = done["run_id"].as_str().unwrap().to_string();
    let after = home.world();
    assert!(sisense_shares_of(&after, &bob).is_empty(), "{done}");
    assert!(
        (after.eci.dashboards.iter()).all(|d| !d.shared_user_ids.contains(&eci_bob)),
        "{done}"
    );
    assert_eq!(
        every_share(&after, (&bob, eci_bob)),
        others,
        "every other share kept"
    );

    home.run(
        "sandbox-sisense",
        &["-p", "sandbox-eci", "undo", &run_id, "--yes"],
    )
    .await
    .success();
    assert_eq!(
        every_share(&home.world(), ("", 0)),
        every_share(&original, ("", 0)),
        "undo gave every share back"
    );
}

/// Dashboards the leaver owns stop the run before any write unless `--keep-owned`; a user
/// unknown on one profile stops it unless `--skip-unknown`; one no profile knows exits 2.
#[tokio::test(flavor = "multi_thread")]
async fn offboard_refuses_an_owner_and_an_unknown_user_before_any_write() {
    let home = SandboxHome::start().await;
    let original = every_share(&home.world(), ("", 0));
    home.run(
        "sandbox-sisense",
        &["offboard", "--user", "alice@example.com", "--yes"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("owns 1 dashboard"))
    .stderr(predicate::str::contains("Regional Margins"));
    home.run(
        "sandbox-sisense",
        &[
            "offboard",
            "--user",
            "alice@example.com",
            "--keep-owned",
            "--yes",
        ],
    )
    .await
    .success()
    .stdout(predicate::str::contains("kept as they are (--keep-owned)"));
    let both = [
        "-p",
        "sandbox-eci",
        "offboard",
        "--user",
        "erin@example.com",
        "--yes",
    ];
    home.run("sandbox-sisense", &both)
        .await
        .code(2)
        .stderr(predicate::str::contains("unknown on 1 profile"));
    home.run(
        "sandbox-sisense",
        &[&both[..], &["--skip-unknown"]].concat(),
    )
    .await
    .success();
    home.run(
        "sandbox-sisense",
        &["offboard", "--user", "ghost@example.com"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains(
        "no profile knows user 'ghost@example.com'",
    ));
    home.run("sandbox-vizzly", &["offboard", "--user", "timed-user"])
        .await
        .stderr(predicate::str::contains(
            "cannot tell what 'timed-user' has there",
        ));
    assert_eq!(
        every_share(&home.world(), ("", 0)),
        original,
        "nothing was removed"
    );
}

/// The owner and every entry of one Sisense dashboard, as the emulator holds them.
fn sisense_dashboard_state(world: &dashshare::sandbox::World, oid: &str) -> (String, Vec<String>) {
    let d = world
        .sisense
        .dashboards
        .iter()
        .find(|d| d.oid == oid)
        .unwrap();
    let mut entries: Vec<String> = (d.shares.iter())
        .map(|s| format!("{} {}", s["shareId"], s["rule"]))
        .collect();
    entries.sort();
    (d.owner.clone(), entries)
}

/// `--transfer-to` gives the dashboards the leaver owns to another user (Sisense `change_owner`)
/// and removes the leaver's entry; every other share stays; `undo` gives the dashboard back to
/// its owner with every share as it was.
#[tokio::test(flavor = "multi_thread")]
async fn offboard_gives_an_owners_dashboards_to_another_user_and_undo_gives_them_back() {
    let home = SandboxHome::start().await;
    let original = home.world();
    let margins = "5e1d00000000000000000a01";
    let alice = sisense_id(&original, "alice@example.com").unwrap();
    let carol = sisense_id(&original, "carol+bi@example.com").unwrap();
    let before = sisense_dashboard_state(&original, margins);
    assert_eq!(before.0, alice, "the seeded world has alice own it");
    let args = [
        "-o",
        "json",
        "offboard",
        "--user",
        "alice@example.com",
        "--transfer-to",
        "carol+bi@example.com",
        "--yes",
    ];
    let done = home.run("sandbox-sisense", &args).await.success();
    let done: Value = serde_json::from_slice(&done.get_output().stdout).unwrap();
    let after = sisense_dashboard_state(&home.world(), margins);
    assert_eq!(after.0, carol, "{done}");
    assert!(!after.1.iter().any(|e| e.contains(&alice)), "{after:?}");
    let others = |state: &(String, Vec<String>), drop: &[&str]| -> Vec<String> {
        (state.1.iter())
            .filter(|e| !drop.iter().any(|d| e.contains(d)))
            .cloned()
            .collect()
    };
    assert_eq!(
        others(&after, &[&alice, &carol]),
        others(&before, &[&alice, &carol])
    );
    assert!(sisense_shares_of(&home.world(), &alice).is_empty());

    let run_id = done["run_id"].as_str().unwrap();
    home.run("sandbox-sisense", &["undo", run_id, "--yes"])
        .await
        .success();
    assert_eq!(sisense_dashboard_state(&home.world(), margins), before);
}

/// A name not found is offered the near names the look-up already read, at no request of its
/// own: AppViewX's loose group search, ECI's listing where its filters are refused.
#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_name_is_offered_the_near_names_its_look_up_read() {
    let home = SandboxHome::start().await;
    home.run(
        "sandbox-appviewx",
        &["grant", "Ops Board", "--group", "NOC", "--replace"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("did you mean 'NOC Team'?"));

    let mut world = dashshare::sandbox::World::seeded();
    world.eci.refuse_identity_filters = true;
    let home = SandboxHome::with_world(world, Default::default()).await;
    home.run(
        "sandbox-eci",
        &["grant", "7", "--user", "alice@exampel.com"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("did you mean 'alice@example.com'"));
    // Sisense looks users up with an exact filter: nothing near is read, none is offered.
    home.run(
        "sandbox-sisense",
        &["grant", SISENSE_DASHBOARD, "--user", "alice@exampel.com"],
    )
    .await
    .code(2)
    .stderr(predicate::str::contains("did you mean").not());
}
