//! The Elm Architecture: one [`Model`], the [`Action`]s that change it, and
//! [`update`]. Nothing here draws; `view` reads the model, and the runner
//! turns terminal events and background results into actions.

use super::compare::CompareViews;
use super::keys::{Command, KeyMap};
use super::layout::{layout, Areas, Pane};
use super::tree::{flatten, keep_set, Row, Sort, StatusFilter, UiTree};
use crate::analysis::{Comparison, PathFacts};
use crate::image::Image;
use crate::pipeline::Analysed;
use crate::source::LoadProgress;
use crate::tree::{squash_upto, FileTree, NodeId};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An image loaded in the background and analysed once by the
/// [`crate::pipeline`] (its squashed filesystem and waste), with the tree
/// the TUI shows for it.
#[derive(Debug)]
pub struct Loaded {
    pub analysed: Analysed,
    pub tree: UiTree,
    /// The filesystem after the first `n` layers, for the last layer tree
    /// built: the next one applies only the layers in between when it is
    /// further up the stack (walking down the layer list), instead of
    /// squashing from layer 0 again.
    layer_state: std::sync::Mutex<Option<LayerState>>,
}

/// `loaded.image`, `loaded.waste`: a loaded image is an analysed one.
impl std::ops::Deref for Loaded {
    type Target = Analysed;
    fn deref(&self) -> &Analysed {
        &self.analysed
    }
}

impl Loaded {
    /// Squashes and prepares an image for the TUI (run off the UI thread).
    pub fn new(image: Image) -> Loaded {
        Loaded::from_analysed(crate::pipeline::analyse(image))
    }

    /// Arranges an analysed image for the TUI.
    pub fn from_analysed(analysed: Analysed) -> Loaded {
        let tree = UiTree::from_file_tree(&analysed.tree);
        Loaded {
            analysed,
            tree,
            layer_state: std::sync::Mutex::new(None),
        }
    }

    /// The squashed filesystem of the whole image.
    pub fn files(&self) -> Arc<FileTree> {
        Arc::clone(&self.analysed.tree)
    }

    /// The filesystem after the first `count` layers, and the changes the
    /// last of them made. Reuses the state the previous call left when it
    /// is at or below `count`; the result equals
    /// [`crate::tree::squash_upto`]'s (with only the last layer's changes).
    pub fn squash_upto(&self, count: usize) -> crate::tree::Squashed {
        let layers = &self.image.layers;
        let count = count.min(layers.len());
        let mut state = self
            .layer_state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (mut done, mut tree, mut last) = match state.take() {
            Some(s) if s.count <= count => (s.count, s.tree, s.last),
            _ => (0, FileTree::new(), Vec::new()),
        };
        for l in &layers[done..count] {
            last = tree.apply_layer(l.index as u32, &l.entries);
            done += 1;
        }
        let mut shown = tree.clone();
        shown.rollup();
        let changes = vec![last.clone()];
        *state = Some(LayerState {
            count: done,
            tree,
            last,
        });
        crate::tree::Squashed {
            tree: shown,
            changes,
        }
    }
}

/// See [`Loaded::squash_upto`].
#[derive(Debug)]
struct LayerState {
    count: usize,
    tree: FileTree,
    last: Vec<crate::tree::LayerChange>,
}

#[derive(Debug)]
pub enum SlotState {
    Loading,
    Loaded(Arc<Loaded>),
    Failed(String),
}

/// One image: BEFORE (slot 0) or AFTER (slot 1).
#[derive(Debug)]
pub struct Slot {
    pub reference: String,
    pub progress: Arc<LoadProgress>,
    pub started: Instant,
    /// When loading finished, for the final MB/s.
    pub finished: Option<Instant>,
    pub state: SlotState,
}

impl Slot {
    pub fn loaded(&self) -> Option<&Arc<Loaded>> {
        match &self.state {
            SlotState::Loaded(l) => Some(l),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    Tree,
    Eliminated,
    Audit,
}

/// What the tree shows when a layer is selected (dive's ctrl+l / ctrl+a).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LayerMode {
    /// Everything up to and including the layer.
    #[default]
    Aggregated,
    /// Only what the layer itself changed.
    Only,
}

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
    pub tree: UiTree,
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
}

impl TreePane {
    pub fn new(tree: UiTree, origins: Origins, title: String) -> TreePane {
        let mut expanded = vec![false; tree.len()];
        expanded[0] = true;
        // Open the first level: a tree of one collapsed "/" says nothing.
        for &c in &tree.node(0).children {
            if tree.node(c).children.len() <= 64 {
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
        };
        pane.rows = flatten(&pane.tree, &pane.expanded, None, Sort::Name);
        pane
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

    /// Applies a path and status filter; matches are opened.
    pub fn set_filter(&mut self, text: &str, status: StatusFilter, sort: Sort, height: usize) {
        self.keep = keep_set(&self.tree, text, status);
        match &self.keep {
            Some(keep) => {
                if self.saved_expanded.is_none() {
                    self.saved_expanded = Some(self.expanded.clone());
                }
                for (id, &k) in keep.iter().enumerate() {
                    if k {
                        self.expanded[self.tree.nodes[id].parent as usize] = true;
                    }
                }
            }
            None => {
                if let Some(saved) = self.saved_expanded.take() {
                    self.expanded = saved;
                }
            }
        }
        self.cursor.selected = self.cursor.selected.min(self.rows.len());
        self.reflow(sort, height);
    }

    fn set_expanded(&mut self, open: bool, sort: Sort, height: usize) {
        if let Some(id) = self.selected_id() {
            if !self.tree.node(id).children.is_empty() && self.expanded[id as usize] != open {
                self.expanded[id as usize] = open;
                self.reflow(sort, height);
            }
        }
    }

    fn collapse_or_parent(&mut self, sort: Sort, height: usize) {
        let Some(id) = self.selected_id() else { return };
        if self.expanded[id as usize] && !self.tree.node(id).children.is_empty() {
            self.set_expanded(false, sort, height);
            return;
        }
        let parent = self.tree.node(id).parent;
        if parent != 0 {
            if let Some(i) = self.rows.iter().position(|r| r.id == parent) {
                self.cursor.selected = i;
                self.cursor = self.cursor.visible(self.rows.len(), height);
            }
        }
    }

    fn toggle(&mut self, sort: Sort, height: usize) {
        if let Some(id) = self.selected_id() {
            let open = !self.expanded[id as usize];
            self.set_expanded(open, sort, height);
        }
    }
}

/// Something for the runner to do outside `update`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Both images are loaded: build the comparison in the background.
    Compare,
    /// Build the tree of a selected layer in the background.
    Scope(ScopeRequest),
}

/// Background work for an [`Effect`]: runs off the UI thread and returns
/// the action that carries its result back.
pub type Job = Box<dyn FnOnce() -> Action + Send + 'static>;

/// The job that carries out `effect` against the model as it is now, or
/// `None` when there is nothing to do (an image is gone or not loaded).
/// The runner hands it to `spawn_blocking`; tests call it in place.
pub fn job(model: &Model, effect: &Effect, rules: &Arc<crate::analysis::Rules>) -> Option<Job> {
    match *effect {
        Effect::Compare => {
            let before = model.slots.first().and_then(|s| s.loaded()).cloned()?;
            let after = model.slots.get(1).and_then(|s| s.loaded()).cloned()?;
            let rules = Arc::clone(rules);
            Some(Box::new(move || {
                Action::Compared(Box::new(Compared::of(&before, &after, &rules)))
            }))
        }
        Effect::Scope(request) => {
            let loaded = model.slots.get(request.slot)?.loaded().cloned()?;
            Some(Box::new(move || {
                Action::Scoped(Box::new(Scoped::from_loaded(&loaded, request)))
            }))
        }
    }
}

/// The job that loads and analyses the image of `slot` (the runner starts
/// one per image; tests call it in place).
pub fn load_job(
    slot: usize,
    reference: String,
    progress: Arc<LoadProgress>,
    options: &crate::source::LoadOptions,
) -> Job {
    let options = options.clone();
    Box::new(move || {
        let result = crate::pipeline::load(&reference, &options, &progress)
            .map(|analysed| Box::new(Loaded::from_analysed(analysed)))
            .map_err(|e| e.to_string());
        Action::Loaded { slot, result }
    })
}

/// Which layer tree to build. `generation` numbers the selections: only
/// the result for the latest one is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeRequest {
    pub generation: u64,
    pub slot: usize,
    pub layer: usize,
    pub mode: LayerMode,
}

/// The tree of one layer: everything up to it, or only its own changes.
#[derive(Debug)]
pub struct Scoped {
    pub request: ScopeRequest,
    pub files: Arc<FileTree>,
    pub tree: UiTree,
}

impl Scoped {
    /// Squashes up to the layer and arranges it (run off the UI thread:
    /// this is a whole squash, ~100 ms on a large image).
    pub fn new(image: &Image, request: ScopeRequest) -> Scoped {
        let layer = request.layer.min(image.layers.len().saturating_sub(1));
        Scoped::arrange(squash_upto(&image.layers, layer + 1), request, layer)
    }

    /// As [`Scoped::new`], reusing the squash state of the previous build
    /// of the same image.
    pub fn from_loaded(loaded: &Loaded, request: ScopeRequest) -> Scoped {
        let layer = request
            .layer
            .min(loaded.image.layers.len().saturating_sub(1));
        Scoped::arrange(loaded.squash_upto(layer + 1), request, layer)
    }

    fn arrange(squashed: crate::tree::Squashed, request: ScopeRequest, layer: usize) -> Scoped {
        let files = Arc::new(squashed.tree);
        let tree = match request.mode {
            LayerMode::Aggregated => UiTree::from_file_tree(&files),
            LayerMode::Only => {
                UiTree::from_changes(squashed.changes.last().map_or(&[][..], |c| c), &files)
            }
        };
        Scoped {
            request: ScopeRequest { layer, ..request },
            files,
            tree,
        }
    }
}

/// A finished comparison and the trees that show it.
#[derive(Debug)]
pub struct Compared {
    pub comparison: Comparison,
    pub views: CompareViews,
}

impl Compared {
    /// Compares two loaded images and arranges the result (run off the UI
    /// thread). Their squashed trees are reused, not rebuilt.
    pub fn of(before: &Loaded, after: &Loaded, rules: &crate::analysis::Rules) -> Compared {
        Compared::arrange(crate::pipeline::compare(
            &before.analysed,
            &after.analysed,
            rules,
        ))
    }

    /// Compares two images from scratch, squashing both (tests and
    /// benchmarks that hold bare images; the TUI uses [`Compared::of`]).
    pub fn new(before: &Image, after: &Image, rules: &crate::analysis::Rules) -> Compared {
        Compared::arrange(crate::analysis::compare(before, after, rules))
    }

    fn arrange(comparison: Comparison) -> Compared {
        let views = super::compare::build(&comparison);
        Compared { comparison, views }
    }
}

/// Everything that can happen.
#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Time passed: redraw gauges.
    Tick(Instant),
    Loaded {
        slot: usize,
        result: Result<Box<Loaded>, String>,
    },
    Compared(Box<Compared>),
    /// A layer tree finished building; dropped unless it is for the latest
    /// selection.
    Scoped(Box<Scoped>),
    /// SIGTERM, SIGINT, or anything else that ends the session.
    Quit,
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct Model {
    pub slots: Vec<Slot>,
    pub keys: KeyMap,
    pub screen: Screen,
    pub focus: Pane,
    pub help: bool,
    pub filter: String,
    pub editing_filter: bool,
    pub status_filter: StatusFilter,
    pub sort: Sort,
    pub layer_mode: LayerMode,
    /// Per slot: the layers list position.
    pub layers: [Cursor; 2],
    /// The slot and layer the tree is scoped to, if any.
    pub scope: Option<(usize, usize)>,
    /// The whole tree (one image, or the comparison).
    pub main: Option<TreePane>,
    /// The tree of the selected layer (the last one built: while a newer
    /// selection is computing, it still shows the previous one).
    pub scoped: Option<TreePane>,
    /// Numbers layer selections; bumped whenever `scope` or the layer mode
    /// changes, so late results for older selections can be told apart.
    pub scope_generation: u64,
    /// The generation `scoped` was built for.
    scoped_generation: u64,
    /// A layer tree is being built in the background (at most one at a
    /// time, so holding a key down does not queue a squash per repeat).
    scope_in_flight: bool,
    /// The latest selection, waiting for the running build to finish.
    scope_wanted: Option<ScopeRequest>,
    pub comparison: Option<Arc<Comparison>>,
    /// Screen 2: bucket → owner → file.
    pub eliminated: Option<TreePane>,
    /// Screen 3: findings and what ships.
    pub audit: Option<TreePane>,
    pub size: (u16, u16),
    /// False under NO_COLOR: marks and modifiers only.
    pub color: bool,
    pub now: Instant,
    pub quit: bool,
    pub effects: Vec<Effect>,
    /// A one-line message for the hint bar (e.g. a comparison that is not
    /// available yet).
    pub notice: Option<String>,
}

impl Model {
    pub fn new(references: Vec<String>, keys: KeyMap, now: Instant) -> Model {
        let slots = references
            .into_iter()
            .take(2)
            .map(|reference| Slot {
                reference,
                progress: Arc::new(LoadProgress::default()),
                started: now,
                finished: None,
                state: SlotState::Loading,
            })
            .collect();
        Model {
            slots,
            keys,
            screen: Screen::Tree,
            focus: Pane::Tree,
            help: false,
            filter: String::new(),
            editing_filter: false,
            status_filter: StatusFilter::All,
            sort: Sort::Name,
            layer_mode: LayerMode::Aggregated,
            layers: [Cursor::default(); 2],
            scope: None,
            main: None,
            scoped: None,
            scope_generation: 0,
            scoped_generation: 0,
            scope_in_flight: false,
            scope_wanted: None,
            comparison: None,
            eliminated: None,
            audit: None,
            size: (100, 30),
            color: true,
            now,
            quit: false,
            effects: Vec::new(),
            notice: None,
        }
    }

    pub fn compare(&self) -> bool {
        self.slots.len() == 2
    }

    pub fn loading(&self) -> bool {
        self.slots
            .iter()
            .any(|s| matches!(s.state, SlotState::Loading))
    }

    /// Whether the selected layer's tree is still being built (the screen
    /// shows the previous tree and a "computing…" marker meanwhile).
    pub fn computing(&self) -> bool {
        self.scope.is_some() && self.scoped_generation != self.scope_generation
    }

    /// The tree on screen.
    pub fn pane(&self) -> Option<&TreePane> {
        match self.screen {
            Screen::Tree if self.scope.is_some() && self.scoped.is_some() => self.scoped.as_ref(),
            Screen::Tree => self.main.as_ref(),
            Screen::Eliminated => self.eliminated.as_ref(),
            Screen::Audit => self.audit.as_ref(),
        }
    }

    fn pane_mut(&mut self) -> Option<&mut TreePane> {
        match self.screen {
            Screen::Tree if self.scope.is_some() && self.scoped.is_some() => self.scoped.as_mut(),
            Screen::Tree => self.main.as_mut(),
            Screen::Eliminated => self.eliminated.as_mut(),
            Screen::Audit => self.audit.as_mut(),
        }
    }

    fn panes_mut(&mut self) -> impl Iterator<Item = &mut TreePane> {
        [
            self.main.as_mut(),
            self.scoped.as_mut(),
            self.eliminated.as_mut(),
            self.audit.as_mut(),
        ]
        .into_iter()
        .flatten()
    }

    /// Shows a finished comparison: the union tree replaces the BEFORE
    /// explorer, and the Eliminated and Audit screens fill in.
    fn on_compared(&mut self, c: Compared) {
        let cmp = Arc::new(c.comparison);
        let both = Origins {
            files: [
                Some((0, TreeRef::Before(cmp.clone()))),
                Some((1, TreeRef::After(cmp.clone()))),
            ],
        };
        self.main = Some(TreePane::new(c.views.union, both, "BEFORE ⇄ AFTER".into()));
        let mut elim = TreePane::new(
            c.views.eliminated,
            Origins {
                files: [Some((0, TreeRef::Before(cmp.clone()))), None],
            },
            "Eliminated: what the multi-stage build removed".into(),
        );
        elim.groups = true;
        let mut audit = TreePane::new(
            c.views.audit,
            Origins {
                files: [Some((1, TreeRef::After(cmp.clone()))), None],
            },
            "Audit: what still ships in AFTER".into(),
        );
        audit.groups = true;
        self.eliminated = Some(elim);
        self.audit = Some(audit);
        // A package database that could not be read stays on screen: its
        // files show as unowned, and the person should know why.
        self.notice = [("BEFORE", &cmp.before), ("AFTER", &cmp.after)]
            .iter()
            .find_map(|(label, s)| s.warnings.first().map(|w| format!("{label}: {w}")));
        self.comparison = Some(cmp);
        self.refresh_filter();
    }

    pub fn areas(&self) -> Areas {
        layout(Rect::new(0, 0, self.size.0, self.size.1), self)
    }

    fn tree_height(&self) -> usize {
        self.areas()
            .tree
            .map_or(10, |r| r.height.saturating_sub(2) as usize)
    }

    fn layers_height(&self, slot: usize) -> usize {
        self.areas().layers[slot].map_or(5, |r| r.height.saturating_sub(2) as usize)
    }

    /// The panes Tab cycles through, in order.
    fn focus_ring(&self) -> Vec<Pane> {
        let mut ring = Vec::new();
        if self.screen == Screen::Tree {
            for (i, s) in self.slots.iter().enumerate() {
                if s.loaded().is_some() {
                    ring.push(Pane::Layers(i));
                }
            }
        }
        ring.push(Pane::Tree);
        ring
    }

    /// Cancels every load still running (quit mid-load).
    pub fn cancel_loads(&self) {
        for s in &self.slots {
            s.progress.cancel.store(true, Ordering::Relaxed);
        }
    }

    fn refresh_filter(&mut self) {
        let (text, status, sort, h) = (
            self.filter.clone(),
            self.status_filter,
            self.sort,
            self.tree_height(),
        );
        for pane in self.panes_mut() {
            pane.set_filter(&text, status, sort, h);
        }
    }

    /// Asks for the tree of the selected layer. The squash runs in the
    /// background; its result comes back as [`Action::Scoped`].
    fn rescope(&mut self) {
        self.scope_generation += 1;
        self.scope_wanted = None;
        let Some((slot, layer)) = self.scope else {
            self.scoped = None;
            return;
        };
        let n = self
            .slots
            .get(slot)
            .and_then(|s| s.loaded())
            .map_or(0, |l| l.image.layers.len());
        if n == 0 {
            self.scope = None;
            self.scoped = None;
            return;
        }
        let request = ScopeRequest {
            generation: self.scope_generation,
            slot,
            layer: layer.min(n - 1),
            mode: self.layer_mode,
        };
        if self.scope_in_flight {
            // Coalesce: only the latest selection is built once the
            // running build is done.
            self.scope_wanted = Some(request);
        } else {
            self.scope_in_flight = true;
            self.effects.push(Effect::Scope(request));
        }
    }

    /// Shows a finished layer tree if it is for the latest selection;
    /// starts the build of the latest selection if one is waiting.
    fn on_scoped(&mut self, s: Scoped) {
        // One build at a time: whatever arrives is the one that was running.
        self.scope_in_flight = false;
        let ScopeRequest {
            generation,
            slot,
            layer,
            mode,
        } = s.request;
        if generation == self.scope_generation && self.scope.is_some() {
            let what = match mode {
                LayerMode::Aggregated => "up to",
                LayerMode::Only => "changes of",
            };
            let side = if self.compare() {
                ["BEFORE", "AFTER"][slot.min(1)]
            } else {
                "image"
            };
            let title = format!("{side} · {what} layer {layer}");
            let mut pane = TreePane::new(s.tree, Origins::own(slot, s.files), title);
            pane.set_filter(
                &self.filter.clone(),
                self.status_filter,
                self.sort,
                self.tree_height(),
            );
            if self.filter.is_empty()
                && self.status_filter == StatusFilter::All
                && mode == LayerMode::Only
            {
                // A layer's changes are few: show them all.
                pane.expanded.iter_mut().for_each(|e| *e = true);
                pane.reflow(self.sort, self.tree_height());
            }
            self.scoped = Some(pane);
            self.scoped_generation = generation;
        }
        if let Some(next) = self.scope_wanted.take() {
            self.scope_in_flight = true;
            self.effects.push(Effect::Scope(next));
        }
    }

    /// Builds the main tree once images are in.
    fn on_loaded(&mut self) {
        if self.main.is_some() || self.loading() {
            return;
        }
        if self.compare() {
            if self.slots.iter().all(|s| s.loaded().is_some()) {
                self.effects.push(Effect::Compare);
                self.notice = Some("comparing…".into());
            }
            // Until the comparison is in, explore BEFORE.
            if let Some(l) = self.slots[0].loaded().cloned() {
                self.main = Some(TreePane::new(
                    l.tree.clone(),
                    Origins::own(0, l.files()),
                    "BEFORE".into(),
                ));
            }
        } else if let Some(l) = self.slots[0].loaded().cloned() {
            self.main = Some(TreePane::new(
                l.tree.clone(),
                Origins::own(0, l.files()),
                "filesystem".into(),
            ));
        }
        for (i, s) in self.slots.iter().enumerate() {
            if let Some(l) = s.loaded() {
                self.layers[i] = Cursor {
                    selected: l.image.layers.len().saturating_sub(1),
                    offset: 0,
                }
                .visible(l.image.layers.len(), self.layers_height(i));
            }
        }
        self.refresh_filter();
    }

    fn command(&mut self, c: Command) {
        if self.help {
            // The overlay swallows everything but its own close keys.
            if matches!(c, Command::Help | Command::Cancel) {
                self.help = false;
            } else if c == Command::Quit {
                self.quit = true;
            }
            return;
        }
        let h = self.tree_height();
        let sort = self.sort;
        match c {
            Command::Quit => self.quit = true,
            Command::Help => self.help = true,
            Command::FocusNext | Command::FocusPrev => {
                let ring = self.focus_ring();
                let i = ring.iter().position(|p| *p == self.focus).unwrap_or(0);
                let n = ring.len();
                let next = if c == Command::FocusNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus = ring[next];
            }
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Home
            | Command::End => {
                self.navigate(c);
            }
            Command::Collapse => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.collapse_or_parent(sort, h);
                }
            }
            Command::Expand => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.set_expanded(true, sort, h);
                }
            }
            Command::Toggle => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.toggle(sort, h);
                }
            }
            Command::Filter => {
                self.editing_filter = true;
                self.focus = Pane::Tree;
            }
            Command::CycleStatus => {
                self.status_filter = self.status_filter.next();
                self.refresh_filter();
            }
            Command::Sort => {
                self.sort = match self.sort {
                    Sort::Name => Sort::Size,
                    Sort::Size => Sort::Name,
                };
                let sort = self.sort;
                for p in self.panes_mut() {
                    p.reflow(sort, h);
                }
            }
            Command::LayerOnly | Command::LayerAggregate => {
                self.layer_mode = if c == Command::LayerOnly {
                    LayerMode::Only
                } else {
                    LayerMode::Aggregated
                };
                let slot = match (self.focus, self.scope) {
                    (Pane::Layers(i), _) => Some(i),
                    (_, Some((i, _))) => Some(i),
                    _ => self.slots.iter().position(|s| s.loaded().is_some()),
                };
                if let Some(i) = slot {
                    self.scope = Some((i, self.layers[i].selected));
                    self.rescope();
                }
            }
            Command::ViewTree => {
                self.screen = Screen::Tree;
            }
            Command::ViewEliminated | Command::ViewAudit => {
                self.screen = if c == Command::ViewEliminated {
                    Screen::Eliminated
                } else {
                    Screen::Audit
                };
                self.focus = Pane::Tree;
            }
            Command::Cancel => {
                if !self.filter.is_empty() || self.status_filter != StatusFilter::All {
                    self.filter.clear();
                    self.status_filter = StatusFilter::All;
                    self.refresh_filter();
                } else if self.scope.is_some() {
                    self.scope = None;
                    self.rescope();
                }
            }
        }
    }

    fn navigate(&mut self, c: Command) {
        let page = |h: usize| h.saturating_sub(1).max(1) as isize;
        match self.focus {
            Pane::Layers(i) => {
                let Some(n) = self
                    .slots
                    .get(i)
                    .and_then(|s| s.loaded())
                    .map(|l| l.image.layers.len())
                else {
                    return;
                };
                let h = self.layers_height(i);
                let delta = match c {
                    Command::Up => -1,
                    Command::Down => 1,
                    Command::PageUp => -page(h),
                    Command::PageDown => page(h),
                    Command::Home => isize::MIN / 2,
                    _ => isize::MAX / 2,
                };
                let before = self.layers[i].selected;
                self.layers[i] = self.layers[i].moved(delta, n, h);
                if self.layers[i].selected != before || self.scope.is_none_or(|s| s.0 != i) {
                    self.scope = Some((i, self.layers[i].selected));
                    self.rescope();
                }
            }
            Pane::Tree => {
                let h = self.tree_height();
                if let Some(p) = self.pane_mut() {
                    let delta = match c {
                        Command::Up => -1,
                        Command::Down => 1,
                        Command::PageUp => -page(h),
                        Command::PageDown => page(h),
                        Command::Home => isize::MIN / 2,
                        _ => isize::MAX / 2,
                    };
                    p.cursor = p.cursor.moved(delta, p.rows.len(), h);
                }
            }
        }
    }

    fn filter_key(&mut self, key: &KeyEvent) {
        match key.code {
            KeyCode::Enter => self.editing_filter = false,
            KeyCode::Esc => {
                self.editing_filter = false;
                self.filter.clear();
                self.refresh_filter();
            }
            KeyCode::Backspace => {
                self.filter.pop();
                self.refresh_filter();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit = true,
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.clear();
                self.refresh_filter();
            }
            KeyCode::Char(ch)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.filter.push(ch);
                self.refresh_filter();
            }
            KeyCode::Up | KeyCode::Down => {
                self.editing_filter = false;
                self.navigate(if key.code == KeyCode::Up {
                    Command::Up
                } else {
                    Command::Down
                });
            }
            _ => {}
        }
    }

    fn mouse(&mut self, m: MouseEvent) {
        let areas = self.areas();
        let at = Position::new(m.column, m.row);
        let hit = |r: Option<Rect>| r.is_some_and(|r| r.contains(at));
        let pane = if hit(areas.tree) {
            Some(Pane::Tree)
        } else if hit(areas.layers[0]) {
            Some(Pane::Layers(0))
        } else if hit(areas.layers[1]) {
            Some(Pane::Layers(1))
        } else {
            None
        };
        let Some(pane) = pane else { return };
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let prev = self.focus;
                self.focus = pane;
                let c = if m.kind == MouseEventKind::ScrollUp {
                    Command::Up
                } else {
                    Command::Down
                };
                for _ in 0..3 {
                    self.navigate(c);
                }
                self.focus = prev;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if self.help {
                    return;
                }
                self.focus = pane;
                let rect = match pane {
                    Pane::Tree => areas.tree,
                    Pane::Layers(i) => areas.layers[i],
                };
                let Some(rect) = rect else { return };
                // Row 0 of a pane is its border/title.
                let Some(line) = (m.row as usize).checked_sub(rect.y as usize + 1) else {
                    return;
                };
                match pane {
                    Pane::Tree => {
                        // The first inner line is the column header.
                        let Some(line) = line.checked_sub(1) else {
                            return;
                        };
                        let h = self.tree_height();
                        let sort = self.sort;
                        if let Some(p) = self.pane_mut() {
                            let i = p.cursor.offset + line;
                            if i < p.rows.len() {
                                if i == p.cursor.selected {
                                    p.toggle(sort, h);
                                } else {
                                    p.cursor.selected = i;
                                    p.cursor = p.cursor.visible(p.rows.len(), h);
                                }
                            }
                        }
                    }
                    Pane::Layers(slot) => {
                        let i = self.layers[slot].offset + line;
                        let n = self.slots[slot]
                            .loaded()
                            .map_or(0, |l| l.image.layers.len());
                        if i < n {
                            self.layers[slot].selected = i;
                            self.scope = Some((slot, i));
                            self.rescope();
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Applies one action.
pub fn update(model: &mut Model, action: Action) {
    match action {
        Action::Key(key) => {
            if !key.is_press() {
                return;
            }
            if model.editing_filter {
                model.filter_key(&key);
            } else if let Some(c) = model.keys.command(&key) {
                model.command(c);
            }
        }
        Action::Mouse(m) => model.mouse(m),
        Action::Resize(w, h) => {
            model.size = (w, h);
            let th = model.tree_height();
            for p in model.panes_mut() {
                p.cursor = p.cursor.visible(p.rows.len(), th);
            }
        }
        Action::Tick(now) => model.now = now,
        // After quit, a load that ends now was most likely stopped by our
        // own cancel: it is not a failure to report on the way out.
        Action::Loaded { .. } if model.quit => {}
        Action::Loaded { slot, result } => {
            if let Some(s) = model.slots.get_mut(slot) {
                s.finished = Some(model.now);
                s.state = match result {
                    Ok(l) => SlotState::Loaded(Arc::from(l)),
                    Err(e) => SlotState::Failed(e),
                };
            }
            model.on_loaded();
        }
        Action::Compared(c) => model.on_compared(*c),
        Action::Scoped(s) => model.on_scoped(*s),
        Action::Quit => model.quit = true,
    }
    if model.quit {
        model.cancel_loads();
    }
}

/// Bytes per second of a slot's load so far.
pub fn rate(slot: &Slot, now: Instant) -> f64 {
    let end = slot.finished.unwrap_or(now);
    let secs = end
        .saturating_duration_since(slot.started)
        .max(Duration::from_millis(1));
    slot.progress.done() as f64 / secs.as_secs_f64()
}
