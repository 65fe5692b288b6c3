#![no_main]
//! Go build info: inline and (reading the input as memory) pointer layouts.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::go_buildinfo(data);
});
