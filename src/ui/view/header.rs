//! The header: which images, their sizes, and the reduction bar.

use super::{side_name, RenderRef, Theme};
use crate::escape::escape_str;
use crate::format;
use crate::ui::model::Model;
use crate::ui::model::{Reduction, SlotState};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub struct Header<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

impl Widget for Header<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Header { model, theme } = self;
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
}

/// `[██████░░░░░░] −98.6% · 838 MB smaller`: the AFTER share of BEFORE.
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
    let Reduction { kept, text } = Reduction::of(b, a);
    let bar_w = (area.width as usize)
        .saturating_sub(text.chars().count() + 9)
        .clamp(10, 60);
    let kept = ((kept * bar_w as f64).round() as usize).min(bar_w);
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
