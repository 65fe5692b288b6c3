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
    pub fn display_path(&self) -> String {
        display_path(&self.path)
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
    // Fast path: most names are already clean.
    let trimmed = trim_prefix(raw);
    let clean = !trimmed.is_empty()
        && !trimmed.ends_with(b"/")
        && trimmed
            .split(|&b| b == b'/')
            .all(|c| !c.is_empty() && c != b"." && c != b"..");
    if clean {
        return trimmed.into();
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
    parts.join(&b'/').into_boxed_slice()
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

    #[test]
    fn splits_parent() {
        assert_eq!(split_parent(b"a/b/c"), (&b"a/b"[..], &b"c"[..]));
        assert_eq!(split_parent(b"c"), (&b""[..], &b"c"[..]));
    }
}
