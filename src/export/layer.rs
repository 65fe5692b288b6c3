//! The one layer of the exported image: a plain tar written as a stream.
//! Its length is known before a byte is written (the headers are fixed by
//! the tree and the contents' sizes by the load), so it can go into the
//! archive as a member whose header comes first; file contents are copied
//! from the second read of IMAGE's layers straight into it.

use crate::image::digest::{Algorithm, Hasher};
use crate::image::tarwalk::Tap;
use crate::image::{ContentHash, EntryKind, EntryRef};
use crate::tree::{FileTree, NodeId};
use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

const BLOCK: u64 = 512;
/// Longest name the header's own field holds; longer ones go in a GNU
/// long-name entry first.
const NAME_FIELD: usize = 100;

pub(super) fn padding(size: u64) -> u64 {
    (BLOCK - size % BLOCK) % BLOCK
}

/// Bytes a GNU long-name (or long-link) entry takes for `name`, 0 when the
/// header's field holds it.
fn long_len(name: &[u8]) -> u64 {
    if name.len() <= NAME_FIELD {
        0
    } else {
        let data = name.len() as u64 + 1;
        BLOCK + data + padding(data)
    }
}

/// What one entry of the layer is.
pub(super) struct Head<'a> {
    pub path: &'a [u8],
    pub kind: EntryKind,
    pub link: Option<&'a [u8]>,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: u64,
}

impl Head<'_> {
    /// The name as written: directories end in `/`.
    fn name(&self) -> Vec<u8> {
        let mut n = self.path.to_vec();
        if self.kind == EntryKind::Dir {
            n.push(b'/');
        }
        n
    }

    /// Bytes of the entry's header blocks (long names included), without
    /// its content.
    pub fn len(&self) -> u64 {
        BLOCK + long_len(&self.name()) + self.link.map_or(0, long_len)
    }

    /// The header blocks.
    pub fn encode(&self) -> Vec<u8> {
        let name = self.name();
        let mut out = Vec::with_capacity(self.len() as usize);
        if name.len() > NAME_FIELD {
            long_entry(&mut out, tar::EntryType::GNULongName, &name);
        }
        if let Some(l) = self.link.filter(|l| l.len() > NAME_FIELD) {
            long_entry(&mut out, tar::EntryType::GNULongLink, l);
        }
        let mut h = tar::Header::new_gnu();
        let n = name.len().min(NAME_FIELD);
        h.as_old_mut().name[..n].copy_from_slice(&name[..n]);
        if let Some(l) = self.link {
            let n = l.len().min(NAME_FIELD);
            h.as_old_mut().linkname[..n].copy_from_slice(&l[..n]);
        }
        h.set_entry_type(match self.kind {
            EntryKind::Dir => tar::EntryType::Directory,
            EntryKind::Symlink => tar::EntryType::Symlink,
            EntryKind::HardLink => tar::EntryType::Link,
            EntryKind::Fifo => tar::EntryType::Fifo,
            _ => tar::EntryType::Regular,
        });
        h.set_size(self.size);
        h.set_mode(self.mode & 0o7777);
        h.set_uid(u64::from(self.uid));
        h.set_gid(u64::from(self.gid));
        h.set_mtime(self.mtime);
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out
    }
}

fn long_entry(out: &mut Vec<u8>, kind: tar::EntryType, name: &[u8]) {
    let mut h = tar::Header::new_gnu();
    let tag = b"././@LongLink";
    h.as_old_mut().name[..tag.len()].copy_from_slice(tag);
    h.set_entry_type(kind);
    h.set_size(name.len() as u64 + 1);
    h.set_mode(0o644);
    h.set_cksum();
    out.extend_from_slice(h.as_bytes());
    out.extend_from_slice(name);
    out.push(0);
    out.resize(out.len() + padding(name.len() as u64 + 1) as usize, 0);
}

/// Why writing the layer stopped.
#[derive(Debug)]
pub(super) enum Stop {
    Write(io::Error),
    Cancelled,
    /// The second read does not match the load.
    Content(String),
}

/// One file the second read must find: the last copy of its path in its
/// layer (a path written twice in one layer: the last copy wins).
struct Wanted {
    node: NodeId,
    copies: u32,
    seen: u32,
    taken: bool,
}

/// The file being copied now.
struct Current {
    node: NodeId,
    remaining: u64,
}

/// Writes the layer: [`LayerWriter::put`] for headers, and as a
/// [`crate::source::reread::LayerTap`] for the files of IMAGE's layers.
pub(super) struct LayerWriter<'w> {
    out: &'w mut (dyn Write + Send),
    tree: &'w FileTree,
    sha: Option<Hasher>,
    pub written: u64,
    /// Files still to find, by the layer whose version they are.
    by_layer: BTreeMap<u32, HashMap<Box<[u8]>, Wanted>>,
    /// The files of the blob being read.
    active: HashMap<Box<[u8]>, Wanted>,
    current: Option<Current>,
    pub stop: Option<Stop>,
    cancel: &'w AtomicBool,
    pub files: u64,
}

impl<'w> LayerWriter<'w> {
    /// A writer for `files` (regular files of `tree`), whose copies are
    /// counted in the layers' entries (`copies`).
    pub fn new(
        out: &'w mut (dyn Write + Send),
        tree: &'w FileTree,
        files: &[NodeId],
        layers: &[crate::image::Layer],
        cancel: &'w AtomicBool,
    ) -> Self {
        let mut by_layer: BTreeMap<u32, HashMap<Box<[u8]>, Wanted>> = BTreeMap::new();
        for &id in files {
            let n = tree.node(id);
            by_layer.entry(n.layer).or_default().insert(
                tree.path_of(id).into_boxed_slice(),
                Wanted {
                    node: id,
                    copies: 0,
                    seen: 0,
                    taken: false,
                },
            );
        }
        for (&l, wanted) in by_layer.iter_mut() {
            if let Some(layer) = layers.get(l as usize) {
                for e in layer.entries.iter().filter(|e| e.kind == EntryKind::File) {
                    if let Some(w) = wanted.get_mut(e.path) {
                        w.copies += 1;
                    }
                }
            }
        }
        LayerWriter {
            out,
            tree,
            sha: Some(Algorithm::Sha256.hasher()),
            written: 0,
            by_layer,
            active: HashMap::new(),
            current: None,
            stop: None,
            cancel,
            files: 0,
        }
    }

    /// Writes bytes of the layer, digesting and counting them.
    pub fn put(&mut self, bytes: &[u8]) -> Result<(), Stop> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(Stop::Cancelled);
        }
        self.out.write_all(bytes).map_err(Stop::Write)?;
        if let Some(s) = &mut self.sha {
            s.update(bytes);
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// The layer's digest (its diff_id), once everything is written.
    pub fn finish(&mut self) -> String {
        self.sha.take().map(Hasher::finish).unwrap_or_default()
    }

    /// Files the second read did not find, by path.
    pub fn missing(&self) -> Option<String> {
        let mut left = self
            .by_layer
            .values()
            .flat_map(|m| m.values())
            .chain(self.active.values())
            .filter(|w| !w.taken);
        left.next().map(|w| {
            format!(
                "{} was not found in layer {} on the second read",
                crate::analysis::closure::show_path(&self.tree.path_of(w.node)),
                self.tree.node(w.node).layer + 1
            )
        })
    }

    fn keep(&mut self, r: Result<(), Stop>) -> bool {
        match r {
            Ok(()) => true,
            Err(e) => {
                self.stop.get_or_insert(e);
                false
            }
        }
    }
}

impl crate::source::reread::LayerTap for LayerWriter<'_> {
    fn layer(&mut self, layers: &[usize]) -> bool {
        // Whatever the previous blob left unfound stays unfound.
        if self.active.values().any(|w| !w.taken) {
            return false;
        }
        self.active.clear();
        for l in layers {
            if let Some(m) = self.by_layer.remove(&(*l as u32)) {
                self.active.extend(m);
            }
        }
        !self.active.is_empty()
    }

    fn tap(&mut self) -> &mut dyn Tap {
        self
    }
}

impl Tap for LayerWriter<'_> {
    fn begin(&mut self, entry: EntryRef<'_>, mtime: u64) -> bool {
        if self.stop.is_some() {
            return false;
        }
        let Some(w) = self.active.get_mut(entry.path) else {
            return false;
        };
        w.seen += 1;
        if w.seen < w.copies || w.taken {
            return false;
        }
        w.taken = true;
        let id = w.node;
        let n = self.tree.node(id);
        if entry.size != n.size {
            let msg = format!(
                "{} has {} bytes on the second read, {} when loaded",
                crate::analysis::closure::show_path(entry.path),
                entry.size,
                n.size
            );
            self.stop = Some(Stop::Content(msg));
            return false;
        }
        let head = Head {
            path: entry.path,
            kind: EntryKind::File,
            link: None,
            size: n.size,
            mode: n.mode,
            uid: n.uid,
            gid: n.gid,
            mtime,
        }
        .encode();
        let r = self.put(&head);
        if !self.keep(r) {
            return false;
        }
        self.current = Some(Current {
            node: id,
            remaining: n.size,
        });
        true
    }

    fn data(&mut self, bytes: &[u8]) -> bool {
        let r = self.put(bytes);
        if let Some(c) = &mut self.current {
            c.remaining = c.remaining.saturating_sub(bytes.len() as u64);
        }
        self.keep(r)
    }

    fn end(&mut self, hash: Option<ContentHash>) -> bool {
        let Some(c) = self.current.take() else {
            return true;
        };
        let n = self.tree.node(c.node);
        if c.remaining != 0 || (n.hash.is_some() && hash != n.hash) {
            let msg = format!(
                "{} differs on the second read from the loaded image",
                crate::analysis::closure::show_path(&self.tree.path_of(c.node))
            );
            // Read on to the layer's end: when its digest fails too, that
            // is the cause to report.
            self.stop.get_or_insert(Stop::Content(msg));
            return true;
        }
        self.files += 1;
        let pad = vec![0u8; padding(n.size) as usize];
        let r = self.put(&pad);
        self.keep(r)
    }
}
