//! The tree the TUI shows: one arena of rows-to-be, each with a size per
//! side (BEFORE, AFTER) and a status mark, built from the engine's
//! [`FileTree`], from one layer's changes, or from the comparison. The TUI
//! only ever walks the visible part of it ([`flatten`]).

use crate::image::entry::{split_parent, EntryKind};
use crate::tree::{ChangeStatus, FileTree, LayerChange, Name, NodeId, ROOT};
use std::collections::HashMap;

/// How a row is marked; one palette for comparison statuses and per-layer
/// changes (a layer's deletion is shown like an eliminated path).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Mark {
    #[default]
    Plain,
    Carried,
    Eliminated,
    Changed,
    Added,
    Moved,
    /// A directory whose subtree mixes statuses (some eliminated, some
    /// carried, ...).
    Mixed,
}

impl Mark {
    /// The character that keeps the status readable without colour.
    pub fn symbol(self) -> char {
        match self {
            Mark::Plain => ' ',
            Mark::Carried => '=',
            Mark::Eliminated => '-',
            Mark::Changed => '~',
            Mark::Added => '+',
            Mark::Moved => '>',
            Mark::Mixed => '*',
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mark::Plain => "",
            Mark::Carried => "carried",
            Mark::Eliminated => "eliminated",
            Mark::Changed => "changed",
            Mark::Added => "added",
            Mark::Moved => "moved",
            Mark::Mixed => "mixed",
        }
    }

    /// The name in one image's layer terms: what a layer did to a path.
    pub fn layer_name(self) -> &'static str {
        match self {
            Mark::Carried => "unchanged",
            Mark::Eliminated => "deleted",
            Mark::Changed => "modified",
            m => m.name(),
        }
    }

    pub fn from_change(s: ChangeStatus) -> Mark {
        match s {
            ChangeStatus::Added => Mark::Added,
            ChangeStatus::Modified => Mark::Changed,
            ChangeStatus::Deleted => Mark::Eliminated,
            ChangeStatus::Unchanged => Mark::Carried,
        }
    }
}

/// One node of the shown tree.
#[derive(Clone, Debug)]
pub struct UiNode {
    /// Inline up to 22 bytes, like the engine's: a million rows are not a
    /// million small heap blocks.
    pub name: Name,
    pub parent: u32,
    /// Sorted by name (after [`UiTreeBuilder::finish`]).
    pub children: Vec<u32>,
    pub kind: EntryKind,
    /// Rolled-up bytes per side; `None` where the path does not exist.
    pub size: [Option<u64>; 2],
    pub mark: Mark,
    /// Bucket and owner, e.g. `toolchain Go 1.19`.
    pub badge: Option<Box<str>>,
    /// The node in each side's engine tree, for the details pane.
    pub origin: [Option<NodeId>; 2],
    /// The name / the badge is the analysis' text, whose image strings it
    /// escaped already: shown with controls escaped but backslashes kept
    /// (escaping twice would double them).
    pub name_escaped: bool,
    pub badge_escaped: bool,
}

impl UiNode {
    /// The name, safe for the terminal.
    pub fn shown_name(&self) -> std::borrow::Cow<'_, str> {
        if self.name_escaped {
            match String::from_utf8_lossy(&self.name) {
                std::borrow::Cow::Borrowed(s) => crate::escape::line(s),
                std::borrow::Cow::Owned(s) => {
                    std::borrow::Cow::Owned(crate::escape::line(&s).into_owned())
                }
            }
        } else {
            crate::escape::escape_bytes(&self.name)
        }
    }

    /// The badge, safe for the terminal; `None` when it would be blank.
    pub fn shown_badge(&self) -> Option<std::borrow::Cow<'_, str>> {
        let b = self.badge.as_deref().filter(|b| !b.trim().is_empty())?;
        Some(if self.badge_escaped {
            crate::escape::line(b)
        } else {
            crate::escape::escape_str(b)
        })
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }

    /// The larger of the two sides: what "sort by size" orders by.
    pub fn weight(&self) -> u64 {
        self.size[0].unwrap_or(0).max(self.size[1].unwrap_or(0))
    }
}

/// The shown tree. Node 0 is the root and is never drawn.
#[derive(Clone, Debug)]
pub struct UiTree {
    pub nodes: Vec<UiNode>,
    /// Whether the tree has an AFTER side (comparison) or one image only.
    pub sides: usize,
}

impl UiTree {
    pub fn node(&self, id: u32) -> &UiNode {
        &self.nodes[id as usize]
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.len() <= 1
    }

    pub fn path_of(&self, id: u32) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != 0 {
            parts.push(&*self.nodes[cur as usize].name);
            cur = self.nodes[cur as usize].parent;
        }
        parts.reverse();
        parts.join(&b'/')
    }

    pub fn lookup(&self, path: &[u8]) -> Option<u32> {
        let mut cur = 0u32;
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            let kids = &self.nodes[cur as usize].children;
            let i = kids
                .binary_search_by(|&c| (*self.nodes[c as usize].name).cmp(comp))
                .ok()?;
            cur = kids[i];
        }
        Some(cur)
    }

    /// The whole filesystem of one image, unmarked.
    pub fn from_file_tree(tree: &FileTree) -> UiTree {
        let mut b = UiTreeBuilder::new(1);
        // Engine id → shown id, indexed by the engine id (an arena index):
        // a hash map here was a third of a million-node layer step.
        let mut ids: Vec<u32> = vec![0; ROOT as usize + 1];
        for id in tree.iter() {
            let n = tree.node(id);
            let parent = ids.get(n.parent as usize).copied().unwrap_or(0);
            let ui = b.push_child(parent, n.name, n.kind);
            let node = &mut b.nodes[ui as usize];
            node.size[0] = Some(n.size);
            node.origin[0] = Some(id);
            if ids.len() <= id as usize {
                ids.resize(id as usize + 1, 0);
            }
            ids[id as usize] = ui;
        }
        b.finish()
    }

    /// One layer's own changes: what it added, modified, deleted or
    /// rewrote unchanged; `after` is the filesystem after that layer.
    pub fn from_changes(changes: &[LayerChange], after: &FileTree) -> UiTree {
        let mut b = UiTreeBuilder::new(1);
        for c in changes {
            let path = after.path_of(c.node);
            let id = b.insert(&path, c.kind);
            let n = &mut b.nodes[id as usize];
            n.mark = Mark::from_change(c.status);
            n.size[0] = Some(
                if c.kind == EntryKind::Dir && c.status != ChangeStatus::Deleted {
                    0
                } else {
                    c.size
                },
            );
            if c.status != ChangeStatus::Deleted {
                n.origin[0] = after.lookup(&path);
            }
        }
        b.finish()
    }
}

/// Builds a [`UiTree`] from paths in any order; parents are implied.
pub struct UiTreeBuilder {
    pub nodes: Vec<UiNode>,
    sides: usize,
    index: HashMap<(u32, Box<[u8]>), u32>,
}

impl UiTreeBuilder {
    pub fn new(sides: usize) -> Self {
        UiTreeBuilder {
            nodes: vec![UiNode {
                name: Name::new(b""),
                parent: 0,
                children: Vec::new(),
                kind: EntryKind::Dir,
                size: [None; 2],
                mark: Mark::Plain,
                badge: None,
                origin: [None; 2],
                name_escaped: false,
                badge_escaped: false,
            }],
            sides,
            index: HashMap::new(),
        }
    }

    /// Adds a child without checking for an existing one (for sources that
    /// already hold unique names).
    pub fn push_child(&mut self, parent: u32, name: &[u8], kind: EntryKind) -> u32 {
        let id = self.nodes.len() as u32;
        self.nodes.push(UiNode {
            name: Name::new(name),
            parent,
            children: Vec::new(),
            kind,
            size: [None; 2],
            mark: Mark::Plain,
            badge: None,
            origin: [None; 2],
            name_escaped: false,
            badge_escaped: false,
        });
        self.nodes[parent as usize].children.push(id);
        id
    }

    fn child(&mut self, parent: u32, name: &[u8], kind: EntryKind) -> u32 {
        if let Some(&id) = self.index.get(&(parent, Box::from(name))) {
            return id;
        }
        let id = self.push_child(parent, name, kind);
        self.index.insert((parent, name.into()), id);
        id
    }

    /// The node for `path` (created with implied parent directories); its
    /// kind is set to `kind`.
    pub fn insert(&mut self, path: &[u8], kind: EntryKind) -> u32 {
        if path.is_empty() {
            return 0;
        }
        let (parent_path, name) = split_parent(path);
        let mut cur = 0;
        for comp in parent_path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            cur = self.child(cur, comp, EntryKind::Dir);
        }
        let id = self.child(cur, name, kind);
        self.nodes[id as usize].kind = kind;
        id
    }

    /// Sorts children by name and rolls directory sizes up.
    pub fn finish(mut self) -> UiTree {
        // Sorted in place (no copy of every name); the engine tree hands
        // its children over in name order already.
        for i in 0..self.nodes.len() {
            let mut kids = std::mem::take(&mut self.nodes[i].children);
            let name = |id: u32| &*self.nodes[id as usize].name;
            if !kids.is_sorted_by(|&a, &b| name(a) <= name(b)) {
                kids.sort_unstable_by(|&a, &b| name(a).cmp(name(b)));
            }
            self.nodes[i].children = kids;
        }
        // Children are always created after their parent: reverse id order
        // is a post-order.
        for id in (1..self.nodes.len()).rev() {
            let (parent, size) = (self.nodes[id].parent as usize, self.nodes[id].size);
            for (side, s) in size.iter().enumerate() {
                if let Some(s) = s {
                    let p = &mut self.nodes[parent].size[side];
                    *p = Some(p.unwrap_or(0) + s);
                }
            }
        }
        UiTree {
            nodes: self.nodes,
            sides: self.sides,
        }
    }
}

/// Row order within a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Name,
    Size,
}

/// Which statuses the tree keeps (`f` cycles through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StatusFilter {
    #[default]
    All,
    Eliminated,
    Changed,
    Added,
    Moved,
}

impl StatusFilter {
    pub fn next(self) -> StatusFilter {
        match self {
            StatusFilter::All => StatusFilter::Eliminated,
            StatusFilter::Eliminated => StatusFilter::Changed,
            StatusFilter::Changed => StatusFilter::Added,
            StatusFilter::Added => StatusFilter::Moved,
            StatusFilter::Moved => StatusFilter::All,
        }
    }

    /// The next filter for one image's layer changes, which are added,
    /// changed or deleted, never moved.
    pub fn next_in_layer(self) -> StatusFilter {
        match self.next() {
            StatusFilter::Moved => StatusFilter::All,
            s => s,
        }
    }

    pub fn mark(self) -> Option<Mark> {
        match self {
            StatusFilter::All => None,
            StatusFilter::Eliminated => Some(Mark::Eliminated),
            StatusFilter::Changed => Some(Mark::Changed),
            StatusFilter::Added => Some(Mark::Added),
            StatusFilter::Moved => Some(Mark::Moved),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StatusFilter::All => "all",
            s => s.mark().map(Mark::name).unwrap_or("all"),
        }
    }
}

/// The change types hidden by dive's toggles (ctrl+a added, ctrl+r
/// removed, ctrl+m modified, ctrl+u unmodified); nothing hidden by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Hidden(u8);

impl Hidden {
    /// The marks the toggles are about, in the order titles list them.
    pub const TOGGLED: [Mark; 4] = [Mark::Added, Mark::Eliminated, Mark::Changed, Mark::Carried];

    fn bit(m: Mark) -> u8 {
        Hidden::TOGGLED
            .iter()
            .position(|&t| t == m)
            .map_or(0, |i| 1 << i)
    }

    /// Shows `m` if it was hidden, hides it otherwise.
    pub fn toggle(&mut self, m: Mark) {
        self.0 ^= Hidden::bit(m);
    }

    pub fn hides(self, m: Mark) -> bool {
        self.0 & Hidden::bit(m) != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The hidden marks, in [`Hidden::TOGGLED`] order.
    pub fn marks(self) -> impl Iterator<Item = Mark> {
        Hidden::TOGGLED.into_iter().filter(move |&m| self.hides(m))
    }
}

/// One visible row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Row {
    pub id: u32,
    pub depth: u16,
    /// The last child of its parent (draws `└`).
    pub last: bool,
    /// Bit `d` set: the ancestor at depth `d` has siblings below (draws `│`).
    pub guides: u64,
}

/// Which nodes survive a path filter, a status filter and the hidden
/// change types: a node is kept when it matches all three, or when
/// anything below it is kept. `None` when nothing filters.
pub fn keep_set(
    tree: &UiTree,
    text: &str,
    status: StatusFilter,
    hidden: Hidden,
) -> Option<Vec<bool>> {
    let want = status.mark();
    if text.is_empty() && want.is_none() && hidden.is_empty() {
        return None;
    }
    let needle = text.to_ascii_lowercase().into_bytes();
    let mut keep = vec![false; tree.nodes.len()];
    // Depth-first with one path buffer, to test each full path once.
    let mut path: Vec<u8> = Vec::with_capacity(256);
    let mut stack: Vec<(u32, usize)> = tree.nodes[0]
        .children
        .iter()
        .rev()
        .map(|&c| (c, 0))
        .collect();
    while let Some((id, plen)) = stack.pop() {
        let n = &tree.nodes[id as usize];
        path.truncate(plen);
        path.push(b'/');
        path.extend_from_slice(&n.name);
        let text_ok = needle.is_empty() || contains_ci(&path, &needle);
        // With change types hidden, a directory that only sums up what is
        // below it (unmarked, or mixed) stays only for what stays below.
        let summary_dir = !hidden.is_empty()
            && !n.children.is_empty()
            && matches!(n.mark, Mark::Plain | Mark::Mixed);
        let status_ok = want.is_none_or(|m| n.mark == m) && !hidden.hides(n.mark) && !summary_dir;
        keep[id as usize] = text_ok && status_ok;
        let len = path.len();
        stack.extend(n.children.iter().rev().map(|&c| (c, len)));
    }
    for id in (1..tree.nodes.len()).rev() {
        if keep[id] {
            keep[tree.nodes[id].parent as usize] = true;
        }
    }
    keep[0] = true;
    Some(keep)
}

fn contains_ci(hay: &[u8], needle_lower: &[u8]) -> bool {
    if needle_lower.len() > hay.len() {
        return false;
    }
    hay.windows(needle_lower.len()).any(|w| {
        w.iter()
            .zip(needle_lower)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    })
}

/// The visible rows: expanded directories' children, kept by `keep`, in
/// `sort` order.
pub fn flatten(tree: &UiTree, expanded: &[bool], keep: Option<&[bool]>, sort: Sort) -> Vec<Row> {
    let mut rows = Vec::new();
    let kids = |id: u32| -> Vec<u32> {
        let mut k: Vec<u32> = tree.nodes[id as usize]
            .children
            .iter()
            .copied()
            .filter(|&c| keep.is_none_or(|k| k[c as usize]))
            .collect();
        if sort == Sort::Size {
            k.sort_by_key(|&c| std::cmp::Reverse(tree.node(c).weight()));
        }
        k
    };
    // Stack of (children, next index, guides of that level).
    let mut stack: Vec<(Vec<u32>, usize)> = vec![(kids(0), 0)];
    let mut guides: u64 = 0;
    while let Some((list, i)) = stack.last_mut() {
        if *i >= list.len() {
            stack.pop();
            continue;
        }
        let id = list[*i];
        *i += 1;
        let last = *i == list.len();
        let depth = (stack.len() - 1) as u16;
        if depth < 64 {
            if last {
                guides &= !(1u64 << depth);
            } else {
                guides |= 1u64 << depth;
            }
        }
        let mask = if depth == 0 {
            0
        } else {
            guides & ((1u64 << depth.min(63)) - 1)
        };
        rows.push(Row {
            id,
            depth,
            last,
            guides: mask,
        });
        let n = tree.node(id);
        if !n.children.is_empty() && expanded[id as usize] {
            stack.push((kids(id), 0));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> UiTree {
        let mut b = UiTreeBuilder::new(2);
        for (p, k, s, m) in [
            (
                &b"usr/bin/go"[..],
                EntryKind::File,
                [Some(100), None],
                Mark::Eliminated,
            ),
            (
                b"usr/bin/app",
                EntryKind::File,
                [Some(10), Some(10)],
                Mark::Carried,
            ),
            (
                b"etc/passwd",
                EntryKind::File,
                [Some(1), Some(2)],
                Mark::Changed,
            ),
            (b"app", EntryKind::File, [None, Some(5)], Mark::Added),
        ] {
            let id = b.insert(p, k);
            b.nodes[id as usize].size = s;
            b.nodes[id as usize].mark = m;
        }
        b.finish()
    }

    #[test]
    fn a_blank_badge_is_no_badge() {
        let mut t = sample();
        let n = &mut t.nodes[1];
        for (b, escaped) in [("", false), ("  ", true)] {
            n.badge = Some(b.into());
            n.badge_escaped = escaped;
            assert_eq!(n.shown_badge(), None, "{b:?}");
        }
        n.badge = Some("toolchain Headers and static libraries".into());
        assert_eq!(
            n.shown_badge().as_deref(),
            Some("toolchain Headers and static libraries")
        );
    }

    #[test]
    fn builder_implies_parents_and_rolls_up() {
        let t = sample();
        let usr = t.lookup(b"usr").unwrap();
        assert_eq!(t.node(usr).size, [Some(110), Some(10)]);
        assert_eq!(t.node(0).size, [Some(111), Some(17)]);
        assert_eq!(t.path_of(t.lookup(b"usr/bin/go").unwrap()), b"usr/bin/go");
        let names: Vec<&[u8]> = t
            .node(0)
            .children
            .iter()
            .map(|&c| &*t.node(c).name)
            .collect();
        assert_eq!(names, vec![&b"app"[..], b"etc", b"usr"]);
    }

    #[test]
    fn flatten_follows_expansion_sort_and_filter() {
        let t = sample();
        let mut expanded = vec![false; t.len()];
        expanded[0] = true;
        let rows = flatten(&t, &expanded, None, Sort::Name);
        assert_eq!(rows.len(), 3);
        expanded.iter_mut().for_each(|e| *e = true);
        let rows = flatten(&t, &expanded, None, Sort::Name);
        assert_eq!(rows.len(), 7);
        let by_size = flatten(&t, &expanded, None, Sort::Size);
        assert_eq!(t.node(by_size[0].id).name.as_ref(), b"usr");
        let keep = keep_set(&t, "", StatusFilter::Eliminated, Hidden::default()).unwrap();
        let rows = flatten(&t, &expanded, Some(&keep), Sort::Name);
        let paths: Vec<Vec<u8>> = rows.iter().map(|r| t.path_of(r.id)).collect();
        assert_eq!(
            paths,
            vec![b"usr".to_vec(), b"usr/bin".to_vec(), b"usr/bin/go".to_vec()]
        );
        let keep = keep_set(&t, "PASS", StatusFilter::All, Hidden::default()).unwrap();
        let rows = flatten(&t, &expanded, Some(&keep), Sort::Name);
        assert_eq!(rows.len(), 2);
    }

    #[test]
    fn hidden_change_types_drop_out_and_their_ancestors_stay() {
        let t = sample();
        let expanded = vec![true; t.len()];
        let paths = |hidden: Hidden| -> Vec<String> {
            let keep = keep_set(&t, "", StatusFilter::All, hidden);
            flatten(&t, &expanded, keep.as_deref(), Sort::Name)
                .iter()
                .map(|r| String::from_utf8_lossy(&t.path_of(r.id)).into_owned())
                .collect()
        };
        assert_eq!(keep_set(&t, "", StatusFilter::All, Hidden::default()), None);
        let mut h = Hidden::default();
        h.toggle(Mark::Eliminated);
        assert_eq!(
            paths(h),
            ["app", "etc", "etc/passwd", "usr", "usr/bin", "usr/bin/app"]
        );
        h.toggle(Mark::Carried);
        assert_eq!(paths(h), ["app", "etc", "etc/passwd"]);
        h.toggle(Mark::Added);
        h.toggle(Mark::Changed);
        assert!(paths(h).is_empty());
        assert_eq!(h.marks().count(), 4);
        // A second toggle shows them again.
        h.toggle(Mark::Eliminated);
        assert_eq!(paths(h), ["usr", "usr/bin", "usr/bin/go"]);
        // The status filter and the toggles both apply.
        let keep = keep_set(&t, "", StatusFilter::Eliminated, h).unwrap();
        assert!(keep[t.lookup(b"usr/bin/go").unwrap() as usize]);
        let keep = keep_set(&t, "", StatusFilter::Added, h).unwrap();
        assert!(!keep[t.lookup(b"app").unwrap() as usize]);
    }

    #[test]
    fn guides_mark_open_ancestors() {
        let t = sample();
        let expanded = vec![true; t.len()];
        let rows = flatten(&t, &expanded, None, Sort::Name);
        // etc/passwd: etc is not last at depth 0, so its guide bit is set.
        let passwd = rows
            .iter()
            .find(|r| t.node(r.id).name.as_ref() == b"passwd")
            .unwrap();
        assert_eq!(passwd.guides & 1, 1);
        let go = rows
            .iter()
            .find(|r| t.node(r.id).name.as_ref() == b"go")
            .unwrap();
        assert_eq!(go.guides & 1, 0);
        assert!(go.last);
    }
}
