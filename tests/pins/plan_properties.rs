//! Properties: proptests of the pure plan (`model::plan`), no I/O.
//!
//! Properties of the pure plan: what users rely on when dashshare rewrites a whole share list.

use dashshare::model::{
    Access, Action, Change, Intent, Level, Mode, PrincipalKind, Share, ShareKey, ShareSet,
    everyone_stands_alone, plan,
};
use proptest::prelude::*;

fn key() -> impl Strategy<Value = ShareKey> {
    (
        prop_oneof![Just(PrincipalKind::User), Just(PrincipalKind::Group)],
        "[a-e]",
    )
        .prop_map(|(kind, id)| ShareKey::new(kind, id))
}

fn access() -> impl Strategy<Value = Access> {
    prop_oneof![Just(Access::View), Just(Access::Edit)]
}

fn level() -> impl Strategy<Value = Level> {
    prop_oneof![
        1 => Just(Level::Owner),
        4 => access().prop_map(Level::Access),
    ]
}

fn shares() -> impl Strategy<Value = ShareSet> {
    prop::collection::vec((key(), level()), 0..8).prop_map(|entries| {
        ShareSet::new(entries.into_iter().map(|(key, level)| Share { key, level }))
    })
}

fn grants() -> impl Strategy<Value = (Vec<ShareKey>, Access)> {
    (prop::collection::vec(key(), 1..6), access())
}

fn intents(keys: &[ShareKey], change: Change) -> Vec<Intent> {
    keys.iter()
        .map(|key| Intent {
            key: key.clone(),
            change,
        })
        .collect()
}

fn no_duplicates(set: &ShareSet) -> bool {
    let keys: Vec<_> = set.iter().map(|s| &s.key).collect();
    keys.iter().enumerate().all(|(i, k)| !keys[..i].contains(k))
}

/// A key, sometimes everyone's (as on ECI).
fn key_or_everyone() -> impl Strategy<Value = ShareKey> {
    prop_oneof![4 => key(), 1 => Just(ShareKey::everyone())]
}

/// Shares as ECI keeps them: everyone alone, or a list (all at view).
fn eci_shares() -> impl Strategy<Value = ShareSet> {
    prop_oneof![
        Just(ShareSet::new([Share {
            key: ShareKey::everyone(),
            level: Level::Access(Access::View)
        }])),
        prop::collection::vec(key(), 0..6).prop_map(|keys| ShareSet::new(keys.into_iter().map(
            |key| Share {
                key,
                level: Level::Access(Access::View)
            }
        ))),
    ]
}

proptest! {
    #[test]
    fn everyone_never_stands_beside_a_list(current in eci_shares(), keys in prop::collection::vec(key_or_everyone(), 1..4)) {
        let wanted = intents(&keys, Change::Grant(Access::View));
        let once = everyone_stands_alone(plan(&current, &wanted, Mode::Merge).unwrap());
        if once.after.get(&ShareKey::everyone()).is_some() {
            prop_assert_eq!(once.after.len(), 1);
        }
        // Every share that was there is either still there or reported removed.
        for share in current.iter() {
            let kept = once.after.get(&share.key).is_some();
            let reported = once.outcomes.iter().any(|o| o.key == share.key && o.action == Action::Removed);
            prop_assert!(kept || reported, "{:?} vanished silently", share.key);
        }
        let twice = everyone_stands_alone(plan(&once.after, &wanted, Mode::Merge).unwrap());
        prop_assert!(!twice.changes_anything());
        prop_assert_eq!(twice.after, once.after);
    }


    #[test]
    fn a_grant_never_drops_an_existing_share(current in shares(), (keys, access) in grants()) {
        let plan = plan(&current, &intents(&keys, Change::Grant(access)), Mode::Merge).unwrap();
        for share in current.iter() {
            prop_assert!(plan.after.get(&share.key).is_some(), "{:?} was dropped", share.key);
            if !keys.contains(&share.key) {
                prop_assert_eq!(plan.after.get(&share.key), Some(share.level));
            }
        }
        prop_assert!(no_duplicates(&plan.after));
    }

    #[test]
    fn after_a_grant_each_named_principal_has_exactly_the_access(current in shares(), (keys, access) in grants()) {
        let plan = plan(&current, &intents(&keys, Change::Grant(access)), Mode::Merge).unwrap();
        for key in &keys {
            let expected = match current.get(key) {
                Some(Level::Owner) => Level::Owner,
                _ => Level::Access(access),
            };
            prop_assert_eq!(plan.after.get(key), Some(expected));
        }
    }

    #[test]
    fn granting_twice_equals_granting_once(current in shares(), (keys, access) in grants()) {
        let wanted = intents(&keys, Change::Grant(access));
        let once = plan(&current, &wanted, Mode::Merge).unwrap();
        let twice = plan(&once.after, &wanted, Mode::Merge).unwrap();
        prop_assert_eq!(&twice.after, &once.after);
        prop_assert!(!twice.changes_anything());
        prop_assert!(twice.outcomes.iter().all(|o| o.action == Action::Unchanged));
    }

    #[test]
    fn a_revoke_removes_only_the_named(current in shares(), keys in prop::collection::vec(key(), 1..6)) {
        let owner_named = keys.iter().any(|k| current.get(k) == Some(Level::Owner));
        let result = plan(&current, &intents(&keys, Change::Revoke), Mode::Merge);
        prop_assert_eq!(result.is_err(), owner_named);
        if let Ok(plan) = result {
            for share in current.iter() {
                let kept = plan.after.get(&share.key);
                if keys.contains(&share.key) {
                    prop_assert_eq!(kept, None);
                } else {
                    prop_assert_eq!(kept, Some(share.level));
                }
            }
        }
    }

    #[test]
    fn replace_keeps_the_owner_and_exactly_the_named(current in shares(), (keys, access) in grants()) {
        let plan = plan(&current, &intents(&keys, Change::Grant(access)), Mode::Replace).unwrap();
        for share in plan.after.iter() {
            prop_assert!(share.level == Level::Owner || keys.contains(&share.key));
        }
        for share in current.iter().filter(|s| s.level == Level::Owner) {
            prop_assert_eq!(plan.after.get(&share.key), Some(Level::Owner));
        }
        prop_assert!(no_duplicates(&plan.after));
    }

    #[test]
    fn nothing_changes_exactly_when_the_set_is_the_same(current in shares(), (keys, access) in grants()) {
        let plan = plan(&current, &intents(&keys, Change::Grant(access)), Mode::Merge).unwrap();
        prop_assert_eq!(plan.changes_anything(), plan.after != current);
    }
}
