//! Escaping at the TUI's boundary: what stagediff hands to ratatui. ratatui
//! drops control characters itself, so a test that only looked for raw bytes
//! in the buffer could not fail; these look for stagediff's visible escapes
//! (`\x1b`, `\x9b`), which are there only if stagediff escaped the name.

mod common;
use common::ui_fixture::*;

use crossterm::event::KeyCode;

const CMD: &str = "/bin/sh -c echo \u{1b}]0;pwned\u{7}\u{9b}31m";

fn hostile() -> stagediff::image::Image {
    image(
        "evil:1",
        vec![layer(
            0,
            CMD,
            vec![
                raw_file("a\u{1b}]0;pwned\u{7}\u{9b}31m.txt".as_bytes(), 5),
                symlink("lnk", "\u{1b}]0;link\u{85}x"),
            ],
        )],
    )
}

fn screen(m: &stagediff::ui::Model) -> String {
    lines(&render(m)).join("\n")
}

#[test]
fn names_commands_and_link_targets_reach_ratatui_escaped() {
    let mut m = loaded(vec![hostile()], (200, 50));
    settle(&mut m);
    let s = screen(&m);
    // The layer's command in the layers pane, the file name in the tree.
    assert!(s.contains("echo \\x1b]0;pwned\\x07\\x9b31m"), "{s}");
    assert!(s.contains("a\\x1b]0;pwned\\x07\\x9b31m.txt"), "{s}");
    // The link target, in the details of the selected row.
    key(&mut m, KeyCode::Tab);
    for _ in 0..3 {
        if screen(&m).contains("\\x1b]0;link\\x85x") {
            break;
        }
        key(&mut m, KeyCode::Down);
    }
    let s = screen(&m);
    assert!(s.contains("\\x1b]0;link\\x85x"), "{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
}

#[test]
fn a_load_error_is_shown_escaped() {
    let t0 = start();
    let mut m = stagediff::ui::Model::new(
        vec!["evil".into()],
        stagediff::ui::keys::KeyMap::default(),
        t0,
    );
    stagediff::ui::update(&mut m, stagediff::ui::Action::Resize(120, 30));
    stagediff::ui::update(
        &mut m,
        stagediff::ui::Action::Loaded {
            slot: 0,
            result: Err("missing blob \u{1b}]0;pwned\u{7}\u{9b}31m".into()),
        },
    );
    let s = screen(&m);
    assert!(s.contains("missing blob \\x1b]0;pwned\\x07\\x9b31m"), "{s}");
}
