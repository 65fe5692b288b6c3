#![no_main]
//! The streamed ELF reader, and the runtime closure over what it read.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::elf(data);
});
