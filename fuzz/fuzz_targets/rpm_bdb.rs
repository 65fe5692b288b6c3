#![no_main]
//! rpm's Berkeley DB Packages (rpm < 4.16) and the hash-file walker under it.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::rpm_bdb(data);
});
