//! Sisense answers read tolerantly (the keys pysisense 2.3.3 reads), and the rebuild of a
//! dashboard's `sharesTo` list that keeps every entry dashshare does not change exactly as the
//! server sent it.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::model::{Access, Level, PrincipalKind, Share, ShareKey, ShareSet};
use crate::shape;

#[derive(Debug, Deserialize)]
pub struct LoginAnswer {
    pub access_token: Option<String>,
    pub message: Option<String>,
    /// The account's own user record (`_id`, `email`, …), as the REST guide's login answer has it.
    pub profile: Option<Value>,
}

/// Keys a user or group id goes by: `_id` in every answer of pysisense 2.3.3
/// (`access_management/users.py`, `groups.py`); `id` read too, in case a version renames it.
pub const ID_KEYS: &[&str] = &["_id", "id"];
/// Keys a dashboard id goes by: `oid` (pysisense `dashboard/core.py`, the admin listing's rows).
pub const DASHBOARD_ID_KEYS: &[&str] = &["oid", "_id", "id"];
/// A dashboard's title (pysisense `dashboard/core.py`: `title`).
pub const TITLE_KEYS: &[&str] = &["title"];
/// Wrappers a listing may come in besides a bare array (pysisense `migration/dashboards.py` reads
/// the admin listing's rows from these).
pub const LIST_WRAPPERS: &[&str] = &["items", "dashboards", "results", "data"];

/// A readable name for a user row: the email, else the user name, else `None`.
pub fn user_display(user: &Value) -> Option<String> {
    shape::text(user, &["email"]).or_else(|| shape::text(user, &["userName"]))
}

/// A user or group row of `GET /api/v1/users` or `/api/v1/groups` as `users` and `groups` show it:
/// a user by email (else user name) with `firstName lastName` and `active` (pysisense
/// `access_management/users.py` reads `_id`, `email`, `userName`, `firstName`, `lastName`,
/// `active`), a group by `name` (`access_management/groups.py`). `None`: a key it needs is missing.
pub fn named(kind: PrincipalKind, row: &Value) -> Option<crate::providers::Named> {
    let id = shape::id(row, ID_KEYS)?;
    let (name, display_name, active) = match kind {
        PrincipalKind::User => {
            let full: Vec<String> = ["firstName", "lastName"]
                .iter()
                .filter_map(|key| shape::text(row, &[key]))
                .filter(|part| !part.trim().is_empty())
                .collect();
            let display = (!full.is_empty()).then(|| full.join(" "));
            (user_display(row)?, display, shape::flag(row, &["active"]))
        }
        _ => (shape::text(row, &["name"])?, None, None),
    };
    Some(crate::providers::Named {
        name,
        id,
        display_name,
        active,
    })
}

/// The keys `named` needs of each kind's row, for a message about a row without them.
pub const NAMED_KEYS: [&[&str]; 2] = [&["_id", "email", "userName"], &["_id", "name"]];

/// An owner as an id: a plain id (the dashboard and admin-listing answers), or an object with
/// `_id` (the shares answer, pysisense `migration/dashboards.py` reads `owner["_id"]`).
pub fn owner_id(owner: Option<&Value>) -> Option<String> {
    match owner? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        object @ Value::Object(_) => shape::id(object, ID_KEYS),
        _ => None,
    }
}

/// The name of the group Sisense fills with every user, which its share dialog calls
/// "Everyone" (pysisense `access_management/groups.py` `_UNIVERSAL_GROUPS`;
/// documentation.sisense.com, "Sharing dashboards"): sharing with everyone is sharing with it.
pub const EVERYONE_GROUP: &str = "Everyone";

/// What dashshare reads of an admin-listing row, and of each of its share entries.
const LISTED_KEYS: &[&str] = &["oid", "_id", "id", "title", "owner", "shares", "datasource"];
const LISTED_ENTRY_KEYS: &[&str] = &["shareId", "type", "rule", "name", "email"];

/// The keys of an admin-listing answer dashshare keeps as its page is parsed
/// (`unique_json::Keep`): a listing of thousands of dashboards is held by their shares, not by
/// every field the rows and entries carry. A listed row is read, never written back (a write
/// reads its dashboard again).
pub fn keep_listed(parents: &[&str], key: &str) -> bool {
    let among = |keys: &[&str]| keys.iter().any(|k| k.eq_ignore_ascii_case(key));
    let rows_level = |parents: &[&str]| {
        parents.is_empty()
            || (parents.len() == 1
                && LIST_WRAPPERS
                    .iter()
                    .any(|w| w.eq_ignore_ascii_case(parents[0])))
    };
    if parents.is_empty() && LIST_WRAPPERS.iter().any(|w| w.eq_ignore_ascii_case(key)) {
        return true;
    }
    if rows_level(parents) {
        return among(LISTED_KEYS);
    }
    match parents.split_last() {
        Some((last, above)) if last.eq_ignore_ascii_case("shares") && rows_level(above) => {
            among(LISTED_ENTRY_KEYS)
        }
        _ => true,
    }
}

/// The principal an entry of `shares` is for (the group whose id is `everyone` is everyone);
/// `None` for entries of a kind dashshare does not manage.
pub fn entry_key(entry: &Value, everyone: Option<&str>) -> Option<ShareKey> {
    let id = shape::id(entry, &["shareId"])?;
    // Types as the server cased them: `User` is a user, never an entry to keep beside a new one.
    let kind = match shape::text(entry, &["type"])?.to_ascii_lowercase().as_str() {
        "user" => PrincipalKind::User,
        "group" if Some(id.as_str()) == everyone => return Some(ShareKey::everyone()),
        "group" => PrincipalKind::Group,
        _ => return None,
    };
    Some(ShareKey::new(kind, id))
}

/// What a dashboard's entries tell of the Everyone group's id, when they carry group names.
#[derive(Debug, PartialEq, Eq)]
pub enum EveryoneAmong {
    /// A group entry named `Everyone`: its id.
    Named(String),
    /// Every group entry is named, none `Everyone`: the dashboard is not shared with everyone.
    Absent,
    /// A group entry without a name: only a look-up can tell.
    Unknown,
}

pub fn everyone_among<'e>(entries: impl IntoIterator<Item = &'e Value>) -> EveryoneAmong {
    let mut unknown = false;
    for entry in entries {
        if !shape::text(entry, &["type"]).is_some_and(|kind| kind.eq_ignore_ascii_case("group")) {
            continue;
        }
        match (
            shape::text(entry, &["name"]),
            shape::id(entry, &["shareId"]),
        ) {
            (Some(name), Some(id)) if name == EVERYONE_GROUP => return EveryoneAmong::Named(id),
            (Some(_), _) => {}
            (None, _) => unknown = true,
        }
    }
    if unknown {
        EveryoneAmong::Unknown
    } else {
        EveryoneAmong::Absent
    }
}

/// Readable names the entries carry (pysisense `migration/dashboards.py` reads `userName` of
/// user entries and `name` of group entries), so `list` need not look them up. A user is named
/// by email wherever dashshare names one, so that what `export` writes is what was applied: an
/// entry's `userName` alone does not name its user (the user listing does).
pub fn entry_names(entries: &[Value], everyone: Option<&str>) -> HashMap<ShareKey, String> {
    entries
        .iter()
        .filter_map(|entry| {
            let key = entry_key(entry, everyone)?;
            let name = match key.kind {
                PrincipalKind::User => shape::text(entry, &["email"]),
                PrincipalKind::Group => shape::text(entry, &["name"]),
                PrincipalKind::Everyone => None,
            }?;
            Some((key, name))
        })
        .collect()
}

/// `view` and `edit` are access levels; an entry without a rule, or with the rule `owner`
/// (pysisense `utils.py` `_return_ownership` writes the owner that way), is the owner's. Any other
/// rule is one dashshare does not know, so the entry is treated like the owner's: never changed.
pub fn entry_level(entry: &Value) -> Level {
    let rule = entry
        .get("rule")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    match rule.as_deref() {
        Some("view") => Level::Access(Access::View),
        Some("edit") => Level::Access(Access::Edit),
        None | Some("owner") => Level::Owner,
        Some(other) => {
            tracing::warn!("a share has the unknown rule '{other}'; dashshare leaves it as it is");
            Level::Owner
        }
    }
}

/// The dashboard's shares; the entry of the dashboard's `owner` is the owner's whatever its rule.
pub fn share_set(entries: &[Value], owner: Option<&str>, everyone: Option<&str>) -> ShareSet {
    ShareSet::new(entries.iter().filter_map(|entry| {
        let key = entry_key(entry, everyone)?;
        let is_owner = key.kind == PrincipalKind::User && Some(key.id.as_str()) == owner;
        Some(Share {
            level: if is_owner {
                Level::Owner
            } else {
                entry_level(entry)
            },
            key,
        })
    }))
}

/// The `sharesTo` list to write so that the dashboard's shares become `after`: existing entries keep
/// every field as read (only `rule` changes where the level changed), entries for removed principals
/// go, new principals are appended, and no principal appears twice (Sisense refuses duplicates).
/// Everyone is the entry of the group whose id is `everyone`; `Err` names a share with everyone
/// to write while that id is unknown.
/// Why a principal cannot be added beside an entry of the same id that dashshare cannot read.
pub const UNKNOWN_ENTRY: &str = "the dashboard already has an entry for the principal with a type \
     dashshare does not know (neither user nor group), so adding one would hold it twice";

pub fn rebuild_shares(
    entries: &[Value],
    after: &ShareSet,
    everyone: Option<&str>,
) -> Result<Vec<Value>, &'static str> {
    let mut seen = HashSet::new();
    let mut rebuilt = Vec::with_capacity(after.len());
    // Entries of a kind dashshare does not know are kept as they are, by their id.
    let mut unknown = HashSet::new();
    for entry in entries {
        let Some(key) = entry_key(entry, everyone) else {
            if let Some(id) = shape::id(entry, &["shareId"]) {
                unknown.insert(id);
            }
            rebuilt.push(entry.clone());
            continue;
        };
        let Some(level) = after.get(&key) else {
            continue;
        };
        if !seen.insert(key) {
            continue;
        }
        match level {
            Level::Access(access) if entry_level(entry) != level => {
                let mut changed: Map<String, Value> =
                    entry.as_object().cloned().unwrap_or_default();
                changed.insert("rule".into(), Value::from(access.as_str()));
                rebuilt.push(Value::Object(changed));
            }
            _ => rebuilt.push(entry.clone()),
        }
    }
    for share in after.iter() {
        if seen.contains(&share.key) {
            continue;
        }
        if let Level::Access(access) = share.level {
            let (id, kind) = match share.key.kind {
                PrincipalKind::Everyone => (
                    everyone.ok_or("the Everyone group's id is not known")?,
                    PrincipalKind::Group,
                ),
                kind => (share.key.id.as_str(), kind),
            };
            // Sisense would hold the principal twice: the entry it has is not understood.
            if unknown.contains(id) {
                return Err(UNKNOWN_ENTRY);
            }
            rebuilt.push(json!({
                "shareId": id,
                "type": kind.as_str(),
                "rule": access.as_str(),
                "subscribe": false,
            }));
        }
    }
    Ok(rebuilt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Change, Intent, Mode, plan};

    fn existing() -> Vec<Value> {
        vec![
            json!({"shareId": "owner1", "type": "user", "subscribe": true}),
            json!({"shareId": "bob1", "type": "user", "rule": "edit", "subscribe": true, "extra": 7}),
            json!({"shareId": "grp1", "type": "group", "rule": "view", "subscribe": false}),
            json!({"shareId": "x", "type": "tenant", "rule": "view"}),
        ]
    }

    fn change(entries: &[Value], key: ShareKey, change: Change) -> Vec<Value> {
        let current = share_set(entries, Some("owner1"), None);
        let plan = plan(&current, &[Intent { key, change }], Mode::Merge).unwrap();
        rebuild_shares(entries, &plan.after, None).unwrap()
    }

    #[test]
    fn grant_appends_and_keeps_every_entry_verbatim() {
        let entries = existing();
        let rebuilt = change(
            &entries,
            ShareKey::new(PrincipalKind::User, "new1"),
            Change::Grant(Access::View),
        );
        assert_eq!(&rebuilt[..4], &entries[..]);
        assert_eq!(
            rebuilt[4],
            json!({"shareId": "new1", "type": "user", "rule": "view", "subscribe": false})
        );
    }

    #[test]
    fn update_changes_only_the_rule() {
        let rebuilt = change(
            &existing(),
            ShareKey::new(PrincipalKind::User, "bob1"),
            Change::Grant(Access::View),
        );
        assert_eq!(
            rebuilt[1],
            json!({"shareId": "bob1", "type": "user", "rule": "view", "subscribe": true, "extra": 7})
        );
        assert_eq!(rebuilt.len(), 4);
    }

    #[test]
    fn revoke_drops_only_that_entry() {
        let entries = existing();
        let rebuilt = change(
            &entries,
            ShareKey::new(PrincipalKind::Group, "grp1"),
            Change::Revoke,
        );
        assert_eq!(
            rebuilt,
            vec![entries[0].clone(), entries[1].clone(), entries[3].clone()]
        );
    }

    #[test]
    fn the_dashboard_owner_is_the_owner_even_with_a_rule() {
        let entries = vec![json!({"shareId": "o", "type": "user", "rule": "edit"})];
        let set = share_set(&entries, Some("o"), None);
        assert_eq!(
            set.get(&ShareKey::new(PrincipalKind::User, "o")),
            Some(Level::Owner)
        );
        assert_eq!(rebuild_shares(&entries, &set, None).unwrap(), entries);
    }

    #[test]
    fn an_entry_with_the_rule_owner_is_the_owners_and_kept_as_read() {
        // pysisense `utils.py` (`_return_ownership`) writes the owner with the rule `owner`.
        let entries = vec![json!({"shareId": "o", "type": "user", "rule": "owner"})];
        let set = share_set(&entries, None, None);
        assert_eq!(
            set.get(&ShareKey::new(PrincipalKind::User, "o")),
            Some(Level::Owner)
        );
        assert_eq!(rebuild_shares(&entries, &set, None).unwrap(), entries);
    }

    #[test]
    fn duplicates_already_on_the_server_are_written_once() {
        let mut entries = existing();
        entries.push(json!({"shareId": "bob1", "type": "user", "rule": "edit"}));
        let rebuilt = rebuild_shares(&entries, &share_set(&entries, None, None), None).unwrap();
        assert_eq!(rebuilt, existing());
    }

    #[test]
    fn the_everyone_group_is_everyone_both_ways() {
        let entries = vec![
            json!({"shareId": "o", "type": "user"}),
            json!({"shareId": "e1", "type": "group", "rule": "view", "name": "Everyone"}),
        ];
        assert_eq!(everyone_among(&entries), EveryoneAmong::Named("e1".into()));
        let set = share_set(&entries, Some("o"), Some("e1"));
        assert_eq!(
            set.get(&ShareKey::everyone()),
            Some(Level::Access(Access::View))
        );
        // Kept verbatim when unchanged, dropped on revoke, appended as the group on grant.
        assert_eq!(rebuild_shares(&entries, &set, Some("e1")).unwrap(), entries);
        let plan = plan(
            &set,
            &[Intent {
                key: ShareKey::everyone(),
                change: Change::Revoke,
            }],
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(
            rebuild_shares(&entries, &plan.after, Some("e1")).unwrap(),
            entries[..1]
        );
        let plan = plan_grant_everyone(&share_set(&entries[..1], Some("o"), Some("e1")));
        assert_eq!(
            rebuild_shares(&entries[..1], &plan, Some("e1")).unwrap()[1],
            json!({"shareId": "e1", "type": "group", "rule": "view", "subscribe": false})
        );
        assert!(rebuild_shares(&entries[..1], &plan, None).is_err());
    }

    fn plan_grant_everyone(current: &ShareSet) -> ShareSet {
        plan(
            current,
            &[Intent {
                key: ShareKey::everyone(),
                change: Change::Grant(Access::View),
            }],
            Mode::Merge,
        )
        .unwrap()
        .after
    }

    #[test]
    fn entries_tell_of_everyone_only_when_every_group_is_named() {
        let named = json!({"shareId": "g", "type": "group", "name": "Sales"});
        let unnamed = json!({"shareId": "h", "type": "group"});
        let user = json!({"shareId": "u", "type": "user"});
        assert_eq!(everyone_among([&named, &user]), EveryoneAmong::Absent);
        assert_eq!(everyone_among([&named, &unnamed]), EveryoneAmong::Unknown);
        assert_eq!(everyone_among([&user]), EveryoneAmong::Absent);
    }

    #[test]
    fn types_and_rules_in_another_case_are_the_same_words() {
        let entries = vec![
            json!({"shareId": "o", "type": "user"}),
            json!({"shareId": "carol", "type": "User", "rule": "View"}),
            json!({"shareId": "g", "type": "GROUP", "rule": "EDIT"}),
        ];
        let set = share_set(&entries, Some("o"), None);
        assert_eq!(
            set.get(&ShareKey::new(PrincipalKind::User, "carol".to_string())),
            Some(Level::Access(Access::View))
        );
        assert_eq!(
            set.get(&ShareKey::new(PrincipalKind::Group, "g".to_string())),
            Some(Level::Access(Access::Edit))
        );
        // carol is not added a second time: she is there.
        assert_eq!(rebuild_shares(&entries, &set, None).unwrap(), entries);
    }

    #[test]
    fn a_principal_is_never_added_beside_an_entry_of_its_id_that_is_not_understood() {
        let entries = vec![
            json!({"shareId": "o", "type": "user"}),
            json!({"shareId": "carol", "type": "person", "rule": "view"}),
        ];
        let before = share_set(&entries, Some("o"), None);
        let kept = rebuild_shares(&entries, &before, None).unwrap();
        assert_eq!(kept, entries, "kept as it is");
        let carol = Share {
            key: ShareKey::new(PrincipalKind::User, "carol".to_string()),
            level: Level::Access(Access::View),
        };
        let after = ShareSet::new(before.iter().cloned().chain([carol]));
        assert_eq!(rebuild_shares(&entries, &after, None), Err(UNKNOWN_ENTRY));
    }

    #[test]
    fn a_listing_keeps_what_is_read_of_its_rows_bare_or_wrapped() {
        let row = r#"{"oid": "d1", "title": "T", "layout": {"big": 1}, "owner": {"_id": "o"},
            "datasource": {"title": "Cube"}, "shares": [{"shareId": "u", "type": "user",
            "rule": "view", "profile": "long", "email": "u@x"}]}"#;
        let kept = json!({"oid": "d1", "title": "T", "owner": {"_id": "o"},
            "datasource": {"title": "Cube"}, "shares": [{"shareId": "u", "type": "user",
            "rule": "view", "email": "u@x"}]});
        let bare = crate::unique_json::parse_kept(format!("[{row}]").as_bytes(), &keep_listed);
        assert_eq!(bare.unwrap(), json!([kept.clone()]));
        let wrapped = format!(r#"{{"items": [{row}], "total": 1}}"#);
        let wrapped = crate::unique_json::parse_kept(wrapped.as_bytes(), &keep_listed);
        assert_eq!(wrapped.unwrap(), json!({"items": [kept]}));
    }
}
