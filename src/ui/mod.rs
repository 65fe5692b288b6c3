//! The TUI: `stagediff BEFORE AFTER` compares, `stagediff IMAGE` explores
//! one image's layers; both open on an overview (screen 0) that answers
//! first, the trees one key away. The Elm Architecture: [`app::Model`],
//! [`app::Action`], [`app::update`] and a pure [`view::view`]; this module
//! only runs the loop (terminal events, background loads, signals) and
//! keeps the terminal sane on every way out.

pub mod app;
pub mod compare;
mod input;
pub mod jobs;
pub mod keys;
pub mod layout;
pub mod model;
pub mod overview;
pub mod pane;
pub mod plan;
pub mod tree;
pub mod view;

pub use app::{update, Action, Loaded, Model};
pub use view::view;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use futures_util::{FutureExt, StreamExt};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Puts the terminal back: raw mode off, main screen, mouse released.
/// Idempotent, so `Drop`, the panic hook and the error paths may all call it.
pub fn restore_terminal() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = crossterm::execute!(std::io::stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}

/// Restores the terminal when dropped (normal exit, `?` errors, unwinding).
struct TerminalGuard;

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn init_terminal() -> Result<(ratatui::DefaultTerminal, TerminalGuard), String> {
    // ratatui::init installs a panic hook that restores; ours runs first to
    // release the mouse too.
    let terminal = ratatui::try_init().map_err(|e| format!("cannot open the terminal: {e}"))?;
    ACTIVE.store(true, Ordering::SeqCst);
    let guard = TerminalGuard;
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore_terminal();
        previous(info);
    }));
    crossterm::execute!(std::io::stdout(), EnableMouseCapture)
        .map_err(|e| format!("cannot enable the mouse: {e}"))?;
    Ok((terminal, guard))
}

/// Opens the TUI on one or two images; returns the exit code, or the
/// load failures (joined) once the terminal is restored.
pub fn run(
    images: Vec<String>,
    options: crate::source::LoadOptions,
    keys: keys::KeyMap,
    rules: crate::analysis::Rules,
) -> Result<i32, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(run_loop(images, options, keys, Arc::new(rules)));
    // Loads still running (quit mid-load) were cancelled; do not wait for
    // them to notice.
    runtime.shutdown_background();
    result
}

async fn run_loop(
    images: Vec<String>,
    options: crate::source::LoadOptions,
    keys: keys::KeyMap,
    rules: Arc<crate::analysis::Rules>,
) -> Result<i32, String> {
    let (mut terminal, guard) = init_terminal()?;
    let mut model = Model::new(images, keys, Instant::now());
    model.color = !crate::format::no_color();
    if let Ok(size) = terminal.size() {
        model.size = (size.width, size.height);
    }
    // The first frame goes out before any work starts.
    terminal
        .draw(|f| view(&model, f))
        .map_err(|e| format!("terminal: {e}"))?;

    let (tx, mut rx) = mpsc::unbounded_channel::<Action>();
    for (slot, s) in model.slots.iter().enumerate() {
        let job = app::load_job(slot, s.reference.clone(), Arc::clone(&s.progress), &options);
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(job());
        });
    }

    let panic_at = test_panic_at();
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| format!("cannot watch SIGTERM: {e}"))?;
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .map_err(|e| format!("cannot watch SIGHUP: {e}"))?;

    loop {
        let mut redraw = true;
        #[cfg(unix)]
        let signal = async {
            tokio::select! {
                _ = term.recv() => {},
                _ = hup.recv() => {},
            }
        };
        #[cfg(not(unix))]
        let signal = std::future::pending::<()>();
        let first = tokio::select! {
            ev = events.next() => match ev {
                Some(Ok(ev)) => event_action(ev),
                Some(Err(e)) => return Err(format!("terminal: {e}")),
                None => Some(Action::Quit),
            },
            Some(a) = rx.recv() => Some(a),
            _ = tick.tick() => {
                // Ticks only matter while gauges move.
                redraw = model.loading();
                Some(Action::Tick(Instant::now()))
            }
            _ = signal => Some(Action::Quit),
        };
        if let Some(a) = first {
            update(&mut model, a);
        }
        // Drain everything already queued, then draw once.
        while let Some(Some(Ok(ev))) = events.next().now_or_never() {
            if let Some(a) = event_action(ev) {
                update(&mut model, a);
                redraw = true;
            }
        }
        while let Ok(a) = rx.try_recv() {
            update(&mut model, a);
            redraw = true;
        }
        for effect in std::mem::take(&mut model.effects) {
            spawn_effect(&model, effect, &rules, &tx);
        }
        if !model.retired.is_empty() {
            let retired = std::mem::take(&mut model.retired);
            tokio::task::spawn_blocking(move || drop(retired));
        }
        if model.quit {
            break;
        }
        if panic_at.is_some_and(|t| Instant::now() >= t) {
            panic!("STAGEDIFF_TEST_PANIC: a deliberate panic to test terminal restore");
        }
        if redraw {
            terminal
                .draw(|f| view(&model, f))
                .map_err(|e| format!("terminal: {e}"))?;
        }
    }
    model.cancel_loads();
    drop(guard);
    let failed: Vec<String> = model
        .slots
        .iter()
        .filter_map(|s| match &s.state {
            app::SlotState::Failed(e) => Some(e.clone()),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        Ok(0)
    } else {
        Err(failed.join("; "))
    }
}

/// Debug builds only: `STAGEDIFF_TEST_PANIC=MS` panics inside the event
/// loop MS milliseconds after start, so `tests/tui_tmux.rs` can check that
/// the panic hook gives the terminal back. Release builds ignore it.
fn test_panic_at() -> Option<Instant> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let ms: u64 = std::env::var("STAGEDIFF_TEST_PANIC").ok()?.parse().ok()?;
    Some(Instant::now() + Duration::from_millis(ms))
}

fn event_action(ev: Event) -> Option<Action> {
    match ev {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

fn spawn_effect(
    model: &Model,
    effect: app::Effect,
    rules: &Arc<crate::analysis::Rules>,
    tx: &mpsc::UnboundedSender<Action>,
) {
    if let Some(job) = app::job(model, &effect, rules) {
        let tx = tx.clone();
        tokio::task::spawn_blocking(move || {
            let _ = tx.send(job());
        });
    }
}
