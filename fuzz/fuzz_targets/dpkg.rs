#![no_main]
//! dpkg status and info/*.list, alone and inside an image.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::dpkg(data);
});
