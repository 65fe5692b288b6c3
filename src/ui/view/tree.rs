//! The tree pane (and the Eliminated / Audit lists): only the rows in the
//! window are touched, so a frame does not cost more on a bigger tree.

use super::{pane_block, sort_name, RenderRef, Theme};
use crate::escape::escape_bytes;
use crate::escape::escape_str;
use crate::format;
use crate::image::EntryKind;
use crate::ui::keys::Command;
use crate::ui::layout::Pane;
use crate::ui::model::Model;
use crate::ui::model::Screen;
use crate::ui::pane::TreePane;
use crate::ui::tree::{Row, StatusFilter};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub struct TreeView<'a> {
    pub model: &'a Model,
    pub theme: Theme,
    pub pane: &'a TreePane,
}

impl Widget for TreeView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let TreeView { model, theme, pane } = self;
        let focused = model.focus == Pane::Tree;
        let two = pane.tree.sides == 2;
        let mut title = vec![
            Span::styled(
                format!(" {} ", pane.title),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(
                    "· {} · sort {} ",
                    format::plural(pane.rows.len() as u64, "row", "rows"),
                    sort_name(model)
                ),
                theme.dim(),
            ),
        ];
        if let (Screen::Tree, true, Some(what)) =
            (model.screen, model.computing(), model.scope_label())
        {
            title.push(Span::styled(
                format!("· computing {what}… "),
                theme.fg(Color::Yellow),
            ));
        }
        if model.status_applies() && model.status_filter != StatusFilter::All {
            title.push(Span::styled(
                format!("· status {} ", model.status_name()),
                theme.fg(Color::Yellow),
            ));
        }
        if model.status_applies() && !model.hidden.is_empty() {
            // dive's toggles: which change types are out of the tree.
            let words: Vec<&str> = model
                .hidden
                .marks()
                .map(|m| {
                    if model.compare() && !model.layer_words() {
                        m.name()
                    } else {
                        m.layer_name()
                    }
                })
                .collect();
            title.push(Span::styled(
                format!("· hiding {} ", words.join(", ")),
                theme.fg(Color::Yellow),
            ));
        }
        if !model.filter.is_empty() {
            title.push(Span::styled(
                format!("· filter {} ", escape_str(&model.filter)),
                theme.fg(Color::Yellow),
            ));
        }
        let block = pane_block(theme, Line::from(title), focused);
        let inner = block.inner(area);
        block.render_ref(area, buf);
        if inner.height == 0 {
            return;
        }
        // Column header on the first inner line.
        let head_text = if two {
            format!("{:>10} {:>10}", "BEFORE", "AFTER")
        } else {
            format!("{:>10}", "size")
        };
        // The column names end at the right border, as the rows' sizes do.
        let size_w = head_text.chars().count() as u16;
        // A list's summary sits left of the column header.
        let room = inner.width.saturating_sub(size_w + 1) as usize;
        let summary = pane
            .summary
            .as_deref()
            .map(|s| format::truncate(&crate::escape::line(s), room))
            .unwrap_or_default();
        let head = Line::from(vec![
            Span::styled(
                format!(" {summary}"),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::styled(
                format!(
                    "{:w$}",
                    "",
                    w = room.saturating_sub(summary.chars().count())
                ) + &head_text,
                theme.dim(),
            ),
        ]);
        buf.set_line(inner.x, inner.y, &head, inner.width);
        let body = Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        };
        if pane.rows.is_empty() {
            let msg = if !model.filter.is_empty() || model.effective_status() != StatusFilter::All {
                "no paths match the filter · Esc clears it".to_string()
            } else if !model.hidden.is_empty() && !pane.tree.is_empty() {
                let keys: Vec<String> = [
                    Command::ShowAdded,
                    Command::ShowRemoved,
                    Command::ShowModified,
                    Command::ShowUnmodified,
                ]
                .into_iter()
                .map(|c| model.keys.keys_of(c))
                .filter(|k| !k.is_empty())
                .collect();
                format!("every change here is hidden · {} show them", keys.join(" "))
            } else {
                "(empty)".to_string()
            };
            buf.set_line(
                body.x + 1,
                body.y,
                &Line::styled(msg, theme.dim()),
                body.width.saturating_sub(1),
            );
            return;
        }
        // The window follows the cursor even when the model's offset was
        // computed for a different height.
        let height = body.height as usize;
        let cursor = pane.cursor.visible(pane.rows.len(), height);
        let mut text = String::with_capacity(256);
        let bar_total = pane.groups.then(|| {
            pane.tree
                .children(0)
                .iter()
                .map(|&c| pane.tree.weight(c))
                .sum()
        });
        for (i, row) in pane.rows[cursor.offset..].iter().take(height).enumerate() {
            let y = body.y + i as u16;
            let line = tree_row(pane, row, theme, body.width, two, bar_total, &mut text);
            buf.set_line(body.x, y, &line, body.width);
            if cursor.offset + i == cursor.selected {
                buf.set_style(
                    Rect {
                        y,
                        height: 1,
                        ..body
                    },
                    theme.selected(focused),
                );
            }
        }
        // A scroll position marker on the right border.
        if pane.rows.len() > height && area.height > 2 {
            let track = (area.height - 2) as usize;
            let pos = cursor.selected * track.saturating_sub(1) / (pane.rows.len() - 1).max(1);
            buf[(area.right() - 1, area.y + 1 + pos as u16)].set_symbol("┃");
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn tree_row(
    pane: &TreePane,
    row: &Row,
    theme: Theme,
    width: u16,
    two: bool,
    bar_total: Option<u64>,
    text: &mut String,
) -> Line<'static> {
    let n = pane.tree.node(row.id);
    let style = theme.mark(n.mark);
    text.clear();
    for d in 0..row.depth.min(63) {
        text.push_str(if row.guides & (1 << d) != 0 {
            "│  "
        } else {
            "   "
        });
    }
    text.push_str(if row.last { "└─" } else { "├─" });
    let icon = if n.children.is_empty() {
        " "
    } else if pane.expanded[row.id as usize] {
        "▾"
    } else {
        "▸"
    };
    text.push_str(icon);
    let guides = std::mem::take(text);
    let mut name = n.shown_name().into_owned();
    if n.is_dir() && !pane.groups {
        name.push('/');
    }
    if n.kind == EntryKind::Symlink {
        let link = (0..2).find_map(|side| {
            let (_, files) = pane.origins.files[side].as_ref()?;
            files.get().node(n.origin[side]?).link
        });
        if let Some(l) = link {
            name.push_str(" → ");
            name.push_str(&escape_bytes(l));
        }
    }
    let sizes = if two {
        format!(
            " {:>10} {:>10}",
            format::opt_size(n.size[0]),
            format::opt_size(n.size[1])
        )
    } else {
        format!(" {:>10}", format::opt_size(n.size[0]))
    };
    let bar = bar_total.map(|total| {
        // Groups: a bar of this row's share of everything, one glance.
        let cells = if total == 0 {
            0
        } else {
            ((n.weight() as f64 / total as f64) * BAR as f64).ceil() as usize
        }
        .min(BAR);
        format!(" {}{}", "█".repeat(cells), "·".repeat(BAR - cells))
    });
    let badge = n.shown_badge();
    let fit = fit_row(
        width as usize,
        cells(&guides),
        cells(&sizes),
        cells(&name),
        badge.as_deref().map(cells),
        bar.is_some(),
    );
    let guides = keep_right(&guides, fit.guides);
    let name = shorten(&name, fit.name);
    let mut badge = match (badge, fit.badge) {
        (Some(b), w) if w > 0 => format!(" [{}]", shorten(&b, w - 3)),
        _ => String::new(),
    };
    if fit.bar {
        badge.push_str(bar.as_deref().unwrap_or_default());
    }
    // From what was drawn, so a wide character cut short cannot shift
    // the sizes off the right edge.
    let pad = (width as usize)
        .saturating_sub(2 + cells(&guides) + cells(&name) + cells(&badge) + cells(&sizes));
    *text = guides;
    Line::from(vec![
        Span::styled(format!("{} ", n.mark.symbol()), style),
        Span::styled(
            text.clone(),
            if theme.color {
                Style::new().fg(Color::DarkGray)
            } else {
                Style::new()
            },
        ),
        Span::styled(
            name,
            if n.is_dir() {
                style.add_modifier(Modifier::BOLD)
            } else {
                style
            },
        ),
        Span::raw(" ".repeat(pad)),
        Span::styled(badge, theme.fg(Color::Magenta)),
        Span::styled(sizes, style),
    ])
}

/// The share bar of a group row: cells, plus the space before it.
const BAR: usize = 20;
/// A name keeps at least this many cells before guides are cut.
const NAME_MIN: usize = 12;
/// The narrowest badge worth drawing: ` [ab…]`.
const BADGE_MIN: usize = 6;

/// How a row's `width` cells are shared: the mark (2) and the sizes are
/// fixed at the right edge; then the name; the badge shrinks, then goes,
/// before the name is shortened; the bars of group rows stay while the
/// pane is wide enough, so they line up from row to row.
#[derive(Debug, PartialEq, Eq)]
struct RowFit {
    guides: usize,
    name: usize,
    /// Cells of ` [badge]`, 0 when dropped.
    badge: usize,
    bar: bool,
}

fn fit_row(
    width: usize,
    guides: usize,
    sizes: usize,
    name: usize,
    badge: Option<usize>,
    bar: bool,
) -> RowFit {
    let left = width.saturating_sub(2 + sizes);
    // Deep trees give up guides (from the left) before the name does.
    let guides = guides.min(left.saturating_sub(NAME_MIN.min(name)));
    let mut room = left - guides;
    let bar = bar && room >= BAR + 1 + 2 * NAME_MIN;
    if bar {
        room -= BAR + 1;
    }
    let badge = match badge {
        Some(b) => {
            let full = b + 3;
            let spare = room.saturating_sub(name);
            if spare >= full {
                full
            } else if spare >= BADGE_MIN {
                spare
            } else {
                0
            }
        }
        None => 0,
    };
    RowFit {
        guides,
        name: name.min(room - badge),
        badge,
        bar,
    }
}

/// Terminal cells of `s` (wide characters take two).
fn cells(s: &str) -> usize {
    Span::raw(s).width()
}

/// At most `max` cells of `s`, the last one `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if cells(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    let mut buf = [0u8; 4];
    for c in s.chars() {
        let w = cells(c.encode_utf8(&mut buf));
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// The last `max` cells of the guides (one cell per character).
fn keep_right(guides: &str, max: usize) -> String {
    let n = guides.chars().count();
    guides.chars().skip(n.saturating_sub(max)).collect()
}

#[cfg(test)]
mod tests {
    use super::{fit_row, shorten, RowFit};

    #[test]
    fn the_badge_gives_way_before_the_name() {
        // Room for everything: the badge whole, the rest padding.
        let f = fit_row(80, 6, 22, 10, Some(30), false);
        assert_eq!(
            f,
            RowFit {
                guides: 6,
                name: 10,
                badge: 33,
                bar: false
            }
        );
        // Less room: the badge shrinks, the name stays whole.
        let f = fit_row(50, 6, 22, 10, Some(30), false);
        assert_eq!((f.name, f.badge), (10, 10));
        // Less still: the badge goes, then the name is shortened.
        let f = fit_row(40, 6, 22, 10, Some(30), false);
        assert_eq!((f.name, f.badge), (10, 0));
        let f = fit_row(38, 2, 22, 20, Some(30), false);
        assert_eq!((f.guides, f.name, f.badge), (2, 12, 0));
        // Never wider than the row.
        for w in 0..120 {
            let f = fit_row(w, 9, 22, 40, Some(50), true);
            let bar = if f.bar { 21 } else { 0 };
            assert!(
                2 + f.guides + f.name + f.badge + bar + 22 <= w.max(24),
                "{w}: {f:?}"
            );
        }
    }

    #[test]
    fn deep_guides_give_way_to_a_name() {
        let f = fit_row(60, 45, 22, 20, None, false);
        assert_eq!((f.guides, f.name), (24, 12));
    }

    #[test]
    fn shortening_counts_cells() {
        assert_eq!(shorten("Headers and static libraries", 12), "Headers and…");
        assert_eq!(shorten("short", 12), "short");
        assert_eq!(shorten("日本語のファイル", 7), "日本語…");
    }
}
