//! Where each pane goes. Shared by `view` (to draw) and `update` (to map
//! mouse clicks), so both agree without the view writing to the model.

use ratatui::layout::{Constraint, Layout, Rect};

/// A focusable pane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    /// The layers list of slot 0 (BEFORE) or 1 (AFTER).
    Layers(usize),
    /// The tree, or the list of the Eliminated / Audit screens.
    Tree,
}

/// The full layout needs this much room; below it panes fold away.
pub const FULL: (u16, u16) = (100, 30);
/// Below this nothing useful fits.
pub const MIN: (u16, u16) = (60, 20);

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub layers: [Option<Rect>; 2],
    /// The tree (or the Eliminated / Audit list).
    pub tree: Option<Rect>,
    pub details: Option<Rect>,
    pub hints: Rect,
    /// Set when the terminal is smaller than [`MIN`].
    pub too_small: bool,
}

/// What the layout depends on (the model says, `Model::shape`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Images: 1 (explorer) or 2 (comparison).
    pub slots: usize,
    pub compare: bool,
    /// The tree screen (layers and details beside it), not Eliminated/Audit.
    pub tree_screen: bool,
    pub focus: Pane,
    /// Layers per image (1 while loading).
    pub layer_rows: [u16; 2],
}

pub fn layout(area: Rect, model: &Shape) -> Areas {
    let mut a = Areas::default();
    if area.width < MIN.0 || area.height < MIN.1 {
        a.too_small = true;
        a.hints = area;
        return a;
    }
    let full = area.width >= FULL.0 && area.height >= FULL.1;
    let header_h = match (full, model.compare) {
        (true, true) => 3,
        (true, false) | (false, true) => 2,
        (false, false) => 1,
    };
    let [header, body, hints] = Layout::vertical([
        Constraint::Length(header_h),
        Constraint::Min(0),
        Constraint::Length(1),
    ])
    .areas(area);
    a.header = header;
    a.hints = hints;
    let slots = model.slots.min(2);
    if !model.tree_screen {
        a.tree = Some(body);
        return a;
    }
    if full {
        let left_w = (area.width * 2 / 5).clamp(38, 70);
        let [left, right] =
            Layout::horizontal([Constraint::Length(left_w), Constraint::Min(0)]).areas(body);
        a.tree = Some(right);
        // Each layers list takes what it needs, up to a third of the column.
        let cap = (left.height / 3).max(4);
        let mut constraints: Vec<Constraint> = (0..slots)
            .map(|i| Constraint::Length(model.layer_rows[i].saturating_add(2).min(cap)))
            .collect();
        constraints.push(Constraint::Min(6));
        let parts = Layout::vertical(constraints).split(left);
        for i in 0..slots {
            a.layers[i] = Some(parts[i]);
        }
        a.details = Some(parts[slots]);
    } else {
        // Compact: the tree gets the width; the details take a strip below
        // it, and the focused layers list (if any) one above them (a
        // layer's whole command must be readable at 80 columns).
        let strip = if area.height >= 26 { 8 } else { 6 };
        match model.focus {
            Pane::Layers(i) if i < slots => {
                let details = body.height.saturating_sub(strip + 6).clamp(4, 12);
                let [tree, layers, bottom] = Layout::vertical([
                    Constraint::Min(0),
                    Constraint::Length(strip),
                    Constraint::Length(details),
                ])
                .areas(body);
                a.tree = Some(tree);
                a.layers[i] = Some(layers);
                a.details = Some(bottom);
            }
            _ => {
                let [tree, bottom] =
                    Layout::vertical([Constraint::Min(0), Constraint::Length(strip)]).areas(body);
                a.tree = Some(tree);
                a.details = Some(bottom);
            }
        }
    }
    a
}
