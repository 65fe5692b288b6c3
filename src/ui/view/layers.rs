//! The layers list of one image.

use super::{pane_block, side_name, RenderRef, Theme};
use crate::format;
use crate::ui::jobs::LayerMode;
use crate::ui::layout::Pane;
use crate::ui::model::Model;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

pub struct Layers<'a> {
    pub model: &'a Model,
    pub theme: Theme,
    pub slot: usize,
}

impl Widget for Layers<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Layers { model, theme, slot } = self;
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
        let range = model.range().filter(|r| r.0 == slot).map(|r| (r.1, r.2));
        let mode = match (range, model.layer_mode) {
            (Some((a, b)), _) => {
                format!("v {}", format::layer_span(a as u64, b as u64))
            }
            (None, LayerMode::Aggregated) => "ctrl+a aggregated".into(),
            (None, LayerMode::Only) => "ctrl+l layer only".into(),
        };
        // A column of what each layer wastes, when any does (the title
        // says what the yellow figures are).
        // One image only: a comparison is about what went, not what each
        // build wasted.
        let wastes = !model.compare() && l.waste.wasted > 0;
        let mut title = Line::from(vec![Span::styled(
            format!(" Layers {} ", side_name(model, slot)),
            Style::new().add_modifier(Modifier::BOLD),
        )]);
        if wastes {
            title
                .spans
                .push(Span::styled("· wasted ", theme.fg(Color::Yellow)));
        }
        title
            .spans
            .push(Span::styled(format!("· {mode} "), theme.dim()));
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
            let in_range = range.is_some_and(|(a, b)| (a..=b).contains(&i));
            let mut spans = vec![
                if scoped == Some(i) {
                    Span::raw("▶")
                } else if in_range {
                    // The range's other rows: a bar that reads without colour.
                    Span::styled("┃", theme.fg(Color::Cyan))
                } else {
                    Span::raw(" ")
                },
                Span::styled(
                    format!("{:>2} ", format::layer_number(i as u64)),
                    theme.dim(),
                ),
                Span::raw(format!("{:>9}  ", format::size(layer.size))),
            ];
            if wastes {
                let w = l.waste.wasted_in_layer.get(i).copied().unwrap_or(0);
                spans.push(Span::styled(
                    if w > 0 {
                        format!("{:>9}  ", format::size(w))
                    } else {
                        " ".repeat(11)
                    },
                    theme.fg(Color::Yellow),
                ));
            }
            spans.push(Span::raw(created.unwrap_or_else(|| "(no history)".into())));
            let mut line = Line::from(spans);
            if in_range {
                line = line.patch_style(Style::new().add_modifier(Modifier::BOLD));
            }
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
}
