//! The work, done once: load an image, squash it once, measure its waste,
//! and keep all of it as one [`Analysed`] value that `inspect`, `diff` and
//! the TUI share. [`compare`] takes two analysed images and never squashes
//! again.

use crate::analysis::{Comparison, Rules, Waste};
use crate::image::Image;
use crate::source::{LoadOptions, LoadProgress};
use crate::tree::FileTree;
use std::sync::Arc;

/// One loaded image, squashed, with its waste.
#[derive(Debug)]
pub struct Analysed {
    pub image: Image,
    /// The final filesystem.
    pub tree: Arc<FileTree>,
    /// Bytes the layers store that later layers hide (dive's efficiency).
    pub waste: Waste,
}

/// How many whole images this process has squashed so far (every squash
/// above the engine is counted). Tests hold it to "once per image per
/// command and per TUI session".
pub use crate::analysis::squash_count;

/// Squashes `image` (the only whole-image squash above the engine) and
/// measures its waste.
pub fn analyse(image: Image) -> Analysed {
    let squashed = crate::analysis::squash(&image);
    let waste = crate::analysis::waste(&image, &squashed.changes, &squashed.tree);
    Analysed {
        image,
        tree: Arc::new(squashed.tree),
        waste,
    }
}

/// Loads one image and analyses it.
pub fn load(
    reference: &str,
    options: &LoadOptions,
    progress: &LoadProgress,
) -> crate::Result<Analysed> {
    crate::source::load(reference, options, progress).map(analyse)
}

/// Loads and analyses both images at once (each load uses its own threads
/// too). BEFORE's error wins when both fail.
pub fn load_pair(
    before: &str,
    after: &str,
    options: &LoadOptions,
) -> crate::Result<(Analysed, Analysed)> {
    let (b, a) = std::thread::scope(|s| {
        let h = s.spawn(|| load(after, options, &LoadProgress::default()));
        let b = load(before, options, &LoadProgress::default());
        let a = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (b, a)
    });
    Ok((b?, a?))
}

/// Compares two analysed images (their squashed trees are shared with the
/// comparison, not rebuilt).
/// AFTER's entrypoint closure comes with it: what AFTER ships for nothing.
pub fn compare(before: &Analysed, after: &Analysed, rules: &Rules) -> Comparison {
    let needed = crate::analysis::closure::closure(&after.image, &after.tree);
    crate::analysis::compare_needed(
        (&before.image, Arc::clone(&before.tree)),
        (&after.image, Arc::clone(&after.tree)),
        rules,
        Some(needed),
    )
}
