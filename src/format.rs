//! How numbers and image text read, in one copy for every report and the
//! TUI: sizes, counts, plurals, percentages, truncation, build-history
//! text, file modes, and whether to colour at all.

use crate::escape::escape_str;
use crate::image::EntryKind;
use std::fmt::Write;

/// Bytes for people, e.g. `854.2 MB` (decimal units, as docker prints).
pub fn size(bytes: u64) -> String {
    humansize::format_size(bytes, humansize::DECIMAL)
}

/// [`size`], or `—` for a size that does not apply.
pub fn opt_size(bytes: Option<u64>) -> String {
    bytes.map_or_else(|| "—".to_string(), size)
}

/// `12345` → `12,345`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 layer`, `2 layers`, `1,024 files`.
/// A layer as people number it: from 1, bottom first, in every screen and
/// text report (JSON keeps 0-based array positions).
pub fn layer_number(index: impl Into<u64>) -> u64 {
    index.into() + 1
}

/// `layer 3`, or `layers 3–5`: layers `first..=last` (0-based indexes)
/// as people number them.
pub fn layer_span(first: u64, last: u64) -> String {
    if first == last {
        format!("layer {}", layer_number(first))
    } else {
        format!("layers {}–{}", layer_number(first), layer_number(last))
    }
}

pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

/// Share of `part` in `whole` as a percentage with one decimal.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// At most `max` characters, the last one an ellipsis when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out: String = s.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// A layer's `created_by` as a Dockerfile line, escaped: the classic
/// builder's `/bin/sh -c #(nop) ` dropped before instructions, `RUN`
/// put before shell commands, and its `|N ARG=…` count dropped.
pub fn created_by(s: Option<&str>) -> String {
    let Some(s) = s else { return String::new() };
    let t = s.trim();
    // The classic builder writes `|2 A=1 B=2 /bin/sh -c …` for RUNs with
    // build args; the count says nothing to a reader.
    let t = match t.strip_prefix('|') {
        Some(r)
            if r.split_once(' ')
                .is_some_and(|(n, _)| n.parse::<u32>().is_ok()) =>
        {
            r.split_once(' ').map_or(r, |x| x.1).trim_start()
        }
        _ => t,
    };
    if let Some(r) = t.strip_prefix("/bin/sh -c #(nop) ") {
        escape_str(r.trim()).into_owned()
    } else if let Some(r) = t.strip_prefix("/bin/sh -c ") {
        format!("RUN {}", escape_str(r.trim()))
    } else {
        escape_str(t).into_owned()
    }
}

/// `ls -l` style: `-rwsr-xr-x (4755)`.
pub fn mode(kind: EntryKind, mode: u32) -> String {
    let t = match kind {
        EntryKind::Dir => 'd',
        EntryKind::Symlink => 'l',
        EntryKind::CharDevice => 'c',
        EntryKind::BlockDevice => 'b',
        EntryKind::Fifo => 'p',
        _ => '-',
    };
    let mut s = String::with_capacity(17);
    s.push(t);
    let bits = [
        (0o400, 'r'),
        (0o200, 'w'),
        (0o100, 'x'),
        (0o040, 'r'),
        (0o020, 'w'),
        (0o010, 'x'),
        (0o004, 'r'),
        (0o002, 'w'),
        (0o001, 'x'),
    ];
    for (i, (b, c)) in bits.iter().enumerate() {
        let special = match i {
            2 => mode & 0o4000 != 0,
            5 => mode & 0o2000 != 0,
            8 => mode & 0o1000 != 0,
            _ => false,
        };
        let set = mode & b != 0;
        s.push(match (special, set, i) {
            (true, true, 8) => 't',
            (true, false, 8) => 'T',
            (true, true, _) => 's',
            (true, false, _) => 'S',
            (false, true, _) => *c,
            (false, false, _) => '-',
        });
    }
    let _ = write!(s, " ({:04o})", mode & 0o7777);
    s
}

/// Whether colours are off (<https://no-color.org>: set and not empty).
pub fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Colour on stdout: a terminal, and not [`no_color`].
pub fn color_stdout() -> bool {
    use std::io::IsTerminal;
    !no_color() && std::io::stdout().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_spans_count_from_one() {
        assert_eq!(layer_span(2, 2), "layer 3");
        assert_eq!(layer_span(2, 4), "layers 3–5");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(percent(1, 0), "0.0%");
        assert_eq!(plural(1, "layer", "layers"), "1 layer");
        assert_eq!(plural(1200, "file", "files"), "1,200 files");
        assert_eq!(size(1_500_000), "1.50 MB");
        assert_eq!(opt_size(None), "—");
    }

    #[test]
    fn truncation_keeps_the_width() {
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abc", 0), "");
        assert_eq!(truncate("ééééé", 3).chars().count(), 3);
    }

    #[test]
    fn created_by_is_tidied_and_escaped() {
        assert_eq!(
            created_by(Some("/bin/sh -c #(nop)  ENTRYPOINT [\"/app\"]")),
            "ENTRYPOINT [\"/app\"]"
        );
        assert_eq!(
            created_by(Some("/bin/sh -c apt-get install -y golang-go")),
            "RUN apt-get install -y golang-go"
        );
        assert_eq!(
            created_by(Some("|1 V=2 /bin/sh -c make")),
            "V=2 /bin/sh -c make"
        );
        assert_eq!(
            created_by(Some("RUN /bin/sh -c make # buildkit")),
            "RUN /bin/sh -c make # buildkit"
        );
        assert_eq!(created_by(Some("|x")), "|x");
        assert_eq!(created_by(Some("evil\u{1b}[31m")), "evil\\x1b[31m");
        assert_eq!(created_by(None), "");
    }

    #[test]
    fn modes_read_like_ls() {
        assert_eq!(mode(EntryKind::File, 0o4755), "-rwsr-xr-x (4755)");
        assert_eq!(mode(EntryKind::Dir, 0o1777), "drwxrwxrwt (1777)");
        assert_eq!(mode(EntryKind::File, 0o2640), "-rw-r-S--- (2640)");
    }
}
