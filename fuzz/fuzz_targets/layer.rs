#![no_main]
//! One layer blob (plain/gzip/zstd tar): tar walk, decompression, digests.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::layer(data, true);
});
