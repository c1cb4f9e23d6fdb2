//! Rendering for stdout: aligned plain tables for people, one JSON document for programs. What
//! is written here and to stderr is first rid of every secret (`redact`).

use std::io::Write;

use comfy_table::{Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};

/// A table with no borders, columns aligned, headers in capitals (like `kubectl get`).
pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(headers.iter().map(|h| h.to_uppercase()));
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    table
        .lines()
        .map(|line| line.trim_end().to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn print_json(value: &impl Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|err| Error::remote(format!("cannot render JSON output: {err}")))?;
    // JSON is for programs, and escapes control characters itself: written as rendered, since
    // `terminal_safe`'s escapes are no JSON escapes.
    write_stdout(&text)
}

/// Prints a diagnostic line to stderr, with a progress bar lifted out of its way. A closed or
/// failing stderr (`… 2>&1 | head -1`) is not worth a panic in the middle of a run: the line is
/// dropped and the command carries on.
pub fn print_diagnostic(text: &str) {
    let text = crate::redact::scrub(text);
    crate::terminal::write_stderr(format!("{}\n", terminal_safe(&text)).as_bytes());
}

/// `text` with every character that could drive a terminal (escape sequences, carriage returns,
/// bidirectional overrides) written out as an escape instead (`\u{1b}`): vendor text (titles,
/// error messages) reaches the screen through here, and a server must not be able to rewrite it.
/// Newlines and tabs stay.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    };
    if !text.chars().any(unsafe_char) {
        return text.into();
    }
    text.chars()
        .map(|c| {
            if unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect::<String>()
        .into()
}

/// Prints to stdout; a closed pipe (`dashshare list … | head`) is not an error worth a panic.
pub fn print_text(text: &str) -> Result<()> {
    write_stdout(&terminal_safe(text))
}

/// Every line for stdout passes here, through the secret filter.
fn write_stdout(text: &str) -> Result<()> {
    let text = crate::redact::scrub(text);
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::remote_from(
            format!("cannot write to stdout: {err}"),
            err,
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_in_vendor_text_are_written_out() {
        assert_eq!(terminal_safe("Sales\tKPIs\n"), "Sales\tKPIs\n");
        assert_eq!(
            terminal_safe("a\u{1b}[2Jb\rc\u{202e}d"),
            "a\\u{1b}[2Jb\\u{d}c\\u{202e}d"
        );
    }
}
