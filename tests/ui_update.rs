//! `update()` unit tests: keys, mouse and background results change the
//! model as the help says they do.

mod common;
use common::ui_fixture as fixture;

use crossterm::event::KeyModifiers;
use crossterm::event::{KeyCode, MouseButton, MouseEvent, MouseEventKind};
use fixture::*;
use stagediff::ui::app::{job, Effect, LayerMode, ScopeRequest, Screen, SlotState};
use stagediff::ui::keys::KeyMap;
use stagediff::ui::layout::Pane;
use stagediff::ui::tree::{Sort, StatusFilter};
use stagediff::ui::{update, Action, Model};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

fn selected_path(m: &Model) -> String {
    let p = m.pane().unwrap();
    String::from_utf8_lossy(&p.tree.path_of(p.selected_id().unwrap())).into_owned()
}

fn visible_paths(m: &Model) -> Vec<String> {
    let p = m.pane().unwrap();
    p.rows
        .iter()
        .map(|r| String::from_utf8_lossy(&p.tree.path_of(r.id)).into_owned())
        .collect()
}

#[test]
fn q_quits_mid_load_and_cancels_loads() {
    let mut m = Model::new(
        vec!["a".into(), "b".into()],
        KeyMap::default(),
        Instant::now(),
    );
    assert!(m.loading());
    key(&mut m, KeyCode::Char('q'));
    assert!(m.quit);
    assert!(m
        .slots
        .iter()
        .all(|s| s.progress.cancel.load(Ordering::Relaxed)));

    // The loads see the cancel and end with an error; arriving after quit,
    // it is not a failure (the binary would exit 2 with "cancelled").
    update(
        &mut m,
        Action::Loaded {
            slot: 1,
            result: Err("b: loading was cancelled".into()),
        },
    );
    assert!(!matches!(m.slots[1].state, SlotState::Failed(_)));

    let mut m = Model::new(vec!["a".into()], KeyMap::default(), Instant::now());
    ctrl(&mut m, 'c');
    assert!(m.quit);
}

#[test]
fn keys_work_while_loading() {
    let mut m = Model::new(vec!["a".into()], KeyMap::default(), Instant::now());
    key(&mut m, KeyCode::Char('?'));
    assert!(m.help);
    key(&mut m, KeyCode::Esc);
    assert!(!m.help);
    key(&mut m, KeyCode::Char('j'));
    key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.sort, Sort::Size);
    assert!(!m.quit);
}

#[test]
fn load_error_is_kept_for_the_screen() {
    let mut m = Model::new(vec!["nope.tar".into()], KeyMap::default(), Instant::now());
    update(
        &mut m,
        Action::Loaded {
            slot: 0,
            result: Err("nope.tar: cannot read nope.tar: not found".into()),
        },
    );
    assert!(matches!(&m.slots[0].state, SlotState::Failed(e) if e.contains("not found")));
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("cannot read nope.tar"), "{screen}");
}

#[test]
fn moving_expanding_and_collapsing() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    assert_eq!(m.focus, Pane::Tree);
    assert_eq!(selected_path(&m), "app");
    key(&mut m, KeyCode::Char('j'));
    assert_eq!(selected_path(&m), "bin");
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Up);
    assert_eq!(selected_path(&m), "bin");
    // bin starts open (a small first-level directory): left collapses it.
    let before = m.pane().unwrap().rows.len();
    key(&mut m, KeyCode::Left);
    assert_eq!(m.pane().unwrap().rows.len(), before - 2);
    key(&mut m, KeyCode::Right);
    assert_eq!(m.pane().unwrap().rows.len(), before);
    key(&mut m, KeyCode::Char('j'));
    assert_eq!(selected_path(&m), "bin/bash");
    // On a file, left jumps to the parent.
    key(&mut m, KeyCode::Char('h'));
    assert_eq!(selected_path(&m), "bin");
    key(&mut m, KeyCode::Char(' '));
    assert_eq!(m.pane().unwrap().rows.len(), before - 2);
    key(&mut m, KeyCode::End);
    assert_eq!(
        m.pane().unwrap().cursor.selected,
        m.pane().unwrap().rows.len() - 1
    );
    key(&mut m, KeyCode::Char('g'));
    assert_eq!(m.pane().unwrap().cursor.selected, 0);
    key(&mut m, KeyCode::PageDown);
    assert!(m.pane().unwrap().cursor.selected > 5);
}

#[test]
fn path_filter_opens_matches_and_esc_clears() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    let all = visible_paths(&m);
    key(&mut m, KeyCode::Char('/'));
    assert!(m.editing_filter);
    chars(&mut m, "PRINT");
    // Typing goes to the filter, not to the key map (no quit on "q"...).
    assert_eq!(m.filter, "PRINT");
    assert_eq!(
        visible_paths(&m),
        vec![
            "usr",
            "usr/lib",
            "usr/lib/go-1.19",
            "usr/lib/go-1.19/src",
            "usr/lib/go-1.19/src/fmt",
            "usr/lib/go-1.19/src/fmt/print.go"
        ]
    );
    key(&mut m, KeyCode::Enter);
    assert!(!m.editing_filter);
    key(&mut m, KeyCode::Esc);
    assert!(m.filter.is_empty());
    assert_eq!(visible_paths(&m), all);
    // ctrl+f also opens it, and q while typing is text.
    ctrl(&mut m, 'f');
    chars(&mut m, "q");
    assert!(!m.quit);
    key(&mut m, KeyCode::Backspace);
    key(&mut m, KeyCode::Esc);
    assert!(!m.editing_filter);
}

#[test]
fn status_filter_cycles() {
    let mut m = compared((100, 30));
    let order: Vec<StatusFilter> = (0..5)
        .map(|_| {
            key(&mut m, KeyCode::Char('f'));
            m.status_filter
        })
        .collect();
    assert_eq!(
        order,
        vec![
            StatusFilter::Eliminated,
            StatusFilter::Changed,
            StatusFilter::Added,
            StatusFilter::Moved,
            StatusFilter::All
        ]
    );
}

#[test]
fn one_images_status_filter_is_for_a_layers_changes() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    let screen = |m: &Model| lines(&render(m)).join("\n");
    // The whole tree has no statuses: f says where it works, and the hint
    // bar does not offer it.
    assert!(!screen(&m).contains("status:"), "{}", screen(&m));
    let all = visible_paths(&m);
    key(&mut m, KeyCode::Char('f'));
    assert_eq!(m.status_filter, StatusFilter::All);
    assert_eq!(visible_paths(&m), all);
    assert!(
        screen(&m).contains("f filters a layer's own changes"),
        "{}",
        screen(&m)
    );
    // The next key clears the message.
    key(&mut m, KeyCode::Char('j'));
    assert!(!screen(&m).contains("f filters a layer's own changes"));
    // A layer's own changes: added, changed, deleted — never moved.
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    ctrl(&mut m, 'l');
    assert!(screen(&m).contains("f status:all"), "{}", screen(&m));
    let order: Vec<StatusFilter> = (0..4)
        .map(|_| {
            key(&mut m, KeyCode::Char('f'));
            m.status_filter
        })
        .collect();
    assert_eq!(
        order,
        vec![
            StatusFilter::Eliminated,
            StatusFilter::Changed,
            StatusFilter::Added,
            StatusFilter::All
        ]
    );
    key(&mut m, KeyCode::Char('f'));
    assert!(screen(&m).contains("status:deleted"), "{}", screen(&m));
    assert_eq!(visible_paths(&m), vec!["tmp", "tmp/scratch.txt"]);
    // Back to everything up to the layer: the filter goes with the statuses.
    ctrl(&mut m, 'a');
    assert_eq!(m.status_filter, StatusFilter::All);
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.scope, None);
    assert_eq!(visible_paths(&m), all);
}

#[test]
fn sort_by_size_puts_the_biggest_first() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.sort, Sort::Size);
    assert_eq!(visible_paths(&m)[0], "usr");
    key(&mut m, KeyCode::Char('s'));
    assert_eq!(visible_paths(&m)[0], "app");
}

#[test]
fn tab_cycles_focus_and_layers_scope_the_tree() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Pane::Layers(0));
    update(
        &mut m,
        Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::BackTab,
            KeyModifiers::SHIFT,
        )),
    );
    assert_eq!(m.focus, Pane::Tree);
    key(&mut m, KeyCode::Tab);
    // Up on the layers list selects layer 2 and scopes the tree to it.
    key(&mut m, KeyCode::Up);
    assert_eq!(m.scope, Some((0, 2)));
    assert!(!visible_paths(&m).contains(&"app".to_string()));
    // ctrl+l: only what layer 2 changed.
    ctrl(&mut m, 'l');
    assert_eq!(m.layer_mode, LayerMode::Only);
    assert_eq!(visible_paths(&m), vec!["src", "src/go.mod", "src/main.go"]);
    ctrl(&mut m, 'a');
    assert_eq!(m.layer_mode, LayerMode::Aggregated);
    assert!(visible_paths(&m).contains(&"bin".to_string()));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.scope, None);
    assert!(visible_paths(&m).contains(&"app".to_string()));
}

/// The layer builds `update` has asked the runner for.
fn scope_requests(m: &Model) -> Vec<ScopeRequest> {
    m.effects
        .iter()
        .filter_map(|e| match e {
            Effect::Scope(r) => Some(*r),
            _ => None,
        })
        .collect()
}

/// Runs the one layer build the model asked for and returns its result
/// (not yet applied).
fn build(m: &mut Model) -> Action {
    let requests = scope_requests(m);
    assert_eq!(requests.len(), 1, "one build at a time: {requests:?}");
    m.effects.retain(|e| !matches!(e, Effect::Scope(_)));
    let rules = Arc::new(stagediff::analysis::Rules::builtin());
    job(m, &Effect::Scope(requests[0]), &rules).expect("a job")()
}

#[test]
fn layer_moves_build_in_the_background_and_stale_results_are_dropped() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    update(&mut m, press(KeyCode::Tab));
    // A burst of three moves (layer 3 → 2 → 1 → 0) before any result.
    update(&mut m, press(KeyCode::Up));
    assert_eq!(m.scope, Some((0, 2)));
    assert!(m.computing());
    // Nothing was squashed on the UI thread: the tree is still the whole image.
    assert!(visible_paths(&m).contains(&"app".to_string()));
    let screen = lines(&render(&m)).join("\n");
    // Index 2 is the third layer: people count from 1.
    assert!(screen.contains("computing layer 3…"), "{screen}");
    update(&mut m, press(KeyCode::Up));
    update(&mut m, press(KeyCode::Up));
    assert_eq!(m.scope, Some((0, 0)));
    // Only the first move's build started; the others wait, coalesced.
    let first = scope_requests(&m);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].layer, 2);

    // Layer 2's result arrives late: dropped, and the latest selection
    // (layer 0; layer 1 is skipped) starts building.
    let late = build(&mut m);
    update(&mut m, late);
    assert!(m.computing());
    assert!(visible_paths(&m).contains(&"app".to_string()));
    let next = scope_requests(&m);
    assert_eq!(next.len(), 1);
    assert_eq!(next[0].layer, 0);
    let fresh = build(&mut m);
    update(&mut m, fresh);
    assert!(!m.computing());
    assert!(scope_requests(&m).is_empty());
    // Index 0, the first layer as people number it.
    assert_eq!(m.pane().unwrap().title, "image · up to layer 1");
    assert!(!visible_paths(&m).contains(&"src".to_string()));
    let screen = lines(&render(&m)).join("\n");
    assert!(!screen.contains("computing"), "{screen}");

    // A result for a selection cleared meanwhile (Esc) is dropped too.
    update(&mut m, press(KeyCode::Down));
    let late = build(&mut m);
    update(&mut m, press(KeyCode::Esc));
    assert_eq!(m.scope, None);
    update(&mut m, late);
    assert_eq!(m.scope, None);
    assert!(m.scoped.is_none());
    assert!(scope_requests(&m).is_empty());
    assert!(visible_paths(&m).contains(&"app".to_string()));
}

/// Opening the tree shares the loaded image's tree rather than copying it
/// (a million-node copy stalled the UI thread), and a replaced or stale
/// layer tree is handed to the runner to free, not freed in `update`.
#[test]
fn big_trees_are_shared_and_freed_off_the_ui_thread() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    let loaded = m.slots[0].loaded().expect("loaded").clone();
    let main = m.main.as_ref().expect("the tree pane");
    assert!(Arc::ptr_eq(&main.tree, &loaded.tree), "the tree was copied");
    assert!(m.retired.is_empty());
    update(&mut m, press(KeyCode::Tab));
    update(&mut m, press(KeyCode::Up));
    let first = build(&mut m);
    update(&mut m, first);
    assert!(m.scoped.is_some());
    assert!(m.retired.is_empty(), "nothing replaced yet");
    // The next layer's tree replaces this one: the old one is retired.
    update(&mut m, press(KeyCode::Up));
    let second = build(&mut m);
    update(&mut m, second);
    assert_eq!(m.retired.len(), 1);
    // A stale result (its selection cleared meanwhile) is retired too, and
    // so is the shown layer tree the clearing let go of.
    update(&mut m, press(KeyCode::Up));
    let late = build(&mut m);
    update(&mut m, press(KeyCode::Esc));
    assert!(m.scoped.is_none());
    assert_eq!(m.retired.len(), 2);
    update(&mut m, late);
    assert_eq!(m.retired.len(), 3);
}

#[test]
fn layer_only_marks_deletions() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    ctrl(&mut m, 'l');
    assert_eq!(m.scope, Some((0, 1)));
    let p = m.pane().unwrap();
    let id = p.tree.lookup(b"tmp/scratch.txt").unwrap();
    assert_eq!(p.tree.node(id).mark, stagediff::ui::tree::Mark::Eliminated);
    let id = p.tree.lookup(b"etc/passwd").unwrap();
    assert_eq!(p.tree.node(id).mark, stagediff::ui::tree::Mark::Changed);
}

#[test]
fn eliminated_view_says_it_is_sorted_by_size_whatever_s_says() {
    let mut m = compared((110, 32));
    key(&mut m, KeyCode::Char('2'));
    let rows = visible_paths(&m);
    for sort in [Sort::Name, Sort::Size, Sort::Name] {
        assert_eq!(m.sort, sort);
        let screen = lines(&render(&m)).join("\n");
        assert!(screen.contains("rows · sort size"), "{screen}");
        assert!(screen.contains("s sort:size"), "{screen}");
        assert_eq!(visible_paths(&m), rows, "groups stay in bytes order");
        key(&mut m, KeyCode::Char('s'));
    }
    // The file tree follows `s`.
    key(&mut m, KeyCode::Char('1'));
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("sort size"), "{screen}");
    key(&mut m, KeyCode::Char('s'));
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("sort name"), "{screen}");
}

fn mark_of(m: &Model, path: &str) -> stagediff::ui::tree::Mark {
    let p = m.pane().unwrap();
    p.tree.node(p.tree.lookup(path.as_bytes()).unwrap()).mark
}

#[test]
fn directories_summarise_their_subtree() {
    use stagediff::ui::tree::Mark;
    let m = compared_tree((110, 32));
    // Wholly eliminated subtrees read as eliminated, all the way up.
    assert_eq!(mark_of(&m, "usr"), Mark::Eliminated);
    assert_eq!(mark_of(&m, "usr/lib/go-1.19"), Mark::Eliminated);
    // etc/ keeps a changed passwd and loses os-release: mixed, not blank.
    assert_eq!(mark_of(&m, "etc/passwd"), Mark::Changed);
    assert_eq!(mark_of(&m, "etc/os-release"), Mark::Eliminated);
    assert_eq!(mark_of(&m, "etc"), Mark::Mixed);
    let mut m = m;
    while selected_path(&m) != "etc" {
        key(&mut m, KeyCode::Down);
    }
    let screen = lines(&render(&m));
    assert!(
        screen.iter().any(|l| l.contains("* ├─▾etc/")),
        "{}",
        screen.join("\n")
    );
    assert!(
        screen
            .iter()
            .any(|l| l.contains("status   mixed: 1 eliminated 1 changed")),
        "{}",
        screen.join("\n")
    );
}

#[test]
fn status_filter_keeps_ancestors_of_matches_open() {
    let mut m = compared_tree((110, 40));
    // Close everything first: the filter must open the way to matches.
    let p = m.main.as_mut().unwrap();
    p.expanded.iter_mut().skip(1).for_each(|e| *e = false);
    p.reflow(Sort::Name, 30);
    assert!(!visible_paths(&m).contains(&"etc/os-release".to_string()));
    key(&mut m, KeyCode::Char('f'));
    assert_eq!(m.status_filter, StatusFilter::Eliminated);
    let rows = visible_paths(&m);
    for p in [
        "etc",
        "etc/os-release",
        "usr",
        "usr/lib",
        "usr/lib/x86_64-linux-gnu",
        "usr/lib/x86_64-linux-gnu/libc.so.6",
    ] {
        assert!(rows.contains(&p.to_string()), "{p} in {rows:?}");
    }
    assert!(!rows.contains(&"etc/passwd".to_string()), "{rows:?}");
    assert!(!rows.contains(&"app".to_string()), "{rows:?}");
    // Changed: only passwd, under its (mixed) parent.
    key(&mut m, KeyCode::Char('f'));
    assert_eq!(m.status_filter, StatusFilter::Changed);
    assert_eq!(visible_paths(&m), vec!["etc", "etc/passwd"]);
    // Added and moved: nothing in this pair; the tree says so.
    key(&mut m, KeyCode::Char('f'));
    assert_eq!(m.status_filter, StatusFilter::Added);
    assert!(visible_paths(&m).is_empty());
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("no paths match the filter"), "{screen}");
}

#[test]
fn views_switch() {
    let mut m = loaded(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Char('2'));
    assert_eq!(m.screen, Screen::Eliminated);
    key(&mut m, KeyCode::Char('3'));
    assert_eq!(m.screen, Screen::Audit);
    key(&mut m, KeyCode::Char('1'));
    assert_eq!(m.screen, Screen::Tree);
}

#[test]
fn help_swallows_keys_until_closed() {
    let mut m = loaded(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Char('?'));
    key(&mut m, KeyCode::Char('s'));
    assert_eq!(m.sort, Sort::Name);
    key(&mut m, KeyCode::Char('?'));
    assert!(!m.help);
    key(&mut m, KeyCode::Char('?'));
    key(&mut m, KeyCode::Char('q'));
    assert!(m.quit);
}

#[test]
fn mouse_wheel_scrolls_and_click_selects() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    let tree = m.areas().tree.unwrap();
    let at = |kind, row| MouseEvent {
        kind,
        column: tree.x + 5,
        row,
        modifiers: KeyModifiers::NONE,
    };
    update(
        &mut m,
        Action::Mouse(at(MouseEventKind::ScrollDown, tree.y + 3)),
    );
    assert_eq!(m.pane().unwrap().cursor.selected, 3);
    // Row y+1 is the column header; y+2 the first row.
    update(
        &mut m,
        Action::Mouse(at(MouseEventKind::Down(MouseButton::Left), tree.y + 3)),
    );
    assert_eq!(m.pane().unwrap().cursor.selected, 1);
    assert_eq!(selected_path(&m), "bin");
    // A second click on the selected directory toggles it.
    let before = m.pane().unwrap().rows.len();
    update(
        &mut m,
        Action::Mouse(at(MouseEventKind::Down(MouseButton::Left), tree.y + 3)),
    );
    assert_eq!(m.pane().unwrap().rows.len(), before - 2);
}

#[test]
fn keys_from_config_apply() {
    let cfg: toml::Table = "[keys]\nquit = [\"x\"]\n".parse().unwrap();
    let mut m = Model::new(
        vec!["a".into()],
        KeyMap::from_config(&cfg).unwrap(),
        Instant::now(),
    );
    key(&mut m, KeyCode::Char('q'));
    assert!(!m.quit);
    key(&mut m, KeyCode::Char('x'));
    assert!(m.quit);
}

#[test]
fn comparison_fills_the_views() {
    let mut m = compared_tree((110, 32));
    assert!(m.comparison.is_some());
    assert_eq!(m.pane().unwrap().tree.sides, 2);
    // f → eliminated: only eliminated paths (and their directories) stay.
    key(&mut m, KeyCode::Char('f'));
    let paths = visible_paths(&m);
    assert!(paths.iter().any(|p| p.ends_with("bin/go")), "{paths:?}");
    assert!(!paths.iter().any(|p| p == "app"));
    key(&mut m, KeyCode::Esc);
    key(&mut m, KeyCode::Char('2'));
    assert!(m.pane().unwrap().groups);
    assert!(!m.pane().unwrap().rows.is_empty());
}

/// Layer trees reuse the previous build's squash state; whatever order the
/// layers are visited in, each must equal a squash from layer 0.
#[test]
fn layer_trees_built_incrementally_equal_full_squashes() {
    use stagediff::ui::app::Loaded;
    // Twelve layers that add, replace and delete over each other.
    let layers: Vec<_> = (0..12usize)
        .map(|i| {
            let mut entries = vec![
                dir("d"),
                file(&format!("d/f{i}"), 10 + i as u64, i as u128),
                file("d/shared", 100 + i as u64, 1000 + i as u128),
            ];
            if i % 3 == 2 {
                entries.push(whiteout(&format!("d/f{}", i - 1)));
            }
            if i % 4 == 3 {
                entries.push(whiteout("d"));
                entries.push(file("d2/x", 7, 7));
            }
            layer(i, &format!("RUN step {i}"), entries)
        })
        .collect();
    let loaded = Loaded::new(image("inc:1", layers));
    let shape = |t: &stagediff::tree::FileTree| -> Vec<(Vec<u8>, u64, u64, u32)> {
        t.iter()
            .map(|id| {
                let n = t.node(id);
                (t.path_of(id), n.size, t.total(id), t.files(id))
            })
            .collect()
    };
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut order: Vec<usize> = (1..=12).chain((1..=12).rev()).collect();
    for _ in 0..40 {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        order.push(1 + (rng % 12) as usize);
    }
    for count in order {
        let got = loaded.squash_upto(count);
        let want = stagediff::tree::squash_upto(&loaded.image.layers, count);
        assert_eq!(shape(&got.tree), shape(&want.tree), "after {count} layers");
        assert_eq!(got.tree.total_size(), want.tree.total_size());
        assert_eq!(got.changes.last(), want.changes.last(), "layer {count}");
    }
}

#[test]
fn unread_package_database_is_a_standing_notice() {
    let mut before = single_stage();
    before.layers.push(layer(
        3,
        "/bin/sh -c zypper install -y gcc",
        vec![
            dir("usr/lib/sysimage/rpm"),
            file("usr/lib/sysimage/rpm/Packages.db", 8192, 77),
        ],
    ));
    let after = multi_stage();
    let c =
        stagediff::ui::app::Compared::new(&before, &after, &stagediff::analysis::Rules::builtin());
    let mut m = loaded(vec![before, after], (160, 30));
    m.effects.clear();
    update(&mut m, Action::Compared(Box::new(c)));
    let notice = m.notice.clone().unwrap_or_default();
    assert!(
        notice.starts_with("BEFORE: rpm database /usr/lib/sysimage/rpm/Packages.db is NDB"),
        "{notice}"
    );
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("BEFORE: rpm database"), "{screen}");
    // Moving about does not clear it.
    key(&mut m, KeyCode::Down);
    assert_eq!(m.notice.as_deref(), Some(notice.as_str()));
    // A comparison without warnings has no notice.
    assert_eq!(compared((160, 30)).notice, None);
}

#[test]
fn a_moved_file_names_its_other_path_on_both_sides() {
    use stagediff::ui::app::TreeRef;
    let before = image(
        "moved:before",
        vec![layer(
            0,
            "COPY . /src",
            vec![dir("src"), file("src/app", 900, 55), file("conf", 10, 1)],
        )],
    );
    let after = image(
        "moved:after",
        vec![layer(
            0,
            "COPY app /",
            vec![file("app", 900, 55), file("conf", 10, 2)],
        )],
    );
    let cmp = Arc::new(stagediff::analysis::compare(
        &before,
        &after,
        &stagediff::analysis::Rules::builtin(),
    ));
    let b = cmp.before.tree.lookup(b"src/app").unwrap();
    let a = cmp.after.tree.lookup(b"app").unwrap();
    let moved_to = TreeRef::Before(cmp.clone()).moved(cmp.before.facts(b));
    assert_eq!(moved_to, Some(("moved to", "/app".to_string())));
    let moved_from = TreeRef::After(cmp.clone()).moved(cmp.after.facts(a));
    assert_eq!(moved_from, Some(("moved from", "/src/app".to_string())));
    // A file that did not move says nothing, even with a counterpart (a
    // changed file); nor does a one-image tree.
    let conf = cmp.before.tree.lookup(b"conf").unwrap();
    assert!(cmp.before.facts(conf).counterpart.is_some());
    assert_eq!(
        TreeRef::Before(cmp.clone()).moved(cmp.before.facts(conf)),
        None
    );
    let src = cmp.before.tree.lookup(b"src").unwrap();
    assert_eq!(
        TreeRef::Before(cmp.clone()).moved(cmp.before.facts(src)),
        None
    );
    let own = TreeRef::Own(cmp.before.tree.clone());
    assert_eq!(own.moved(cmp.before.facts(b)), None);
}

/// The group rows of the pane on screen (labels as shown).
fn group_labels(m: &Model) -> Vec<String> {
    let p = m.pane().unwrap();
    p.tree
        .node(0)
        .children
        .iter()
        .map(|&c| String::from_utf8_lossy(p.tree.node(c).name).into_owned())
        .collect()
}

#[test]
fn single_image_load_asks_for_a_plan_and_views_2_and_3_show_it() {
    let mut m = loaded(vec![scripted()], (100, 30));
    assert_eq!(m.effects, vec![Effect::Plan], "the load asks for the plan");
    // Before it is in, views 2 and 3 are placeholders, not the explorer.
    key(&mut m, KeyCode::Char('2'));
    assert_eq!(m.screen, Screen::Eliminated);
    assert!(m.pane().is_none());
    plan(&mut m);
    assert!(m.plan_closure.is_some());
    // 2: what would go, bucket → owner → file, every file one the
    // entrypoint never uses.
    let p = m.pane().expect("the Would go list");
    assert!(p.groups);
    assert!(p.title.starts_with("Would go"), "{}", p.title);
    let labels = group_labels(&m);
    assert!(
        labels.iter().any(|l| l.starts_with("build-cache")),
        "{labels:?}"
    );
    // Open every group: the files below are the ones outside the closure.
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "/");
    key(&mut m, KeyCode::Enter);
    let paths = visible_paths(&m);
    for gone in ["bin/bash", "var/cache/apt/pkgcache.bin", "usr/share/doc"] {
        assert!(paths.iter().any(|p| p.contains(gone)), "{gone}: {paths:?}");
    }
    for kept in ["/app", "/bin/sh", "/entrypoint.sh", "libc.so.6"] {
        assert!(
            !paths.iter().any(|p| p.ends_with(kept)),
            "{kept} is needed: {paths:?}"
        );
    }
    key(&mut m, KeyCode::Esc);
    // 3: what the entrypoint needs, by part.
    key(&mut m, KeyCode::Char('3'));
    assert_eq!(m.screen, Screen::Audit);
    let p = m.pane().expect("the Needs list");
    assert!(p.title.starts_with("Needs"), "{}", p.title);
    let labels = group_labels(&m);
    for part in [
        "entrypoint · 2 files",
        "interpreter · 1 file",
        "loader · 1 file",
        "shared libraries · 1 file",
        "symlinks on the way · 1",
    ] {
        assert!(labels.iter().any(|l| l == part), "{part}: {labels:?}");
    }
    // Keys move through it like any list.
    let before = m.pane().unwrap().cursor.selected;
    key(&mut m, KeyCode::Down);
    assert_eq!(m.pane().unwrap().cursor.selected, before + 1);
    // 1 goes back to the explorer.
    key(&mut m, KeyCode::Char('1'));
    assert_eq!(m.pane().unwrap().title, "filesystem");
}

#[test]
fn a_comparison_asks_for_no_plan_and_ignores_one() {
    let mut m = loaded(vec![single_stage(), multi_stage()], (100, 30));
    assert_eq!(m.effects, vec![Effect::Compare]);
    // A plan arriving in comparison mode (it never should) changes nothing.
    let one = loaded(vec![scripted()], (100, 30));
    let rules = Arc::new(stagediff::analysis::Rules::builtin());
    let planned = job(&one, &Effect::Plan, &rules).expect("a job")();
    update(&mut m, planned);
    assert!(m.plan_closure.is_none());
    assert!(m.eliminated.is_none());
}

#[test]
fn the_closure_is_known_for_the_whole_tree_only() {
    let m = planned_tree(scripted(), (100, 30));
    let origin = |p: &stagediff::ui::app::TreePane| p.origins.files[0].clone().unwrap().1;
    let whole = origin(m.main.as_ref().unwrap());
    assert!(m.closure_for(&whole).is_some());
    // A layer's tree numbers its nodes its own way: no closure for it.
    let mut m = m;
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    let scoped = origin(m.scoped.as_ref().expect("the layer's tree"));
    assert!(m.closure_for(&scoped).is_none());
    // Comparison mode: AFTER's closure, none for BEFORE.
    let c = compared((100, 30));
    let files = &c.audit.as_ref().unwrap().origins.files[0]
        .clone()
        .unwrap()
        .1;
    assert!(c.closure_for(files).is_some());
    let before = &c.eliminated.as_ref().unwrap().origins.files[0]
        .clone()
        .unwrap()
        .1;
    assert!(c.closure_for(before).is_none());
}

#[test]
fn audit_splits_after_into_needed_and_never_used() {
    let mut m = compared((110, 32));
    key(&mut m, KeyCode::Char('3'));
    let p = m.pane().unwrap();
    assert_eq!(
        p.summary.as_deref(),
        Some("AFTER: 6.46 MB needed · 40 B never used")
    );
    let labels = group_labels(&m);
    assert!(
        labels
            .iter()
            .any(|l| l == "needed by the entrypoint · 1 path"),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l == "never used · 1 file"),
        "{labels:?}"
    );
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "/");
    key(&mut m, KeyCode::Enter);
    // Each file under exactly its group.
    let p = m.pane().unwrap();
    let under = |path: &str| -> Vec<String> {
        p.rows
            .iter()
            .filter(|r| p.tree.node(r.id).name == path.as_bytes())
            .map(|r| {
                let mut top = r.id;
                while p.tree.node(top).parent != 0 {
                    top = p.tree.node(top).parent;
                }
                String::from_utf8_lossy(p.tree.node(top).name).into_owned()
            })
            .collect()
    };
    // Each file under exactly one group of the split, and once more under
    // what ships (every file of AFTER, by bucket and owner).
    assert_eq!(
        under("/app"),
        vec![
            "ships: other · 2 files",
            "needed by the entrypoint · 1 path"
        ]
    );
    assert_eq!(
        under("/etc/passwd"),
        vec!["ships: other · 2 files", "never used · 1 file"]
    );
}

#[test]
fn audit_leaves_open_on_the_files_that_ship() {
    let mut m = compared((110, 32));
    key(&mut m, KeyCode::Char('3'));
    let p = m.pane().unwrap();
    let t = &p.tree;
    let cmp = m.comparison.as_ref().unwrap();
    let mut files = Vec::new();
    for &g in t.node(0).children {
        if !t.node(g).shown_name().starts_with("ships: ") {
            continue;
        }
        for &o in t.node(g).children {
            let owner = t.node(o);
            assert!(
                !owner.children.is_empty(),
                "{} opens on its files",
                owner.shown_name()
            );
            // The owner's bytes are its files' bytes.
            let sum: u64 = owner
                .children
                .iter()
                .map(|&f| t.node(f).size[0].unwrap_or(0))
                .sum();
            assert_eq!(Some(sum), owner.size[0], "{}", owner.shown_name());
            for &f in owner.children {
                // Each leaf is a file of AFTER, whose details can be shown.
                let id = t.node(f).origin[0].expect("a node of AFTER");
                assert_eq!(
                    cmp.after.display_path(id),
                    String::from_utf8_lossy(t.node(f).name)
                );
                files.push(cmp.after.display_path(id));
            }
        }
    }
    files.sort();
    assert_eq!(files, vec!["/app", "/etc/passwd"]);
    // Opened with keys: the owner row expands onto its file.
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "passwd");
    key(&mut m, KeyCode::Enter);
    assert!(
        visible_paths(&m)
            .iter()
            .any(|p| p.starts_with("ships: ") && p.ends_with("//etc/passwd")),
        "{:?}",
        visible_paths(&m)
    );
}

#[test]
fn an_image_without_entrypoint_says_so_above_both_lists() {
    let mut m = planned(single_stage(), (100, 30));
    key(&mut m, KeyCode::Char('3'));
    assert_eq!(
        m.pane().unwrap().summary.as_deref(),
        Some("the image has no entrypoint")
    );
    key(&mut m, KeyCode::Char('2'));
    assert_eq!(
        m.pane().unwrap().summary.as_deref(),
        Some("no entrypoint found: nothing is known to be needed")
    );
    // With one, the summary reads the prediction.
    let mut m = planned(scripted(), (100, 30));
    key(&mut m, KeyCode::Char('2'));
    assert_eq!(
        m.pane().unwrap().summary.as_deref(),
        Some("10.28 MB of 19.00 MB would go (−54.1%) · runtime 8.72 MB")
    );
}

/// The lines of the details pane (the explorer's left column).
fn screen_text(m: &Model) -> String {
    lines(&render(m)).join("\n")
}

#[test]
fn files_the_app_may_read_are_listed_apart_and_named_in_the_details() {
    // A static Go binary on a base with the CA bundle: Go reads it only
    // when it opens a TLS connection.
    let mut l = layer(
        0,
        "COPY . /",
        vec![
            executable("app", 6_000_000, 1),
            file("etc/ssl/certs/ca-certificates.crt", 200_000, 2),
            executable("bin/bash", 1_000_000, 3),
        ],
    );
    attach(&mut l, vec![facts("app", go_binary())]);
    let mut img = image("go:tls", vec![l]);
    img.config.entrypoint = vec!["/app".into()];
    let mut m = planned(img, (120, 40));
    key(&mut m, KeyCode::Char('3'));
    let labels = group_labels(&m);
    assert!(
        labels.iter().any(|l| l == "may read: data files · 1 file"),
        "{labels:?}"
    );
    assert!(
        labels.iter().any(|l| l == "entrypoint · 1 file"),
        "{labels:?}"
    );
    // The details of the bundle in the explorer.
    key(&mut m, KeyCode::Char('1'));
    key(&mut m, KeyCode::Char('/'));
    chars(&mut m, "ca-cert");
    key(&mut m, KeyCode::Enter);
    key(&mut m, KeyCode::End);
    let s = screen_text(&m);
    assert!(s.contains("runtime  may read · data files"), "{s}");
    assert!(s.contains("why      Go, Python, Node and Java read"), "{s}");
}

#[test]
fn a_layers_statuses_read_as_what_the_layer_did() {
    let img = image(
        "x:1",
        vec![
            layer(
                0,
                "ADD a",
                vec![dir("etc"), file("etc/a", 5, 1), file("etc/old", 3, 2)],
            ),
            layer(
                1,
                "ADD b",
                vec![dir("etc"), file("etc/b", 5, 3), whiteout("etc/old")],
            ),
        ],
    );
    let mut m = loaded_tree(vec![img], (100, 30));
    key(&mut m, KeyCode::Tab);
    ctrl(&mut m, 'l');
    assert_eq!(m.scope, Some((0, 1)));
    update(
        &mut m,
        Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::BackTab,
            KeyModifiers::SHIFT,
        )),
    );
    let status_of = |m: &mut Model, path: &str| {
        key(m, KeyCode::Home);
        while selected_path(m) != path {
            key(m, KeyCode::Down);
        }
        let s = lines(&render(m)).join("\n");
        s.lines()
            .find_map(|l| l.split("status   ").nth(1))
            .map(|r| r.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("no status for {path}:\n{s}"))
    };
    assert_eq!(status_of(&mut m, "etc"), "unchanged");
    assert_eq!(status_of(&mut m, "etc/old"), "deleted");
    assert_eq!(status_of(&mut m, "etc/b"), "added");
    // A comparison keeps its own words.
    let mut c = compared_tree((110, 32));
    key(&mut c, KeyCode::Char('f'));
    assert!(lines(&render(&c)).join("\n").contains("status:eliminated"));
}

#[test]
fn ctrl_space_collapses_everything_and_keeps_the_place() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    // Open a deep path by hand and select it.
    for name in ["usr", "usr/lib", "usr/lib/go-1.19", "usr/lib/go-1.19/src"] {
        key(&mut m, KeyCode::Home);
        while selected_path(&m) != name {
            key(&mut m, KeyCode::Down);
        }
        key(&mut m, KeyCode::Right);
    }
    key(&mut m, KeyCode::Down);
    assert_eq!(selected_path(&m), "usr/lib/go-1.19/src/fmt");
    ctrl(&mut m, ' ');
    let p = m.pane().unwrap();
    assert!(
        p.rows.iter().all(|r| r.depth == 0),
        "{:?}",
        visible_paths(&m)
    );
    assert_eq!(selected_path(&m), "usr");
    // Space still opens one directory.
    key(&mut m, KeyCode::Char(' '));
    assert!(visible_paths(&m).contains(&"usr/lib".to_string()));
    // ctrl+o sorts, like s.
    ctrl(&mut m, 'o');
    assert_eq!(m.sort, Sort::Size);
}

fn shift(m: &mut Model, code: KeyCode) {
    update(
        m,
        Action::Key(crossterm::event::KeyEvent::new(code, KeyModifiers::SHIFT)),
    );
    settle(m);
}

/// Paths of the tree on screen with their status words, all expanded.
fn marked_paths(m: &Model) -> Vec<(String, &'static str)> {
    let p = m.pane().unwrap();
    p.rows
        .iter()
        .map(|r| {
            let n = p.tree.node(r.id);
            (
                String::from_utf8_lossy(&p.tree.path_of(r.id)).into_owned(),
                n.mark.layer_name(),
            )
        })
        .collect()
}

/// `v` then moves select a range of layers; the tree shows what the range
/// does as one step. shift+↑/↓ do the same; `v` again or Esc end it.
#[test]
fn v_and_shift_arrows_select_a_range_of_layers() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    assert_eq!(m.range(), None);
    key(&mut m, KeyCode::Char('v'));
    assert_eq!(m.range(), Some((0, 1, 1)));
    key(&mut m, KeyCode::Down);
    key(&mut m, KeyCode::Down);
    assert_eq!(m.range(), Some((0, 1, 3)));
    assert_eq!(m.pane().unwrap().title, "image · changes of layers 2–4");
    // Layers 2–4 (indexes 1..=3) as one step: passwd rewritten, the
    // scratch file of layer 1 deleted, the toolchain, sources and app
    // added; nothing of layer 1 alone.
    let paths = marked_paths(&m);
    let status = |p: &str| {
        paths
            .iter()
            .find(|(q, _)| q == p)
            .map(|(_, s)| *s)
            .unwrap_or("absent")
    };
    assert_eq!(status("etc/passwd"), "modified");
    assert_eq!(status("tmp/scratch.txt"), "deleted");
    assert_eq!(status("app"), "added");
    assert_eq!(status("src/main.go"), "added");
    assert_eq!(status("usr/lib/go-1.19/bin/go"), "added");
    assert_eq!(status("bin/sh"), "absent");
    let totals = m.range_totals().expect("the range's totals are in");
    assert_eq!(totals.deleted.entries, 1);
    assert_eq!(totals.deleted.bytes, 10);
    assert_eq!(totals.modified.entries, 1);
    assert_eq!(totals.modified.bytes, 950);

    // The range runs both ways from where it started.
    key(&mut m, KeyCode::Home);
    assert_eq!(m.range(), Some((0, 0, 1)));
    // `v` again: one layer, the one under the cursor.
    key(&mut m, KeyCode::Char('v'));
    assert_eq!(m.range(), None);
    assert_eq!(m.scope, Some((0, 0)));

    // shift+↓ starts a range where the cursor is and extends it.
    shift(&mut m, KeyCode::Down);
    shift(&mut m, KeyCode::Down);
    assert_eq!(m.range(), Some((0, 0, 2)));
    let r = m.scoped.as_ref().unwrap();
    assert_eq!(r.title, "image · changes of layers 1–3");
    shift(&mut m, KeyCode::Up);
    assert_eq!(m.range(), Some((0, 0, 1)));
    // Esc ends the range, keeps the layer; a second Esc the layer.
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.range(), None);
    assert_eq!(m.scope, Some((0, 1)));
    key(&mut m, KeyCode::Esc);
    assert_eq!(m.scope, None);

    // From the tree, `v` focuses the layers and starts there.
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Pane::Tree);
    key(&mut m, KeyCode::Char('v'));
    assert_eq!(m.focus, Pane::Layers(0));
    assert_eq!(m.range(), Some((0, 1, 1)));
    // ctrl+l / ctrl+a are about one layer: the range ends.
    ctrl(&mut m, 'l');
    assert_eq!(m.range(), None);
    assert_eq!(m.layer_mode, LayerMode::Only);
}

/// A range's build is one background job like a layer's, and asks for the
/// range's first layer.
#[test]
fn a_range_is_built_in_the_background() {
    let mut m = loaded_tree(vec![single_stage()], (100, 30));
    update(&mut m, press(KeyCode::Tab));
    // The last layer alone as a range, then layers 3–4 before it is in.
    update(&mut m, press(KeyCode::Char('v')));
    update(&mut m, press(KeyCode::Up));
    assert!(m.computing());
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("computing layers 3–4…"), "{screen}");
    let requests = scope_requests(&m);
    assert_eq!(requests.len(), 1, "one at a time");
    assert_eq!((requests[0].first, requests[0].layer), (Some(3), 3));
    let stale = build(&mut m);
    update(&mut m, stale);
    assert!(m.computing(), "the first range's result is not the latest");
    let requests = scope_requests(&m);
    assert_eq!((requests[0].first, requests[0].layer), (Some(2), 3));
    let done = build(&mut m);
    update(&mut m, done);
    assert!(!m.computing());
    let screen = lines(&render(&m)).join("\n");
    // The details say what the range does.
    assert!(screen.contains("layers 3–4 · "), "{screen}");
    assert!(screen.contains("added    5 entries · 6.58 MB"), "{screen}");
}

/// In a comparison, a range of AFTER's or BEFORE's layers reads in layer
/// words too, and the status filter cycles through them.
#[test]
fn a_range_in_a_comparison_reads_as_what_the_layers_did() {
    let mut m = compared_tree((100, 30));
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Pane::Layers(0));
    key(&mut m, KeyCode::Char('v'));
    key(&mut m, KeyCode::Up);
    assert_eq!(m.range(), Some((0, 2, 3)));
    assert_eq!(m.pane().unwrap().title, "BEFORE · changes of layers 3–4");
    assert!(m.layer_words());
    key(&mut m, KeyCode::Char('f'));
    assert_eq!(m.status_name(), "deleted");
    // Moving to AFTER's layers ends BEFORE's range.
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Pane::Layers(1));
    key(&mut m, KeyCode::Home);
    assert_eq!(m.range(), None);
    assert_eq!(m.anchor, None);
}

/// dive's change-type toggles in the tree: ctrl+a added, ctrl+r removed,
/// ctrl+m (or M) modified, ctrl+u unmodified; ctrl+a in the layers list
/// still aggregates.
#[test]
fn change_type_toggles_hide_and_show_rows_in_the_tree() {
    use stagediff::ui::tree::Mark;
    let mut m = compared_tree((100, 30));
    update(&mut m, Action::Resize(160, 30));
    assert_eq!(m.focus, Pane::Tree);
    let marks = |m: &Model| -> Vec<Mark> {
        let p = m.pane().unwrap();
        p.rows.iter().map(|r| p.tree.node(r.id).mark).collect()
    };
    // Everything open, so the toggles have files to hide.
    update(&mut m, press(KeyCode::Char('/')));
    update(&mut m, press(KeyCode::Char('/')));
    update(&mut m, press(KeyCode::Enter));
    assert!(marks(&m).contains(&Mark::Eliminated));
    assert!(marks(&m).contains(&Mark::Changed));
    assert!(marks(&m).contains(&Mark::Carried));
    ctrl(&mut m, 'r');
    assert!(!marks(&m).contains(&Mark::Eliminated), "{:?}", marks(&m));
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("· hiding eliminated "), "{screen}");
    ctrl(&mut m, 'u');
    assert!(!marks(&m).contains(&Mark::Carried));
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("· hiding eliminated, carried "), "{screen}");
    // ctrl+r again shows them.
    ctrl(&mut m, 'r');
    assert!(marks(&m).contains(&Mark::Eliminated));
    ctrl(&mut m, 'u');
    assert!(m.hidden.is_empty());
    // M stands in for ctrl+m (most terminals send ctrl+m as Enter).
    update(
        &mut m,
        Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('M'),
            KeyModifiers::SHIFT,
        )),
    );
    assert!(m.hidden.hides(Mark::Changed));
    assert!(!marks(&m).contains(&Mark::Changed));
    update(
        &mut m,
        Action::Key(crossterm::event::KeyEvent::new(
            KeyCode::Char('M'),
            KeyModifiers::SHIFT,
        )),
    );
    // ctrl+a: added in the tree, aggregated in the layers list.
    ctrl(&mut m, 'a');
    assert!(m.hidden.hides(Mark::Added));
    assert_eq!(m.scope, None, "no layer was picked");
    ctrl(&mut m, 'a');
    key(&mut m, KeyCode::Tab);
    assert!(matches!(m.focus, Pane::Layers(_)));
    ctrl(&mut m, 'l');
    assert_eq!(m.layer_mode, LayerMode::Only);
    ctrl(&mut m, 'a');
    assert_eq!(m.layer_mode, LayerMode::Aggregated);
    assert!(m.hidden.is_empty());
}

/// One image: its whole tree has no change types (the toggles say so);
/// a layer's changes do.
#[test]
fn change_type_toggles_on_one_image_work_on_a_layers_changes() {
    // Wide enough for the tree's title to say all it says.
    let mut m = loaded_tree(vec![single_stage()], (160, 30));
    ctrl(&mut m, 'r');
    assert!(m.hidden.is_empty());
    assert!(m.flash.as_deref().unwrap_or("").contains("no change types"));
    key(&mut m, KeyCode::Tab);
    key(&mut m, KeyCode::Home);
    key(&mut m, KeyCode::Down);
    ctrl(&mut m, 'l');
    key(&mut m, KeyCode::Tab);
    assert_eq!(m.focus, Pane::Tree);
    assert!(visible_paths(&m).contains(&"tmp/scratch.txt".to_string()));
    ctrl(&mut m, 'r');
    assert!(!visible_paths(&m).contains(&"tmp/scratch.txt".to_string()));
    let screen = lines(&render(&m)).join("\n");
    assert!(screen.contains("· hiding deleted "), "{screen}");
    // Hide everything this layer did: the tree says why it is empty.
    ctrl(&mut m, 'a');
    ctrl(&mut m, 'm');
    ctrl(&mut m, 'u');
    assert!(visible_paths(&m).is_empty(), "{:?}", visible_paths(&m));
    let screen = lines(&render(&m)).join("\n");
    assert!(
        screen.contains("every change here is hidden · ctrl+a ctrl+r ctrl+m/M ctrl+u show them"),
        "{screen}"
    );
}

/// A layer's (or a range's) changes open whole when few; when many, only
/// as far as about a screenful, level by level (taking a 200k-row tree
/// fully open cost the UI thread 35 ms).
#[test]
fn many_changes_open_only_so_far() {
    let mut entries = vec![dir("big")];
    for d in 0..30 {
        for f in 0..100 {
            entries.push(file(
                &format!("big/d{d:02}/f{f:03}"),
                10,
                (d * 100 + f) as u128,
            ));
        }
    }
    let img = image("many:1", vec![layer(0, "ADD many", entries)]);
    let mut m = loaded_tree(vec![img], (100, 30));
    key(&mut m, KeyCode::Tab);
    ctrl(&mut m, 'l');
    let rows = m.pane().unwrap().rows.len();
    // big, its 30 directories, and as many of them open as fit in 2,000.
    assert_eq!(rows, 1 + 30 + 19 * 100, "{rows}");
    // The same as a range.
    key(&mut m, KeyCode::Char('v'));
    assert_eq!(m.range(), Some((0, 0, 0)));
    assert_eq!(m.pane().unwrap().rows.len(), 1 + 30 + 19 * 100);
}
