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

/// The tree pane's rows below its column header: the text between its
/// borders, found by its title.
fn pane_rows(screen: &[String], title: &str) -> Vec<String> {
    let cells: Vec<Vec<char>> = screen.iter().map(|l| l.chars().collect()).collect();
    let (top, left) = cells
        .iter()
        .enumerate()
        .find_map(|(y, l)| {
            let s: String = l.iter().collect();
            let at = s.find(title)?;
            let x = s[..at].chars().count();
            // The corner left of the title.
            (0..x).rev().find(|&i| l[i] == '┌').map(|x| (y, x))
        })
        .unwrap_or_else(|| panic!("no pane titled {title:?}:\n{}", screen.join("\n")));
    let right = (left + 1..cells[top].len())
        .find(|&i| cells[top][i] == '┐')
        .expect("the pane's top right corner");
    let bottom = (top + 1..cells.len())
        .find(|&y| cells[y][left] == '└')
        .expect("the pane's bottom left corner");
    // Skip the column header line.
    (top + 2..bottom)
        .map(|y| cells[y][left + 1..right].iter().collect())
        .collect()
}

/// The aligned tree of a pair whose rows carry a long toolchain badge,
/// filtered to those rows.
fn headers_tree(size: (u16, u16)) -> Model {
    let mut m = compared_pair(single_stage_headers(), multi_stage(), size);
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "usr/");
    key(&mut m, KeyCode::Enter);
    m
}

/// Every drawn row ends with its AFTER size at the pane's right border,
/// the BEFORE size in the same column on every row.
fn assert_sizes_at_the_right_edge(rows: &[String], screen: &str) {
    let drawn: Vec<&String> = rows.iter().filter(|r| !r.trim().is_empty()).collect();
    assert!(drawn.len() >= 5, "too few rows:\n{screen}");
    for r in &drawn {
        let c: Vec<char> = r.chars().collect();
        let n = c.len();
        // `… 31 kB          —`: AFTER ends on the last cell; BEFORE's
        // column ends 11 cells earlier, followed by a space.
        assert!(
            matches!(c[n - 1], 'B' | '—'),
            "AFTER is not at the right edge in {r:?}:\n{screen}"
        );
        assert!(
            matches!(c[n - 12], 'B' | '—') && c[n - 11] == ' ',
            "BEFORE is out of its column in {r:?}:\n{screen}"
        );
    }
}

#[test]
fn long_badges_keep_names_and_sizes_in_the_pane() {
    for (w, h) in [(80, 24), (110, 30), (200, 60)] {
        let m = headers_tree((w, h));
        let t = render(&m);
        let ls = lines(&t);
        let screen = ls.join("\n");
        insta::assert_snapshot!(format!("long_badges_{w}x{h}"), t.backend());
        let rows = pane_rows(&ls, "BEFORE ⇄ AFTER");
        assert_sizes_at_the_right_edge(&rows, &screen);
        // The column names end where the sizes do.
        let head = ls
            .iter()
            .find(|l| l.contains("BEFORE      AFTER"))
            .expect("the column header");
        assert!(
            head.contains("AFTER│") || head.contains("AFTER┃"),
            "{screen}"
        );
        // The badge keeps the owner's real name, spaces and case.
        assert!(!screen.contains("headersandstatic"), "{screen}");
        let badge = rows
            .iter()
            .find(|r| r.contains("stdio.h"))
            .unwrap_or_else(|| panic!("stdio.h is not shown whole:\n{screen}"));
        assert!(badge.contains("[toolchain Headers "), "{screen}");
        // The name comes before the badge: whole wherever it fits (the
        // last rows, at the end of the list on a small terminal).
        let mut m = m;
        key(&mut m, KeyCode::End);
        let end = lines(&render(&m));
        let end_screen = end.join("\n");
        assert_sizes_at_the_right_edge(&pane_rows(&end, "BEFORE ⇄ AFTER"), &end_screen);
        assert!(
            end_screen.contains("libc_nonshared.a"),
            "a file name gave way to a badge:\n{end_screen}"
        );
        if w >= 200 {
            assert!(
                badge.contains("[toolchain Headers and static libraries]"),
                "{screen}"
            );
        }
        assert!(!screen.contains("[]"), "an empty badge:\n{screen}");
    }
}

#[test]
fn audit_rows_draw_no_empty_badge() {
    // Findings without a detail (a cache or a source file no rule owns):
    // every detail blanked, as the analysis leaves them for such files.
    let rules = stagediff::analysis::Rules::builtin();
    for size in [(80, 24), (110, 30), (200, 60)] {
        let mut comparison =
            stagediff::analysis::compare(&single_stage_headers(), &single_stage(), &rules);
        assert!(!comparison.findings.is_empty(), "no findings to draw");
        for f in &mut comparison.findings {
            f.detail.clear();
        }
        let views = stagediff::ui::compare::build(&comparison);
        let mut m = loaded(vec![single_stage_headers(), single_stage()], size);
        m.effects.clear();
        let c = stagediff::ui::app::Compared { comparison, views };
        update(&mut m, Action::Compared(Box::new(c)));
        key(&mut m, KeyCode::Char('3'));
        // Open every group so every finding row is drawn.
        key(&mut m, KeyCode::Char('/'));
        chars(&mut m, "/");
        key(&mut m, KeyCode::Enter);
        let mut seen = String::new();
        for _ in 0..8 {
            seen.push_str(&screen_of(&m));
            key(&mut m, KeyCode::PageDown);
        }
        assert!(seen.contains("finding: "), "no finding rows:\n{seen}");
        assert!(!seen.contains("[]"), "an empty badge:\n{seen}");
    }
}

#[test]
fn help_overlay_scrolls_to_its_last_key_at_80x24() {
    let mut m = loaded(vec![single_stage()], (80, 24));
    key(&mut m, KeyCode::Char('?'));
    let first = render(&m);
    insta::assert_snapshot!("help_overlay_80x24", first.backend());
    let top = lines(&first).join("\n");
    assert!(top.contains("more below"), "no sign of more:\n{top}");
    let mut seen = top.clone();
    // PgDn until the window stops moving; every key is then seen.
    for _ in 0..10 {
        key(&mut m, KeyCode::PageDown);
        seen.push_str(&lines(&render(&m)).join("\n"));
    }
    let bottom = lines(&render(&m)).join("\n");
    insta::assert_snapshot!("help_overlay_80x24_end", render(&m).backend());
    for b in &m.keys.bindings {
        assert!(
            seen.contains(&b.description),
            "{:?} never shows:\n{seen}",
            b.description
        );
    }
    // The last note, wrapped inside the border rather than cut by it.
    assert!(bottom.contains("mouse: the wheel scrolls"), "{bottom}");
    assert!(bottom.contains("toggles"), "{bottom}");
    assert!(!bottom.contains("more below"), "{bottom}");
    // Paging past the end stops there: one ↑ moves back at once.
    key(&mut m, KeyCode::Up);
    assert_ne!(lines(&render(&m)).join("\n"), bottom);
    // Home goes back to the top, End to the bottom, ↑/↓ by a line.
    key(&mut m, KeyCode::Home);
    assert_eq!(lines(&render(&m)).join("\n"), top);
    key(&mut m, KeyCode::End);
    assert_eq!(lines(&render(&m)).join("\n"), bottom);
    key(&mut m, KeyCode::Up);
    assert_ne!(lines(&render(&m)).join("\n"), bottom);
    key(&mut m, KeyCode::Down);
    assert_eq!(lines(&render(&m)).join("\n"), bottom);
    // The wheel scrolls the overlay too (not the panes under it).
    let wheel = |kind| {
        Action::Mouse(crossterm::event::MouseEvent {
            kind,
            column: 40,
            row: 12,
            modifiers: crossterm::event::KeyModifiers::NONE,
        })
    };
    key(&mut m, KeyCode::Home);
    update(&mut m, wheel(crossterm::event::MouseEventKind::ScrollDown));
    assert_eq!(m.help_scroll, 1);
    update(&mut m, wheel(crossterm::event::MouseEventKind::ScrollUp));
    assert_eq!(lines(&render(&m)).join("\n"), top);
    // Esc closes the overlay.
    key(&mut m, KeyCode::Esc);
    assert!(!m.help);
}

/// `1 layers`, `1 files`…: a count of one with a plural noun, anywhere
/// on the screen (`21 files` and `0.1 files` do not count).
fn one_plural(screen: &str) -> Option<String> {
    const NOUNS: [&str; 11] = [
        "layers", "files", "entries", "rows", "paths", "packages", "findings", "deps", "owners",
        "dirs", "lines",
    ];
    let c: Vec<char> = screen.chars().collect();
    for i in 0..c.len() {
        let starts = i == 0 || !(c[i - 1].is_ascii_digit() || matches!(c[i - 1], ',' | '.'));
        if c[i] != '1' || !starts || c.get(i + 1) != Some(&' ') {
            continue;
        }
        let rest: String = c[i + 2..].iter().take(12).collect();
        if let Some(n) = NOUNS.iter().find(|n| {
            rest.starts_with(**n)
                && !rest[n.len()..]
                    .chars()
                    .next()
                    .is_some_and(|x| x.is_alphanumeric())
        }) {
            return Some(format!("1 {n}"));
        }
    }
    None
}

/// One layer holding one file.
fn one_of_each(reference: &str) -> stagediff::image::Image {
    let mut l = layer(
        0,
        "COPY file:app in /app ",
        vec![file("app", 6_460_000, 31)],
    );
    attach(&mut l, vec![facts("app", go_binary())]);
    let mut img = image(reference, vec![l]);
    img.config.entrypoint = vec!["/app".into()];
    img
}

#[test]
fn a_count_of_one_is_singular_everywhere() {
    assert_eq!(one_plural("x · 1 layers"), Some("1 layers".into()));
    assert_eq!(
        one_plural("21 files, 0.1 files, 1 file, 1 filesystem"),
        None
    );
    let mut screens = Vec::new();
    for size in [(80, 24), (200, 60)] {
        let models = [
            planned(one_of_each("one:image"), size),
            compared_pair(one_of_each("one:before"), one_of_each("one:after"), size),
            compared_pair(single_stage_headers(), multi_stage(), size),
        ];
        for mut m in models {
            for view in ['0', '1', '2', '3'] {
                key(&mut m, KeyCode::Char(view));
                key(&mut m, KeyCode::Char('/'));
                chars(&mut m, "/");
                key(&mut m, KeyCode::Enter);
                for _ in 0..3 {
                    screens.push(screen_of(&m));
                    key(&mut m, KeyCode::Tab);
                }
                key(&mut m, KeyCode::Esc);
            }
            key(&mut m, KeyCode::Char('?'));
            screens.push(screen_of(&m));
            key(&mut m, KeyCode::End);
            screens.push(screen_of(&m));
        }
    }
    for s in &screens {
        if let Some(bad) = one_plural(s) {
            panic!("{bad:?} on screen:\n{s}");
        }
    }
    // The screens did show counts of one.
    let all = screens.join("\n");
    assert!(all.contains("1 layer "), "{all}");
    assert!(all.contains("1 file"), "{all}");
}

/// A range of layers: the rows of the range marked in the layers list, the
/// tree of what the range does, its totals in the details.
#[test]
fn explorer_layer_range() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Char('v'));
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Down);
    let t = render(&m);
    insta::assert_snapshot!(t.backend());
    let s = lines(&t).join("\n");
    assert!(s.contains("image · changes of layers 2–4"), "{s}");
    assert!(s.contains("Layers IMAGE · wasted · v layers 2–4"), "{s}");
    assert!(s.contains("deleted  1 entry · 10 B"), "{s}");
    // The range's rows: a cyan bar beside the ones the cursor is not on.
    assert_eq!(style_of(&t, "┃ 2").fg, Some(Color::Cyan));
    assert!(style_of(&t, "┃ 3").add_modifier.contains(Modifier::BOLD));
    assert_eq!(style_of(&t, "scratch.txt").fg, Some(Color::Red));
    assert_eq!(style_of(&t, "0011-d").fg, Some(Color::Green));
    assert_eq!(style_of(&t, "passwd").fg, Some(Color::Yellow));
}

/// The same in a comparison, BEFORE's layers at 80×24 (the compact
/// layout: layers and details below the tree).
#[test]
fn compare_layer_range_80x24() {
    let mut m = compared_tree((80, 24));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Char('v'));
    key(&mut m, KeyCode::Up);
    key(&mut m, KeyCode::Up);
    let t = render(&m);
    insta::assert_snapshot!(t.backend());
    let s = lines(&t).join("\n");
    assert!(s.contains("BEFORE · changes of layers 2–4"), "{s}");
    assert!(s.contains("layers 2–4 · "), "{s}");
}

/// A layer's whole command is readable in the details, wrapped, at 80
/// columns (dive #356/#376 cut long ones).
#[test]
fn a_long_command_is_shown_whole_at_80_columns() {
    let packages = [
        "build-essential",
        "ca-certificates",
        "curl",
        "git",
        "gnupg",
        "libssl-dev",
        "pkg-config",
        "python3",
        "python3-pip",
        "unzip",
        "wget",
        "xz-utils",
        "zlib1g-dev",
        "libffi-dev",
        "libpq-dev",
        "libxml2-dev",
        "libxslt1-dev",
        "libjpeg-dev",
        "libpng-dev",
    ];
    let run = format!(
        "apt-get update && apt-get install -y --no-install-recommends {} && rm -rf /var/lib/apt/lists/*",
        packages.join(" ")
    );
    let mut run = format!("{run} && echo");
    while run.len() + 5 <= 300 {
        run.push_str(" done");
    }
    assert!((295..=300).contains(&run.len()), "{}", run.len());
    let mut img = single_stage();
    img.layers[1].created_by = Some(format!("/bin/sh -c {run}"));
    let mut m = loaded_tree(vec![img], (80, 24));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    let t = render(&m);
    let screen = lines(&t);
    // The details box's text, its lines joined.
    let top = screen
        .iter()
        .position(|l| l.contains("┌ Details "))
        .unwrap_or_else(|| panic!("no details pane at 80×24:\n{}", screen.join("\n")));
    let text: String = screen[top + 1..]
        .iter()
        .take_while(|l| !l.starts_with('└'))
        .map(|l| l.trim_matches('│').trim_end().to_string())
        .collect::<Vec<_>>()
        .join(" ");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words(&text).contains(&words(&format!("command RUN {run}"))),
        "the whole command should show:\n{}",
        screen.join("\n")
    );
}
