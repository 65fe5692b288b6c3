#![no_main]
//! apk's lib/apk/db/installed, alone and inside an image.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::apk(data);
});
