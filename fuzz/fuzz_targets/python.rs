#![no_main]
//! Python METADATA, RECORD and installed-files.txt, alone and inside an image.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::python(data);
});
