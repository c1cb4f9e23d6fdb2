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
