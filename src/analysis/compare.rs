//! Matching BEFORE with AFTER path by path and by content.

use super::classify::classify;
use super::owners::{self, Interner};
use super::rules::{Bucket, Rules};
use super::{
    BucketTotal, Comparison, Move, OwnerId, OwnerShare, PathFacts, Rollup, Side, Status, Totals,
};
use crate::image::{ContentHash, EntryKind, Image};
use crate::tree::{FileTree, NodeId, ROOT};
use std::collections::HashMap;
use std::sync::Arc;

/// Indexes the packages of one image and classifies every path of its
/// squashed `tree`. Statuses are left at `initial`.
pub(crate) fn side_with(
    image: &Image,
    tree: Arc<FileTree>,
    rules: &Rules,
    owners: &mut Interner,
    initial: Status,
) -> Side {
    let node_count = tree.iter().max().map_or(1, |m| m as usize + 1);
    let mut own = owners::index(&tree, &image.layers, node_count, owners);
    let mut facts = vec![
        PathFacts {
            status: initial,
            ..PathFacts::default()
        };
        node_count
    ];
    classify(&tree, &image.layers, rules, &mut own, owners, &mut facts);
    Side {
        reference: crate::escape::escape_str(&image.reference).into_owned(),
        image_size: image.size(),
        layers: image.layers.len(),
        tree,
        facts,
        rollups: Vec::new(),
        packages: own.packages,
        warnings: own.warnings,
    }
}

pub(crate) fn side(image: &Image, rules: &Rules, owners: &mut Interner) -> Side {
    let tree = Arc::new(super::squash(image).tree);
    side_with(image, tree, rules, owners, Status::Eliminated)
}

/// Compares BEFORE with AFTER: statuses, moves, ownership, buckets, and
/// the runtime audit of AFTER. Squashes both images; a caller that holds
/// them squashed already (`crate::pipeline`) calls [`compare_squashed`].
pub fn compare(before: &Image, after: &Image, rules: &Rules) -> Comparison {
    let (b, a) = std::thread::scope(|s| {
        let h = s.spawn(|| Arc::new(super::squash(after).tree));
        let b = Arc::new(super::squash(before).tree);
        match h.join() {
            Ok(a) => (b, a),
            Err(p) => std::panic::resume_unwind(p),
        }
    });
    compare_squashed((before, b), (after, a), rules)
}

/// [`compare`] over images and their squashed trees (the trees are shared,
/// not copied). The two sides are analysed in parallel.
pub fn compare_squashed(
    before: (&Image, Arc<FileTree>),
    after: (&Image, Arc<FileTree>),
    rules: &Rules,
) -> Comparison {
    compare_needed(before, after, rules, None)
}

/// [`compare_squashed`] knowing what AFTER's entrypoint needs: the audit
/// leaves the app's own code alone, and the comparison says what AFTER
/// ships that the entrypoint never uses.
pub fn compare_needed(
    (before, before_tree): (&Image, Arc<FileTree>),
    (after, after_tree): (&Image, Arc<FileTree>),
    rules: &Rules,
    after_closure: Option<super::closure::Closure>,
) -> Comparison {
    let mut owners = Interner::default();
    let (mut b, (mut a, a_owners)) = std::thread::scope(|s| {
        let h = s.spawn(|| {
            let mut o = Interner::default();
            let side = side_with(after, after_tree, rules, &mut o, Status::Added);
            (side, o)
        });
        let b = side_with(before, before_tree, rules, &mut owners, Status::Eliminated);
        let a = match h.join() {
            Ok(a) => a,
            Err(p) => std::panic::resume_unwind(p),
        };
        (b, a)
    });
    merge_owners(&mut owners, a_owners, &mut a);

    match_paths(&b.tree, &a.tree, &mut b.facts, &mut a.facts);
    let moves = match_moves(&b.tree, &a.tree, &mut b.facts, &mut a.facts);
    build_outputs(&b.tree, &a.tree, &mut b.facts, &mut owners);
    b.rollups = rollup(&b.tree, &b.facts);
    a.rollups = rollup(&a.tree, &a.facts);

    let br = b.rollup(ROOT);
    let ar = a.rollup(ROOT);
    let totals = Totals {
        eliminated_bytes: br.bytes(Status::Eliminated),
        eliminated_files: br.files(Status::Eliminated),
        carried_bytes: br.bytes(Status::Carried),
        carried_files: br.files(Status::Carried),
        moved_bytes: br.bytes(Status::Moved),
        moved_files: br.files(Status::Moved),
        changed_bytes: ar.bytes(Status::Changed),
        changed_bytes_before: br.bytes(Status::Changed),
        changed_files: ar.files(Status::Changed),
        added_bytes: ar.bytes(Status::Added),
        added_files: ar.files(Status::Added),
    };
    let eliminated = bucket_totals(&b, |f| f.status == Status::Eliminated);
    let shipped = bucket_totals(&a, |_| true);
    let owners = owners.into_owners();
    let needed = after_closure.filter(|c| c.program.is_some());
    let findings = super::audit::audit_side(&a, &owners, rules, needed.as_ref());
    let unused = needed.as_ref().map(|c| {
        let buckets = bucket_totals_of(&a, |id, _| !c.contains(id));
        let mut packages: HashMap<OwnerId, u64> = HashMap::new();
        for id in a.tree.iter() {
            let n = a.tree.node(id);
            if !n.is_dir() && !c.contains(id) {
                if let Some(p) = a.facts[id as usize].package {
                    *packages.entry(p).or_default() += n.size;
                }
            }
        }
        let mut packages: Vec<(OwnerId, u64)> = packages.into_iter().collect();
        packages.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        super::Unused {
            bytes: buckets.iter().map(|b| b.bytes).sum(),
            files: buckets.iter().map(|b| b.files).sum(),
            buckets,
            packages,
        }
    });
    Comparison {
        unused,
        after_closure: needed,
        before: b,
        after: a,
        owners,
        totals,
        eliminated,
        shipped,
        moves,
        findings,
    }
}

/// Re-interns AFTER's owners into the shared table and rewrites its ids.
fn merge_owners(into: &mut Interner, from: Interner, side: &mut Side) {
    let from = from.into_owners();
    let map: Vec<OwnerId> = from.iter().map(|o| into.intern_owner(o)).collect();
    for (i, o) in from.iter().enumerate() {
        let target = into.get_mut(map[i]);
        for (k, &m) in o.members.iter().enumerate() {
            let m = map[m as usize];
            if !target.members.contains(&m) {
                target.members.push(m);
                if let Some(n) = o.member_names.get(k) {
                    target.member_names.push(n.clone());
                }
            }
        }
    }
    for f in side.facts.iter_mut() {
        f.owner = f.owner.map(|o| map[o as usize]);
        f.package = f.package.map(|o| map[o as usize]);
    }
    for p in side.packages.iter_mut() {
        p.owner = map[p.owner as usize];
    }
}

fn same_content(b: &FileTree, x: NodeId, a: &FileTree, y: NodeId) -> bool {
    let (n, m) = (b.node(x), a.node(y));
    let fileish = |k| matches!(k, EntryKind::File | EntryKind::HardLink);
    if fileish(n.kind) && fileish(m.kind) {
        return n.hash.is_some() && n.hash == m.hash;
    }
    n.kind == m.kind && n.link == m.link && n.hash == m.hash
}

/// Walks both trees together, matching children by name.
fn match_paths(b: &FileTree, a: &FileTree, bf: &mut [PathFacts], af: &mut [PathFacts]) {
    bf[ROOT as usize].status = Status::Carried;
    af[ROOT as usize].status = Status::Carried;
    let mut stack = vec![(ROOT, ROOT)];
    while let Some((x, y)) = stack.pop() {
        let (bk, ak) = (b.children(x), a.children(y));
        let (mut i, mut j) = (0, 0);
        while i < bk.len() && j < ak.len() {
            let (cx, cy) = (bk[i], ak[j]);
            match b.node(cx).name.cmp(a.node(cy).name) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    i += 1;
                    j += 1;
                    let both_dirs = b.node(cx).is_dir() && a.node(cy).is_dir();
                    if b.node(cx).is_dir() != a.node(cy).is_dir() {
                        // A directory became a file or the reverse (WORKDIR /app,
                        // then the binary at /app): two different things that
                        // share a name; the new one may still have moved.
                        continue;
                    }
                    let status = if both_dirs || same_content(b, cx, a, cy) {
                        Status::Carried
                    } else {
                        Status::Changed
                    };
                    bf[cx as usize].status = status;
                    bf[cx as usize].counterpart = Some(cy);
                    af[cy as usize].status = status;
                    af[cy as usize].counterpart = Some(cx);
                    if both_dirs {
                        stack.push((cx, cy));
                    }
                }
            }
        }
    }
}

/// Pairs eliminated BEFORE files with added AFTER files of equal content,
/// one to one, in depth-first order. Empty files never move.
fn match_moves(
    b: &FileTree,
    a: &FileTree,
    bf: &mut [PathFacts],
    af: &mut [PathFacts],
) -> Vec<Move> {
    let movable = |t: &FileTree, id: NodeId| {
        let n = t.node(id);
        (n.kind == EntryKind::File && n.size > 0)
            .then_some(n.hash)
            .flatten()
    };
    let mut added: HashMap<ContentHash, Vec<NodeId>> = HashMap::new();
    for id in a.iter() {
        if af[id as usize].status != Status::Added {
            continue;
        }
        if let Some(h) = movable(a, id) {
            added.entry(h).or_default().push(id);
        }
    }
    if added.is_empty() {
        return Vec::new();
    }
    for v in added.values_mut() {
        v.reverse();
    }
    let mut moves = Vec::new();
    for id in b.iter() {
        if bf[id as usize].status != Status::Eliminated {
            continue;
        }
        let Some(h) = movable(b, id) else { continue };
        let Some(y) = added.get_mut(&h).and_then(Vec::pop) else {
            continue;
        };
        bf[id as usize].status = Status::Moved;
        bf[id as usize].counterpart = Some(y);
        af[y as usize].status = Status::Moved;
        af[y as usize].counterpart = Some(id);
        moves.push(Move {
            before: id,
            after: y,
            bytes: b.node(id).size,
        });
    }
    moves.sort_by(|x, y| y.bytes.cmp(&x.bytes).then(x.before.cmp(&y.before)));
    moves
}

/// An eliminated file no package or rule names whose bytes AFTER ships
/// (at another path, or the same file twice in BEFORE) is the build's
/// output left where it was built: `/src/app` beside the `/app` that was
/// copied out. It goes with the build's leftovers, under the same name as
/// the rules' object files and `target/` ("Build output").
fn build_outputs(b: &FileTree, a: &FileTree, bf: &mut [PathFacts], owners: &mut Interner) {
    let shipped: std::collections::HashSet<ContentHash> = a
        .iter()
        .filter_map(|id| {
            let n = a.node(id);
            (n.kind == EntryKind::File && n.size > 0)
                .then_some(n.hash)
                .flatten()
        })
        .collect();
    if shipped.is_empty() {
        return;
    }
    let mut owner = None;
    for id in b.iter() {
        let n = b.node(id);
        let f = &bf[id as usize];
        if f.status != Status::Eliminated
            || f.package.is_some()
            || f.bucket != Bucket::Other
            || n.kind != EntryKind::File
            || n.size == 0
            || !n.hash.is_some_and(|h| shipped.contains(&h))
        {
            continue;
        }
        let o = *owner.get_or_insert_with(|| {
            owners.intern(super::OwnerKind::Rule, "Build output".into(), None, "")
        });
        let f = &mut bf[id as usize];
        f.bucket = Bucket::BuildCache;
        f.owner = Some(o);
    }
}

/// Sums bytes and regular files below each node by status, for the
/// nodes with children and the directories ([`Side::rollups`]).
fn rollup(tree: &FileTree, facts: &[PathFacts]) -> Vec<(NodeId, Rollup)> {
    const NONE: u32 = u32::MAX;
    let order: Vec<NodeId> = tree.iter().collect();
    // Node → its place in `sums`, for the nodes that get one.
    let mut slot: Vec<u32> = vec![NONE; facts.len().max(ROOT as usize + 1)];
    let mut sums: Vec<(NodeId, Rollup)> = vec![(ROOT, Rollup::default())];
    slot[ROOT as usize] = 0;
    let own = |id: NodeId| {
        facts
            .get(id as usize)
            .map_or_else(Rollup::default, |f| super::own_rollup(tree, id, f))
    };
    for &id in &order {
        if tree.node(id).is_dir() || !tree.children(id).is_empty() {
            if let Some(s) = slot.get_mut(id as usize) {
                *s = sums.len() as u32;
                sums.push((id, own(id)));
            }
        }
    }
    for &id in order.iter().rev() {
        let parent = tree.node(id).parent;
        let r = match slot.get(id as usize) {
            Some(&s) if s != NONE => sums[s as usize].1,
            _ => own(id),
        };
        // A parent has children, so it has a place (when in range).
        let Some(&p) = slot.get(parent as usize).filter(|&&p| p != NONE) else {
            continue;
        };
        let p = &mut sums[p as usize].1;
        for k in 0..5 {
            p.bytes[k] += r.bytes[k];
            p.files[k] += r.files[k];
        }
    }
    sums.sort_unstable_by_key(|&(id, _)| id);
    sums
}

fn bucket_totals(side: &Side, include: impl Fn(&PathFacts) -> bool) -> Vec<BucketTotal> {
    bucket_totals_of(side, |_, f| include(f))
}

fn bucket_totals_of(side: &Side, include: impl Fn(NodeId, &PathFacts) -> bool) -> Vec<BucketTotal> {
    type Slot = (u64, u32, HashMap<Option<OwnerId>, (u64, u32)>);
    let mut by: Vec<Slot> = (0..Bucket::ALL.len())
        .map(|_| (0, 0, HashMap::new()))
        .collect();
    for id in side.tree.iter() {
        let n = side.tree.node(id);
        if n.is_dir() {
            continue;
        }
        let f = &side.facts[id as usize];
        if !include(id, f) {
            continue;
        }
        let file = u32::from(n.kind == EntryKind::File);
        let slot = &mut by[f.bucket.index()];
        slot.0 += n.size;
        slot.1 += file;
        let o = slot.2.entry(f.owner).or_default();
        o.0 += n.size;
        o.1 += file;
    }
    Bucket::ALL
        .iter()
        .zip(by)
        .map(|(&bucket, (bytes, files, owners))| {
            let mut owners: Vec<OwnerShare> = owners
                .into_iter()
                .map(|(owner, (bytes, files))| OwnerShare {
                    owner,
                    bytes,
                    files,
                })
                .collect();
            owners.sort_by(|x, y| y.bytes.cmp(&x.bytes).then(x.owner.cmp(&y.owner)));
            BucketTotal {
                bucket,
                bytes,
                files,
                owners,
            }
        })
        .collect()
}
