#![no_main]
//! index.json, manifest.json, manifests and configs from an in-memory store (framing: fuzzing::encode_store).

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::resolve(data);
});
