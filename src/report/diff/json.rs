//! `diff --json`: schema `stagediff.diff/v1`, documented in docs/diff-schema.md.
//! Fields are only ever added within v1.

use super::{Gate, GateFailure};
use crate::analysis::{BucketTotal, Comparison, Finding, OwnerKind, Package, Side, Status};
use serde::Serialize;

pub const SCHEMA: &str = "stagediff.diff/v1";

#[derive(Serialize)]
pub struct DiffDoc<'a> {
    pub schema: &'static str,
    pub before: ImageDoc<'a>,
    pub after: ImageDoc<'a>,
    /// BEFORE image size minus AFTER's (negative when AFTER grew).
    pub reduction_bytes: i64,
    pub reduction_percent: f64,
    pub totals: TotalsDoc,
    pub eliminated: Vec<BucketDoc>,
    pub shipped: Vec<BucketDoc>,
    pub packages: PackagesDoc<'a>,
    pub moved: Vec<MoveDoc>,
    pub changed: Vec<PathDoc>,
    pub added: Vec<PathDoc>,
    pub findings: &'a [Finding],
    /// What AFTER ships that its entrypoint never uses (absent when AFTER
    /// has no entrypoint it holds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unused: Option<UnusedDoc>,
    pub gate: GateDoc<'a>,
    /// `--paths`: every path of both images, streamed as it is written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<PathsDoc<'a>>,
}

/// Every non-directory path of BEFORE (eliminated, carried, moved,
/// changed) and of AFTER that BEFORE lacks (added), serialized one by one
/// from the comparison: nothing is collected first.
pub struct PathsDoc<'a> {
    pub cmp: &'a Comparison,
}

#[derive(Serialize)]
struct PathRow {
    path: String,
    status: &'static str,
    bytes: u64,
    /// changed: BEFORE's bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes_before: Option<u64>,
    /// moved: where the content is in AFTER.
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    bucket: &'static str,
    owner: Option<String>,
    /// 0-based index of the layer that wrote this version (BEFORE's, or
    /// AFTER's for added and changed paths).
    layer: u32,
}

impl Serialize for PathsDoc<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let cmp = self.cmp;
        let (b, a) = (&cmp.before, &cmp.after);
        let row = |side: &'_ Side, id, status: Status, bytes_before, to| {
            let f = side.facts(id);
            PathRow {
                path: side.display_path(id),
                status: status.as_str(),
                bytes: side.tree.node(id).size,
                bytes_before,
                to,
                bucket: f.bucket.as_str(),
                owner: f.owner.map(|o| cmp.owner_label(Some(o))),
                layer: side.tree.node(id).layer,
            }
        };
        let before = b
            .tree
            .iter()
            .filter(|&id| !b.tree.node(id).is_dir())
            .map(move |id| {
                let f = b.facts(id);
                match f.status {
                    Status::Moved => row(
                        b,
                        id,
                        Status::Moved,
                        None,
                        f.counterpart.map(|c| a.display_path(c)),
                    ),
                    Status::Changed => match f.counterpart {
                        Some(c) => row(a, c, Status::Changed, Some(b.tree.node(id).size), None),
                        None => row(b, id, Status::Changed, None, None),
                    },
                    st => row(b, id, st, None, None),
                }
            });
        let added = a
            .tree
            .iter()
            .filter(|&id| !a.tree.node(id).is_dir() && a.facts(id).status == Status::Added)
            .map(move |id| row(a, id, Status::Added, None, None));
        s.collect_seq(before.chain(added))
    }
}

#[derive(Serialize)]
pub struct UnusedDoc {
    pub bytes: u64,
    pub files: u32,
    pub buckets: Vec<BucketDoc>,
    /// OS packages with bytes the entrypoint never uses, biggest first.
    pub packages: Vec<UnusedPackageDoc>,
}

#[derive(Serialize)]
pub struct UnusedPackageDoc {
    pub name: String,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct ImageDoc<'a> {
    pub reference: &'a str,
    pub image_size: u64,
    pub layers: usize,
    /// Bytes of the squashed filesystem.
    pub tree_size: u64,
    pub files: u32,
    pub packages: usize,
    /// Package databases present but not (fully) read, and why.
    pub warnings: &'a [String],
}

#[derive(Serialize)]
pub struct Count {
    pub bytes: u64,
    pub files: u32,
}

#[derive(Serialize)]
pub struct TotalsDoc {
    pub eliminated: Count,
    pub carried: Count,
    pub moved: Count,
    pub changed: ChangedCount,
    pub added: Count,
}

#[derive(Serialize)]
pub struct ChangedCount {
    pub bytes_before: u64,
    pub bytes_after: u64,
    pub files: u32,
}

#[derive(Serialize)]
pub struct OwnerDoc {
    /// package, toolchain, dependency, rule; null for unowned files.
    pub kind: Option<OwnerKind>,
    pub name: Option<String>,
    pub version: Option<String>,
    pub ecosystem: Option<&'static str>,
    pub label: String,
    /// Toolchains: package names gathered, biggest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Packages: the toolchain groups it was installed for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub needed_by: Vec<String>,
    pub bytes: u64,
    pub files: u32,
}

#[derive(Serialize)]
pub struct BucketDoc {
    pub bucket: &'static str,
    pub bytes: u64,
    pub files: u32,
    /// Share of the total (eliminated or shipped bytes), 0 to 100.
    pub percent: f64,
    pub owners: Vec<OwnerDoc>,
}

#[derive(Serialize)]
pub struct PackagesDoc<'a> {
    /// In BEFORE, not in AFTER.
    pub eliminated: Vec<&'a Package>,
    /// In both (by name and manager).
    pub kept: Vec<&'a str>,
    /// In AFTER only.
    pub added: Vec<&'a Package>,
}

#[derive(Serialize)]
pub struct MoveDoc {
    pub from: String,
    pub to: String,
    pub bytes: u64,
}

#[derive(Serialize)]
pub struct PathDoc {
    pub path: String,
    pub bytes: u64,
    /// changed: BEFORE's bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_before: Option<u64>,
    pub bucket: &'static str,
    pub owner: Option<String>,
}

#[derive(Serialize)]
pub struct GateDoc<'a> {
    pub fail_on: Vec<&'static str>,
    pub max_size: Option<u64>,
    /// `--fail-on unused:SIZE`, bytes.
    pub max_unused: Option<u64>,
    pub passed: bool,
    pub failures: &'a [GateFailure],
    /// 0 passed, 1 failed.
    pub exit_code: i32,
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

fn image_doc(s: &Side) -> ImageDoc<'_> {
    ImageDoc {
        reference: &s.reference,
        image_size: s.image_size,
        layers: s.layers,
        tree_size: s.tree.total_size(),
        files: s.tree.file_count(),
        packages: s.packages.len(),
        warnings: &s.warnings,
    }
}

fn buckets(cmp: &Comparison, totals: &[BucketTotal]) -> Vec<BucketDoc> {
    let whole: u64 = totals.iter().map(|b| b.bytes).sum();
    totals
        .iter()
        .map(|b| BucketDoc {
            bucket: b.bucket.as_str(),
            bytes: b.bytes,
            files: b.files,
            percent: pct(b.bytes, whole),
            owners: b
                .owners
                .iter()
                .map(|o| {
                    let owner = o.owner.map(|id| cmp.owner(id));
                    OwnerDoc {
                        kind: owner.map(|x| x.kind),
                        name: owner.map(|x| x.name.clone()),
                        version: owner.and_then(|x| x.version.clone()),
                        ecosystem: owner.map(|x| x.ecosystem).filter(|e| !e.is_empty()),
                        label: cmp.owner_label(o.owner),
                        members: owner.map(|x| x.member_names.clone()).unwrap_or_default(),
                        needed_by: cmp.needed_by(o.owner),
                        bytes: o.bytes,
                        files: o.files,
                    }
                })
                .collect(),
        })
        .collect()
}

impl<'a> DiffDoc<'a> {
    pub fn new(cmp: &'a Comparison, gate: &Gate, failures: &'a [GateFailure]) -> DiffDoc<'a> {
        let (b, a) = (&cmp.before, &cmp.after);
        let t = &cmp.totals;
        let reduction = cmp.reduction();
        let mut changed = Vec::new();
        let mut added = Vec::new();
        for id in a.tree.iter() {
            let n = a.tree.node(id);
            if n.is_dir() {
                continue;
            }
            let f = a.facts(id);
            let doc = |bytes_before| PathDoc {
                path: a.display_path(id),
                bytes: n.size,
                bytes_before,
                bucket: f.bucket.as_str(),
                owner: f.owner.map(|o| cmp.owner(o).label()),
            };
            match f.status {
                Status::Changed => changed.push(doc(f.counterpart.map(|c| b.tree.node(c).size))),
                Status::Added => added.push(doc(None)),
                _ => {}
            }
        }
        DiffDoc {
            schema: SCHEMA,
            before: image_doc(b),
            after: image_doc(a),
            reduction_bytes: i64::try_from(reduction).unwrap_or(i64::MAX),
            reduction_percent: if reduction >= 0 {
                pct(reduction as u64, b.image_size)
            } else {
                -pct(reduction.unsigned_abs() as u64, b.image_size)
            },
            totals: TotalsDoc {
                eliminated: Count {
                    bytes: t.eliminated_bytes,
                    files: t.eliminated_files,
                },
                carried: Count {
                    bytes: t.carried_bytes,
                    files: t.carried_files,
                },
                moved: Count {
                    bytes: t.moved_bytes,
                    files: t.moved_files,
                },
                changed: ChangedCount {
                    bytes_before: t.changed_bytes_before,
                    bytes_after: t.changed_bytes,
                    files: t.changed_files,
                },
                added: Count {
                    bytes: t.added_bytes,
                    files: t.added_files,
                },
            },
            eliminated: buckets(cmp, &cmp.eliminated),
            shipped: buckets(cmp, &cmp.shipped),
            packages: PackagesDoc {
                eliminated: cmp.eliminated_packages(),
                kept: b
                    .packages
                    .iter()
                    .filter(|p| a.package(&p.name).is_some_and(|q| q.manager == p.manager))
                    .map(|p| p.name.as_str())
                    .collect(),
                added: a
                    .packages
                    .iter()
                    .filter(|p| b.package(&p.name).is_none_or(|q| q.manager != p.manager))
                    .collect(),
            },
            moved: cmp
                .moves
                .iter()
                .map(|m| MoveDoc {
                    from: b.display_path(m.before),
                    to: a.display_path(m.after),
                    bytes: m.bytes,
                })
                .collect(),
            changed,
            added,
            findings: &cmp.findings,
            paths: None,
            unused: cmp.unused.as_ref().map(|u| UnusedDoc {
                bytes: u.bytes,
                files: u.files,
                buckets: buckets(cmp, &u.buckets),
                packages: u
                    .packages
                    .iter()
                    .map(|(o, bytes)| UnusedPackageDoc {
                        name: cmp.owner(*o).name.clone(),
                        bytes: *bytes,
                    })
                    .collect(),
            }),
            gate: GateDoc {
                fail_on: gate.fail_on.iter().map(|k| k.as_str()).collect(),
                max_size: gate.max_size,
                max_unused: gate.max_unused,
                passed: failures.is_empty(),
                failures,
                exit_code: i32::from(!failures.is_empty()),
            },
        }
    }
}
