//! What a range of layers does as a whole: the paths its layers touched,
//! each compared between the filesystem before the range's first layer and
//! after its last — "what would a `COPY --from` of these steps bring"
//! (dive #414).
//!
//! A path is *added* when it was absent before the range and present after
//! it, *deleted* when present before and absent after, *modified* when
//! present on both sides but different (kind, content, size, mode, owner or
//! link target), *unchanged* when a layer rewrote it identically. A path
//! added and deleted again inside the range does not appear. Deletions are
//! listed at their top: a deleted directory stands for everything it held.
//!
//! Built only on the per-layer changes ([`LayerChange`]) and the public
//! [`FileTree`] API; the changes come out as [`LayerChange`]s about nodes of
//! the tree after the range, so whatever shows one layer's changes shows a
//! range's the same way.

use crate::image::{EntryKind, Layer};
use crate::tree::{change_layer, ChangeStatus, FileTree, LayerChange, NodeId, ROOT};
use std::collections::HashSet;

/// Entries and bytes of one kind of change (directories are not counted
/// as entries: their bytes are their contents').
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub entries: u64,
    pub bytes: u64,
}

impl Tally {
    fn add(&mut self, entries: u64, bytes: u64) {
        self.entries += entries;
        self.bytes += bytes;
    }
}

/// The totals of a range: what it adds, modifies and deletes, and how many
/// entries it rewrote unchanged.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RangeTotals {
    pub added: Tally,
    /// New bytes of modified entries.
    pub modified: Tally,
    /// Entries and bytes gone: inside deleted directories too, and inside
    /// directories a file or link replaced.
    pub deleted: Tally,
    pub unchanged: u64,
}

/// The net effect of a range of layers.
#[derive(Clone, Debug, Default)]
pub struct RangeEffect {
    /// One change per path, about nodes of the tree after the range (a
    /// deletion names the node the path had before it: ids are kept when
    /// layers are applied on top, so the after tree knows its path).
    pub changes: Vec<LayerChange>,
    pub totals: RangeTotals,
}

/// The filesystem after layers `first..=last` and what those layers did
/// as a whole. `last` is clamped to the image; an empty image or range
/// gives no changes.
pub fn of_layers(layers: &[Layer], first: usize, last: usize) -> (FileTree, RangeEffect) {
    let before = crate::tree::squash_upto(layers, first).tree;
    apply_range(before, layers, first, last)
}

/// As [`of_layers`], from the filesystem before layer `first` (rolled up).
pub fn apply_range(
    before: FileTree,
    layers: &[Layer],
    first: usize,
    last: usize,
) -> (FileTree, RangeEffect) {
    let mut after = before.clone();
    let end = last.saturating_add(1).min(layers.len());
    let changes: Vec<Vec<LayerChange>> = layers
        .get(first.min(end)..end)
        .unwrap_or_default()
        .iter()
        .map(|l| after.apply_layer(l.index as u32, &l.entries))
        .collect();
    after.rollup();
    let effect = net_changes(&before, &after, &changes);
    (after, effect)
}

/// Whether two versions of a path are the same entry.
fn same(a: &crate::tree::Node, b: &crate::tree::Node) -> bool {
    a.kind == b.kind
        && a.hash == b.hash
        && a.size == b.size
        && a.mode == b.mode
        && a.uid == b.uid
        && a.gid == b.gid
        && a.link == b.link
}

fn child_path(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(parent.len() + 1 + name.len());
    p.extend_from_slice(parent);
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

fn parent_path(path: &[u8]) -> &[u8] {
    match path.iter().rposition(|&b| b == b'/') {
        Some(i) => &path[..i],
        None => &[],
    }
}

/// The net effect of `changes` (the changes of consecutive layers applied
/// to `before`, giving `after`; both rolled up, `after` a continuation of
/// `before`'s tree).
pub fn net_changes(
    before: &FileTree,
    after: &FileTree,
    changes: &[Vec<LayerChange>],
) -> RangeEffect {
    // Each node once, then each path once (a path deleted and created again
    // has two nodes).
    let mut nodes: HashSet<NodeId> = HashSet::new();
    // Paths some layer deleted or turned from a directory into something
    // else: what they held before may be gone without a change of its own.
    let mut emptied: Vec<NodeId> = Vec::new();
    for c in changes.iter().flatten() {
        nodes.insert(c.node);
        // (A file over a directory is a modification; a new file replaces
        // nothing.)
        if c.status == ChangeStatus::Deleted
            || (c.status == ChangeStatus::Modified && c.kind != EntryKind::Dir)
        {
            emptied.push(c.node);
        }
    }
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(nodes.len());
    let mut paths: Vec<Vec<u8>> = Vec::with_capacity(nodes.len());
    for &id in &nodes {
        let p = after.path_of(id);
        if seen.insert(p.clone()) {
            paths.push(p);
        }
    }
    // Under an emptied directory that is a directory again after the range,
    // what it held before and no longer holds is deleted.
    let mut walked: HashSet<Vec<u8>> = HashSet::new();
    for id in emptied {
        let p = after.path_of(id);
        if !walked.insert(p.clone()) {
            continue;
        }
        let (Some(b), Some(a)) = (before.lookup(&p), after.lookup(&p)) else {
            continue;
        };
        if !(before.node(b).is_dir() && after.node(a).is_dir()) {
            continue;
        }
        let mut stack = vec![(b, p)];
        while let Some((dir, dir_path)) = stack.pop() {
            for &k in before.children(dir) {
                let kp = child_path(&dir_path, before.node(k).name);
                match after.lookup(&kp) {
                    None => {
                        if seen.insert(kp.clone()) {
                            paths.push(kp);
                        }
                    }
                    Some(ak) if before.node(k).is_dir() && after.node(ak).is_dir() => {
                        stack.push((k, kp));
                    }
                    Some(_) => {}
                }
            }
        }
    }
    let mut effect = RangeEffect::default();
    for p in paths {
        let change = match (before.lookup(&p), after.lookup(&p)) {
            (None, None) => continue,
            (None, Some(a)) => {
                let n = after.node(a);
                LayerChange {
                    node: a,
                    status: ChangeStatus::Added,
                    kind: n.kind,
                    size: n.size,
                    shadowed: 0,
                    shadowed_layer: change_layer(n.layer),
                }
            }
            (Some(b), None) => {
                // Listed at its top only: below a deleted directory the
                // directory's deletion says it.
                let parent = parent_path(&p);
                if !after.lookup(parent).is_some_and(|d| after.node(d).is_dir()) || b == ROOT {
                    continue;
                }
                let n = before.node(b);
                LayerChange {
                    node: b,
                    status: ChangeStatus::Deleted,
                    kind: n.kind,
                    size: before.total(b),
                    shadowed: before.total(b),
                    shadowed_layer: change_layer(n.layer),
                }
            }
            (Some(b), Some(a)) => {
                let (nb, na) = (before.node(b), after.node(a));
                let status = if same(&nb, &na) {
                    ChangeStatus::Unchanged
                } else {
                    ChangeStatus::Modified
                };
                let hides = status == ChangeStatus::Modified && !(nb.is_dir() && na.is_dir());
                LayerChange {
                    node: a,
                    status,
                    kind: na.kind,
                    size: na.size,
                    shadowed: if hides { before.total(b) } else { 0 },
                    shadowed_layer: change_layer(if hides { nb.layer } else { na.layer }),
                }
            }
        };
        let t = &mut effect.totals;
        let counted = u64::from(change.kind != EntryKind::Dir);
        // What a directory held before, when it is gone (deleted, or
        // replaced by a file or link).
        let held = |id: NodeId| {
            let below = before
                .descendants(id)
                .filter(|&d| !before.node(d).is_dir())
                .count() as u64;
            Tally {
                entries: below,
                bytes: before.total(id) - before.node(id).size,
            }
        };
        match change.status {
            ChangeStatus::Added => t.added.add(counted, change.size),
            ChangeStatus::Unchanged => t.unchanged += counted,
            ChangeStatus::Modified => {
                t.modified.add(counted, change.size);
                if let Some(b) = before.lookup(&p).filter(|&b| before.node(b).is_dir()) {
                    if change.kind != EntryKind::Dir {
                        let h = held(b);
                        t.deleted.add(h.entries, h.bytes);
                    }
                }
            }
            ChangeStatus::Deleted => {
                let h = held(change.node);
                t.deleted
                    .add(counted + h.entries, h.bytes + before.node(change.node).size);
            }
        }
        effect.changes.push(change);
    }
    effect
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ContentHash, Entry};

    fn file(path: &str, size: u64, hash: u128) -> Entry {
        Entry {
            path: path.as_bytes().into(),
            kind: EntryKind::File,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: None,
            hash: Some(ContentHash(hash)),
            device: None,
            flags: 0,
        }
    }

    fn gone(path: &str, kind: EntryKind) -> Entry {
        Entry {
            kind,
            size: 0,
            hash: None,
            ..file(path, 0, 0)
        }
    }

    fn status_of(after: &FileTree, e: &RangeEffect, path: &str) -> Option<(ChangeStatus, u64)> {
        e.changes
            .iter()
            .find(|c| after.path_of(c.node) == path.as_bytes())
            .map(|c| (c.status, c.size))
    }

    fn layers(each: Vec<Vec<Entry>>) -> Vec<Layer> {
        each.into_iter()
            .enumerate()
            .map(|(i, e)| Layer::from_entries(i, e))
            .collect()
    }

    #[test]
    fn a_range_reads_as_one_step() {
        let ls = layers(vec![
            vec![file("etc/passwd", 10, 1), file("tmp/old", 100, 2)],
            vec![file("etc/passwd", 12, 3), file("opt/tmpfile", 50, 4)],
            vec![
                gone("opt/tmpfile", EntryKind::Whiteout),
                gone("tmp/old", EntryKind::Whiteout),
                file("app", 7, 5),
            ],
        ]);
        let (after, e) = of_layers(&ls, 1, 2);
        assert_eq!(
            status_of(&after, &e, "etc/passwd"),
            Some((ChangeStatus::Modified, 12))
        );
        assert_eq!(
            status_of(&after, &e, "tmp/old"),
            Some((ChangeStatus::Deleted, 100))
        );
        assert_eq!(status_of(&after, &e, "app"), Some((ChangeStatus::Added, 7)));
        // Added in 2, deleted in 3: nothing, and its directory neither.
        assert_eq!(status_of(&after, &e, "opt/tmpfile"), None);
        assert_eq!(
            status_of(&after, &e, "opt"),
            Some((ChangeStatus::Added, 0)),
            "the directory layer 2 implied stays"
        );
        assert_eq!(
            e.totals,
            RangeTotals {
                added: Tally {
                    entries: 1,
                    bytes: 7
                },
                modified: Tally {
                    entries: 1,
                    bytes: 12
                },
                deleted: Tally {
                    entries: 1,
                    bytes: 100
                },
                unchanged: 0,
            }
        );
    }

    #[test]
    fn a_directory_emptied_and_filled_again_loses_what_it_held() {
        let ls = layers(vec![
            vec![file("srv/a", 10, 1), file("srv/sub/b", 20, 2)],
            vec![gone("srv", EntryKind::Whiteout)],
            vec![file("srv/c", 30, 3)],
        ]);
        let (after, e) = of_layers(&ls, 1, 2);
        assert_eq!(
            status_of(&after, &e, "srv/a"),
            Some((ChangeStatus::Deleted, 10))
        );
        assert_eq!(
            status_of(&after, &e, "srv/sub"),
            Some((ChangeStatus::Deleted, 20))
        );
        assert_eq!(
            status_of(&after, &e, "srv/c"),
            Some((ChangeStatus::Added, 30))
        );
        assert_eq!(
            status_of(&after, &e, "srv/sub/b"),
            None,
            "listed at its top"
        );
        assert_eq!(
            e.totals.deleted,
            Tally {
                entries: 2,
                bytes: 30
            }
        );
        // The last layer alone only adds.
        let (after, e) = of_layers(&ls, 2, 2);
        assert_eq!(status_of(&after, &e, "srv/a"), None);
        assert_eq!(
            status_of(&after, &e, "srv/c"),
            Some((ChangeStatus::Added, 30))
        );
    }
}
