//! The details of the selected node, and the placeholder of the analysis
//! screens while there is nothing to list.

use super::{pane_block, side_name, RenderRef, Theme};
use crate::analysis::closure::Sure;
use crate::binary::FileFacts;
use crate::escape::escape_bytes;
use crate::format;
use crate::image::{EntryKind, Layer};
use crate::tree::{FileTree, NodeId};
use crate::ui::jobs::Loaded;
use crate::ui::layout::Pane;
use crate::ui::model::Model;
use crate::ui::model::Screen;
use crate::ui::tree::Mark;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
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
        if let Pane::Layers(slot) = model.focus {
            if let Some(l) = model.slots.get(slot).and_then(|s| s.loaded()) {
                let i = model.layers[slot].selected;
                let lines = match model.range().filter(|r| r.0 == slot) {
                    Some((_, first, last)) => range_lines(theme, model, l, first, last),
                    None => layer_lines(theme, l, i),
                };
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .render_ref(inner, buf);
                return;
            }
        }
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
                Span::styled(
                    if model.layer_words() {
                        n.mark.layer_name()
                    } else {
                        n.mark.name()
                    },
                    theme.mark(n.mark),
                ),
            ]));
        }
        if let Some(b) = n.shown_badge() {
            lines.push(Line::from(vec![key("badge"), Span::raw(b.into_owned())]));
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
                Span::raw(format!("{} · {created}", format::layer_number(f.layer))),
            ]));
            if let Some(l) = model.slots[*slot].loaded() {
                // What the file's bytes say it is, and whether the app uses it.
                binary_lines(&mut lines, &key, files.get(), &l.image.layers, nid);
            }
            // Whether the entrypoint uses the file, when its closure is known
            // (directories are neither).
            let closure = model
                .closure_for(files)
                .filter(|_| f.kind != EntryKind::Dir);
            if let Some(closure) = closure {
                match closure.items.get(&nid) {
                    Some(item) => {
                        let how = if item.sure == Sure::Optional {
                            "may read"
                        } else {
                            "needed"
                        };
                        lines.push(Line::from(vec![
                            key("runtime"),
                            Span::raw(format!("{how} · {}", item.part.label())),
                        ]));
                        // `why` holds paths escaped already: keep their `\`.
                        lines.push(Line::from(vec![
                            key("why"),
                            Span::raw(crate::escape::line(&item.why).into_owned()),
                        ]));
                    }
                    None => lines.push(Line::from(vec![
                        key("runtime"),
                        Span::raw("never used by the entrypoint"),
                    ])),
                }
            }
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

/// The details of a range of layers: what it adds, modifies and deletes
/// as a whole, then each layer's command.
fn range_lines(
    theme: Theme,
    model: &Model,
    l: &Loaded,
    first: usize,
    last: usize,
) -> Vec<Line<'static>> {
    let key = |k: &str| Span::styled(format!("{k:<9}"), theme.dim());
    let layers = l.image.layers.get(first..=last).unwrap_or_default();
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format::layer_span(first as u64, last as u64),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            " · {} in layers",
            format::size(layers.iter().map(|l| l.size).sum())
        )),
    ])];
    match model.range_totals() {
        Some(t) => {
            let tally = |name: &str, t: crate::analysis::range::Tally, mark: Mark| {
                Line::from(vec![
                    key(name),
                    Span::styled(
                        format!(
                            "{} · {}",
                            format::plural(t.entries, "entry", "entries"),
                            format::size(t.bytes)
                        ),
                        theme.mark(mark),
                    ),
                ])
            };
            lines.push(tally("added", t.added, Mark::Added));
            lines.push(tally("modified", t.modified, Mark::Changed));
            lines.push(tally("deleted", t.deleted, Mark::Eliminated));
            if t.unchanged > 0 {
                lines.push(Line::from(vec![
                    key("same"),
                    Span::styled(
                        format!(
                            "{} rewritten as they were",
                            format::plural(t.unchanged, "entry", "entries")
                        ),
                        theme.dim(),
                    ),
                ]));
            }
        }
        None => lines.push(Line::styled("computing…", theme.fg(Color::Yellow))),
    }
    for (i, layer) in (first..).zip(layers) {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:>2} ", format::layer_number(i as u64)),
                theme.dim(),
            ),
            Span::raw(match layer.created_by.as_deref() {
                Some(c) => format::created_by(Some(c)),
                None => "(no history)".into(),
            }),
        ]));
    }
    lines
}

/// Wasted paths a layer's details list before "+N more".
const WASTED_SHOWN: usize = 12;

/// The details of layer `i`: its whole command, sizes, and what of it a
/// later layer hides (dive's wasted list, for this layer).
fn layer_lines(theme: Theme, l: &Loaded, i: usize) -> Vec<Line<'static>> {
    let key = |k: &str| Span::styled(format!("{k:<9}"), theme.dim());
    let Some(layer) = l.image.layers.get(i) else {
        return Vec::new();
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(
            format!("layer {}", format::layer_number(i as u64)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            " · {} · {}",
            format::size(layer.size),
            format::plural(layer.entries.len() as u64, "entry", "entries")
        )),
    ])];
    let command = match layer.created_by.as_deref() {
        Some(c) => format::created_by(Some(c)),
        None => "(no history)".into(),
    };
    lines.push(Line::from(vec![key("command"), Span::raw(command)]));
    let wasted = l.waste.wasted_in_layer.get(i).copied().unwrap_or(0);
    let hides = l.waste.hidden_by_layer.get(i).copied().unwrap_or(0);
    lines.push(Line::from(vec![
        key("wasted"),
        Span::styled(
            format!("{} of it hidden by later layers", format::size(wasted)),
            if wasted > 0 {
                theme.fg(Color::Yellow)
            } else {
                Style::new()
            },
        ),
    ]));
    if hides > 0 {
        lines.push(Line::from(vec![
            key("hides"),
            Span::raw(format!("{} of earlier layers", format::size(hides))),
        ]));
    }
    let here: Vec<_> = l
        .waste
        .paths
        .iter()
        .filter(|p| p.written_in.contains(&(i as u32)))
        .collect();
    for p in here.iter().take(WASTED_SHOWN) {
        lines.push(Line::from(vec![
            Span::styled(format!("{:>9} ", format::size(p.bytes)), theme.dim()),
            Span::styled(
                format!(
                    "{} {}  ",
                    if p.deleted {
                        "deleted in"
                    } else {
                        "rewritten in"
                    },
                    format::layer_number(p.hidden_by)
                ),
                theme.dim(),
            ),
            Span::raw(crate::image::entry::display_path(&p.path)),
        ]));
    }
    if here.len() > WASTED_SHOWN {
        lines.push(Line::styled(
            format!("… {} more", here.len() - WASTED_SHOWN),
            theme.dim(),
        ));
    }
    lines
}

/// Most needed libraries the pane lists before "+N more".
const NEEDED_SHOWN: usize = 4;

/// The lines that name a binary or script: kind, loader, libraries,
/// search path, Go/Rust identity; or the `#!` line.
fn binary_lines(
    lines: &mut Vec<Line<'static>>,
    key: &dyn Fn(&str) -> Span<'static>,
    tree: &FileTree,
    layers: &[Layer],
    id: NodeId,
) {
    let Some(facts) = tree.facts(layers, id) else {
        return;
    };
    let row = |k: &str, v: String| Line::from(vec![key(k), Span::raw(v)]);
    match facts {
        FileFacts::Elf(e) => {
            let mut kind = e.kind().to_string();
            if let Some(go) = &e.go {
                // The summary escapes the image text it quotes; `line` only
                // makes sure of the controls (escaping twice would double `\`).
                kind.push_str(&format!(" · {}", crate::escape::line(&go.summary())));
            } else if let Some(rust) = &e.rust {
                kind.push_str(&format!(
                    " · Rust, {}",
                    format::plural(rust.len() as u64, "crate", "crates")
                ));
            }
            lines.push(row("binary", kind));
            if let Some(i) = &e.interp {
                lines.push(row("loader", escape_bytes(i).into_owned()));
            }
            if let Some(s) = &e.soname {
                lines.push(row("soname", escape_bytes(s).into_owned()));
            }
            if !e.needed.is_empty() {
                let mut v = e
                    .needed
                    .iter()
                    .take(NEEDED_SHOWN)
                    .map(|n| escape_bytes(n).into_owned())
                    .collect::<Vec<_>>()
                    .join(", ");
                if e.needed.len() > NEEDED_SHOWN {
                    v.push_str(&format!(" +{} more", e.needed.len() - NEEDED_SHOWN));
                }
                lines.push(row("needs", v));
            }
            if let Some(r) = e.runpath.as_ref().or(e.rpath.as_ref()) {
                let k = if e.runpath.is_some() {
                    "runpath"
                } else {
                    "rpath"
                };
                lines.push(row(k, escape_bytes(r).into_owned()));
            }
        }
        FileFacts::Script(s) => {
            lines.push(row("script", format!("#!{}", escape_bytes(&s.shebang))));
        }
    }
}

pub struct Pending<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

impl Widget for Pending<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let Pending { model, theme } = self;
        let title = match (model.compare(), model.screen == Screen::Eliminated) {
            (true, true) => " Eliminated: what the multi-stage build removed ",
            (true, false) => " Audit: what still ships in AFTER ",
            (false, true) => " Would go: what a multi-stage build would remove ",
            (false, false) => " Needs: what the entrypoint uses ",
        };
        let block = pane_block(
            theme,
            Line::styled(title, Style::new().add_modifier(Modifier::BOLD)),
            true,
        );
        let inner = block.inner(area);
        block.render_ref(area, buf);
        let msg = if !model.compare() {
            "Reading the entrypoint's closure… this view fills in when it is done."
        } else {
            "Comparing… this view fills in when the comparison is done."
        };
        Paragraph::new(Line::styled(msg, theme.dim()))
            .wrap(Wrap { trim: true })
            .render_ref(inner, buf);
    }
}
