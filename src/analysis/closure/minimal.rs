//! The image the closure predicts: a tree holding exactly the closure's
//! files and links, with their directories, every node keeping its
//! attributes and the layer that wrote it. `plan` compares the image with
//! it through the same attribution as `diff`; the export writes it.

use super::Closure;
use crate::image::Entry;
use crate::tree::{FileTree, NodeId, ROOT};
use std::collections::{BTreeMap, BTreeSet};

/// Builds the predicted runtime tree from `tree` (the image's squashed
/// tree) and its `closure`.
pub fn minimal_tree(tree: &FileTree, closure: &Closure) -> FileTree {
    tree_of(tree, closure.required().map(|(id, _)| id))
}

/// A tree holding exactly `ids` of `tree` and their parent directories,
/// every node with its attributes and layer.
pub fn tree_of(tree: &FileTree, ids: impl IntoIterator<Item = NodeId>) -> FileTree {
    let mut keep: BTreeSet<NodeId> = BTreeSet::new();
    for id in ids {
        let mut cur = id;
        while cur != ROOT && keep.insert(cur) {
            cur = tree.node(cur).parent;
        }
    }
    // Entries by the layer that wrote them, parents before children within
    // a layer (node ids grow downwards in the arena).
    let mut by_layer: BTreeMap<u32, Vec<Entry>> = BTreeMap::new();
    for &id in &keep {
        let n = tree.node(id);
        by_layer.entry(n.layer).or_default().push(Entry {
            path: tree.path_of(id).into(),
            kind: n.kind,
            size: n.size,
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            link: n.link.map(Box::from),
            hash: n.hash,
            device: None,
            flags: n.flags,
        });
    }
    let mut out = FileTree::new();
    for (layer, mut entries) in by_layer {
        entries.sort_by(|a, b| a.path.cmp(&b.path));
        out.apply_layer(layer, &entries.into());
    }
    out.rollup();
    out
}
