//! Hostile images, second round, through the real binary: nothing is read
//! outside the image the user named, no raw control byte reaches stderr,
//! digests in other algorithms are checked or refused (never reported as
//! verified unchecked), malformed PAX numbers are refused, and memory stays
//! bounded however many layers carry a large package database.

mod common;

use common::*;
use sha2::{Digest, Sha512};
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn stagediff(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = cli()
        .args(args)
        .env("NO_COLOR", "1")
        .env(
            "DOCKER_HOST",
            "unix:///nonexistent/stagediff-test/docker.sock",
        )
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        // The loader may stop reading early on an error: a broken pipe is fine.
        let _ = pipe.write_all(data);
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A control character or a bidirectional override a terminal would act on.
fn unsafe_char(c: char) -> bool {
    c.is_control() && c != '\n'
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `inspect REF` must fail with one clean line; returns it.
fn fails(reference: &str) -> String {
    let r = stagediff(&["inspect", reference], None);
    assert_eq!(r.code, 2, "{reference}: {}{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{reference}: {}", r.stdout);
    assert_eq!(r.stderr.trim_end().lines().count(), 1, "{:?}", r.stderr);
    assert!(
        !r.stderr.trim_end().chars().any(unsafe_char),
        "{:?}",
        r.stderr
    );
    assert!(r.stderr.starts_with("stagediff: "), "{}", r.stderr);
    r.stderr
}

fn inspect_ok(reference: &str, extra: &[&str]) -> String {
    let mut args = vec!["inspect", reference];
    args.extend_from_slice(extra);
    let r = stagediff(&args, None);
    assert_eq!(r.code, 0, "{reference}: {}", r.stderr);
    r.stdout
}

fn small_layers(marker: &'static [u8]) -> Vec<Vec<u8>> {
    vec![layer(&[T::Dir("etc"), T::File("etc/marker", marker)])]
}

/// A second, valid image elsewhere on disk: what a symlink would lead to.
fn other_layout(dir: &Path) {
    oci_dir(dir, &small_layers(b"OUTSIDE\n"), "other:1", Comp::Plain);
}

/// A tar whose member names are written as given (`/abs`, `../x`), which
/// `tar::Builder` refuses to do.
fn raw_tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len().next_multiple_of(512), 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

// ---- 1. Nothing read outside the image --------------------------------

#[test]
fn symlinks_at_every_level_of_an_oci_layout_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let outside = d.path().join("outside");
    other_layout(&outside);
    let parts = oci_parts(&small_layers(b"OUTSIDE\n"), Comp::Plain);
    for level in ["blobs", "blobs/sha256", "blob", "index.json"] {
        // A layout whose own files are empty, leading to the other image.
        let root = d.path().join(format!("evil-{}", level.replace('/', "-")));
        oci_dir(&root, &small_layers(b"OUTSIDE\n"), "other:1", Comp::Plain);
        let (victim, target) = match level {
            "blobs" => (root.join("blobs"), outside.join("blobs")),
            "blobs/sha256" => (root.join("blobs/sha256"), outside.join("blobs/sha256")),
            "blob" => {
                let hex = parts.config_digest.trim_start_matches("sha256:");
                (
                    root.join("blobs/sha256").join(hex),
                    outside.join("blobs/sha256").join(hex),
                )
            }
            _ => (root.join("index.json"), outside.join("index.json")),
        };
        if victim.is_dir() {
            std::fs::remove_dir_all(&victim).unwrap();
        } else {
            std::fs::remove_file(&victim).unwrap();
        }
        symlink(&target, &victim).unwrap();
        let shown = match level {
            "blob" => format!(
                "blobs/sha256/{} is a symlink",
                parts.config_digest.trim_start_matches("sha256:")
            ),
            l => format!("{l} is a symlink"),
        };
        let e = fails(&format!("oci:{}", root.display()));
        assert!(e.contains(&shown), "{level}: {e}");
        // The target image itself is fine: the refusal is about the link.
        inspect_ok(&format!("oci:{}", outside.display()), &[]);
    }
}

#[test]
fn digests_that_climb_out_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("layout");
    oci_dir(&root, &small_layers(b"x\n"), "t:1", Comp::Plain);
    let secret = d.path().join("secret.json");
    std::fs::write(&secret, br#"{"schemaVersion":2}"#).unwrap();
    for digest in [
        "sha256:../../secret.json",
        "sha256:..",
        "../../../secret:json",
        "sha256:/etc/passwd",
    ] {
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": digest,
                "size": 20,
            }]
        });
        std::fs::write(root.join("index.json"), index.to_string()).unwrap();
        // Refused as malformed, by oci-spec's parser or by ours.
        let e = fails(&format!("oci:{}", root.display()));
        assert!(
            e.contains("malformed digest") || e.contains("invalid index.json: "),
            "{digest}: {e}"
        );
    }
}

/// Archive members named `/abs` or `../x` stay inside the archive: a
/// manifest pointing at them never reads the host file of that name, even
/// when one exists and would make a valid image.
#[test]
fn archive_member_names_never_reach_the_host() {
    let d = tempfile::tempdir().unwrap();
    let layers = small_layers(b"inside\n");
    let cfg = config(&layers);
    // A valid config and layer exist on the host, at the paths named.
    let host = d.path().join("host");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("config.json"), &cfg).unwrap();
    std::fs::write(host.join("layer.tar"), &layers[0]).unwrap();
    let abs_cfg = host.join("config.json").display().to_string();
    let abs_layer = host.join("layer.tar").display().to_string();
    for (config, layer) in [
        (abs_cfg.clone(), abs_layer.clone()),
        (
            format!("../../../../../../../..{abs_cfg}"),
            format!("../../../../../../../..{abs_layer}"),
        ),
    ] {
        let manifest = serde_json::json!([{
            "Config": config, "RepoTags": ["t:1"], "Layers": [layer]
        }]);
        let manifest = serde_json::to_vec(&manifest).unwrap();
        let p = d.path().join("evil.tar");
        std::fs::write(&p, raw_tar(&[("manifest.json", &manifest)])).unwrap();
        let e = fails(p.to_str().unwrap());
        assert!(e.contains("missing blob"), "{config}: {e}");
        let e = fails(&format!("oci-archive:{}", p.display()));
        assert!(e.contains("missing blob"), "{config}: {e}");
    }
    // The same names as members of the archive are found inside it, under
    // their normalised names: the archive is self-contained.
    let manifest = serde_json::json!([{
        "Config": "../cfg.json", "RepoTags": ["t:1"], "Layers": ["/lay/layer.tar"]
    }]);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    let p = d.path().join("inside.tar");
    let archive = raw_tar(&[
        ("/cfg.json", &cfg),
        ("../../lay/layer.tar", &layers[0]),
        ("manifest.json", &manifest),
    ]);
    std::fs::write(&p, &archive).unwrap();
    let out = inspect_ok(p.to_str().unwrap(), &[]);
    assert!(
        out.contains("not verified (the config is not named by its digest)"),
        "{out}"
    );
    assert!(
        out.contains("etc/marker") || out.contains("1 file"),
        "{out}"
    );
}

// ---- 2. No raw escapes in error messages ------------------------------

const HOSTILE: &str = "e\u{1b}]0;pwned\u{7}\u{9b}31m\u{85}\u{202e}vil";

#[test]
fn names_from_the_image_never_reach_stderr_raw() {
    let d = tempfile::tempdir().unwrap();
    // A manifest's config name, in "missing blob …".
    let mut t = Tarball::new();
    let manifest = serde_json::json!([{
        "Config": format!("{HOSTILE}.json"), "RepoTags": ["t:1"], "Layers": []
    }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let p = d.path().join("cfgname.tar");
    std::fs::write(&p, t.finish()).unwrap();
    let e = fails(p.to_str().unwrap());
    assert!(
        e.contains("missing blob") && e.contains("\\x1b]0;pwned"),
        "{e}"
    );

    // The platform strings, in "no manifest for platform … (available: …)".
    let root = d.path().join("plat");
    oci_dir(&root, &small_layers(b"x\n"), "t:1", Comp::Plain);
    let parts = oci_parts(&small_layers(b"x\n"), Comp::Plain);
    let desc = |arch: &str| {
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": parts.manifest_digest,
            "size": parts.manifest_size,
            "platform": {"os": "linux", "architecture": arch},
        })
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [desc(HOSTILE), desc(&format!("{HOSTILE}2"))],
    });
    std::fs::write(root.join("index.json"), index.to_string()).unwrap();
    let r = stagediff(
        &[
            "inspect",
            "--platform",
            "linux/arm64",
            &format!("oci:{}", root.display()),
        ],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("no manifest for platform"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.trim_end().chars().any(unsafe_char),
        "{:?}",
        r.stderr
    );

    // An outer-archive member name, in "truncated archive ends inside …".
    let mut t = Tarball::new();
    t.file(&format!("{HOSTILE}/layer.tar"), &vec![b'x'; 4096]);
    let full = t.finish();
    let cut = &full[..full.len() - 3000];
    let p = d.path().join("cut.tar");
    std::fs::write(&p, cut).unwrap();
    let e = fails(p.to_str().unwrap());
    assert!(
        e.contains("ends inside") && e.contains("\\x1b]0;pwned"),
        "{e}"
    );
    // The same through a stream.
    let r = stagediff(&["inspect", "-"], Some(cut));
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("ends inside"), "{}", r.stderr);
    assert!(
        !r.stderr.trim_end().chars().any(unsafe_char),
        "{:?}",
        r.stderr
    );
}

// ---- 4. Digests in other algorithms -----------------------------------

fn sha512(b: &[u8]) -> String {
    format!("sha512:{:x}", Sha512::digest(b))
}

/// An OCI layout whose every digest is sha512, as `ALG:HEX`; `tamper`
/// changes the layer's content after the digests were taken.
fn sha512_layout(dir: &Path, tamper: bool, alg_name: &str) {
    let layers = small_layers(b"sha512\n");
    let l = &layers[0];
    let d = |b: &[u8]| sha512(b).replacen("sha512", alg_name, 1);
    let cfg = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [d(l)]},
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": d(&cfg), "size": cfg.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": d(l), "size": l.len()}],
    }))
    .unwrap();
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": d(&manifest), "size": manifest.len()}],
    });
    let blobs = dir.join("blobs").join(alg_name);
    std::fs::create_dir_all(&blobs).unwrap();
    let mut stored = l.clone();
    if tamper {
        // Same length, other content: only a digest can tell.
        let at = stored.windows(7).position(|w| w == b"sha512\n").unwrap();
        stored[at] = b'S';
    }
    for (data, content) in [(l, &stored), (&cfg, &cfg), (&manifest, &manifest)] {
        let name = d(data);
        std::fs::write(blobs.join(name.split(':').nth(1).unwrap()), content).unwrap();
    }
    std::fs::write(dir.join("index.json"), index.to_string()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
}

#[test]
fn sha512_images_are_verified_and_tampering_is_caught() {
    let d = tempfile::tempdir().unwrap();
    let good = d.path().join("good");
    sha512_layout(&good, false, "sha512");
    let out = inspect_ok(&format!("oci:{}", good.display()), &[]);
    assert!(out.contains("Digests    verified"), "{out}");

    let bad = d.path().join("bad");
    sha512_layout(&bad, true, "sha512");
    let e = fails(&format!("oci:{}", bad.display()));
    assert!(
        e.contains("digest mismatch") && e.contains("sha512:"),
        "{e}"
    );
    // Without verification it loads, and says it was not verified.
    let out = inspect_ok(&format!("oci:{}", bad.display()), &["--no-verify"]);
    assert!(out.contains("not verified (--no-verify)"), "{out}");
    assert!(!out.contains("Digests    verified"), "{out}");
}

#[test]
fn other_algorithms_are_refused_not_passed() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("md");
    // A digest of another algorithm (the bytes are sha512's, the name is not).
    sha512_layout(&dir, true, "blake3");
    let e = fails(&format!("oci:{}", dir.display()));
    assert!(e.contains("unsupported digest blake3:"), "{e}");
    let out = inspect_ok(&format!("oci:{}", dir.display()), &["--no-verify"]);
    assert!(out.contains("not verified"), "{out}");
}

/// A docker-archive streamed through stdin: a layer named by a sha512 diff_id
/// but stored where the name says sha256 cannot be checked while streaming;
/// it is an error, not a pass.
#[test]
fn a_diff_id_in_another_algorithm_is_never_skipped() {
    let layers = small_layers(b"x\n");
    let mut cfg: serde_json::Value = serde_json::from_slice(&config(&layers)).unwrap();
    cfg["rootfs"]["diff_ids"] = serde_json::json!([sha512(&layers[0])]);
    let cfg = serde_json::to_vec(&cfg).unwrap();
    let mut t = Tarball::new();
    let cfg_name = format!("{}.json", hex(&cfg));
    t.file("l1/layer.tar", &layers[0]);
    t.file(&cfg_name, &cfg);
    let manifest = serde_json::json!([{ "Config": cfg_name, "RepoTags": ["t:1"], "Layers": ["l1/layer.tar"] }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let archive = t.finish();
    let r = stagediff(&["inspect", "-"], Some(&archive));
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("named by a sha512 digest"),
        "{}",
        r.stderr
    );
    // From a file the layer order is known first: it is digested in sha512.
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("a.tar");
    std::fs::write(&p, &archive).unwrap();
    let out = inspect_ok(p.to_str().unwrap(), &[]);
    assert!(out.contains("Digests    verified"), "{out}");
}

// ---- 5. Malformed tar headers -----------------------------------------

#[test]
fn a_negative_pax_size_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    let rec = b"11 size=-1\n";
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::XHeader);
    h.set_size(rec.len() as u64);
    b.append_data(&mut h, "PaxHeader", &rec[..]).unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_size(4);
    b.append_data(&mut h, "etc/f", &b"data"[..]).unwrap();
    let l = b.into_inner().unwrap();
    let p = d.path().join("pax.tar");
    std::fs::write(&p, docker_legacy(&[l], "t:1")).unwrap();
    let e = fails(p.to_str().unwrap());
    assert!(e.contains("invalid PAX size record"), "{e}");
}

// ---- 3. Memory bounded whatever the layer count -----------------------

/// Runs the binary and returns its exit code, stderr and peak RSS in KiB
/// (from `wait4`'s accounting of that one child).
// The child is reaped by `wait4`, which std's `Child::wait` cannot replace:
// only it returns the child's own rusage.
#[allow(clippy::zombie_processes)]
fn peak_rss_kib(args: &[&str], stdin: Option<&Path>) -> (i32, String, i64) {
    let mut cmd = cli();
    cmd.args(args)
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.stdin(match stdin {
        Some(p) => Stdio::from(std::fs::File::open(p).unwrap()),
        None => Stdio::null(),
    });
    let child = cmd.spawn().unwrap();
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pointers to live locals; the child is ours and not yet reaped.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid);
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    (code, String::new(), usage.ru_maxrss)
}

/// A docker-save (Docker ≥ 25 layout) of `n` zstd layers, each holding a
/// `size`-byte rpm database of zeros, built one layer at a time so this test
/// process stays small (a child's peak RSS counts its parent's at spawn).
fn many_databases(n: usize, size: usize) -> Vec<u8> {
    let db = vec![0u8; size];
    let mut t = Tarball::new();
    let (mut diff_ids, mut descs, mut paths) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(size as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, "var/lib/rpm/rpmdb.sqlite", &db[..])
            .unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Regular);
        h.set_size(1);
        b.append_data(&mut h, format!("layer{i}"), &b"x"[..])
            .unwrap();
        let tar = b.into_inner().unwrap();
        diff_ids.push(sha(&tar));
        let stored = zstd::encode_all(&tar[..], 1).unwrap();
        drop(tar);
        descs.push(serde_json::json!({
            "mediaType": media_type(Comp::Zstd), "digest": sha(&stored), "size": stored.len()
        }));
        paths.push(format!("blobs/sha256/{}", hex(&stored)));
        t.file(&format!("blobs/sha256/{}", hex(&stored)), &stored);
    }
    let cfg = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    t.file(&format!("blobs/sha256/{}", hex(&cfg)), &cfg);
    let manifest = serde_json::json!([{
        "Config": format!("blobs/sha256/{}", hex(&cfg)), "RepoTags": ["many:1"], "Layers": paths
    }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    t.finish()
}

#[test]
fn many_layers_of_big_package_databases_keep_memory_bounded() {
    let d = tempfile::tempdir().unwrap();
    // 1.1 GiB of databases in a few hundred kB.
    let plain = d.path().join("many.tar");
    std::fs::write(&plain, many_databases(24, 48 << 20)).unwrap();
    // From a file the layer order is known: one copy is held at a time,
    // plus the ones being read.
    let (code, _, kib) = peak_rss_kib(&["inspect", plain.to_str().unwrap()], None);
    assert_eq!(code, 0);
    assert!(kib < 400 << 10, "archive file: peak RSS {} MiB", kib >> 10);
    // From a stream the order comes last: the per-image limit (512 MiB) holds.
    let (code, _, kib) = peak_rss_kib(&["inspect", "-"], Some(&plain));
    assert_eq!(code, 0);
    assert!(kib < 700 << 10, "stream: peak RSS {} MiB", kib >> 10);
}

// ---- Escaping at stagediff's own boundaries (stdout, JSON) -------------

/// Every string in a JSON value, keys included.
fn json_strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, out)),
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                json_strings(x, out);
            }
        }
        _ => {}
    }
}

/// An image whose names, link targets, config and history all carry C0 and
/// C1 controls and a bidi override.
fn hostile_image(dir: &Path) -> String {
    let name = format!("app/{HOSTILE}.bin").into_bytes();
    let l = layer(&[
        T::Dir("app"),
        T::RawFile(name, b"payload"),
        T::Symlink("app/link", Box::leak(HOSTILE.to_string().into_boxed_str())),
    ]);
    let layers = vec![l];
    let mut cfg: serde_json::Value = serde_json::from_slice(&config(&layers)).unwrap();
    cfg["config"]["Env"] = serde_json::json!([format!("X={HOSTILE}")]);
    cfg["config"]["Entrypoint"] = serde_json::json!([format!("/{HOSTILE}")]);
    cfg["config"]["Labels"] = serde_json::json!({ HOSTILE: HOSTILE });
    cfg["history"][0]["created_by"] = serde_json::json!(format!("/bin/sh -c {HOSTILE}"));
    let cfg = serde_json::to_vec(&cfg).unwrap();
    let cfg_name = format!("{}.json", hex(&cfg));
    let mut t = Tarball::new();
    t.file("l/layer.tar", &layers[0]);
    t.file(&cfg_name, &cfg);
    let manifest = serde_json::json!([{
        "Config": cfg_name, "RepoTags": [format!("evil:{}", "1")], "Layers": ["l/layer.tar"]
    }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let p = dir.join("hostile.tar");
    std::fs::write(&p, t.finish()).unwrap();
    p.display().to_string()
}

#[test]
fn every_report_escapes_what_came_from_the_image() {
    let d = tempfile::tempdir().unwrap();
    let before = hostile_image(d.path());
    let after = d.path().join("after.tar");
    std::fs::write(&after, docker_legacy(&small_layers(b"after\n"), "after:1")).unwrap();
    let after = after.display().to_string();
    let runs: Vec<Vec<&str>> = vec![
        vec!["inspect", &before],
        vec!["inspect", &before, "--json"],
        vec!["diff", &before, &after],
        vec!["diff", &before, &after, "--json"],
        vec!["diff", &before, &after, "--markdown"],
    ];
    for args in runs {
        let r = stagediff(&args, None);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let raw_ok = !r.stdout.chars().any(|c| unsafe_char(c) && c != '\t');
        assert!(raw_ok, "{args:?}: raw control in stdout");
        if args.contains(&"--json") {
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            let mut all = Vec::new();
            json_strings(&v, &mut all);
            for s in &all {
                assert!(
                    !s.chars().any(unsafe_char),
                    "{args:?}: decoded string {s:?}"
                );
            }
            if args[0] == "inspect" {
                // The hostile name is there, escaped (not dropped), and its
                // exact bytes are kept in hex.
                assert!(
                    all.iter().any(|s| s.contains("\\x1b]0;pwned\\x07\\x9b31m")),
                    "{args:?}"
                );
                assert!(
                    all.iter().any(|s| s.contains("1b5d303b70776e6564")),
                    "{args:?}"
                );
            }
        }
    }
}

/// One small layer named a hundred thousand times by the manifest: a 2 MB
/// archive that would otherwise make 100,000 layers (each a copy of the
/// blob's entries) is refused at once.
#[test]
fn a_manifest_repeating_one_blob_is_refused() {
    let layers = small_layers(b"x\n");
    let n = 100_000;
    let diff_ids = vec![sha(&layers[0]); n];
    let cfg = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let cfg_name = format!("{}.json", hex(&cfg));
    let mut t = Tarball::new();
    t.file("l/layer.tar", &layers[0]);
    t.file(&cfg_name, &cfg);
    let manifest = serde_json::json!([{
        "Config": cfg_name, "RepoTags": ["t:1"], "Layers": vec!["l/layer.tar"; n]
    }]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("repeat.tar");
    std::fs::write(&p, t.finish()).unwrap();
    let started = std::time::Instant::now();
    let e = fails(p.to_str().unwrap());
    assert!(
        e.contains("lists 100000 layers; stagediff reads at most 1000"),
        "{e}"
    );
    assert!(started.elapsed().as_secs() < 20);
}

/// The sha512 layout packed as an OCI archive and compressed as a whole, so
/// it is read as a stream: each blob is digested in the algorithm its path
/// names, and a tampered one is caught.
#[test]
fn a_streamed_sha512_archive_is_verified_and_tampering_is_caught() {
    let d = tempfile::tempdir().unwrap();
    for tamper in [false, true] {
        let layout = d.path().join(format!("layout-{tamper}"));
        sha512_layout(&layout, tamper, "sha512");
        let mut t = Tarball::new();
        for name in ["oci-layout", "index.json"] {
            t.file(name, &std::fs::read(layout.join(name)).unwrap());
        }
        for e in std::fs::read_dir(layout.join("blobs/sha512")).unwrap() {
            let p = e.unwrap().path();
            let name = format!("blobs/sha512/{}", p.file_name().unwrap().to_str().unwrap());
            t.file(&name, &std::fs::read(&p).unwrap());
        }
        let archive = d.path().join(format!("oci-{tamper}.tar.gz"));
        std::fs::write(&archive, compress(&t.finish(), Comp::Gzip)).unwrap();
        let reference = format!("oci-archive:{}", archive.display());
        if tamper {
            let e = fails(&reference);
            assert!(
                e.contains("digest mismatch") && e.contains("sha512:"),
                "{e}"
            );
        } else {
            let out = inspect_ok(&reference, &[]);
            assert!(out.contains("Digests    verified"), "{out}");
        }
    }
}
