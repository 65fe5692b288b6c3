#![no_main]
//! Layers of entries (fuzzing::decode_layers) squashed into a tree; waste; path resolution.

use libfuzzer_sys::fuzz_target;
use stagediff::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _ = fuzzing::squash(data);
});
