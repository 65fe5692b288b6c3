//! `diff --markdown`: tables for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use super::{Gate, GateFailure};
use crate::analysis::Comparison;
use crate::format::{self, count, percent};
use std::io::{self, Write};

/// Makes text from an image safe inside a table cell: no pipes, no
/// newlines, no HTML or Markdown markup, and escaped control bytes.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '#' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

pub fn write(
    out: &mut impl Write,
    cmp: &Comparison,
    gate: &Gate,
    failures: &[GateFailure],
    top: usize,
) -> io::Result<()> {
    let (b, a) = (&cmp.before, &cmp.after);
    let t = &cmp.totals;
    writeln!(
        out,
        "## stagediff: {} → {}\n",
        cell(&b.reference),
        cell(&a.reference)
    )?;
    writeln!(out, "| | Image | Size | Layers | Files | Packages |")?;
    writeln!(out, "|---|---|---:|---:|---:|---:|")?;
    for (label, s) in [("Before", b), ("After", a)] {
        writeln!(
            out,
            "| {label} | {} | {} | {} | {} | {} |",
            cell(&s.reference),
            format::size(s.image_size),
            s.layers,
            count(u64::from(s.tree.file_count())),
            count(s.packages.len() as u64)
        )?;
    }
    for (label, s) in [("Before", b), ("After", a)] {
        for w in &s.warnings {
            writeln!(out, "\n> **Warning ({label}):** {}", cell(w))?;
        }
    }
    let red = cmp.reduction();
    if red >= 0 {
        writeln!(
            out,
            "\n**Reduction: {} ({})** — eliminated {} in {} files.\n",
            format::size(red as u64),
            percent(red as u64, b.image_size),
            format::size(t.eliminated_bytes),
            count(u64::from(t.eliminated_files))
        )?;
    } else {
        writeln!(
            out,
            "\n**AFTER is {} larger.**\n",
            format::size(red.unsigned_abs() as u64)
        )?;
    }

    writeln!(out, "### Eliminated by bucket\n")?;
    writeln!(out, "| Bucket | Bytes | Share | Files | Top owners |")?;
    writeln!(out, "|---|---:|---:|---:|---|")?;
    for bt in &cmp.eliminated {
        if bt.bytes == 0 && bt.files == 0 {
            continue;
        }
        let owners: Vec<String> = bt
            .owners
            .iter()
            .take(3)
            .map(|o| {
                format!(
                    "{} ({})",
                    cell(&cmp.owner_label_noted(o.owner)),
                    format::size(o.bytes)
                )
            })
            .collect();
        writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            bt.bucket,
            format::size(bt.bytes),
            percent(bt.bytes, t.eliminated_bytes),
            count(u64::from(bt.files)),
            owners.join("<br>")
        )?;
    }
    writeln!(
        out,
        "| **total** | **{}** | 100.0% | **{}** | |",
        format::size(t.eliminated_bytes),
        count(u64::from(t.eliminated_files))
    )?;

    writeln!(out, "\n### What still ships\n")?;
    writeln!(out, "| Status | Bytes | Files |")?;
    writeln!(out, "|---|---:|---:|")?;
    writeln!(
        out,
        "| carried | {} | {} |",
        format::size(t.carried_bytes),
        count(u64::from(t.carried_files))
    )?;
    writeln!(
        out,
        "| moved | {} | {} |",
        format::size(t.moved_bytes),
        count(u64::from(t.moved_files))
    )?;
    writeln!(
        out,
        "| changed | {} | {} |",
        format::size(t.changed_bytes),
        count(u64::from(t.changed_files))
    )?;
    writeln!(
        out,
        "| added | {} | {} |",
        format::size(t.added_bytes),
        count(u64::from(t.added_files))
    )?;
    if !cmp.moves.is_empty() {
        writeln!(out, "\n| Moved from | To | Bytes |\n|---|---|---:|")?;
        for m in cmp.moves.iter().take(top) {
            writeln!(
                out,
                "| `{}` | `{}` | {} |",
                b.display_path(m.before)
                    .replace('`', "'")
                    .replace('|', "\\|"),
                a.display_path(m.after)
                    .replace('`', "'")
                    .replace('|', "\\|"),
                format::size(m.bytes)
            )?;
        }
    }

    if let Some(u) = &cmp.unused {
        writeln!(
            out,
            "\nAFTER still ships **{}** in {} files that its entrypoint never uses.",
            format::size(u.bytes),
            u.files
        )?;
    }
    writeln!(out, "\n### Audit of AFTER\n")?;
    if cmp.findings.is_empty() {
        writeln!(out, "Clean: no shells, package managers, toolchains, sources, setuid, world-writable files or secrets.")?;
    } else {
        writeln!(out, "| Kind | Path | Bytes | Detail |\n|---|---|---:|---|")?;
        for f in cmp.findings.iter().take(top.max(1) * 3) {
            writeln!(
                out,
                "| {} | {} | {} | {} |",
                f.kind.as_str(),
                cell(&f.path),
                format::size(f.bytes),
                cell(&f.detail)
            )?;
        }
        if cmp.findings.len() > top.max(1) * 3 {
            writeln!(
                out,
                "\n… and {} more findings.",
                cmp.findings.len() - top.max(1) * 3
            )?;
        }
    }
    if !gate.fail_on.is_empty() || gate.max_size.is_some() {
        if failures.is_empty() {
            writeln!(out, "\n**Gate: passed**")?;
        } else {
            writeln!(out, "\n**Gate: FAILED**\n")?;
            for f in failures {
                writeln!(out, "- **{}**: {}", f.check, cell(&f.reason))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(cell("<script>"), "&lt;script&gt;");
        assert_eq!(cell("x_y*z"), "x\\_y\\*z");
    }
}
