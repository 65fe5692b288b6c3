//! What it means: the comparison of two images, ownership, buckets, audit.
//!
//! [`compare`] squashes BEFORE and AFTER, matches their trees path by path
//! (and by content hash for moved files), finds who owns every path from each
//! image's own package databases, sorts every path into a [`Bucket`] with
//! the [`Rules`], and audits what AFTER still ships. The result, a
//! [`Comparison`], is cheap to query per path: each side keeps its squashed
//! [`FileTree`] and a [`PathFacts`] per [`NodeId`] of that tree, so a UI
//! that walks either tree reads status, bucket, owner and the counterpart on
//! the other side in O(1).
//!
//! ```no_run
//! # use stagediff::analysis::{compare, Rules, Status};
//! # fn f(before: &stagediff::image::Image, after: &stagediff::image::Image) {
//! let cmp = compare(before, after, &Rules::builtin());
//! let b = &cmp.before;
//! for id in b.tree.iter() {
//!     let facts = b.facts(id);
//!     if facts.status == Status::Eliminated && !b.tree.node(id).is_dir() {
//!         let owner = facts.owner.map(|o| cmp.owner(o).label());
//!         println!("{} {} {:?}", b.display_path(id), facts.bucket, owner);
//!     }
//! }
//! # }
//! ```
//!
//! Sizes are bytes (`u64`) as `Entry::size` counts them (file content,
//! symlink target length; hard links count once, at their target). Names
//! that came from an image (paths, package names, versions) are stored as
//! raw bytes or already escaped strings (see [`crate::escape`]).

pub mod audit;
pub mod bdb;
pub mod claim;
mod classify;
pub mod closure;
mod compare;
pub mod gate;
pub mod glob;
pub mod names;
pub mod owners;
pub mod pkgdb;
pub mod plan;
pub mod python;
pub mod range;
pub mod rpmdb;
pub mod rules;
pub mod size;
pub mod waste;

pub use audit::{audit, Finding, FindingKind};
pub use compare::{compare, compare_needed, compare_squashed};
pub use rules::{Bucket, DepKind, Rule, Rules};
pub use size::parse_size;
pub use waste::{waste, Waste, WastedPath};

use crate::image::{EntryKind, Image};
use crate::tree::{FileTree, NodeId};
use serde::Serialize;

/// Index into [`Comparison::owners`].
pub type OwnerId = u32;

/// What became of a path between BEFORE and AFTER.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only in BEFORE (and its content is not found elsewhere in AFTER).
    #[default]
    Eliminated,
    /// Same path, same content (or same link target, or both directories).
    Carried,
    /// Same content at another path (found by content hash; empty files
    /// never count); [`PathFacts::counterpart`] is the other path.
    Moved,
    /// Same path, different content or kind.
    Changed,
    /// Only in AFTER.
    Added,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Eliminated,
        Status::Carried,
        Status::Moved,
        Status::Changed,
        Status::Added,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Eliminated => "eliminated",
            Status::Carried => "carried",
            Status::Moved => "moved",
            Status::Changed => "changed",
            Status::Added => "added",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What kind of thing an [`Owner`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum OwnerKind {
    /// An installed dpkg, apk or rpm package.
    Package,
    /// A toolchain group: packages and/or unpackaged files a toolchain rule
    /// gathered ("Go 1.19 (golang-1.19-go, golang-1.19-src)").
    Toolchain,
    /// A language dependency (npm package, Go module, Python dist, crate…).
    Dependency,
    /// Whatever a (non-toolchain) rule matched, named by the rule
    /// ("Go build cache", "Source files").
    Rule,
}

/// Who put a file there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Owner {
    pub kind: OwnerKind,
    /// Escaped name: package name, toolchain or rule name, dependency name.
    pub name: String,
    /// Escaped version, when known.
    pub version: Option<String>,
    /// `dpkg`, `apk`, `rpm`, `go`, `npm`, `pypi`, `cargo`, `maven`, `vendor`, or
    /// empty for toolchains and rules.
    pub ecosystem: &'static str,
    /// Toolchains: the packages gathered, biggest first.
    pub members: Vec<OwnerId>,
    /// Toolchains: member names, for the label (escaped).
    #[serde(skip)]
    pub member_names: Vec<String>,
    /// Packages: the toolchain groups they were installed for (see
    /// [`Package::needed_by`]), on either side.
    #[serde(skip)]
    pub needed_by: Vec<OwnerId>,
}

impl Owner {
    /// Name and version without members: `Clang/LLVM 19.1`, `libc6 2.36-9`.
    pub fn name_version(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.clone(),
        }
    }

    /// How people see it: `golang-1.19-go 1.19.8-2`, `left-pad@1.3.0`,
    /// `Go 1.19 (golang-1.19-go, golang-1.19-src)`, `Go build cache`.
    pub fn label(&self) -> String {
        match self.kind {
            OwnerKind::Package => match &self.version {
                Some(v) => format!("{} {}", self.name, v),
                None => self.name.clone(),
            },
            OwnerKind::Dependency => match &self.version {
                Some(v) => format!("{}@{}", self.name, v),
                None => self.name.clone(),
            },
            OwnerKind::Toolchain => {
                let mut s = self.name.clone();
                if let Some(v) = &self.version {
                    s.push(' ');
                    s.push_str(v);
                }
                if !self.member_names.is_empty() {
                    const SHOWN: usize = 5;
                    s.push_str(" (");
                    let shown: Vec<&str> = self
                        .member_names
                        .iter()
                        .take(SHOWN)
                        .map(String::as_str)
                        .collect();
                    s.push_str(&shown.join(", "));
                    if self.member_names.len() > SHOWN {
                        s.push_str(&format!(", +{} more", self.member_names.len() - SHOWN));
                    }
                    s.push(')');
                }
                s
            }
            OwnerKind::Rule => self.name.clone(),
        }
    }
}

/// An installed package, from a package database of one image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Package {
    pub owner: OwnerId,
    /// Escaped.
    pub name: String,
    /// Escaped; rpm: `[EPOCH:]VERSION-RELEASE` as `rpm -q` prints it.
    pub version: String,
    pub architecture: String,
    /// `dpkg`, `apk` or `rpm`.
    pub manager: &'static str,
    /// As the database declares it (dpkg's Installed-Size is KiB; converted).
    pub installed_size: u64,
    /// dpkg's Section; rpm's Group (unless `Unspecified`).
    pub section: Option<String>,
    /// Bytes of files the squashed tree attributes to the package.
    pub bytes: u64,
    pub files: u32,
    /// Indices into the same side's packages of what it depends on (dpkg,
    /// apk; rpm's requirements are not read).
    #[serde(skip)]
    pub depends: Vec<u32>,
    /// dpkg: Essential or Priority required.
    #[serde(skip)]
    pub essential: bool,
    /// The toolchain groups this package is installed for: it is no
    /// toolchain itself, but only toolchain packages (or packages installed
    /// for them) depend on it, e.g. `libz3-4` for "Clang/LLVM 19.1".
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed_by: Vec<String>,
}

/// Bytes and regular-file counts below a node (itself included), by
/// [`Status`]. Bytes include symlinks; `files` counts regular files.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Rollup {
    pub bytes: [u64; 5],
    pub files: [u32; 5],
}

impl Rollup {
    pub fn bytes(&self, s: Status) -> u64 {
        self.bytes[s.index()]
    }
    pub fn files(&self, s: Status) -> u32 {
        self.files[s.index()]
    }
}

/// What a node counts by itself: its bytes and, for a regular file, one
/// file, under its status (a directory's own entry counts nothing).
pub(crate) fn own_rollup(tree: &FileTree, id: NodeId, f: &PathFacts) -> Rollup {
    let mut r = Rollup::default();
    let n = tree.node(id);
    if !n.is_dir() {
        r.bytes[f.status.index()] = n.size;
        r.files[f.status.index()] = u32::from(n.kind == EntryKind::File);
    }
    r
}

/// Everything known about one path of one side.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PathFacts {
    /// Directories: `Carried` when on both sides (whatever is below them;
    /// see `rollup`), else `Eliminated`/`Added`.
    pub status: Status,
    pub bucket: Bucket,
    /// The owner in this bucket's terms: toolchain group, package,
    /// dependency, or rule.
    pub owner: Option<OwnerId>,
    /// The package whose database lists this path, if any.
    pub package: Option<OwnerId>,
    /// The same path on the other side (carried, changed), or the other
    /// path of a moved file.
    pub counterpart: Option<NodeId>,
}

/// One image of the comparison.
#[derive(Clone, Debug)]
pub struct Side {
    /// Escaped reference as the user gave it.
    pub reference: String,
    /// `docker image inspect` size (sum of layer sizes).
    pub image_size: u64,
    pub layers: usize,
    /// The squashed filesystem (shared with whoever squashed it).
    pub tree: std::sync::Arc<FileTree>,
    /// Indexed by `NodeId`; nodes not in the live tree have defaults.
    pub facts: Vec<PathFacts>,
    /// The rollups of directories (and of anything else with children),
    /// sorted by `NodeId`: a file's is its own bytes ([`Side::rollup`]),
    /// not worth 60 bytes a file of a million-file image.
    pub rollups: Vec<(NodeId, Rollup)>,
    /// Installed packages, by name.
    pub packages: Vec<Package>,
    /// Package databases the image has but that could not be (fully) read,
    /// and why: the image is analysed without that ownership (escaped).
    pub warnings: Vec<String>,
}

impl Side {
    /// Facts of a node of [`Side::tree`].
    pub fn facts(&self, id: NodeId) -> &PathFacts {
        static EMPTY: PathFacts = PathFacts {
            status: Status::Eliminated,
            bucket: Bucket::Other,
            owner: None,
            package: None,
            counterpart: None,
        };
        self.facts.get(id as usize).unwrap_or(&EMPTY)
    }

    /// Bytes and regular files at or below a live node, by status; zero
    /// for a node not in the live tree, and for every node of a side the
    /// comparison did not roll up (no [`Side::rollups`]).
    pub fn rollup(&self, id: NodeId) -> Rollup {
        if self.rollups.is_empty() {
            return Rollup::default();
        }
        if let Ok(i) = self.rollups.binary_search_by_key(&id, |&(d, _)| d) {
            return self.rollups[i].1;
        }
        if id as usize >= self.facts.len() || !self.tree.is_live(id) {
            return Rollup::default();
        }
        own_rollup(&self.tree, id, &self.facts[id as usize])
    }

    /// Escaped, `/`-prefixed path.
    pub fn display_path(&self, id: NodeId) -> String {
        crate::image::entry::display_path(&self.tree.path_of(id))
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages
            .binary_search_by(|p| p.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.packages[i])
    }
}

/// Bytes and files of one owner within one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OwnerShare {
    pub owner: Option<OwnerId>,
    pub bytes: u64,
    pub files: u32,
}

/// One bucket's share of a set of files.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BucketTotal {
    pub bucket: Bucket,
    pub bytes: u64,
    /// Regular files.
    pub files: u32,
    /// Every owner with bytes in the bucket, biggest first (`None`: files
    /// no rule or package names).
    pub owners: Vec<OwnerShare>,
}

/// Per-status totals over the union of both trees.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// BEFORE bytes/files only in BEFORE. Equals the sum of the buckets.
    pub eliminated_bytes: u64,
    pub eliminated_files: u32,
    pub carried_bytes: u64,
    pub carried_files: u32,
    pub moved_bytes: u64,
    pub moved_files: u32,
    /// AFTER's bytes of changed paths (BEFORE's are `changed_bytes_before`).
    pub changed_bytes: u64,
    pub changed_bytes_before: u64,
    pub changed_files: u32,
    pub added_bytes: u64,
    pub added_files: u32,
}

/// A file that moved: BEFORE's node, AFTER's node, bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Move {
    pub before: NodeId,
    pub after: NodeId,
    pub bytes: u64,
}

/// The comparison of BEFORE with AFTER.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub before: Side,
    pub after: Side,
    /// Every owner either side mentions; [`OwnerId`] indexes it.
    pub owners: Vec<Owner>,
    pub totals: Totals,
    /// Eliminated BEFORE files by bucket, in [`Bucket::ALL`] order.
    pub eliminated: Vec<BucketTotal>,
    /// Every AFTER file by bucket, in [`Bucket::ALL`] order.
    pub shipped: Vec<BucketTotal>,
    /// Moved files, biggest first.
    pub moves: Vec<Move>,
    /// The runtime audit of AFTER.
    pub findings: Vec<Finding>,
    /// What AFTER's entrypoint needs (when it has one and it was asked).
    pub after_closure: Option<closure::Closure>,
    /// What AFTER ships that its entrypoint never uses.
    pub unused: Option<Unused>,
}

/// AFTER's files outside its entrypoint's closure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unused {
    pub bytes: u64,
    /// Regular files.
    pub files: u32,
    /// By bucket, in [`Bucket::ALL`] order.
    pub buckets: Vec<BucketTotal>,
    /// OS packages with unused bytes, biggest first.
    pub packages: Vec<(OwnerId, u64)>,
}

impl Comparison {
    pub fn owner(&self, id: OwnerId) -> &Owner {
        &self.owners[id as usize]
    }

    /// Label of an optional owner, `unowned` for none.
    pub fn owner_label(&self, id: Option<OwnerId>) -> String {
        id.map_or_else(|| "unowned".to_string(), |o| self.owner(o).label())
    }

    /// The toolchain group whose members include the package `owner`.
    pub fn toolchain_of(&self, owner: OwnerId) -> Option<&Owner> {
        self.owners
            .iter()
            .find(|o| o.kind == OwnerKind::Toolchain && o.members.contains(&owner))
    }

    /// The toolchain groups a package owner was installed for, by name and
    /// version ("Clang/LLVM 19.1"); empty for anything else.
    pub fn needed_by(&self, id: Option<OwnerId>) -> Vec<String> {
        id.map(|o| {
            self.owner(o)
                .needed_by
                .iter()
                .map(|&g| self.owner(g).name_version())
                .collect()
        })
        .unwrap_or_default()
    }

    /// [`Self::owner_label`], followed by " · for GROUP" for a package
    /// installed only for a toolchain.
    pub fn owner_label_noted(&self, id: Option<OwnerId>) -> String {
        let mut s = self.owner_label(id);
        let groups = self.needed_by(id);
        if !groups.is_empty() {
            s.push_str(" · for ");
            s.push_str(&groups.join(", "));
        }
        s
    }

    /// Packages installed in BEFORE and not in AFTER (by name and manager).
    pub fn eliminated_packages(&self) -> Vec<&Package> {
        self.before
            .packages
            .iter()
            .filter(|p| {
                self.after
                    .package(&p.name)
                    .is_none_or(|a| a.manager != p.manager)
            })
            .collect()
    }

    /// The eliminated total of a bucket.
    pub fn eliminated_in(&self, b: Bucket) -> &BucketTotal {
        &self.eliminated[b.index()]
    }

    /// Reduction of the image size, BEFORE minus AFTER (negative: grew).
    pub fn reduction(&self) -> i128 {
        i128::from(self.before.image_size) - i128::from(self.after.image_size)
    }
}

/// Whole-image squashes this process has done (see [`squash`]).
static SQUASHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Squashes a whole image. Every whole-image squash above the engine goes
/// through here and is counted, so tests can hold a command or a TUI
/// session to one squash per image ([`squash_count`]).
pub fn squash(image: &Image) -> crate::tree::Squashed {
    SQUASHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    crate::tree::squash(&image.layers)
}

/// How many whole images this process has squashed so far.
pub fn squash_count() -> usize {
    SQUASHES.load(std::sync::atomic::Ordering::Relaxed)
}

/// Squashes an image and analyses it alone (for `audit` on one image, and
/// for the UI's single-image mode).
pub fn analyse_one(image: &Image, rules: &Rules) -> (Side, Vec<Owner>) {
    let mut owners = owners::Interner::default();
    let side = compare::side(image, rules, &mut owners);
    (side, owners.into_owners())
}
