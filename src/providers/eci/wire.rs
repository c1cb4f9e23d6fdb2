//! EnergyCAP v3 wire types and the `filter` expressions its list endpoints take.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET`/`PUT /api/v3/dashboard/{id}/share` answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareResponse {
    #[serde(default)]
    pub shared_user_groups: Vec<GroupChild>,
    #[serde(default)]
    pub shared_users: Vec<UserChild>,
    #[serde(default)]
    pub shared_with_everyone: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupChild {
    pub user_group_id: i64,
    pub user_group_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChild {
    pub user_id: i64,
    pub user_code: Option<String>,
    pub full_name: Option<String>,
}

impl UserChild {
    pub fn display(&self) -> Option<String> {
        self.user_code.clone().or_else(|| self.full_name.clone())
    }
}

/// `PUT /api/v3/dashboard/{id}/share` body: it replaces all three fields.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ShareRequest {
    pub shared_user_group_ids: Vec<i64>,
    pub shared_user_ids: Vec<i64>,
    pub shared_with_everyone: bool,
}

/// `field equals 'value'`, with a quote inside the value doubled, as the API's filters expect.
pub fn equals(field: &str, value: &str) -> String {
    format!("{field} equals '{}'", value.replace('\'', "''"))
}

/// A numeric filter: ids are compared as numbers, unquoted.
pub fn equals_number(field: &str, value: i64) -> String {
    format!("{field} equals {value}")
}

/// The first of `fields` that holds a string (list answers name the same thing differently across
/// endpoints and versions: `systemUserCode` / `userCode`, …).
pub fn text(item: &Value, fields: &[&str]) -> Option<String> {
    fields
        .iter()
        .find_map(|field| item.get(*field).and_then(Value::as_str))
        .map(str::to_string)
}

/// The first of `fields` that holds an integer.
pub fn number(item: &Value, fields: &[&str]) -> Option<i64> {
    fields
        .iter()
        .find_map(|field| item.get(*field).and_then(Value::as_i64))
}

pub const USER_ID: &[&str] = &["systemUserId", "systemUserID", "userId"];
pub const USER_CODE: &[&str] = &["systemUserCode", "userCode"];
pub const USER_EMAIL: &[&str] = &["email", "emailAddress"];
pub const GROUP_ID: &[&str] = &["userGroupId", "userGroupID"];
pub const GROUP_NAME: &[&str] = &["userGroupName", "userGroupInfo"];
pub const DASHBOARD_ID: &[&str] = &["dashboardId", "dashboardID"];
pub const DASHBOARD_TITLE: &[&str] = &["dashboardDescription", "dashboardName", "name"];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_inside_filter_values_are_doubled() {
        assert_eq!(
            equals("email", "o'brien@example.com"),
            "email equals 'o''brien@example.com'"
        );
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
    fn fields_are_read_under_either_spelling() {
        let item = json!({"systemUserID": 7, "userCode": "ALICE"});
        assert_eq!(number(&item, USER_ID), Some(7));
        assert_eq!(text(&item, USER_CODE).as_deref(), Some("ALICE"));
    }
}
