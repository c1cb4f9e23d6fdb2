//! Reading an apply file, YAML or CSV, into rows that each carry the line they came from. Nothing
//! is checked against a server here. Every problem is collected, so one run reports them all.
//! CSV is streamed record by record: a row is handed on as soon as it is read, never kept here.

use std::fmt;
use std::path::Path;

use clap::ValueEnum;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::{Error, Result};
use crate::flow::timed::When;
use crate::model::{Access, Principal};

/// One share the file asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The file line of the principal.
    pub line: u64,
    /// `None`: the profile the command line chose.
    pub profile: Option<String>,
    /// As written: an id, or `name:TITLE`.
    pub dashboard: String,
    pub principal: Principal,
    pub access: Access,
    /// `expires`: the share is given for a time, as `grant --for/--until` gives it.
    pub expires: Option<When>,
    /// `with_data`: also give the principal the entry it lacks on the dashboard's data model, as
    /// `grant --with-data` does.
    pub with_data: bool,
}

/// Something wrong with the file, at a line where one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<u64>,
    pub message: String,
}

impl Problem {
    pub fn at(line: u64, message: impl Into<String>) -> Self {
        Problem {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

pub use super::columns::{CSV_COLUMNS, EXPIRES_COLUMN, WITH_DATA_COLUMN};

/// A `with_data` cell: empty is no.
fn with_data(text: &str) -> std::result::Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "no" | "false" | "0" => Ok(false),
        "yes" | "true" | "1" => Ok(true),
        other => Err(format!(
            "{WITH_DATA_COLUMN} '{other}' is neither yes nor no: write true or false (or leave it empty)"
        )),
    }
}

/// An `expires` value: empty means no end. Only a date or a time: a file is applied again and
/// again, so a length would have no fixed start, and each run would move the end.
fn expires(text: &str) -> std::result::Result<Option<When>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match When::parse(text) {
        Ok(When::After(_)) => Err(format!(
            "'{text}' is a duration, which has no fixed start in a file applied again and again: \
             write the end as {FILE_FORMS} (`grant --for {text}` takes a duration)"
        )),
        Ok(at) => Ok(Some(at)),
        Err(_) => Err(format!("'{text}' is not an expiry: write {FILE_FORMS}")),
    }
}

/// The forms an end takes in a file.
pub const FILE_FORMS: &str =
    "a date (2026-12-31: through that day, UTC) or an RFC 3339 time (2026-12-31T18:00:00Z)";

/// The largest apply file read, about a million rows: a larger one is refused with its size
/// rather than read (or, for YAML, held) whole.
pub const MAX_FILE: u64 = 64 * 1024 * 1024;

/// The formats of an apply file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Csv,
}

/// Where an apply file comes from: a path, or `-` for stdin, and its format when given
/// (`--format`), which overrides a path's ending and is needed for stdin.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub path: &'a Path,
    pub format: Option<Format>,
}

impl<'a> Source<'a> {
    /// A file whose ending picks the format.
    pub fn file(path: &'a Path) -> Self {
        Source { path, format: None }
    }

    pub fn is_stdin(&self) -> bool {
        self.path == Path::new("-")
    }

    /// How messages name it: the path, or `<stdin>`.
    pub fn name(&self) -> String {
        if self.is_stdin() {
            "<stdin>".to_string()
        } else {
            self.path.display().to_string()
        }
    }

    fn format(&self) -> Result<Format> {
        if let Some(format) = self.format {
            return Ok(format);
        }
        if self.is_stdin() {
            return Err(Error::invalid(
                "- reads the apply file from stdin, which has no ending to tell its format: add \
                 --format yaml or --format csv",
            ));
        }
        let extension = self
            .path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("csv") => Ok(Format::Csv),
            Some("yaml" | "yml") => Ok(Format::Yaml),
            _ => Err(Error::invalid(format!(
                "{}: an apply file must end in .yaml, .yml or .csv (the ending picks the \
                 format), or say its format with --format yaml|csv",
                self.path.display()
            ))),
        }
    }
}

/// Reads `path`, handing each well-formed row to `sink` and pushing every problem to `problems`.
/// Fails only when the file cannot be read at all.
pub fn read(path: &Path, sink: &mut dyn FnMut(Row), problems: &mut Vec<Problem>) -> Result<()> {
    read_from(Source::file(path), sink, problems)
}

/// Like `read`, from a file or stdin, capped alike.
pub fn read_from(
    source: Source,
    sink: &mut dyn FnMut(Row),
    problems: &mut Vec<Problem>,
) -> Result<()> {
    let format = source.format()?;
    let cannot_read = |err: std::io::Error| cannot_read(&source.name(), err);
    let stdin = || crate::capped::limit(std::io::stdin().lock(), MAX_FILE);
    match format {
        Format::Csv if source.is_stdin() => read_csv(stdin(), sink, problems).map_err(cannot_read),
        Format::Csv => {
            let file = crate::capped::open(source.path, MAX_FILE).map_err(cannot_read)?;
            read_csv(file, sink, problems).map_err(cannot_read)
        }
        Format::Yaml => {
            let bytes = if source.is_stdin() {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut stdin(), &mut bytes).map_err(cannot_read)?;
                bytes
            } else {
                crate::capped::read(source.path, MAX_FILE).map_err(cannot_read)?
            };
            read_yaml(&bytes, sink, problems);
            Ok(())
        }
    }
}

fn cannot_read(name: &str, err: impl fmt::Display) -> Error {
    Error::invalid(format!("cannot read {name}: {err}"))
}

/// An access level as `--access` reads it (any case here); empty means the default, view (as
/// for `grant`).
fn access(text: &str) -> std::result::Result<Access, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Access::View);
    }
    <Access as ValueEnum>::from_str(text, true).map_err(|_| {
        let names: Vec<&str> = Access::value_variants()
            .iter()
            .map(|a| a.as_str())
            .collect();
        format!("unknown access '{text}': write {}", names.join(" or "))
    })
}

/// The first line of every failed-rows file (a comment, which `apply` skips): what tells one
/// apart from a file `--failed-out` must not replace.
pub const FAILED_ROWS_MARK: &str = "# dashshare failed rows: the rows of the dashboards that failed; apply this file to retry them";

/// The longest value a cell (or a YAML value) may hold: ids, names and emails are far shorter, and
/// a huge one would otherwise be held, and sent to the server, whole.
const MAX_CELL: usize = 4096;

/// What is wrong with a value longer than `MAX_CELL`, if it is.
fn too_long(value: &str) -> Option<String> {
    (value.len() > MAX_CELL).then(|| {
        format!(
            "a value of {} bytes, longer than the {} KiB any id, name or email needs; is this the \
             right file?",
            value.len(),
            MAX_CELL / 1024
        )
    })
}

pub use crate::output::escape::formula_safe;
use crate::output::escape::formula_unescaped;

/// Reads CSV from `source` like `read` reads a `.csv` file; fails only when `source` fails.
pub fn read_csv(
    source: impl std::io::Read,
    sink: &mut dyn FnMut(Row),
    problems: &mut Vec<Problem>,
) -> std::io::Result<()> {
    // Values are trimmed here, not by the reader, so that the line ends inside a quoted value
    // can be counted first.
    let mut reader =
        csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(super::lf_lines::LfLines::new(std::io::BufReader::new(
                source,
            )));
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(err) => {
            problems.push(Problem::at(line_read(&reader, None), csv_error(&err)?));
            return Ok(());
        }
    };
    let header_line = line_read(&reader, Some(&headers));
    let mut headers = headers;
    headers.trim();
    let mut columns = [None; 6];
    for (index, header) in headers.iter().enumerate() {
        match CSV_COLUMNS
            .iter()
            .chain([&EXPIRES_COLUMN, &WITH_DATA_COLUMN])
            .position(|c| c.eq_ignore_ascii_case(header))
        {
            // A second column of the same name would silently win over the first.
            Some(column) if columns[column].is_some() => problems.push(Problem::at(
                header_line,
                format!(
                    "the column '{header}' appears twice: keep one, since dashshare cannot tell \
                     which of the two is meant"
                ),
            )),
            Some(column) => columns[column] = Some(index),
            // For people reading an exported file; it changes nothing.
            None if header.eq_ignore_ascii_case(super::columns::TITLE_COLUMN) => {}
            None => problems.push(Problem::at(
                header_line,
                format!(
                    "unknown column '{header}': the columns are {}, {EXPIRES_COLUMN}, {WITH_DATA_COLUMN}",
                    CSV_COLUMNS.join(", ")
                ),
            )),
        }
    }
    let [
        profile,
        dashboard,
        principal,
        access_column,
        expires_column,
        with_data_column,
    ] = columns;
    let (Some(dashboard), Some(principal)) = (dashboard, principal) else {
        problems.push(Problem::at(
            header_line,
            format!(
                "the header must name the columns dashboard and principal (and may name profile, \
                 access and {EXPIRES_COLUMN}), as in: {}",
                CSV_COLUMNS.join(",")
            ),
        ));
        return Ok(());
    };

    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(err) => {
                // A source that fails is no problem of a row: the file cannot be read.
                problems.push(Problem::at(line_read(&reader, None), csv_error(&err)?));
                continue;
            }
        }
        let line = line_read(&reader, Some(&record));
        record.trim();
        if let Some(message) = record.iter().find_map(too_long) {
            problems.push(Problem::at(line, message));
            continue;
        }
        let field = |column: Option<usize>| {
            column
                .and_then(|i| record.get(i))
                .map_or("", formula_unescaped)
        };
        let dashboard_text = field(Some(dashboard));
        let principal = field(Some(principal)).parse::<Principal>();
        let access = access(field(access_column));
        let expires = expires(field(expires_column));
        let with_data = with_data(field(with_data_column));
        let (principal, access, expires, with_data) = match (
            dashboard_text.is_empty(),
            principal,
            access,
            expires,
            with_data,
        ) {
            (false, Ok(principal), Ok(access), Ok(expires), Ok(with_data)) => {
                (principal, access, expires, with_data)
            }
            (empty, principal, access, expires, with_data) => {
                let empty =
                    empty.then(|| "the dashboard is empty: write an id or name:TITLE".into());
                let found = empty
                    .into_iter()
                    .chain(principal.err())
                    .chain(access.err())
                    .chain(expires.err())
                    .chain(with_data.err());
                problems.extend(found.map(|message| Problem::at(line, message)));
                continue;
            }
        };
        let profile = field(profile);
        sink(Row {
            line,
            profile: (!profile.is_empty()).then(|| profile.to_string()),
            dashboard: dashboard_text.to_string(),
            principal,
            access,
            expires,
            with_data,
        });
    }
    Ok(())
}

/// The line where the record just read starts. The csv crate's own record positions point at
/// the blank or comment lines before a record, when there are any (rust-csv issue 208); where
/// the reader stands after a record is exact, as every line, the last one too, ends in LF here.
fn line_read<R: std::io::Read>(reader: &csv::Reader<R>, record: Option<&csv::StringRecord>) -> u64 {
    let inner_line_ends = record.map_or(0, |record| {
        record
            .iter()
            .map(|value| value.matches('\n').count() as u64)
            .sum()
    });
    reader
        .position()
        .line()
        .saturating_sub(1 + inner_line_ends)
        .max(1)
}

/// What is wrong with a record, or the source's own failure, which ends the reading.
fn csv_error(err: &csv::Error) -> std::io::Result<String> {
    Ok(match err.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!(
            "{len} fields where the header has {expected_len}: quote a value that holds a comma"
        ),
        csv::ErrorKind::Utf8 { .. } => NOT_UTF8.into(),
        csv::ErrorKind::Io(io) => return Err(std::io::Error::new(io.kind(), io.to_string())),
        _ => err.to_string(),
    })
}

const NOT_UTF8: &str = "the line is not valid UTF-8: save the file as UTF-8";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlFile {
    shares: Vec<YamlEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YamlEntry {
    // An empty value (`dashboard:`, `users: [~]`) is read as `None`, to be reported at its line.
    profile: Option<Spanned<Option<Text>>>,
    dashboard: Spanned<Option<Text>>,
    #[serde(default)]
    users: Vec<Spanned<Option<Text>>>,
    #[serde(default)]
    groups: Vec<Spanned<Option<Text>>>,
    everyone: Option<Spanned<bool>>,
    access: Option<Spanned<Option<Text>>>,
    /// For every principal of the entry.
    expires: Option<Spanned<Option<Text>>>,
    /// For every principal of the entry.
    with_data: Option<Spanned<bool>>,
}

/// A YAML value read as a string, exactly as written: `dashboard: 7` is the dashboard "7", and
/// `0x7` or `007` are not turned into other numbers. One longer than `MAX_CELL` stops the parse
/// at once: an alias (`*name`) repeats its anchor's values, so a few lines could otherwise hold
/// a huge value thousands of times over.
struct Text(String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D>(deserializer: D) -> std::result::Result<Self, D::Error>
    where
        D: serde::Deserializer<'de>,
    {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, value: &str) -> std::result::Result<Text, E> {
                match too_long(value) {
                    Some(message) => Err(E::custom(message)),
                    None => Ok(Text(value.to_string())),
                }
            }
        }
        deserializer.deserialize_string(Visitor)
    }
}

/// The value as written, trimmed; empty for an empty value.
fn text_of(value: &Spanned<Option<Text>>) -> &str {
    value.value.as_ref().map_or("", |text| text.0.trim())
}

fn line_of<T>(value: &Spanned<T>) -> u64 {
    value.referenced.line()
}

/// Values that aliases may repeat in all: past what a hand-written file needs (a list of 50
/// users named by alias on 200 dashboards), and, at most `MAX_CELL` each, 40 MiB at worst. The
/// parser's own default is a million (bounded only by its 64 MiB budget of values).
const MAX_ALIAS_REPLAYS: usize = 10_000;

/// Reads YAML from `bytes` like `read` reads a `.yaml` file.
pub fn read_yaml(bytes: &[u8], sink: &mut dyn FnMut(Row), problems: &mut Vec<Problem>) {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let before = bytes.get(..err.valid_up_to()).unwrap_or_default();
            let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
            problems.push(Problem::at(line as u64, NOT_UTF8));
            return;
        }
    };
    let options = serde_saphyr::options! {
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: MAX_ALIAS_REPLAYS,
        },
    };
    let file: YamlFile = match serde_saphyr::from_str_with_options(text, options) {
        Ok(file) => file,
        Err(err) => {
            problems.push(yaml_problem(&err));
            return;
        }
    };
    for entry in file.shares {
        let dashboard_line = line_of(&entry.dashboard);
        let dashboard = text_of(&entry.dashboard).to_string();
        let mut entry_problems = Vec::new();
        if dashboard.is_empty() {
            entry_problems.push(Problem::at(
                dashboard_line,
                "the dashboard is empty: write an id or name:TITLE",
            ));
        }
        let access = match &entry.access {
            None => Some(Access::View),
            Some(text) => access(text_of(text))
                .map_err(|m| entry_problems.push(Problem::at(line_of(text), m)))
                .ok(),
        };
        let expires = match &entry.expires {
            None => Some(None),
            Some(text) => expires(text_of(text))
                .map_err(|m| entry_problems.push(Problem::at(line_of(text), m)))
                .ok(),
        };
        let mut principals = Vec::new();
        for (user, named) in [(true, &entry.users), (false, &entry.groups)] {
            for name in named {
                let line = line_of(name);
                let text = text_of(name);
                let kind = if user { "user" } else { "group" };
                if text.is_empty() {
                    entry_problems
                        .push(Problem::at(line, "an empty name: remove it or fill it in"));
                } else if let Err(message) = crate::model::check_reference(kind, text) {
                    entry_problems.push(Problem::at(line, message));
                } else if user {
                    principals.push((line, Principal::User(text.to_string())));
                } else {
                    principals.push((line, Principal::Group(text.to_string())));
                }
            }
        }
        if let Some(everyone) = &entry.everyone
            && everyone.value
        {
            principals.push((line_of(everyone), Principal::Everyone));
        }
        if principals.is_empty() && entry_problems.is_empty() {
            entry_problems.push(Problem::at(
                dashboard_line,
                format!(
                    "the entry for dashboard '{dashboard}' names no one: add users, groups or \
                     everyone: true"
                ),
            ));
        }
        let (Some(access), Some(expires), true) = (access, expires, entry_problems.is_empty())
        else {
            problems.extend(entry_problems);
            continue;
        };
        let profile = entry
            .profile
            .map(|p| text_of(&p).to_string())
            .filter(|p| !p.is_empty());
        for (line, principal) in principals {
            sink(Row {
                line,
                profile: profile.clone(),
                dashboard: dashboard.clone(),
                principal,
                access,
                expires,
                with_data: entry.with_data.as_ref().is_some_and(|w| w.value),
            });
        }
    }
}

/// A YAML file that could not be read as a whole, with the parser's own account of where.
fn yaml_problem(err: &serde_saphyr::Error) -> Problem {
    let text = err.to_string();
    let text = text.strip_prefix("error: ").unwrap_or(&text);
    const LAYOUT: &str = "\n(each entry of `shares:` has dashboard, users and/or groups (or \
                          everyone: true), and optionally profile, access and expires)";
    const ALIASES: &str = "\n(the aliases (*name) of this file repeat more values than an apply \
                           file needs: write the entries out, or use a CSV file)";
    use serde_saphyr::Error as Yaml;
    let layout = match err.without_snippet() {
        Yaml::SerdeUnknownField { .. } | Yaml::SerdeMissingField { .. } => LAYOUT,
        Yaml::AliasReplayLimitExceeded { .. } => ALIASES,
        // An error met through an alias reaches us as serde-saphyr's own text only (it keeps
        // no variant), so only here is that text read.
        Yaml::AliasError { msg, .. } => {
            if msg.contains("unknown field") || msg.contains("missing field") {
                LAYOUT
            } else if msg.contains("alias replay limit") {
                ALIASES
            } else {
                ""
            }
        }
        _ => "",
    };
    // The parser starts its text with "line L column C: " where it knows the place.
    let line = err.location().map(|at| at.line()).filter(|&line| line > 0);
    let text = match (line, text.strip_prefix("line ")) {
        (Some(_), Some(rest)) => rest.split_once(": ").map_or(text, |(_, message)| message),
        _ => text,
    };
    Problem {
        line,
        message: format!("{text}{layout}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(name: &str, text: &str) -> (Vec<Row>, Vec<Problem>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let mut rows = Vec::new();
        let mut problems = Vec::new();
        read(&path, &mut |row| rows.push(row), &mut problems).unwrap();
        (rows, problems)
    }

    #[test]
    fn the_contract_yaml_reads_as_rows_with_lines() {
        let (rows, problems) = rows_of(
            "shares.yaml",
            "shares:\n  - profile: prod-sisense\n    dashboard: 5829b46bd009e91420000047\n    users: [alice@example.com, bob@example.com]\n    groups: [Marketing]\n    access: view\n  - profile: vizzly\n    dashboard: dsh_0f3a\n    users: [customer-42]\n    access: edit\n  - dashboard: 7\n    everyone: true\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let summary: Vec<(u64, Option<&str>, &str, String, Access)> = rows
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.profile.as_deref(),
                    r.dashboard.as_str(),
                    r.principal.to_string(),
                    r.access,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    4,
                    Some("prod-sisense"),
                    "5829b46bd009e91420000047",
                    "user:alice@example.com".into(),
                    Access::View
                ),
                (
                    4,
                    Some("prod-sisense"),
                    "5829b46bd009e91420000047",
                    "user:bob@example.com".into(),
                    Access::View
                ),
                (
                    5,
                    Some("prod-sisense"),
                    "5829b46bd009e91420000047",
                    "group:Marketing".into(),
                    Access::View
                ),
                (
                    9,
                    Some("vizzly"),
                    "dsh_0f3a",
                    "user:customer-42".into(),
                    Access::Edit
                ),
                (12, None, "7", "everyone".into(), Access::View),
            ]
        );
    }

    #[test]
    fn yaml_numbers_stay_as_written() {
        let (rows, problems) = rows_of(
            "n.yaml",
            "shares:\n  - dashboard: 0x7\n    users: [007, +5, 1_000, 12]\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].dashboard, "0x7");
        let users: Vec<String> = rows.iter().map(|r| r.principal.to_string()).collect();
        assert_eq!(users, ["user:007", "user:+5", "user:1_000", "user:12"]);
    }

    /// The layout hint follows the parser's error variant, wherever in the file it arises.
    #[test]
    fn a_misspelt_or_missing_key_gets_the_layout_hint() {
        for text in [
            "shares:\n  - dashbord: d1\n    users: [a]\n",
            "shares:\n  - users: [a]\n",
            "entries: []\n",
            "shares:\n  - &e {dashboard: d1, users: [a], acces: view}\n  - *e\n",
            "shares:\n  - {dashboard: &k acces, users: [a]}\n  - {dashboard: d2, users: [b], *k : view}\n",
        ] {
            let (_, problems) = rows_of("shares.yml", text);
            assert_eq!(problems.len(), 1, "{text}: {problems:?}");
            let shown = problems[0].to_string();
            assert!(shown.contains("each entry of `shares:`"), "{text}: {shown}");
        }
    }

    #[test]
    fn every_yaml_problem_is_reported_with_its_line() {
        let (rows, problems) = rows_of(
            "shares.yml",
            "shares:\n  - dashboard: d1\n    users: [alice]\n    access: admin\n  - dashboard: d2\n  - dashboard: d3\n    groups: ['']\n  - dashboard: d4\n    users: [ok]\n  - dashboard:\n    users: [~, bob]\n",
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 5, "{shown:?}");
        assert!(
            shown[3].starts_with("line 10: the dashboard is empty"),
            "{shown:?}"
        );
        assert!(shown[4].starts_with("line 11: an empty name"), "{shown:?}");
        assert!(
            shown[0].starts_with("line 4: unknown access 'admin'"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("line 5: the entry for dashboard 'd2' names no one"),
            "{shown:?}"
        );
        assert!(shown[2].starts_with("line 7: an empty name"), "{shown:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].dashboard, "d4");
    }

    #[test]
    fn malformed_yaml_names_where_it_broke() {
        let (_, problems) = rows_of("x.yaml", "shares:\n  - dashboard: d1\n    userz: [a]\n");
        assert_eq!(problems.len(), 1);
        let message = problems[0].to_string();
        assert!(message.contains("userz"), "{message}");
        assert!(message.contains('3'), "{message}");
    }

    #[test]
    fn the_contract_csv_reads_as_rows_and_every_bad_row_is_named() {
        let (rows, problems) = rows_of(
            "shares.csv",
            "profile,dashboard,principal,access\n\
             prod-sisense,5829b46bd009e91420000047,user:alice@example.com,view\n\
             # a comment\n\
             prod-sisense,name:Sales KPIs,group:Marketing,EDIT\n\
             prod-sisense,d1,alice,view\n\
             prod-sisense,,user:bob,owner\n\
             ,d2,everyone,\n\
             prod-sisense,d3,user:x\n",
        );
        assert_eq!(rows.len(), 3, "{rows:?}");
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[1].dashboard, "name:Sales KPIs");
        assert_eq!(rows[1].access, Access::Edit);
        assert_eq!(rows[2].profile, None);
        assert_eq!(rows[2].principal, Principal::Everyone);
        assert_eq!(rows[2].access, Access::View);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 4, "{shown:?}");
        assert!(
            shown[0].starts_with("line 5: 'alice' is not a principal"),
            "{shown:?}"
        );
        assert!(
            shown[1].starts_with("line 6: the dashboard is empty"),
            "{shown:?}"
        );
        assert!(
            shown[2].starts_with("line 6: unknown access 'owner'"),
            "{shown:?}"
        );
        assert!(
            shown[3].starts_with("line 8: 3 fields where the header has 4"),
            "{shown:?}"
        );
    }

    #[test]
    fn an_oversized_value_is_refused_at_its_line() {
        let huge = "x".repeat(5000);
        let (rows, problems) = rows_of(
            "big.csv",
            &format!("dashboard,principal\nd1,user:a@example.com\n{huge},user:b@example.com\n"),
        );
        assert_eq!(rows.len(), 1);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown[0].starts_with("line 3: a value of 5000 bytes"),
            "{shown:?}"
        );
        let (rows, problems) = rows_of(
            "big.yaml",
            &format!("shares:\n  - dashboard: d1\n    users: [ok@example.com, {huge}]\n"),
        );
        assert!(rows.is_empty());
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown[0].starts_with("line 3: a value of 5000 bytes"),
            "{shown:?}"
        );
        let (_rows, problems) = rows_of(
            "ctl.yaml",
            "shares:\n  - dashboard: d1\n    users: [\"a\\tb@example.com\"]\n",
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(shown[0].contains("control character"), "{shown:?}");
    }

    #[test]
    fn formula_cells_are_escaped_and_read_back_as_written() {
        assert_eq!(formula_safe("=cmd|' /C calc'!A0"), "'=cmd|' /C calc'!A0");
        assert_eq!(formula_safe("-1"), "'-1");
        assert_eq!(formula_safe("user:a@example.com"), "user:a@example.com");
        for hidden in [" =cmd", "\t=cmd", "\n+1", "  @SUM(A1)", "\r-2"] {
            assert_eq!(formula_safe(hidden), format!("'{hidden}"), "{hidden:?}");
            assert_eq!(formula_unescaped(&formula_safe(hidden)), hidden);
        }
        let (rows, problems) = rows_of(
            "f.csv",
            "dashboard,principal\n'=cmd|x,user:a@example.com\n'x,user:b@example.com\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows[0].dashboard, "=cmd|x");
        assert_eq!(
            rows[1].dashboard, "'x",
            "only an escaped formula loses its quote"
        );
    }

    #[test]
    fn a_repeated_csv_column_is_refused_at_the_header() {
        let (_rows, problems) = rows_of(
            "x.csv",
            "dashboard,principal,principal\nd1,user:a@example.com,user:b@example.com\n",
        );
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown
                .iter()
                .any(|p| p.starts_with("line 1: ") && p.contains("'principal' appears twice")),
            "{shown:?}"
        );
    }

    #[test]
    fn a_csv_header_must_name_the_columns() {
        let (rows, problems) = rows_of(
            "s.csv",
            "# who sees what\nprofile,dashbord,principal\np,d,user:a\n",
        );
        assert!(rows.is_empty());
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(shown[0].starts_with("line 2: "), "{shown:?}");
        assert!(shown[0].contains("unknown column 'dashbord'"), "{shown:?}");
        assert!(
            shown[1].contains("must name the columns dashboard and principal"),
            "{shown:?}"
        );
    }

    #[test]
    fn expires_is_read_per_csv_row_and_per_yaml_entry() {
        let (rows, problems) = rows_of(
            "t.csv",
            "dashboard,principal,Expires\nd1,user:a@example.com,2026-12-31T18:00:00Z\n\
             d1,user:b@example.com,\nd1,user:c@example.com,2026-12-31\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let ends: Vec<Option<When>> = rows.iter().map(|r| r.expires).collect();
        assert!(matches!(ends[0], Some(When::At(_))), "{ends:?}");
        assert_eq!(ends[1], None);
        assert!(matches!(ends[2], Some(When::At(_))), "{ends:?}");
        let (rows, problems) = rows_of(
            "t.yaml",
            "shares:\n  - dashboard: d1\n    users: [a, b]\n    expires: 2026-12-31\n  - dashboard: d2\n    users: [c]\n",
        );
        assert!(problems.is_empty(), "{problems:?}");
        let ends: Vec<bool> = rows.iter().map(|r| r.expires.is_some()).collect();
        assert_eq!(ends, [true, true, false]);
    }

    /// A bad `expires` names its line, the value and the forms that are accepted.
    #[test]
    fn a_bad_expires_names_the_line_the_value_and_the_forms() {
        let (rows, problems) = rows_of(
            "t.csv",
            "dashboard,principal,expires\nd1,user:a@example.com,2026-12-31\nd1,user:b@example.com,soon\n",
        );
        assert_eq!(rows.len(), 1);
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [format!(
                "line 3: 'soon' is not an expiry: write {FILE_FORMS}"
            )]
        );
        let (rows, problems) = rows_of(
            "t.yaml",
            "shares:\n  - dashboard: d1\n    users: [a]\n    expires: next week\n",
        );
        assert!(rows.is_empty());
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(
            shown[0].starts_with("line 4: 'next week' is not an expiry: write a date"),
            "{shown:?}"
        );
    }

    /// A file is applied again and again: a duration would move the end each time, and give
    /// the share again after it ended.
    #[test]
    fn a_duration_in_a_file_is_refused_pointing_at_a_date() {
        let (rows, problems) = rows_of(
            "t.csv",
            "dashboard,principal,expires\nd1,user:a@example.com,7d\n",
        );
        assert!(rows.is_empty());
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(
            shown[0].starts_with("line 2: '7d' is a duration"),
            "{shown:?}"
        );
        assert!(shown[0].contains(FILE_FORMS), "{shown:?}");
        assert!(shown[0].contains("`grant --for 7d`"), "{shown:?}");
    }

    #[test]
    fn the_ending_picks_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("shares.json");
        std::fs::write(&path, "{}").unwrap();
        let err = read(&path, &mut |_| {}, &mut Vec::new()).unwrap_err();
        assert!(err.to_string().contains(".yaml, .yml or .csv"), "{err}");
    }
}
