//! The human report of `diff`.

use super::{Gate, GateFailure};
use crate::analysis::{Bucket, Comparison, FindingKind, Status};
use crate::format::{self, count, percent};
use std::io::{self, Write};

/// Colours, on a terminal only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

impl Style {
    /// Colour when stdout is a terminal and `NO_COLOR` is unset or empty.
    pub fn detect() -> Style {
        Style {
            color: format::color_stdout(),
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    fn green(&self, s: &str) -> String {
        self.paint("32", s)
    }
    fn red(&self, s: &str) -> String {
        self.paint("31;1", s)
    }
    fn yellow(&self, s: &str) -> String {
        self.paint("33", s)
    }
    fn bucket(&self, b: Bucket) -> String {
        let code = match b {
            Bucket::Toolchain => "35",
            Bucket::OsPackage => "34",
            Bucket::LanguageDeps => "36",
            Bucket::Source => "33",
            Bucket::BuildCache => "32",
            Bucket::Docs => "37",
            Bucket::Other => "2",
        };
        self.paint(code, &format!("{:<14}", b.as_str()))
    }
}

/// Writes the report.
pub fn write(
    out: &mut impl Write,
    cmp: &Comparison,
    gate: &Gate,
    failures: &[GateFailure],
    top: usize,
    st: Style,
) -> io::Result<()> {
    let (b, a) = (&cmp.before, &cmp.after);
    let t = &cmp.totals;
    for (label, s) in [("BEFORE", b), ("AFTER ", a)] {
        writeln!(
            out,
            "{} {}  {}  {}, {}, {}",
            st.bold(label),
            s.reference,
            st.bold(&format::size(s.image_size)),
            format::plural(s.layers as u64, "layer", "layers"),
            format::plural(u64::from(s.tree.file_count()), "file", "files"),
            format::plural(s.packages.len() as u64, "package", "packages"),
        )?;
    }
    for (label, s) in [("BEFORE", b), ("AFTER", a)] {
        for w in &s.warnings {
            writeln!(out, "{} {label}: {w}", st.red("warning:"))?;
        }
    }
    let red = cmp.reduction();
    if red >= 0 {
        writeln!(
            out,
            "{} {} ({} smaller)",
            st.bold("Reduction"),
            st.green(&format::size(red as u64)),
            percent(red as u64, b.image_size)
        )?;
    } else {
        writeln!(
            out,
            "{} AFTER is {} larger",
            st.bold("Growth"),
            st.red(&format::size(red.unsigned_abs() as u64))
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "{} {} in {}",
        st.bold("Eliminated"),
        st.bold(&format::size(t.eliminated_bytes)),
        format::plural(u64::from(t.eliminated_files), "file", "files")
    )?;
    for bt in &cmp.eliminated {
        if bt.bytes == 0 && bt.files == 0 {
            continue;
        }
        writeln!(
            out,
            "  {} {:>10}  {:>6}  {:>13}",
            st.bucket(bt.bucket),
            format::size(bt.bytes),
            percent(bt.bytes, t.eliminated_bytes),
            format::plural(u64::from(bt.files), "file", "files"),
        )?;
        for o in bt.owners.iter().take(top.clamp(1, 5)) {
            writeln!(
                out,
                "      {:>10}  {:>13}  {}",
                format::size(o.bytes),
                st.dim(&format::plural(u64::from(o.files), "file", "files")),
                cmp.owner_label_noted(o.owner)
            )?;
        }
        if bt.owners.len() > top.clamp(1, 5) {
            writeln!(
                out,
                "      {}",
                st.dim(&format!("… {} more", bt.owners.len() - top.clamp(1, 5)))
            )?;
        }
        let (for_tools, n) = bt
            .owners
            .iter()
            .filter(|o| !cmp.needed_by(o.owner).is_empty())
            .fold((0u64, 0u64), |(b, n), o| (b + o.bytes, n + 1));
        if n > 0 {
            writeln!(
                out,
                "      {}",
                st.dim(&format!(
                    "{} of it in {} installed only for the toolchain",
                    format::size(for_tools),
                    format::plural(n, "package", "packages")
                ))
            )?;
        }
    }
    let elim_pk = cmp.eliminated_packages();
    if !b.packages.is_empty() {
        writeln!(
            out,
            "  {} of BEFORE's {} are gone from AFTER",
            format::plural(elim_pk.len() as u64, "package", "packages"),
            count(b.packages.len() as u64)
        )?;
    }

    writeln!(out)?;
    writeln!(
        out,
        "{} carried {} ({}), moved {} ({}), changed {} → {} ({}), added {} ({})",
        st.bold("AFTER:"),
        format::size(t.carried_bytes),
        format::plural(u64::from(t.carried_files), "file", "files"),
        format::size(t.moved_bytes),
        format::plural(u64::from(t.moved_files), "file", "files"),
        format::size(t.changed_bytes_before),
        format::size(t.changed_bytes),
        format::plural(u64::from(t.changed_files), "file", "files"),
        format::size(t.added_bytes),
        format::plural(u64::from(t.added_files), "file", "files"),
    )?;
    for m in cmp.moves.iter().take(top) {
        writeln!(
            out,
            "  moved    {:>10}  {} → {}",
            format::size(m.bytes),
            b.display_path(m.before),
            a.display_path(m.after)
        )?;
    }
    // Biggest carried, changed and added files of AFTER.
    let mut rows: Vec<(Status, u64, crate::tree::NodeId)> = a
        .tree
        .iter()
        .filter(|&id| !a.tree.node(id).is_dir())
        .filter_map(|id| {
            let s = a.facts(id).status;
            matches!(s, Status::Carried | Status::Changed | Status::Added)
                .then(|| (s, a.tree.node(id).size, id))
        })
        .collect();
    rows.sort_by(|x, y| y.1.cmp(&x.1).then(x.2.cmp(&y.2)));
    for (s, bytes, id) in rows.iter().take(top) {
        writeln!(
            out,
            "  {:<8} {:>10}  {}",
            s.as_str(),
            format::size(*bytes),
            a.display_path(*id)
        )?;
    }
    if rows.len() > top {
        writeln!(
            out,
            "  {}",
            st.dim(&format!("… {} more files", rows.len() - top))
        )?;
    }

    if let Some(u) = &cmp.unused {
        writeln!(out)?;
        writeln!(
            out,
            "{} {} in {} ({} of AFTER's bytes)",
            st.bold("AFTER still ships what its entrypoint never uses:"),
            st.yellow(&format::size(u.bytes)),
            format::plural(u64::from(u.files), "file", "files"),
            format::percent(u.bytes, a.tree.total_size())
        )?;
        let mut rows: Vec<_> = u.buckets.iter().filter(|b| b.bytes > 0).collect();
        rows.sort_by_key(|b| std::cmp::Reverse(b.bytes));
        for b in rows {
            let owners: Vec<String> = b
                .owners
                .iter()
                .filter(|o| o.owner.is_some())
                .take(3)
                .map(|o| cmp.owner_label(o.owner))
                .collect();
            writeln!(
                out,
                "  {:<15} {:>10}  {}",
                b.bucket.as_str(),
                format::size(b.bytes),
                st.dim(&owners.join(", "))
            )?;
        }
        if !u.packages.is_empty() {
            let names: Vec<String> = u
                .packages
                .iter()
                .take(8)
                .map(|(o, bytes)| format!("{} {}", cmp.owner(*o).name, format::size(*bytes)))
                .collect();
            writeln!(out, "  {:<15} {}", "packages", st.dim(&names.join(", ")))?;
        }
    }
    writeln!(out)?;
    if cmp.findings.is_empty() {
        writeln!(out, "{} {}", st.bold("Audit of AFTER:"), st.green("clean"))?;
    } else {
        writeln!(
            out,
            "{} {}",
            st.bold("Audit of AFTER:"),
            st.yellow(&format::plural(
                cmp.findings.len() as u64,
                "finding",
                "findings"
            ))
        )?;
        for kind in FindingKind::ALL {
            let hits: Vec<_> = cmp.findings.iter().filter(|f| f.kind == kind).collect();
            for f in hits.iter().take(top) {
                let gated = gate.fail_on.contains(&kind);
                let k = format!("{:<15}", kind.as_str());
                writeln!(
                    out,
                    "  {} {:>10}  {}{}",
                    if gated { st.red(&k) } else { st.yellow(&k) },
                    format::size(f.bytes),
                    f.path,
                    if f.detail.is_empty() {
                        String::new()
                    } else {
                        format!("  {}", st.dim(&f.detail))
                    }
                )?;
            }
            if hits.len() > top {
                writeln!(
                    out,
                    "  {}",
                    st.dim(&format!("… {} more {}", hits.len() - top, kind.as_str()))
                )?;
            }
        }
    }
    if !gate.fail_on.is_empty() || gate.max_size.is_some() || gate.max_unused.is_some() {
        if failures.is_empty() {
            writeln!(out, "{} {}", st.bold("Gate:"), st.green("passed"))?;
        } else {
            writeln!(out, "{} {}", st.bold("Gate:"), st.red("FAILED"))?;
            for f in failures {
                writeln!(out, "  {} {}", st.red(&f.check), f.reason)?;
            }
        }
    }
    Ok(())
}
