//! Sorting every path of one tree into a bucket and naming its owner.

use super::names::{
    comp_end, component_after, cut_version, is_node_bin, link_target, norm_py, split_name_version,
    upstream_version, version_in_marker,
};
use super::owners::{child_named, Interner, Ownership};
use super::python;
use super::rules::{Bucket, DepKind, Rule, Rules};
use super::{OwnerId, OwnerKind, PathFacts};
use crate::escape::escape_bytes;
use crate::image::entry::split_parent;
use crate::image::{EntryKind, Layer};
use crate::tree::{FileTree, Node, NodeId, ROOT};
use std::collections::HashMap;

/// Walks `tree` depth-first, giving each live node its normalised path from
/// one reused buffer (no allocation per path).
pub(crate) fn walk_paths(tree: &FileTree, mut f: impl FnMut(NodeId, &[u8])) {
    let mut path: Vec<u8> = Vec::with_capacity(256);
    let mut stack: Vec<(NodeId, usize)> =
        tree.children(ROOT).iter().rev().map(|&c| (c, 0)).collect();
    while let Some((id, plen)) = stack.pop() {
        path.truncate(plen);
        if plen > 0 {
            path.push(b'/');
        }
        path.extend_from_slice(tree.node(id).name);
        f(id, &path);
        let mine = path.len();
        stack.extend(tree.children(id).iter().rev().map(|&c| (c, mine)));
    }
}

/// How a rule matched.
#[derive(Clone, Copy)]
enum Hit {
    /// By the owning package.
    Package(usize),
    /// By path or name (unowned files).
    Path(usize),
}

/// Fills `bucket`, `owner` and `package` of `facts` for every live node.
pub(crate) fn classify(
    tree: &FileTree,
    layers: &[Layer],
    rules: &Rules,
    own: &mut Ownership,
    owners: &mut Interner,
    facts: &mut [PathFacts],
) {
    let pkg_rules: Vec<usize> = (0..rules.rules.len())
        .filter(|&i| !rules.rules[i].packages.is_empty() || rules.rules[i].owned)
        .collect();
    let path_rules: Vec<usize> = (0..rules.rules.len())
        .filter(|&i| {
            let r = &rules.rules[i];
            !r.paths.is_empty() || !r.names.is_empty() || r.deps == Some(DepKind::Python)
        })
        .collect();
    let py = python::index(tree, layers, owners);
    // First matching rule per package, computed once per package.
    let pkg_hit: Vec<Option<usize>> = own
        .packages
        .iter()
        .map(|p| {
            pkg_rules.iter().copied().find(|&i| {
                let r = &rules.rules[i];
                r.owned || r.packages.matches(p.name.as_bytes())
            })
        })
        .collect();

    // `[[generated]]` rules whose package is installed: (paths, package).
    let generated: Vec<(&super::glob::GlobSet, usize)> = rules
        .generated
        .iter()
        .filter_map(|g| {
            let p = own.packages.iter().position(|p| p.name == g.package)?;
            Some((&g.paths, p))
        })
        .collect();

    let mut groups: HashMap<usize, OwnerId> = HashMap::new();
    // (rule, package index) → bytes, for toolchain member lists.
    let mut members: HashMap<(usize, usize), u64> = HashMap::new();
    let mut rule_owner: HashMap<usize, OwnerId> = HashMap::new();
    let mut deps = DepNamer::default();
    let mut venv_owner: Option<OwnerId> = None;

    walk_paths(tree, |id, path| {
        let node = tree.node(id);
        let listed = own.package_index(id);
        let pkg = listed
            .or_else(|| compiled_from_package(tree, own, path, node.kind))
            .or_else(|| written_by_scripts(tree, own, &generated, id, path));
        let hit = match pkg {
            Some(p) => pkg_hit[p].map(Hit::Package),
            None => {
                let name = split_parent(path).1;
                path_rules
                    .iter()
                    .copied()
                    .find(|&i| {
                        let r = &rules.rules[i];
                        r.paths.matches(path)
                            || r.names.matches(name)
                            || (r.deps == Some(DepKind::Python)
                                && (py.is_claimed(id) || py.in_venv(path)))
                    })
                    .map(Hit::Path)
            }
        };
        let f = &mut facts[id as usize];
        f.package = listed.map(|p| own.packages[p].owner);
        let bytes = if node.kind == EntryKind::Dir {
            0
        } else {
            node.size
        };
        if let Some(p) = listed {
            if node.kind != EntryKind::Dir {
                own.packages[p].bytes += bytes;
                own.packages[p].files += u32::from(node.kind == EntryKind::File);
            }
        }
        let pkg_owner = pkg.map(|p| own.packages[p].owner);
        let (bucket, owner) = match hit {
            // A program no package owns is named by what it says it is:
            // its Go build info or its embedded Rust dependency list.
            None if pkg_owner.is_none() && node.kind == EntryKind::File => (
                Bucket::Other,
                binary_identity(tree, layers, id)
                    .map(|name| owners.intern(OwnerKind::Rule, name, None, "")),
            ),
            None => (Bucket::Other, pkg_owner),
            Some(h) => {
                let (i, via_package) = match h {
                    Hit::Package(i) => (i, true),
                    Hit::Path(i) => (i, false),
                };
                let r: &Rule = &rules.rules[i];
                let owner = if r.bucket == Bucket::Toolchain {
                    if let (Some(p), false) = (pkg, node.kind == EntryKind::Dir) {
                        *members.entry((i, p)).or_default() += bytes;
                    }
                    Some(*groups.entry(i).or_insert_with(|| {
                        owners.intern(OwnerKind::Toolchain, r.name.clone(), None, "")
                    }))
                } else if via_package {
                    pkg_owner
                } else if let Some(d) = (r.deps == Some(DepKind::Python))
                    .then(|| py.dist_of(id))
                    .flatten()
                {
                    Some(d)
                } else if let Some(d) = r
                    .deps
                    .and_then(|k| deps.name(k, tree, layers, path, &node, owners))
                {
                    Some(d)
                } else if r.deps == Some(DepKind::Python) && py.in_venv(path) {
                    Some(*venv_owner.get_or_insert_with(|| {
                        owners.intern(OwnerKind::Rule, "Python virtualenv".into(), None, "")
                    }))
                } else {
                    Some(*rule_owner.entry(i).or_insert_with(|| {
                        owners.intern(OwnerKind::Rule, r.name.clone(), None, "")
                    }))
                };
                (r.bucket, owner)
            }
        };
        f.bucket = bucket;
        f.owner = owner;
    });

    // Name the toolchain groups: version, then members biggest first.
    for (&rule_i, &gid) in &groups {
        let r = &rules.rules[rule_i];
        let mut ms: Vec<(usize, u64)> = members
            .iter()
            .filter(|((ri, _), _)| *ri == rule_i)
            .map(|(&(_, p), &b)| (p, b))
            .collect();
        ms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let version = if r.version_parts == 0 {
            None
        } else {
            r.version_file
                .as_ref()
                .and_then(|vf| {
                    vf.patterns()
                        .flat_map(|p| find_glob(tree, p))
                        .find_map(|id| tree.content(layers, id))
                        .and_then(version_in_marker)
                })
                .or_else(|| {
                    // The first package pattern that an installed member matches.
                    r.packages.patterns().find_map(|pat| {
                        let g = super::glob::Glob::new(pat);
                        ms.iter()
                            .map(|&(p, _)| &own.packages[p])
                            .find(|p| g.matches(p.name.as_bytes()))
                            .map(|p| upstream_version(&p.version).to_string())
                    })
                })
                .map(|v| cut_version(&v, r.version_parts))
                .filter(|v| !v.is_empty())
        };
        let member_ids: Vec<OwnerId> = ms.iter().map(|&(p, _)| own.packages[p].owner).collect();
        let member_names: Vec<String> = ms
            .iter()
            .map(|&(p, _)| own.packages[p].name.clone())
            .collect();
        let o = owners.get_mut(gid);
        o.version = version.map(|v| escape_bytes(v.as_bytes()).into_owned());
        o.members = member_ids;
        o.member_names = member_names;
    }

    // Packages installed only for a toolchain (libz3-4 for LLVM).
    let is_tool: Vec<bool> = pkg_hit
        .iter()
        .map(|h| h.is_some_and(|i| rules.rules[i].bucket == Bucket::Toolchain))
        .collect();
    let group_of: Vec<Option<OwnerId>> = pkg_hit
        .iter()
        .zip(&is_tool)
        .map(|(h, &t)| h.filter(|_| t).and_then(|i| groups.get(&i).copied()))
        .collect();
    let needed = installed_for(&own.packages, &is_tool, &group_of);
    for (p, gs) in needed.into_iter().enumerate() {
        if gs.is_empty() {
            continue;
        }
        own.packages[p].needed_by = gs.iter().map(|&g| owners.get(g).name_version()).collect();
        let o = owners.get_mut(own.packages[p].owner);
        o.needed_by.extend(gs);
        o.needed_by.sort_unstable();
        o.needed_by.dedup();
    }
}

/// For each package, the toolchain groups it was installed for: it is not a
/// toolchain package (`is_tool`) nor essential, something depends on it,
/// everything that depends on it is a toolchain package or itself installed
/// for one, and a dependency path leads to it from a package of the group
/// (`group_of`). Packages that only each other need, with no toolchain
/// above them, are not.
pub(crate) fn installed_for(
    packages: &[super::Package],
    is_tool: &[bool],
    group_of: &[Option<OwnerId>],
) -> Vec<Vec<OwnerId>> {
    let n = packages.len();
    let deps = |p: usize| {
        packages[p]
            .depends
            .iter()
            .map(|&d| d as usize)
            .filter(move |&d| d < n)
    };
    let mut rdeps: Vec<Vec<usize>> = vec![Vec::new(); n];
    for p in 0..n {
        for d in deps(p) {
            rdeps[d].push(p);
        }
    }
    let mut cand: Vec<bool> = (0..n)
        .map(|p| !is_tool[p] && !packages[p].essential && !rdeps[p].is_empty())
        .collect();
    // Drop every candidate that something else needs; that may drop what it
    // depends on in turn.
    let mut queue: Vec<usize> = (0..n).filter(|&p| cand[p]).collect();
    while let Some(p) = queue.pop() {
        if cand[p] && rdeps[p].iter().any(|&q| !is_tool[q] && !cand[q]) {
            cand[p] = false;
            queue.extend(deps(p).filter(|&d| cand[d]));
        }
    }
    let mut gs: Vec<OwnerId> = group_of.iter().flatten().copied().collect();
    gs.sort_unstable();
    gs.dedup();
    let mut out: Vec<Vec<OwnerId>> = vec![Vec::new(); n];
    let mut seen = vec![false; n];
    for g in gs {
        seen.fill(false);
        let mut stack: Vec<usize> = (0..n).filter(|&t| group_of[t] == Some(g)).collect();
        while let Some(x) = stack.pop() {
            for d in deps(x) {
                if cand[d] && !seen[d] {
                    seen[d] = true;
                    out[d].push(g);
                    stack.push(d);
                }
            }
        }
    }
    out
}

/// The package owning the source of an unlisted compiled Python file:
/// `DIR/__pycache__/NAME.cpython-311.pyc` (or Python 2's `DIR/NAME.pyc`)
/// belongs to whoever owns `DIR/NAME.py`. Debian byte-compiles its Python
/// packages after unpacking them, so their `.pyc` are in no `.list`.
fn compiled_from_package(
    tree: &FileTree,
    own: &Ownership,
    path: &[u8],
    kind: EntryKind,
) -> Option<usize> {
    if kind != EntryKind::File || !path.ends_with(b".pyc") {
        return None;
    }
    let (dir, name) = split_parent(path);
    let (dir_parent, dir_name) = split_parent(dir);
    let mut source = Vec::with_capacity(path.len());
    if dir_name == b"__pycache__" {
        let stem = name.split(|&b| b == b'.').next().unwrap_or(name);
        if !dir_parent.is_empty() {
            source.extend_from_slice(dir_parent);
            source.push(b'/');
        }
        source.extend_from_slice(stem);
        source.extend_from_slice(b".py");
    } else {
        source.extend_from_slice(&path[..path.len() - 1]);
    }
    own.package_index(tree.lookup(&source)?)
}

/// The package whose maintainer scripts made an unlisted file: a
/// `[[generated]]` rule's, or for a link of the alternatives system
/// (`/etc/alternatives/NAME` and the links to it), the package of the
/// program it ends at.
fn written_by_scripts(
    tree: &FileTree,
    own: &Ownership,
    generated: &[(&super::glob::GlobSet, usize)],
    id: NodeId,
    path: &[u8],
) -> Option<usize> {
    let node = tree.node(id);
    if node.kind == EntryKind::Dir {
        return None;
    }
    if let Some(&(_, p)) = generated.iter().find(|(g, _)| g.matches(path)) {
        return Some(p);
    }
    let alternative = node.kind == EntryKind::Symlink
        && (path.starts_with(b"etc/alternatives/")
            || node
                .link
                .is_some_and(|l| l.starts_with(b"/etc/alternatives/")));
    if !alternative {
        return None;
    }
    let end = tree.resolve(path)?;
    (end != id).then(|| own.package_index(end)).flatten()
}

/// Nodes matching a glob of literal and `*`/`?` components (no `**`).
fn find_glob(tree: &FileTree, pattern: &str) -> Vec<NodeId> {
    let mut cur = vec![ROOT];
    for comp in pattern.split('/').filter(|c| !c.is_empty()) {
        let mut next = Vec::new();
        if comp.contains(['*', '?']) {
            let g = super::glob::Glob::new(comp);
            for &d in &cur {
                next.extend(
                    tree.children(d)
                        .iter()
                        .copied()
                        .filter(|&c| g.matches(tree.node(c).name)),
                );
            }
        } else {
            for &d in &cur {
                next.extend(child_named(tree, d, comp.as_bytes()));
            }
        }
        cur = next;
        if cur.is_empty() || cur.len() > 64 {
            break;
        }
    }
    cur.retain(|&id| tree.node(id).kind == EntryKind::File);
    cur
}

/// (normalised name, name, version) of a `*.dist-info`/`*.egg-info`.
type PythonDist = (String, String, String);

/// Names language dependencies, caching one owner per dependency root.
#[derive(Default)]
struct DepNamer {
    roots: HashMap<Box<[u8]>, Option<OwnerId>>,
    python_dists: HashMap<Box<[u8]>, Vec<PythonDist>>,
}

impl DepNamer {
    fn name(
        &mut self,
        kind: DepKind,
        tree: &FileTree,
        layers: &[Layer],
        path: &[u8],
        node: &Node,
        owners: &mut Interner,
    ) -> Option<OwnerId> {
        // `node_modules/.bin/tsc → ../typescript/bin/tsc` is typescript's.
        let bin_target;
        let path = match &node.link {
            Some(link)
                if kind == DepKind::Node
                    && node.kind == EntryKind::Symlink
                    && is_node_bin(path) =>
            {
                bin_target = link_target(path, link);
                &bin_target[..]
            }
            _ => path,
        };
        let root_len = self.root_len(kind, path, node.kind)?;
        let root = &path[..root_len];
        if let Some(&o) = self.roots.get(root) {
            return o;
        }
        let named = self.name_root(kind, tree, layers, root);
        let o = named.map(|(n, v)| {
            owners.intern(
                OwnerKind::Dependency,
                escape_bytes(n.as_bytes()).into_owned(),
                v.map(|v| escape_bytes(v.as_bytes()).into_owned()),
                kind.ecosystem(),
            )
        });
        self.roots.insert(root.into(), o);
        o
    }

    /// Length of the dependency's root directory path within `path`.
    fn root_len(&self, kind: DepKind, path: &[u8], node_kind: EntryKind) -> Option<usize> {
        match kind {
            DepKind::Go => {
                let s = component_after(path, b"pkg/mod/")?;
                if path[s..].starts_with(b"cache/") || &path[s..] == b"cache" {
                    return None;
                }
                let at = s + memchr::memchr(b'@', &path[s..])?;
                Some(comp_end(path, at))
            }
            DepKind::Node => {
                let s = component_after(path, b"node_modules/")?;
                if path[s..].starts_with(b".") {
                    return None;
                }
                let e = comp_end(path, s);
                if path[s..].starts_with(b"@") {
                    (e < path.len()).then(|| comp_end(path, e + 1))
                } else {
                    Some(e)
                }
            }
            DepKind::Python => {
                let s = component_after(path, b"site-packages/")
                    .or_else(|| component_after(path, b"dist-packages/"))?;
                Some(comp_end(path, s))
            }
            DepKind::Cargo => {
                let s = component_after(path, b"registry/src/")
                    .or_else(|| component_after(path, b"registry/cache/"))?;
                let index_end = comp_end(path, s);
                (index_end < path.len()).then(|| comp_end(path, index_end + 1))
            }
            DepKind::Maven => {
                let s = component_after(path, b"repository/")?;
                if node_kind == EntryKind::Dir {
                    return None;
                }
                let (dir, _) = split_parent(path);
                (dir.len() > s && dir[s..].split(|&b| b == b'/').count() >= 3).then_some(dir.len())
            }
            DepKind::Vendor => {
                let s = component_after(path, b"vendor/")?;
                let first = &path[s..comp_end(path, s)];
                let comps = if first.contains(&b'.') { 3 } else { 2 };
                let mut e = s;
                for i in 0..comps {
                    if i > 0 {
                        if e >= path.len() {
                            return None;
                        }
                        e += 1;
                    }
                    e = comp_end(path, e);
                }
                Some(e)
            }
        }
    }

    fn name_root(
        &mut self,
        kind: DepKind,
        tree: &FileTree,
        layers: &[Layer],
        root: &[u8],
    ) -> Option<(String, Option<String>)> {
        let (parent, last) = split_parent(root);
        let s = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match kind {
            DepKind::Go => {
                let s0 = component_after(root, b"pkg/mod/")?;
                let rel = &root[s0..];
                let at = memchr::memrchr(b'@', rel)?;
                Some((s(&rel[..at]), Some(s(&rel[at + 1..]))))
            }
            DepKind::Node => {
                let s0 = component_after(root, b"node_modules/")?;
                let name = s(&root[s0..]);
                let mut pj = root.to_vec();
                pj.extend_from_slice(b"/package.json");
                let version = tree
                    .lookup(&pj)
                    .and_then(|id| tree.content(layers, id))
                    .and_then(|c| serde_json::from_slice::<serde_json::Value>(c).ok())
                    .and_then(|v| v.get("version")?.as_str().map(str::to_string));
                Some((name, version))
            }
            DepKind::Python => {
                for suffix in [&b".dist-info"[..], b".egg-info"] {
                    if let Some(stem) = last.strip_suffix(suffix) {
                        return split_name_version(stem).map(|(n, v)| (s(n), Some(s(v))));
                    }
                }
                let dists = self.python_dists.entry(parent.into()).or_insert_with(|| {
                    let Some(dir) = tree.lookup(parent) else {
                        return Vec::new();
                    };
                    tree.children(dir)
                        .iter()
                        .filter_map(|&c| {
                            let n = &tree.node(c).name;
                            let stem = n
                                .strip_suffix(b".dist-info")
                                .or_else(|| n.strip_suffix(b".egg-info"))?;
                            let (name, ver) = split_name_version(stem)?;
                            Some((norm_py(name), s(name), s(ver)))
                        })
                        .collect()
                });
                let module = last.split(|&b| b == b'.').next().unwrap_or(last);
                let key = norm_py(module);
                dists
                    .iter()
                    .find(|(k, _, _)| *k == key)
                    .map(|(_, n, v)| (n.clone(), Some(v.clone())))
            }
            DepKind::Cargo => {
                let stem = last.strip_suffix(b".crate").unwrap_or(last);
                split_name_version(stem).map(|(n, v)| (s(n), Some(s(v))))
            }
            DepKind::Maven => {
                let s0 = component_after(root, b"repository/")?;
                let comps: Vec<&[u8]> = root[s0..].split(|&b| b == b'/').collect();
                let n = comps.len();
                let group = comps[..n - 2].join(&b'.');
                Some((
                    format!("{}:{}", s(&group), s(comps[n - 2])),
                    Some(s(comps[n - 1])),
                ))
            }
            DepKind::Vendor => {
                let s0 = component_after(root, b"vendor/")?;
                Some((s(&root[s0..]), None))
            }
        }
    }
}

/// What an unowned program says it is (see `ElfFacts::identity`).
fn binary_identity(tree: &FileTree, layers: &[Layer], id: NodeId) -> Option<String> {
    // The header flag first: every unowned file passes here, and looking up
    // its facts costs a path and a search.
    if tree.node(id).flags & crate::image::capture::flags::ELF == 0 {
        return None;
    }
    tree.facts(layers, id)?.elf()?.identity()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_markers_and_packages() {
        assert_eq!(
            version_in_marker(b"go1.21.5\ntime 2023-11-29").as_deref(),
            Some("1.21.5")
        );
        assert_eq!(
            version_in_marker(b"IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"17.0.9\"\n")
                .as_deref(),
            Some("17.0.9")
        );
        assert_eq!(version_in_marker(b"no digits"), None);
        assert_eq!(upstream_version("2:1.19.8-2"), "1.19.8");
        assert_eq!(upstream_version("4:12.2.0-3"), "12.2.0");
        assert_eq!(upstream_version("2.40-2"), "2.40");
        assert_eq!(upstream_version("1.2.3+dfsg~1"), "1.2.3");
        assert_eq!(cut_version("1.19.8", 2), "1.19");
        assert_eq!(cut_version("17.0.9", 1), "17");
    }

    #[test]
    fn splits_names_and_versions() {
        assert_eq!(
            split_name_version(b"serde-json-1.0.108"),
            Some((&b"serde-json"[..], &b"1.0.108"[..]))
        );
        assert_eq!(
            split_name_version(b"requests-2.31.0"),
            Some((&b"requests"[..], &b"2.31.0"[..]))
        );
        assert_eq!(split_name_version(b"noversion"), None);
        assert_eq!(split_name_version(b"-1"), None);
    }

    #[test]
    fn dependency_roots() {
        let n = DepNamer::default();
        let f = EntryKind::File;
        let root = |k, p: &str| n.root_len(k, p.as_bytes(), f).map(|l| p[..l].to_string());
        assert_eq!(
            root(DepKind::Go, "root/go/pkg/mod/github.com/x/y@v1.2.3/z/a.go").as_deref(),
            Some("root/go/pkg/mod/github.com/x/y@v1.2.3")
        );
        assert_eq!(
            root(DepKind::Go, "root/go/pkg/mod/cache/download/x/@v/v1.zip"),
            None
        );
        assert_eq!(
            root(
                DepKind::Node,
                "app/node_modules/a/node_modules/@babel/core/lib/x.js"
            )
            .as_deref(),
            Some("app/node_modules/a/node_modules/@babel/core")
        );
        assert_eq!(root(DepKind::Node, "app/node_modules/.bin/x"), None);
        assert_eq!(
            root(
                DepKind::Python,
                "venv/lib/python3.11/site-packages/requests/api.py"
            )
            .as_deref(),
            Some("venv/lib/python3.11/site-packages/requests")
        );
        assert_eq!(
            root(
                DepKind::Cargo,
                "root/.cargo/registry/src/index.crates.io-6f17/serde-1.0.1/src/lib.rs"
            )
            .as_deref(),
            Some("root/.cargo/registry/src/index.crates.io-6f17/serde-1.0.1")
        );
        assert_eq!(
            root(
                DepKind::Maven,
                "root/.m2/repository/org/slf4j/slf4j-api/2.0.9/slf4j-api-2.0.9.jar"
            )
            .as_deref(),
            Some("root/.m2/repository/org/slf4j/slf4j-api/2.0.9")
        );
        assert_eq!(
            root(
                DepKind::Vendor,
                "src/vendor/github.com/pkg/errors/errors.go"
            )
            .as_deref(),
            Some("src/vendor/github.com/pkg/errors")
        );
        assert_eq!(root(DepKind::Vendor, "src/vendor/modules.txt"), None);
        assert_eq!(root(DepKind::Node, "app/xnode_modules/a/b"), None);
    }

    fn pkg(i: u32, depends: &[u32], essential: bool) -> super::super::Package {
        super::super::Package {
            owner: i,
            name: format!("p{i}"),
            version: String::new(),
            architecture: String::new(),
            manager: "dpkg",
            installed_size: 0,
            section: None,
            bytes: 0,
            files: 0,
            depends: depends.to_vec(),
            essential,
            needed_by: Vec::new(),
        }
    }

    #[test]
    fn packages_installed_only_for_a_toolchain() {
        const G: OwnerId = 100; // gcc's group
        const H: OwnerId = 101; // llvm's group
        let packages = vec![
            pkg(0, &[1, 3, 7, 11], false), // gcc (toolchain G)
            pkg(1, &[2, 3, 13], false),    // libisl: only gcc needs it
            pkg(2, &[3], false),           // libgmp: only libisl
            pkg(3, &[], false),            // libc6: coreutils needs it too
            pkg(4, &[3], false),           // coreutils: nothing needs it
            pkg(5, &[6], false),           // libfoo ⇄ libbar: a cycle no toolchain reaches
            pkg(6, &[5], false),
            pkg(7, &[], false),     // libz3: gcc and llvm
            pkg(8, &[7, 9], false), // llvm (toolchain H)
            pkg(9, &[12], false),   // libedit: llvm and p10 need it
            pkg(10, &[9], false),   // p10: nothing needs it
            pkg(11, &[], true),     // essential: never "for" anything
            pkg(12, &[], false),    // libtinfo: only libedit, which stays
            pkg(13, &[99], false),  // libgmpxx: via libisl (99: out of range)
        ];
        let is_tool: Vec<bool> = (0..14).map(|i| i == 0 || i == 8).collect();
        let group_of: Vec<Option<OwnerId>> = (0..14)
            .map(|i| match i {
                0 => Some(G),
                8 => Some(H),
                _ => None,
            })
            .collect();
        let got = installed_for(&packages, &is_tool, &group_of);
        let want: Vec<Vec<OwnerId>> = (0..14)
            .map(|i| match i {
                1 | 2 | 13 => vec![G],
                7 => vec![G, H],
                _ => vec![],
            })
            .collect();
        assert_eq!(got, want);
        // Without the toolchain flags nothing is installed for one.
        let none = installed_for(&packages, &[false; 14], &[None; 14]);
        assert!(none.iter().all(Vec::is_empty));
    }
}
