#![no_main]
//! rpm's sqlite database (rpm >= 4.16), read from memory.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::rpm_sqlite(data);
});
