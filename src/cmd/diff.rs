//! `stagediff diff BEFORE AFTER`: load both images in parallel, compare,
//! write the report, and gate on `--fail-on` / `--max-size` (exit 1).

use super::{one_line, written, Common, Config, OutputFormat};
use crate::analysis::gate::Gate;
use crate::pipeline;
use crate::report::diff::{text::Style, write, Shape};
use std::path::PathBuf;

/// Everything `diff` was asked, checked.
#[derive(Clone, Debug)]
pub struct DiffOptions {
    pub before: String,
    pub after: String,
    pub format: OutputFormat,
    pub gate: Gate,
    /// `--rules FILE`, on top of the built-in and config rules.
    pub rules: Option<PathBuf>,
    /// Rows per section in text and Markdown.
    pub top: usize,
    /// `--paths`: every path in the JSON.
    pub paths: bool,
}

impl DiffOptions {
    /// `stagediff demo --json|--markdown`: the bundled pair, no gate.
    pub fn demo(format: OutputFormat) -> anyhow::Result<DiffOptions> {
        let (before, after) = super::find_demo_pair()?;
        Ok(DiffOptions::plain(before, after, format))
    }

    /// The report of two images with every option at its default: no gate,
    /// no extra rules, 10 rows a section, no per-path list.
    pub fn plain(before: String, after: String, format: OutputFormat) -> DiffOptions {
        DiffOptions {
            before,
            after,
            format,
            gate: Gate::default(),
            rules: None,
            top: 10,
            paths: false,
        }
    }
}

/// Runs `diff`; returns the exit code (0 clean, 1 gate failed).
pub fn run(opts: &DiffOptions, common: &Common) -> anyhow::Result<i32> {
    // Everything the user typed is checked before the (slow) loads.
    let config = Config::read(common)?;
    let rules = config.rules(opts.rules.as_deref())?;
    let (before, after) =
        pipeline::load_pair(&opts.before, &opts.after, &common.load).map_err(one_line)?;
    let cmp = pipeline::compare(&before, &after, &rules);
    drop((before, after));
    let failures = opts.gate.check(&cmp);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let style = Style::detect();
    written(write(
        &mut out,
        opts.format,
        &cmp,
        &opts.gate,
        &failures,
        Shape {
            top: opts.top,
            style,
            paths: opts.paths,
        },
    ))?;
    if failures.is_empty() {
        Ok(0)
    } else {
        for f in &failures {
            let line = format!("gate failed: {}: {}", f.check, f.reason);
            eprintln!("{}", crate::error::stderr_line(&line));
        }
        Ok(1)
    }
}
