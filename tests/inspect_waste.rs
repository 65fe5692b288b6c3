//! `stagediff inspect` on wasted space: bytes a layer stores that a later
//! layer deletes or overwrites, the efficiency, and the `--max-wasted` /
//! `--min-efficiency` gate, through the real binary.

mod common;

use common::*;

const BIG: &[u8] = &[b'L'; 40_000];
const OLD_CONF: &[u8] = &[b'c'; 3_000];
const NEW_CONF: &[u8] = &[b'C'; 1_000];

/// Layer 1 downloads package lists and writes a config; layer 2 deletes
/// the lists in its own `RUN` and rewrites the config; layer 3 empties a
/// directory with an opaque whiteout.
fn wasteful() -> Vec<Vec<u8>> {
    vec![
        layer(&[
            T::Dir("var"),
            T::Dir("var/lib/apt/lists"),
            T::File("var/lib/apt/lists/deb_main_Packages", BIG),
            T::File("var/lib/apt/lists/deb_updates_Packages", b"small"),
            T::File("etc/app.conf", OLD_CONF),
            T::File("opt/tmp/a", b"aaaaaaaaaa"),
            T::File("app", b"binary"),
        ]),
        layer(&[
            T::Whiteout("var/lib/apt/lists"),
            T::File("etc/app.conf", NEW_CONF),
        ]),
        layer(&[T::Opaque("opt/tmp"), T::File("opt/tmp/b", b"bb")]),
    ]
}

#[test]
fn inspect_reports_wasted_space_by_path_and_layer() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.tar");
    std::fs::write(&p, docker_legacy(&wasteful(), "w:1")).unwrap();
    let p = p.to_str().unwrap();

    let (code, json, err) = run_cli(&["inspect", "--json", p]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let w = &v["waste"];
    let lists = (BIG.len() + 5) as u64;
    let want_wasted = lists + OLD_CONF.len() as u64 + 10;
    assert_eq!(w["wasted"], want_wasted);
    // docker's size counts every layer's bytes: stored.
    assert_eq!(w["stored"], v["image"]["size"]);
    assert_eq!(
        w["stored"].as_u64().unwrap() - w["visible"].as_u64().unwrap(),
        want_wasted
    );
    assert_eq!(w["path_count"], 3);
    let first = &w["paths"][0];
    assert_eq!(first["path"], "/var/lib/apt/lists");
    assert_eq!(first["bytes"], lists);
    assert_eq!(first["deleted"], true);
    assert_eq!(first["dir"], true);
    assert_eq!(first["written_in"], serde_json::json!([0]));
    assert_eq!(first["hidden_by"], 1);
    let conf = &w["paths"][1];
    assert_eq!(conf["path"], "/etc/app.conf");
    assert_eq!(conf["deleted"], false);
    assert_eq!(conf["bytes"], OLD_CONF.len());
    let layer_wasted: Vec<u64> = v["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["wasted"].as_u64().unwrap())
        .collect();
    assert_eq!(layer_wasted, vec![want_wasted, 0, 0]);
    let eff = w["efficiency"].as_f64().unwrap();
    let stored = w["stored"].as_f64().unwrap();
    assert!((eff - w["visible"].as_f64().unwrap() / stored).abs() < 1e-9);

    let (code, text, _) = run_cli(&["inspect", p]);
    assert_eq!(code, 0);
    assert!(text.contains("Wasted space"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("/var/lib/apt/lists/"))
        .expect("the deleted lists are listed");
    assert!(line.contains("from layer 1 deleted by 2"), "{line}");
    assert!(
        text.contains("/etc/app.conf  from layer 1 overwritten by 2"),
        "{text}"
    );
}

#[test]
fn waste_gate_fails_with_exit_1_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.tar");
    std::fs::write(&p, docker_legacy(&wasteful(), "w:1")).unwrap();
    let p = p.to_str().unwrap();

    // Under the limits: clean.
    let (code, text, _) = run_cli(&["inspect", p, "--max-wasted", "1MB", "--min-efficiency", "2"]);
    assert_eq!(code, 0, "{text}");
    assert!(!text.contains("FAIL"));

    let (code, text, _) = run_cli(&[
        "inspect",
        p,
        "--max-wasted",
        "10kB",
        "--min-efficiency",
        "90",
    ]);
    assert_eq!(code, 1, "{text}");
    let fails: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
    assert_eq!(fails.len(), 2, "{text}");
    assert!(fails[0].contains("over --max-wasted 10 kB"), "{}", fails[0]);
    assert!(
        fails[1].contains("under --min-efficiency 90 %"),
        "{}",
        fails[1]
    );

    let (code, json, _) = run_cli(&["inspect", "--json", p, "--max-wasted", "10kB"]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["gate_failures"].as_array().unwrap().len(), 1);

    // A bad limit is a usage error before any work: exit 2, one line.
    let (code, _, err) = run_cli(&["inspect", p, "--max-wasted", "lots"]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--max-wasted"), "{err}");
    let (code, _, err) = run_cli(&["inspect", p, "--min-efficiency", "250"]);
    assert_eq!(code, 2);
    assert!(err.contains("--min-efficiency"), "{err}");
}

/// The limits are inclusive: wasted bytes equal to `--max-wasted` and an
/// efficiency equal to `--min-efficiency` pass, one byte or a hair beyond
/// fails; 0 and 100 are percentages, anything outside is a usage error.
#[test]
fn waste_gate_limits_are_inclusive() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.tar");
    std::fs::write(&p, docker_legacy(&wasteful(), "w:1")).unwrap();
    let p = p.to_str().unwrap();
    let (code, json, err) = run_cli(&["inspect", "--json", p]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let wasted = v["waste"]["wasted"].as_u64().unwrap();
    assert!(wasted > 0);
    // The same arithmetic as the gate, printed so that it parses back to
    // the same f64.
    let pct = v["waste"]["efficiency"].as_f64().unwrap() * 100.0;

    let gate = |args: &[&str]| {
        let mut all = vec!["inspect", p];
        all.extend_from_slice(args);
        let (code, out, err) = run_cli(&all);
        let fails: Vec<String> = out
            .lines()
            .filter(|l| l.starts_with("FAIL"))
            .map(String::from)
            .collect();
        (code, fails, err)
    };
    let at = wasted.to_string();
    let below = (wasted - 1).to_string();
    assert_eq!(gate(&["--max-wasted", &at]).0, 0);
    let (code, fails, _) = gate(&["--max-wasted", &below]);
    assert_eq!((code, fails.len()), (1, 1), "{fails:?}");
    assert!(fails[0].contains("over --max-wasted"), "{fails:?}");

    let exact = format!("{pct}");
    assert_eq!(exact.parse::<f64>().unwrap(), pct);
    assert_eq!(gate(&["--min-efficiency", &exact]).0, 0, "at {exact} %");
    let above = format!("{}", pct + 0.01);
    let (code, fails, _) = gate(&["--min-efficiency", &above]);
    assert_eq!((code, fails.len()), (1, 1), "{fails:?}");
    assert!(fails[0].contains("under --min-efficiency"), "{fails:?}");

    // Both bounds of the percentage are allowed; 0 never fails.
    assert_eq!(gate(&["--min-efficiency", "0"]).0, 0);
    assert_eq!(gate(&["--min-efficiency", "100"]).0, 1);
    for bad in ["--min-efficiency=100.5", "--min-efficiency=-1"] {
        let (code, _, err) = gate(&[bad]);
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(err.contains("not a percentage"), "{bad}: {err}");
    }
}

/// `inspect | head` is not an error (exit 0, nothing on stderr); any other
/// failure to write the report is (exit 2, one line naming it).
#[test]
fn a_closed_pipe_is_quiet_other_write_errors_are_not() {
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.tar");
    std::fs::write(&p, docker_legacy(&wasteful(), "w:1")).unwrap();
    let cmd = || {
        let mut c = cli();
        c.args(["inspect", p.to_str().unwrap()])
            .env("NO_COLOR", "")
            .stderr(Stdio::piped());
        c
    };
    // The reading end is closed before the image is even loaded.
    let mut child = cmd().stdout(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.is_empty(), "{err}");

    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = cmd().stdout(full).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("writing output"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// `inspect --json` is indented and leaves each layer's entries out unless
/// asked: `--entries` lists them all, `--max-entries N` at most N.
#[test]
fn inspect_json_lists_entries_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("w.tar");
    std::fs::write(&p, docker_legacy(&wasteful(), "w:1")).unwrap();
    let p = p.to_str().unwrap();
    let entries = |args: &[&str]| -> (String, Vec<usize>) {
        let (code, json, err) = run_cli(args);
        assert_eq!(code, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let layers = v["layers"].as_array().unwrap();
        for l in layers {
            assert!(l["entry_count"].as_u64().unwrap() > 0);
        }
        let n = layers
            .iter()
            .map(|l| l["entries"].as_array().unwrap().len())
            .collect();
        (json, n)
    };
    let (json, none) = entries(&["inspect", "--json", p]);
    assert_eq!(none, [0, 0, 0]);
    assert!(json.lines().count() > 20, "indented: {json}");
    let (_, all) = entries(&["inspect", "--json", "--entries", p]);
    assert_eq!(all, [7, 2, 2]);
    let (_, capped) = entries(&["inspect", "--json", "--max-entries", "1", p]);
    assert_eq!(capped, [1, 1, 1]);
}
