//! A config file: a profile or bad input (exit 2), never a panic. No environment, and a folder
//! that does not exist for relative secret files.
#![no_main]

use std::path::Path;

use dashshare::ExitCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/nonexistent-dashshare-fuzz/config.toml");
    if let Err(err) = dashshare::config::profile_from_config(data, path, None, &|_| None) {
        assert_eq!(err.exit_code(), ExitCode::BadInput, "{err}");
    }
});
