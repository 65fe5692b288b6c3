//! What keys and the mouse do to the [`Model`].

use super::jobs::LayerMode;
use super::keys::Command;
use super::layout::Pane;
use super::model::{Model, Screen};
use super::tree::{Mark, Sort, StatusFilter};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};

impl Model {
    pub(super) fn command(&mut self, c: Command) {
        self.flash = None;
        if self.help {
            // The overlay swallows everything but its own close keys.
            if matches!(c, Command::Help | Command::Cancel) {
                self.help = false;
            } else if c == Command::Quit {
                self.quit = true;
            } else {
                self.scroll_help(c);
            }
            return;
        }
        let h = self.tree_height();
        let sort = self.sort;
        match c {
            Command::Quit => self.quit = true,
            Command::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Command::FocusNext | Command::FocusPrev => {
                let ring = self.focus_ring();
                let i = ring.iter().position(|p| *p == self.focus).unwrap_or(0);
                let n = ring.len();
                let next = if c == Command::FocusNext {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.focus = ring[next];
            }
            Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Home
            | Command::End => {
                self.navigate(c);
            }
            Command::Collapse => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.collapse_or_parent(sort, h);
                }
            }
            Command::Expand => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.set_expanded(true, sort, h);
                }
            }
            Command::CollapseAll => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.collapse_all(sort, h);
                }
            }
            Command::Toggle => {
                if let (Pane::Tree, Some(p)) = (self.focus, self.pane_mut()) {
                    p.toggle(sort, h);
                }
            }
            Command::Filter => {
                // The filter narrows a tree: from the overview, the tree.
                if self.screen == Screen::Overview {
                    self.screen = Screen::Tree;
                }
                self.editing_filter = true;
                self.focus = Pane::Tree;
            }
            Command::CycleStatus => {
                if !self.status_applies() {
                    // One image's tree has no statuses; a layer's changes do.
                    self.flash = Some(
                        "f filters a layer's own changes: Tab to the layers, pick one, ctrl+l"
                            .into(),
                    );
                    return;
                }
                self.status_filter = if self.compare() && !self.layer_words() {
                    self.status_filter.next()
                } else {
                    self.status_filter.next_in_layer()
                };
                self.refresh_filter();
            }
            Command::ShowAdded
            | Command::ShowRemoved
            | Command::ShowModified
            | Command::ShowUnmodified => {
                if !self.status_applies() {
                    self.flash = Some(
                        "one image's tree has no change types: pick a layer (ctrl+l) or a range (v)"
                            .into(),
                    );
                    return;
                }
                self.hidden.toggle(match c {
                    Command::ShowAdded => Mark::Added,
                    Command::ShowRemoved => Mark::Eliminated,
                    Command::ShowModified => Mark::Changed,
                    _ => Mark::Carried,
                });
                self.refresh_filter();
            }
            Command::Sort => {
                self.sort = match self.sort {
                    Sort::Name => Sort::Size,
                    Sort::Size => Sort::Name,
                };
                let sort = self.sort;
                for p in self.panes_mut() {
                    p.reflow(sort, h);
                }
            }
            Command::LayerOnly | Command::LayerAggregate => {
                self.layer_mode = if c == Command::LayerOnly {
                    LayerMode::Only
                } else {
                    LayerMode::Aggregated
                };
                // One layer again: the range (if any) ends.
                self.anchor = None;
                if let Some(i) = self.layers_slot() {
                    self.scope = Some((i, self.layers[i].selected));
                    self.rescope();
                }
            }
            Command::LayerRange => {
                let Some(i) = self.layers_slot() else { return };
                self.screen = Screen::Tree;
                self.focus = Pane::Layers(i);
                let here = self.layers[i].selected;
                // `v` again ends the range: the tree shows the layer alone.
                self.anchor = match self.anchor {
                    Some((a, _)) if a == i && self.range().is_some() => None,
                    _ => Some((i, here)),
                };
                self.scope = Some((i, here));
                self.rescope();
            }
            Command::RangeUp | Command::RangeDown => {
                let Some(i) = self.layers_slot() else { return };
                self.screen = Screen::Tree;
                self.focus = Pane::Layers(i);
                let here = self.layers[i].selected;
                let started = self.range().is_none_or(|r| r.0 != i);
                if started {
                    self.anchor = Some((i, here));
                    self.scope = Some((i, here));
                }
                self.navigate(if c == Command::RangeUp {
                    Command::Up
                } else {
                    Command::Down
                });
                if started && self.layers[i].selected == here {
                    // At the end of the list: the range is this layer.
                    self.rescope();
                }
            }
            Command::ViewOverview => {
                self.screen = Screen::Overview;
                self.focus = Pane::Tree;
            }
            Command::ViewTree => {
                self.screen = Screen::Tree;
            }
            Command::ViewEliminated | Command::ViewAudit => {
                self.screen = if c == Command::ViewEliminated {
                    Screen::Eliminated
                } else {
                    Screen::Audit
                };
                self.focus = Pane::Tree;
            }
            Command::Cancel => {
                if !self.filter.is_empty() || self.effective_status() != StatusFilter::All {
                    self.filter.clear();
                    self.status_filter = StatusFilter::All;
                    self.refresh_filter();
                } else if self.range().is_some() {
                    // The range goes; the layer under the cursor stays.
                    self.anchor = None;
                    self.rescope();
                } else if self.scope.is_some() {
                    self.scope = None;
                    self.rescope();
                }
            }
        }
    }

    /// The image whose layers a layer command is about: the focused
    /// layers list, else the scoped image, else the first loaded one.
    fn layers_slot(&self) -> Option<usize> {
        match (self.focus, self.scope) {
            (Pane::Layers(i), _) => Some(i),
            (_, Some((i, _))) => Some(i),
            _ => self.slots.iter().position(|s| s.loaded().is_some()),
        }
        .filter(|&i| self.slots.get(i).is_some_and(|s| s.loaded().is_some()))
    }

    fn navigate(&mut self, c: Command) {
        let page = |h: usize| h.saturating_sub(1).max(1) as isize;
        match self.focus {
            Pane::Layers(i) => {
                let Some(n) = self
                    .slots
                    .get(i)
                    .and_then(|s| s.loaded())
                    .map(|l| l.image.layers.len())
                else {
                    return;
                };
                let h = self.layers_height(i);
                let delta = match c {
                    Command::Up => -1,
                    Command::Down => 1,
                    Command::PageUp => -page(h),
                    Command::PageDown => page(h),
                    Command::Home => isize::MIN / 2,
                    _ => isize::MAX / 2,
                };
                let before = self.layers[i].selected;
                self.layers[i] = self.layers[i].moved(delta, n, h);
                if self.layers[i].selected != before || self.scope.is_none_or(|s| s.0 != i) {
                    self.scope = Some((i, self.layers[i].selected));
                    self.rescope();
                }
            }
            Pane::Tree => {
                let h = self.tree_height();
                if let Some(p) = self.pane_mut() {
                    let delta = match c {
                        Command::Up => -1,
                        Command::Down => 1,
                        Command::PageUp => -page(h),
                        Command::PageDown => page(h),
                        Command::Home => isize::MIN / 2,
                        _ => isize::MAX / 2,
                    };
                    p.cursor = p.cursor.moved(delta, p.rows.len(), h);
                }
            }
        }
    }

    pub(super) fn filter_key(&mut self, key: &KeyEvent) {
        match key.code {
            KeyCode::Enter => self.editing_filter = false,
            KeyCode::Esc => {
                self.editing_filter = false;
                self.filter.clear();
                self.refresh_filter();
            }
            KeyCode::Backspace => {
                self.filter.pop();
                self.refresh_filter();
            }
            KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => self.quit = true,
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.filter.clear();
                self.refresh_filter();
            }
            KeyCode::Char(ch)
                if !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
            {
                self.filter.push(ch);
                self.refresh_filter();
            }
            KeyCode::Up | KeyCode::Down => {
                self.editing_filter = false;
                self.navigate(if key.code == KeyCode::Up {
                    Command::Up
                } else {
                    Command::Down
                });
            }
            _ => {}
        }
    }

    /// ↑/↓/PgUp/PgDn/Home/End move the help overlay's text while it is
    /// open (it does not fit on small terminals).
    fn scroll_help(&mut self, c: Command) {
        let (shown, total) = super::view::help_page(&self.keys, self.size);
        let last = total.saturating_sub(shown);
        let page = shown.saturating_sub(1).max(1);
        self.help_scroll = match c {
            Command::Up => self.help_scroll.saturating_sub(1),
            Command::Down => self.help_scroll + 1,
            Command::PageUp => self.help_scroll.saturating_sub(page),
            Command::PageDown => self.help_scroll + page,
            Command::Home => 0,
            Command::End => last,
            _ => self.help_scroll,
        }
        .min(last);
    }

    pub(super) fn mouse(&mut self, m: MouseEvent) {
        if self.help {
            match m.kind {
                MouseEventKind::ScrollUp => self.scroll_help(Command::Up),
                MouseEventKind::ScrollDown => self.scroll_help(Command::Down),
                _ => {}
            }
            return;
        }
        let areas = self.areas();
        let at = Position::new(m.column, m.row);
        let hit = |r: Option<Rect>| r.is_some_and(|r| r.contains(at));
        let pane = if hit(areas.tree) {
            Some(Pane::Tree)
        } else if hit(areas.layers[0]) {
            Some(Pane::Layers(0))
        } else if hit(areas.layers[1]) {
            Some(Pane::Layers(1))
        } else {
            None
        };
        let Some(pane) = pane else { return };
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let prev = self.focus;
                self.focus = pane;
                let c = if m.kind == MouseEventKind::ScrollUp {
                    Command::Up
                } else {
                    Command::Down
                };
                for _ in 0..3 {
                    self.navigate(c);
                }
                self.focus = prev;
            }
            MouseEventKind::Down(MouseButton::Left) => {
                if self.help {
                    return;
                }
                self.focus = pane;
                let rect = match pane {
                    Pane::Tree => areas.tree,
                    Pane::Layers(i) => areas.layers[i],
                };
                let Some(rect) = rect else { return };
                // Row 0 of a pane is its border/title.
                let Some(line) = (m.row as usize).checked_sub(rect.y as usize + 1) else {
                    return;
                };
                match pane {
                    Pane::Tree => {
                        // The first inner line is the column header.
                        let Some(line) = line.checked_sub(1) else {
                            return;
                        };
                        let h = self.tree_height();
                        let sort = self.sort;
                        if let Some(p) = self.pane_mut() {
                            let i = p.cursor.offset + line;
                            if i < p.rows.len() {
                                if i == p.cursor.selected {
                                    p.toggle(sort, h);
                                } else {
                                    p.cursor.selected = i;
                                    p.cursor = p.cursor.visible(p.rows.len(), h);
                                }
                            }
                        }
                    }
                    Pane::Layers(slot) => {
                        let i = self.layers[slot].offset + line;
                        let n = self.slots[slot]
                            .loaded()
                            .map_or(0, |l| l.image.layers.len());
                        if i < n {
                            self.layers[slot].selected = i;
                            self.scope = Some((slot, i));
                            self.rescope();
                        }
                    }
                }
            }
            _ => {}
        }
    }
}
