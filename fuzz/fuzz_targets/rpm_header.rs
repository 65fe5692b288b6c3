#![no_main]
//! One rpm header blob.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::rpm_header(data);
});
