//! The one filter between the process and the outside: every message, table, JSON document and
//! log line passes through `scrub`, which replaces each secret the run has loaded or been handed
//! (passwords, API keys, tokens, session ids) with `[redacted]`. A server can echo a secret back
//! in an encoded form, so each is also found form- or percent-encoded, as HTML entities and as
//! JSON escapes, in any mix.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::RwLock;

use regex::Regex;

pub const REDACTED: &str = "[redacted]";

/// Shorter values are not treated as secrets: replacing every "ab" in the output would garble it,
/// and a secret this short protects nothing.
const MIN_SECRET_CHARS: usize = 4;

/// The registered secrets, each as its own expression: a run that renews its token often
/// registers many, and rebuilding one expression of them all each time costs more with each.
static MATCHERS: RwLock<Vec<Regex>> = RwLock::new(Vec::new());

/// Remembers `secret`, so that no later output shows it.
pub fn register(secret: &str) {
    if secret.chars().count() < MIN_SECRET_CHARS {
        return;
    }
    let pattern = pattern_for(secret);
    let Ok(mut matchers) = MATCHERS.write() else {
        return;
    };
    if matchers.iter().any(|known| known.as_str() == pattern) {
        return;
    }
    // Built from escaped pieces only: a size limit is the one way it can fail.
    if let Ok(matcher) = regex::RegexBuilder::new(&pattern)
        .size_limit(16 << 20)
        .build()
    {
        matchers.push(matcher);
        // Longest first, so that a secret that contains another is replaced whole.
        matchers.sort_by_key(|m| std::cmp::Reverse(m.as_str().len()));
    }
}

/// `text` with every registered secret, in any of its encodings, replaced by `[redacted]`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let Ok(matchers) = MATCHERS.read() else {
        // A panic elsewhere poisoned the lock: showing nothing is safer than showing a secret.
        return Cow::Borrowed(REDACTED);
    };
    let mut text = Cow::Borrowed(text);
    for matcher in matchers.iter() {
        if let Cow::Owned(replaced) = matcher.replace_all(&text, REDACTED) {
            text = Cow::Owned(replaced);
        }
    }
    text
}

/// An expression matching `secret` with each character as written or in any encoding a server
/// might use for it.
fn pattern_for(secret: &str) -> String {
    let mut pattern = String::new();
    for c in secret.chars() {
        // No encoder (form, percent, HTML, JSON) rewrites these: most tokens are literals only,
        // quick to build and to search for.
        if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~') {
            pattern.push_str(&regex::escape(&c.to_string()));
            continue;
        }
        let mut forms = vec![regex::escape(&c.to_string())];
        let mut utf8 = [0u8; 4];
        let percent: String = c
            .encode_utf8(&mut utf8)
            .bytes()
            .map(|byte| format!("%(?i:{byte:02x})"))
            .collect();
        forms.push(percent);
        if c == ' ' {
            forms.push(r"\+".into());
        }
        let code = u32::from(c);
        forms.push(format!("&#0*{code};"));
        forms.push(format!("&#(?i:x)0*(?i:{code:x});"));
        // HTML names hundreds of characters (`&eacute;`, `&commat;`): any name stands for any
        // of them. Too wide a match only hides a little more text.
        forms.push("&[A-Za-z][A-Za-z0-9]*;".into());
        if code <= 0xffff {
            forms.push(format!(r"\\(?i:u{code:04x})"));
        }
        if matches!(c, '"' | '\\' | '/') {
            forms.push(regex::escape(&format!("\\{c}")));
        }
        let _ = write!(pattern, "(?:{})", forms.join("|"));
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "Zq<p@ss+w&rd'=%20\"é>";

    #[test]
    fn every_encoding_of_a_secret_is_redacted() {
        register(SECRET);
        let html = "Zq&lt;p@ss+w&amp;rd&#39;=%20&quot;&#xE9;&gt;";
        let form: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
        let lower_percent = form.to_lowercase().replace("zq", "Zq");
        let json = serde_json::to_string(SECRET).unwrap();
        let go_json = json.replace('<', "\\u003c").replace('&', "\\u0026");
        for echoed in [SECRET, html, &form, &lower_percent, &json, &go_json] {
            let shown = scrub(&format!("login failed for {echoed}!")).into_owned();
            assert!(shown.contains(REDACTED), "{echoed} -> {shown}");
            assert!(
                !shown.contains("p@ss") && !shown.contains("p%40ss"),
                "{shown}"
            );
        }
    }

    #[test]
    fn other_text_is_left_alone_and_short_values_are_no_secrets() {
        register("abc");
        register("tok-0123456789");
        assert_eq!(scrub("abc def"), "abc def");
        assert_eq!(scrub("Bearer tok-0123456789."), "Bearer [redacted].");
        assert_eq!(scrub("tok-01234"), "tok-01234");
    }
}
