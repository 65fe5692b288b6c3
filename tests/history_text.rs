//! The same layer reads the same in `inspect` and in the TUI: one
//! formatter (`format::created_by`), `RUN …` for a shell command, the
//! instruction itself for the classic builder's `#(nop)` lines.

mod common;
use common::ui_fixture as fixture;
use std::process::Command;

#[test]
fn inspect_and_the_tui_show_the_same_history_text() {
    let single = concat!(
        "docker-archive:",
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/single.docker.tar.zst"
    );
    let image = stagediff::source::load(single, &Default::default(), &Default::default())
        .expect("the demo image loads");
    let expected: Vec<String> = image
        .layers
        .iter()
        .filter_map(|l| l.created_by.as_deref())
        .map(|c| stagediff::format::created_by(Some(c)))
        .filter(|t| !t.is_empty())
        .collect();
    assert!(
        expected.iter().any(|t| t.starts_with("RUN ")),
        "{expected:?}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_stagediff"))
        .args(["inspect", single])
        .env("COLUMNS", "300")
        .env("STAGEDIFF_CONFIG", "/nonexistent/stagediff-config.toml")
        .output()
        .unwrap();
    assert!(out.status.success());
    let inspect = String::from_utf8(out.stdout).unwrap();

    // The TUI's layers pane, wide enough for the start of each line.
    let m = fixture::loaded(vec![image], (200, 40));
    let screen = fixture::lines(&fixture::render(&m)).join("\n");
    for text in &expected {
        assert!(
            inspect.contains(text.as_str()),
            "inspect lacks {text:?}:\n{inspect}"
        );
        let start: String = text.chars().take(20).collect();
        assert!(
            screen.contains(&start),
            "the TUI lacks {start:?}:\n{screen}"
        );
    }
    assert!(!inspect.contains("/bin/sh -c"), "{inspect}");
    assert!(!screen.contains("/bin/sh -c"), "{screen}");
}
