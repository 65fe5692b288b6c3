//! Keys are data: every command has a name, a description and a list of key
//! strings. The `[keys]` table of the config file overrides either:
//!
//! ```toml
//! [keys]
//! quit = ["q", "ctrl+c"]              # replace the keys of a command
//! [keys.filter]                       # or keys and description together
//! keys = ["/", "ctrl+f"]
//! description = "search paths"
//! ```
//!
//! Key strings: a character (`q`, `?`, `G`), or a name (`up`, `down`, `left`,
//! `right`, `pageup`, `pagedown`, `home`, `end`, `enter`, `esc`, `tab`,
//! `backtab`, `space`, `backspace`, `delete`, `f1`…`f12`), optionally after
//! `ctrl+`, `alt+` and `shift+`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::fmt;

/// Something a key can do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    Quit,
    Help,
    FocusNext,
    FocusPrev,
    Up,
    Down,
    PageUp,
    PageDown,
    Home,
    End,
    Collapse,
    Expand,
    Toggle,
    CollapseAll,
    Filter,
    CycleStatus,
    Sort,
    LayerOnly,
    LayerAggregate,
    LayerRange,
    RangeUp,
    RangeDown,
    ShowAdded,
    ShowRemoved,
    ShowModified,
    ShowUnmodified,
    ViewOverview,
    ViewTree,
    ViewEliminated,
    ViewAudit,
    Cancel,
}

/// Every command with its config name, default keys and description, in the
/// order the help overlay lists them.
pub const DEFAULTS: &[(Command, &str, &[&str], &str)] = &[
    (Command::Quit, "quit", &["q", "ctrl+c"], "quit"),
    (Command::Help, "help", &["?"], "show or hide this help"),
    (
        Command::FocusNext,
        "focus_next",
        &["tab"],
        "focus the next pane",
    ),
    (
        Command::FocusPrev,
        "focus_prev",
        &["backtab"],
        "focus the previous pane",
    ),
    (Command::Up, "up", &["up", "k"], "move up"),
    (Command::Down, "down", &["down", "j"], "move down"),
    (Command::PageUp, "page_up", &["pageup", "ctrl+b"], "page up"),
    (
        Command::PageDown,
        "page_down",
        &["pagedown", "ctrl+d"],
        "page down",
    ),
    (Command::Home, "home", &["home", "g"], "first row"),
    (Command::End, "end", &["end", "G"], "last row"),
    (
        Command::Collapse,
        "collapse",
        &["left", "h"],
        "collapse, or jump to the parent",
    ),
    (Command::Expand, "expand", &["right", "l"], "expand"),
    (
        Command::Toggle,
        "toggle",
        &["space", "enter"],
        "expand or collapse",
    ),
    (
        Command::CollapseAll,
        "collapse_all",
        &["ctrl+space"],
        "collapse everything to the first level",
    ),
    (Command::Filter, "filter", &["/", "ctrl+f"], "filter paths"),
    (
        Command::CycleStatus,
        "status_filter",
        &["f"],
        "cycle the status filter (one image: a layer's own changes)",
    ),
    (
        Command::Sort,
        "sort",
        &["s", "ctrl+o"],
        "sort by name or size",
    ),
    (
        Command::LayerOnly,
        "layer_only",
        &["ctrl+l"],
        "tree shows the selected layer's own changes",
    ),
    (
        Command::LayerAggregate,
        "layer_aggregate",
        &["ctrl+a"],
        "(layers) tree shows everything up to the selected layer",
    ),
    (
        Command::LayerRange,
        "layer_range",
        &["v"],
        "start or end a range of layers: the tree shows what it brings",
    ),
    (
        Command::RangeUp,
        "range_up",
        &["shift+up"],
        "extend the range of layers up",
    ),
    (
        Command::RangeDown,
        "range_down",
        &["shift+down"],
        "extend the range of layers down",
    ),
    (
        Command::ShowAdded,
        "show_added",
        &["ctrl+a"],
        "(tree) show or hide added entries",
    ),
    (
        Command::ShowRemoved,
        "show_removed",
        &["ctrl+r"],
        "(tree) show or hide removed entries",
    ),
    (
        Command::ShowModified,
        "show_modified",
        // Most terminals send ctrl+m as Enter: M too.
        &["ctrl+m", "M"],
        "(tree) show or hide modified entries",
    ),
    (
        Command::ShowUnmodified,
        "show_unmodified",
        &["ctrl+u"],
        "(tree) show or hide unmodified entries",
    ),
    (
        Command::ViewOverview,
        "view_overview",
        &["0"],
        "overview: the answer at a glance (the first screen)",
    ),
    (Command::ViewTree, "view_tree", &["1"], "tree view"),
    (
        Command::ViewEliminated,
        "view_eliminated",
        &["2"],
        "what went (one image: what a multi-stage build would remove)",
    ),
    (
        Command::ViewAudit,
        "view_audit",
        &["3"],
        "what ships, needed or not (one image: what the app needs)",
    ),
    (
        Command::Cancel,
        "cancel",
        &["esc"],
        "close help, clear the filter, range or layer selection",
    ),
];

impl Command {
    /// The pane a command belongs to when one key serves two (dive's
    /// habit: ctrl+a aggregates in the layers list and shows added files
    /// in the tree); `None` for commands that work anywhere.
    pub fn pane(self) -> Option<KeyPane> {
        match self {
            Command::LayerAggregate => Some(KeyPane::Layers),
            Command::ShowAdded
            | Command::ShowRemoved
            | Command::ShowModified
            | Command::ShowUnmodified => Some(KeyPane::Tree),
            _ => None,
        }
    }
}

/// Which kind of pane has the focus, for keys that mean one thing in the
/// layers list and another in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyPane {
    Layers,
    Tree,
}

/// One key with its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl KeySpec {
    /// Normalises what the terminal reports: shift is part of a character
    /// (`G`, `?`) and of back-tab, so it is dropped there.
    pub fn from_event(ev: &KeyEvent) -> KeySpec {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match ev.code {
            KeyCode::Char(c) => {
                mods.remove(KeyModifiers::SHIFT);
                // Terminals report ctrl+letter in lower case.
                if mods.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            c => c,
        };
        KeySpec { code, mods }
    }

    pub fn parse(s: &str) -> Result<KeySpec, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl+") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt+") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift+") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break; // "ctrl++"-like oddities: treat the rest as the key
            }
            mods |= m;
            rest = &rest[len..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => KeyCode::Char(c),
            _ => match rest.to_ascii_lowercase().as_str() {
                "up" => KeyCode::Up,
                "down" => KeyCode::Down,
                "left" => KeyCode::Left,
                "right" => KeyCode::Right,
                "pageup" | "pgup" => KeyCode::PageUp,
                "pagedown" | "pgdn" => KeyCode::PageDown,
                "home" => KeyCode::Home,
                "end" => KeyCode::End,
                "enter" | "return" => KeyCode::Enter,
                "esc" | "escape" => KeyCode::Esc,
                "tab" if mods.contains(KeyModifiers::SHIFT) => KeyCode::BackTab,
                "tab" => KeyCode::Tab,
                "backtab" => KeyCode::BackTab,
                "space" => KeyCode::Char(' '),
                "backspace" => KeyCode::Backspace,
                "delete" | "del" => KeyCode::Delete,
                f if f.starts_with('f')
                    && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
                {
                    KeyCode::F(f[1..].parse().unwrap_or(1))
                }
                _ => return Err(format!("unknown key {s:?}")),
            },
        };
        // Build through the same normalisation as events, so "shift+g" and "G" agree.
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) && c.is_ascii_alphabetic() => {
                KeyCode::Char(c.to_ascii_uppercase())
            }
            c => c,
        };
        Ok(KeySpec::from_event(&KeyEvent::new(code, mods)))
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("ctrl+")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("alt+")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::F(n) => write!(f, "F{n}"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One command's binding.
#[derive(Clone, Debug)]
pub struct Binding {
    pub command: Command,
    pub name: &'static str,
    pub keys: Vec<KeySpec>,
    pub description: String,
}

/// The key map: bindings in help order.
#[derive(Clone, Debug)]
pub struct KeyMap {
    pub bindings: Vec<Binding>,
}

impl Default for KeyMap {
    fn default() -> Self {
        let bindings = DEFAULTS
            .iter()
            .map(|&(command, name, keys, description)| Binding {
                command,
                name,
                keys: keys
                    .iter()
                    .map(|k| KeySpec::parse(k).expect("default key strings parse"))
                    .collect(),
                description: description.to_string(),
            })
            .collect();
        KeyMap { bindings }
    }
}

impl KeyMap {
    /// The defaults with the config's `[keys]` table applied. Unknown
    /// commands and keys are errors, so a typo does not pass silently.
    pub fn from_config(config: &toml::Table) -> Result<KeyMap, String> {
        let mut map = KeyMap::default();
        let Some(keys) = config.get("keys") else {
            return Ok(map);
        };
        let table = keys.as_table().ok_or("config: [keys] must be a table")?;
        for (name, value) in table {
            let binding = map
                .bindings
                .iter_mut()
                .find(|b| b.name == name)
                .ok_or_else(|| {
                    format!(
                        "config [keys]: unknown command {name:?} (known: {})",
                        DEFAULTS.iter().map(|d| d.1).collect::<Vec<_>>().join(", ")
                    )
                })?;
            let parse_list = |v: &toml::Value| -> Result<Vec<KeySpec>, String> {
                match v {
                    toml::Value::String(s) => Ok(vec![KeySpec::parse(s)?]),
                    toml::Value::Array(a) => a
                        .iter()
                        .map(|k| {
                            k.as_str()
                                .ok_or_else(|| "keys are strings".to_string())
                                .and_then(KeySpec::parse)
                        })
                        .collect(),
                    _ => Err("expected a list of key strings".to_string()),
                }
                .map_err(|e| format!("config [keys].{name}: {e}"))
            };
            match value {
                toml::Value::Table(t) => {
                    // A misspelt field would otherwise be silently ignored.
                    if let Some(other) = t
                        .keys()
                        .find(|k| !matches!(k.as_str(), "keys" | "description"))
                    {
                        return Err(format!(
                            "config [keys].{name}: unknown field {other:?} (known: keys, description)"
                        ));
                    }
                    if let Some(k) = t.get("keys") {
                        binding.keys = parse_list(k)?;
                    }
                    if let Some(d) = t.get("description") {
                        binding.description = d
                            .as_str()
                            .ok_or_else(|| {
                                format!("config [keys].{name}.description: expected a string")
                            })?
                            .to_string();
                    }
                }
                v => binding.keys = parse_list(v)?,
            }
        }
        Ok(map)
    }

    /// The command a key event triggers, whatever has the focus (the
    /// first binding that has the key).
    pub fn command(&self, ev: &KeyEvent) -> Option<Command> {
        let spec = KeySpec::from_event(ev);
        self.bindings
            .iter()
            .find(|b| b.keys.contains(&spec))
            .map(|b| b.command)
    }

    /// The command a key event triggers with `focus` focused: a command of
    /// that pane first, then one that works anywhere, then any other that
    /// has the key (a key left to one pane's command still works).
    pub fn command_in(&self, ev: &KeyEvent, focus: KeyPane) -> Option<Command> {
        let spec = KeySpec::from_event(ev);
        let mut found: Vec<Command> = self
            .bindings
            .iter()
            .filter(|b| b.keys.contains(&spec))
            .map(|b| b.command)
            .collect();
        found.sort_by_key(|c| match c.pane() {
            Some(p) if p == focus => 0,
            None => 1,
            Some(_) => 2,
        });
        found.first().copied()
    }

    pub fn binding(&self, c: Command) -> Option<&Binding> {
        self.bindings.iter().find(|b| b.command == c)
    }

    /// The keys of a command joined for the hint bar (`q/ctrl+c`).
    pub fn keys_of(&self, c: Command) -> String {
        self.binding(c)
            .map(|b| {
                b.keys
                    .iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_resolve() {
        let m = KeyMap::default();
        assert_eq!(
            m.command(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Command::Quit)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Command::Quit)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('?'), KeyModifiers::SHIFT)),
            Some(Command::Help)
        );
        assert_eq!(
            m.command(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Command::FocusPrev)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Command::End)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('l'), KeyModifiers::CONTROL)),
            Some(Command::LayerOnly)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('l'), KeyModifiers::NONE)),
            Some(Command::Expand)
        );
        assert_eq!(m.command(&ev(KeyCode::Char('x'), KeyModifiers::NONE)), None);
        // dive's habits as aliases: ctrl+space collapses all, ctrl+o sorts;
        // space alone still toggles.
        assert_eq!(
            m.command(&ev(KeyCode::Char(' '), KeyModifiers::CONTROL)),
            Some(Command::CollapseAll)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Command::Toggle)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('o'), KeyModifiers::CONTROL)),
            Some(Command::Sort)
        );
    }

    #[test]
    fn one_key_serves_the_focused_pane() {
        let m = KeyMap::default();
        let ctrl = |c| ev(KeyCode::Char(c), KeyModifiers::CONTROL);
        // dive: ctrl+a aggregates in the layers list, shows added in the tree.
        assert_eq!(
            m.command_in(&ctrl('a'), KeyPane::Layers),
            Some(Command::LayerAggregate)
        );
        assert_eq!(
            m.command_in(&ctrl('a'), KeyPane::Tree),
            Some(Command::ShowAdded)
        );
        for (c, cmd) in [
            ('r', Command::ShowRemoved),
            ('m', Command::ShowModified),
            ('u', Command::ShowUnmodified),
        ] {
            assert_eq!(m.command_in(&ctrl(c), KeyPane::Tree), Some(cmd));
            // Nothing else has the key: it works from the layers too.
            assert_eq!(m.command_in(&ctrl(c), KeyPane::Layers), Some(cmd));
        }
        assert_eq!(
            m.command_in(&ev(KeyCode::Char('M'), KeyModifiers::SHIFT), KeyPane::Tree),
            Some(Command::ShowModified)
        );
        // Keys of no pane are the same everywhere.
        assert_eq!(
            m.command_in(&ctrl('l'), KeyPane::Tree),
            Some(Command::LayerOnly)
        );
        // A key moved off a pane command leaves the other meaning alone.
        let cfg: toml::Table = "[keys]\nshow_added = [\"A\"]".parse().unwrap();
        let m = KeyMap::from_config(&cfg).unwrap();
        assert_eq!(
            m.command_in(&ctrl('a'), KeyPane::Tree),
            Some(Command::LayerAggregate)
        );
    }

    #[test]
    fn config_overrides_keys_and_descriptions() {
        let cfg: toml::Table = r#"
            [keys]
            quit = ["x"]
            sort = "S"
            [keys.filter]
            keys = ["ctrl+s"]
            description = "search"
        "#
        .parse()
        .unwrap();
        let m = KeyMap::from_config(&cfg).unwrap();
        assert_eq!(
            m.command(&ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Command::Quit)
        );
        assert_eq!(m.command(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            m.command(&ev(KeyCode::Char('S'), KeyModifiers::SHIFT)),
            Some(Command::Sort)
        );
        assert_eq!(
            m.command(&ev(KeyCode::Char('s'), KeyModifiers::CONTROL)),
            Some(Command::Filter)
        );
        assert_eq!(m.binding(Command::Filter).unwrap().description, "search");
    }

    #[test]
    fn config_errors_name_the_problem() {
        let bad: toml::Table = "[keys]\nqiut = [\"q\"]".parse().unwrap();
        assert!(KeyMap::from_config(&bad).unwrap_err().contains("qiut"));
        let bad: toml::Table = "[keys]\nquit = [\"hyper+q\"]".parse().unwrap();
        assert!(KeyMap::from_config(&bad).unwrap_err().contains("hyper+q"));
        // Said once, not "config [keys].quit: config [keys].quit: …".
        let bad: toml::Table = "[keys]\nquit = [1]".parse().unwrap();
        assert_eq!(
            KeyMap::from_config(&bad).unwrap_err(),
            "config [keys].quit: keys are strings"
        );
        let bad: toml::Table = "[keys]\nquit = 1".parse().unwrap();
        assert_eq!(
            KeyMap::from_config(&bad).unwrap_err(),
            "config [keys].quit: expected a list of key strings"
        );
        // A misspelt field is an error, not a binding silently left alone.
        let bad: toml::Table = "[keys]\nquit = { key = [\"x\"] }".parse().unwrap();
        let e = KeyMap::from_config(&bad).unwrap_err();
        assert!(e.contains("unknown field \"key\""), "{e}");
    }

    #[test]
    fn parse_normalises_like_events() {
        assert_eq!(
            KeySpec::parse("shift+g").unwrap(),
            KeySpec::parse("G").unwrap()
        );
        assert_eq!(
            KeySpec::parse("shift+tab").unwrap(),
            KeySpec::parse("backtab").unwrap()
        );
        assert_eq!(
            KeySpec::parse("ctrl+L").unwrap(),
            KeySpec::parse("ctrl+l").unwrap()
        );
        assert_eq!(KeySpec::parse("f5").unwrap().code, KeyCode::F(5));
        assert_eq!(KeySpec::parse("ctrl+c").unwrap().to_string(), "ctrl+c");
        assert_eq!(KeySpec::parse("space").unwrap().to_string(), "space");
    }
}
