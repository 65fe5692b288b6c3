//! Python distributions and virtualenvs: which installed file belongs to
//! which distribution, from each distribution's own record of what it
//! installed, and where the virtualenvs are.
//!
//! - `NAME-VER.dist-info/RECORD`: CSV rows `path,hash,size`, paths relative
//!   to the directory holding the `.dist-info` (site-packages); scripts are
//!   `../../../bin/flask`. Name and version from `METADATA`.
//! - `NAME-VER.egg-info/installed-files.txt` (pip's legacy `setup.py
//!   install`): one path a line, relative to the `.egg-info` directory.
//!   Name and version from `PKG-INFO`.
//! - A directory holding `pyvenv.cfg` next to `bin/` and `lib/` is a
//!   virtualenv.
//!
//! Records are untrusted: a path is joined to its base and normalised into
//! the image root (`..` never climbs above it, `/abs` is image-absolute),
//! looked up through the image's own symlinks only, and counts only when
//! what it finds lies below the distribution's installation prefix
//! (`PREFIX/lib/python3.11/site-packages` → `PREFIX`): a record cannot
//! claim `/etc/passwd` or the app's sources. Files a package database lists
//! stay the package's whatever a record says. Parsers never panic and bound
//! their work.

use super::names::split_name_version;
use super::owners::{child_named, find_listed, Interner};
use super::{OwnerId, OwnerKind};
use crate::escape::escape_bytes;
use crate::image::entry::{normalize_path, split_parent, ImagePath};
use crate::image::{EntryKind, Layer};
use crate::tree::{FileTree, NodeId, ROOT};
use std::borrow::Cow;
use std::collections::HashMap;

/// Most rows read from one record (pip's own RECORD has about 1 000).
pub const MAX_RECORD_ROWS: usize = 200_000;
/// Most distributions indexed in one image.
const MAX_DISTS: usize = 50_000;

/// The first field of every row of a `RECORD` (RFC 4180 CSV: a field may be
/// quoted, `""` is a quote inside quotes, quoted fields may hold commas and
/// newlines). Empty paths are skipped; at most [`MAX_RECORD_ROWS`].
pub fn parse_record(text: &[u8]) -> Vec<Cow<'_, [u8]>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() && out.len() < MAX_RECORD_ROWS {
        let field: Cow<'_, [u8]> = if text[i] == b'"' {
            let mut buf = Vec::new();
            i += 1;
            loop {
                match memchr::memchr(b'"', &text[i..]) {
                    None => {
                        buf.extend_from_slice(&text[i..]);
                        i = text.len();
                        break;
                    }
                    Some(j) => {
                        buf.extend_from_slice(&text[i..i + j]);
                        i += j + 1;
                        if text.get(i) == Some(&b'"') {
                            buf.push(b'"');
                            i += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
            Cow::Owned(buf)
        } else {
            let end = memchr::memchr2(b',', b'\n', &text[i..]).map_or(text.len(), |j| i + j);
            let f = &text[i..end];
            i = end;
            Cow::Borrowed(f.strip_suffix(b"\r").unwrap_or(f))
        };
        // The rest of the row (hash, size), quotes honoured.
        let mut quoted = false;
        while i < text.len() {
            let c = text[i];
            i += 1;
            match c {
                b'"' => quoted = !quoted,
                b'\n' if !quoted => break,
                _ => {}
            }
        }
        if !field.is_empty() {
            out.push(field);
        }
    }
    out
}

/// The lines of an `installed-files.txt`, at most [`MAX_RECORD_ROWS`].
pub fn parse_installed_files(text: &[u8]) -> Vec<&[u8]> {
    text.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .take(MAX_RECORD_ROWS)
        .collect()
}

/// `Name` and `Version` from the header block of a `METADATA`/`PKG-INFO`
/// (email-style headers, ending at the first blank line).
pub fn parse_metadata(text: &[u8]) -> (Option<&[u8]>, Option<&[u8]>) {
    let (mut name, mut version) = (None, None);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        let Some(colon) = memchr::memchr(b':', line) else {
            continue;
        };
        let value = line[colon + 1..].trim_ascii();
        if value.is_empty() {
            continue;
        }
        match &line[..colon] {
            k if k.eq_ignore_ascii_case(b"name") => name = name.or(Some(value)),
            k if k.eq_ignore_ascii_case(b"version") => version = version.or(Some(value)),
            _ => {}
        }
        if name.is_some() && version.is_some() {
            break;
        }
    }
    (name, version)
}

/// A record's path joined to its base directory and normalised into the
/// image root: relative paths are relative to `base`, absolute ones to the
/// image root; `..` never climbs above the root.
pub fn record_target(base: &[u8], entry: &[u8]) -> ImagePath {
    if entry.first() == Some(&b'/') {
        return normalize_path(entry);
    }
    let mut joined = Vec::with_capacity(base.len() + 1 + entry.len());
    joined.extend_from_slice(base);
    joined.push(b'/');
    joined.extend_from_slice(entry);
    normalize_path(&joined)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Claim {
    Dist(OwnerId),
    /// Listed by several records, or a directory several distributions
    /// install into (a namespace package).
    Shared,
}

/// What the Python records of one tree say.
#[derive(Default, Debug)]
pub(crate) struct PythonIndex {
    claims: HashMap<NodeId, Claim>,
    /// Virtualenv roots (normalised paths).
    venvs: Vec<ImagePath>,
}

impl PythonIndex {
    /// The distribution whose record alone lists `id` (files), or into
    /// which alone the listed files below `id` were installed (directories).
    pub fn dist_of(&self, id: NodeId) -> Option<OwnerId> {
        match self.claims.get(&id) {
            Some(Claim::Dist(o)) => Some(*o),
            _ => None,
        }
    }

    /// Whether some record lists `id` or something below it.
    pub fn is_claimed(&self, id: NodeId) -> bool {
        self.claims.contains_key(&id)
    }

    /// Whether `path` is a virtualenv or inside one.
    pub fn in_venv(&self, path: &[u8]) -> bool {
        self.venvs.iter().any(|v| {
            path.starts_with(v) && (path.len() == v.len() || path.get(v.len()) == Some(&b'/'))
        })
    }

    /// A path two records list is neither's (the directory-name heuristic
    /// names it): records do not say which install came last.
    fn claim(&mut self, id: NodeId, owner: OwnerId) {
        let c = self.claims.entry(id).or_insert(Claim::Dist(owner));
        if *c != Claim::Dist(owner) {
            *c = Claim::Shared;
        }
    }

    /// Claims `id` when it really lies below `prefix`, and its directories
    /// up to (not including) `site` when it lies below `site`.
    fn claim_below(
        &mut self,
        tree: &FileTree,
        (prefix, site): (NodeId, NodeId),
        id: NodeId,
        owner: OwnerId,
    ) {
        if !is_below(tree, prefix, id) {
            return;
        }
        self.claim(id, owner);
        let mut dirs = Vec::new();
        let mut cur = tree.node(id).parent;
        while cur != site {
            if cur == ROOT {
                return;
            }
            dirs.push(cur);
            cur = tree.node(cur).parent;
        }
        for d in dirs {
            self.claim(d, owner);
        }
    }
}

/// Whether `id` is `dir` or below it, by the tree's own parent links (so
/// after any symlinks were followed).
fn is_below(tree: &FileTree, dir: NodeId, mut id: NodeId) -> bool {
    loop {
        if id == dir {
            return true;
        }
        if id == ROOT {
            return false;
        }
        id = tree.node(id).parent;
    }
}

/// The installation prefix of a site directory: `PREFIX/lib/python3.11/
/// site-packages`, `usr/lib/python3/dist-packages`. A record may list files
/// anywhere below it (scripts in `PREFIX/bin`, headers, data), nowhere else.
fn prefix_of(tree: &FileTree, site: NodeId) -> NodeId {
    let mut p = site;
    for _ in 0..3 {
        if p == ROOT {
            break;
        }
        p = tree.node(p).parent;
    }
    p
}

/// Whether the directory `dir` looks like a virtualenv root: `pyvenv.cfg`
/// beside `bin/` (or `Scripts/`) and `lib/`, and not the image root.
fn is_venv_root(tree: &FileTree, dir: NodeId) -> bool {
    dir != ROOT
        && child_named(tree, dir, b"pyvenv.cfg").is_some()
        && (child_named(tree, dir, b"bin").is_some()
            || child_named(tree, dir, b"Scripts").is_some())
        && child_named(tree, dir, b"lib").is_some()
}

/// Reads every `.dist-info`/`.egg-info` record and finds the virtualenvs of
/// `tree`. Distributions are interned as `pypi` dependencies named and
/// versioned by their metadata (else by their directory name).
pub(crate) fn index(tree: &FileTree, layers: &[Layer], owners: &mut Interner) -> PythonIndex {
    let mut ix = PythonIndex::default();
    let mut dists: Vec<NodeId> = Vec::new();
    for id in tree.iter() {
        let n = tree.node(id);
        match n.kind {
            EntryKind::Dir
                if dists.len() < MAX_DISTS
                    && (n.name.ends_with(b".dist-info") || n.name.ends_with(b".egg-info")) =>
            {
                dists.push(id);
            }
            EntryKind::File if n.name == b"pyvenv.cfg" && is_venv_root(tree, n.parent) => {
                ix.venvs.push(tree.path_of(n.parent).into_boxed_slice());
            }
            _ => {}
        }
    }
    let content = |dir: NodeId, name: &[u8]| -> Option<&[u8]> {
        let id = child_named(tree, dir, name)?;
        (tree.node(id).kind == EntryKind::File)
            .then(|| tree.content(layers, id))
            .flatten()
    };
    for dist in dists {
        let name = &tree.node(dist).name;
        let egg = name.ends_with(b".egg-info");
        let stem = &name[..name.len() - if egg { 9 } else { 10 }];
        let meta = content(dist, if egg { b"PKG-INFO" } else { b"METADATA" }).map(parse_metadata);
        let from_dir = split_name_version(stem);
        let dist_name = meta
            .and_then(|m| m.0)
            .or(from_dir.map(|d| d.0))
            .unwrap_or(stem);
        let version = meta.and_then(|m| m.1).or(from_dir.map(|d| d.1));
        if dist_name.is_empty() {
            continue;
        }
        let owner = owners.intern(
            OwnerKind::Dependency,
            escape_bytes(dist_name).into_owned(),
            version.map(|v| escape_bytes(v).into_owned()),
            "pypi",
        );
        let site = tree.node(dist).parent;
        let within = (prefix_of(tree, site), site);
        let dist_path = tree.path_of(dist);
        let site_path = split_parent(&dist_path).0;
        ix.claim_below(tree, within, dist, owner);
        let (base, entries): (&[u8], Vec<Cow<'_, [u8]>>) = if egg {
            let listed = content(dist, b"installed-files.txt")
                .map(parse_installed_files)
                .unwrap_or_default();
            (&dist_path, listed.into_iter().map(Cow::Borrowed).collect())
        } else {
            let rows = content(dist, b"RECORD")
                .map(parse_record)
                .unwrap_or_default();
            (site_path, rows)
        };
        for e in entries {
            let target = record_target(base, &e);
            if target.is_empty() {
                continue;
            }
            if let Some(id) = find_listed(tree, &target) {
                ix.claim_below(tree, within, id, owner);
            }
        }
    }
    ix
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Vec<String> {
        parse_record(text)
            .iter()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .collect()
    }

    #[test]
    fn record_rows_plain_quoted_and_crlf() {
        let text = b"flask/__init__.py,sha256=abc,2207\r\n\
../../../bin/flask,sha256=VWVK,209\n\
flask-3.0.3.dist-info/RECORD,,\n\
\"odd,name \"\"quoted\"\".py\",sha256=x,1\n\
\"multi\nline.py\",,\n\
\n\
last/no/newline.py,,";
        assert_eq!(
            rows(text),
            [
                "flask/__init__.py",
                "../../../bin/flask",
                "flask-3.0.3.dist-info/RECORD",
                "odd,name \"quoted\".py",
                "multi\nline.py",
                "last/no/newline.py",
            ]
        );
    }

    #[test]
    fn record_survives_hostile_input() {
        // Unterminated quotes, stray quotes, NULs, empty fields, garbage.
        assert_eq!(rows(b"\"never closed,abc\n"), ["never closed,abc\n"]);
        assert_eq!(rows(b"a\"b,\"c\nd,,\n"), ["a\"b"]);
        assert_eq!(rows(b",,,\n,\n"), Vec::<String>::new());
        assert_eq!(rows(b"\"\""), Vec::<String>::new());
        assert_eq!(rows(b"x\0y,z\n"), ["x\0y"]);
        let garbage: Vec<u8> = (0..50_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let _ = parse_record(&garbage);
        let _ = parse_installed_files(&garbage);
        let _ = parse_metadata(&garbage);
        let many = b"a,,\n".repeat(MAX_RECORD_ROWS + 10);
        assert_eq!(parse_record(&many).len(), MAX_RECORD_ROWS);
    }

    #[test]
    fn record_paths_stay_in_the_image() {
        let site = b"venv/lib/python3.11/site-packages";
        let t = |e: &str| String::from_utf8(record_target(site, e.as_bytes()).into_vec()).unwrap();
        assert_eq!(
            t("flask/app.py"),
            "venv/lib/python3.11/site-packages/flask/app.py"
        );
        assert_eq!(t("../../../bin/flask"), "venv/bin/flask");
        assert_eq!(t("../../../../etc/passwd"), "etc/passwd");
        assert_eq!(t("../../../../../../../../../../etc/shadow"), "etc/shadow");
        assert_eq!(t("/etc/passwd"), "etc/passwd");
        assert_eq!(t("/../../x"), "x");
        assert_eq!(t("./a/./b/../c"), "venv/lib/python3.11/site-packages/a/c");
        assert_eq!(t("../../../../../../.."), "");
    }

    #[test]
    fn metadata_names_and_versions() {
        let m = b"Metadata-Version: 2.1\r\nName: Flask\r\nVersion: 3.0.3\r\nSummary: x\r\n\r\nName: NotThis\n";
        assert_eq!(
            parse_metadata(m),
            (Some(&b"Flask"[..]), Some(&b"3.0.3"[..]))
        );
        assert_eq!(
            parse_metadata(b"Summary: a\n\nName: body\n"),
            (None, None),
            "the body is not headers"
        );
        assert_eq!(
            parse_metadata(b"name:   x  \nVERSION:1\n"),
            (Some(&b"x"[..]), Some(&b"1"[..]))
        );
        assert_eq!(
            parse_metadata(b"Name:\nVersion: 2\n"),
            (None, Some(&b"2"[..]))
        );
    }

    #[test]
    fn installed_files_lines() {
        assert_eq!(
            parse_installed_files(b"../markupsafe/__init__.py\r\n\nPKG-INFO\n"),
            [&b"../markupsafe/__init__.py"[..], b"PKG-INFO"]
        );
    }
}
