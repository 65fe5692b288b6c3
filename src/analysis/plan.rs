//! The plan for one image: its entrypoint's closure, the runtime image
//! that closure predicts, and what a multi-stage build would remove — the
//! image compared with the predicted runtime by the same attribution as
//! `diff` (buckets, owners), not a second one.

use super::closure::{self, minimal::minimal_tree, AppKind, Closure, Part};
use super::{compare_squashed, Bucket, Comparison, OwnerId, OwnerKind, Rules, Side};
use crate::image::{EntryKind, Image};
use crate::tree::{FileTree, NodeId, ROOT};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// Most `COPY` lines the suggested Dockerfile lists before it stops.
pub const MAX_COPY_LINES: usize = 200;

#[derive(Debug)]
pub struct Plan {
    pub closure: Closure,
    /// The predicted runtime filesystem.
    pub minimal: Arc<FileTree>,
    /// The image (BEFORE) against the predicted runtime (AFTER).
    pub comparison: Comparison,
    /// OS packages the closure's files belong to, by name, with bytes.
    pub os_packages: Vec<(String, u64)>,
    /// The suggested final stage's base.
    pub base: String,
    /// A multi-stage Dockerfile whose final stage copies the closure.
    pub dockerfile: String,
    /// The runtime on the image's own distribution, when it has a package
    /// database.
    pub on_base: Option<OnBase>,
}

/// The runtime a multi-stage build makes when its final stage starts from a
/// minimal base of the image's own distribution rather than `scratch`: the
/// base's packages, the packages the closure's files come from (each with
/// what it depends on, as the package manager would install them), the
/// rest of the closure copied, and the files no package owns that a base
/// carries (configuration the packages' scripts generate, the package
/// database). Build caches, toolchains, sources and language dependencies
/// outside the closure do not come along.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OnBase {
    /// `dpkg`, `apk` or `rpm`.
    pub manager: &'static str,
    /// Packages a minimal base holds, by name (escaped): dpkg's Essential
    /// and Priority required ones with what they depend on (apk and rpm
    /// mark none, so their base is empty and only what the closure needs
    /// counts).
    pub base_packages: Vec<String>,
    /// Packages the closure needs beyond the base, with their
    /// dependencies, by name (escaped).
    pub packages: Vec<String>,
    /// Bytes of files and links the runtime would hold.
    pub bytes: u64,
    /// Regular files.
    pub files: u32,
}

impl Plan {
    /// Bytes the predicted runtime holds.
    pub fn runtime_bytes(&self) -> u64 {
        self.minimal.total_size()
    }

    /// Bytes a multi-stage build would remove.
    pub fn removable_bytes(&self) -> u64 {
        self.comparison.totals.eliminated_bytes
    }
}

/// Plans `image` (squashed as `tree`).
pub fn plan(image: &Image, tree: Arc<FileTree>, rules: &Rules) -> Plan {
    let closure = closure::closure(image, &tree);
    let minimal = Arc::new(minimal_tree(&tree, &closure));
    let comparison = compare_squashed(
        (image, Arc::clone(&tree)),
        (image, Arc::clone(&minimal)),
        rules,
    );
    let mut packages: BTreeMap<String, u64> = BTreeMap::new();
    for (id, _) in closure.required() {
        if let Some(p) = comparison.before.facts(id).package {
            let o = comparison.owner(p);
            if o.kind == OwnerKind::Package {
                *packages.entry(o.name.clone()).or_default() += tree.node(id).size;
            }
        }
    }
    let mut os_packages: Vec<(String, u64)> = packages.into_iter().collect();
    os_packages.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let base = "scratch".to_string();
    let dockerfile = dockerfile(image, &tree, &closure, &base);
    let on_base = on_base(&comparison.before, &closure);
    Plan {
        closure,
        minimal,
        comparison,
        os_packages,
        base,
        dockerfile,
        on_base,
    }
}

/// [`OnBase`] for one analysed image and its closure; `None` without a
/// package database.
pub fn on_base(side: &Side, closure: &Closure) -> Option<OnBase> {
    let packages = &side.packages;
    let manager = packages.first()?.manager;
    let index: HashMap<OwnerId, usize> = packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.owner, i))
        .collect();
    let package_of = |id: NodeId| side.facts(id).package.and_then(|p| index.get(&p).copied());
    // What a package manager installs for `roots`: them and, transitively,
    // what they depend on.
    let install = |kept: &mut Vec<bool>, roots: Vec<usize>| {
        let mut stack = roots;
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut kept[i], true) {
                continue;
            }
            stack.extend(
                packages[i]
                    .depends
                    .iter()
                    .map(|&d| d as usize)
                    .filter(|&d| d < packages.len() && !kept[d]),
            );
        }
    };
    let mut in_base = vec![false; packages.len()];
    install(
        &mut in_base,
        (0..packages.len())
            .filter(|&i| packages[i].essential)
            .collect(),
    );
    let mut kept = in_base.clone();
    install(
        &mut kept,
        closure
            .required()
            .filter_map(|(id, _)| package_of(id))
            .collect(),
    );
    let tree = &side.tree;
    let (mut bytes, mut files) = (0u64, 0u32);
    for id in tree.iter() {
        let node = tree.node(id);
        if node.kind == EntryKind::Dir {
            continue;
        }
        let keep = closure.requires(id)
            || match package_of(id) {
                Some(p) => kept[p],
                // Owned by no package: what a base carries stays; what a
                // build left (caches, sources, toolchains, dependencies
                // outside the closure) goes.
                None => matches!(side.facts(id).bucket, Bucket::Other | Bucket::OsPackage),
            };
        if keep {
            bytes += node.size;
            files += u32::from(node.kind == EntryKind::File);
        }
    }
    // `packages` is sorted by name.
    let names = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..packages.len())
            .filter(|&i| keep(i))
            .map(|i| packages[i].name.clone())
            .collect()
    };
    Some(OnBase {
        manager,
        base_packages: names(&|i| in_base[i]),
        packages: names(&|i| kept[i] && !in_base[i]),
        bytes,
        files,
    })
}

/// What kind of app, in a few words ("static Go 1.19.8 binary").
pub fn describe(closure: &Closure, tree: &FileTree, image: &Image) -> String {
    let facts = closure.program.and_then(|p| tree.facts(&image.layers, p));
    let elf = facts.and_then(|f| f.elf());
    match closure.kind {
        AppKind::StaticBinary | AppKind::DynamicBinary => {
            let linkage = if closure.kind == AppKind::StaticBinary {
                "static"
            } else {
                "dynamic"
            };
            match elf.and_then(|e| e.identity()) {
                Some(identity) => identity,
                None => format!("{linkage} binary"),
            }
        }
        AppKind::Python => "Python app".into(),
        AppKind::Node => "Node.js app".into(),
        AppKind::Java => "Java app".into(),
        AppKind::Shell => "shell script".into(),
        AppKind::Script => "script".into(),
        AppKind::Unknown => "unknown".into(),
    }
}

/// Files and bytes of each part of the closure, in [`Part`] order.
pub fn parts(closure: &Closure, tree: &FileTree) -> Vec<(Part, u32, u64)> {
    let mut by: BTreeMap<Part, (u32, u64)> = BTreeMap::new();
    for (id, item) in closure.required() {
        let e = by.entry(item.part).or_default();
        e.0 += 1;
        e.1 += tree.node(id).size;
    }
    by.into_iter().map(|(p, (n, b))| (p, n, b)).collect()
}

/// A multi-stage Dockerfile: the image as the build stage, a final stage
/// from `base` that copies the closure (whole directories where the
/// closure holds all of one), and the image's own entrypoint.
fn dockerfile(image: &Image, tree: &FileTree, closure: &Closure, base: &str) -> String {
    let mut out = String::new();
    let name = image
        .repo_tags
        .first()
        .cloned()
        .unwrap_or_else(|| image.reference.clone());
    out.push_str(&format!(
        "# The image as it is now: the build stage.\nFROM {} AS build\n\n",
        crate::escape::escape_str(&name)
    ));
    out.push_str(&format!("FROM {base}\n"));
    let sources = copy_sources(tree, closure);
    let total = sources.len();
    for path in sources.iter().take(MAX_COPY_LINES) {
        let p = quote(&super::closure::show_path(path));
        out.push_str(&format!("COPY --from=build [{p}, {p}]\n"));
    }
    if total > MAX_COPY_LINES {
        out.push_str(&format!(
            "# … and {} more paths (stagediff plan --json lists them all)\n",
            total - MAX_COPY_LINES
        ));
    }
    let cfg = &image.config;
    if let Some(w) = &cfg.working_dir {
        out.push_str(&format!("WORKDIR {}\n", quote(w)));
    }
    for e in &cfg.env {
        if let Some((k, v)) = e.split_once('=') {
            out.push_str(&format!(
                "ENV {}={}\n",
                crate::escape::escape_str(k),
                quote(v)
            ));
        }
    }
    if let Some(u) = &cfg.user {
        out.push_str(&format!("USER {}\n", crate::escape::escape_str(u)));
    }
    let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    if !cfg.entrypoint.is_empty() {
        out.push_str(&format!("ENTRYPOINT [{}]\n", list(&cfg.entrypoint)));
    }
    if !cfg.cmd.is_empty() {
        out.push_str(&format!("CMD [{}]\n", list(&cfg.cmd)));
    }
    out
}

fn quote(s: &str) -> String {
    serde_json::to_string(&crate::escape::escape_str(s)).unwrap_or_default()
}

/// The fewest paths whose copies make the closure: a directory when every
/// file and link below it is in, else the files themselves.
fn copy_sources(tree: &FileTree, closure: &Closure) -> Vec<Vec<u8>> {
    // Directories with something outside the closure below them.
    let mut partial: BTreeSet<NodeId> = BTreeSet::new();
    for id in tree.iter() {
        let n = tree.node(id);
        if n.kind != EntryKind::Dir && !closure.requires(id) {
            let mut cur = n.parent;
            while partial.insert(cur) && cur != ROOT {
                cur = tree.node(cur).parent;
            }
        }
    }
    let mut out = BTreeSet::new();
    // A copy follows links: a file named through links is copied at the
    // names it is asked for, not also at its real path.
    let aliased: BTreeSet<NodeId> = closure.aliases.values().copied().collect();
    for (id, item) in closure.required() {
        if item.part == Part::Link || aliased.contains(&id) {
            continue;
        }
        // The highest ancestor that is whole.
        let mut top = id;
        let mut cur = tree.node(id).parent;
        while cur != ROOT && !partial.contains(&cur) {
            top = cur;
            cur = tree.node(cur).parent;
        }
        out.insert(tree.path_of(top));
    }
    out.extend(
        closure
            .aliases
            .iter()
            .filter(|(_, &id)| closure.requires(id))
            .map(|(p, _)| p.clone()),
    );
    out.into_iter().collect()
}
