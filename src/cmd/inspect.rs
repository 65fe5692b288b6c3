//! `stagediff inspect IMAGE`: load, squash once, measure waste, write the
//! summary (text) or the full model (JSON), gate on waste (exit 1).

use super::{one_line, written, Common, Config};
use crate::analysis::gate::WasteGate;
use crate::report::inspect::{write_json, write_text};
use crate::source::LoadProgress;

/// Everything `inspect` was asked, checked.
#[derive(Clone, Debug)]
pub struct InspectOptions {
    pub image: String,
    pub json: bool,
    /// Entries per layer in the JSON (`None`: all).
    pub max_entries: Option<usize>,
    pub gate: WasteGate,
}

/// Runs `inspect`; returns the exit code (0 clean, 1 gate failed).
pub fn run(opts: &InspectOptions, common: &Common) -> anyhow::Result<i32> {
    // inspect uses no rules, but a broken config is the same error under
    // every command, not one that only some of them notice.
    Config::read(common)?.rules(None)?;
    let start = std::time::Instant::now();
    let image = crate::source::load(&opts.image, &common.load, &LoadProgress::default())
        .map_err(one_line)?;
    let elapsed = start.elapsed();
    let analysed = crate::pipeline::analyse(image);
    let failures = opts.gate.check(&analysed.waste);
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let w = if opts.json {
        write_json(&mut out, &analysed, &failures, opts.max_entries)
    } else {
        write_text(&mut out, &analysed, &failures, terminal_width(), elapsed)
    };
    // A closed pipe ends quietly, whatever the gate says.
    let complete = written(w)?;
    // The process ends next and the kernel takes the memory back at once;
    // freeing a million-file image piece by piece first costs ~0.1 s.
    std::mem::forget(analysed);
    Ok(if complete && !failures.is_empty() {
        1
    } else {
        0
    })
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| crossterm::terminal::size().ok().map(|(w, _)| w as usize))
        .unwrap_or(100)
        .max(40)
}
