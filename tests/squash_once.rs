//! Each image is squashed once per command and once per TUI session: the
//! comparison reuses the trees the loads built. Counted through
//! `pipeline::squash_count` (the binary prints it under
//! `STAGEDIFF_TEST_SQUASHES` in debug builds).

use stagediff::ui::app::{job, load_job, Effect};
use stagediff::ui::keys::KeyMap;
use stagediff::ui::{update, Action, Model};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo");

fn demo() -> (String, String) {
    (
        format!("docker-archive:{DEMO}/single.docker.tar.zst"),
        format!("docker-archive:{DEMO}/multi.docker.tar.zst"),
    )
}

/// The squash count the binary reports for ARGS.
fn squashes(args: &[&str]) -> usize {
    let out = Command::new(env!("CARGO_BIN_EXE_stagediff"))
        .args(args)
        .env("STAGEDIFF_TEST_SQUASHES", "1")
        .env("STAGEDIFF_CONFIG", "/nonexistent/stagediff-config.toml")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{args:?}: {err}");
    err.lines()
        .find_map(|l| l.strip_prefix("stagediff: squashes: "))
        .unwrap_or_else(|| panic!("{args:?}: no squash count (a debug build?): {err}"))
        .parse()
        .unwrap()
}

#[test]
fn every_command_squashes_each_image_once() {
    let (before, after) = demo();
    assert_eq!(squashes(&["inspect", &after]), 1, "inspect");
    assert_eq!(
        squashes(&["inspect", "--json", &after]),
        1,
        "inspect --json"
    );
    assert_eq!(squashes(&["diff", &before, &after]), 2, "diff");
    assert_eq!(
        squashes(&["diff", "--json", &before, &after]),
        2,
        "diff --json"
    );
    assert_eq!(squashes(&["demo", "--markdown"]), 2, "demo --markdown");
}

/// The TUI's loads and its comparison, run in place as the runner would.
#[test]
fn a_tui_session_squashes_each_image_once() {
    let (before, after) = demo();
    let start = stagediff::pipeline::squash_count();
    let mut m = Model::new(vec![before, after], KeyMap::default(), Instant::now());
    update(&mut m, Action::Resize(120, 40));
    let loads: Vec<_> = m
        .slots
        .iter()
        .enumerate()
        .map(|(slot, s)| {
            load_job(
                slot,
                s.reference.clone(),
                s.progress.clone(),
                &Default::default(),
            )
        })
        .collect();
    for load in loads {
        update(&mut m, load());
    }
    assert_eq!(stagediff::pipeline::squash_count() - start, 2, "two loads");
    let rules = Arc::new(stagediff::analysis::Rules::builtin());
    let effects = std::mem::take(&mut m.effects);
    assert!(effects.contains(&Effect::Compare), "{effects:?}");
    for e in effects {
        let run = job(&m, &e, &rules).expect("both images are loaded");
        update(&mut m, run());
    }
    assert!(m.comparison.is_some(), "the comparison arrived");
    assert_eq!(
        stagediff::pipeline::squash_count() - start,
        2,
        "the comparison reuses the loads' trees"
    );
}
