//! Bad input never panics: one line on stderr naming the image and the
//! problem, exit code 2, nothing written to disk, no raw escape codes.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn stagediff(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stagediff"))
        .args(args)
        .env(
            "DOCKER_HOST",
            "unix:///nonexistent/stagediff-test/docker.sock",
        )
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("run stagediff")
}

/// Runs `inspect` on a reference that must fail; returns the one line.
fn fails(reference: &str) -> String {
    let out = stagediff(&["inspect", reference]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{reference}: {err}");
    assert!(out.stdout.is_empty(), "{reference}: nothing on stdout");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{reference}: one line: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!err.contains('\u{1b}'), "no raw escape codes: {err:?}");
    assert!(err.starts_with("stagediff: "), "{err}");
    err
}

fn write(dir: &Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.display().to_string()
}

fn simple_layers() -> Vec<Vec<u8>> {
    vec![
        layer(&[T::Dir("etc"), T::File("etc/hostname", b"box\n")]),
        layer(&[T::File("app", &[7u8; 70_000])]),
    ]
}

#[test]
fn not_a_tar() {
    let d = tempfile::tempdir().unwrap();
    let p = write(
        d.path(),
        "notes.txt",
        &b"hello, this is not an image\n".repeat(40),
    );
    let e = fails(&p);
    assert!(e.contains(&p) && e.contains("not a tar"), "{e}");
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "empty.tar", b"");
    let e = fails(&p);
    assert!(e.contains("empty archive"), "{e}");
}

#[test]
fn truncated_outer_tar() {
    let d = tempfile::tempdir().unwrap();
    let full = docker_legacy(&simple_layers(), "t:1");
    for cut in [full.len() / 2, full.len() - 1500, 700] {
        let p = write(d.path(), &format!("cut{cut}.tar"), &full[..cut]);
        let e = fails(&p);
        assert!(
            e.contains("truncated") || e.contains("ends"),
            "cut at {cut}: {e}"
        );
    }
}

#[test]
fn truncated_and_corrupt_compressed_layers() {
    let d = tempfile::tempdir().unwrap();
    for c in [Comp::Gzip, Comp::Zstd] {
        let dir = d.path().join(format!("{c:?}"));
        oci_dir(&dir, &simple_layers(), "t:1", c);
        let p = oci_parts(&simple_layers(), c);
        let blob = dir
            .join("blobs/sha256")
            .join(p.layer_digests[1].trim_start_matches("sha256:"));
        let good = std::fs::read(&blob).unwrap();
        let reference = format!("oci:{}", dir.display());

        std::fs::write(&blob, &good[..good.len() / 2]).unwrap();
        let e = fails(&reference);
        assert!(
            e.contains("truncated") && e.contains("layer 2"),
            "{c:?}: {e}"
        );

        let mut bad = good.clone();
        let mid = bad.len() / 2;
        for b in &mut bad[mid..mid + 16] {
            *b ^= 0x5a;
        }
        std::fs::write(&blob, &bad).unwrap();
        let e = fails(&reference);
        let name = if c == Comp::Gzip { "gzip" } else { "zstd" };
        assert!(
            e.contains(&format!("corrupt {name}")) && e.contains("layer 2"),
            "{c:?}: {e}"
        );
    }
}

#[test]
fn truncated_plain_layer() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("plain");
    oci_dir(&dir, &simple_layers(), "t:1", Comp::Plain);
    let p = oci_parts(&simple_layers(), Comp::Plain);
    let blob = dir
        .join("blobs/sha256")
        .join(p.layer_digests[1].trim_start_matches("sha256:"));
    let good = std::fs::read(&blob).unwrap();
    std::fs::write(&blob, &good[..5000]).unwrap();
    let e = fails(&format!("oci:{}", dir.display()));
    assert!(e.contains("truncated") && e.contains("layer 2"), "{e}");
}

#[test]
fn missing_blob() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("oci");
    oci_dir(&dir, &simple_layers(), "t:1", Comp::Gzip);
    let p = oci_parts(&simple_layers(), Comp::Gzip);
    std::fs::remove_file(
        dir.join("blobs/sha256")
            .join(p.layer_digests[0].trim_start_matches("sha256:")),
    )
    .unwrap();
    let e = fails(&format!("oci:{}", dir.display()));
    assert!(
        e.contains("missing blob") && e.contains(&p.layer_digests[0]),
        "{e}"
    );

    // The same in an archive: a manifest naming a layer that is not there.
    let mut t = Tarball::new();
    let layers = simple_layers();
    let cfg = config(&layers);
    t.file("c.json", &cfg);
    t.file("aaa/layer.tar", &layers[0]);
    let manifest = serde_json::json!([{"Config": "c.json", "RepoTags": ["t:1"], "Layers": ["aaa/layer.tar", "bbb/layer.tar"]}]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let p = write(d.path(), "missing.tar", &t.finish());
    let e = fails(&p);
    assert!(
        e.contains("missing blob") && e.contains("bbb/layer.tar"),
        "{e}"
    );
}

#[test]
fn digest_mismatch_is_caught_and_no_verify_skips_it() {
    let d = tempfile::tempdir().unwrap();
    let mut archive = docker_legacy(&simple_layers(), "t:1");
    // Flip one byte of the app's content inside the second layer.tar.
    let pos = archive
        .windows(64)
        .position(|w| w.iter().all(|&b| b == 7))
        .unwrap();
    archive[pos + 10] = 8;
    let p = write(d.path(), "tampered.tar", &archive);
    let e = fails(&p);
    assert!(
        e.contains("digest mismatch") && e.contains("layer 2"),
        "{e}"
    );
    let out = stagediff(&["inspect", "--no-verify", &p]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A blob whose name is not its digest, in an OCI layout.
    let dir = d.path().join("oci");
    oci_dir(&dir, &simple_layers(), "t:1", Comp::Zstd);
    let parts = oci_parts(&simple_layers(), Comp::Zstd);
    let blob = dir
        .join("blobs/sha256")
        .join(parts.layer_digests[0].trim_start_matches("sha256:"));
    let other = compress(&layer(&[T::File("etc/hostnamf", b"box\n")]), Comp::Zstd);
    std::fs::write(&blob, other).unwrap();
    let e = fails(&format!("oci:{}", dir.display()));
    assert!(
        e.contains("digest mismatch") && e.contains("layer 1"),
        "{e}"
    );
}

#[test]
fn missing_or_invalid_manifest_and_config() {
    let d = tempfile::tempdir().unwrap();
    let mut t = Tarball::new();
    t.file("something.txt", b"hello");
    let e = fails(&write(d.path(), "nomanifest.tar", &t.finish()));
    assert!(
        e.contains("manifest.json") && e.contains("index.json"),
        "{e}"
    );

    let mut t = Tarball::new();
    t.file("manifest.json", b"{ this is not json");
    let e = fails(&write(d.path(), "badmanifest.tar", &t.finish()));
    assert!(e.contains("invalid manifest.json"), "{e}");

    let layers = simple_layers();
    let mut t = Tarball::new();
    t.file("c.json", b"{\"architecture\": 5}");
    t.file("aaa/layer.tar", &layers[0]);
    let manifest = serde_json::json!([{"Config": "c.json", "Layers": ["aaa/layer.tar"]}]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let e = fails(&write(d.path(), "badconfig.tar", &t.finish()));
    assert!(e.contains("invalid config"), "{e}");

    let dir = d.path().join("oci");
    oci_dir(&dir, &layers, "t:1", Comp::Gzip);
    std::fs::write(dir.join("index.json"), b"[1,2,3]").unwrap();
    let e = fails(&format!("oci:{}", dir.display()));
    assert!(e.contains("invalid index.json"), "{e}");
}

#[test]
fn hostile_names_are_never_printed_raw() {
    let d = tempfile::tempdir().unwrap();
    let big = vec![b'z'; 200_000];
    let big: &'static [u8] = Box::leak(big.into_boxed_slice());
    let layers = vec![layer(&[
        T::RawFile(b"evil\x1b]0;owned\x07\x1b[2J.txt".to_vec(), big),
        T::RawFile(b"bad\xffutf8".to_vec(), b"x"),
    ])];
    let p = write(
        d.path(),
        "hostile.tar",
        &docker_legacy(&layers, "evil\x1b[31m:1"),
    );
    for args in [
        vec!["inspect", p.as_str()],
        vec!["inspect", "--json", "--entries", p.as_str()],
    ] {
        let out = stagediff(&args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!out.stdout.contains(&0x1b), "{args:?}: raw ESC in output");
        assert!(!out.stdout.contains(&0x07), "{args:?}: raw BEL in output");
        let text = String::from_utf8(out.stdout).expect("output is UTF-8");
        // Escaped by stagediff, the same way in text and JSON: never a
        // serde `\u001b`, which decodes back to a raw ESC.
        let shown = if args.contains(&"--json") {
            serde_json::from_str::<serde_json::Value>(&text).unwrap()["layers"][0]["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["path"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            text.clone()
        };
        assert!(shown.contains("evil\\x1b]0;owned\\x07"), "{text}");
        assert!(!text.contains("\\u001b"), "{text}");
    }
    // Writes nothing next to the archive.
    let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn daemon_down_names_the_socket() {
    let e = fails("stagediff-test/no-such-image:latest");
    assert!(
        e.contains(
            "cannot reach the Docker daemon at unix:///nonexistent/stagediff-test/docker.sock"
        ) && e.contains("is it running? start dockerd, or set DOCKER_HOST"),
        "{e}"
    );
    assert!(
        e.starts_with("stagediff: stagediff-test/no-such-image:latest: "),
        "{e}"
    );
}

#[test]
fn missing_path_and_bad_references() {
    // The same words whichever form names the missing file.
    for reference in [
        "./no/such/archive.tar",
        "docker-archive:./no/such/archive.tar",
    ] {
        let e = fails(reference);
        assert!(
            e.trim_end()
                .ends_with("cannot read ./no/such/archive.tar: no such file or directory"),
            "{e}"
        );
    }
    let d = tempfile::tempdir().unwrap();
    let e = fails(&format!("oci:{}", d.path().join("nope").display()));
    assert!(e.contains("nope"), "{e}");
    let e = fails(d.path().to_str().unwrap());
    assert!(e.contains("not an OCI layout"), "{e}");
}

#[test]
fn reads_an_archive_from_stdin() {
    let archive = docker_legacy(&simple_layers(), "t:1");
    let mut child = Command::new(env!("CARGO_BIN_EXE_stagediff"))
        .args(["inspect", "--json", "--entries", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&archive).unwrap();
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "stagediff.inspect/v1");
    assert_eq!(doc["image"]["source"], "stdin");
    assert_eq!(doc["image"]["size"], 4 + 70_000);
    assert_eq!(doc["layers"][1]["entries"][0]["path"], "/app");
}

/// `--platform` is OS/ARCH[/VARIANT], and an image of another platform is
/// refused in one line, as an index without it is.
#[test]
fn a_platform_the_image_lacks_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write(d.path(), "x.tar", &docker_legacy(&simple_layers(), "x:1"));
    let run = |platform: &str| {
        let out = stagediff(&["inspect", "--platform", platform, &p]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), err)
    };
    let (code, err) = run("linux/amd64");
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = run("linux/arm64");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("no manifest for platform linux/arm64 (available: linux/amd64)"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for bad in [
        "linux",
        "linux/",
        "Linux/AMD64",
        "a/b/c/d",
        "linux/\x1b[31m\u{202e}x",
    ] {
        let (code, err) = run(bad);
        assert_eq!(code, Some(2), "{bad}: {err}");
        assert!(
            err.contains("a platform is OS/ARCH[/VARIANT]"),
            "{bad}: {err}"
        );
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            !err.contains('\x1b') && !err.contains('\u{202e}'),
            "raw: {err:?}"
        );
    }
}
