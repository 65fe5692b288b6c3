//! The tree pane (and the Eliminated / Audit lists): only the rows in the
//! window are touched, so a frame does not cost more on a bigger tree.

use super::{pane_block, sort_name, RenderRef, Theme};
use crate::escape::escape_bytes;
use crate::escape::escape_str;
use crate::format;
use crate::image::EntryKind;
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
        if let (Screen::Tree, true, Some((_, layer))) =
            (model.screen, model.computing(), model.scope)
        {
            title.push(Span::styled(
                format!("· computing layer {}… ", format::layer_number(layer as u64)),
                theme.fg(Color::Yellow),
            ));
        }
        if model.status_applies() && model.status_filter != StatusFilter::All {
            title.push(Span::styled(
                format!("· status {} ", model.status_name()),
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
        let size_w: u16 = if two { 22 } else { 10 };
        let head_text = if two {
            format!("{:>10} {:>10}", "BEFORE", "AFTER")
        } else {
            format!("{:>10}", "size")
        };
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
            let msg = if model.filter.is_empty() && model.effective_status() == StatusFilter::All {
                "(empty)"
            } else {
                "no paths match the filter · Esc clears it"
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
                .node(0)
                .children
                .iter()
                .map(|&c| pane.tree.node(c).weight())
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
            files.get().node(n.origin[side]?).link.as_deref()
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
    let mut badge = n
        .shown_badge()
        .map(|b| format!(" [{b}]"))
        .unwrap_or_default();
    if let Some(total) = bar_total {
        // Groups: a bar of this row's share of everything, one glance.
        const BAR: usize = 20;
        let cells = if total == 0 {
            0
        } else {
            ((n.weight() as f64 / total as f64) * BAR as f64).ceil() as usize
        }
        .min(BAR);
        badge.push(' ');
        badge.push_str(&"█".repeat(cells));
        badge.push_str(&"·".repeat(BAR - cells));
    }
    let fixed = 2 + guides.chars().count() + sizes.chars().count() + badge.chars().count();
    let room = (width as usize).saturating_sub(fixed);
    let name = format::truncate(&name, room);
    let pad = room.saturating_sub(name.chars().count());
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
