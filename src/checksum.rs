//! A checksum carried inside a JSON object as its last member, `"sha256": "<hex>"`, over the
//! object's exact text without that member: journal lines and saved plans carry one, so that a
//! hand edit or a damaged byte is refused rather than taken for what dashshare wrote. It is no
//! signature: whoever can edit the file can compute it again.

use std::borrow::Cow;

use sha2::{Digest, Sha256};

/// The member as a compact line carries it, and as pretty JSON (two spaces in) does.
const MEMBERS: [&[u8]; 2] = [b",\"sha256\":\"", b",\n  \"sha256\": \""];
const HEX_LEN: usize = 64;

/// What `open` found.
#[derive(Debug, PartialEq, Eq)]
pub enum Seal<'a> {
    /// The checksum matches: the object's text without it.
    Sealed(Cow<'a, [u8]>),
    /// A checksum is there and does not match the text.
    Mismatch,
    /// No checksum (or not as the last member).
    Unsealed,
}

/// `object` (JSON object text ending in `}`, compact or pretty) with its checksum added as the
/// last member.
pub fn seal(object: &str) -> String {
    let sum = hex(object.as_bytes());
    let body = object.strip_suffix('}').unwrap_or(object);
    let inner = body.trim_end();
    let closing = &body[inner.len()..];
    let member = if closing.starts_with('\n') {
        format!(",\n  \"sha256\": \"{sum}\"")
    } else {
        format!(",\"sha256\":\"{sum}\"")
    };
    format!("{inner}{member}{closing}}}")
}

/// Whether `text` carries its checksum, and whether it matches.
pub fn open(text: &[u8]) -> Seal<'_> {
    let Some(body) = text.trim_ascii_end().strip_suffix(b"}") else {
        return Seal::Unsealed;
    };
    let inner = body.trim_ascii_end();
    let closing = &body[inner.len()..];
    let Some(before_quote) = inner.strip_suffix(b"\"") else {
        return Seal::Unsealed;
    };
    let Some(split) = before_quote.len().checked_sub(HEX_LEN) else {
        return Seal::Unsealed;
    };
    let (rest, sum) = before_quote.split_at(split);
    if !sum
        .iter()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    {
        return Seal::Unsealed;
    }
    let Some(content) = MEMBERS.iter().find_map(|member| rest.strip_suffix(*member)) else {
        return Seal::Unsealed;
    };
    let mut object = Vec::with_capacity(content.len() + closing.len() + 1);
    object.extend_from_slice(content);
    object.extend_from_slice(closing);
    object.push(b'}');
    if hex(&object).as_bytes() == sum {
        Seal::Sealed(Cow::Owned(object))
    } else {
        Seal::Mismatch
    }
}

fn hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_object_opens_to_its_text_in_either_layout() {
        for object in [
            r#"{"a":1,"b":"x"}"#.to_string(),
            serde_json::to_string_pretty(&serde_json::json!({"a": 1, "b": [1, 2]})).unwrap(),
        ] {
            let sealed = seal(&object);
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&sealed).unwrap()["sha256"]
                    .as_str()
                    .unwrap()
                    .len(),
                HEX_LEN
            );
            assert_eq!(
                open(sealed.as_bytes()),
                Seal::Sealed(Cow::Borrowed(object.as_bytes()))
            );
            // A trailing newline an editor adds is no change.
            assert!(matches!(
                open(format!("{sealed}\n").as_bytes()),
                Seal::Sealed(_)
            ));
            let edited = sealed.replacen("1", "2", 1);
            assert_eq!(open(edited.as_bytes()), Seal::Mismatch);
            assert_eq!(open(object.as_bytes()), Seal::Unsealed);
        }
    }

    #[test]
    fn a_checksum_that_is_not_the_last_member_or_not_hex_is_none() {
        let sealed = seal(r#"{"a":1}"#);
        let moved = sealed
            .replace("{\"a\":1,", "{")
            .replace("\"}", "\",\"a\":1}");
        assert_eq!(open(moved.as_bytes()), Seal::Unsealed);
        assert_eq!(open(sealed.to_uppercase().as_bytes()), Seal::Unsealed);
        assert_eq!(open(b"{\"a\":1"), Seal::Unsealed);
        assert_eq!(open(b""), Seal::Unsealed);
    }
}
