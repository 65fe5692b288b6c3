//! Python's closure: placeholder until the interpreter branch lands.

use super::Cx;
use crate::tree::NodeId;

pub fn run(cx: &mut Cx, _interpreter: NodeId, _argv: &[Vec<u8>]) {
    cx.gap("partial", "the Python runtime's files are not followed yet");
}
