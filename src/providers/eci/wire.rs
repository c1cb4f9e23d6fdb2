//! EnergyCAP v3 wire names and the `filter` expressions its list endpoints take.
//!
//! Answer keys are those of EnergyCAP's own SDK (EnergyCapSdk 8.2309.4878, generated from the
//! OpenAPI spec): `models/user_response.py`, `user_group_response.py`, `dashboard_response.py`,
//! `share_response.py`, `user_child.py`, `user_group_child.py`, `share_request.py`. Filter names
//! are the documented filter fields (developer.energycap.com, GetUsersV3), which differ from the
//! answer keys: a user is filtered by `systemUserCode` but answers with `userCode`.

use serde::Serialize;
use serde_json::Value;

use crate::error::Result;
use crate::shape;

/// `PUT /api/v3/dashboard/{id}/share` body (ShareRequest): it replaces all three fields.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ShareRequest {
    pub shared_user_group_ids: Vec<i64>,
    pub shared_user_ids: Vec<i64>,
    pub shared_with_everyone: bool,
}

/// UserResponse / UserChild.
pub const USER_ID: &[&str] = &["userId"];
pub const USER_CODE: &[&str] = &["userCode"];
pub const USER_EMAIL: &[&str] = &["email"];
pub const USER_FULL_NAME: &[&str] = &["fullName"];
/// UserGroupResponse / UserGroupChild.
pub const GROUP_ID: &[&str] = &["userGroupId"];
pub const GROUP_NAME: &[&str] = &["userGroupName"];
/// DashboardResponse: `dashboardInfo` is the title (`description` is a separate free text).
pub const DASHBOARD_ID: &[&str] = &["dashboardId"];
pub const DASHBOARD_TITLE: &[&str] = &["dashboardInfo"];
/// ShareResponse.
pub const SHARED_USERS: &str = "sharedUsers";
pub const SHARED_GROUPS: &str = "sharedUserGroups";
pub const SHARED_WITH_EVERYONE: &str = "sharedWithEveryone";

/// Filter fields of `GET /api/v3/user` (GetUsersV3) and `GET /api/v3/userGroup`.
pub const FILTER_EMAIL: &str = "email";
pub const FILTER_USER_CODE: &str = "systemUserCode";
pub const FILTER_USER_ID: &str = "systemUserID";
pub const FILTER_GROUP_NAME: &str = "userGroupName";
pub const FILTER_GROUP_ID: &str = "userGroupID";

/// A filter value: always single-quoted, numbers too, with a quote inside doubled (Filters page:
/// "Every value must be single-quoted, even numbers and booleans").
pub fn quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// `field equals 'value'`.
pub fn equals(field: &str, value: &str) -> String {
    format!("{field} equals {}", quoted(value))
}

/// `field one of 'a'|'b'|…` (Filters page, Multi-Value Operators); one value is an `equals`.
pub fn one_of(field: &str, values: &[&str]) -> String {
    match values {
        [only] => equals(field, only),
        several => format!(
            "{field} one of {}",
            several
                .iter()
                .map(|value| quoted(value))
                .collect::<Vec<_>>()
                .join("|")
        ),
    }
}

/// A value that `one of` cannot carry safely: the docs do not say whether a `|` inside quotes
/// separates values, so such a value is looked up on its own with `equals`.
pub fn needs_own_request(value: &str) -> bool {
    value.contains('|')
}

/// What a dashboard's share answer (ShareResponse) holds: ids with the names it carries.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ShareAnswer {
    pub users: Vec<(String, Option<String>)>,
    pub groups: Vec<(String, Option<String>)>,
    pub everyone: bool,
}

impl ShareAnswer {
    /// Reads a ShareResponse. The write that follows a read replaces all three fields, so a key
    /// that is missing (rather than empty) is not understood: taking it as empty would erase shares.
    pub fn read(target: &str, body: &Value) -> Result<Self> {
        let looked_for = [SHARED_USERS, SHARED_GROUPS, SHARED_WITH_EVERYONE];
        let understood = || shape::not_understood(target, &looked_for, body);
        let everyone = match present(body, SHARED_WITH_EVERYONE) {
            Some(Value::Bool(everyone)) => *everyone,
            _ => return Err(understood()),
        };
        let list = |name: &str| -> Result<&[Value]> {
            match present(body, name) {
                Some(Value::Array(items)) => Ok(items.as_slice()),
                // Beside everyone the lists are empty by the API's own rule. Elsewhere a null
                // list may be one the key's user may not see (EnergyCAP hides what a user lacks
                // the permission for), and taking it as empty would erase it at the next write.
                Some(Value::Null) if everyone => Ok(&[]),
                _ => Err(understood()),
            }
        };
        let users = list(SHARED_USERS)?
            .iter()
            .map(|user| {
                let id = shape::require_id(target, user, USER_ID)?;
                let name =
                    shape::text(user, USER_CODE).or_else(|| shape::text(user, USER_FULL_NAME));
                Ok((id, name))
            })
            .collect::<Result<Vec<_>>>()?;
        let groups = list(SHARED_GROUPS)?
            .iter()
            .map(|group| {
                let id = shape::require_id(target, group, GROUP_ID)?;
                Ok((id, shape::text(group, GROUP_NAME)))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ShareAnswer {
            users,
            groups,
            everyone,
        })
    }
}

/// The value under `name` (any case), null included; `None` when the key is absent.
fn present<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    let object = body.as_object()?;
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use serde_json::json;

    #[test]
    fn every_filter_value_is_quoted_and_quotes_inside_are_doubled() {
        assert_eq!(
            equals("email", "o'brien@example.com"),
            "email equals 'o''brien@example.com'"
        );
        assert_eq!(equals("systemUserID", "42"), "systemUserID equals '42'");
        assert_eq!(
            one_of("email", &["a@x.com", "b'c@x.com"]),
            "email one of 'a@x.com'|'b''c@x.com'"
        );
        assert_eq!(one_of("userGroupID", &["7"]), "userGroupID equals '7'");
    }

    #[test]
    fn the_share_request_uses_the_documented_names() {
        let body = serde_json::to_value(ShareRequest {
            shared_user_group_ids: vec![1],
            shared_user_ids: vec![2],
            shared_with_everyone: false,
        })
        .unwrap();
        assert_eq!(
            body,
            json!({"sharedUserGroupIds": [1], "sharedUserIds": [2], "sharedWithEveryone": false})
        );
    }

    #[test]
    fn a_share_answer_missing_a_list_is_not_understood_rather_than_empty() {
        let err = ShareAnswer::read(
            "GET x",
            &json!({"sharedUserGroups": [], "sharedWithEveryone": false}),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
        assert!(err.to_string().contains("`sharedUsers`"), "{err}");
        let answer = ShareAnswer::read(
            "GET x",
            &json!({"SharedUsers": null, "sharedUserGroups": [{"UserGroupId": 3}], "sharedWithEveryone": true}),
        )
        .unwrap();
        assert_eq!(
            answer,
            ShareAnswer {
                users: vec![],
                groups: vec![("3".into(), None)],
                everyone: true
            }
        );
    }

    #[test]
    fn a_null_list_beside_named_shares_is_not_understood_since_a_write_would_erase_it() {
        let err = ShareAnswer::read(
            "GET x",
            &json!({"sharedUsers": null, "sharedUserGroups": [{"userGroupId": 3}], "sharedWithEveryone": false}),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
    }

    #[test]
    fn a_shared_user_without_an_id_is_not_understood() {
        let err = ShareAnswer::read(
            "GET x",
            &json!({"sharedUsers": [{"systemUserId": 5}], "sharedUserGroups": [], "sharedWithEveryone": false}),
        )
        .unwrap_err();
        assert!(matches!(err, Error::NotUnderstood { .. }), "{err:?}");
        assert!(err.to_string().contains("systemUserId"), "{err}");
    }
}
