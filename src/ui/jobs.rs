//! Background work of the TUI and what it brings back: a loaded image,
//! a layer's tree, a finished comparison. [`Latest`] is the one place
//! "only the latest request counts" lives.

use super::compare::CompareViews;
use super::tree::UiTree;
use crate::analysis::Comparison;
use crate::image::Image;
use crate::pipeline::Analysed;
use crate::tree::{squash_upto, FileTree};
use std::sync::Arc;

/// One kind of background job where only the latest request counts (the
/// idea of gitui's `AsyncSingleJob`): at most one runs at a time, requests
/// made meanwhile collapse into the latest, which starts when the running
/// one finishes, and results for older requests are recognised by their
/// generation and dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Latest<R> {
    /// Numbers the requests; bumped by each request and by [`Latest::clear`].
    generation: u64,
    /// The generation whose result was last taken.
    shown: u64,
    running: bool,
    waiting: Option<R>,
}

impl<R> Default for Latest<R> {
    fn default() -> Self {
        Latest {
            generation: 0,
            shown: 0,
            running: false,
            waiting: None,
        }
    }
}

impl<R> Latest<R> {
    /// A new request, built by `make` from its generation. Returns it when
    /// it should start now; `None` when a job is running (the request waits,
    /// replacing any older waiting one).
    pub fn request(&mut self, make: impl FnOnce(u64) -> R) -> Option<R> {
        self.generation += 1;
        let request = make(self.generation);
        if self.running {
            self.waiting = Some(request);
            None
        } else {
            self.running = true;
            self.waiting = None;
            Some(request)
        }
    }

    /// Forgets every request: a result still on its way is dropped.
    pub fn clear(&mut self) {
        self.generation += 1;
        self.waiting = None;
    }

    /// The running job finished with the result for `generation`. Returns
    /// whether that result is for the latest request (to be taken), and
    /// the waiting request to start now, if any.
    pub fn finish(&mut self, generation: u64) -> (bool, Option<R>) {
        self.running = false;
        let latest = generation == self.generation;
        if latest {
            self.shown = generation;
        }
        let next = self.waiting.take();
        self.running = next.is_some();
        (latest, next)
    }

    /// Whether the latest request's result is not in yet.
    pub fn pending(&self) -> bool {
        self.shown != self.generation
    }
}

/// An image loaded in the background and analysed once by the
/// [`crate::pipeline`] (its squashed filesystem and waste), with the tree
/// the TUI shows for it.
#[derive(Debug)]
pub struct Loaded {
    pub analysed: Analysed,
    pub tree: Arc<UiTree>,
    /// What the first screen says about it alone.
    pub overview: super::overview::ImageOverview,
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
        let tree = Arc::new(UiTree::from_file_tree(&analysed.tree));
        let overview = super::overview::ImageOverview::of(&analysed);
        Loaded {
            analysed,
            tree,
            overview,
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

/// What the tree shows when a layer is selected (dive's ctrl+l / ctrl+a).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum LayerMode {
    /// Everything up to and including the layer.
    #[default]
    Aggregated,
    /// Only what the layer itself changed.
    Only,
}

/// Something for the runner to do outside `update`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    /// Both images are loaded: build the comparison in the background.
    Compare,
    /// Build the tree of a selected layer in the background.
    Scope(ScopeRequest),
    /// One image is loaded: compute its closure and plan in the background.
    Plan,
}

/// Which layer tree to build. `generation` numbers the selections: only
/// the result for the latest one is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopeRequest {
    pub generation: u64,
    pub slot: usize,
    /// The selected layer; with `first`, the last of a range.
    pub layer: usize,
    pub mode: LayerMode,
    /// A range of layers `first..=layer`: the tree shows what they do as
    /// a whole, whatever `mode` says.
    pub first: Option<usize>,
}

/// The tree of one layer (everything up to it, or only its own changes),
/// or of a range of layers (what they add, change and delete together).
#[derive(Debug)]
pub struct Scoped {
    pub request: ScopeRequest,
    pub files: Arc<FileTree>,
    pub tree: UiTree,
    /// A range's totals.
    pub totals: Option<crate::analysis::range::RangeTotals>,
}

impl Scoped {
    /// Squashes up to the layer and arranges it (run off the UI thread:
    /// this is a whole squash, ~100 ms on a large image).
    pub fn new(image: &Image, request: ScopeRequest) -> Scoped {
        let layer = request.layer.min(image.layers.len().saturating_sub(1));
        if let Some(first) = request.first {
            let first = first.min(layer);
            let before = squash_upto(&image.layers, first).tree;
            return Scoped::range(before, &image.layers, request, first, layer);
        }
        Scoped::arrange(squash_upto(&image.layers, layer + 1), request, layer)
    }

    /// As [`Scoped::new`], reusing the squash state of the previous build
    /// of the same image.
    pub fn from_loaded(loaded: &Loaded, request: ScopeRequest) -> Scoped {
        let layer = request
            .layer
            .min(loaded.image.layers.len().saturating_sub(1));
        if let Some(first) = request.first {
            let first = first.min(layer);
            let before = loaded.squash_upto(first).tree;
            return Scoped::range(before, &loaded.image.layers, request, first, layer);
        }
        Scoped::arrange(loaded.squash_upto(layer + 1), request, layer)
    }

    /// What layers `first..=last` do together, from the filesystem before
    /// `first`.
    fn range(
        before: FileTree,
        layers: &[crate::image::Layer],
        request: ScopeRequest,
        first: usize,
        last: usize,
    ) -> Scoped {
        let (after, effect) = crate::analysis::range::apply_range(before, layers, first, last);
        let tree = UiTree::from_changes(&effect.changes, &after);
        Scoped {
            request: ScopeRequest {
                layer: last,
                first: Some(first),
                ..request
            },
            files: Arc::new(after),
            tree,
            totals: Some(effect.totals),
        }
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
            totals: None,
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

/// One image's plan, as the TUI keeps it: the entrypoint's closure and
/// the trees that show the plan. The plan's comparison (facts for every
/// path) is dropped once the trees are built, in the job.
#[derive(Debug)]
pub struct Planned {
    pub closure: crate::analysis::closure::Closure,
    pub views: super::plan::PlanViews,
}

impl Planned {
    /// Plans a loaded image over its squashed tree (run off the UI thread:
    /// the closure and a comparison with the predicted runtime).
    pub fn of(loaded: &Loaded, rules: &crate::analysis::Rules) -> Planned {
        let plan = crate::analysis::plan::plan(&loaded.image, loaded.files(), rules);
        let views = super::plan::build(&plan, &loaded.image, &loaded.analysed.tree);
        Planned {
            closure: plan.closure,
            views,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Latest;

    #[test]
    fn only_the_latest_request_counts() {
        let mut l = Latest::default();
        let first = l.request(|g| g).expect("nothing runs: start now");
        assert!(l.pending());
        // Two more while it runs: they wait, the second replaces the first.
        assert_eq!(l.request(|g| g), None);
        assert_eq!(l.request(|g| g), None);
        let (latest, next) = l.finish(first);
        assert!(!latest, "an older result is dropped");
        let next = next.expect("the waiting request starts");
        assert_eq!(next, 3);
        assert!(l.pending());
        assert_eq!(l.finish(next), (true, None));
        assert!(!l.pending());
        // A clear drops what is on its way.
        let r = l.request(|g| g).unwrap();
        l.clear();
        assert_eq!(l.finish(r), (false, None));
        assert!(l.pending(), "nothing taken since the clear");
    }
}
