//! Rendering for stdout: aligned plain tables for people, one JSON document for programs.

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
    print_text(&text)
}

/// Prints a diagnostic line to stderr. A closed or failing stderr (`… 2>&1 | head -1`) is not
/// worth a panic in the middle of a run: the line is dropped and the command carries on.
pub fn print_diagnostic(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Prints to stdout; a closed pipe (`dashshare list … | head`) is not an error worth a panic.
pub fn print_text(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::remote(format!("cannot write to stdout: {err}")))
        }
        _ => Ok(()),
    }
}
