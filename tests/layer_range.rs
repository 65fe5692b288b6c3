//! A range of layers' net effect (`analysis::range`) against a computation
//! that knows nothing of per-layer changes: the filesystem after the first
//! `a` layers compared path by path with the filesystem after `b + 1`.

mod common;
use common::ui_fixture::{self as fixture, dir, file, layer, symlink, whiteout};

use stagediff::analysis::range::{of_layers, RangeTotals, Tally};
use stagediff::image::{Entry, EntryKind, Layer};
use stagediff::tree::{squash_upto, ChangeStatus, FileTree};
use std::collections::BTreeMap;

/// Every live path of a tree with what it is.
fn entries(t: &FileTree) -> BTreeMap<Vec<u8>, stagediff::tree::Node<'_>> {
    t.iter().map(|id| (t.path_of(id), t.node(id))).collect()
}

fn same(a: &stagediff::tree::Node, b: &stagediff::tree::Node) -> bool {
    (a.kind, a.hash, a.size, a.mode, a.uid, a.gid, &a.link)
        == (b.kind, b.hash, b.size, b.mode, b.uid, b.gid, &b.link)
}

fn parent(p: &[u8]) -> &[u8] {
    p.iter()
        .rposition(|&b| b == b'/')
        .map_or(&[][..], |i| &p[..i])
}

/// (status, bytes) per path that differs between the two squashes, with a
/// deletion listed at its top only; and the totals counted from the trees.
fn independent(
    layers: &[Layer],
    a: usize,
    b: usize,
) -> (BTreeMap<Vec<u8>, (ChangeStatus, u64)>, RangeTotals) {
    let before_tree = squash_upto(layers, a).tree;
    let after_tree = squash_upto(layers, b + 1).tree;
    let (before, after) = (entries(&before_tree), entries(&after_tree));
    let is_dir_after = |p: &[u8]| p.is_empty() || after.get(p).is_some_and(|n| n.is_dir());
    let mut out = BTreeMap::new();
    let mut t = RangeTotals::default();
    let counted = |n: &stagediff::tree::Node| u64::from(n.kind != EntryKind::Dir);
    for (p, n) in &after {
        match before.get(p) {
            None => {
                out.insert(p.clone(), (ChangeStatus::Added, n.size));
                t.added.entries += counted(n);
                t.added.bytes += n.size;
            }
            Some(o) if !same(o, n) => {
                out.insert(p.clone(), (ChangeStatus::Modified, n.size));
                t.modified.entries += counted(n);
                t.modified.bytes += n.size;
            }
            Some(_) => {}
        }
    }
    for (p, n) in &before {
        if after.contains_key(p) {
            continue;
        }
        // Every entry gone counts, also below a directory a file
        // replaced; listed at the top only.
        t.deleted.entries += counted(n);
        t.deleted.bytes += n.size;
        if is_dir_after(parent(p)) {
            let total = before_tree.total(before_tree.lookup(p).expect("a path of the tree"));
            out.insert(p.clone(), (ChangeStatus::Deleted, total));
        }
    }
    (out, t)
}

/// The range's changes other than rewrites, by path; checks on the way
/// that every rewrite really is one.
fn computed(
    layers: &[Layer],
    a: usize,
    b: usize,
) -> (BTreeMap<Vec<u8>, (ChangeStatus, u64)>, RangeTotals) {
    let (after, effect) = of_layers(layers, a, b);
    let before_tree = squash_upto(layers, a).tree;
    let before = entries(&before_tree);
    let mut out = BTreeMap::new();
    for c in &effect.changes {
        let p = after.path_of(c.node);
        if c.status == ChangeStatus::Unchanged {
            let now = after.lookup(&p).map(|id| after.node(id));
            assert!(
                now.zip(before.get(&p)).is_some_and(|(x, y)| same(&x, y)),
                "{} reported unchanged",
                String::from_utf8_lossy(&p)
            );
            continue;
        }
        let dup = out.insert(p.clone(), (c.status, c.size));
        assert!(dup.is_none(), "{} twice", String::from_utf8_lossy(&p));
    }
    let mut t = effect.totals;
    t.unchanged = 0;
    (out, t)
}

fn check(layers: &[Layer], a: usize, b: usize) {
    let (want, want_t) = independent(layers, a, b);
    let (got, got_t) = computed(layers, a, b);
    let show = |m: &BTreeMap<Vec<u8>, (ChangeStatus, u64)>| {
        m.iter()
            .map(|(p, s)| format!("{} {:?}", String::from_utf8_lossy(p), s))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        show(&got),
        show(&want),
        "layers {a}..={b} of\n{:#?}",
        layers.iter().map(|l| &l.entries).collect::<Vec<_>>()
    );
    assert_eq!(got_t, want_t, "totals of layers {a}..={b}");
}

#[test]
fn every_range_of_the_fixture_images_matches_two_squashes() {
    for img in [
        fixture::single_stage(),
        fixture::single_stage_headers(),
        fixture::scripted(),
    ] {
        let n = img.layers.len();
        for a in 0..n {
            for b in a..n {
                check(&img.layers, a, b);
            }
        }
    }
}

/// A small deterministic generator (xorshift): no dependency, the same
/// images on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Paths over a few nested directories, so deletions, opaque directories
/// and files over directories meet each other.
const PATHS: &[&str] = &[
    "a", "a/x", "a/y", "a/b", "a/b/z", "a/b/w", "c", "c/v", "d", "d/e/f",
];

fn random_layer(rng: &mut Rng, index: usize) -> Layer {
    let mut entries: Vec<Entry> = Vec::new();
    for _ in 0..1 + rng.below(5) {
        let p = PATHS[rng.below(PATHS.len())];
        if entries.iter().any(|e| &*e.path == p.as_bytes()) {
            continue;
        }
        let e = match rng.below(8) {
            0 | 1 => file(p, 1 + rng.below(4) as u64 * 10, rng.below(3) as u128),
            2 => dir(p),
            3 => Entry {
                mode: 0o700,
                ..dir(p)
            },
            4 => symlink(p, ["a", "c/v"][rng.below(2)]),
            5 | 6 => whiteout(p),
            _ => Entry {
                kind: EntryKind::OpaqueWhiteout,
                ..whiteout(p)
            },
        };
        entries.push(e);
    }
    layer(index, "RUN random", entries)
}

#[test]
fn every_range_of_random_images_matches_two_squashes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let n = 1 + rng.below(6);
        let layers: Vec<Layer> = (0..n).map(|i| random_layer(&mut rng, i)).collect();
        for a in 0..n {
            for b in a..n {
                check(&layers, a, b);
            }
        }
    }
}

#[test]
fn a_range_past_the_end_stops_at_the_last_layer() {
    let img = fixture::single_stage();
    let (_, all) = of_layers(&img.layers, 1, 99);
    let (_, same) = of_layers(&img.layers, 1, img.layers.len() - 1);
    assert_eq!(all.totals, same.totals);
    let (_, none) = of_layers(&img.layers, 9, 12);
    assert!(none.changes.is_empty());
    assert_eq!(none.totals.added, Tally::default());
}
