//! Rendering for stdout: aligned plain tables for people, one JSON document for programs. What
//! is written here and to stderr is first rid of every secret (`redact`).

pub mod escape;
pub mod jq;
pub mod outcomes;

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use comfy_table::{Table, presets};
use serde::Serialize;

use crate::error::{Error, Result};

/// A table with no borders, columns aligned, headers in capitals (like `kubectl get`).
/// A Markdown table (a pull-request comment) of cells the caller has escaped
/// (`escape::markdown`, or its own mark-up around escaped text).
pub fn markdown_table(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut text = format!(
        "| {} |\n|{}\n",
        headers.join(" | "),
        "---|".repeat(headers.len())
    );
    for row in rows {
        text.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    text
}

pub fn table(headers: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(headers.iter().map(|h| h.to_uppercase()));
    // A cell is one line: a value with a line break (a title) cannot forge rows.
    for row in rows {
        table.add_row(row.iter().map(|cell| escape::controls(cell).into_owned()));
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

/// The version of the `-o json` contract, in every document (README, "Scripting").
pub const SCHEMA_VERSION: u32 = 1;

/// `--jq`'s expression, set once before the command runs.
static JSON_FILTER: OnceLock<String> = OnceLock::new();

/// Whether this process printed its JSON document: an error after it (apply's report, then
/// exit 1) prints no second one.
static JSON_PRINTED: AtomicBool = AtomicBool::new(false);

/// Filters every JSON document of this process through `expr` (`--jq`), once it compiles.
pub fn set_json_filter(expr: &str) -> Result<()> {
    jq::check(expr)?;
    let _ = JSON_FILTER.set(expr.to_string());
    Ok(())
}

/// A command's JSON document, with `schema_version` first among its fields.
#[derive(Serialize)]
struct Versioned<'a, T: Serialize + ?Sized> {
    schema_version: u32,
    #[serde(flatten)]
    document: &'a T,
}

/// Prints the command's one JSON document, which must be an object (a list goes under a key).
pub fn print_json(value: &impl Serialize) -> Result<()> {
    JSON_PRINTED.store(true, Ordering::Relaxed);
    let document = Versioned {
        schema_version: SCHEMA_VERSION,
        document: value,
    };
    let text = serde_json::to_string_pretty(&document)
        .map_err(|err| Error::local(format!("cannot render JSON output: {err}")))?;
    match JSON_FILTER.get() {
        Some(expr) => {
            match filtered(expr, &text) {
                Ok(lines) if lines.is_empty() => Ok(()),
                // Raw strings are vendor text, kept from driving the terminal like every cell.
                Ok(lines) => print_text(&lines.join("\n")),
                // The command's work is done (a write, maybe, and its run id): the whole
                // document, with the command's own exit code, rather than a claim that nothing
                // happened.
                Err(err) => {
                    print_diagnostic(&format!("warning: {err}; the whole document follows"));
                    write_stdout(&text)
                }
            }
        }
        // JSON is for programs, and escapes control characters itself: written as rendered,
        // since `terminal_safe`'s escapes are no JSON escapes.
        None => write_stdout(&text),
    }
}

/// The lines `--jq`'s `expr` makes of `document` (whose vendor text was scrubbed as it came in),
/// in a contained process; a failure is remembered for the exit code.
fn filtered(expr: &str, document: &str) -> Result<Vec<String>> {
    jq::contained(expr, document).inspect_err(|_| JQ_FAILED.store(true, Ordering::Relaxed))
}

/// Whether `--jq` failed on the document: the command's work stands (and was printed whole), but
/// the process exits 2, as for any expression that cannot be run.
static JQ_FAILED: AtomicBool = AtomicBool::new(false);

pub fn jq_failed() -> bool {
    JQ_FAILED.load(Ordering::Relaxed)
}

/// Under `-o json`, a failed command's one document on stdout, unless it already printed its
/// report (which its exit code then qualifies) or `--jq` asked for results an error document is
/// not (the error is on stderr, like `gh`).
pub fn print_json_error(err: &Error) {
    #[derive(Serialize)]
    struct Failure<'a> {
        exit_code: u8,
        kind: &'a str,
        message: String,
    }
    #[derive(Serialize)]
    struct Failed<'a> {
        error: Failure<'a>,
    }
    if JSON_PRINTED.load(Ordering::Relaxed) || JSON_FILTER.get().is_some() {
        return;
    }
    let failed = Failed {
        error: Failure {
            exit_code: err.exit_code() as u8,
            kind: err.kind(),
            message: err.to_string(),
        },
    };
    // Nothing more can be said if stdout fails too: the line on stderr stands.
    let _ = print_json(&failed);
}

/// Prints a diagnostic line to stderr, with a progress bar lifted out of its way. A closed or
/// failing stderr (`… 2>&1 | head -1`) is not worth a panic in the middle of a run: the line is
/// dropped and the command carries on.
pub fn print_diagnostic(text: &str) {
    crate::terminal::write_stderr(format!("{}\n", terminal_safe(text)).as_bytes());
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
/// On a terminal that takes colour, tables' ACTION column is coloured (`colour_actions`).
pub fn print_text(text: &str) -> Result<()> {
    // Coloured after `terminal_safe`, so that only our own escape codes reach the terminal.
    let safe = terminal_safe(text);
    if crate::terminal::colour_for(&std::io::stdout()) {
        write_stdout(&colour_actions(&safe))
    } else {
        write_stdout(&safe)
    }
}

/// `text` with the last word of each row of a table whose header ends in ACTION coloured:
/// added green, removed red, updated yellow; any other action, and all other text, as it was.
/// A table runs from its header to the next empty line.
pub fn colour_actions(text: &str) -> String {
    use anstyle::AnsiColor;
    let mut coloured = String::with_capacity(text.len());
    let mut in_table = false;
    for line in text.split_inclusive('\n') {
        let row = line.trim_end_matches('\n');
        let header = row.split_whitespace().next_back() == Some("ACTION")
            && !row.chars().any(char::is_lowercase);
        if header || row.is_empty() {
            in_table = header;
        } else if in_table {
            let action = row.rsplit(' ').next().unwrap_or_default();
            let colour = match action {
                "added" => Some(AnsiColor::Green),
                "removed" => Some(AnsiColor::Red),
                "updated" => Some(AnsiColor::Yellow),
                _ => None,
            };
            if let Some(colour) = colour {
                let style = colour.on_default();
                let (before, newline) = (&row[..row.len() - action.len()], &line[row.len()..]);
                coloured.push_str(&format!("{before}{style}{action}{style:#}{newline}"));
                continue;
            }
        }
        coloured.push_str(line);
    }
    coloured
}

/// Every line for stdout passes here.
fn write_stdout(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    match writeln!(stdout, "{text}") {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::local_from(
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
    fn only_the_action_column_of_a_table_is_coloured() {
        let text = "PRINCIPAL  ACTION\nalice      added\nbob        removed\ncarol      updated\n\
                    dave       unchanged\n\nDashboard 'd': 1 added\nnote: added";
        let green = anstyle::AnsiColor::Green.on_default();
        let red = anstyle::AnsiColor::Red.on_default();
        let yellow = anstyle::AnsiColor::Yellow.on_default();
        assert_eq!(
            colour_actions(text),
            format!(
                "PRINCIPAL  ACTION\nalice      {green}added{green:#}\nbob        {red}removed{red:#}\n\
                 carol      {yellow}updated{yellow:#}\ndave       unchanged\n\n\
                 Dashboard 'd': 1 added\nnote: added"
            )
        );
        assert_eq!(
            colour_actions("NAME  TITLE\nx     added"),
            "NAME  TITLE\nx     added"
        );
    }

    #[test]
    fn terminal_controls_in_vendor_text_are_written_out() {
        assert_eq!(terminal_safe("Sales\tKPIs\n"), "Sales\tKPIs\n");
        assert_eq!(
            terminal_safe("a\u{1b}[2Jb\rc\u{202e}d"),
            "a\\u{1b}[2Jb\\u{d}c\\u{202e}d"
        );
    }
}
