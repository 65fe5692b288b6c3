//! A tree on screen and the state of looking at it: rows, cursor,
//! expansion, filter, and where its nodes' details come from.

use super::tree::{flatten, keep_set, Hidden, Mark, Row, Sort, StatusFilter, UiTree};
use crate::analysis::{Comparison, PathFacts, Rollup, Status};
use crate::tree::{FileTree, NodeId};
use std::sync::Arc;

/// A scrollable list position.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub selected: usize,
    pub offset: usize,
}

impl Cursor {
    /// Moves by `delta` rows within `len`, keeping the selection inside a
    /// window of `height` rows.
    pub fn moved(self, delta: isize, len: usize, height: usize) -> Cursor {
        if len == 0 {
            return Cursor::default();
        }
        let selected = (self.selected as isize + delta).clamp(0, len as isize - 1) as usize;
        Cursor {
            selected,
            offset: self.offset,
        }
        .visible(len, height)
    }

    pub fn visible(mut self, len: usize, height: usize) -> Cursor {
        let height = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
        self
    }
}

/// An engine tree a [`TreePane`]'s nodes point into.
#[derive(Clone, Debug)]
pub enum TreeRef {
    /// A squashed tree of one image (whole, or up to a layer).
    Own(Arc<FileTree>),
    /// The BEFORE side of the comparison (with its facts).
    Before(Arc<Comparison>),
    /// The AFTER side of the comparison.
    After(Arc<Comparison>),
}

impl TreeRef {
    pub fn get(&self) -> &FileTree {
        match self {
            TreeRef::Own(t) => t,
            TreeRef::Before(c) => &c.before.tree,
            TreeRef::After(c) => &c.after.tree,
        }
    }

    /// Where a moved file went (BEFORE side) or came from (AFTER side):
    /// the label to show and the other side's path.
    pub fn moved(&self, facts: &PathFacts) -> Option<(&'static str, String)> {
        if facts.status != Status::Moved {
            return None;
        }
        let to = facts.counterpart?;
        match self {
            TreeRef::Before(c) => Some(("moved to", c.after.display_path(to))),
            TreeRef::After(c) => Some(("moved from", c.before.display_path(to))),
            TreeRef::Own(_) => None,
        }
    }

    /// The comparison's rollup of a node, when the tree is a side of it.
    pub fn rollup(&self, id: NodeId) -> Option<Rollup> {
        match self {
            TreeRef::Own(_) => None,
            TreeRef::Before(c) => Some(c.before.rollup(id)),
            TreeRef::After(c) => Some(c.after.rollup(id)),
        }
    }

    /// The comparison's facts about a node, when the tree is a side of it.
    pub fn facts(&self, id: NodeId) -> Option<(&Comparison, &PathFacts)> {
        match self {
            TreeRef::Own(_) => None,
            TreeRef::Before(c) => Some((c, c.before.facts(id))),
            TreeRef::After(c) => Some((c, c.after.facts(id))),
        }
    }
}

/// Where tree nodes' details come from: the engine tree of each side and
/// the slot (image) it belongs to.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    pub files: [Option<(usize, TreeRef)>; 2],
}

impl Origins {
    pub fn own(slot: usize, files: Arc<FileTree>) -> Origins {
        Origins {
            files: [Some((slot, TreeRef::Own(files))), None],
        }
    }
}

/// A tree and the state of looking at it.
#[derive(Debug)]
pub struct TreePane {
    /// Shared with the [`super::app::Loaded`] it comes from: opening a
    /// pane on a million-node tree must not copy it on the UI thread.
    pub tree: Arc<UiTree>,
    pub origins: Origins,
    pub expanded: Vec<bool>,
    /// Expansion before a filter opened the matches, restored when cleared.
    saved_expanded: Option<Vec<bool>>,
    pub keep: Option<Vec<bool>>,
    pub rows: Vec<Row>,
    pub cursor: Cursor,
    /// What it shows, for the title.
    pub title: String,
    /// Rows are groups (buckets, owners) with bars, not a filesystem.
    pub groups: bool,
    /// One line about the whole list, shown above it (already escaped).
    pub summary: Option<String>,
}

impl TreePane {
    pub fn new(tree: impl Into<Arc<UiTree>>, origins: Origins, title: String) -> TreePane {
        let tree = tree.into();
        let mut expanded = vec![false; tree.len()];
        expanded[0] = true;
        // Open the first level: a tree of one collapsed "/" says nothing.
        for &c in tree.children(0) {
            if tree.children(c).len() <= 64 {
                expanded[c as usize] = true;
            }
        }
        let mut pane = TreePane {
            tree,
            origins,
            expanded,
            saved_expanded: None,
            keep: None,
            rows: Vec::new(),
            cursor: Cursor::default(),
            title,
            groups: false,
            summary: None,
        };
        pane.rows = flatten(&pane.tree, &pane.expanded, None, Sort::Name);
        pane
    }

    /// Files per status below a mixed directory of the comparison, from
    /// the analysis' rollups (eliminated counted on BEFORE, added on AFTER,
    /// the rest on whichever side has more).
    pub fn mixed_counts(&self, id: u32) -> Vec<(Mark, u32)> {
        let n = self.tree.node(id);
        let rollup = |side: usize| {
            let (_, tree) = self.origins.files[side].as_ref()?;
            tree.rollup(n.origin[side]?)
        };
        let (before, after) = (rollup(0), rollup(1));
        Status::ALL
            .into_iter()
            .filter_map(|s| {
                let files = |r: Option<Rollup>| r.map_or(0, |r| r.files(s));
                let count = match s {
                    Status::Eliminated => files(before),
                    Status::Added => files(after),
                    _ => files(before).max(files(after)),
                };
                (count > 0).then(|| (super::compare::mark_of(s), count))
            })
            .collect()
    }

    pub fn selected_id(&self) -> Option<u32> {
        self.rows.get(self.cursor.selected).map(|r| r.id)
    }

    /// Recomputes the visible rows, keeping the selected node selected.
    pub fn reflow(&mut self, sort: Sort, height: usize) {
        let keep_id = self.selected_id();
        self.rows = flatten(&self.tree, &self.expanded, self.keep.as_deref(), sort);
        if let Some(id) = keep_id {
            if let Some(i) = self.rows.iter().position(|r| r.id == id) {
                self.cursor.selected = i;
            }
        }
        self.cursor = self.cursor.visible(self.rows.len(), height);
    }

    /// Applies a path and status filter, and hides the change types of
    /// `hidden`; matches of a path or status filter are opened.
    pub fn set_filter(
        &mut self,
        text: &str,
        status: StatusFilter,
        hidden: Hidden,
        sort: Sort,
        height: usize,
    ) {
        self.keep = keep_set(&self.tree, text, status, hidden);
        // Hiding a change type alone opens nothing (dive's toggles).
        let opens = !text.is_empty() || status.mark().is_some();
        match &self.keep {
            Some(keep) if opens => {
                if self.saved_expanded.is_none() {
                    self.saved_expanded = Some(self.expanded.clone());
                }
                for (id, &k) in keep.iter().enumerate() {
                    if k {
                        self.expanded[self.tree.parent(id as u32) as usize] = true;
                    }
                }
            }
            _ => {
                if let Some(saved) = self.saved_expanded.take() {
                    self.expanded = saved;
                }
            }
        }
        self.cursor.selected = self.cursor.selected.min(self.rows.len());
        self.reflow(sort, height);
    }

    pub(super) fn set_expanded(&mut self, open: bool, sort: Sort, height: usize) {
        if let Some(id) = self.selected_id() {
            if !self.tree.children(id).is_empty() && self.expanded[id as usize] != open {
                self.expanded[id as usize] = open;
                self.reflow(sort, height);
            }
        }
    }

    pub(super) fn collapse_or_parent(&mut self, sort: Sort, height: usize) {
        let Some(id) = self.selected_id() else { return };
        if self.expanded[id as usize] && !self.tree.children(id).is_empty() {
            self.set_expanded(false, sort, height);
            return;
        }
        let parent = self.tree.parent(id);
        if parent != 0 {
            if let Some(i) = self.rows.iter().position(|r| r.id == parent) {
                self.cursor.selected = i;
                self.cursor = self.cursor.visible(self.rows.len(), height);
            }
        }
    }

    /// Folds everything to the first level; the selection moves to its
    /// top-level ancestor.
    pub(super) fn collapse_all(&mut self, sort: Sort, height: usize) {
        let mut top = self.selected_id();
        while let Some(id) = top.filter(|&id| self.tree.parent(id) != 0) {
            top = Some(self.tree.parent(id));
        }
        self.expanded.iter_mut().for_each(|e| *e = false);
        self.expanded[0] = true;
        self.saved_expanded = None;
        self.rows = flatten(&self.tree, &self.expanded, self.keep.as_deref(), sort);
        if let Some(i) = top.and_then(|t| self.rows.iter().position(|r| r.id == t)) {
            self.cursor.selected = i;
        }
        self.cursor = self.cursor.visible(self.rows.len(), height);
    }

    /// Opens directories level by level while the visible rows stay
    /// within `budget`: a layer's (or a range's) changes open whole when
    /// they are few, and opening a 200k-path range does not cost the UI
    /// thread a flatten of every row. O(rows opened).
    pub fn open_within(&mut self, budget: usize, sort: Sort, height: usize) {
        self.expanded.iter_mut().for_each(|e| *e = false);
        self.expanded[0] = true;
        let root = self.tree.children(0);
        let mut rows = root.len();
        let mut level: std::collections::VecDeque<u32> = root.iter().copied().collect();
        while let Some(id) = level.pop_front() {
            let kids = self.tree.children(id);
            if kids.is_empty() || rows + kids.len() > budget {
                continue;
            }
            rows += kids.len();
            self.expanded[id as usize] = true;
            level.extend(kids.iter().copied());
        }
        self.reflow(sort, height);
    }

    pub(super) fn toggle(&mut self, sort: Sort, height: usize) {
        if let Some(id) = self.selected_id() {
            let open = !self.expanded[id as usize];
            self.set_expanded(open, sort, height);
        }
    }
}
