//! The tree the TUI shows: one arena of rows-to-be, each with a size per
//! side (BEFORE, AFTER) and a status mark, built from the engine's
//! [`FileTree`], from one layer's changes, or from the comparison. The TUI
//! only ever walks the visible part of it ([`flatten`]).

use crate::image::entry::{split_parent, EntryKind};
use crate::tree::{ChangeStatus, FileTree, LayerChange, NodeId, ROOT};
use std::collections::HashMap;
use std::sync::Arc;

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

/// One node of the shown tree: a view into the [`UiTree`]'s columns, made
/// on each [`UiTree::node`] call (cheap: a handful of loads).
#[derive(Clone, Copy, Debug)]
pub struct UiNode<'a> {
    pub name: &'a [u8],
    pub parent: u32,
    /// Sorted by name (after [`UiTreeBuilder::finish`]), or biggest first
    /// in a tree of groups.
    pub children: &'a [u32],
    pub kind: EntryKind,
    /// Rolled-up bytes per side; `None` where the path does not exist.
    pub size: [Option<u64>; 2],
    pub mark: Mark,
    /// Bucket and owner, e.g. `toolchain Go 1.19`.
    pub badge: Option<&'a str>,
    /// The node in each side's engine tree, for the details pane.
    pub origin: [Option<NodeId>; 2],
    /// The name / the badge is the analysis' text, whose image strings it
    /// escaped already: shown with controls escaped but backslashes kept
    /// (escaping twice would double them).
    pub name_escaped: bool,
    pub badge_escaped: bool,
}

impl<'a> UiNode<'a> {
    /// The name, safe for the terminal.
    pub fn shown_name(&self) -> std::borrow::Cow<'a, str> {
        if self.name_escaped {
            match String::from_utf8_lossy(self.name) {
                std::borrow::Cow::Borrowed(s) => crate::escape::line(s),
                std::borrow::Cow::Owned(s) => {
                    std::borrow::Cow::Owned(crate::escape::line(&s).into_owned())
                }
            }
        } else {
            crate::escape::escape_bytes(self.name)
        }
    }

    /// The badge, safe for the terminal; `None` when it would be blank.
    pub fn shown_badge(&self) -> Option<std::borrow::Cow<'a, str>> {
        let b = self.badge.filter(|b| !b.trim().is_empty())?;
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

/// Kind, mark and flags of a row, three bytes.
#[derive(Clone, Copy, Debug)]
struct Meta {
    kind: EntryKind,
    mark: Mark,
    /// [`SIZE0`], [`SIZE1`], [`NAME_ESCAPED`], [`BADGE_ESCAPED`].
    flags: u8,
}

const SIZE0: u8 = 1;
const SIZE1: u8 = 2;
const NAME_ESCAPED: u8 = 4;
const BADGE_ESCAPED: u8 = 8;

/// No engine node: the origin column's sentinel (engine ids are arena
/// indices, far below it).
const NO_ORIGIN: u32 = u32::MAX;

/// The rows of a tree as columns (a million rows are ~40 bytes each, not
/// a struct with a `Vec` of children and a heap name each): names in one
/// byte arena, children as one list with a start per row, sizes and
/// origins only for the sides the tree has, badges interned. Shared by the
/// builder, which fills every column but the children.
#[derive(Clone, Debug, Default)]
struct Columns {
    parent: Vec<u32>,
    /// The engine tree every row but the root comes from, when the tree
    /// is one image's filesystem: names are read through side 0's origin
    /// (a million names not copied), and `name_end` holds the root's only.
    engine: Option<Arc<FileTree>>,
    /// Row `i`'s name is `names[name_end[i - 1]..name_end[i]]` (from 0
    /// for row 0).
    name_end: Vec<u32>,
    names: Vec<u8>,
    meta: Vec<Meta>,
    /// One column per side the tree has; a row's value counts only with
    /// its `SIZE*` flag.
    size: [Vec<u64>; 2],
    /// One column per side that has origins; [`NO_ORIGIN`] for none.
    origin: [Vec<u32>; 2],
    /// Empty until a row has a badge; then 1 + an index into `badges`, 0
    /// for none.
    badge: Vec<u32>,
    badges: Vec<Box<str>>,
}

impl Columns {
    /// Columns holding the root row, room for `rows` and `name_bytes`.
    fn with_capacity(rows: usize, name_bytes: usize) -> Columns {
        let mut c = Columns {
            parent: Vec::with_capacity(rows),
            name_end: Vec::with_capacity(rows),
            names: Vec::with_capacity(name_bytes),
            meta: Vec::with_capacity(rows),
            ..Columns::default()
        };
        c.push(0, b"", EntryKind::Dir);
        c
    }

    /// Starts the size and origin columns of `side` (they start when a row
    /// first has a value there), with room for `rows`.
    fn open_side(&mut self, side: usize, rows: usize) {
        let n = self.len();
        let col = &mut self.size[side];
        if col.is_empty() {
            col.reserve_exact(rows.saturating_sub(n));
            col.resize(n, 0);
        }
        let col = &mut self.origin[side];
        if col.is_empty() {
            col.reserve_exact(rows.saturating_sub(n));
            col.resize(n, NO_ORIGIN);
        }
    }

    fn len(&self) -> usize {
        self.parent.len()
    }

    fn name(&self, id: u32) -> &[u8] {
        if let Some(engine) = self.engine.as_ref().filter(|_| id != 0) {
            let origin = self.origin[0][id as usize];
            return engine.name(origin);
        }
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.name_end[i - 1] };
        &self.names[start as usize..self.name_end[i] as usize]
    }

    /// A new row; its name is cut short rather than let the arena pass
    /// 4 GiB (no image that loads has that many bytes of names).
    fn push(&mut self, parent: u32, name: &[u8], kind: EntryKind) -> u32 {
        let id = self.len() as u32;
        if self.engine.is_none() {
            let room = (u32::MAX as usize).saturating_sub(self.names.len());
            self.names.extend_from_slice(&name[..name.len().min(room)]);
            self.name_end.push(self.names.len() as u32);
        }
        self.parent.push(parent);
        self.meta.push(Meta {
            kind,
            mark: Mark::Plain,
            flags: 0,
        });
        // Columns not started yet stay empty (see `open_side`).
        for s in 0..2 {
            if !self.size[s].is_empty() {
                self.size[s].push(0);
            }
            if !self.origin[s].is_empty() {
                self.origin[s].push(NO_ORIGIN);
            }
        }
        if !self.badge.is_empty() {
            self.badge.push(0);
        }
        id
    }

    fn size(&self, id: u32, side: usize) -> Option<u64> {
        let bit = if side == 0 { SIZE0 } else { SIZE1 };
        (self.meta[id as usize].flags & bit != 0).then(|| self.size[side][id as usize])
    }

    fn set_size(&mut self, id: u32, side: usize, size: Option<u64>) {
        let side = side.min(1);
        let bit = if side == 0 { SIZE0 } else { SIZE1 };
        let m = &mut self.meta[id as usize];
        match size {
            Some(s) => {
                m.flags |= bit;
                if self.size[side].is_empty() {
                    self.size[side].resize(self.parent.len(), 0);
                }
                self.size[side][id as usize] = s;
            }
            None => m.flags &= !bit,
        }
    }

    fn origin(&self, id: u32, side: usize) -> Option<NodeId> {
        let o = *self.origin.get(side)?.get(id as usize)?;
        (o != NO_ORIGIN).then_some(o)
    }

    fn set_origin(&mut self, id: u32, side: usize, origin: Option<NodeId>) {
        let side = side.min(1);
        if self.origin[side].is_empty() {
            if origin.is_none() {
                return;
            }
            self.origin[side].resize(self.parent.len(), NO_ORIGIN);
        }
        self.origin[side][id as usize] = origin.unwrap_or(NO_ORIGIN);
    }

    fn set_flag(&mut self, id: u32, bit: u8, on: bool) {
        let f = &mut self.meta[id as usize].flags;
        if on {
            *f |= bit;
        } else {
            *f &= !bit;
        }
    }

    fn badge(&self, id: u32) -> Option<&str> {
        let b = *self.badge.get(id as usize)?;
        let i = b.checked_sub(1)?;
        self.badges.get(i as usize).map(|b| &**b)
    }
}

/// The shown tree. Node 0 is the root and is never drawn. Immutable once
/// built: [`UiTreeBuilder::finish`] lays the children out once.
#[derive(Clone, Debug)]
pub struct UiTree {
    cols: Columns,
    /// Row `i`'s children are `kids[kid_start[i]..kid_start[i + 1]]`.
    kid_start: Vec<u32>,
    kids: Vec<u32>,
    /// Whether the tree has an AFTER side (comparison) or one image only.
    pub sides: usize,
}

impl UiTree {
    pub fn node(&self, id: u32) -> UiNode<'_> {
        let c = &self.cols;
        let m = c.meta[id as usize];
        UiNode {
            name: c.name(id),
            parent: c.parent[id as usize],
            children: self.children(id),
            kind: m.kind,
            size: [c.size(id, 0), c.size(id, 1)],
            mark: m.mark,
            badge: c.badge(id),
            origin: [c.origin(id, 0), c.origin(id, 1)],
            name_escaped: m.flags & NAME_ESCAPED != 0,
            badge_escaped: m.flags & BADGE_ESCAPED != 0,
        }
    }

    pub fn children(&self, id: u32) -> &[u32] {
        let i = id as usize;
        &self.kids[self.kid_start[i] as usize..self.kid_start[i + 1] as usize]
    }

    pub fn parent(&self, id: u32) -> u32 {
        self.cols.parent[id as usize]
    }

    pub fn name(&self, id: u32) -> &[u8] {
        self.cols.name(id)
    }

    pub fn mark(&self, id: u32) -> Mark {
        self.cols.meta[id as usize].mark
    }

    /// [`UiNode::weight`] without the rest of the node.
    pub fn weight(&self, id: u32) -> u64 {
        let c = &self.cols;
        c.size(id, 0).unwrap_or(0).max(c.size(id, 1).unwrap_or(0))
    }

    pub fn len(&self) -> usize {
        self.cols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// Bytes the tree holds, for the benchmarks that watch it.
    pub fn heap_bytes(&self) -> usize {
        let c = &self.cols;
        c.parent.capacity() * 4
            + c.name_end.capacity() * 4
            + c.names.capacity()
            + c.meta.capacity() * std::mem::size_of::<Meta>()
            + c.size.iter().map(|s| s.capacity() * 8).sum::<usize>()
            + c.origin.iter().map(|o| o.capacity() * 4).sum::<usize>()
            + c.badge.capacity() * 4
            + c.badges.iter().map(|b| b.len() + 16).sum::<usize>()
            + (self.kid_start.capacity() + self.kids.capacity()) * 4
    }

    pub fn path_of(&self, id: u32) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != 0 {
            parts.push(self.name(cur));
            cur = self.parent(cur);
        }
        parts.reverse();
        parts.join(&b'/')
    }

    pub fn lookup(&self, path: &[u8]) -> Option<u32> {
        let mut cur = 0u32;
        for comp in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            let kids = self.children(cur);
            let i = kids.binary_search_by(|&c| self.name(c).cmp(comp)).ok()?;
            cur = kids[i];
        }
        Some(cur)
    }

    /// The whole filesystem of one image, unmarked. Its names stay in
    /// `tree`, which the rows keep.
    pub fn from_file_tree(tree: &Arc<FileTree>) -> UiTree {
        // Sized once: a million rows grown by doubling would peak at
        // twice their size.
        let rows = 1 + tree.iter().count();
        let mut b = UiTreeBuilder {
            cols: Columns::with_capacity(rows, 0),
            sides: 1,
            index: HashMap::new(),
            badge_index: HashMap::new(),
        };
        b.cols.engine = Some(Arc::clone(tree));
        b.cols.open_side(0, rows);
        // Engine id → shown id, indexed by the engine id (an arena index):
        // a hash map here was a third of a million-node layer step.
        let mut ids: Vec<u32> = vec![0; ROOT as usize + 1];
        for id in tree.iter() {
            let parent = ids.get(tree.parent(id) as usize).copied().unwrap_or(0);
            let ui = b.cols.push(parent, b"", tree.kind(id));
            b.cols.set_size(ui, 0, Some(tree.size(id)));
            b.cols.set_origin(ui, 0, Some(id));
            if ids.len() <= id as usize {
                ids.resize(id as usize + 1, 0);
            }
            ids[id as usize] = ui;
        }
        drop(ids);
        b.finish()
    }

    /// One layer's own changes: what it added, modified, deleted or
    /// rewrote unchanged; `after` is the filesystem after that layer.
    pub fn from_changes(changes: &[LayerChange], after: &FileTree) -> UiTree {
        let mut b = UiTreeBuilder::new(1);
        for c in changes {
            let path = after.path_of(c.node);
            let id = b.insert(&path, c.kind);
            b.set_mark(id, Mark::from_change(c.status));
            b.set_size(
                id,
                0,
                Some(
                    if c.kind == EntryKind::Dir && c.status != ChangeStatus::Deleted {
                        0
                    } else {
                        c.size
                    },
                ),
            );
            if c.status != ChangeStatus::Deleted {
                b.set_origin(id, 0, after.lookup(&path));
            }
        }
        b.finish()
    }
}

/// Builds a [`UiTree`] from paths in any order; parents are implied. Ids
/// it hands out stay the rows' ids in the finished tree.
pub struct UiTreeBuilder {
    cols: Columns,
    sides: usize,
    index: HashMap<(u32, Box<[u8]>), u32>,
    /// Badge text → index into the badge table: badges repeat (a bucket
    /// and owner per file) and are stored once.
    badge_index: HashMap<Box<str>, u32>,
}

impl UiTreeBuilder {
    pub fn new(sides: usize) -> Self {
        UiTreeBuilder {
            cols: Columns::with_capacity(1, 0),
            sides,
            index: HashMap::new(),
            badge_index: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.cols.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() <= 1
    }

    /// Adds a child without checking for an existing one (for sources that
    /// already hold unique names).
    pub fn push_child(&mut self, parent: u32, name: &[u8], kind: EntryKind) -> u32 {
        self.cols.push(parent, name, kind)
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
        self.cols.meta[id as usize].kind = kind;
        id
    }

    pub fn kind(&self, id: u32) -> EntryKind {
        self.cols.meta[id as usize].kind
    }

    pub fn mark(&self, id: u32) -> Mark {
        self.cols.meta[id as usize].mark
    }

    pub fn set_mark(&mut self, id: u32, mark: Mark) {
        self.cols.meta[id as usize].mark = mark;
    }

    pub fn size(&self, id: u32, side: usize) -> Option<u64> {
        self.cols.size(id, side)
    }

    pub fn set_size(&mut self, id: u32, side: usize, size: Option<u64>) {
        self.cols.set_size(id, side, size);
    }

    pub fn origin(&self, id: u32, side: usize) -> Option<NodeId> {
        self.cols.origin(id, side)
    }

    pub fn set_origin(&mut self, id: u32, side: usize, origin: Option<NodeId>) {
        self.cols.set_origin(id, side, origin);
    }

    /// Marks the name as the analysis' text (see [`UiNode::name_escaped`]).
    pub fn set_name_escaped(&mut self, id: u32, escaped: bool) {
        self.cols.set_flag(id, NAME_ESCAPED, escaped);
    }

    /// Sets the badge (`None` removes it); equal badges are stored once.
    pub fn set_badge(&mut self, id: u32, badge: Option<&str>, escaped: bool) {
        self.cols.set_flag(id, BADGE_ESCAPED, escaped);
        let Some(text) = badge else {
            if let Some(b) = self.cols.badge.get_mut(id as usize) {
                *b = 0;
            }
            return;
        };
        let index = match self.badge_index.get(text) {
            Some(&i) => i,
            None => {
                let i = self.cols.badges.len() as u32;
                self.cols.badges.push(text.into());
                self.badge_index.insert(text.into(), i);
                i
            }
        };
        if self.cols.badge.is_empty() {
            self.cols.badge.resize(self.cols.len(), 0);
        }
        self.cols.badge[id as usize] = index + 1;
    }

    /// Lays the children out, each list in insertion order, then ordered
    /// by `order` unless it is already.
    fn lay_out(self, order: impl Fn(&Columns, u32, u32) -> std::cmp::Ordering) -> UiTree {
        let cols = self.cols;
        let n = cols.len();
        // Children per row counted, then placed in id order (a counting
        // sort by parent): each list comes out in insertion order.
        let mut kid_start = vec![0u32; n + 1];
        for &p in &cols.parent[1..] {
            kid_start[p as usize + 1] += 1;
        }
        for i in 0..n {
            kid_start[i + 1] += kid_start[i];
        }
        let mut next: Vec<u32> = kid_start[..n].to_vec();
        let mut kids = vec![0u32; n.saturating_sub(1)];
        for id in 1..n as u32 {
            let p = cols.parent[id as usize] as usize;
            kids[next[p] as usize] = id;
            next[p] += 1;
        }
        drop(next);
        for i in 0..n {
            let list = &mut kids[kid_start[i] as usize..kid_start[i + 1] as usize];
            if !list.is_sorted_by(|&a, &b| order(&cols, a, b).is_le()) {
                list.sort_by(|&a, &b| order(&cols, a, b));
            }
        }
        UiTree {
            cols,
            kid_start,
            kids,
            sides: self.sides,
        }
    }

    /// Sorts children by name and rolls directory sizes up.
    pub fn finish(mut self) -> UiTree {
        // Children are always created after their parent: reverse id order
        // is a post-order.
        for id in (1..self.cols.len() as u32).rev() {
            let parent = self.cols.parent[id as usize];
            for side in 0..2 {
                if let Some(s) = self.cols.size(id, side) {
                    let p = self.cols.size(parent, side).unwrap_or(0);
                    self.cols.set_size(parent, side, Some(p.saturating_add(s)));
                }
            }
        }
        self.lay_out(|c, a, b| c.name(a).cmp(c.name(b)))
    }

    /// Like [`UiTreeBuilder::finish`] but keeps the group totals as given
    /// (they are already sums), children biggest first, ties in insertion
    /// order.
    pub fn finish_groups(self) -> UiTree {
        let weight =
            |c: &Columns, id: u32| c.size(id, 0).unwrap_or(0).max(c.size(id, 1).unwrap_or(0));
        self.lay_out(|c, a, b| weight(c, b).cmp(&weight(c, a)))
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
    let mut keep = vec![false; tree.len()];
    // Depth-first with one path buffer, to test each full path once.
    let mut path: Vec<u8> = Vec::with_capacity(256);
    let mut stack: Vec<(u32, usize)> = tree.children(0).iter().rev().map(|&c| (c, 0)).collect();
    while let Some((id, plen)) = stack.pop() {
        let n = tree.node(id);
        path.truncate(plen);
        path.push(b'/');
        path.extend_from_slice(n.name);
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
    for id in (1..tree.len()).rev() {
        if keep[id] {
            keep[tree.parent(id as u32) as usize] = true;
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
        let mut k: Vec<u32> = tree
            .children(id)
            .iter()
            .copied()
            .filter(|&c| keep.is_none_or(|k| k[c as usize]))
            .collect();
        if sort == Sort::Size {
            k.sort_by_key(|&c| std::cmp::Reverse(tree.weight(c)));
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
        if expanded[id as usize] && !tree.children(id).is_empty() {
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
            b.set_size(id, 0, s[0]);
            b.set_size(id, 1, s[1]);
            b.set_mark(id, m);
        }
        b.finish()
    }

    #[test]
    fn a_blank_badge_is_no_badge() {
        for (b, escaped) in [("", false), ("  ", true)] {
            let mut t = UiTreeBuilder::new(1);
            let id = t.push_child(0, b"x", EntryKind::File);
            t.set_badge(id, Some(b), escaped);
            let t = t.finish();
            assert_eq!(t.node(id).shown_badge(), None, "{b:?}");
        }
        let mut t = UiTreeBuilder::new(1);
        let id = t.push_child(0, b"x", EntryKind::File);
        t.set_badge(id, Some("toolchain Headers and static libraries"), false);
        let t = t.finish();
        assert_eq!(
            t.node(id).shown_badge().as_deref(),
            Some("toolchain Headers and static libraries")
        );
    }

    #[test]
    fn columns_keep_what_each_row_was_given() {
        let mut b = UiTreeBuilder::new(1);
        let a = b.push_child(0, b"a", EntryKind::File);
        let c = b.push_child(0, b"c", EntryKind::Symlink);
        // A badge and an AFTER side only start when a row has one.
        b.set_badge(a, Some("toolchain Go"), true);
        b.set_size(c, 1, Some(7));
        b.set_origin(c, 1, Some(42));
        let d = b.push_child(0, &[b'd'; 300], EntryKind::File);
        b.set_badge(d, Some("toolchain Go"), false);
        b.set_origin(d, 0, Some(0));
        b.set_name_escaped(d, true);
        let t = b.finish();
        let (na, nc, nd) = (t.node(a), t.node(c), t.node(d));
        assert_eq!((na.badge, na.badge_escaped), (Some("toolchain Go"), true));
        assert_eq!((nc.badge, nc.kind), (None, EntryKind::Symlink));
        assert_eq!((nc.size, nc.origin), ([None, Some(7)], [None, Some(42)]));
        assert_eq!(nd.name, &[b'd'; 300][..]);
        assert_eq!((nd.badge, nd.badge_escaped), (Some("toolchain Go"), false));
        assert_eq!(
            (nd.origin, nd.name_escaped, na.name_escaped),
            ([Some(0), None], true, false)
        );
        assert_eq!(t.cols.badges.len(), 1, "equal badges are stored once");
        assert_eq!(t.node(0).size, [None, Some(7)]);
        assert_eq!(t.node(0).children, [a, c, d]);
        assert_eq!(t.parent(d), 0);
    }

    #[test]
    fn groups_keep_their_totals_biggest_first() {
        let mut b = UiTreeBuilder::new(1);
        let small = b.push_child(0, b"small", EntryKind::Dir);
        let big = b.push_child(0, b"big", EntryKind::Dir);
        let tie = b.push_child(0, b"tie", EntryKind::Dir);
        b.set_size(small, 0, Some(1));
        b.set_size(big, 0, Some(10));
        b.set_size(tie, 0, Some(1));
        let f = b.push_child(big, b"f", EntryKind::File);
        b.set_size(f, 0, Some(3));
        let t = b.finish_groups();
        assert_eq!(t.children(0), [big, small, tie]);
        assert_eq!(t.node(big).size[0], Some(10), "not rolled up");
        assert_eq!(t.node(0).size[0], None);
    }

    #[test]
    fn an_engine_tree_becomes_rows_with_origins_and_rollups() {
        use crate::image::entry::{Entries, Entry};
        let mut entries = Entries::new();
        for (path, kind, size) in [
            (&b"usr/bin"[..], EntryKind::Dir, 0),
            (b"usr/bin/b", EntryKind::File, 5),
            (b"usr/bin/a", EntryKind::File, 7),
            (b"etc/x", EntryKind::File, 1),
        ] {
            entries.push(&Entry {
                size,
                ..Entry::bare(path, kind)
            });
        }
        let mut ft = FileTree::new();
        ft.apply_layer(0, &entries);
        ft.rollup();
        let ft = Arc::new(ft);
        let t = UiTree::from_file_tree(&ft);
        assert_eq!(t.len(), 1 + ft.iter().count());
        for id in 1..t.len() as u32 {
            let n = t.node(id);
            let o = n.origin[0].expect("every row has its engine node");
            assert_eq!(t.path_of(id), ft.path_of(o));
            assert_eq!(n.size[0], Some(ft.total(o)), "{:?}", ft.path_of(o));
            assert_eq!(n.kind, ft.node(o).kind);
        }
        let names: Vec<&[u8]> = t
            .children(t.lookup(b"usr/bin").unwrap())
            .iter()
            .map(|&c| t.name(c))
            .collect();
        assert_eq!(names, [&b"a"[..], b"b"]);
        assert_eq!(t.node(0).size[0], Some(13));
    }

    #[test]
    fn builder_implies_parents_and_rolls_up() {
        let t = sample();
        let usr = t.lookup(b"usr").unwrap();
        assert_eq!(t.node(usr).size, [Some(110), Some(10)]);
        assert_eq!(t.node(0).size, [Some(111), Some(17)]);
        assert_eq!(t.path_of(t.lookup(b"usr/bin/go").unwrap()), b"usr/bin/go");
        let names: Vec<&[u8]> = t.node(0).children.iter().map(|&c| t.node(c).name).collect();
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
        assert_eq!(t.node(by_size[0].id).name, b"usr");
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
            .find(|r| t.node(r.id).name == b"passwd")
            .unwrap();
        assert_eq!(passwd.guides & 1, 1);
        let go = rows.iter().find(|r| t.node(r.id).name == b"go").unwrap();
        assert_eq!(go.guides & 1, 0);
        assert!(go.last);
    }
}
