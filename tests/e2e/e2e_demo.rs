//! End to end: `dashshare demo`, which starts a sandbox of its own inside the binary.
//!
//! The demo tours every vendor and writes to a journal of its own, never the user's.

use crate::common::*;
use tempfile::TempDir;

#[test]
fn the_demo_tours_every_vendor_and_leaves_the_users_journal_alone() {
    let home = TempDir::new().unwrap();
    let assert = dashshare(home.path()).arg("demo").assert().success();
    let out = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    for expected in [
        "What each vendor can do",
        "written and published",
        "3 dashboards written (2 published)",
        "Nothing to change: every dashboard already matches the file.",
        "Plan: 0 to add, 0 to update, 3 to remove. Nothing was written.",
        "<iframe",
    ] {
        assert!(out.contains(expected), "missing «{expected}» in:\n{out}");
    }
    assert!(
        !home
            .path()
            .join("xdg-state/dashshare/journal.jsonl")
            .exists(),
        "the demo's writes go to a journal of its own"
    );
}
