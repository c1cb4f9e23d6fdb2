//! A CSV apply file: rows and problems, never a panic; reading from memory never fails.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut problems = Vec::new();
    let read = dashshare::apply::input::read_csv(data, &mut |_| {}, &mut problems);
    assert!(read.is_ok(), "{read:?}");
    assert!(problems.iter().all(|problem| problem.line.is_some()));
});
