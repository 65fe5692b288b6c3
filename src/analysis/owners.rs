//! Who owns what: the packages of each image's own databases (parsed in
//! `pkgdb`, located through `claim`) mapped onto the squashed tree, and the
//! owner table both sides share.
//!
//! Package databases are untrusted input: parsers never panic, bound the
//! work by the (already bounded) captured bytes, and skip what they do not
//! understand. A database that cannot be read at all costs its ownership,
//! not the comparison: [`Ownership::warnings`] says why.

pub(crate) use super::claim::child_named;
use super::claim::claim_list;
pub use super::claim::find_listed;
use super::pkgdb::rpm::index_rpm;
pub use super::pkgdb::{apk::parse_apk_installed, dpkg::parse_dpkg_status, DbPackage};
use super::pkgdb::{trim, Listed};
use super::{Owner, OwnerId, OwnerKind, Package};
use crate::escape::escape_bytes;
use crate::image::entry::normalize_path;
use crate::image::{EntryKind, Layer};
use crate::tree::{FileTree, NodeId, ROOT};
use std::collections::HashMap;

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
        // dpkg's own records of each package (`NAME[:ARCH].{list,md5sums,
        // postinst,…}`) are that package's: a toolchain's metadata goes
        // with the toolchain.
        let mut records: HashMap<&[u8], Vec<NodeId>> = HashMap::new();
        if let Some(info) = info {
            for &c in tree.children(info) {
                let n = &tree.node(c).name;
                if let Some(dot) = memchr::memrchr(b'.', n) {
                    records.entry(&n[..dot]).or_default().push(c);
                }
            }
        }
        for p in parse_dpkg_status(status) {
            if !p.installed {
                continue;
            }
            let mut ids = Vec::new();
            let mut with_arch = p.name.clone();
            with_arch.push(b':');
            with_arch.extend_from_slice(&p.architecture);
            for stem in [&p.name[..], &with_arch[..]] {
                for &c in records.get(stem).into_iter().flatten() {
                    ids.push((c, false));
                }
            }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::pkgdb::MAX_RELATIONS;

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
        t.apply_layer(0, &es.into());
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
