//! A broken config file stops the TUI before it takes the terminal, with
//! one line naming the file and the problem and exit code 2 — never a
//! silently ignored rule or key binding. The TUI reads rules from the
//! config file only (`diff --rules` is a report option).

use std::process::{Command, Stdio};

/// Runs the TUI on the demo's AFTER image with `config` as the config
/// file (`--config`, or the default path through `STAGEDIFF_CONFIG`).
fn run(config: &str, explicit: bool) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, config).unwrap();
    let image = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/multi.docker.tar.zst"
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_stagediff"));
    if explicit {
        cmd.arg("--config").arg(&path);
    } else {
        cmd.env("STAGEDIFF_CONFIG", &path);
    }
    let out = cmd
        .arg(image)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr =
        String::from_utf8_lossy(&out.stderr).replace(&path.display().to_string(), "CONFIG");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

/// One line that starts by naming the file and says `problem`. (The
/// analysis owns the wording of rule errors; only the gist is checked.)
#[track_caller]
fn assert_fails(config: &str, explicit: bool, problem: &str) {
    let (code, stdout, stderr) = run(config, explicit);
    assert_eq!(code, 2, "exit code; stderr: {stderr}");
    assert_eq!(stdout, "", "nothing drawn");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("stagediff: config CONFIG"),
        "names the file: {stderr}"
    );
    assert!(stderr.contains(problem), "says {problem:?}: {stderr}");
}

#[test]
fn broken_rules_are_an_error_naming_the_file() {
    assert_fails("[[rules]]\nbucket = \"toolchain\"\n", true, "needs a name");
    // The default config path is read, not skipped, when it is broken.
    assert_fails("[[rules]]\nbucket = \"toolchain\"\n", false, "needs a name");
    assert_fails("rules = 3\n", true, "rules must be an array");
    assert_fails(
        "[[rules]]\nname = \"x\"\nbucket = \"toolchain\"\npaths = [\"a\"]\ntypo = 1\n",
        true,
        "typo",
    );
}

#[test]
fn broken_toml_and_keys_are_an_error_naming_the_file() {
    assert_fails("[[rules]\n", true, "unclosed array table");
    assert_fails(
        "[keys]\nquit = [\"hyper+q\"]\n",
        false,
        "[keys].quit: unknown key \"hyper+q\"",
    );
    assert_fails(
        "[keys]\nquit = { key = [\"x\"] }\n",
        true,
        "[keys].quit: unknown field \"key\"",
    );
}
