//! Path claiming: where a path a package database lists is in the squashed
//! tree (through the image's own symlinks), and a dpkg `.list` mapped onto
//! it.

use crate::image::entry::{normalize_path, split_parent};
use crate::image::EntryKind;
use crate::tree::{FileTree, NodeId};

/// The child of `dir` named `name`, if any.
pub(crate) fn child_named(tree: &FileTree, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    let kids = tree.children(dir);
    kids.binary_search_by(|&c| (*tree.node(c).name).cmp(name))
        .ok()
        .map(|i| kids[i])
}

/// Where a path a package database names is in the image: the path itself
/// when it has no symlinks on the way, else its parent resolved through the
/// image's own symlinks (merged-/usr: `/bin/ls` is `/usr/bin/ls`) and the
/// last component looked up without following it (so a listed symlink is
/// the symlink, not its target).
pub fn find_listed(tree: &FileTree, path: &[u8]) -> Option<NodeId> {
    if let Some(id) = tree.lookup(path) {
        return Some(id);
    }
    let (parent, name) = split_parent(path);
    let dir = tree.resolve(parent)?;
    if tree.node(dir).kind != EntryKind::Dir {
        return None;
    }
    child_named(tree, dir, name)
}

/// Maps the lines of a dpkg `.list` onto the tree. A line followed by lines
/// below it is a directory in the package's view, even where the image has
/// a symlink there (merged /usr: `/bin`).
pub(crate) fn claim_list(tree: &FileTree, list: &[u8], ids: &mut Vec<(NodeId, bool)>) {
    let mut prev: Option<(Box<[u8]>, usize)> = None;
    for line in list.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let path = normalize_path(line);
        if path.is_empty() {
            continue;
        }
        if let Some((p, i)) = &prev {
            if path.len() > p.len() && path.starts_with(p) && path[p.len()] == b'/' {
                ids[*i].1 = true;
            }
        }
        match find_listed(tree, &path) {
            Some(id) => {
                ids.push((id, tree.node(id).kind == EntryKind::Dir));
                prev = Some((path, ids.len() - 1));
            }
            None => prev = None,
        }
    }
}
