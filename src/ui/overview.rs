//! What the first screen says: the answer before the details. For a
//! comparison, the buckets of what went with their top owners, packages
//! gone, what moved and was carried, the audit verdict; for one image, its
//! layers by size, wasted space, largest directories and the plan's
//! prediction. Arranged off the UI thread (with the comparison, the load,
//! the plan); no analysis lives here: every figure and name comes from
//! `analysis` (buckets, owners, findings, waste, plan). Text that came from
//! an image is escaped here, once.

use crate::analysis::plan::Plan;
use crate::analysis::{BucketTotal, Comparison, OwnerId, OwnerKind, Status};
use crate::escape::escape_str;
use crate::format;
use crate::image::entry::EntryKind;
use crate::pipeline::Analysed;
use crate::tree::{FileTree, NodeId, ROOT};

/// Owners named per bucket.
const TOP_OWNERS: usize = 3;
/// Paths, packages and findings named per line.
const TOP_NAMES: usize = 3;
/// Eliminated files listed at most (when the screen has room).
const TOP_FILES: usize = 8;
/// Directories listed at most (the screen shows what fits).
const TOP_DIRS: usize = 12;
/// Directories this deep (`/usr/lib/go-1.19`) are listed with everything
/// below them; shallower ones with the files directly in them.
const DIR_DEPTH: usize = 3;

/// One owner's share of a bucket.
#[derive(Clone, Debug, PartialEq)]
pub struct Share {
    /// As the reports name it (`Go 1.19 (golang-1.19-go, …)`), escaped.
    pub label: String,
    /// Without members or version, for narrow lines (`Go 1.19`,
    /// `coreutils`), escaped.
    pub short: String,
    pub bytes: u64,
}

/// One bucket as a bar.
#[derive(Clone, Debug, PartialEq)]
pub struct BucketBar {
    pub bucket: &'static str,
    pub bytes: u64,
    pub files: u32,
    /// The biggest owners, biggest first.
    pub owners: Vec<Share>,
    /// Owners beyond those named.
    pub more: usize,
}

/// Bytes and files of one status, and its biggest example.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub bytes: u64,
    pub files: u32,
    /// `/app`, or `/usr/bin/app → /app` for a move (escaped).
    pub example: Option<String>,
}

/// A kind of audit finding: how many, how many bytes, the first path.
#[derive(Clone, Debug, PartialEq)]
pub struct FindingLine {
    pub kind: &'static str,
    pub count: usize,
    pub bytes: u64,
    /// Escaped.
    pub first: String,
}

/// The comparison at a glance.
#[derive(Clone, Debug, PartialEq)]
pub struct PairOverview {
    pub before_bytes: u64,
    pub after_bytes: u64,
    pub eliminated_bytes: u64,
    pub eliminated_files: u32,
    /// Buckets with eliminated bytes, biggest first.
    pub buckets: Vec<BucketBar>,
    /// The largest eliminated files: path (escaped), bytes, and what owns
    /// it (the tree's badge: `toolchain Go 1.19`, `pkg libc6`, `cache`).
    pub largest_gone: Vec<(String, u64, Option<String>)>,
    /// `None` when BEFORE has no package database.
    pub packages_gone: Option<PackagesGone>,
    pub moved: Tally,
    pub carried: Tally,
    pub changed: Tally,
    pub added: Tally,
    /// Audit findings by kind, in the audit's order.
    pub findings: Vec<FindingLine>,
    /// When AFTER's closure is known.
    pub unused: Option<NeverUsed>,
}

/// Packages of BEFORE gone from AFTER.
#[derive(Clone, Debug, PartialEq)]
pub struct PackagesGone {
    pub gone: usize,
    /// BEFORE's packages.
    pub of: usize,
    /// The biggest gone: escaped name, bytes.
    pub biggest: Vec<(String, u64)>,
}

/// What AFTER's entrypoint needs and never uses.
#[derive(Clone, Debug, PartialEq)]
pub struct NeverUsed {
    pub needed: u64,
    pub bytes: u64,
    pub files: u32,
    /// The biggest owners of what is never used.
    pub owners: Vec<Share>,
}

/// A path whose lower versions are hidden.
#[derive(Clone, Debug, PartialEq)]
pub struct Wasted {
    /// Escaped, `/`-prefixed.
    pub path: String,
    pub bytes: u64,
    /// The (lowest) layer that wrote a hidden version.
    pub layer: u32,
    pub hidden_by: u32,
    pub deleted: bool,
}

/// One layer as a bar.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerBar {
    /// Index in the image, as the layers pane numbers it.
    pub index: usize,
    pub bytes: u64,
    /// Its bytes a later layer hides.
    pub wasted: u64,
    /// The `created_by` as a Dockerfile line, escaped.
    pub command: String,
}

/// One image at a glance (what does not need the plan).
#[derive(Clone, Debug, PartialEq)]
pub struct ImageOverview {
    pub bytes: u64,
    /// Bytes the squashed filesystem shows.
    pub visible: u64,
    pub files: u32,
    pub platform: String,
    /// Every layer, biggest first.
    pub layers: Vec<LayerBar>,
    pub wasted: u64,
    pub efficiency: f64,
    /// The biggest wasted paths.
    pub wasted_paths: Vec<Wasted>,
    /// Wasted paths beyond those named.
    pub wasted_more: usize,
    /// The largest directories (escaped, `/`-prefixed), biggest first.
    pub dirs: Vec<(String, u64)>,
}

/// The plan's prediction at a glance.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanOverview {
    /// Whether an entrypoint was found in the image.
    pub program: bool,
    /// What runs and what it needs ("/app · static Go 1.19.8 binary · …"),
    /// or why nothing is known, escaped.
    pub runs: String,
    pub image_bytes: u64,
    pub runtime_bytes: u64,
    pub removable_bytes: u64,
    /// The suggested final stage's base (`scratch`).
    pub base: String,
    /// Everything the entrypoint needs was settled.
    pub exact: bool,
    /// The runtime on the image's own distribution: manager and bytes.
    pub on_base: Option<(&'static str, u64)>,
    /// What would go, by bucket, biggest first.
    pub buckets: Vec<BucketBar>,
}

/// An owner's name for a narrow line: the toolchain with its version, the
/// package or dependency without one, the rule's name.
fn short_label(cmp: &Comparison, id: Option<OwnerId>) -> String {
    let Some(id) = id else {
        return "unowned".into();
    };
    let o = cmp.owner(id);
    match o.kind {
        OwnerKind::Toolchain => o.name_version(),
        OwnerKind::Package | OwnerKind::Dependency | OwnerKind::Rule => o.name.clone(),
    }
}

/// Buckets with bytes, biggest first, each with its top owners.
fn bucket_bars(cmp: &Comparison, totals: &[BucketTotal]) -> Vec<BucketBar> {
    let mut bars: Vec<BucketBar> = totals
        .iter()
        .filter(|t| t.bytes > 0 || t.files > 0)
        .map(|t| BucketBar {
            bucket: t.bucket.as_str(),
            bytes: t.bytes,
            files: t.files,
            owners: t
                .owners
                .iter()
                .take(TOP_OWNERS)
                .map(|s| Share {
                    label: cmp.owner_label_noted(s.owner),
                    short: short_label(cmp, s.owner),
                    bytes: s.bytes,
                })
                .collect(),
            more: t.owners.len().saturating_sub(TOP_OWNERS),
        })
        .collect();
    bars.sort_by_key(|b| std::cmp::Reverse(b.bytes));
    bars
}

/// The biggest file of AFTER with `status`, and the tally of the status.
fn after_tally(cmp: &Comparison, status: Status, bytes: u64, files: u32) -> Tally {
    let a = &cmp.after;
    let biggest = a
        .tree
        .iter()
        .filter(|&id| !a.tree.node(id).is_dir() && a.facts(id).status == status)
        .max_by(|&x, &y| a.tree.node(x).size.cmp(&a.tree.size(y)).then(y.cmp(&x)));
    Tally {
        bytes,
        files,
        example: biggest.map(|id| a.display_path(id)),
    }
}

impl PairOverview {
    pub fn of(cmp: &Comparison) -> PairOverview {
        let t = &cmp.totals;
        let packages_gone = (!cmp.before.packages.is_empty()).then(|| {
            let mut gone = cmp.eliminated_packages();
            gone.sort_by(|x, y| y.bytes.cmp(&x.bytes).then_with(|| x.name.cmp(&y.name)));
            PackagesGone {
                gone: gone.len(),
                of: cmp.before.packages.len(),
                biggest: gone
                    .iter()
                    .take(TOP_NAMES)
                    .map(|p| (p.name.clone(), p.bytes))
                    .collect(),
            }
        });
        let moved = Tally {
            bytes: t.moved_bytes,
            files: t.moved_files,
            example: cmp.moves.first().map(|m| {
                format!(
                    "{} → {}",
                    cmp.before.display_path(m.before),
                    cmp.after.display_path(m.after)
                )
            }),
        };
        let mut findings: Vec<FindingLine> = Vec::new();
        for f in &cmp.findings {
            match findings.iter_mut().find(|l| l.kind == f.kind.as_str()) {
                Some(l) => {
                    l.count += 1;
                    l.bytes += f.bytes;
                }
                None => findings.push(FindingLine {
                    kind: f.kind.as_str(),
                    count: 1,
                    bytes: f.bytes,
                    first: f.path.clone(),
                }),
            }
        }
        let unused = cmp.unused.as_ref().map(|u| {
            let mut owners: Vec<_> = u
                .buckets
                .iter()
                .flat_map(|b| &b.owners)
                .filter(|s| s.owner.is_some())
                .collect();
            owners.sort_by_key(|s| std::cmp::Reverse(s.bytes));
            let owners = owners
                .into_iter()
                .take(TOP_OWNERS)
                .map(|s| Share {
                    label: cmp.owner_label(s.owner),
                    short: short_label(cmp, s.owner),
                    bytes: s.bytes,
                })
                .collect();
            NeverUsed {
                needed: super::compare::needed_bytes(cmp).unwrap_or(0),
                bytes: u.bytes,
                files: u.files,
                owners,
            }
        });
        let b = &cmp.before;
        let mut gone: Vec<NodeId> = b
            .tree
            .iter()
            .filter(|&id| !b.tree.node(id).is_dir() && b.facts(id).status == Status::Eliminated)
            .collect();
        let biggest_first =
            |x: &NodeId, y: &NodeId| b.tree.node(*y).size.cmp(&b.tree.size(*x)).then(x.cmp(y));
        // Only the first few need sorting.
        if gone.len() > TOP_FILES {
            gone.select_nth_unstable_by(TOP_FILES, biggest_first);
            gone.truncate(TOP_FILES);
        }
        gone.sort_by(biggest_first);
        let largest_gone = gone
            .into_iter()
            .take(TOP_FILES)
            .map(|id| {
                (
                    b.display_path(id),
                    b.tree.size(id),
                    super::compare::badge(cmp, b.facts(id)),
                )
            })
            .collect();
        PairOverview {
            before_bytes: cmp.before.image_size,
            largest_gone,
            after_bytes: cmp.after.image_size,
            eliminated_bytes: t.eliminated_bytes,
            eliminated_files: t.eliminated_files,
            buckets: bucket_bars(cmp, &cmp.eliminated),
            packages_gone,
            moved,
            carried: after_tally(cmp, Status::Carried, t.carried_bytes, t.carried_files),
            changed: after_tally(cmp, Status::Changed, t.changed_bytes, t.changed_files),
            added: after_tally(cmp, Status::Added, t.added_bytes, t.added_files),
            findings,
            unused,
        }
    }
}

/// The largest directories, biggest first: a directory [`DIR_DEPTH`] deep
/// with everything below it (`/usr/lib/go-1.19`, `/var/cache/apt`), a
/// shallower one with the files directly in it (`/bin`). Each byte counts
/// in one directory only, so the list never names the same bytes twice
/// (`/usr` and `/usr/lib`).
pub fn largest_dirs(tree: &FileTree, n: usize) -> Vec<(NodeId, u64)> {
    let mut dirs: Vec<(NodeId, u64)> = Vec::new();
    let mut stack: Vec<(NodeId, usize)> = vec![(ROOT, 0)];
    while let Some((id, depth)) = stack.pop() {
        if depth == DIR_DEPTH {
            dirs.push((id, tree.total(id)));
            continue;
        }
        let mut own = 0u64;
        for &c in tree.children(id) {
            if tree.kind(c) == EntryKind::Dir {
                stack.push((c, depth + 1));
            } else {
                own += tree.size(c);
            }
        }
        // The root's own files are not a directory anyone looks for.
        if id != ROOT {
            dirs.push((id, own));
        }
    }
    dirs.retain(|d| d.1 > 0);
    dirs.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    dirs.truncate(n);
    dirs
}

impl ImageOverview {
    pub fn of(a: &Analysed) -> ImageOverview {
        let mut layers: Vec<LayerBar> = a
            .image
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| LayerBar {
                index: i,
                bytes: l.size,
                wasted: a.waste.wasted_in_layer.get(i).copied().unwrap_or(0),
                command: match l.created_by.as_deref() {
                    Some(c) => format::created_by(Some(c)),
                    None => "(no history)".into(),
                },
            })
            .collect();
        layers.sort_by(|x, y| y.bytes.cmp(&x.bytes).then(x.index.cmp(&y.index)));
        let wasted_paths = a
            .waste
            .paths
            .iter()
            .take(TOP_NAMES)
            .map(|p| Wasted {
                path: crate::image::entry::display_path(&p.path),
                bytes: p.bytes,
                layer: p.written_in.first().copied().unwrap_or(0),
                hidden_by: p.hidden_by,
                deleted: p.deleted,
            })
            .collect();
        ImageOverview {
            bytes: a.image.size(),
            visible: a.tree.total_size(),
            files: a.tree.file_count(),
            platform: escape_str(&a.image.platform()).into_owned(),
            layers,
            wasted: a.waste.wasted,
            efficiency: a.waste.efficiency(),
            wasted_paths,
            wasted_more: a.waste.paths.len().saturating_sub(TOP_NAMES),
            dirs: largest_dirs(&a.tree, TOP_DIRS)
                .into_iter()
                .map(|(id, bytes)| {
                    (
                        crate::image::entry::display_path(&a.tree.path_of(id)),
                        bytes,
                    )
                })
                .collect(),
        }
    }
}

impl PlanOverview {
    /// `runs` is the Needs view's summary line (already escaped).
    pub fn of(plan: &Plan, runs: String) -> PlanOverview {
        let cmp = &plan.comparison;
        PlanOverview {
            program: plan.closure.program.is_some(),
            runs,
            image_bytes: cmp.before.image_size,
            runtime_bytes: plan.runtime_bytes(),
            removable_bytes: plan.removable_bytes(),
            base: escape_str(&plan.base).into_owned(),
            exact: plan.closure.exact(),
            on_base: plan.on_base.as_ref().map(|b| (b.manager, b.bytes)),
            buckets: bucket_bars(cmp, &cmp.eliminated),
        }
    }
}
