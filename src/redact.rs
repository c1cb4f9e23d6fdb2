//! Secrets masked where outside text comes in: every vendor answer (`http::Reply::json` masks
//! the long secrets in each string value before anything reads it), a server's own message or
//! body quoted in an error, a key or shape named as not understood, a `Location` header, a
//! transport error. Each secret the run has loaded or been handed
//! (passwords, API keys, tokens, session ids) is replaced with `[redacted]`, as sent and form- or
//! percent-encoded, as HTML entities and as JSON escapes, in any mix, since a server can echo a
//! secret back in an encoded form. dashshare's own values (run ids, counts, JSON structure) are
//! never masked: nothing rewrites finished output.

use std::borrow::Cow;
use std::fmt::Write;
use std::sync::RwLock;

use regex::Regex;

pub const REDACTED: &str = "[redacted]";

/// A secret shorter than this is masked only where it stands as a word of its own (no letter or
/// digit beside it): `2026` in a server's "bad password 2026", not in `20261207`.
const WHOLE_WORD_BELOW: usize = 8;

/// The registered secrets, each as its own expression: a run that renews its token often
/// registers many, and rebuilding one expression of them all each time costs more with each.
static MATCHERS: RwLock<Vec<Matcher>> = RwLock::new(Vec::new());

struct Matcher {
    regex: Regex,
    whole_word: bool,
}

/// Remembers `secret`, so that no later outside text shows it.
pub fn register(secret: &str) {
    if secret.is_empty() {
        return;
    }
    let pattern = pattern_for(secret);
    let Ok(mut matchers) = MATCHERS.write() else {
        return;
    };
    if matchers.iter().any(|known| known.regex.as_str() == pattern) {
        return;
    }
    // Built from escaped pieces only: a size limit is the one way it can fail.
    if let Ok(regex) = regex::RegexBuilder::new(&pattern)
        .size_limit(16 << 20)
        .build()
    {
        matchers.push(Matcher {
            regex,
            whole_word: secret.chars().count() < WHOLE_WORD_BELOW,
        });
        // Longest first, so that a secret that contains another is replaced whole.
        matchers.sort_by_key(|m| std::cmp::Reverse(m.regex.as_str().len()));
    }
}

/// Outside `text` with every registered secret, in any of its encodings, replaced by
/// `[redacted]`.
pub fn scrub(text: &str) -> Cow<'_, str> {
    scrub_with(text, |_| true)
}

fn scrub_with(text: &str, applies: impl Fn(&Matcher) -> bool) -> Cow<'_, str> {
    let Ok(matchers) = MATCHERS.read() else {
        // A panic elsewhere poisoned the lock: showing nothing is safer than showing a secret.
        return Cow::Borrowed(REDACTED);
    };
    let mut text = Cow::Borrowed(text);
    for matcher in matchers.iter().filter(|matcher| applies(matcher)) {
        if let Cow::Owned(replaced) = matcher.replace(&text) {
            text = Cow::Owned(replaced);
        }
    }
    text
}

/// Every string value of a vendor answer with each registered secret of 8 characters or more
/// replaced. Such a secret in an answer is an echo (a token, a key), never a name the run needs.
/// A shorter one (a password `admin`, `view`) would match real data: masking it there would
/// change the email `admin@corp.com` a lookup compares, a rule written back, and show the
/// secret by its gap. Those are masked where the server's text is quoted (`scrub`). Keys are
/// left as they came: renamed, two could become one; a message that names a key scrubs it.
pub fn scrub_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(text) => {
            if let Cow::Owned(scrubbed) = scrub_with(text, |matcher| !matcher.whole_word) {
                *text = scrubbed;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub_json),
        Value::Object(object) => object.values_mut().for_each(scrub_json),
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

impl Matcher {
    fn replace<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if !self.whole_word {
            return self.regex.replace_all(text, REDACTED);
        }
        let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        let mut out = String::new();
        let mut last = 0;
        for found in self.regex.find_iter(text) {
            let before = text[..found.start()].chars().next_back();
            let after = text[found.end()..].chars().next();
            if word(before) || word(after) {
                continue;
            }
            out.push_str(&text[last..found.start()]);
            out.push_str(REDACTED);
            last = found.end();
        }
        if last == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
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
    fn other_text_is_left_alone_and_short_secrets_only_as_words() {
        register("zq-9081726354");
        assert_eq!(scrub("Bearer zq-9081726354."), "Bearer [redacted].");
        assert_eq!(scrub("zq-90817"), "zq-90817");
        register("7319");
        assert_eq!(scrub("bad password 7319."), "bad password [redacted].");
        assert_eq!(scrub("run 73191207T120000Z"), "run 73191207T120000Z");
        assert_eq!(scrub("\"7319\" refused"), "\"[redacted]\" refused");
    }

    #[test]
    fn an_answer_is_scrubbed_value_by_value_of_its_long_secrets_only() {
        register("tRuQ");
        register("Sekr3t-answer-99");
        let mut answer = serde_json::json!({
            "ok": true,
            "echo": "Sekr3t-answer-99 again",
            "Sekr3t-answer-99": [1, "tRuQ", "tRuQ@corp.com"],
        });
        scrub_json(&mut answer);
        let expected = serde_json::json!({
            "ok": true,
            "echo": "[redacted] again",
            "Sekr3t-answer-99": [1, "tRuQ", "tRuQ@corp.com"],
        });
        assert_eq!(answer, expected);
        assert_eq!(scrub("refused: tRuQ"), "refused: [redacted]");
    }
}
