//! A YAML apply file: rows and problems, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dashshare::apply::input::read_yaml(data, &mut |_| {}, &mut Vec::new());
});
