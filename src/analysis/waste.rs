//! Wasted space in one image: bytes its layers store that the final
//! filesystem never shows, because a later layer deleted or overwrote them
//! (`RUN rm -rf /var/lib/apt/lists` in its own layer, a file rewritten by
//! `chmod`, a build tree removed after `make install`). Squashing or
//! moving the clean-up into the same `RUN` would reclaim every byte.
//!
//! The figures come from the changes the tree records while it applies the
//! layers ([`LayerChange::shadowed`]), so they follow the same OCI rules as
//! everything else: whiteouts, opaque directories, a file replacing a
//! directory. `stored − visible = wasted` holds exactly.

use crate::image::{EntryKind, Image};
use crate::tree::{FileTree, LayerChange, NodeId};

/// The waste of one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Waste {
    /// Bytes the layers store, every version of every path (the image size
    /// `docker image inspect` reports).
    pub stored: u64,
    /// Bytes the final filesystem shows.
    pub visible: u64,
    /// `stored − visible`.
    pub wasted: u64,
    /// Per layer: its bytes that a later layer hides.
    pub wasted_in_layer: Vec<u64>,
    /// Per layer: bytes of lower layers it hides.
    pub hidden_by_layer: Vec<u64>,
    /// Every path with hidden bytes, biggest first (a deleted directory is
    /// one path with its whole subtree).
    pub paths: Vec<WastedPath>,
}

/// One path whose lower versions are hidden.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WastedPath {
    /// Normalised image path (no leading `/`), raw bytes.
    pub path: Box<[u8]>,
    /// Hidden bytes, all versions together.
    pub bytes: u64,
    /// How many times a layer hid a version of it.
    pub times: u32,
    /// Layers whose versions are hidden, lowest first.
    pub written_in: Vec<u32>,
    /// The last layer that hid a version.
    pub hidden_by: u32,
    /// Not in the final filesystem (deleted, or replaced by a directory
    /// that keeps nothing of it).
    pub deleted: bool,
    /// A directory: `bytes` is its whole subtree.
    pub dir: bool,
}

impl Waste {
    /// Share of stored bytes the final filesystem shows (1.0 when nothing
    /// is stored), dive's "image efficiency".
    pub fn efficiency(&self) -> f64 {
        if self.stored == 0 {
            1.0
        } else {
            self.visible as f64 / self.stored as f64
        }
    }
}

/// Computes the waste from the changes of every layer (as
/// [`crate::tree::squash`] returns them) and the final tree.
pub fn waste(image: &Image, changes: &[Vec<LayerChange>], tree: &FileTree) -> Waste {
    let layers = image.layers.len().max(changes.len());
    let stored: u64 = image
        .layers
        .iter()
        .flat_map(|l| &l.entries)
        .filter(|e| !e.kind.is_whiteout() && !e.path.is_empty())
        .map(|e| e.size)
        .sum();
    let mut wasted_in_layer = vec![0u64; layers];
    let mut hidden_by_layer = vec![0u64; layers];
    // Gathered by node first (an integer key, no path built per change),
    // then by path: a path deleted and created again is a new node. The
    // changes that hide something are listed as (node, layer, index) and
    // sorted, not hashed: 12 bytes each instead of a map entry the size of
    // a WastedPath, and each node's changes come out in the order the
    // layers made them.
    let mut hits: Vec<(NodeId, u32, u32)> = Vec::new();
    for (layer, list) in changes.iter().enumerate() {
        for (i, c) in list.iter().enumerate().filter(|(_, c)| c.shadowed > 0) {
            hidden_by_layer[layer] += c.shadowed;
            let from = u32::from(c.shadowed_layer);
            if let Some(w) = wasted_in_layer.get_mut(from as usize) {
                *w += c.shadowed;
            }
            hits.push((c.node, layer as u32, i as u32));
        }
    }
    hits.sort_unstable();
    // `deleted` holds "some version is live" until the merge is done.
    let mut nodes: Vec<WastedPath> = Vec::new();
    for group in hits.chunk_by(|a, b| a.0 == b.0) {
        let id = group[0].0;
        let mut w = WastedPath {
            path: tree.path_of(id).into_boxed_slice(),
            bytes: 0,
            times: 0,
            written_in: Vec::new(),
            hidden_by: 0,
            deleted: tree.is_live(id),
            dir: false,
        };
        for &(_, layer, i) in group {
            let c = &changes[layer as usize][i as usize];
            let from = u32::from(c.shadowed_layer);
            w.bytes += c.shadowed;
            w.times += 1;
            if !w.written_in.contains(&from) {
                w.written_in.push(from);
            }
            w.hidden_by = layer;
            w.dir |= c.status == crate::tree::ChangeStatus::Deleted && c.kind == EntryKind::Dir;
        }
        nodes.push(w);
    }
    drop(hits);
    nodes.sort_unstable_by(|a, b| a.path.cmp(&b.path));
    // Merged in place: a second list as long would be the largest thing
    // alive at this point (the peak of a million-file `inspect`).
    let mut paths = nodes;
    paths.dedup_by(|w, p| {
        if p.path != w.path {
            return false;
        }
        p.bytes += w.bytes;
        p.times += w.times;
        p.written_in.append(&mut w.written_in);
        p.hidden_by = p.hidden_by.max(w.hidden_by);
        p.deleted |= w.deleted;
        p.dir |= w.dir;
        true
    });
    for w in &mut paths {
        w.written_in.sort_unstable();
        w.written_in.dedup();
        // No version of it is live: it may still exist as a node created
        // later that hides nothing.
        w.deleted = !w.deleted && tree.lookup(&w.path).is_none();
    }
    // Paths are unique now, so an unstable sort gives the same order, and
    // without the stable sort's scratch copy of the list (here at the peak).
    paths.sort_unstable_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
    let visible = tree.total_size();
    Waste {
        stored,
        visible,
        wasted: stored.saturating_sub(visible),
        wasted_in_layer,
        hidden_by_layer,
        paths,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{ContentHash, Entry, Layer};
    // Whiteout entries carry the path they delete (the tar walker strips
    // `.wh.`); opaque ones the directory they empty.
    use crate::tree::squash;

    fn entry(path: &str, kind: EntryKind, size: u64, seed: u128) -> Entry {
        Entry {
            path: path.as_bytes().into(),
            kind,
            size,
            mode: 0o644,
            uid: 0,
            gid: 0,
            link: match kind {
                EntryKind::Symlink | EntryKind::HardLink => Some(b"a/f1".as_slice().into()),
                _ => None,
            },
            hash: (kind == EntryKind::File).then_some(ContentHash(seed)),
            device: None,
            flags: 0,
        }
    }

    fn image(layers: Vec<Vec<Entry>>) -> Image {
        let layers = layers
            .into_iter()
            .enumerate()
            .map(|(i, entries)| Layer::from_entries(i, entries))
            .collect();
        Image::from_layers("t", layers)
    }

    fn run(img: &Image) -> Waste {
        let sq = squash(&img.layers);
        waste(img, &sq.changes, &sq.tree)
    }

    #[test]
    fn deleted_directory_and_overwritten_file() {
        let img = image(vec![
            vec![
                entry("var/lists/a", EntryKind::File, 400, 1),
                entry("var/lists/b", EntryKind::File, 600, 2),
                entry("etc/conf", EntryKind::File, 50, 3),
                entry("app", EntryKind::File, 7, 4),
            ],
            vec![
                entry("var/lists", EntryKind::Whiteout, 0, 0),
                entry("etc/conf", EntryKind::File, 60, 5),
            ],
        ]);
        let w = run(&img);
        assert_eq!(w.stored, 1117);
        assert_eq!(w.visible, 67);
        assert_eq!(w.wasted, 1050);
        assert_eq!(w.wasted_in_layer, vec![1050, 0]);
        assert_eq!(w.hidden_by_layer, vec![0, 1050]);
        assert_eq!(w.paths.len(), 2);
        let lists = &w.paths[0];
        assert_eq!(&*lists.path, b"var/lists");
        assert_eq!((lists.bytes, lists.deleted, lists.dir), (1000, true, true));
        assert_eq!((lists.written_in.clone(), lists.hidden_by), (vec![0], 1));
        let conf = &w.paths[1];
        assert_eq!(
            (&*conf.path, conf.bytes, conf.deleted),
            (&b"etc/conf"[..], 50, false)
        );
        assert!((w.efficiency() - 67.0 / 1117.0).abs() < 1e-12);
    }

    #[test]
    fn empty_image_is_fully_efficient() {
        let w = run(&image(vec![]));
        assert_eq!((w.stored, w.wasted, w.efficiency()), (0, 0, 1.0));
    }

    /// The wasted paths grouped by path string and checked with a lookup
    /// each, the plain way: the node-keyed grouping must say the same.
    fn by_path_reference(sq: &crate::tree::Squashed) -> Vec<WastedPath> {
        let mut by_path: std::collections::BTreeMap<Vec<u8>, WastedPath> = Default::default();
        for (layer, list) in sq.changes.iter().enumerate() {
            for c in list.iter().filter(|c| c.shadowed > 0) {
                let path = sq.tree.path_of(c.node);
                let from = u32::from(c.shadowed_layer);
                let w = by_path.entry(path.clone()).or_insert_with(|| WastedPath {
                    path: path.into(),
                    bytes: 0,
                    times: 0,
                    written_in: Vec::new(),
                    hidden_by: 0,
                    deleted: false,
                    dir: false,
                });
                w.bytes += c.shadowed;
                w.times += 1;
                if !w.written_in.contains(&from) {
                    w.written_in.push(from);
                }
                w.hidden_by = layer as u32;
                w.dir |= c.status == crate::tree::ChangeStatus::Deleted && c.kind == EntryKind::Dir;
            }
        }
        let mut paths: Vec<WastedPath> = by_path
            .into_values()
            .map(|mut w| {
                w.written_in.sort_unstable();
                w.deleted = sq.tree.lookup(&w.path).is_none();
                w
            })
            .collect();
        // Paths are unique now, so an unstable sort gives the same order, and
        // without the stable sort's scratch copy of the list (here at the peak).
        paths.sort_unstable_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.path.cmp(&b.path)));
        paths
    }

    #[test]
    fn a_path_deleted_and_written_again_is_one_wasted_path() {
        // Deleted in layer 1, written again in 2, overwritten in 3: two
        // nodes, one path, and it is live at the end.
        let img = image(vec![
            vec![entry("x", EntryKind::File, 10, 1)],
            vec![entry("x", EntryKind::Whiteout, 0, 0)],
            vec![entry("x", EntryKind::File, 20, 2)],
            vec![entry("x", EntryKind::File, 30, 3)],
        ]);
        let w = run(&img);
        assert_eq!(w.paths.len(), 1);
        let x = &w.paths[0];
        assert_eq!((&*x.path, x.bytes, x.times), (&b"x"[..], 30, 2));
        assert_eq!((x.written_in.clone(), x.hidden_by), (vec![0, 2], 3));
        assert!(!x.deleted);
    }

    /// Random layers over a small set of paths (files, directories,
    /// symlinks, hard links, whiteouts, opaque directories, a path twice in
    /// one layer): the hidden bytes always add up to stored − visible.
    #[test]
    fn hidden_bytes_always_add_up() {
        let names = ["a", "a/f1", "a/f2", "a/b", "a/b/g", "c", "c/h", "d"];
        let mut rng = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        for _ in 0..2000 {
            let layers: Vec<Vec<Entry>> = (0..1 + next(5))
                .map(|_| {
                    (0..1 + next(6))
                        .map(|_| {
                            let name = names[next(names.len() as u64) as usize];
                            match next(7) {
                                0..=2 => {
                                    entry(name, EntryKind::File, 1 + next(1000), next(4).into())
                                }
                                3 => entry(name, EntryKind::Dir, 0, 0),
                                4 => entry(name, EntryKind::Symlink, 4, 0),
                                5 if next(3) == 0 => entry(name, EntryKind::OpaqueWhiteout, 0, 0),
                                5 => entry(name, EntryKind::Whiteout, 0, 0),
                                _ => entry(name, EntryKind::HardLink, 0, 0),
                            }
                        })
                        .collect()
                })
                .collect();
            let img = image(layers);
            let sq = squash(&img.layers);
            let w = waste(&img, &sq.changes, &sq.tree);
            assert_eq!(w.paths, by_path_reference(&sq), "{:?}", img.layers);
            let hidden: u64 = w.hidden_by_layer.iter().sum();
            let by_layer: u64 = w.wasted_in_layer.iter().sum();
            let by_path: u64 = w.paths.iter().map(|p| p.bytes).sum();
            assert_eq!(w.stored - w.visible, hidden, "{:?}", img.layers);
            assert_eq!(hidden, by_layer);
            assert_eq!(hidden, by_path);
        }
    }
}
