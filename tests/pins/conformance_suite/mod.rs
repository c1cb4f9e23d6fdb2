//! Conformance (the suite): scenarios over `&dyn ShareProvider`, each doing only what the
//! vendor's capabilities allow, run by every provider against its emulator.
//!
//! Modelled on object_store's `integration.rs`: each scenario is one function over a provider and
//! the `Bench` around it (the emulator, the names its seeded world gives, and a second provider of
//! the same profile whose answers arrive garbled). `run_all` runs them in order, as one story on
//! one dashboard: nothing is changed until every read-only scenario has run, and on a vendor that
//! can revoke the story ends with the dashboard's shares as they were.

mod garble;

use std::path::Path;

use dashshare::config::profile_from_config;
use dashshare::error::Error;
use dashshare::http::HttpOptions;
use dashshare::model::{Access, Change, Intent, Level, Mode, Principal, Share, ShareKey, ShareSet};
use dashshare::providers::{self, BlindChange, Dashboard, ShareProvider};
use dashshare::sandbox::{Sandbox, SandboxOptions, World};
use dashshare::vendor::{Capabilities, Support, Vendor};
use serde_json::Value;

pub use dashshare::sandbox::Cast;

/// What a scenario needs beside the provider.
pub struct Bench {
    pub sandbox: Sandbox,
    pub cast: Cast,
    /// The same profile, through `proxy`.
    pub garbled: Box<dyn ShareProvider>,
    /// Renames every key of every JSON answer once told to.
    proxy: garble::Proxy,
}

impl Bench {
    /// Starts the seeded sandbox, and builds `vendor`'s provider from the profile the sandbox
    /// prints, as the binary would.
    pub async fn start(vendor: Vendor) -> (Box<dyn ShareProvider>, Bench) {
        let sandbox = Sandbox::start(World::seeded(), &SandboxOptions::default())
            .await
            .expect("the sandbox starts");
        let cast = Cast::of(vendor, &sandbox.world()).expect("the seeded world has a cast");
        let proxy = garble::start(sandbox.url(vendor)).await;
        let provider = connect(&sandbox, vendor, None);
        let garbled = connect(&sandbox, vendor, Some(&proxy.url));
        let bench = Bench {
            sandbox,
            cast,
            garbled,
            proxy,
        };
        (provider, bench)
    }

    /// What `vendor`'s emulator holds now, as JSON.
    fn part(&self, vendor: Vendor) -> Value {
        let world = serde_json::to_value(self.sandbox.world()).expect("the world serialises");
        world[vendor.as_str()].clone()
    }

    /// How many requests `vendor`'s emulator has received.
    fn requests(&self, vendor: Vendor) -> usize {
        self.sandbox.requests(vendor).len()
    }
}

/// The provider of the sandbox's profile for `vendor`, at `url` instead of the emulator's.
fn connect(sandbox: &Sandbox, vendor: Vendor, url: Option<&str>) -> Box<dyn ShareProvider> {
    let config = sandbox.config_toml(None);
    let secrets = sandbox.secrets();
    let env = |name: &str| {
        secrets
            .iter()
            .find(|(var, _)| var == name)
            .map(|(_, value)| value.clone())
    };
    let mut profile = profile_from_config(
        config.as_bytes(),
        Path::new("sandbox.toml"),
        Some(&Sandbox::profile_name(vendor)),
        &env,
    )
    .expect("the sandbox's profile loads");
    if let Some(url) = url {
        profile.url = url.parse().expect("the proxy's url parses");
    }
    providers::connect(&profile, &HttpOptions::default()).expect("the provider builds")
}

/// Whether a scenario ran, or why the vendor cannot take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ran {
    Yes,
    Skipped(&'static str),
}

/// Every scenario, in order; returns what each did. The read-only ones run first; then each
/// principal the vendor shares with (a user, a group) goes through grant, re-grant, upgrade and
/// revoke in turn.
pub async fn run_all(provider: &dyn ShareProvider, bench: &Bench) -> Vec<(String, Ran)> {
    let dashboard = provider
        .resolve_dashboard(&bench.cast.dashboard)
        .await
        .expect("the cast's dashboard resolves");
    let vendor = provider.vendor();
    let at_start = read(provider, &dashboard).await;
    let part_at_start = bench.part(vendor);
    let mut ran = vec![
        ("check".to_string(), check(provider).await),
        ("list".to_string(), list(provider, bench, &dashboard).await),
        (
            "unknown principal".to_string(),
            unknown_principal(provider, bench).await,
        ),
        (
            "not understood".to_string(),
            not_understood(bench, vendor).await,
        ),
    ];
    let grantees = grantees(provider, &bench.cast);
    if grantees.is_empty() {
        ran.push((
            "grant, re-grant, upgrade, revoke".to_string(),
            Ran::Skipped("the vendor shares with no users or groups"),
        ));
    }
    for grantee in &grantees {
        let kind = grantee.principal.kind();
        let story = [
            ("grant", grant(provider, bench, &dashboard, grantee).await),
            (
                "re-grant",
                regrant(provider, bench, &dashboard, grantee).await,
            ),
            (
                "upgrade",
                upgrade(provider, bench, &dashboard, grantee).await,
            ),
            (
                "revoke",
                revoke(
                    provider,
                    bench,
                    &dashboard,
                    grantee,
                    (at_start.as_ref(), &part_at_start),
                )
                .await,
            ),
        ];
        ran.extend(story.map(|(name, outcome)| (format!("{name} ({kind})"), outcome)));
    }
    for (name, outcome) in &ran {
        if let Ran::Skipped(why) = outcome {
            eprintln!("{vendor}: {name} skipped: {why}");
        }
    }
    ran
}

/// How a vendor's shares are changed, as its capabilities say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    /// Read, plan, write the whole set (and publish, where the vendor has that step).
    Read,
    /// Send the change as asked: the vendor cannot read shares.
    Blind,
    /// Write a complete set: the vendor can neither read nor add to one.
    Replace,
    /// No dashboard-level shares with people (public links only).
    None,
}

fn way(caps: &Capabilities) -> Way {
    if caps.list == Support::Yes {
        Way::Read
    } else if caps.replace_only {
        Way::Replace
    } else if !caps.user.is_empty() || !caps.group.is_empty() {
        Way::Blind
    } else {
        Way::None
    }
}

/// A principal the suite shares with, and the access levels the vendor has for its kind.
pub struct Grantee {
    pub principal: Principal,
    pub levels: &'static [Access],
}

/// The cast's user and group, each where the vendor shares with its kind.
fn grantees(provider: &dyn ShareProvider, cast: &Cast) -> Vec<Grantee> {
    let caps = provider.vendor().capabilities();
    let user = cast.user.clone().map(|user| Grantee {
        principal: Principal::User(user),
        levels: caps.user,
    });
    let group = cast.group.clone().map(|group| Grantee {
        principal: Principal::Group(group),
        levels: caps.group,
    });
    [user, group]
        .into_iter()
        .flatten()
        .filter(|grantee| !grantee.levels.is_empty())
        .collect()
}

async fn key_of(provider: &dyn ShareProvider, principal: &Principal) -> ShareKey {
    provider
        .resolve_principal(principal)
        .await
        .expect("the look-up succeeds")
        .unwrap_or_else(|| panic!("{principal} is in the seeded world"))
        .key
}

/// The shares, where the vendor can read them.
async fn read(provider: &dyn ShareProvider, dashboard: &Dashboard) -> Option<ShareSet> {
    match way(provider.vendor().capabilities()) {
        Way::Read => Some(
            provider
                .read_shares(dashboard)
                .await
                .expect("the shares read")
                .shares,
        ),
        _ => None,
    }
}

/// Makes one change the vendor's way: `Some(access)` grants, `None` revokes.
async fn change(
    provider: &dyn ShareProvider,
    dashboard: &Dashboard,
    key: &ShareKey,
    access: Option<Access>,
) -> Result<(), Error> {
    let caps = provider.vendor().capabilities();
    match way(caps) {
        Way::Read => {
            let snapshot = provider.read_shares(dashboard).await?;
            let change = access.map_or(Change::Revoke, Change::Grant);
            let intent = Intent {
                key: key.clone(),
                change,
            };
            let plan = dashshare::model::plan(&snapshot.shares, &[intent], Mode::Merge)
                .expect("a one-principal plan");
            if plan.changes_anything() {
                provider.write_shares(&snapshot, &plan.after).await?;
                if caps.publish {
                    provider.publish(dashboard).await?;
                }
            }
            Ok(())
        }
        Way::Blind => {
            let change = access.map_or(BlindChange::Revoke(None), BlindChange::Grant);
            provider
                .send_blind(dashboard, std::slice::from_ref(key), change)
                .await
        }
        Way::Replace => {
            let shares = access.map(|access| Share {
                key: key.clone(),
                level: Level::Access(access),
            });
            provider
                .replace_shares(dashboard, &ShareSet::new(shares))
                .await
        }
        Way::None => Err(provider.unsupported("has no dashboard-level shares with people")),
    }
}

/// The credentials work, and the vendor says whose they are.
pub async fn check(provider: &dyn ShareProvider) -> Ran {
    let identity = provider
        .check()
        .await
        .expect("the sandbox's credentials work");
    assert!(!identity.user.is_empty());
    Ran::Yes
}

/// A vendor that can read shares reads them twice alike; one that cannot refuses with
/// `Unsupported` before any request.
pub async fn list(provider: &dyn ShareProvider, bench: &Bench, dashboard: &Dashboard) -> Ran {
    let vendor = provider.vendor();
    if vendor.capabilities().list != Support::Yes {
        let asked = bench.requests(vendor);
        let refused = provider.read_shares(dashboard).await;
        assert!(
            matches!(refused, Err(Error::NotSupported(_))),
            "{vendor} cannot list shares, yet read_shares gave {refused:?}"
        );
        assert_eq!(bench.requests(vendor), asked, "{vendor} asked the server");
        return Ran::Yes;
    }
    let first = provider
        .read_shares(dashboard)
        .await
        .expect("the shares read");
    assert_eq!(first.dashboard.id, dashboard.id);
    assert!(!first.shares.is_empty(), "the cast's dashboard has shares");
    let again = provider
        .read_shares(dashboard)
        .await
        .expect("the shares read");
    assert!(again.shares.same_as(&first.shares));
    Ran::Yes
}

/// A principal the vendor does not know resolves to nothing, where the vendor can tell; a vendor
/// that takes references on trust (Vizzly) passes the name through without asking.
pub async fn unknown_principal(provider: &dyn ShareProvider, bench: &Bench) -> Ran {
    let vendor = provider.vendor();
    let caps = vendor.capabilities();
    let unknowns = [
        (!caps.user.is_empty())
            .then(|| Principal::User("nobody.conformance@example.invalid".into())),
        (!caps.group.is_empty()).then(|| Principal::Group("Nobody Conformance Group".into())),
    ];
    let mut ran = Ran::Skipped("the vendor shares with no users or groups");
    for unknown in unknowns.into_iter().flatten() {
        let asked = bench.requests(vendor);
        match provider.resolve_principal(&unknown).await {
            Ok(None) => {}
            Ok(Some(resolved)) => {
                assert_eq!(resolved.key.id, unknown.name(), "{vendor} made up an id");
                assert_eq!(
                    bench.requests(vendor),
                    asked,
                    "{vendor} found {unknown} on the server"
                );
            }
            Err(err) => panic!("{vendor}: an unknown {unknown} is not an error: {err}"),
        }
        ran = Ran::Yes;
    }
    ran
}

/// Answers of a shape the provider does not know fail with `NotUnderstood` (never "not found",
/// never an empty list), and nothing is written. The provider logs in first while answers pass
/// unchanged: what is tested is the answers the work reads.
pub async fn not_understood(bench: &Bench, vendor: Vendor) -> Ran {
    let provider = &*bench.garbled;
    let caps = vendor.capabilities();
    // A vendor that cannot read writes first: no answer comes before its write.
    let sequence = matches!(way(caps), Way::Read | Way::Replace);
    if !sequence && !caps.dashboards {
        return Ran::Skipped("the vendor reads no answer before it writes, and lists nothing");
    }
    provider
        .check()
        .await
        .expect("the provider logs in while answers pass unchanged");
    bench.proxy.garble(true);
    let before = bench.part(vendor);
    if caps.dashboards {
        let listed = provider.dashboards(None, false).await;
        assert!(
            matches!(listed, Err(Error::NotUnderstood { .. })),
            "{vendor}: a garbled dashboard list gave {listed:?}"
        );
    }
    if sequence {
        let attempt = async {
            let dashboard = provider.resolve_dashboard(&bench.cast.dashboard).await?;
            if let Some(Grantee { principal, levels }) =
                grantees(provider, &bench.cast).into_iter().next()
            {
                let resolved = provider.resolve_principal(&principal).await?;
                let key = resolved.map_or_else(
                    || ShareKey::new(principal.kind(), principal.name()),
                    |resolved| resolved.key,
                );
                change(provider, &dashboard, &key, Some(levels[0])).await?;
            }
            Ok::<(), Error>(())
        };
        let failed = attempt.await;
        assert!(
            matches!(failed, Err(Error::NotUnderstood { .. })),
            "{vendor}: a grant on garbled answers gave {failed:?}"
        );
    }
    assert_eq!(
        bench.part(vendor),
        before,
        "{vendor} wrote on garbled answers"
    );
    Ran::Yes
}

/// A grant adds the principal at the lowest level and keeps every other share.
pub async fn grant(
    provider: &dyn ShareProvider,
    bench: &Bench,
    dashboard: &Dashboard,
    grantee: &Grantee,
) -> Ran {
    let Grantee { principal, levels } = grantee;
    let vendor = provider.vendor();
    let key = key_of(provider, principal).await;
    let before = read(provider, dashboard).await;
    let part = bench.part(vendor);
    change(provider, dashboard, &key, Some(levels[0]))
        .await
        .expect("the grant");
    match (before, read(provider, dashboard).await) {
        (Some(before), Some(after)) => {
            assert_eq!(
                before.get(&key),
                None,
                "the cast's principal is not shared yet"
            );
            assert_eq!(after.get(&key), Some(Level::Access(levels[0])));
            assert_eq!(after.len(), before.len() + 1, "{after:?}");
            for share in before.iter() {
                assert_eq!(after.get(&share.key), Some(share.level), "a share was lost");
            }
        }
        _ => assert_ne!(
            bench.part(vendor),
            part,
            "{vendor}: the grant changed nothing"
        ),
    }
    Ran::Yes
}

/// Granting again what is granted changes nothing: a reader reads it back at its level, so the
/// plan is empty; a vendor that cannot read is sent it again and holds the same.
pub async fn regrant(
    provider: &dyn ShareProvider,
    bench: &Bench,
    dashboard: &Dashboard,
    grantee: &Grantee,
) -> Ran {
    let Grantee { principal, levels } = grantee;
    let vendor = provider.vendor();
    let key = key_of(provider, principal).await;
    if let Some(current) = read(provider, dashboard).await {
        let intent = Intent {
            key,
            change: Change::Grant(levels[0]),
        };
        let plan = dashshare::model::plan(&current, &[intent], Mode::Merge).expect("a plan");
        assert!(!plan.changes_anything(), "{vendor}: {:?}", plan.outcomes);
        return Ran::Yes;
    }
    let part = bench.part(vendor);
    change(provider, dashboard, &key, Some(levels[0]))
        .await
        .expect("the grant");
    assert_eq!(
        bench.part(vendor),
        part,
        "{vendor}: a re-grant changed the server"
    );
    Ran::Yes
}

/// Granting edit to a viewer raises its level and adds no second share.
pub async fn upgrade(
    provider: &dyn ShareProvider,
    bench: &Bench,
    dashboard: &Dashboard,
    grantee: &Grantee,
) -> Ran {
    let Grantee { principal, levels } = grantee;
    if !levels.contains(&Access::Edit) {
        return Ran::Skipped("the vendor's shares are view-only");
    }
    let vendor = provider.vendor();
    let key = key_of(provider, principal).await;
    let before = read(provider, dashboard).await;
    let part = bench.part(vendor);
    change(provider, dashboard, &key, Some(Access::Edit))
        .await
        .expect("the upgrade");
    match (before, read(provider, dashboard).await) {
        (Some(before), Some(after)) => {
            assert_eq!(after.get(&key), Some(Level::Access(Access::Edit)));
            assert_eq!(after.len(), before.len(), "{after:?}");
            for share in before.iter().filter(|share| share.key != key) {
                assert_eq!(after.get(&share.key), Some(share.level), "a share changed");
            }
        }
        _ => assert_ne!(
            bench.part(vendor),
            part,
            "{vendor}: the upgrade changed nothing"
        ),
    }
    Ran::Yes
}

/// A revoke removes the principal and nothing else: the dashboard is as the suite found it.
pub async fn revoke(
    provider: &dyn ShareProvider,
    bench: &Bench,
    dashboard: &Dashboard,
    grantee: &Grantee,
    (at_start, part_at_start): (Option<&ShareSet>, &Value),
) -> Ran {
    let principal = &grantee.principal;
    let vendor = provider.vendor();
    if vendor.capabilities().revoke != Support::Yes {
        return Ran::Skipped("the vendor revokes only by replacing the whole set");
    }
    let key = key_of(provider, principal).await;
    change(provider, dashboard, &key, None)
        .await
        .expect("the revoke");
    match (at_start, read(provider, dashboard).await) {
        (Some(at_start), Some(after)) => {
            assert_eq!(after.get(&key), None);
            assert!(after.same_as(at_start), "{after:?} is not {at_start:?}");
        }
        _ => assert_eq!(&bench.part(vendor), part_at_start, "{vendor}"),
    }
    Ran::Yes
}
