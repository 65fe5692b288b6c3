//! The hint bar and the help overlay.

use super::{sort_name, RenderRef, Theme};
use crate::escape::escape_str;
use crate::ui::keys::{Command, KeyMap};
use crate::ui::layout::Pane;
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
                    // The layers list selects ranges; the tree filters.
                    if matches!(model.focus, Pane::Layers(_)) {
                        (vec![Command::LayerRange], "range".into())
                    } else {
                        (vec![Command::Filter], "filter".into())
                    },
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
                    // ctrl+a aggregates in the layers list only (in the
                    // tree it shows or hides added entries).
                    if matches!(model.focus, Pane::Layers(_)) {
                        (
                            vec![Command::LayerOnly, Command::LayerAggregate],
                            "layer/all".into(),
                        )
                    } else {
                        (vec![Command::LayerOnly], "layer".into())
                    },
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

/// One line of the help text: keys (empty on a continuation), then text;
/// `dim` for the notes below the keys.
struct HelpLine {
    keys: String,
    text: String,
    dim: bool,
}

/// Where the overlay goes on a `size` terminal, and its lines wrapped to
/// fit its width.
fn help_layout(keys: &KeyMap, area: Rect) -> (Rect, Vec<HelpLine>, usize) {
    let w = area.width.saturating_sub(4).min(86);
    let inner_w = w.saturating_sub(2) as usize;
    let key_text = |b: &crate::ui::keys::Binding| {
        b.keys
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // The keys column as wide as the widest keys, plus two spaces.
    let keys_w = keys
        .bindings
        .iter()
        .map(|b| key_text(b).chars().count() + 2)
        .max()
        .unwrap_or(0)
        .min(inner_w / 2);
    let mut lines = Vec::new();
    for b in &keys.bindings {
        let desc = escape_str(&b.description);
        for (i, part) in wrap(&desc, inner_w.saturating_sub(keys_w))
            .into_iter()
            .enumerate()
        {
            lines.push(HelpLine {
                keys: if i == 0 { key_text(b) } else { String::new() },
                text: part,
                dim: false,
            });
        }
    }
    for note in [
        "marks: - eliminated  + added  ~ changed  > moved  = carried  * mixed",
        "mouse: the wheel scrolls, a click selects, a click on the selection toggles",
    ] {
        for part in wrap(note, inner_w) {
            lines.push(HelpLine {
                keys: String::new(),
                text: part,
                dim: true,
            });
        }
    }
    let h = (lines.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    (r, lines, keys_w)
}

/// Lines the help overlay shows at once, and lines it has, on a terminal
/// of `size`: what scrolling it is bounded by.
pub(crate) fn help_page(keys: &KeyMap, size: (u16, u16)) -> (usize, usize) {
    let (r, lines, _) = help_layout(keys, Rect::new(0, 0, size.0, size.1));
    (r.height.saturating_sub(2) as usize, lines.len())
}

/// `text` cut at spaces into lines of at most `width` characters (a word
/// longer than that is cut where it must).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let (lw, ww) = (line.chars().count(), word.chars().count());
        if lw > 0 && lw + 1 + ww > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
        while line.chars().count() > width {
            let rest: String = line.chars().skip(width).collect();
            line = line.chars().take(width).collect();
            out.push(std::mem::replace(&mut line, rest));
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

impl Widget for Help<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Help { model, theme } = self;
        let (r, lines, keys_w) = help_layout(&model.keys, area);
        let shown = r.height.saturating_sub(2) as usize;
        let first = model.help_scroll.min(lines.len().saturating_sub(shown));
        let mut block = Block::new()
            .borders(Borders::ALL)
            .border_style(theme.border(true))
            .title(Line::styled(
                if shown < lines.len() {
                    " Keys · ↑↓ PgUp PgDn scroll · ? or Esc closes "
                } else {
                    " Keys · ? or Esc closes "
                },
                Style::new().add_modifier(Modifier::BOLD),
            ));
        if shown < lines.len() {
            // Where the window is, and whether there is more.
            let last = (first + shown).min(lines.len());
            let more = if last < lines.len() {
                "more below ↓"
            } else {
                "end"
            };
            block = block.title_bottom(
                Line::styled(
                    format!(" {}–{}/{} · {more} ", first + 1, last, lines.len()),
                    theme.fg(Color::Yellow),
                )
                .right_aligned(),
            );
        }
        Clear.render_ref(r, buf);
        let inner = block.inner(r);
        block.render_ref(r, buf);
        let text: Vec<Line> = lines
            .into_iter()
            .skip(first)
            .take(shown)
            .map(|l| {
                if l.dim {
                    Line::styled(l.text, theme.dim())
                } else {
                    Line::from(vec![
                        Span::styled(
                            format!("{:<keys_w$}", l.keys),
                            Style::new()
                                .add_modifier(Modifier::BOLD)
                                .patch(theme.fg(Color::Cyan)),
                        ),
                        Span::raw(l.text),
                    ])
                }
            })
            .collect();
        Paragraph::new(text).render_ref(inner, buf);
    }
}

#[cfg(test)]
mod tests {
    use super::{join_keys, wrap};

    #[test]
    fn help_text_wraps_at_spaces() {
        assert_eq!(wrap("a bb ccc", 4), ["a bb", "ccc"]);
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("short", 10), ["short"]);
        assert_eq!(wrap("", 10), [""]);
    }

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
