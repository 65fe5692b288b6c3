//! The squashed filesystem: an arena tree built by applying layers in order
//! with OCI semantics (whiteouts, opaque directories, replacements, implied
//! parents, hard links counted once), recording what each layer changed.
//!
//! Building takes time linear in the entries whatever order their names
//! arrive in: a hash index finds a child by (parent, name), children are
//! appended as they come and sorted once per directory when the tree is
//! finished ([`FileTree::rollup`]), and a node knows its place among its
//! siblings so removing it is O(1).

use crate::image::entry::{split_parent, ContentHash, Entries, EntryKind, EntryRef};
use crate::image::Layer;
use hashbrown::{DefaultHashBuilder, HashTable};
use serde::Serialize;
use std::hash::BuildHasher;

pub type NodeId = u32;

/// The root directory's id.
pub const ROOT: NodeId = 0;

/// A node's name (one path component): kept inside the node up to 22
/// bytes, as nearly every name is, so a million nodes are not a million
/// small heap blocks (each 32 bytes and a malloc). Reads as `[u8]`.
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

/// A symlink's or hard link's target, one pointer wide: few nodes are
/// links, so the node holds 8 bytes for it instead of a `Box<[u8]>`'s 16
/// (the target sits one more pointer away). Reads as `[u8]`.
#[derive(Clone, PartialEq, Eq)]
pub struct Link(Box<Box<[u8]>>);

impl Link {
    pub fn new(target: &[u8]) -> Link {
        Link(Box::new(target.into()))
    }
}

impl std::ops::Deref for Link {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Link {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::escape::escape_bytes(self))
    }
}

/// One path of the squashed filesystem.
#[derive(Clone, Debug)]
pub struct Node {
    pub name: Name,
    pub parent: NodeId,
    /// Where this node's children are listed in [`FileTree`]'s `kids`
    /// ([`NO_KIDS`] until it gets its first child): nearly every node is a
    /// file, so a `Vec` in every node (24 bytes) would be mostly empty.
    kids: u32,
    /// This node's position in its parent's children (O(1) removal).
    slot: u32,
    pub kind: EntryKind,
    /// Own bytes (see [`Entry::size`]).
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub link: Option<Link>,
    pub hash: Option<ContentHash>,
    /// Index of the layer whose version of this path is the current one.
    pub layer: u32,
    /// Header facts ([`crate::image::capture::flags`]).
    pub flags: u8,
}

impl Node {
    /// A directory with default attributes, as implied parents are created.
    fn dir(name: &[u8], parent: NodeId, layer: u32) -> Node {
        Node {
            name: Name::new(name),
            parent,
            kids: NO_KIDS,
            slot: 0,
            kind: EntryKind::Dir,
            size: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            link: None,
            hash: None,
            layer,
            flags: 0,
        }
    }

    pub fn is_dir(&self) -> bool {
        self.kind == EntryKind::Dir
    }
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

/// One path one layer touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LayerChange {
    /// The node the change is about, in the tree that recorded it: the
    /// node's path is the changed path ([`FileTree::path_of`]; a node keeps
    /// its name and parent even once deleted, and ids are never reused), so
    /// a million changes hold no path strings.
    pub node: NodeId,
    pub status: ChangeStatus,
    pub kind: EntryKind,
    /// New bytes for added/modified entries; the bytes removed (whole
    /// subtree) for deletions.
    pub size: u64,
    /// Bytes of lower layers this change hides from the final filesystem
    /// (a deleted subtree, an overwritten file, a directory replaced by a
    /// file): still stored in the image, never visible. 0 for additions.
    pub shadowed: u64,
    /// The layer that wrote what was shadowed (the path's previous version).
    pub shadowed_layer: Option<u32>,
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
    nodes: Vec<Node>,
    /// Children and rolled-up sizes of the nodes that have had children
    /// ([`Node::kids`]); everything else is a leaf, whose totals are its own.
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
        f.debug_struct("FileTree")
            .field("nodes", &self.nodes)
            .finish_non_exhaustive()
    }
}

fn key_hash(hasher: &DefaultHashBuilder, parent: NodeId, name: &[u8]) -> u64 {
    hasher.hash_one((parent, name))
}

impl Default for FileTree {
    fn default() -> Self {
        Self::new()
    }
}

impl FileTree {
    pub fn new() -> Self {
        FileTree {
            nodes: vec![Node::dir(b"", ROOT, 0)],
            kids: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
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
        let n = &self.nodes[id as usize];
        match n.kids {
            NO_KIDS => n.size,
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
        let nodes = &self.nodes;
        let hash = key_hash(&self.hasher, dir, name);
        let found = self.index.find(hash, |&id| {
            let n = &nodes[id as usize];
            n.parent == dir && *n.name == *name
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
            let n = &self.nodes[next as usize];
            if n.kind == EntryKind::Symlink {
                hops += 1;
                if hops > 40 {
                    return None;
                }
                on_link(next);
                let target = n.link.as_deref().unwrap_or_default();
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
            parts.push(&*n.name);
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
        let mut files: Vec<NodeId> = self
            .iter()
            .filter(|&id| self.nodes[id as usize].kind == EntryKind::File)
            .collect();
        let biggest_first = |a: &NodeId, b: &NodeId| {
            self.nodes[*b as usize]
                .size
                .cmp(&self.nodes[*a as usize].size)
                .then_with(|| a.cmp(b))
        };
        // Only the first `n` need sorting: O(files + n log n).
        if n < files.len() {
            files.select_nth_unstable_by(n, biggest_first);
            files.truncate(n);
        }
        files.sort_by(biggest_first);
        files
    }

    /// Creates a node as the last child of `parent` (which has no child of
    /// that name yet; `hash` is the key's, from [`FileTree::find`]).
    fn new_node(&mut self, parent: NodeId, name: &[u8], hash: u64, layer: u32) -> NodeId {
        let id = self.nodes.len() as NodeId;
        let mut node = Node::dir(name, parent, layer);
        let kids = self.kids_mut(parent);
        node.slot = kids.len() as u32;
        kids.push(id);
        self.nodes.push(node);
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.index.insert_unique(hash, id, |&k| {
            let n = &nodes[k as usize];
            key_hash(hasher, n.parent, &n.name)
        });
        id
    }

    /// Takes a node out of the index (its parent's `children` is the
    /// caller's business).
    fn unindex(&mut self, id: NodeId) {
        let n = &self.nodes[id as usize];
        let hash = key_hash(&self.hasher, n.parent, &n.name);
        if let Ok(entry) = self.index.find_entry(hash, |&k| k == id) {
            entry.remove();
        }
    }

    fn subtree_size(&self, id: NodeId) -> u64 {
        self.nodes[id as usize].size
            + self
                .descendants(id)
                .map(|d| self.nodes[d as usize].size)
                .sum::<u64>()
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
                let name = &*self.nodes[k as usize].name;
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

    /// Makes sure every ancestor directory of `path` exists, replacing
    /// non-directories in the way. Returns the parent's id.
    fn ensure_parents(
        &mut self,
        parent_path: &[u8],
        layer: u32,
        out: &mut Vec<LayerChange>,
    ) -> NodeId {
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
                    if self.nodes[id as usize].kind != EntryKind::Dir {
                        // A file in the way of a directory: the directory wins.
                        let n = &mut self.nodes[id as usize];
                        let (old, old_layer) = (n.size, n.layer);
                        n.kind = EntryKind::Dir;
                        n.size = 0;
                        n.link = None;
                        n.hash = None;
                        n.mode = 0o755;
                        n.layer = layer;
                        out.push(LayerChange {
                            node: id,
                            status: ChangeStatus::Modified,
                            kind: EntryKind::Dir,
                            size: old,
                            shadowed: old,
                            shadowed_layer: Some(old_layer),
                        });
                    }
                    id
                }
                (hash, None) => {
                    let id = self.new_node(cur, comp, hash, layer);
                    out.push(LayerChange {
                        node: id,
                        status: ChangeStatus::Added,
                        kind: EntryKind::Dir,
                        size: 0,
                        shadowed: 0,
                        shadowed_layer: None,
                    });
                    id
                }
            };
        }
        cur
    }

    /// Applies one layer's entries on top of the tree, returning its changes.
    pub fn apply_layer(&mut self, layer_index: u32, entries: &Entries) -> Vec<LayerChange> {
        let mut out = Vec::new();
        // Growing the index rehashes every node, reading each name from the
        // arena again; one reservation per layer avoids most of that. At
        // most one entry a path, and 5 bytes a slot, so it never costs much
        // even when the layer only rewrites paths that exist.
        let (nodes, hasher) = (&self.nodes, &self.hasher);
        self.index.reserve(entries.len(), |&k| {
            let n = &nodes[k as usize];
            key_hash(hasher, n.parent, &n.name)
        });
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
                    kind: self.nodes[id as usize].kind,
                    size,
                    shadowed: size,
                    shadowed_layer: Some(self.nodes[id as usize].layer),
                });
                self.detach(id);
            } else if self.nodes[id as usize].kind == EntryKind::Dir {
                // Reported in name order, whatever order they arrived in.
                let mut kids = self.detach_children(id);
                self.sort_by_name(&mut kids);
                for k in kids {
                    let size = self.subtree_size(k);
                    out.push(LayerChange {
                        node: k,
                        status: ChangeStatus::Deleted,
                        kind: self.nodes[k as usize].kind,
                        size,
                        shadowed: size,
                        shadowed_layer: Some(self.nodes[k as usize].layer),
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
        let mut parents: hashbrown::HashMap<&[u8], NodeId> = hashbrown::HashMap::new();
        for e in entries.iter().filter(|e| !e.kind.is_whiteout()) {
            if e.path.is_empty() {
                continue;
            }
            let (parent_path, name) = split_parent(e.path);
            let parent = match last_parent {
                Some((p, id)) if p == parent_path => id,
                _ => match parents.get(parent_path) {
                    Some(&id) => id,
                    None => {
                        let id = self.ensure_parents(parent_path, layer_index, &mut out);
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
                    hash = self.nodes[t as usize].hash;
                }
            }
            let mut shadowed = (0, None);
            let (id, status) = match self.find(parent, name) {
                (key, None) => {
                    let id = self.new_node(parent, name, key, layer_index);
                    self.set(id, &e, hash, layer_index);
                    (id, ChangeStatus::Added)
                }
                (_, Some(id)) => {
                    let n = &self.nodes[id as usize];
                    // What stays hidden below: the old version, and when a
                    // file replaces a directory, everything that was in it.
                    // A directory over a directory hides nothing.
                    if !(n.kind == EntryKind::Dir && e.kind == EntryKind::Dir) {
                        shadowed = (self.subtree_size(id), Some(n.layer));
                    }
                    let n = &self.nodes[id as usize];
                    let same = n.kind == e.kind
                        && n.hash == hash
                        && n.mode == e.mode
                        && n.uid == e.uid
                        && n.gid == e.gid
                        && n.link.as_deref() == e.link;
                    if n.kind == EntryKind::Dir && e.kind != EntryKind::Dir {
                        // A file replaces a directory and everything in it.
                        self.detach_children(id);
                        parents.clear();
                    }
                    self.set(id, &e, hash, layer_index);
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
                shadowed_layer: shadowed.1,
            });
        }
        out
    }

    fn set(&mut self, id: NodeId, e: &EntryRef, hash: Option<ContentHash>, layer: u32) {
        let n = &mut self.nodes[id as usize];
        n.kind = e.kind;
        n.size = e.size;
        n.mode = e.mode;
        n.uid = e.uid;
        n.gid = e.gid;
        n.link = e.link.map(Link::new);
        n.hash = hash;
        n.layer = layer;
        n.flags = e.flags;
    }

    /// The layer and path under which the pass saw a file's bytes: its own,
    /// or for a hard link its target's (a link to a link leads nowhere).
    fn bytes_of<'a>(&self, layers: &'a [Layer], id: NodeId) -> Option<(&'a Layer, Vec<u8>)> {
        let mut id = id;
        let n = &self.nodes[id as usize];
        if n.kind == EntryKind::HardLink {
            id = self.lookup(n.link.as_deref()?)?;
            if self.nodes[id as usize].kind == EntryKind::HardLink {
                return None;
            }
        }
        let layer = layers.get(self.nodes[id as usize].layer as usize)?;
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
            if n.kids == NO_KIDS {
                continue;
            }
            let (mut total, mut files) = (n.size, u32::from(n.kind == EntryKind::File));
            for &c in self.children(id) {
                total += self.total(c);
                files += self.files(c);
            }
            let k = &mut self.kids[n.kids as usize];
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
