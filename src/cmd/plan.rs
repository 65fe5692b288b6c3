//! `stagediff plan IMAGE`: the entrypoint's runtime closure, the runtime
//! image it predicts, what a multi-stage build would remove, and a
//! Dockerfile to get there. Gates on `--max-removable` (exit 1).

use super::{one_line, written, Common, Config, OutputFormat};
use crate::report::plan::{write_json, write_markdown, write_text};
use std::sync::Arc;

/// Everything `plan` was asked, checked.
#[derive(Clone, Debug)]
pub struct PlanOptions {
    pub image: String,
    pub format: OutputFormat,
    /// Exit 1 when more than this could still go.
    pub max_removable: Option<u64>,
}

/// Runs `plan`; returns the exit code (0 clean, 1 gate failed).
pub fn run(opts: &PlanOptions, common: &Common) -> anyhow::Result<i32> {
    let rules = Config::read(common)?.rules(None)?;
    let analysed = crate::pipeline::load(
        &opts.image,
        &common.load,
        &crate::source::LoadProgress::default(),
    )
    .map_err(one_line)?;
    let plan = crate::analysis::plan::plan(&analysed.image, Arc::clone(&analysed.tree), &rules);
    let failure = opts.max_removable.and_then(|max| {
        let removable = plan.removable_bytes();
        (removable > max).then(|| {
            format!(
                "gate failed: max-removable: {} could still go, more than {}",
                crate::format::size(removable),
                crate::format::size(max)
            )
        })
    });
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let w = match opts.format {
        OutputFormat::Text => write_text(&mut out, &analysed, &plan),
        OutputFormat::Json => write_json(&mut out, &analysed, &plan, failure.as_deref()),
        OutputFormat::Markdown => write_markdown(&mut out, &analysed, &plan),
    };
    written(w)?;
    match failure {
        Some(f) => {
            eprintln!("{}", crate::error::stderr_line(&f));
            Ok(1)
        }
        None => Ok(0),
    }
}
