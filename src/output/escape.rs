//! Vendor text (titles, names, URLs) made inert for each format it is written in: control
//! characters as escapes, HTML's five characters as entities, Markdown that could show an
//! image, link, mention or heading as plain text. No HTML-escaping crate is in the offline
//! registry (`html-escape`, `v_htmlescape` are not), so the characters are replaced here; the
//! tests below pin them.

use std::borrow::Cow;

/// A character that could drive a terminal or break a line of a file: C0 and C1 controls,
/// DEL, and the bidirectional overrides that reorder what a reader sees.
fn is_control(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character written as JSON writes it (`\n`, `\r`, `\t`,
/// `\u001b`), so that one value stays one line, whatever the server sent.
pub fn controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if is_control(c) => escaped.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// Text for HTML content and quoted attribute values, its controls escaped first.
pub fn html(text: &str) -> String {
    let text = controls(text);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// Text for a Markdown table cell or line (a pull-request comment): a pipe would end the cell, a
/// line break the row, `<` write HTML; `![`, `[…](…)` would show an image or a link, `@name`
/// notify someone, a backtick open code and a leading `#` make a heading. Each is backslash
/// escaped (CommonMark), or written as an entity where HTML is at stake.
pub fn markdown(text: &str) -> String {
    let text = controls(text);
    let mut escaped = String::with_capacity(text.len() + 8);
    let mut previous: Option<char> = None;
    for c in text.chars() {
        // `@` mentions only where a word starts: `alice@example.com` stays as it is.
        let mention = c == '@' && !previous.is_some_and(char::is_alphanumeric);
        match c {
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\\' | '|' | '!' | '[' | ']' | '(' | ')' | '`' => {
                escaped.push('\\');
                escaped.push(c);
            }
            '@' if mention => escaped.push_str("\\@"),
            '#' if previous.is_none() => escaped.push_str("\\#"),
            c => escaped.push(c),
        }
        previous = Some(c);
    }
    escaped
}

/// What a spreadsheet would run as a formula when a cell starts with it (OWASP, CSV injection),
/// also after leading whitespace (` =cmd`, `\n+1`), which spreadsheets skip.
const FORMULA_STARTS: [char; 4] = ['=', '+', '-', '@'];

fn starts_formula(cell: &str) -> bool {
    cell.starts_with(['\t', '\r']) || cell.trim_start().starts_with(FORMULA_STARTS)
}

/// A cell for a CSV that people may open in a spreadsheet: one that would start a formula gets a
/// leading `'`, as OWASP advises. `apply` reads such a cell back without it.
pub fn formula_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if starts_formula(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// A cell as written before `formula_safe` escaped it.
pub fn formula_unescaped(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_formula(rest) => rest,
        _ => cell,
    }
}

/// A CSV cell of vendor text: its controls escaped, so that a cell is one line, and formula safe.
pub fn csv(text: &str) -> String {
    formula_safe(&controls(text)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_written_as_json_escapes_and_other_text_is_left_alone() {
        assert_eq!(controls("Sales KPIs"), Cow::Borrowed("Sales KPIs"));
        assert_eq!(
            controls("a\u{1b}[31mb\r\nc\td\u{7f}\u{202e}"),
            "a\\u001b[31mb\\r\\nc\\td\\u007f\\u202e"
        );
    }

    #[test]
    fn html_escapes_the_five_characters_and_controls() {
        assert_eq!(
            html("<a href=\"x\">Tom's & Jerry's</a>\n"),
            "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; Jerry&#39;s&lt;/a&gt;\\n"
        );
    }

    #[test]
    fn markdown_cannot_break_the_table_write_html_show_images_links_or_mention() {
        assert_eq!(
            markdown("# Sales | ![x](https://e.example/p.png) @octocat `rm` <b>\nrow"),
            "\\# Sales \\| \\!\\[x\\]\\(https://e.example/p.png\\) \\@octocat \\`rm\\` &lt;b&gt;\\\\nrow"
        );
        assert_eq!(markdown("KPIs #2"), "KPIs #2");
        assert_eq!(markdown("alice@example.com"), "alice@example.com");
        assert_eq!(markdown("a\\b"), "a\\\\b");
    }
}
