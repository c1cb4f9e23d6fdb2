//! The share model and the one pure function that decides what changes (`plan`), with the one
//! that decides the ends of shares given for a time (`ends`): no I/O here.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod ends;
#[cfg(test)]
pub(crate) mod examples;
pub mod outcome;
pub mod when;

/// An access level as the contract names it; each vendor maps it to its own words.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    clap::ValueEnum,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    View,
    Edit,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::View => "view",
            Access::Edit => "edit",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    User,
    Group,
    Everyone,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::User => "user",
            PrincipalKind::Group => "group",
            PrincipalKind::Everyone => "everyone",
        }
    }
}

impl fmt::Display for PrincipalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A principal as the user wrote it (`user:alice@example.com`, `group:Marketing`, `everyone`),
/// before the vendor has told us who that is.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Principal {
    User(String),
    Group(String),
    Everyone,
}

impl Principal {
    pub fn kind(&self) -> PrincipalKind {
        match self {
            Principal::User(_) => PrincipalKind::User,
            Principal::Group(_) => PrincipalKind::Group,
            Principal::Everyone => PrincipalKind::Everyone,
        }
    }

    /// The name as given, without the kind prefix.
    pub fn name(&self) -> &str {
        match self {
            Principal::User(name) | Principal::Group(name) => name,
            Principal::Everyone => "everyone",
        }
    }
}

impl fmt::Display for Principal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(name) => write!(f, "user:{name}"),
            Principal::Group(name) => write!(f, "group:{name}"),
            Principal::Everyone => f.write_str("everyone"),
        }
    }
}

impl Serialize for Principal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Refuses a value that cannot be sent as written: one holding a control character (a tab, CR or
/// LF a server would read differently, or that would split a log line), or a dashboard id that is
/// a path step (`.` or `..`, which a URL would silently resolve away). `what` names the value.
pub fn check_reference(what: &str, value: &str) -> Result<(), String> {
    if value.chars().any(char::is_control) {
        return Err(format!(
            "the {what} {value:?} holds a control character (tab, line break, …); write it \
             without, as the vendor shows it"
        ));
    }
    if what == "dashboard" && matches!(value.trim(), "." | "..") {
        return Err(format!(
            "the dashboard {value:?} is a path step, not an id; pass the dashboard's id or \
             name:TITLE"
        ));
    }
    Ok(())
}

impl FromStr for Principal {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if text == "everyone" {
            return Ok(Principal::Everyone);
        }
        let (kind, name) = text.split_once(':').ok_or_else(|| {
            format!("'{text}' is not a principal: write user:NAME, group:NAME or everyone")
        })?;
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("'{text}' names no {kind}: write {kind}:NAME"));
        }
        check_reference(kind, name)?;
        match kind {
            "user" => Ok(Principal::User(name.to_string())),
            "group" => Ok(Principal::Group(name.to_string())),
            _ => Err(format!(
                "'{text}' has an unknown kind '{kind}': write user:NAME, group:NAME or everyone"
            )),
        }
    }
}

/// A principal as the vendor identifies it in a share (its internal id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ShareKey {
    #[serde(rename = "type")]
    pub kind: PrincipalKind,
    pub id: String,
}

impl ShareKey {
    pub fn new(kind: PrincipalKind, id: impl Into<String>) -> Self {
        ShareKey {
            kind,
            id: id.into(),
        }
    }

    /// The one key that stands for everyone.
    pub fn everyone() -> Self {
        ShareKey::new(PrincipalKind::Everyone, "everyone")
    }

    /// The principal this key stands for, by `name` where one is known, else by its id.
    pub fn principal(&self, name: Option<&String>) -> Principal {
        let name = || name.unwrap_or(&self.id).clone();
        match self.kind {
            PrincipalKind::User => Principal::User(name()),
            PrincipalKind::Group => Principal::Group(name()),
            PrincipalKind::Everyone => Principal::Everyone,
        }
    }
}

/// A key where no name is known: its kind and id (`user 5f00…`).
impl std::fmt::Display for ShareKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.kind, self.id)
    }
}

/// What a share grants. `Owner` is an entry that carries no access level (the Sisense owner's):
/// dashshare never changes or removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    Access(Access),
    Owner,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Access(access) => access.as_str(),
            Level::Owner => "owner",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "view" => Ok(Level::Access(Access::View)),
            "edit" => Ok(Level::Access(Access::Edit)),
            "owner" => Ok(Level::Owner),
            other => Err(serde::de::Error::custom(format!(
                "unknown access '{other}' (view, edit or owner)"
            ))),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    #[serde(flatten)]
    pub key: ShareKey,
    #[serde(rename = "access")]
    pub level: Level,
}

/// A dashboard's shares: at most one entry per principal, in the vendor's order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ShareSet {
    shares: Vec<Share>,
}

impl ShareSet {
    /// Builds a set, keeping the first entry where the vendor listed a principal twice.
    pub fn new(shares: impl IntoIterator<Item = Share>) -> Self {
        let mut set = ShareSet::default();
        for share in shares {
            if set.get(&share.key).is_none() {
                set.shares.push(share);
            }
        }
        set
    }

    pub fn get(&self, key: &ShareKey) -> Option<Level> {
        self.shares
            .iter()
            .find(|share| &share.key == key)
            .map(|share| share.level)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Share> {
        self.shares.iter()
    }

    pub fn len(&self) -> usize {
        self.shares.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shares.is_empty()
    }

    /// The same shares, whatever their order.
    pub fn same_as(&self, other: &ShareSet) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|share| other.get(&share.key) == Some(share.level))
    }
}

/// A dashboard as the vendor identifies it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dashboard {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl Dashboard {
    /// As people know it: `Title (id)`, or the id alone when there is no other title.
    pub fn shown(&self) -> String {
        match &self.title {
            Some(title) if title != &self.id => format!("{title} ({})", self.id),
            _ => self.id.clone(),
        }
    }
}

/// What the caller wants for one principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// After the write the principal has exactly this access.
    Grant(Access),
    Revoke,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Intent {
    pub key: ShareKey,
    pub change: Change,
}

/// How the principals of a request relate to the shares already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// Only the named principals change; every other share stays exactly as it is.
    #[default]
    Merge,
    /// The named principals are the complete share set: every other share is removed, except the
    /// owner's.
    Replace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Added,
    Updated,
    Unchanged,
    Removed,
    /// A revoke of a share that was not there.
    Absent,
    /// Sent to a vendor that cannot read shares (an apply file's row): whether it changed
    /// anything is unknown.
    Sent,
    /// Not made: the dashboard failed before or during its write.
    Failed,
    /// Written, removed by another writer, and written again by `apply --verify`.
    Repaired,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Added => "added",
            Action::Updated => "updated",
            Action::Unchanged => "unchanged",
            Action::Removed => "removed",
            Action::Absent => "absent",
            Action::Sent => "sent",
            Action::Failed => "failed",
            Action::Repaired => "repaired",
        }
    }

    /// A change to the share set that a read could see (what `diff` calls drift).
    pub fn is_change(self) -> bool {
        matches!(self, Action::Added | Action::Updated | Action::Removed)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub key: ShareKey,
    pub before: Option<Level>,
    pub after: Option<Level>,
    pub action: Action,
    /// Why the action is not the obvious one, when a vendor rule decided it.
    pub note: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub after: ShareSet,
    /// One entry per named principal, in request order, then the shares `Mode::Replace` removes.
    pub outcomes: Vec<Outcome>,
}

impl Plan {
    pub fn changes_anything(&self) -> bool {
        self.outcomes
            .iter()
            .any(|outcome| outcome.action.is_change())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the owner's share cannot be revoked")]
    OwnerRevoke(ShareKey),
    #[error("the same principal is asked for twice with different changes")]
    Conflict(ShareKey),
}

/// Turns the current shares and a requested change into the new shares and what happens to each
/// principal. Pure: the same inputs always give the same plan.
pub fn plan(current: &ShareSet, intents: &[Intent], mode: Mode) -> Result<Plan, PlanError> {
    let mut wanted: HashMap<&ShareKey, Change> = HashMap::new();
    let mut order: Vec<&ShareKey> = Vec::new();
    for intent in intents {
        match wanted.get(&intent.key) {
            None => {
                wanted.insert(&intent.key, intent.change);
                order.push(&intent.key);
            }
            Some(change) if *change == intent.change => {}
            Some(_) => return Err(PlanError::Conflict(intent.key.clone())),
        }
    }

    let mut after = Vec::with_capacity(current.len() + order.len());
    let mut decided: HashMap<&ShareKey, Outcome> = HashMap::new();
    let mut pruned = Vec::new();
    for share in current.iter() {
        let before = Some(share.level);
        match (wanted.get(&share.key), share.level) {
            (Some(Change::Revoke), Level::Owner) => {
                return Err(PlanError::OwnerRevoke(share.key.clone()));
            }
            (Some(Change::Revoke), _) => {
                decided.insert(&share.key, outcome(share, before, None, Action::Removed));
            }
            // The owner already has every right a grant could give.
            (Some(Change::Grant(_)), Level::Owner) => {
                after.push(share.clone());
                decided.insert(
                    &share.key,
                    outcome(share, before, before, Action::Unchanged),
                );
            }
            (Some(Change::Grant(access)), Level::Access(had)) => {
                let level = Level::Access(*access);
                let action = if had == *access {
                    Action::Unchanged
                } else {
                    Action::Updated
                };
                after.push(Share {
                    key: share.key.clone(),
                    level,
                });
                decided.insert(&share.key, outcome(share, before, Some(level), action));
            }
            (None, Level::Access(_)) if mode == Mode::Replace => {
                pruned.push(outcome(share, before, None, Action::Removed));
            }
            (None, _) => after.push(share.clone()),
        }
    }

    let mut outcomes = Vec::with_capacity(order.len() + pruned.len());
    for key in order {
        if let Some(done) = decided.remove(key) {
            outcomes.push(done);
            continue;
        }
        let (after_level, action) = match wanted[key] {
            Change::Grant(access) => {
                let level = Level::Access(access);
                after.push(Share {
                    key: key.clone(),
                    level,
                });
                (Some(level), Action::Added)
            }
            Change::Revoke => (None, Action::Absent),
        };
        outcomes.push(Outcome {
            key: key.clone(),
            before: None,
            after: after_level,
            action,
            note: None,
        });
    }
    outcomes.extend(pruned);

    Ok(Plan {
        after: ShareSet { shares: after },
        outcomes,
    })
}

fn outcome(share: &Share, before: Option<Level>, after: Option<Level>, action: Action) -> Outcome {
    Outcome {
        key: share.key.clone(),
        before,
        after,
        action,
        note: None,
    }
}

/// Why a user or group share disappears when the dashboard is shared with everyone.
pub const DROPPED_FOR_EVERYONE: &str = "dropped: a dashboard shared with everyone keeps no user or group \
     list here, and revoking everyone later will not bring this share back";
/// Why granting a user or group changes nothing while the dashboard is shared with everyone.
pub const COVERED_BY_EVERYONE: &str = "already shared with everyone";

/// For vendors where a share with everyone cannot stand beside named users and groups (ECI: both
/// lists must be empty). If `plan` ends shared with everyone, every user and group share leaves
/// the new set: those that were there are reported `removed` (and why), newly named ones
/// `unchanged`, since everyone already sees the dashboard.
pub fn everyone_stands_alone(plan: Plan) -> Plan {
    let everyone = ShareKey::everyone();
    if plan.after.get(&everyone).is_none() {
        return plan;
    }
    let is_list_entry = |key: &ShareKey| key.kind != PrincipalKind::Everyone;
    let mut outcomes: Vec<Outcome> = plan
        .outcomes
        .into_iter()
        .map(|mut outcome| {
            if is_list_entry(&outcome.key) && outcome.after.is_some() {
                outcome.after = None;
                (outcome.action, outcome.note) = match outcome.before {
                    Some(_) => (Action::Removed, Some(DROPPED_FOR_EVERYONE)),
                    None => (Action::Unchanged, Some(COVERED_BY_EVERYONE)),
                };
            }
            outcome
        })
        .collect();
    let mut kept = Vec::new();
    for share in plan.after.shares {
        if !is_list_entry(&share.key) || share.level == Level::Owner {
            kept.push(share);
        } else if !outcomes.iter().any(|o| o.key == share.key) {
            outcomes.push(Outcome {
                key: share.key.clone(),
                before: Some(share.level),
                after: None,
                action: Action::Removed,
                note: Some(DROPPED_FOR_EVERYONE),
            });
        }
    }
    Plan {
        after: ShareSet { shares: kept },
        outcomes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> ShareKey {
        ShareKey::new(PrincipalKind::User, id)
    }

    fn share(id: &str, level: Level) -> Share {
        Share {
            key: user(id),
            level,
        }
    }

    fn grant(id: &str, access: Access) -> Intent {
        Intent {
            key: user(id),
            change: Change::Grant(access),
        }
    }

    fn revoke(id: &str) -> Intent {
        Intent {
            key: user(id),
            change: Change::Revoke,
        }
    }

    fn actions(plan: &Plan) -> Vec<(String, Action)> {
        plan.outcomes
            .iter()
            .map(|o| (o.key.id.clone(), o.action))
            .collect()
    }

    #[test]
    fn grant_adds_and_keeps_owner_and_others() {
        let current = ShareSet::new([
            share("owner", Level::Owner),
            share("bob", Level::Access(Access::Edit)),
        ]);
        let plan = plan(&current, &[grant("alice", Access::View)], Mode::Merge).unwrap();
        assert_eq!(actions(&plan), vec![("alice".into(), Action::Added)]);
        assert_eq!(plan.after.len(), 3);
        assert_eq!(plan.after.get(&user("owner")), Some(Level::Owner));
        assert_eq!(
            plan.after.get(&user("bob")),
            Some(Level::Access(Access::Edit))
        );
        assert!(plan.changes_anything());
    }

    #[test]
    fn grant_lowers_and_raises_to_exactly_the_asked_level() {
        let current = ShareSet::new([
            share("a", Level::Access(Access::Edit)),
            share("b", Level::Access(Access::View)),
        ]);
        let plan = plan(
            &current,
            &[grant("a", Access::View), grant("b", Access::Edit)],
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(
            actions(&plan),
            vec![("a".into(), Action::Updated), ("b".into(), Action::Updated)]
        );
        assert_eq!(
            plan.after.get(&user("a")),
            Some(Level::Access(Access::View))
        );
        assert_eq!(
            plan.after.get(&user("b")),
            Some(Level::Access(Access::Edit))
        );
    }

    #[test]
    fn granting_what_is_there_changes_nothing() {
        let current = ShareSet::new([share("a", Level::Access(Access::View))]);
        let plan = plan(&current, &[grant("a", Access::View)], Mode::Merge).unwrap();
        assert_eq!(actions(&plan), vec![("a".into(), Action::Unchanged)]);
        assert!(!plan.changes_anything());
        assert_eq!(plan.after, current);
    }

    #[test]
    fn grant_to_owner_is_unchanged_and_owner_cannot_be_revoked() {
        let current = ShareSet::new([share("owner", Level::Owner)]);
        let granted = plan(&current, &[grant("owner", Access::View)], Mode::Merge).unwrap();
        assert_eq!(actions(&granted), vec![("owner".into(), Action::Unchanged)]);
        assert_eq!(
            plan(&current, &[revoke("owner")], Mode::Merge),
            Err(PlanError::OwnerRevoke(user("owner")))
        );
    }

    #[test]
    fn revoke_removes_only_the_named_share() {
        let current = ShareSet::new([
            share("owner", Level::Owner),
            share("a", Level::Access(Access::View)),
            share("b", Level::Access(Access::View)),
        ]);
        let plan = plan(&current, &[revoke("a"), revoke("ghost")], Mode::Merge).unwrap();
        assert_eq!(
            actions(&plan),
            vec![
                ("a".into(), Action::Removed),
                ("ghost".into(), Action::Absent)
            ]
        );
        assert_eq!(plan.after.len(), 2);
        assert_eq!(plan.after.get(&user("a")), None);
    }

    #[test]
    fn replace_removes_unnamed_shares_but_never_the_owner() {
        let current = ShareSet::new([
            share("owner", Level::Owner),
            share("a", Level::Access(Access::View)),
            share("b", Level::Access(Access::Edit)),
        ]);
        let plan = plan(&current, &[grant("a", Access::View)], Mode::Replace).unwrap();
        assert_eq!(
            actions(&plan),
            vec![
                ("a".into(), Action::Unchanged),
                ("b".into(), Action::Removed)
            ]
        );
        assert_eq!(plan.after.get(&user("owner")), Some(Level::Owner));
        assert_eq!(plan.after.len(), 2);
    }

    #[test]
    fn repeated_intents_count_once_and_conflicts_are_refused() {
        let current = ShareSet::default();
        let plan_once = plan(
            &current,
            &[grant("a", Access::View), grant("a", Access::View)],
            Mode::Merge,
        )
        .unwrap();
        assert_eq!(plan_once.outcomes.len(), 1);
        assert_eq!(
            plan(
                &current,
                &[grant("a", Access::View), revoke("a")],
                Mode::Merge
            ),
            Err(PlanError::Conflict(user("a")))
        );
    }

    fn everyone_grant() -> Intent {
        Intent {
            key: ShareKey::everyone(),
            change: Change::Grant(Access::View),
        }
    }

    #[test]
    fn granting_everyone_drops_the_lists_and_says_so() {
        let current = ShareSet::new([
            share("a", Level::Access(Access::View)),
            Share {
                key: ShareKey::new(PrincipalKind::Group, "g"),
                level: Level::Access(Access::View),
            },
        ]);
        let plan = everyone_stands_alone(plan(&current, &[everyone_grant()], Mode::Merge).unwrap());
        assert_eq!(
            plan.after,
            ShareSet::new([Share {
                key: ShareKey::everyone(),
                level: Level::Access(Access::View)
            }])
        );
        assert_eq!(
            actions(&plan),
            vec![
                ("everyone".into(), Action::Added),
                ("a".into(), Action::Removed),
                ("g".into(), Action::Removed)
            ]
        );
        assert!(
            plan.outcomes[1..]
                .iter()
                .all(|o| o.note == Some(DROPPED_FOR_EVERYONE))
        );
    }

    #[test]
    fn granting_a_user_while_shared_with_everyone_is_unchanged() {
        let current = ShareSet::new([Share {
            key: ShareKey::everyone(),
            level: Level::Access(Access::View),
        }]);
        let plan = everyone_stands_alone(
            plan(&current, &[grant("a", Access::View)], Mode::Merge).unwrap(),
        );
        assert_eq!(actions(&plan), vec![("a".into(), Action::Unchanged)]);
        assert_eq!(plan.outcomes[0].note, Some(COVERED_BY_EVERYONE));
        assert!(!plan.changes_anything());
        assert_eq!(plan.after, current);
    }

    #[test]
    fn without_everyone_the_rule_changes_nothing() {
        let current = ShareSet::new([share("a", Level::Access(Access::View))]);
        let planned = plan(&current, &[grant("b", Access::View)], Mode::Merge).unwrap();
        assert_eq!(everyone_stands_alone(planned.clone()), planned);
    }

    #[test]
    fn principals_parse_from_their_written_form() {
        assert_eq!(
            "user:alice@example.com".parse::<Principal>(),
            Ok(Principal::User("alice@example.com".into()))
        );
        assert_eq!(
            "group:Sales Team".parse::<Principal>(),
            Ok(Principal::Group("Sales Team".into()))
        );
        assert_eq!("everyone".parse::<Principal>(), Ok(Principal::Everyone));
        assert!(
            "alice"
                .parse::<Principal>()
                .unwrap_err()
                .contains("'alice'")
        );
        assert!(
            "role:x"
                .parse::<Principal>()
                .unwrap_err()
                .contains("'role'")
        );
        assert!("user:".parse::<Principal>().is_err());
    }
}
