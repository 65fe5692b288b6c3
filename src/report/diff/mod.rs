//! `stagediff diff BEFORE AFTER`: load both images in parallel, compare,
//! print text (default), JSON (`stagediff.diff/v1`, docs/diff-schema.md) or
//! Markdown, and gate on `--fail-on` / `--max-size` (exit 1).

pub mod json;
pub mod markdown;
pub mod text;

use crate::analysis::{compare, parse_size, Comparison, FindingKind, Rules};
use crate::cli::{DiffArgs, LoadArgs};
use crate::format;
use crate::source::{load, LoadProgress};
use std::io::Write;

/// What `--fail-on` and `--max-size` ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: Vec<FindingKind>,
    pub max_size: Option<u64>,
}

/// One reason the gate failed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GateFailure {
    /// A finding kind, or `max-size`.
    pub check: String,
    /// Escaped, one line.
    pub reason: String,
}

impl Gate {
    pub fn parse(fail_on: &[String], max_size: Option<&str>) -> Result<Gate, String> {
        let mut kinds = Vec::new();
        for k in fail_on.iter().flat_map(|s| s.split(',')) {
            let k = k.trim();
            if k.is_empty() {
                continue;
            }
            if k == "all" {
                kinds.extend(FindingKind::ALL);
                continue;
            }
            let kind = FindingKind::parse(k).ok_or_else(|| {
                format!(
                    "--fail-on: unknown kind {:?} (expected {} or all)",
                    crate::escape::escape_str(k),
                    FindingKind::ALL.map(|k| k.as_str()).join(",")
                )
            })?;
            kinds.push(kind);
        }
        kinds.sort();
        kinds.dedup();
        let max_size = max_size
            .map(|s| parse_size(s).map_err(|e| format!("--max-size: {e}")))
            .transpose()?;
        Ok(Gate {
            fail_on: kinds,
            max_size,
        })
    }

    /// What failed, in the order checked: sizes, then findings by kind.
    pub fn check(&self, cmp: &Comparison) -> Vec<GateFailure> {
        let mut out = Vec::new();
        if let Some(max) = self.max_size {
            let size = cmp.after.image_size;
            if size > max {
                out.push(GateFailure {
                    check: "max-size".into(),
                    reason: format!(
                        "AFTER is {} ({size} bytes), over the limit of {} ({max} bytes)",
                        format::size(size),
                        format::size(max)
                    ),
                });
            }
        }
        for &kind in &self.fail_on {
            let hits: Vec<_> = cmp.findings.iter().filter(|f| f.kind == kind).collect();
            if hits.is_empty() {
                continue;
            }
            let mut shown: Vec<String> = hits
                .iter()
                .take(5)
                .map(|f| {
                    if f.kind == FindingKind::Toolchain {
                        f.detail.clone()
                    } else {
                        f.path.clone()
                    }
                })
                .collect();
            if hits.len() > 5 {
                shown.push(format!("+{} more", hits.len() - 5));
            }
            out.push(GateFailure {
                check: kind.as_str().into(),
                reason: format!(
                    "AFTER ships {} {}: {}",
                    hits.len(),
                    if hits.len() == 1 {
                        "finding"
                    } else {
                        "findings"
                    },
                    shown.join(", ")
                ),
            });
        }
        out
    }
}

/// Loads both images at once (each load uses its own threads too).
pub fn load_pair(
    before: &str,
    after: &str,
    load_args: &LoadArgs,
) -> Result<(crate::image::Image, crate::image::Image), String> {
    let opts = load_args.options();
    let (b, a) = std::thread::scope(|s| {
        let h = s.spawn(|| load(after, &opts, &LoadProgress::default()));
        let b = load(before, &opts, &LoadProgress::default());
        let a = h.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        (b, a)
    });
    Ok((b.map_err(|e| e.to_string())?, a.map_err(|e| e.to_string())?))
}

/// Runs `diff`; returns the exit code (0 clean, 1 gate failed) or a one-line error.
pub fn run(args: &DiffArgs, load_args: &LoadArgs) -> Result<i32, String> {
    // Everything the user typed is checked before the (slow) loads.
    let gate = Gate::parse(&args.fail_on, args.max_size.as_deref())?;
    let config = crate::config::load(load_args.config.as_deref())?;
    let rules = Rules::load(&config, args.rules.as_deref())?;
    let (before, after) = load_pair(&args.before, &args.after, load_args)?;
    let cmp = compare(&before, &after, &rules);
    drop((before, after));
    let failures = gate.check(&cmp);

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let written = if args.json {
        let doc = json::DiffDoc::new(&cmp, &gate, &failures);
        serde_json::to_writer_pretty(&mut out, &doc)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else if args.markdown {
        markdown::write(&mut out, &cmp, &gate, &failures, args.top)
    } else {
        let style = text::Style::detect();
        text::write(&mut out, &cmp, &gate, &failures, args.top, style)
    };
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(format!("writing output: {e}")),
    }
    if failures.is_empty() {
        Ok(0)
    } else {
        for f in &failures {
            eprintln!(
                "{}",
                crate::error::stderr_line(&format!("gate failed: {}: {}", f.check, f.reason))
            );
        }
        Ok(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_parses_kinds_and_sizes() {
        let g = Gate::parse(&["toolchain,source".into(), "shell".into()], Some("20MB")).unwrap();
        assert_eq!(
            g.fail_on,
            vec![
                FindingKind::Toolchain,
                FindingKind::Source,
                FindingKind::Shell
            ]
        );
        assert_eq!(g.max_size, Some(20_000_000));
        assert_eq!(Gate::parse(&["all".into()], None).unwrap().fail_on.len(), 7);
        let e = Gate::parse(&["compilers".into()], None).unwrap_err();
        assert!(
            e.contains("unknown kind") && e.contains("package-manager"),
            "{e}"
        );
        assert!(Gate::parse(&[], Some("lots")).is_err());
    }
}
