//! Whole-app states on a TestBackend: insta snapshots for the text, Buffer
//! cell assertions for colours (a text snapshot cannot show them).

mod common;
use common::ui_fixture as fixture;

use crossterm::event::KeyCode;
use fixture::*;
use ratatui::style::{Color, Modifier};
use stagediff::ui::keys::KeyMap;
use stagediff::ui::{update, Action, Model};
use std::sync::atomic::Ordering;
use std::time::Duration;

/// The cell style of the first cell of the line that holds `text`.
fn style_of(
    t: &ratatui::Terminal<ratatui::backend::TestBackend>,
    text: &str,
) -> ratatui::style::Style {
    let buf = t.backend().buffer();
    let ls = lines(t);
    let (y, line) = ls
        .iter()
        .enumerate()
        .find(|(_, l)| l.contains(text))
        .unwrap_or_else(|| panic!("{text:?} not on screen:\n{}", ls.join("\n")));
    // Column of the text (count chars, cells are one per char here).
    let x = line[..line.find(text).unwrap()].chars().count() as u16;
    buf[(x, y as u16)].style()
}

#[test]
fn loading() {
    let t0 = start();
    let mut m = Model::new(
        vec!["goapp:single".into(), "docker-archive:missing.tar".into()],
        KeyMap::default(),
        t0,
    );
    update(&mut m, Action::Resize(100, 30));
    let p = &m.slots[0].progress;
    p.bytes_total.store(850_000_000, Ordering::Relaxed);
    p.bytes_done.store(340_000_000, Ordering::Relaxed);
    p.layers_done.store(2, Ordering::Relaxed);
    *p.stage.lock().unwrap() = "layer 3 of 5 (sha256:1d6076…)".into();
    update(&mut m, Action::Tick(t0 + Duration::from_secs(4)));
    update(
        &mut m,
        Action::Loaded {
            slot: 1,
            result: Err(
                "docker-archive:missing.tar: cannot read missing.tar: No such file or directory"
                    .into(),
            ),
        },
    );
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn explorer() {
    let m = loaded_tree(vec![single_stage()], (100, 30));
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn explorer_layer_only() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    ctrl(&mut m, 'l');
    let t = render(&m);
    insta::assert_snapshot!(t.backend());
    // Status colours: a deletion is red, a modification yellow, an
    // addition green.
    assert_eq!(style_of(&t, "- ").fg, Some(Color::Red));
    assert_eq!(style_of(&t, "scratch.txt").fg, Some(Color::Red));
    assert_eq!(style_of(&t, "passwd").fg, Some(Color::Yellow));
    assert_eq!(style_of(&t, "print.go").fg, Some(Color::Green));
}

#[test]
fn filter_active() {
    let mut m = loaded(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "go-1.19");
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn help_overlay() {
    let mut m = loaded(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Char('?'));
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn small_terminal() {
    let m = loaded_tree(vec![single_stage()], (60, 20));
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn too_small_terminal() {
    let m = loaded(vec![single_stage()], (50, 12));
    let screen = lines(&render(&m)).join("\n");
    assert!(
        screen.contains("terminal too small: 50×12 (need 60×20)"),
        "{screen}"
    );
}

#[test]
fn file_names_are_escaped() {
    let mut m = loaded(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "evil");
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::End);
    let t = render(&m);
    let screen = lines(&t).join("\n");
    assert!(screen.contains(r"evil\x1b[31mred\xff.txt"), "{screen}");
    assert!(!screen.contains('\x1b'));
}

#[test]
fn no_color_keeps_marks() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    m.color = false;
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    ctrl(&mut m, 'l');
    let t = render(&m);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(cell.fg, Color::Reset, "no colour under NO_COLOR");
        assert_eq!(cell.bg, Color::Reset);
    }
    let screen = lines(&t);
    assert!(screen
        .iter()
        .any(|l| l.contains("- ") && l.contains("scratch.txt")));
    assert!(screen
        .iter()
        .any(|l| l.contains("~ ") && l.contains("passwd")));
    assert!(screen
        .iter()
        .any(|l| l.contains("+ ") && l.contains("print.go")));
    // The selection stays visible without colour.
    assert!(buf
        .content()
        .iter()
        .any(|c| c.modifier.contains(Modifier::REVERSED)));
}

#[test]
fn compare_view() {
    let mut m = compared((110, 32));
    // Open everything so every status shows.
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "/");
    key(&mut m, KeyCode::Enter);
    let t = render(&m);
    insta::assert_snapshot!(t.backend());
    assert_eq!(style_of(&t, "go-1.19/").fg, Some(Color::Red));
    assert_eq!(style_of(&t, "passwd").fg, Some(Color::Yellow));
    assert_eq!(style_of(&t, "= ├─ app").fg, Some(Color::DarkGray));
}

#[test]
fn eliminated_view() {
    let mut m = compared((110, 32));
    key(&mut m, KeyCode::Char('2'));
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn audit_view() {
    let mut m = compared((110, 32));
    key(&mut m, KeyCode::Char('3'));
    insta::assert_snapshot!(render(&m).backend());
}

#[test]
fn compare_small_terminal() {
    let m = compared_tree((60, 20));
    insta::assert_snapshot!(render(&m).backend());
}

/// The screen with the line holding `text` checked to exist.
fn screen_of(m: &Model) -> String {
    lines(&render(m)).join("\n")
}

#[test]
fn would_go_view() {
    for size in [(80, 24), (120, 40)] {
        let mut m = planned(scripted(), size);
        key(&mut m, KeyCode::Char('2'));
        insta::assert_snapshot!(
            format!("would_go_view_{}x{}", size.0, size.1),
            render(&m).backend()
        );
    }
}

#[test]
fn needs_view() {
    for size in [(80, 24), (120, 40)] {
        let mut m = planned(scripted(), size);
        key(&mut m, KeyCode::Char('3'));
        insta::assert_snapshot!(
            format!("needs_view_{}x{}", size.0, size.1),
            render(&m).backend()
        );
    }
}

#[test]
fn single_image_views_wait_for_the_plan() {
    let mut m = loaded(vec![scripted()], (100, 30));
    key(&mut m, KeyCode::Char('2'));
    let screen = screen_of(&m);
    assert!(screen.contains("Would go"), "{screen}");
    assert!(
        screen.contains("Reading the entrypoint's closure"),
        "{screen}"
    );
    assert!(!screen.contains("compares two images"), "{screen}");
}

#[test]
fn audit_view_splits_needed_and_never_used() {
    for size in [(80, 24), (120, 40)] {
        let mut m = compared(size);
        key(&mut m, KeyCode::Char('3'));
        let t = render(&m);
        insta::assert_snapshot!(format!("audit_split_{}x{}", size.0, size.1), t.backend());
        // What could go reads red, what is needed plain.
        assert_eq!(style_of(&t, "never used · 1 file").fg, Some(Color::Red));
        assert_eq!(
            style_of(&t, "needed by the entrypoint").fg,
            Some(Color::Reset)
        );
    }
}

/// Selects the tree row whose path ends with `path` (in the explorer).
fn select(m: &mut Model, path: &str) {
    key(m, KeyCode::Char('/'));
    chars(m, path);
    key(m, KeyCode::Enter);
    let p = m.pane().expect("a tree");
    let i = p
        .rows
        .iter()
        .position(|r| {
            let full = p.tree.path_of(r.id);
            full.ends_with(path.as_bytes())
        })
        .unwrap_or_else(|| panic!("{path} not in the tree"));
    key(m, KeyCode::Home);
    for _ in 0..i {
        key(m, KeyCode::Down);
    }
}

#[test]
fn details_name_binaries_and_say_why() {
    for (path, name) in [
        ("bin/sh", "details_dynamic_shell"),
        ("bin/bash", "details_unused_bash"),
        ("app", "details_go_app"),
        ("entrypoint.sh", "details_script"),
    ] {
        let mut m = planned(scripted(), (120, 40));
        select(&mut m, path);
        insta::assert_snapshot!(name, render(&m).backend());
    }
}

/// The first screen of a comparison and of one image, at the smallest
/// common terminal and a large one.
#[test]
fn overview() {
    for size in [(80, 24), (200, 60)] {
        let m = compared(size);
        insta::assert_snapshot!(
            format!("overview_compare_{}x{}", size.0, size.1),
            render(&m).backend()
        );
        let m = planned(single_stage_app(), size);
        insta::assert_snapshot!(
            format!("overview_image_{}x{}", size.0, size.1),
            render(&m).backend()
        );
    }
}

/// One image's layers: a Wasted column, and with the layers focused the
/// details of the selected layer — its whole command and what of it later
/// layers hide.
#[test]
fn explorer_layer_details() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    let t = render(&m);
    insta::assert_snapshot!(t.backend());
    let s = lines(&t).join("\n");
    assert!(s.contains("Layers IMAGE · wasted · ctrl+a"), "{s}");
    assert!(s.contains("wasted   932 B of it hidden by later"), "{s}");
    assert!(s.contains("922 B rewritten in 2  /etc/passwd"), "{s}");
    assert!(s.contains("10 B deleted in 2"), "{s}");
    assert_eq!(style_of(&t, "932 B  ADD").fg, Some(Color::Yellow));
    // The second layer wastes nothing but hides what the first wrote.
    key(&mut m, KeyCode::Down);
    let s = lines(&render(&m)).join("\n");
    assert!(s.contains("wasted   0 B of it"), "{s}");
    assert!(s.contains("hides    932 B of earlier layers"), "{s}");
    assert!(s.contains("command  RUN apt-get update && apt-get"), "{s}");
}
