//! A journal: its entries, or bad input (exit 2) naming the damaged line, never a panic.
#![no_main]

use std::path::Path;

use dashshare::ExitCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/nonexistent-dashshare-fuzz/journal.jsonl");
    if let Err(err) = dashshare::journal::entries_in(data, path) {
        assert_eq!(err.exit_code(), ExitCode::BadInput, "{err}");
    }
});
