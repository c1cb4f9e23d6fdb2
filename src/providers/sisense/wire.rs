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

/// An owner as an id: a plain id (the dashboard and admin-listing answers), or an object with
/// `_id` (the shares answer, pysisense `migration/dashboards.py` reads `owner["_id"]`).
pub fn owner_id(owner: Option<&Value>) -> Option<String> {
    match owner? {
        Value::String(id) if !id.is_empty() => Some(id.clone()),
        object @ Value::Object(_) => shape::id(object, ID_KEYS),
        _ => None,
    }
}

/// The principal an entry of `shares` is for; `None` for entries of a kind dashshare does not manage.
pub fn entry_key(entry: &Value) -> Option<ShareKey> {
    let id = shape::id(entry, &["shareId"])?;
    let kind = match shape::text(entry, &["type"])?.as_str() {
        "user" => PrincipalKind::User,
        "group" => PrincipalKind::Group,
        _ => return None,
    };
    Some(ShareKey::new(kind, id))
}

/// Readable names some servers send with the entries (pysisense `migration/dashboards.py` reads
/// `userName` of user entries and `name` of group entries), so `list` need not look them up.
pub fn entry_names(entries: &[Value]) -> HashMap<ShareKey, String> {
    entries
        .iter()
        .filter_map(|entry| {
            let key = entry_key(entry)?;
            let name = match key.kind {
                PrincipalKind::User => user_display(entry),
                _ => shape::text(entry, &["name"]),
            }?;
            Some((key, name))
        })
        .collect()
}

/// `view` and `edit` are access levels; an entry without a rule, or with the rule `owner`
/// (pysisense `utils.py` `_return_ownership` writes the owner that way), is the owner's. Any other
/// rule is one dashshare does not know, so the entry is treated like the owner's: never changed.
pub fn entry_level(entry: &Value) -> Level {
    match entry.get("rule").and_then(Value::as_str) {
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
pub fn share_set(entries: &[Value], owner: Option<&str>) -> ShareSet {
    ShareSet::new(entries.iter().filter_map(|entry| {
        let key = entry_key(entry)?;
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
pub fn rebuild_shares(entries: &[Value], after: &ShareSet) -> Vec<Value> {
    let mut seen = HashSet::new();
    let mut rebuilt = Vec::with_capacity(after.len());
    for entry in entries {
        let Some(key) = entry_key(entry) else {
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
            rebuilt.push(json!({
                "shareId": share.key.id,
                "type": share.key.kind.as_str(),
                "rule": access.as_str(),
                "subscribe": false,
            }));
        }
    }
    rebuilt
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
        let current = share_set(entries, Some("owner1"));
        let plan = plan(&current, &[Intent { key, change }], Mode::Merge).unwrap();
        rebuild_shares(entries, &plan.after)
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
        let set = share_set(&entries, Some("o"));
        assert_eq!(
            set.get(&ShareKey::new(PrincipalKind::User, "o")),
            Some(Level::Owner)
        );
        assert_eq!(rebuild_shares(&entries, &set), entries);
    }

    #[test]
    fn an_entry_with_the_rule_owner_is_the_owners_and_kept_as_read() {
        // pysisense `utils.py` (`_return_ownership`) writes the owner with the rule `owner`.
        let entries = vec![json!({"shareId": "o", "type": "user", "rule": "owner"})];
        let set = share_set(&entries, None);
        assert_eq!(
            set.get(&ShareKey::new(PrincipalKind::User, "o")),
            Some(Level::Owner)
        );
        assert_eq!(rebuild_shares(&entries, &set), entries);
    }

    #[test]
    fn duplicates_already_on_the_server_are_written_once() {
        let mut entries = existing();
        entries.push(json!({"shareId": "bob1", "type": "user", "rule": "edit"}));
        let rebuilt = rebuild_shares(&entries, &share_set(&entries, None));
        assert_eq!(rebuilt, existing());
    }
}
