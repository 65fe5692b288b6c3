//! `stagediff plan` through the binary, on images built here: a static
//! program made by the system's C compiler, a dynamic one whose libraries
//! the image lacks, no entrypoint, the gate, and hostile names.

mod common;

use common::{config, docker_legacy_with_config, layer, run_cli, T};
use std::path::PathBuf;

fn leak(v: Vec<u8>) -> &'static [u8] {
    Box::leak(v.into_boxed_slice())
}

/// A program built with `cc` (static or not), as bytes.
fn program(static_pie: bool) -> &'static [u8] {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("m.c");
    std::fs::write(&src, "int main(void){return 0;}\n").unwrap();
    let out = dir.path().join("m");
    let mut cc = std::process::Command::new("cc");
    cc.arg(&src).arg("-o").arg(&out);
    if static_pie {
        cc.arg("-static-pie");
    }
    assert!(cc.status().expect("the system C compiler runs").success());
    leak(std::fs::read(&out).unwrap())
}

/// Writes a docker archive of `entries` whose config says `cfg` (merged
/// over the common test config), returns its path.
fn image(dir: &tempfile::TempDir, name: &str, entries: &[T], cfg: serde_json::Value) -> PathBuf {
    let layers = vec![layer(entries)];
    let mut c: serde_json::Value = serde_json::from_slice(&config(&layers)).unwrap();
    for (k, v) in cfg.as_object().unwrap() {
        c["config"][k] = v.clone();
    }
    let path = dir.path().join(format!("{name}.tar"));
    std::fs::write(
        &path,
        docker_legacy_with_config(&layers, "plan:test", &serde_json::to_vec(&c).unwrap()),
    )
    .unwrap();
    path
}

fn json(args: &[&str]) -> (i32, serde_json::Value, String) {
    let (code, out, err) = run_cli(args);
    let v = serde_json::from_str(&out).unwrap_or(serde_json::Value::Null);
    (code, v, err)
}

#[test]
fn a_static_program_needs_itself_and_scratch_will_do() {
    let dir = tempfile::tempdir().unwrap();
    let p = image(
        &dir,
        "static",
        &[
            T::Dir("usr"),
            T::Dir("usr/bin"),
            T::Mode("usr/bin/app", program(true), 0o755),
            T::File("usr/share/doc/big.txt", &[b'x'; 50_000]),
            T::Symlink("bin", "usr/bin"),
        ],
        serde_json::json!({"Entrypoint": ["app", "--serve"], "Env": ["PATH=/bin"]}),
    );
    let (code, v, err) = json(&["plan", "--json", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["schema"], "stagediff.plan/v1");
    assert_eq!(v["entrypoint"]["kind"], "static_binary");
    assert_eq!(v["entrypoint"]["program"], "/usr/bin/app");
    assert_eq!(v["closure"]["exact"], true);
    let paths: Vec<&str> = v["closure"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["path"].as_str().unwrap())
        .collect();
    // Found through PATH=/bin, a link to usr/bin: the link comes too.
    assert_eq!(paths, ["/usr/bin/app", "/bin"]);
    assert_eq!(v["gaps"].as_array().unwrap().len(), 0);
    let runtime = v["prediction"]["runtime_bytes"].as_u64().unwrap();
    let removable = v["prediction"]["removable_bytes"].as_u64().unwrap();
    assert_eq!(runtime, v["closure"]["bytes"].as_u64().unwrap());
    assert!(removable >= 50_000);
    let dockerfile = v["dockerfile"].as_str().unwrap();
    assert!(dockerfile.contains("FROM scratch\n"), "{dockerfile}");
    assert!(
        dockerfile.contains("COPY --from=build [\"/bin/app\", \"/bin/app\"]"),
        "{dockerfile}"
    );
    assert!(
        dockerfile.contains("ENTRYPOINT [\"app\", \"--serve\"]"),
        "{dockerfile}"
    );

    // The text report's parts, by their names: the program is the
    // entrypoint, the link on PATH a link on the way.
    let (code, text, err) = run_cli(&["plan", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let part = |label: &str| {
        text.lines()
            .any(|l| l.trim_start().starts_with(label) && l.trim_end().ends_with("1 file"))
    };
    assert!(part("entrypoint "), "{text}");
    assert!(part("symlinks on the way "), "{text}");

    // The gate: more than 1 kB could go.
    let (code, out, err) = run_cli(&["plan", p.to_str().unwrap(), "--max-removable", "1kB"]);
    assert_eq!(code, 1);
    assert!(out.contains("Prediction"), "{out}");
    assert!(err.contains("gate failed: max-removable"), "{err}");
    let (code, _, _) = run_cli(&["plan", p.to_str().unwrap(), "--max-removable", "1GB"]);
    assert_eq!(code, 0);
    let (code, out, err) = run_cli(&["plan", p.to_str().unwrap(), "--max-removable", "lots"]);
    assert_eq!((code, out.as_str()), (2, ""), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn a_dynamic_program_whose_image_lacks_its_libraries_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let p = image(
        &dir,
        "dynamic",
        &[T::Mode("app", program(false), 0o755)],
        serde_json::json!({}),
    );
    let (code, v, err) = json(&["plan", "--json", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(v["entrypoint"]["kind"], "dynamic_binary");
    let kinds: Vec<&str> = v["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"missing-loader"), "{kinds:?}");
    assert!(kinds.contains(&"missing-library"), "{kinds:?}");
    assert_eq!(v["closure"]["exact"], false);
    let (_, text, _) = run_cli(&["plan", p.to_str().unwrap()]);
    assert!(text.contains("libc.so.6, which the image lacks"), "{text}");
}

#[test]
fn no_entrypoint_and_hostile_names_are_said_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let p = image(
        &dir,
        "none",
        &[T::File("etc/x", b"x")],
        serde_json::json!({"Entrypoint": null, "Cmd": null}),
    );
    let (code, text, err) = run_cli(&["plan", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(text.contains("Entrypoint  none"), "{text}");
    assert!(text.contains("no-entrypoint"), "{text}");

    let p = image(
        &dir,
        "hostile",
        &[T::File("etc/x", b"x")],
        serde_json::json!({"Entrypoint": ["/bin/\u{1b}[2Jevil\u{9b}"], "Cmd": ["\u{202e}x"]}),
    );
    for args in [
        vec!["plan"],
        vec!["plan", "--json"],
        vec!["plan", "--markdown"],
    ] {
        let mut a = args.clone();
        a.push(p.to_str().unwrap());
        let (code, out, err) = run_cli(&a);
        assert_eq!(code, 0, "{err}");
        for bad in ['\u{1b}', '\u{9b}', '\u{202e}'] {
            assert!(!out.contains(bad), "{args:?}: raw {bad:?} in {out}");
        }
        assert!(
            out.contains("missing-command")
                || out.contains("missing_command")
                || out.contains("is not in the image"),
            "{out}"
        );
    }
}
