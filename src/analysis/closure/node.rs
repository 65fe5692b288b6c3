//! Node's closure: placeholder until the interpreter branch lands.

use super::Cx;
use crate::tree::NodeId;

pub fn run(cx: &mut Cx, _node: NodeId, _argv: &[Vec<u8>]) {
    cx.gap("partial", "the Node runtime's files are not followed yet");
}
