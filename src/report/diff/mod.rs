//! The `diff` report over a finished [`Comparison`]: text (default), JSON
//! (`stagediff.diff/v1`, docs/diff-schema.md) or Markdown, with the gate's
//! verdict. Pure writers: loading and gating live in `cmd::diff`.

pub mod json;
pub mod markdown;
pub mod text;

pub use crate::analysis::gate::{Gate, GateFailure};
use crate::analysis::Comparison;
use crate::report::OutputFormat;
use std::io::{self, Write};

/// Writes the report in `format` (`top` rows per section in text and
/// Markdown; text is coloured per `style`).
/// How much a report shows, and how.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    /// Rows per section in text and Markdown.
    pub top: usize,
    pub style: text::Style,
    /// Every path in the JSON (`--paths`).
    pub paths: bool,
}

pub fn write(
    out: &mut impl Write,
    format: OutputFormat,
    cmp: &Comparison,
    gate: &Gate,
    failures: &[GateFailure],
    shape: Shape,
) -> io::Result<()> {
    let Shape { top, style, paths } = shape;
    match format {
        OutputFormat::Json => {
            let mut doc = json::DiffDoc::new(cmp, gate, failures);
            doc.paths = paths.then_some(json::PathsDoc { cmp });
            serde_json::to_writer_pretty(&mut *out, &doc).map_err(io::Error::other)?;
            writeln!(out)
        }
        OutputFormat::Markdown => markdown::write(out, cmp, gate, failures, top),
        OutputFormat::Text => text::write(out, cmp, gate, failures, top, style),
    }
}
