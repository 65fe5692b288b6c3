//! One config file, one reading: a broken config gives the same one-line
//! error, naming the file, under `diff`, `inspect` and the TUI (which stops
//! before it takes the terminal), and exit code 2 from each.

use std::process::{Command, Stdio};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/demo");

/// stderr and exit code of stagediff ARGS with `--config FILE`.
fn stderr_of(config: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stagediff"))
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("STAGEDIFF_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.stdout.is_empty(), "{args:?}: nothing on stdout");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[track_caller]
fn same_error_everywhere(config_text: &str, problem: &str) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_text).unwrap();
    let before = format!("docker-archive:{DEMO}/single.docker.tar.zst");
    let after = format!("docker-archive:{DEMO}/multi.docker.tar.zst");
    let runs = [
        ("diff", vec!["diff", before.as_str(), after.as_str()]),
        ("inspect", vec!["inspect", after.as_str()]),
        ("tui", vec![after.as_str()]),
    ];
    let mut seen = Vec::new();
    for (name, args) in &runs {
        let (code, err) = stderr_of(&config, args);
        assert_eq!(code, 2, "{name}: exit code; stderr: {err}");
        assert_eq!(err.lines().count(), 1, "{name}: one line: {err}");
        let expected = format!("stagediff: config {}: ", config.display());
        assert!(err.starts_with(&expected), "{name}: names the file: {err}");
        assert!(err.contains(problem), "{name}: says {problem:?}: {err}");
        seen.push((name, err));
    }
    for (name, err) in &seen[1..] {
        assert_eq!(err, &seen[0].1, "{name} and {} disagree", seen[0].0);
    }
}

#[test]
fn a_rule_without_a_name_reads_the_same_under_every_command() {
    same_error_everywhere("[[rules]]\nbucket = \"toolchain\"\n", "needs a name");
}

#[test]
fn a_typo_and_broken_toml_read_the_same_under_every_command() {
    same_error_everywhere("[[rule]]\nname = \"x\"\n", "unknown table or key `rule`");
    same_error_everywhere("[[rules]\n", "unclosed array table");
}
