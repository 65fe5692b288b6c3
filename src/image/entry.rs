//! One path a layer touches.

use serde::Serialize;
use std::fmt;

/// What a layer entry is. Whiteouts are entries too: they are how a layer
/// deletes what lower layers had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    File,
    Dir,
    Symlink,
    HardLink,
    CharDevice,
    BlockDevice,
    Fifo,
    /// `.wh.NAME`: deletes `NAME` from the layers below.
    Whiteout,
    /// `.wh..wh..opq`: hides everything the layers below had in this directory.
    OpaqueWhiteout,
}

impl EntryKind {
    pub fn is_whiteout(self) -> bool {
        matches!(self, EntryKind::Whiteout | EntryKind::OpaqueWhiteout)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::File => "file",
            EntryKind::Dir => "dir",
            EntryKind::Symlink => "symlink",
            EntryKind::HardLink => "hard_link",
            EntryKind::CharDevice => "char_device",
            EntryKind::BlockDevice => "block_device",
            EntryKind::Fifo => "fifo",
            EntryKind::Whiteout => "whiteout",
            EntryKind::OpaqueWhiteout => "opaque_whiteout",
        }
    }
}

/// 128-bit xxh3 of a regular file's content. Not a security digest: it finds
/// files with equal content (carried over, moved) across images.
///
/// Aligned to 4, not 16: a `u128` would make every [`Entry`] and tree node
/// 16-aligned and its `Option` 32 bytes; at 4 the `Option` is 20 bytes and
/// packs with the `u32` fields around it (a million files carry two).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(C, packed(4))]
pub struct ContentHash(pub u128);

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.0;
        write!(f, "{value:032x}")
    }
}

impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({self})")
    }
}

impl Serialize for ContentHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A path inside an image, as raw bytes: normalised, relative to the image
/// root, without leading `/` (the root itself is the empty path). Names need
/// not be UTF-8.
pub type ImagePath = Box<[u8]>;

/// One entry of a layer tar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Normalised path. For whiteouts, the path that is deleted; for opaque
    /// whiteouts, the directory whose lower contents are hidden.
    pub path: ImagePath,
    pub kind: EntryKind,
    /// Bytes this entry costs, as `docker image inspect` counts them: content
    /// length for files, target length for symlinks, 0 for everything else
    /// (a hard link shares its target's bytes).
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Symlink target as written (not normalised: it is resolved relative to
    /// the link), or the normalised path a hard link points to.
    pub link: Option<Box<[u8]>>,
    /// Content hash of regular files.
    pub hash: Option<ContentHash>,
    /// Major/minor of device nodes.
    pub device: Option<(u32, u32)>,
    /// Facts from the file's first bytes ([`crate::image::capture::flags`]).
    pub flags: u8,
}

impl Entry {
    /// An entry of `kind` at `path` and nothing more: mode 0755 for a
    /// directory and 0644 otherwise, owned by root, no bytes, no link
    /// target, hash, device or header flags.
    pub fn bare(path: &[u8], kind: EntryKind) -> Entry {
        Entry {
            path: path.into(),
            kind,
            size: 0,
            mode: if kind == EntryKind::Dir { 0o755 } else { 0o644 },
            uid: 0,
            gid: 0,
            link: None,
            hash: None,
            device: None,
            flags: 0,
        }
    }

    pub fn display_path(&self) -> String {
        display_path(&self.path)
    }

    pub fn as_ref(&self) -> EntryRef<'_> {
        EntryRef {
            path: &self.path,
            kind: self.kind,
            size: self.size,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            link: self.link.as_deref(),
            hash: self.hash,
            device: self.device,
            flags: self.flags,
        }
    }
}

/// One entry as a layer's [`Entries`] hands it out: [`Entry`]'s fields,
/// with the path and link target borrowed from the layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRef<'a> {
    pub path: &'a [u8],
    pub kind: EntryKind,
    pub size: u64,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub link: Option<&'a [u8]>,
    pub hash: Option<ContentHash>,
    pub device: Option<(u32, u32)>,
    pub flags: u8,
}

impl EntryRef<'_> {
    pub fn display_path(&self) -> String {
        display_path(self.path)
    }

    pub fn to_entry(&self) -> Entry {
        Entry {
            path: self.path.into(),
            kind: self.kind,
            size: self.size,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            link: self.link.map(Box::from),
            hash: self.hash,
            device: self.device,
            flags: self.flags,
        }
    }
}

/// A layer's entries, in tar order, stored compactly: a fixed 48-byte
/// record each, and every path and link target back to back in one buffer
/// (a `Box<[u8]>` a path was 16 bytes plus a heap block of at least 32,
/// and a malloc, for each of a million entries). Device numbers, and the
/// lengths and modes too wide for a record, are rare and kept aside.
///
/// A handle: cloning it shares the entries (a [`crate::tree::FileTree`]
/// keeps the layers it was built from this way and reads a node's facts
/// from its entry instead of copying them); pushing to a shared handle
/// copies first.
#[derive(Clone, Default)]
pub struct Entries(std::sync::Arc<Stored>);

#[derive(Clone, Default)]
struct Stored {
    records: Vec<Record>,
    bytes: Vec<u8>,
    /// (entry index, (major, minor)), in index order.
    devices: Vec<(u32, (u32, u32))>,
    /// (entry index, lengths and mode) of the records marked [`WIDE`], in
    /// index order.
    wide: Vec<(u32, Wide)>,
}

#[derive(Clone, Copy)]
struct Record {
    /// Where the path starts in `bytes` (the link target follows it), in
    /// the bits under [`START`]; [`HAS_HASH`] and [`WIDE`] above them.
    start: u64,
    size: u64,
    hash: ContentHash,
    uid: u32,
    gid: u32,
    /// [`WIDE_LEN`] when the record is [`WIDE`].
    path_len: u16,
    /// [`NO_LINK16`] when the entry has none.
    link_len: u16,
    mode: u16,
    kind: EntryKind,
    flags: u8,
}

/// What a [`WIDE`] record's lengths and mode are.
#[derive(Clone, Copy)]
struct Wide {
    path_len: u32,
    /// [`NO_LINK`] when the entry has none.
    link_len: u32,
    mode: u32,
}

/// Bits of [`Record::start`] that hold the offset: 256 TiB, far beyond any
/// buffer this process could hold.
const START: u64 = (1 << 48) - 1;
const HAS_HASH: u64 = 1 << 63;
/// The lengths and mode are in [`Stored::wide`]: a path or link target of
/// 64 KiB or more (the tar walker refuses paths over `PATH_MAX`, so only
/// entries made in memory), or a mode above 16 bits (tar modes are 12).
const WIDE: u64 = 1 << 62;

const NO_LINK: u32 = u32::MAX;
const NO_LINK16: u16 = u16::MAX;
const WIDE_LEN: u16 = u16::MAX - 1;

/// A length as stored. Paths and links are bounded far below (the tar
/// walker refuses names over `PATH_MAX`), so this never shortens one that
/// came from an image.
fn len32(b: &[u8]) -> u32 {
    u32::try_from(b.len())
        .unwrap_or(NO_LINK - 1)
        .min(NO_LINK - 1)
}

/// A record's field when it fits, below the markers.
fn narrow(v: u32) -> Option<u16> {
    u16::try_from(v).ok().filter(|&v| v < WIDE_LEN)
}

impl Entries {
    pub fn new() -> Entries {
        Entries::default()
    }

    pub fn len(&self) -> usize {
        self.0.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.records.is_empty()
    }

    pub fn push(&mut self, e: &Entry) {
        self.push_ref(e.as_ref());
    }

    /// Copies an entry in.
    pub fn push_ref(&mut self, e: EntryRef<'_>) {
        std::sync::Arc::make_mut(&mut self.0).push_ref(e);
    }

    pub fn get(&self, i: usize) -> Option<EntryRef<'_>> {
        self.0.get(i)
    }

    /// An entry's size alone ([`Entry::size`]; 0 past the end).
    pub(crate) fn size(&self, i: usize) -> u64 {
        self.0.records.get(i).map_or(0, |r| r.size)
    }

    pub fn last(&self) -> Option<EntryRef<'_>> {
        self.0.last()
    }

    pub fn iter(&self) -> EntriesIter<'_> {
        EntriesIter {
            entries: self,
            front: 0,
            back: self.len(),
        }
    }

    pub fn to_vec(&self) -> Vec<Entry> {
        self.iter().map(|e| e.to_entry()).collect()
    }
}

/// Entries as the tar walker gathers them: owned outright, so a million
/// pushes do not each ask whether the handle is shared.
#[derive(Default)]
pub(crate) struct EntriesBuilder(Stored);

impl EntriesBuilder {
    /// Copies an entry in (no path of its own first).
    pub(crate) fn push_ref(&mut self, e: EntryRef<'_>) {
        self.0.push_ref(e);
    }

    pub(crate) fn last(&self) -> Option<EntryRef<'_>> {
        self.0.last()
    }

    /// Sets the content hash of the entry pushed last.
    pub(crate) fn set_last_hash(&mut self, hash: Option<ContentHash>) {
        if let Some(r) = self.0.records.last_mut() {
            r.hash = hash.unwrap_or(ContentHash(0));
            r.start = if hash.is_some() {
                r.start | HAS_HASH
            } else {
                r.start & !HAS_HASH
            };
        }
    }

    /// Sets the header facts of the entry pushed last.
    pub(crate) fn set_last_flags(&mut self, flags: u8) {
        if let Some(r) = self.0.records.last_mut() {
            r.flags = flags;
        }
    }

    pub(crate) fn finish(self) -> Entries {
        Entries(std::sync::Arc::new(self.0))
    }
}

impl Stored {
    fn push_ref(&mut self, e: EntryRef<'_>) {
        let index = self.records.len() as u32;
        let mut start = self.bytes.len() as u64 & START;
        let path_len = len32(e.path);
        self.bytes.extend_from_slice(&e.path[..path_len as usize]);
        let link_len = match e.link {
            Some(l) => {
                let n = len32(l);
                self.bytes.extend_from_slice(&l[..n as usize]);
                n
            }
            None => NO_LINK,
        };
        if let Some(d) = e.device {
            self.devices.push((index, d));
        }
        let narrow_link = match link_len {
            NO_LINK => Some(NO_LINK16),
            n => narrow(n),
        };
        let (path16, link16, mode16) =
            match (narrow(path_len), narrow_link, u16::try_from(e.mode).ok()) {
                (Some(p), Some(l), Some(m)) => (p, l, m),
                _ => {
                    start |= WIDE;
                    let wide = Wide {
                        path_len,
                        link_len,
                        mode: e.mode,
                    };
                    self.wide.push((index, wide));
                    (WIDE_LEN, WIDE_LEN, 0)
                }
            };
        if e.hash.is_some() {
            start |= HAS_HASH;
        }
        self.records.push(Record {
            start,
            size: e.size,
            hash: e.hash.unwrap_or(ContentHash(0)),
            uid: e.uid,
            gid: e.gid,
            path_len: path16,
            link_len: link16,
            mode: mode16,
            kind: e.kind,
            flags: e.flags,
        });
    }

    fn get(&self, i: usize) -> Option<EntryRef<'_>> {
        let r = self.records.get(i)?;
        let (path_len, link_len, mode) = if r.start & WIDE == 0 {
            let link_len = match r.link_len {
                NO_LINK16 => NO_LINK,
                n => u32::from(n),
            };
            (u32::from(r.path_len), link_len, u32::from(r.mode))
        } else {
            let w = self
                .wide
                .binary_search_by_key(&(i as u32), |w| w.0)
                .ok()
                .map(|j| self.wide[j].1)?;
            (w.path_len, w.link_len, w.mode)
        };
        let start = (r.start & START) as usize;
        let path_end = start + path_len as usize;
        let link =
            (link_len != NO_LINK).then(|| &self.bytes[path_end..path_end + link_len as usize]);
        let device = if self.devices.is_empty() {
            None
        } else {
            self.devices
                .binary_search_by_key(&(i as u32), |d| d.0)
                .ok()
                .map(|j| self.devices[j].1)
        };
        Some(EntryRef {
            path: &self.bytes[start..path_end],
            kind: r.kind,
            size: r.size,
            mode,
            uid: r.uid,
            gid: r.gid,
            link,
            hash: (r.start & HAS_HASH != 0).then_some(r.hash),
            device,
            flags: r.flags,
        })
    }

    fn last(&self) -> Option<EntryRef<'_>> {
        self.get(self.records.len().checked_sub(1)?)
    }
}

/// [`Entries::iter`].
pub struct EntriesIter<'a> {
    entries: &'a Entries,
    front: usize,
    back: usize,
}

impl<'a> Iterator for EntriesIter<'a> {
    type Item = EntryRef<'a>;
    fn next(&mut self) -> Option<EntryRef<'a>> {
        if self.front >= self.back {
            return None;
        }
        self.front += 1;
        self.entries.get(self.front - 1)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.back - self.front;
        (n, Some(n))
    }
}

impl DoubleEndedIterator for EntriesIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        self.back -= 1;
        self.entries.get(self.back)
    }
}

impl ExactSizeIterator for EntriesIter<'_> {}

impl<'a> IntoIterator for &'a Entries {
    type Item = EntryRef<'a>;
    type IntoIter = EntriesIter<'a>;
    fn into_iter(self) -> EntriesIter<'a> {
        self.iter()
    }
}

impl From<Vec<Entry>> for Entries {
    fn from(v: Vec<Entry>) -> Entries {
        v.iter().collect()
    }
}

impl<'a> FromIterator<&'a Entry> for Entries {
    fn from_iter<I: IntoIterator<Item = &'a Entry>>(it: I) -> Entries {
        let mut out = Entries::new();
        for e in it {
            out.push(e);
        }
        out
    }
}

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Entries {}

impl fmt::Debug for Entries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// `/`-prefixed, escaped form of a path for people.
pub fn display_path(path: &[u8]) -> String {
    let mut s = String::with_capacity(path.len() + 1);
    s.push('/');
    s.push_str(&crate::escape::escape_bytes(path));
    s
}

/// Normalises a path from a tar header into the image root: strips leading
/// `/` and `./`, drops `.` and empty components, and resolves `..` lexically
/// without ever climbing above the root. `../x` and `/abs` both stay inside.
pub fn normalize_path(raw: &[u8]) -> ImagePath {
    normalized(raw).into()
}

/// [`normalize_path`], borrowing from `raw` when it is clean already (as
/// nearly every name in a tar is): no allocation per entry.
pub fn normalized(raw: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    let trimmed = trim_prefix(raw);
    let clean = !trimmed.is_empty()
        && !trimmed.ends_with(b"/")
        && trimmed
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..");
    if clean {
        return std::borrow::Cow::Borrowed(trimmed);
    }
    let mut parts: Vec<&[u8]> = Vec::new();
    for comp in raw.split(|&b| b == b'/') {
        match comp {
            b"" | b"." => {}
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    std::borrow::Cow::Owned(parts.join(&b'/'))
}

fn trim_prefix(mut p: &[u8]) -> &[u8] {
    loop {
        if let Some(rest) = p.strip_prefix(b"/") {
            p = rest;
        } else if let Some(rest) = p.strip_prefix(b"./") {
            p = rest;
        } else {
            return p;
        }
    }
}

/// Splits a normalised path into (parent, name).
pub fn split_parent(path: &[u8]) -> (&[u8], &[u8]) {
    match memchr::memrchr(b'/', path) {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (&[], path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        String::from_utf8(normalize_path(s.as_bytes()).into_vec()).unwrap()
    }

    #[test]
    fn normalises_into_the_root() {
        assert_eq!(n("./usr/bin/ls"), "usr/bin/ls");
        assert_eq!(n("usr/bin/"), "usr/bin");
        assert_eq!(n("/abs/path"), "abs/path");
        assert_eq!(n("../x"), "x");
        assert_eq!(n("../../../../etc/passwd"), "etc/passwd");
        assert_eq!(n("a/./b//c/../d"), "a/b/d");
        assert_eq!(n("./"), "");
        assert_eq!(n("/"), "");
        assert_eq!(n("a/b/../../.."), "");
    }

    #[test]
    fn non_utf8_names_survive() {
        assert_eq!(&*normalize_path(b"./caf\xe9"), b"caf\xe9");
        assert_eq!(display_path(b"caf\xe9"), "/caf\\xe9");
    }

    fn entry(path: &[u8], kind: EntryKind) -> Entry {
        Entry {
            mode: 0o644,
            ..Entry::bare(path, kind)
        }
    }

    #[test]
    fn entries_give_back_what_was_pushed() {
        let mut file = entry(b"usr/bin/tool", EntryKind::File);
        (file.size, file.uid, file.gid, file.mode) = (7, 1000, 50, 0o755);
        file.hash = Some(ContentHash(u128::MAX - 5));
        file.flags = 3;
        let mut link = entry(b"lib", EntryKind::Symlink);
        link.link = Some(b"usr/lib"[..].into());
        let mut empty_link = entry(b"weird", EntryKind::Symlink);
        empty_link.link = Some(Box::default());
        let mut dev = entry(b"dev/null", EntryKind::CharDevice);
        dev.device = Some((1, 3));
        let mut dev2 = entry(b"dev/sda", EntryKind::BlockDevice);
        dev2.device = Some((8, 0));
        let all = vec![
            entry(b"usr", EntryKind::Dir),
            file,
            link,
            dev,
            entry(b"", EntryKind::Dir),
            empty_link,
            dev2,
            entry("caf\u{e9}".as_bytes(), EntryKind::Fifo),
        ];
        let es = Entries::from(all.clone());
        assert_eq!(es.len(), all.len());
        assert_eq!(es.to_vec(), all);
        assert_eq!(es.iter().rev().map(|e| e.to_entry()).collect::<Vec<_>>(), {
            let mut r = all.clone();
            r.reverse();
            r
        });
        assert_eq!(es.get(all.len()), None);
        assert_eq!(es.last().map(|e| e.path), Some("caf\u{e9}".as_bytes()));
    }

    #[test]
    fn wide_lengths_and_modes_come_back_whole() {
        // Lengths at and around the 16-bit record fields' markers, and a
        // mode above 16 bits: kept aside, given back as pushed, in order
        // with narrow entries around them.
        let mut all = Vec::new();
        for len in [0, 1, 65533, 65534, 65535, 65536, 70_000] {
            let bytes: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let mut long_path = entry(&bytes, EntryKind::File);
            long_path.hash = Some(ContentHash(len as u128));
            all.push(long_path);
            let mut long_link = entry(b"l", EntryKind::Symlink);
            long_link.link = Some(bytes.clone().into());
            all.push(long_link);
        }
        for mode in [0o7777, 0xffff, 0x1_0000, u32::MAX] {
            let mut e = entry(b"m", EntryKind::File);
            e.mode = mode;
            all.push(e);
        }
        let es = Entries::from(all.clone());
        assert_eq!(es.to_vec(), all);
        assert_eq!(es.get(3).map(|e| e.link.map(<[u8]>::len)), Some(Some(1)));
    }

    #[test]
    fn a_shared_handle_is_copied_before_a_push() {
        let mut a = Entries::from(vec![entry(b"a", EntryKind::File)]);
        let b = a.clone();
        let mut flagged = entry(b"b", EntryKind::Dir);
        flagged.flags = 7;
        a.push(&flagged);
        assert_eq!(b.len(), 1);
        assert_eq!(b.to_vec(), vec![entry(b"a", EntryKind::File)]);
        assert_eq!(a.get(1).map(|e| (e.path, e.flags)), Some((&b"b"[..], 7)));
    }

    #[test]
    fn an_entry_record_stays_small() {
        // One per entry of every layer, for the whole run.
        assert!(std::mem::size_of::<Record>() <= 48);
    }

    #[test]
    fn entries_take_the_last_hash_and_flags() {
        let mut b = EntriesBuilder::default();
        b.set_last_hash(Some(ContentHash(1)));
        b.push_ref(entry(b"a", EntryKind::File).as_ref());
        b.push_ref(entry(b"b", EntryKind::File).as_ref());
        b.set_last_hash(Some(ContentHash(9)));
        b.set_last_flags(4);
        assert_eq!(b.last().map(|e| e.path), Some(&b"b"[..]));
        let es = b.finish();
        assert_eq!(es.get(0).and_then(|e| e.hash), None);
        assert_eq!(
            es.get(1).map(|e| (e.hash, e.flags)),
            Some((Some(ContentHash(9)), 4))
        );
        let mut b = EntriesBuilder::default();
        let mut hashed = entry(b"c", EntryKind::File);
        hashed.hash = Some(ContentHash(3));
        b.push_ref(hashed.as_ref());
        b.set_last_hash(None);
        assert_eq!(b.finish().get(0).map(|e| e.hash), Some(None));
    }

    #[test]
    fn splits_parent() {
        assert_eq!(split_parent(b"a/b/c"), (&b"a/b"[..], &b"c"[..]));
        assert_eq!(split_parent(b"c"), (&b""[..], &b"c"[..]));
    }
}
