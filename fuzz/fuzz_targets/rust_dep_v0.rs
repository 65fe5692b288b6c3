#![no_main]
//! cargo-auditable's .dep-v0 section.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::rust_dep_v0(data);
});
