//! The whole state of the TUI ([`Model`]) and how background results
//! change it. Input handling is in `input`; nothing here draws.

use super::jobs::{Compared, Effect, Latest, LayerMode, Loaded, Planned, ScopeRequest, Scoped};
use super::keys::KeyMap;
use super::layout::{layout, Areas, Pane, Shape};
use super::pane::{Cursor, Origins, TreePane, TreeRef};
use super::tree::{Hidden, Sort, StatusFilter};
use crate::analysis::Comparison;
use crate::source::LoadProgress;
use ratatui::layout::Rect;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

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
    /// The first screen: the answer at a glance.
    Overview,
    Tree,
    Eliminated,
    Audit,
}

/// The whole state of the TUI.
#[derive(Debug)]
pub struct Model {
    pub slots: Vec<Slot>,
    pub keys: KeyMap,
    pub screen: Screen,
    pub focus: Pane,
    pub help: bool,
    /// The help overlay's first shown line (the view clamps it).
    pub help_scroll: usize,
    pub filter: String,
    pub editing_filter: bool,
    pub status_filter: StatusFilter,
    /// The change types dive's toggles hide (marks of no status, such as
    /// one image's whole tree, are never hidden).
    pub hidden: Hidden,
    /// The hidden change types the trees were last filtered with.
    hidden_applied: Hidden,
    pub sort: Sort,
    pub layer_mode: LayerMode,
    /// Per slot: the layers list position.
    pub layers: [Cursor; 2],
    /// The slot and layer the tree is scoped to, if any.
    pub scope: Option<(usize, usize)>,
    /// Where a range of layers was started (`v`, shift+↑/↓): the slot and
    /// layer; the range runs from it to the scoped layer.
    pub anchor: Option<(usize, usize)>,
    /// The range the layer tree on screen shows, with its totals.
    pub range_shown: Option<ShownRange>,
    /// The whole tree (one image, or the comparison).
    pub main: Option<TreePane>,
    /// The tree of the selected layer (the last one built: while a newer
    /// selection is computing, it still shows the previous one).
    pub scoped: Option<TreePane>,
    /// The layer tree builds: one at a time (holding a key down does not
    /// queue a squash per repeat), only the latest selection shown.
    scope_job: Latest<ScopeRequest>,
    pub comparison: Option<Arc<Comparison>>,
    /// One image's plan, as far as the model keeps it: its entrypoint's
    /// closure (what a multi-stage build would remove is in the views).
    pub plan_closure: Option<crate::analysis::closure::Closure>,
    /// Screen 2: bucket → owner → file (comparison: what went; one image:
    /// what would go).
    pub eliminated: Option<TreePane>,
    /// Screen 3: findings and what ships (comparison); what the entrypoint
    /// needs (one image).
    pub audit: Option<TreePane>,
    /// The comparison at a glance (screen 0), once it is in.
    pub pair_overview: Option<super::overview::PairOverview>,
    /// One image's prediction at a glance (screen 0), once the plan is in.
    pub plan_overview: Option<super::overview::PlanOverview>,
    pub size: (u16, u16),
    /// False under NO_COLOR: marks and modifiers only.
    pub color: bool,
    pub now: Instant,
    pub quit: bool,
    pub effects: Vec<Effect>,
    /// What the model let go of and is large (a replaced layer tree with
    /// its squash, a stale layer result): the runner drops it on a worker,
    /// as freeing a million nodes on the UI thread would stall a frame.
    /// Whoever drives `update` without draining this frees it with the model.
    pub retired: Vec<Retired>,
    /// A one-line message for the hint bar (e.g. a comparison that is not
    /// available yet).
    pub notice: Option<String>,
    /// A one-line answer to the last key (why it did nothing), gone at the
    /// next key.
    pub flash: Option<String>,
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
            screen: Screen::Overview,
            focus: Pane::Tree,
            help: false,
            help_scroll: 0,
            filter: String::new(),
            editing_filter: false,
            status_filter: StatusFilter::All,
            hidden: Hidden::default(),
            hidden_applied: Hidden::default(),
            sort: Sort::Name,
            layer_mode: LayerMode::Aggregated,
            layers: [Cursor::default(); 2],
            scope: None,
            anchor: None,
            range_shown: None,
            main: None,
            scoped: None,
            scope_job: Latest::default(),
            comparison: None,
            plan_closure: None,
            eliminated: None,
            audit: None,
            pair_overview: None,
            plan_overview: None,
            size: (100, 30),
            color: true,
            now,
            quit: false,
            effects: Vec::new(),
            retired: Vec::new(),
            notice: None,
            flash: None,
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
        self.scope.is_some() && self.scope_job.pending()
    }

    /// The selected range of layers: slot, first and last layer (indexes).
    pub fn range(&self) -> Option<(usize, usize, usize)> {
        let (slot, layer) = self.scope?;
        let (aslot, anchor) = self.anchor?;
        (aslot == slot).then(|| (slot, anchor.min(layer), anchor.max(layer)))
    }

    /// `layer 3`, or `layers 3–5` for a range: what the tree is scoped to,
    /// numbered from 1.
    pub fn scope_label(&self) -> Option<String> {
        match (self.range(), self.scope) {
            (Some((_, a, b)), _) => Some(crate::format::layer_span(a as u64, b as u64)),
            (None, Some((_, l))) => Some(crate::format::layer_span(l as u64, l as u64)),
            _ => None,
        }
    }

    /// The range totals the details pane shows, when the tree on screen is
    /// for the selected range.
    pub fn range_totals(&self) -> Option<&crate::analysis::range::RangeTotals> {
        let (slot, first, last) = self.range()?;
        self.range_shown
            .as_ref()
            .filter(|r| (r.slot, r.first, r.last) == (slot, first, last))
            .map(|r| &r.totals)
    }

    /// The tree on screen.
    pub fn pane(&self) -> Option<&TreePane> {
        match self.screen {
            Screen::Tree if self.scope.is_some() && self.scoped.is_some() => self.scoped.as_ref(),
            Screen::Tree => self.main.as_ref(),
            Screen::Eliminated => self.eliminated.as_ref(),
            Screen::Audit => self.audit.as_ref(),
            Screen::Overview => None,
        }
    }

    pub(super) fn pane_mut(&mut self) -> Option<&mut TreePane> {
        match self.screen {
            Screen::Tree if self.scope.is_some() && self.scoped.is_some() => self.scoped.as_mut(),
            Screen::Tree => self.main.as_mut(),
            Screen::Eliminated => self.eliminated.as_mut(),
            Screen::Audit => self.audit.as_mut(),
            Screen::Overview => None,
        }
    }

    pub(super) fn panes_mut(&mut self) -> impl Iterator<Item = &mut TreePane> {
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
    pub(super) fn on_compared(&mut self, c: Compared) {
        let cmp = Arc::new(c.comparison);
        self.pair_overview = Some(c.views.overview);
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
        audit.summary = cmp.unused.as_ref().map(|u| {
            let needed = super::compare::needed_bytes(&cmp).unwrap_or(0);
            format!(
                "AFTER: {} needed · {} never used",
                crate::format::size(needed),
                crate::format::size(u.bytes)
            )
        });
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

    /// Shows a finished plan (one image): "Would go" on screen 2, "Needs"
    /// on screen 3.
    pub(super) fn on_planned(&mut self, p: Planned) {
        if self.compare() {
            return;
        }
        let Planned { closure, views } = p;
        let slot = 0;
        let Some(files) = self.slots[slot].loaded().map(|l| l.files()) else {
            return;
        };
        let mut would_go = TreePane::new(
            views.would_go,
            Origins::own(slot, Arc::clone(&files)),
            "Would go: what a multi-stage build would remove".into(),
        );
        would_go.groups = true;
        would_go.summary = Some(views.would_go_summary);
        let mut needs = TreePane::new(
            views.needs,
            Origins::own(slot, files),
            "Needs: what the entrypoint uses".into(),
        );
        needs.groups = true;
        needs.summary = Some(views.needs_summary);
        self.eliminated = Some(would_go);
        self.audit = Some(needs);
        self.plan_overview = Some(views.overview);
        self.plan_closure = Some(closure);
        self.refresh_filter();
    }

    /// The closure known for an engine tree's image, if any: the plan's
    /// for the single image's whole tree, the comparison's for AFTER.
    /// Node ids only mean something in the tree they were computed on, so
    /// a layer's tree has none.
    pub fn closure_for<'a>(
        &'a self,
        files: &'a TreeRef,
    ) -> Option<&'a crate::analysis::closure::Closure> {
        if let TreeRef::After(c) = files {
            return c.after_closure.as_ref();
        }
        let closure = self.plan_closure.as_ref()?;
        let tree = self.slots.first()?.loaded()?;
        std::ptr::eq(files.get(), &*tree.analysed.tree).then_some(closure)
    }

    pub fn areas(&self) -> Areas {
        layout(Rect::new(0, 0, self.size.0, self.size.1), &self.shape())
    }

    /// What the layout depends on.
    pub fn shape(&self) -> Shape {
        let mut layer_rows = [1u16; 2];
        for (i, s) in self.slots.iter().enumerate().take(2) {
            if let Some(l) = s.loaded() {
                layer_rows[i] = l.image.layers.len().min(u16::MAX as usize) as u16;
            }
        }
        Shape {
            slots: self.slots.len().min(2),
            compare: self.compare(),
            tree_screen: self.screen == Screen::Tree,
            focus: self.focus,
            layer_rows,
        }
    }

    pub(super) fn tree_height(&self) -> usize {
        self.areas()
            .tree
            .map_or(10, |r| r.height.saturating_sub(2) as usize)
    }

    pub(super) fn layers_height(&self, slot: usize) -> usize {
        self.areas().layers[slot].map_or(5, |r| r.height.saturating_sub(2) as usize)
    }

    /// The panes Tab cycles through, in order.
    pub(super) fn focus_ring(&self) -> Vec<Pane> {
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

    /// Whether the status filter means something for the tree on screen:
    /// always for a comparison; for one image only on a layer's own
    /// changes (its whole tree has no statuses).
    pub fn status_applies(&self) -> bool {
        self.compare()
            || (self.scope.is_some()
                && (self.layer_mode == LayerMode::Only || self.range().is_some()))
    }

    /// The status filter's name: a comparison's words, or a layer's
    /// (`deleted` rather than `eliminated`, `modified` not `changed`).
    pub fn status_name(&self) -> &'static str {
        match self.status_filter.mark() {
            Some(m) if !self.compare() || self.layer_words() => m.layer_name(),
            _ => self.status_filter.name(),
        }
    }

    /// Whether the tree on screen is one image's layer changes, whose
    /// statuses read as what the layer did (`deleted`, `unchanged`).
    pub fn layer_words(&self) -> bool {
        self.screen == Screen::Tree
            && self.scope.is_some()
            && (!self.compare() || self.range().is_some())
    }

    /// The status filter the trees apply: none where it means nothing.
    pub(super) fn effective_status(&self) -> StatusFilter {
        if self.status_applies() {
            self.status_filter
        } else {
            StatusFilter::All
        }
    }

    /// The change types the trees hide: none where there are none.
    pub(super) fn effective_hidden(&self) -> Hidden {
        if self.status_applies() {
            self.hidden
        } else {
            Hidden::default()
        }
    }

    pub(super) fn refresh_filter(&mut self) {
        let (text, status, hidden, sort, h) = (
            self.filter.clone(),
            self.effective_status(),
            self.effective_hidden(),
            self.sort,
            self.tree_height(),
        );
        for pane in self.panes_mut() {
            pane.set_filter(&text, status, hidden, sort, h);
        }
        self.hidden_applied = hidden;
    }

    /// Which pane's meaning a key takes (see [`super::keys::Command::pane`]).
    pub fn key_pane(&self) -> super::keys::KeyPane {
        match self.focus {
            Pane::Layers(_) if self.screen == Screen::Tree => super::keys::KeyPane::Layers,
            _ => super::keys::KeyPane::Tree,
        }
    }

    /// Asks for the tree of the selected layer. The squash runs in the
    /// background; its result comes back as [`Action::Scoped`].
    pub(super) fn rescope(&mut self) {
        // Leaving one image's layer changes: the status filter has nothing
        // left to filter, so it goes (the whole tree shows whole).
        if !self.status_applies() && self.status_filter != StatusFilter::All {
            self.status_filter = StatusFilter::All;
            self.refresh_filter();
        } else if self.effective_hidden() != self.hidden_applied {
            // The toggles apply or stop applying with the statuses.
            self.refresh_filter();
        }
        let Some((slot, layer)) = self.scope else {
            self.anchor = None;
            self.scope_job.clear();
            self.retire_scoped();
            return;
        };
        // A range stays within one image.
        if self.anchor.is_some_and(|a| a.0 != slot) {
            self.anchor = None;
        }
        let n = self
            .slots
            .get(slot)
            .and_then(|s| s.loaded())
            .map_or(0, |l| l.image.layers.len());
        if n == 0 {
            self.scope_job.clear();
            self.scope = None;
            self.anchor = None;
            self.retire_scoped();
            return;
        }
        let mode = self.layer_mode;
        let (first, layer) = match self.range() {
            Some((_, a, b)) => (Some(a.min(n - 1)), b.min(n - 1)),
            None => (None, layer.min(n - 1)),
        };
        let start = self.scope_job.request(|generation| ScopeRequest {
            generation,
            slot,
            layer,
            mode,
            first,
        });
        if let Some(request) = start {
            self.effects.push(Effect::Scope(request));
        }
    }

    /// Lets the layer tree go (to [`Model::retired`]).
    fn retire_scoped(&mut self) {
        if let Some(old) = self.scoped.take() {
            self.retired.push(Retired::new(old));
        }
    }

    /// Shows a finished layer tree if it is for the latest selection;
    /// starts the build of the latest selection if one is waiting.
    pub(super) fn on_scoped(&mut self, s: Scoped) {
        let (latest, next) = self.scope_job.finish(s.request.generation);
        let ScopeRequest {
            slot,
            layer,
            mode,
            first,
            ..
        } = s.request;
        if latest && self.scope.is_some() {
            let what = match (mode, first) {
                (_, Some(_)) => "changes of",
                (LayerMode::Aggregated, None) => "up to",
                (LayerMode::Only, None) => "changes of",
            };
            let side = if self.compare() {
                ["BEFORE", "AFTER"][slot.min(1)]
            } else {
                "image"
            };
            let span = crate::format::layer_span(first.unwrap_or(layer) as u64, layer as u64);
            let title = format!("{side} · {what} {span}");
            self.range_shown = match (first, s.totals) {
                (Some(first), Some(totals)) => Some(ShownRange {
                    slot,
                    first,
                    last: layer,
                    totals,
                }),
                _ => None,
            };
            let mut pane = TreePane::new(s.tree, Origins::own(slot, s.files), title);
            pane.set_filter(
                &self.filter.clone(),
                self.effective_status(),
                self.effective_hidden(),
                self.sort,
                self.tree_height(),
            );
            if self.filter.is_empty()
                && self.effective_status() == StatusFilter::All
                && (mode == LayerMode::Only || first.is_some())
            {
                // A layer's (or a range's) changes are mostly few: show
                // them all, or as much as a screenful or so when they are
                // many (a flatten of 200k rows costs the UI thread a frame).
                pane.open_within(OPEN_ROWS, self.sort, self.tree_height());
            }
            if let Some(old) = self.scoped.replace(pane) {
                self.retired.push(Retired::new(old));
            }
        } else {
            self.retired.push(Retired::new(s));
        }
        if let Some(next) = next {
            self.effects.push(Effect::Scope(next));
        }
    }

    /// Builds the main tree once images are in.
    pub(super) fn on_loaded(&mut self) {
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
                    Arc::clone(&l.tree),
                    Origins::own(0, l.files()),
                    "BEFORE".into(),
                ));
            }
        } else if let Some(l) = self.slots[0].loaded().cloned() {
            self.main = Some(TreePane::new(
                Arc::clone(&l.tree),
                Origins::own(0, l.files()),
                "filesystem".into(),
            ));
            // What the entrypoint needs and what would go, for views 2 and 3.
            self.effects.push(Effect::Plan);
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
}

/// Rows a layer's changes open to at most when they arrive.
const OPEN_ROWS: usize = 2_000;

/// The range of layers a layer tree shows, and what the range does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShownRange {
    pub slot: usize,
    pub first: usize,
    pub last: usize,
    pub totals: crate::analysis::range::RangeTotals,
}

/// Something large the model no longer needs, to be dropped off the UI
/// thread (see [`Model::retired`]).
pub struct Retired {
    _held: Box<dyn Send>,
}

impl Retired {
    pub fn new(value: impl Send + 'static) -> Retired {
        Retired {
            _held: Box::new(value),
        }
    }
}

impl std::fmt::Debug for Retired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Retired(..)")
    }
}

/// How much smaller AFTER is than BEFORE, for the header's bar.
#[derive(Clone, Debug, PartialEq)]
pub struct Reduction {
    /// AFTER's share of BEFORE, 0 to 1 (1 when BEFORE is empty).
    pub kept: f64,
    /// ` −98.6% · 838 MB smaller` (the reduction; "eliminated" is the bytes
    /// of the files that went, a different sum), or how much AFTER grew.
    pub text: String,
}

impl Reduction {
    pub fn of(before: u64, after: u64) -> Reduction {
        let (b, a) = (before, after);
        if b == 0 {
            return Reduction {
                kept: 1.0,
                text: "BEFORE is empty".into(),
            };
        }
        let text = if a <= b {
            let p = (b - a) as f64 * 100.0 / b as f64;
            format!(" −{p:.1}% · {} smaller", crate::format::size(b - a))
        } else {
            let p = (a - b) as f64 * 100.0 / b as f64;
            format!(" +{p:.1}% · AFTER is {} larger", crate::format::size(a - b))
        };
        Reduction {
            kept: a.min(b) as f64 / b as f64,
            text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Reduction;

    #[test]
    fn reduction_reads_both_ways() {
        let r = Reduction::of(1_000_000, 250_000);
        assert_eq!(r.kept, 0.25);
        assert_eq!(r.text, " −75.0% · 750 kB smaller");
        let r = Reduction::of(1_000_000, 1_500_000);
        assert_eq!(r.kept, 1.0);
        assert_eq!(r.text, " +50.0% · AFTER is 500 kB larger");
        assert_eq!(Reduction::of(0, 10).text, "BEFORE is empty");
    }
}
