#![no_main]
//! The outer archive (docker-archive, OCI-in-tar, oci-archive; plain/gzip/zstd), digests checked and not.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::archive(data, true);
    let _ = fuzzing::archive(data, false);
});
