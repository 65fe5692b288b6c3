//! The format × compression matrix: the same three layers packed as every
//! format stagediff reads must give the same layers, digests, trees and sizes.

mod common;

use common::*;
use stagediff::image::{Compression, EntryKind, Image};
use stagediff::source::{load, LoadOptions, LoadProgress};
use stagediff::tree::{squash, ChangeStatus};

fn load_ok(reference: &str) -> Image {
    load(reference, &LoadOptions::default(), &LoadProgress::default())
        .unwrap_or_else(|e| panic!("{reference}: {e}"))
}

fn tree_paths(img: &Image) -> Vec<(Vec<u8>, EntryKind, u64)> {
    let sq = squash(&img.layers);
    sq.tree
        .iter()
        .map(|id| {
            let n = sq.tree.node(id);
            (sq.tree.path_of(id), n.kind, n.size)
        })
        .collect()
}

/// Every form of the same image, written to a temp dir.
fn all_forms(dir: &std::path::Path) -> Vec<(String, Option<Compression>)> {
    let layers = rich_layers();
    let mut refs = Vec::new();
    let legacy = dir.join("legacy.tar");
    std::fs::write(&legacy, docker_legacy(&layers, "rich:1")).unwrap();
    refs.push((
        format!("docker-archive:{}", legacy.display()),
        Some(Compression::None),
    ));
    for c in ALL_COMP {
        let want = Some(match c {
            Comp::Plain => Compression::None,
            Comp::Gzip | Comp::GzipMembers => Compression::Gzip,
            Comp::Zstd | Comp::ZstdFrames => Compression::Zstd,
        });
        let d25 = dir.join(format!("docker25-{c:?}.tar"));
        std::fs::write(&d25, docker_oci(&layers, "rich:1", c)).unwrap();
        refs.push((d25.display().to_string(), want));
        let oa = dir.join(format!("oci-{c:?}.tar"));
        std::fs::write(&oa, oci_archive(&layers, "rich:1", c)).unwrap();
        refs.push((format!("oci-archive:{}", oa.display()), want));
        let od = dir.join(format!("oci-{c:?}"));
        oci_dir(&od, &layers, "rich:1", c);
        refs.push((format!("oci:{}", od.display()), want));
    }
    // The whole archive compressed, as `docker save | gzip` / `| zstd` make it.
    for c in [Comp::Gzip, Comp::Zstd, Comp::GzipMembers, Comp::ZstdFrames] {
        let p = dir.join(format!("legacy.tar.{c:?}"));
        std::fs::write(&p, compress(&docker_legacy(&layers, "rich:1"), c)).unwrap();
        refs.push((p.display().to_string(), Some(Compression::None)));
    }
    refs
}

#[test]
fn every_format_and_compression_gives_the_same_image() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let forms = all_forms(dir.path());
    assert_eq!(forms.len(), 3 * ALL_COMP.len() + 5);
    let reference = load_ok(&forms[0].0);
    let want_tree = tree_paths(&reference);
    for (r, comp) in &forms {
        let img = load_ok(r);
        assert!(img.verified);
        assert_eq!(img.layers.len(), 3, "{r}");
        let got: Vec<&str> = img.layers.iter().map(|l| l.diff_id.as_str()).collect();
        assert_eq!(
            got, diff_ids,
            "{r}: layer order must come from the manifest"
        );
        for l in &img.layers {
            assert_eq!(Some(l.compression), *comp, "{r}");
            assert_eq!(l.tar_size, layers[l.index].len() as u64, "{r}");
        }
        assert_eq!(img.size(), reference.size(), "{r}");
        assert_eq!(tree_paths(&img), want_tree, "{r}");
        assert_eq!(img.os, "linux");
        assert_eq!(img.architecture, "amd64");
        assert_eq!(img.config.entrypoint, ["/app"]);
        assert_eq!(img.config.exposed_ports, ["8080/tcp"]);
        assert_eq!(img.config.user.as_deref(), Some("1000"));
        // History: 4 entries, one empty; layers pair with the non-empty ones.
        assert_eq!(img.history.len(), 4);
        assert_eq!(img.layers[1].history_index, Some(2));
        assert_eq!(
            img.layers[1].created_by.as_deref(),
            Some("/bin/sh -c layer-1")
        );
    }
}

#[test]
fn squashed_tree_follows_oci_rules() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("img.tar");
    std::fs::write(&p, docker_legacy(&rich_layers(), "rich:1")).unwrap();
    let img = load_ok(p.to_str().unwrap());
    let sq = squash(&img.layers);
    let t = &sq.tree;
    let has = |path: &[u8]| t.lookup(path).is_some();
    // Whiteout and opaque directory.
    assert!(!has(b"etc/remove-me"));
    assert!(has(b"etc/os-release"));
    assert!(!has(b"opt/old/a") && !has(b"opt/old/b"));
    assert!(has(b"opt/old/new"));
    // File replaced by a directory.
    assert_eq!(t.node(t.lookup(b"replace").unwrap()).kind, EntryKind::Dir);
    assert!(has(b"replace/inner"));
    // Hostile paths stay inside the root.
    assert!(has(b"escape"));
    assert!(has(b"abs/path"));
    // Non-UTF-8 and escape-code names are kept as bytes.
    assert!(has(b"caf\xe9"));
    assert!(has(b"evil\x1b[2Jname"));
    let long = format!("deep/{}/file", "x".repeat(150));
    assert!(has(long.as_bytes()), "GNU long names");
    // Hard link counted once, sharing content with its target.
    let sh = t.node(t.lookup(b"usr/bin/sh").unwrap());
    let bb = t.node(t.lookup(b"usr/bin/busybox").unwrap());
    assert_eq!(sh.kind, EntryKind::HardLink);
    assert_eq!((sh.size, sh.hash), (0, bb.hash));
    // Symlink kept with its target; resolve follows it.
    let bin = t.node(t.lookup(b"bin").unwrap());
    assert_eq!(bin.link, Some(&b"usr/bin"[..]));
    assert_eq!(t.resolve(b"bin/busybox"), t.lookup(b"usr/bin/busybox"));
    // Setuid bit survives.
    assert_eq!(t.node(t.lookup(b"usr/bin/su").unwrap()).mode, 0o4755);
    // Per-layer changes.
    let status = |layer: usize, path: &[u8]| {
        sq.changes[layer]
            .iter()
            .find(|c| t.path_of(c.node) == path)
            .map(|c| c.status)
    };
    assert_eq!(status(1, b"etc/remove-me"), Some(ChangeStatus::Deleted));
    assert_eq!(status(1, b"opt/old/a"), Some(ChangeStatus::Deleted));
    assert_eq!(status(1, b"replace"), Some(ChangeStatus::Modified));
    assert_eq!(status(2, b"app"), Some(ChangeStatus::Added));
    // Sizes as docker counts them: files + symlink targets, links once.
    let l0 = 10 + 10 + 4 + 4 + 19 + 7 + 13;
    assert_eq!(img.layers[0].size, l0);
    assert_eq!(img.layers[1].size, 4 + 1 + 6);
    assert_eq!(img.layers[2].size, 14 + 2 + 3 + 6 + 3 + 4);
    // Deleted bytes no longer count in the squashed tree.
    assert_eq!(t.total_size(), img.size() - 10 - 4 - 4 - 13);
    // The os-release content was captured for the analysis.
    let osr = t.lookup(b"etc/os-release").unwrap();
    assert_eq!(t.content(&img.layers, osr), Some(&b"ID=debian\n"[..]));
    assert_ne!(bb.flags & stagediff::image::capture::flags::ELF, 0);
}

#[test]
fn no_verify_skips_digests_but_reads_the_same_tree() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("img.tar");
    std::fs::write(&p, docker_oci(&rich_layers(), "rich:1", Comp::Gzip)).unwrap();
    let opts = LoadOptions {
        verify: false,
        platform: None,
    };
    let img = load(p.to_str().unwrap(), &opts, &LoadProgress::default()).unwrap();
    assert!(!img.verified);
    assert_eq!(tree_paths(&img), tree_paths(&load_ok(p.to_str().unwrap())));
}

#[test]
fn selects_one_of_several_images_by_tag() {
    let dir = tempfile::tempdir().unwrap();
    let a = vec![layer(&[T::File("a", b"A")])];
    let b = vec![layer(&[T::File("b", b"BB")])];
    // Two images in one legacy archive.
    let mut t = Tarball::new();
    let mut manifest = Vec::new();
    for (layers, tag) in [(&a, "one:1"), (&b, "two:2")] {
        let cfg = config(layers);
        let cfg_name = format!("{}.json", hex(&cfg));
        let id = hex(&layers[0]);
        t.file(&format!("{id}/layer.tar"), &layers[0]);
        t.file(&cfg_name, &cfg);
        manifest.push(serde_json::json!({"Config": cfg_name, "RepoTags": [tag], "Layers": [format!("{id}/layer.tar")]}));
    }
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let p = dir.path().join("two.tar");
    std::fs::write(&p, t.finish()).unwrap();
    let two = load_ok(&format!("docker-archive:{}:two:2", p.display()));
    assert_eq!(two.repo_tags, ["two:2"]);
    assert_eq!(two.size(), 2);
    let err = load(
        p.to_str().unwrap(),
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("2 images") && err.contains("one:1") && err.contains("two:2"),
        "{err}"
    );
    let err = load(
        &format!("docker-archive:{}:three", p.display()),
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no image three"), "{err}");
}

#[test]
fn picks_platform_from_a_nested_index() {
    let dir = tempfile::tempdir().unwrap();
    let amd = vec![layer(&[T::File("arch", b"amd64")])];
    let arm = vec![layer(&[T::File("arch", b"arm64!")])];
    let root = dir.path().join("multi");
    std::fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    let mut descs = Vec::new();
    for (layers, arch) in [(&amd, "amd64"), (&arm, "arm64")] {
        let p = oci_parts_for(layers, Comp::Gzip, arch);
        for (h, data) in &p.blobs {
            std::fs::write(root.join("blobs/sha256").join(h), data).unwrap();
        }
        descs.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": p.manifest_digest, "size": p.manifest_size,
            "platform": {"os": "linux", "architecture": arch}
        }));
    }
    // Nested: index.json → image index → per-platform manifests.
    let nested = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": descs
    }))
    .unwrap();
    std::fs::write(root.join("blobs/sha256").join(hex(&nested)), &nested).unwrap();
    let top = serde_json::json!({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.index.v1+json", "digest": sha(&nested), "size": nested.len(),
        "annotations": {"org.opencontainers.image.ref.name": "latest"}
    }]});
    std::fs::write(root.join("index.json"), serde_json::to_vec(&top).unwrap()).unwrap();
    let r = format!("oci:{}", root.display());
    assert_eq!(load_ok(&r).size(), 5);
    let arm_img = load(
        &r,
        &LoadOptions {
            verify: true,
            platform: Some("linux/arm64".into()),
        },
        &LoadProgress::default(),
    )
    .unwrap();
    assert_eq!(arm_img.size(), 6);
    let err = load(
        &r,
        &LoadOptions {
            verify: true,
            platform: Some("linux/s390x".into()),
        },
        &LoadProgress::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("linux/s390x") && err.contains("linux/arm64"),
        "{err}"
    );
}

#[test]
fn progress_counts_every_byte() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let bytes = docker_legacy(&layers, "rich:1");
    let layer_bytes: u64 = layers.iter().map(|l| l.len() as u64).sum();
    // A file is indexed, and the gauge counts the layer blobs it reads.
    let p = dir.path().join("img.tar");
    std::fs::write(&p, &bytes).unwrap();
    let progress = LoadProgress::default();
    load(p.to_str().unwrap(), &LoadOptions::default(), &progress).unwrap();
    assert_eq!(progress.total(), layer_bytes);
    assert_eq!(progress.done(), progress.total());
    assert_eq!(
        progress
            .layers_done
            .load(std::sync::atomic::Ordering::Relaxed),
        3
    );
    // A compressed archive is streamed, and the gauge counts the file's bytes.
    let gz = dir.path().join("img.tar.gz");
    let packed = compress(&bytes, Comp::Gzip);
    std::fs::write(&gz, &packed).unwrap();
    let progress = LoadProgress::default();
    load(gz.to_str().unwrap(), &LoadOptions::default(), &progress).unwrap();
    assert_eq!(progress.total(), packed.len() as u64);
    assert_eq!(progress.done(), progress.total());
}

#[test]
fn duplicate_layers_linked_in_the_archive_are_read_once_and_used_twice() {
    // Legacy docker save stores an identical layer once and links to it.
    let l = layer(&[T::File("same", b"same")]);
    let layers = vec![l.clone(), l.clone()];
    let cfg = config(&layers);
    let cfg_name = format!("{}.json", hex(&cfg));
    let mut t = Tarball::new();
    t.file("aaa/layer.tar", &l);
    t.dir("bbb/");
    t.symlink("bbb/layer.tar", "../aaa/layer.tar");
    t.file(&cfg_name, &cfg);
    let manifest = serde_json::json!([{"Config": cfg_name, "RepoTags": ["dup:1"], "Layers": ["aaa/layer.tar", "bbb/layer.tar"]}]);
    t.file("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("dup.tar");
    std::fs::write(&p, t.finish()).unwrap();
    let img = load_ok(p.to_str().unwrap());
    assert_eq!(img.layers.len(), 2);
    assert_eq!(img.size(), 8);
    // The same archive gzipped is read as a stream: the same answer.
    let gz = dir.path().join("dup.tar.gz");
    std::fs::write(&gz, compress(&std::fs::read(&p).unwrap(), Comp::Gzip)).unwrap();
    let streamed = load_ok(gz.to_str().unwrap());
    assert_eq!(streamed.layers.len(), 2);
    assert_eq!(streamed.size(), 8);
    assert_eq!(streamed.layers[1].entries, img.layers[1].entries);
}

/// What a loaded image says about its blobs and config: a compressed size
/// only where the format stores a blob of its own (an OCI blob, even an
/// uncompressed one; not a legacy `layer.tar`), and the config's user and
/// working directory, empty ones read as unset.
#[test]
fn blob_sizes_and_config_fields_are_what_the_files_say() {
    let dir = tempfile::tempdir().unwrap();
    let layers = rich_layers();
    let legacy = dir.path().join("legacy.tar");
    std::fs::write(&legacy, docker_legacy(&layers, "rich:1")).unwrap();
    let img = load_ok(legacy.to_str().unwrap());
    assert!(img.layers.iter().all(|l| l.compressed_size.is_none()));
    for comp in [Comp::Plain, Comp::Gzip, Comp::Zstd] {
        let root = dir.path().join(format!("{comp:?}"));
        oci_dir(&root, &layers, "rich:1", comp);
        let img = load_ok(&format!("oci:{}", root.display()));
        let stored: Vec<Option<u64>> = layers
            .iter()
            .map(|l| Some(compress(l, comp).len() as u64))
            .collect();
        let got: Vec<Option<u64>> = img.layers.iter().map(|l| l.compressed_size).collect();
        assert_eq!(got, stored, "{comp:?}");
    }

    let cfg_with = |user: &str, workdir: &str| {
        let mut v: serde_json::Value = serde_json::from_slice(&config(&layers)).unwrap();
        v["config"]["User"] = user.into();
        v["config"]["WorkingDir"] = workdir.into();
        serde_json::to_vec(&v).unwrap()
    };
    for (user, workdir, want) in [
        ("1000", "/app", (Some("1000"), Some("/app"))),
        ("", "", (None, None)),
    ] {
        let p = dir.path().join("cfg.tar");
        let cfg = cfg_with(user, workdir);
        std::fs::write(&p, docker_legacy_with_config(&layers, "rich:1", &cfg)).unwrap();
        let img = load_ok(p.to_str().unwrap());
        let c = &img.config;
        assert_eq!((c.user.as_deref(), c.working_dir.as_deref()), want);
    }
}

/// An OCI layout's image is named by its index annotations, and `oci:DIR:TAG`
/// picks by them: a tag the index does not name is refused.
#[test]
fn oci_layouts_are_named_and_picked_by_their_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("named");
    oci_dir(&root, &rich_layers(), "app:2", Comp::Gzip);
    let img = load_ok(&format!("oci:{}", root.display()));
    assert_eq!(img.repo_tags, ["docker.io/library/app:2"]);
    let picked = load_ok(&format!("oci:{}:2", root.display()));
    assert_eq!(picked.repo_tags, img.repo_tags);
    let e = load(
        &format!("oci:{}:3", root.display()),
        &LoadOptions::default(),
        &LoadProgress::default(),
    )
    .expect_err("a tag the index does not name");
    assert!(
        matches!(e.kind, stagediff::ErrorKind::NoSuchImage(_)),
        "{e}"
    );
}

/// The headers of an outer archive: (offset of the header, member size),
/// up to the end-of-archive blocks.
fn outer_headers(tar: &[u8]) -> Vec<(usize, u64)> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos + 512 <= tar.len() && tar[pos..pos + 512].iter().any(|&b| b != 0) {
        let size = tar::Header::from_byte_slice(&tar[pos..pos + 512])
            .entry_size()
            .unwrap();
        out.push((pos, size));
        pos += 512 + size.div_ceil(512) as usize * 512;
    }
    out
}

/// Members typed `7` (contiguous file) are regular files to every reader:
/// an archive whose files are all typed so loads the same, read in place
/// and as a stream.
#[test]
fn contiguous_members_are_regular_files() {
    let layers = rich_layers();
    let plain = docker_legacy(&layers, "rich:1");
    let mut retyped = plain.clone();
    let mut n = 0;
    for (pos, _) in outer_headers(&plain) {
        let mut h = tar::Header::new_old();
        h.as_mut_bytes().copy_from_slice(&retyped[pos..pos + 512]);
        if h.entry_type() == tar::EntryType::Regular {
            h.set_entry_type(tar::EntryType::Continuous);
            h.set_cksum();
            retyped[pos..pos + 512].copy_from_slice(h.as_bytes());
            n += 1;
        }
    }
    assert_eq!(n, 2 + 3 * 3, "manifest, config, three files per layer");
    let dir = tempfile::tempdir().unwrap();
    let want = tree_paths(&load_ok(&write(dir.path(), "plain.tar", &plain)));
    let indexed = write(dir.path(), "retyped.tar", &retyped);
    let streamed = write(
        dir.path(),
        "retyped.tar.gz",
        &compress(&retyped, Comp::Gzip),
    );
    for reference in [indexed, streamed] {
        let img = load_ok(&reference);
        assert!(img.verified, "{reference}");
        assert_eq!(tree_paths(&img), want, "{reference}");
    }
}

fn write(dir: &std::path::Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p.display().to_string()
}

/// An archive that ends right after its last member's bytes (no padding,
/// no end-of-archive blocks) is whole; one byte less is truncated.
#[test]
fn an_archive_may_end_where_its_last_member_ends() {
    let layers = rich_layers();
    let mut bytes = docker_legacy(&layers, "rich:1");
    let &(pos, size) = outer_headers(&bytes).last().unwrap();
    bytes.truncate(pos + 512 + size as usize);
    let dir = tempfile::tempdir().unwrap();
    let whole = load_ok(&write(dir.path(), "whole.tar", &bytes));
    assert_eq!(whole.layers.len(), 3);
    bytes.pop();
    let cut = write(dir.path(), "cut.tar", &bytes);
    match load(&cut, &LoadOptions::default(), &LoadProgress::default()) {
        Err(e) => assert!(e.to_string().contains("ends inside manifest.json"), "{e}"),
        Ok(_) => panic!("a cut manifest loaded"),
    }
}

/// OCI archives (skopeo's and Docker ≥ 25's) compressed as a whole are read
/// as a stream. Their blobs are named by digest, not `….tar`, and a
/// compressed one can be smaller than a tar block: each is still a layer,
/// the same as read in place.
#[test]
fn streamed_oci_archives_read_every_blob_as_a_layer() {
    let mut layers = rich_layers();
    // An empty layer: gzipped, its blob is a few dozen bytes.
    layers.push(layer(&[]));
    assert!(compress(&layers[3], Comp::Gzip).len() < 512);
    let dir = tempfile::tempdir().unwrap();
    for c in [Comp::Plain, Comp::Gzip] {
        for (prefix, form, bytes) in [
            ("oci-archive:", "oci", oci_archive(&layers, "rich:1", c)),
            ("", "docker25", docker_oci(&layers, "rich:1", c)),
        ] {
            let name = format!("{form}-{c:?}.tar");
            let in_place = load_ok(&format!("{prefix}{}", write(dir.path(), &name, &bytes)));
            let gz = compress(&bytes, Comp::Gzip);
            let streamed = load_ok(&format!(
                "{prefix}{}",
                write(dir.path(), &format!("{name}.gz"), &gz)
            ));
            for img in [&in_place, &streamed] {
                assert!(img.verified, "{name}");
                assert_eq!(img.layers.len(), 4, "{name}");
            }
            let digests =
                |i: &Image| -> Vec<_> { i.layers.iter().map(|l| l.digest.clone()).collect() };
            assert_eq!(digests(&streamed), digests(&in_place), "{name}");
            assert_eq!(tree_paths(&streamed), tree_paths(&in_place), "{name}");
            // What the analysis reads was kept, streamed too.
            assert_eq!(os_release(&streamed), b"ID=debian\n", "{name}");
        }
    }
}

/// `/etc/os-release` as the load kept it.
fn os_release(img: &Image) -> Vec<u8> {
    let sq = squash(&img.layers);
    let id = sq.tree.lookup(b"etc/os-release").expect("os-release");
    sq.tree
        .content(&img.layers, id)
        .expect("os-release kept")
        .to_vec()
}

/// A config may be as large as any document (16 MiB), streamed too: the
/// stream's reader keeps all of it, not just its first block.
#[test]
fn a_streamed_config_of_the_largest_size_is_read_whole() {
    let layers = rich_layers();
    let mut cfg = config(&layers);
    cfg.resize(16 << 20, b' ');
    let bytes = docker_legacy_with_config(&layers, "big:1", &cfg);
    let dir = tempfile::tempdir().unwrap();
    for (name, data) in [
        ("big.tar", bytes.clone()),
        ("big.tar.gz", compress(&bytes, Comp::Gzip)),
    ] {
        let img = load_ok(&write(dir.path(), name, &data));
        assert!(img.verified, "{name}");
        assert_eq!(img.config.entrypoint, ["/app"], "{name}");
        assert_eq!(img.layers.len(), 3, "{name}");
    }
}

/// A docker-save whose layers are named without `.tar` (as another writer
/// might): streamed, each is still a layer, down to a compressed one of
/// exactly one tar block; a shorter one is a layer when named `.tar`.
/// Only shorter members named otherwise, outside blobs/, are side files
/// such as VERSION.
#[test]
fn streamed_layers_need_no_tar_suffix() {
    let mut tars = rich_layers();
    tars.push(layer(&[]));
    let mut blobs = tars.clone();
    blobs[3] = gzip_of_exactly(&tars[3], 512);
    // And one under a block, named `.tar`.
    tars.push(layer(&[]));
    blobs.push(compress(&tars[4], Comp::Gzip));
    assert!(blobs[4].len() < 512);
    let names = common::unsuffixed_layer_names(blobs.len(), 4);
    let bytes = common::docker_save_named(&names, &blobs, "odd:1", &config(&tars), true);
    let dir = tempfile::tempdir().unwrap();
    let want = tree_paths(&load_ok(&write(dir.path(), "odd.tar", &bytes)));
    let img = load_ok(&write(
        dir.path(),
        "odd.tar.gz",
        &compress(&bytes, Comp::Gzip),
    ));
    assert!(img.verified);
    assert_eq!(img.layers.len(), 5);
    assert_eq!(img.layers[3].compression, Compression::Gzip);
    assert_eq!(img.layers[4].compression, Compression::Gzip);
    assert_eq!(tree_paths(&img), want);
}

/// A member is a layer by what the manifest says, whatever its name: one
/// named like docker's side files (`repositories`, `oci-layout`) loads the
/// same streamed as read in place.
#[test]
fn a_layer_named_like_a_side_file_is_a_layer_streamed_too() {
    let layers = rich_layers();
    let names = ["repositories", "oci-layout", "l2/layer.tar"];
    let bytes = common::docker_save_named(&names, &layers, "odd:1", &config(&layers), false);
    let dir = tempfile::tempdir().unwrap();
    let in_place = load_ok(&write(dir.path(), "odd.tar", &bytes));
    let streamed = load_ok(&write(
        dir.path(),
        "odd.tar.gz",
        &compress(&bytes, Comp::Gzip),
    ));
    assert_eq!(streamed.layers.len(), 3);
    assert!(streamed.verified);
    assert_eq!(tree_paths(&streamed), tree_paths(&in_place));
}
