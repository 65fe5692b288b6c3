//! The loading screen: one gauge per image.

use super::{side_name, RenderRef, Theme};
use crate::escape::escape_str;
use crate::format;
use crate::ui::app::rate;
use crate::ui::layout::Areas;
use crate::ui::model::Model;
use crate::ui::model::SlotState;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};
use std::fmt::Write;

pub struct Loading<'a> {
    pub model: &'a Model,
    pub theme: Theme,
    pub areas: &'a Areas,
}

impl Widget for Loading<'_> {
    fn render(self, _area: Rect, buf: &mut Buffer) {
        let Loading {
            model,
            theme,
            areas,
        } = self;
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
                        Layout::vertical([Constraint::Length(1), Constraint::Length(1)])
                            .areas(inner);
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
}
