//! Screen 0, the first one: the answer at a glance. A comparison shows
//! how much went, each bucket as a bar with its top owners, packages gone,
//! what moved and was carried, the audit verdict; one image shows its
//! layers by size, wasted space, largest directories and the plan's
//! prediction. Both end with what to press next. Rows that matter less
//! (spacers, second lines, small buckets) give way when the terminal is
//! short, so 80×24 holds the answer and 200×60 the detail.

use super::{pane_block, RenderRef, Theme};
use crate::escape::escape_str;
use crate::format;
use crate::ui::keys::Command;
use crate::ui::model::{Model, SlotState};
use crate::ui::overview::{BucketBar, ImageOverview, PairOverview, PlanOverview, Share};
use crate::ui::tree::Mark;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

/// Width of the label column (`language-deps` fits).
const LABEL: usize = 14;
/// Layers listed at most; the rest are summed on one row.
const MAX_LAYERS: usize = 10;

pub struct OverviewView<'a> {
    pub model: &'a Model,
    pub theme: Theme,
}

/// A row of the overview and how readily it gives way: 0 never; higher
/// levels go first, and within a level the lower row on screen goes first.
struct Row {
    line: Line<'static>,
    drop: u8,
    /// The bucket this row is the bar of; its last span names the owners.
    bucket: Option<usize>,
    /// The bucket whose owners this row spells out (then the bucket's own
    /// row leaves them out).
    owners_of: Option<usize>,
}

impl Row {
    fn new(line: Line<'static>, drop: u8) -> Row {
        Row {
            line,
            drop,
            bucket: None,
            owners_of: None,
        }
    }
}

/// Spacers give way after the extra detail ([`EXTRA`]) and before
/// anything else.
const SPACER: u8 = 8;
/// Rows that only add detail (small directories and layers, the largest
/// files gone): they go before spacers.
const EXTRA: u8 = 9;
/// Detail of detail (more wasted paths, the prediction's smaller buckets):
/// the first to go.
const EXTRA_FIRST: u8 = 10;

fn spacer() -> Row {
    Row::new(Line::raw(""), SPACER)
}

/// Which rows fit in `height`: the droppable ones go, highest level first,
/// bottom-most first within a level.
fn fit(rows: &[Row], height: usize) -> Vec<bool> {
    let mut keep = vec![true; rows.len()];
    let mut n = rows.len();
    for level in (1..=EXTRA_FIRST).rev() {
        for i in (0..rows.len()).rev() {
            if n <= height {
                return keep;
            }
            if rows[i].drop == level {
                keep[i] = false;
                n -= 1;
            }
        }
    }
    keep
}

/// `██████········`: `part`'s share of `whole` in `width` cells; any bytes
/// at all show as one cell.
fn bar(theme: Theme, part: u64, whole: u64, width: usize, fill: Style) -> Vec<Span<'static>> {
    let cells = if whole == 0 || part == 0 {
        0
    } else {
        (((part as f64 / whole as f64) * width as f64).round() as usize).max(1)
    }
    .min(width);
    vec![
        Span::styled("█".repeat(cells), fill),
        Span::styled("·".repeat(width - cells), theme.dim()),
    ]
}

/// A line cut to `width` cells, an ellipsis where it was cut.
fn clip(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let style = line.style;
    let mut spans = Vec::new();
    let mut room = width;
    for s in line.spans {
        let w = s.width();
        if w < room {
            room -= w;
            spans.push(s);
            continue;
        }
        let mut cut: String = s.content.chars().take(room.saturating_sub(1)).collect();
        cut.push('…');
        spans.push(Span::styled(cut, s.style));
        break;
    }
    Line::from(spans).style(style)
}

/// The owners of a bucket in at most `room` characters, the most that
/// fits: full labels with sizes, short names with sizes (all, then the top
/// two, then the top one), short names alone.
fn owners_text(owners: &[Share], more: usize, room: usize) -> String {
    let text = |n: usize, f: &dyn Fn(&Share) -> String| {
        let mut s = owners.iter().take(n).map(f).collect::<Vec<_>>().join(", ");
        let rest = more + owners.len().saturating_sub(n);
        if rest > 0 {
            s.push_str(&format!(", +{rest} more"));
        }
        s
    };
    let full = |o: &Share| format!("{} {}", o.label, format::size(o.bytes));
    let short = |o: &Share| format!("{} {}", o.short, format::size(o.bytes));
    let name = |o: &Share| o.short.clone();
    let all = owners.len();
    let candidates = [
        text(all, &full),
        text(all, &short),
        text(2, &short),
        text(all, &name),
        text(1, &short),
    ];
    let fits = candidates.iter().find(|c| c.chars().count() <= room);
    format::truncate(fits.unwrap_or(&candidates[3]), room)
}

impl Widget for OverviewView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let OverviewView { model, theme } = self;
        let what = if model.compare() {
            "what the multi-stage build removed"
        } else {
            "the image at a glance"
        };
        let title = Line::from(vec![
            Span::styled(" Overview ", Style::new().add_modifier(Modifier::BOLD)),
            Span::styled(format!("· {what} "), theme.dim()),
        ]);
        let block = pane_block(theme, title, true);
        let inner = block.inner(area);
        block.render_ref(area, buf);
        let w = inner.width as usize;
        let ctx = Ctx { model, theme, w };
        let rows = if model.compare() {
            match &model.pair_overview {
                Some(o) => ctx.pair(o),
                None => ctx.pair_pending(),
            }
        } else {
            match model.slots.first().and_then(|s| s.loaded()) {
                Some(l) => ctx.image(&l.overview, model.plan_overview.as_ref()),
                None => Vec::new(),
            }
        };
        let keep = fit(&rows, inner.height as usize);
        let kept_owner_rows: Vec<usize> = rows
            .iter()
            .zip(&keep)
            .filter_map(|(r, &k)| if k { r.owners_of } else { None })
            .collect();
        let mut y = inner.y;
        for (row, k) in rows.into_iter().zip(keep) {
            if !k || y >= inner.bottom() {
                continue;
            }
            let mut line = row.line;
            // A bucket row whose owners have a row of their own ends at
            // its bar.
            if row.bucket.is_some_and(|i| kept_owner_rows.contains(&i)) {
                line.spans.pop();
            }
            buf.set_line(inner.x, y, &clip(line, inner.width as usize), inner.width);
            y += 1;
        }
    }
}

struct Ctx<'a> {
    model: &'a Model,
    theme: Theme,
    w: usize,
}

impl Ctx<'_> {
    fn label(&self, s: &str) -> Span<'static> {
        Span::styled(
            format!("{s:<LABEL$}"),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }

    fn key(&self, c: Command) -> Option<String> {
        self.model
            .keys
            .binding(c)
            .and_then(|b| b.keys.first())
            .map(|k| k.to_string())
    }

    /// `Next  2 what went · 3 what ships · 1 both trees · ? keys`, from the
    /// key map (keys may be rebound); each item's long text when all fit,
    /// else its short one.
    fn next(&self, items: &[(Command, &str, &str)]) -> Row {
        let long = self.next_line(items.iter().map(|&(c, l, _)| (c, l)));
        if long.width() <= self.w {
            return Row::new(long, 0);
        }
        Row::new(self.next_line(items.iter().map(|&(c, _, s)| (c, s))), 0)
    }

    fn next_line<'s>(&self, items: impl Iterator<Item = (Command, &'s str)>) -> Line<'static> {
        let mut spans = vec![self.label("Next")];
        let mut first = true;
        for (c, what) in items {
            let Some(k) = self.key(c) else { continue };
            if !first {
                spans.push(Span::styled(" · ", self.theme.dim()));
            }
            first = false;
            spans.push(Span::styled(
                k,
                Style::new()
                    .add_modifier(Modifier::BOLD)
                    .patch(self.theme.fg(Color::Cyan)),
            ));
            spans.push(Span::raw(format!(" {what}")));
        }
        Line::from(spans)
    }

    fn bar_width(&self) -> usize {
        (self.w.saturating_sub(LABEL + 18) / 4).clamp(8, 40)
    }

    /// What is left of a bucket's row after its bar, for its owners.
    fn inline_room(&self) -> usize {
        self.w.saturating_sub(LABEL + 18 + self.bar_width() + 2)
    }

    /// `toolchain     457.75 MB  52.2% ██████····  Go 1.19, …`: bucket `i`
    /// under `label`.
    fn bucket_row(&self, i: usize, label: &str, b: &BucketBar, whole: u64, drop: u8) -> Row {
        let bw = self.bar_width();
        let mark = Mark::Eliminated;
        let mut spans = vec![Span::styled(
            format!("{:<LABEL$}", format::truncate(label, LABEL - 1)),
            self.theme.mark(mark),
        )];
        spans.push(Span::raw(format!(
            "{:>10} {:>6} ",
            format::size(b.bytes),
            format::percent(b.bytes, whole)
        )));
        spans.extend(bar(self.theme, b.bytes, whole, bw, self.theme.mark(mark)));
        let room = self.inline_room();
        spans.push(Span::styled(
            format!("  {}", owners_text(&b.owners, b.more, room)),
            self.theme.dim(),
        ));
        Row {
            bucket: Some(i),
            ..Row::new(Line::from(spans), drop)
        }
    }

    /// The owners of bucket `i` on a row of their own, sizes included.
    fn owners_row(&self, i: usize, b: &BucketBar, drop: u8) -> Row {
        let room = self.w.saturating_sub(LABEL + 2);
        Row {
            line: Line::from(vec![
                Span::raw(" ".repeat(LABEL + 2)),
                Span::styled(owners_text(&b.owners, b.more, room), self.theme.dim()),
            ]),
            drop,
            bucket: None,
            owners_of: Some(i),
        }
    }

    fn reduction(&self, before: u64, after: u64) -> Row {
        let text = if after <= before {
            format!(
                "{} ({} smaller) · {} → {}",
                format::size(before - after),
                format::percent(before - after, before),
                format::size(before),
                format::size(after)
            )
        } else {
            format!(
                "AFTER is {} larger · {} → {}",
                format::size(after - before),
                format::size(before),
                format::size(after)
            )
        };
        let label = if after <= before {
            "Reduction"
        } else {
            "Growth"
        };
        Row::new(Line::from(vec![self.label(label), Span::raw(text)]), 0)
    }

    /// A tally row: `Carried  6.46 MB in 1 file · largest /app`.
    fn tally(&self, label: &str, t: &crate::ui::overview::Tally, drop: u8) -> Row {
        let mut spans = vec![self.label(label)];
        if t.files == 0 && t.bytes == 0 {
            spans.push(Span::styled("nothing", self.theme.dim()));
        } else {
            spans.push(Span::raw(format!(
                "{} in {}",
                format::size(t.bytes),
                format::plural(u64::from(t.files), "file", "files")
            )));
            if let Some(e) = &t.example {
                spans.push(Span::styled(format!(" · largest {e}"), self.theme.dim()));
            }
        }
        Row::new(Line::from(spans), drop)
    }

    fn pair(&self, o: &PairOverview) -> Vec<Row> {
        let theme = self.theme;
        let mut rows = vec![self.reduction(o.before_bytes, o.after_bytes)];
        if o.buckets.is_empty() {
            rows.push(Row::new(
                Line::from(vec![
                    self.label("Eliminated"),
                    Span::raw("nothing: every file of BEFORE is in AFTER"),
                ]),
                0,
            ));
        } else {
            rows.push(Row::new(
                Line::from(vec![
                    self.label("Eliminated"),
                    Span::styled(
                        format!(
                            "{} in {}",
                            format::size(o.eliminated_bytes),
                            format::plural(u64::from(o.eliminated_files), "file", "files")
                        ),
                        theme.mark(Mark::Eliminated).add_modifier(Modifier::BOLD),
                    ),
                    Span::styled(", by bucket and owner:", theme.dim()),
                ]),
                0,
            ));
        }
        for (i, b) in o.buckets.iter().enumerate() {
            // The biggest bucket always shows; smaller ones give way last.
            let drop = if i == 0 { 0 } else { 3 };
            rows.push(self.bucket_row(i, b.bucket, b, o.eliminated_bytes, drop));
            // A row of their own when it says more than the bar's row can.
            let inline = owners_text(&b.owners, b.more, self.inline_room());
            let own_row = owners_text(&b.owners, b.more, self.w.saturating_sub(LABEL + 2));
            if own_row != inline {
                rows.push(self.owners_row(i, b, 7));
            }
        }
        for (i, (path, bytes, badge)) in o.largest_gone.iter().enumerate() {
            let mut spans = vec![
                self.label(if i == 0 { "Largest gone" } else { "" }),
                Span::raw(format!("{:>10}  ", format::size(*bytes))),
                Span::styled(path.clone(), theme.mark(Mark::Eliminated)),
            ];
            if let Some(b) = badge {
                spans.push(Span::styled(format!("  {b}"), theme.fg(Color::Magenta)));
            }
            if i == 0 {
                // Goes with the list (it is the lowest row of its level).
                rows.push(Row::new(Line::raw(""), EXTRA));
            }
            rows.push(Row::new(Line::from(spans), EXTRA));
        }
        rows.push(spacer());
        if let Some(crate::ui::overview::PackagesGone { gone, of, biggest }) = &o.packages_gone {
            let mut spans = vec![
                self.label("Packages gone"),
                Span::raw(format!("{gone} of BEFORE's {}", format::count(*of as u64))),
            ];
            if !biggest.is_empty() {
                let names: Vec<String> = biggest
                    .iter()
                    .map(|(n, b)| format!("{n} {}", format::size(*b)))
                    .collect();
                let more = gone.saturating_sub(biggest.len());
                let tail = if more > 0 {
                    format!(", +{more} more")
                } else {
                    String::new()
                };
                spans.push(Span::styled(
                    format!(" · {}{tail}", names.join(", ")),
                    theme.dim(),
                ));
            }
            rows.push(Row::new(Line::from(spans), 4));
        }
        rows.push(self.tally("Moved", &o.moved, 4));
        rows.push(self.tally("Carried", &o.carried, 4));
        if o.changed.files > 0 {
            rows.push(self.tally("Changed", &o.changed, 6));
        }
        if o.added.files > 0 {
            rows.push(self.tally("Added", &o.added, 6));
        }
        let mut audit = vec![self.label("Audit")];
        if o.findings.is_empty() {
            audit.push(Span::styled(
                "clean: no toolchain, shell, package manager or secret",
                theme.fg(Color::Green),
            ));
            rows.push(Row::new(Line::from(audit), 0));
        } else {
            let n: usize = o.findings.iter().map(|f| f.count).sum();
            audit.push(Span::styled(
                format::plural(n as u64, "finding", "findings"),
                theme.fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
            let kinds: Vec<String> = o
                .findings
                .iter()
                .map(|f| format!("{} {}", f.kind, f.count))
                .collect();
            audit.push(Span::styled(
                format!(" · {}", kinds.join(", ")),
                theme.dim(),
            ));
            rows.push(Row::new(Line::from(audit), 0));
            for f in &o.findings {
                rows.push(Row::new(
                    Line::from(vec![
                        Span::raw(" ".repeat(LABEL)),
                        Span::styled(format!("{:<16}", f.kind), theme.fg(Color::Yellow)),
                        Span::raw(format!("{:>10}  ", format::size(f.bytes))),
                        Span::raw(f.first.clone()),
                        Span::styled(
                            if f.count > 1 {
                                format!(" +{} more", f.count - 1)
                            } else {
                                String::new()
                            },
                            theme.dim(),
                        ),
                    ]),
                    EXTRA,
                ));
            }
        }
        if let Some(crate::ui::overview::NeverUsed {
            needed,
            bytes,
            files,
            owners,
        }) = &o.unused
        {
            let mut spans = vec![self.label("Never used")];
            if *files == 0 && *bytes == 0 {
                spans.push(Span::styled(
                    format!(
                        "nothing: AFTER's entrypoint needs all it ships ({})",
                        format::size(*needed)
                    ),
                    theme.fg(Color::Green),
                ));
            } else {
                spans.push(Span::styled(
                    format!(
                        "{} in {} of AFTER",
                        format::size(*bytes),
                        format::plural(u64::from(*files), "file", "files")
                    ),
                    theme.fg(Color::Yellow),
                ));
                spans.push(Span::styled(
                    format!(" · it needs {}", format::size(*needed)),
                    theme.dim(),
                ));
                if !owners.is_empty() {
                    let room = self.w.saturating_sub(LABEL + 40);
                    spans.push(Span::styled(
                        format!(" · {}", owners_text(owners, 0, room)),
                        theme.dim(),
                    ));
                }
            }
            rows.push(Row::new(Line::from(spans), 4));
        }
        rows.push(spacer());
        rows.push(self.next(&[
            (
                Command::ViewEliminated,
                "what went, bucket → owner → file",
                "what went",
            ),
            (
                Command::ViewAudit,
                "what AFTER ships, needed or not",
                "what AFTER ships",
            ),
            (Command::ViewTree, "both trees side by side", "both trees"),
            (Command::Help, "every key", "keys"),
        ]));
        rows
    }

    /// Both images are in, the comparison is not (or an image failed).
    fn pair_pending(&self) -> Vec<Row> {
        let model = self.model;
        let sizes: Vec<Option<u64>> = model
            .slots
            .iter()
            .map(|s| s.loaded().map(|l| l.image.size()))
            .collect();
        let mut rows = Vec::new();
        if let [Some(b), Some(a)] = sizes[..] {
            rows.push(self.reduction(b, a));
        }
        let failed = model
            .slots
            .iter()
            .enumerate()
            .find_map(|(i, s)| match &s.state {
                SlotState::Failed(e) => Some((["BEFORE", "AFTER"][i.min(1)], e)),
                _ => None,
            });
        match failed {
            Some((side, e)) => rows.push(Row::new(
                Line::from(vec![
                    self.label(side),
                    Span::styled(
                        format!("failed: {}", escape_str(e)),
                        self.theme.fg(Color::Red),
                    ),
                ]),
                0,
            )),
            None => rows.push(Row::new(
                Line::from(vec![
                    self.label("Comparing"),
                    Span::styled(
                        "BEFORE with AFTER: buckets, owners and the audit come next…",
                        self.theme.dim(),
                    ),
                ]),
                0,
            )),
        }
        rows.push(spacer());
        rows.push(self.next(&[
            (
                Command::ViewTree,
                "BEFORE's tree meanwhile",
                "BEFORE's tree",
            ),
            (Command::Help, "every key", "keys"),
        ]));
        rows
    }

    fn image(&self, o: &ImageOverview, plan: Option<&PlanOverview>) -> Vec<Row> {
        let theme = self.theme;
        let mut rows = vec![Row::new(
            Line::from(vec![
                self.label("Size"),
                Span::styled(
                    format::size(o.bytes),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(
                    " in {} · {} · {}",
                    format::plural(o.layers.len() as u64, "layer", "layers"),
                    format::plural(u64::from(o.files), "file", "files"),
                    o.platform
                )),
            ]),
            0,
        )];
        let bw = self.bar_width().min(20);
        let fill = theme.fg(Color::Cyan);
        let whole: u64 = o.layers.iter().map(|l| l.bytes).sum();
        for (i, l) in o.layers.iter().take(MAX_LAYERS).enumerate() {
            let mut spans = vec![
                self.label(if i == 0 { "Layers" } else { "" }),
                Span::styled(
                    format!("{:>3} ", format::layer_number(l.index as u64)),
                    theme.dim(),
                ),
                Span::raw(format!(
                    "{:>10} {:>6} ",
                    format::size(l.bytes),
                    format::percent(l.bytes, whole)
                )),
            ];
            spans.extend(bar(theme, l.bytes, whole, bw, fill));
            spans.push(Span::raw("  "));
            if l.wasted > 0 {
                spans.push(Span::styled(
                    format!("{} wasted · ", format::size(l.wasted)),
                    theme.fg(Color::Yellow),
                ));
            }
            spans.push(Span::raw(l.command.clone()));
            // The largest layer always shows, the next two give way late,
            // the rest early.
            let drop = match i {
                0 => 0,
                1 | 2 => 4,
                _ => EXTRA,
            };
            rows.push(Row::new(Line::from(spans), drop));
        }
        if o.layers.len() > MAX_LAYERS {
            let rest = &o.layers[MAX_LAYERS..];
            rows.push(Row::new(
                Line::from(vec![
                    self.label(""),
                    Span::styled(
                        format!(
                            "… {} smaller, {} together",
                            format::plural(rest.len() as u64, "layer", "layers"),
                            format::size(rest.iter().map(|l| l.bytes).sum())
                        ),
                        theme.dim(),
                    ),
                ]),
                EXTRA,
            ));
        }
        rows.push(spacer());
        let mut wasted = vec![
            self.label("Wasted"),
            Span::styled(
                format::size(o.wasted),
                if o.wasted > 0 {
                    theme.fg(Color::Yellow)
                } else {
                    Style::new()
                },
            ),
            Span::raw(format!(" · {:.1} % efficient", o.efficiency * 100.0)),
        ];
        let describe = |p: &crate::ui::overview::Wasted| {
            format!(
                "{} {} (layer {}, {} by {})",
                p.path,
                format::size(p.bytes),
                format::layer_number(p.layer),
                if p.deleted { "deleted" } else { "overwritten" },
                format::layer_number(p.hidden_by)
            )
        };
        if let Some(p) = o.wasted_paths.first() {
            wasted.push(Span::styled(format!(" · {}", describe(p)), theme.dim()));
        }
        rows.push(Row::new(Line::from(wasted), 4));
        for p in o.wasted_paths.iter().skip(1) {
            rows.push(Row::new(
                Line::from(vec![self.label(""), Span::styled(describe(p), theme.dim())]),
                EXTRA_FIRST,
            ));
        }
        if o.wasted_more > 0 && o.wasted_paths.len() > 1 {
            rows.push(Row::new(
                Line::from(vec![
                    self.label(""),
                    Span::styled(
                        format!(
                            "… {} more",
                            format::plural(o.wasted_more as u64, "path", "paths")
                        ),
                        theme.dim(),
                    ),
                ]),
                EXTRA_FIRST,
            ));
        }
        rows.push(spacer());
        let pw = o
            .dirs
            .iter()
            .map(|d| d.0.chars().count())
            .max()
            .unwrap_or(0)
            .min(self.w / 2);
        for (i, (path, bytes)) in o.dirs.iter().enumerate() {
            let mut spans = vec![
                self.label(if i == 0 { "Directories" } else { "" }),
                Span::raw(format!("{:<pw$} ", format::truncate(path, pw))),
                Span::raw(format!(
                    "{:>10} {:>6} ",
                    format::size(*bytes),
                    format::percent(*bytes, o.visible)
                )),
            ];
            spans.extend(bar(theme, *bytes, o.visible, bw, Style::new()));
            let drop = match i {
                0 => 0,
                1 | 2 => 4,
                _ => EXTRA,
            };
            rows.push(Row::new(Line::from(spans), drop));
        }
        rows.push(spacer());
        rows.extend(self.prediction(plan));
        rows.push(spacer());
        rows.push(self.next(&[
            (
                Command::ViewTree,
                "the tree and its layers",
                "tree and layers",
            ),
            (
                Command::ViewEliminated,
                "what a multi-stage build would remove",
                "what would go",
            ),
            (
                Command::ViewAudit,
                "what the entrypoint needs",
                "what it needs",
            ),
            (Command::Help, "every key", "keys"),
        ]));
        rows
    }

    fn prediction(&self, plan: Option<&PlanOverview>) -> Vec<Row> {
        let theme = self.theme;
        let Some(p) = plan else {
            return vec![Row::new(
                Line::from(vec![
                    self.label("Prediction"),
                    Span::styled("reading the entrypoint's closure…", theme.dim()),
                ]),
                0,
            )];
        };
        if !p.program {
            return vec![Row::new(
                Line::from(vec![
                    self.label("Prediction"),
                    Span::styled(p.runs.clone(), theme.dim()),
                ]),
                0,
            )];
        }
        let base = if p.exact {
            format!("FROM {} would do", p.base)
        } else {
            format!("FROM {} + the closure, partly inferred", p.base)
        };
        let mut rows = vec![Row::new(
            Line::from(vec![
                self.label("Prediction"),
                Span::styled(
                    format!("runtime ≈ {}", format::size(p.runtime_bytes)),
                    theme.fg(Color::Green).add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(" · {base} · ")),
                Span::styled(
                    format!("{} would go", format::size(p.removable_bytes)),
                    theme.mark(Mark::Eliminated),
                ),
                Span::styled(
                    format!(
                        " ({} of {})",
                        format::percent(p.removable_bytes, p.image_bytes),
                        format::size(p.image_bytes)
                    ),
                    theme.dim(),
                ),
            ]),
            0,
        )];
        rows.push(Row::new(
            Line::from(vec![
                self.label(""),
                Span::styled(format!("runs {}", p.runs), theme.dim()),
            ]),
            5,
        ));
        for (i, b) in p.buckets.iter().enumerate() {
            // Indented under the prediction.
            let label = format!("  {}", b.bucket);
            let drop = if i == 0 { 7 } else { EXTRA_FIRST };
            rows.push(self.bucket_row(i, &label, b, p.removable_bytes, drop));
        }
        if let Some((manager, bytes)) = p.on_base {
            rows.push(Row::new(
                Line::from(vec![
                    self.label(""),
                    Span::styled(
                        format!(
                            "on its own {manager} base instead: runtime ≈ {}",
                            format::size(bytes)
                        ),
                        theme.dim(),
                    ),
                ]),
                EXTRA_FIRST,
            ));
        }
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_with_an_ellipsis() {
        let line = Line::from(vec![Span::raw("abc"), Span::raw("defgh")]);
        assert_eq!(clip(line.clone(), 8).to_string(), "abcdefgh");
        assert_eq!(clip(line.clone(), 6).to_string(), "abcde…");
        assert_eq!(clip(line.clone(), 3).to_string(), "ab…");
        assert_eq!(clip(line, 4).to_string(), "abc…");
    }

    #[test]
    fn fit_drops_extra_then_spacers_bottom_first() {
        let rows = vec![
            Row::new(Line::raw("answer"), 0),
            Row::new(Line::raw("extra 1"), EXTRA),
            spacer(),
            Row::new(Line::raw("extra 2"), EXTRA),
            Row::new(Line::raw("detail"), 4),
            spacer(),
            Row::new(Line::raw("next"), 0),
        ];
        assert_eq!(fit(&rows, 7), vec![true; 7]);
        assert_eq!(
            fit(&rows, 5),
            vec![true, false, true, false, true, true, true]
        );
        assert_eq!(
            fit(&rows, 4),
            vec![true, false, true, false, true, false, true]
        );
        assert_eq!(
            fit(&rows, 2),
            vec![true, false, false, false, false, false, true]
        );
        // Rows that never give way stay, even past the height (clipped).
        assert_eq!(fit(&rows, 1).iter().filter(|&&k| k).count(), 2);
    }

    #[test]
    fn owners_say_the_most_that_fits() {
        let o = |label: &str, short: &str, bytes| Share {
            label: label.into(),
            short: short.into(),
            bytes,
        };
        let owners = [
            o("Go 1.19 (golang-1.19-go)", "Go 1.19", 2_000_000),
            o("libc6 2.36", "libc6", 1_000_000),
        ];
        assert_eq!(
            owners_text(&owners, 0, 80),
            "Go 1.19 (golang-1.19-go) 2 MB, libc6 2.36 1 MB"
        );
        assert_eq!(owners_text(&owners, 0, 30), "Go 1.19 2 MB, libc6 1 MB");
        assert_eq!(owners_text(&owners, 3, 30), "Go 1.19, libc6, +3 more");
        assert_eq!(owners_text(&owners, 3, 21), "Go 1.19 2 MB, +4 more");
        assert_eq!(owners_text(&owners, 3, 20), "Go 1.19, libc6, +3 …");
        assert_eq!(owners_text(&owners, 3, 8), "Go 1.19…");
    }
}
