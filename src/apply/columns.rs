//! The apply file's columns (and YAML keys): what the reader takes, and what `export` and
//! `--failed-out` write, so that a file dashshare writes reads back.

/// The CSV columns, in the order `--failed-out` writes them.
pub const CSV_COLUMNS: [&str; 4] = ["profile", "dashboard", "principal", "access"];

/// The optional CSV column (and YAML key) that gives shares for a time. Not in `CSV_COLUMNS`, so
/// the files dashshare writes keep their columns.
pub const EXPIRES_COLUMN: &str = "expires";

/// The optional CSV column (and YAML key) that asks for the data model's entry too.
pub const WITH_DATA_COLUMN: &str = "with_data";

/// The column `export` adds to a CSV file for people; `apply` ignores it.
pub const TITLE_COLUMN: &str = "title";
