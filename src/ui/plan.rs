//! Turns one image's [`Plan`] into the trees of single-image mode: "Would
//! go" (the predicted elimination, shaped like the comparison's Eliminated
//! view, from the plan's own comparison) and "Needs" (the entrypoint's
//! closure by part). No closure logic lives here: parts, reasons and the
//! prediction come from `analysis`; this only arranges them into rows.

use super::compare::{count_files, eliminated_tree, group};
use super::tree::{Mark, UiTree, UiTreeBuilder};
use crate::analysis::closure::{Closure, Part, Sure};
use crate::analysis::plan::{describe, Plan};
use crate::escape::escape_str;
use crate::format;
use crate::image::{EntryKind, Image};
use crate::tree::{FileTree, NodeId};
use std::collections::BTreeMap;

/// Longest `why` a row shows; the details pane shows it whole.
const WHY_WIDTH: usize = 40;

/// The two trees of a plan and the one-line summaries above them.
#[derive(Debug)]
pub struct PlanViews {
    pub would_go: UiTree,
    pub needs: UiTree,
    /// "39.5 MB of 46 MB would go · runtime 6.5 MB", escaped.
    pub would_go_summary: String,
    /// "/app · static binary · Go 1.19.8 · 1 file · 6.5 MB", escaped.
    pub needs_summary: String,
    /// The prediction for the first screen.
    pub overview: super::overview::PlanOverview,
}

pub fn build(plan: &Plan, image: &Image, tree: &FileTree) -> PlanViews {
    let c = &plan.closure;
    let total = plan.comparison.before.image_size;
    let would_go_summary = if c.program.is_none() {
        "no entrypoint found: nothing is known to be needed".to_string()
    } else {
        let gone = plan.removable_bytes();
        let pct = if total == 0 {
            0.0
        } else {
            gone as f64 * 100.0 / total as f64
        };
        let mut s = format!(
            "{} of {} would go (−{pct:.1}%) · runtime {}",
            format::size(gone),
            format::size(total),
            format::size(plan.runtime_bytes())
        );
        if let Some(b) = &plan.on_base {
            s.push_str(&format!(
                " · on its own {} base {}",
                b.manager,
                format::size(b.bytes)
            ));
        }
        s
    };
    let needs_summary = match c.program {
        Some(p) => format!(
            "{} · {} · {} · {}{}",
            crate::analysis::closure::show_path(&tree.path_of(p)),
            // Escaped already where it quotes the image (Go's build info);
            // `line` only makes sure of the controls.
            crate::escape::line(&describe(c, tree, image)),
            format::plural(c.required().count() as u64, "file", "files"),
            format::size(c.bytes(tree)),
            if c.exact() {
                " · exact"
            } else {
                " · partly inferred"
            }
        ),
        None if c.argv.is_empty() => "the image has no entrypoint".to_string(),
        None => format!(
            "entrypoint {} not found in the image",
            escape_str(&c.argv.join(" "))
        ),
    };
    PlanViews {
        would_go: eliminated_tree(&plan.comparison),
        needs: needs_tree(c, tree),
        overview: super::overview::PlanOverview::of(
            plan,
            if c.program.is_some() {
                needs_summary.clone()
            } else {
                would_go_summary.clone()
            },
        ),
        would_go_summary,
        needs_summary,
    }
}

/// The closure as part → file (with why), then what it could not settle
/// and the language packages it names.
pub fn needs_tree(closure: &Closure, tree: &FileTree) -> UiTree {
    let mut b = UiTreeBuilder::new(1);
    part_groups(&mut b, 0, closure, tree);
    if !closure.gaps.is_empty() {
        let label = format!("unsettled · {}", closure.gaps.len());
        let g = group(&mut b, 0, &label, 0, Mark::Changed);
        for gap in &closure.gaps {
            let name = format!("{}: {}", gap.kind, gap.detail);
            let id = b.push_child(g, name.as_bytes(), EntryKind::File);
            b.set_mark(id, Mark::Changed);
            b.set_name_escaped(id, true);
        }
    }
    if !closure.packages.is_empty() {
        let label = format!("named packages · {}", closure.packages.len());
        let g = group(&mut b, 0, &label, 0, Mark::Plain);
        for (eco, name, version) in &closure.packages {
            let row = format!("{name} {version}");
            let id = b.push_child(g, row.as_bytes(), EntryKind::File);
            b.set_badge(id, Some(eco), false);
        }
    }
    b.finish_groups()
}

/// Under `parent`: a group per part of the closure (optional files apart,
/// as "may read"), each with its files biggest first and why they are in.
pub(super) fn part_groups(b: &mut UiTreeBuilder, parent: u32, closure: &Closure, tree: &FileTree) {
    let mut by: BTreeMap<(bool, Part), Vec<NodeId>> = BTreeMap::new();
    for (&id, item) in &closure.items {
        by.entry((item.sure == Sure::Optional, item.part))
            .or_default()
            .push(id);
    }
    for ((optional, part), mut ids) in by {
        let bytes = ids.iter().map(|&id| tree.size(id)).sum();
        let files = ids
            .iter()
            .filter(|&&id| tree.kind(id) != EntryKind::Symlink)
            .count() as u32;
        let label = if part == Part::Link {
            format!("{} · {}", part.label(), ids.len())
        } else {
            format!("{} · {}", part.label(), count_files(files))
        };
        let label = if optional {
            format!("may read: {label}")
        } else {
            label
        };
        let mark = if optional { Mark::Carried } else { Mark::Plain };
        let g = group(b, parent, &label, bytes, mark);
        ids.sort_by_key(|&id| std::cmp::Reverse(tree.size(id)));
        for id in ids {
            let n = tree.node(id);
            let mut path = b"/".to_vec();
            path.extend_from_slice(&tree.path_of(id));
            let row = b.push_child(g, &path, n.kind);
            b.set_size(row, 0, Some(n.size));
            b.set_mark(row, mark);
            b.set_origin(row, 0, Some(id));
            // The path is raw bytes, escaped when drawn; the why is the
            // closure's text, escaped already.
            let why = closure
                .items
                .get(&id)
                .map(|item| format::truncate(&item.why, WHY_WIDTH));
            b.set_badge(row, why.as_deref(), true);
        }
    }
}
