//! Hostile bytes. Two kinds of test:
//!
//! - Tampering, one check at a time: an image whose config (`Entrypoint:
//!   /bin/evil`), manifest, nested index, compressed blob or layer content
//!   was edited while its digests were not must be refused with a digest
//!   mismatch naming what was edited; with `--no-verify` it loads and nothing
//!   says "verified". Each of the three checks (document digests, blob
//!   digests, diff_ids) has a test here that fails when that check is off.
//! - Deterministic mutations (flipped bytes, truncations, zeroed and
//!   duplicated regions) of real image files in every format: loading never
//!   panics, every error is one printable line, a mutant that loads under
//!   verification is the original image, a mutation of any digest-named
//!   blob is refused, and a mutant loaded without verification never says
//!   it was verified.

mod common;

use common::*;
use stagediff::image::Image;
use stagediff::source::{load, LoadOptions, LoadProgress};
use stagediff::{Error, ErrorKind};

fn mutate(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut d = data.to_vec();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
        }
        1 => d.truncate(rng.below(d.len())),
        2 => {
            let a = rng.below(d.len());
            let b = (a + 1 + rng.below(2048)).min(d.len());
            d[a..b].fill(0);
        }
        _ => {
            let a = rng.below(d.len());
            let b = (a + 1 + rng.below(1024)).min(d.len());
            let chunk = d[a..b].to_vec();
            let at = rng.below(d.len());
            d.splice(at..at, chunk);
        }
    }
    d
}

fn load_with(reference: &str, verify: bool) -> Result<Image, Error> {
    let opts = LoadOptions {
        verify,
        platform: None,
    };
    let r = load(reference, &opts, &LoadProgress::default());
    if let Err(e) = &r {
        let msg = e.to_string();
        assert!(
            !msg.contains('\n') && !msg.chars().any(|c| c.is_control()),
            "{msg:?}"
        );
    }
    r
}

/// Everything a loaded image says about its content: config, history,
/// layers (diff_ids, entries, sizes, kept package databases) and the
/// squashed tree. Two images with equal fingerprints show the same thing
/// in every report.
fn fingerprint(img: &Image) -> String {
    let sq = stagediff::tree::squash(&img.layers);
    let tree: Vec<_> = sq
        .tree
        .iter()
        .map(|id| {
            let n = sq.tree.node(id);
            (
                sq.tree.path_of(id),
                n.kind,
                n.size,
                n.mode,
                n.uid,
                n.gid,
                n.link,
                n.hash,
            )
        })
        .collect();
    let layers: Vec<_> = img
        .layers
        .iter()
        .map(|l| {
            (
                &l.diff_id,
                l.size,
                l.tar_size,
                &l.created_by,
                &l.entries,
                &l.captured,
            )
        })
        .collect();
    format!(
        "{:?}",
        (
            &img.config,
            &img.history,
            &img.os,
            &img.architecture,
            layers,
            tree
        )
    )
}

/// Is this the refusal of a changed byte that a digest covers? A digest
/// mismatch, or the decoder or tar reader (which see the bytes before the
/// digest is complete) failing, or the manifest's size for the blob.
fn is_integrity_error(e: &Error) -> bool {
    match &e.kind {
        ErrorKind::DigestMismatch { .. }
        | ErrorKind::Corrupt { .. }
        | ErrorKind::BadTar { .. }
        | ErrorKind::Truncated(_) => true,
        ErrorKind::Invalid(m) => m.contains("the blob has"),
        _ => false,
    }
}

/// Loads `reference` with and without verification and checks what each
/// must say. Returns whether the verified load succeeded.
fn check(reference: &str, original: &str) -> bool {
    let verified = match load_with(reference, true) {
        Ok(img) => {
            assert!(img.verified);
            assert!(
                fingerprint(&img) == original,
                "{reference}: a mutant passed verification with content other than the original's"
            );
            true
        }
        Err(_) => false,
    };
    // Always tried, whether or not verification passed: an input that fails
    // it must still load or fail cleanly, and never claim verification.
    if let Ok(img) = load_with(reference, false) {
        assert!(!img.verified, "{reference}: loaded with --no-verify");
    }
    verified
}

#[test]
fn mutated_archives_load_as_the_original_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let formats: Vec<(&str, Vec<u8>)> = vec![
        ("legacy.tar", docker_legacy(&layers, "m:1")),
        ("d25-gzip.tar", docker_oci(&layers, "m:1", Comp::Gzip)),
        ("oci-zstd.tar", oci_archive(&layers, "m:1", Comp::Zstd)),
        (
            "legacy.tar.gz",
            compress(&docker_legacy(&layers, "m:1"), Comp::Gzip),
        ),
    ];
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let (mut ok, mut failed) = (0, 0);
    // README.md states this figure (4 formats × 250).
    for (name, data) in &formats {
        let p = dir.path().join(name);
        std::fs::write(&p, data).unwrap();
        let reference = p.to_str().unwrap().to_string();
        let original = fingerprint(&load_with(&reference, true).expect("the original loads"));
        for _ in 0..250 {
            std::fs::write(&p, mutate(&mut rng, data)).unwrap();
            if check(&reference, &original) {
                ok += 1;
            } else {
                failed += 1;
            }
        }
    }
    // Not a property (a flipped byte in tar padding is harmless), a sanity
    // check that the mutations reach bytes that matter.
    assert_eq!(ok + failed, 1000);
    assert!(failed > ok, "refused {failed}, loaded {ok}");
}

#[test]
fn mutated_oci_layout_blobs_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    let (mut mutations, mut changed) = (0, 0);
    for comp in ALL_COMP {
        let root = dir.path().join(format!("{comp:?}"));
        oci_dir(&root, &layers, "m:1", comp);
        let parts = oci_parts(&layers, comp);
        let reference = format!("oci:{}", root.display());
        let original = fingerprint(&load_with(&reference, true).expect("the layout loads"));
        for (hex, data) in &parts.blobs {
            let path = root.join("blobs/sha256").join(hex);
            for _ in 0..40 {
                mutations += 1;
                let m = mutate(&mut rng, data);
                if m == *data {
                    continue; // zeroing zeros
                }
                changed += 1;
                std::fs::write(&path, &m).unwrap();
                // Every byte of a blob is covered by the digest it is named by.
                match load_with(&reference, true) {
                    Ok(_) => panic!("{comp:?}: a changed blob {hex} loaded under verification"),
                    Err(e) => assert!(is_integrity_error(&e), "{comp:?} {hex}: {e}"),
                }
                if let Ok(img) = load_with(&reference, false) {
                    assert!(!img.verified);
                }
            }
            std::fs::write(&path, data).unwrap();
        }
        let back = load_with(&reference, true).expect("the restored layout loads again");
        assert!(fingerprint(&back) == original);
    }
    // README.md states these figures (5 compressions × 5 blobs × 40).
    assert_eq!(mutations, 1000);
    assert!(
        changed > 900,
        "{changed} of {mutations} mutations changed a byte"
    );
}

// ---------------------------------------------------------------------------
// Tampering, one digest at a time.

const EVIL: &[u8] = br#""Entrypoint":["/bin/evil"]"#;

/// The config with its entrypoint replaced, same JSON otherwise.
fn evil_config(cfg: &[u8]) -> Vec<u8> {
    let text = String::from_utf8(cfg.to_vec()).unwrap();
    let good = r#""Entrypoint":["/app"]"#;
    assert!(text.contains(good), "{text}");
    text.replacen(good, std::str::from_utf8(EVIL).unwrap(), 1)
        .into_bytes()
}

/// Replaces the bytes of tar member `name` in `archive` with `data` of the
/// same length (headers and checksums untouched).
fn replace_member(archive: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut a = tar::Archive::new(archive);
    let mut at = None;
    for e in a.entries().unwrap() {
        let e = e.unwrap();
        if e.path_bytes().as_ref() == name.as_bytes() {
            assert_eq!(e.size(), data.len() as u64, "{name}: same length");
            at = Some(e.raw_file_position() as usize);
        }
    }
    let at = at.unwrap_or_else(|| panic!("{name} not in the archive"));
    let mut out = archive.to_vec();
    out[at..at + data.len()].copy_from_slice(data);
    out
}

/// Rewrites a tar member with content of another length (headers rebuilt).
fn rewrite_member(archive: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut a = tar::Archive::new(archive);
    let mut t = Tarball::new();
    let mut found = false;
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
        if e.header().entry_type().is_dir() {
            t.dir(&path);
            continue;
        }
        let mut content = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut content).unwrap();
        if path == name {
            found = true;
            content = data.to_vec();
        }
        t.file(&path, &content);
    }
    assert!(found, "{name} not in the archive");
    t.finish()
}

fn write(dir: &std::path::Path, name: &str, data: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.to_str().unwrap().to_string()
}

/// Refused under verification with a digest mismatch whose message names
/// `what`; loads under `--no-verify`, marked unverified. Returns the
/// unverified image.
fn refused_then_unverified(reference: &str, what: &str) -> Image {
    let e = load_with(reference, true).expect_err("tampered image loaded under verification");
    assert!(
        matches!(e.kind, ErrorKind::DigestMismatch { .. }),
        "{reference}: {e}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains(what) && msg.contains("digest mismatch"),
        "{reference}: {msg}"
    );
    let img = load_with(reference, false).unwrap_or_else(|e| panic!("--no-verify: {e}"));
    assert!(!img.verified);
    img
}

/// `inspect --no-verify` says so on its Digests line, in text and JSON.
fn inspect_says_unverified(reference: &str) {
    let (code, out, err) = run_cli(&["inspect", "--no-verify", reference]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.starts_with("Digests"))
        .unwrap_or_else(|| panic!("no Digests line: {out}"));
    assert!(line.contains("not verified"), "{line}");
    let (code, out, err) = run_cli(&["inspect", "--no-verify", "--json", reference]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        doc.pointer("/image/verified"),
        Some(&serde_json::Value::Bool(false)),
        "{out}"
    );
}

#[test]
fn an_edited_config_is_refused_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let cfg = config(&layers);
    let evil = evil_config(&cfg);
    let cfg_hex = hex(&cfg);

    // docker save < 25: the config is `<hex>.json`, named by its digest.
    let legacy = docker_legacy(&layers, "m:1");
    let legacy = rewrite_member(&legacy, &format!("{cfg_hex}.json"), &evil);
    // docker save ≥ 25 (manifest.json names blobs/sha256/<hex>).
    let d25 = docker_oci(&layers, "m:1", Comp::Gzip);
    let d25 = rewrite_member(&d25, &format!("blobs/sha256/{cfg_hex}"), &evil);
    // An OCI archive (index.json → manifest → config).
    let oci_tar = oci_archive(&layers, "m:1", Comp::Zstd);
    let oci_tar = rewrite_member(&oci_tar, &format!("blobs/sha256/{cfg_hex}"), &evil);
    let mut refs = vec![
        write(dir.path(), "legacy.tar", &legacy),
        write(dir.path(), "d25.tar", &d25),
        write(dir.path(), "oci.tar", &oci_tar),
    ];
    // An OCI layout directory.
    let root = dir.path().join("layout");
    oci_dir(&root, &layers, "m:1", Comp::Gzip);
    std::fs::write(root.join("blobs/sha256").join(&cfg_hex), &evil).unwrap();
    refs.push(format!("oci:{}", root.display()));

    for r in &refs {
        let img = refused_then_unverified(r, "config ");
        let e = load_with(r, true).unwrap_err().to_string();
        assert!(
            e.contains(&cfg_hex),
            "{r}: the message names the digest: {e}"
        );
        // What was refused is what --no-verify shows: the edit.
        assert_eq!(img.config.entrypoint, ["/bin/evil"], "{r}");
        inspect_says_unverified(r);
    }
}

/// The manifest of these parts: its hex digest and its bytes.
fn manifest_blob(parts: &OciParts) -> (String, Vec<u8>) {
    let hex = parts
        .manifest_digest
        .trim_start_matches("sha256:")
        .to_string();
    let bytes = parts
        .blobs
        .iter()
        .find(|(h, _)| *h == hex)
        .expect("the parts hold their manifest")
        .1
        .clone();
    (hex, bytes)
}

#[test]
fn an_edited_manifest_or_nested_index_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let parts = oci_parts(&layers, Comp::Gzip);
    let (manifest_hex, manifest) = manifest_blob(&parts);
    // Still a valid manifest naming the same blobs: only its digest differs.
    let mut edited: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    edited["annotations"] = serde_json::json!({"org.example.tampered": "yes"});
    let edited = serde_json::to_vec(&edited).unwrap();

    // The layout: the manifest blob replaced under its old name.
    let root = dir.path().join("manifest");
    oci_dir(&root, &layers, "m:1", Comp::Gzip);
    std::fs::write(root.join("blobs/sha256").join(&manifest_hex), &edited).unwrap();
    let r = format!("oci:{}", root.display());
    refused_then_unverified(&r, &format!("manifest {}", parts.manifest_digest));
    inspect_says_unverified(&r);

    // The same in an OCI archive.
    let tar = oci_archive(&layers, "m:1", Comp::Gzip);
    let tar = rewrite_member(&tar, &format!("blobs/sha256/{manifest_hex}"), &edited);
    let r = write(dir.path(), "manifest.tar", &tar);
    refused_then_unverified(&r, &format!("manifest {}", parts.manifest_digest));

    // A nested index (index.json → index blob → manifest), the index edited.
    let root = dir.path().join("nested");
    oci_dir(&root, &layers, "m:1", Comp::Gzip);
    let nested = oci_index(&parts, "m:1");
    let nested_digest = sha(&nested);
    let top = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "digest": nested_digest,
            "size": nested.len(),
        }]
    }))
    .unwrap();
    std::fs::write(root.join("index.json"), &top).unwrap();
    let nested_path = root.join("blobs/sha256").join(hex(&nested));
    std::fs::write(&nested_path, &nested).unwrap();
    let r = format!("oci:{}", root.display());
    let good = load_with(&r, true).expect("the nested index loads");
    assert!(good.verified);
    let mut edited: serde_json::Value = serde_json::from_slice(&nested).unwrap();
    edited["annotations"] = serde_json::json!({"org.example.tampered": "yes"});
    std::fs::write(&nested_path, serde_json::to_vec(&edited).unwrap()).unwrap();
    refused_then_unverified(&r, &nested_digest);
}

/// The gzip header's MTIME field (bytes 4..8) is not covered by the gzip
/// CRC: changing it changes the blob's digest but not its content.
fn touch_gzip_mtime(blob: &[u8]) -> Vec<u8> {
    assert_eq!(&blob[..2], b"\x1f\x8b");
    let mut b = blob.to_vec();
    b[4] ^= 0x5a;
    b
}

/// A zstd skippable frame's bytes are not content: change the last one's.
fn touch_zstd_skippable(blob: &[u8]) -> Vec<u8> {
    let meta = b"chunked-manifest-lives-here";
    let at = blob
        .windows(meta.len())
        .rposition(|w| w == meta)
        .expect("the trailing skippable frame");
    let mut b = blob.to_vec();
    b[at] ^= 0x20;
    b
}

#[test]
fn a_recompressed_blob_with_the_same_content_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    for (comp, touch) in [
        (Comp::Gzip, touch_gzip_mtime as fn(&[u8]) -> Vec<u8>),
        (Comp::GzipMembers, touch_gzip_mtime),
        (Comp::ZstdFrames, touch_zstd_skippable),
    ] {
        let parts = oci_parts(&layers, comp);
        let layer_hex = parts.layer_digests[1].trim_start_matches("sha256:");
        let blob = &parts.blobs.iter().find(|(h, _)| h == layer_hex).unwrap().1;
        let touched = touch(blob);
        assert_ne!(&touched, blob);

        // Layout directory.
        let root = dir.path().join(format!("{comp:?}"));
        oci_dir(&root, &layers, "m:1", comp);
        let r = format!("oci:{}", root.display());
        let original = fingerprint(&load_with(&r, true).unwrap());
        std::fs::write(root.join("blobs/sha256").join(layer_hex), &touched).unwrap();
        let img = refused_then_unverified(&r, "layer 2");
        let msg = load_with(&r, true).unwrap_err().to_string();
        assert!(msg.contains("blob"), "{msg}");
        // The content is the same, so only the blob digest can catch it.
        assert!(fingerprint(&img) == original, "{comp:?}");
        inspect_says_unverified(&r);

        // docker save ≥ 25 and an OCI archive.
        let name = format!("blobs/sha256/{layer_hex}");
        for (file, tar) in [
            ("d25", docker_oci(&layers, "m:1", comp)),
            ("oci-archive", oci_archive(&layers, "m:1", comp)),
        ] {
            let tar = replace_member(&tar, &name, &touched);
            let r = write(dir.path(), &format!("{file}-{comp:?}.tar"), &tar);
            refused_then_unverified(&r, "layer 2");
        }
    }
}

#[test]
fn edited_layer_content_is_refused_by_its_diff_id() {
    // docker save < 25 names layers `<id>/layer.tar`, not by digest: the
    // config's diff_ids are all that guard their content.
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let legacy = docker_legacy(&layers, "m:1");
    let id = hex(&layers[0]);
    let mut edited = layers[0].clone();
    let at = edited
        .windows(4)
        .position(|w| w == b"aaaa")
        .expect("opt/old/a's content");
    edited[at..at + 4].copy_from_slice(b"evil");
    let tar = replace_member(&legacy, &format!("{id}/layer.tar"), &edited);
    let r = write(dir.path(), "legacy.tar", &tar);
    let img = refused_then_unverified(&r, "diff_id");
    let msg = load_with(&r, true).unwrap_err().to_string();
    assert!(msg.contains("layer 1"), "{msg}");
    assert!(msg.contains(&sha(&layers[0])), "{msg}");
    // --no-verify shows the edit (in layer 0, hidden by layer 1's opaque dir).
    let hash_of_a = |img: &Image| {
        img.layers[0]
            .entries
            .iter()
            .find(|e| e.path == b"opt/old/a")
            .map(|e| e.hash)
            .expect("opt/old/a")
    };
    let good = load_with(&write(dir.path(), "good.tar", &legacy), true).unwrap();
    assert_ne!(hash_of_a(&img), hash_of_a(&good));
    inspect_says_unverified(&r);

    // The same in an OCI layout, the blob recompressed and the manifest rewritten
    // to match (an attacker who controls the layout can do that; the
    // config's diff_id is the one digest left to catch it).
    let root = dir.path().join("rewritten");
    oci_dir(&root, &layers, "m:1", Comp::Gzip);
    let stored = compress(&edited, Comp::Gzip);
    let mut parts = oci_parts(&layers, Comp::Gzip);
    let old_hex = parts.layer_digests[0]
        .trim_start_matches("sha256:")
        .to_string();
    std::fs::remove_file(root.join("blobs/sha256").join(&old_hex)).unwrap();
    std::fs::write(root.join("blobs/sha256").join(hex(&stored)), &stored).unwrap();
    let (manifest_hex, manifest) = manifest_blob(&parts);
    let mut m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    m["layers"][0]["digest"] = sha(&stored).into();
    m["layers"][0]["size"] = stored.len().into();
    let m = serde_json::to_vec(&m).unwrap();
    std::fs::remove_file(root.join("blobs/sha256").join(&manifest_hex)).unwrap();
    std::fs::write(root.join("blobs/sha256").join(hex(&m)), &m).unwrap();
    parts.manifest_digest = sha(&m);
    parts.manifest_size = m.len();
    std::fs::write(root.join("index.json"), oci_index(&parts, "m:1")).unwrap();
    let r = format!("oci:{}", root.display());
    refused_then_unverified(&r, "layer 1");
    let msg = load_with(&r, true).unwrap_err().to_string();
    assert!(msg.contains("diff_id"), "{msg}");
}

/// A config, manifest or index is read only up to 16 MiB (a hostile
/// archive could name a multi-gigabyte one): exactly 16 MiB loads, one byte
/// more is refused as too large, in an archive and in a layout.
#[test]
fn documents_up_to_16_mib_load_and_larger_ones_are_refused() {
    const MAX: usize = 16 << 20;
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![layer(&[T::File("a", b"a")])];
    let padded = |len: usize| {
        let base: serde_json::Value = serde_json::from_slice(&config(&layers)).unwrap();
        let with = |pad: usize| {
            let mut v = base.clone();
            v["config"]["Labels"]["pad"] = "x".repeat(pad).into();
            serde_json::to_vec(&v).unwrap()
        };
        let pad = len - with(0).len();
        let cfg = with(pad);
        assert_eq!(cfg.len(), len);
        (cfg, pad)
    };
    for (len, loads) in [(MAX, true), (MAX + 1, false)] {
        let (cfg, pad) = padded(len);
        // docker-archive: the config is a member of the tar.
        let r = write(
            dir.path(),
            &format!("{len}.tar"),
            &docker_legacy_with_config(&layers, "big:1", &cfg),
        );
        // OCI layout: the config is a file (put in place of the layout's
        // own, so its digest is not the manifest's: loaded unverified).
        let root = dir.path().join(format!("{len}-layout"));
        oci_dir(&root, &layers, "big:1", Comp::Gzip);
        let parts = oci_parts(&layers, Comp::Gzip);
        let cfg_hex = parts.config_digest.trim_start_matches("sha256:");
        std::fs::write(root.join("blobs/sha256").join(cfg_hex), &cfg).unwrap();
        for r in [r, format!("oci:{}", root.display())] {
            let res = load_with(&r, !r.starts_with("oci:"));
            if loads {
                let img = res.unwrap_or_else(|e| panic!("{r}: {e}"));
                assert_eq!(
                    img.config.labels.get("pad").map(String::len),
                    Some(pad),
                    "{r}"
                );
            } else {
                let e = res.expect_err("an oversized config");
                assert!(e.to_string().contains("too large"), "{r}: {e}");
            }
        }
    }
}

/// Only `blobs/sha256/` followed by exactly 64 hex digits names a digest: a
/// config stored under another name (short, or 64 characters that are not
/// all hex) has no digest to check, so it is never reported as a digest
/// mismatch, whatever else is said about it.
#[test]
fn only_64_hex_digits_name_a_digest() {
    let dir = tempfile::tempdir().unwrap();
    let layers = vec![layer(&[T::File("a", b"a")])];
    let cfg = config(&layers);
    let not_digests = [
        "blobs/sha256/abc".to_string(),
        format!("blobs/sha256/{}g", "a".repeat(63)),
        format!("blobs/sha256/{}", "a".repeat(65)),
    ];
    for name in &not_digests {
        let mut t = Tarball::new();
        let id = hex(&layers[0]);
        t.file(&format!("{id}/layer.tar"), &layers[0]);
        t.file(name, &cfg);
        let manifest = serde_json::json!([{
            "Config": name,
            "RepoTags": ["odd:1"],
            "Layers": [format!("{id}/layer.tar")],
        }]);
        t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
        let r = write(dir.path(), "odd.tar", &t.finish());
        if let Err(e) = load_with(&r, true) {
            assert!(
                !matches!(e.kind, ErrorKind::DigestMismatch { .. }),
                "{name}: {e}"
            );
        }
    }
}

/// Writes an OCI layout whose manifest was edited by `edit` (and stored
/// under its new digest, with index.json pointing at it), as a hostile
/// producer in control of the whole layout could.
fn layout_with_manifest(
    root: &std::path::Path,
    layers: &[Vec<u8>],
    comp: Comp,
    edit: impl FnOnce(&mut serde_json::Value),
) {
    oci_dir(root, layers, "m:1", comp);
    let mut parts = oci_parts(layers, comp);
    let old = parts
        .manifest_digest
        .trim_start_matches("sha256:")
        .to_string();
    let manifest = &parts.blobs.iter().find(|(h, _)| *h == old).unwrap().1;
    let mut m: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    edit(&mut m);
    let m = serde_json::to_vec(&m).unwrap();
    std::fs::remove_file(root.join("blobs/sha256").join(&old)).unwrap();
    std::fs::write(root.join("blobs/sha256").join(hex(&m)), &m).unwrap();
    parts.manifest_digest = sha(&m);
    parts.manifest_size = m.len();
    std::fs::write(root.join("index.json"), oci_index(&parts, "m:1")).unwrap();
}

/// An uncompressed layer is its own diff_id, but the name it is stored under
/// is still a digest to check: intact content under a name that is not its
/// digest is refused as a blob mismatch (the diff_id alone would pass it).
#[test]
fn a_plain_blob_stored_under_another_digest_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let root = dir.path().join("renamed");
    let fake = sha(b"not the layer");
    layout_with_manifest(&root, &layers, Comp::Plain, |m| {
        m["layers"][1]["digest"] = fake.clone().into();
    });
    std::fs::write(
        root.join("blobs/sha256")
            .join(fake.trim_start_matches("sha256:")),
        &layers[1],
    )
    .unwrap();
    let r = format!("oci:{}", root.display());
    refused_then_unverified(&r, "layer 2");
    let msg = load_with(&r, true).unwrap_err().to_string();
    assert!(msg.contains("blob") && msg.contains(&fake), "{msg}");
}

/// A blob longer than its descriptor says is not "truncated": without
/// verification it is refused for its size, naming both.
#[test]
fn a_blob_longer_than_its_descriptor_is_refused_for_its_size() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let root = dir.path().join("long");
    oci_dir(&root, &layers, "m:1", Comp::Plain);
    let parts = oci_parts(&layers, Comp::Plain);
    let h = parts.layer_digests[0].trim_start_matches("sha256:");
    let mut longer = layers[0].clone();
    longer.extend_from_slice(&[0u8; 512]);
    std::fs::write(root.join("blobs/sha256").join(h), &longer).unwrap();
    let r = format!("oci:{}", root.display());
    let e = load_with(&r, false).expect_err("a blob of the wrong size");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!(
            "manifest says {} bytes, the blob has {}",
            layers[0].len(),
            longer.len()
        )),
        "{msg}"
    );
    assert!(is_integrity_error(&load_with(&r, true).unwrap_err()));
}

/// An archive cut off inside a layer is refused as truncated, saying how
/// much of the layer's blob was there (not only that its tar stopped).
#[test]
fn an_archive_cut_inside_a_layer_says_how_much_of_the_blob_is_there() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let legacy = docker_legacy(&layers, "m:1");
    let member = format!("{}/layer.tar", hex(&layers[2]));
    let mut a = tar::Archive::new(&legacy[..]);
    let at = a
        .entries()
        .unwrap()
        .map(|e| e.unwrap())
        .find(|e| e.path_bytes().as_ref() == member.as_bytes())
        .map(|e| e.raw_file_position() as usize)
        .expect("the last layer");
    let cut = at + layers[2].len() / 2;
    let r = write(dir.path(), "cut.tar", &legacy[..cut]);
    for verify in [true, false] {
        let e = load_with(&r, verify).expect_err("a cut archive");
        assert!(matches!(e.kind, ErrorKind::Truncated(_)), "{e}");
        let msg = e.to_string();
        assert!(
            msg.contains(&format!("{} of {} bytes", cut - at, layers[2].len())),
            "{msg}"
        );
    }
}

/// The layer reader itself refuses a blob that ends before the length its
/// source announced (a file that shrank while read, a stream cut short):
/// the archive's own index is not the only guard.
#[test]
fn a_blob_shorter_than_announced_is_truncated() {
    use stagediff::image::blob::{parse_layer, BlobOptions};
    let l = &rich_layers()[0];
    let len = l.len() as u64;
    let ok = parse_layer(&l[..], "layer", Some(len), BlobOptions::default());
    assert!(ok.is_ok(), "{:?}", ok.err());
    let e = parse_layer(&l[..], "layer", Some(len + 100), BlobOptions::default())
        .expect_err("a blob 100 bytes short");
    assert!(matches!(e, ErrorKind::Truncated(_)), "{e}");
    assert!(
        e.to_string()
            .contains(&format!("blob ends after {len} of {} bytes", len + 100)),
        "{e}"
    );
}
