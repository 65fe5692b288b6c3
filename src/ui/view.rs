//! `view`: draws the model, and nothing else. Only the rows in the window
//! are touched, so the cost of a frame does not grow with the tree.

use super::app::{rate, LayerMode, Model, Screen, SlotState, TreePane, TreeRef};
use super::keys::Command;
use super::layout::{Areas, Pane, MIN};
use super::tree::{Mark, Row, Sort, StatusFilter};
use crate::analysis::{PathFacts, Status};
use crate::escape::{escape_bytes, escape_str};
use crate::format;
use crate::image::EntryKind;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};
use ratatui::Frame;
use std::fmt::Write;

/// Colours, or their absence under NO_COLOR.
#[derive(Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn mark(self, m: Mark) -> Style {
        if !self.color {
            return match m {
                Mark::Carried => Style::new().add_modifier(Modifier::DIM),
                _ => Style::new(),
            };
        }
        match m {
            Mark::Plain => Style::new(),
            Mark::Carried => Style::new().fg(Color::DarkGray),
            Mark::Eliminated => Style::new().fg(Color::Red),
            Mark::Changed => Style::new().fg(Color::Yellow),
            Mark::Added => Style::new().fg(Color::Green),
            Mark::Moved => Style::new().fg(Color::Cyan),
            Mark::Mixed => Style::new(),
        }
    }

    fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    fn dim(self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new().add_modifier(Modifier::DIM)
        }
    }

    fn selected(self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
        }
    }

    fn border(self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::new().fg(Color::Cyan),
            (true, false) => Style::new().add_modifier(Modifier::BOLD),
            (false, _) => self.dim(),
        }
    }
}

fn side_name(model: &Model, slot: usize) -> &'static str {
    if model.compare() {
        ["BEFORE", "AFTER"][slot.min(1)]
    } else {
        "IMAGE"
    }
}

/// The order rows are shown in: the Eliminated and Audit groups are always
/// by bytes, whatever `s` set for the trees.
fn sort_name(model: &Model) -> &'static str {
    if model.pane().is_some_and(|p| p.groups) || model.sort == Sort::Size {
        "size"
    } else {
        "name"
    }
}

/// Draws the whole screen.
pub fn view(model: &Model, frame: &mut Frame) {
    let area = frame.area();
    let areas = super::layout::layout(area, &model.shape());
    let theme = Theme { color: model.color };
    let buf = frame.buffer_mut();
    if areas.too_small {
        let msg = format!(
            "terminal too small: {}×{} (need {}×{}) · q quits",
            area.width, area.height, MIN.0, MIN.1
        );
        Paragraph::new(msg)
            .wrap(Wrap { trim: true })
            .render_ref(area, buf);
        return;
    }
    header(model, theme, areas.header, buf);
    if model.main.is_none() {
        loading(model, theme, &areas, buf);
    } else {
        match model.screen {
            Screen::Tree => {
                for slot in 0..2 {
                    if let Some(r) = areas.layers[slot] {
                        layers(model, theme, slot, r, buf);
                    }
                }
                if let (Some(r), Some(p)) = (areas.tree, model.pane()) {
                    tree(model, theme, p, r, buf);
                }
                if let Some(r) = areas.details {
                    details(model, theme, r, buf);
                }
            }
            Screen::Eliminated | Screen::Audit => match (areas.tree, model.pane()) {
                (Some(r), Some(p)) => tree(model, theme, p, r, buf),
                (Some(r), None) => analysis_screen(model, theme, r, buf),
                _ => {}
            },
        }
    }
    hints(model, theme, areas.hints, buf);
    if model.help {
        help(model, theme, area, buf);
    }
}

trait RenderRef {
    fn render_ref(self, area: Rect, buf: &mut Buffer);
}

impl<W: ratatui::widgets::Widget> RenderRef for W {
    fn render_ref(self, area: Rect, buf: &mut Buffer) {
        self.render(area, buf);
    }
}

fn header(model: &Model, theme: Theme, area: Rect, buf: &mut Buffer) {
    let sizes: Vec<Option<u64>> = model
        .slots
        .iter()
        .map(|s| s.loaded().map(|l| l.image.size()))
        .collect();
    let describe = |slot: usize| -> Line<'static> {
        let s = &model.slots[slot];
        let mut spans = vec![
            Span::styled(
                format!("{:<7}", side_name(model, slot)),
                Style::new().add_modifier(Modifier::BOLD),
            ),
            Span::raw(escape_str(&s.reference).into_owned()),
        ];
        match &s.state {
            SlotState::Loaded(l) => spans.push(Span::styled(
                format!(
                    "  {} · {} · {}",
                    format::size(l.image.size()),
                    format::plural(l.image.layers.len() as u64, "layer", "layers"),
                    escape_str(&l.image.platform())
                ),
                theme.dim(),
            )),
            SlotState::Loading => spans.push(Span::styled("  loading…", theme.dim())),
            SlotState::Failed(_) => spans.push(Span::styled("  failed", theme.fg(Color::Red))),
        }
        Line::from(spans)
    };
    let rows: Vec<Rect> = (0..area.height)
        .map(|i| Rect {
            y: area.y + i,
            height: 1,
            ..area
        })
        .collect();
    if !model.compare() {
        describe(0).render_ref(rows[0], buf);
        if let (Some(r), Some(l)) = (rows.get(1), model.slots[0].loaded()) {
            Line::styled(
                format!(
                    "       {} · {} in layers · {} wasted ({:.1} % efficient) · {}",
                    format::plural(u64::from(l.analysed.tree.file_count()), "file", "files"),
                    format::plural(l.image.entry_count() as u64, "entry", "entries"),
                    format::size(l.waste.wasted),
                    l.waste.efficiency() * 100.0,
                    if l.image.verified {
                        "digests verified"
                    } else {
                        "digests not verified"
                    }
                ),
                theme.dim(),
            )
            .render_ref(*r, buf);
        }
        return;
    }
    if area.height >= 3 {
        describe(0).render_ref(rows[0], buf);
        describe(1).render_ref(rows[1], buf);
        reduction_bar(theme, sizes[0], sizes[1], rows[2], buf);
    } else {
        // Compact: one line of both, then the bar.
        let line = Line::from(vec![
            Span::styled("BEFORE ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(sizes[0].map_or("…".into(), format::size)),
            Span::raw(" → "),
            Span::styled("AFTER ", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(sizes[1].map_or("…".into(), format::size)),
            Span::styled(
                format!(
                    "  {} → {}",
                    escape_str(&model.slots[0].reference),
                    escape_str(&model.slots[1].reference)
                ),
                theme.dim(),
            ),
        ]);
        line.render_ref(rows[0], buf);
        if let Some(r) = rows.get(1) {
            reduction_bar(theme, sizes[0], sizes[1], *r, buf);
        }
    }
}

/// `[██████░░░░░░] −98.6% · 838 MB eliminated`: the AFTER share of BEFORE.
fn reduction_bar(
    theme: Theme,
    before: Option<u64>,
    after: Option<u64>,
    area: Rect,
    buf: &mut Buffer,
) {
    let (Some(b), Some(a)) = (before, after) else {
        Line::styled("       comparing once both images are loaded…", theme.dim())
            .render_ref(area, buf);
        return;
    };
    let (pct, text) = if b == 0 {
        (0.0, "BEFORE is empty".to_string())
    } else if a <= b {
        let p = (b - a) as f64 * 100.0 / b as f64;
        (p, format!(" −{p:.1}% · {} eliminated", format::size(b - a)))
    } else {
        let p = (a - b) as f64 * 100.0 / b as f64;
        (
            -p,
            format!(" +{p:.1}% · AFTER is {} larger", format::size(a - b)),
        )
    };
    let bar_w = (area.width as usize)
        .saturating_sub(text.chars().count() + 9)
        .clamp(10, 60);
    let kept = if b == 0 {
        bar_w
    } else {
        ((a.min(b) as f64 / b as f64) * bar_w as f64).round() as usize
    };
    let kept = kept.min(bar_w);
    let _ = pct;
    Line::from(vec![
        Span::raw("       "),
        Span::styled("█".repeat(kept), theme.fg(Color::Green)),
        Span::styled(
            if theme.color { "█" } else { "░" }.repeat(bar_w - kept),
            theme.fg(Color::Red),
        ),
        Span::styled(text, Style::new().add_modifier(Modifier::BOLD)),
    ])
    .render_ref(area, buf);
}

fn loading(model: &Model, theme: Theme, areas: &Areas, buf: &mut Buffer) {
    let Some(body) = areas.tree.or(areas.details) else {
        return;
    };
    // The body is the tree area plus whatever sits beside it; use the
    // whole band between header and hints.
    let body = Rect {
        x: 0,
        y: areas.header.bottom(),
        width: areas.hints.width,
        height: areas.hints.y.saturating_sub(areas.header.bottom()),
    }
    .intersection(body.union(areas.layers[0].unwrap_or(body)));
    let n = model.slots.len() as u16;
    let block_h = 5u16;
    let mut rects = Vec::new();
    let top = body.y + body.height.saturating_sub(block_h * n) / 3;
    for i in 0..n {
        let r = Rect {
            x: body.x + 2,
            y: top + i * block_h,
            width: body.width.saturating_sub(4),
            height: block_h,
        }
        .intersection(body);
        rects.push(r);
    }
    for (i, slot) in model.slots.iter().enumerate() {
        let r = rects[i];
        if r.height < 3 {
            continue;
        }
        let block = Block::new()
            .borders(Borders::ALL)
            .border_style(theme.dim())
            .title(Line::from(vec![
                Span::styled(
                    format!(" {} ", side_name(model, i)),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!("{} ", escape_str(&slot.reference))),
            ]));
        let inner = block.inner(r);
        block.render_ref(r, buf);
        let done = slot.progress.done();
        let total = slot.progress.total();
        let layers_done = slot
            .progress
            .layers_done
            .load(std::sync::atomic::Ordering::Relaxed);
        match &slot.state {
            SlotState::Failed(e) => {
                Paragraph::new(Line::styled(
                    format!("✗ {}", escape_str(e)),
                    theme.fg(Color::Red),
                ))
                .wrap(Wrap { trim: true })
                .render_ref(inner, buf);
            }
            state => {
                let ratio = if matches!(state, SlotState::Loaded(_)) {
                    1.0
                } else if total > 0 {
                    (done as f64 / total as f64).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let mut label = if total > 0 {
                    format!("{} of {}", format::size(done), format::size(total))
                } else {
                    format!("{} read", format::size(done))
                };
                let _ = write!(
                    label,
                    " · {} · {}/s",
                    format::plural(layers_done as u64, "layer", "layers"),
                    format::size(rate(slot, model.now) as u64)
                );
                let [g, stage] =
                    Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
                Gauge::default()
                    .ratio(ratio)
                    .label(label)
                    .gauge_style(theme.fg(Color::Cyan))
                    .use_unicode(true)
                    .render_ref(g, buf);
                let what = if matches!(state, SlotState::Loaded(_)) {
                    "loaded · waiting for the other image".to_string()
                } else {
                    escape_str(&slot.progress.stage()).into_owned()
                };
                Line::styled(what, theme.dim()).render_ref(stage, buf);
            }
        }
    }
}

fn pane_block(theme: Theme, title: Line<'static>, focused: bool) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title)
}

fn layers(model: &Model, theme: Theme, slot: usize, area: Rect, buf: &mut Buffer) {
    let focused = model.focus == Pane::Layers(slot);
    let Some(l) = model.slots.get(slot).and_then(|s| s.loaded()) else {
        pane_block(
            theme,
            Line::raw(format!(" Layers {} ", side_name(model, slot))),
            focused,
        )
        .render_ref(area, buf);
        return;
    };
    let mode = match model.layer_mode {
        LayerMode::Aggregated => "ctrl+a aggregated",
        LayerMode::Only => "ctrl+l layer only",
    };
    let title = Line::from(vec![
        Span::styled(
            format!(" Layers {} ", side_name(model, slot)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::styled(format!("· {mode} "), theme.dim()),
    ]);
    let block = pane_block(theme, title, focused);
    let inner = block.inner(area);
    block.render_ref(area, buf);
    let cursor = model.layers[slot];
    let scoped = model.scope.filter(|s| s.0 == slot).map(|s| s.1);
    for (row, i) in (cursor.offset..l.image.layers.len())
        .take(inner.height as usize)
        .enumerate()
    {
        let layer = &l.image.layers[i];
        let y = inner.y + row as u16;
        let created = layer
            .created_by
            .as_deref()
            .map(|c| format::created_by(Some(c)));
        let line = Line::from(vec![
            Span::raw(if scoped == Some(i) { "▶" } else { " " }),
            Span::styled(format!("{i:>2} "), theme.dim()),
            Span::raw(format!("{:>9}  ", format::size(layer.size))),
            Span::raw(created.unwrap_or_else(|| "(no history)".into())),
        ]);
        buf.set_line(inner.x, y, &line, inner.width);
        if i == cursor.selected && (focused || scoped == Some(i)) {
            buf.set_style(
                Rect {
                    y,
                    height: 1,
                    ..inner
                },
                theme.selected(focused),
            );
        }
    }
}

fn tree(model: &Model, theme: Theme, pane: &TreePane, area: Rect, buf: &mut Buffer) {
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
    if let (Screen::Tree, true, Some((_, layer))) = (model.screen, model.computing(), model.scope) {
        title.push(Span::styled(
            format!("· computing layer {layer}… "),
            theme.fg(Color::Yellow),
        ));
    }
    if model.status_filter != StatusFilter::All {
        title.push(Span::styled(
            format!("· status {} ", model.status_filter.name()),
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
    let head = Line::styled(
        format!("{:w$}", "", w = inner.width.saturating_sub(size_w) as usize) + &head_text,
        theme.dim(),
    );
    buf.set_line(inner.x, inner.y, &head, inner.width);
    let body = Rect {
        y: inner.y + 1,
        height: inner.height - 1,
        ..inner
    };
    if pane.rows.is_empty() {
        let msg = if model.filter.is_empty() && model.status_filter == StatusFilter::All {
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
    let mut name = escape_bytes(&n.name).into_owned();
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
        .badge
        .as_deref()
        .map(|b| format!(" [{}]", escape_str(b)))
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

/// Files per status below a mixed directory of the comparison, from the
/// analysis' rollups (eliminated counted on BEFORE, added on AFTER, the
/// rest on whichever side has more).
fn mixed_counts(pane: &TreePane, id: u32) -> Vec<(Mark, u32)> {
    let n = pane.tree.node(id);
    let facts = |side: usize| {
        let (_, tree) = pane.origins.files[side].as_ref()?;
        tree.facts(n.origin[side]?).map(|(_, f)| f)
    };
    let (before, after) = (facts(0), facts(1));
    Status::ALL
        .into_iter()
        .filter_map(|s| {
            let files = |f: Option<&PathFacts>| f.map_or(0, |f| f.rollup.files(s));
            let count = match s {
                Status::Eliminated => files(before),
                Status::Added => files(after),
                _ => files(before).max(files(after)),
            };
            (count > 0).then(|| (super::compare::mark_of(s), count))
        })
        .collect()
}

fn details(model: &Model, theme: Theme, area: Rect, buf: &mut Buffer) {
    let block = pane_block(
        theme,
        Line::styled(" Details ", Style::new().add_modifier(Modifier::BOLD)),
        false,
    );
    let inner = block.inner(area);
    block.render_ref(area, buf);
    let Some(pane) = model.pane() else { return };
    let Some(id) = pane.selected_id() else { return };
    let n = pane.tree.node(id);
    let key = |k: &str| Span::styled(format!("{k:<9}"), theme.dim());
    let mut lines: Vec<Line<'static>> = vec![Line::from(vec![
        Span::styled(format!("{} ", n.mark.symbol()), theme.mark(n.mark)),
        Span::styled(
            crate::image::entry::display_path(&pane.tree.path_of(id)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
    ])];
    if n.mark == Mark::Mixed {
        // Which statuses lie below, in their colours.
        let mut spans = vec![key("status"), Span::raw("mixed:")];
        for (mark, files) in mixed_counts(pane, id) {
            spans.push(Span::styled(
                format!(" {} {}", files, mark.name()),
                theme.mark(mark),
            ));
        }
        lines.push(Line::from(spans));
    } else if n.mark != Mark::Plain {
        lines.push(Line::from(vec![
            key("status"),
            Span::styled(n.mark.name(), theme.mark(n.mark)),
        ]));
    }
    if let Some(b) = &n.badge {
        lines.push(Line::from(vec![
            key("badge"),
            Span::raw(escape_str(b).into_owned()),
        ]));
    }
    let sides = pane.tree.sides;
    for side in 0..sides {
        let label = if sides == 2 {
            ["before", "after"][side]
        } else {
            "size"
        };
        let mut v = format::opt_size(n.size[side]);
        if n.is_dir() && n.size[side].is_some() && !pane.groups {
            v.push_str(" (rolled up)");
        }
        lines.push(Line::from(vec![key(label), Span::raw(v)]));
    }
    for side in 0..2 {
        let (Some(nid), Some((slot, files))) = (n.origin[side], pane.origins.files[side].as_ref())
        else {
            continue;
        };
        let f = files.get().node(nid);
        if sides == 2 || pane.origins.files[1].is_some() {
            lines.push(Line::styled(
                format!("— {} —", side_name(model, *slot)),
                theme.dim(),
            ));
        }
        lines.push(Line::from(vec![
            key("mode"),
            Span::raw(format::mode(f.kind, f.mode)),
        ]));
        lines.push(Line::from(vec![
            key("owner"),
            Span::raw(format!("{}:{}", f.uid, f.gid)),
        ]));
        if let Some(l) = &f.link {
            lines.push(Line::from(vec![
                key("link"),
                Span::raw(escape_bytes(l).into_owned()),
            ]));
        }
        if let Some(h) = &f.hash {
            lines.push(Line::from(vec![key("xxh3"), Span::raw(h.to_string())]));
        }
        let created = model.slots[*slot]
            .loaded()
            .and_then(|l| l.image.layers.get(f.layer as usize))
            .and_then(|l| l.created_by.as_deref())
            .map(|c| format::created_by(Some(c)))
            .unwrap_or_else(|| "(no history)".into());
        lines.push(Line::from(vec![
            key("layer"),
            Span::raw(format!("{} · {created}", f.layer)),
        ]));
        if let Some((cmp, facts)) = files.facts(nid) {
            lines.push(Line::from(vec![
                key("bucket"),
                Span::raw(facts.bucket.as_str()),
            ]));
            lines.push(Line::from(vec![
                key("owner"),
                Span::raw(cmp.owner_label(facts.owner)),
            ]));
            if let Some(p) = facts.package.filter(|&p| Some(p) != facts.owner) {
                lines.push(Line::from(vec![
                    key("package"),
                    Span::raw(cmp.owner(p).label()),
                ]));
            }
            let groups = cmp.needed_by(facts.package);
            if !groups.is_empty() {
                lines.push(Line::from(vec![key("for"), Span::raw(groups.join(", "))]));
            }
            let other = match files {
                TreeRef::Before(c) => Some(("moved to", &c.after)),
                TreeRef::After(c) => Some(("moved from", &c.before)),
                TreeRef::Own(_) => None,
            };
            if let (Some(to), Some((label, other_side))) = (facts.counterpart, other) {
                if facts.status == crate::analysis::Status::Moved {
                    lines.push(Line::from(vec![
                        key(label),
                        Span::raw(other_side.display_path(to)),
                    ]));
                }
            }
        }
    }
    Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .render_ref(inner, buf);
}

fn analysis_screen(model: &Model, theme: Theme, area: Rect, buf: &mut Buffer) {
    let title = if model.screen == Screen::Eliminated {
        " Eliminated: what the multi-stage build removed "
    } else {
        " Audit: what still ships in AFTER "
    };
    let block = pane_block(
        theme,
        Line::styled(title, Style::new().add_modifier(Modifier::BOLD)),
        true,
    );
    let inner = block.inner(area);
    block.render_ref(area, buf);
    let msg = if !model.compare() {
        "This view compares two images: stagediff BEFORE AFTER"
    } else {
        "Comparing… this view fills in when the comparison is done."
    };
    Paragraph::new(Line::styled(msg, theme.dim()))
        .wrap(Wrap { trim: true })
        .render_ref(inner, buf);
}

fn hints(model: &Model, theme: Theme, area: Rect, buf: &mut Buffer) {
    let key = |k: String| {
        Span::styled(
            k,
            Style::new()
                .add_modifier(Modifier::BOLD)
                .patch(theme.fg(Color::Cyan)),
        )
    };
    let text = |t: String| Span::styled(t, theme.dim());
    let mut spans = Vec::new();
    if model.editing_filter {
        spans.push(key("filter ".into()));
        spans.push(Span::raw(escape_str(&model.filter).into_owned()));
        spans.push(Span::styled(
            "█",
            Style::new().add_modifier(Modifier::SLOW_BLINK),
        ));
        spans.push(text("  Enter keep · Esc clear · ↑↓ move".into()));
    } else {
        let k = &model.keys;
        let first = |c: Command| {
            k.binding(c)
                .and_then(|b| b.keys.first())
                .map(|k| k.to_string())
        };
        let groups: Vec<(Vec<Command>, String)> = vec![
            (vec![Command::Quit], "quit".into()),
            (vec![Command::Help], "help".into()),
            (vec![Command::FocusNext], "focus".into()),
            (vec![Command::Filter], "filter".into()),
            (
                vec![Command::CycleStatus],
                format!("status:{}", model.status_filter.name()),
            ),
            (vec![Command::Sort], format!("sort:{}", sort_name(model))),
            (
                vec![Command::LayerOnly, Command::LayerAggregate],
                "layer/all".into(),
            ),
            (
                vec![
                    Command::ViewTree,
                    Command::ViewEliminated,
                    Command::ViewAudit,
                ],
                "views".into(),
            ),
        ];
        for (commands, label) in groups {
            let keys: Vec<String> = commands.iter().filter_map(|&c| first(c)).collect();
            if !keys.is_empty() {
                spans.push(key(keys.join("/")));
                spans.push(text(format!(" {label}  ")));
            }
        }
        if let Some(n) = &model.notice {
            spans.insert(0, Span::styled(format!("{n}  "), theme.fg(Color::Yellow)));
        }
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}

fn help(model: &Model, theme: Theme, area: Rect, buf: &mut Buffer) {
    let rows = model.keys.bindings.len() as u16;
    let w = area.width.saturating_sub(4).min(86);
    let h = (rows + 5).min(area.height.saturating_sub(2));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    Clear.render_ref(r, buf);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Line::styled(
            " Keys · ? or Esc closes ",
            Style::new().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(r);
    block.render_ref(r, buf);
    let keys_w = 22usize;
    let mut lines = Vec::new();
    for b in &model.keys.bindings {
        let keys = b
            .keys
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        lines.push(Line::from(vec![
            Span::styled(
                format!("{keys:<keys_w$}"),
                Style::new()
                    .add_modifier(Modifier::BOLD)
                    .patch(theme.fg(Color::Cyan)),
            ),
            Span::raw(b.description.clone()),
        ]));
    }
    lines.push(Line::styled(
        "marks: - eliminated  + added  ~ changed  > moved  = carried  * mixed",
        theme.dim(),
    ));
    lines.push(Line::styled(
        "mouse: the wheel scrolls, a click selects, a click on the selection toggles",
        theme.dim(),
    ));
    Paragraph::new(lines).render_ref(inner, buf);
}
