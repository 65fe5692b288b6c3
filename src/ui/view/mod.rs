//! `view`: draws the model, and nothing else: one small widget per pane
//! (header, layers, tree, details, hints, help), each borrowing the state
//! it draws. Decisions (what a mixed directory holds, where a file moved,
//! the reduction) are the model's.

mod details;
mod header;
mod hints;
pub(crate) use hints::help_page;
mod layers;
mod loading;
mod overview;
mod tree;

use super::layout::MIN;
use super::model::{Model, Screen};
use super::tree::{Mark, Sort};
use details::{Details, Pending};
use header::Header;
use hints::{Help, Hints};
use layers::Layers;
use loading::Loading;
use overview::OverviewView;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};
use ratatui::Frame;
use tree::TreeView;

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
    Header { model, theme }.render(areas.header, buf);
    if model.main.is_none() {
        Loading {
            model,
            theme,
            areas: &areas,
        }
        .render(area, buf);
    } else {
        match model.screen {
            Screen::Overview => {
                if let Some(r) = areas.tree {
                    OverviewView { model, theme }.render(r, buf);
                }
            }
            Screen::Tree => {
                for slot in 0..2 {
                    if let Some(r) = areas.layers[slot] {
                        Layers { model, theme, slot }.render(r, buf);
                    }
                }
                if let (Some(r), Some(pane)) = (areas.tree, model.pane()) {
                    TreeView { model, theme, pane }.render(r, buf);
                }
                if let Some(r) = areas.details {
                    Details { model, theme }.render(r, buf);
                }
            }
            Screen::Eliminated | Screen::Audit => match (areas.tree, model.pane()) {
                (Some(r), Some(pane)) => TreeView { model, theme, pane }.render(r, buf),
                (Some(r), None) => Pending { model, theme }.render(r, buf),
                _ => {}
            },
        }
    }
    Hints { model, theme }.render(areas.hints, buf);
    if model.help {
        Help { model, theme }.render(area, buf);
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

fn pane_block(theme: Theme, title: Line<'static>, focused: bool) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(title)
}
