//! Turns the analysis' [`Comparison`] into the trees the TUI shows: the
//! aligned union tree (BEFORE and AFTER on the same rows), the Eliminated
//! tree (bucket → owner → file) and the Audit tree. No comparison logic
//! lives here: statuses, buckets, owners and findings all come from
//! `analysis`; this only arranges them into rows.

use super::tree::{Mark, UiTree, UiTreeBuilder};
use crate::analysis::{Bucket, Comparison, OwnerKind, PathFacts, Side, Status};
use crate::image::EntryKind;
use crate::tree::{NodeId, ROOT};
use std::collections::HashMap;

/// The three trees of a comparison, built off the UI thread.
#[derive(Debug)]
pub struct CompareViews {
    pub union: UiTree,
    pub eliminated: UiTree,
    pub audit: UiTree,
    /// The first screen.
    pub overview: super::overview::PairOverview,
}

pub fn mark_of(s: Status) -> Mark {
    match s {
        Status::Eliminated => Mark::Eliminated,
        Status::Carried => Mark::Carried,
        Status::Moved => Mark::Moved,
        Status::Changed => Mark::Changed,
        Status::Added => Mark::Added,
    }
}

/// The most characters of an owner's name a badge carries; the row may
/// shorten it further to keep the name and the sizes on screen.
pub const BADGE_OWNER_MAX: usize = 40;

/// A short badge: `toolchain Go 1.19`, `pkg libc6-dev`, `dep left-pad`,
/// `src`, `cache`, `docs`; `None` for unowned "other" paths. Owners keep
/// their real (escaped) names, spaces and case included, shortened with
/// `…` past [`BADGE_OWNER_MAX`] characters.
pub fn badge(cmp: &Comparison, f: &PathFacts) -> Option<String> {
    let owner = f.owner.map(|o| cmp.owner(o));
    let package = f.package.map(|o| cmp.owner(o));
    let short = |s: &str| crate::format::truncate(s, BADGE_OWNER_MAX);
    match f.bucket {
        Bucket::Toolchain => Some(match owner {
            Some(o) => {
                let name = match &o.version {
                    Some(v) if !o.name.ends_with(v.as_str()) => o.name_version(),
                    _ => o.name.clone(),
                };
                format!("toolchain {}", short(&name))
            }
            None => "toolchain".into(),
        }),
        Bucket::OsPackage => Some(match owner.or(package) {
            Some(o) => format!("pkg {}", short(&o.name)),
            None => "pkg".into(),
        }),
        Bucket::LanguageDeps => Some(match owner {
            Some(o) => format!("dep {}", short(&o.name)),
            None => "dep".into(),
        }),
        Bucket::Source => Some("src".into()),
        Bucket::BuildCache => Some("cache".into()),
        Bucket::Docs => Some("docs".into()),
        Bucket::Other => match (owner, package) {
            (Some(o), _) if o.kind == OwnerKind::Package => Some(format!("pkg {}", short(&o.name))),
            (_, Some(p)) => Some(format!("pkg {}", short(&p.name))),
            _ => None,
        },
    }
}

/// A directory's mark from what lies below it: one status only → that
/// status; a mix → mixed (`*`), so a directory that is partly eliminated
/// never reads as carried or blank.
fn dir_mark(cmp: &Comparison, before: Option<NodeId>, after: Option<NodeId>) -> Mark {
    match (before, after) {
        (Some(b), None) => return mark_of(cmp.before.facts(b).status),
        (None, Some(a)) => return mark_of(cmp.after.facts(a).status),
        _ => {}
    }
    let mut bytes = [0u64; 5];
    let rollups = [
        before.map(|b| cmp.before.rollup(b)),
        after.map(|a| cmp.after.rollup(a)),
    ];
    for r in rollups.into_iter().flatten() {
        for s in Status::ALL {
            // Carried/changed bytes appear on both sides; counting them
            // twice does not change which statuses are present.
            bytes[s.index()] += r.bytes(s) + u64::from(r.files(s));
        }
    }
    let present: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| bytes[s.index()] > 0)
        .collect();
    match present.as_slice() {
        [] => Mark::Carried,
        [one] => mark_of(*one),
        _ => Mark::Mixed,
    }
}

/// The aligned union tree: every path of either side once. Both engine
/// trees keep children sorted by name, so one merge walk pairs them.
pub fn union_tree(cmp: &Comparison) -> UiTree {
    let (bt, at) = (&cmp.before.tree, &cmp.after.tree);
    let mut b = UiTreeBuilder::new(2);
    let mut stack: Vec<(u32, Option<NodeId>, Option<NodeId>)> = vec![(0, Some(ROOT), Some(ROOT))];
    let empty: &[NodeId] = &[];
    while let Some((parent, bd, ad)) = stack.pop() {
        let bk = bd.map_or(empty, |d| bt.children(d));
        let ak = ad.map_or(empty, |d| at.children(d));
        let (mut i, mut j) = (0, 0);
        while i < bk.len() || j < ak.len() {
            let order = match (bk.get(i), ak.get(j)) {
                (Some(&x), Some(&y)) => bt.name(x).cmp(at.name(y)),
                (Some(_), None) => std::cmp::Ordering::Less,
                _ => std::cmp::Ordering::Greater,
            };
            let (x, y) = match order {
                std::cmp::Ordering::Less => (Some(bk[i]), None),
                std::cmp::Ordering::Greater => (None, Some(ak[j])),
                std::cmp::Ordering::Equal => (Some(bk[i]), Some(ak[j])),
            };
            i += usize::from(x.is_some());
            j += usize::from(y.is_some());
            let (name, kind) = match (x, y) {
                (_, Some(y)) => (at.name(y), at.kind(y)),
                (Some(x), None) => (bt.name(x), bt.kind(x)),
                (None, None) => continue,
            };
            let u = b.push_child(parent, name, kind);
            b.set_origin(u, 0, x);
            b.set_origin(u, 1, y);
            b.set_size(u, 0, x.map(|x| bt.size(x)));
            b.set_size(u, 1, y.map(|y| at.size(y)));
            let has_kids = x.is_some_and(|x| !bt.children(x).is_empty())
                || y.is_some_and(|y| !at.children(y).is_empty());
            if has_kids {
                stack.push((u, x, y));
            }
        }
    }
    for id in 1..b.len() as u32 {
        finish_node(cmp, &mut b, id);
    }
    b.finish()
}

fn finish_node(cmp: &Comparison, b: &mut UiTreeBuilder, id: u32) {
    let (bo, ao) = (b.origin(id, 0), b.origin(id, 1));
    let bf = bo.map(|id| cmp.before.facts(id));
    let af = ao.map(|id| cmp.after.facts(id));
    let kind = b.kind(id);
    let mark = if kind == EntryKind::Dir {
        dir_mark(cmp, bo, ao)
    } else {
        match (bf, af) {
            (Some(b), _) => mark_of(b.status),
            (None, Some(a)) => mark_of(a.status),
            (None, None) => Mark::Plain,
        }
    };
    b.set_mark(id, mark);
    // What it is: BEFORE's view for what went away, AFTER's for what ships.
    let facts = match mark {
        Mark::Eliminated => bf,
        _ => af.or(bf),
    };
    let show = kind != EntryKind::Dir || facts.is_some_and(|f| f.owner.is_some());
    if show {
        // Owner names are the analysis' escaped text.
        let text = facts.and_then(|f| badge(cmp, f));
        b.set_badge(id, text.as_deref(), true);
    }
}

pub(super) fn group(b: &mut UiTreeBuilder, parent: u32, name: &str, bytes: u64, mark: Mark) -> u32 {
    let id = b.push_child(parent, name.as_bytes(), EntryKind::Dir);
    b.set_size(id, 0, Some(bytes));
    b.set_mark(id, mark);
    id
}

/// Eliminated bytes as bucket → owner → file, biggest first. Sizes are in
/// column 0 (BEFORE); group nodes carry their totals directly.
pub fn eliminated_tree(cmp: &Comparison) -> UiTree {
    let mut b = UiTreeBuilder::new(1);
    bucket_groups(
        &mut b,
        0,
        cmp,
        &cmp.before,
        &cmp.eliminated,
        |_, f| f.status == Status::Eliminated,
        Mark::Eliminated,
        "",
    );
    b.finish_groups()
}

/// Under `parent`: a group per bucket of `totals`, an owner group per
/// share, and the files of `side` that `include` picks, biggest first.
/// `totals` must have been counted over the same files.
#[allow(clippy::too_many_arguments)]
pub(super) fn bucket_groups(
    b: &mut UiTreeBuilder,
    parent: u32,
    cmp: &Comparison,
    side: &Side,
    totals: &[crate::analysis::BucketTotal],
    include: impl Fn(NodeId, &PathFacts) -> bool,
    mark: Mark,
    prefix: &str,
) {
    // Files of each (bucket, owner), from the per-path facts.
    let mut files: HashMap<(Bucket, Option<u32>), Vec<NodeId>> = HashMap::new();
    for id in side.tree.iter() {
        let n = side.tree.node(id);
        let f = side.facts(id);
        if n.kind != EntryKind::Dir && include(id, f) {
            files.entry((f.bucket, f.owner)).or_default().push(id);
        }
    }
    for total in totals {
        if total.bytes == 0 && total.files == 0 {
            continue;
        }
        let label = format!("{prefix}{} · {}", total.bucket, count_files(total.files));
        let g = group(b, parent, &label, total.bytes, mark);
        for share in &total.owners {
            let name = format!(
                "{} · {}",
                cmp.owner_label_noted(share.owner),
                count_files(share.files)
            );
            let o = group(b, g, &name, share.bytes, mark);
            let mut list = files
                .remove(&(total.bucket, share.owner))
                .unwrap_or_default();
            list.sort_by_key(|&id| std::cmp::Reverse(side.tree.size(id)));
            for id in list {
                let n = side.tree.node(id);
                let mut path = b"/".to_vec();
                path.extend_from_slice(&side.tree.path_of(id));
                let f = b.push_child(o, &path, n.kind);
                b.set_size(f, 0, Some(n.size));
                b.set_mark(f, mark);
                b.set_origin(f, 0, Some(id));
            }
        }
    }
}

/// What AFTER still ships: audit findings by kind; when AFTER's closure is
/// known, what its entrypoint needs and what it never uses; then AFTER's
/// bytes by bucket, owner and file.
pub fn audit_tree(cmp: &Comparison) -> UiTree {
    let mut b = UiTreeBuilder::new(1);
    let mut kinds: Vec<_> = cmp.findings.iter().map(|f| f.kind).collect();
    kinds.dedup();
    for kind in kinds {
        let of_kind: Vec<_> = cmp.findings.iter().filter(|f| f.kind == kind).collect();
        let bytes = of_kind.iter().map(|f| f.bytes).sum();
        let label = format!("finding: {} · {}", kind.as_str(), of_kind.len());
        let g = group(&mut b, 0, &label, bytes, Mark::Changed);
        for f in of_kind {
            let path = {
                let mut p = b"/".to_vec();
                p.extend_from_slice(&cmp.after.tree.path_of(f.node));
                p
            };
            let id = b.push_child(g, &path, cmp.after.tree.kind(f.node));
            b.set_size(id, 0, Some(f.bytes));
            b.set_mark(id, Mark::Changed);
            b.set_origin(id, 0, Some(f.node));
            // No detail, no badge (an empty `[]` says nothing).
            let detail = (!f.detail.trim().is_empty()).then_some(f.detail.as_str());
            b.set_badge(id, detail, true);
        }
    }
    if let (Some(unused), Some(closure)) = (&cmp.unused, &cmp.after_closure) {
        // AFTER split by its entrypoint's closure: what it needs, by part,
        // and what it never uses, by bucket → owner → file.
        let needed = needed_bytes(cmp).unwrap_or(0);
        let label = format!(
            "needed by the entrypoint · {}",
            crate::format::plural(closure.items.len() as u64, "path", "paths")
        );
        let g = group(&mut b, 0, &label, needed, Mark::Plain);
        super::plan::part_groups(&mut b, g, closure, &cmp.after.tree);
        let label = format!("never used · {}", count_files(unused.files));
        let g = group(&mut b, 0, &label, unused.bytes, Mark::Eliminated);
        bucket_groups(
            &mut b,
            g,
            cmp,
            &cmp.after,
            &unused.buckets,
            |id, _| !closure.contains(id),
            Mark::Eliminated,
            "",
        );
    }
    // What ships, by bucket → owner → file: each owner opens on its files,
    // as the Eliminated view's do.
    bucket_groups(
        &mut b,
        0,
        cmp,
        &cmp.after,
        &cmp.shipped,
        |_, _| true,
        Mark::Plain,
        "ships: ",
    );
    b.finish_groups()
}

/// Bytes of AFTER its entrypoint uses (optional files too: the rest is
/// what it never uses), when its closure is known.
pub fn needed_bytes(cmp: &Comparison) -> Option<u64> {
    let c = cmp.after_closure.as_ref()?;
    Some(c.items.keys().map(|&id| cmp.after.tree.size(id)).sum())
}

pub(super) fn count_files(n: u32) -> String {
    crate::format::plural(u64::from(n), "file", "files")
}

pub fn build(cmp: &Comparison) -> CompareViews {
    CompareViews {
        union: union_tree(cmp),
        eliminated: eliminated_tree(cmp),
        audit: audit_tree(cmp),
        overview: super::overview::PairOverview::of(cmp),
    }
}
