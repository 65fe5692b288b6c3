//! The Elm Architecture: one [`Model`], the [`Action`]s that change it,
//! [`update`], and the [`Job`]s that run effects in the background.
//! Nothing here draws; `view` reads the model, and the runner turns
//! terminal events and background results into actions.

pub use super::jobs::{Compared, Effect, Latest, LayerMode, Loaded, Planned, ScopeRequest, Scoped};
pub use super::model::{Model, Screen, Slot, SlotState};
pub use super::pane::{Cursor, Origins, TreePane, TreeRef};
use crate::source::LoadProgress;
use crossterm::event::{KeyEvent, MouseEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    /// The single image's plan is in.
    Planned(Box<Planned>),
    /// A layer tree finished building; dropped unless it is for the latest
    /// selection.
    Scoped(Box<Scoped>),
    /// SIGTERM, SIGINT, or anything else that ends the session.
    Quit,
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
        Effect::Plan => {
            let loaded = model.slots.first().and_then(|s| s.loaded()).cloned()?;
            let rules = Arc::clone(rules);
            Some(Box::new(move || {
                Action::Planned(Box::new(Planned::of(&loaded, &rules)))
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

/// Applies one action.
pub fn update(model: &mut Model, action: Action) {
    match action {
        Action::Key(key) => {
            if !key.is_press() {
                return;
            }
            if model.editing_filter {
                model.filter_key(&key);
            } else if let Some(c) = model.keys.command_in(&key, model.key_pane()) {
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
        Action::Planned(p) => model.on_planned(*p),
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
