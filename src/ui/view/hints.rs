//! The hint bar and the help overlay.

use super::{sort_name, RenderRef, Theme};
use crate::escape::escape_str;
use crate::ui::keys::Command;
use crate::ui::model::{Model, Screen};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub struct Hints<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

impl Widget for Hints<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Hints { model, theme } = self;
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
            let views = (
                vec![
                    Command::ViewOverview,
                    Command::ViewTree,
                    Command::ViewEliminated,
                    Command::ViewAudit,
                ],
                "views".to_string(),
            );
            // The overview has nothing to move through, filter or sort.
            let groups: Vec<(Vec<Command>, String)> = if model.screen == Screen::Overview {
                vec![
                    (vec![Command::Quit], "quit".into()),
                    (vec![Command::Help], "help".into()),
                    views,
                ]
            } else {
                vec![
                    (vec![Command::Quit], "quit".into()),
                    (vec![Command::Help], "help".into()),
                    (vec![Command::FocusNext], "focus".into()),
                    (vec![Command::Filter], "filter".into()),
                    (
                        // Only where statuses exist (one image: a layer's
                        // own changes).
                        if model.status_applies() {
                            vec![Command::CycleStatus]
                        } else {
                            Vec::new()
                        },
                        format!("status:{}", model.status_name()),
                    ),
                    (vec![Command::Sort], format!("sort:{}", sort_name(model))),
                    (
                        vec![Command::LayerOnly, Command::LayerAggregate],
                        "layer/all".into(),
                    ),
                    views,
                ]
            };
            for (commands, label) in groups {
                let keys: Vec<String> = commands.iter().filter_map(|&c| first(c)).collect();
                if !keys.is_empty() {
                    spans.push(key(join_keys(&keys)));
                    spans.push(text(format!(" {label}  ")));
                }
            }
            if let Some(n) = &model.notice {
                spans.insert(0, Span::styled(format!("{n}  "), theme.fg(Color::Yellow)));
            }
            if let Some(n) = &model.flash {
                spans.insert(0, Span::styled(format!("{n}  "), theme.fg(Color::Yellow)));
            }
        }
        buf.set_line(area.x, area.y, &Line::from(spans), area.width);
    }
}

/// `0-3` for a run of consecutive digit keys (the views), else `a/b/c`.
fn join_keys(keys: &[String]) -> String {
    let digits: Option<Vec<u32>> = keys
        .iter()
        .map(|k| match k.as_bytes() {
            [d] => char::from(*d).to_digit(10),
            _ => None,
        })
        .collect();
    match digits {
        Some(d) if d.len() > 2 && d.windows(2).all(|w| w[1] == w[0] + 1) => {
            format!("{}-{}", keys[0], keys[keys.len() - 1])
        }
        _ => keys.join("/"),
    }
}

pub struct Help<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Help { model, theme } = self;
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
}

#[cfg(test)]
mod tests {
    use super::join_keys;

    #[test]
    fn consecutive_digits_read_as_a_range() {
        let k = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(join_keys(&k(&["0", "1", "2", "3"])), "0-3");
        assert_eq!(join_keys(&k(&["1", "2", "3"])), "1-3");
        assert_eq!(join_keys(&k(&["0", "2", "3"])), "0/2/3");
        assert_eq!(join_keys(&k(&["1", "2"])), "1/2");
        assert_eq!(join_keys(&k(&["ctrl+l", "ctrl+a"])), "ctrl+l/ctrl+a");
    }
}
