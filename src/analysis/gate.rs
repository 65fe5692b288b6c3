//! The CI gates: what `diff --fail-on` / `--max-size` and `inspect
//! --max-wasted` / `--min-efficiency` ask for, and what failed. Parsed
//! before any image is loaded; checked against the finished analysis.

use super::{parse_size, Comparison, FindingKind, Waste};
use crate::format;

/// What `--fail-on` and `--max-size` ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Gate {
    pub fail_on: Vec<FindingKind>,
    pub max_size: Option<u64>,
    /// `--fail-on unused:SIZE`: most bytes AFTER may ship that its
    /// entrypoint never uses.
    pub max_unused: Option<u64>,
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
        let mut max_unused = None;
        for k in fail_on.iter().flat_map(|s| s.split(',')) {
            let k = k.trim();
            if k.is_empty() {
                continue;
            }
            if let Some(size) = k.strip_prefix("unused:") {
                max_unused = Some(parse_size(size).map_err(|e| format!("--fail-on unused: {e}"))?);
                continue;
            }
            if k == "unused" {
                return Err("--fail-on unused needs a size: unused:SIZE (e.g. unused:50MB)".into());
            }
            if k == "all" {
                kinds.extend(FindingKind::ALL);
                continue;
            }
            let kind = FindingKind::parse(k).ok_or_else(|| {
                format!(
                    "--fail-on: unknown kind {:?} (expected {}, all, or unused:SIZE)",
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
            max_unused,
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
        if let Some(max) = self.max_unused {
            match &cmp.unused {
                Some(u) if u.bytes > max => out.push(GateFailure {
                    check: "unused".into(),
                    reason: format!(
                        "AFTER ships {} its entrypoint never uses, over the limit of {}",
                        format::size(u.bytes),
                        format::size(max)
                    ),
                }),
                Some(_) => {}
                None => out.push(GateFailure {
                    check: "unused".into(),
                    reason: "AFTER names no entrypoint it has: what it needs is unknown".into(),
                }),
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

/// What `inspect --max-wasted` and `--min-efficiency` ask for.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WasteGate {
    pub max_wasted: Option<u64>,
    /// A percentage, 0 to 100.
    pub min_efficiency: Option<f64>,
}

impl WasteGate {
    pub fn parse(
        max_wasted: Option<&str>,
        min_efficiency: Option<f64>,
    ) -> Result<WasteGate, String> {
        let max_wasted = max_wasted
            .map(|s| parse_size(s).map_err(|e| format!("--max-wasted: {e}")))
            .transpose()?;
        if let Some(p) = min_efficiency {
            if !(0.0..=100.0).contains(&p) {
                return Err(format!(
                    "--min-efficiency: {p} is not a percentage (0 to 100)"
                ));
            }
        }
        Ok(WasteGate {
            max_wasted,
            min_efficiency,
        })
    }

    /// The findings, one line each.
    pub fn check(&self, waste: &Waste) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(max) = self.max_wasted {
            if waste.wasted > max {
                out.push(format!(
                    "wasted space {} is over --max-wasted {}",
                    format::size(waste.wasted),
                    format::size(max)
                ));
            }
        }
        if let Some(min) = self.min_efficiency {
            let pct = waste.efficiency() * 100.0;
            if pct < min {
                out.push(format!(
                    "efficiency {pct:.1} % is under --min-efficiency {min} %"
                ));
            }
        }
        out
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
        assert_eq!(
            Gate::parse(&["all".into()], None).unwrap().fail_on.len(),
            FindingKind::ALL.len()
        );
        let g = Gate::parse(&["cache,unused:50MB".into()], None).unwrap();
        assert_eq!(g.fail_on, vec![FindingKind::Cache]);
        assert_eq!(g.max_unused, Some(50_000_000));
        assert!(Gate::parse(&["unused".into()], None)
            .unwrap_err()
            .contains("unused:SIZE"));
        assert!(Gate::parse(&["unused:lots".into()], None).is_err());
        let e = Gate::parse(&["compilers".into()], None).unwrap_err();
        assert!(
            e.contains("unknown kind") && e.contains("package-manager"),
            "{e}"
        );
        assert!(Gate::parse(&[], Some("lots")).is_err());
    }

    #[test]
    fn waste_gate_checks_percentages_before_loading() {
        assert!(WasteGate::parse(None, Some(101.0)).is_err());
        assert!(WasteGate::parse(Some("lots"), None).is_err());
        let g = WasteGate::parse(Some("1kB"), Some(50.0)).unwrap();
        assert_eq!(g.max_wasted, Some(1000));
    }
}
