//! The runtime audit: what an image still ships that a runtime rarely needs.

use super::rules::{Bucket, Rules};
use super::{Owner, OwnerKind, Side};
use crate::image::capture::flags;
use crate::image::{EntryKind, Image};
use crate::tree::{FileTree, NodeId};
use serde::Serialize;
use std::collections::BTreeMap;

/// What a finding is about. `--fail-on` takes these names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FindingKind {
    /// A toolchain (compiler, SDK, build tool) by the toolchain rules.
    Toolchain,
    /// Source and build files by the source rules.
    Source,
    /// A shell in a bin/ or sbin/ directory.
    Shell,
    /// A package manager in a bin/ or sbin/ directory.
    PackageManager,
    /// A setuid or setgid file.
    Setuid,
    /// A world-writable file, or a world-writable directory without the
    /// sticky bit.
    WorldWritable,
    /// A private key (by header) or a secret-holding file by name.
    Secret,
    /// A cache a build left: apt's lists and archives, pip's, npm's, Go's.
    Cache,
}

impl FindingKind {
    pub const ALL: [FindingKind; 8] = [
        FindingKind::Toolchain,
        FindingKind::Source,
        FindingKind::Shell,
        FindingKind::PackageManager,
        FindingKind::Setuid,
        FindingKind::WorldWritable,
        FindingKind::Secret,
        FindingKind::Cache,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::Toolchain => "toolchain",
            FindingKind::Source => "source",
            FindingKind::Shell => "shell",
            FindingKind::PackageManager => "package-manager",
            FindingKind::Setuid => "setuid",
            FindingKind::WorldWritable => "world-writable",
            FindingKind::Secret => "secret",
            FindingKind::Cache => "cache",
        }
    }

    pub fn parse(s: &str) -> Option<FindingKind> {
        let s = s.trim();
        FindingKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .or(match s {
                "setgid" => Some(FindingKind::Setuid),
                "package-managers" | "pkg" => Some(FindingKind::PackageManager),
                "secrets" => Some(FindingKind::Secret),
                "shells" => Some(FindingKind::Shell),
                "caches" => Some(FindingKind::Cache),
                _ => None,
            })
    }
}

/// One thing the image ships.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Escaped, `/`-prefixed path (for toolchains: the group's biggest file).
    pub path: String,
    #[serde(skip)]
    pub node: NodeId,
    /// Bytes involved (toolchains: the whole group).
    pub bytes: u64,
    /// Regular files involved.
    pub files: u32,
    /// Escaped, human detail: the toolchain or rule, the mode, the reason.
    pub detail: String,
}

/// Audits one image on its own.
pub fn audit(image: &Image, tree: &FileTree, rules: &Rules) -> Vec<Finding> {
    let _ = tree; // the image's own squashed tree is rebuilt with facts
    let (side, owners) = super::analyse_one(image, rules);
    let needed = super::closure::closure(image, &side.tree);
    audit_side(&side, &owners, rules, Some(&needed))
}

fn in_bin_dir(tree: &FileTree, id: NodeId) -> bool {
    let parent = tree.node(id).parent;
    let name = tree.node(parent).name;
    name == b"bin" || name == b"sbin"
}

/// Audits an analysed side. Findings are sorted by kind, then path.
pub(crate) fn audit_side(
    side: &Side,
    owners: &[Owner],
    rules: &Rules,
    needed: Option<&super::closure::Closure>,
) -> Vec<Finding> {
    let tree = &side.tree;
    let mut out = Vec::new();
    // Caches: one finding per cache (apt lists and archives, pip's, npm's…).
    let mut caches: BTreeMap<Option<u32>, (NodeId, u64, u32)> = BTreeMap::new();
    // Toolchain groups: one finding each.
    let mut toolchains: BTreeMap<u32, (NodeId, u64, u32)> = BTreeMap::new();
    for id in tree.iter() {
        let n = tree.node(id);
        let f = side.facts(id);
        let path = || side.display_path(id);
        let is_dir = n.kind == EntryKind::Dir;
        if !is_dir {
            if let (Bucket::Toolchain, Some(o)) = (f.bucket, f.owner) {
                let owner = &owners[o as usize];
                let audited = owner.kind != OwnerKind::Toolchain
                    || rules
                        .rules
                        .iter()
                        .find(|r| r.bucket == Bucket::Toolchain && r.name == owner.name)
                        .is_none_or(|r| r.audit);
                if audited {
                    let e = toolchains.entry(o).or_insert((id, 0, 0));
                    // Shown by its biggest file.
                    if n.size > tree.node(e.0).size {
                        e.0 = id;
                    }
                    e.1 += n.size;
                    e.2 += u32::from(n.kind == EntryKind::File);
                }
            }
            if f.bucket == Bucket::BuildCache {
                let e = caches.entry(f.owner).or_insert((id, 0, 0));
                if n.size > tree.node(e.0).size {
                    e.0 = id;
                }
                e.1 += n.size;
                e.2 += u32::from(n.kind == EntryKind::File);
            }
            // The app's own code is what ships on purpose, not a leftover.
            let app_code = needed.is_some_and(|c| c.contains(id));
            if f.bucket == Bucket::Source && !app_code {
                out.push(Finding {
                    kind: FindingKind::Source,
                    path: path(),
                    node: id,
                    bytes: n.size,
                    files: u32::from(n.kind == EntryKind::File),
                    detail: f
                        .owner
                        .map(|o| owners[o as usize].label())
                        .unwrap_or_default(),
                });
            }
        }
        let shell = rules.audit.shells.matches(n.name);
        let pm = !shell && rules.audit.package_managers.matches(n.name);
        if (shell || pm) && !is_dir && in_bin_dir(tree, id) {
            // Only what would run: a file, or a link that leads to one.
            let runs = n.kind == EntryKind::File
                || n.kind == EntryKind::HardLink
                || (n.kind == EntryKind::Symlink
                    && tree
                        .resolve(&tree.path_of(id))
                        .is_some_and(|t| tree.node(t).kind == EntryKind::File));
            if runs {
                out.push(Finding {
                    kind: if shell {
                        FindingKind::Shell
                    } else {
                        FindingKind::PackageManager
                    },
                    path: path(),
                    node: id,
                    bytes: n.size,
                    files: u32::from(n.kind == EntryKind::File),
                    detail: match (&n.link, n.kind) {
                        (Some(l), EntryKind::Symlink) => {
                            format!("-> {}", crate::escape::escape_bytes(l))
                        }
                        _ => String::new(),
                    },
                });
            }
        }
        if n.kind == EntryKind::File && n.mode & 0o6000 != 0 {
            let what = match (n.mode & 0o4000 != 0, n.mode & 0o2000 != 0) {
                (true, true) => "setuid+setgid",
                (true, false) => "setuid",
                _ => "setgid",
            };
            out.push(Finding {
                kind: FindingKind::Setuid,
                path: path(),
                node: id,
                bytes: n.size,
                files: 1,
                detail: format!(
                    "{what}, mode {:04o}, owner {}:{}",
                    n.mode & 0o7777,
                    n.uid,
                    n.gid
                ),
            });
        }
        let world_writable = n.mode & 0o002 != 0
            && match n.kind {
                EntryKind::File => true,
                EntryKind::Dir => n.mode & 0o1000 == 0,
                _ => false,
            };
        if world_writable {
            out.push(Finding {
                kind: FindingKind::WorldWritable,
                path: path(),
                node: id,
                bytes: n.size,
                files: u32::from(n.kind == EntryKind::File),
                detail: format!("mode {:04o}", n.mode & 0o7777),
            });
        }
        if n.kind == EntryKind::File {
            let key = n.flags & flags::PRIVATE_KEY != 0;
            let by_name = rules.audit.secret_names.matches(n.name) && !is_example(n.name);
            if key || by_name {
                out.push(Finding {
                    kind: FindingKind::Secret,
                    path: path(),
                    node: id,
                    bytes: n.size,
                    files: 1,
                    detail: if key {
                        "private key header"
                    } else {
                        "secret file name"
                    }
                    .into(),
                });
            }
        }
    }
    for (o, (first, bytes, files)) in caches {
        out.push(Finding {
            kind: FindingKind::Cache,
            path: side.display_path(first),
            node: first,
            bytes,
            files,
            detail: o.map(|o| owners[o as usize].label()).unwrap_or_default(),
        });
    }
    for (o, (first, bytes, files)) in toolchains {
        out.push(Finding {
            kind: FindingKind::Toolchain,
            path: side.display_path(first),
            node: first,
            bytes,
            files,
            detail: owners[o as usize].label(),
        });
    }
    out.sort_by(|a, b| a.kind.cmp(&b.kind).then_with(|| a.path.cmp(&b.path)));
    out
}

fn is_example(name: &[u8]) -> bool {
    [
        &b".example"[..],
        b".sample",
        b".template",
        b".dist",
        b".tmpl",
    ]
    .iter()
    .any(|s| name.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        for k in FindingKind::ALL {
            assert_eq!(FindingKind::parse(k.as_str()), Some(k));
        }
        for (alias, kind) in [
            ("setgid", FindingKind::Setuid),
            ("package-managers", FindingKind::PackageManager),
            ("pkg", FindingKind::PackageManager),
            ("secrets", FindingKind::Secret),
            ("shells", FindingKind::Shell),
            ("caches", FindingKind::Cache),
            (" shell ", FindingKind::Shell),
        ] {
            assert_eq!(FindingKind::parse(alias), Some(kind), "{alias}");
        }
        assert_eq!(FindingKind::parse("bogus"), None);
        assert_eq!(FindingKind::parse(""), None);
    }
}
