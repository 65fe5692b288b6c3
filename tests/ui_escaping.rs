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
    let mut m = loaded_tree(vec![hostile()], (200, 50));
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

/// An entrypoint whose name, Go version, loader, libraries and RUNPATH all
/// carry terminal controls.
fn hostile_app() -> stagediff::image::Image {
    use stagediff::binary::{ElfFacts, FileFacts};
    let name = "run\u{1b}[31m";
    let mut l = layer(0, "COPY . /", vec![executable(name, 100, 1)]);
    attach(
        &mut l,
        vec![facts(
            name,
            FileFacts::Elf(Box::new(ElfFacts {
                bits: 64,
                machine: 62,
                elf_type: 2,
                interp: Some("/ld\u{1b}[31m.so".as_bytes().into()),
                dynamic: true,
                needed: vec!["lib\u{9b}x.so".as_bytes().into()],
                runpath: Some("\u{1b}[2J".as_bytes().into()),
                go: Some(Box::new(stagediff::binary::go::GoBuildInfo {
                    go_version: "go1.21\u{1b}]0;pwn\u{7}".into(),
                    path: None,
                    main: None,
                    deps: Vec::new(),
                    settings: Vec::new(),
                })),
                ..ElfFacts::default()
            })),
        )],
    );
    let mut img = image("evil:app", vec![l]);
    img.config.entrypoint = vec![format!("/{name}")];
    img
}

#[test]
fn the_plan_views_and_binary_details_reach_ratatui_escaped() {
    let mut m = planned(hostile_app(), (200, 50));
    key(&mut m, KeyCode::Char('3'));
    let s = screen(&m);
    // The summary (program and Go version), the entrypoint row, the gap
    // naming the missing loader.
    assert!(s.contains("/run\\x1b[31m · dynamic "), "{s}");
    assert!(s.contains("Go 1.21\\x1b]0;pwn\\x07"), "{s}");
    assert!(s.contains("/ld\\x1b[31m.so"), "{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    // The details pane of the binary.
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::End);
    let s = screen(&m);
    assert!(s.contains("loader   /ld\\x1b[31m.so"), "{s}");
    assert!(s.contains("needs    lib\\x9bx.so"), "{s}");
    assert!(s.contains("runpath  \\x1b[2J"), "{s}");
    assert!(s.contains("Go 1.21\\x1b]0;pwn\\x07"), "{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    // An entrypoint the image lacks is named escaped too.
    let mut img = hostile_app();
    img.config.entrypoint = vec!["/gone\u{1b}[31m".into()];
    let mut m = planned(img, (200, 50));
    key(&mut m, KeyCode::Char('3'));
    let s = screen(&m);
    assert!(s.contains("/gone\\x1b[31m"), "{s}");
}

/// An image whose layer command, directory and deleted file carry controls.
fn hostile_layers() -> stagediff::image::Image {
    image(
        "evil:layers",
        vec![
            layer(
                0,
                CMD,
                vec![
                    dir("d\u{1b}[31m"),
                    file("d\u{1b}[31m/x", 50, 1),
                    file("w\u{9b}x", 10, 2),
                ],
            ),
            layer(1, "RUN rm /w*", vec![whiteout("w\u{9b}x")]),
        ],
    )
}

#[test]
fn the_overview_reaches_ratatui_escaped() {
    // One image: the largest layer's command, a directory, a wasted path.
    let m = loaded(vec![hostile_layers()], (200, 50));
    let s = screen(&m);
    assert!(s.contains("Layers"), "the overview is on screen: {s}");
    assert!(s.contains("echo \\x1b]0;pwned\\x07\\x9b31m"), "{s}");
    assert!(s.contains("/d\\x1b[31m "), "{s}");
    assert!(s.contains("/w\\x9bx 10 B"), "{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    // The wasted list of the layer, in its details.
    let mut m = m;
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    let s = screen(&m);
    assert!(s.contains("deleted in 2  /w\\x9bx"), "{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
    // A comparison: the largest files gone, the largest carried.
    let after = image(
        "evil:after",
        vec![layer(0, "COPY", vec![file("k\u{1b}[2J", 40, 9)])],
    );
    let mut before = hostile_layers();
    before
        .layers
        .push(layer(2, "COPY", vec![file("k\u{1b}[2J", 40, 9)]));
    let m = compared_pair(before, after, (200, 50));
    let s = screen(&m);
    assert!(s.contains("Largest gone"), "{s}");
    assert!(s.contains("/d\\x1b[31m/x"), "{s}");
    assert!(s.contains("largest /k\\x1b[2J"), "{s}");
    assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}");
}
