//! `stagediff diff` end to end on docker-archive tars written here.

mod common;

use common::{run_cli, sha};
use std::path::{Path, PathBuf};

fn layer_tar(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, content, mode) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(content.len() as u64);
        h.set_mode(*mode);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append_data(&mut h, path, *content).unwrap();
    }
    b.into_inner().unwrap()
}

/// A `docker save` archive with one layer.
fn archive(dir: &Path, name: &str, files: &[(&str, &[u8], u32)]) -> PathBuf {
    let layer = layer_tar(files);
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [sha(&layer)]},
        "history": [{"created_by": "COPY . ."}]
    })
    .to_string();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": [format!("test/{name}:latest")],
        "Layers": ["layer.tar"]
    }])
    .to_string();
    let mut out = tar::Builder::new(Vec::new());
    for (p, c) in [
        ("manifest.json", manifest.as_bytes()),
        ("config.json", config.as_bytes()),
        ("layer.tar", &layer[..]),
    ] {
        let mut h = tar::Header::new_gnu();
        h.set_size(c.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        out.append_data(&mut h, p, c).unwrap();
    }
    let path = dir.join(format!("{name}.tar"));
    std::fs::write(&path, out.into_inner().unwrap()).unwrap();
    path
}

struct Pair {
    _dir: tempfile::TempDir,
    before: PathBuf,
    after: PathBuf,
    dir: PathBuf,
}

fn pair(after_has_shell: bool) -> Pair {
    let dir = tempfile::tempdir().unwrap();
    let before = archive(
        dir.path(),
        "single",
        &[
            ("src/main.go", b"package main\n", 0o644),
            ("src/app", b"\x7fELF the binary", 0o755),
            ("root/.cache/go-build/aa/aa-d", &[1u8; 400], 0o644),
            ("usr/local/go/VERSION", b"go1.21.5\n", 0o644),
            ("usr/local/go/bin/go", &[2u8; 5000], 0o755),
            ("bin/sh", b"\x7fELF sh", 0o755),
        ],
    );
    let mut after_files: Vec<(&str, &[u8], u32)> = vec![("app", b"\x7fELF the binary", 0o755)];
    if after_has_shell {
        after_files.push(("bin/sh", b"\x7fELF sh", 0o755));
    }
    let after = archive(dir.path(), "multi", &after_files);
    Pair {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        before,
        after,
    }
}

#[test]
fn text_report_is_plain_when_piped() {
    let p = pair(false);
    let (code, out, err) = run_cli(&[
        "diff",
        p.before.to_str().unwrap(),
        p.after.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\x1b'), "colour on a pipe:\n{out}");
    assert!(out.contains("Eliminated"), "{out}");
    assert!(out.contains("Go 1.21"), "{out}");
    assert!(out.contains("build-cache"), "{out}");
    assert!(out.contains("/src/app → /app"), "{out}");
    assert!(out.contains("Audit of AFTER: clean"), "{out}");
}

#[test]
fn json_follows_the_schema() {
    let p = pair(true);
    let (code, out, err) = run_cli(&[
        "diff",
        "--json",
        p.before.to_str().unwrap(),
        p.after.to_str().unwrap(),
    ]);
    assert_eq!(
        code, 0,
        "findings alone do not fail without --fail-on: {err}"
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema"], "stagediff.diff/v1");
    let total = v["totals"]["eliminated"]["bytes"].as_u64().unwrap();
    let buckets = v["eliminated"].as_array().unwrap();
    assert_eq!(buckets.len(), 7);
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["bytes"].as_u64().unwrap())
            .sum::<u64>(),
        total
    );
    assert_eq!(total, 13 + 400 + 9 + 5000);
    let tc = &buckets[0];
    assert_eq!(tc["bucket"], "toolchain");
    assert_eq!(tc["owners"][0]["label"], "Go 1.21");
    assert_eq!(tc["owners"][0]["kind"], "toolchain");
    assert_eq!(v["moved"][0]["from"], "/src/app");
    assert_eq!(v["moved"][0]["to"], "/app");
    assert_eq!(v["totals"]["carried"]["files"], 1);
    assert_eq!(v["findings"][0]["kind"], "shell");
    assert_eq!(v["findings"][0]["path"], "/bin/sh");
    assert_eq!(v["gate"]["passed"], true);
}

#[test]
fn markdown_has_tables() {
    let p = pair(false);
    let (code, out, _) = run_cli(&[
        "diff",
        "--markdown",
        p.before.to_str().unwrap(),
        p.after.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("| Bucket | Bytes | Share | Files | Top owners |"),
        "{out}"
    );
    assert!(out.contains("| toolchain |"), "{out}");
    assert!(out.contains("Clean:"), "{out}");
}

#[test]
fn gate_fails_with_exit_1_and_says_why() {
    let p = pair(true);
    let (b, a) = (p.before.to_str().unwrap(), p.after.to_str().unwrap());
    let (code, out, err) = run_cli(&["diff", "--fail-on", "toolchain,shell", b, a]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("gate failed: shell") && err.contains("/bin/sh"),
        "{err}"
    );
    assert!(out.contains("Gate: FAILED"), "{out}");
    let (code, _, err) = run_cli(&["diff", "--fail-on", "toolchain,source,secret", b, a]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run_cli(&["diff", "--max-size", "10", b, a]);
    assert_eq!(code, 1);
    assert!(err.contains("max-size"), "{err}");
    let (code, _, _) = run_cli(&["diff", "--max-size", "1.5GiB", b, a]);
    assert_eq!(code, 0);
}

#[test]
fn bad_input_is_exit_2_with_one_line() {
    let p = pair(false);
    let (b, a) = (p.before.to_str().unwrap(), p.after.to_str().unwrap());
    let (code, _, err) = run_cli(&["diff", "--fail-on", "compilers", b, a]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("unknown kind"), "{err}");
    let (code, _, err) = run_cli(&["diff", "--max-size", "huge", b, a]);
    assert_eq!(code, 2, "{err}");
    let missing = p.dir.join("missing.tar");
    let (code, _, err) = run_cli(&["diff", b, missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn rules_from_a_file_and_the_config_win() {
    let p = pair(false);
    let (b, a) = (p.before.to_str().unwrap(), p.after.to_str().unwrap());
    let rules = p.dir.join("rules.toml");
    std::fs::write(
        &rules,
        "[[rules]]\nname = \"Our scratch\"\nbucket = \"other\"\npaths = [\"src/**\"]\n",
    )
    .unwrap();
    let (code, out, err) = run_cli(&["diff", "--json", "--rules", rules.to_str().unwrap(), b, a]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let other = &v["eliminated"][6];
    assert_eq!(other["owners"][0]["label"], "Our scratch");
    assert_eq!(v["eliminated"][3]["bytes"], 0, "nothing left in source");

    let config = p.dir.join("config.toml");
    std::fs::write(&config, "[buckets]\ndisable = [\"Go\"]\n").unwrap();
    let (code, out, err) = run_cli(&["diff", "--json", "--config", config.to_str().unwrap(), b, a]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["eliminated"][0]["bytes"], 0, "Go rule disabled");

    std::fs::write(
        &rules,
        "[[rules]]\nname = \"x\"\nbucket = \"nowhere\"\npaths = [\"a\"]\n",
    )
    .unwrap();
    let (code, _, err) = run_cli(&["diff", "--rules", rules.to_str().unwrap(), b, a]);
    assert_eq!(code, 2);
    assert!(err.contains("nowhere"), "{err}");
}

#[test]
fn paths_list_every_path_once_with_its_status() {
    let p = pair(true);
    let (code, out, err) = run_cli(&[
        "diff",
        "--json",
        "--paths",
        p.before.to_str().unwrap(),
        p.after.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let d: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = d["paths"].as_array().unwrap();
    let get = |path: &str| {
        let hits: Vec<_> = rows.iter().filter(|r| r["path"] == path).collect();
        assert_eq!(hits.len(), 1, "{path}: {hits:?}");
        hits[0].clone()
    };
    assert_eq!(get("/src/main.go")["status"], "eliminated");
    assert_eq!(get("/src/main.go")["bucket"], "source");
    assert_eq!(get("/src/app")["status"], "moved");
    assert_eq!(get("/src/app")["to"], "/app");
    assert_eq!(get("/bin/sh")["status"], "carried");
    assert_eq!(get("/usr/local/go/bin/go")["bucket"], "toolchain");
    // Every BEFORE file and nothing else (AFTER adds none here).
    assert_eq!(rows.len(), 6);
    let eliminated: u64 = rows
        .iter()
        .filter(|r| r["status"] == "eliminated")
        .map(|r| r["bytes"].as_u64().unwrap())
        .sum();
    assert_eq!(
        eliminated,
        d["totals"]["eliminated"]["bytes"].as_u64().unwrap()
    );
    // Without --paths, no paths; --paths needs --json.
    let (_, out, _) = run_cli(&[
        "diff",
        "--json",
        p.before.to_str().unwrap(),
        p.after.to_str().unwrap(),
    ]);
    assert!(!out.contains("\"paths\""));
    let (code, _, _) = run_cli(&[
        "diff",
        "--paths",
        p.before.to_str().unwrap(),
        p.after.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
}
