//! The first screen is the overview: it answers the question (what went,
//! by bucket and owner; for one image, its layers, waste, directories and
//! the prediction) without a keypress, at 80×24 as at 200×60.

mod common;
use common::ui_fixture::*;

use crossterm::event::KeyCode;
use ratatui::style::Color;
use stagediff::format;
use stagediff::ui::app::{Screen, SlotState};
use stagediff::ui::{update, Action, Model};

fn screen(m: &Model) -> Vec<String> {
    lines(&render(m))
}

/// The one screen line that holds every one of `parts`.
fn line_with<'a>(screen: &'a [String], parts: &[&str]) -> &'a str {
    screen
        .iter()
        .find(|l| parts.iter().all(|p| l.contains(p)))
        .unwrap_or_else(|| panic!("no line holds {parts:?}:\n{}", screen.join("\n")))
}

#[test]
fn the_comparison_opens_on_the_overview_naming_the_biggest_buckets_top_owner() {
    for size in [(80, 24), (200, 60)] {
        let m = compared(size);
        assert_eq!(m.screen, Screen::Overview, "the first screen");
        let cmp = m.comparison.as_ref().expect("compared");
        // The biggest bucket and its top owner, as the analysis has them.
        let biggest = cmp
            .eliminated
            .iter()
            .max_by_key(|b| b.bytes)
            .expect("buckets");
        let owner = cmp.owner(biggest.owners[0].owner.expect("an owner"));
        // What the fixture is: a Go toolchain, most of what went.
        assert_eq!(biggest.bucket.as_str(), "toolchain");
        assert_eq!(owner.name, "Go");
        let s = screen(&m);
        let size_text = format::size(biggest.bytes);
        line_with(&s, &[biggest.bucket.as_str(), &size_text, "█"]);
        line_with(&s, &[&owner.name, &format::size(biggest.owners[0].bytes)]);
        // The rest of the answer, and what to press next.
        line_with(&s, &["Reduction", "39.52 MB", "85.9% smaller"]);
        line_with(&s, &["Eliminated", "39.52 MB in 12 files"]);
        line_with(&s, &["Carried", "6.46 MB in 1 file", "/app"]);
        line_with(&s, &["Audit", "clean"]);
        line_with(&s, &["Never used", "40 B in 1 file"]);
        line_with(
            &s,
            &["Next", "2 what went", "3 what AFTER ships", "1 both trees"],
        );
        line_with(&s, &["0-3 views"]);
    }
}

#[test]
fn one_image_opens_on_its_overview_naming_its_largest_layer() {
    for size in [(80, 24), (200, 60)] {
        let mut m = loaded(vec![single_stage_app()], size);
        assert_eq!(m.screen, Screen::Overview);
        // Before the plan is in, the rest is already there.
        let s = screen(&m);
        line_with(&s, &["Prediction", "reading the entrypoint's closure"]);
        plan(&mut m);
        let s = screen(&m);
        let l = m.slots[0].loaded().unwrap();
        let (i, largest) = l
            .image
            .layers
            .iter()
            .enumerate()
            .max_by_key(|(_, l)| l.size)
            .unwrap();
        let command = format::created_by(largest.created_by.as_deref());
        let row = line_with(&s, &["Layers", &format::size(largest.size)]);
        assert!(
            row.contains(&format!("{:>3} ", i + 1)),
            "numbered from 1: {row}"
        );
        assert!(row.contains(&command[..20]), "the command names it: {row}");
        line_with(&s, &["Size", "45.98 MB in 4 layers", "14 files"]);
        line_with(&s, &["Wasted", "932 B", "/etc/passwd"]);
        line_with(&s, &["Directories", "/usr/lib/go-1.19", "36.03 MB"]);
        line_with(
            &s,
            &["Prediction", "runtime ≈ 6.46 MB", "FROM scratch would do"],
        );
        line_with(&s, &["Next", "1 ", "2 what", "3 what"]);
    }
}

#[test]
fn the_overview_fits_and_drops_detail_before_the_answer() {
    // 60×20 is the smallest the TUI draws: the answer still fits.
    let m = compared((60, 20));
    let s = screen(&m);
    line_with(&s, &["toolchain", "36.03 MB"]);
    line_with(&s, &["Audit"]);
    line_with(&s, &["Next"]);
    assert!(
        !s.iter().any(|l| l.contains("Largest gone")),
        "detail gives way"
    );
    let big = screen(&compared((200, 60)));
    // Room for the detail: the largest eliminated files, the spacers.
    line_with(
        &big,
        &[
            "Largest gone",
            "/usr/lib/go-1.19/pkg/tool/linux_amd64/compile",
        ],
    );
    let m = loaded(vec![single_stage_app()], (60, 20));
    let s = screen(&m);
    line_with(&s, &["Layers", "36.08 MB"]);
    line_with(&s, &["Directories"]);
    line_with(&s, &["Prediction"]);
    line_with(&s, &["Next"]);
}

#[test]
fn keys_lead_from_the_overview_and_back() {
    let mut m = compared((100, 30));
    key(&mut m, KeyCode::Char('1'));
    assert_eq!(m.screen, Screen::Tree);
    assert!(m.pane().is_some());
    key(&mut m, KeyCode::Char('0'));
    assert_eq!(m.screen, Screen::Overview);
    assert!(m.pane().is_none(), "the overview is no tree");
    // Moving and Tab do nothing harmful on it.
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.screen, Screen::Overview);
    // A filter is for a tree: `/` opens it on the tree.
    key(&mut m, KeyCode::Char('/'));
    assert_eq!(m.screen, Screen::Tree);
    assert!(m.editing_filter);
}

#[test]
fn the_overview_waits_for_the_comparison_and_names_a_failure() {
    let m = loaded(vec![single_stage(), multi_stage()], (100, 30));
    assert_eq!(m.screen, Screen::Overview);
    let s = screen(&m);
    line_with(&s, &["Comparing", "BEFORE with AFTER"]);
    line_with(&s, &["Reduction", "85.9% smaller"]);
    let mut m = loaded(vec![single_stage()], (100, 30));
    m.slots.push(stagediff::ui::app::Slot {
        reference: "after".into(),
        progress: Default::default(),
        started: m.now,
        finished: None,
        state: SlotState::Loading,
    });
    update(
        &mut m,
        Action::Loaded {
            slot: 1,
            result: Err("cannot read \u{1b}[31mafter".into()),
        },
    );
    let s = screen(&m);
    line_with(&s, &["AFTER", "failed: cannot read \\x1b[31mafter"]);
}

#[test]
fn colours_say_what_went_and_that_the_audit_is_clean() {
    let m = compared((100, 30));
    let t = render(&m);
    let buf = t.backend().buffer();
    let s = lines(&t);
    let style_at = |text: &str| {
        let (y, l) = s
            .iter()
            .enumerate()
            .find(|(_, l)| l.contains(text))
            .unwrap_or_else(|| panic!("{text:?} not on screen"));
        let x = l[..l.find(text).unwrap()].chars().count() as u16;
        buf[(x, y as u16)].style()
    };
    assert_eq!(style_at("toolchain").fg, Some(Color::Red));
    assert_eq!(style_at("clean").fg, Some(Color::Green));
}

#[test]
fn nothing_eliminated_and_an_empty_image_read_plainly() {
    // The same image twice: nothing went.
    let m = compared_pair(multi_stage(), multi_stage(), (80, 24));
    let s = screen(&m);
    line_with(
        &s,
        &["Eliminated", "nothing: every file of BEFORE is in AFTER"],
    );
    line_with(&s, &["Reduction", "0 B (0.0% smaller)"]);
    line_with(&s, &["Carried", "6.46 MB in 2 files"]);
    // An image with no layers at all.
    let m = loaded(vec![image("empty:1", Vec::new())], (80, 24));
    let s = screen(&m);
    line_with(&s, &["Size", "0 B in 0 layers", "0 files"]);
    line_with(&s, &["Wasted", "0 B"]);
    line_with(&s, &["Prediction"]);
}

#[test]
fn largest_directories_never_count_bytes_twice() {
    let m = loaded(vec![single_stage_app()], (80, 24));
    let o = &m.slots[0].loaded().unwrap().overview;
    let dirs: Vec<&str> = o.dirs.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(
        &dirs[..3],
        &["/usr/lib/go-1.19", "/usr/lib/x86_64-linux-gnu", "/bin"]
    );
    for a in &dirs {
        for b in &dirs {
            assert!(
                a == b || !b.starts_with(&format!("{a}/")),
                "{a} and {b} both listed: {dirs:?}"
            );
        }
    }
    let listed: u64 = o.dirs.iter().map(|d| d.1).sum();
    assert!(listed <= o.visible, "{listed} > {}", o.visible);
    // Biggest first.
    assert!(o.dirs.windows(2).all(|w| w[0].1 >= w[1].1), "{:?}", o.dirs);
}
