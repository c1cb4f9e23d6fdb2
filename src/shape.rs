//! Reading vendor answers tolerantly, and failing loudly when a field dashshare needs is missing.
//!
//! Servers rename keys across versions (`userId` / `UserId` / `systemUserID`), so fields are looked
//! up under every name the evidence gives, and without regard to case. When none is there, the
//! answer was found but not understood: that is `Error::NotUnderstood` (exit 1), naming the
//! endpoint, the names looked for and the keys seen, and never "does not exist" (exit 2).
//! Messages name keys only, never values: a value may be a secret the server echoed.

use serde_json::Value;

use crate::error::Error;

/// The value of the first of `names` that `item` has, in the order of preference `names` gives;
/// each name as written first, else a key that differs from it only in case (`DashboardId` for
/// `dashboardId`), before the next name is tried.
pub fn field<'a>(item: &'a Value, names: &[&str]) -> Option<&'a Value> {
    let object = item.as_object()?;
    names.iter().find_map(|name| {
        object
            .get(*name)
            .filter(|value| !value.is_null())
            .or_else(|| {
                object
                    .iter()
                    .find(|(key, value)| key.eq_ignore_ascii_case(name) && !value.is_null())
                    .map(|(_, value)| value)
            })
    })
}

/// A string field.
pub fn text(item: &Value, names: &[&str]) -> Option<String> {
    field(item, names)
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// An id field: servers send ids as strings or as numbers; both come back as text.
pub fn id(item: &Value, names: &[&str]) -> Option<String> {
    match field(item, names)? {
        Value::String(id) if !id.trim().is_empty() => Some(id.clone()),
        Value::Number(number) if number.is_i64() || number.is_u64() => Some(number.to_string()),
        _ => None,
    }
}

/// An integer field, also when the server sends it as a numeric string.
pub fn integer(item: &Value, names: &[&str]) -> Option<i64> {
    match field(item, names)? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// A boolean field.
pub fn flag(item: &Value, names: &[&str]) -> Option<bool> {
    field(item, names).and_then(Value::as_bool)
}

/// The id in `names`, or the error saying the answer from `target` was not understood.
pub fn require_id(target: &str, item: &Value, names: &[&str]) -> Result<String, Error> {
    id(item, names).ok_or_else(|| not_understood(target, names, item))
}

/// The string in `names`, or the error saying the answer from `target` was not understood.
pub fn require_text(target: &str, item: &Value, names: &[&str]) -> Result<String, Error> {
    text(item, names).ok_or_else(|| not_understood(target, names, item))
}

/// The items of a list answer: a bare array, or the array under one of `wrappers` (any case).
/// `None` when the answer holds no such array.
pub fn items<'a>(body: &'a Value, wrappers: &[&str]) -> Option<&'a [Value]> {
    match body {
        Value::Array(items) => Some(items),
        Value::Object(_) => field(body, wrappers)
            .and_then(Value::as_array)
            .map(Vec::as_slice),
        _ => None,
    }
}

/// The items of a list answer, or the error saying it was not understood.
pub fn require_items<'a>(
    target: &str,
    body: &'a Value,
    wrappers: &[&str],
) -> Result<&'a [Value], Error> {
    items(body, wrappers).ok_or_else(|| {
        let mut looked_for = vec!["a JSON array"];
        looked_for.extend(wrappers);
        not_understood(target, &looked_for, body)
    })
}

/// The error for an answer to `target` ("METHOD URL") that lacks what dashshare needs.
pub fn not_understood(target: &str, looked_for: &[&str], seen: &Value) -> Error {
    Error::not_understood_from(target, misread(target, looked_for, seen))
}

/// What `not_understood` says: which answer (`shown`), what was looked for, and the keys that
/// were there (never their values).
pub fn misread(shown: &str, looked_for: &[&str], seen: &Value) -> String {
    format!(
        "the answer from {shown} was not understood: dashshare looked for {} and saw {}; nothing \
         was changed. This server may speak another version of the API: run `dashshare check \
         --deep` and include its output in a bug report",
        looked_for
            .iter()
            .map(|name| format!("`{name}`"))
            .collect::<Vec<_>>()
            .join(" or "),
        keys_seen(seen)
    )
}

/// What an answer holds, by its keys alone: an object's keys, or those of an array's first item.
pub fn keys_seen(value: &Value) -> String {
    match value {
        Value::Object(object) if object.is_empty() => "an empty object".into(),
        Value::Object(object) => {
            let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
            keys.sort_unstable();
            format!("the keys {}", keys.join(", "))
        }
        Value::Array(items) => match items.first() {
            None => "an empty list".into(),
            Some(first) => format!(
                "a list of {} with {}",
                crate::wording::plural(items.len(), "item"),
                keys_seen(first)
            ),
        },
        Value::String(_) => "a string".into(),
        Value::Number(_) => "a number".into(),
        Value::Bool(_) => "a boolean".into(),
        Value::Null => "null".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exact_names_win_and_case_is_ignored_otherwise() {
        let item = json!({"DashboardId": "d1", "dashboardid": "d2", "Name": "Sales"});
        assert_eq!(text(&item, &["dashboardid"]).as_deref(), Some("d2"));
        assert_eq!(text(&item, &["dashboardId"]).as_deref(), Some("d1"));
        assert_eq!(text(&item, &["name"]).as_deref(), Some("Sales"));
    }

    #[test]
    fn a_preferred_name_in_another_case_beats_a_later_name() {
        let row = json!({"DashboardId": "guid-1", "id": 17});
        assert_eq!(id(&row, &["dashboardId", "id"]).as_deref(), Some("guid-1"));
    }

    #[test]
    fn ids_come_as_numbers_or_strings() {
        assert_eq!(id(&json!({"userId": 7}), &["userId"]).as_deref(), Some("7"));
        assert_eq!(
            id(&json!({"userId": "7"}), &["userId"]).as_deref(),
            Some("7")
        );
        assert_eq!(id(&json!({"userId": ""}), &["userId"]), None);
        assert_eq!(integer(&json!({"n": "42"}), &["n"]), Some(42));
    }

    #[test]
    fn a_missing_field_names_what_was_sought_and_the_keys_seen_but_no_value() {
        let err = require_id(
            "GET https://bi.example.test/api/v3/user",
            &json!({"uid": 7, "secretish": "hunter2"}),
            &["userId", "systemUserID"],
        )
        .unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, Error::NotUnderstood { .. }));
        assert!(
            message.contains("GET https://bi.example.test/api/v3/user"),
            "{message}"
        );
        assert!(message.contains("`userId` or `systemUserID`"), "{message}");
        assert!(message.contains("the keys secretish, uid"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn list_answers_may_be_wrapped() {
        let wrapped = json!({"Dashboards": [{"a": 1}]});
        assert_eq!(items(&wrapped, &["dashboards"]).unwrap().len(), 1);
        let err = require_items("GET x", &json!({"other": []}), &["items"]).unwrap_err();
        assert!(err.to_string().contains("the keys other"), "{err}");
        assert_eq!(
            keys_seen(&json!([{"b": 1, "a": 2}])),
            "a list of 1 item with the keys a, b"
        );
    }
}
