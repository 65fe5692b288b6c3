//! What the app needs: the runtime closure of an image's entrypoint, read
//! from the squashed tree alone (nothing runs).
//!
//! From the config's `Entrypoint` + `Cmd`, the command is found the way
//! `execve` and a shell would find it inside the image: through `PATH`
//! and the working directory, through the image's own symlinks. Then:
//! - an ELF program brings its loader (`PT_INTERP`) and, transitively, the
//!   libraries it needs, searched the way glibc's or musl's loader searches
//!   ([`elf`]);
//! - a `#!` script brings its interpreter (`/usr/bin/env NAME` too);
//! - init wrappers (`tini`, `dumb-init`, `gosu`, `su-exec`) bring what
//!   they run;
//! - a shell script brings the shell and the absolute commands it names
//!   (partial: a shell can run anything);
//! - interpreters bring their runtime, the app and its dependencies
//!   ([`python`], [`node`], Java);
//! - files a runtime opens by name (NSS modules, the CA bundle) come from
//!   data rules ([`needs`]).
//!
//! Every file carries why it is in and how sure that is: exact for what the
//! loader must map, inferred for interpreted code and data.

pub mod elf;
pub mod entry;
pub mod interp;
pub mod minimal;
pub mod needs;
pub mod node;
pub mod python;

use crate::binary::FileFacts;
use crate::image::{EntryKind, Image, Layer};
use crate::tree::{FileTree, NodeId};
use serde::Serialize;
use std::collections::BTreeMap;

/// Why a file is in the closure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The program the entrypoint runs (or the script it names).
    Entrypoint,
    /// A dynamic loader (`PT_INTERP`).
    Loader,
    /// A shared library the loader maps.
    Library,
    /// The interpreter of a script, or a wrapper's target.
    Interpreter,
    /// An interpreter's own runtime: the standard library, its modules.
    Runtime,
    /// The app's own code and manifests.
    AppCode,
    /// Language dependencies: site-packages, node_modules, Go modules.
    Dependency,
    /// Files a runtime reads by name (CA bundle, nsswitch.conf, passwd).
    Data,
    /// A symlink on the way to one of the above.
    Link,
}

impl Part {
    pub fn label(self) -> &'static str {
        match self {
            Part::Entrypoint => "entrypoint",
            Part::Loader => "loader",
            Part::Library => "shared libraries",
            Part::Interpreter => "interpreter",
            Part::Runtime => "interpreter runtime",
            Part::AppCode => "app code",
            Part::Dependency => "language dependencies",
            Part::Data => "data files",
            Part::Link => "symlinks on the way",
        }
    }
}

/// How sure the closure is of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sure {
    /// The loader must map it, or the kernel must exec it.
    Exact,
    /// Read from how an interpreter or runtime usually works.
    Inferred,
    /// The runtime may read it (a TLS client reads the CA bundle), but the
    /// app starts without it: listed, not in the predicted image.
    Optional,
}

/// One file of the closure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub part: Part,
    pub sure: Sure,
    /// Why, in a few words ("needed by /usr/bin/python3.11").
    pub why: String,
}

/// Something the closure could not settle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Gap {
    /// "missing-library", "partial", "no-entrypoint", "missing-command", …
    pub kind: &'static str,
    pub detail: String,
}

/// What kind of app the entrypoint runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// No entrypoint, or one the image lacks.
    #[default]
    Unknown,
    StaticBinary,
    DynamicBinary,
    Python,
    Node,
    Java,
    Shell,
    /// Some other interpreter.
    Script,
}

/// The runtime closure of one image's entrypoint.
#[derive(Clone, Debug, Default)]
pub struct Closure {
    /// The command as the config gives it (Entrypoint then Cmd).
    pub argv: Vec<String>,
    /// `/bin/sh -c` form.
    pub shell_form: bool,
    pub kind: AppKind,
    /// The resolved program the entrypoint runs.
    pub program: Option<NodeId>,
    pub items: BTreeMap<NodeId, Item>,
    pub gaps: Vec<Gap>,
    /// Named language dependencies: (ecosystem, name, version).
    pub packages: Vec<(String, String, String)>,
    /// Paths as the program or loader names them, where symlinks lie on
    /// the way (`/lib64/ld-linux-x86-64.so.2`): a copy that follows links
    /// must copy these.
    /// (path, the node it leads to).
    pub aliases: BTreeMap<Vec<u8>, NodeId>,
}

impl Closure {
    /// Whether the app may use the file (optional ones included).
    pub fn contains(&self, id: NodeId) -> bool {
        self.items.contains_key(&id)
    }

    /// Whether the app needs the file to start (an optional one it does
    /// not).
    pub fn requires(&self, id: NodeId) -> bool {
        self.items
            .get(&id)
            .is_some_and(|i| i.sure != Sure::Optional)
    }

    /// The files the app needs to start (optional ones left out).
    pub fn required(&self) -> impl Iterator<Item = (NodeId, &Item)> {
        self.items
            .iter()
            .filter(|(_, i)| i.sure != Sure::Optional)
            .map(|(&id, i)| (id, i))
    }

    /// Bytes of the required files and links.
    pub fn bytes(&self, tree: &FileTree) -> u64 {
        self.required().map(|(id, _)| tree.node(id).size).sum()
    }

    /// Whether every required file is in for a reason the loader or kernel
    /// proves, and nothing was left unsettled.
    pub fn exact(&self) -> bool {
        self.gaps.is_empty() && self.required().all(|(_, i)| i.sure == Sure::Exact)
    }
}

/// Computes the closure of `image`'s entrypoint over its squashed `tree`.
pub fn closure(image: &Image, tree: &FileTree) -> Closure {
    let mut cx = Cx::new(image, tree);
    entry::run(&mut cx);
    elf::finish(&mut cx);
    needs::apply(&mut cx);
    // Data rules may bring libraries (NSS modules) that need others.
    elf::finish(&mut cx);
    cx.out
}

/// The loader's closure of one ELF file alone (what `ldd FILE` lists):
/// the file, its loader and its libraries, transitively.
pub fn elf_closure(image: &Image, tree: &FileTree, path: &[u8]) -> Closure {
    let mut cx = Cx::new(image, tree);
    if let Some(id) = cx.add(path, Part::Entrypoint, Sure::Exact, "asked for") {
        cx.out.program = Some(id);
    }
    elf::finish(&mut cx);
    cx.out
}

/// The closure being built, with what every step needs to see.
pub struct Cx<'a> {
    pub image: &'a Image,
    pub tree: &'a FileTree,
    pub layers: &'a [Layer],
    /// `PATH` from the config's `Env`, or docker's default.
    pub path: Vec<Vec<u8>>,
    /// The working directory (normalised, no leading `/`).
    pub workdir: Vec<u8>,
    /// ELF files added but not yet followed.
    pub(crate) pending_elf: Vec<NodeId>,
    pub out: Closure,
}

/// docker's `PATH` when the image sets none.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl<'a> Cx<'a> {
    pub fn new(image: &'a Image, tree: &'a FileTree) -> Cx<'a> {
        let path = image
            .config
            .env
            .iter()
            .find_map(|e| e.strip_prefix("PATH="))
            .unwrap_or(DEFAULT_PATH);
        let workdir = image.config.working_dir.as_deref().unwrap_or("/");
        Cx {
            image,
            tree,
            layers: &image.layers,
            path: path
                .split(':')
                .filter(|d| !d.is_empty())
                .map(|d| d.as_bytes().to_vec())
                .collect(),
            workdir: crate::image::entry::normalize_path(workdir.as_bytes()).into(),
            pending_elf: Vec::new(),
            out: Closure::default(),
        }
    }

    /// An environment variable of the config.
    pub fn env(&self, name: &str) -> Option<&'a str> {
        self.image
            .config
            .env
            .iter()
            .find_map(|e| e.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
    }

    /// What the single pass read of a file's bytes.
    pub fn facts(&self, id: NodeId) -> Option<&'a FileFacts> {
        self.tree.facts(self.layers, id)
    }

    /// The kept content of a file (package databases, manifests).
    pub fn content(&self, id: NodeId) -> Option<&'a [u8]> {
        self.tree.content(self.layers, id)
    }

    /// `path` relative to the working directory when it is not absolute.
    pub fn absolute(&self, path: &[u8]) -> Vec<u8> {
        if path.starts_with(b"/") {
            path.to_vec()
        } else {
            let mut p = b"/".to_vec();
            p.extend_from_slice(&self.workdir);
            p.push(b'/');
            p.extend_from_slice(path);
            p
        }
    }

    /// Follows `path` (absolute, or relative to the working directory)
    /// through the image's symlinks. Returns the node it ends at and the
    /// symlinks passed on the way; None when it leads nowhere.
    pub fn walk(&self, path: &[u8]) -> (Option<NodeId>, Vec<NodeId>) {
        let mut links = Vec::new();
        let found = self
            .tree
            .resolve_with(&self.absolute(path), |l| links.push(l));
        (found, links)
    }

    /// Adds the file at `path` and the symlinks on the way to it. Returns
    /// the file's node, or None when the image lacks it.
    pub fn add(&mut self, path: &[u8], part: Part, sure: Sure, why: &str) -> Option<NodeId> {
        let (found, links) = self.walk(path);
        let id = found?;
        if !links.is_empty() {
            let abs = self.absolute(path);
            self.out
                .aliases
                .insert(crate::image::entry::normalize_path(&abs).into_vec(), id);
        }
        for l in links {
            self.insert(l, Part::Link, sure, why);
        }
        self.add_node(id, part, sure, why);
        Some(id)
    }

    /// Adds one node (a directory brings everything below it). ELF files
    /// are queued for their libraries.
    pub fn add_node(&mut self, id: NodeId, part: Part, sure: Sure, why: &str) {
        let n = self.tree.node(id);
        if n.is_dir() {
            for d in self.tree.descendants(id).collect::<Vec<_>>() {
                if d != id && !self.tree.node(d).is_dir() {
                    self.add_node(d, part, sure, why);
                }
            }
            return;
        }
        if n.kind == EntryKind::HardLink {
            // The link's content is the file it finally names: both must ship.
            if let Some(target) = self.link_file(id) {
                self.insert(target, part, sure, why);
            }
        }
        if self.insert(id, part, sure, why) && self.facts(id).is_some_and(|f| f.elf().is_some()) {
            self.pending_elf.push(id);
        }
    }

    /// The regular file hard link `id` finally names: a link to a link
    /// leads on, as tar extracts it (the export follows the same chain);
    /// None when the chain ends nowhere, loops or runs past 16 links.
    fn link_file(&self, id: NodeId) -> Option<NodeId> {
        let mut cur = id;
        for _ in 0..16 {
            let n = self.tree.node(cur);
            match n.kind {
                EntryKind::File => return Some(cur),
                EntryKind::HardLink => cur = self.tree.lookup(n.link?)?,
                _ => return None,
            }
        }
        None
    }

    /// Records a node; false when it was already in (the first reason
    /// stays, unless a surer one comes).
    fn insert(&mut self, id: NodeId, part: Part, sure: Sure, why: &str) -> bool {
        match self.out.items.get_mut(&id) {
            Some(item) => {
                if sure < item.sure {
                    item.sure = sure;
                }
                false
            }
            None => {
                self.out.items.insert(
                    id,
                    Item {
                        part,
                        sure,
                        why: why.to_string(),
                    },
                );
                true
            }
        }
    }

    pub fn gap(&mut self, kind: &'static str, detail: impl Into<String>) {
        let detail = detail.into();
        if !self
            .out
            .gaps
            .iter()
            .any(|g| g.kind == kind && g.detail == detail)
        {
            self.out.gaps.push(Gap { kind, detail });
        }
    }

    /// The display path of a node ("/usr/bin/python3.11"), escaped.
    pub fn show(&self, id: NodeId) -> String {
        show_path(&self.tree.path_of(id))
    }

    /// Finds a command the way `execvp` does: a name with a `/` from the
    /// working directory, any other through `PATH` (the first regular file
    /// with an execute bit).
    pub fn command(&self, name: &[u8]) -> Option<Vec<u8>> {
        if name.is_empty() {
            return None;
        }
        if name.contains(&b'/') {
            return Some(self.absolute(name));
        }
        self.path.iter().find_map(|dir| {
            let mut p = self.absolute(dir);
            p.push(b'/');
            p.extend_from_slice(name);
            let (id, _) = self.walk(&p);
            let n = self.tree.node(id?);
            (matches!(n.kind, EntryKind::File | EntryKind::HardLink) && n.mode & 0o111 != 0)
                .then_some(p)
        })
    }
}

/// An image path for people: leading `/`, escaped.
pub fn show_path(path: &[u8]) -> String {
    let mut s = String::from("/");
    s.push_str(&crate::escape::escape_bytes(
        path.strip_prefix(b"/").unwrap_or(path),
    ));
    s
}

#[cfg(test)]
mod tests;
