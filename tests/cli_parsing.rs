//! How the command line is read: global flags before a subcommand, a
//! mistyped subcommand, too many images, completions and the man page.

mod common;

use common::run_cli;

const DEMO_MULTI: &str = concat!(
    "docker-archive:",
    env!("CARGO_MANIFEST_DIR"),
    "/assets/demo/multi.docker.tar.zst"
);

#[test]
fn global_flags_go_before_or_after_the_subcommand() {
    for args in [
        vec!["--no-verify", "inspect", DEMO_MULTI],
        vec!["inspect", "--no-verify", DEMO_MULTI],
        vec!["--platform", "linux/amd64", "inspect", DEMO_MULTI],
    ] {
        let (code, out, err) = run_cli(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.starts_with("Image "), "{args:?}: {out}");
    }
    let (code, out, err) = run_cli(&["--no-verify", "inspect", DEMO_MULTI]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("not verified"), "{out}");
    let config = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(config.path(), "# empty\n").unwrap();
    let path = config.path().to_str().unwrap();
    let (code, out, err) = run_cli(&["--config", path, "demo", "--json"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("\"schema\": \"stagediff.diff/v1\""),
        "{}",
        &out[..out.len().min(200)]
    );
}

#[test]
fn a_mistyped_subcommand_is_named_not_loaded() {
    for (typo, meant) in [
        ("inpsect", "inspect"),
        ("dif", "diff"),
        ("pln", "plan"),
        ("demmo", "demo"),
    ] {
        let (code, out, err) = run_cli(&[typo, "x"]);
        assert_eq!(code, 2, "{typo}: {err}");
        assert!(out.is_empty());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("did you mean `stagediff {meant}`")),
            "{err}"
        );
    }
    // A name nowhere near a command is an image, and too many images are
    // refused before anything loads.
    let (code, _, err) = run_cli(&["a", "b", "c"]);
    assert_eq!(code, 2);
    assert!(err.contains("3 images given"), "{err}");
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions() {
    for (shell, marker) in [
        ("bash", "_stagediff()"),
        ("zsh", "#compdef stagediff"),
        ("fish", "complete -c stagediff"),
    ] {
        let (code, out, err) = run_cli(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(
            out.contains(marker),
            "{shell}: {}",
            &out[..out.len().min(200)]
        );
        for sub in ["inspect", "diff", "plan", "demo"] {
            assert!(out.contains(sub), "{shell} completion lacks {sub}");
        }
    }
    let (code, out, err) = run_cli(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".TH stagediff 1"),
        "{}",
        &out[..out.len().min(200)]
    );
    assert!(out.contains("plan"));
    let (code, _, err) = run_cli(&["completions", "tcsh"]);
    assert_eq!(code, 2, "{err}");
}

/// With stdout not a terminal (a file, a pipe), the TUI's place is taken by
/// the text report of `inspect` (one image) or `diff` (two), with no escape
/// code in it, and stderr says so.
#[test]
fn without_a_terminal_the_tui_prints_the_report_instead() {
    let (code, out, err) = run_cli(&[DEMO_MULTI]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Image "), "{out}");
    assert!(
        err.contains("`stagediff inspect`'s report instead of the TUI"),
        "{err}"
    );
    let (code, out, err) = run_cli(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("BEFORE "), "{}", &out[..out.len().min(300)]);
    assert!(out.contains("Eliminated"), "{out}");
    assert!(
        err.contains("`stagediff diff`'s report instead of the TUI"),
        "{err}"
    );
    assert!(!out.contains('\x1b'), "an escape code in the report");
}

/// The demo pair is looked for beside the binary and through
/// STAGEDIFF_DEMO_DIR, not only where the source tree was at build time:
/// the reference the report names says which copy was read.
#[test]
fn the_demo_pair_is_found_beside_the_binary_or_where_the_env_says() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let tmp = tempfile::tempdir().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(bin.join("demo")).unwrap();
    let exe = bin.join("stagediff");
    std::fs::copy(env!("CARGO_BIN_EXE_stagediff"), &exe).unwrap();
    for f in ["single.docker.tar.zst", "multi.docker.tar.zst"] {
        std::fs::copy(src.join(f), bin.join("demo").join(f)).unwrap();
    }
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for f in ["single.docker.tar.zst", "multi.docker.tar.zst"] {
        std::fs::copy(src.join(f), elsewhere.join(f)).unwrap();
    }
    let before = |env: Option<&std::path::Path>| {
        let mut c = std::process::Command::new(&exe);
        c.args(["demo", "--json"])
            .env(
                "STAGEDIFF_CONFIG",
                "/nonexistent/stagediff-test-config.toml",
            )
            .env_remove("STAGEDIFF_DEMO_DIR");
        if let Some(d) = env {
            c.env("STAGEDIFF_DEMO_DIR", d);
        }
        let out = c.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["before"]["reference"].as_str().unwrap().to_string()
    };
    let beside = before(None);
    assert!(
        beside.starts_with(&format!("docker-archive:{}", bin.join("demo").display())),
        "{beside}"
    );
    let env = before(Some(&elsewhere));
    assert!(
        env.starts_with(&format!("docker-archive:{}", elsewhere.display())),
        "{env}"
    );
}

/// `diff --json | head` (and every JSON or Markdown report) ends quietly, as
/// jq and docker do: a reader that
/// closes the pipe is not an error.
#[test]
fn a_closed_pipe_ends_json_and_markdown_quietly() {
    use std::process::Stdio;
    for args in [
        vec!["demo", "--json"],
        vec!["demo", "--markdown"],
        vec!["inspect", "--json", "--entries", DEMO_MULTI],
        vec!["plan", "--json", DEMO_MULTI],
    ] {
        let mut child = common::cli()
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}
