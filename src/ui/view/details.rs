//! The details of the selected node, and the placeholder of the analysis
//! screens while there is nothing to list.

use super::{pane_block, side_name, RenderRef, Theme};
use crate::escape::escape_bytes;
use crate::escape::escape_str;
use crate::format;
use crate::ui::model::Model;
use crate::ui::model::Screen;
use crate::ui::tree::Mark;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;
use ratatui::widgets::{Paragraph, Wrap};

pub struct Details<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

impl Widget for Details<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Details { model, theme } = self;
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
            for (mark, files) in pane.mixed_counts(id) {
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
            let (Some(nid), Some((slot, files))) =
                (n.origin[side], pane.origins.files[side].as_ref())
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
                if let Some((label, path)) = files.moved(facts) {
                    lines.push(Line::from(vec![key(label), Span::raw(path)]));
                }
            }
        }
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .render_ref(inner, buf);
    }
}

pub struct Pending<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

impl Widget for Pending<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Pending { model, theme } = self;
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
}
