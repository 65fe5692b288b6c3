//! The squashed filesystem: an arena tree built by applying layers in order
//! with OCI semantics (whiteouts, opaque directories, replacements, implied
//! parents, hard links counted once), recording what each layer changed.
//!
//! Building takes time linear in the entries whatever order their names
//! arrive in: a hash index finds a child by (parent, name), children are
//! appended as they come and sorted once per directory when the tree is
//! finished ([`FileTree::rollup`]), and a node knows its place among its
//! siblings so removing it is O(1).
//!
//! A node does not copy what its entry holds: the tree keeps the layers'
//! [`Entries`] it was built from (shared handles), and a node names the
//! entry that wrote its current version, or none for a directory the tree
//! implied. [`FileTree::node`] reads the facts through it.

use crate::image::entry::{split_parent, ContentHash, Entries, EntryKind, EntryRef};
use crate::image::Layer;
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};
use serde::Serialize;
use std::hash::BuildHasher;

pub type NodeId = u32;

/// The root directory's id.
pub const ROOT: NodeId = 0;

/// One path component, kept inline up to 22 bytes, as nearly every name
/// is, so a million names are not a million small heap blocks (each 32
/// bytes and a malloc). Reads as `[u8]`. The UI's row tree names its rows
/// this way; [`FileTree`] keeps its names in one arena instead.
#[derive(Clone, PartialEq, Eq)]
pub struct Name(NameRepr);

#[derive(Clone, PartialEq, Eq)]
enum NameRepr {
    Inline(u8, [u8; INLINE_NAME]),
    Heap(Box<[u8]>),
}

const INLINE_NAME: usize = 22;

impl Name {
    pub fn new(bytes: &[u8]) -> Name {
        if bytes.len() <= INLINE_NAME {
            let mut inline = [0u8; INLINE_NAME];
            inline[..bytes.len()].copy_from_slice(bytes);
            Name(NameRepr::Inline(bytes.len() as u8, inline))
        } else {
            Name(NameRepr::Heap(bytes.into()))
        }
    }
}

impl std::ops::Deref for Name {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            NameRepr::Inline(len, bytes) => &bytes[..usize::from(*len)],
            NameRepr::Heap(b) => b,
        }
    }
}

impl AsRef<[u8]> for Name {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::escape::escape_bytes(self))
    }
}

/// One path of the squashed filesystem, as [`FileTree::node`] reads it
/// from the tree and the entry that wrote the path's current version.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Node<'a> {
    pub name: &'a [u8],
    pub parent: NodeId,
    pub kind: EntryKind,
    /// Own bytes (see [`crate::image::Entry::size`]).
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub link: Option<&'a [u8]>,
    pub hash: Option<ContentHash>,
    /// Index of the layer whose version of this path is the current one.
    pub layer: u32,
    /// Header facts ([`crate::image::capture::flags`]).
    pub flags: u8,
}

impl Node<'_> {
    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let escaped = crate::escape::escape_bytes;
        f.debug_struct("Node")
            .field("name", &escaped(self.name))
            .field("parent", &self.parent)
            .field("kind", &self.kind)
            .field("size", &self.size)
            .field("mode", &format_args!("{:o}", self.mode))
            .field("uid", &self.uid)
            .field("gid", &self.gid)
            .field("link", &self.link.map(escaped))
            .field("hash", &self.hash)
            .field("layer", &self.layer)
            .field("flags", &self.flags)
            .finish()
    }
}

/// What the tree stores of a node: its place, its name in the tree's name
/// arena, and which entry of which applied layer it is (a million nodes,
/// so 32 bytes, not the ~96 of a copy of the entry's facts).
#[derive(Clone, Copy)]
struct Slot {
    parent: NodeId,
    /// Where this node's children are listed in [`FileTree`]'s `kids`
    /// ([`NO_KIDS`] until it gets its first child): nearly every node is a
    /// file, so a `Vec` in every node (24 bytes) would be mostly empty.
    kids: u32,
    /// This node's position in its parent's children (O(1) removal).
    slot: u32,
    /// The application ([`FileTree`]'s `applied`) that wrote this version.
    applied: u32,
    /// The entry of that application, or [`IMPLIED`].
    entry: u32,
    /// The entry's size, or [`SIZE_IN_ENTRY`] for 4 GiB and more: rollups
    /// and largest-file lists read a million sizes, and going to the entry
    /// for each is one more cache miss.
    size: u32,
    name: NameAt,
    /// Kept here too (it is the entry's, or `Dir`): most walks ask only
    /// whether a node is a directory or a file.
    kind: EntryKind,
}

/// A directory the tree made: an implied parent, or a directory that took
/// the place of a file in its way. Mode 0755, owned by root, no bytes.
const IMPLIED: u32 = u32::MAX;

const SIZE_IN_ENTRY: u32 = u32::MAX;

/// Where a name sits in the tree's name arena: a 40-bit offset (1 TiB,
/// beyond any arena this process could hold; 32 bits would stop at 4 GiB)
/// and a 16-bit length, [`LONG_NAME`] for a name of 64 KiB or more, whose
/// length then precedes it in the arena (4 bytes, little-endian).
///
/// Packed to 7 bytes, so it fills a [`Slot`] with the kind.
#[derive(Clone, Copy)]
#[repr(C, packed)]
struct NameAt {
    low: u32,
    len: u16,
    high: u8,
}

const LONG_NAME: u16 = u16::MAX;

impl NameAt {
    fn offset(self) -> usize {
        (u64::from(self.high) << 32 | u64::from(self.low)) as usize
    }

    /// Appends `name` to the arena.
    fn push(arena: &mut Vec<u8>, name: &[u8]) -> NameAt {
        let at = arena.len() as u64;
        // Reaching 1 TiB of names needs 1 TiB of memory first.
        let high = u8::try_from(at >> 32).expect("name arena below 1 TiB");
        let len = match u16::try_from(name.len()) {
            Ok(len) if len != LONG_NAME => len,
            _ => {
                let long = u32::try_from(name.len()).unwrap_or(u32::MAX);
                arena.extend_from_slice(&long.to_le_bytes());
                LONG_NAME
            }
        };
        let kept = name.len().min(u32::MAX as usize);
        arena.extend_from_slice(&name[..kept]);
        NameAt {
            low: at as u32,
            high,
            len,
        }
    }

    fn read(self, arena: &[u8]) -> &[u8] {
        let at = self.offset();
        match self.len {
            LONG_NAME => {
                let mut len = [0u8; 4];
                len.copy_from_slice(&arena[at..at + 4]);
                let len = u32::from_le_bytes(len) as usize;
                &arena[at + 4..at + 4 + len]
            }
            len => &arena[at..at + usize::from(len)],
        }
    }
}

/// One layer as the tree applied it: the layer's index and its entries
/// (shared with the image, not copied).
#[derive(Clone)]
struct Applied {
    layer: u32,
    entries: Entries,
}

/// How a layer changed a path, relative to the layers below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeStatus {
    Added,
    Modified,
    Deleted,
    /// Touched by the layer but identical (kind, content, mode, owner, link).
    Unchanged,
}

/// One path one layer touched. 24 bytes: a million-file layer records a
/// million of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerChange {
    /// The node the change is about, in the tree that recorded it: the
    /// node's path is the changed path ([`FileTree::path_of`]; a node keeps
    /// its name and parent even once deleted, and ids are never reused), so
    /// a million changes hold no path strings.
    pub node: NodeId,
    /// New bytes for added/modified entries; the bytes removed (whole
    /// subtree) for deletions.
    pub size: u64,
    /// Bytes of lower layers this change hides from the final filesystem
    /// (a deleted subtree, an overwritten file, a directory replaced by a
    /// file): still stored in the image, never visible. 0 for additions.
    pub shadowed: u64,
    /// The layer that wrote what was shadowed (the path's previous
    /// version), when something was (`shadowed > 0`); the layer that made
    /// the change otherwise. See [`change_layer`].
    pub shadowed_layer: u16,
    pub status: ChangeStatus,
    pub kind: EntryKind,
}

/// A layer index as a [`LayerChange`] holds it. An image has at most
/// 1,000 layers (the loader refuses more); an index past 16 bits, from a
/// tree built in memory, saturates.
pub fn change_layer(layer: u32) -> u16 {
    u16::try_from(layer).unwrap_or(u16::MAX)
}

/// Parent paths [`FileTree::apply_layer`] remembers at most.
const PARENTS_KEPT: usize = 1 << 14;

/// What a node that has had children has beyond the node itself.
#[derive(Clone, Default)]
struct Kids {
    /// Live children; sorted by name once the tree is finished
    /// ([`FileTree::rollup`]), in arrival order while layers are applied.
    list: Vec<NodeId>,
    /// Own bytes plus everything below (after rollup).
    total: u64,
    /// Regular files at or below (after rollup).
    files: u32,
}

/// A node that has never had a child.
const NO_KIDS: u32 = u32::MAX;

/// An arena of nodes; removed nodes stay in the arena but are unreachable.
#[derive(Clone)]
pub struct FileTree {
    nodes: Vec<Slot>,
    /// Every node's name, back to back ([`NameAt`]).
    names: Vec<u8>,
    /// The layers applied, in order; a node's `applied` indexes this. The
    /// first is empty: the root's.
    applied: Vec<Applied>,
    /// The content hash of a hard link whose target's differs from the one
    /// its entry holds: a link takes its target's when it is applied.
    link_hashes: HashMap<NodeId, Option<ContentHash>>,
    /// Children and rolled-up sizes of the nodes that have had children
    /// ([`Slot::kids`]); everything else is a leaf, whose totals are its own.
    kids: Vec<Kids>,
    /// Every attached node except the root, found by (parent, name). Holds
    /// node ids only (4 bytes and a control byte a slot); hash and equality
    /// are computed from the arena. Children of a detached directory may
    /// linger here: nothing can reach them, since ids are never reused and
    /// the detached directory itself is gone from the index.
    index: HashTable<NodeId>,
    /// Randomly seeded per tree, so names crafted to collide in one run do
    /// not collide in the next (image names are untrusted).
    hasher: DefaultHashBuilder,
}

impl std::fmt::Debug for FileTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let nodes: Vec<Node<'_>> = (0..self.nodes.len() as NodeId)
            .map(|id| self.node(id))
            .collect();
        f.debug_struct("FileTree")
            .field("nodes", &nodes)
            .finish_non_exhaustive()
    }
}

fn key_hash(hasher: &DefaultHashBuilder, parent: NodeId, name: &[u8]) -> u64 {
    hasher.hash_one((parent, name))
}

/// A node's index key, from the arena (the index's rehash reads it).
fn slot_hash(hasher: &DefaultHashBuilder, nodes: &[Slot], names: &[u8], id: NodeId) -> u64 {
    let n = &nodes[id as usize];
    key_hash(hasher, n.parent, n.name.read(names))
}

impl Default for FileTree {
    fn default() -> Self {
        Self::new()
    }
}

impl FileTree {
    pub fn new() -> Self {
        let mut names = Vec::new();
        let root = Slot {
            parent: ROOT,
            kids: NO_KIDS,
            slot: 0,
            applied: 0,
            entry: IMPLIED,
            size: 0,
            name: NameAt::push(&mut names, b""),
            kind: EntryKind::Dir,
        };
        FileTree {
            nodes: vec![root],
            names,
            applied: vec![Applied {
                layer: 0,
                entries: Entries::new(),
            }],
            link_hashes: HashMap::new(),
            kids: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    /// A node's facts: its entry's, or an implied directory's.
    pub fn node(&self, id: NodeId) -> Node<'_> {
        let n = &self.nodes[id as usize];
        let applied = &self.applied[n.applied as usize];
        let mut node = Node {
            name: n.name.read(&self.names),
            parent: n.parent,
            kind: EntryKind::Dir,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            link: None,
            hash: None,
            layer: applied.layer,
            flags: 0,
        };
        if let Some(e) = self.entry_of(n) {
            node.kind = e.kind;
            node.size = e.size;
            node.mode = e.mode;
            node.uid = e.uid;
            node.gid = e.gid;
            node.link = e.link;
            node.hash = e.hash;
            node.flags = e.flags;
            if e.kind == EntryKind::HardLink {
                if let Some(&hash) = self.link_hashes.get(&id) {
                    node.hash = hash;
                }
            }
        }
        node
    }

    /// The entry that wrote a node's current version (none for a directory
    /// the tree implied).
    fn entry_of(&self, n: &Slot) -> Option<EntryRef<'_>> {
        if n.entry == IMPLIED {
            return None;
        }
        self.applied[n.applied as usize]
            .entries
            .get(n.entry as usize)
    }

    /// A node's own bytes, without the rest of its facts: walks over many
    /// nodes read what they need this way, not through [`FileTree::node`],
    /// which decodes the whole entry (a cache miss more a node).
    pub fn size(&self, id: NodeId) -> u64 {
        let n = &self.nodes[id as usize];
        match n.size {
            SIZE_IN_ENTRY => self.applied[n.applied as usize]
                .entries
                .size(n.entry as usize),
            size => u64::from(size),
        }
    }

    /// A node's kind alone (see [`FileTree::size`]).
    pub fn kind(&self, id: NodeId) -> EntryKind {
        self.nodes[id as usize].kind
    }

    /// The layer that wrote a node's current version.
    fn layer(&self, id: NodeId) -> u32 {
        self.applied[self.nodes[id as usize].applied as usize].layer
    }

    /// A node's parent alone (see [`FileTree::size`]).
    pub fn parent(&self, id: NodeId) -> NodeId {
        self.nodes[id as usize].parent
    }

    /// A node's name alone (see [`FileTree::size`]).
    pub fn name(&self, id: NodeId) -> &[u8] {
        self.nodes[id as usize].name.read(&self.names)
    }

    /// Live children of a directory, sorted by name once the tree is
    /// finished ([`FileTree::rollup`]; [`squash`] does it).
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        match self.nodes[id as usize].kids {
            NO_KIDS => &[],
            k => &self.kids[k as usize].list,
        }
    }

    /// Own bytes plus everything below (after [`FileTree::rollup`]).
    pub fn total(&self, id: NodeId) -> u64 {
        match self.nodes[id as usize].kids {
            NO_KIDS => self.size(id),
            k => self.kids[k as usize].total,
        }
    }

    /// Regular files at or below a node (after [`FileTree::rollup`]).
    pub fn files(&self, id: NodeId) -> u32 {
        let n = &self.nodes[id as usize];
        match n.kids {
            NO_KIDS => u32::from(n.kind == EntryKind::File),
            k => self.kids[k as usize].files,
        }
    }

    /// A node's children list, made on its first child.
    fn kids_mut(&mut self, id: NodeId) -> &mut Vec<NodeId> {
        let n = &mut self.nodes[id as usize];
        if n.kids == NO_KIDS {
            n.kids = self.kids.len() as u32;
            self.kids.push(Kids::default());
        }
        &mut self.kids[n.kids as usize].list
    }

    /// Takes a node's children out of the tree (its list stays, empty).
    fn take_kids(&mut self, id: NodeId) -> Vec<NodeId> {
        match self.nodes[id as usize].kids {
            NO_KIDS => Vec::new(),
            k => std::mem::take(&mut self.kids[k as usize].list),
        }
    }

    /// Bytes of the whole filesystem.
    pub fn total_size(&self) -> u64 {
        self.total(ROOT)
    }

    pub fn file_count(&self) -> u32 {
        self.files(ROOT)
    }

    /// The live child of `dir` named `name`, in O(1) whatever the number of
    /// siblings.
    pub fn child(&self, dir: NodeId, name: &[u8]) -> Option<NodeId> {
        self.find(dir, name).1
    }

    /// The child, and the key's hash for [`FileTree::new_node`].
    fn find(&self, dir: NodeId, name: &[u8]) -> (u64, Option<NodeId>) {
        let (nodes, names) = (&self.nodes, &self.names);
        let hash = key_hash(&self.hasher, dir, name);
        let found = self.index.find(hash, |&id| {
            let n = &nodes[id as usize];
            n.parent == dir && n.name.read(names) == name
        });
        (hash, found.copied())
    }

    /// Finds a path without following symlinks.
    pub fn lookup(&self, path: &[u8]) -> Option<NodeId> {
        let mut cur = ROOT;
        if path.is_empty() {
            return Some(ROOT);
        }
        for comp in path.split(|&b| b == b'/') {
            if comp.is_empty() {
                continue;
            }
            cur = self.child(cur, comp)?;
        }
        Some(cur)
    }

    /// Finds a path the way the kernel would inside a chroot of the image:
    /// symlinks in any component are followed, absolute targets start at the
    /// image root and `..` never climbs above it. Gives up after 40 links.
    pub fn resolve(&self, path: &[u8]) -> Option<NodeId> {
        self.resolve_with(path, |_| {})
    }

    /// [`FileTree::resolve`], handing every symlink passed on the way to
    /// `on_link`.
    pub fn resolve_with(&self, path: &[u8], mut on_link: impl FnMut(NodeId)) -> Option<NodeId> {
        let mut pending: Vec<Vec<u8>> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(|c| c.to_vec())
            .collect();
        let mut cur = ROOT;
        let mut hops = 0;
        while let Some(comp) = pending.pop() {
            match comp.as_slice() {
                b"." => continue,
                b".." => {
                    cur = self.nodes[cur as usize].parent;
                    continue;
                }
                _ => {}
            }
            let next = self.child(cur, &comp)?;
            if self.kind(next) == EntryKind::Symlink {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                on_link(next);
                let target = self.node(next).link.unwrap_or_default();
                if target.starts_with(b"/") {
                    cur = ROOT;
                }
                pending.extend(
                    target
                        .split(|&b| b == b'/')
                        .filter(|c| !c.is_empty())
                        .rev()
                        .map(|c| c.to_vec()),
                );
            } else {
                cur = next;
            }
        }
        Some(cur)
    }

    /// The normalised path of a node (empty for the root).
    pub fn path_of(&self, id: NodeId) -> Vec<u8> {
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            let n = &self.nodes[cur as usize];
            parts.push(n.name.read(&self.names));
            cur = n.parent;
        }
        let mut out = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for (i, p) in parts.iter().rev().enumerate() {
            if i > 0 {
                out.push(b'/');
            }
            out.extend_from_slice(p);
        }
        out
    }

    /// Whether a node is part of the filesystem: every node on its way up
    /// sits in its parent's children (a deleted node keeps its parent and
    /// slot, but the parent no longer holds it there). O(depth).
    pub fn is_live(&self, id: NodeId) -> bool {
        let mut cur = id;
        while cur != ROOT {
            let Some(n) = self.nodes.get(cur as usize) else {
                return false;
            };
            let siblings = self.children(n.parent);
            if siblings.get(n.slot as usize) != Some(&cur) {
                return false;
            }
            cur = n.parent;
        }
        true
    }

    /// Live nodes below `from` (excluded) in depth-first, name order.
    pub fn descendants(&self, from: NodeId) -> Descendants<'_> {
        let mut stack: Vec<NodeId> = self.children(from).to_vec();
        stack.reverse();
        Descendants { tree: self, stack }
    }

    /// Every live node except the root, depth first.
    pub fn iter(&self) -> Descendants<'_> {
        self.descendants(ROOT)
    }

    /// The `n` largest regular files, biggest first.
    pub fn largest_files(&self, n: usize) -> Vec<NodeId> {
        let mut files: Vec<(u64, NodeId)> = self
            .iter()
            .filter(|&id| self.kind(id) == EntryKind::File)
            .map(|id| (self.size(id), id))
            .collect();
        let biggest_first =
            |a: &(u64, NodeId), b: &(u64, NodeId)| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1));
        // Only the first `n` need sorting: O(files + n log n).
        if n < files.len() {
            files.select_nth_unstable_by(n, biggest_first);
            files.truncate(n);
        }
        files.sort_by(biggest_first);
        files.into_iter().map(|(_, id)| id).collect()
    }

    /// Creates an implied directory as the last child of `parent` (which
    /// has no child of that name yet; `hash` is the key's, from
    /// [`FileTree::find`]), written by the layer being applied.
    fn new_node(&mut self, parent: NodeId, name: &[u8], hash: u64) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let kids = self.kids_mut(parent);
        let slot = kids.len() as u32;
        kids.push(id);
        self.nodes.push(Slot {
            parent,
            kids: NO_KIDS,
            slot,
            applied: (self.applied.len() - 1) as u32,
            entry: IMPLIED,
            size: 0,
            name: NameAt::push(&mut self.names, name),
            kind: EntryKind::Dir,
        });
        let (nodes, names, hasher) = (&self.nodes, &self.names, &self.hasher);
        self.index
            .insert_unique(hash, id, |&k| slot_hash(hasher, nodes, names, k));
        id
    }

    /// Takes a node out of the index (its parent's `children` is the
    /// caller's business).
    fn unindex(&mut self, id: NodeId) {
        let hash = slot_hash(&self.hasher, &self.nodes, &self.names, id);
        if let Ok(entry) = self.index.find_entry(hash, |&k| k == id) {
            entry.remove();
        }
    }

    fn subtree_size(&self, id: NodeId) -> u64 {
        self.size(id) + self.descendants(id).map(|d| self.size(d)).sum::<u64>()
    }

    /// Removes a live node from its parent in O(1): the last sibling takes
    /// its place (the order is restored when the tree is finished).
    fn detach(&mut self, id: NodeId) {
        self.unindex(id);
        let (parent, slot) = {
            let n = &self.nodes[id as usize];
            (n.parent as usize, n.slot as usize)
        };
        let kids = self.kids_mut(parent as NodeId);
        debug_assert_eq!(kids.get(slot), Some(&id));
        if kids.get(slot) != Some(&id) {
            return;
        }
        kids.swap_remove(slot);
        let moved = kids.get(slot).copied();
        if let Some(moved) = moved {
            self.nodes[moved as usize].slot = slot as u32;
        }
    }

    /// Detaches every child of a directory; returns them.
    fn detach_children(&mut self, dir: NodeId) -> Vec<NodeId> {
        let kids = self.take_kids(dir);
        for &k in &kids {
            self.unindex(k);
        }
        kids
    }

    fn sort_by_name(&self, kids: &mut [NodeId]) {
        if kids.len() < 2 {
            return;
        }
        // Names are compared through the arena, two cache misses a side, so
        // sort (first 8 bytes, name, id) instead: most comparisons end at
        // the prefix. Zero-padded big-endian prefixes order as the names do,
        // and equal prefixes fall back to the whole name. Stable sort finds
        // runs: names that arrived sorted or reversed cost O(n). Names in
        // one directory are unique.
        let mut keyed: Vec<(u64, &[u8], NodeId)> = kids
            .iter()
            .map(|&k| {
                let name = self.name(k);
                let mut prefix = [0u8; 8];
                let n = name.len().min(8);
                prefix[..n].copy_from_slice(&name[..n]);
                (u64::from_be_bytes(prefix), name, k)
            })
            .collect();
        keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        for (slot, (_, _, k)) in kids.iter_mut().zip(keyed) {
            *slot = k;
        }
    }

    /// Makes a node an implied directory of the layer being applied.
    fn imply_dir(&mut self, id: NodeId) {
        let applied = (self.applied.len() - 1) as u32;
        let n = &mut self.nodes[id as usize];
        if n.kind == EntryKind::HardLink {
            self.link_hashes.remove(&id);
        }
        n.applied = applied;
        n.entry = IMPLIED;
        n.size = 0;
        n.kind = EntryKind::Dir;
    }

    /// Makes sure every ancestor directory of `path` exists, replacing
    /// non-directories in the way. Returns the parent's id.
    fn ensure_parents(&mut self, parent_path: &[u8], out: &mut Vec<LayerChange>) -> NodeId {
        let mut cur = ROOT;
        if parent_path.is_empty() {
            return ROOT;
        }
        for comp in parent_path.split(|&b| b == b'/') {
            if comp.is_empty() {
                continue;
            }
            cur = match self.find(cur, comp) {
                (_, Some(id)) => {
                    if self.kind(id) != EntryKind::Dir {
                        // A file in the way of a directory: the directory
                        // wins, an implied one.
                        let (old, old_layer) = (self.size(id), self.layer(id));
                        self.imply_dir(id);
                        out.push(LayerChange {
                            node: id,
                            status: ChangeStatus::Modified,
                            kind: EntryKind::Dir,
                            size: old,
                            shadowed: old,
                            shadowed_layer: change_layer(old_layer),
                        });
                    }
                    id
                }
                (hash, None) => {
                    let id = self.new_node(cur, comp, hash);
                    out.push(LayerChange {
                        node: id,
                        status: ChangeStatus::Added,
                        kind: EntryKind::Dir,
                        size: 0,
                        shadowed: 0,
                        shadowed_layer: change_layer(self.layer(id)),
                    });
                    id
                }
            };
        }
        cur
    }

    /// Applies one layer's entries on top of the tree, returning its changes.
    /// The tree keeps a handle on `entries` (shared, not copied): its nodes
    /// read their facts there.
    pub fn apply_layer(&mut self, layer_index: u32, entries: &Entries) -> Vec<LayerChange> {
        self.applied.push(Applied {
            layer: layer_index,
            entries: entries.clone(),
        });
        let applied = (self.applied.len() - 1) as u32;
        let mut out = Vec::new();
        // Growing the index rehashes every node, reading each name from the
        // arena again; one reservation per layer avoids most of that. At
        // most one entry a path, and 5 bytes a slot, so it never costs much
        // even when the layer only rewrites paths that exist.
        let (nodes, names, hasher) = (&self.nodes, &self.names, &self.hasher);
        self.index
            .reserve(entries.len(), |&k| slot_hash(hasher, nodes, names, k));
        // Whiteouts only ever affect the layers below, so they go first: a
        // layer may delete a path and create it again in any tar order.
        for e in entries.iter().filter(|e| e.kind.is_whiteout()) {
            let Some(id) = self.lookup(e.path) else {
                continue;
            };
            if e.kind == EntryKind::Whiteout {
                if id == ROOT {
                    continue;
                }
                let size = self.subtree_size(id);
                out.push(LayerChange {
                    node: id,
                    status: ChangeStatus::Deleted,
                    kind: self.kind(id),
                    size,
                    shadowed: size,
                    shadowed_layer: change_layer(self.layer(id)),
                });
                self.detach(id);
            } else if self.kind(id) == EntryKind::Dir {
                // Reported in name order, whatever order they arrived in.
                let mut kids = self.detach_children(id);
                self.sort_by_name(&mut kids);
                for k in kids {
                    let size = self.subtree_size(k);
                    out.push(LayerChange {
                        node: k,
                        status: ChangeStatus::Deleted,
                        kind: self.kind(k),
                        size,
                        shadowed: size,
                        shadowed_layer: change_layer(self.layer(k)),
                    });
                }
            }
        }
        // Tars list a directory's entries together: an entry with the same
        // parent as the one before finds it without a walk from the root.
        // Applying an entry never changes its parent, so the id stays good.
        let mut last_parent: Option<(&[u8], NodeId)> = None;
        // Where they are not together (a tar written in hash or random
        // order), parents seen before are found by their whole path in a
        // map much smaller than the tree's index: a walk from the root is a
        // cache miss a component. Once a parent path is known, walking it
        // again would find every component a directory and record nothing;
        // only a directory replaced by a non-directory undoes that (its
        // subtree is dropped), and that clears the map. Bounded, since
        // every directory of an image could be a distinct parent.
        let mut parents: HashMap<&[u8], NodeId> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if e.kind.is_whiteout() || e.path.is_empty() {
                continue;
            }
            // An entry index is below `IMPLIED`: 4 billion entries would
            // be 200 GB of records.
            let entry = i as u32;
            let (parent_path, name) = split_parent(e.path);
            let parent = match last_parent {
                Some((p, id)) if p == parent_path => id,
                _ => match parents.get(parent_path) {
                    Some(&id) => id,
                    None => {
                        let id = self.ensure_parents(parent_path, &mut out);
                        if parents.len() >= PARENTS_KEPT {
                            parents.clear();
                        }
                        parents.insert(parent_path, id);
                        id
                    }
                },
            };
            last_parent = Some((parent_path, parent));
            let mut hash = e.hash;
            if e.kind == EntryKind::HardLink {
                // A hard link shares its target's content (its bytes are
                // counted once, at the target).
                if let Some(t) = e.link.and_then(|l| self.lookup(l)) {
                    hash = self.node(t).hash;
                }
            }
            let mut shadowed = (0, layer_index);
            let (id, status) = match self.find(parent, name) {
                (key, None) => {
                    let id = self.new_node(parent, name, key);
                    self.set(id, applied, entry, &e, hash);
                    (id, ChangeStatus::Added)
                }
                (_, Some(id)) => {
                    let n = self.node(id);
                    // What stays hidden below: the old version, and when a
                    // file replaces a directory, everything that was in it.
                    // A directory over a directory hides nothing.
                    if !(n.kind == EntryKind::Dir && e.kind == EntryKind::Dir) {
                        shadowed = (self.subtree_size(id), n.layer);
                    }
                    let same = n.kind == e.kind
                        && n.hash == hash
                        && n.mode == e.mode
                        && n.uid == e.uid
                        && n.gid == e.gid
                        && n.link == e.link;
                    if n.kind == EntryKind::Dir && e.kind != EntryKind::Dir {
                        // A file replaces a directory and everything in it.
                        self.detach_children(id);
                        parents.clear();
                    }
                    self.set(id, applied, entry, &e, hash);
                    let status = if same {
                        ChangeStatus::Unchanged
                    } else {
                        ChangeStatus::Modified
                    };
                    (id, status)
                }
            };
            out.push(LayerChange {
                node: id,
                status,
                kind: e.kind,
                size: e.size,
                shadowed: shadowed.0,
                shadowed_layer: change_layer(shadowed.1),
            });
        }
        out
    }

    /// Makes entry `entry` of application `applied` a node's current
    /// version; `hash` is the content hash it takes (a hard link's is its
    /// target's).
    fn set(
        &mut self,
        id: NodeId,
        applied: u32,
        entry: u32,
        e: &EntryRef,
        hash: Option<ContentHash>,
    ) {
        let n = &mut self.nodes[id as usize];
        let was_link = n.kind == EntryKind::HardLink;
        n.applied = applied;
        n.entry = entry;
        // Exactly `SIZE_IN_ENTRY` bytes is read from the entry too.
        n.size = u32::try_from(e.size).unwrap_or(SIZE_IN_ENTRY);
        n.kind = e.kind;
        if e.kind == EntryKind::HardLink && hash != e.hash {
            self.link_hashes.insert(id, hash);
        } else if was_link {
            self.link_hashes.remove(&id);
        }
    }

    /// The layer and path under which the pass saw a file's bytes: its own,
    /// or for a hard link its target's (a link to a link leads nowhere).
    fn bytes_of<'a>(&self, layers: &'a [Layer], id: NodeId) -> Option<(&'a Layer, Vec<u8>)> {
        let mut id = id;
        let n = self.node(id);
        if n.kind == EntryKind::HardLink {
            id = self.lookup(n.link?)?;
            if self.kind(id) == EntryKind::HardLink {
                return None;
            }
        }
        let layer = layers.get(self.layer(id) as usize)?;
        Some((layer, self.path_of(id)))
    }

    /// The captured content of a file (package databases, marker files),
    /// looked up in the layer that wrote the file's current version. Hard
    /// links are followed to their target.
    pub fn content<'a>(&self, layers: &'a [Layer], id: NodeId) -> Option<&'a [u8]> {
        let (layer, path) = self.bytes_of(layers, id)?;
        layer.captured(&path)
    }

    /// What the pass read of a file's bytes (ELF facts, `#!` line), looked
    /// up like [`FileTree::content`].
    pub fn facts<'a>(
        &self,
        layers: &'a [Layer],
        id: NodeId,
    ) -> Option<&'a crate::binary::FileFacts> {
        let (layer, path) = self.bytes_of(layers, id)?;
        layer.facts(&path)
    }

    /// Finishes the tree: sorts every directory's children by name and
    /// computes `total` and `files` of every live node. Layers may still be
    /// applied afterwards (call it again then).
    pub fn rollup(&mut self) {
        // Children always have larger ids than the parent they were created
        // under, but a node can be re-parented only by re-creation, so a
        // post-order walk over live nodes is the safe way.
        let mut order: Vec<NodeId> = Vec::with_capacity(self.nodes.len());
        let mut stack = vec![ROOT];
        while let Some(id) = stack.pop() {
            order.push(id);
            let mut kids = self.take_kids(id);
            if kids.is_empty() {
                continue;
            }
            self.sort_by_name(&mut kids);
            for (slot, &k) in kids.iter().enumerate() {
                self.nodes[k as usize].slot = slot as u32;
            }
            stack.extend_from_slice(&kids);
            *self.kids_mut(id) = kids;
        }
        for &id in order.iter().rev() {
            let n = &self.nodes[id as usize];
            let k = n.kids;
            if k == NO_KIDS {
                continue;
            }
            let (mut total, mut files) = (self.size(id), u32::from(n.kind == EntryKind::File));
            for &c in self.children(id) {
                total += self.total(c);
                files += self.files(c);
            }
            let k = &mut self.kids[k as usize];
            k.total = total;
            k.files = files;
        }
    }
}

pub struct Descendants<'a> {
    tree: &'a FileTree,
    stack: Vec<NodeId>,
}

impl Iterator for Descendants<'_> {
    type Item = NodeId;
    fn next(&mut self) -> Option<NodeId> {
        let id = self.stack.pop()?;
        self.stack.extend(self.tree.children(id).iter().rev());
        Some(id)
    }
}

/// A squashed tree and each applied layer's changes.
#[derive(Clone, Debug)]
pub struct Squashed {
    pub tree: FileTree,
    pub changes: Vec<Vec<LayerChange>>,
}

/// Squashes all layers.
pub fn squash(layers: &[Layer]) -> Squashed {
    squash_upto(layers, layers.len())
}

/// Squashes the first `count` layers (the filesystem as it was after layer
/// `count - 1`).
pub fn squash_upto(layers: &[Layer], count: usize) -> Squashed {
    let mut tree = FileTree::new();
    let mut changes = Vec::with_capacity(count.min(layers.len()));
    for l in layers.iter().take(count) {
        changes.push(tree.apply_layer(l.index as u32, &l.entries));
    }
    tree.rollup();
    Squashed { tree, changes }
}

#[cfg(test)]
mod tests;
