//! Vendor answers read whole or refused: JSON allows an object to repeat a key, and `serde_json`
//! keeps the last, so a dashboard answer holding `sharesTo` (or `owner`) twice would be merged and
//! written from half of what the server said. Here a repeated key is an error naming the key and
//! where it was, never a value (a value may be a secret the server echoed).

use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Why an answer could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum Misread {
    /// Not JSON at all.
    NotJson,
    /// JSON with an object that holds `key` twice, at `path` (`$.sharesTo[2]`).
    RepeatedKey { key: String, path: String },
}

impl fmt::Display for Misread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Misread::NotJson => f.write_str("it is not JSON"),
            Misread::RepeatedKey { key, path } => write!(
                f,
                "it holds the key `{}` twice in one object, at {}",
                quoted(key, 80),
                quoted(path, 200)
            ),
        }
    }
}

/// A server's key or path as a message may quote it: scrubbed of secrets before it is cut (no
/// half of a secret across the cut), and no longer than `most` characters.
fn quoted(text: &str, most: usize) -> String {
    let text = crate::redact::scrub(text);
    if text.chars().count() <= most {
        return text.into_owned();
    }
    let mut cut: String = text.chars().take(most).collect();
    cut.push('…');
    cut
}

/// Which keys of an object to keep, by the keys of the objects above it (`["items"]` for a row of
/// a wrapped listing, `[]` for the answer's own keys or a bare list's rows) and its own key.
pub type Keep = dyn Fn(&[&str], &str) -> bool;

/// `bytes` as one JSON value, refused if any object in it repeats a key.
pub fn parse(bytes: &[u8]) -> Result<Value, Misread> {
    parse_kept(bytes, &|_, _| true)
}

/// `bytes` as one JSON value holding only the keys `keep` wants, the rest skipped unread as it
/// is parsed: a listing is held by what dashshare reads of it, never by every field a server
/// sends. Refused if an object repeats a key.
pub fn parse_kept(bytes: &[u8], keep: &Keep) -> Result<Value, Misread> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let mut repeated = None;
    let value = Unique {
        path: &Path::Root,
        repeated: &mut repeated,
        keep,
    }
    .deserialize(&mut deserializer)
    .and_then(|value| deserializer.end().map(|()| value));
    match (value, repeated) {
        (_, Some(misread)) => Err(misread),
        (Ok(value), None) => Ok(value),
        (Err(_), None) => Err(Misread::NotJson),
    }
}

/// Where a value lies in the answer, built only as deep as the reader is.
enum Path<'p> {
    Root,
    Key(&'p Path<'p>, &'p str),
    Index(&'p Path<'p>, usize),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

struct Unique<'a, 'p> {
    path: &'p Path<'p>,
    /// The first repeated key found; the parse stops there.
    repeated: &'a mut Option<Misread>,
    keep: &'a Keep,
}

impl Path<'_> {
    /// The keys of the objects down to here, indices left out.
    fn keys(&self) -> Vec<&str> {
        let mut keys = match self {
            Path::Root => return Vec::new(),
            Path::Key(parent, _) | Path::Index(parent, _) => parent.keys(),
        };
        if let Path::Key(_, key) = self {
            keys.push(key);
        }
        keys
    }
}

impl<'de> DeserializeSeed<'de> for Unique<'_, '_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Unique<'_, '_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_string()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        loop {
            let path = Path::Index(self.path, items.len());
            let seed = Unique {
                path: &path,
                repeated: &mut *self.repeated,
                keep: self.keep,
            };
            match seq.next_element_seed(seed)? {
                Some(item) => items.push(item),
                None => return Ok(Value::Array(items)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        let parents = self.path.keys();
        let mut skipped = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) || skipped.contains(&key) {
                *self.repeated = Some(Misread::RepeatedKey {
                    path: self.path.to_string(),
                    key,
                });
                return Err(de::Error::custom("a repeated key"));
            }
            if !(self.keep)(&parents, &key) {
                map.next_value::<de::IgnoredAny>()?;
                skipped.insert(key);
                continue;
            }
            let path = Path::Key(self.path, &key);
            let value = map.next_value_seed(Unique {
                path: &path,
                repeated: &mut *self.repeated,
                keep: self.keep,
            })?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_answer_without_repeats_reads_as_serde_json_reads_it() {
        let text = r#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": "\u00e9"}"#;
        assert_eq!(
            parse(text.as_bytes()).unwrap(),
            serde_json::from_str::<Value>(text).unwrap()
        );
        assert_eq!(parse(b" [] ").unwrap(), json!([]));
    }

    #[test]
    fn a_repeated_key_is_named_with_where_it_was_never_with_a_value() {
        let text =
            r#"{"oid": "d1", "sharesTo": [{"shareId": "u1", "rule": "view", "rule": "hunter2x"}]}"#;
        let misread = parse(text.as_bytes()).unwrap_err();
        assert_eq!(
            misread,
            Misread::RepeatedKey {
                key: "rule".into(),
                path: "$.sharesTo[0]".into()
            }
        );
        assert!(!misread.to_string().contains("hunter2x"));
        let top = parse(br#"{"sharesTo": [], "owner": "a", "sharesTo": []}"#).unwrap_err();
        assert_eq!(
            top.to_string(),
            "it holds the key `sharesTo` twice in one object, at $"
        );
        let long_key = "k".repeat(5000);
        let long = format!(r#"{{"{long_key}": 1, "{long_key}": 2}}"#);
        let shown = parse(long.as_bytes()).unwrap_err().to_string();
        assert!(shown.len() < 200 && shown.contains("kkk…"), "{shown}");
    }

    #[test]
    fn keys_in_another_case_are_different_keys_and_bad_json_is_not_json() {
        assert!(parse(br#"{"type": "user", "Type": "User"}"#).is_ok());
        assert_eq!(parse(b"{\"a\": 1} trailing"), Err(Misread::NotJson));
        assert_eq!(parse(b"<html>"), Err(Misread::NotJson));
        let deep = "[".repeat(100_000);
        assert_eq!(parse(deep.as_bytes()), Err(Misread::NotJson));
    }

    #[test]
    fn a_kept_parse_skips_what_is_not_wanted_and_still_refuses_repeats() {
        let text = br#"{"items": [{"oid": "d1", "pad": "xxxx", "shares": [{"shareId": "u", "bio": "long"}]}]}"#;
        let keep = |parents: &[&str], key: &str| match parents.last() {
            None => key == "items",
            Some(&"items") => key == "oid" || key == "shares",
            Some(&"shares") => key == "shareId",
            Some(_) => true,
        };
        assert_eq!(
            parse_kept(text, &keep).unwrap(),
            json!({"items": [{"oid": "d1", "shares": [{"shareId": "u"}]}]})
        );
        let repeated = br#"{"items": [{"oid": "d1", "pad": 1, "pad": 2}]}"#;
        assert!(matches!(
            parse_kept(repeated, &keep),
            Err(Misread::RepeatedKey { .. })
        ));
    }
}
