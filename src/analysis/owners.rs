//! Who owns what: each image's own package databases (dpkg, distroless
//! `status.d`, apk, rpm), read from the contents the single pass captured,
//! mapped onto the squashed tree.
//!
//! Package databases are untrusted input: parsers never panic, bound the
//! work by the (already bounded) captured bytes, and skip what they do not
//! understand. A database that cannot be read at all costs its ownership,
//! not the comparison: [`Ownership::warnings`] says why.

use super::rpmdb;
use super::{Owner, OwnerId, OwnerKind, Package};
use crate::escape::escape_bytes;
use crate::image::capture::{self, MAX_RPMDB};
use crate::image::entry::{normalize_path, split_parent};
use crate::image::{EntryKind, Layer};
use crate::tree::{FileTree, NodeId, ROOT};
use std::collections::HashMap;

/// Most packages read from one database (a real one has a few thousand).
const MAX_PACKAGES: usize = 100_000;

/// Deduplicates owners by (kind, name, version, ecosystem).
#[derive(Default, Debug)]
pub struct Interner {
    owners: Vec<Owner>,
    index: HashMap<(OwnerKind, String, Option<String>, &'static str), OwnerId>,
}

impl Interner {
    pub fn intern(
        &mut self,
        kind: OwnerKind,
        name: String,
        version: Option<String>,
        ecosystem: &'static str,
    ) -> OwnerId {
        let key = (kind, name, version, ecosystem);
        if let Some(&id) = self.index.get(&key) {
            return id;
        }
        let id = self.owners.len() as OwnerId;
        self.owners.push(Owner {
            kind,
            name: key.1.clone(),
            version: key.2.clone(),
            ecosystem,
            members: Vec::new(),
            member_names: Vec::new(),
            needed_by: Vec::new(),
        });
        self.index.insert(key, id);
        id
    }

    /// Interns a copy of `o` (members are not carried over).
    pub fn intern_owner(&mut self, o: &Owner) -> OwnerId {
        self.intern(o.kind, o.name.clone(), o.version.clone(), o.ecosystem)
    }

    pub fn get(&self, id: OwnerId) -> &Owner {
        &self.owners[id as usize]
    }

    pub fn get_mut(&mut self, id: OwnerId) -> &mut Owner {
        &mut self.owners[id as usize]
    }

    pub fn into_owners(self) -> Vec<Owner> {
        self.owners
    }
}

/// One package as a database describes it (raw bytes: untrusted).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbPackage {
    pub name: Vec<u8>,
    pub version: Vec<u8>,
    pub architecture: Vec<u8>,
    pub installed_size: u64,
    pub section: Option<Vec<u8>>,
    /// Whether its files are on disk (dpkg: installed, unpacked,
    /// half-configured, triggers-*; apk: always).
    pub installed: bool,
    /// apk: the files and directories (normalised), from F:/R: lines.
    pub files: Vec<Vec<u8>>,
    /// apk: the directories (F: lines).
    pub dirs: Vec<Vec<u8>>,
    /// Names it depends on (dpkg Depends and Pre-Depends, every alternative;
    /// apk D:), without versions or architecture qualifiers.
    pub depends: Vec<Vec<u8>>,
    /// Virtual names it provides (dpkg Provides, apk p:).
    pub provides: Vec<Vec<u8>>,
    /// dpkg: `Essential: yes` or `Priority: required`; the system needs it
    /// whatever depends on it.
    pub essential: bool,
}

/// At most this many dependency or provided names per package (hostile
/// databases can list millions).
const MAX_RELATIONS: usize = 512;

/// Names in a dpkg relationship field: `a (>= 1), b:any | c [amd64] <!nocheck>`
/// gives `a`, `b`, `c`.
fn dpkg_relation_names(v: &[u8], out: &mut Vec<Vec<u8>>) {
    for alt in v.split(|&b| b == b',' || b == b'|') {
        let alt = trim(alt);
        let end = alt
            .iter()
            .position(|&b| b.is_ascii_whitespace() || matches!(b, b'(' | b'[' | b'<' | b':'))
            .unwrap_or(alt.len());
        if end > 0 && out.len() < MAX_RELATIONS {
            out.push(alt[..end].to_vec());
        }
    }
}

/// Names in an apk D: or p: line: `so:libc.musl-x86_64.so.1 musl>=1.2 !foo`
/// gives `so:libc.musl-x86_64.so.1`, `musl` (conflicts, `!`, are skipped).
fn apk_relation_names(v: &[u8], out: &mut Vec<Vec<u8>>) {
    for tok in v.split(u8::is_ascii_whitespace) {
        if tok.is_empty() || tok[0] == b'!' {
            continue;
        }
        let end = tok
            .iter()
            .position(|&b| matches!(b, b'<' | b'>' | b'=' | b'~'))
            .unwrap_or(tok.len());
        if end > 0 && out.len() < MAX_RELATIONS {
            out.push(tok[..end].to_vec());
        }
    }
}

/// Splits control-file text into stanzas of (field, value) pairs.
/// Continuation lines (leading space or tab) are skipped: no field stanzas
/// use need them.
fn stanzas(text: &[u8]) -> impl Iterator<Item = Vec<(&[u8], &[u8])>> {
    let mut lines = text.split(|&b| b == b'\n').peekable();
    std::iter::from_fn(move || {
        let mut fields = Vec::new();
        loop {
            match lines.next() {
                None => {
                    return (!fields.is_empty()).then_some(fields);
                }
                Some(line) => {
                    let line = line.strip_suffix(b"\r").unwrap_or(line);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        if fields.is_empty() {
                            continue;
                        }
                        return Some(fields);
                    }
                    if line[0] == b' ' || line[0] == b'\t' {
                        continue;
                    }
                    if let Some(colon) = memchr::memchr(b':', line) {
                        fields.push((&line[..colon], trim(&line[colon + 1..])));
                    }
                }
            }
        }
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &b[start..end.max(start)]
}

fn parse_u64(b: &[u8]) -> Option<u64> {
    std::str::from_utf8(b).ok()?.trim().parse().ok()
}

/// Parses dpkg's `status` (or one `status.d/*` file). Packages without a
/// Status field (distroless) count as installed.
pub fn parse_dpkg_status(text: &[u8]) -> Vec<DbPackage> {
    let mut out = Vec::new();
    for fields in stanzas(text) {
        if out.len() >= MAX_PACKAGES {
            break;
        }
        let mut p = DbPackage {
            installed: true,
            ..Default::default()
        };
        for (k, v) in fields {
            match k {
                b"Package" => p.name = v.to_vec(),
                b"Version" => p.version = v.to_vec(),
                b"Architecture" => p.architecture = v.to_vec(),
                b"Installed-Size" => {
                    p.installed_size = parse_u64(v).unwrap_or(0).saturating_mul(1024)
                }
                b"Section" => p.section = Some(v.to_vec()),
                b"Depends" | b"Pre-Depends" => dpkg_relation_names(v, &mut p.depends),
                b"Provides" => dpkg_relation_names(v, &mut p.provides),
                b"Essential" => p.essential |= v == b"yes",
                b"Priority" => p.essential |= v == b"required",
                b"Status" => {
                    let state = v.rsplit(|&b| b == b' ').next().unwrap_or_default();
                    p.installed = matches!(
                        state,
                        b"installed"
                            | b"unpacked"
                            | b"half-configured"
                            | b"triggers-awaited"
                            | b"triggers-pending"
                    );
                }
                _ => {}
            }
        }
        if !p.name.is_empty() && !p.name.contains(&b'/') {
            out.push(p);
        }
    }
    out
}

/// Parses apk's `lib/apk/db/installed`.
pub fn parse_apk_installed(text: &[u8]) -> Vec<DbPackage> {
    let mut out = Vec::new();
    for fields in stanzas(text) {
        if out.len() >= MAX_PACKAGES {
            break;
        }
        let mut p = DbPackage {
            installed: true,
            ..Default::default()
        };
        let mut dir: Vec<u8> = Vec::new();
        for (k, v) in fields {
            match k {
                b"P" => p.name = v.to_vec(),
                b"V" => p.version = v.to_vec(),
                b"A" => p.architecture = v.to_vec(),
                b"I" => p.installed_size = parse_u64(v).unwrap_or(0),
                b"D" => apk_relation_names(v, &mut p.depends),
                b"p" => apk_relation_names(v, &mut p.provides),
                b"F" => {
                    dir = normalize_path(v).into_vec();
                    if !dir.is_empty() {
                        p.dirs.push(dir.clone());
                    }
                }
                b"R" => {
                    let mut f = dir.clone();
                    if !f.is_empty() {
                        f.push(b'/');
                    }
                    f.extend_from_slice(v);
                    let f = normalize_path(&f).into_vec();
                    if !f.is_empty() {
                        p.files.push(f);
                    }
                }
                _ => {}
            }
        }
        if !p.name.is_empty() {
            out.push(p);
        }
    }
    out
}

/// The child of `dir` named `name`, if any.
pub(crate) fn child_named(tree: &FileTree, dir: NodeId, name: &[u8]) -> Option<NodeId> {
    let kids = tree.children(dir);
    kids.binary_search_by(|&c| (*tree.node(c).name).cmp(name))
        .ok()
        .map(|i| kids[i])
}

/// Where a path a package database names is in the image: the path itself
/// when it has no symlinks on the way, else its parent resolved through the
/// image's own symlinks (merged-/usr: `/bin/ls` is `/usr/bin/ls`) and the
/// last component looked up without following it (so a listed symlink is
/// the symlink, not its target).
pub fn find_listed(tree: &FileTree, path: &[u8]) -> Option<NodeId> {
    if let Some(id) = tree.lookup(path) {
        return Some(id);
    }
    let (parent, name) = split_parent(path);
    let dir = tree.resolve(parent)?;
    if tree.node(dir).kind != EntryKind::Dir {
        return None;
    }
    child_named(tree, dir, name)
}

/// Maps the lines of a dpkg `.list` onto the tree. A line followed by lines
/// below it is a directory in the package's view, even where the image has
/// a symlink there (merged /usr: `/bin`).
fn claim_list(tree: &FileTree, list: &[u8], ids: &mut Vec<(NodeId, bool)>) {
    let mut prev: Option<(Box<[u8]>, usize)> = None;
    for line in list.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let path = normalize_path(line);
        if path.is_empty() {
            continue;
        }
        if let Some((p, i)) = &prev {
            if path.len() > p.len() && path.starts_with(p) && path[p.len()] == b'/' {
                ids[*i].1 = true;
            }
        }
        match find_listed(tree, &path) {
            Some(id) => {
                ids.push((id, tree.node(id).kind == EntryKind::Dir));
                prev = Some((path, ids.len() - 1));
            }
            None => prev = None,
        }
    }
}

const NONE: u32 = u32::MAX;
const SHARED: u32 = u32::MAX - 1;

/// Package ownership of one tree.
#[derive(Clone, Debug, Default)]
pub struct Ownership {
    /// Per NodeId: index into `packages`, or none.
    of: Vec<u32>,
    pub packages: Vec<Package>,
    /// Package databases present but not (fully) read, and why (escaped).
    pub warnings: Vec<String>,
}

impl Ownership {
    /// Index into `packages` of the package that owns `id`.
    pub fn package_index(&self, id: NodeId) -> Option<usize> {
        match self.of.get(id as usize) {
            Some(&i) if i < SHARED => Some(i as usize),
            _ => None,
        }
    }
}

fn claim(of: &mut [u32], id: NodeId, pkg: u32, is_dir: bool) {
    let Some(slot) = of.get_mut(id as usize) else {
        return;
    };
    if id == ROOT {
        return;
    }
    if *slot == NONE {
        *slot = pkg;
    } else if is_dir && *slot != pkg {
        // A directory several packages list belongs to none of them.
        *slot = SHARED;
    }
}

/// Builds the ownership index of a squashed tree from the package databases
/// it holds. `node_count` bounds the NodeIds of `tree`.
pub fn index(
    tree: &FileTree,
    layers: &[Layer],
    node_count: usize,
    owners: &mut Interner,
) -> Ownership {
    let mut of = vec![NONE; node_count];
    let mut db: Vec<Listed> = Vec::new();

    let content = |path: &[u8]| -> Option<&[u8]> {
        let id = tree.lookup(path)?;
        (tree.node(id).kind != EntryKind::Dir).then(|| tree.content(layers, id))?
    };

    // dpkg: status + info/<pkg>[:arch].list
    if let Some(status) = content(b"var/lib/dpkg/status") {
        let info = tree.lookup(b"var/lib/dpkg/info");
        for p in parse_dpkg_status(status) {
            if !p.installed {
                continue;
            }
            let mut ids = Vec::new();
            if let Some(info) = info {
                let mut with_arch = p.name.clone();
                with_arch.push(b':');
                with_arch.extend_from_slice(&p.architecture);
                with_arch.extend_from_slice(b".list");
                let mut plain = p.name.clone();
                plain.extend_from_slice(b".list");
                let list = child_named(tree, info, &with_arch)
                    .or_else(|| child_named(tree, info, &plain))
                    .and_then(|id| tree.content(layers, id));
                if let Some(list) = list {
                    claim_list(tree, list, &mut ids);
                }
            }
            db.push((p, "dpkg", ids));
        }
    }

    // distroless: status.d/<pkg> stanzas, files from status.d/<pkg>.md5sums
    if let Some(dir) = tree.lookup(b"var/lib/dpkg/status.d") {
        for &c in tree.children(dir) {
            let name = &tree.node(c).name;
            if name.ends_with(b".md5sums") {
                continue;
            }
            let Some(text) = tree.content(layers, c) else {
                continue;
            };
            let mut sums = name.to_vec();
            sums.extend_from_slice(b".md5sums");
            let files = child_named(tree, dir, &sums).and_then(|s| tree.content(layers, s));
            for p in parse_dpkg_status(text) {
                if !p.installed || db.iter().any(|(q, m, _)| *m == "dpkg" && q.name == p.name) {
                    continue;
                }
                let mut ids = Vec::new();
                if let Some(files) = files {
                    for line in files.split(|&b| b == b'\n') {
                        // "<md5>  <path>"
                        let Some(sp) = memchr::memchr(b' ', line) else {
                            continue;
                        };
                        let path = normalize_path(trim(&line[sp..]));
                        if let Some(id) = (!path.is_empty())
                            .then(|| find_listed(tree, &path))
                            .flatten()
                        {
                            ids.push((id, tree.node(id).kind == EntryKind::Dir));
                        }
                    }
                }
                db.push((p, "dpkg", ids));
            }
        }
    }

    let mut warnings = Vec::new();
    index_rpm(tree, layers, &mut db, &mut warnings);

    // apk
    if let Some(text) = content(b"lib/apk/db/installed") {
        for mut p in parse_apk_installed(text) {
            let mut ids = Vec::new();
            for d in &p.dirs {
                if let Some(id) = find_listed(tree, d) {
                    ids.push((id, true));
                }
            }
            for f in &p.files {
                if let Some(id) = find_listed(tree, f) {
                    ids.push((id, tree.node(id).kind == EntryKind::Dir));
                }
            }
            p.dirs.clear();
            p.files.clear();
            db.push((p, "apk", ids));
        }
    }

    db.sort_by(|a, b| {
        a.0.name
            .cmp(&b.0.name)
            .then(a.0.architecture.cmp(&b.0.architecture))
    });
    let mut packages = Vec::with_capacity(db.len());
    for (i, (p, manager, ids)) in db.iter().enumerate() {
        for &(id, is_dir) in ids {
            // A directory the package lists where the image has a symlink
            // (merged /usr) is not the package's.
            if is_dir && tree.node(id).kind != EntryKind::Dir {
                continue;
            }
            claim(&mut of, id, i as u32, is_dir);
        }
        let name = escape_bytes(&p.name).into_owned();
        let version = escape_bytes(&p.version).into_owned();
        let owner = owners.intern(
            OwnerKind::Package,
            name.clone(),
            (!version.is_empty()).then(|| version.clone()),
            manager,
        );
        packages.push(Package {
            owner,
            name,
            version,
            architecture: escape_bytes(&p.architecture).into_owned(),
            manager,
            installed_size: p.installed_size,
            section: p.section.as_deref().map(|s| escape_bytes(s).into_owned()),
            bytes: 0,
            files: 0,
            depends: Vec::new(),
            essential: p.essential,
            needed_by: Vec::new(),
        });
    }
    resolve_depends(&db, &mut packages);
    Ownership {
        of,
        packages,
        warnings,
    }
}

/// Turns each package's dependency names into indices of the packages
/// (of the same manager) that satisfy them: by name, else by a name another
/// package provides. Names nothing installed satisfies are dropped.
fn resolve_depends(db: &[Listed], packages: &mut [Package]) {
    let mut by_name: HashMap<(&str, &[u8]), u32> = HashMap::new();
    for (i, (p, manager, _)) in db.iter().enumerate() {
        by_name.entry((manager, &p.name)).or_insert(i as u32);
    }
    for (i, (p, manager, _)) in db.iter().enumerate() {
        for v in &p.provides {
            by_name.entry((manager, v)).or_insert(i as u32);
        }
    }
    for (i, (p, manager, _)) in db.iter().enumerate() {
        let mut deps: Vec<u32> = p
            .depends
            .iter()
            .filter_map(|d| by_name.get(&(*manager, &d[..])).copied())
            .filter(|&j| j as usize != i)
            .collect();
        deps.sort_unstable();
        deps.dedup();
        packages[i].depends = deps;
    }
}

/// A package, its manager, and the nodes it lists with "is a directory to
/// the package".
type Listed = (DbPackage, &'static str, Vec<(NodeId, bool)>);

/// Where rpm keeps its database: Fedora ≥ 36 and openSUSE in
/// `/usr/lib/sysimage/rpm` (with `/var/lib/rpm` a symlink to it), RHEL/UBI,
/// Rocky, CentOS and Amazon Linux in `/var/lib/rpm`. A newer backend wins
/// over an older one left beside it.
const RPM_DIRS: [&[u8]; 2] = [b"usr/lib/sysimage/rpm", b"var/lib/rpm"];

/// How rpm stored its database.
#[derive(Clone, Copy)]
enum RpmBackend {
    /// `rpmdb.sqlite`, rpm ≥ 4.16.
    Sqlite,
    /// `Packages`, a Berkeley DB hash file (rpm < 4.16).
    BerkeleyDb,
}

/// Reads the rpm database of `tree` into `db`; what cannot be read becomes
/// a warning.
fn index_rpm(tree: &FileTree, layers: &[Layer], db: &mut Vec<Listed>, warnings: &mut Vec<String>) {
    let file_in = |dir: &[u8], name: &[u8]| {
        let dir = tree.resolve(dir)?;
        let id = child_named(tree, dir, name)?;
        (tree.node(id).kind == EntryKind::File).then_some(id)
    };
    let found = [
        (&b"rpmdb.sqlite"[..], RpmBackend::Sqlite),
        (b"Packages", RpmBackend::BerkeleyDb),
    ]
    .into_iter()
    .flat_map(|(name, backend)| RPM_DIRS.iter().map(move |d| (*d, name, backend)))
    .find_map(|(d, name, backend)| file_in(d, name).map(|id| (d, name, backend, id)));
    let Some((dir, name, backend, id)) = found else {
        // SUSE's NDB is not read: say so rather than stay silent.
        if let Some(d) = RPM_DIRS
            .iter()
            .find(|d| file_in(d, b"Packages.db").is_some())
        {
            warnings.push(format!(
                "rpm database /{}/Packages.db is NDB (SUSE), which stagediff does not read: no rpm ownership",
                escape_bytes(d),
            ));
        }
        return;
    };
    let shown = format!("/{}/{}", escape_bytes(dir), escape_bytes(name));
    let Some(bytes) = tree.content(layers, id) else {
        let size = tree.node(id).size;
        let why = if size > MAX_RPMDB {
            format!("bigger than the {} limit", crate::format::size(MAX_RPMDB))
        } else {
            format!(
                "over the {} a layer or the {} an image may keep",
                crate::format::size(capture::MAX_PER_LAYER),
                crate::format::size(capture::MAX_PER_IMAGE)
            )
        };
        warnings.push(format!(
            "rpm database {shown} ({}) was not read, {why}: no rpm ownership",
            crate::format::size(size)
        ));
        return;
    };
    let read = match backend {
        RpmBackend::Sqlite => rpmdb::read_sqlite(bytes),
        RpmBackend::BerkeleyDb => rpmdb::read_bdb(bytes),
    };
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            warnings.push(format!(
                "rpm database {shown} is unreadable ({e}): no rpm ownership"
            ));
            return;
        }
    };
    if read.bad_headers > 0 {
        warnings.push(format!(
            "rpm database {shown}: {} package headers skipped ({})",
            read.bad_headers,
            read.first_bad.map(|e| e.to_string()).unwrap_or_default()
        ));
    }
    if read.files_dropped {
        warnings.push(format!(
            "rpm database {shown} lists too many files: some packages own none"
        ));
    }
    for p in read.packages {
        let mut ids = Vec::with_capacity(p.files.len());
        for f in &p.files {
            if let Some(id) = find_listed(tree, &f.path) {
                ids.push((id, f.is_dir || tree.node(id).kind == EntryKind::Dir));
            }
        }
        let version = p.evr();
        db.push((
            DbPackage {
                name: p.name,
                version,
                architecture: p.arch,
                installed_size: p.size,
                section: p.group,
                installed: true,
                // rpm's requirements name capabilities (sonames, paths), not packages.
                ..Default::default()
            },
            "rpm",
            ids,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &[u8] = b"Package: libc6\n\
Status: install ok installed\n\
Priority: optional\n\
Section: libs\n\
Installed-Size: 12000\n\
Architecture: amd64\n\
Version: 2.36-9+deb12u4\n\
Description: GNU C Library\n continuation line: with colon\n .\n\
\n\
Package: oldpkg\n\
Status: deinstall ok config-files\n\
Version: 1.0\n\
\n\
\n\
Package: golang-1.19-go\n\
Status: install ok installed\n\
Architecture: amd64\n\
Version: 1.19.8-2\n\
Section: golang\n\
Installed-Size: 250000\n";

    #[test]
    fn dpkg_status_parses_installed_packages() {
        let p = parse_dpkg_status(STATUS);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].name, b"libc6");
        assert_eq!(p[0].version, b"2.36-9+deb12u4");
        assert_eq!(p[0].installed_size, 12000 * 1024);
        assert_eq!(p[0].section.as_deref(), Some(&b"libs"[..]));
        assert!(p[0].installed);
        assert!(!p[1].installed);
        assert_eq!(p[2].name, b"golang-1.19-go");
        assert!(p[2].installed);
    }

    #[test]
    fn dpkg_status_survives_garbage() {
        let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
        let _ = parse_dpkg_status(&garbage);
        let _ = parse_apk_installed(&garbage);
        // CRLF, no trailing newline, fields without values, huge sizes.
        let p = parse_dpkg_status(
            b"Package: a\r\nInstalled-Size: 99999999999999999999\r\nVersion:\r\nStatus:\r\n\r\nPackage:\nPackage: ../evil/x\n\nNoColonHere\n",
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, b"a");
        assert_eq!(p[0].installed_size, 0);
        assert!(!p[0].installed, "an empty Status is no installed state");
        assert!(parse_dpkg_status(b"").is_empty());
        assert!(parse_dpkg_status(b"\n\n\n").is_empty());
    }

    #[test]
    fn relations_are_names_without_versions_arches_or_conflicts() {
        let p = parse_dpkg_status(
            b"Package: rustc-web\nStatus: install ok installed\nPriority: optional\n\
Depends: libc6 (>= 2.34), libstd-rust-web-dev (= 1.85.0), gcc | clang:any [amd64], libc-dev <!nocheck>\n\
Pre-Depends: dpkg (>= 1.17)\nProvides: rustc (= 1.85)\n\n\
Package: dpkg\nEssential: yes\n\nPackage: libc6\nPriority: required\n",
        );
        let names = |v: &[Vec<u8>]| -> Vec<String> {
            v.iter()
                .map(|n| String::from_utf8_lossy(n).into_owned())
                .collect()
        };
        assert_eq!(
            names(&p[0].depends),
            [
                "libc6",
                "libstd-rust-web-dev",
                "gcc",
                "clang",
                "libc-dev",
                "dpkg"
            ]
        );
        assert_eq!(names(&p[0].provides), ["rustc"]);
        assert_eq!(
            p.iter().map(|p| p.essential).collect::<Vec<_>>(),
            [false, true, true]
        );
        let a = parse_apk_installed(
            b"P:gcc\nD:so:libc.musl-x86_64.so.1 binutils>=2.40 !gcc-doc libgcc~13 isl<27\np:cc=13 so:libgcc.so.1=1\n",
        );
        assert_eq!(
            names(&a[0].depends),
            ["so:libc.musl-x86_64.so.1", "binutils", "libgcc", "isl"]
        );
        assert_eq!(names(&a[0].provides), ["cc", "so:libgcc.so.1"]);
        // A hostile database cannot make a package's relations unbounded.
        let many = format!("Package: x\nDepends: {}\n", vec!["a"; 100_000].join(", "));
        assert_eq!(
            parse_dpkg_status(many.as_bytes())[0].depends.len(),
            MAX_RELATIONS
        );
    }

    #[test]
    fn apk_installed_parses_files() {
        let p = parse_apk_installed(
            b"C:Q1abc=\nP:musl\nV:1.2.4-r2\nA:x86_64\nI:622592\nF:lib\nR:ld-musl-x86_64.so.1\nR:libc.musl-x86_64.so.1\n\nP:busybox\nV:1.36.1-r5\nF:bin\nR:busybox\nF:etc\nR:../../../escape\n",
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, b"musl");
        assert_eq!(p[0].installed_size, 622592);
        assert_eq!(
            p[0].files,
            vec![
                b"lib/ld-musl-x86_64.so.1".to_vec(),
                b"lib/libc.musl-x86_64.so.1".to_vec()
            ]
        );
        assert_eq!(p[0].dirs, vec![b"lib".to_vec()]);
        assert_eq!(p[1].files[0], b"bin/busybox");
        // `..` never climbs out of the root.
        assert_eq!(p[1].files[1], b"escape");
    }

    fn tree(entries: &[(&str, EntryKind, Option<&str>)]) -> FileTree {
        let es: Vec<crate::image::Entry> = entries
            .iter()
            .map(|(p, k, l)| crate::image::Entry {
                path: normalize_path(p.as_bytes()),
                kind: *k,
                size: 1,
                mode: 0o755,
                uid: 0,
                gid: 0,
                link: l.map(|l| l.as_bytes().into()),
                hash: None,
                device: None,
                flags: 0,
            })
            .collect();
        let mut t = FileTree::new();
        t.apply_layer(0, &es);
        t.rollup();
        t
    }

    #[test]
    fn merged_usr_paths_resolve_through_the_image() {
        let t = tree(&[
            ("usr/bin", EntryKind::Dir, None),
            ("bin", EntryKind::Symlink, Some("usr/bin")),
            ("usr/bin/ls", EntryKind::File, None),
            ("usr/bin/sh", EntryKind::Symlink, Some("dash")),
            ("usr/bin/dash", EntryKind::File, None),
        ]);
        let ls = t.lookup(b"usr/bin/ls").unwrap();
        assert_eq!(find_listed(&t, b"bin/ls"), Some(ls));
        // The listed symlink itself, not its target.
        assert_eq!(find_listed(&t, b"bin/sh"), t.lookup(b"usr/bin/sh"));
        assert_eq!(find_listed(&t, b"bin/nope"), None);
        assert_eq!(find_listed(&t, b"bin/ls/deeper"), None);
        // A .list line with lines below it is a directory to the package.
        let mut ids = Vec::new();
        claim_list(&t, b"/.\n/bin\n/bin/ls\n/bin/sh\n", &mut ids);
        let bin = t.lookup(b"bin").unwrap();
        assert_eq!(
            ids,
            vec![
                (bin, true),
                (ls, false),
                (t.lookup(b"usr/bin/sh").unwrap(), false)
            ]
        );
    }
}
